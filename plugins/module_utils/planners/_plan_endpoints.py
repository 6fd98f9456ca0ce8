# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and planning for the endpoints module (many container endpoints, one call). Pure.

An endpoint is a container's network namespace, a veth pair (host end in the node namespace, the
container end inside), the container's address and routes, and for `routed` endpoints the host
route and proxy ARP sysctls of the host end. Endpoints are owned through the alias of their host
end, "linuxnet.fabric endpoint owner=<owner> name=<name> netns=<netns> created_netns=<0|1>", so
purging finds exactly what this module made earlier and nothing else.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_link import managed_addresses
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_nat import normalise_rule, publish_rule, tag_of
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_sysctl import dotted, sysctl_key
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._published_ports import parse_publish

ALIAS_PREFIX = 'linuxnet.fabric endpoint '
# Calico's link-local next hop: every routed container reaches the world through it, and the host
# end answers ARP for it by proxy.
ROUTED_GATEWAY = '169.254.1.1'
# Sysctls of a routed endpoint's host end (option names of _plan_sysctl.INTERFACE_SYSCTLS).
ROUTED_HOST_SYSCTLS = {'proxy_arp': 1, 'proxy_delay': 0, 'forwarding': 1, 'route_localnet': 1}
MODES = ('bridge', 'routed')
# 60 leaves room for the 'ep.' prefix of the NAT rules' owner (64 characters at most).
OWNER_PATTERN = re.compile(r'^[A-Za-z0-9_.-]{1,60}$')
NAME_PATTERN = re.compile(r'^[A-Za-z0-9_.-]{1,64}$')
# Docker's own rule for container names.
DOCKER_NAME_PATTERN = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$')
MAIN_TABLE = 254
SCOPE_LINK = 253


def host_interface_name(prefix, netns, interface):
    """A stable host-side name, at most 15 bytes: prefix + hash of (netns, interface)."""
    digest = hashlib.sha256(('%s/%s' % (netns, interface)).encode('utf-8')).hexdigest()
    return prefix + digest[:15 - len(prefix)]


def alias_for(owner, endpoint):
    """The host end's alias: who owns the endpoint, and what it was made with.

    The address is recorded too, so the endpoints of a node and their addresses can be listed
    from the node's own link list, without visiting every container's namespace.
    """
    alias = '%sowner=%s name=%s netns=%s created_netns=%d' % (
        ALIAS_PREFIX, owner, endpoint['name'], endpoint['netns'], 1 if endpoint['created_netns'] else 0)
    if endpoint.get('docker_container'):
        # The name is a Docker container's namespace: deleting it leaves the namespace (and so
        # the veth) to the container.
        alias += ' attached=1'
    if endpoint.get('sharers'):
        # Endpoints that share this one's namespace have no link of their own to carry a mark.
        alias += ' sharers=%s' % ','.join(sorted(endpoint['sharers']))
    if endpoint.get('address'):
        alias += ' address=%s/%s' % endpoint['address']
    return alias


def parse_alias(alias):
    """{owner, name, netns, created_netns, address} of an endpoint alias, or None for any other alias."""
    if not alias or not alias.startswith(ALIAS_PREFIX):
        return None
    fields = dict(item.split('=', 1) for item in alias[len(ALIAS_PREFIX):].split() if '=' in item)
    if not {'owner', 'name', 'netns'} <= set(fields):
        return None
    return {'owner': fields['owner'], 'name': fields['name'], 'netns': fields['netns'],
            'created_netns': fields.get('created_netns') == '1', 'attached': fields.get('attached') == '1',
            'sharers': [name for name in fields.get('sharers', '').split(',') if name],
            'address': fields.get('address')}


def endpoint_fields(item, where, published):
    """An endpoint's own fields that need nothing of the node: (name, docker_container, publish rules).

    The one check of them: the endpoints module runs it on the node and the filter fabric_plan on
    the controller, before any change, so the two cannot disagree. `where` names the item in the
    caller's terms (`endpoints[1]`, `fabric_endpoints[1]`); `published` maps (host address,
    protocol, host port) to the option that published it, across the caller's endpoints.
    """
    if not isinstance(item, dict):
        raise OptionError(where, 'must be a dict with at least a name, not %r' % (item,))
    name = item.get('name')
    if isinstance(name, int) and not isinstance(name, bool):
        # YAML reads `name: 7` as a number; the module's argument spec makes it a string too.
        name = str(name)
    if not name or not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise OptionError(where + '.name', "'%s' must be 1 to 64 letters, digits, '_', '.' or '-'" % (name,))
    container = item.get('docker_container')
    if container is not None and not DOCKER_NAME_PATTERN.match(str(container)):
        raise OptionError(where + '.docker_container', "'%s' is not a Docker container name" % container)
    texts = item.get('publish') or []
    if not isinstance(texts, list):
        raise OptionError(where + '.publish', 'must be a list of specs like 8080:80/tcp, not %r' % (texts,))
    publish = []
    for index, text in enumerate(texts):
        option = '%s.publish[%d]' % (where, index)
        rule = parse_publish(option, text)
        for port in range(rule['host_ports'][0], rule['host_ports'][1] + 1):
            key = (rule['host_address'] or '*', rule['protocol'], port)
            if key in published:
                raise OptionError(option, "'%s': %s port %d%s is also published by %s" % (
                    rule['text'], rule['protocol'], port, ' on %s' % rule['host_address'] if rule['host_address'] else '',
                    published[key]))
            published[key] = option
        publish.append(rule)
    return name, container, publish


def desired_endpoints(params):
    """Validated endpoints with every derived value filled in (OptionError names the option)."""
    owner = params.get('owner') or 'default'
    if not OWNER_PATTERN.match(owner):
        raise OptionError('owner', "'%s' must be 1 to 60 letters, digits, '_', '.' or '-'" % owner)
    prefix = params.get('host_interface_prefix') or 'lf'
    if not re.match(r'^[a-z][a-z0-9]{0,5}$', prefix):
        raise OptionError('host_interface_prefix', "'%s' must be 1 to 6 lowercase letters or digits, starting with a letter" % prefix)
    default_mode = params.get('mode') or 'bridge'
    subnet = _validate.network('subnet', params['subnet']) if params.get('subnet') else None
    default_mtu = _validate.mtu('mtu', params.get('mtu'))
    gateway = str(_validate.ip_address('gateway', params['gateway'], version=4)) if params.get('gateway') else None

    endpoints = []
    seen = {'name': {}, 'netns': {}, 'host_interface': {}, 'address': {}, 'published': {}}

    def unique(kind, value, option):
        if value in seen[kind]:
            raise OptionError(option, "'%s' is also %s" % (value, seen[kind][value]))
        seen[kind][value] = option

    sharing = []
    for position, item in enumerate(params.get('endpoints') or []):
        where = 'endpoints[%d]' % position
        name, container, publish = endpoint_fields(item, where, seen['published'])
        unique('name', name, where + '.name')
        if item.get('netns_of') is not None:
            endpoints.append(_sharing_endpoint(item, where, unique))
            sharing.append((where, endpoints[-1]))
            continue
        netns = _validate.netns(where + '.netns', item.get('netns') or name)
        if netns.startswith('/'):
            raise OptionError(where + '.netns', 'must be a namespace name under /run/netns, not a path')
        unique('netns', netns, where + '.netns')
        interface = _validate.ifname(where + '.interface', item.get('interface') or 'eth0')
        host_interface = _validate.ifname(where + '.host_interface',
                                          item.get('host_interface') or host_interface_name(prefix, netns, interface))
        unique('host_interface', host_interface, where + '.host_interface')
        mode = item.get('mode') or default_mode
        if mode not in MODES:
            raise OptionError(where + '.mode', "'%s' must be one of %s" % (mode, ', '.join(MODES)))
        address = None
        if item.get('address'):
            address, prefixlen, version = _validate.interface_address(where + '.address', item['address'])
            if version != 4:
                raise OptionError(where + '.address', "'%s' is not IPv4; endpoints are IPv4" % item['address'])
            if mode == 'routed':
                if '/' in str(item['address']) and prefixlen != 32:
                    raise OptionError(where + '.address', "'%s' must be a /32 (or a bare address) for a routed endpoint" % item['address'])
                prefixlen = 32
            if subnet is not None and ipaddress.ip_address(address) not in subnet:
                raise OptionError(where + '.address', '%s is outside subnet %s' % (address, subnet))
            unique('address', address, where + '.address')
            address = (address, prefixlen)
        elif params.get('state', 'present') == 'present':
            raise OptionError(where + '.address', 'is required')
        endpoints.append({
            'name': name,
            'netns': netns,
            'interface': interface,
            'host_interface': host_interface,
            'mode': mode,
            'address': address,
            'mtu': _validate.mtu(where + '.mtu', item.get('mtu')) or default_mtu,
            'publish': publish,
            'docker_container': container,
            # Whether this module creates the namespace is only known from the kernel; the reader fills it in.
            'created_netns': None,
        })

    by_name = dict((endpoint['name'], endpoint) for endpoint in endpoints)
    for where, endpoint in sharing:
        target = by_name.get(endpoint['netns_of'])
        if target is None or target.get('netns_of'):
            raise OptionError(where + '.netns_of', "'%s' is not an endpoint of this list with a namespace of its own" % endpoint['netns_of'])
        target.setdefault('sharers', []).append(endpoint['name'])
    if any(endpoint['mode'] == 'bridge' for endpoint in endpoints) and params.get('state', 'present') == 'present':
        if not params.get('bridge'):
            raise OptionError('bridge', 'is required for endpoints in bridge mode')
        _validate.ifname('bridge', params['bridge'])
    return {
        'owner': owner,
        'state': params.get('state') or 'present',
        'purge': bool(params.get('purge')),
        # Owned endpoints a purge leaves alone (the boot-time restore's Docker endpoints).
        'keep': set(params.get('keep') or []),
        'bridge': params.get('bridge'),
        'gateway': gateway,
        'netns': _validate.netns('netns', params.get('netns')),
        'endpoints': endpoints,
    }


SHARING_FORBIDS = ('netns', 'host_interface', 'address', 'mtu', 'docker_container', 'publish')


def _sharing_endpoint(item, where, unique):
    """An endpoint in another endpoint's namespace (Docker's --network container:<name>): only a
    name for that namespace, no interface, address or port of its own."""
    target = item['netns_of']
    if not NAME_PATTERN.match(str(target)):
        raise OptionError(where + '.netns_of', "'%s' must be the name of another endpoint" % target)
    for option in SHARING_FORBIDS:
        if item.get(option):
            raise OptionError(where + '.' + option, "does not go with netns_of: the endpoint has '%s''s namespace, "
                              "interface and address" % target)
    name = item['name']
    unique('netns', name, where + '.name')
    return {'name': name, 'netns': name, 'netns_of': target, 'interface': None, 'host_interface': None, 'mode': None,
            'address': None, 'mtu': None, 'publish': [], 'docker_container': None, 'created_netns': None}


def endpoint_view(endpoint, mtu=None):
    """What the diff shows of one endpoint as requested (mtu: the current one when not requested)."""
    if endpoint.get('netns_of'):
        return {'netns': endpoint['netns'], 'netns_of': endpoint['netns_of']}
    return {
        'netns': endpoint['netns'],
        'interface': endpoint['interface'],
        'host_interface': endpoint['host_interface'],
        'mode': endpoint['mode'],
        'address': '%s/%s' % endpoint['address'] if endpoint.get('address') else None,
        'mtu': endpoint['mtu'] or mtu,
        'publish': [rule['text'] for rule in endpoint['publish']],
    }


def observed_view(endpoint, observed, published):
    """The same view, of an endpoint as the kernel has it (`published`: its current publish texts)."""
    if endpoint.get('netns_of'):
        return {'netns': endpoint['netns'] if observed['netns_state'] == 'present' else None, 'netns_of': endpoint['netns_of']}
    inside = observed['inside'] if observed['paired'] else None
    addresses = managed_addresses(observed['inside_addresses']) if inside else []
    host_link = observed['host_link']
    return {
        'netns': endpoint['netns'],
        'interface': endpoint['interface'],
        'host_interface': endpoint['host_interface'],
        'mode': ('bridge' if host_link and host_link['master'] else 'routed') if inside else None,
        'address': addresses[0] if len(addresses) == 1 else (addresses or None),
        'mtu': inside['mtu'] if inside else None,
        'publish': published,
    }


def bridge_gateway(desired, bridge_addresses, endpoint, where):
    """The default gateway of a bridge endpoint: `gateway`, else the bridge address on its subnet."""
    if desired['gateway']:
        return desired['gateway']
    address = ipaddress.ip_address(endpoint['address'][0])
    for candidate, prefixlen in bridge_addresses:
        if ipaddress.ip_address(candidate).version == 4 and \
                address in ipaddress.ip_network('%s/%s' % (candidate, prefixlen), strict=False):
            return candidate
    ipv4 = ['%s/%s' % item for item in bridge_addresses if ipaddress.ip_address(item[0]).version == 4]
    raise OptionError(where + '.address', "%s is on no subnet of bridge '%s' (its IPv4 addresses: %s); set gateway" % (
        address, desired['bridge'], ', '.join(ipv4) or 'none'))


def _route_present(routes, destination, prefixlen, gateway, oif, scope=None):
    for route in routes:
        if route['table'] != MAIN_TABLE or route['prefixlen'] != prefixlen or route['oif'] != oif:
            continue
        if (route['dst'] or None) != destination or route['gateway'] != gateway:
            continue
        if scope is not None and route['scope'] != scope:
            continue
        return True
    return False


def plan_endpoint(plan, desired, endpoint, observed, node, bridge, gateway):
    """Actions for one endpoint; `observed` is what the reader found for it (see _endpoints.read)."""
    netns, interface, host = endpoint['netns'], endpoint['interface'], endpoint['host_interface']
    if endpoint.get('netns_of'):
        # Another name for the namespace of endpoint netns_of (whose own actions come first).
        if observed['netns_state'] != 'present':
            if observed['netns_state'] in ('stale', 'replaced'):
                plan.add('delete', 'netns', netns, stale=observed['netns_state'] == 'stale')
            plan.add('create', 'netns', netns, attach=observed['attach'], shares=endpoint['netns_of'])
        return
    host_link = observed['host_link']
    inside = observed['inside']
    fresh = host_link is None or not observed['paired']
    if observed['netns_state'] != 'present':
        if observed['netns_state'] in ('stale', 'replaced'):
            # replaced: the name still holds the namespace of a container that was since replaced
            # (restarted, recreated): only the name goes, and the container's new one gets it.
            plan.add('delete', 'netns', netns, stale=observed['netns_state'] == 'stale')
        if endpoint.get('docker_container'):
            plan.add('create', 'netns', netns, attach=observed['attach'], container=endpoint['docker_container'])
        else:
            plan.add('create', 'netns', netns)
    if host_link is not None and not observed['paired']:
        # Ours (the reader refuses foreign links) but not paired with the container end: renew it.
        plan.add('delete', 'link', host, netns=node)
    if fresh:
        plan.add('create', 'veth', host, netns=node, peer=interface, peer_netns=netns, mtu=endpoint['mtu'])
    # A namespace made by this module is removed with the endpoint; one that was there stays.
    endpoint = dict(endpoint, created_netns=observed['netns_state'] != 'present' or bool(observed['created_netns']))
    alias = alias_for(desired['owner'], endpoint)
    host_settings = {}
    if fresh or host_link['alias'] != alias:
        host_settings['alias'] = alias
    # A bridge made in this very run has no index yet (None), like a port that lost its bridge.
    if endpoint['mode'] == 'bridge' and (fresh or not host_link['master'] or host_link['master'] != bridge['index']):
        host_settings['master'] = desired['bridge']
    if endpoint['mode'] == 'routed' and not fresh and host_link['master']:
        host_settings['master'] = ''
    if not fresh and endpoint['mtu'] and host_link['mtu'] != endpoint['mtu']:
        host_settings['mtu'] = endpoint['mtu']
    if fresh or not host_link['up']:
        host_settings['state'] = 'up'
    if host_settings:
        plan.add('set', 'link', host, netns=node, **host_settings)
    if endpoint['mode'] == 'bridge' and endpoint['publish'] and (fresh or not host_link['port_data'].get('IFLA_BRPORT_MODE')):
        # With bridge netfilter, a container reaching its own published port needs its frames
        # to leave through the port they came in on.
        plan.add('set', 'port', host, netns=node, hairpin=True)

    if fresh or not observed['loopback_up']:
        plan.add('set', 'link', 'lo', netns=netns, state='up')
    current_addresses = [] if fresh else managed_addresses(observed['inside_addresses'])
    wanted_address = '%s/%s' % endpoint['address']
    for address in current_addresses:
        if address != wanted_address:
            plan.add('delete', 'address', address, link=interface, netns=netns)
    if wanted_address not in current_addresses:
        plan.add('add', 'address', wanted_address, link=interface, netns=netns)
    inside_settings = {}
    if not fresh and endpoint['mtu'] and inside['mtu'] != endpoint['mtu']:
        inside_settings['mtu'] = endpoint['mtu']
    if fresh or not inside['up']:
        inside_settings['state'] = 'up'
    if inside_settings:
        plan.add('set', 'link', interface, netns=netns, **inside_settings)

    # Deleting an address makes the kernel drop the routes that relied on it (the default route
    # via the old subnet's gateway): replace them after an address change.
    address_changed = any(address != wanted_address for address in current_addresses)
    routes = [] if fresh or address_changed else observed['routes']
    inside_index = None if fresh else inside['index']
    if endpoint['mode'] == 'bridge':
        if not _route_present(routes, None, 0, gateway, inside_index):
            plan.add('replace', 'route', '0.0.0.0/0', netns=netns, gateway=gateway, device=interface)
    else:
        if not _route_present(routes, ROUTED_GATEWAY, 32, None, inside_index, SCOPE_LINK):
            plan.add('replace', 'route', ROUTED_GATEWAY + '/32', netns=netns, device=interface, scope='link')
        if not _route_present(routes, None, 0, ROUTED_GATEWAY, inside_index):
            plan.add('replace', 'route', '0.0.0.0/0', netns=netns, gateway=ROUTED_GATEWAY, device=interface)
        host_index = None if fresh else host_link['index']
        if fresh or not _route_present(observed['host_routes'], endpoint['address'][0], 32, None, host_index, SCOPE_LINK):
            plan.add('replace', 'route', endpoint['address'][0] + '/32', netns=node, device=host, scope='link')
        for option, value in sorted(ROUTED_HOST_SYSCTLS.items()):
            if fresh or observed['host_sysctls'].get(option) != value:
                key = sysctl_key(option, host)
                plan.add('set', 'sysctl', dotted(key), netns=node, value=value, _key=key)


def plan_removals(plan, node, removals):
    """Actions that remove endpoints this module made (entries of `owned`).

    Namespaces this module created are deleted first: the kernel then takes their veths down in
    one batch, several times faster than deleting veths one by one; the run then waits for the
    host ends to disappear. Endpoints in namespaces that existed before lose only their veth.
    """
    # Names of shared namespaces first: they would hold the namespace their endpoint deletes.
    removals = sorted(removals, key=lambda owned: owned['host_interface'] is not None)
    batched = [owned for owned in removals if owned['created_netns'] and not owned.get('attached')]
    for owned in removals:
        if owned['host_interface'] is not None and (not owned['created_netns'] or owned.get('attached')):
            plan.add('delete', 'link', owned['host_interface'], netns=node)
    for owned in removals:
        if owned['created_netns']:
            # An attached name (a Docker container's namespace) goes too; the namespace stays.
            plan.add('delete', 'netns', owned['netns'])
    if batched:
        plan.add('await', 'removal', 'host interfaces', netns=node, count=len(batched),
                 _links=[owned['host_interface'] for owned in batched])


def plan_endpoints(desired, current):
    """The plan for all endpoints. `current` comes from the kernel reader (_endpoints.read):
    {owned: {name: {host_interface, netns, created_netns}} of this owner, bridge: link or None,
     bridge_addresses: [(address, prefixlen)], endpoints: {name: observed}, published: {name: [texts]}}.
    """
    node = desired['netns']
    owned = current['owned']
    before = dict((name, {'netns': item['netns'], 'host_interface': item['host_interface']}) for name, item in owned.items())
    after = dict(before)
    plan = Plan(before, after)
    listed = set(endpoint['name'] for endpoint in desired['endpoints'])

    removals = []
    if desired['state'] == 'absent':
        for endpoint in desired['endpoints']:
            if endpoint['name'] in owned:
                # The names of its namespace go with it (they would keep it alive).
                for name in [endpoint['name']] + owned[endpoint['name']].get('sharers', []):
                    if name in owned and owned[name] not in removals:
                        removals.append(owned[name])
                        after.pop(name, None)
    else:
        bridge = current['bridge']
        if any(endpoint['mode'] == 'bridge' for endpoint in desired['endpoints']):
            if bridge is None:
                raise OptionError('bridge', "'%s' does not exist%s" % (
                    desired['bridge'], " in network namespace '%s'" % node if node else ''))
            if bridge['kind'] != 'bridge':
                raise OptionError('bridge', "'%s' is a %s, not a bridge" % (desired['bridge'], bridge['kind']))
        # Names of shared namespaces last: the namespace they name is made first.
        for position, endpoint in sorted(enumerate(desired['endpoints']), key=lambda item: item[1].get('netns_of') is not None):
            observed = current['endpoints'][endpoint['name']]
            gateway = None
            if endpoint['mode'] == 'bridge':
                gateway = bridge_gateway(desired, current['bridge_addresses'], endpoint, 'endpoints[%d]' % position)
            kept = [] if desired['purge'] else [name for name in owned.get(endpoint['name'], {}).get('sharers', []) if name not in listed]
            if kept:
                # Names of its namespace this call does not mention stay, and stay recorded.
                endpoint = dict(endpoint, sharers=list(endpoint.get('sharers', [])) + kept)
            plan_endpoint(plan, desired, endpoint, observed, node, bridge, gateway)
            if endpoint['name'] in owned:
                before[endpoint['name']] = observed_view(endpoint, observed, current['published'].get(endpoint['name'], []))
            after[endpoint['name']] = endpoint_view(endpoint, before.get(endpoint['name'], {}).get('mtu'))

    if desired['purge']:
        for name in sorted(set(owned) - listed - desired.get('keep', set())):
            removals.append(owned[name])
            after.pop(name, None)
    plan_removals(plan, node, removals)
    return plan


def check_foreign(desired, host_links):
    """A listed host interface that exists but is not one of this owner's endpoints is an error."""
    for position, endpoint in enumerate(desired['endpoints']):
        link = host_links.get(endpoint['host_interface'])
        if link is None:
            continue
        marker = parse_alias(link.get('alias'))
        if marker is None or marker['owner'] != desired['owner'] or marker['name'] != endpoint['name']:
            raise FabricError("endpoints[%d].host_interface: '%s' already exists and is not endpoint '%s' of owner '%s'; "
                              "choose another host_interface or remove it" % (
                                  position, endpoint['host_interface'], endpoint['name'], desired['owner']))


# --- published ports (NAT rules through _plan_nat / _netfilter) ---------------------------------

def nat_owner(owner):
    """Owner label of the NAT rules of this module's endpoints."""
    return 'ep.' + owner


def publish_rule_name(endpoint, rule):
    """A rule's name, from its content: reordering the publish list renames nothing."""
    parts = [endpoint['name'], rule['protocol']]
    if rule['host_address']:
        parts.append(rule['host_address'])
    parts.append(str(rule['host_ports'][0]))
    return '.'.join(parts)


def desired_nat_rules(desired, nat_current, removed_names):
    """NAT rules for the published ports, and `absent` entries for the rules of listed or removed
    endpoints that are no longer wanted. Rules of endpoints this call does not mention stay."""
    rules = []
    wanted = set()
    if desired['state'] == 'present':
        for position, endpoint in enumerate(desired['endpoints']):
            for index, published in enumerate(endpoint['publish']):
                rule = publish_rule(publish_rule_name(endpoint, published), published, endpoint['address'][0],
                                    option='endpoints[%d].publish[%d]' % (position, index))
                rules.append(rule)
                wanted.add(rule['name'])
    mentioned = set(endpoint['name'] for endpoint in desired['endpoints']) | set(removed_names)
    owner = nat_owner(desired['owner'])
    stale = sorted(set(
        entry['name'] for entry in nat_current
        if entry['kind'] == 'rule' and entry['owner'] == owner and entry['name'] not in wanted
        and entry['name'].split('.', 1)[0] in mentioned))
    rules.extend(normalise_rule({'name': name, 'state': 'absent'}) for name in stale)
    return rules


def published_now(desired, nat_current, nat_rules):
    """{endpoint name: [publish texts whose rule is in the kernel as wanted]}, for the before view."""
    owner = nat_owner(desired['owner'])
    present_tags = set(entry['tag'] for entry in nat_current if entry['kind'] == 'rule')
    in_kernel = set(rule['name'] for rule in nat_rules if rule.get('state') != 'absent' and tag_of(owner, rule) in present_tags)
    return dict(
        (endpoint['name'], [rule['text'] for rule in endpoint['publish'] if publish_rule_name(endpoint, rule) in in_kernel])
        for endpoint in desired['endpoints'])

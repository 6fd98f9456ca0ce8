# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads what the endpoints module needs from the kernel, in as few requests as possible.

One link dump of the node namespace finds every host end, the bridge and the endpoints this
owner made (their alias); then each container namespace is visited once for its links,
addresses and routes. Routed host ends' sysctls are read in one visit to the node namespace.
"""

from __future__ import annotations

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns
from ansible_collections.linuxnet.fabric.plugins.module_utils.services._docker_api import DockerAPI, DockerUnavailable
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.netfilter._netfilter import make_backend
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import AF_INET, Session
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_endpoints import (
    MAIN_TABLE,
    ROUTED_HOST_SYSCTLS,
    check_foreign,
    desired_nat_rules,
    nat_owner,
    parse_alias,
    published_now,
)
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_nat import plan_rules
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_sysctl import sysctl_key
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._sysctl import Sysctls


def _paired(host_link, inside):
    """The host end and the container end are the two ends of one veth (across namespaces)."""
    return (host_link is not None and inside is not None and host_link['kind'] == 'veth' and inside['kind'] == 'veth'
            and host_link['peer_index'] == inside['index'] and inside['peer_index'] == host_link['index']
            and host_link['peer_netnsid'] is not None)


def _observe_inside(netns, interface):
    # Read-only, once per endpoint: a session opens no pyroute2 socket until it changes something.
    with Session(netns) as session:
        links = session.links()
        inside = links.get(interface)
        return {
            'inside': inside,
            'loopback_up': bool(links.get('lo') and links['lo']['up']),
            'inside_addresses': [(item['address'], item['prefixlen']) for item in session.addresses(inside['index'])] if inside else [],
            'routes': session.routes(family=AF_INET, table=MAIN_TABLE) if inside else [],
        }


def docker_container_netns(name, api=None):
    """(the namespace of a running Docker container, as /proc/<pid>/ns/net, its network mode), or
    None when there is no such running container."""
    container = (api or DockerAPI()).container(name)
    state = (container or {}).get('State') or {}
    if not state.get('Running') or not state.get('Pid'):
        return None
    return '/proc/%d/ns/net' % state['Pid'], (container.get('HostConfig') or {}).get('NetworkMode')


def _docker_netns(endpoint, where, lookup):
    try:
        found = lookup(endpoint['docker_container'])
    except DockerUnavailable as error:
        raise OptionError(where + '.docker_container', 'needs the node\'s dockerd: %s' % error)
    if found is None:
        raise OptionError(where + '.docker_container', "no running Docker container '%s' on this node" % endpoint['docker_container'])
    path, mode = found
    if mode != 'none':
        raise OptionError(where + '.docker_container', "'%s' runs with --network %s; start it with --network none, so that "
                          "the fabric's interface is its only one" % (endpoint['docker_container'], mode))
    return path


def _replaced_or_foreign(endpoint, netns, where, owned):
    """A name that holds another namespace than the one wanted: `replaced` when this owner made
    it (its record says so), an error when somebody else's namespace has that name."""
    if endpoint in owned:
        return 'replaced'
    raise FabricError("%s: network namespace '%s' exists and is not this owner's; choose another name or remove it" % (where, netns))


def _observe_sharer(endpoint, target_netns, target_namespace, where, owned):
    """A name for another endpoint's namespace: present while it names that very namespace
    (`target_namespace`: where the target's namespace is now, a container's after a restart)."""
    state = _netns.state(endpoint['netns'])
    if state == 'present' and _netns.inode(endpoint['netns']) != _netns.inode(target_namespace):
        state = _replaced_or_foreign(endpoint['name'], endpoint['netns'], where + '.netns_of', owned)
    return {'netns_state': state, 'attach': target_netns, 'host_link': None, 'created_netns': True, 'inside': None,
            'paired': False, 'inside_addresses': [], 'routes': [], 'loopback_up': False, 'host_routes': [], 'host_sysctls': {}}


def read(desired, node_session, docker_lookup=docker_container_netns):
    """The `current` argument of _plan_endpoints.plan_endpoints (without `published`).

    An endpoint in a Docker container (docker_container) has the container's namespace under its
    netns name; when the name holds another namespace (the container was restarted or recreated
    since), its state is `replaced`."""
    links = node_session.links()
    check_foreign(desired, links)
    owned = {}
    for link in links.values():
        marker = parse_alias(link['alias'])
        if marker and marker['owner'] == desired['owner']:
            owned[marker['name']] = dict(marker, host_interface=link['name'])
            for sharer in marker['sharers']:
                # A name for this endpoint's namespace, made by this owner (netns_of).
                owned[sharer] = {'owner': marker['owner'], 'name': sharer, 'netns': sharer, 'created_netns': True, 'attached': True,
                                 'sharers': [], 'address': None, 'host_interface': None, 'netns_of': marker['name']}
    bridge = links.get(desired['bridge']) if desired['bridge'] else None

    routed = [endpoint for endpoint in desired['endpoints'] if endpoint['mode'] == 'routed']
    host_routes = node_session.routes(family=AF_INET, table=MAIN_TABLE) if routed else []
    sysctl_keys = dict(((endpoint['host_interface'], option), sysctl_key(option, endpoint['host_interface']))
                       for endpoint in routed if endpoint['host_interface'] in links for option in ROUTED_HOST_SYSCTLS)
    sysctl_values = Sysctls(desired['netns']).read(sysctl_keys.values()) if sysctl_keys else {}

    endpoints = {}
    netns_of = dict((endpoint['name'], endpoint['netns']) for endpoint in desired['endpoints'])
    for position, endpoint in enumerate(desired['endpoints']):
        if endpoint.get('netns_of'):
            continue  # below, once the namespace it names is known
        host_link = links.get(endpoint['host_interface'])
        netns_state = _netns.state(endpoint['netns'])
        attach = None
        if endpoint.get('docker_container') and desired['state'] == 'present':
            attach = _docker_netns(endpoint, 'endpoints[%d]' % position, docker_lookup)
            if netns_state == 'present' and _netns.inode(endpoint['netns']) != _netns.inode(attach):
                netns_state = _replaced_or_foreign(endpoint['name'], endpoint['netns'], 'endpoints[%d].docker_container' % position, owned)
        observed = {
            'netns_state': netns_state,
            'attach': attach,
            'host_link': host_link,
            'created_netns': owned.get(endpoint['name'], {}).get('created_netns', False),
            'host_routes': host_routes,
            'host_sysctls': dict(
                (option, int(sysctl_values[sysctl_keys[(endpoint['host_interface'], option)]]))
                for option in ROUTED_HOST_SYSCTLS
                if sysctl_values.get(sysctl_keys.get((endpoint['host_interface'], option))) is not None),
            'inside': None, 'loopback_up': False, 'inside_addresses': [], 'routes': [],
        }
        if observed['netns_state'] == 'present':
            observed.update(_observe_inside(endpoint['netns'], endpoint['interface']))
        observed['paired'] = _paired(host_link, observed['inside'])
        endpoints[endpoint['name']] = observed
    for position, endpoint in enumerate(desired['endpoints']):
        if endpoint.get('netns_of'):
            target = endpoints.get(endpoint['netns_of']) or {}
            # A container's namespace moves when it restarts: the name follows it in the same run.
            endpoints[endpoint['name']] = _observe_sharer(endpoint, netns_of[endpoint['netns_of']],
                                                          target.get('attach') or netns_of[endpoint['netns_of']],
                                                          'endpoints[%d]' % position, owned)
    return {
        'owned': owned,
        'bridge': bridge,
        'bridge_addresses': node_session.address_tuples(bridge) if bridge is not None else [],
        'endpoints': endpoints,
    }


def resulting_endpoints(desired, current):
    """What the module returns: each listed endpoint as the kernel has it."""
    result = []
    for endpoint in desired['endpoints']:
        observed = current['endpoints'].get(endpoint['name'])
        if observed is None:
            continue
        if endpoint.get('netns_of'):
            result.append({'name': endpoint['name'], 'netns': endpoint['netns'], 'netns_of': endpoint['netns_of'],
                           'exists': observed['netns_state'] == 'present', 'interface': None, 'host_interface': None,
                           'mode': None, 'addresses': [], 'mac': None, 'mtu': None, 'publish': []})
            continue
        inside = observed['inside'] if observed['paired'] else None
        result.append({
            'name': endpoint['name'],
            'netns': endpoint['netns'],
            'interface': endpoint['interface'],
            'host_interface': endpoint['host_interface'],
            'mode': endpoint['mode'],
            'exists': inside is not None,
            'addresses': ['%s/%s' % address for address in observed['inside_addresses']] if inside else [],
            'mac': inside['mac'] if inside else None,
            'mtu': inside['mtu'] if inside else None,
            'publish': [rule['text'] for rule in endpoint['publish']],
        })
    return result


def owned_endpoints(owner, node_session):
    """The endpoints `owner` made on this node, as the kernel has them (for endpoints_info)."""
    links = node_session.links()
    found = []
    for link in sorted(links.values(), key=lambda item: item['name']):
        marker = parse_alias(link['alias'])
        if not marker or marker['owner'] != owner:
            continue
        entry = {'name': marker['name'], 'netns': marker['netns'], 'host_interface': link['name'],
                 'mode': 'bridge' if link['master'] else 'routed', 'interface': None, 'addresses': [], 'address': None}
        if _netns.state(marker['netns']) == 'present' and link['peer_netnsid'] is not None:
            with Session(marker['netns']) as session:
                inside = session.link_by_index(link['peer_index'])
                if inside is not None and inside['peer_index'] == link['index']:
                    entry['interface'] = inside['name']
                    entry['addresses'] = ['%s/%s' % address for address in session.address_tuples(inside)
                                          if ':' not in address[0]]
        entry['address'] = entry['addresses'][0] if entry['addresses'] else None
        found.append(entry)
    return found


def plan_published_ports(run_command, backend_kind, desired, current, backend=None, nat_current=None):
    """(backend, its rules, NAT plan, {endpoint: publish texts now in the kernel}) for the published ports.

    The NAT rules are read only when something may be published or unpublished, so endpoints
    without published ports never need iptables or nft. A caller that read the backend already
    passes `backend` and `nat_current`.
    """
    listed = set(endpoint['name'] for endpoint in desired['endpoints'])
    # Endpoints purge removes; listed endpoints (also with state=absent) are handled by name.
    removed = sorted(set(current['owned']) - listed - desired.get('keep', set())) if desired['purge'] else []
    relevant = any(endpoint['publish'] for endpoint in desired['endpoints']) or removed or \
        any(endpoint['name'] in current['owned'] for endpoint in desired['endpoints'])
    if not relevant:
        return backend, nat_current, plan_rules([], [], nat_owner(desired['owner'])), {}
    if backend is None:
        backend = make_backend(backend_kind, run_command, netns=desired['netns'])
        nat_current = backend.read()
    rules = desired_nat_rules(desired, nat_current, removed)
    plan = plan_rules(rules, nat_current, nat_owner(desired['owner']), backend=backend.kind)
    return backend, nat_current, plan, published_now(desired, nat_current, rules)

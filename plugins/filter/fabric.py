# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric plan: per-node subnets, endpoint addresses and peer routes, computed on the controller.

Documentation: fabric_plan.yml. Everything is validated here, once, before any node is changed;
every error names the host(s) and the variable to fix.
"""

from __future__ import annotations

import re
import traceback

from ansible.errors import AnsibleFilterError

from ansible_collections.linuxnet.fabric.plugins.filter.etcd import EtcdPlanError, etcd_cluster
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _overlay, _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_endpoints import endpoint_fields
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_schema import MODES, PLAN_VERSION

try:
    import netaddr
except ImportError:
    NETADDR_IMPORT_ERROR = traceback.format_exc()
else:
    NETADDR_IMPORT_ERROR = None

CLUSTER_SETTINGS = ('fabric_mode', 'fabric_cluster_cidr', 'fabric_node_subnet_prefix')
DEFAULT_SUBNET_PREFIX = 24
# The overlay's settings (flannel's names in docs/fabrics.md) -> the keys of _overlay.overlay_settings.
OVERLAY_VARIABLES = {
    'fabric_cluster_cidr': 'network',
    'fabric_node_subnet_prefix': 'subnet_len',
    'fabric_overlay_subnet_min': 'subnet_min',
    'fabric_overlay_subnet_max': 'subnet_max',
    'fabric_overlay_vni': 'vni',
    'fabric_overlay_port': 'port',
    'fabric_overlay_direct_routing': 'direct_routing',
    'fabric_overlay_etcd_prefix': 'prefix',
    'fabric_overlay_device': 'device',
    'fabric_overlay_ip_masq': 'ip_masq',
    'fabric_overlay_tx_checksum_offload': 'tx_checksum_offload',
    'fabric_overlay_lease_ttl': 'lease_ttl',
}
# Cluster-wide too, but not settings of the network: how the leases reach etcd.
OVERLAY_ETCD_VARIABLES = ('fabric_overlay_etcd_endpoints', 'fabric_overlay_etcd_ca_file', 'fabric_overlay_etcd_cert_file',
                          'fabric_overlay_etcd_key_file', 'fabric_overlay_etcd_transport', 'fabric_overlay_config_replace')
# The first host address of a node subnet belongs to the node (the bridge gateway in bridge_nat).
NODE_ADDRESS_OFFSET = 1


class PlanError(AnsibleFilterError):
    """Invalid fabric inventory; the message names the hosts and the variable."""


def _network(text, what):
    try:
        network = netaddr.IPNetwork(str(text))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise PlanError("%s: '%s' is not a network in CIDR notation" % (what, text))
    if network.version != 4:
        raise PlanError("%s: '%s' is not IPv4; the fabric is IPv4" % (what, text))
    if network.ip != network.network:
        raise PlanError("%s: '%s' has host bits set (did you mean %s?)" % (what, text, network.cidr))
    return network


def _address(text, what):
    try:
        return netaddr.IPAddress(str(text).split('/', maxsplit=1)[0])
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise PlanError("%s: '%s' is not an IP address" % (what, text))


def _without(items, index):
    """The list without its item at `index` (None: all of it), as slices: a node's peers are
    everyone else, built for each of N nodes."""
    return list(items) if index is None else items[:index] + items[index + 1:]


def _overlaps(left, right):
    return left.first <= right.last and right.first <= left.last


def _same_everywhere(names, hostvars, variables):
    """{variable: value} of settings every node must agree on; an error names who differs."""
    settings = {}
    for variable in variables:
        values = {}
        for name in names:
            value = hostvars[name].get(variable)
            if variable == 'fabric_node_subnet_prefix' and value is None and hostvars[name].get('fabric_mode') != 'overlay':
                value = DEFAULT_SUBNET_PREFIX
            values.setdefault(str(value), []).append(name)
        if len(values) > 1:
            raise PlanError('%s differs between hosts: %s; it must be the same on every node' % (
                variable, '; '.join('%s on %s' % (value, ', '.join(hosts)) for value, hosts in sorted(values.items()))))
        settings[variable] = hostvars[names[0]].get(variable)
    return settings


def _cluster_settings(names, hostvars):
    """The cluster-wide settings, which every node must agree on."""
    settings = _same_everywhere(names, hostvars, CLUSTER_SETTINGS)
    if settings['fabric_mode'] not in MODES:
        raise PlanError("fabric_mode is '%s' on %s; it must be one of %s" % (
            settings['fabric_mode'], ', '.join(names), ', '.join(MODES)))
    if settings['fabric_mode'] == 'overlay':
        # flannel's rules and defaults (SubnetLen by the network's size): checked by the overlay's own validator.
        return settings['fabric_mode'], None, None
    if settings['fabric_cluster_cidr'] is None:
        raise PlanError('fabric_cluster_cidr is not set on %s' % ', '.join(names))
    cluster = _network(settings['fabric_cluster_cidr'], 'fabric_cluster_cidr')
    prefix = settings['fabric_node_subnet_prefix']
    prefix = DEFAULT_SUBNET_PREFIX if prefix is None else prefix
    if not isinstance(prefix, int) or isinstance(prefix, bool) or not cluster.prefixlen < prefix <= 30:
        raise PlanError('fabric_node_subnet_prefix is %s; it must be between %d (the cluster prefix + 1) and 30' % (
            prefix, cluster.prefixlen + 1))
    return settings['fabric_mode'], cluster, prefix


def _underlay(name, variables):
    """(address, network, interface, mtu) of a node's underlay: variables first, then the facts of
    linuxnet.fabric.fabric_facts, then Ansible's default_ipv4."""
    facts = variables.get('ansible_facts') or {}
    default = (facts.get('linuxnet_fabric') or {}).get('underlay') or facts.get('default_ipv4') or {}
    address = variables.get('fabric_underlay_address') or default.get('address')
    interface = variables.get('fabric_underlay_interface') or default.get('interface')
    if not address:
        raise PlanError('%s has no underlay address: set fabric_underlay_address, or read the facts '
                        '(linuxnet.fabric.fabric_facts) of a node with a default route' % name)
    address = _address(address, 'fabric_underlay_address of %s' % name)
    prefix = variables.get('fabric_underlay_prefix') or default.get('prefix')
    network = netaddr.IPNetwork('%s/%s' % (address, prefix or 32)).cidr
    if not interface:
        raise PlanError('%s has no underlay interface: set fabric_underlay_interface, or read the facts '
                        '(linuxnet.fabric.fabric_facts) of a node with a default route' % name)
    mtu = variables.get('fabric_underlay_mtu') or default.get('mtu') or 1500
    if isinstance(mtu, bool) or not str(mtu).strip().isdigit() or not 68 <= int(mtu) <= 65535:
        raise PlanError("fabric_underlay_mtu of %s is '%s'; it must be an MTU from 68 to 65535" % (name, mtu))
    return address, network, interface, int(mtu)


def _derived_subnet(name, address, network, cluster, prefix):
    """The node's host number on its underlay network picks its subnet of the cluster CIDR.

    node 10.88.0.11 on 10.88.0.0/24 -> the 11th /24 of 172.19.0.0/16 = 172.19.11.0/24. It depends
    on nothing but the node itself, so adding or removing nodes never renumbers the others.
    """
    index = int(address) - network.first
    count = 2 ** (prefix - cluster.prefixlen)
    if not 0 <= index < count:
        raise PlanError('%s: its host number %d on the underlay %s is beyond the %d subnets of /%d in '
                        'fabric_cluster_cidr %s; set fabric_node_subnet for it' % (name, index, network, count, prefix, cluster))
    return netaddr.IPNetwork('%s/%d' % (netaddr.IPAddress(cluster.first + index * 2 ** (32 - prefix)), prefix))


def _endpoint_items(name, variables):
    """A host's fabric_endpoints checked on their own (no subnet needed): [{name, address (int or
    None), publish, docker_container?, netns_of?}]. Names, Docker names and published ports go
    through the endpoints module's own check (endpoint_fields), so the controller and the node
    apply one set of rules; errors read `<host>: fabric_endpoints[i].<field> ...`."""
    endpoints = variables.get('fabric_endpoints') or []
    if not isinstance(endpoints, list):
        raise PlanError('%s: fabric_endpoints must be a list of {name, address, publish}' % name)
    names = set()
    published = {}
    planned = []
    for position, endpoint in enumerate(endpoints):
        where = 'fabric_endpoints[%d]' % position
        try:
            endpoint_name, container, _rules = endpoint_fields(endpoint, where, published)
        except OptionError as error:
            raise PlanError('%s: %s %s' % (name, error.option, error.problem))
        if endpoint_name in names:
            raise PlanError("%s: %s.name: '%s' is used twice" % (name, where, endpoint_name))
        names.add(endpoint_name)
        address = int(_address(endpoint['address'], '%s: %s.address' % (name, where))) if endpoint.get('address') else None
        if endpoint.get('netns_of'):
            # Docker's --network container:<name> for the fabric's endpoints: a name for another
            # endpoint's namespace, with that one's interface and address.
            for option in ('address', 'publish', 'docker_container'):
                if endpoint.get(option):
                    raise PlanError("%s: %s.%s: an endpoint with netns_of has the namespace, interface and address of '%s'; "
                                    "it has no %s of its own" % (name, where, option, endpoint['netns_of'], option))
            planned.append({'name': endpoint_name, 'address': None, 'publish': [], 'netns_of': str(endpoint['netns_of']),
                            'position': position})
            continue
        planned.append({'name': endpoint_name, 'address': address, 'publish': list(endpoint.get('publish') or []),
                        'position': position})
        if container:
            # The endpoint is a Docker container's namespace (started with --network none).
            planned[-1]['docker_container'] = str(container)
    owners = dict((endpoint['name'], endpoint) for endpoint in planned)
    for endpoint in planned:
        target = owners.get(endpoint.get('netns_of')) if endpoint.get('netns_of') else None
        if endpoint.get('netns_of') and (target is None or target.get('netns_of')):
            raise PlanError("%s: fabric_endpoints[%d].netns_of: '%s' is not an endpoint of %s with a namespace of its own" % (
                name, endpoint['position'], endpoint['netns_of'], name))
    return planned


def _endpoints(name, variables, subnet, pool, mode, existing):
    """Endpoints of a node with addresses: given ones, then the ones they have now, then the next free.

    `pool` is a range of integer addresses; integers and sets keep this linear in the number of
    endpoints, which matters with hundreds per node. With `subnet` None (an overlay node whose
    lease is not known yet) the endpoints are only checked.
    """
    planned = _endpoint_items(name, variables)
    prefixlen = 32 if mode == 'routed' else (subnet.prefixlen if subnet is not None else None)
    taken = {}
    for endpoint in planned:
        where = '%s: fabric_endpoints[%d].address' % (name, endpoint.pop('position'))
        address = endpoint['address']
        if address is None:
            continue
        if subnet is None:
            raise PlanError('%s: an overlay node\'s subnet comes from its lease, so its endpoints\' addresses are '
                            'known only then; give %s a fixed fabric_node_subnet to set addresses' % (where, name))
        if address not in pool:
            raise PlanError('%s: %s is not a free address of the node subnet %s (%s..%s)' % (
                where, netaddr.IPAddress(address), subnet, netaddr.IPAddress(pool[0]), netaddr.IPAddress(pool[-1])))
        if address in taken:
            raise PlanError('%s: %s is also the address of endpoint %s' % (where, netaddr.IPAddress(address), taken[address]))
        taken[address] = endpoint['name']
    sharing = [endpoint for endpoint in planned if endpoint.get('netns_of')]
    planned = [endpoint for endpoint in planned if not endpoint.get('netns_of')]
    if subnet is None:
        return planned + sharing
    # Keep what endpoints have now, so inserting or removing one never renumbers the others.
    for endpoint in planned:
        current = existing.get(endpoint['name'])
        if endpoint['address'] is None and current:
            address = int(netaddr.IPAddress(str(current).split('/', maxsplit=1)[0]))
            if address in pool and address not in taken:
                endpoint['address'] = address
                taken[address] = endpoint['name']
    free = (address for address in pool if address not in taken)
    for endpoint in planned:
        if endpoint['address'] is None:
            endpoint['address'] = next(free, None)
            if endpoint['address'] is None:
                raise PlanError('%s: fabric_endpoints: %d endpoints do not fit in the node subnet %s' % (
                    name, len(planned), subnet))
            taken[endpoint['address']] = endpoint['name']
    for endpoint in planned:
        endpoint['address'] = '%s/%d' % (netaddr.IPAddress(endpoint['address']), prefixlen)
    return planned + sharing


def _overlay_settings(names, hostvars, etcd_hosts):
    """The overlay's settings (the shared validator of _overlay) and how to reach etcd."""
    given = _same_everywhere(names, hostvars, tuple(OVERLAY_VARIABLES) + OVERLAY_ETCD_VARIABLES)
    values = dict((key, given[variable]) for variable, key in OVERLAY_VARIABLES.items())
    try:
        settings = _overlay.overlay_settings(values, dict((key, variable) for variable, key in OVERLAY_VARIABLES.items()))
    except OptionError as error:
        raise PlanError('%s (on %s)' % (_variable_message(error), ', '.join(names)))
    settings['etcd'] = _overlay_etcd(given, names, hostvars, etcd_hosts)
    settings['config_replace'] = bool(given['fabric_overlay_config_replace'])
    return settings


def _variable_message(error):
    """An OptionError of a shared validator, told in terms of the inventory variable it names."""
    return '%s %s' % (error.option, error.problem)


def _overlay_etcd(given, names, hostvars, etcd_hosts):
    """{endpoints, ca_file, cert_file, key_file, transport}: the etcd role's cluster and its
    certificates on the controller unless the inventory names an etcd of its own."""
    first = hostvars[names[0]]
    endpoints = given['fabric_overlay_etcd_endpoints']
    if not endpoints:
        if not etcd_hosts:
            raise PlanError('fabric_mode overlay keeps its leases in etcd: put hosts in the group etcd (the etcd role runs '
                            'there) or set fabric_overlay_etcd_endpoints (with _ca_file, _cert_file, _key_file) on %s'
                            % ', '.join(names))
        member_vars = hostvars[etcd_hosts[0]]
        try:
            cluster = etcd_cluster(list(etcd_hosts), hostvars, remove=member_vars.get('etcd_remove') or [],
                                   cluster_name=member_vars.get('etcd_cluster_name') or 'fabric',
                                   client_port=member_vars.get('etcd_client_port') or 2379,
                                   peer_port=member_vars.get('etcd_peer_port') or 2380, warn=False)
        except EtcdPlanError as error:
            raise PlanError('the etcd cluster the overlay uses: %s' % error)
        endpoints = [member['client_url'] for member in cluster['members']]
    elif not isinstance(endpoints, list):
        raise PlanError('fabric_overlay_etcd_endpoints on %s must be a list of URLs like https://10.88.0.11:2379' % ', '.join(names))
    try:
        endpoints = _validate.etcd_endpoints('fabric_overlay_etcd_endpoints', endpoints)
    except OptionError as error:
        raise PlanError('%s (on %s)' % (_variable_message(error), ', '.join(names)))
    # The etcd role keeps its PKI on the controller (its default etcd_pki_dir), with a client
    # certificate for the fabric's etcd user and the CA bundle members are trusted by (both CAs
    # during a CA rotation).
    pki = first.get('etcd_pki_dir') or '%s/.etcd-pki/%s' % (first.get('inventory_dir') or first.get('playbook_dir') or '.',
                                                            first.get('etcd_cluster_name') or 'fabric')
    user = first.get('etcd_fabric_user') or 'fabric'
    files = {}
    for key, default in (('ca_file', pki + '/ca-bundle.crt'), ('cert_file', '%s/%s.crt' % (pki, user)), ('key_file', '%s/%s.key' % (pki, user))):
        value = given['fabric_overlay_etcd_' + key] or (default if not given['fabric_overlay_etcd_endpoints'] else None)
        if value is not None and not isinstance(value, str):
            raise PlanError('fabric_overlay_etcd_%s on %s must be a path' % (key, ', '.join(names)))
        files[key] = value
    transport = given['fabric_overlay_etcd_transport'] or ('etcdctl' if first.get('etcd_rbac') else 'gateway')
    if transport not in _validate.ETCD_TRANSPORTS:
        raise PlanError("fabric_overlay_etcd_transport is '%s' on %s; it must be one of %s" % (
            transport, ', '.join(names), ', '.join(_validate.ETCD_TRANSPORTS)))
    return dict(files, endpoints=endpoints, transport=transport)


def _overlay_node(name, variables, settings, underlay, pinned_index):
    """A node's lease request and overlay MTU, validated; its pinned subnet must not overlap others'
    (pinned_index: {subnet: name} of the nodes before)."""
    address, network, _interface, mtu = underlay
    if _overlaps_network(settings['network'], network):
        raise PlanError('fabric_cluster_cidr %s overlaps the underlay network %s of %s (fabric_underlay_address %s)' % (
            settings['network'], network, name, address))
    try:
        overlay_mtu = _overlay.check_underlay_mtu('fabric_underlay_mtu (or the facts\' underlay MTU)', mtu)
        subnet = variables.get('fabric_node_subnet')
        subnet = _overlay.pinned_subnet('fabric_node_subnet', subnet, settings) if subnet else None
    except OptionError as error:
        raise PlanError('%s: %s' % (name, _variable_message(error)))
    if subnet is not None:
        # Pinned subnets are all of SubnetLen (pinned_subnet checks it), so two overlap only when
        # they are the same: one lookup, not a scan of every node before (1000 pinned nodes).
        other = pinned_index.get(subnet)
        if other is not None:
            raise PlanError('fabric_node_subnet of %s (%s) and of %s (%s) overlap' % (other, subnet, name, subnet))
        pinned_index[subnet] = name
    return {'name': name, 'public_ip': str(address), 'subnet': str(subnet) if subnet else None}, overlay_mtu


def _overlaps_network(ip_network, netaddr_network):
    return int(ip_network.network_address) <= netaddr_network.last and netaddr_network.first <= int(ip_network.broadcast_address)


def _node_subnet_part(name, variables, subnet, mode, docker):
    """What a node's subnet makes of its plan: the node (bridge) address, the endpoints with their
    addresses and, with Docker, its bip (the subnet's upper half; the fabric keeps the lower)."""
    part = {}
    fabric_part = subnet
    if docker:
        fabric_part, docker_part = subnet.subnet(subnet.prefixlen + 1)
        part['docker_bip'] = '%s/%d' % (netaddr.IPAddress(docker_part.first + NODE_ADDRESS_OFFSET), docker_part.prefixlen)
    node_address = netaddr.IPAddress(fabric_part.first + NODE_ADDRESS_OFFSET)
    pool = range(fabric_part.first + NODE_ADDRESS_OFFSET + 1, fabric_part.last)
    facts = (variables.get('ansible_facts') or {}).get('linuxnet_fabric') or {}
    # An endpoint keeps its address: the one the node recorded (fabric_facts' `recorded`, on the
    # node's disk, so it survives a reboot and a change of controller), or the one on its link.
    existing = dict(((facts.get('recorded') or {}).get('addresses') or {}).items())
    existing.update((item['name'], item['address']) for item in facts.get('endpoints') or [] if item.get('address'))
    part.update({
        'subnet': str(subnet),
        'node_address': str(node_address),
        'bridge_address': '%s/%d' % (node_address, fabric_part.prefixlen),
        # With Docker on the upper half, the endpoints' on-link network is the lower half only:
        # Docker's containers are reached through the bridge's address, not by ARP on it.
        'endpoints': _endpoints(name, variables, fabric_part, pool, mode, existing),
    })
    return part


def _outside_the_run(everyone, hostvars, gateways):
    """hostvars where the hosts this run did not read (--limit, unreachable: no fabric_facts) are
    described by what the others recorded of them (fabric_facts' `recorded`): the subnet and
    underlay address of a peer, the routed gateway's address. The others' routes to them stay as
    deployed; such a host's own plan is not applied in this run. A host nobody recorded needs
    fabric_underlay_address (and fabric_node_subnet) in the inventory."""
    missing = [name for name in everyone if not set(('linuxnet_fabric', 'default_ipv4')) & set(hostvars[name].get('ansible_facts') or {})
               and not hostvars[name].get('fabric_underlay_address')]
    if not missing:
        return hostvars
    known, gateway_address = {}, None
    for name in everyone:
        recorded = ((hostvars[name].get('ansible_facts') or {}).get('linuxnet_fabric') or {}).get('recorded') or {}
        for peer in recorded.get('peers') or []:
            known.setdefault(peer['name'], peer)
        gateway_address = gateway_address or recorded.get('gateway_underlay_address')
    result = dict(hostvars)
    for name in missing:
        variables = dict(hostvars[name])
        if name in known:
            variables.setdefault('fabric_node_subnet', known[name]['subnet'])
            variables['fabric_underlay_address'] = known[name]['via']
        elif name in gateways and gateway_address:
            variables['fabric_underlay_address'] = gateway_address
        else:
            raise PlanError('%s is not in this run (--limit, or unreachable) and no node of the fabric recorded it: '
                            'set fabric_underlay_address (and fabric_node_subnet) for it in the inventory' % name)
        # Only its own plan needs these, and that plan is not applied in this run.
        variables.setdefault('fabric_underlay_interface', 'unknown')
        variables['ansible_facts'] = dict(variables.get('ansible_facts') or {}, linuxnet_fabric={'underlay': {}, 'endpoints': []})
        result[name] = variables
    return result


def fabric_plan(names, hostvars, gateways=None, etcd_hosts=None, leases=None):
    """{host: plan} for every host of `names` (the fabric nodes) and `gateways` (the routed head node).

    Reads per host: fabric_mode, fabric_cluster_cidr, fabric_node_subnet_prefix (cluster-wide),
    fabric_node_subnet, fabric_endpoints, fabric_underlay_address / _interface / _prefix / _mtu
    (default: facts), bridge_nat_docker / overlay_docker, the overlay's fabric_overlay_* settings,
    and the facts of linuxnet.fabric.fabric_facts (the node's underlay and the endpoints it has,
    whose addresses are kept). An overlay is planned in two steps: without `leases` (validation,
    and the lease request for linuxnet.fabric.subnet_leases), then with that module's result.
    """
    if NETADDR_IMPORT_ERROR:
        raise AnsibleFilterError('the fabric_plan filter needs the Python library netaddr on the controller: %s' % NETADDR_IMPORT_ERROR)
    names = list(names or [])
    gateways = list(gateways or [])
    if not names:
        raise PlanError('there are no fabric nodes (inventory group fabric_nodes is empty)')
    mode, cluster, prefix = _cluster_settings(names, hostvars)
    hostvars = _outside_the_run(names + [gateway for gateway in gateways if gateway not in names], hostvars, gateways)
    if mode == 'overlay':
        return _overlay_plan(names, hostvars, list(etcd_hosts or []), leases)
    if mode == 'routed' and len(gateways) != 1:
        raise PlanError('fabric_mode routed needs exactly one host in the group fabric_gateway, found %d: %s' % (
            len(gateways), ', '.join(gateways) or 'none'))
    everyone = names + [gateway for gateway in gateways if gateway not in names]

    underlays = {}
    for name in everyone:
        underlays[name] = _underlay(name, hostvars[name])[:3]
        if _overlaps(cluster, underlays[name][1]):
            raise PlanError('fabric_cluster_cidr %s overlaps the underlay network %s of %s (fabric_underlay_address %s)' % (
                cluster, underlays[name][1], name, underlays[name][0]))
    seen_addresses = {}
    for name in everyone:
        address = underlays[name][0]
        if address in seen_addresses:
            raise PlanError('%s and %s have the same underlay address %s (fabric_underlay_address)' % (seen_addresses[address], name, address))
        seen_addresses[address] = name

    subnets = {}
    sources = {}
    for name in names:
        given = hostvars[name].get('fabric_node_subnet')
        if given:
            subnet = _network(given, 'fabric_node_subnet of %s' % name)
            if subnet.first < cluster.first or subnet.last > cluster.last:
                raise PlanError('fabric_node_subnet of %s (%s) is outside fabric_cluster_cidr %s' % (name, subnet, cluster))
            if subnet.size < 4:
                raise PlanError('fabric_node_subnet of %s (%s) is too small; a node needs at least a /30' % (name, subnet))
            sources[name] = 'fabric_node_subnet'
        else:
            subnet = _derived_subnet(name, underlays[name][0], underlays[name][1], cluster, prefix)
            sources[name] = 'derived from its underlay address %s' % underlays[name][0]
        subnets[name] = subnet
    # Sorted by where they start, two subnets overlap only if neighbours do: one pass, not all pairs.
    position = dict((name, index) for index, name in enumerate(names))
    by_start = sorted(subnets, key=lambda name: (subnets[name].first, position[name]))
    for earlier, later in zip(by_start, by_start[1:]):
        if _overlaps(subnets[earlier], subnets[later]):
            first, second = sorted((earlier, later), key=position.get)
            raise PlanError('the subnets of %s (%s, %s) and %s (%s, %s) overlap; set fabric_node_subnet on one of them' % (
                first, subnets[first], sources[first], second, subnets[second], sources[second]))

    gateway_host = gateways[0] if mode == 'routed' else None
    # Every node is everyone else's peer: each peer (and its route) is made once and shared by the
    # plans that list it, so that the plan of N nodes costs N entries, not N squared (read-only).
    peers = [{'name': other, 'subnet': str(subnets[other]), 'via': str(underlays[other][0])} for other in names]
    # In the options of linuxnet.fabric.routes.
    routes = [{'destination': peer['subnet'], 'gateway': peer['via']} for peer in peers]
    plans = {}
    for name in everyone:
        variables = hostvars[name]
        address, network, interface = underlays[name]
        plan = {
            'version': PLAN_VERSION,
            'mode': mode,
            'cluster_cidr': str(cluster),
            'underlay_address': str(address),
            'underlay_interface': interface,
            'is_node': name in subnets,
            'is_gateway': name == gateway_host,
            'gateway_underlay_address': str(underlays[gateway_host][0]) if gateway_host else None,
            'peers': _without(peers, position.get(name)),
            'routes': _without(routes, position.get(name)),
        }
        if name in subnets:
            plan.update(_node_subnet_part(name, variables, subnets[name], mode,
                                          mode == 'bridge_nat' and variables.get('bridge_nat_docker')))
        else:
            plan.update({'subnet': None, 'node_address': None, 'bridge_address': None, 'endpoints': []})
        plans[name] = plan
    return plans


def _overlay_plan(names, hostvars, etcd_hosts, leases):
    """The overlay's per-node plans; see fabric_plan."""
    settings = _overlay_settings(names, hostvars, etcd_hosts)
    underlays, requests, mtus, pinned, seen_addresses = {}, [], {}, {}, {}
    for name in names:
        underlays[name] = _underlay(name, hostvars[name])
        address = underlays[name][0]
        if address in seen_addresses:
            raise PlanError('%s and %s have the same underlay address %s (fabric_underlay_address)' % (seen_addresses[address], name, address))
        seen_addresses[address] = name
        request, mtus[name] = _overlay_node(name, hostvars[name], settings, underlays[name], pinned)
        requests.append(request)
    # What linuxnet.fabric.subnet_leases takes, in its option names.
    lease_settings = {
        'network': str(settings['network']), 'subnet_len': settings['subnet_len'], 'subnet_min': str(settings['subnet_min']),
        'subnet_max': str(settings['subnet_max']), 'vni': settings['vni'], 'port': settings['port'],
        'direct_routing': settings['direct_routing'], 'prefix': settings['prefix'], 'lease_ttl': settings['lease_ttl'],
        'replace_config': settings['config_replace'], 'nodes': requests,
    }
    lease_settings.update(settings['etcd'])
    if leases is not None and not isinstance((leases or {}).get('leases'), dict):
        raise PlanError('the leases must be the result of linuxnet.fabric.subnet_leases (a dict with leases and peers)')
    plans = {}
    for name in names:
        variables = hostvars[name]
        address, network, interface, _mtu = underlays[name]
        overlay = {'device': settings['device'], 'vni': settings['vni'], 'port': settings['port'], 'mtu': mtus[name],
                   'ip_masq': settings['ip_masq'], 'tx_checksum_offload': settings['tx_checksum_offload'],
                   'direct_routing': settings['direct_routing'], 'prefix': settings['prefix'], 'vtep_mac': None, 'peers': []}
        plan = {
            'version': PLAN_VERSION, 'mode': 'overlay', 'cluster_cidr': str(settings['network']), 'underlay_address': str(address),
            'underlay_interface': interface, 'is_node': True, 'is_gateway': False, 'gateway_underlay_address': None,
            'overlay': overlay, 'leases': lease_settings, 'peers': [], 'routes': [],
        }
        if leases is None:
            _endpoints(name, variables, None, None, 'overlay', {})
            plan.update({'subnet': None, 'node_address': None, 'bridge_address': None, 'endpoints': []})
            plans[name] = plan
            continue
        lease = leases['leases'].get(name)
        if not lease:
            raise PlanError('%s has no lease in the result of linuxnet.fabric.subnet_leases' % name)
        subnet = netaddr.IPNetwork(lease['subnet'])
        plan.update(_node_subnet_part(name, variables, subnet, 'overlay', variables.get('overlay_docker')))
        overlay['vtep_mac'] = lease['vtep_mac']
        for peer in leases.get('peers') or []:
            if peer['public_ip'] == str(address) or peer['subnet'] == lease['subnet']:
                continue
            # DirectRouting: a peer on this node's own underlay network is reached without VXLAN.
            direct = settings['direct_routing'] and netaddr.IPAddress(peer['public_ip']) in network
            peer_subnet = netaddr.IPNetwork(peer['subnet'])
            plan['peers'].append({'name': peer.get('node') or peer.get('key'), 'subnet': peer['subnet'], 'via': peer['public_ip'],
                                  'direct': bool(direct)})
            if direct:
                plan['routes'].append({'destination': peer['subnet'], 'gateway': peer['public_ip']})
            else:
                overlay['peers'].append({'public_ip': peer['public_ip'], 'vtep_mac': peer['vtep_mac'], 'subnet': peer['subnet']})
                plan['routes'].append({'destination': peer['subnet'], 'gateway': str(peer_subnet.network), 'device': settings['device'],
                                       'onlink': True})
        plan['subnet_env'] = _overlay.subnet_env(settings['network'], subnet, mtus[name], settings['ip_masq'])
        plans[name] = plan
    return plans


def _named_hosts(message, hosts):
    """The hosts a plan error names (every message names the host or hosts to fix)."""
    return [host for host in hosts if re.search(r'(?<![\w.-])%s(?![\w-])' % re.escape(host), message)]


def fabric_plan_problems(names, hostvars, gateways=None, etcd_hosts=None, with_plan=False):
    """{host: [messages]} of what is wrong in the inventory; empty when fabric_plan will succeed.

    For playbooks that must stop before any change, on the host that owns the bad value: every
    host's own fabric_endpoints are checked first (so all their errors show in one run), then the
    plan as a whole; an error of the whole plan goes to the hosts it names, or to every host when
    it is about the cluster's settings. With `with_plan`: {'problems': that, 'plan': fabric_plan's
    result (None when there are problems)}, so that a run computes the plan once.
    """
    names = list(names or [])
    everyone = names + [gateway for gateway in (gateways or []) if gateway not in names]
    problems = {}
    for name in everyone:
        try:
            _endpoint_items(name, hostvars[name])
        except PlanError as error:
            problems.setdefault(name, []).append(str(error))
    plan = None
    if not problems:
        try:
            plan = fabric_plan(names, hostvars, gateways, etcd_hosts)
        except PlanError as error:
            for host in _named_hosts(str(error), everyone) or everyone:
                problems.setdefault(host, []).append(str(error))
    return {'problems': problems, 'plan': plan} if with_plan else problems


class FilterModule(object):
    """linuxnet.fabric planning filters."""

    def filters(self):
        return {'fabric_plan': fabric_plan, 'fabric_plan_problems': fabric_plan_problems}

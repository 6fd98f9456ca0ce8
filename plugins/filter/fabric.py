# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric plan: per-node subnets, endpoint addresses and peer routes, computed on the controller.

Documentation: fabric_plan.yml. Everything is validated here, once, before any node is changed;
every error names the host(s) and the variable to fix.
"""

from __future__ import annotations

import traceback

from ansible.errors import AnsibleFilterError

try:
    import netaddr
except ImportError:
    NETADDR_IMPORT_ERROR = traceback.format_exc()
else:
    NETADDR_IMPORT_ERROR = None

MODES = ('bridge_nat', 'routed')
CLUSTER_SETTINGS = ('fabric_mode', 'fabric_cluster_cidr', 'fabric_node_subnet_prefix')
DEFAULT_SUBNET_PREFIX = 24
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


def _overlaps(left, right):
    return left.first <= right.last and right.first <= left.last


def _cluster_settings(names, hostvars):
    """The cluster-wide settings, which every node must agree on."""
    settings = {}
    for variable in CLUSTER_SETTINGS:
        values = {}
        for name in names:
            value = hostvars[name].get(variable)
            if variable == 'fabric_node_subnet_prefix' and value is None:
                value = DEFAULT_SUBNET_PREFIX
            values.setdefault(str(value), []).append(name)
        if len(values) > 1:
            raise PlanError('%s differs between hosts: %s; it must be the same on every node' % (
                variable, '; '.join('%s on %s' % (value, ', '.join(hosts)) for value, hosts in sorted(values.items()))))
        settings[variable] = hostvars[names[0]].get(variable)
    if settings['fabric_mode'] not in MODES:
        raise PlanError("fabric_mode is '%s' on %s; it must be one of %s" % (
            settings['fabric_mode'], ', '.join(names), ', '.join(MODES)))
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
    """(address, network, interface) of a node's underlay: variables first, then the facts of
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
    return address, network, interface


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


def _endpoints(name, variables, subnet, pool, mode, existing):
    """Endpoints of a node with addresses: given ones, then the ones they have now, then the next free.

    `pool` is a range of integer addresses; integers and sets keep this linear in the number of
    endpoints, which matters with hundreds per node.
    """
    endpoints = variables.get('fabric_endpoints') or []
    if not isinstance(endpoints, list):
        raise PlanError('fabric_endpoints of %s must be a list of {name, address, publish}' % name)
    prefixlen = 32 if mode == 'routed' else subnet.prefixlen
    taken = {}
    names = set()
    planned = []
    for position, endpoint in enumerate(endpoints):
        where = 'fabric_endpoints[%d] of %s' % (position, name)
        if not isinstance(endpoint, dict) or not endpoint.get('name'):
            raise PlanError('%s must be a dict with at least a name' % where)
        if endpoint['name'] in names:
            raise PlanError("%s: name '%s' is used twice on %s" % (where, endpoint['name'], name))
        names.add(endpoint['name'])
        address = None
        if endpoint.get('address'):
            address = int(_address(endpoint['address'], where + '.address'))
            if address not in pool:
                raise PlanError('%s.address: %s is not a free address of the node subnet %s (%s..%s)' % (
                    where, netaddr.IPAddress(address), subnet, netaddr.IPAddress(pool[0]), netaddr.IPAddress(pool[-1])))
            if address in taken:
                raise PlanError('%s.address: %s is also the address of endpoint %s' % (where, netaddr.IPAddress(address), taken[address]))
            taken[address] = endpoint['name']
        planned.append({'name': str(endpoint['name']), 'address': address, 'publish': list(endpoint.get('publish') or [])})
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
                raise PlanError('fabric_endpoints of %s: %d endpoints do not fit in the node subnet %s' % (
                    name, len(planned), subnet))
            taken[endpoint['address']] = endpoint['name']
    for endpoint in planned:
        endpoint['address'] = '%s/%d' % (netaddr.IPAddress(endpoint['address']), prefixlen)
    return planned


def fabric_plan(names, hostvars, gateways=None):
    """{host: plan} for every host of `names` (the fabric nodes) and `gateways` (the routed head node).

    Reads per host: fabric_mode, fabric_cluster_cidr, fabric_node_subnet_prefix (cluster-wide),
    fabric_node_subnet, fabric_endpoints, fabric_underlay_address / _interface / _prefix (default:
    facts), bridge_nat_docker, and the facts of linuxnet.fabric.fabric_facts (the node's underlay
    and the endpoints it has, whose addresses are kept).
    """
    if NETADDR_IMPORT_ERROR:
        raise AnsibleFilterError('the fabric_plan filter needs the Python library netaddr on the controller: %s' % NETADDR_IMPORT_ERROR)
    names = list(names or [])
    gateways = list(gateways or [])
    if not names:
        raise PlanError('there are no fabric nodes (inventory group fabric_nodes is empty)')
    mode, cluster, prefix = _cluster_settings(names, hostvars)
    if mode == 'routed' and len(gateways) != 1:
        raise PlanError('fabric_mode routed needs exactly one host in the group fabric_gateway, found %d: %s' % (
            len(gateways), ', '.join(gateways) or 'none'))
    everyone = names + [gateway for gateway in gateways if gateway not in names]

    underlays = {}
    for name in everyone:
        underlays[name] = _underlay(name, hostvars[name])
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
        for other, other_subnet in subnets.items():
            if _overlaps(subnet, other_subnet):
                raise PlanError('the subnets of %s (%s, %s) and %s (%s, %s) overlap; set fabric_node_subnet on one of them' % (
                    other, other_subnet, sources[other], name, subnet, sources[name]))
        subnets[name] = subnet

    gateway_host = gateways[0] if mode == 'routed' else None
    plans = {}
    for name in everyone:
        variables = hostvars[name]
        address, network, interface = underlays[name]
        plan = {
            'mode': mode,
            'cluster_cidr': str(cluster),
            'underlay_address': str(address),
            'underlay_interface': interface,
            'is_node': name in subnets,
            'is_gateway': name == gateway_host,
            'gateway_underlay_address': str(underlays[gateway_host][0]) if gateway_host else None,
            'peers': [
                {'name': other, 'subnet': str(subnets[other]), 'via': str(underlays[other][0])}
                for other in names if other != name
            ],
        }
        # In the options of linuxnet.fabric.routes.
        plan['routes'] = [{'destination': peer['subnet'], 'gateway': peer['via']} for peer in plan['peers']]
        if name in subnets:
            subnet = subnets[name]
            fabric_part = subnet
            if mode == 'bridge_nat' and variables.get('bridge_nat_docker'):
                # Docker gets the upper half of the subnet (bip); the fabric bridge keeps the lower.
                fabric_part, docker_part = subnet.subnet(subnet.prefixlen + 1)
                plan['docker_bip'] = '%s/%d' % (netaddr.IPAddress(docker_part.first + NODE_ADDRESS_OFFSET), docker_part.prefixlen)
            node_address = netaddr.IPAddress(fabric_part.first + NODE_ADDRESS_OFFSET)
            pool = range(fabric_part.first + NODE_ADDRESS_OFFSET + 1, fabric_part.last)
            now = ((variables.get('ansible_facts') or {}).get('linuxnet_fabric') or {}).get('endpoints') or []
            existing = dict((item['name'], item['address']) for item in now if item.get('address'))
            plan.update({
                'subnet': str(subnet),
                'node_address': str(node_address),
                'bridge_address': '%s/%d' % (node_address, fabric_part.prefixlen),
                'endpoints': _endpoints(name, variables, subnet, pool, mode, existing),
            })
        else:
            plan.update({'subnet': None, 'node_address': None, 'bridge_address': None, 'endpoints': []})
        plans[name] = plan
    return plans


class FilterModule(object):
    """linuxnet.fabric planning filters."""

    def filters(self):
        return {'fabric_plan': fabric_plan}

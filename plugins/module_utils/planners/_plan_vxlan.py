# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and planning for the vxlan module: a flannel-style VXLAN device and its peers.

Pure: no Ansible, no kernel. Per peer, in flannel's order: a permanent neighbour entry (the peer
subnet's network address -> the peer's VTEP MAC), an FDB entry (VTEP MAC -> the peer's public
IP) and a route (the peer subnet via its network address, onlink). All three are keyed the way
the kernel keys them (neighbour IP, MAC, route identity) and replaced when they differ.
"""

from __future__ import annotations

import bisect
import hashlib
import ipaddress

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _names, _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_link import (
    link_view,
    plan_addresses,
    plan_settings,
    planned_view,
)
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_route import (
    MAIN_TABLE,
    RTN_UNICAST,
    RTPROT_KERNEL,
    identity,
    normalised_route,
    route_details,
    satisfies,
)

DEFAULT_VNI = 1
DEFAULT_PORT = 8472
VNI_MAX = 2 ** 24 - 1
# What VXLAN over IPv4 wraps around an overlay packet: inner Ethernet 14, VXLAN 8, UDP 8, IPv4 20 bytes.
OVERHEAD = 50
AF_INET = 2
NUD_PERMANENT = 0x80
STATES = ('present', 'absent')
# Options the kernel cannot change on an existing vxlan device (option -> IFLA_VXLAN_* attribute).
FIXED_OPTIONS = (('vni', 'IFLA_VXLAN_ID'), ('port', 'IFLA_VXLAN_PORT'), ('local', 'IFLA_VXLAN_LOCAL'))


def default_name(vni):
    return 'flannel.%d' % vni


def derived_mac(vni, local):
    """A locally administered unicast MAC computed from (VNI, local address).

    Deleting and re-creating the device (after a reboot, say) gives it the same MAC, so the
    VTEP MAC other nodes hold for this one stays right.
    """
    digest = bytearray(hashlib.sha256(('linuxnet.fabric vxlan %d %s' % (vni, local)).encode('ascii')).digest())
    digest[0] = (digest[0] & 0xfc) | 0x02
    return ':'.join('%02x' % byte for byte in digest[:6])


def is_unicast_mac(mac):
    return bool(mac) and not int(mac[:2], 16) & 1 and mac != '00:00:00:00:00:00'


def where(netns):
    return "network namespace '%s'" % netns if netns else 'the node namespace'


def _required(option, value):
    if value is None:
        raise OptionError(option, 'is required')
    return value


def _ipv4_unicast(option, value):
    address = _validate.ip_address(option, _required(option, value), version=4)
    if address.is_multicast or address.is_unspecified or address == ipaddress.ip_address('255.255.255.255'):
        raise OptionError(option, "'%s' is not a unicast address" % value)
    return address


def _ipv4_network(option, value):
    network = _validate.network(option, _required(option, value))
    if network.version != 4:
        raise OptionError(option, "'%s' is not an IPv4 network" % value)
    return network


def _first_overlap(starts, ends, positions, network):
    """The lowest position among the earlier peers' subnets that overlap `network`, or None.

    starts/ends/positions: the earlier subnets as integer ranges in address order. They do not
    overlap each other (an overlap fails at once), so their ends are in order too: the ones
    overlapping `network` are one run of them, found by two bisections.
    """
    first, last = int(network.network_address), int(network.broadcast_address)
    high = bisect.bisect_right(starts, last)
    low = bisect.bisect_left(ends, first, 0, high)
    return min(positions[low:high]) if low < high else None


def desired_peers(peers, local, subnet, address):
    """Validated peers: each {public_ip, vtep_mac, subnet, gateway}, gateway being the subnet's .0.

    A peer that clashes with earlier ones is reported against the first of them (public_ip
    before vtep_mac before subnet for the same one). About n log n in the peers, not n squared:
    a 1000-node overlay gives each node 999 of them on every run.
    """
    result = []
    position_of_ip, position_of_mac = {}, {}
    starts, ends, positions = [], [], []
    for position, peer in enumerate(peers):
        prefix = 'peers[%d].' % position
        public_address = _ipv4_unicast(prefix + 'public_ip', peer.get('public_ip'))
        public_ip = str(public_address)
        vtep_mac = _validate.mac(prefix + 'vtep_mac', _required(prefix + 'vtep_mac', peer.get('vtep_mac')))
        peer_subnet = _ipv4_network(prefix + 'subnet', peer.get('subnet'))
        if public_address == local:
            raise OptionError(prefix + 'public_ip', "'%s' is this node's own local address" % public_ip)
        if subnet is not None and peer_subnet.overlaps(subnet):
            raise OptionError(prefix + 'subnet', "'%s' overlaps this node's subnet %s" % (peer_subnet, subnet))
        if address is not None and ipaddress.ip_address(address[0]) in peer_subnet:
            raise OptionError(prefix + 'subnet', "'%s' contains this device's address %s" % (peer_subnet, address[0]))
        clashes = [(other, order, option) for order, (other, option) in enumerate((
            (position_of_ip.get(public_ip), 'public_ip'),
            (position_of_mac.get(vtep_mac), 'vtep_mac'),
            (_first_overlap(starts, ends, positions, peer_subnet), 'subnet'))) if other is not None]
        if clashes:
            other, _order, option = min(clashes)
            other_prefix = 'peers[%d].' % other
            if option == 'subnet':
                raise OptionError(prefix + 'subnet', "'%s' overlaps %ssubnet %s" % (peer_subnet, other_prefix, result[other]['subnet']))
            raise OptionError(prefix + option, "'%s' is also %s%s" % (public_ip if option == 'public_ip' else vtep_mac, other_prefix, option))
        position_of_ip[public_ip] = position
        position_of_mac[vtep_mac] = position
        index = bisect.bisect_left(starts, int(peer_subnet.network_address))
        starts.insert(index, int(peer_subnet.network_address))
        ends.insert(index, int(peer_subnet.broadcast_address))
        positions.insert(index, position)
        result.append({
            'public_ip': public_ip,
            'vtep_mac': vtep_mac,
            'subnet': peer_subnet,
            'gateway': str(peer_subnet.network_address),
        })
    return result


def desired_vxlan(params):
    """Validated, normalised options (OptionError names the first bad one)."""
    state = params.get('state') or 'present'
    if state not in STATES:
        raise OptionError('state', "'%s' must be one of %s" % (state, ', '.join(STATES)))
    vni = params.get('vni')
    vni = _validate.integer_in_range('vni', DEFAULT_VNI if vni is None else vni, 1, VNI_MAX)
    name = params.get('name')
    if name is None and _names.ifname_error(default_name(vni)):
        raise OptionError('name', "is needed: the default name '%s' is longer than 15 bytes" % default_name(vni))
    name = _validate.ifname('name', default_name(vni) if name is None else name)
    local = params.get('local')
    if local is None and state == 'present':
        raise OptionError('local', 'is required when state is present (the VTEP address of this node)')
    local = _ipv4_unicast('local', local) if local is not None else None
    subnet = params.get('subnet')
    subnet = _ipv4_network('subnet', subnet) if subnet is not None else None
    address = params.get('address')
    address = _validate.interface_address('address', address) if address is not None else None
    if address is None and subnet is not None:
        address = (str(subnet.network_address), 32, 4)
    if address is not None and subnet is not None and ipaddress.ip_address(address[0]) not in subnet:
        raise OptionError('address', "'%s/%s' is outside option 'subnet' %s" % (address[0], address[1], subnet))
    peers = params.get('peers')
    desired = {
        'name': name,
        'netns': _validate.netns('netns', params.get('netns')),
        'state': state,
        'vni': vni,
        'port': _validate.port('port', DEFAULT_PORT if params.get('port') is None else params['port']),
        'local': str(local) if local is not None else None,
        'underlay': _validate.ifname('underlay', params['underlay']) if params.get('underlay') is not None else None,
        'learning': bool(params.get('learning')),
        'mtu': _validate.mtu('mtu', params.get('mtu')),
        'mac': _validate.mac('mac', params.get('mac')),
        'address': address,
        'peers': desired_peers(peers, local, subnet, address) if peers is not None else None,
        'purge_peers': bool(params.get('purge_peers')),
        'force': bool(params.get('force')),
        'tx_checksum_offload': None if params.get('tx_checksum_offload') is None else bool(params['tx_checksum_offload']),
        # Whether the peers' routes are this planner's (the vxlan module) or a caller's that
        # plans them with the rest of a node's routes (fabric_node).
        'peer_routes': params.get('peer_routes') is not False,
    }
    if desired['purge_peers'] and desired['peers'] is None:
        raise OptionError('purge_peers', 'needs peers: the list of peers to keep')
    return desired


class Observed(object):
    """The current state as the planner sees it, from `current` = {links, addresses, neighbours, fdb, routes}.

    `links` are all links of the namespace keyed by name, `addresses` all addresses, `routes` all
    IPv4 routes; `neighbours` and `fdb` are the entries of the device called `name` (empty lists
    when it does not exist).
    """

    def __init__(self, name, current):
        self.name = name
        self.links = current['links']
        self.link_names = dict((link['index'], link_name) for link_name, link in self.links.items())
        self.addresses = current['addresses']
        self.link = self.links.get(name)
        self.settings = vxlan_settings(self.link, self.link_names)
        self.device_addresses = [
            (address['address'], address['prefixlen']) for address in self.addresses
            if self.link is not None and address['index'] == self.link['index']
        ]
        self.routes = [normalised_route(route, self.link_names) for route in current['routes']]
        # What a user sees with `ip neigh show dev`, `bridge fdb show dev` and `ip route` for the
        # device, minus what the kernel makes by itself (cached neighbours, learned MACs, the
        # routes of its own addresses): the entries this module manages.
        self.neighbours = dict(
            (entry['dst'], entry['mac']) for entry in current['neighbours']
            if entry['family'] == AF_INET and entry['state'] & NUD_PERMANENT
        )
        self.fdb = dict(
            (entry['mac'], entry['dst']) for entry in current['fdb']
            if is_unicast_mac(entry['mac']) and entry['state'] & NUD_PERMANENT
        )
        self.device_routes = dict(
            (route_key(route), route) for route in self.routes
            if route['device'] == name and route['table'] == MAIN_TABLE and route['proto'] != RTPROT_KERNEL
        )
        # Whether TX checksum offload is on (None: the device does not exist or was not asked).
        self.tx_checksum = current.get('tx_checksum') if self.link is not None else None

    def view(self, routes=True):
        """The state; without `routes` when the routes through the device are a caller's."""
        device = device_view(self.link, self.device_addresses, self.settings)
        if self.tx_checksum is not None:
            device['tx_checksum_offload'] = self.tx_checksum
        view = state_view(device, self.neighbours, self.fdb, self.device_routes)
        if not routes:
            del view['routes']
        return view


def vxlan_settings(link, link_names):
    """The settings of a vxlan link dict in option terms, or None when it is not a vxlan."""
    if link is None or link['kind'] != 'vxlan':
        return None
    data = link['info_data']
    underlay_index = data.get('IFLA_VXLAN_LINK')
    settings = dict((option, data.get(attribute)) for option, attribute in FIXED_OPTIONS)
    settings['underlay'] = link_names.get(underlay_index) if underlay_index else None
    settings['learning'] = bool(data.get('IFLA_VXLAN_LEARNING'))
    return settings


def device_view(link, addresses, settings):
    """`ip -d addr show` of the device: link settings, addresses and, for a vxlan, its own settings."""
    view = link_view(link, addresses)
    if settings is not None:
        view.update(settings)
    return view


def route_key(route):
    return (str(route['destination']), route['metric'])


def route_text(route):
    """A route as `ip route` prints it."""
    words = [str(route['destination'])]
    if route['gateway']:
        words += ['via', route['gateway']]
    if route['device']:
        words += ['dev', route['device']]
    if route['onlink']:
        words.append('onlink')
    if route['metric']:
        words += ['metric', str(route['metric'])]
    return ' '.join(words)


def state_view(device, neighbours, fdb, routes):
    return {
        'device': device,
        'neighbours': sorted('%s lladdr %s PERMANENT' % item for item in neighbours.items()),
        'fdb': sorted('%s dst %s self permanent' % item for item in fdb.items()),
        'routes': sorted(route_text(route) for route in routes.values()),
    }


def mismatch(desired, observed):
    """Why the existing device cannot become the requested one in place, or None."""
    link, settings = observed.link, observed.settings
    if link is None:
        return None
    if settings is None:
        return "'%s' exists in %s but is a %s, not a vxlan device" % (
            desired['name'], where(desired['netns']), link['kind'] or 'device without a kind')
    wanted = [(option, desired[option]) for option, _attribute in FIXED_OPTIONS]
    wanted.append(('underlay', desired['underlay']))
    changes = [
        "option '%s' is %s, the device has %s" % (option, value, settings[option])
        for option, value in wanted if value is not None and settings[option] != value
    ]
    if not changes:
        return None
    return "vxlan '%s' exists in %s but the kernel cannot change this in place: %s" % (
        desired['name'], where(desired['netns']), '; '.join(changes))


def underlay_link(desired, observed):
    """The underlay: the one given, else the device's current one, else the link holding `local`."""
    if desired['underlay'] is not None:
        link = observed.links.get(desired['underlay'])
        if link is None:
            raise OptionError('underlay', "refers to link '%s', which does not exist in %s" % (desired['underlay'], where(desired['netns'])))
        if desired['underlay'] == desired['name']:
            raise OptionError('underlay', "'%s' is the vxlan device itself" % desired['underlay'])
        return link
    if observed.settings is not None and observed.settings['underlay'] is not None:
        return observed.links[observed.settings['underlay']]
    for address in observed.addresses:
        name = observed.link_names.get(address['index'])
        if address['address'] == desired['local'] and name != desired['name']:
            return observed.links[name]
    return None


def device_mtu(desired, underlay):
    """The MTU option, checked against the underlay, or by default the underlay's MTU - 50."""
    if underlay is None:
        if desired['mtu'] is None:
            raise OptionError('mtu', "is needed: option 'underlay' is not given and no interface holds the local address %s, "
                                     "so the underlay MTU is unknown" % desired['local'])
        return desired['mtu']
    limit = underlay['mtu'] - OVERHEAD
    if desired['mtu'] is not None and desired['mtu'] > limit:
        raise OptionError('mtu', '%d is more than the underlay %s allows: %d (its MTU %d minus %d bytes of VXLAN headers)'
                          % (desired['mtu'], underlay['name'], limit, underlay['mtu'], OVERHEAD))
    return desired['mtu'] if desired['mtu'] is not None else limit


def check_vni_free(desired, observed):
    """The kernel allows one vxlan per (VNI, port) in a namespace; name the one in the way."""
    for name, link in sorted(observed.links.items()):
        if name == desired['name'] or link['kind'] != 'vxlan':
            continue
        data = link['info_data']
        if data.get('IFLA_VXLAN_ID') == desired['vni'] and data.get('IFLA_VXLAN_PORT') == desired['port']:
            raise OptionError('vni', '%d on UDP port %d is already used by vxlan device %s in %s'
                              % (desired['vni'], desired['port'], name, where(desired['netns'])))


def plan_device(plan, desired, observed, underlay, mtu, mac, recreate):
    """Actions for the device itself; returns its after view."""
    name, netns = desired['name'], desired['netns']
    addresses = [desired['address']] if desired['address'] is not None else None
    fixed = dict((option, desired[option]) for option, _attribute in FIXED_OPTIONS)
    if recreate:
        if observed.link is not None:
            plan.add('delete', 'link', name, netns=netns)
        plan.add('create', 'vxlan', name, netns=netns, underlay=underlay['name'] if underlay else None,
                 learning=desired['learning'], mtu=mtu, mac=mac, **fixed)
        plan_addresses(plan, name, netns, [], addresses)
        # A new device has offload on; turning it off comes before the device carries traffic.
        if desired['tx_checksum_offload'] is False:
            plan.add('set', 'offload', name, netns=netns, tx_checksum=False)
        plan.add('set', 'link', name, netns=netns, state='up')
        view = planned_view({'kind': 'vxlan', 'addresses': []}, {'state': 'up', 'mtu': mtu, 'mac': mac}, addresses)
        view.update(fixed, underlay=underlay['name'] if underlay else None, learning=desired['learning'])
        if desired['tx_checksum_offload'] is not None:
            view['tx_checksum_offload'] = desired['tx_checksum_offload']
        return view
    current_view = device_view(observed.link, observed.device_addresses, observed.settings)
    if observed.settings['learning'] != desired['learning']:
        plan.add('set', 'vxlan', name, netns=netns, learning=desired['learning'])
    if desired['tx_checksum_offload'] is not None and observed.tx_checksum != desired['tx_checksum_offload']:
        plan.add('set', 'offload', name, netns=netns, tx_checksum=desired['tx_checksum_offload'])
    # Addresses before bringing the device up, so it comes up fully configured.
    plan_addresses(plan, name, netns, observed.device_addresses, addresses)
    wanted = {'state': 'up', 'mtu': mtu, 'mac': desired['mac']}
    plan_settings(plan, name, netns, current_view, wanted)
    view = planned_view(current_view, wanted, addresses)
    view['learning'] = desired['learning']
    if desired['tx_checksum_offload'] is not None:
        view['tx_checksum_offload'] = desired['tx_checksum_offload']
    elif observed.tx_checksum is not None:
        view['tx_checksum_offload'] = observed.tx_checksum
    return view


def plan_peers(plan, desired, neighbours, fdb, device_routes, routes):
    """Per peer, in flannel's order: neighbour, FDB entry, route; then the purge of unlisted ones.

    Updates the `neighbours`, `fdb` and `device_routes` views to what they will be.
    """
    name, netns = desired['name'], desired['netns']
    # Looked up by identity for each of hundreds of peers, not searched.
    routes_by_identity = {}
    for existing in routes:
        routes_by_identity.setdefault(identity(existing), []).append(existing)
    for peer in desired['peers']:
        if neighbours.get(peer['gateway']) != peer['vtep_mac']:
            plan.add('replace', 'neighbour', peer['gateway'], netns=netns, link=name, mac=peer['vtep_mac'])
            neighbours[peer['gateway']] = peer['vtep_mac']
        if fdb.get(peer['vtep_mac']) != peer['public_ip']:
            plan.add('replace', 'fdb', peer['vtep_mac'], netns=netns, link=name, dst=peer['public_ip'])
            fdb[peer['vtep_mac']] = peer['public_ip']
        if not desired['peer_routes']:
            continue
        route = {'family': 4, 'destination': peer['subnet'], 'gateway': peer['gateway'], 'device': name, 'onlink': True,
                 'scope': None, 'source': None, 'metric': 0, 'table': MAIN_TABLE, 'type': RTN_UNICAST}
        if not any(satisfies(existing, route) for existing in routes_by_identity.get(identity(route), [])):
            plan.add('replace', 'route', str(peer['subnet']), **route_details(route, netns))
            device_routes[route_key(route)] = route
    if not desired['purge_peers']:
        return
    subnets = set(peer['subnet'] for peer in desired['peers'])
    macs = set(peer['vtep_mac'] for peer in desired['peers'])
    gateways = set(peer['gateway'] for peer in desired['peers'])
    # Routes first: nothing is left pointing at a neighbour or FDB entry while it goes away.
    for key, route in sorted(device_routes.items()):
        if desired['peer_routes'] and route['destination'] not in subnets:
            plan.add('delete', 'route', str(route['destination']), **route_details(route, netns))
            del device_routes[key]
    for mac, dst in sorted(fdb.items()):
        if mac not in macs:
            plan.add('delete', 'fdb', mac, netns=netns, link=name, dst=dst)
            del fdb[mac]
    for address, _mac in sorted(neighbours.items()):
        if address not in gateways:
            plan.add('delete', 'neighbour', address, netns=netns, link=name)
            del neighbours[address]


def plan_vxlan(desired, current):
    """Plan for the device and its peers (see Observed for `current`).

    A device of another kind, or a vxlan whose VNI, port, local address or underlay differ (the
    kernel cannot change those), is an error naming the difference unless force, which deletes it
    and creates the device anew.
    """
    name, netns = desired['name'], desired['netns']
    observed = Observed(name, current)
    before = observed.view(desired['peer_routes'])

    if desired['state'] == 'absent':
        plan = Plan(before, state_view({'exists': False}, {}, {}, {}))
        if not desired['peer_routes']:
            del plan.after['routes']
        if observed.link is None:
            return plan
        if observed.settings is None and not desired['force']:
            raise FabricError('%s; refusing to delete it (force=true deletes it anyway)' % mismatch(desired, observed))
        # The device's neighbour, FDB entries and routes go with it.
        plan.add('delete', 'link', name, netns=netns)
        return plan

    underlay = underlay_link(desired, observed)
    mtu = device_mtu(desired, underlay)
    problem = mismatch(desired, observed)
    if problem and not desired['force']:
        raise FabricError('%s (force=true deletes the device and creates it anew)' % problem)
    recreate = observed.link is None or problem is not None
    if recreate:
        check_vni_free(desired, observed)
        mac = desired['mac'] or derived_mac(desired['vni'], desired['local'])
    else:
        mac = desired['mac'] or observed.link['mac']
    for position, peer in enumerate(desired['peers'] or []):
        if peer['vtep_mac'] == mac:
            raise OptionError('peers[%d].vtep_mac' % position, "'%s' is the MAC of this device" % mac)

    plan = Plan(before)
    device = plan_device(plan, desired, observed, underlay, mtu, mac, recreate)
    if recreate:
        # A new device starts without entries, and the routes through the old one are gone.
        neighbours, fdb, device_routes = {}, {}, {}
        routes = [route for route in observed.routes if route['device'] != name]
    else:
        neighbours, fdb, device_routes = dict(observed.neighbours), dict(observed.fdb), dict(observed.device_routes)
        routes = observed.routes
    if desired['peers'] is not None:
        plan_peers(plan, desired, neighbours, fdb, device_routes, routes)
    plan.after = state_view(device, neighbours, fdb, device_routes)
    if not desired['peer_routes']:
        del plan.after['routes']
    return plan

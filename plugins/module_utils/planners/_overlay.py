# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flannel-compatible overlay: its settings, flannel's etcd data and subnet.env. Pure: no
Ansible, no kernel, no etcd.

One validator of the overlay settings serves the fabric_plan filter (messages name inventory
variables) and the subnet_leases module (messages name its options): `overlay_settings`.

Keys and values are flannel's (etcd v3, default prefix /coreos.com/network):
- `<prefix>/config`: {"Network", "SubnetLen", "SubnetMin", "SubnetMax", "Backend": {"Type":
  "vxlan", "VNI", "Port", "DirectRouting"}}; flannel's defaults apply to what is missing.
- `<prefix>/subnets/<a.b.c.d>-<len>`: {"PublicIP", "PublicIPv6", "BackendType", "BackendData":
  {"VNI", "VtepMAC"}}, plus the field LinuxnetFabric on the leases this collection writes.
  flannel decodes a lease with a plain json.Unmarshal into its LeaseAttrs struct
  (pkg/subnet/etcd/registry.go, kvToIPLease), which ignores fields it does not know: the extra
  field marks our leases without disturbing flanneld.
"""

from __future__ import annotations

import bisect
import hashlib
import ipaddress
import json
import re

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _names
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_vxlan import derived_mac

DEFAULT_PREFIX = '/coreos.com/network'
BACKEND_TYPE = 'vxlan'
DEFAULT_VNI = 1
# The Linux kernel's and flannel's VXLAN port (flannel's Port 0 means the kernel's default).
DEFAULT_PORT = 8472
VNI_MAX = 2 ** 24 - 1
# flannel's lease carries the VNI as a uint16 (vxlanLeaseAttrs): larger ones only we can read.
FLANNEL_VNI_MAX = 2 ** 16 - 1
# VXLAN over IPv4 wraps an overlay packet in inner Ethernet 14, VXLAN 8, UDP 8 and IPv4 20 bytes.
VXLAN_OVERHEAD = 50
# IPv6's minimum link MTU: an overlay that cannot carry it breaks IPv6 in the containers.
OVERLAY_MTU_MIN = 1280
SUBNET_LEN_MAX = 30
# A key is held by an etcd lease of this many seconds (10 years): see lease_document().
DEFAULT_LEASE_TTL = 10 * 365 * 24 * 3600
# etcd refuses longer leases ("too large lease TTL").
LEASE_TTL_MAX = 9000000000
MARKER_FIELD = 'LinuxnetFabric'
# flannel parses keys with (\d+\.\d+.\d+.\d+)-(\d+)(?:&([a-f\d:]+)-(\d+))?$; this collection
# writes and takes the IPv4 form only.
SUBNET_KEY_PATTERN = re.compile(r'^(\d{1,3}(?:\.\d{1,3}){3})-(\d{1,2})$')
MAC_PATTERN = re.compile(r'^[0-9a-f]{2}(:[0-9a-f]{2}){5}$')
OWNER_PATTERN = re.compile(r'^[A-Za-z0-9_.-]{1,64}$')
PREFIX_PATTERN = re.compile(r'^(/[A-Za-z0-9_.-]+)+$')

# Setting key -> (the flannel name, how the value is shown).
FLANNEL_NAMES = {
    'network': 'Network', 'subnet_len': 'SubnetLen', 'subnet_min': 'SubnetMin', 'subnet_max': 'SubnetMax',
    'backend_type': 'Backend.Type', 'vni': 'Backend.VNI', 'port': 'Backend.Port', 'direct_routing': 'Backend.DirectRouting',
}


# --- settings ------------------------------------------------------------------------------------

def default_subnet_len(network):
    """flannel's rule: a /24 per node when the network holds at least four of them, else four subnets."""
    if network.prefixlen > SUBNET_LEN_MAX - 2:
        return None
    return 24 if network.prefixlen <= 22 else network.prefixlen + 2


def _integer(name, value, minimum, maximum, what):
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise OptionError(name, "'%s' is not %s" % (value, what))
    if not minimum <= value <= maximum:
        raise OptionError(name, '%s is out of range (%d..%d)' % (value, minimum, maximum))
    return value


def _boolean(name, value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('true', 'yes', 'on', '1'):
        return True
    if text in ('false', 'no', 'off', '0'):
        return False
    raise OptionError(name, "'%s' is not a boolean" % value)


def _ipv4_network(name, value):
    try:
        network = ipaddress.ip_network(str(value).strip(), strict=True)
    except ValueError as error:
        raise OptionError(name, "'%s' is not a network in CIDR notation (%s)" % (value, error))
    if network.version != 4:
        raise OptionError(name, "'%s' is not IPv4; the overlay is IPv4" % value)
    return network


def _subnet_start(name, value, network, subnet_len):
    """A SubnetMin/SubnetMax: an address (or a subnet of SubnetLen) inside Network on a SubnetLen boundary."""
    text = str(value).strip()
    try:
        address = ipaddress.ip_interface(text)
    except ValueError:
        raise OptionError(name, "'%s' is not an IPv4 address" % value)
    if address.version != 4:
        raise OptionError(name, "'%s' is not an IPv4 address" % value)
    if '/' in text and address.network.prefixlen != subnet_len:
        raise OptionError(name, "'%s' is not a /%d (the subnet length)" % (value, subnet_len))
    if address.ip not in network:
        raise OptionError(name, '%s is outside the network %s' % (address.ip, network))
    if int(address.ip) % (2 ** (32 - subnet_len)):
        raise OptionError(name, '%s is not on a /%d boundary (the subnet length)' % (address.ip, subnet_len))
    return address.ip


def etcd_prefix(name, value):
    """An etcd key prefix like /coreos.com/network (no trailing slash)."""
    text = str(value if value is not None else DEFAULT_PREFIX).strip()
    if text != '/' and text.endswith('/'):
        text = text[:-1]
    if not PREFIX_PATTERN.match(text):
        raise OptionError(name, "'%s' must be an absolute key path of letters, digits, '_', '.', '-' and '/', "
                                "like %s" % (value, DEFAULT_PREFIX))
    return text


def overlay_settings(values, names=None):
    """The overlay's settings, validated and with flannel's defaults, from `values`.

    `values` holds network, subnet_len, subnet_min, subnet_max, vni, port, direct_routing,
    prefix, device, ip_masq, tx_checksum_offload, lease_ttl (None or missing: the default).
    `names` maps each key to what messages call it (an inventory variable or a module option;
    default: the key). Returns {network (ip_network), subnet_len, subnet_min, subnet_max
    (ip_address), vni, port, direct_routing, prefix, device, ip_masq, tx_checksum_offload, lease_ttl}.
    """
    names = names or {}

    def name(key):
        return names.get(key, key)

    def given(key):
        value = values.get(key)
        return None if value is None or value == '' else value

    if given('network') is None:
        raise OptionError(name('network'), 'is required: the network of the whole overlay (flannel\'s Network)')
    network = _ipv4_network(name('network'), values['network'])
    if given('subnet_len') is None:
        subnet_len = default_subnet_len(network)
        if subnet_len is None:
            raise OptionError(name('network'), '%s is too small: flannel needs at least a /28 to give four nodes a subnet each'
                              % network)
    else:
        # flanneld refuses a config whose network holds fewer than four subnets ("network must be
        # able to accommodate at least four subnets"): prefix + 2 is the least it reads.
        subnet_len = _integer(name('subnet_len'), values['subnet_len'], 0, 32, 'a prefix length')
        if not network.prefixlen + 2 <= subnet_len <= SUBNET_LEN_MAX:
            raise OptionError(name('subnet_len'), '%d must be between %d (the network\'s prefix + 2, four subnets; flanneld '
                                                  'refuses fewer) and %d' % (subnet_len, network.prefixlen + 2, SUBNET_LEN_MAX))
    size = 2 ** (32 - subnet_len)
    # flannel skips the network's first subnet by default (its .0 would be the network address).
    subnet_min = network.network_address + size
    subnet_max = network.broadcast_address + 1 - size
    if given('subnet_min') is not None:
        subnet_min = _subnet_start(name('subnet_min'), values['subnet_min'], network, subnet_len)
    if given('subnet_max') is not None:
        subnet_max = _subnet_start(name('subnet_max'), values['subnet_max'], network, subnet_len)
    if subnet_min > subnet_max:
        raise OptionError(name('subnet_min') if given('subnet_min') is not None else name('subnet_max'),
                          'leaves no subnet: SubnetMin %s is above SubnetMax %s' % (subnet_min, subnet_max))
    vni = _integer(name('vni'), values['vni'], 1, VNI_MAX, 'a VNI') if given('vni') is not None else DEFAULT_VNI
    port = _integer(name('port'), values['port'], 1, 65535, 'a UDP port') if given('port') is not None else DEFAULT_PORT
    device = given('device')
    device = str(device) if device is not None else 'flannel.%d' % vni
    problem = _names.ifname_error(device)
    if problem:
        raise OptionError(name('device'), problem)
    lease_ttl = given('lease_ttl')
    lease_ttl = DEFAULT_LEASE_TTL if lease_ttl is None else _integer(name('lease_ttl'), lease_ttl, 0, LEASE_TTL_MAX, 'a number of seconds')
    return {
        'network': network,
        'subnet_len': subnet_len,
        'subnet_min': subnet_min,
        'subnet_max': subnet_max,
        'vni': vni,
        'port': port,
        'direct_routing': _boolean(name('direct_routing'), values['direct_routing']) if given('direct_routing') is not None else False,
        'prefix': etcd_prefix(name('prefix'), given('prefix')),
        'device': device,
        'ip_masq': _boolean(name('ip_masq'), values['ip_masq']) if given('ip_masq') is not None else True,
        'tx_checksum_offload': (_boolean(name('tx_checksum_offload'), values['tx_checksum_offload'])
                                if given('tx_checksum_offload') is not None else True),
        'lease_ttl': lease_ttl,
    }


def overlay_mtu(underlay_mtu):
    return underlay_mtu - VXLAN_OVERHEAD


def check_underlay_mtu(name, underlay_mtu):
    """The overlay MTU an underlay MTU leaves; an error naming `name` below 1280."""
    mtu = overlay_mtu(underlay_mtu)
    if mtu < OVERLAY_MTU_MIN:
        raise OptionError(name, 'is %d, which leaves the overlay an MTU of %d (%d bytes of VXLAN headers); at least %d is needed'
                          % (underlay_mtu, mtu, VXLAN_OVERHEAD, OVERLAY_MTU_MIN))
    return mtu


def pinned_subnet(name, value, settings):
    """A subnet a node asks for: of SubnetLen, inside [SubnetMin, SubnetMax]."""
    subnet = _ipv4_network(name, value)
    if subnet.prefixlen != settings['subnet_len']:
        raise OptionError(name, "'%s' is not a /%d (the overlay's subnet length)" % (value, settings['subnet_len']))
    if not settings['subnet_min'] <= subnet.network_address <= settings['subnet_max']:
        raise OptionError(name, "'%s' is outside the range the overlay leases from (SubnetMin %s .. SubnetMax %s)"
                          % (value, settings['subnet_min'], settings['subnet_max']))
    return subnet


# --- flannel's config -----------------------------------------------------------------------------

def config_document(settings):
    """<prefix>/config as flannel reads it, every value explicit."""
    return {
        'Network': str(settings['network']),
        'SubnetLen': settings['subnet_len'],
        'SubnetMin': str(settings['subnet_min']),
        'SubnetMax': str(settings['subnet_max']),
        'Backend': {'Type': BACKEND_TYPE, 'VNI': settings['vni'], 'Port': settings['port'],
                    'DirectRouting': settings['direct_routing']},
    }


def encoded(document):
    """JSON as Go's encoding/json writes it (no spaces), which is what flannel writes too."""
    return json.dumps(document, separators=(',', ':'))


def effective_config(text):
    """The settings an existing <prefix>/config means to flanneld, its defaults applied.

    Returns {network, subnet_len, subnet_min, subnet_max, backend_type, vni, port,
    direct_routing}; raises ValueError with a reason when flanneld could not use it either.
    """
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ValueError('it is not JSON (%s)' % error)
    if not isinstance(document, dict):
        raise ValueError('it is not a JSON object')
    # Go's decoder matches field names without regard to case.
    fields = dict((str(key).lower(), value) for key, value in document.items())
    backend = fields.get('backend')
    if backend is not None and not isinstance(backend, dict):
        raise ValueError('its Backend is not an object')
    backend = dict((str(key).lower(), value) for key, value in (backend or {}).items())
    values = {'network': fields.get('network'), 'subnet_len': fields.get('subnetlen') or None,
              'subnet_min': fields.get('subnetmin'), 'subnet_max': fields.get('subnetmax'),
              'vni': backend.get('vni') or None, 'port': backend.get('port') or None,
              'direct_routing': bool(backend.get('directrouting')), 'lease_ttl': 0}
    try:
        settings = overlay_settings(values, dict((key, FLANNEL_NAMES.get(key, key)) for key in values))
    except OptionError as error:
        raise ValueError(str(error).replace('option ', '', 1))
    # flannel's default backend is udp when the config names none.
    settings['backend_type'] = str(backend.get('type', 'udp') if fields.get('backend') is not None else 'udp').lower()
    return settings


def config_differences(existing, settings):
    """[(flannel name, existing value, wanted value)] of the config fields that differ."""
    wanted = dict(settings, backend_type=BACKEND_TYPE)
    return [(FLANNEL_NAMES[key], str(existing[key]), str(wanted[key]))
            for key in ('network', 'subnet_len', 'subnet_min', 'subnet_max', 'backend_type', 'vni', 'port', 'direct_routing')
            if existing[key] != wanted[key]]


# --- leases ---------------------------------------------------------------------------------------

def subnet_key(prefix, subnet):
    return '%s/subnets/%s-%d' % (prefix, subnet.network_address, subnet.prefixlen)


def config_key(prefix):
    return prefix + '/config'


def subnet_of_key(prefix, key):
    """The subnet a key of <prefix>/subnets/ names, or None for any other key."""
    head = prefix + '/subnets/'
    if not key.startswith(head):
        return None
    match = SUBNET_KEY_PATTERN.match(key[len(head):])
    if not match:
        return None
    try:
        return ipaddress.ip_network('%s/%s' % match.groups(), strict=True)
    except ValueError:
        return None


def derived_vtep_mac(vni, public_ip):
    """The VTEP MAC of a node without one in its lease: the vxlan module's own default for a new
    device, derived from (VNI, public IP). The MAC is in the node's lease, which peers read:
    deriving it means a device deleted and made again (after a reboot, say) comes back with the
    MAC its peers hold."""
    return derived_mac(vni, str(public_ip))


def lease_document(public_ip, vni, vtep_mac, owner, host, expires):
    """A lease value in flannel's field order (its LeaseAttrs: PublicIPv6 is a pointer without
    omitempty, written as null), with our marker last.

    `expires` is when the etcd lease holding the key ends (unix seconds, None: a key without
    one). flannel reads a key without an etcd lease as expired (TimeToLive answers -1): the
    newest flanneld deletes such a key when it has its own PublicIP and may allocate its subnet to
    another node. A key held by a long etcd lease is a live lease to every flannel version.
    """
    marker = {'Owner': owner, 'Host': host}
    if expires is not None:
        marker['Expires'] = expires
    return {'PublicIP': str(public_ip), 'PublicIPv6': None, 'BackendType': BACKEND_TYPE,
            'BackendData': {'VNI': vni, 'VtepMAC': vtep_mac}, MARKER_FIELD: marker}


def parse_lease(prefix, kv):
    """A lease dict from an etcd key-value {key, value, mod_revision, lease}, or None for a key
    that names no subnet.

    {key, subnet, public_ip, backend_type, vni, vtep_mac, marker, mod_revision, etcd_lease,
    problem}: `problem` says why flannel (and we) cannot use it as a peer (None when it is fine);
    `marker` is our field ({Owner, Host, Expires}) or None for a lease we did not write.
    """
    subnet = subnet_of_key(prefix, kv['key'])
    if subnet is None:
        return None
    lease = {'key': kv['key'], 'subnet': subnet, 'public_ip': None, 'backend_type': None, 'vni': None, 'vtep_mac': None,
             'marker': None, 'mod_revision': kv.get('mod_revision'), 'etcd_lease': kv.get('lease') or 0, 'problem': None,
             'value': kv.get('value')}
    try:
        document = json.loads(kv.get('value') or '')
    except ValueError:
        lease['problem'] = 'its value is not JSON'
        return lease
    if not isinstance(document, dict):
        lease['problem'] = 'its value is not a JSON object'
        return lease
    fields = dict((str(key).lower(), value) for key, value in document.items())
    marker = document.get(MARKER_FIELD)
    if isinstance(marker, dict) and isinstance(marker.get('Owner'), str):
        lease['marker'] = marker
    try:
        public_ip = ipaddress.ip_address(str(fields.get('publicip')))
    except ValueError:
        lease['problem'] = "its PublicIP '%s' is not an address" % fields.get('publicip')
        return lease
    if public_ip.version != 4:
        lease['problem'] = "its PublicIP '%s' is not IPv4" % public_ip
        return lease
    lease['public_ip'] = public_ip
    lease['backend_type'] = str(fields.get('backendtype') or '').lower() or None
    data = fields.get('backenddata')
    data = dict((str(key).lower(), value) for key, value in data.items()) if isinstance(data, dict) else {}
    vni = data.get('vni')
    lease['vni'] = vni if isinstance(vni, int) and not isinstance(vni, bool) else None
    mac = str(data.get('vtepmac') or '').lower()
    lease['vtep_mac'] = mac if MAC_PATTERN.match(mac) and not int(mac[:2], 16) & 1 else None
    if lease['backend_type'] != BACKEND_TYPE:
        lease['problem'] = "its BackendType is '%s', not vxlan" % lease['backend_type']
    elif lease['vtep_mac'] is None:
        lease['problem'] = 'it has no unicast VtepMAC'
    return lease


def owned_by(lease, owner):
    return lease['marker'] is not None and lease['marker'].get('Owner') == owner


class Taken(object):
    """The address ranges held by leases, in address order: a candidate subnet is free when it
    overlaps none.

    A lookup bisects to the ranges that start at most the longest range's length before the
    candidate and checks only those: for leases of one length, a few ranges whatever their number
    (1000 nodes claim in one run, each lookup was a scan of every lease). A longer range (a
    flanneld reservation) widens the window, never changes the answer. Ranges may overlap each
    other (keys we did not write), and the same range may be held twice.
    """

    def __init__(self, subnets=()):
        self.starts, self.ends, self.longest = [], [], 0
        for subnet in subnets:
            self.add(subnet)

    def add(self, subnet):
        first, last = int(subnet.network_address), int(subnet.broadcast_address)
        index = bisect.bisect_right(self.starts, first)
        self.starts.insert(index, first)
        self.ends.insert(index, last)
        self.longest = max(self.longest, last - first)

    def remove(self, subnet):
        """Forget one holding of `subnet` (ValueError when none is held)."""
        first, last = int(subnet.network_address), int(subnet.broadcast_address)
        for index in range(bisect.bisect_left(self.starts, first), bisect.bisect_right(self.starts, first)):
            if self.ends[index] == last:
                del self.starts[index], self.ends[index]
                return
        raise ValueError('%s is not taken' % subnet)

    def overlaps_range(self, first, last):
        low = bisect.bisect_left(self.starts, first - self.longest)
        high = bisect.bisect_right(self.starts, last)
        return any(self.ends[index] >= first for index in range(low, high))

    def overlaps(self, subnet):
        return self.overlaps_range(int(subnet.network_address), int(subnet.broadcast_address))


def free_subnet(settings, taken, public_ip, reserved=None):
    """The first free subnet of [SubnetMin, SubnetMax], counted from a start derived from the
    public IP, or None when every subnet is taken.

    Each node starts somewhere else, so nodes claiming at the same time rarely want the same
    subnet; a node starts at the same place every time, so a check-mode run predicts the subnet a
    real run takes.
    """
    size = 2 ** (32 - settings['subnet_len'])
    first = int(settings['subnet_min'])
    count = (int(settings['subnet_max']) - first) // size + 1
    start = int(hashlib.sha256(str(public_ip).encode('ascii')).hexdigest(), 16) % count
    for step in range(count):
        # Integers until one is free: in a nearly full range a claim may step over most of it.
        candidate = first + ((start + step) % count) * size
        if not taken.overlaps_range(candidate, candidate + size - 1) and not (reserved and reserved.overlaps_range(candidate, candidate + size - 1)):
            return ipaddress.ip_network('%s/%d' % (ipaddress.ip_address(candidate), settings['subnet_len']))
    return None


def compatible(settings, subnet):
    """flannel's isSubnetConfigCompat: of SubnetLen and within [SubnetMin, SubnetMax]."""
    return subnet.prefixlen == settings['subnet_len'] and settings['subnet_min'] <= subnet.network_address <= settings['subnet_max']


def lease_expires(settings, now):
    return now + settings['lease_ttl'] if settings['lease_ttl'] else None


def needs_renewal(settings, lease, now):
    """Whether a lease of ours must get a new etcd lease: it has none (or one it must not have),
    or less than half of its time is left."""
    ttl = settings['lease_ttl']
    if not ttl:
        return bool(lease['etcd_lease'])
    expires = lease['marker'].get('Expires')
    if not lease['etcd_lease'] or not isinstance(expires, int) or isinstance(expires, bool):
        return True
    return expires - now < ttl // 2


def plan_leases(settings, nodes, current, owner, now, purge=False, state='present'):
    """What to write so that each node holds one lease, from the leases there are.

    `nodes`: [{name, public_ip (ip_address), subnet (ip_network or None: any)}], validated and
    with unique names and public IPs. `current`: parse_lease() results of every key under
    <prefix>/subnets/. Returns {'changes': [...], 'leases': {name: lease}, 'peers': [...],
    'ignored': [...]} where each change is {'verb': create|update|delete, 'key', 'subnet',
    'node', 'document' (create, update), 'mod_revision' (update, delete), 'etcd_lease' (the
    key's etcd lease; delete: the one to revoke, 0 when it was not ours), 'renew' (update: a new
    etcd lease is needed), 'owned' (update: the lease was ours before)}.

    Rules: a node first keeps a lease carrying its own PublicIP (ours or flanneld's) that fits the
    settings; a lease with its PublicIP that does not fit, or a second one of ours, is deleted.
    A node without a lease gets its pinned subnet, else a free one of [SubnetMin, SubnetMax];
    every subnet some key holds counts as taken (flanneld's, a reservation, one we cannot read).
    With purge, our leases (marker Owner == owner) whose PublicIP is no node's are deleted. With
    state absent, our leases of the nodes are deleted. Leases of other hosts, and leases we did
    not write of hosts that are not ours, are never touched.
    """
    by_ip = dict((node['public_ip'], node) for node in nodes)
    changes, leases, ignored = [], {}, []
    taken = Taken(lease['subnet'] for lease in current)
    kept_keys = set()
    deleted_keys = set()

    def delete(lease, node_name):
        changes.append({'verb': 'delete', 'key': lease['key'], 'subnet': lease['subnet'], 'node': node_name,
                        'mod_revision': lease['mod_revision'], 'etcd_lease': lease['etcd_lease'] if owned_by(lease, owner) else 0})
        taken.remove(lease['subnet'])
        deleted_keys.add(lease['key'])

    for lease in current:
        if lease['problem'] and not owned_by(lease, owner):
            ignored.append({'key': lease['key'], 'problem': lease['problem']})

    if state == 'absent':
        for lease in current:
            node = by_ip.get(lease['public_ip'])
            if node is not None and owned_by(lease, owner):
                delete(lease, node['name'])
        return {'changes': changes, 'leases': {}, 'peers': _peers(current, deleted_keys, {}, by_ip), 'ignored': ignored}

    # Subnets nodes ask for are not handed to the nodes before them.
    reserved = Taken(node['subnet'] for node in nodes if node['subnet'] is not None)
    by_lease_ip = {}
    for lease in current:
        by_lease_ip.setdefault(lease['public_ip'], []).append(lease)
    for node in nodes:
        mine = list(by_lease_ip.get(node['public_ip'], ()))
        # Ours for this very host first, then ours, then flanneld's; lowest subnet first among equals.
        mine.sort(key=lambda lease: (not (owned_by(lease, owner) and lease['marker'].get('Host') == node['name']),
                                     not owned_by(lease, owner), int(lease['subnet'].network_address)))
        chosen = None
        for lease in mine:
            fits = compatible(settings, lease['subnet']) and (node['subnet'] is None or lease['subnet'] == node['subnet'])
            if chosen is None and fits:
                chosen = lease
            elif owned_by(lease, owner) or not fits:
                # A second lease of ours for the node, or one of its own PublicIP that no longer fits
                # (flanneld deletes those too): its subnet goes back to the pool.
                delete(lease, node['name'])
        vtep_mac = (chosen or {}).get('vtep_mac') or derived_vtep_mac(settings['vni'], node['public_ip'])
        if chosen is not None:
            document = lease_document(node['public_ip'], settings['vni'], vtep_mac, owner, node['name'],
                                      (chosen['marker'] or {}).get('Expires') if owned_by(chosen, owner) else None)
            renew = not owned_by(chosen, owner) or needs_renewal(settings, chosen, now)
            if renew:
                document = lease_document(node['public_ip'], settings['vni'], vtep_mac, owner, node['name'],
                                          lease_expires(settings, now))
            if renew or _differs(chosen, document):
                changes.append({'verb': 'update', 'key': chosen['key'], 'subnet': chosen['subnet'], 'node': node['name'],
                                'document': document, 'mod_revision': chosen['mod_revision'], 'renew': renew,
                                'etcd_lease': chosen['etcd_lease'], 'owned': owned_by(chosen, owner)})
            kept_keys.add(chosen['key'])
            leases[node['name']] = _result(chosen['key'], chosen['subnet'], node['public_ip'], vtep_mac, settings['vni'])
            continue
        subnet = node['subnet']
        if subnet is not None:
            reserved.remove(subnet)
            if taken.overlaps(subnet):
                holder = [lease['key'] for lease in current if lease['subnet'].overlaps(subnet) and lease['key'] not in deleted_keys]
                raise OptionError('nodes', "%s asks for the subnet %s, which the lease %s holds" % (
                    node['name'], subnet, ', '.join(holder) or '(planned for another node)'))
        else:
            subnet = free_subnet(settings, taken, node['public_ip'], reserved)
            if subnet is None:
                raise OptionError('nodes', 'no free subnet is left for %s: every /%d of %s .. %s is leased' % (
                    node['name'], settings['subnet_len'], settings['subnet_min'], settings['subnet_max']))
        taken.add(subnet)
        document = lease_document(node['public_ip'], settings['vni'], vtep_mac, owner, node['name'], lease_expires(settings, now))
        key = subnet_key(settings['prefix'], subnet)
        changes.append({'verb': 'create', 'key': key, 'subnet': subnet, 'node': node['name'], 'document': document})
        leases[node['name']] = _result(key, subnet, node['public_ip'], vtep_mac, settings['vni'])

    if purge:
        for lease in current:
            if owned_by(lease, owner) and lease['public_ip'] not in by_ip and lease['key'] not in deleted_keys:
                delete(lease, (lease['marker'] or {}).get('Host'))
    return {'changes': changes, 'leases': leases, 'peers': _peers(current, deleted_keys, leases, by_ip), 'ignored': ignored}


def _differs(lease, document):
    try:
        return json.loads(lease['value']) != document
    except ValueError:
        return True


def _result(key, subnet, public_ip, vtep_mac, vni):
    return {'key': key, 'subnet': str(subnet), 'public_ip': str(public_ip), 'vtep_mac': vtep_mac, 'vni': vni}


def _peers(current, deleted_keys, leases, by_ip):
    """Every lease a node of the overlay reaches: ours as planned, and every other usable vxlan
    lease (flanneld's), except those carrying a PublicIP of one of our nodes that are not its lease."""
    # Sorted by subnet; the sort keys are the networks parsed once (hundreds of leases).
    ordered = [(int(ipaddress.ip_network(lease['subnet']).network_address), dict(lease, owned=True, node=name))
               for name, lease in leases.items()]
    chosen = set(lease['key'] for lease in leases.values())
    for lease in current:
        if lease['key'] in deleted_keys or lease['key'] in chosen or lease['problem'] or lease['public_ip'] in by_ip:
            continue
        ordered.append((int(lease['subnet'].network_address), dict(
            _result(lease['key'], lease['subnet'], lease['public_ip'], lease['vtep_mac'], lease['vni']), owned=False, node=None)))
    return [peer for _key, peer in sorted(ordered, key=lambda item: item[0])]


# --- subnet.env -----------------------------------------------------------------------------------

def subnet_env(network, subnet, mtu, ip_masq):
    """/run/flannel/subnet.env as flanneld writes it (WriteSubnetFile): the network, the subnet's
    first address with its length, the overlay MTU, whether flannel masquerades."""
    subnet = ipaddress.ip_network(str(subnet))
    return 'FLANNEL_NETWORK=%s\nFLANNEL_SUBNET=%s/%d\nFLANNEL_MTU=%d\nFLANNEL_IPMASQ=%s\n' % (
        network, subnet.network_address + 1, subnet.prefixlen, mtu, 'true' if ip_masq else 'false')

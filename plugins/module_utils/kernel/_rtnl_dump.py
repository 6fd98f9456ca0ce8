# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's rtnetlink decoder: every read of links, addresses, routes, rules, neighbours
and FDB entries, parsed with the standard library.

Reads never go through pyroute2, so what a read returns does not depend on the pyroute2 version a
node has (Debian 12's 0.7.2 or PyPI's 0.9.x), and a run that changes nothing never imports it;
pyroute2 only builds the requests that change the kernel (_netlink.Session). Only the fields the
planners use are decoded: decoding whole messages with pyroute2 cost most of a no-change run over
a hundred endpoints (about 2.5 ms per namespace, nearly all of it generic attribute decoding),
and each link message carries dozens of attributes. A planner that needs another field adds it
here (the IFLA_* numbers, INFO_DATA and PORT_DATA for a kind's own options); the integration
target netlink_readers checks every decoded field against pyroute2's reading of the same
namespace, with both pyroute2 versions.
"""

from __future__ import annotations

import os
import socket
import struct

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns

NETLINK_ROUTE = 0
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
RTM_NEWLINK, RTM_GETLINK = 16, 18
RTM_NEWADDR, RTM_GETADDR = 20, 22
RTM_NEWROUTE, RTM_GETROUTE = 24, 26
RTM_NEWRULE, RTM_GETRULE = 32, 34
RTM_NEWNEIGH, RTM_GETNEIGH = 28, 30
AF_UNSPEC, AF_INET, AF_BRIDGE, AF_INET6 = 0, 2, 7, 10
IFF_UP = 0x1
NLA_F_MASK = 0x3fff  # attribute type without the NESTED and NET_BYTEORDER flags

# linux/if_link.h
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER = 1, 3, 4, 5, 10
IFLA_OPERSTATE, IFLA_LINKINFO, IFLA_IFALIAS, IFLA_LINK_NETNSID = 16, 18, 20, 37
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 1, 2, 4, 5
# The kind-specific options decoded, under pyroute2's names: a bridge's STP and VLAN
# filtering, a bridge port's hairpin mode, a vxlan's fixed settings and learning (what the bridge,
# endpoints and vxlan planners compare).
INFO_DATA = {
    'bridge': {5: ('IFLA_BR_STP_STATE', 'u32'), 7: ('IFLA_BR_VLAN_FILTERING', 'u8')},
    'vxlan': {1: ('IFLA_VXLAN_ID', 'u32'), 3: ('IFLA_VXLAN_LINK', 'u32'), 4: ('IFLA_VXLAN_LOCAL', 'ipv4'),
              7: ('IFLA_VXLAN_LEARNING', 'u8'), 15: ('IFLA_VXLAN_PORT', 'be16')},
}
PORT_DATA = {'bridge': {4: ('IFLA_BRPORT_MODE', 'u8')}}
OPERSTATES = ('UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP')
# linux/if_addr.h
IFA_ADDRESS, IFA_LOCAL = 1, 2
# linux/rtnetlink.h
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_TABLE = 1, 4, 5, 6, 7, 15
# linux/fib_rules.h
FRA_DST, FRA_SRC, FRA_IIFNAME, FRA_PRIORITY, FRA_FWMARK, FRA_TABLE, FRA_OIFNAME = 1, 2, 3, 6, 10, 15, 17

NLMSGHDR = struct.Struct('=IHHII')      # length, type, flags, seq, pid
IFINFOMSG = struct.Struct('=BxHiII')    # family, type, index, flags, change
IFADDRMSG = struct.Struct('=BBBBI')     # family, prefixlen, flags, scope, index
RTMSG = struct.Struct('=BBBBBBBBI')     # family, dst_len, src_len, tos, table, proto, scope, type, flags
FIB_RULE_HDR = struct.Struct('=BBBBBBBBI')  # family, dst_len, src_len, tos, table, res1, res2, action, flags
NDMSG = struct.Struct('=BxxxiHBB')      # family, ifindex, state, flags, type
NDA_DST, NDA_LLADDR = 1, 2
NLATTR = struct.Struct('=HH')
RECEIVE_BUFFER = 1 << 18
U32 = struct.Struct('=I')
S32 = struct.Struct('=i')


def attributes(data, offset=0):
    """{type: raw value} of the netlink attributes in data[offset:]; the first of a type wins."""
    found = {}
    end = len(data)
    while offset + NLATTR.size <= end:
        length, kind = NLATTR.unpack_from(data, offset)
        if length < NLATTR.size:
            break
        kind &= NLA_F_MASK
        if kind not in found:
            found[kind] = data[offset + NLATTR.size:offset + length]
        offset += (length + 3) & ~3
    return found


def _string(value):
    return value.split(b'\0', 1)[0].decode('utf-8', 'replace') if value is not None else None


def _u32(value):
    return U32.unpack(value[:4])[0] if value is not None and len(value) >= 4 else None


def _s32(value):
    return S32.unpack(value[:4])[0] if value is not None and len(value) >= 4 else None


def _ip(family, value):
    if value is None:
        return None
    return socket.inet_ntop(socket.AF_INET6 if family == AF_INET6 else socket.AF_INET, value)


def _mac(value):
    return ':'.join('%02x' % byte for byte in value) if value else None


def _options(data, table):
    """{pyroute2 name: value} of the attributes of `table` ({type: (name, 'u8'|'u32'|'ipv4'|'be16')}) in data."""
    if not data or not table:
        return {}
    options = {}
    for kind, value in attributes(data).items():
        if kind in table:
            name, size = table[kind]
            if size == 'u8':
                options[name] = value[0] if value else None
            elif size == 'ipv4':
                options[name] = _ip(AF_INET, value[:4]) if len(value) >= 4 else None
            elif size == 'be16':
                options[name] = struct.unpack('!H', value[:2])[0] if len(value) >= 2 else None
            else:
                options[name] = _u32(value)
    return options


def link_from_data(payload):
    """A link dict from the payload of an RTM_NEWLINK message;
    `info_data` and `port_data` hold only the options of INFO_DATA and PORT_DATA."""
    _family, _type, index, flags, _change = IFINFOMSG.unpack_from(payload)
    found = attributes(payload, IFINFOMSG.size)
    info = attributes(found[IFLA_LINKINFO]) if IFLA_LINKINFO in found else {}
    operstate = found.get(IFLA_OPERSTATE)
    kind = _string(info.get(IFLA_INFO_KIND))
    return {
        'info_data': _options(info.get(IFLA_INFO_DATA), INFO_DATA.get(kind)),
        'port_data': _options(info.get(IFLA_INFO_SLAVE_DATA), PORT_DATA.get(_string(info.get(IFLA_INFO_SLAVE_KIND)))),
        'name': _string(found.get(IFLA_IFNAME)),
        'index': index,
        'kind': kind,
        'up': bool(flags & IFF_UP),
        'operstate': OPERSTATES[operstate[0]] if operstate and operstate[0] < len(OPERSTATES) else None,
        'mtu': _u32(found.get(IFLA_MTU)),
        'mac': _mac(found.get(IFLA_ADDRESS)),
        'master': _u32(found.get(IFLA_MASTER)),
        'peer_index': _u32(found.get(IFLA_LINK)),
        'peer_netnsid': _s32(found.get(IFLA_LINK_NETNSID)),
        'alias': _string(found.get(IFLA_IFALIAS)),
    }


def address_from_data(payload):
    """{index, family, address, prefixlen} from the payload of an RTM_NEWADDR message."""
    family, prefixlen, _flags, _scope, index = IFADDRMSG.unpack_from(payload)
    found = attributes(payload, IFADDRMSG.size)
    # IPv4: IFA_LOCAL is the interface's own address (IFA_ADDRESS the peer's on point-to-point).
    raw = found.get(IFA_ADDRESS) if family == AF_INET6 else found.get(IFA_LOCAL) or found.get(IFA_ADDRESS)
    return {'index': index, 'family': family, 'address': _ip(family, raw), 'prefixlen': prefixlen}


def route_from_data(payload):
    """A route dict from the payload of an RTM_NEWROUTE message; `dst` is None for a default route."""
    family, dst_len, _src_len, _tos, table, proto, scope, kind, flags = RTMSG.unpack_from(payload)
    found = attributes(payload, RTMSG.size)
    table_attribute = _u32(found.get(RTA_TABLE))
    return {
        'family': family,
        'dst': _ip(family, found.get(RTA_DST)),
        'prefixlen': dst_len,
        'gateway': _ip(family, found.get(RTA_GATEWAY)),
        'oif': _u32(found.get(RTA_OIF)),
        'prefsrc': _ip(family, found.get(RTA_PREFSRC)),
        'priority': _u32(found.get(RTA_PRIORITY)),
        'table': table_attribute if table_attribute is not None else table,
        'scope': scope,
        'proto': proto,
        'type': kind,
        'flags': flags,
    }


def rule_from_data(payload):
    """A rule dict from the payload of an RTM_NEWRULE message; absent selectors are None."""
    family, dst_len, src_len, _tos, table, _res1, _res2, action, _flags = FIB_RULE_HDR.unpack_from(payload)
    found = attributes(payload, FIB_RULE_HDR.size)
    table_attribute = _u32(found.get(FRA_TABLE))
    return {
        'family': family,
        'priority': _u32(found.get(FRA_PRIORITY)) or 0,
        'table': table_attribute if table_attribute is not None else table,
        'action': action,
        'src': _ip(family, found.get(FRA_SRC)),
        'src_len': src_len,
        'dst': _ip(family, found.get(FRA_DST)),
        'dst_len': dst_len,
        'iif': _string(found.get(FRA_IIFNAME)),
        'oif': _string(found.get(FRA_OIFNAME)),
        'fwmark': _u32(found.get(FRA_FWMARK)),
    }


def neighbour_from_data(payload):
    """{index, family, dst, mac, state, flags} from the payload of an RTM_NEWNEIGH message."""
    family, index, state, flags, _kind = NDMSG.unpack_from(payload)
    found = attributes(payload, NDMSG.size)
    destination = found.get(NDA_DST)
    if destination is not None:
        destination = _ip(AF_INET6 if len(destination) == 16 else AF_INET, destination)
    return {'index': index, 'family': family, 'dst': destination, 'mac': _mac(found.get(NDA_LLADDR)), 'state': state,
            'flags': flags}


def messages(data):
    """(type, payload) of each message in a buffer; raises OSError for an NLMSG_ERROR."""
    offset = 0
    while offset + NLMSGHDR.size <= len(data):
        length, kind, _flags, _seq, _pid = NLMSGHDR.unpack_from(data, offset)
        if length < NLMSGHDR.size:
            break
        payload = data[offset + NLMSGHDR.size:offset + length]
        if kind == NLMSG_ERROR:
            code = -S32.unpack_from(payload)[0]
            if code:
                raise OSError(code, os.strerror(code))
        yield kind, payload
        offset += (length + 3) & ~3


class Reader(object):
    """One raw rtnetlink socket, opened in a namespace (None: the caller's own), for reads.

    Failures are raised as they come (OSError, _netns.NamespaceError): _netlink.Session turns
    them into messages naming what was being done.
    """

    def __init__(self, netns=None):
        self.sequence = 0
        if netns:
            with _netns.entered(netns):
                self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE)
        else:
            self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE)
        try:
            self.sock.bind((0, 0))
        except OSError:
            self.sock.close()
            raise

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _send(self, request_type, flags, body):
        self.sequence += 1
        self.sock.send(NLMSGHDR.pack(NLMSGHDR.size + len(body), request_type, flags, self.sequence, 0) + body)

    def dump(self, request_type, header, reply_type):
        """The payloads of the reply messages of one dump request."""
        self._send(request_type, NLM_F_REQUEST | NLM_F_DUMP, header)
        payloads = []
        while True:
            # The kernel sends a dump in chunks of at most 32 KiB (one per read).
            for kind, payload in messages(self.sock.recv(RECEIVE_BUFFER)):
                if kind == NLMSG_DONE:
                    return payloads
                if kind == reply_type:
                    payloads.append(payload)

    def get(self, request_type, body, reply_type):
        """The payload of the one reply to a request for one object; OSError when the kernel
        answers with an error (ENODEV: no such link)."""
        self._send(request_type, NLM_F_REQUEST, body)
        while True:
            for kind, payload in messages(self.sock.recv(RECEIVE_BUFFER)):
                if kind == reply_type:
                    return payload

    def links(self):
        """{name: link dict} of the namespace."""
        payloads = self.dump(RTM_GETLINK, IFINFOMSG.pack(AF_UNSPEC, 0, 0, 0, 0), RTM_NEWLINK)
        return dict((link['name'], link) for link in map(link_from_data, payloads))

    def link(self, name):
        """The link dict of link `name` (one request, no dump); OSError ENODEV when there is none."""
        value = name.encode('utf-8') + b'\0'
        padding = b'\0' * (-len(value) % 4)
        body = IFINFOMSG.pack(AF_UNSPEC, 0, 0, 0, 0) + NLATTR.pack(NLATTR.size + len(value), IFLA_IFNAME) + value + padding
        return link_from_data(self.get(RTM_GETLINK, body, RTM_NEWLINK))

    def link_by_index(self, index):
        """The link dict of the link with this index; OSError ENODEV when there is none."""
        return link_from_data(self.get(RTM_GETLINK, IFINFOMSG.pack(AF_UNSPEC, 0, index, 0, 0), RTM_NEWLINK))

    def addresses(self, index=None):
        """Address dicts, optionally of one link."""
        payloads = self.dump(RTM_GETADDR, IFADDRMSG.pack(AF_UNSPEC, 0, 0, 0, 0), RTM_NEWADDR)
        found = map(address_from_data, payloads)
        return [address for address in found if index is None or address['index'] == index]

    def routes(self, family=AF_UNSPEC, table=None):
        """Route dicts of a family, optionally of one table."""
        payloads = self.dump(RTM_GETROUTE, RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0), RTM_NEWROUTE)
        found = map(route_from_data, payloads)
        return [route for route in found if table is None or route['table'] == table]

    def neighbours(self, index):
        """Neighbour entries {family, dst, mac, state, flags} of one link (IPv4 and IPv6)."""
        payloads = self.dump(RTM_GETNEIGH, NDMSG.pack(AF_UNSPEC, 0, 0, 0, 0), RTM_NEWNEIGH)
        return [dict((key, entry[key]) for key in ('family', 'dst', 'mac', 'state', 'flags'))
                for entry in map(neighbour_from_data, payloads) if entry['index'] == index and entry['family'] != AF_BRIDGE]

    def fdb_entries(self, index):
        """Forwarding database entries {mac, dst, state, flags} of one link."""
        payloads = self.dump(RTM_GETNEIGH, NDMSG.pack(AF_BRIDGE, 0, 0, 0, 0), RTM_NEWNEIGH)
        return [dict((key, entry[key]) for key in ('mac', 'dst', 'state', 'flags'))
                for entry in map(neighbour_from_data, payloads) if entry['index'] == index and entry['family'] == AF_BRIDGE]

    def rules(self, family=AF_INET):
        """Rule dicts of a family."""
        payloads = self.dump(RTM_GETRULE, FIB_RULE_HDR.pack(family, 0, 0, 0, 0, 0, 0, 0, 0), RTM_NEWRULE)
        return [rule for rule in map(rule_from_data, payloads) if rule['family'] == family]

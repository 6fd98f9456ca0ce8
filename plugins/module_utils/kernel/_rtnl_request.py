# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rtnetlink requests of the hot path, encoded with the standard library.

Creating hundreds of endpoints spent most of its time in pyroute2's per-request machinery
(generic attribute encoding, a request and an ack per call, on 0.9 an event loop per call): more
than the kernel spent doing the work. The handful of requests an endpoint needs (a veth with its
peer in the container's namespace, link settings, addresses, routes) are built here and sent by
_netlink.Session in batches, several per send; everything else still goes through pyroute2.

Each function returns (message type, flags, body): _netlink.Session adds the header (length,
sequence number) when it queues the request. The defaults are pyroute2's, so that an object made
here reads back the same as one pyroute2 made (routes: protocol static, type unicast; the unit
tests compare the bytes with pyroute2's encoding of the same fields, and the integration target
netlink_readers the objects in the kernel).
"""

from __future__ import annotations

import socket

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._rtnl_dump import (
    AF_INET, AF_INET6, AF_UNSPEC, IFA_ADDRESS, IFA_LOCAL, IFADDRMSG, IFF_UP, IFINFOMSG, IFLA_ADDRESS, IFLA_IFALIAS, IFLA_IFNAME,
    IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_LINKINFO, IFLA_MASTER, IFLA_MTU, NLATTR, NLM_F_REQUEST, RTA_DST, RTA_GATEWAY, RTA_OIF,
    RTA_PREFSRC, RTA_PRIORITY, RTA_TABLE, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE, RTMSG, U32)

# The decoder (_rtnl_dump) defines the kernel's numbers and layouts both directions share; these
# are the ones only requests use.
NLM_F_ACK = 0x4
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLA_F_NESTED = 0x8000

RTM_SETLINK = 19
RTM_DELADDR = 21

# linux/if_link.h, linux/veth.h
IFLA_NET_NS_FD = 28
VETH_INFO_PEER = 1
# linux/rtnetlink.h
RTPROT_STATIC = 4
RTN_UNICAST = 1
RT_TABLE_COMPAT = 252  # rtm_table of a table above 255, whose number travels in RTA_TABLE
RT_SCOPE_UNIVERSE = 0

CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
CHANGE = NLM_F_REQUEST | NLM_F_ACK
REPLACE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE


def attribute(kind, value):
    """One netlink attribute, padded to 4 bytes."""
    length = NLATTR.size + len(value)
    return NLATTR.pack(length, kind) + value + b'\0' * (-length % 4)


def nested(kind, *parts):
    return attribute(kind | NLA_F_NESTED, b''.join(parts))


def string(value):
    return value.encode('utf-8') + b'\0'


def u32(value):
    return U32.pack(value)


def mac(text):
    return bytes(int(part, 16) for part in text.split(':'))


def ip(family, text):
    return socket.inet_pton(socket.AF_INET6 if family == AF_INET6 else socket.AF_INET, text)


def family_of(text):
    return AF_INET6 if ':' in text else AF_INET


def _link_attributes(name=None, mtu=None, address=None, master=None, net_ns_fd=None):
    parts = []
    if name is not None:
        parts.append(attribute(IFLA_IFNAME, string(name)))
    if mtu is not None:
        parts.append(attribute(IFLA_MTU, u32(mtu)))
    if address:
        parts.append(attribute(IFLA_ADDRESS, mac(address)))
    if master is not None:
        parts.append(attribute(IFLA_MASTER, u32(master)))
    if net_ns_fd is not None:
        parts.append(attribute(IFLA_NET_NS_FD, u32(net_ns_fd)))
    return b''.join(parts)


def _flags(up):
    """(ifi_flags, ifi_change) that set the link up (True), down (False) or leave it (None)."""
    if up is None:
        return 0, 0
    return (IFF_UP if up else 0), IFF_UP


def new_veth(name, peer, peer_netns_fd=None, mtu=None, address=None, peer_address=None, master=None, up=False):
    """ip link add <name> [mtu] [address] [master] [up] type veth peer name <peer> [netns] [mtu] [address]:
    one RTM_NEWLINK. The peer cannot be brought up in it: the kernel configures the peer before
    it pairs the two ends, and opening an unpaired veth fails (ENOTCONN)."""
    flags, change = _flags(up or None)
    peer_part = IFINFOMSG.pack(AF_UNSPEC, 0, 0, 0, 0) + _link_attributes(
        peer, mtu, peer_address, net_ns_fd=peer_netns_fd)
    body = IFINFOMSG.pack(AF_UNSPEC, 0, 0, flags, change) + _link_attributes(name, mtu, address, master) + nested(
        IFLA_LINKINFO, attribute(IFLA_INFO_KIND, string('veth')),
        nested(IFLA_INFO_DATA, nested(VETH_INFO_PEER, peer_part)))
    return RTM_NEWLINK, CREATE, body


SET_LINK_KEYS = frozenset(('state', 'mtu', 'master', 'ifalias', 'address'))


def set_link(index=None, name=None, state=None, mtu=None, master=None, ifalias=None, address=None):
    """ip link set: by index, or (index None) by name, the kernel finding the link.
    state 'up'/'down', mtu, master (an ifindex; 0 leaves the bridge), ifalias, address (MAC)."""
    flags, change = _flags(None if state is None else state == 'up')
    body = IFINFOMSG.pack(AF_UNSPEC, 0, index or 0, flags, change) + _link_attributes(
        name if not index else None, mtu, address, master)
    if ifalias is not None:
        # Without the terminating NUL, as `ip link set alias` sends it; the kernel stores the bytes given.
        body += attribute(IFLA_IFALIAS, ifalias.encode('utf-8'))
    return RTM_SETLINK, CHANGE, body


def address(verb, index, text, prefixlen):
    """ip address add/del <text>/<prefixlen> dev <index>: IFA_LOCAL and IFA_ADDRESS, as `ip` and
    pyroute2 send them (the kernel takes the local address from the first, the peer from the second)."""
    family = family_of(text)
    raw = ip(family, text)
    body = IFADDRMSG.pack(family, prefixlen, 0, RT_SCOPE_UNIVERSE, index) + attribute(IFA_LOCAL, raw) + attribute(IFA_ADDRESS, raw)
    if verb == 'add':
        return RTM_NEWADDR, CREATE, body
    return RTM_DELADDR, CHANGE, body


ROUTE_KEYS = frozenset(('family', 'dst_len', 'table', 'dst', 'gateway', 'oif', 'flags', 'priority', 'prefsrc', 'proto', 'scope'))


def replace_route(family, dst_len, table=254, dst=None, gateway=None, oif=None, flags=0, priority=None, prefsrc=None, proto=None,
                  scope=RT_SCOPE_UNIVERSE):
    """ip route replace, with the arguments _executor gives pyroute2's IPRoute.route (same names).

    Deleting stays with pyroute2: a delete matches routes by the fields it gives (a protocol or
    type given here would spare routes made by others), and it is not on the hot path."""
    body = RTMSG.pack(family, dst_len, 0, 0, table if table < 256 else RT_TABLE_COMPAT,
                      RTPROT_STATIC if proto is None else proto, scope, RTN_UNICAST, flags or 0)
    body += attribute(RTA_TABLE, u32(table))
    if dst is not None:
        body += attribute(RTA_DST, ip(family, dst))
    if gateway is not None:
        body += attribute(RTA_GATEWAY, ip(family, gateway))
    if oif is not None:
        body += attribute(RTA_OIF, u32(oif))
    if priority is not None:
        body += attribute(RTA_PRIORITY, u32(priority))
    if prefsrc is not None:
        body += attribute(RTA_PREFSRC, ip(family, prefsrc))
    return RTM_NEWROUTE, REPLACE, body

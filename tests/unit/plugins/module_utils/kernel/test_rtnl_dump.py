# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The standard-library rtnetlink parsers, on messages built here. (Against the kernel, and
against pyroute2's reads of the same namespace: integration target netlink_readers.)"""

from __future__ import annotations

import errno
import socket
import struct

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _rtnl_dump as rtnl


def attribute(kind, value):
    length = 4 + len(value)
    return struct.pack('=HH', length, kind) + value + b'\0' * ((4 - length % 4) % 4)


def u32(value):
    return struct.pack('=I', value)


def link_payload(index=7, flags=rtnl.IFF_UP, kind=None, info_data=b'', slave_kind=None, slave_data=b'', **extra):
    body = rtnl.IFINFOMSG.pack(0, 1, index, flags, 0)
    body += attribute(rtnl.IFLA_IFNAME, b'eth0\0')
    linkinfo = b''
    if kind:
        linkinfo += attribute(rtnl.IFLA_INFO_KIND, kind.encode() + b'\0')
        if info_data:
            linkinfo += attribute(rtnl.IFLA_INFO_DATA | 0x8000, info_data)
    if slave_kind:
        linkinfo += attribute(rtnl.IFLA_INFO_SLAVE_KIND, slave_kind.encode() + b'\0')
        linkinfo += attribute(rtnl.IFLA_INFO_SLAVE_DATA | 0x8000, slave_data)
    if linkinfo:
        body += attribute(rtnl.IFLA_LINKINFO | 0x8000, linkinfo)
    for kind_number, value in extra.values():
        body += attribute(kind_number, value)
    return body


def test_attributes_first_of_a_type_wins_and_flags_are_masked():
    data = attribute(3, b'a\0') + attribute(3 | 0x8000, b'b\0') + attribute(4, u32(9))
    assert rtnl.attributes(data) == {3: b'a\0', 4: u32(9)}


def test_attributes_stop_at_a_truncated_or_broken_attribute():
    assert rtnl.attributes(attribute(3, b'abc\0') + b'\x02\x00') == {3: b'abc\0'}
    assert rtnl.attributes(struct.pack('=HH', 2, 1) + attribute(3, b'x')) == {}


def test_link_from_data_plain_fields():
    payload = link_payload(index=12, flags=0, kind='veth',
                           mtu=(rtnl.IFLA_MTU, u32(1400)), mac=(rtnl.IFLA_ADDRESS, bytes([2, 0, 0, 0, 0, 0xab])),
                           operstate=(rtnl.IFLA_OPERSTATE, b'\x02'), peer=(rtnl.IFLA_LINK, u32(3)),
                           netnsid=(rtnl.IFLA_LINK_NETNSID, struct.pack('=i', -1)), alias=(rtnl.IFLA_IFALIAS, b'mark\0'),
                           master=(rtnl.IFLA_MASTER, u32(5)))
    link = rtnl.link_from_data(payload)
    assert link == {'info_data': {}, 'port_data': {}, 'name': 'eth0', 'index': 12, 'kind': 'veth', 'up': False,
                    'operstate': 'DOWN', 'mtu': 1400, 'mac': '02:00:00:00:00:ab', 'master': 5, 'peer_index': 3,
                    'peer_netnsid': -1, 'alias': 'mark'}


def test_link_from_data_without_attributes_gives_none():
    link = rtnl.link_from_data(rtnl.IFINFOMSG.pack(0, 1, 1, rtnl.IFF_UP, 0))
    assert link['name'] is None and link['kind'] is None and link['mtu'] is None and link['up']


@pytest.mark.parametrize('kind, info_data, slave_kind, slave_data, expected_info, expected_port', [
    ('bridge', attribute(5, u32(1)) + attribute(7, b'\x01') + attribute(1, u32(1500)), None, b'',
     {'IFLA_BR_STP_STATE': 1, 'IFLA_BR_VLAN_FILTERING': 1}, {}),
    ('veth', b'', 'bridge', attribute(4, b'\x01') + attribute(1, b'\x03'), {}, {'IFLA_BRPORT_MODE': 1}),
    # A vxlan's VNI, underlay, local address, learning and port (network byte order), as pyroute2 names them.
    ('vxlan', attribute(1, u32(42)) + attribute(3, u32(2)) + attribute(4, socket.inet_aton('10.88.0.11')) + attribute(7, b'\x00')
     + attribute(15, b'\x21\x18') + attribute(2, socket.inet_aton('239.1.1.1')), None, b'',
     {'IFLA_VXLAN_ID': 42, 'IFLA_VXLAN_LINK': 2, 'IFLA_VXLAN_LOCAL': '10.88.0.11', 'IFLA_VXLAN_LEARNING': 0, 'IFLA_VXLAN_PORT': 8472}, {}),
    # Options of other kinds are not decoded.
    ('macvlan', attribute(1, u32(4)), None, b'', {}, {}),
    ('veth', b'', 'bond', attribute(4, b'\x01'), {}, {}),
])
def test_link_from_data_kind_options(kind, info_data, slave_kind, slave_data, expected_info, expected_port):
    link = rtnl.link_from_data(link_payload(kind=kind, info_data=info_data, slave_kind=slave_kind, slave_data=slave_data))
    assert (link['info_data'], link['port_data']) == (expected_info, expected_port)


@pytest.mark.parametrize('family, attributes_, expected', [
    (rtnl.AF_INET, attribute(rtnl.IFA_LOCAL, socket.inet_aton('10.0.0.1')) + attribute(rtnl.IFA_ADDRESS, socket.inet_aton('10.0.0.2')),
     '10.0.0.1'),
    (rtnl.AF_INET, attribute(rtnl.IFA_ADDRESS, socket.inet_aton('10.0.0.2')), '10.0.0.2'),
    (rtnl.AF_INET6, attribute(rtnl.IFA_ADDRESS, socket.inet_pton(socket.AF_INET6, 'fd00::1')), 'fd00::1'),
])
def test_address_from_data(family, attributes_, expected):
    address = rtnl.address_from_data(rtnl.IFADDRMSG.pack(family, 24, 0, 0, 4) + attributes_)
    assert address == {'index': 4, 'family': family, 'address': expected, 'prefixlen': 24}


def test_route_from_data_table_attribute_wins_over_the_header():
    payload = rtnl.RTMSG.pack(rtnl.AF_INET, 16, 0, 0, 252, 76, 0, 1, 0)
    payload += attribute(rtnl.RTA_DST, socket.inet_aton('10.50.0.0')) + attribute(rtnl.RTA_GATEWAY, socket.inet_aton('10.9.0.9'))
    payload += attribute(rtnl.RTA_TABLE, u32(1000)) + attribute(rtnl.RTA_OIF, u32(3)) + attribute(rtnl.RTA_PRIORITY, u32(10))
    assert rtnl.route_from_data(payload) == {
        'family': rtnl.AF_INET, 'dst': '10.50.0.0', 'prefixlen': 16, 'gateway': '10.9.0.9', 'oif': 3, 'prefsrc': None,
        'priority': 10, 'table': 1000, 'scope': 0, 'proto': 76, 'type': 1, 'flags': 0}


def test_default_route_has_no_destination_and_the_header_table():
    route = rtnl.route_from_data(rtnl.RTMSG.pack(rtnl.AF_INET, 0, 0, 0, 254, 4, 0, 1, 0))
    assert (route['dst'], route['prefixlen'], route['table']) == (None, 0, 254)


def test_rule_from_data():
    payload = rtnl.FIB_RULE_HDR.pack(rtnl.AF_INET, 0, 8, 0, 76, 0, 0, 1, 0)
    payload += attribute(rtnl.FRA_SRC, socket.inet_aton('10.0.0.0')) + attribute(rtnl.FRA_PRIORITY, u32(31001))
    payload += attribute(rtnl.FRA_IIFNAME, b'v1\0') + attribute(rtnl.FRA_FWMARK, u32(16))
    assert rtnl.rule_from_data(payload) == {
        'family': rtnl.AF_INET, 'priority': 31001, 'table': 76, 'action': 1, 'src': '10.0.0.0', 'src_len': 8,
        'dst': None, 'dst_len': 0, 'iif': 'v1', 'oif': None, 'fwmark': 16}


def test_rule_without_priority_is_priority_zero():
    assert rtnl.rule_from_data(rtnl.FIB_RULE_HDR.pack(rtnl.AF_INET, 0, 0, 0, 255, 0, 0, 1, 0))['priority'] == 0


def message(kind, payload):
    return rtnl.NLMSGHDR.pack(rtnl.NLMSGHDR.size + len(payload), kind, 0, 1, 0) + payload + b'\0' * ((4 - len(payload) % 4) % 4)


def test_messages_splits_a_buffer():
    data = message(rtnl.RTM_NEWLINK, b'abcde') + message(rtnl.RTM_NEWLINK, b'xyz!') + message(rtnl.NLMSG_DONE, u32(0))
    assert list(rtnl.messages(data)) == [
        (rtnl.RTM_NEWLINK, b'abcde'), (rtnl.RTM_NEWLINK, b'xyz!'), (rtnl.NLMSG_DONE, u32(0))]


def test_messages_raise_the_error_of_an_nlmsg_error():
    data = message(rtnl.NLMSG_ERROR, struct.pack('=i', -errno.EPERM) + b'\0' * 16)
    with pytest.raises(OSError) as raised:
        list(rtnl.messages(data))
    assert raised.value.errno == errno.EPERM


def test_an_acknowledgement_is_not_an_error():
    data = message(rtnl.NLMSG_ERROR, struct.pack('=i', 0) + b'\0' * 16)
    assert [kind for kind, _payload in rtnl.messages(data)] == [rtnl.NLMSG_ERROR]


def neighbour_payload(family, index, state, flags, destination=None, mac=None):
    payload = rtnl.NDMSG.pack(family, index, state, flags, 0)
    if destination is not None:
        payload += attribute(rtnl.NDA_DST, destination)
    if mac is not None:
        payload += attribute(rtnl.NDA_LLADDR, mac)
    return payload


@pytest.mark.parametrize('payload, expected', [
    (neighbour_payload(rtnl.AF_INET, 5, 0x80, 0, socket.inet_aton('10.5.2.0'), b'\x0a\x00\x00\x00\x00\x02'),
     {'index': 5, 'family': rtnl.AF_INET, 'dst': '10.5.2.0', 'mac': '0a:00:00:00:00:02', 'state': 0x80, 'flags': 0}),
    # An FDB entry of a vxlan device: its remote VTEP in NDA_DST.
    (neighbour_payload(rtnl.AF_BRIDGE, 5, 0xc0, 2, socket.inet_aton('10.88.0.12'), b'\x0a\x00\x00\x00\x00\x02'),
     {'index': 5, 'family': rtnl.AF_BRIDGE, 'dst': '10.88.0.12', 'mac': '0a:00:00:00:00:02', 'state': 0xc0, 'flags': 2}),
    (neighbour_payload(rtnl.AF_INET6, 5, 0x40, 0, socket.inet_pton(socket.AF_INET6, 'ff02::16'), b'\x33\x33\x00\x00\x00\x16'),
     {'index': 5, 'family': rtnl.AF_INET6, 'dst': 'ff02::16', 'mac': '33:33:00:00:00:16', 'state': 0x40, 'flags': 0}),
    (neighbour_payload(rtnl.AF_BRIDGE, 7, 0x80, 2, mac=b'\x02\x00\x00\x00\x00\x07'),
     {'index': 7, 'family': rtnl.AF_BRIDGE, 'dst': None, 'mac': '02:00:00:00:00:07', 'state': 0x80, 'flags': 2}),
])
def test_neighbour_from_data(payload, expected):
    assert rtnl.neighbour_from_data(payload) == expected


class FakeSocket(object):
    """Records what a Reader sends and answers with prepared reads (one buffer per recv)."""

    def __init__(self, *reads):
        self.sent = []
        self.reads = list(reads)

    def send(self, data):
        self.sent.append(data)

    def recv(self, _size):
        return self.reads.pop(0)


def reader_answering(*reads):
    reader = rtnl.Reader.__new__(rtnl.Reader)
    reader.sequence = 0
    reader.sock = FakeSocket(*reads)
    return reader


def request_of(data):
    """(type, flags, body) of a sent request."""
    length, kind, flags, _sequence, _pid = rtnl.NLMSGHDR.unpack_from(data)
    assert length == len(data)
    return kind, flags, data[rtnl.NLMSGHDR.size:]


def test_a_link_by_name_is_one_request_with_its_name_and_no_dump():
    reader = reader_answering(message(rtnl.RTM_NEWLINK, link_payload(index=12)))
    assert reader.link('eth0')['index'] == 12
    kind, flags, body = request_of(reader.sock.sent[0])
    assert (kind, flags) == (rtnl.RTM_GETLINK, rtnl.NLM_F_REQUEST)
    assert body == rtnl.IFINFOMSG.pack(0, 0, 0, 0, 0) + attribute(rtnl.IFLA_IFNAME, b'eth0\0')


def test_a_link_by_index_asks_for_the_index():
    reader = reader_answering(message(rtnl.RTM_NEWLINK, link_payload(index=7)))
    assert reader.link_by_index(7)['name'] == 'eth0'
    assert request_of(reader.sock.sent[0]) == (rtnl.RTM_GETLINK, rtnl.NLM_F_REQUEST, rtnl.IFINFOMSG.pack(0, 0, 7, 0, 0))


@pytest.mark.parametrize('lookup', [lambda reader: reader.link('nope'), lambda reader: reader.link_by_index(99)], ids=['name', 'index'])
def test_a_missing_link_is_the_kernels_enodev(lookup):
    reader = reader_answering(message(rtnl.NLMSG_ERROR, struct.pack('=i', -errno.ENODEV) + b'\0' * 16))
    with pytest.raises(OSError) as raised:
        lookup(reader)
    assert raised.value.errno == errno.ENODEV


def test_a_dump_reads_until_done_across_reads_and_skips_other_types():
    first = message(rtnl.RTM_NEWLINK, link_payload(index=1)) + message(rtnl.RTM_NEWADDR, b'\0' * 8)
    second = message(rtnl.RTM_NEWLINK, link_payload(index=2)) + message(rtnl.NLMSG_DONE, u32(0))
    reader = reader_answering(first, second)
    payloads = reader.dump(rtnl.RTM_GETLINK, b'', rtnl.RTM_NEWLINK)
    assert [rtnl.link_from_data(payload)['index'] for payload in payloads] == [1, 2]
    assert reader.sock.reads == []
    kind, flags, _body = request_of(reader.sock.sent[0])
    assert (kind, flags) == (rtnl.RTM_GETLINK, rtnl.NLM_F_REQUEST | rtnl.NLM_F_DUMP)

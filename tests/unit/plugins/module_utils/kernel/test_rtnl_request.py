# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The standard-library encoder of the hot path's requests (_rtnl_request), and the queue of
_netlink.Session that sends them in batches, on a fake socket. Against the kernel: the
integration targets endpoints, route, routes, veth and netlink_readers, with both pyroute2 versions."""

from __future__ import annotations

import errno
import socket
import struct

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils import _errors
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netlink
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _rtnl_request as request
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._rtnl_dump import NLMSGHDR, attributes

try:
    # Imported while tests are collected: pyroute2 reads /proc/net/psched when it is first
    # imported, which the unit tests' host guard refuses inside a test.
    from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    from pyroute2.netlink.rtnl.rtmsg import rtmsg
except ImportError:
    ifaddrmsg = ifinfmsg = rtmsg = None

needs_pyroute2 = pytest.mark.skipif(rtmsg is None, reason='pyroute2 is not installed')
SEQUENCE = 7


def message(encoded):
    kind, flags, body = encoded
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), kind, flags, SEQUENCE, 0) + body


def pyroute2_encoding(message_class, encoded, fields, nlas):
    """What pyroute2 encodes for the same header, fields and attributes (in the same order)."""
    kind, flags, _body = encoded
    built = message_class()
    built['header'] = {'type': kind, 'flags': flags, 'sequence_number': SEQUENCE, 'pid': 0}
    for name, value in fields.items():
        built[name] = value
    built['attrs'] = nlas
    built.encode()
    return bytes(built.data)


def test_set_link_up_by_name_hand_checked():
    kind, flags, body = request.set_link(name='eth0', state='up')
    assert (kind, flags) == (request.RTM_SETLINK, request.NLM_F_REQUEST | request.NLM_F_ACK)
    # ifinfomsg: family 0, type 0, index 0 (the kernel finds the link by name), flags IFF_UP, change IFF_UP.
    assert body[:16] == struct.pack('=BxHiII', 0, 0, 0, 1, 1)
    # IFLA_IFNAME (3): length 4 + 5, "eth0\0", padded to 12.
    assert body[16:] == struct.pack('=HH', 9, 3) + b'eth0\0' + b'\0\0\0'


def test_set_link_by_index_leaves_the_name_out_and_alias_has_no_nul():
    _kind, _flags, body = request.set_link(index=12, name='h1', ifalias='mark', master=0)
    family, _type, index, flags, change = struct.unpack_from('=BxHiII', body)
    assert (family, index, flags, change) == (0, 12, 0, 0)
    found = attributes(body, 16)
    assert found == {request.IFLA_MASTER: struct.pack('=I', 0), request.IFLA_IFALIAS: b'mark'}


def test_set_link_down_sets_the_change_mask():
    _kind, _flags, body = request.set_link(index=3, state='down', mtu=1400)
    assert struct.unpack_from('=BxHiII', body)[3:] == (0, request.IFF_UP)
    assert attributes(body, 16) == {request.IFLA_MTU: struct.pack('=I', 1400)}


def test_new_veth_nests_the_peer_with_its_namespace():
    kind, flags, body = request.new_veth('h1', 'eth0', peer_netns_fd=9, mtu=1400, address='02:00:00:00:00:01', master=5, up=True)
    assert (kind, flags) == (request.RTM_NEWLINK, request.CREATE)
    assert struct.unpack_from('=BxHiII', body)[2:] == (0, request.IFF_UP, request.IFF_UP)
    found = attributes(body, 16)
    assert found[request.IFLA_IFNAME] == b'h1\0'
    assert found[request.IFLA_MASTER] == struct.pack('=I', 5)
    assert found[request.IFLA_MTU] == struct.pack('=I', 1400)
    assert found[request.IFLA_ADDRESS] == bytes([2, 0, 0, 0, 0, 1])
    info = attributes(found[request.IFLA_LINKINFO])
    assert info[request.IFLA_INFO_KIND] == b'veth\0'
    peer = attributes(info[request.IFLA_INFO_DATA])[request.VETH_INFO_PEER]
    # The peer's own ifinfomsg: not brought up (the kernel cannot open an unpaired veth end).
    assert struct.unpack_from('=BxHiII', peer)[2:] == (0, 0, 0)
    peer_attributes = attributes(peer, 16)
    assert peer_attributes == {request.IFLA_IFNAME: b'eth0\0', request.IFLA_MTU: struct.pack('=I', 1400),
                               request.IFLA_NET_NS_FD: struct.pack('=I', 9)}


def test_new_veth_without_options_is_down_and_has_no_master():
    _kind, _flags, body = request.new_veth('h1', 'eth0')
    assert struct.unpack_from('=BxHiII', body)[3:] == (0, 0)
    found = attributes(body, 16)
    assert request.IFLA_MASTER not in found and request.IFLA_MTU not in found
    peer = attributes(attributes(attributes(found[request.IFLA_LINKINFO])[request.IFLA_INFO_DATA])[request.VETH_INFO_PEER], 16)
    assert peer == {request.IFLA_IFNAME: b'eth0\0'}


@pytest.mark.parametrize('verb, kind, flags', [('add', request.RTM_NEWADDR, request.CREATE),
                                               ('del', request.RTM_DELADDR, request.NLM_F_REQUEST | request.NLM_F_ACK)])
def test_address_ipv4_hand_checked(verb, kind, flags):
    encoded = request.address(verb, 3, '10.1.2.3', 24)
    assert encoded[:2] == (kind, flags)
    address = socket.inet_aton('10.1.2.3')
    assert encoded[2] == (struct.pack('=BBBBI', socket.AF_INET, 24, 0, 0, 3) + struct.pack('=HH', 8, request.IFA_LOCAL) + address
                          + struct.pack('=HH', 8, request.IFA_ADDRESS) + address)


def test_address_ipv6():
    _kind, _flags, body = request.address('add', 4, 'fd00::1', 64)
    assert struct.unpack_from('=BBBBI', body) == (socket.AF_INET6, 64, 0, 0, 4)
    assert attributes(body, 8) == {request.IFA_LOCAL: socket.inet_pton(socket.AF_INET6, 'fd00::1'),
                                   request.IFA_ADDRESS: socket.inet_pton(socket.AF_INET6, 'fd00::1')}


def test_route_defaults_are_pyroute2s():
    kind, flags, body = request.replace_route(family=socket.AF_INET, dst_len=0, gateway='172.30.0.1', oif=2)
    assert (kind, flags) == (request.RTM_NEWROUTE, request.REPLACE)
    # family, dst_len, src_len, tos, table main, protocol static, scope universe, type unicast, flags.
    assert struct.unpack_from('=BBBBBBBBI', body) == (socket.AF_INET, 0, 0, 0, 254, 4, 0, 1, 0)
    assert attributes(body, 12) == {request.RTA_TABLE: struct.pack('=I', 254), request.RTA_GATEWAY: socket.inet_aton('172.30.0.1'),
                                    request.RTA_OIF: struct.pack('=I', 2)}


def test_route_in_a_table_above_255_uses_rta_table():
    _kind, _flags, body = request.replace_route(family=socket.AF_INET6, dst_len=64, dst='fd00::', table=1000, priority=5,
                                                prefsrc='fd00::1', flags=4, proto=3, scope=253)
    assert struct.unpack_from('=BBBBBBBBI', body) == (socket.AF_INET6, 64, 0, 0, request.RT_TABLE_COMPAT, 3, 253, 1, 4)
    found = attributes(body, 12)
    assert found[request.RTA_TABLE] == struct.pack('=I', 1000)
    assert found[request.RTA_PRIORITY] == struct.pack('=I', 5)
    assert found[request.RTA_PREFSRC] == socket.inet_pton(socket.AF_INET6, 'fd00::1')


@needs_pyroute2
def test_same_bytes_as_pyroute2():
    """Byte for byte what pyroute2 (whichever version runs the tests) encodes for the same fields."""
    encoded = request.address('add', 3, '10.1.2.3', 24)
    assert message(encoded) == pyroute2_encoding(ifaddrmsg, encoded, {'family': 2, 'prefixlen': 24, 'index': 3},
                                                 [('IFA_LOCAL', '10.1.2.3'), ('IFA_ADDRESS', '10.1.2.3')])
    encoded = request.replace_route(family=2, dst_len=32, dst='10.1.1.1', oif=3, scope=253)
    assert message(encoded) == pyroute2_encoding(rtmsg, encoded, {'family': 2, 'dst_len': 32, 'table': 254, 'proto': 4, 'scope': 253,
                                                                  'type': 1},
                                                 [('RTA_TABLE', 254), ('RTA_DST', '10.1.1.1'), ('RTA_OIF', 3)])
    encoded = request.set_link(name='eth0', state='up', mtu=1400)
    assert message(encoded) == pyroute2_encoding(ifinfmsg, encoded, {'flags': 1, 'change': 1},
                                                 [('IFLA_IFNAME', 'eth0'), ('IFLA_MTU', 1400)])


@needs_pyroute2
def test_pyroute2_reads_the_veth_request_as_meant():
    decoded = ifinfmsg(message(request.new_veth('h1', 'eth0', peer_netns_fd=9, mtu=1400, master=5, up=True)))
    decoded.decode()
    assert (decoded['flags'], decoded['change']) == (1, 1)
    assert (decoded.get_attr('IFLA_IFNAME'), decoded.get_attr('IFLA_MASTER'), decoded.get_attr('IFLA_MTU')) == ('h1', 5, 1400)
    info = decoded.get_attr('IFLA_LINKINFO')
    assert info.get_attr('IFLA_INFO_KIND') == 'veth'
    peer = info.get_attr('IFLA_INFO_DATA').get_attr('VETH_INFO_PEER')
    assert (peer.get_attr('IFLA_IFNAME'), peer.get_attr('IFLA_NET_NS_FD'), peer.get_attr('IFLA_MTU')) == ('eth0', 9, 1400)


# --- the queue of _netlink.Session, on a fake socket ----------------------------------------------

class FakeSocket(object):
    """Answers each send with one ack per message; `errors` {sequence: errno}."""

    def __init__(self, errors=None, log=None, name=None):
        self.errors = errors or {}
        self.acks = []
        self.sends = []
        self.log = log if log is not None else []
        self.name = name

    def send(self, data):
        self.sends.append(data)
        self.log.append(self.name)
        offset = 0
        while offset < len(data):
            length, _kind, _flags, sequence, _pid = NLMSGHDR.unpack_from(data, offset)
            code = self.errors.get(sequence, 0)
            self.acks.append(NLMSGHDR.pack(36, 2, 0, sequence, 0) + struct.pack('=i', -code) + data[offset:offset + 16])
            offset += length
        return len(data)

    def recv(self, _size):
        # Two acks per read, as the kernel may split them.
        chunk, self.acks = self.acks[:2], self.acks[2:]
        return b''.join(chunk)


class FakeReader(object):
    def __init__(self, sock):
        self.sock = sock
        self.sequence = 0

    def close(self):
        pass


def fake_session(netns, sock, batched=True):
    session = _netlink.Session.__new__(_netlink.Session)
    session.netns = netns
    session.batched = batched
    session._indexes = {}
    session._links = None
    session._ipr = None
    session._outgoing = []
    session._waiting = []
    session._reader = FakeReader(sock)
    return session


@pytest.fixture(autouse=True)
def no_queued_sessions():
    yield
    del _netlink._QUEUED[:]


def test_queued_requests_go_in_one_send_when_settled(monkeypatch):
    monkeypatch.setattr(_netlink._netns, 'describe', lambda netns: "network namespace '%s'" % netns)
    sock = FakeSocket()
    session = fake_session('c1', sock)
    session.set_link('lo', None, state='up')
    session.add_address('eth0', 2, '10.0.0.2', 24)
    session.replace_route('replacing route 0.0.0.0/0', family=2, dst_len=0, gateway='10.0.0.1', oif=2)
    assert sock.sends == []
    _netlink.settle_pending()
    assert len(sock.sends) == 1
    kinds = [NLMSGHDR.unpack_from(part)[1] for part in split(sock.sends[0])]
    assert kinds == [request.RTM_SETLINK, request.RTM_NEWADDR, request.RTM_NEWROUTE]
    assert _netlink._QUEUED == []


def split(data):
    parts = []
    offset = 0
    while offset < len(data):
        length = NLMSGHDR.unpack_from(data, offset)[0]
        parts.append(data[offset:offset + length])
        offset += length
    return parts


def test_a_failed_request_is_reported_by_its_object_after_all_acks(monkeypatch):
    monkeypatch.setattr(_netlink._netns, 'describe', lambda netns: "network namespace '%s'" % netns)
    sock = FakeSocket(errors={2: errno.EEXIST, 3: errno.EINVAL})
    session = fake_session('c1', sock)
    session.add_address('eth0', 2, '10.0.0.2', 24)
    session.add_address('eth0', 2, '10.0.0.3', 24)
    session.add_address('eth0', 2, '10.0.0.4', 24)
    session.add_address('eth0', 2, '10.0.0.5', 24)
    with pytest.raises(_errors.FabricError) as raised:
        session.settle()
    # The first failure, named by its own object and namespace; every ack was read.
    assert str(raised.value) == ("adding address 10.0.0.3/24 to link 'eth0' in network namespace 'c1' failed: "
                                 "it already exists [EEXIST]")
    assert sock.acks == []
    assert session._waiting == [] and _netlink._QUEUED == []


def test_another_session_settles_before_a_session_queues_or_reads(monkeypatch):
    monkeypatch.setattr(_netlink._netns, 'describe', lambda netns: "network namespace '%s'" % netns)
    log = []
    node = fake_session('node', FakeSocket(log=log, name='node'))
    container = fake_session('c1', FakeSocket(log=log, name='c1'))
    node.set_link('h1', None, state='up')
    node.set_link('h2', None, state='up')
    container.set_link('eth0', None, state='up')
    assert log == ['node']
    container._reads()
    assert log == ['node', 'c1']


def test_a_full_queue_is_sent(monkeypatch):
    monkeypatch.setattr(_netlink, 'QUEUE_LIMIT', 3)
    sock = FakeSocket()
    session = fake_session(None, sock)
    for number in range(7):
        session.set_link('h%d' % number, None, state='up')
    assert len(sock.sends) == 2
    session.settle()
    assert [len(split(data)) for data in sock.sends] == [3, 3, 1]


def test_descriptors_of_queued_veths_are_closed_once_acknowledged(monkeypatch):
    closed = []
    monkeypatch.setattr(_netlink.os, 'close', closed.append)
    session = fake_session(None, FakeSocket())
    session.create_veth('h1', 'eth0', 41, up=True)
    session.create_veth('h2', 'eth0', 42, up=True)
    assert closed == []
    session.settle()
    assert closed == [41, 42]


def test_an_unbatched_session_sends_each_request_at_once():
    sock = FakeSocket()
    session = fake_session(None, sock, batched=False)
    session.set_link('lo', None, state='up')
    session.add_address('eth0', 2, '10.0.0.2', 24)
    assert [len(split(data)) for data in sock.sends] == [1, 1]
    assert _netlink._QUEUED == []


def test_pyroute2_arguments_it_cannot_encode_are_left_to_pyroute2(monkeypatch):
    calls = []
    session = fake_session(None, FakeSocket())
    monkeypatch.setattr(_netlink.Session, '_change', lambda self, doing, request_kind, verb, **arguments: calls.append((request_kind, verb, arguments)))
    session.set_link('vx', 4, kind='vxlan', vxlan_learning=0)
    session.replace_route('replacing', family=2, dst_len=0, gateway='10.0.0.1', proto='boot')
    session.replace_route('replacing', dst='0.0.0.0', dst_len=0, gateway='10.0.0.1')
    assert [call[:2] for call in calls] == [('link', 'set'), ('route', 'replace'), ('route', 'replace')]
    assert session._waiting == []

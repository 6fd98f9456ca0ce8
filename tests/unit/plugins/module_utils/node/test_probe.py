# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe module's parts without the kernel: sockets, select, the clock and namespace entry
are injected, so what the listener answers and what the client concludes are checked alone."""

from __future__ import annotations

import contextlib
import types

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.node import _probe
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netns import NamespaceError
from ansible_collections.linuxnet.fabric.plugins.modules import probe as probe_module


class FakeClient(object):
    """A connected client socket: recv() hands out the given chunks, then b'' (the peer closed)."""

    def __init__(self, chunks=(), connect_error=None):
        self.chunks = list(chunks)
        self.connect_error = connect_error
        self.sent = b''
        self.timeout = None
        self.connected_to = None
        self.closed = False
        self.receive_sizes = []

    def settimeout(self, seconds):
        self.timeout = seconds

    def connect(self, address):
        if self.connect_error is not None:
            raise self.connect_error
        self.connected_to = address

    def sendall(self, data):
        self.sent += data

    def recv(self, size):
        self.receive_sizes.append(size)
        return self.chunks.pop(0)[:size] if self.chunks else b''

    def close(self):
        self.closed = True


def fake_socket_module(make):
    return types.SimpleNamespace(AF_INET=2, SOCK_STREAM=1, SOL_SOCKET=1, SO_REUSEADDR=2, socket=make)


@pytest.fixture
def namespaces(monkeypatch):
    """Record the namespaces sockets are made in; 'missing' cannot be entered."""
    entered = []

    @contextlib.contextmanager
    def entering(reference):
        if reference == 'missing':
            raise NamespaceError("network namespace 'missing' does not exist")
        entered.append(reference)
        yield

    monkeypatch.setattr(_probe._netns, 'entered', entering)
    return entered


@pytest.mark.parametrize('chunks, limit, line', [
    ([b'10.0.0.1\n'], 64, '10.0.0.1'),
    ([b'10.0.', b'0.1\nrest'], 64, '10.0.0.1'),          # an answer split over two reads
    ([b'10.0.0.1'], 64, '10.0.0.1'),                      # the peer closed without a newline
    ([], 64, ''),                                         # the peer closed at once
    ([b' 10.0.0.1 \r\n'], 64, '10.0.0.1'),                # surrounding white space is not part of it
    ([b'HTTP/1.0 200 OK\r\nServer: x\r\n'], 1024, 'HTTP/1.0 200 OK'),
    ([b'\xff\xfe\n'], 64, '\ufffd\ufffd'),                # undecodable bytes do not raise
])
def test_first_line_of_an_answer(chunks, limit, line):
    assert _probe._first_line(FakeClient(chunks), limit) == line


def test_first_line_stops_reading_at_the_limit():
    # A peer that never sends a newline must not keep the client reading forever.
    client = FakeClient([b'a' * 40, b'b' * 40, b'c' * 40])
    assert _probe._first_line(client, 64) == 'a' * 40 + 'b' * 40
    assert client.chunks == [b'c' * 40]


def target(**changes):
    base = {'netns': 'web1', 'address': '10.0.0.2', 'port': 7777, 'timeout': 3.0, 'label': 'a|b', 'http': False}
    base.update(changes)
    return base


@pytest.mark.parametrize('changes, client, expected', [
    ({}, FakeClient([b'10.0.0.1\n']), {'ok': True, 'seen_source': '10.0.0.1', 'error': None}),
    ({}, FakeClient([]), {'ok': False, 'seen_source': None, 'error': 'connected, but the listener sent nothing'}),
    ({}, FakeClient(connect_error=ConnectionRefusedError(111, 'Connection refused')),
     {'ok': False, 'seen_source': None, 'error': '[Errno 111] Connection refused'}),
    ({}, FakeClient(connect_error=OSError('timed out')), {'ok': False, 'seen_source': None, 'error': 'timed out'}),
    ({'http': True}, FakeClient([b'HTTP/1.1 200 OK\r\n\r\nhello']),
     {'ok': True, 'seen_source': None, 'error': None, 'answer': 'HTTP/1.1 200 OK'}),
    ({'http': True}, FakeClient([b'10.0.0.1\n']),
     {'ok': False, 'seen_source': None, 'error': "connected, but no HTTP answer ('10.0.0.1')", 'answer': '10.0.0.1'}),
    ({'http': True}, FakeClient([]),
     {'ok': False, 'seen_source': None, 'error': "connected, but no HTTP answer ('')", 'answer': ''}),
])
def test_connect_reports_what_the_listener_saw(monkeypatch, namespaces, changes, client, expected):
    monkeypatch.setattr(_probe, 'socket', fake_socket_module(lambda family, kind: client))
    result = _probe.connect(target(**changes))
    assert dict((key, result.get(key)) for key in expected) == expected
    # The target's own keys come back, so a result can be matched to its expectation by label.
    assert result['label'] == 'a|b' and result['address'] == '10.0.0.2'
    assert isinstance(result['seconds'], float)
    assert namespaces == ['web1']
    assert client.timeout == 3.0
    assert client.closed
    if client.connect_error is None:
        assert client.connected_to == ('10.0.0.2', 7777)
        assert client.sent == (_probe.HTTP_REQUEST if changes.get('http') else b'')


def test_connect_from_the_node_itself_enters_no_namespace(monkeypatch, namespaces):
    client = FakeClient([b'10.88.0.11\n'])
    monkeypatch.setattr(_probe, 'socket', fake_socket_module(lambda family, kind: client))
    assert _probe.connect(target(netns=None))['seen_source'] == '10.88.0.11'
    assert namespaces == []


def test_connect_from_a_missing_namespace_is_a_failed_probe_not_an_exception(monkeypatch, namespaces):
    monkeypatch.setattr(_probe, 'socket', fake_socket_module(lambda family, kind: pytest.fail('no socket outside the namespace')))
    result = _probe.connect(target(netns='missing'))
    assert (result['ok'], result['seen_source']) == (False, None)
    assert 'missing' in result['error']


class FakeServer(object):
    """A listening socket whose accept() hands out the given (connection, peer) pairs."""

    def __init__(self, pending=(), bind_error=None):
        self.pending = list(pending)
        self.bind_error = bind_error
        self.bound = None
        self.options = []
        self.closed = False

    def setsockopt(self, *option):
        self.options.append(option)

    def bind(self, address):
        if self.bind_error is not None:
            raise self.bind_error
        self.bound = address

    def listen(self, backlog):
        self.backlog = backlog

    def setblocking(self, flag):
        self.blocking = flag

    def accept(self):
        if not self.pending:
            raise BlockingIOError()
        return self.pending.pop(0)

    def close(self):
        self.closed = True


class Connection(FakeClient):
    def __init__(self, send_error=None):
        super(Connection, self).__init__()
        self.send_error = send_error

    def sendall(self, data):
        if self.send_error is not None:
            raise self.send_error
        super(Connection, self).sendall(data)


class Loop(object):
    """select() and time() for listen(): each select call takes a second and reports as readable
    the servers that still have connections waiting."""

    def __init__(self):
        self.now = 1000.0
        self.waits = []

    def time(self):
        return self.now

    def select(self, readers, writers, errors, timeout):
        self.waits.append(timeout)
        self.now += timeout
        return [server for server in readers if server.pending], [], []


def run_listen(monkeypatch, servers, listeners, duration, tmp_path=None):
    made = list(servers)
    monkeypatch.setattr(_probe, 'socket', fake_socket_module(lambda family, kind: made.pop(0)))
    loop = Loop()
    monkeypatch.setattr(_probe, 'select', types.SimpleNamespace(select=loop.select))
    monkeypatch.setattr(_probe, 'time', types.SimpleNamespace(time=loop.time))
    files = {}
    if tmp_path is not None:
        files = {'ready_file': str(tmp_path / 'ready'), 'pid_file': str(tmp_path / 'pid')}
    return _probe.listen(listeners, duration, **files), loop


def test_listen_answers_each_client_with_its_own_address_until_the_duration(monkeypatch, namespaces, tmp_path):
    first, second, refused = Connection(), Connection(), Connection(send_error=BrokenPipeError())
    web = FakeServer([(first, ('172.19.11.2', 40000)), (refused, ('172.19.12.2', 40001)), (second, ('10.88.0.12', 40002))])
    outside = FakeServer()
    listeners = [{'netns': 'web1', 'address': '0.0.0.0', 'port': 7777}, {'netns': None, 'address': '203.0.113.10', 'port': 7777}]
    # One connection accepted per readable server and wait: three waits for three clients.
    served, loop = run_listen(monkeypatch, [web, outside], listeners, 3, tmp_path)
    # A client that went away before its answer is not counted as served.
    assert served == {('web1', '0.0.0.0', 7777): 2, (None, '203.0.113.10', 7777): 0}
    assert (first.sent, second.sent) == (b'172.19.11.2\n', b'10.88.0.12\n')
    assert first.closed and second.closed and refused.closed
    assert (web.bound, outside.bound) == (('0.0.0.0', 7777), ('203.0.113.10', 7777))
    assert web.closed and outside.closed
    assert namespaces == ['web1']
    # Waits of at most a second, and no longer than the duration in all.
    assert loop.waits == [1.0, 1.0, 1.0]
    # The files tell the playbook when to start probing and whom to stop; both go at the end.
    assert list(tmp_path.iterdir()) == []


def test_listen_closes_what_it_opened_when_a_bind_fails(monkeypatch, namespaces, tmp_path):
    opened = FakeServer()
    taken = FakeServer(bind_error=OSError(98, 'Address already in use'))
    listeners = [{'netns': None, 'address': '0.0.0.0', 'port': 7777}, {'netns': None, 'address': '0.0.0.0', 'port': 80}]
    with pytest.raises(OSError):
        run_listen(monkeypatch, [opened, taken], listeners, 5, tmp_path)
    assert opened.closed
    # Not ready: the playbook waiting for the file must time out rather than probe nothing.
    assert list(tmp_path.iterdir()) == []


def test_listen_with_a_fractional_duration_waits_only_what_is_left(monkeypatch, namespaces):
    served, loop = run_listen(monkeypatch, [FakeServer()], [{'netns': None, 'address': '0.0.0.0', 'port': 1}], 1.5)
    assert served == {(None, '0.0.0.0', 1): 0}
    assert loop.waits == [1.0, 0.5]


@pytest.fixture
def existing_namespaces(monkeypatch):
    states = {'web1': 'present', 'gone': 'absent', 'file': 'stale'}
    monkeypatch.setattr(probe_module._common._netns, 'state', lambda reference: states.get(reference, 'absent'))


@pytest.mark.parametrize('entries, address_required, option', [
    ([{'netns': 'bad/name', 'address': '10.0.0.1', 'port': 1}], True, 'connect[0].netns'),
    ([{'netns': None, 'address': '10.0.0.1', 'port': 1}, {'netns': 'gone', 'address': '10.0.0.1', 'port': 1}], True, 'connect[1].netns'),
    ([{'netns': 'file', 'address': '10.0.0.1', 'port': 1}], True, 'connect[0].netns'),
    ([{'netns': None, 'address': '10.0.0.1', 'port': 0}], True, 'connect[0].port'),
    ([{'netns': None, 'address': '10.0.0.1', 'port': 65536}], True, 'connect[0].port'),
    ([{'netns': None, 'address': 'fd00::1', 'port': 80}], True, 'connect[0].address'),
    ([{'netns': None, 'address': 'node1', 'port': 80}], True, 'connect[0].address'),
    ([{'netns': None, 'address': None, 'port': 80}], True, 'connect[0].address'),
])
def test_bad_probe_entries_are_refused_naming_the_entry(existing_namespaces, entries, address_required, option):
    with pytest.raises(OptionError) as raised:
        probe_module.checked('connect', entries, address_required)
    assert raised.value.option == option


@pytest.mark.parametrize('entries, address_required, addresses', [
    ([{'netns': 'web1', 'address': ' 10.0.0.1 ', 'port': 1}, {'netns': None, 'address': '10.0.0.2', 'port': 65535}], True,
     ['10.0.0.1', '10.0.0.2']),
    ([{'netns': None, 'address': None, 'port': 80}], False, [None]),
])
def test_good_probe_entries_pass_with_normalised_addresses(existing_namespaces, entries, address_required, addresses):
    assert [entry['address'] for entry in probe_module.checked('listen', entries, address_required)] == addresses


# --- stopping a background listener ------------------------------------------------------------------

class Clock(object):
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.mark.parametrize('running_answers, killed, stopped', [
    ([False], [], False),                 # gone already (its duration passed): nothing signalled
    ([True, True, False], [15], True),    # running: SIGTERM, then it exits
    ([True, False], [15], True),
])
def test_stop_listener_signals_only_a_running_listener(monkeypatch, running_answers, killed, stopped):
    answers = list(running_answers)
    signals = []
    clock = Clock()
    monkeypatch.setattr(_probe._process, 'is_running', lambda entry: answers.pop(0))
    monkeypatch.setattr(_probe.os, 'kill', lambda pid, number: signals.append((pid, number)))
    monkeypatch.setattr(_probe.time, 'time', clock.time)
    monkeypatch.setattr(_probe.time, 'sleep', clock.sleep)
    assert _probe.stop_listener({'pid': 4242, 'start_time': 77}) is stopped
    assert [number for _pid, number in signals] == killed
    assert all(pid == 4242 for pid, _number in signals)
    assert answers == []


def test_stop_listener_that_outlives_the_timeout_fails_naming_it(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(_probe._process, 'is_running', lambda entry: True)
    monkeypatch.setattr(_probe.os, 'kill', lambda pid, number: None)
    monkeypatch.setattr(_probe.time, 'time', clock.time)
    monkeypatch.setattr(_probe.time, 'sleep', clock.sleep)
    with pytest.raises(FabricError, match='the listener 4242 did not stop within 5 s of SIGTERM and SIGKILL'):
        _probe.stop_listener({'pid': 4242, 'start_time': 77})


def test_stop_listener_kills_one_that_ignores_sigterm(monkeypatch):
    clock = Clock()
    signals = []
    monkeypatch.setattr(_probe._process, 'is_running', lambda entry: 9 not in signals)
    monkeypatch.setattr(_probe.os, 'kill', lambda pid, number: signals.append(number))
    monkeypatch.setattr(_probe.time, 'time', clock.time)
    monkeypatch.setattr(_probe.time, 'sleep', clock.sleep)
    assert _probe.stop_listener({'pid': 4242, 'start_time': 77}) is True
    assert signals == [15, 9]
    assert clock.now >= 1005.0


def test_stop_listener_of_a_process_it_may_not_signal_fails_with_a_message(monkeypatch):
    def refused(pid, number):
        raise PermissionError(1, 'Operation not permitted')

    monkeypatch.setattr(_probe._process, 'is_running', lambda entry: True)
    monkeypatch.setattr(_probe.os, 'kill', refused)
    with pytest.raises(FabricError, match='the listener 4242 cannot be signalled'):
        _probe.stop_listener({'pid': 4242, 'start_time': 77})


def test_stop_listener_of_a_process_gone_between_the_check_and_the_signal(monkeypatch):
    def gone(pid, number):
        raise ProcessLookupError(pid)

    monkeypatch.setattr(_probe._process, 'is_running', lambda entry: True)
    monkeypatch.setattr(_probe.os, 'kill', gone)
    assert _probe.stop_listener({'pid': 4242, 'start_time': 77}) is False


def test_listen_in_background_that_cannot_fork_fails_with_a_message_and_closes_its_sockets(monkeypatch):
    closed = []

    class Server(object):
        def close(self):
            closed.append('server')

    server = Server()
    monkeypatch.setattr(_probe, 'bind', lambda listeners: {server: ('c1', '10.0.0.2', 8080)})
    monkeypatch.setattr(_probe.os, 'pipe', lambda: (801, 802))
    monkeypatch.setattr(_probe.os, 'close', closed.append)

    def no_process():
        raise BlockingIOError(11, 'Resource temporarily unavailable')

    monkeypatch.setattr(_probe.os, 'fork', no_process)
    with pytest.raises(FabricError, match='could not start the background listener: .*Resource temporarily unavailable'):
        _probe.listen_in_background([{'netns': 'c1', 'address': '10.0.0.2', 'port': 8080}], 60)
    assert sorted(closed, key=str) == [801, 802, 'server']

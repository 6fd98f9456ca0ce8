# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TCP probes across namespaces: listeners that tell each client the address they saw it come
from, and clients that connect from inside namespaces. One process serves every namespace:
sockets are created with the thread inside the namespace (_netns.entered) and stay bound to it.

What a listener answers is the peer address after any NAT on the way, so a client learns whether
its traffic was masqueraded and by whom.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import time

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns, _process
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError

BACKLOG = 128


@contextlib.contextmanager
def _inside(netns):
    if netns:
        with _netns.entered(netns):
            yield
    else:
        yield


def _write(path, content):
    if path:
        with open(path, 'w') as handle:
            handle.write(content)


def _remove(path):
    if path:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def bind(listeners):
    """{listening socket: (netns, address, port)}, each made inside its namespace and bound; on
    an error the ones made so far are closed."""
    sockets = {}
    try:
        for listener in listeners:
            key = (listener['netns'], listener['address'], listener['port'])
            with _inside(listener['netns']):
                server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets[server] = key
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind((listener['address'], listener['port']))
            server.listen(BACKLOG)
            server.setblocking(False)
    except BaseException:
        for server in sockets:
            server.close()
        raise
    return sockets


def serve(sockets, duration, ready_file=None, pid_file=None):
    """Answer every connection with '<peer address>\\n' until `duration` seconds have passed.

    Returns {(netns, address, port): connections served}; closes the sockets.
    """
    served = dict((key, 0) for key in sockets.values())
    try:
        _write(pid_file, '%d\n' % os.getpid())
        _write(ready_file, 'ready\n')
        deadline = time.time() + duration
        while True:
            remaining = deadline - time.time()
            if remaining <= 0:
                break
            readable, _writable, _errors = select.select(list(sockets), [], [], min(remaining, 1.0))
            for server in readable:
                try:
                    connection, peer = server.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                with contextlib.closing(connection):
                    connection.settimeout(1.0)
                    try:
                        connection.sendall(('%s\n' % peer[0]).encode('ascii'))
                    except OSError:
                        continue
                served[sockets[server]] += 1
    finally:
        for server in sockets:
            server.close()
        _remove(ready_file)
        _remove(pid_file)
    return served


def listen(listeners, duration, ready_file=None, pid_file=None):
    """bind, then serve in this process (the module run with async)."""
    return serve(bind(listeners), duration, ready_file, pid_file)


def listen_in_background(listeners, duration):
    """Bind every listener here (so that an error is this call's), then serve them from a
    detached process for at most `duration` seconds and return its identity {pid, start_time}
    once it runs: the play probes at once and stops it with stop_listener, with no async job,
    ready file or PID file (each of those was a round trip to every node).

    The server is a grandchild in a session of its own with /dev/null as its standard streams,
    so the connection that ran the module closes when this call returns.
    """
    sockets = bind(listeners)
    read_end, write_end = os.pipe()
    try:
        child = os.fork()
    except OSError as error:
        # Not a listening problem: the sockets were bound; the node could not make a process.
        for server in sockets:
            server.close()
        os.close(read_end)
        os.close(write_end)
        raise FabricError('could not start the background listener: %s' % error)
    if child == 0:  # pragma: no cover - runs in the forked processes, which end with os._exit
        try:
            os.close(read_end)
            os.setsid()
            if os.fork():
                os._exit(0)
            # Hold no directory of the module's run (Ansible's temporary one) while it serves.
            os.chdir('/')
            null = os.open(os.devnull, os.O_RDWR)
            for stream in (0, 1, 2):
                os.dup2(null, stream)
            me = _process.identity(os.getpid())
            if me is not None:
                # Without an identity it could never be stopped: it ends, and the caller fails.
                os.write(write_end, json.dumps(me).encode('ascii'))
                os.close(write_end)
                serve(sockets, duration)
        finally:
            # Never back into the module: no result of its own, no clean-up of the module's files.
            os._exit(0)
    os.close(write_end)
    for server in sockets:
        server.close()
    os.waitpid(child, 0)
    with os.fdopen(read_end, 'rb') as pipe:
        told = pipe.read()
    try:
        started = json.loads(told.decode('ascii'))
    except ValueError:
        started = None
    if not started:
        raise FabricError('the background listener did not start')
    return started


def stop_listener(listener, timeout=5.0):
    """End a background listener of listen_in_background ({pid, start_time}): True when it ran
    and has now exited, False when it had gone already (its duration passed, or it was stopped).
    A PID now held by another process is never signalled: the start time must match. One that
    outlives SIGTERM by `timeout` seconds (it may have inherited a blocked signal) gets SIGKILL."""
    for number in (signal.SIGTERM, signal.SIGKILL):
        if not _process.is_running(listener):
            return number == signal.SIGKILL
        try:
            os.kill(listener['pid'], number)
        except ProcessLookupError:
            return number == signal.SIGKILL
        except PermissionError as error:
            raise FabricError('the listener %d cannot be signalled: %s' % (listener['pid'], error))
        deadline = time.time() + timeout
        while _process.is_running(listener):
            if time.time() > deadline:
                break
            time.sleep(0.02)
        else:
            return True
    raise FabricError('the listener %d did not stop within %d s of SIGTERM and SIGKILL' % (listener['pid'], timeout))


HTTP_REQUEST = b'GET / HTTP/1.0\r\nHost: linuxnet-fabric-verify\r\n\r\n'


def _first_line(client, limit):
    answer = b''
    while b'\n' not in answer and len(answer) < limit:
        chunk = client.recv(limit)
        if not chunk:
            break
        answer += chunk
    return answer.split(b'\n', 1)[0].decode('ascii', 'replace').strip()


def connect(target, attempts=1, pause=1.0, sleep=time.sleep):
    """connect_once, tried up to `attempts` times (`pause` seconds apart) until it answers: a
    loaded machine can drop a first SYN or accept late, which is not a hole in the fabric (a path
    that is closed fails every attempt). The result says how many attempts it took."""
    for attempt in range(1, attempts + 1):
        result = connect_once(target)
        if result['ok'] or attempt == attempts:
            break
        sleep(pause)
    result['attempts'] = attempt
    return result


def connect_once(target):
    """Connect from inside target['netns'] to address:port; the answer is the source the server
    saw. With target['http'], the server is a web server (a container's own, behind a published
    port): ask for / and take the status line as the answer (the source stays unknown)."""
    started = time.time()
    result = dict(target, ok=False, seen_source=None, error=None)
    try:
        with _inside(target['netns']):
            client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        with contextlib.closing(client):
            client.settimeout(target['timeout'])
            client.connect((target['address'], target['port']))
            if target.get('http'):
                client.sendall(HTTP_REQUEST)
                result['answer'] = _first_line(client, 1024)
                result['ok'] = result['answer'].startswith('HTTP/')
                if not result['ok']:
                    result['error'] = 'connected, but no HTTP answer (%r)' % result['answer']
            else:
                result['seen_source'] = _first_line(client, 64) or None
                result['ok'] = result['seen_source'] is not None
                if not result['ok']:
                    result['error'] = 'connected, but the listener sent nothing'
    except (OSError, _netns.NamespaceError) as error:
        result['error'] = str(error)
    result['seconds'] = round(time.time() - started, 3)
    return result

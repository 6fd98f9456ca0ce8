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
import os
import select
import socket
import time

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns

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


def listen(listeners, duration, ready_file=None, pid_file=None):
    """Answer every connection with '<peer address>\\n' until `duration` seconds have passed.

    Returns {(netns, address, port): connections served}.
    """
    sockets = {}
    served = {}
    try:
        for listener in listeners:
            key = (listener['netns'], listener['address'], listener['port'])
            with _inside(listener['netns']):
                server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind((listener['address'], listener['port']))
            server.listen(BACKLOG)
            server.setblocking(False)
            sockets[server] = key
            served[key] = 0
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

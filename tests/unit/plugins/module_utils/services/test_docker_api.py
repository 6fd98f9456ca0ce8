# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
import socketserver
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.services._docker_api import DockerAPI
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError


class FakeResponse(object):
    def __init__(self, status, body, content_type):
        self.status = status
        self._body = body.encode('utf-8') if isinstance(body, str) else body
        self._content_type = content_type

    def read(self):
        return self._body

    def getheader(self, name, default=None):
        return self._content_type if name == 'Content-Type' else default


class FakeDocker(object):
    """Answers requests from a table {(method, path without query): (status, body, type)}."""

    def __init__(self, answers):
        self.answers = answers
        self.requests = []

    def connect(self, socket_path, timeout):
        fake = self

        class Connection(object):
            def request(self, method, url, body=None, headers=None):
                fake.requests.append((method, url, body, headers))
                self.key = (method, url.split('?')[0])

            def getresponse(self):
                if self.key not in fake.answers:
                    raise ConnectionRefusedError(111, 'Connection refused')
                status, body, content_type = fake.answers[self.key]
                return FakeResponse(status, body, content_type)

            def close(self):
                pass
        return Connection()


JSON = 'application/json'


def api(answers):
    fake = FakeDocker(answers)
    return DockerAPI('/run/docker.sock', connect=fake.connect), fake


def test_ping_is_true_when_docker_answers_ok_and_false_when_nobody_listens():
    docker, _fake = api({('GET', '/v1.41/_ping'): (200, 'OK', 'text/plain; charset=utf-8')})
    assert docker.ping() is True
    nobody, _fake = api({})
    assert nobody.ping() is False


@pytest.mark.parametrize('method, path, call', [
    ('GET', '/v1.41/networks/bridge', lambda docker: docker.network('bridge')),
    ('GET', '/v1.41/containers/web/json', lambda docker: docker.container('web')),
    ('GET', '/v1.41/images/busybox%3Alocal/json', lambda docker: docker.image('busybox:local')),
])
def test_a_missing_object_is_none_and_a_present_one_its_json(method, path, call):
    missing, _fake = api({(method, path): (404, '{"message": "no such object"}', JSON)})
    assert call(missing) is None
    present, _fake = api({(method, path): (200, '{"Id": "abc", "Name": "x"}', JSON)})
    assert call(present) == {'Id': 'abc', 'Name': 'x'}


def test_an_error_answer_names_the_request_and_docker_s_message():
    docker, _fake = api({('GET', '/v1.41/containers/json'): (500, '{"message": "daemon is shutting down"}', JSON)})
    with pytest.raises(FabricError, match=r'GET /containers/json answered 500: daemon is shutting down'):
        docker.containers()


def test_containers_asks_for_stopped_ones_too_unless_told():
    docker, fake = api({('GET', '/v1.41/containers/json'): (200, '[]', JSON)})
    assert docker.containers() == []
    assert docker.containers(running_only=True) == []
    assert [request[1] for request in fake.requests] == ['/v1.41/containers/json?all=1', '/v1.41/containers/json?all=0']


def test_import_sends_the_tarball_and_returns_the_image_id():
    docker, fake = api({
        ('POST', '/v1.41/images/create'): (200, '{"status": "sha256:abc"}\r\n', JSON),
        ('GET', '/v1.41/images/busybox%3Alocal/json'): (200, '{"Id": "sha256:abc"}', JSON),
    })
    assert docker.import_image(b'tar bytes', 'busybox', 'local') == 'sha256:abc'
    method, url, body, headers = fake.requests[0]
    assert (method, body, headers['Content-Type']) == ('POST', b'tar bytes', 'application/x-tar')
    assert 'fromSrc=-' in url and 'repo=busybox' in url and 'tag=local' in url


def test_import_fails_on_an_error_line_of_the_progress_stream():
    docker, _fake = api({('POST', '/v1.41/images/create'): (200, '{"status": "x"}\n{"error": "unexpected EOF"}\n', JSON)})
    with pytest.raises(FabricError, match='importing busybox:local into Docker failed: unexpected EOF'):
        docker.import_image(b'', 'busybox', 'local')


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({'path': self.path}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        # Docker answers with chunked bodies: http.client must reassemble them.
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        for part in (body[:5], body[5:]):
            self.wfile.write(b'%x\r\n%s\r\n' % (len(part), part))
        self.wfile.write(b'0\r\n\r\n')

    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def test_requests_go_over_the_unix_socket(tmp_path):
    path = str(tmp_path / 'docker.sock')
    server = _UnixServer(path, _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert DockerAPI(path).info() == {'path': '/v1.41/info'}
    finally:
        server.shutdown()
        server.server_close()
        os.unlink(path)


def test_import_fails_on_a_single_error_answer_too():
    docker, _fake = api({('POST', '/v1.41/images/create'): (200, '{"error": "archive/tar: invalid tar header"}', JSON)})
    with pytest.raises(FabricError, match='importing busybox:local into Docker failed: archive/tar: invalid tar header'):
        docker.import_image(b'', 'busybox', 'local')

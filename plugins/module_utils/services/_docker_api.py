# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small client of the Docker Engine API on dockerd's unix socket, on the standard library.

What the collection asks Docker is little (is it up, its networks and containers, and for the
lab an image to import), so http.client over AF_UNIX does it; the Docker SDK would be a
dependency on every node for four requests. API version 1.41 is Docker 20.10's (Debian 12's
docker.io); later daemons answer it too.
"""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import quote, urlencode

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError

DEFAULT_SOCKET = '/run/docker.sock'
API_VERSION = 'v1.41'
TIMEOUT = 10.0


class DockerUnavailable(FabricError):
    """dockerd does not answer on its socket (not installed, stopped, or still starting)."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        http.client.HTTPConnection.__init__(self, 'localhost', timeout=timeout)
        self.socket_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class DockerAPI(object):
    """Requests to one dockerd. `connect` is injectable: (socket path, timeout) -> HTTPConnection."""

    def __init__(self, socket_path=DEFAULT_SOCKET, timeout=TIMEOUT, connect=_UnixConnection):
        self.socket_path = socket_path
        self.timeout = timeout
        self._connect = connect

    def request(self, method, path, query=None, body=None, content_type='application/json', expect=(200,)):
        """(status, decoded JSON or text) of one request; DockerUnavailable when nobody answers."""
        url = '/%s%s' % (API_VERSION, path)
        if query:
            url += '?' + urlencode(query)
        headers = {'Host': 'docker'}
        if body is not None:
            headers['Content-Type'] = content_type
            if not isinstance(body, (bytes, bytearray)):
                body = json.dumps(body).encode('utf-8')
        connection = self._connect(self.socket_path, self.timeout)
        try:
            try:
                connection.request(method, url, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as error:
                raise DockerUnavailable('dockerd does not answer on %s: %s' % (self.socket_path, error))
        finally:
            connection.close()
        text = data.decode('utf-8', 'replace')
        if response.getheader('Content-Type', '').startswith('application/json') and text.strip():
            try:
                payload = json.loads(text)
            except ValueError:
                payload = text
        else:
            payload = text
        if response.status not in expect:
            message = payload.get('message') if isinstance(payload, dict) else text.strip()
            raise FabricError('Docker API %s %s answered %d: %s' % (method, path, response.status, message))
        return response.status, payload

    def ping(self):
        """True when dockerd answers, False when nobody listens on the socket."""
        try:
            return self.request('GET', '/_ping')[1].strip() == 'OK'
        except DockerUnavailable:
            return False

    def version(self):
        return self.request('GET', '/version')[1]

    def info(self):
        return self.request('GET', '/info')[1]

    def networks(self):
        return self.request('GET', '/networks')[1]

    def network(self, name):
        """One network as `docker network inspect` shows it (with its containers), or None."""
        status, payload = self.request('GET', '/networks/%s' % quote(name, safe=''), expect=(200, 404))
        return payload if status == 200 else None

    def containers(self, running_only=False):
        return self.request('GET', '/containers/json', query={'all': '0' if running_only else '1'})[1]

    def container(self, name):
        """`docker inspect <name>`, or None when there is no such container."""
        status, payload = self.request('GET', '/containers/%s/json' % quote(name, safe=''), expect=(200, 404))
        return payload if status == 200 else None

    def image(self, reference):
        status, payload = self.request('GET', '/images/%s/json' % quote(reference, safe=''), expect=(200, 404))
        return payload if status == 200 else None

    def import_image(self, tar_bytes, repository, tag):
        """`docker import` of a root file system tarball; the image's ID."""
        _status, payload = self.request('POST', '/images/create', query={'fromSrc': '-', 'repo': repository, 'tag': tag},
                                        body=tar_bytes, content_type='application/x-tar')
        # The answer is a stream of JSON progress lines (one line: already decoded); an error is one of them.
        messages = [payload] if isinstance(payload, dict) else []
        for line in ([] if isinstance(payload, dict) else str(payload).splitlines()):
            try:
                messages.append(json.loads(line))
            except ValueError:
                continue
        for message in messages:
            if isinstance(message, dict) and message.get('error'):
                raise FabricError('importing %s:%s into Docker failed: %s' % (repository, tag, message['error']))
        image = self.image('%s:%s' % (repository, tag))
        if image is None:
            raise FabricError('importing %s:%s into Docker failed: the image is not there afterwards' % (repository, tag))
        return image['Id']

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small etcd v3 client: range, lease grant/revoke and transactions, nothing more.

Two transports with one interface, so the lease planner does not care which one runs:
- Gateway: etcd's JSON gRPC gateway (/v3/kv/range, /v3/kv/txn, /v3/lease/grant,
  /v3/lease/revoke) over HTTPS with the standard library, one kept-alive connection per endpoint.
  Nothing to install. With etcd authentication on, etcd refuses gateway requests whose client
  certificate has a CommonName (etcd PRs 10366, 10392): use etcdctl then.
- Etcdctl: Debian's etcd-client command over gRPC, whose client certificate's CommonName is the
  etcd user (RBAC), one process per request.

A key-value is {key, value (str), create_revision, mod_revision, version, lease} with integers
for the numbers (the gateway sends int64 as JSON strings, etcdctl as numbers, and both leave out
zero values). Compares are ('version'|'mod', key, number); operations are ('put', key, value,
lease id or 0) and ('delete', key).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import ssl
from urllib.parse import urlsplit

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._files import find_command

COMPARE_TARGETS = {'version': ('VERSION', 'version', 'ver'), 'mod': ('MOD', 'mod_revision', 'mod')}
# gRPC status code of etcd's "requested lease not found": a lease revoked twice is gone anyway.
NOT_FOUND = 5


class EtcdError(FabricError):
    """etcd could not be reached or refused a request; the message names the endpoint."""


def _b64(text):
    return base64.b64encode(text.encode('utf-8')).decode('ascii')


def _unb64(text):
    return base64.b64decode(text or '').decode('utf-8', 'replace')


def prefix_end(prefix):
    """The range_end that makes a range request cover every key starting with `prefix`."""
    raw = bytearray(prefix.encode('utf-8'))
    while raw and raw[-1] == 0xff:
        raw.pop()
    if not raw:
        return b'\0'
    raw[-1] += 1
    return bytes(raw)


def key_value(item):
    """A key-value of a range response (either transport) with plain types."""
    return {
        'key': _unb64(item.get('key')),
        'value': _unb64(item.get('value')),
        'create_revision': int(item.get('create_revision') or 0),
        'mod_revision': int(item.get('mod_revision') or 0),
        'version': int(item.get('version') or 0),
        'lease': int(item.get('lease') or 0),
    }


class Gateway(object):
    """etcd's JSON gateway over HTTP(S), trying the endpoints in order."""

    transport = 'gateway'

    def __init__(self, endpoints, ca_file=None, cert_file=None, key_file=None, timeout=5.0):
        self.endpoints = _validate.etcd_endpoints('endpoints', endpoints)
        self.timeout = timeout
        self.context = None
        if any(endpoint.startswith('https:') for endpoint in self.endpoints):
            try:
                self.context = ssl.create_default_context(cafile=ca_file)
                if cert_file:
                    self.context.load_cert_chain(cert_file, key_file)
            except (OSError, ssl.SSLError) as error:
                raise EtcdError('the etcd client certificate files could not be loaded (ca %s, cert %s, key %s): %s'
                                % (ca_file, cert_file, key_file, error))
        self.connections = {}
        # The endpoint that answered last is asked first.
        self.current = 0

    def close(self):
        for connection in self.connections.values():
            connection.close()
        self.connections = {}

    def _connection(self, endpoint):
        if endpoint not in self.connections:
            parts = urlsplit(endpoint)
            if parts.scheme == 'https':
                self.connections[endpoint] = http.client.HTTPSConnection(parts.hostname, parts.port or 2379, timeout=self.timeout,
                                                                         context=self.context)
            else:
                self.connections[endpoint] = http.client.HTTPConnection(parts.hostname, parts.port or 2379, timeout=self.timeout)
        return self.connections[endpoint]

    def post(self, path, body):
        """The JSON answer of one request; the next endpoint is tried when one cannot be reached."""
        problems = []
        order = self.endpoints[self.current:] + self.endpoints[:self.current]
        for endpoint in order:
            for attempt in (1, 2):
                connection = self._connection(endpoint)
                try:
                    connection.request('POST', path, json.dumps(body), {'Content-Type': 'application/json'})
                    response = connection.getresponse()
                    data = response.read()
                except (http.client.HTTPException, OSError, socket.timeout) as error:
                    connection.close()
                    del self.connections[endpoint]
                    # A kept-alive connection the server closed fails once; a fresh one is tried.
                    if attempt == 1 and isinstance(error, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)):
                        continue
                    problems.append('%s: %s' % (endpoint, error))
                    break
                self.current = self.endpoints.index(endpoint)
                return self._answer(endpoint, path, response.status, data)
        raise EtcdError('no etcd endpoint answered %s: %s' % (path, '; '.join(problems)))

    @staticmethod
    def _answer(endpoint, path, status, data):
        try:
            answer = json.loads(data.decode('utf-8')) if data else {}
        except ValueError:
            answer = None
        if status != 200 or not isinstance(answer, dict) or 'error' in answer:
            message = answer.get('message') or answer.get('error') if isinstance(answer, dict) else data.decode('utf-8', 'replace').strip()
            code = answer.get('code') if isinstance(answer, dict) else None
            if 'CommonName' in str(message):
                message = '%s (etcd authentication is on, and its gateway takes no certificate users: use the etcdctl transport)' % message
            error = EtcdError('etcd at %s refused %s (HTTP %d): %s' % (endpoint, path, status, message))
            error.code = code
            raise error
        return answer

    def range(self, prefix):
        answer = self.post('/v3/kv/range', {'key': _b64(prefix), 'range_end': base64.b64encode(prefix_end(prefix)).decode('ascii')})
        return [key_value(item) for item in answer.get('kvs', [])]

    def grant(self, ttl):
        return int(self.post('/v3/lease/grant', {'TTL': ttl, 'ID': 0})['ID'])

    def revoke(self, lease_id):
        try:
            self.post('/v3/lease/revoke', {'ID': lease_id})
        except EtcdError as error:
            if getattr(error, 'code', None) != NOT_FOUND:
                raise

    def txn(self, compares, operations):
        body = {
            'compare': [dict({'key': _b64(key), 'target': COMPARE_TARGETS[target][0], 'result': 'EQUAL'},
                             **{COMPARE_TARGETS[target][1]: str(number)}) for target, key, number in compares],
            'success': [self._operation(operation) for operation in operations],
        }
        return bool(self.post('/v3/kv/txn', body).get('succeeded'))

    @staticmethod
    def _operation(operation):
        if operation[0] == 'put':
            _verb, key, value, lease = operation
            request = {'key': _b64(key), 'value': _b64(value)}
            if lease:
                request['lease'] = str(lease)
            return {'request_put': request}
        return {'request_delete_range': {'key': _b64(operation[1])}}


class Etcdctl(object):
    """etcdctl (API v3) run through `run(argv, data, environ_update) -> (rc, stdout, stderr)`."""

    transport = 'etcdctl'

    def __init__(self, run, command, endpoints, ca_file=None, cert_file=None, key_file=None, timeout=5.0):
        self.run = run
        self.command = command
        self.endpoints = _validate.etcd_endpoints('endpoints', endpoints)
        seconds = '%ds' % max(1, int(timeout))
        self.environment = {'ETCDCTL_API': '3', 'ETCDCTL_ENDPOINTS': ','.join(self.endpoints),
                            'ETCDCTL_DIAL_TIMEOUT': seconds, 'ETCDCTL_COMMAND_TIMEOUT': seconds}
        for name, value in (('ETCDCTL_CACERT', ca_file), ('ETCDCTL_CERT', cert_file), ('ETCDCTL_KEY', key_file)):
            if value:
                self.environment[name] = value

    def close(self):
        pass

    def _json(self, arguments, data=None, allow_not_found=False):
        argv = [self.command] + arguments + ['-w', 'json']
        rc, out, err = self.run(argv, data, self.environment)
        if rc != 0:
            if allow_not_found and 'requested lease not found' in (err or ''):
                return {}
            message = [line for line in (err or out or '').strip().splitlines() if line.startswith('Error:')] or [(err or out).strip()]
            raise EtcdError('etcdctl %s (endpoints %s) failed (rc=%d): %s' % (arguments[0], ','.join(self.endpoints), rc, message[-1]))
        try:
            return json.loads(out)
        except ValueError:
            raise EtcdError('etcdctl %s printed no JSON: %s' % (arguments[0], out.strip()[:200]))

    def range(self, prefix):
        return [key_value(item) for item in self._json(['get', '--prefix', prefix]).get('kvs', [])]

    def grant(self, ttl):
        return int(self._json(['lease', 'grant', str(ttl)])['ID'])

    def revoke(self, lease_id):
        self._json(['lease', 'revoke', '%x' % lease_id], allow_not_found=True)

    def txn(self, compares, operations):
        # etcdctl reads compares, success and failure requests separated by empty lines; keys and
        # values go in double quotes with Go's escapes, which JSON's are (single quotes are
        # mis-parsed by etcdctl 3.4).
        lines = ['%s(%s) = "%d"' % (COMPARE_TARGETS[target][2], json.dumps(key), number) for target, key, number in compares]
        lines.append('')
        for operation in operations:
            if operation[0] == 'put':
                _verb, key, value, lease = operation
                lines.append('put %s %s%s' % (json.dumps(key), json.dumps(value), ' --lease=%x' % lease if lease else ''))
            else:
                lines.append('del %s' % json.dumps(operation[1]))
        lines.extend(['', '', ''])
        return bool(self._json(['txn'], data='\n'.join(lines)).get('succeeded'))


def make_client(transport, endpoints, ca_file=None, cert_file=None, key_file=None, timeout=5.0, run=None, etcdctl=None):
    """A client of `transport`; certificate files must exist (an OptionError names the missing one)."""
    if transport not in _validate.ETCD_TRANSPORTS:
        raise OptionError('transport', "'%s' must be one of %s" % (transport, ', '.join(_validate.ETCD_TRANSPORTS)))
    for option, path in (('ca_file', ca_file), ('cert_file', cert_file), ('key_file', key_file)):
        if path and not os.path.isfile(path):
            raise OptionError(option, "'%s' is not a file" % path)
    if bool(cert_file) != bool(key_file):
        raise OptionError('key_file' if cert_file else 'cert_file', 'is needed with the other of cert_file and key_file')
    if transport == 'gateway':
        return Gateway(endpoints, ca_file, cert_file, key_file, timeout)
    return Etcdctl(run, etcdctl or find_command('etcdctl'), endpoints, ca_file, cert_file, key_file, timeout)

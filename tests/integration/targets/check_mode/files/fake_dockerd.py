# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for dockerd's API on a UNIX socket of the test's own: answers /_ping with OK and
/version with the number of restarts the fake `service` recorded, so a restart shows in what the
daemon says. Ends by itself after two minutes.

Arguments: socket path, PID file, restart log.
"""

from __future__ import annotations

import http.server
import json
import os
import socketserver
import sys
import threading

LIFETIME = 120


def main():
    socket_path, pid_file, restart_log = sys.argv[1:4]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.0'

        def do_GET(self):
            if self.path.endswith('/_ping'):
                body, content_type = b'OK', 'text/plain'
            elif self.path.endswith('/version'):
                with open(restart_log) as handle:
                    restarts = len(handle.read().splitlines())
                body, content_type = json.dumps({'Version': 'fake-%d' % restarts}).encode('ascii'), 'application/json'
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def address_string(self):
            return 'unix'

        def log_message(self, *args):
            pass

    if os.path.exists(socket_path):
        os.unlink(socket_path)
    server = socketserver.UnixStreamServer(socket_path, Handler)
    with open(pid_file, 'w') as handle:
        handle.write('%d\n' % os.getpid())
    threading.Timer(LIFETIME, os._exit, [0]).start()
    server.serve_forever()


if __name__ == '__main__':
    main()

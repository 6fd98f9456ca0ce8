# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restart a running dockerd and wait until it answers again (module docker_service).

The service manager's restart returns before dockerd serves its API (the init script's start
returns once the daemon is forked; systemd's once it notified, which Debian's 20.10 does before
its networks are restored): a rolling restart must wait for the API, or the next node goes down
while this one is still coming back.
"""

from __future__ import annotations

import time

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError


def restart(api, run_command, service_command, timeout, only_if_running=True, check_mode=False,
            clock=time.monotonic, sleep=time.sleep):
    """{changed, restarted, running, version, msg}. `api` is a DockerAPI; `service_command` the
    argument list that restarts the service."""
    running = api.ping()
    if not running and only_if_running:
        return {'changed': False, 'restarted': False, 'running': False, 'version': None,
                'msg': 'dockerd does not run; it reads its configuration when it starts'}
    if check_mode:
        return {'changed': True, 'restarted': False, 'running': running, 'version': None, 'msg': 'dockerd would be restarted'}
    rc, out, err = run_command(service_command)
    if rc != 0:
        raise FabricError('restarting dockerd: "%s" failed (rc=%d): %s' % (' '.join(service_command), rc, (err or out).strip()))
    deadline = clock() + timeout
    while not api.ping():
        if clock() > deadline:
            raise FabricError('dockerd does not answer on %s %ds after "%s"; see its log (/var/log/docker.log, or '
                              'journalctl -u docker)' % (api.socket_path, timeout, ' '.join(service_command)))
        sleep(0.1)
    version = api.version().get('Version')
    return {'changed': True, 'restarted': True, 'running': True, 'version': version,
            'msg': 'dockerd %s restarted and answers' % version}

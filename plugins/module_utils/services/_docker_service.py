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

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _plan
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan


def plan_restart(running, only_if_running=True):
    """The restart, when dockerd runs (or when asked to start it anyway); a restart is always a
    change, so check mode predicts one exactly when it plans one."""
    plan = Plan({'running': running}, {'running': running or not only_if_running})
    if running or not only_if_running:
        plan.add('restart', 'service', 'docker')
    return plan


def restart(api, run_command, service_command, timeout, only_if_running=True, check_mode=False,
            clock=time.monotonic, sleep=time.sleep):
    """{changed, restarted, running, version, msg}. `api` is a DockerAPI; `service_command` the
    argument list that restarts the service. Through the modules' one body: read (is dockerd up),
    plan, restart and wait until it answers unless in check mode, read back."""

    def apply(_plan, _running):
        rc, out, err = run_command(service_command)
        if rc != 0:
            raise FabricError('restarting dockerd: "%s" failed (rc=%d): %s' % (' '.join(service_command), rc, (err or out).strip()))
        deadline = clock() + timeout
        while not api.ping():
            if clock() > deadline:
                raise FabricError('dockerd does not answer on %s %ds after "%s"; see its log (/var/log/docker.log, or '
                                  'journalctl -u docker)' % (api.socket_path, timeout, ' '.join(service_command)))
            sleep(0.1)

    plan, running = _plan.reconcile(check_mode, api.ping, lambda running: plan_restart(running, only_if_running), apply)
    if not plan.changed:
        return {'changed': False, 'restarted': False, 'running': False, 'version': None,
                'msg': 'dockerd does not run; it reads its configuration when it starts'}
    if check_mode:
        return {'changed': True, 'restarted': False, 'running': running, 'version': None, 'msg': 'dockerd would be restarted'}
    version = api.version().get('Version')
    return {'changed': True, 'restarted': True, 'running': running, 'version': version,
            'msg': 'dockerd %s restarted and answers' % version}

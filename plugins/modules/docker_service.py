#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: docker_service
short_description: Restart a running dockerd and wait until its API answers
version_added: 1.0.0
description:
  - Restarts Docker's daemon through the host's service manager (C(service docker restart), which
    is C(systemctl) on a systemd host and C(/etc/init.d/docker) on a sysvinit one), then waits
    until the daemon answers on its socket, so that a rolling restart (a task with C(throttle) 1)
    takes the next node down only once this one is back.
  - A dockerd that does not run is left alone (it reads its configuration when it starts), unless
    O(only_if_running=false).
  - The roles of the collection call it only when M(linuxnet.fabric.docker_daemon) says a restart is
    needed (the configuration changed, or the running daemon does not use it yet), so a run with
    nothing to change never restarts Docker.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  state:
    description: V(restarted) restarts it.
    type: str
    choices: [restarted]
    default: restarted
  socket:
    description: dockerd's API socket.
    type: path
    default: /run/docker.sock
  timeout:
    description: Seconds to wait for the API after the restart; the module fails after that.
    type: int
    default: 60
  only_if_running:
    description: Leave a dockerd that does not answer alone instead of starting it.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reports whether dockerd would be restarted and restarts nothing.
  diff_mode:
    support: none
    description: A restart has nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Linux hosts with Docker's C(service) script or unit.
seealso:
  - module: linuxnet.fabric.docker_daemon
'''

EXAMPLES = r'''
- name: Docker's settings for the fabric
  linuxnet.fabric.docker_daemon:
    settings: {bip: 10.5.71.129/25, mtu: 1450, ip-masq: false}
    record_file: /etc/ansible/facts.d/linuxnet_fabric_docker.fact
  register: docker_config

- name: Restart dockerd, one node at a time, when it must to use its configuration
  linuxnet.fabric.docker_service:
    state: restarted
  throttle: 1
  when: docker_config.restart_needed
'''

RETURN = r'''
restarted:
  description: Whether dockerd was restarted.
  returned: always
  type: bool
  sample: true
running:
  description: Whether dockerd answers after the run.
  returned: always
  type: bool
  sample: true
version:
  description: The version of the restarted dockerd.
  returned: when restarted
  type: str
  sample: 20.10.24+dfsg1
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.services._docker_api import DockerAPI
from ansible_collections.linuxnet.fabric.plugins.module_utils.services._docker_service import restart


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', default='restarted', choices=['restarted']),
            socket=dict(type='path', default='/run/docker.sock'),
            timeout=dict(type='int', default=60),
            only_if_running=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module):
        if module.params['timeout'] < 1:
            module.fail_json(msg="option 'timeout' must be at least 1 second")
        service = module.get_bin_path('service', required=True)
        result = restart(DockerAPI(module.params['socket']), module.run_command, [service, 'docker', 'restart'],
                         module.params['timeout'], only_if_running=module.params['only_if_running'],
                         check_mode=module.check_mode)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

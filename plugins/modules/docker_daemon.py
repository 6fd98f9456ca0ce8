#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: docker_daemon
short_description: Merge a fabric's settings into Docker's daemon.json, and put the old values back
version_added: 1.0.0
description:
  - Sets keys of Docker's daemon configuration (such as C(bip), C(mtu), C(ip-masq)) and keeps
    every other key of the file as it is, in the file's own layout (indentation and order of keys;
    keys it adds come last), so the lines of the other keys do not change.
  - Records the values it replaces and the file as it found it, once, in O(record_file), so that
    O(state=restored) puts them back (the very same bytes when nothing else changed meanwhile; and
    removes the file, and its directory, when the module made them and nothing else is in them).
  - dockerd refuses to start when an option is both a command-line flag and a key of the file. Before
    it writes, the module looks for each key it would write as a flag of the running dockerd (its
    command line), of the C(DOCKER_OPTS) in C(/etc/default/docker), and of the C(ExecStart) of
    Docker's systemd unit and drop-ins; it fails naming the flag and where it is, and changes nothing.
  - It does not restart Docker; a change tells the caller to (M(linuxnet.fabric.docker_service)).
    When dockerd answers on O(socket), the module also reports in RV(stale) the keys among C(bip),
    C(mtu) and C(ip-masq) that the running daemon does not use yet (read from its default network),
    so a daemon that was never restarted after an earlier change is restarted by the next run.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  path:
    description: Docker's daemon configuration file.
    type: path
    default: /etc/docker/daemon.json
  settings:
    description:
      - The keys to set, with their values; a null value removes the key. Required with O(state=present).
    type: dict
  record_file:
    description:
      - Where the module records the values it replaced (JSON), for O(state=restored).
    type: path
    required: true
  state:
    description:
      - V(present) merges O(settings) into the file; V(restored) puts the recorded values back and
        removes the record.
    type: str
    choices: [present, restored]
    default: present
  check_flags:
    description: Fail when a key to be written is also a flag dockerd is started with (see above).
    type: bool
    default: true
  socket:
    description: dockerd's API socket, to compare the running daemon's default network with the settings.
    type: path
    default: /run/docker.sock
  service_files:
    description: Files to read dockerd's flags from, besides its running command line.
    type: list
    elements: path
    default: [/etc/default/docker, /lib/systemd/system/docker.service, /etc/systemd/system/docker.service,
              /etc/systemd/system/docker.service.d]
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing.
  diff_mode:
    support: full
    description: The configuration before and after.
  platform:
    support: full
    platforms: posix
    description: Linux hosts.
seealso:
  - name: The overlay role
    description: Leases, node parts and Docker's settings of a flannel-style overlay (ansible-doc -t role linuxnet.fabric.overlay).
    link: https://github.com/flannel-io/flannel/blob/master/Documentation/backends.md#vxlan
'''

EXAMPLES = r'''
- name: Docker's bridge on the node's lease, with the overlay's MTU; the fabric masquerades
  linuxnet.fabric.docker_daemon:
    settings: {bip: 10.5.71.129/25, mtu: 1450, ip-masq: false}
    record_file: /etc/ansible/facts.d/linuxnet_fabric_overlay_docker.fact
  notify: Restart Docker

- name: Docker's configuration as it was before the fabric
  linuxnet.fabric.docker_daemon:
    record_file: /etc/ansible/facts.d/linuxnet_fabric_overlay_docker.fact
    state: restored
'''

RETURN = r'''
config:
  description: The configuration after the run (in check mode, as it would be); null when the file is gone.
  returned: always
  type: dict
  sample: {bip: 10.5.71.129/25, mtu: 1450, ip-masq: false, log-driver: journald}
restart_needed:
  description:
    - Whether dockerd must restart to use the resulting configuration, so the caller restarts it
      only then (M(linuxnet.fabric.docker_service)); with O(state=present), when the file changed
      or RV(stale) is not empty; with O(state=restored), when the configuration changed.
  returned: always
  type: bool
  sample: true
again:
  description:
    - With O(state=restored), whether this run was the first of two steps. dockerd stores its
      default network's address and, with no C(bip) in daemon.json, keeps the stored one, so where
      the user had no C(bip) the first run writes the address C(docker0) had before the fabric
      (recorded when the fabric first set its C(bip)); after dockerd restarted with it, a second
      run puts the user's file back.
  returned: always
  type: bool
  sample: false
stale:
  description:
    - Keys among C(bip), C(mtu) and C(ip-masq) of the resulting configuration that the running
      dockerd does not use yet (it needs a restart); empty when no dockerd answers.
  returned: always
  type: list
  elements: str
  sample: [bip, mtu]
flags:
  description: The flags dockerd is started with, by where they were found.
  returned: always
  type: dict
  sample: {"/etc/default/docker": ["dns"]}
actions:
  description:
    - The file changes made (in check mode, that would be made), in order. A record rewritten only
      for its own upkeep (C(upkeep=True)) is no change.
  returned: always
  type: list
  elements: str
  sample: ["write record /etc/ansible/facts.d/linuxnet_fabric_overlay_docker.fact", "write file /etc/docker/daemon.json"]
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _docker_daemon as docker
from ansible_collections.linuxnet.fabric.plugins.module_utils.services._docker_api import DockerAPI
from ansible_collections.linuxnet.fabric.plugins.module_utils._files import read_text, write_atomically

PROC = '/proc'


def running_flags():
    """{'the running dockerd (pid N)': flags} of every dockerd process."""
    found = {}
    for name in os.listdir(PROC):
        if not name.isdigit():
            continue
        try:
            with open(os.path.join(PROC, name, 'comm')) as handle:
                if handle.read().strip() != 'dockerd':
                    continue
            with open(os.path.join(PROC, name, 'cmdline'), 'rb') as handle:
                words = handle.read().decode('utf-8', 'replace').split('\0')
        except OSError:
            continue  # the process went away meanwhile
        found['the running dockerd (pid %s)' % name] = docker.flags_of(words)
    return found


def service_flags(paths):
    found = {}
    for path in paths:
        files = [path]
        if os.path.isdir(path):
            files = sorted(os.path.join(path, item) for item in os.listdir(path) if item.endswith('.conf'))
        for name in files:
            text = read_text(name)
            if text is None:
                continue
            flags = docker.docker_opts_flags(text) | docker.unit_flags(text)
            if flags:
                found[name] = flags
    return found


def read_files(path, record_file):
    """What the plan starts from: daemon.json, the record and daemon.json's directory."""
    directory = os.path.dirname(path)
    return dict(config_text=read_text(path), record_text=read_text(record_file),
                directory_entries=sorted(os.listdir(directory)) if os.path.isdir(directory) else None)


def default_network(socket):
    """The running dockerd's default network, None when no dockerd answers."""
    running = DockerAPI(socket)
    return running.network('bridge') if running.ping() else None


def apply(plan):
    """Carry out the planned file actions, in order."""
    for action in plan.actions:
        if action.verb == 'write':
            directory = os.path.dirname(action.name)
            if directory:
                os.makedirs(directory, exist_ok=True)
            write_atomically(action.name, action.details['_text'], action.details.get('_mode', 0o644))
        elif action.kind == 'directory':
            # Planned when only daemon.json was in it; anything put there since keeps it.
            if os.path.isdir(action.name) and not os.listdir(action.name):
                os.rmdir(action.name)
        else:
            os.unlink(action.name)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/docker/daemon.json'),
            settings=dict(type='dict'),
            record_file=dict(type='path', required=True),
            state=dict(type='str', default='present', choices=['present', 'restored']),
            check_flags=dict(type='bool', default=True),
            socket=dict(type='path', default='/run/docker.sock'),
            service_files=dict(type='list', elements='path', default=[
                '/etc/default/docker', '/lib/systemd/system/docker.service', '/etc/systemd/system/docker.service',
                '/etc/systemd/system/docker.service.d']),
        ),
        required_if=[('state', 'present', ('settings',))],
        supports_check_mode=True,
    )
    params = module.params
    path, record_file, state = params['path'], params['record_file'], params['state']
    with _common.failing_on_errors(module):
        settings = docker.check_settings(params['settings']) if state == 'present' else None
        flags = running_flags()
        flags.update(service_flags(params['service_files']))
        # The running daemon is asked once: writing daemon.json does not change what it uses.
        bridge = default_network(params['socket']) if state == 'present' else None
        plan, _files = _common.reconcile(
            module.check_mode, lambda: read_files(path, record_file),
            lambda files: docker.plan_daemon(state, path, record_file, files, settings=settings, flags=flags, bridge=bridge,
                                             check_flags=params['check_flags']),
            lambda plan, _files: apply(plan))
    # The configuration reported is the plan's (in check mode, as it would be), as is the diff.
    _common.exit_with_plan(module, plan, **plan.report)


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: etcd_member_info
short_description: Read what an etcd member holds on disk
version_added: 1.0.0
description:
  - Reads, without etcd running, whether the member's data dir holds a cluster, the
    initial-cluster settings of its environment file, the installed versions of its packages and
    of its binary. The M(linuxnet.fabric.etcd) role reads every member with it before it decides
    who bootstraps, joins, restarts or upgrades.
  - Standard library only, so that it costs one short module run.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  data_dir:
    description: The member's data dir (C(--data-dir)).
    type: path
    required: true
  env_file:
    description: The environment file the etcd service reads.
    type: path
  packages:
    description: Packages whose installed version to report (dpkg).
    type: list
    elements: str
    default: []
  binary:
    description: An etcd binary whose C(--version) to report; a missing binary reports null.
    type: path
  paths:
    description:
      - Paths whose type, mode, owner, group and (regular files) SHA-1 to report, so that the
        caller copies only what differs.
    type: list
    elements: path
    default: []
  service:
    description: A service whose state (running, started at boot) to report.
    type: str
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Reads only; there is nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Linux hosts.
seealso:
  - module: linuxnet.fabric.fabric_facts
'''

EXAMPLES = r'''
- name: Read the member
  linuxnet.fabric.etcd_member_info:
    data_dir: /var/lib/etcd/fabric
    env_file: /etc/default/etcd
    packages: [etcd-server, etcd-client]
  register: member

- name: Does it hold a cluster?
  ansible.builtin.debug:
    msg: "{{ member.has_data }}"
'''

RETURN = r'''
data_dir_exists:
  description: Whether O(data_dir) exists.
  returned: always
  type: bool
has_data:
  description: Whether O(data_dir) holds a C(member) directory (etcd has started with it).
  returned: always
  type: bool
data_dir_mode:
  description: The permissions of O(data_dir) (null when it is missing).
  returned: always
  type: str
  sample: "0700"
env_exists:
  description: Whether O(env_file) exists.
  returned: always
  type: bool
name:
  description: C(ETCD_NAME) of O(env_file).
  returned: always
  type: str
initial_cluster:
  description: C(ETCD_INITIAL_CLUSTER) of O(env_file) (null when unset).
  returned: always
  type: str
  sample: node1=https://10.88.0.11:2380,node2=https://10.88.0.12:2380
initial_cluster_state:
  description: C(ETCD_INITIAL_CLUSTER_STATE) of O(env_file) (null when unset).
  returned: always
  type: str
  sample: new
configured_data_dir:
  description: C(ETCD_DATA_DIR) of O(env_file) (null when unset), the data dir the member was configured with.
  returned: always
  type: str
  sample: /var/lib/etcd/fabric
configured_peer_url:
  description: C(ETCD_INITIAL_ADVERTISE_PEER_URLS) of O(env_file) (null when unset), the peer URL the member was configured with.
  returned: always
  type: str
  sample: https://10.88.0.11:2380
systemd:
  description: Whether the host runs systemd as its service manager.
  returned: always
  type: bool
package_versions:
  description: The installed version of each of O(packages) (null when not installed; the whole value is null without dpkg).
  returned: always
  type: dict
  sample: {etcd-server: 3.4.23-4+b4, etcd-client: 3.4.23-4+b4}
paths:
  description: For each of O(paths), C(exists), C(type) (file, directory, link, other), C(mode), C(owner), C(group), C(sha1).
  returned: always
  type: dict
  sample: {/etc/etcd/pki/ca.crt: {exists: true, type: file, mode: "0644", owner: root, group: root, sha1: 0a1b...}}
service_running:
  description: Whether O(service) runs (C(systemctl is-active), or the init script's C(status)); null without O(service).
  returned: always
  type: bool
service_enabled:
  description: Whether O(service) starts at boot (C(systemctl is-enabled), or a start link in runlevels 2-5); null without O(service).
  returned: always
  type: bool
underlay_address:
  description: The address of the interface of the default route (null without one); the etcd role's default member address.
  returned: always
  type: str
  sample: 10.88.0.11
binary_version:
  description: The version O(binary) reports (null without O(binary) or when it is missing).
  returned: always
  type: str
  sample: 3.5.17
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils.services._etcd_member import binary_version, member_info, path_state, sysv_enabled
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._node_facts import underlay


def main():
    module = AnsibleModule(
        argument_spec=dict(
            data_dir=dict(type='path', required=True),
            env_file=dict(type='path'),
            packages=dict(type='list', elements='str', default=[]),
            binary=dict(type='path'),
            paths=dict(type='list', elements='path', default=[]),
            service=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    result = member_info(module.params['data_dir'], module.params['env_file'], module.params['packages'])
    result['binary_version'] = None
    binary = module.params['binary']
    if binary and os.access(binary, os.X_OK):
        rc, out, err = module.run_command([binary, '--version'])
        if rc != 0:
            module.fail_json(msg='%s --version failed: %s' % (binary, (err or out).strip()), **result)
        result['binary_version'] = binary_version(out)
    result['paths'] = dict((path, path_state(path)) for path in module.params['paths'])
    result['service_running'] = result['service_enabled'] = None
    service = module.params['service']
    if service and result['systemd']:
        result['service_running'] = module.run_command(['systemctl', 'is-active', '--quiet', service])[0] == 0
        result['service_enabled'] = module.run_command(['systemctl', 'is-enabled', '--quiet', service])[0] == 0
    elif service:
        script = os.path.join('/etc/init.d', service)
        result['service_running'] = os.access(script, os.X_OK) and module.run_command([script, 'status'])[0] == 0
        result['service_enabled'] = sysv_enabled(service)
    result['underlay_address'] = underlay().get('address')
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()

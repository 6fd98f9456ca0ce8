#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: sysctl
short_description: Set a sysctl, keep it at boot, and remember the value it replaced
version_added: 1.0.0
description:
  - Sets one kernel parameter now (from inside O(netns) for C(net.*) parameters, which belong to
    a network namespace), optionally keeps it in a C(sysctl.d) file, and optionally records the
    value it found the first time, so that O(state=restored) can put that value back.
  - O(state=restored) sets the recorded value again and removes the parameter from both files;
    files left without content are deleted, and the record directories the module created are
    removed once empty.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  name:
    description:
      - The parameter in sysctl(8) notation, for example C(net.ipv4.ip_forward); a C(/) stands for
        a dot inside one level (C(net.ipv4.conf.eth0/100.forwarding)).
    type: str
    required: true
  value:
    description: The value to set. Required with O(state=present).
    type: str
  persist_file:
    description:
      - A file under C(/etc/sysctl.d) that keeps the value at boot. The module manages the
        C(name = value) lines of the parameters it is given and leaves other lines of the file
        alone. Its directory must exist.
    type: path
  record_file:
    description:
      - A JSON file (for example an Ansible local fact under C(/etc/ansible/facts.d)) where the
        value found before the first change is recorded, under C(sysctl <name>). A recorded value
        is never overwritten, so running again records nothing new.
    type: path
  state:
    description: V(present) sets the value; V(restored) puts the recorded one back.
    type: str
    choices: [present, restored]
    default: present
extends_documentation_fragment:
  - linuxnet.fabric.common
  - linuxnet.fabric.common.attributes
seealso:
  - module: linuxnet.fabric.proxy_arp
    description: Per-interface network parameters of routed endpoints.
'''

EXAMPLES = r'''
- name: Forward IPv4, now and at boot, remembering the value found
  linuxnet.fabric.sysctl:
    name: net.ipv4.ip_forward
    value: "1"
    persist_file: /etc/sysctl.d/90-linuxnet-fabric.conf
    record_file: /etc/ansible/facts.d/linuxnet_fabric.fact

- name: Put it back
  linuxnet.fabric.sysctl:
    name: net.ipv4.ip_forward
    persist_file: /etc/sysctl.d/90-linuxnet-fabric.conf
    record_file: /etc/ansible/facts.d/linuxnet_fabric.fact
    state: restored
'''

RETURN = r'''
sysctl:
  description: The parameter after the run (in check mode, as it is now).
  returned: always
  type: dict
  contains:
    value:
      description: Its value.
      type: str
      sample: "1"
    persisted:
      description: Its value in O(persist_file) (null when not there).
      type: str
      sample: "1"
    recorded:
      description: The value recorded in O(record_file) (null when none).
      type: str
      sample: "0"
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["set sysctl net.ipv4.ip_forward (netns=None, value=1)", "write record net.ipv4.ip_forward (value=0)"]
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils._files import read_text
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._node_facts import json_file
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_sysctl import (
    key_of,
    persisted_text,
    persisted_values,
    plan_sysctl,
)
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._sysctl import Sysctls

CREATED_DIRECTORY = 'created_directory'


def normalised(value):
    """Sysctl values compare field by field (the kernel separates fields with tabs)."""
    return None if value is None else ' '.join(str(value).split())


def check_directory(option, path):
    """The file's directory must exist: found after the sysctl was set, its absence would leave a half-done change."""
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        raise OptionError(option, "is in '%s', which is not a directory" % directory)


def write_file(module, path, content):
    """Write `content` atomically, or delete the file when content is None."""
    if content is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    temporary = path + '.linuxnet-fabric.tmp'
    with open(temporary, 'w') as handle:
        handle.write(content)
    os.chmod(temporary, 0o644)
    module.atomic_move(temporary, path)


def first_missing_directory(directory):
    """The outermost directory of `directory` that does not exist yet (None: it exists)."""
    missing = None
    while directory and not os.path.isdir(directory):
        missing = directory
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return missing


def save_record(module, path, record):
    """Write the record; an emptied record goes, and so do the directories the module made for it."""
    directory = os.path.dirname(path)
    created = record.get(CREATED_DIRECTORY)
    if set(record) - {CREATED_DIRECTORY}:
        if not os.path.isdir(directory):
            # Remember the outermost new directory (/etc/ansible of /etc/ansible/facts.d), so that
            # restoring removes all of them.
            record[CREATED_DIRECTORY] = first_missing_directory(directory)
            os.makedirs(directory, mode=0o755)
        write_file(module, path, json.dumps(record, indent=2, sort_keys=True) + '\n')
        return
    write_file(module, path, None)
    if not created:
        return
    created, directory = os.path.normpath(created), os.path.normpath(directory)
    # From the record's directory up to the outermost one the module made, each while empty.
    while (directory == created or directory.startswith(created + os.sep)) and os.path.isdir(directory) \
            and not os.listdir(directory):
        os.rmdir(directory)
        if directory == created:
            break
        directory = os.path.dirname(directory)


def read_state(sysctls, key, params):
    """The sysctl's value, the persist file (its text and its values) and the record."""
    value = normalised(sysctls.read([key])[key])
    if value is None:
        raise OptionError('name', "there is no sysctl %s%s" % (params['name'], sysctls.where()))
    persist_original = read_text(params['persist_file']) if params['persist_file'] else None
    return dict(value=value, persist_original=persist_original,
                persisted=persisted_values(persist_original) if params['persist_file'] else None,
                record=json_file(params['record_file']) if params['record_file'] else None)


def apply(module, sysctls, key, plan, current):
    """Set the sysctl, then the persist file and the record, as planned (from what was read)."""
    name, persisted, record = module.params['name'], current['persisted'], current['record']
    for action in plan.actions:
        if action.kind == 'sysctl':
            sysctls.write({key: action.details['value']})
        elif action.kind == 'persist file':
            if action.verb == 'write':
                persisted[name] = action.details['value']
            else:
                persisted.pop(name)
            write_file(module, module.params['persist_file'], persisted_text(persisted, current['persist_original']))
        elif action.verb == 'write':
            record['sysctl ' + name] = action.details['value']
            save_record(module, module.params['record_file'], record)
        else:
            record.pop('sysctl ' + name)
            save_record(module, module.params['record_file'], record)


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            name=dict(type='str', required=True),
            value=dict(type='str'),
            persist_file=dict(type='path'),
            record_file=dict(type='path'),
            state=dict(type='str', default='present', choices=['present', 'restored']),
        ),
        required_if=[('state', 'present', ['value'])],
        supports_check_mode=True,
    )
    params = module.params
    name, netns = params['name'], params['netns']
    with _common.failing_on_errors(module):
        key = key_of('name', name)
        _common.check_netns_option(netns)
        _common.require_existing_netns('netns', netns)
        sysctls = Sysctls(netns)
        if params['persist_file']:
            check_directory('persist_file', params['persist_file'])

        # The result is the plan's view (plan.after, or plan.before in check mode), so a read back
        # of the sysctl and both files after the change would be unused.
        plan, _current = _common.reconcile(
            module.check_mode, lambda: read_state(sysctls, key, params),
            lambda current: plan_sysctl(name, normalised(params['value']), current['value'], current['persisted'],
                                        current['record'], params['state'], netns),
            lambda plan, current: apply(module, sysctls, key, plan, current), read_back=False)
    _common.exit_with_plan(module, plan, sysctl=plan.after if not module.check_mode else plan.before)


if __name__ == '__main__':
    main()

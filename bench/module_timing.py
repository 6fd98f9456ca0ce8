# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the single-node benchmarks share (bench/endpoints.py, bench/scale.py): a throwaway node
namespace, and one module task run by ansible-playbook against this machine, timed by Ansible."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import datetime

# The interpreter the modules run with: the OS Python, with Debian's pyroute2, as on a node.
PYTHON = '/usr/bin/python3'
TASK = 'The module'

PLAYBOOK = """
- name: Module benchmark
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: %(python)s
  tasks:
    - name: %(task)s
      %(module)s: %(args)s
"""


def run(argv, **kwargs):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, **kwargs)


def clean(node, prefix):
    """Delete the node namespace and the namespaces whose names start with prefix; their veths go with them."""
    names = [line.split()[0] for line in run(['ip', 'netns', 'list']).stdout.splitlines() if line.strip()]
    for name in names:
        if name == node or name.startswith(prefix):
            subprocess.run(['ip', 'netns', 'del', name], check=False)
    # Namespace clean-up is asynchronous: let the kernel finish before the next timing.
    time.sleep(1.0)


def make_node(node, commands):
    """The node namespace, set up by `ip -n <node> <command>` for each command (a list of arguments)."""
    run(['ip', 'netns', 'add', node])
    for command in commands:
        run(['ip', '-n', node] + command)


def parse_time(text):
    return datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%fZ').timestamp()


def module_task(workdir, module, args):
    """(seconds of the task alone as timed by Ansible, seconds of the whole ansible-playbook
    process, the task's result) of one call of `module` with `args`. A failed task raises, with
    its message."""
    playbook = os.path.join(workdir, 'module.yml')
    with open(playbook, 'w') as handle:
        handle.write(PLAYBOOK % {'python': PYTHON, 'task': TASK, 'module': module, 'args': json.dumps(args)})
    started = time.perf_counter()
    # A failed task is reported from the JSON below, with its message.
    result = subprocess.run(['ansible-playbook', '-i', 'localhost,', playbook], check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, env=dict(os.environ, ANSIBLE_STDOUT_CALLBACK='ansible.posix.json'))
    process_seconds = time.perf_counter() - started
    if not result.stdout.lstrip().startswith('{'):
        raise RuntimeError('ansible-playbook failed (rc %d): %s' % (result.returncode, (result.stdout + result.stderr)[-2000:]))
    for play in json.loads(result.stdout)['plays']:
        for task in play['tasks']:
            if task['task']['name'] == TASK:
                duration, host = task['task']['duration'], task['hosts']['localhost']
                if host.get('failed'):
                    raise RuntimeError('%s failed: %s' % (module, host.get('msg')))
                return parse_time(duration['end']) - parse_time(duration['start']), process_seconds, host
    raise RuntimeError('the task is not in the playbook output')

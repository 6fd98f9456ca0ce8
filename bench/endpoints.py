# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: N container endpoints on a bridge in a throwaway node namespace, side by side.

(a) the classic hand-written script: 8 `ip` commands per endpoint (netns add, veth add, master,
    up, lo up, addr add, up, default route);
(b) one linuxnet.fabric.endpoints call run by ansible-playbook against this machine, timed as a
    whole process (Ansible start-up included);
(c) the same playbook again, which changes nothing: whole process, and the module's own time.

Runs (a) and (b) alternately in one process for each N, so both see the same machine load,
and prints a table with the ratios. Needs root; everything it makes lives in namespaces it
creates and removes (also on failure).

    make bench-endpoints            # N = 10 100 500
    python3 bench/endpoints.py 10 100
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime

NODE = 'lfbench-node'
PREFIX = 'lfbc'
BRIDGE = 'cbr0'
GATEWAY = '172.30.0.1'
PYTHON = '/usr/bin/python3'

PLAYBOOK = """
- name: Endpoints benchmark
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: %(python)s
  tasks:
    - name: All endpoints in one call
      linuxnet.fabric.endpoints:
        netns: %(node)s
        bridge: %(bridge)s
        owner: bench
        endpoints: "{{ bench_endpoints }}"
"""


def run(argv, **kwargs):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, **kwargs)


def address(index):
    return '172.30.%d.%d' % (index // 250, index % 250 + 2)


def make_node():
    run(['ip', 'netns', 'add', NODE])
    run(['ip', '-n', NODE, 'link', 'add', BRIDGE, 'type', 'bridge'])
    run(['ip', '-n', NODE, 'addr', 'add', GATEWAY + '/16', 'dev', BRIDGE])
    run(['ip', '-n', NODE, 'link', 'set', BRIDGE, 'up'])


def clean():
    """Delete the benchmark's namespaces; their veths go with them."""
    names = [line.split()[0] for line in run(['ip', 'netns', 'list']).stdout.splitlines() if line.strip()]
    for name in names:
        if name == NODE or name.startswith(PREFIX):
            subprocess.run(['ip', 'netns', 'del', name], check=False)
    # Namespace clean-up is asynchronous: let the kernel finish before the next timing.
    time.sleep(1.0)


def hand_script(count):
    lines = ['set -e']
    for index in range(count):
        netns, host = '%s%d' % (PREFIX, index), 'h%d' % index
        lines += [
            'ip netns add %s' % netns,
            'ip -n %s link add %s type veth peer name eth0 netns %s' % (NODE, host, netns),
            'ip -n %s link set %s master %s' % (NODE, host, BRIDGE),
            'ip -n %s link set %s up' % (NODE, host),
            'ip -n %s link set lo up' % netns,
            'ip -n %s addr add %s/16 dev eth0' % (netns, address(index)),
            'ip -n %s link set eth0 up' % netns,
            'ip -n %s route add default via %s' % (netns, GATEWAY),
        ]
    return '\n'.join(lines) + '\n'


def timed(argv, **kwargs):
    start = time.perf_counter()
    result = run(argv, **kwargs)
    return time.perf_counter() - start, result


def module_seconds(json_output):
    """Duration of the endpoints task from the ansible.posix.json callback's output."""
    for play in json.loads(json_output)['plays']:
        for task in play['tasks']:
            if task['task']['name'] == 'All endpoints in one call':
                duration = task['task']['duration']
                return (parse_time(duration['end']) - parse_time(duration['start'])), task['hosts']['localhost']
    raise RuntimeError('the endpoints task is not in the playbook output')


def parse_time(text):
    return datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%fZ').timestamp()


def measure(count, workdir):
    clean()
    make_node()
    script = os.path.join(workdir, 'hand.sh')
    with open(script, 'w') as handle:
        handle.write(hand_script(count))
    hand, _result = timed(['bash', script])
    check = run(['ip', 'netns', 'exec', '%s%d' % (PREFIX, count - 1), 'ping', '-c', '1', '-W', '2', GATEWAY])
    assert check.returncode == 0
    clean()

    make_node()
    variables = os.path.join(workdir, 'endpoints.json')
    with open(variables, 'w') as handle:
        json.dump({'bench_endpoints': [
            {'name': '%s%d' % (PREFIX, index), 'address': address(index) + '/16'} for index in range(count)]}, handle)
    playbook = os.path.join(workdir, 'bench.yml')
    with open(playbook, 'w') as handle:
        handle.write(PLAYBOOK % {'python': PYTHON, 'node': NODE, 'bridge': BRIDGE})
    environment = dict(os.environ, ANSIBLE_STDOUT_CALLBACK='ansible.posix.json')
    command = ['ansible-playbook', '-i', 'localhost,', playbook, '-e', '@' + variables]
    cold, result = timed(command, env=environment)
    _cold_module, cold_host = module_seconds(result.stdout)
    assert cold_host['changed'], 'the cold run changed nothing'
    run(['ip', 'netns', 'exec', '%s%d' % (PREFIX, count - 1), 'ping', '-c', '1', '-W', '2', GATEWAY])
    again, result = timed(command, env=environment)
    again_module, again_host = module_seconds(result.stdout)
    assert not again_host['changed'], 'the second run changed something'
    clean()
    return hand, cold, again, again_module


def main(counts):
    if os.geteuid() != 0:
        sys.exit('run as root: the benchmark creates network namespaces')
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        try:
            for count in counts:
                rows.append((count,) + measure(count, workdir))
        finally:
            clean()
    print()
    print('| N | (a) ip script s | (b) playbook s | b/a | (c) no-change playbook s | c/a | (c) module s |')
    print('|---|---|---|---|---|---|---|')
    for count, hand, cold, again, again_module in rows:
        print('| %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |' % (
            count, hand, cold, cold / hand, again, again / hand, again_module))
    print()
    print('(a) %d forks of ip per endpoint; (b) and (c) whole ansible-playbook processes, start-up included;' % 8)
    print('module s: the endpoints task alone, as timed by Ansible.')


if __name__ == '__main__':
    main([int(argument) for argument in sys.argv[1:]] or [10, 100, 500])

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: N container endpoints on a bridge in a throwaway node namespace, side by side.

(a) what a competent engineer scripts by hand: batched `ip`, N+2 processes - one `ip -batch` for
    the namespaces, one `ip -n <node> -batch` for the host ends (veth with its peer created in the
    container's namespace, master, alias, up), and one `ip -n <container> -batch` per container
    (lo up, address, eth0 up, default route);
(a8) the classic script: 8 `ip` processes per endpoint (shown for reference, not the baseline);
(b) one linuxnet.fabric.endpoints call run by ansible-playbook against this machine, cold (the
    namespaces do not exist yet): the endpoints task alone, as timed by Ansible, and the whole
    ansible-playbook process (start-up included);
(c) the same playbook again, which changes nothing: task alone and whole process, in seconds (a
    hand script that checks before it changes has no common form to compare with).

Each N runs BENCH_REPEAT (default 3) rounds, alternating (a), (b)+(c) and (a8) so that all see
the same machine load, and prints the median and the spread (min-max) of each, and the ratio of
the medians to (a). Needs root; everything it makes lives in namespaces it creates and removes
(also on failure).

    make bench-endpoints            # N = 10 100 500
    python3 bench/endpoints.py 10 100
    BENCH_REPEAT=5 python3 bench/endpoints.py 500
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

from module_timing import module_task, run
import module_timing

NODE = 'lfbench-node'
PREFIX = 'lfbc'
BRIDGE = 'cbr0'
GATEWAY = '172.30.0.1'


def address(index):
    return '172.30.%d.%d' % (index // 250, index % 250 + 2)


def make_node():
    module_timing.make_node(NODE, (['link', 'add', BRIDGE, 'type', 'bridge'], ['addr', 'add', GATEWAY + '/16', 'dev', BRIDGE],
                                   ['link', 'set', BRIDGE, 'up']))


def clean():
    module_timing.clean(NODE, PREFIX)


def classic_script(count):
    """8 `ip` processes per endpoint."""
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


def batched_script(count, workdir):
    """N+2 `ip` processes: the namespaces, the host ends, then each container's side, in batches."""
    namespaces = os.path.join(workdir, 'namespaces.batch')
    with open(namespaces, 'w') as handle:
        handle.writelines('netns add %s%d\n' % (PREFIX, index) for index in range(count))
    host_ends = os.path.join(workdir, 'host-ends.batch')
    with open(host_ends, 'w') as handle:
        for index in range(count):
            netns, host = '%s%d' % (PREFIX, index), 'h%d' % index
            handle.write('link add %s type veth peer name eth0 netns %s\n' % (host, netns))
            # The alias is how the module marks what it owns; the script gets one too.
            handle.write('link set %s master %s alias "owner=bench name=%s" up\n' % (host, BRIDGE, netns))
    lines = ['set -e', 'ip -batch %s' % namespaces, 'ip -n %s -batch %s' % (NODE, host_ends)]
    for index in range(count):
        container = os.path.join(workdir, 'container%d.batch' % index)
        with open(container, 'w') as handle:
            handle.write('link set lo up\naddr add %s/16 dev eth0\nlink set eth0 up\nroute add default via %s\n' % (
                address(index), GATEWAY))
        lines.append('ip -n %s%d -batch %s' % (PREFIX, index, container))
    return '\n'.join(lines) + '\n'


def timed(argv, **kwargs):
    start = time.perf_counter()
    result = run(argv, **kwargs)
    return time.perf_counter() - start, result


def hand(script_text, count, workdir):
    """Seconds to run a hand script on a fresh node; the last container must reach its gateway."""
    make_node()
    script = os.path.join(workdir, 'hand.sh')
    with open(script, 'w') as handle:
        handle.write(script_text)
    seconds, _result = timed(['bash', script])
    run(['ip', 'netns', 'exec', '%s%d' % (PREFIX, count - 1), 'ping', '-c', '1', '-W', '2', GATEWAY])
    clean()
    return seconds


def fabric(count, workdir):
    """(cold module s, cold playbook s, no-change module s, no-change playbook s) on a fresh node."""
    make_node()
    args = {'netns': NODE, 'bridge': BRIDGE, 'owner': 'bench',
            'endpoints': [{'name': '%s%d' % (PREFIX, index), 'address': address(index) + '/16'} for index in range(count)]}
    cold_module, cold, cold_host = module_task(workdir, 'linuxnet.fabric.endpoints', args)
    assert cold_host['changed'], 'the cold run changed nothing'
    run(['ip', 'netns', 'exec', '%s%d' % (PREFIX, count - 1), 'ping', '-c', '1', '-W', '2', GATEWAY])
    again_module, again, again_host = module_task(workdir, 'linuxnet.fabric.endpoints', args)
    assert not again_host['changed'], 'the second run changed something'
    clean()
    return cold_module, cold, again_module, again


def measure(count, workdir, repeat):
    """{column: [seconds per round]}, the rounds alternating hand and fabric."""
    columns = dict((name, []) for name in ('batched', 'classic', 'cold_module', 'cold', 'again_module', 'again'))
    clean()
    for _round in range(repeat):
        columns['batched'].append(hand(batched_script(count, workdir), count, workdir))
        for name, seconds in zip(('cold_module', 'cold', 'again_module', 'again'), fabric(count, workdir)):
            columns[name].append(seconds)
        columns['classic'].append(hand(classic_script(count), count, workdir))
    return columns


def cell(values):
    median = statistics.median(values)
    return '%.2f (%.2f-%.2f)' % (median, min(values), max(values)) if len(values) > 1 else '%.2f' % median


def main(counts):
    if os.geteuid() != 0:
        sys.exit('run as root: the benchmark creates network namespaces')
    repeat = int(os.environ.get('BENCH_REPEAT', '3'))
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        try:
            for count in counts:
                rows.append((count, measure(count, workdir, repeat)))
        finally:
            clean()
    print()
    print('| N | (a) batched ip s | (a8) 8 ip per endpoint s | (b) module cold s | b/a | (b) playbook cold s | '
          'playbook/a | (c) module no change s | (c) playbook no change s |')
    print('|---|---|---|---|---|---|---|---|---|')
    for count, columns in rows:
        batched = statistics.median(columns['batched'])
        print('| %d | %s | %s | %s | %.2f | %s | %.2f | %s | %s |' % (
            count, cell(columns['batched']), cell(columns['classic']), cell(columns['cold_module']),
            statistics.median(columns['cold_module']) / batched, cell(columns['cold']),
            statistics.median(columns['cold']) / batched, cell(columns['again_module']), cell(columns['again'])))
    print()
    print('Median (min-max) of %d alternated rounds; ratios of medians. (a) N+2 ip processes (batches); (a8) 8N;' % repeat)
    print('module: the endpoints task alone, as timed by Ansible; playbook: the whole ansible-playbook process.')


if __name__ == '__main__':
    main([int(argument) for argument in sys.argv[1:]] or [10, 100, 500])

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the fabric roles on 3 lab nodes against the same result built by hand, in one run.

Control plane, for 1, 10, 100 and 500 endpoints per node (bridge_nat):
  (a) what a competent engineer scripts by hand, run on the three nodes over SSH in parallel:
      bridge, MASQUERADE, routes to the peers and the endpoints in batched `ip` (one batch for
      the namespaces, one for the node's side - bridge, routes, veths created with their peer in
      the container's namespace, master, alias, up - and one per container: N+3 processes);
  (a8) the same with 8 `ip` processes per endpoint (a reference column, not the baseline);
  (b) playbooks/site.yml on a clean lab (cold);
  (c) playbooks/site.yml again, which must report changed=0 (seconds; no hand counterpart).
Each is the median (and spread) of BENCH_REPEAT (default 3) rounds, which alternate them.
Data plane, for each fabric: iperf3 (1 stream, 10 s) from a container on node1 to one on node2,
against node1 -> node2 directly and against the same container path built by hand, alternating
fabric and hand BENCH_REPEAT times (median and spread); plus a ping with DF set at the path MTU.

It builds its own lab ("bench", LAN 10.86.0.0/24, outside 198.51.100.0/24: do not run it while a
molecule scenario runs) and removes it at the end, also on failure. Needs root.

    make bench-fabric                 # N = 1 10 100 500
    python3 bench/fabric.py 1 10      # some N only
    BENCH_DATA_PLANE=0 BENCH_REPEAT=5 python3 bench/fabric.py 100
"""

from __future__ import annotations

import ipaddress
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlab import BenchLab, ansible_playbook, median_and_spread  # noqa: E402  pylint: disable=wrong-import-position

NODES = {'bnode1': 11, 'bnode2': 12, 'bnode3': 13}
LAB = BenchLab('bench', '10.86.0.0/24', '198.51.100.0/24', NODES)
GATEWAY = ('bgw', 20)
CLUSTER = ipaddress.ip_network('172.19.0.0/16')
# /22 node subnets: 500 endpoints fit in one.
PREFIX = 22
underlay = LAB.underlay
ssh = LAB.ssh
parallel_scripts = LAB.parallel_scripts
iperf = LAB.iperf


def node_subnet(host_number):
    """What the fabric_plan filter derives: the n-th /22 of the cluster, n the node's host number."""
    return ipaddress.ip_network('%s/%d' % (CLUSTER[host_number * 2 ** (32 - PREFIX)], PREFIX))


def endpoint_address(host_number, index):
    subnet = node_subnet(host_number)
    return str(subnet[2 + index])


def hand_bridge_nat(host_number, count, batched=True):
    """The hand script for what bridge_nat builds on one node: batched `ip` or 8 processes per endpoint."""
    subnet = node_subnet(host_number)
    gateway = subnet[1]
    routes = ['route add %s via %s' % (node_subnet(other), underlay(other)) for other in NODES.values() if other != host_number]
    lines = ['set -e', 'sysctl -qw net.ipv4.ip_forward=1',
             'iptables -t nat -A POSTROUTING -s %s ! -d %s -j MASQUERADE' % (subnet, CLUSTER)]
    if batched:
        node_side = ['link add fabric0 type bridge', 'addr add %s/%d dev fabric0' % (gateway, PREFIX), 'link set fabric0 up'] + routes
        for index in range(count):
            netns, host = 'hand%d' % index, 'hv%d' % index
            node_side += ['link add %s type veth peer name eth0 netns %s' % (host, netns),
                          'link set %s master fabric0 alias "owner=hand name=%s" up' % (host, netns)]
        lines += ['ip -batch - <<EOF'] + ['netns add hand%d' % index for index in range(count)] + ['EOF']
        lines += ['ip -batch - <<EOF'] + node_side + ['EOF']
        for index in range(count):
            lines += ['ip -n hand%d -batch - <<EOF' % index, 'link set lo up',
                      'addr add %s/%d dev eth0' % (endpoint_address(host_number, index), PREFIX),
                      'link set eth0 up', 'route add default via %s' % gateway, 'EOF']
        return '\n'.join(lines) + '\n'
    lines += ['ip link add fabric0 type bridge', 'ip addr add %s/%d dev fabric0' % (gateway, PREFIX), 'ip link set fabric0 up']
    lines += ['ip ' + route for route in routes]
    for index in range(count):
        netns, host = 'hand%d' % index, 'hv%d' % index
        lines += [
            'ip netns add %s' % netns,
            'ip link add %s type veth peer name eth0 netns %s' % (host, netns),
            'ip link set %s master fabric0' % host,
            'ip link set %s up' % host,
            'ip -n %s link set lo up' % netns,
            'ip -n %s addr add %s/%d dev eth0' % (netns, endpoint_address(host_number, index), PREFIX),
            'ip -n %s link set eth0 up' % netns,
            'ip -n %s route add default via %s' % (netns, gateway),
        ]
    return '\n'.join(lines) + '\n'


def hand_routed(host_number):
    """One routed /32 endpoint by hand (for the data-plane comparison)."""
    address = endpoint_address(host_number, 0)
    lines = ['set -e', 'sysctl -qw net.ipv4.ip_forward=1',
             'ip netns add hand0',
             'ip link add hv0 type veth peer name eth0 netns hand0',
             'ip link set hv0 up',
             'sysctl -qw net.ipv4.conf.hv0.proxy_arp=1 net.ipv4.neigh.hv0.proxy_delay=0 net.ipv4.conf.hv0.forwarding=1',
             'ip route add %s/32 dev hv0 scope link' % address,
             'ip -n hand0 link set lo up',
             'ip -n hand0 addr add %s/32 dev eth0' % address,
             'ip -n hand0 link set eth0 up',
             'ip -n hand0 route add 169.254.1.1 dev eth0 scope link',
             'ip -n hand0 route add default via 169.254.1.1 dev eth0']
    for other in NODES.values():
        if other != host_number:
            lines.append('ip route add %s via %s' % (node_subnet(other), underlay(other)))
    return '\n'.join(lines) + '\n'


HAND_CLEANUP = """
for netns in $(ip netns list | awk '/^hand[0-9]/ {print $1}'); do ip netns del "$netns"; done
while ip -o link | grep -q ' hv[0-9]*@'; do sleep 0.05; done
ip link del fabric0 2>/dev/null || true
iptables -t nat -F POSTROUTING
ip route flush root 172.19.0.0/16 2>/dev/null || true
sysctl -qw net.ipv4.ip_forward=0
"""


def write_inventory(directory, mode, count, workdir):
    """The bench lab's inventory: nodes with `count` endpoints each (no addresses: the plan's)."""
    del directory  # the lab's own
    hosts = dict((name, {'ansible_host': underlay(number),
                         'fabric_endpoints': [{'name': 'c%d' % index} for index in range(count)]})
                 for name, number in NODES.items())
    gateway = {GATEWAY[0]: {'ansible_host': underlay(GATEWAY[1])}}
    groups = {
        'fabric_nodes': hosts,
        'fabric_gateway': gateway if mode == 'routed' else {},
        'fabric_spare': {} if mode == 'routed' else gateway,
        'fabric_outside': {'boutside': {'ansible_host': '198.51.100.10', 'lab_segment': 'outside'}},
    }
    variables = {'fabric_mode': mode, 'fabric_cluster_cidr': str(CLUSTER), 'fabric_node_subnet_prefix': PREFIX}
    return LAB.inventory(os.path.join(workdir, 'inventory-%s-%d.json' % (mode, count)), variables, groups)


def hand_round(count, batched):
    """Seconds of one hand build on the three nodes (checked to carry traffic, then removed)."""
    seconds = parallel_scripts(dict((number, hand_bridge_nat(number, count, batched)) for number in NODES.values()))
    check = ssh(11, 'ip netns exec hand%d ping -c 1 -W 2 %s' % (count - 1, endpoint_address(12, count - 1)))
    if check.returncode != 0:
        raise RuntimeError('the hand-built fabric does not carry traffic:\n' + check.stdout)
    for number in NODES.values():
        ssh(number, 'bash -s', HAND_CLEANUP)
    return seconds


def control_plane(counts, workdir, repeat):
    """Per count, `repeat` rounds of (a) batched hand script, (b) site.yml cold, (c) again, (a8).

    One round: the batched hand script and its removal, site.yml twice, teardown, the 8-process
    script and its removal. Rounds alternate them, so a slow spell of the machine hits all of
    them rather than one.
    """
    rows = []
    for count in counts:
        inventory = write_inventory(LAB.directory, 'bridge_nat', count, workdir)
        columns = dict((name, []) for name in ('batched', 'cold', 'again', 'classic', 'again_changed'))
        for _round in range(repeat):
            columns['batched'].append(hand_round(count, batched=True))
            cold, cold_changed = ansible_playbook(inventory, 'site.yml')
            again, again_changed = ansible_playbook(inventory, 'site.yml')
            ansible_playbook(inventory, 'teardown.yml')
            columns['cold'].append(cold)
            columns['again'].append(again)
            columns['again_changed'].append(again_changed)
            columns['classic'].append(hand_round(count, batched=False))
            print('N=%d: batched ip %.2f s, site.yml cold %.2f s (changed=%d), again %.2f s (changed=%d), 8 ip per endpoint %.2f s' % (
                count, columns['batched'][-1], cold, cold_changed, again, again_changed, columns['classic'][-1]), flush=True)
        rows.append((count, columns))
    return rows


def df_ping(client_number, client_netns, address, mtu=1500):
    """Whether a ping with DF set and a packet of exactly `mtu` bytes passes."""
    return LAB.df_ping(client_number, client_netns, address, mtu)


def data_plane(workdir, repeat):
    """Per fabric: node -> node, by hand and fabric Gbit/s (lists of `repeat` alternated runs), DF ping."""
    rows = []
    for mode in ('bridge_nat', 'routed'):
        inventory = write_inventory(LAB.directory, mode, 1, workdir)
        target = endpoint_address(12, 0)
        node_to_node, hand, fabric, fabric_df = [], [], [], True
        for _round in range(repeat):
            node_to_node.append(iperf(11, None, 12, None, underlay(12)))
            ansible_playbook(inventory, 'site.yml')
            fabric.append(iperf(11, 'c0', 12, 'c0', target))
            fabric_df = fabric_df and df_ping(11, 'c0', target)
            ansible_playbook(inventory, 'teardown.yml')
            scripts = dict((number, hand_bridge_nat(number, 1) if mode == 'bridge_nat' else hand_routed(number)) for number in NODES.values())
            parallel_scripts(scripts)
            hand.append(iperf(11, 'hand0', 12, 'hand0', target))
            for number in NODES.values():
                ssh(number, 'bash -s', HAND_CLEANUP)
            print('%s: node-to-node %.1f, by hand %.1f, fabric %.1f Gbit/s, DF ping at 1500: %s' % (
                mode, node_to_node[-1], hand[-1], fabric[-1], 'passes' if fabric_df else 'FAILS'), flush=True)
        rows.append((mode, node_to_node, hand, fabric, fabric_df))
    return rows


def cell(values, digits=2):
    median, low, high = median_and_spread(values)
    return ('%.*f (%.*f-%.*f)' % (digits, median, digits, low, digits, high)) if len(values) > 1 else '%.*f' % (digits, median)


def lab(state, workdir):
    inventory = write_inventory(LAB.directory, 'routed', 0, workdir)
    ansible_playbook(inventory, 'lab.yml', ['-e', 'lab_state=%s' % state])


def main(counts):
    if os.geteuid() != 0:
        sys.exit('run as root: the benchmark builds a lab of namespaces')
    repeat = int(os.environ.get('BENCH_REPEAT', '3'))
    with tempfile.TemporaryDirectory() as workdir:
        lab('present', workdir)
        try:
            control = control_plane(counts, workdir, repeat)
            # BENCH_DATA_PLANE=0 skips the iperf3 part (a few minutes) while working on the control plane.
            data = data_plane(workdir, repeat) if os.environ.get('BENCH_DATA_PLANE', '1') != '0' else []
        finally:
            lab('absent', workdir)
    print()
    print('Control plane, bridge_nat on 3 nodes: whole processes, (a) and (a8) on the 3 nodes in parallel over SSH;')
    print('median (min-max) of %d alternated rounds, ratios of medians:' % repeat)
    print('| endpoints per node | (a) batched ip s | (a8) 8 ip per endpoint s | (b) site.yml cold s | b/a | (c) site.yml no change s | (c) changed |')
    print('|---|---|---|---|---|---|---|')
    for count, columns in control:
        print('| %d | %s | %s | %s | %.2f | %s | %d |' % (
            count, cell(columns['batched']), cell(columns['classic']), cell(columns['cold']),
            statistics.median(columns['cold']) / statistics.median(columns['batched']), cell(columns['again']),
            max(columns['again_changed'])))
    print()
    print('Data plane, iperf3 1 stream 10 s, container on node1 -> container on node2, median (min-max) of %d alternated runs:' % repeat)
    print('| fabric | node -> node Gbit/s | by hand Gbit/s | fabric Gbit/s | fabric / by hand (medians) | DF ping 1500 |')
    print('|---|---|---|---|---|---|')
    for mode, node_to_node, hand, fabric, fabric_df in data:
        df_result = 'passes' if fabric_df else 'FAILS'
        ratio = 100 * statistics.median(fabric) / statistics.median(hand)
        print('| %s | %s | %s | %s | %.0f%% | %s |' % (mode, cell(node_to_node, 1), cell(hand, 1), cell(fabric, 1), ratio, df_result))


if __name__ == '__main__':
    main([int(argument) for argument in sys.argv[1:]] or [1, 10, 100, 500])

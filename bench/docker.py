# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: iperf3 between Docker containers on two lab nodes, the fabric's path against the
same path built by hand, rounds alternating the two in one run.

Both paths: Debian's dockerd in each node (lab_docker), docker0 on the upper half of the node's
/24 (daemon.json bip, ip-masq false, dockerd restarted), a busybox container on docker0 of node1
and of node2, and between the nodes a route to the other node's subnet, the cluster CIDR accepted
in FORWARD (Docker's policy is DROP) and a MASQUERADE of the node subnet to the outside only.
  - fabric: site.yml with bridge_nat and bridge_nat_docker (and its bridge, unused here);
  - by hand: the same settings with `ip route`, `iptables` and a daemon.json written by a script.
iperf3 (the host's binary) runs in the containers' namespaces (nsenter --net): 1 TCP stream,
10 s, from node1's container to node2's; medians and spread of BENCH_REPEAT rounds (3).

Its lab ("dbench", LAN 10.84.0.0/24, no outside host) is removed at the end, also on failure.
Run it on an otherwise idle machine (no molecule, no other benchmark). Needs root and the Docker
packages (make deps); run `make install` first.

    make bench-docker
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlab import BenchLab, ansible_playbook, median_and_spread  # noqa: E402  pylint: disable=wrong-import-position

LAB = BenchLab('dbench', '10.84.0.0/24', '203.0.113.0/24', {'dnode1': 11, 'dnode2': 12})
CLUSTER = ipaddress.ip_network('172.19.0.0/16')
CONTAINER = 'bench'


def node_subnet(number):
    return ipaddress.ip_network('172.19.%d.0/24' % number)


def docker_half(number):
    return list(node_subnet(number).subnets(new_prefix=25))[1]


def write_inventory(workdir):
    hosts = dict((name, {'ansible_host': LAB.underlay(number)}) for name, number in LAB.nodes.items())
    variables = {'fabric_mode': 'bridge_nat', 'fabric_cluster_cidr': str(CLUSTER), 'bridge_nat_docker': True, 'lab_docker': True}
    return LAB.inventory(os.path.join(workdir, 'inventory.json'), variables, {'fabric_nodes': hosts})


# What a competent engineer writes for the same path: daemon.json (keeping the lab's keys), a
# restart, one route per peer, the accepts and the masquerade; undone by HAND_CLEANUP.
HAND = '''set -e
cp /etc/docker/daemon.json /root/daemon.json.orig
python3 - <<'PY'
import json
config = json.load(open('/etc/docker/daemon.json'))
config.update({{'bip': '{bip}', 'mtu': 1500, 'ip-masq': False}})
open('/etc/docker/daemon.json', 'w').write(json.dumps(config, indent=2) + '\\n')
PY
service docker restart >/dev/null
for i in $(seq 100); do docker version >/dev/null 2>&1 && break; sleep 0.1; done
ip route add {peer_subnet} via {peer_address}
iptables -A FORWARD -s {cluster} -j ACCEPT
iptables -A FORWARD -d {cluster} -j ACCEPT
iptables -t nat -A POSTROUTING -s {subnet} ! -d {cluster} -j MASQUERADE
sysctl -qw net.ipv4.ip_forward=1
'''
HAND_CLEANUP = '''set -e
ip route del {peer_subnet} via {peer_address}
iptables -D FORWARD -s {cluster} -j ACCEPT
iptables -D FORWARD -d {cluster} -j ACCEPT
iptables -t nat -D POSTROUTING -s {subnet} ! -d {cluster} -j MASQUERADE
cp /root/daemon.json.orig /etc/docker/daemon.json
service docker restart >/dev/null
for i in $(seq 100); do docker version >/dev/null 2>&1 && break; sleep 0.1; done
'''


def hand_script(template, number):
    peer = 12 if number == 11 else 11
    bip = '%s/25' % docker_half(number)[1]
    return template.format(bip=bip, peer_subnet=node_subnet(peer), peer_address=LAB.underlay(peer), cluster=CLUSTER,
                           subnet=node_subnet(number))


def run(number, command):
    result = LAB.ssh(number, command)
    if result.returncode != 0:
        raise RuntimeError('%s failed on node %d:\n%s' % (command, number, result.stdout[-2000:]))
    return result.stdout


def start_containers():
    """(pid of node1's container, pid and address of node2's)."""
    found = {}
    for number in LAB.nodes.values():
        run(number, 'docker rm -f %s >/dev/null 2>&1; docker run -d --init --name %s busybox:local sleep 2147483647 >/dev/null'
            % (CONTAINER, CONTAINER))
        details = json.loads(run(number, 'docker inspect %s' % CONTAINER))[0]
        found[number] = (details['State']['Pid'], details['NetworkSettings']['IPAddress'])
    return found


def iperf(containers, seconds=10):
    (client_pid, _address), (server_pid, server_address) = containers[11], containers[12]
    run(12, 'timeout %d nsenter --net=/proc/%d/ns/net iperf3 -s -1 >/dev/null 2>&1 &' % (seconds + 20, server_pid))
    run(12, 'sleep 1')
    output = run(11, 'nsenter --net=/proc/%d/ns/net iperf3 -J -t %d -c %s' % (client_pid, seconds, server_address))
    return json.loads(output)['end']['sum_received']['bits_per_second'] / 1e9


def remove_containers():
    for number in LAB.nodes.values():
        run(number, 'docker rm -f %s >/dev/null' % CONTAINER)


def fabric_round(inventory):
    ansible_playbook(inventory, 'site.yml')
    result = iperf(start_containers())
    remove_containers()
    ansible_playbook(inventory, 'teardown.yml')
    return result


def hand_round():
    LAB.parallel_scripts(dict((number, hand_script(HAND, number)) for number in LAB.nodes.values()))
    result = iperf(start_containers())
    remove_containers()
    LAB.parallel_scripts(dict((number, hand_script(HAND_CLEANUP, number)) for number in LAB.nodes.values()))
    return result


def data_plane(inventory, repeat):
    """Rounds alternate which path goes first, so that neither always runs on a just-restarted lab."""
    fabric, hand = [], []
    for round_number in range(repeat):
        if round_number % 2 == 0:
            fabric.append(fabric_round(inventory))
            hand.append(hand_round())
        else:
            hand.append(hand_round())
            fabric.append(fabric_round(inventory))
        print('round %d: fabric %.2f, by hand %.2f Gbit/s' % (round_number + 1, fabric[-1], hand[-1]), flush=True)
    return fabric, hand


def main():
    if os.geteuid() != 0:
        sys.exit('run as root: the benchmark builds a lab of namespaces')
    repeat = int(os.environ.get('BENCH_REPEAT', '3'))
    with tempfile.TemporaryDirectory() as workdir:
        inventory = write_inventory(workdir)
        ansible_playbook(inventory, 'lab.yml')
        try:
            fabric, hand = data_plane(inventory, repeat)
        finally:
            ansible_playbook(inventory, 'lab.yml', ['-e', 'lab_state=absent'])
    fabric_median, fabric_low, fabric_high = median_and_spread(fabric)
    hand_median, hand_low, hand_high = median_and_spread(hand)
    print()
    print('iperf3, 1 TCP stream, 10 s, Docker container on node1 -> Docker container on node2 (docker0, bridge_nat);')
    print('medians (min-max) of %d rounds alternating the two (and which goes first):' % repeat)
    print('| path | Gbit/s | fabric / by hand |')
    print('|---|---|---|')
    print('| by hand (daemon.json, ip route, iptables) | %.2f (%.2f-%.2f) | |' % (hand_median, hand_low, hand_high))
    print('| fabric (site.yml, bridge_nat_docker) | %.2f (%.2f-%.2f) | %.0f%% |' % (
        fabric_median, fabric_low, fabric_high, 100 * fabric_median / hand_median))


if __name__ == '__main__':
    main()

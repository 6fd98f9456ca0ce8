# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the overlay on 3 lab nodes that also run the etcd cluster, side by side in one run.

Leases, with the collection's lease code (bench/lease_claims.py) against the lab's etcd (TLS, the
etcd role's fabric certificate), from the controller:
  - 200 claimers at once, each its own process, each claiming for another public IP: wall time,
    subnets handed out twice (must be 0), races lost and re-planned;
  - 1000 claims one after another in one process over the JSON gateway (the prefix grows to 1000
    leases, each claim reads it whole), and 100 through etcdctl: seconds per claim.
Control plane: site.yml cold (leases, nodes, 100 endpoints per node) and again (must report
changed=0), overlay against bridge_nat, rounds alternating the two; medians of BENCH_REPEAT (3).
Data plane: iperf3 (1 stream, 10 s) container on node1 -> container on node2, through the
overlay, through the same VXLAN path set up by hand (`ip link add ... type vxlan`, the neighbour,
FDB and route entries, bridge and veth as flannel's design has them) and through bridge_nat,
rounds alternating the three; medians and spread of BENCH_REPEAT; a DF ping at the overlay MTU.

Its lab ("obench", LAN 10.85.0.0/24, outside 198.51.100.0/24) can run beside the demo lab, not
beside a molecule scenario or bench/fabric.py (same outside range); it is removed at the end, also
on failure. Needs root; run `make install` first.

    make bench-overlay
    BENCH_REPEAT=5 python3 bench/overlay.py
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlab import ROOT, BenchLab, ansible_playbook, median_and_spread  # noqa: E402  pylint: disable=wrong-import-position

LAB = BenchLab('obench', '10.85.0.0/24', '198.51.100.0/24', {'onode1': 11, 'onode2': 12, 'onode3': 13})
OVERLAY_NETWORK = ipaddress.ip_network('10.5.0.0/16')
BRIDGE_NAT_CLUSTER = ipaddress.ip_network('172.19.0.0/16')
COLLECTIONS = os.path.join(ROOT, 'build', 'collections')
OVERLAY_MTU = 1450


def write_inventory(workdir, mode, count):
    hosts = dict((name, {'ansible_host': LAB.underlay(number), 'fabric_endpoints': [{'name': 'c%d' % index} for index in range(count)]})
                 for name, number in LAB.nodes.items())
    variables = {
        'fabric_mode': mode,
        'fabric_cluster_cidr': str(OVERLAY_NETWORK if mode == 'overlay' else BRIDGE_NAT_CLUSTER),
        'etcd_pki_dir': os.path.join(workdir, 'pki'),
        'etcd_log_file': '/var/log/etcd/etcd.log',
    }
    groups = {
        'fabric_nodes': hosts,
        'etcd': dict((name, {}) for name in LAB.nodes),
        'fabric_outside': {'oout': {'ansible_host': '198.51.100.10', 'lab_segment': 'outside'}},
    }
    return LAB.inventory(os.path.join(workdir, 'inventory-%s-%d.json' % (mode, count)), variables, groups)


# --- leases -----------------------------------------------------------------------------------------

def lease_settings(workdir, transport, prefix, network, subnet_len):
    path = os.path.join(workdir, 'leases-%s.json' % prefix.strip('/').replace('/', '-'))
    pki = os.path.join(workdir, 'pki')
    with open(path, 'w') as handle:
        json.dump({'endpoints': ['https://%s:2379' % LAB.underlay(number) for number in LAB.nodes.values()],
                   'ca_file': pki + '/ca.crt', 'cert_file': pki + '/fabric.crt', 'key_file': pki + '/fabric.key',
                   'transport': transport, 'prefix': prefix, 'network': network, 'subnet_len': subnet_len,
                   'collections': COLLECTIONS}, handle)
    return path


def claimer(settings, mode, argument):
    return [sys.executable, os.path.join(ROOT, 'bench', 'lease_claims.py'), mode, settings, str(argument)]


def etcd_keys(prefix):
    """{key: value} under a prefix, read on node1 as etcd's administrator."""
    result = LAB.ssh(11, 'set -a; . /etc/etcd/etcdctl.env; set +a; etcdctl get --prefix %s -w json' % prefix)
    kvs = json.loads(result.stdout).get('kvs', [])
    return dict((base64.b64decode(kv['key']).decode(), base64.b64decode(kv.get('value', '')).decode()) for kv in kvs)


def concurrent_claims(workdir, count=200):
    settings = lease_settings(workdir, 'gateway', '/bench/concurrent', '10.128.0.0/16', 24)
    started = time.perf_counter()
    processes = [subprocess.Popen(claimer(settings, 'one', '10.251.%d.%d' % (index // 250, index % 250 + 1)),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
                 for index in range(count)]
    results = []
    for process in processes:
        output = process.stdout.read()
        if process.wait() != 0:
            raise RuntimeError('a claimer failed:\n' + output[-2000:])
        results.append(json.loads(output.strip().splitlines()[-1]))
    seconds = time.perf_counter() - started
    subnets = [result['subnet'] for result in results]
    stored = etcd_keys('/bench/concurrent/subnets/')
    holders = dict((key, json.loads(value)['PublicIP']) for key, value in stored.items())
    # Every claimer's subnet is a key holding its own PublicIP, and no key holds two claimers.
    consistent = all(holders.get('/bench/concurrent/subnets/%s' % subnet.replace('/', '-')) == result['public_ip']
                     for subnet, result in zip(subnets, results))
    return {'claimers': count, 'seconds': seconds, 'duplicates': len(subnets) - len(set(subnets)), 'keys': len(stored),
            'consistent': consistent, 'lost_races': sum(result['lost_races'] for result in results),
            'claim_seconds': median_and_spread([result['seconds'] for result in results])}


def sequential_claims(workdir, transport, count):
    settings = lease_settings(workdir, transport, '/bench/sequential-%s' % transport, '10.64.0.0/12', 24)
    started = time.perf_counter()
    result = subprocess.run(claimer(settings, 'sequential', count), check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True)
    if result.returncode != 0:
        raise RuntimeError('the sequential claims failed:\n' + result.stdout[-2000:])
    timings = json.loads(result.stdout.strip().splitlines()[-1])['seconds']
    tenth = max(1, count // 10)
    return {'transport': transport, 'claims': count, 'seconds': time.perf_counter() - started,
            'per_claim': statistics.median(timings), 'first_tenth': statistics.median(timings[:tenth]),
            'last_tenth': statistics.median(timings[-tenth:])}


# --- control plane ----------------------------------------------------------------------------------

def control_plane(workdir, count, repeat):
    rows = {}
    for round_number in range(repeat):
        modes = ('overlay', 'bridge_nat') if round_number % 2 == 0 else ('bridge_nat', 'overlay')
        for mode in modes:
            inventory = write_inventory(workdir, mode, count)
            cold, _cold_changed = ansible_playbook(inventory, 'site.yml')
            again, again_changed = ansible_playbook(inventory, 'site.yml')
            ansible_playbook(inventory, 'teardown.yml')
            rows.setdefault(mode, []).append((cold, again, again_changed))
            print('round %d, %s, %d endpoints per node: cold %.2f s, again %.2f s (changed=%d)' % (
                round_number + 1, mode, count, cold, again, again_changed), flush=True)
    return rows


# --- data plane -------------------------------------------------------------------------------------

def vtep_mac(number):
    return '0a:00:00:00:00:%02x' % number


def hand_subnet(number):
    return ipaddress.ip_network('%s/24' % OVERLAY_NETWORK[number * 256])


def hand_overlay(number):
    """flannel's data path on one node by hand: the vxlan device and its peers, a bridge, one
    container on it, the masquerade and the forward accepts, with iptables as a script would."""
    subnet = hand_subnet(number)
    lines = ['set -e', 'sysctl -qw net.ipv4.ip_forward=1',
             'ip link add flannel.1 type vxlan id 1 local %s dev eth0 dstport 8472 nolearning' % LAB.underlay(number),
             'ip link set flannel.1 address %s mtu %d' % (vtep_mac(number), OVERLAY_MTU),
             'ip addr add %s/32 dev flannel.1' % subnet.network_address,
             'ip link set flannel.1 up']
    for other in LAB.nodes.values():
        if other != number:
            peer = hand_subnet(other)
            lines += ['ip neigh replace %s lladdr %s dev flannel.1 nud permanent' % (peer.network_address, vtep_mac(other)),
                      'bridge fdb replace %s dev flannel.1 dst %s self permanent' % (vtep_mac(other), LAB.underlay(other)),
                      'ip route replace %s via %s dev flannel.1 onlink' % (peer, peer.network_address)]
    lines += ['ip link add fabric0 mtu %d type bridge' % OVERLAY_MTU,
              'ip addr add %s/24 dev fabric0' % subnet[1],
              'ip link set fabric0 up',
              'ip netns add hand0',
              'ip link add hv0 mtu %d type veth peer name eth0 netns hand0' % OVERLAY_MTU,
              'ip link set hv0 master fabric0 up',
              'ip -n hand0 link set lo up',
              'ip -n hand0 addr add %s/24 dev eth0' % subnet[2],
              'ip -n hand0 link set eth0 up',
              'ip -n hand0 route add default via %s' % subnet[1],
              'iptables -t nat -A POSTROUTING -s %s ! -d %s -j MASQUERADE' % (subnet, OVERLAY_NETWORK),
              'iptables -A FORWARD -s %s -j ACCEPT' % OVERLAY_NETWORK,
              'iptables -A FORWARD -d %s -j ACCEPT' % OVERLAY_NETWORK]
    return '\n'.join(lines) + '\n'


def hand_overlay_cleanup(number):
    subnet = hand_subnet(number)
    return '\n'.join([
        'ip netns del hand0', 'ip link del flannel.1', 'ip link del fabric0',
        'iptables -t nat -D POSTROUTING -s %s ! -d %s -j MASQUERADE' % (subnet, OVERLAY_NETWORK),
        'iptables -D FORWARD -s %s -j ACCEPT' % OVERLAY_NETWORK, 'iptables -D FORWARD -d %s -j ACCEPT' % OVERLAY_NETWORK,
        'sysctl -qw net.ipv4.ip_forward=0']) + '\n'


def endpoint_address(number, netns):
    result = LAB.ssh(number, 'ip -n %s -4 -o addr show dev eth0' % netns)
    return result.stdout.split()[3].split('/')[0]


def data_plane(workdir, repeat):
    paths = ('overlay', 'by hand', 'bridge_nat')
    results = dict((path, []) for path in paths)
    df = {}
    for round_number in range(repeat):
        order = paths[round_number % 3:] + paths[:round_number % 3]
        for path in order:
            if path == 'by hand':
                LAB.parallel_scripts(dict((number, hand_overlay(number)) for number in LAB.nodes.values()))
                results[path].append(LAB.iperf(11, 'hand0', 12, 'hand0', str(hand_subnet(12)[2])))
                for number in LAB.nodes.values():
                    LAB.ssh(number, 'bash -s', hand_overlay_cleanup(number))
            else:
                inventory = write_inventory(workdir, path, 1)
                ansible_playbook(inventory, 'site.yml')
                target = endpoint_address(12, 'c0')
                results[path].append(LAB.iperf(11, 'c0', 12, 'c0', target))
                if path == 'overlay':
                    df = {'at_mtu': LAB.df_ping(11, 'c0', target, OVERLAY_MTU), 'one_more': LAB.df_ping(11, 'c0', target, OVERLAY_MTU + 1)}
                ansible_playbook(inventory, 'teardown.yml')
            print('round %d, %s: %.2f Gbit/s' % (round_number + 1, path, results[path][-1]), flush=True)
    return results, df


def lab(state, workdir):
    inventory = write_inventory(workdir, 'overlay', 0)
    ansible_playbook(inventory, 'lab.yml', ['-e', 'lab_state=%s' % state])


def main():
    if os.geteuid() != 0:
        sys.exit('run as root: the benchmark builds a lab of namespaces')
    repeat = int(os.environ.get('BENCH_REPEAT', '3'))
    count = int(os.environ.get('BENCH_ENDPOINTS', '100'))
    with tempfile.TemporaryDirectory() as workdir:
        lab('present', workdir)
        try:
            # The etcd cluster (and the fabric's certificate) for the lease benchmarks; the control
            # plane runs below find it running, as a re-run of site.yml would.
            ansible_playbook(write_inventory(workdir, 'overlay', 0), 'site.yml')
            concurrent = concurrent_claims(workdir)
            print('concurrent claims: %s' % concurrent, flush=True)
            sequential = [sequential_claims(workdir, 'gateway', 1000), sequential_claims(workdir, 'etcdctl', 100)]
            print('sequential claims: %s' % sequential, flush=True)
            ansible_playbook(write_inventory(workdir, 'overlay', 0), 'teardown.yml')
            control = control_plane(workdir, count, repeat)
            data, df = data_plane(workdir, repeat)
        finally:
            lab('absent', workdir)
    print()
    print('Leases against the lab\'s 3-member etcd (TLS), from the controller:')
    print('| claims | how | s in all | s per claim (median) | subnets handed out twice | races lost |')
    print('|---|---|---|---|---|---|')
    print('| %d | at once, one process each (gateway) | %.2f | %.3f (%.3f-%.3f) | %d | %d |' % (
        concurrent['claimers'], concurrent['seconds'], concurrent['claim_seconds'][0], concurrent['claim_seconds'][1],
        concurrent['claim_seconds'][2], concurrent['duplicates'], concurrent['lost_races']))
    for row in sequential:
        print('| %d | one after another, one process (%s) | %.2f | %.4f (first tenth %.4f, last tenth %.4f) | - | - |' % (
            row['claims'], row['transport'], row['seconds'], row['per_claim'], row['first_tenth'], row['last_tenth']))
    print('(each claimer\'s subnet is a key holding its PublicIP: %s; keys written: %d)' % (
        concurrent['consistent'], concurrent['keys']))
    print()
    print('Control plane, 3 nodes, %d endpoints per node, whole ansible-playbook runs (etcd play included), '
          'medians of %d rounds (min-max):' % (count, repeat))
    print('| fabric | site.yml cold s | site.yml again s | again changed |')
    print('|---|---|---|---|')
    for mode in ('bridge_nat', 'overlay'):
        colds = median_and_spread([item[0] for item in control[mode]])
        agains = median_and_spread([item[1] for item in control[mode]])
        print('| %s | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %d |' % ((mode,) + colds + agains + (max(item[2] for item in control[mode]),)))
    print()
    print('Data plane, iperf3 1 stream 10 s, container on node1 -> container on node2, medians of %d rounds (min-max):' % repeat)
    print('| path | Gbit/s | / by hand |')
    print('|---|---|---|')
    hand = statistics.median(data['by hand'])
    for path in ('by hand', 'overlay', 'bridge_nat'):
        middle, low, high = median_and_spread(data[path])
        print('| %s | %.2f (%.2f-%.2f) | %.0f%% |' % (path, middle, low, high, 100 * middle / hand))
    print('DF ping through the overlay: %d bytes %s, %d bytes %s' % (
        OVERLAY_MTU, 'passes' if df.get('at_mtu') else 'FAILS', OVERLAY_MTU + 1, 'passes' if df.get('one_more') else 'fails'))


if __name__ == '__main__':
    main()

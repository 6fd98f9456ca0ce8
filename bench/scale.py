# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: how the cost grows with the inventory. Prints one table per part.

controller  The fabric plan on the controller (fabric_plan_problems with_plan, what the plan role
            computes once per run) for 1000 nodes x 100 endpoints and 5000 nodes x 10
            (bridge_nat), each in a fresh Python process: seconds, peak memory, and the size of
            one node's plan (what its fabric_node call is given).
leases      The overlay's lease code (bench/lease_claims.py `together`) for 1000 nodes in one run,
            against a throwaway one-member etcd: cold and again (no writes), with the planning's
            share.
node        One node's share of a large fabric, in a throwaway namespace, each module run by
            ansible-playbook (the task alone, as timed by Ansible): `routes` with 999 peer
            routes (a 1000-node fabric's share), `vxlan` with 999 peers (neighbour, FDB and route
            entries each), `endpoints` with 1000 published ports (10 endpoints x 100): cold, no
            change (which must plan no action) and one change (one route, one peer, one port).

lab         The whole fabric on labs of 3, 8, 16 and 32 nodes (SCALE_LAB_SIZES), 10 endpoints each,
            etcd on three, for bridge_nat, routed and overlay (SCALE_LAB_MODES): the lab's build
            time and memory per machine (its processes' PSS, and the kernel's unreclaimable slab
            the lab added), then site.yml cold, site.yml again (changed must be 0),
            verify.yml and teardown.yml: seconds, seconds per node, and the CPU seconds of the
            controller against the rest of the machine (the nodes). Its lab ("scale", LAN
            10.84.0.0/24, outside 198.51.100.0/24 or SCALE_LAB_OUTSIDE) cannot run beside a
            molecule scenario or another benchmark's lab with the same outside range. The lab
            role raises the host's neighbour table thresholds for a lab this large (one table for
            all namespaces: the role's lab_raise_neighbour_thresholds) and puts them back when
            the lab goes.

    make bench-scale                       # controller, leases and node
    make bench-scale SCALE_PARTS=lab       # the labs (about half an hour on 2 cores)
    python3 bench/scale.py controller      # one part
    SCALE_LAB_SIZES="3 32" SCALE_LAB_MODES=bridge_nat python3 bench/scale.py lab

Needs root for `leases`, `node` and `lab` (namespaces it makes and removes, also on failure); run `make install` first.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time

import module_timing

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.environ.get('ANSIBLE_COLLECTIONS_PATH', os.path.join(ROOT, 'build', 'collections')).split(':')[0]
NODE = 'lfscale-node'

# --- controller: the plan ----------------------------------------------------------------------

# Run in a child process so that its peak memory is the plan's alone.
PLAN_CHILD = r'''
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from ansible_collections.linuxnet.fabric.plugins.filter.fabric import fabric_plan, fabric_plan_problems
nodes, endpoints = int(sys.argv[2]), int(sys.argv[3])
# Underlay 10.0.0.0/16 (host numbers 1..nodes); the plan gives each node the n-th /24 of the
# cluster, n its host number, and the endpoints the next free addresses in it.
hostvars = {}
for number in range(1, nodes + 1):
    address = '10.0.%d.%d' % (number // 256, number % 256)
    hostvars['node%d' % number] = {
        'fabric_mode': 'bridge_nat', 'fabric_cluster_cidr': '10.128.0.0/9', 'fabric_node_subnet_prefix': 24,
        'fabric_endpoints': [{'name': 'c%d' % index} for index in range(endpoints)],
        'ansible_facts': {'linuxnet_fabric': {'underlay': {'address': address, 'interface': 'eth0', 'prefix': 16},
                                              'endpoints': []}}}
names = sorted(hostvars)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
# What the plan role runs: the check, which computes the plan (one computation per run).
checked = fabric_plan_problems(names, hostvars, with_plan=True)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
plan = checked['plan']
assert not checked['problems'], checked['problems']
assert len(plan) == nodes and all(len(plan[name]['endpoints']) == endpoints for name in names)
# What one node's module call gets (fabric_node's plan option).
print(json.dumps({'seconds': seconds, 'peak_mib': peak, 'inventory_mib': before / 1024.0,
                  'node_plan_kib': len(json.dumps(plan[names[0]])) / 1024.0}))
'''


def controller():
    rows = []
    for nodes, endpoints in ((1000, 100), (5000, 10)):
        result = subprocess.run([sys.executable, '-c', PLAN_CHILD, COLLECTIONS, str(nodes), str(endpoints)],
                                check=True, stdout=subprocess.PIPE, universal_newlines=True)
        rows.append((nodes, endpoints, json.loads(result.stdout)))
    print()
    print('Controller: the fabric plan as the plan role computes it (fabric_plan_problems with_plan: check and plan):')
    print('| nodes x endpoints | check and plan s | peak memory MiB (the inventory alone) | one node\'s plan as JSON KiB |')
    print('|---|---|---|---|')
    for nodes, endpoints, measured in rows:
        print('| %d x %d | %.2f | %.0f (%.0f) | %.0f |' % (
            nodes, endpoints, measured['seconds'], measured['peak_mib'], measured['inventory_mib'], measured['node_plan_kib']))


# --- leases: one overlay lease run for 1000 nodes ------------------------------------------------

ETCD_NODE = 'lfscale-etcd'
ETCD_URL = 'http://127.0.0.1:23793'
# 1000 of the 1023 /24s of a /14: the last claims step over most of the range.
LEASE_NETWORK, LEASE_NODES = '10.4.0.0/14', 1000


def start_etcd(workdir):
    """A one-member etcd on the loopback of a namespace of its own (plain HTTP: the bench is about
    the lease code, bench/overlay.py measures a TLS cluster); returns its process."""
    module_timing.make_node(ETCD_NODE, (['link', 'set', 'lo', 'up'],))
    peer = 'http://127.0.0.1:23803'
    with open(os.path.join(workdir, 'etcd.log'), 'w') as log:
        return subprocess.Popen(['ip', 'netns', 'exec', ETCD_NODE, 'etcd', '--name', 'bench', '--data-dir', os.path.join(workdir, 'etcd'),
                                 '--listen-client-urls', ETCD_URL, '--advertise-client-urls', ETCD_URL,
                                 '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
                                 '--initial-cluster', 'bench=' + peer], stdout=log, stderr=subprocess.STDOUT)


def wait_for_etcd(etcd, workdir):
    """Until etcdctl reaches it; RuntimeError with what etcdctl said and etcd's log when it never does."""
    said = 'etcd exited at once'
    for _attempt in range(100):
        if etcd.poll() is not None:
            said = 'etcd exited with %d' % etcd.returncode
            break
        health = subprocess.run(['ip', 'netns', 'exec', ETCD_NODE, 'etcdctl', '--endpoints', ETCD_URL, '--dial-timeout=1s',
                                 '--command-timeout=1s', 'endpoint', 'health'], check=False, capture_output=True, text=True)
        if health.returncode == 0:
            return
        said = 'etcdctl: %s' % health.stderr.strip()[-500:]
        time.sleep(0.1)
    with open(os.path.join(workdir, 'etcd.log')) as log:
        raise RuntimeError('etcd did not answer (%s); its log: %s' % (said, log.read()[-2000:]))


def stop_etcd(etcd):
    etcd.terminate()
    try:
        etcd.wait(timeout=10)
    except subprocess.TimeoutExpired:
        etcd.kill()
        etcd.wait()


def leases():
    with tempfile.TemporaryDirectory(prefix='lfscale-') as workdir:
        settings = os.path.join(workdir, 'settings.json')
        with open(settings, 'w') as handle:
            json.dump({'endpoints': [ETCD_URL], 'ca_file': None, 'cert_file': None, 'key_file': None, 'transport': 'gateway',
                       'prefix': '/bench/scale', 'network': LEASE_NETWORK, 'subnet_len': 24, 'collections': COLLECTIONS}, handle)
        subprocess.run(['ip', 'netns', 'del', ETCD_NODE], check=False, stderr=subprocess.DEVNULL)
        etcd = None
        try:
            etcd = start_etcd(workdir)
            wait_for_etcd(etcd, workdir)
            result = subprocess.run(['ip', 'netns', 'exec', ETCD_NODE, sys.executable, os.path.join(ROOT, 'bench', 'lease_claims.py'),
                                     'together', settings, str(LEASE_NODES)], check=True, stdout=subprocess.PIPE, universal_newlines=True)
            measured = json.loads(result.stdout)
        finally:
            if etcd is not None:
                stop_etcd(etcd)
            subprocess.run(['ip', 'netns', 'del', ETCD_NODE], check=False)
    print()
    # SubnetMin is the network's second /24 (flannel's default): one subnet fewer than the /24s.
    subnets = 2 ** (24 - ipaddress.ip_network(LEASE_NETWORK).prefixlen) - 1
    print('Overlay leases: one run of the lease code for %d nodes (what subnet_leases does for a whole inventory), %s in /24s '
          '(%d of %d taken), a one-member etcd over plain HTTP on a namespace\'s loopback, an etcd lease per subnet:'
          % (LEASE_NODES, LEASE_NETWORK, LEASE_NODES, subnets))
    print('| run | seconds | of which planning s | writes | races lost |')
    print('|---|---|---|---|---|')
    for name, label in (('cold', 'cold (empty prefix)'), ('again', 'again (nothing to change)')):
        row = measured[name]
        print('| %s | %.2f | %.3f | %d | %d |' % (label, row['seconds'], row['planning'], row['writes'], row['lost_races']))


# --- node: one node's share ----------------------------------------------------------------------

def make_node():
    """A node namespace with an underlay (a bridge with an address: no dummy driver here)."""
    module_timing.make_node(NODE, (['link', 'add', 'under0', 'type', 'bridge'], ['addr', 'add', '10.250.0.1/16', 'dev', 'under0'],
                                   ['link', 'set', 'under0', 'up'], ['link', 'set', 'lo', 'up']))


def clean():
    module_timing.clean(NODE, 'lfsc')


def peer_address(index):
    return '10.250.%d.%d' % (1 + index // 250, index % 250 + 2)


def routes_args(count, changed=None):
    routes = [{'destination': '172.%d.%d.0/24' % (16 + index // 256, index % 256), 'gateway': peer_address(index)}
              for index in range(count)]
    if changed is not None:
        routes[changed]['gateway'] = peer_address(count + 1)
    return {'netns': NODE, 'protocol': 76, 'purge': True, 'routes': routes}


def vxlan_args(count, changed=None):
    peers = [{'public_ip': peer_address(index), 'vtep_mac': '0a:00:00:00:%02x:%02x' % (index // 256, index % 256),
              'subnet': '10.%d.%d.0/24' % (1 + index // 256, index % 256)} for index in range(count)]
    if changed is not None:
        peers[changed]['vtep_mac'] = '0a:ff:00:00:00:01'
    return {'netns': NODE, 'vni': 1, 'local': '10.250.0.1', 'underlay': 'under0', 'subnet': '10.0.0.0/24',
            'peers': peers, 'purge_peers': True}


def endpoints_args(count, changed=None):
    """count published ports: 10 endpoints with count/10 each."""
    per_endpoint = count // 10
    endpoints = []
    for index in range(10):
        publish = ['%d:80/tcp' % (10000 + index * per_endpoint + port) for port in range(per_endpoint)]
        endpoints.append({'name': 'lfsc%d' % index, 'address': '10.250.200.%d/16' % (index + 2), 'publish': publish})
    if changed is not None:
        endpoints[changed // per_endpoint]['publish'][changed % per_endpoint] = '%d:80/tcp' % (10000 + count + 1)
    return {'netns': NODE, 'bridge': 'under0', 'owner': 'scale', 'purge': True, 'endpoints': endpoints}


def module_run(workdir, module, args):
    """(seconds of the task alone, changed, number of actions) of one module call."""
    seconds, _process_seconds, host = module_timing.module_task(workdir, module, args)
    return seconds, host['changed'], len(host.get('actions', []))


def node():
    if os.geteuid() != 0:
        sys.exit('run as root: the node part creates network namespaces')
    cases = (('routes', 'linuxnet.fabric.routes', routes_args, 999, '999 peer routes'),
             ('vxlan', 'linuxnet.fabric.vxlan', vxlan_args, 999, '999 peers (neighbour, FDB, route each)'),
             ('endpoints', 'linuxnet.fabric.endpoints', endpoints_args, 1000, '1000 published ports (10 endpoints)'))
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        try:
            for _name, module, make_args, count, what in cases:
                clean()
                make_node()
                cold = module_run(workdir, module, make_args(count))
                again = module_run(workdir, module, make_args(count))
                one = module_run(workdir, module, make_args(count, changed=count // 2))
                if not cold[1] or again[1] or again[2] or not one[1]:
                    raise RuntimeError('%s: cold %s, no change %s, one change %s (changed, actions)' % (module, cold, again, one))
                rows.append((module, what, cold, again, one))
                print('%s: cold %.2f s, no change %.2f s, one change %.2f s (%d actions)' % (
                    module, cold[0], again[0], one[0], one[2]), flush=True)
        finally:
            clean()
    print()
    print("One node's share of a large fabric (the module's task alone, as timed by Ansible; start-up of the module included):")
    print('| module | objects | cold s | no change s (actions) | one change s (actions) |')
    print('|---|---|---|---|---|')
    for module, what, cold, again, one in rows:
        print('| %s | %s | %.2f | %.2f (%d) | %.2f (%d) |' % (module.split('.')[-1], what, cold[0], again[0], again[2], one[0], one[2]))


# --- lab: the whole fabric on 3 to 32 lab nodes -------------------------------------------------

LAB_SIZES = [int(size) for size in os.environ.get('SCALE_LAB_SIZES', '3 8 16 32').split()]
LAB_MODES = os.environ.get('SCALE_LAB_MODES', 'bridge_nat routed overlay').split()
LAB_ENDPOINTS = 10
# The outside segment's range: another documentation range lets the bench lab run beside a
# molecule lab (198.51.100.0/24) on the same machine.
LAB_OUTSIDE = ipaddress.ip_network(os.environ.get('SCALE_LAB_OUTSIDE', '198.51.100.0/24'))


def lab_inventory(bench_lab, workdir, mode, size):
    """size nodes with 10 endpoints each, etcd on the first three, a gateway (routed) or spare, an outside host."""
    nodes = dict(('snode%02d' % index, {'ansible_host': bench_lab.underlay(10 + index),
                                        'fabric_endpoints': [{'name': 'c%d' % number} for number in range(LAB_ENDPOINTS)]})
                 for index in range(1, size + 1))
    gateway = {'sgw': {'ansible_host': bench_lab.underlay(9)}}
    groups = {
        'fabric_nodes': nodes,
        'etcd': dict((name, {}) for name in sorted(nodes)[:3]),
        'fabric_gateway': gateway if mode == 'routed' else {},
        'fabric_spare': {} if mode == 'routed' else gateway,
        'fabric_outside': {'soutside': {'ansible_host': str(LAB_OUTSIDE[10]), 'lab_segment': 'outside'}},
    }
    variables = {'fabric_mode': mode, 'fabric_cluster_cidr': '10.5.0.0/16' if mode == 'overlay' else '172.19.0.0/16',
                 'etcd_pki_dir': os.path.join(workdir, 'pki-%d' % size), 'etcd_log_file': '/var/log/etcd/etcd.log'}
    return bench_lab.inventory(os.path.join(workdir, 'inventory-%s-%d.json' % (mode, size)), variables, groups)


def unreclaimable_slab_kib():
    """The kernel's memory that no cache pressure gives back (SUnreclaim): namespaces, links,
    sockets. The host's page cache moves by more than a lab machine's size between two readings,
    so MemAvailable cannot measure a machine."""
    with open('/proc/meminfo') as handle:
        return dict((line.split(':')[0], int(line.split()[1])) for line in handle)['SUnreclaim']


def lab_processes_pss_kib(directory):
    """The proportional set size of the lab's machines' processes (each machine's init and what
    it started), from the lab's record of its machines' init PIDs and start times (a PID alone
    could have been reused by another process)."""
    with open(os.path.join(directory, 'lab.json')) as handle:
        recorded = dict((entry['pid'], entry.get('start_time')) for entry in json.load(handle)['machines'].values() if entry.get('pid'))
    parents, roots = {}, set()
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                with open('/proc/%s/stat' % name) as handle:
                    # After the command (in parentheses): state, parent PID, ..., start time (20th).
                    fields = handle.read().rsplit(')', 1)[1].split()
                pid = int(name)
                parents[pid] = int(fields[1])
                if pid in recorded and int(fields[19]) == recorded[pid]:
                    roots.add(pid)
            except (OSError, IndexError, ValueError):
                continue
    total = 0
    for pid in parents:
        ancestor, seen = pid, set()
        # seen: /proc is read process by process, so a PID reused meanwhile could close a loop.
        while ancestor not in roots and ancestor in parents and ancestor > 1 and ancestor not in seen:
            seen.add(ancestor)
            ancestor = parents[ancestor]
        if ancestor not in roots:
            continue
        try:
            with open('/proc/%d/smaps_rollup' % pid) as handle:
                total += sum(int(line.split()[1]) for line in handle if line.startswith('Pss:'))
        except OSError:
            continue
    return total


def busy_seconds():
    """CPU seconds the whole machine spent busy so far (all cores), from /proc/stat."""
    with open('/proc/stat') as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf('SC_CLK_TCK')


def timed_playbook(ansible_playbook, inventory, playbook, extra=()):
    """(seconds, changed, controller CPU s, rest of the machine's CPU s: the nodes) of one run."""
    import resource
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = busy_seconds()
    seconds, changed = ansible_playbook(inventory, playbook, extra)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    controller_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return seconds, changed, controller_cpu, max(busy_seconds() - busy - controller_cpu, 0.0)


def lab_part():
    if os.geteuid() != 0:
        sys.exit('run as root: the lab part builds labs of namespaces')
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from benchlab import BenchLab, ansible_playbook  # pylint: disable=import-outside-toplevel
    lab_runs(BenchLab, ansible_playbook)


def lab_runs(BenchLab, ansible_playbook):  # pylint: disable=invalid-name
    rows, builds = [], []
    with tempfile.TemporaryDirectory() as workdir:
        for size in LAB_SIZES:
            names = dict(('snode%02d' % index, 10 + index) for index in range(1, size + 1))
            bench_lab = BenchLab('scale', '10.84.0.0/24', str(LAB_OUTSIDE), names)
            inventory = lab_inventory(bench_lab, workdir, LAB_MODES[0], size)
            slab = unreclaimable_slab_kib()
            up = timed_playbook(ansible_playbook, inventory, 'lab.yml', ['-e', 'lab_state=present'])
            try:
                # The gateway/spare and the outside host are machines too.
                machines = size + 2
                builds.append((size, up[0], lab_processes_pss_kib(bench_lab.directory) / 1024.0 / machines,
                               (unreclaimable_slab_kib() - slab) / 1024.0 / machines))
                for mode in LAB_MODES:
                    inventory = lab_inventory(bench_lab, workdir, mode, size)
                    cold = timed_playbook(ansible_playbook, inventory, 'site.yml')
                    again = timed_playbook(ansible_playbook, inventory, 'site.yml')
                    verify = timed_playbook(ansible_playbook, inventory, 'verify.yml')
                    teardown = timed_playbook(ansible_playbook, inventory, 'teardown.yml')
                    rows.append((size, mode, cold, again, verify, teardown))
                    print('%d nodes, %s: cold %.1f s, no change %.1f s (changed=%d), verify %.1f s, teardown %.1f s' % (
                        size, mode, cold[0], again[0], again[1], verify[0], teardown[0]), flush=True)
            finally:
                ansible_playbook(inventory, 'lab.yml', ['-e', 'lab_state=absent'])
    print()
    print('Labs of 3 to %d nodes (%d endpoints each, etcd on 3 of them; the lab also has a gateway or spare and an outside host):'
          % (max(LAB_SIZES), LAB_ENDPOINTS))
    print('| nodes | lab up s | per machine: its processes (PSS) MiB | per machine: kernel (unreclaimable slab) MiB |')
    print('|---|---|---|---|')
    for size, seconds, processes_mib, kernel_mib in builds:
        print('| %d | %.1f | %.1f | %.1f |' % (size, seconds, processes_mib, kernel_mib))
    print()
    print('Playbooks, whole processes: seconds (seconds per node); CPU seconds of the controller / of the rest of the machine (the nodes).')
    print('| nodes | mode | site.yml cold | no change (changed) | verify.yml | teardown.yml | cold CPU controller / nodes |')
    print('|---|---|---|---|---|---|---|')
    for size, mode, cold, again, verify, teardown in rows:
        print('| %d | %s | %.1f (%.2f) | %.1f (%.2f) (%d) | %.1f (%.2f) | %.1f (%.2f) | %.0f / %.0f |' % (
            size, mode, cold[0], cold[0] / size, again[0], again[0] / size, again[1], verify[0], verify[0] / size,
            teardown[0], teardown[0] / size, cold[2], cold[3]))


PARTS = {'controller': controller, 'leases': leases, 'node': node, 'lab': lab_part}


def main(parts):
    for part in parts or list(PARTS):
        if part not in PARTS:
            sys.exit('unknown part %r; parts: %s' % (part, ', '.join(PARTS)))
        PARTS[part]()


if __name__ == '__main__':
    main(sys.argv[1:])

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lease claims against a real etcd with the collection's own lease code (what subnet_leases runs).

    python3 bench/lease_claims.py one <settings.json> <public ip>        # one claim, prints JSON
    python3 bench/lease_claims.py sequential <settings.json> <count>     # <count> claims, one process
    python3 bench/lease_claims.py together <settings.json> <count>       # one run for <count> nodes, twice

settings.json: {endpoints, ca_file, cert_file, key_file, transport, prefix, network, subnet_len,
collections}: `collections` is where ansible_collections/linuxnet/fabric is (make install puts it
in build/collections). Used by bench/overlay.py: one process per claimer for the concurrent
case, one process for the sequential one; by bench/scale.py for `together`, what subnet_leases
does for a whole overlay inventory (one LeaseRun for every node): cold, then again with nothing
to change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def client_and_settings(settings):
    sys.path.insert(0, settings['collections'])
    from ansible_collections.linuxnet.fabric.plugins.module_utils.services import _etcd_client, _leases
    from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _overlay

    def run(argv, data, environment):
        result = subprocess.run(argv, input=data, capture_output=True, text=True, env=dict(os.environ, **environment), check=False)
        return result.returncode, result.stdout, result.stderr

    client = _etcd_client.make_client(settings['transport'], settings['endpoints'], settings['ca_file'], settings['cert_file'],
                                      settings['key_file'], run=run)
    overlay = _overlay.overlay_settings({'network': settings['network'], 'subnet_len': settings['subnet_len'],
                                         'prefix': settings['prefix']})
    return client, overlay, _leases


def claim(client, overlay, leases, public_ip):
    """(subnet, lost races, seconds) of one node's claim."""
    started = time.perf_counter()
    nodes = leases.desired_nodes([{'name': 'claimer-' + public_ip, 'public_ip': public_ip}], overlay)
    run = leases.LeaseRun(client, overlay, nodes, 'bench', now=int(time.time()))
    planned = run.run(check_mode=False)
    return planned['leases']['claimer-' + public_ip]['subnet'], run.lost_races, time.perf_counter() - started


def timed(function, seconds):
    """`function`, appending the seconds of each call to the list `seconds`."""
    def call(*args):
        started = time.perf_counter()
        try:
            return function(*args)
        finally:
            seconds.append(time.perf_counter() - started)
    return call


def together(client, overlay, leases, count):
    """One run for `count` nodes on an empty prefix, then the same run again: seconds, writes and
    (of the run's own time) the planning, for each; the subnets handed out must all differ."""
    nodes = leases.desired_nodes([{'name': 'node%d' % index, 'public_ip': '10.250.%d.%d' % (index // 250, index % 250 + 1)}
                                  for index in range(count)], overlay)
    result = {}
    for name in ('cold', 'again'):
        run = leases.LeaseRun(client, overlay, nodes, 'bench', now=int(time.time()))
        planning = []
        run.plan_of = timed(run.plan_of, planning)
        started = time.perf_counter()
        planned = run.run(check_mode=False)
        seconds = time.perf_counter() - started
        subnets = [lease['subnet'] for lease in planned['leases'].values()]
        if len(subnets) != count or len(set(subnets)) != count:
            raise SystemExit('%s: %d leases, %d different subnets for %d nodes' % (name, len(subnets), len(set(subnets)), count))
        result[name] = {'seconds': seconds, 'writes': len(run.done), 'planning': sum(planning), 'lost_races': run.lost_races}
    if result['again']['writes']:
        raise SystemExit('the second run wrote %d times' % result['again']['writes'])
    return result


def main(mode, settings_path, argument):
    with open(settings_path) as handle:
        settings = json.load(handle)
    client, overlay, leases = client_and_settings(settings)
    try:
        if mode == 'one':
            subnet, lost, seconds = claim(client, overlay, leases, argument)
            print(json.dumps({'public_ip': argument, 'subnet': subnet, 'lost_races': lost, 'seconds': seconds}))
            return
        if mode == 'together':
            print(json.dumps(together(client, overlay, leases, int(argument))))
            return
        timings, lost_total = [], 0
        for index in range(int(argument)):
            public_ip = '10.250.%d.%d' % (index // 250, index % 250 + 1)
            _subnet, lost, seconds = claim(client, overlay, leases, public_ip)
            timings.append(seconds)
            lost_total += lost
        print(json.dumps({'seconds': timings, 'lost_races': lost_total}))
    finally:
        client.close()


if __name__ == '__main__':
    main(*sys.argv[1:4])

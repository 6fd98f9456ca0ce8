# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of playbooks/verify.yml: what to probe, what to expect, and the report.

Documentation: fabric_probe_targets.yml, fabric_listeners.yml and fabric_verify_report.yml.
"""

from __future__ import annotations


def _address(cidr):
    return cidr.split('/')[0]


def _ports(publish):
    """(host port, container port) of a Docker-style '[addr:]host[-end]:container[-end][/proto]'."""
    parts = publish.split('/')[0].split(':')
    return int(parts[-2].split('-')[0]), int(parts[-1].split('-')[0])


def fabric_listeners(plan, host, port, outside_address=None):
    """Listeners for the probe module on `host`: every endpoint on `port` and on the container
    port of each published port; on an outside host, its own address."""
    if outside_address:
        return [{'netns': None, 'address': outside_address, 'port': port}]
    listeners = []
    for endpoint in plan[host]['endpoints']:
        ports = [port] + [_ports(publish)[1] for publish in endpoint['publish']]
        for listen_port in sorted(set(ports)):
            listeners.append({'netns': endpoint['name'], 'address': '0.0.0.0', 'port': listen_port})
    return listeners


def fabric_probe_targets(plan, host, port, outside):
    """{'connect': targets for the probe module, 'expect': {label: expected source}} for `host`.

    - every local endpoint -> every other endpoint of the fabric: answered, and the listener sees
      the endpoint's own address (no NAT inside the cluster);
    - every local endpoint -> each outside host: answered, seen as the node's underlay address
      (bridge_nat) or the gateway's (routed);
    - the node itself -> every published port of every node: answered.
    `outside` maps outside host names to their addresses.
    """
    node = plan[host]
    everyone = [(name, endpoint) for name in sorted(plan) for endpoint in plan[name]['endpoints']]
    if node['mode'] == 'routed':
        nat_source = node['gateway_underlay_address']
    else:
        nat_source = node['underlay_address']
    targets = []
    for endpoint in node['endpoints']:
        source = _address(endpoint['address'])
        for name, other in everyone:
            if (name, other['name']) == (host, endpoint['name']):
                continue
            targets.append({
                'netns': endpoint['name'], 'address': _address(other['address']), 'port': port,
                'label': '%s/%s|%s/%s' % (host, endpoint['name'], name, other['name']),
                'expect': source,
            })
        for outside_name, outside_address in sorted(outside.items()):
            targets.append({
                'netns': endpoint['name'], 'address': outside_address, 'port': port,
                'label': '%s/%s|%s' % (host, endpoint['name'], outside_name),
                'expect': nat_source,
            })
    for name in sorted(plan):
        for other in plan[name]['endpoints']:
            for publish in other['publish']:
                targets.append({
                    'netns': None, 'address': plan[name]['underlay_address'], 'port': _ports(publish)[0],
                    'label': '%s|%s:%s (%s/%s)' % (host, name, _ports(publish)[0], name, other['name']),
                    'expect': None,
                })
    return {
        'connect': [dict((key, value) for key, value in target.items() if key != 'expect') for target in targets],
        'expect': dict((target['label'], target['expect']) for target in targets),
    }


def _verdict(result, expect):
    if not result['ok']:
        return 'MISS'
    if expect is not None and result['seen_source'] != expect:
        return 'as %s!' % result['seen_source']
    return 'ok'


def fabric_verify_report(results, expectations):
    """{'table': text, 'failures': [...], 'probes': n} from the probe module's results.

    `results` is the concatenation of every host's probe results; `expectations` maps each label
    to its expected source (None: only an answer is expected). The table has a row per source
    and a column per destination; a cell says `ok`, `MISS` (no answer) or `as X!` (answered, but
    the listener saw the source address X instead of the expected one).
    """
    rows, columns, cells, failures = [], [], {}, []
    for result in sorted(results, key=lambda item: item['label']):
        source, destination = result['label'].split('|', 1)
        expect = expectations.get(result['label'])
        verdict = _verdict(result, expect)
        if source not in rows:
            rows.append(source)
        if destination not in columns:
            columns.append(destination)
        cells[(source, destination)] = verdict
        if verdict != 'ok':
            failures.append('%s -> %s: %s (expected %s; %s)' % (
                source, destination, verdict, 'an answer' if expect is None else 'source ' + expect,
                result.get('error') or 'seen as %s' % result.get('seen_source')))
    width = max([len(row) for row in rows] + [len('from \\ to')])
    widths = [max([len(column)] + [len(cells.get((row, column), '-')) for row in rows]) for column in columns]
    lines = ['%-*s | %s' % (width, 'from \\ to', ' | '.join('%-*s' % (size, column) for size, column in zip(widths, columns)))]
    lines.append('-' * len(lines[0]))
    for row in rows:
        lines.append('%-*s | %s' % (width, row, ' | '.join(
            '%-*s' % (size, cells.get((row, column), '-')) for size, column in zip(widths, columns))))
    return {'table': '\n'.join(lines), 'failures': failures, 'probes': len(results)}


class FilterModule(object):
    """Filters of playbooks/verify.yml."""

    def filters(self):
        return {
            'fabric_listeners': fabric_listeners,
            'fabric_probe_targets': fabric_probe_targets,
            'fabric_verify_report': fabric_verify_report,
        }

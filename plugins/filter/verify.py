# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of playbooks/verify.yml: what to probe, what to expect, and the report.

Documentation: fabric_probe_targets.yml, fabric_listeners.yml, fabric_verify_report.yml and
fabric_docker_check.yml.

Docker containers (the `docker` facts of linuxnet.fabric.fabric_facts, by host) take part like
the fabric's own endpoints when they have a namespace and an address of their own: a listener in
it, probes from it, and their published ports asked over HTTP (the container's own server
answers them, so the source it saw stays unknown).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._published_ports import parse_publish


def _address(cidr):
    return cidr.split('/')[0]


def _ports(publish):
    """(first host port, first container port) of a published-port spec of the plan (the plan
    filter has validated it with the same parser)."""
    published = parse_publish('publish', publish)
    return published['host_ports'][0], published['container_ports'][0]


def docker_endpoints(docker, host, cluster=None):
    """The containers of `host` that probes reach like endpoints: running, in a namespace and with
    an address of their own in the fabric's network (`cluster`; Docker's bridge on its default
    172.17.0.0/16 is outside the fabric, as with the routed fabric or bridge_nat_docker off).
    (name, netns, address, published) each."""
    facts = (docker or {}).get(host) or {}
    if not facts.get('running'):
        return []
    network = ipaddress.ip_network(cluster) if cluster else None
    return [{'name': 'docker:' + item['name'], 'netns': item['netns'], 'address': item['address'], 'published': item['published']}
            for item in facts.get('containers', []) if item['running'] and item['netns'] and item['address']
            and (network is None or ipaddress.ip_interface(item['address']).ip in network)]


def fabric_listeners(plan, host, port, outside_address=None, docker=None):
    """Listeners for the probe module on `host`: every endpoint on `port` and on the container
    port of each published port, every Docker container with an address of its own on `port`;
    on an outside host, its own address."""
    if outside_address:
        return [{'netns': None, 'address': outside_address, 'port': port}]
    listeners = []
    for endpoint in plan[host]['endpoints']:
        if endpoint.get('netns_of'):
            continue  # the namespace's own endpoint listens there
        # A Docker container made an endpoint runs its own servers behind its published ports.
        ports = [port] + ([] if endpoint.get('docker_container') else [_ports(publish)[1] for publish in endpoint['publish']])
        for listen_port in sorted(set(ports)):
            listeners.append({'netns': endpoint['name'], 'address': '0.0.0.0', 'port': listen_port})
    for container in docker_endpoints(docker, host, plan[host].get('cluster_cidr')):
        # Its published ports are its own server's: they are asked over HTTP, not listened on.
        listeners.append({'netns': container['netns'], 'address': '0.0.0.0', 'port': port})
    return listeners


def fabric_probe_targets(plan, host, port, outside, docker=None, full_matrix=False):
    """{'connect': targets for the probe module, 'expect': {label: expected source}} for `host`.

    What a run probes (docs/fabrics.md, "Verify"): every pair of nodes in both directions, every
    endpoint at least once out and once in, every endpoint to each outside host, every published
    port from every node - linear in the endpoints, where all pairs would be quadratic:
    - endpoint -> endpoint (answered, and the listener sees the endpoint's own address: no NAT
      inside the cluster): on the node, each endpoint to the next one (a ring, so each sends and
      receives once); across nodes, to each other node at least once, the node's endpoints taking
      turns as the source and the other node's as the target (shifted by the node's place, so that
      nodes reach different ones). Run on every node, that covers every pair of nodes with endpoints both ways.
      `full_matrix` probes every endpoint pair instead.
    - every local endpoint -> each outside host: answered, seen as the node's underlay address
      (bridge_nat) or the gateway's (routed);
    - the node itself -> every published port of every node: answered.
    `outside` maps outside host names to their addresses. Docker containers with an address of
    their own (`docker`: the fabric_facts docker facts by host) count as endpoints; their published
    ports are asked over HTTP from the node itself, on every node's address.
    """
    node = plan[host]
    nodes = sorted(plan)
    by_node = dict((name, [endpoint for endpoint in plan[name]['endpoints'] if not endpoint.get('netns_of')]
                    + [dict(container, netns=None) for container in docker_endpoints(docker, name, plan[name].get('cluster_cidr'))])
                   for name in nodes)
    addresses = dict((endpoint['name'], endpoint['address']) for endpoint in node['endpoints'] if not endpoint.get('netns_of'))
    # An endpoint in another's namespace (netns_of) probes from there: seen with that one's address.
    sources = [(endpoint['name'], endpoint['name'], addresses[endpoint.get('netns_of') or endpoint['name']])
               for endpoint in node['endpoints']]
    sources += [(container['name'], container['netns'], container['address']) for container in docker_endpoints(docker, host, plan[host].get('cluster_cidr'))]
    if node['mode'] == 'routed':
        nat_source = node['gateway_underlay_address']
    else:
        nat_source = node['underlay_address']
    targets = []

    def probe(source, name, other):
        label, netns, address = source
        targets.append({
            'netns': netns, 'address': _address(other['address']), 'port': port,
            'label': '%s/%s|%s/%s' % (host, label, name, other['name']),
            'expect': _address(address),
        })

    if full_matrix:
        for source in sources:
            for name in nodes:
                for other in by_node[name]:
                    if not (name == host and _address(other['address']) == _address(source[2])):
                        probe(source, name, other)  # not itself, nor the endpoint whose namespace it shares
    elif sources:
        local = by_node[host]
        local_addresses = [_address(other['address']) for other in local]
        for source in sources:
            # The next endpoint on the node after the source's own (a ring), skipping any that
            # shares the source's namespace.
            start = local_addresses.index(_address(source[2])) if _address(source[2]) in local_addresses else -1
            for step in range(1, len(local) + 1):
                other = local[(start + step) % len(local)]
                if _address(other['address']) != _address(source[2]):
                    probe(source, host, other)
                    break
        others = [name for name in nodes if name != host and by_node[name]]
        shift = nodes.index(host)
        for turn in range(max(len(others), len(sources)) if others else 0):
            name = others[turn % len(others)]
            probe(sources[turn % len(sources)], name, by_node[name][(turn + shift) % len(by_node[name])])
    for label, netns, address in sources:
        for outside_name, outside_address in sorted(outside.items()):
            targets.append({
                'netns': netns, 'address': outside_address, 'port': port,
                'label': '%s/%s|%s' % (host, label, outside_name),
                'expect': nat_source,
            })
    for name in sorted(plan):
        for other in plan[name]['endpoints']:
            for publish in other['publish']:
                target = {
                    'netns': None, 'address': plan[name]['underlay_address'], 'port': _ports(publish)[0],
                    'label': '%s|%s:%s (%s/%s)' % (host, name, _ports(publish)[0], name, other['name']),
                    'expect': None,
                }
                if other.get('docker_container'):
                    target['http'] = True
                targets.append(target)
        for container in docker_endpoints(docker, name, plan[name].get('cluster_cidr')):
            for published in container['published']:
                if published['protocol'] != 'tcp':
                    continue
                targets.append({
                    'netns': None, 'address': plan[name]['underlay_address'], 'port': published['host_port'], 'http': True,
                    'label': '%s|%s:%s (%s/%s)' % (host, name, published['host_port'], name, container['name']),
                    'expect': None,
                })
    return {
        'connect': [dict((key, value) for key, value in target.items() if key != 'expect') for target in targets],
        'expect': dict((target['label'], target['expect']) for target in targets),
    }


def _mode_verdict(container, wanted_mode):
    """(what was seen, problem or None) for one container and the mode the inventory says."""
    mode = container['network_mode']
    if wanted_mode.startswith('container:'):
        wanted_mode, wanted_other = 'container', wanted_mode.split(':', 1)[1]
    else:
        wanted_other = None
    if mode != wanted_mode:
        return 'network %s' % mode, 'runs with --network %s, the inventory says %s' % (mode, wanted_mode)
    if mode == 'none':
        seen = 'only %s' % ', '.join(container['interfaces'])
        return seen, None if container['interfaces'] == ['lo'] else 'has %s besides lo' % ', '.join(container['interfaces'])
    if mode == 'host':
        return ('the node itself', None) if container['shares'] == 'node' else (
            'a namespace of its own', 'is not in the node\'s namespace')
    if mode == 'container':
        seen = "the namespace of '%s'" % container['shares']
        return seen, None if container['shares'] == wanted_other else "shares '%s', not '%s'" % (container['shares'], wanted_other)
    return ('%s on %s' % (container['address'], mode), None) if container['address'] else ('no address', 'has no address on %s' % mode)


def fabric_docker_check(docker, expected, plan=None):
    """{'table', 'failures', 'checked'}: every container the inventory expects on each host
    (`expected`: host -> fabric_docker_containers) runs there, in the network mode it names, and
    that mode shows: none has only lo, host is the node's namespace, container:<name> is the other
    container's. `docker` maps hosts to the fabric_facts docker facts. A container an endpoint of
    the `plan` names (docker_container) runs with --network none and has the fabric's interface."""
    lines, failures = [], []
    for host in sorted(expected):
        facts = (docker or {}).get(host) or {}
        attached = dict((endpoint['docker_container'], endpoint) for endpoint in ((plan or {}).get(host) or {}).get('endpoints', [])
                        if endpoint.get('docker_container'))
        found = dict((item['name'], item) for item in facts.get('containers', []))
        for wanted in expected[host] or []:
            label = '%s/docker:%s' % (host, wanted['name'])
            wanted_mode = wanted.get('network') or 'bridge'
            container = found.get(wanted['name'])
            if not facts.get('running'):
                seen, problem = 'no dockerd', 'dockerd does not answer on %s' % host
            elif container is None:
                seen, problem = 'missing', 'no container %s on %s' % (wanted['name'], host)
            elif not container['running']:
                seen, problem = 'stopped', 'container %s on %s does not run' % (wanted['name'], host)
            elif wanted['name'] in attached and container['network_mode'] == 'none' and wanted_mode == 'none':
                endpoint = attached[wanted['name']]
                seen = 'fabric endpoint %s (%s)' % (endpoint['name'], endpoint['address'])
                problem = None if len(container['interfaces']) > 1 else 'has only lo: the fabric did not attach it yet'
            else:
                seen, problem = _mode_verdict(container, wanted_mode)
            lines.append((label, '--network %s' % wanted_mode, seen, 'ok' if problem is None else 'FAIL'))
            if problem is not None:
                failures.append('%s: %s' % (label, problem))
    widths = [max([len(header)] + [len(line[column]) for line in lines]) for column, header in enumerate(('container', 'mode', 'seen', ''))]
    table = ['  '.join('%-*s' % (width, cell) for width, cell in zip(widths, line)).rstrip()
             for line in [('container', 'mode', 'seen', '')] + lines]
    return {'table': '\n'.join(table), 'failures': failures, 'checked': len(lines)}


def _verdict(result, expect):
    if not result['ok']:
        return 'MISS'
    if expect is not None and result['seen_source'] != expect:
        return 'as %s!' % result['seen_source']
    return 'ok'


def _node_of(place):
    """The node (or outside host) of one side of a probe label: 'node1/web1' -> 'node1';
    'node2:8080 (node2/web2)', a published port, -> 'node2 published'."""
    if ' (' in place:
        return place.split(':', 1)[0] + ' published'
    return place.split('/', 1)[0]


def _summary(cells):
    """The matrix per node pair: 'ok n' when all n probes between them held, else 'k of n bad'."""
    counts = {}
    for (source, destination), verdict in cells.items():
        key = (_node_of(source), _node_of(destination))
        total, bad = counts.get(key, (0, 0))
        counts[key] = (total + 1, bad + (verdict != 'ok'))
    rows = sorted(set(source for source, _destination in counts))
    columns = sorted(set(destination for _source, destination in counts))
    return _table(rows, columns, dict((key, 'ok %d' % total if not bad else '%d of %d bad' % (bad, total))
                                      for key, (total, bad) in counts.items()))


def _table(rows, columns, cells):
    width = max([len(row) for row in rows] + [len('from \\ to')])
    widths = [max([len(column)] + [len(cells.get((row, column), '-')) for row in rows]) for column in columns]
    lines = ['%-*s | %s' % (width, 'from \\ to', ' | '.join('%-*s' % (size, column) for size, column in zip(widths, columns)))]
    lines.append('-' * len(lines[0]))
    for row in rows:
        lines.append('%-*s | %s' % (width, row, ' | '.join(
            '%-*s' % (size, cells.get((row, column), '-')) for size, column in zip(widths, columns))))
    return '\n'.join(lines)


def fabric_verify_report(results, expectations, max_columns=30):
    """{'table': text, 'summary': text, 'failures': [...], 'probes': n} from the probe module's results.

    `results` is the concatenation of every host's probe results; `expectations` maps each label
    to its expected source (None: only an answer is expected). The matrix has a row per source
    and a column per destination; a cell says `ok`, `MISS` (no answer) or `as X!` (answered, but
    the listener saw the source address X instead of the expected one). `summary` is the same per
    node pair ('ok n', or 'k of n bad'); `table` is the matrix when it has at most `max_columns`
    destinations, else the summary (the failures list every bad probe either way).
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
    # A path that was planned but has no result (its node left out, or its probe list lost on the
    # way) would otherwise vanish from the matrix and the run pass without it.
    probed = set(result['label'] for result in results)
    for label in sorted(set(expectations) - probed):
        source, destination = label.split('|', 1)
        rows += [] if source in rows else [source]
        columns += [] if destination in columns else [destination]
        cells[(source, destination)] = 'NOT PROBED'
        failures.append('%s -> %s: NOT PROBED (expected %s)' % (
            source, destination, 'an answer' if expectations[label] is None else 'source ' + expectations[label]))
    summary = _summary(cells) if cells else ''
    table = _table(rows, columns, cells) if len(columns) <= max_columns else (
        'per node pair (%d destinations are too many for one column each):\n%s' % (len(columns), summary))
    # Answered, but not at the first attempt (a loaded machine; see the probe module's attempts).
    retried = len([result for result in results if result['ok'] and (result.get('attempts') or 1) > 1])
    if retried:
        table += '\n(%d of %d probes answered only when tried again)' % (retried, len(results))
    return {'table': table, 'summary': summary, 'failures': failures, 'probes': len(results), 'retried': retried}


class FilterModule(object):
    """Filters of playbooks/verify.yml."""

    def filters(self):
        return {
            'fabric_listeners': fabric_listeners,
            'fabric_probe_targets': fabric_probe_targets,
            'fabric_verify_report': fabric_verify_report,
            'fabric_docker_check': fabric_docker_check,
        }

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.filter.verify import (
    fabric_docker_check,
    fabric_listeners,
    fabric_probe_targets,
    fabric_verify_report,
)

PLAN = {
    'node1': {'mode': 'bridge_nat', 'underlay_address': '10.88.0.11', 'gateway_underlay_address': None,
              'endpoints': [{'name': 'web1', 'address': '172.19.11.2/24', 'publish': ['8080:80/tcp']}]},
    'node2': {'mode': 'bridge_nat', 'underlay_address': '10.88.0.12', 'gateway_underlay_address': None,
              'endpoints': [{'name': 'web2', 'address': '172.19.12.2/24', 'publish': []}]},
}


def test_listeners_cover_the_probe_port_and_published_container_ports():
    assert fabric_listeners(PLAN, 'node1', 7777) == [
        {'netns': 'web1', 'address': '0.0.0.0', 'port': 80}, {'netns': 'web1', 'address': '0.0.0.0', 'port': 7777}]
    assert fabric_listeners(PLAN, 'outside', 7777, '203.0.113.10') == [{'netns': None, 'address': '203.0.113.10', 'port': 7777}]


def test_targets_and_expected_sources():
    targets = fabric_probe_targets(PLAN, 'node1', 7777, {'outside': '203.0.113.10'})
    assert [(target['netns'], target['address'], target['port']) for target in targets['connect']] == [
        ('web1', '172.19.12.2', 7777), ('web1', '203.0.113.10', 7777), (None, '10.88.0.11', 8080)]
    assert targets['expect'] == {
        'node1/web1|node2/web2': '172.19.11.2',  # no NAT inside the cluster
        'node1/web1|outside': '10.88.0.11',      # masqueraded by the node
        'node1|node1:8080 (node1/web1)': None,   # a published port only has to answer
    }


def test_routed_traffic_to_the_outside_is_expected_from_the_gateway():
    plan = dict((name, dict(item, mode='routed', gateway_underlay_address='10.88.0.20')) for name, item in PLAN.items())
    assert fabric_probe_targets(plan, 'node2', 7777, {'outside': '203.0.113.10'})['expect']['node2/web2|outside'] == '10.88.0.20'


def test_report_marks_misses_and_unexpected_sources():
    results = [
        {'label': 'node1/web1|node2/web2', 'ok': True, 'seen_source': '172.19.11.2', 'error': None},
        {'label': 'node1/web1|outside', 'ok': True, 'seen_source': '172.19.11.2', 'error': None},
        {'label': 'node1|node1:8080 (node1/web1)', 'ok': False, 'seen_source': None, 'error': 'timed out'},
    ]
    expectations = {'node1/web1|node2/web2': '172.19.11.2', 'node1/web1|outside': '10.88.0.11', 'node1|node1:8080 (node1/web1)': None}
    report = fabric_verify_report(results, expectations)
    assert report['probes'] == 3
    assert report['failures'] == [
        'node1/web1 -> outside: as 172.19.11.2! (expected source 10.88.0.11; seen as 172.19.11.2)',
        'node1 -> node1:8080 (node1/web1): MISS (expected an answer; timed out)',
    ]
    lines = report['table'].split('\n')
    assert lines[0].split(' | ')[0].strip() == 'from \\ to'
    assert 'MISS' in report['table'] and 'as 172.19.11.2!' in report['table']
    assert len(set(len(line) for line in lines)) == 1


def test_report_of_a_healthy_fabric_has_no_failures():
    results = [{'label': 'a|b', 'ok': True, 'seen_source': '1.1.1.1', 'error': None}]
    assert fabric_verify_report(results, {'a|b': '1.1.1.1'})['failures'] == []


def test_a_planned_path_without_a_result_is_a_failure_not_a_gap_in_the_matrix():
    results = [{'label': 'a|b', 'ok': True, 'seen_source': '1.1.1.1', 'error': None}]
    report = fabric_verify_report(results, {'a|b': '1.1.1.1', 'a|c': None, 'd|b': '1.1.1.4'})
    assert report['failures'] == ['a -> c: NOT PROBED (expected an answer)', 'd -> b: NOT PROBED (expected source 1.1.1.4)']
    assert report['probes'] == 1
    assert 'NOT PROBED' in report['table'].split('\n')[2]


def test_nothing_probed_is_reported_as_zero_probes():
    report = fabric_verify_report([], {})
    assert report == {'table': report['table'], 'summary': '', 'failures': [], 'probes': 0, 'retried': 0}


def docker_container(name, mode='bridge', address=None, pid=100, shares=None, interfaces=('eth0', 'lo'), published=(), running=True):
    return {'name': name, 'network_mode': mode, 'address': address, 'running': running, 'pid': pid if running else None,
            'netns': '/proc/%d/ns/net' % pid if running and mode not in ('host', 'container') else None,
            'shares': shares, 'interfaces': list(interfaces), 'published': list(published)}


WEB_PUBLISHED = [{'host_ip': '0.0.0.0', 'host_port': 18080, 'container_port': 80, 'protocol': 'tcp'},
                 {'host_ip': '0.0.0.0', 'host_port': 5353, 'container_port': 53, 'protocol': 'udp'}]
DOCKER = {
    'node1': {'running': True, 'containers': [
        docker_container('web', address='172.19.11.130/25', pid=101, published=WEB_PUBLISHED),
        docker_container('none1', 'none', pid=102, interfaces=['lo']),
        docker_container('hostnet', 'host', pid=103, shares='node', interfaces=['eth0', 'fabric0', 'lo']),
        docker_container('side', 'container', pid=104, shares='web'),
        docker_container('old', address=None, running=False),
    ]},
    'node2': {'running': False},
}


def test_docker_containers_with_an_address_of_their_own_get_a_listener_and_no_other_does():
    listeners = fabric_listeners(PLAN, 'node1', 7777, docker=DOCKER)
    assert listeners[-1] == {'netns': '/proc/101/ns/net', 'address': '0.0.0.0', 'port': 7777}
    assert len(listeners) == 3
    assert fabric_listeners(PLAN, 'node2', 7777, docker=DOCKER) == [{'netns': 'web2', 'address': '0.0.0.0', 'port': 7777}]


def test_docker_containers_are_probed_like_endpoints_and_their_published_ports_over_http():
    targets = fabric_probe_targets(PLAN, 'node2', 7777, {'outside': '203.0.113.10'}, docker=DOCKER)
    expect = targets['expect']
    assert expect['node2/web2|node1/docker:web'] == '172.19.12.2'
    assert [target for target in targets['connect'] if target['label'] == 'node2|node1:18080 (node1/docker:web)'] == [
        {'netns': None, 'address': '10.88.0.11', 'port': 18080, 'http': True, 'label': 'node2|node1:18080 (node1/docker:web)'}]
    # The UDP port and the containers without an address of their own are not probed.
    assert not [label for label in expect if '5353' in label or 'none1' in label or 'hostnet' in label or 'docker:side' in label]
    from_container = fabric_probe_targets(PLAN, 'node1', 7777, {'outside': '203.0.113.10'}, docker=DOCKER)
    assert from_container['expect']['node1/docker:web|node2/web2'] == '172.19.11.130'
    assert from_container['expect']['node1/docker:web|outside'] == '10.88.0.11'
    assert from_container['expect']['node1/docker:web|node1/web1'] == '172.19.11.130'
    assert [target['netns'] for target in from_container['connect'] if target['label'].startswith('node1/docker:web|')] == [
        '/proc/101/ns/net'] * 3


def test_without_docker_facts_the_targets_are_the_fabrics_alone():
    assert fabric_probe_targets(PLAN, 'node1', 7777, {}, docker={}) == fabric_probe_targets(PLAN, 'node1', 7777, {})


EXPECTED = {'node1': [{'name': 'web'}, {'name': 'none1', 'network': 'none'}, {'name': 'hostnet', 'network': 'host'},
                      {'name': 'side', 'network': 'container:web'}]}


def test_the_three_modes_show_as_docker_promises():
    check = fabric_docker_check(DOCKER, EXPECTED)
    assert check['failures'] == [] and check['checked'] == 4
    rows = check['table'].split('\n')
    assert rows[0].split() == ['container', 'mode', 'seen']
    assert [row.split()[0] for row in rows[1:]] == ['node1/docker:web', 'node1/docker:none1', 'node1/docker:hostnet', 'node1/docker:side']
    assert 'only lo' in rows[2] and 'the node itself' in rows[3] and "the namespace of 'web'" in rows[4]


@pytest.mark.parametrize('expected, failure', [
    ({'node1': [{'name': 'db'}]}, 'node1/docker:db: no container db on node1'),
    ({'node1': [{'name': 'old'}]}, 'node1/docker:old: container old on node1 does not run'),
    ({'node2': [{'name': 'web'}]}, 'node2/docker:web: dockerd does not answer on node2'),
    ({'node1': [{'name': 'web', 'network': 'host'}]}, 'node1/docker:web: runs with --network bridge, the inventory says host'),
    ({'node1': [{'name': 'side', 'network': 'container:none1'}]}, "node1/docker:side: shares 'web', not 'none1'"),
])
def test_a_missing_or_misplaced_container_fails(expected, failure):
    check = fabric_docker_check(DOCKER, expected)
    assert check['failures'] == [failure]
    assert 'FAIL' in check['table']


def test_a_none_container_with_an_interface_or_a_host_one_in_its_own_namespace_fails():
    docker = {'node1': {'running': True, 'containers': [
        docker_container('none1', 'none', interfaces=['eth0', 'lo']), docker_container('hostnet', 'host', shares=None)]}}
    check = fabric_docker_check(docker, {'node1': [{'name': 'none1', 'network': 'none'}, {'name': 'hostnet', 'network': 'host'}]})
    assert check['failures'] == ['node1/docker:none1: has eth0, lo besides lo', "node1/docker:hostnet: is not in the node's namespace"]


def test_a_docker_container_made_a_fabric_endpoint_is_probed_as_one_and_its_own_server_over_http():
    plan = dict(PLAN, node2=dict(PLAN['node2'], mode='routed', endpoints=[
        {'name': 'dweb', 'address': '172.19.12.200/32', 'publish': ['28080:80'], 'docker_container': 'dweb'}]))
    # No listener on the container's port 80: its own server is there.
    assert fabric_listeners(plan, 'node2', 7777) == [{'netns': 'dweb', 'address': '0.0.0.0', 'port': 7777}]
    targets = fabric_probe_targets(plan, 'node1', 7777, {})['connect']
    assert [target for target in targets if target['port'] == 28080] == [
        {'netns': None, 'address': '10.88.0.12', 'port': 28080, 'http': True, 'label': 'node1|node2:28080 (node2/dweb)'}]
    docker = {'node2': {'running': True, 'containers': [docker_container('dweb', 'none', pid=300, interfaces=['eth0', 'lo'])]}}
    check = fabric_docker_check(docker, {'node2': [{'name': 'dweb', 'network': 'none'}]}, plan)
    assert check['failures'] == [] and 'fabric endpoint dweb (172.19.12.200/32)' in check['table']
    not_yet = {'node2': {'running': True, 'containers': [docker_container('dweb', 'none', pid=300, interfaces=['lo'])]}}
    assert fabric_docker_check(not_yet, {'node2': [{'name': 'dweb', 'network': 'none'}]}, plan)['failures'] == [
        'node2/docker:dweb: has only lo: the fabric did not attach it yet']


def test_an_endpoint_in_anothers_namespace_probes_from_there_with_its_address():
    plan = dict(PLAN, node1=dict(PLAN['node1'], endpoints=PLAN['node1']['endpoints'] + [
        {'name': 'side', 'address': None, 'publish': [], 'netns_of': 'web1'}]))
    # web1 listens in the namespace; its second name gets no listener of its own.
    assert fabric_listeners(plan, 'node1', 7777) == fabric_listeners(PLAN, 'node1', 7777)
    targets = fabric_probe_targets(plan, 'node1', 7777, {'outside': '203.0.113.10'})
    assert targets['expect']['node1/side|node2/web2'] == '172.19.11.2'
    assert targets['expect']['node1/side|outside'] == '10.88.0.11'
    # Nobody probes the second name as a destination, nor web1 from its own namespace.
    assert not [label for label in targets['expect'] if label.endswith('/side') or label == 'node1/side|node1/web1']
    assert [target['netns'] for target in targets['connect'] if target['label'].startswith('node1/side|')] == ['side', 'side']


def test_containers_outside_the_fabrics_network_are_not_probed_as_its_endpoints():
    # Docker's own default bridge (the routed fabric, or bridge_nat_docker off): 172.17.0.2 on
    # every node, not reachable across nodes, not part of the fabric.
    plan = dict((name, dict(item, cluster_cidr='172.19.0.0/16')) for name, item in PLAN.items())
    docker = {'node1': {'running': True, 'containers': [docker_container('web', address='172.17.0.2/16', pid=101),
                                                        docker_container('app', address='172.19.11.130/25', pid=102)]}}
    labels = fabric_probe_targets(plan, 'node1', 7777, {}, docker=docker)['expect']
    assert 'node1/docker:app|node2/web2' in labels
    assert not [label for label in labels if 'docker:web' in label]
    assert [listener['netns'] for listener in fabric_listeners(plan, 'node1', 7777, docker=docker)][-1] == '/proc/102/ns/net'


def wide_plan(nodes, endpoints, mode='bridge_nat'):
    return dict(('node%02d' % number, {
        'mode': mode, 'underlay_address': '10.88.0.%d' % number, 'gateway_underlay_address': None,
        'endpoints': [{'name': 'c%d' % index, 'address': '172.19.%d.%d/24' % (number, index + 2), 'publish': []}
                      for index in range(endpoints)]}) for number in range(1, nodes + 1))


def endpoint_probes(plan, full_matrix=False):
    """(source, destination) endpoint labels of every node's endpoint-to-endpoint probes."""
    pairs = []
    for host in plan:
        for target in fabric_probe_targets(plan, host, 7777, {}, full_matrix=full_matrix)['connect']:
            pairs.append(tuple(target['label'].split('|')))
    return pairs


@pytest.mark.parametrize('nodes, endpoints', [(1, 1), (1, 3), (2, 1), (3, 10), (8, 3), (32, 10)])
def test_the_probing_plan_covers_every_node_pair_and_every_endpoint_both_ways_linearly(nodes, endpoints):
    plan = wide_plan(nodes, endpoints)
    pairs = endpoint_probes(plan)
    every_endpoint = set('%s/%s' % (host, endpoint['name']) for host in plan for endpoint in plan[host]['endpoints'])
    assert every_endpoint
    if nodes * endpoints > 1:
        assert pairs
        assert set(source for source, _destination in pairs) == every_endpoint
        assert set(destination for _source, destination in pairs) == every_endpoint
    node_pairs = set((source.split('/')[0], destination.split('/')[0]) for source, destination in pairs)
    assert node_pairs >= set((left, right) for left in plan for right in plan if left != right)
    # Never an endpoint to itself; linear: at most one local and max(nodes - 1, endpoints) remote per endpoint's node.
    assert all(source != destination for source, destination in pairs)
    assert len(pairs) <= nodes * (endpoints + max(nodes - 1, endpoints))
    # No NAT inside the cluster: the listener must see the source's own address.
    for host in plan:
        for label, expected in fabric_probe_targets(plan, host, 7777, {})['expect'].items():
            source = label.split('|')[0].split('/')[1]
            assert expected == next(endpoint['address'].split('/')[0] for endpoint in plan[host]['endpoints'] if endpoint['name'] == source)


def test_the_full_matrix_probes_every_pair_of_endpoints():
    plan = wide_plan(3, 4)
    pairs = endpoint_probes(plan, full_matrix=True)
    assert len(pairs) == len(set(pairs)) == 12 * 11
    assert len(endpoint_probes(plan)) < len(pairs)


def results_of(plan, failing=()):
    results, expectations = [], {}
    for host in plan:
        targets = fabric_probe_targets(plan, host, 7777, {})
        expectations.update(targets['expect'])
        for target in targets['connect']:
            ok = target['label'] not in failing
            results.append(dict(target, ok=ok, seen_source=targets['expect'][target['label']] if ok else None,
                                error=None if ok else 'timed out', attempts=2 if target['label'].endswith('/c1') else 1))
    return results, expectations


def test_a_wide_matrix_is_reported_per_node_pair_and_every_failure_is_listed():
    plan = wide_plan(12, 3)
    results, expectations = results_of(plan)
    failing = [results[5]['label'], results[40]['label']]
    results, expectations = results_of(plan, failing)
    report = fabric_verify_report(results, expectations, max_columns=30)
    assert report['table'].startswith('per node pair')
    assert report['summary'] in report['table']
    assert len(report['failures']) == 2 and all(any(label.replace('|', ' -> ') in failure for failure in report['failures'])
                                                for label in failing)
    assert '1 of ' in report['summary'] and ' bad' in report['summary']
    assert report['retried'] > 0 and 'answered only when tried again' in report['table']
    narrow = fabric_verify_report(results, expectations, max_columns=1000)
    assert not narrow['table'].startswith('per node pair') and 'MISS' in narrow['table']

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.linuxnet.fabric.plugins.filter.verify import (
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

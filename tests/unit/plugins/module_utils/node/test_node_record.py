# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.linuxnet.fabric.plugins.filter.fabric import fabric_plan
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._fabric_node import _record_change
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._node_record import (
    RECORDED_OPTIONS, boot_params, parse_record, read_record, record_of, record_text, same_part, summary)
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_schema import PLAN_VERSION, check_plan

PARAMS = {
    'mode': 'bridge_nat', 'state': 'present', 'owner': 'bridge_nat', 'bridge': 'fabric0', 'bridge_mac': '02:00:00:00:00:01',
    'mtu': None, 'nat_backend': 'nftables', 'forward_backend': 'iptables', 'forward_accept': 'auto', 'route_protocol': 76,
    'table': 76, 'rule_priority': 31000, 'subnet_env': None, 'record': '/var/lib/linuxnet-fabric/node.json', 'lock_timeout': 120,
    'plan': {'subnet': '172.19.11.0/24', 'endpoints': [
        {'name': 'web', 'address': '172.19.11.2/24', 'publish': ['8080:80']},
        {'name': 'db', 'address': '172.19.11.3/24', 'publish': []},
        {'name': 'app', 'address': '172.19.11.4/24', 'publish': [], 'docker_container': 'app'},
        {'name': 'app-side', 'address': None, 'publish': [], 'netns_of': 'app'},
        {'name': 'web-side', 'address': None, 'publish': [], 'netns_of': 'web'},
    ]},
}


def test_record_of_keeps_what_builds_the_part_and_the_addresses():
    record = record_of(PARAMS)
    assert record['format'] == 1 and record['mode'] == 'bridge_nat' and record['owner'] == 'bridge_nat'
    assert record['addresses'] == {'web': '172.19.11.2/24', 'db': '172.19.11.3/24', 'app': '172.19.11.4/24'}
    assert sorted(record['params']) == sorted(RECORDED_OPTIONS)
    # How a run goes is not what it builds: another lock timeout or record path rewrites nothing.
    assert 'lock_timeout' not in record['params'] and 'record' not in record['params'] and 'state' not in record['params']
    assert record_text(record) == record_text(record_of(dict(PARAMS, lock_timeout=5, record='/tmp/x')))


def test_record_text_round_trips():
    text = record_text(record_of(PARAMS))
    assert text.endswith('\n')
    assert parse_record(text) == record_of(PARAMS)


@pytest.mark.parametrize('text, problem', [
    ('{', 'is not the JSON this collection writes'),
    ('[]', 'a record of format None'),
    (json.dumps({'format': 2, 'mode': 'routed'}), 'a record of format 2; this version of linuxnet.fabric reads format 1'),
    (json.dumps({'format': 1, 'mode': 'routed', 'owner': 'routed', 'addresses': {}}), 'lacks params'),
])
def test_unusable_records_name_the_file(text, problem):
    with pytest.raises(FabricError) as raised:
        parse_record(text, '/x/node.json')
    assert '/x/node.json' in str(raised.value) and problem in str(raised.value)


def test_no_file_no_record(tmp_path):
    assert read_record(str(tmp_path / 'node.json')) is None
    assert parse_record(None) is None
    assert summary(None) is None


def test_summary_and_same_part():
    record = record_of(PARAMS)
    assert summary(record) == {'mode': 'bridge_nat', 'owner': 'bridge_nat', 'addresses': record['addresses'], 'peers': [],
                               'gateway_underlay_address': None}
    told = record_of(dict(PARAMS, plan=dict(PARAMS['plan'], gateway_underlay_address='10.88.0.1',
                                            peers=[{'name': 'node2', 'subnet': '172.19.12.0/24', 'via': '10.88.0.12', 'direct': True}])))
    assert summary(told)['peers'] == [{'name': 'node2', 'subnet': '172.19.12.0/24', 'via': '10.88.0.12'}]
    assert summary(told)['gateway_underlay_address'] == '10.88.0.1'
    assert same_part(record, PARAMS)
    assert not same_part(record, dict(PARAMS, mode='routed', owner='routed'))
    assert not same_part(record, dict(PARAMS, owner='other'))
    assert not same_part(None, PARAMS)
    # Options that name objects make another part (the old one goes first); the others change in place.
    for option, value in (('nat_backend', 'iptables'), ('bridge', 'cbr1'), ('table', 77), ('rule_priority', 100), ('route_protocol', 80)):
        assert not same_part(record, dict(PARAMS, **{option: value})), option
    for option, value in (('mtu', 1400), ('bridge_mac', '02:00:00:00:00:02'), ('forward_accept', 'always'), ('lock_timeout', 5)):
        assert same_part(record, dict(PARAMS, **{option: value})), option


def test_the_controllers_lease_settings_are_not_recorded():
    params = dict(PARAMS, plan=dict(PARAMS['plan'], leases={'ca_file': '/home/me/inventory/.etcd-pki/fabric/ca.crt'}))
    assert 'leases' not in record_of(params)['params']['plan']
    assert record_text(record_of(params)) == record_text(record_of(PARAMS))


def test_boot_params_leave_docker_containers_to_the_next_run():
    params = boot_params(record_of(PARAMS))
    assert params['state'] == 'present' and params['mode'] == 'bridge_nat'
    assert [endpoint['name'] for endpoint in params['plan']['endpoints']] == ['web', 'db', 'web-side']
    # Left out, and left alone by the purge: on a running node they are in place.
    assert params['plan']['restore_keeps'] == ['app', 'app-side']
    # The record itself is left as it was.
    assert len(record_of(PARAMS)['params']['plan']['endpoints']) == 5


# --- the recorded plan's version ------------------------------------------------------------------

def _legacy_text(params=None):
    """A record as the collection wrote it before plans had a version: no `version` in the plan."""
    record = record_of(params or PARAMS)
    del record['params']['plan']['version']
    return record_text(record)


def test_the_recorded_plan_carries_its_version():
    assert record_of(PARAMS)['params']['plan']['version'] == PLAN_VERSION
    # Stamped in the record, not in the caller's plan.
    assert 'version' not in PARAMS['plan']


def test_a_record_from_before_plan_versions_reads_as_version_1():
    text = _legacy_text()
    assert '"version"' not in text
    record = parse_record(text, '/x/node.json')
    assert record['params']['plan']['version'] == 1
    assert record == record_of(PARAMS)
    # What the boot-time restore builds from it passes fabric_node's check of the plan.
    plan = dict(_fabric_plan_node1(), endpoints=[])
    params = boot_params(parse_record(_legacy_text(dict(PARAMS, plan=plan)), '/x/node.json'))
    assert params['plan']['version'] == 1
    check_plan(params['plan'], params['mode'])


def test_the_same_part_recorded_without_a_plan_version_is_not_rewritten():
    text = _legacy_text()
    assert _record_change(dict(PARAMS, state='present'), text, parse_record(text)) is False
    # Another part is.
    other = dict(PARAMS, bridge_mac='02:00:00:00:00:02')
    assert _record_change(other, text, parse_record(text)) == record_text(record_of(other))
    # No record: written.
    assert _record_change(PARAMS, None, None) == record_text(record_of(PARAMS))


@pytest.mark.parametrize('version', [2, 0, 'one', True])
def test_a_record_of_a_plan_version_this_collection_does_not_read_names_the_file_and_the_way_out(version):
    record = record_of(PARAMS)
    record['params']['plan']['version'] = version
    with pytest.raises(FabricError) as raised:
        parse_record(record_text(record), '/x/node.json')
    message = str(raised.value)
    assert message.startswith('/x/node.json records a plan of version %s' % version)
    assert 'understands plan version 1: install the collection version that wrote it' in message
    assert 'move the record away' in message


def _fabric_plan_node1():
    hostvars = dict((name, {'fabric_mode': 'bridge_nat', 'fabric_cluster_cidr': '172.19.0.0/16', 'ansible_facts': {
        'linuxnet_fabric': {'underlay': {'address': address, 'interface': 'eth0', 'prefix': 24}, 'endpoints': []}}})
        for name, address in (('node1', '10.88.0.11'), ('node2', '10.88.0.12')))
    return fabric_plan(['node1', 'node2'], hostvars)['node1']

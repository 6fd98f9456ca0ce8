# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lease run against an etcd stand-in with etcd's revision and transaction semantics (a lost
race is made to happen exactly when a test wants it), and what the two transports send."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.services import _etcd_client, _leases
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _overlay, _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError

NOW = 1800000000
SETTINGS = _overlay.overlay_settings({'network': '10.5.0.0/22', 'lease_ttl': 1000})


class FakeEtcd(object):
    """Keys with revisions, leases that delete their keys when revoked, conditional transactions.

    `race_before_transaction` makes a concurrent writer write just before a given transaction.
    """

    def __init__(self):
        self.data = {}
        self.revision = 1
        self.leases = {}
        self.next_lease = 100
        self.requests = []
        self.transactions = 0
        self.concurrent_writes = {}

    def put(self, key, value, lease=0):
        self.revision += 1
        created = self.data.get(key, {}).get('create_revision', self.revision)
        version = self.data.get(key, {}).get('version', 0) + 1
        self.data[key] = {'key': key, 'value': value, 'mod_revision': self.revision, 'create_revision': created,
                          'version': version, 'lease': lease}

    def range(self, prefix):
        self.requests.append(('range', prefix))
        return [dict(item) for key, item in sorted(self.data.items()) if key.startswith(prefix)]

    def grant(self, ttl):
        self.requests.append(('grant', ttl))
        self.next_lease += 1
        self.leases[self.next_lease] = ttl
        return self.next_lease

    def revoke(self, lease_id):
        self.requests.append(('revoke', lease_id))
        self.leases.pop(lease_id, None)
        for key in [key for key, item in self.data.items() if item['lease'] == lease_id]:
            del self.data[key]

    def race_before_transaction(self, number, concurrent_write):
        """concurrent_write(store) runs once, right before this store's `number`-th transaction
        (1: the first), as a writer that got there in between this run's read and its write."""
        self.concurrent_writes[number] = concurrent_write

    def txn(self, compares, operations):
        self.transactions += 1
        concurrent_write = self.concurrent_writes.pop(self.transactions, None)
        if concurrent_write is not None:
            concurrent_write(self)
        self.requests.append(('txn', compares, operations))
        for target, key, number in compares:
            item = self.data.get(key)
            actual = (item or {}).get('version' if target == 'version' else 'mod_revision', 0)
            if actual != number:
                return False
        for operation in operations:
            if operation[0] == 'put':
                self.put(operation[1], operation[2], operation[3])
            else:
                self.data.pop(operation[1], None)
        return True

    def writes(self):
        return [request for request in self.requests if request[0] != 'range']


def nodes(*names):
    return _leases.desired_nodes([{'name': name, 'public_ip': '10.88.0.%d' % (10 + int(name[-1]))} for name in names], SETTINGS)


def run(etcd, node_list, check_mode=False, **options):
    lease_run = _leases.LeaseRun(etcd, SETTINGS, node_list, 'overlay', now=NOW, **options)
    return lease_run, lease_run.run(check_mode)


def test_a_first_run_writes_the_config_and_one_lease_per_node_each_with_an_etcd_lease():
    etcd = FakeEtcd()
    lease_run, planned = run(etcd, nodes('node1', 'node2'))
    assert lease_run.changed and lease_run.done[0] == 'create config /coreos.com/network/config'
    assert json.loads(etcd.data['/coreos.com/network/config']['value'])['Network'] == '10.5.0.0/22'
    keys = [lease['key'] for lease in planned['leases'].values()]
    assert sorted(keys) == sorted(key for key in etcd.data if '/subnets/' in key)
    assert all(etcd.data[key]['lease'] in etcd.leases for key in keys)
    assert set(etcd.leases.values()) == {1000}
    # A second run reads once and writes nothing.
    etcd.requests = []
    again, _planned = run(etcd, nodes('node1', 'node2'))
    assert not again.changed and etcd.requests == [('range', '/coreos.com/network/')]


def test_check_mode_reads_and_predicts_what_a_run_writes():
    etcd = FakeEtcd()
    predicted_run, predicted = run(etcd, nodes('node1', 'node2'), check_mode=True)
    assert predicted_run.changed and etcd.writes() == [] and etcd.data == {}
    real_run, planned = run(etcd, nodes('node1', 'node2'))
    assert planned['leases'] == predicted['leases']
    assert real_run.done == predicted_run.done
    assert predicted_run.after == real_run.after


def test_a_lost_race_moves_the_node_to_the_next_free_subnet():
    etcd = FakeEtcd()
    _predicted_run, predicted = run(etcd, nodes('node1'), check_mode=True)
    wanted = predicted['leases']['node1']['key']

    def someone_takes_it(store):
        store.put(wanted, '{"PublicIP":"10.88.0.99","PublicIPv6":null,"BackendType":"vxlan",'
                          '"BackendData":{"VNI":1,"VtepMAC":"5a:99:99:99:99:99"}}')
    lease_run = _leases.LeaseRun(etcd, SETTINGS, nodes('node1'), 'overlay', now=NOW)
    # The config transaction goes first; the race happens at the lease's.
    etcd.race_before_transaction(2, someone_takes_it)
    planned = lease_run.run(False)
    assert lease_run.lost_races == 1
    assert planned['leases']['node1']['key'] != wanted
    assert json.loads(etcd.data[wanted]['value'])['PublicIP'] == '10.88.0.99'
    # The etcd lease granted for the lost key was given back.
    assert len(etcd.leases) == 1 and etcd.data[planned['leases']['node1']['key']]['lease'] in etcd.leases
    # What the lost attempt wrote counts as done; the diff starts from the first read.
    assert lease_run.changed
    assert lease_run.done == ['create config /coreos.com/network/config', 'create lease %s (node1)' % planned['leases']['node1']['key']]
    assert lease_run.before == {'config': None, 'leases': {}}
    assert sorted(lease_run.after['leases']) == [planned['leases']['node1']['key']]


def test_a_run_whose_race_left_nothing_to_write_still_reports_what_it_wrote():
    etcd = FakeEtcd()
    # What a concurrent run for the same node writes: the very lease this run plans.
    concurrent = FakeEtcd()
    run(concurrent, nodes('node1'))
    lease_key = next(key for key in concurrent.data if '/subnets/' in key)
    lease_run = _leases.LeaseRun(etcd, SETTINGS, nodes('node1'), 'overlay', now=NOW)

    def the_other_runs_lease_arrives(store):
        store.put(lease_key, concurrent.data[lease_key]['value'], store.grant(1000))
    # Between this run's config and its lease.
    etcd.race_before_transaction(2, the_other_runs_lease_arrives)
    planned = lease_run.run(False)
    assert lease_run.lost_races == 1
    assert planned['leases']['node1']['key'] == lease_key
    # The second attempt had nothing to write: the run changed etcd all the same (the config).
    assert lease_run.changed and lease_run.done == ['create config /coreos.com/network/config']
    assert lease_run.after['config'] is not None and list(lease_run.after['leases']) == [lease_key]


def test_a_run_that_keeps_losing_gives_up_naming_the_prefix():
    etcd = FakeEtcd()

    def always_taken(compares, operations):
        etcd.revision += 1
        return False
    etcd.txn = always_taken
    with pytest.raises(FabricError, match='kept changing while this run wrote them'):
        run(etcd, nodes('node1'))


def test_a_different_config_fails_before_anything_is_written_naming_both_values():
    etcd = FakeEtcd()
    etcd.put('/coreos.com/network/config', '{"Network": "10.6.0.0/16", "Backend": {"Type": "vxlan"}}')
    with pytest.raises(FabricError) as raised:
        run(etcd, nodes('node1'))
    assert 'Network is 10.6.0.0/16 there, 10.5.0.0/22 here' in str(raised.value)
    assert 'Nothing was changed' in str(raised.value)
    assert etcd.writes() == []
    lease_run, _planned = run(etcd, nodes('node1'), replace_config=True)
    assert lease_run.done[0] == 'replace config /coreos.com/network/config'


def test_an_unreadable_config_fails_unless_replaced():
    etcd = FakeEtcd()
    etcd.put('/coreos.com/network/config', 'not json')
    with pytest.raises(FabricError, match='flanneld cannot read either'):
        run(etcd, nodes('node1'))
    assert etcd.writes() == []


def test_renewal_gives_the_key_a_new_etcd_lease_and_revokes_the_old_one_of_ours_only():
    etcd = FakeEtcd()
    run(etcd, nodes('node1'))
    key = [key for key in etcd.data if '/subnets/' in key][0]
    old_lease = etcd.data[key]['lease']
    later = _leases.LeaseRun(etcd, SETTINGS, nodes('node1'), 'overlay', now=NOW + 600)
    later.run(False)
    assert later.done == ['update lease %s (node1) with a new etcd lease' % key]
    assert old_lease not in etcd.leases and etcd.data[key]['lease'] in etcd.leases
    assert json.loads(etcd.data[key]['value'])['LinuxnetFabric']['Expires'] == NOW + 600 + 1000


def test_a_flanneld_lease_is_adopted_and_its_etcd_lease_left_to_expire():
    etcd = FakeEtcd()
    etcd.leases[7] = 86400
    etcd.put('/coreos.com/network/subnets/10.5.2.0-24',
             '{"PublicIP":"10.88.0.11","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"5a:11:22:33:44:55"}}',
             lease=7)
    lease_run, planned = run(etcd, nodes('node1'))
    assert planned['leases']['node1']['subnet'] == '10.5.2.0/24' and planned['leases']['node1']['vtep_mac'] == '5a:11:22:33:44:55'
    assert 7 in etcd.leases and etcd.data['/coreos.com/network/subnets/10.5.2.0-24']['lease'] != 7
    assert ('revoke', 7) not in etcd.requests


def test_state_absent_deletes_and_revokes_our_lease_and_keeps_the_config():
    etcd = FakeEtcd()
    run(etcd, nodes('node1', 'node2'))
    absent = _leases.LeaseRun(etcd, {'prefix': '/coreos.com/network', 'lease_ttl': 0}, nodes('node1'), 'overlay',
                              state='absent', now=NOW)
    absent.run(False)
    assert [item['value'] for key, item in etcd.data.items() if '/subnets/' in key and '10.88.0.11' in item['value']] == []
    assert len([key for key in etcd.data if '/subnets/' in key]) == 1
    assert '/coreos.com/network/config' in etcd.data and len(etcd.leases) == 1


@pytest.mark.parametrize('given, option, problem', [
    ([{'name': 'a', 'public_ip': '10.88.0.11'}, {'name': 'a', 'public_ip': '10.88.0.12'}], 'nodes[1].name', 'also the name of nodes[0]'),
    ([{'name': 'a', 'public_ip': '10.88.0.11'}, {'name': 'b', 'public_ip': '10.88.0.11'}], 'nodes[1].public_ip', 'also the public_ip'),
    ([{'name': 'a', 'public_ip': 'fd00::1'}], 'nodes[0].public_ip', 'not a unicast IPv4'),
    ([{'name': 'a', 'public_ip': 'x'}], 'nodes[0].public_ip', 'is not an IP address'),
    ([{'name': 'a', 'public_ip': '10.88.0.11', 'subnet': '10.5.1.0/25'}], 'nodes[0].subnet', 'is not a /24'),
    ([{'name': 'a', 'public_ip': '10.88.0.11', 'subnet': '10.5.1.0/24'}, {'name': 'b', 'public_ip': '10.88.0.12', 'subnet': '10.5.1.0/24'}],
     'nodes[1].subnet', 'overlaps 10.5.1.0/24 of nodes[0]'),
    ([{'public_ip': '10.88.0.11'}], 'nodes[0]', 'must be a dict with a name'),
])
def test_bad_nodes_name_the_node_and_the_field(given, option, problem):
    with pytest.raises(OptionError) as raised:
        _leases.desired_nodes(given, SETTINGS)
    assert raised.value.option == option and problem in raised.value.problem


# --- what the transports send ------------------------------------------------------------------------

def test_the_gateway_encodes_keys_values_and_compares_as_etcd_expects(monkeypatch):
    gateway = _etcd_client.Gateway(['http://127.0.0.1:2379'])
    sent = []
    monkeypatch.setattr(gateway, 'post', lambda path, body: sent.append((path, body)) or {'succeeded': True, 'ID': '42'})
    assert gateway.txn([('version', '/k', 0), ('mod', '/j', 7)], [('put', '/k', '{"a":1}', 42), ('delete', '/j')]) is True
    path, body = sent[0]
    assert path == '/v3/kv/txn'
    assert body['compare'] == [{'key': 'L2s=', 'target': 'VERSION', 'result': 'EQUAL', 'version': '0'},
                               {'key': 'L2o=', 'target': 'MOD', 'result': 'EQUAL', 'mod_revision': '7'}]
    assert body['success'] == [{'request_put': {'key': 'L2s=', 'value': base64.b64encode(b'{"a":1}').decode(), 'lease': '42'}},
                               {'request_delete_range': {'key': 'L2o='}}]
    assert gateway.grant(100) == 42 and sent[-1] == ('/v3/lease/grant', {'TTL': 100, 'ID': 0})
    gateway.range('/coreos.com/network/')
    assert sent[-1][1]['range_end'] == base64.b64encode(b'/coreos.com/network0').decode()


def test_the_gateway_reads_what_etcd_leaves_out_as_zero(monkeypatch):
    gateway = _etcd_client.Gateway(['http://127.0.0.1:2379'])
    monkeypatch.setattr(gateway, 'post', lambda path, body: {'kvs': [{'key': 'L2s=', 'mod_revision': '9', 'version': '1'}]})
    assert gateway.range('/') == [{'key': '/k', 'value': '', 'create_revision': 0, 'mod_revision': 9, 'version': 1, 'lease': 0}]
    monkeypatch.setattr(gateway, 'post', lambda path, body: {'header': {}})
    assert gateway.txn([], []) is False and gateway.range('/') == []


@pytest.mark.parametrize('status, data, problem, code', [
    (400, b'{"error":"etcdserver: too many operations in txn request","code":3}', 'too many operations', 3),
    (400, b'CommonName of client sending a request against gateway will be ignored', 'use the etcdctl transport', None),
    (200, b'{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}',
     'requested lease not found', 5),
])
def test_gateway_errors_name_the_endpoint_and_the_request(status, data, problem, code):
    with pytest.raises(_etcd_client.EtcdError) as raised:
        _etcd_client.Gateway._answer('https://10.88.0.11:2379', '/v3/kv/txn', status, data)
    assert str(raised.value).startswith('etcd at https://10.88.0.11:2379 refused /v3/kv/txn (HTTP %d): ' % status)
    assert problem in str(raised.value) and raised.value.code == code


def test_etcdctl_gets_double_quoted_go_strings_and_its_own_environment():
    calls = []

    def fake_run(argv, data, environment):
        calls.append((argv, data, environment))
        return 0, '{"header":{},"succeeded":true}', ''
    client = _etcd_client.Etcdctl(fake_run, '/usr/bin/etcdctl', ['https://10.88.0.11:2379', 'https://10.88.0.12:2379'],
                                  '/pki/ca.crt', '/pki/fabric.crt', '/pki/fabric.key', timeout=3)
    assert client.txn([('version', '/k', 0)], [('put', '/k', '{"PublicIP":"10.88.0.11"}', 0x2a)]) is True
    argv, data, environment = calls[0]
    assert argv == ['/usr/bin/etcdctl', 'txn', '-w', 'json']
    assert data == 'ver("/k") = "0"\n\nput "/k" "{\\"PublicIP\\":\\"10.88.0.11\\"}" --lease=2a\n\n\n'
    assert environment == {'ETCDCTL_API': '3', 'ETCDCTL_ENDPOINTS': 'https://10.88.0.11:2379,https://10.88.0.12:2379',
                           'ETCDCTL_DIAL_TIMEOUT': '3s', 'ETCDCTL_COMMAND_TIMEOUT': '3s', 'ETCDCTL_CACERT': '/pki/ca.crt',
                           'ETCDCTL_CERT': '/pki/fabric.crt', 'ETCDCTL_KEY': '/pki/fabric.key'}


def test_etcdctl_failures_show_its_error_line():
    client = _etcd_client.Etcdctl(lambda argv, data, environment: (1, '', '{"level":"warn"}\nError: context deadline exceeded\n'),
                                  'etcdctl', ['https://10.88.0.11:2379'])
    with pytest.raises(_etcd_client.EtcdError, match=r'etcdctl get \(endpoints https://10.88.0.11:2379\) failed \(rc=1\): '
                                                     r'Error: context deadline exceeded'):
        client.range('/coreos.com/network/')


@pytest.mark.parametrize('endpoints', [[], ['10.88.0.11:2379'], ['ftp://10.88.0.11'], ['https://10.88.0.11:99999'],
                                       ['https://10.88.0.11:2379/v3']])
def test_endpoints_must_be_client_urls(endpoints):
    with pytest.raises(OptionError) as raised:
        _validate.etcd_endpoints('fabric_overlay_etcd_endpoints', endpoints)
    assert raised.value.option == 'fabric_overlay_etcd_endpoints'

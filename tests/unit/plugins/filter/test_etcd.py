# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import json
import os

import pytest
from conftest import FILE_GROUP, FILE_OWNER

from ansible_collections.linuxnet.fabric.plugins.filter import etcd as etcd_filter
from ansible_collections.linuxnet.fabric.plugins.filter.etcd import (
    EtcdPlanError, etcd_cluster, etcd_membership, health, plan_membership, stale_paths)
from ansible_collections.linuxnet.fabric.plugins.module_utils.services._etcd_member import path_state

SHA256 = 'sha256:' + 'a' * 64
SHA512 = 'sha512:' + 'B' * 128
CLUSTER_ID = 0x5d3e4c0f8a9b1c2d
ARCHIVE = {'install_method': 'archive', 'archive_url': 'https://mirror.example/e.tgz'}


def hostvars(count=3, **per_host):
    """Inventory variables of node1..node<count> (etcd_address 10.88.0.11, .12, ...)."""
    variables = dict(('node%d' % number, {'etcd_address': '10.88.0.%d' % (10 + number)}) for number in range(1, count + 1))
    for host, extra in per_host.items():
        variables.setdefault(host, {}).update(extra)
    return variables


def cluster(count=3, remove=None, **per_host):
    return etcd_cluster(['node%d' % number for number in range(1, count + 1)], hostvars(count, **per_host), remove=remove, warn=False)


def peer(number):
    return 'https://10.88.0.%d:2380' % (10 + number)


def entry(number):
    return 'node%d=%s' % (number, peer(number))


def member_id(number):
    """A member ID as etcdctl prints it in JSON (a uint64, here above 2**63)."""
    return 0x8e9e05c52164694d + number


def running(*numbers, unstarted=(), others=(), cluster_id=CLUSTER_ID):
    """`etcdctl member list -w json`, parsed: started members node<n>, unstarted peer URLs, other members."""
    members = [{'ID': member_id(number), 'name': 'node%d' % number, 'peerURLs': [peer(number)],
                'clientURLs': ['https://10.88.0.%d:2379' % (10 + number)], 'isLearner': False} for number in numbers]
    members += [{'ID': identifier, 'peerURLs': [url]} for identifier, url in unstarted]
    members += list(others)
    return {'header': {'cluster_id': cluster_id, 'member_id': member_id(numbers[0]) if numbers else 1, 'raft_term': 7},
            'members': members}


# --- etcd_cluster: validation --------------------------------------------------------------------

VALIDATION_ERRORS = [
    # (id, hosts (None: node1..node3), per-host variables, keyword arguments, texts of the message)
    ('empty_group', [], {}, {}, ['etcd_group has no hosts']),
    ('group_not_a_list', 'node1', {}, {}, ['etcd_group has no hosts']),
    ('all_removed', None, {}, {'remove': ['node1', 'node2', 'etcd-c']}, ['etcd_remove removes every host', 'node1, node2, node3']),
    ('bad_cluster_name', None, {}, {'cluster_name': 'my cluster'}, ["etcd_cluster_name is 'my cluster'"]),
    ('member_name_space', None, {'node2': {'etcd_member_name': 'node 2'}}, {}, ["etcd_member_name of node2 is 'node 2'"]),
    ('member_name_equals', None, {'node2': {'etcd_member_name': 'a=b'}}, {}, ["etcd_member_name of node2 is 'a=b'"]),
    ('member_name_comma', None, {'node2': {'etcd_member_name': 'a,b'}}, {}, ["etcd_member_name of node2 is 'a,b'"]),
    ('member_name_leading_dash', None, {'node1': {'etcd_member_name': '-x'}}, {}, ["etcd_member_name of node1 is '-x'"]),
    ('member_name_too_long', None, {'node1': {'etcd_member_name': 'a' * 64}}, {}, ['etcd_member_name of node1']),
    ('member_name_not_text', None, {'node1': {'etcd_member_name': 7}}, {}, ["etcd_member_name of node1 is '7'"]),
    ('host_name_as_member_name', ['node1', 'bad/host'], {'bad/host': {'etcd_address': '10.88.0.99'}}, {},
     ["etcd_member_name of bad/host is 'bad/host'"]),
    ('duplicate_member_name', None, {'node1': {'etcd_member_name': 'etcd-a'}, 'node3': {'etcd_member_name': 'etcd-a'}}, {},
     ['etcd_member_name: etcd-a is used by more than one host (node1, node3)']),
    ('member_name_of_another_host', None, {'node1': {'etcd_member_name': 'node2'}}, {},
     ['etcd_member_name: node2 is used by more than one host (node1, node2)']),
    ('duplicate_address', None, {'node2': {'etcd_address': '10.88.0.11'}}, {},
     ['etcd_address: 10.88.0.11 is used by more than one host (node1, node2)']),
    ('duplicate_address_from_other_sources', None,
     {'node2': {'etcd_address': None, 'fabric_underlay_address': '10.88.0.11/24'}}, {},
     ['etcd_address: 10.88.0.11 is used by more than one host (node1, node2)']),
    ('duplicate_ipv6_address_spelled_differently', None,
     {'node1': {'etcd_address': '2001:db8::11'}, 'node3': {'etcd_address': '2001:DB8:0:0::11'}}, {},
     ['etcd_address: 2001:db8::11 is used by more than one host (node1, node3)']),
    ('address_not_an_address', None, {'node2': {'etcd_address': 'node-two'}}, {},
     ["etcd_address of node2 is 'node-two', which is not an IP address"]),
    ('address_short_form', None, {'node2': {'etcd_address': '10.1'}}, {}, ["etcd_address of node2 is '10.1', which is not an IP address"]),
    ('underlay_address_not_an_address', None, {'node2': {'etcd_address': None, 'fabric_underlay_address': 'eth0'}}, {},
     ["fabric_underlay_address of node2 is 'eth0', which is not an IP address"]),
    ('loopback', None, {'node3': {'etcd_address': '127.0.0.1'}}, {}, ["etcd_address of node3 is '127.0.0.1'; a member needs an address its peers can reach"]),
    ('loopback_range', None, {'node3': {'etcd_address': '127.0.1.1'}}, {}, ["etcd_address of node3 is '127.0.1.1'"]),
    ('loopback_ipv6', None, {'node3': {'etcd_address': '::1'}}, {}, ["etcd_address of node3 is '::1'; a member needs an address"]),
    ('unspecified', None, {'node3': {'etcd_address': '0.0.0.0'}}, {}, ["etcd_address of node3 is '0.0.0.0'; a member needs an address"]),
    ('unspecified_ipv6', None, {'node3': {'etcd_address': '::'}}, {}, ["etcd_address of node3 is '::'; a member needs an address"]),
    ('loopback_from_ansible_host', None, {'node3': {'etcd_address': None, 'ansible_host': '127.0.0.1'}}, {},
     ["ansible_host of node3 is '127.0.0.1'"]),
    ('no_address', None, {'node3': {'etcd_address': ''}}, {}, ['etcd_address is not set for node3 and no fact gives its address']),
    ('client_port_too_big', None, {}, {'client_port': 70000}, ["etcd_client_port is '70000'; it must be a port number from 1 to 65535"]),
    ('client_port_text_too_big', None, {}, {'client_port': '70000'}, ["etcd_client_port is '70000'"]),
    ('client_port_zero', None, {}, {'client_port': 0}, ["etcd_client_port is '0'"]),
    ('client_port_negative', None, {}, {'client_port': -1}, ["etcd_client_port is '-1'"]),
    ('client_port_bool', None, {}, {'client_port': True}, ["etcd_client_port is 'True'"]),
    ('client_port_float', None, {}, {'client_port': 2379.0}, ["etcd_client_port is '2379.0'"]),
    ('client_port_none', None, {}, {'client_port': None}, ["etcd_client_port is 'None'"]),
    ('peer_port_text', None, {}, {'peer_port': 'https'}, ["etcd_peer_port is 'https'"]),
    ('peer_port_too_big', None, {}, {'peer_port': 65536}, ["etcd_peer_port is '65536'"]),
    ('equal_ports', None, {}, {'client_port': 2380}, ['etcd_client_port and etcd_peer_port are both 2380; they must differ']),
    ('equal_ports_text_and_number', None, {}, {'client_port': '2400', 'peer_port': 2400}, ['are both 2400']),
    ('bad_install_method', None, {}, {'install_method': 'snap'}, ["etcd_install_method is 'snap'; it must be package or archive"]),
    ('archive_no_url', None, {}, {'install_method': 'archive', 'archive_checksum': SHA256}, ["etcd_archive_url is 'None'; it must be a URL"]),
    ('archive_empty_url', None, {}, {'install_method': 'archive', 'archive_url': ' ', 'archive_checksum': SHA256},
     ["etcd_archive_url is ' '; it must be a URL"]),
    ('archive_ftp', None, {}, {'install_method': 'archive', 'archive_url': 'ftp://mirror.example/etcd.tar.gz', 'archive_checksum': SHA256},
     ["etcd_archive_url is 'ftp://mirror.example/etcd.tar.gz'; its scheme must be one of https, http, file"]),
    ('archive_no_scheme', None, {}, {'install_method': 'archive', 'archive_url': '/srv/etcd.tar.gz', 'archive_checksum': SHA256},
     ['its scheme must be one of']),
    ('archive_no_host', None, {}, {'install_method': 'archive', 'archive_url': 'https:///etcd.tar.gz', 'archive_checksum': SHA256},
     ["etcd_archive_url is 'https:///etcd.tar.gz', which has no host"]),
    ('archive_port_only', None, {}, {'install_method': 'archive', 'archive_url': 'https://:8443/etcd.tar.gz', 'archive_checksum': SHA256},
     ['which has no host']),
    ('archive_no_path', None, {}, {'install_method': 'archive', 'archive_url': 'https://mirror.example', 'archive_checksum': SHA256},
     ["etcd_archive_url is 'https://mirror.example', which names no file"]),
    ('archive_root_path', None, {}, {'install_method': 'archive', 'archive_url': 'https://mirror.example/', 'archive_checksum': SHA256},
     ['which names no file']),
    ('archive_file_root', None, {}, {'install_method': 'archive', 'archive_url': 'file:///', 'archive_checksum': SHA256},
     ["etcd_archive_url is 'file:///', which names no file"]),
    ('archive_port_zero', None, {}, {'install_method': 'archive', 'archive_url': 'https://mirror.example:0/etcd.tar.gz', 'archive_checksum': SHA256},
     ['its port must be from 1 to 65535']),
    ('archive_port_too_big', None, {}, {'install_method': 'archive', 'archive_url': 'https://mirror.example:70000/e.tgz', 'archive_checksum': SHA256},
     ["etcd_archive_url is 'https://mirror.example:70000/e.tgz', which is not a valid URL"]),
    ('archive_port_text', None, {}, {'install_method': 'archive', 'archive_url': 'https://mirror.example:web/e.tgz', 'archive_checksum': SHA256},
     ['which is not a valid URL']),
    ('archive_bad_ipv6_host', None, {}, {'install_method': 'archive', 'archive_url': 'https://[2001:db8::1/e.tgz', 'archive_checksum': SHA256},
     ['which is not a valid URL']),
    ('checksum_empty', None, {}, {'install_method': 'archive', 'archive_url': 'https://mirror.example/e.tgz', 'archive_checksum': ''},
     ["etcd_archive_checksum is ''; it must be sha256:<64 hex digits> or sha512:<128 hex digits>"]),
    ('checksum_none', None, {}, {'install_method': 'archive', 'archive_url': 'https://mirror.example/e.tgz'}, ["etcd_archive_checksum is 'None'"]),
    ('checksum_no_algorithm', None, {}, {'install_method': 'archive', 'archive_url': 'https://mirror.example/e.tgz', 'archive_checksum': 'a' * 64},
     ['etcd_archive_checksum is']),
    ('checksum_md5', None, {}, {'install_method': 'archive', 'archive_url': 'https://mirror.example/e.tgz', 'archive_checksum': 'md5:' + 'a' * 32},
     ["etcd_archive_checksum is 'md5:"]),
    ('checksum_sha256_short', None, {}, dict(ARCHIVE, archive_checksum='sha256:' + 'a' * 63), ['etcd_archive_checksum is']),
    ('checksum_sha256_long', None, {}, dict(ARCHIVE, archive_checksum='sha256:' + 'a' * 65), ['etcd_archive_checksum is']),
    ('checksum_sha512_of_sha256_length', None, {}, dict(ARCHIVE, archive_checksum='sha512:' + 'a' * 64), ['etcd_archive_checksum is']),
    ('checksum_not_hex', None, {}, dict(ARCHIVE, archive_checksum='sha256:' + 'g' * 64), ['etcd_archive_checksum is']),
    ('checksum_upper_case_algorithm', None, {}, dict(ARCHIVE, archive_checksum='SHA256:' + 'a' * 64), ['etcd_archive_checksum is']),
    ('metrics_scheme', None, {}, {'metrics_urls': ['unix:///run/etcd.sock']},
     ["etcd_metrics_urls is 'unix:///run/etcd.sock'; its scheme must be one of http, https"]),
    ('metrics_no_host', None, {}, {'metrics_urls': ['http://127.0.0.1:2381', 'http://:2381']}, ["etcd_metrics_urls is 'http://:2381', which has no host"]),
    ('metrics_port', None, {}, {'metrics_urls': ['http://127.0.0.1:99999']}, ["etcd_metrics_urls is 'http://127.0.0.1:99999', which is not a valid URL"]),
    ('metrics_port_zero', None, {}, {'metrics_urls': ['http://127.0.0.1:0']}, ['its port must be from 1 to 65535']),
    ('metrics_empty', None, {}, {'metrics_urls': ['']}, ["etcd_metrics_urls is ''; it must be a URL"]),
    ('metrics_not_text', None, {}, {'metrics_urls': [2381]}, ["etcd_metrics_urls is '2381'; it must be a URL"]),
    ('san_with_space', None, {}, {'extra_sans': ['etcd.example', 'bad name']},
     ["etcd_extra_sans holds 'bad name', which is neither a DNS name nor an IP address"]),
    ('san_underscore', None, {}, {'extra_sans': ['etcd_1.example']}, ["etcd_extra_sans holds 'etcd_1.example'"]),
    ('san_leading_dash', None, {}, {'extra_sans': ['-etcd.example']}, ["etcd_extra_sans holds '-etcd.example'"]),
    ('san_long_label', None, {}, {'extra_sans': ['a' * 64 + '.example']}, ['etcd_extra_sans holds']),
    ('san_empty', None, {}, {'extra_sans': ['']}, ["etcd_extra_sans holds ''"]),
    ('san_network', None, {}, {'extra_sans': ['10.0.0.0/8']}, ["etcd_extra_sans holds '10.0.0.0/8'"]),
    ('san_not_text', None, {}, {'extra_sans': [7]}, ["etcd_extra_sans holds '7'"]),
    ('remove_bad_name', None, {}, {'remove': ['gone host']}, ["etcd_remove holds 'gone host', which is not a member name"]),
]


@pytest.mark.parametrize('hosts, per_host, arguments, texts', [case[1:] for case in VALIDATION_ERRORS],
                         ids=[case[0] for case in VALIDATION_ERRORS])
def test_bad_inventory_fails_naming_the_variable(hosts, per_host, arguments, texts):
    variables = hostvars(3, **per_host)
    variables['node3'].setdefault('etcd_member_name', 'etcd-c')
    with pytest.raises(EtcdPlanError) as error:
        etcd_cluster(['node1', 'node2', 'node3'] if hosts is None else hosts, variables, warn=False, **arguments)
    for text in texts:
        assert text in str(error.value)


VALID_SETTINGS = [
    ('defaults', {}),
    ('ports_as_text', {'client_port': '12379', 'peer_port': ' 12380 '}),
    ('archive_https', {'install_method': 'archive', 'archive_url': 'https://github.com/etcd-io/etcd/releases/download/v3.5.17/e.tgz',
                       'archive_checksum': SHA256}),
    ('archive_http_port', {'install_method': 'archive', 'archive_url': 'http://mirror.example:8080/etcd/e.tgz', 'archive_checksum': SHA512}),
    ('archive_file', {'install_method': 'archive', 'archive_url': 'file:///srv/etcd/e.tgz', 'archive_checksum': 'sha256:' + 'A0' * 32}),
    ('package_ignores_archive_settings', {'install_method': 'package', 'archive_url': 'not a url', 'archive_checksum': ''}),
    ('metrics', {'metrics_urls': ['http://127.0.0.1:2381', 'https://[2001:db8::1]:2381']}),
    ('sans', {'extra_sans': ['etcd.example', 'etcd', '192.0.2.10', '2001:db8::10']}),
    ('member_names', {}),
]


@pytest.mark.parametrize('arguments', [case[1] for case in VALID_SETTINGS], ids=[case[0] for case in VALID_SETTINGS])
def test_valid_settings_plan_every_member(arguments):
    planned = etcd_cluster(['node1', 'node2', 'node3'], hostvars(3), warn=False, **arguments)
    assert planned['hosts'] == ['node1', 'node2', 'node3']
    assert planned['warnings'] == []


def test_the_plan_of_three_members():
    planned = etcd_cluster(['node1', 'node2', 'node3'], hostvars(3, node2={'etcd_member_name': 'etcd-b'}), cluster_name='lab',
                           client_port='12379', peer_port=12380, metrics_urls=[' http://127.0.0.1:2381 '], warn=False)
    assert planned['name'] == 'lab'
    assert planned['client_port'] == 12379 and planned['peer_port'] == 12380
    assert planned['initial_cluster'] == ('node1=https://10.88.0.11:12380,etcd-b=https://10.88.0.12:12380,'
                                          'node3=https://10.88.0.13:12380')
    assert planned['endpoints'] == 'https://10.88.0.11:12379,https://10.88.0.12:12379,https://10.88.0.13:12379'
    assert planned['metrics_urls'] == ['http://127.0.0.1:2381']
    assert planned['removed'] == []
    assert planned['members'][1] == {
        'host': 'node2',
        'name': 'etcd-b',
        'address': '10.88.0.12',
        'peer_url': 'https://10.88.0.12:12380',
        'client_url': 'https://10.88.0.12:12379',
        'listen_client_urls': ['https://10.88.0.12:12379', 'https://127.0.0.1:12379'],
        'listen_peer_urls': ['https://10.88.0.12:12380'],
        'dns_sans': ['etcd-b', 'localhost', 'node2'],
        'ip_sans': ['10.88.0.12', '127.0.0.1'],
    }


# --- etcd_cluster: warnings ----------------------------------------------------------------------

class RecordingDisplay(object):
    shown = []

    def warning(self, message):
        self.shown.append(message)


@pytest.mark.parametrize('count, remove, warned', [
    (1, [], False),
    (2, [], True),
    (3, [], False),
    (4, [], True),
    (4, ['node4'], False),
    (5, ['node5'], True),
])
def test_an_even_number_of_members_is_a_warning(count, remove, warned):
    planned = cluster(count, remove=remove)
    if not warned:
        assert planned['warnings'] == []
        return
    members = count - len(remove)
    hosts = ', '.join('node%d' % number for number in range(1, members + 1))
    assert planned['warnings'] == [
        'the etcd cluster has an even number of members (%d: %s): it tolerates no more failures than with %d, and a network '
        'split can leave no side with a majority; use an odd number' % (members, hosts, members - 1)]


def test_warnings_are_shown_unless_warn_is_false(monkeypatch):
    monkeypatch.setattr(etcd_filter, 'Display', RecordingDisplay)
    RecordingDisplay.shown = []
    etcd_cluster(['node1', 'node2'], hostvars(2), warn=False)
    assert RecordingDisplay.shown == []
    planned = etcd_cluster(['node1', 'node2'], hostvars(2))
    assert RecordingDisplay.shown == planned['warnings'] and 'even number' in RecordingDisplay.shown[0]


# --- etcd_cluster: addresses, URLs, names --------------------------------------------------------

ALL_ADDRESS_SOURCES = {
    'etcd_address': '10.1.0.1',
    'fabric_underlay_address': '10.2.0.1/24',
    'ansible_facts': {'linuxnet_fabric': {'underlay': {'address': '10.3.0.1', 'prefix': 24}},
                      'default_ipv4': {'address': '10.4.0.1'}},
    'registered_info': {'underlay_address': '10.5.0.1'},
    'ansible_host': '10.6.0.1',
}


def without(variables, *dropped):
    """`variables` without the address sources `dropped` (dotted paths), copied."""
    variables = json.loads(json.dumps(variables))
    for path in dropped:
        *parents, key = path.split('.')
        holder = variables
        for parent in parents:
            holder = holder[parent]
        del holder[key]
    return variables


@pytest.mark.parametrize('dropped, address', [
    ((), '10.1.0.1'),
    (('etcd_address',), '10.2.0.1'),
    (('etcd_address', 'fabric_underlay_address'), '10.3.0.1'),
    (('etcd_address', 'fabric_underlay_address', 'ansible_facts.linuxnet_fabric'), '10.4.0.1'),
    (('etcd_address', 'fabric_underlay_address', 'ansible_facts'), '10.5.0.1'),
    (('etcd_address', 'fabric_underlay_address', 'ansible_facts', 'registered_info'), '10.6.0.1'),
    (('etcd_address', 'fabric_underlay_address', 'ansible_facts.linuxnet_fabric.underlay', 'ansible_facts.default_ipv4'), '10.5.0.1'),
    (('etcd_address', 'fabric_underlay_address', 'ansible_facts.linuxnet_fabric.underlay.address',
      'ansible_facts.default_ipv4.address', 'registered_info.underlay_address'), '10.6.0.1'),
])
def test_address_sources_in_order(dropped, address):
    planned = etcd_cluster(['node1'], {'node1': without(ALL_ADDRESS_SOURCES, *dropped)}, warn=False, info_var='registered_info')
    assert planned['members'][0]['address'] == address


def test_the_registered_member_info_is_read_only_when_the_caller_names_it():
    """The filter reads no role's private variable on its own (the etcd role passes info_var)."""
    variables = without(ALL_ADDRESS_SOURCES, 'etcd_address', 'fabric_underlay_address', 'ansible_facts')
    variables['__etcd_info'] = variables['registered_info']
    assert etcd_cluster(['node1'], {'node1': variables}, warn=False)['members'][0]['address'] == '10.6.0.1'
    assert etcd_cluster(['node1'], {'node1': variables}, warn=False, info_var='__etcd_info')['members'][0]['address'] == '10.5.0.1'


def test_empty_and_null_sources_are_skipped():
    variables = dict(ALL_ADDRESS_SOURCES, etcd_address='', fabric_underlay_address=None)
    variables['ansible_facts'] = {'linuxnet_fabric': {'underlay': {}}, 'default_ipv4': None}
    variables['registered_info'] = {'underlay_address': None}
    assert etcd_cluster(['node1'], {'node1': variables}, warn=False, info_var='registered_info')['members'][0]['address'] == '10.6.0.1'


def test_ipv6_members_have_bracketed_urls():
    planned = etcd_cluster(['node1', 'node2', 'node3'], hostvars(3, node1={'etcd_address': '2001:DB8:0::11'},
                                                                 node2={'etcd_address': '2001:db8::12/64'}), warn=False)
    first = planned['members'][0]
    assert first['address'] == '2001:db8::11'
    assert first['peer_url'] == 'https://[2001:db8::11]:2380'
    assert first['client_url'] == 'https://[2001:db8::11]:2379'
    assert first['listen_client_urls'] == ['https://[2001:db8::11]:2379', 'https://127.0.0.1:2379']
    assert first['listen_peer_urls'] == ['https://[2001:db8::11]:2380']
    assert first['ip_sans'] == ['127.0.0.1', '2001:db8::11']
    assert planned['initial_cluster'] == 'node1=https://[2001:db8::11]:2380,node2=https://[2001:db8::12]:2380,node3=https://10.88.0.13:2380'
    assert planned['endpoints'] == 'https://[2001:db8::11]:2379,https://[2001:db8::12]:2379,https://10.88.0.13:2379'


@pytest.mark.parametrize('per_host, extra_sans, dns_sans, ip_sans', [
    ({}, None, ['localhost', 'node1'], ['10.88.0.11', '127.0.0.1']),
    ({'etcd_member_name': 'etcd-a', 'ansible_host': 'node1.lab.example'}, [],
     ['etcd-a', 'localhost', 'node1', 'node1.lab.example'], ['10.88.0.11', '127.0.0.1']),
    # An address as ansible_host is no DNS name; a member name with '_' is no DNS name either.
    ({'etcd_member_name': 'etcd_a', 'ansible_host': '192.0.2.1'}, [], ['localhost', 'node1'], ['10.88.0.11', '127.0.0.1']),
    ({'ansible_host': '2001:db8::1'}, [], ['localhost', 'node1'], ['10.88.0.11', '127.0.0.1']),
    ({}, ['etcd.lab.example', 'localhost', '10.88.0.11', '192.0.2.7', 'node1'],
     ['etcd.lab.example', 'localhost', 'node1'], ['10.88.0.11', '127.0.0.1', '192.0.2.7']),
    # As the certificate reads them back, or the certificate would look stale on every run.
    ({}, ['2001:DB8:0:0::7'], ['localhost', 'node1'], ['10.88.0.11', '127.0.0.1', '2001:db8::7']),
])
def test_subject_alternative_names(per_host, extra_sans, dns_sans, ip_sans):
    member = etcd_cluster(['node1'], hostvars(1, node1=per_host), extra_sans=extra_sans, warn=False)['members'][0]
    assert member['dns_sans'] == dns_sans
    assert member['ip_sans'] == ip_sans


def test_removal_by_host_name():
    planned = cluster(4, remove=['node3'])
    assert planned['hosts'] == ['node1', 'node2', 'node4']
    assert planned['removed'] == [{'host': 'node3', 'name': 'node3'}]
    assert 'node3' not in planned['initial_cluster']


def test_removal_by_member_name_of_a_host_in_the_group():
    planned = cluster(4, remove=['etcd-c'], node3={'etcd_member_name': 'etcd-c'})
    assert planned['removed'] == [{'host': 'node3', 'name': 'etcd-c'}]
    assert planned['hosts'] == ['node1', 'node2', 'node4']


def test_a_removed_host_needs_no_address():
    planned = cluster(4, remove=['node4'], node4={'etcd_address': None})
    assert planned['removed'] == [{'host': 'node4', 'name': 'node4'}]


def test_removal_by_member_name_of_a_host_no_longer_in_the_inventory():
    planned = cluster(3, remove=['node3', 'old-node7'])
    assert planned['removed'] == [{'host': 'node3', 'name': 'node3'}, {'host': None, 'name': 'old-node7'}]
    assert planned['hosts'] == ['node1', 'node2']


# --- plan_membership -----------------------------------------------------------------------------

def test_bootstrap_of_a_new_cluster():
    planned = cluster(3)
    plan = plan_membership(planned, {}, {'node1': False, 'node2': False, 'node3': False})
    assert plan == {
        'bootstrap': True, 'join': [], 'remove': [], 'unknown': [], 'unreachable': [],
        'members': ['node1', 'node2', 'node3'], 'via': 'node1',
        'initial': dict((host, {'cluster': ','.join(entry(number) for number in (1, 2, 3)), 'state': 'new'})
                        for host, number in (('node1', 1), ('node2', 2), ('node3', 3))),
    }


def test_bootstrap_leaves_removed_hosts_out():
    plan = plan_membership(cluster(4, remove=['node4']), {}, {})
    assert plan['bootstrap'] and plan['members'] == ['node1', 'node2', 'node3']
    assert set(plan['initial']) == {'node1', 'node2', 'node3'}
    assert plan['initial']['node1']['cluster'] == ','.join(entry(number) for number in (1, 2, 3))


@pytest.mark.parametrize('answers', [{'node2': None}, {}])
def test_data_without_answers_is_an_error(answers):
    with pytest.raises(EtcdPlanError) as error:
        plan_membership(cluster(3), answers, {'node1': False, 'node2': True, 'node3': False})
    assert 'etcd data exists on node2 (etcd_data_dir) but no member of the cluster answers' in str(error.value)


def test_an_unreachable_host_stops_a_bootstrap():
    with pytest.raises(EtcdPlanError) as error:
        plan_membership(cluster(3), {}, {}, reachable=['node1', 'node3'])
    assert 'a new cluster needs every member, but node2 cannot be reached (etcd_group)' in str(error.value)


def test_answers_from_two_clusters_are_an_error():
    answers = {'node1': running(1, 2, 3), 'node2': running(1, 2, 3), 'node3': running(3, cluster_id=0x1111)}
    with pytest.raises(EtcdPlanError) as error:
        plan_membership(cluster(3), answers, {'node1': True, 'node2': True, 'node3': True})
    message = str(error.value)
    assert 'belong to different clusters' in message
    assert '%s on node1, node2' % CLUSTER_ID in message and '%s on node3' % 0x1111 in message


def test_a_running_cluster_with_nothing_to_do():
    current = {'node1': {'cluster': 'bootstrap-value', 'state': 'new'}}
    plan = plan_membership(cluster(3), {'node1': running(1, 2, 3), 'node2': None, 'node3': running(1, 2, 3)},
                           {'node1': True, 'node2': True, 'node3': True}, current)
    assert plan['bootstrap'] is False
    assert plan['members'] == ['node1', 'node2', 'node3']
    assert plan['join'] == [] and plan['remove'] == [] and plan['unknown'] == []
    # A bootstrapped member keeps what its environment file says; one without says the cluster.
    assert plan['initial']['node1'] == {'cluster': 'bootstrap-value', 'state': 'new'}
    assert plan['initial']['node2'] == {'cluster': ','.join(entry(number) for number in (1, 2, 3)), 'state': 'existing'}


def bootstrapped(*numbers):
    """What the environment files of members bootstrapped together say."""
    value = {'cluster': ','.join(entry(number) for number in numbers), 'state': 'new'}
    return dict(('node%d' % number, dict(value)) for number in numbers)


@pytest.mark.parametrize('count', [4, 5])
def test_scale_out_joins_one_at_a_time(count):
    has_data = dict(('node%d' % number, number <= 3) for number in range(1, count + 1))
    plan = plan_membership(cluster(count), {'node1': running(1, 2, 3)}, has_data, bootstrapped(1, 2, 3))
    assert plan['bootstrap'] is False
    assert plan['members'] == ['node1', 'node2', 'node3']
    assert plan['join'] == [{'host': 'node%d' % number, 'name': 'node%d' % number, 'peer_url': peer(number), 'added_id': None,
                             'stale': False} for number in range(4, count + 1)]
    assert plan['remove'] == []
    for number in range(4, count + 1):
        expected_cluster = ','.join(entry(each) for each in range(1, number + 1))
        assert plan['initial']['node%d' % number] == {'cluster': expected_cluster, 'state': 'existing'}
    # The members are not touched: their settings stay as bootstrapped (no rewrite, no restart).
    for number in (1, 2, 3):
        assert plan['initial']['node%d' % number] == bootstrapped(1, 2, 3)['node1']


def test_removal_with_hex_ids():
    plan = plan_membership(cluster(3, remove=['node3', 'old-node7']),
                           {'node1': running(1, 2, 3, others=[{'ID': 18446744073709551615, 'name': 'old-node7',
                                                               'peerURLs': ['https://10.88.0.77:2380']}])},
                           {'node1': True, 'node2': True, 'node3': True})
    assert plan['members'] == ['node1', 'node2']
    assert plan['remove'] == [
        {'name': 'node3', 'id': '%x' % member_id(3), 'host': 'node3', 'rejoin': False},
        {'name': 'old-node7', 'id': 'ffffffffffffffff', 'host': None, 'rejoin': False},
    ]
    assert plan['remove'][0]['id'] == '8e9e05c521646950'
    assert plan['join'] == [] and plan['unknown'] == []
    assert plan['initial']['node1'] == {'cluster': entry(1) + ',' + entry(2), 'state': 'existing'}


def test_a_removed_member_that_has_left_already_is_not_removed_again():
    plan = plan_membership(cluster(3, remove=['node3']), {'node1': running(1, 2)}, {'node1': True, 'node2': True, 'node3': True})
    assert plan['remove'] == [] and plan['members'] == ['node1', 'node2']


def test_a_rebuilt_member_is_removed_and_joins_again():
    plan = plan_membership(cluster(3), {'node1': running(1, 2, 3)}, {'node1': True, 'node2': False, 'node3': True},
                           bootstrapped(1, 2, 3))
    assert plan['members'] == ['node1', 'node3']
    assert plan['remove'] == [{'name': 'node2', 'id': '%x' % member_id(2), 'host': 'node2', 'rejoin': True}]
    assert plan['join'] == [{'host': 'node2', 'name': 'node2', 'peer_url': peer(2), 'added_id': None, 'stale': False}]
    assert plan['initial']['node2'] == {'cluster': ','.join([entry(1), entry(3), entry(2)]), 'state': 'existing'}


def test_a_joiner_with_a_stale_data_dir_moves_it_aside():
    plan = plan_membership(cluster(4), {'node1': running(1, 2, 3), 'node4': None},
                           {'node1': True, 'node2': True, 'node3': True, 'node4': True})
    assert plan['join'] == [{'host': 'node4', 'name': 'node4', 'peer_url': peer(4), 'added_id': None, 'stale': True}]


def test_a_member_added_but_never_started_is_started_or_removed():
    answers = {'node1': running(1, 2, 3, unstarted=[(0xabc, peer(4)), (0xdef, 'https://10.88.0.99:2380')])}
    plan = plan_membership(cluster(4), answers, {'node1': True, 'node2': True, 'node3': True})
    assert plan['join'] == [{'host': 'node4', 'name': 'node4', 'peer_url': peer(4), 'added_id': 'abc', 'stale': False}]
    # Nobody of the group would ever start the other one, and it counts against the quorum.
    assert plan['remove'] == [{'name': '', 'id': 'def', 'host': None, 'rejoin': False}]
    assert plan['initial']['node4'] == {'cluster': ','.join(entry(number) for number in (1, 2, 3, 4)), 'state': 'existing'}


def test_joiners_added_by_an_earlier_run_join_first_and_every_initial_cluster_lists_them():
    # node5 was added (member add) by a run that stopped before starting it; node4 is new. etcd
    # starts a joiner only when its initial cluster lists every member the cluster has then.
    answers = {'node1': running(1, 2, 3, unstarted=[(0xabc, peer(5))])}
    plan = plan_membership(cluster(5), answers, {'node1': True, 'node2': True, 'node3': True})
    assert [(joining['host'], joining['added_id']) for joining in plan['join']] == [('node5', 'abc'), ('node4', None)]
    assert plan['initial']['node5']['cluster'] == ','.join([entry(1), entry(2), entry(3), entry(5)])
    assert plan['initial']['node4']['cluster'] == ','.join([entry(1), entry(2), entry(3), entry(5), entry(4)])
    assert plan['remove'] == []


def test_members_outside_the_group_are_unknown_and_stay():
    stranger = {'ID': 0x42, 'name': 'stranger', 'peerURLs': ['https://10.88.0.50:2380', 'https://10.89.0.50:2380']}
    plan = plan_membership(cluster(4), {'node1': running(1, 2, 3, others=[stranger])}, {'node1': True, 'node2': True, 'node3': True})
    assert plan['unknown'] == ['stranger']
    assert plan['remove'] == []
    # One name=url pair per peer URL: etcd reads no other form.
    assert plan['initial']['node4']['cluster'] == ','.join(
        [entry(1), entry(2), entry(3), 'stranger=https://10.88.0.50:2380', 'stranger=https://10.89.0.50:2380', entry(4)])


def test_unreachable_member_hosts_are_left_alone():
    plan = plan_membership(cluster(3), {'node1': running(1, 2, 3)}, {'node1': True, 'node2': True}, reachable=['node1', 'node2'])
    assert plan['unreachable'] == ['node3']
    assert plan['members'] == ['node1', 'node2']
    assert plan['remove'] == [] and plan['join'] == [] and plan['unknown'] == []
    assert 'node3' not in plan['initial']


def test_cluster_wide_commands_go_through_a_member_that_answered():
    answers = {'node1': None, 'node2': running(1, 2, 3), 'node3': running(1, 2, 3)}
    plan = plan_membership(cluster(3), answers, {'node1': True, 'node2': True, 'node3': True})
    assert plan['members'] == ['node1', 'node2', 'node3'] and plan['via'] == 'node2'
    plan = plan_membership(cluster(3), {'node1': running(1, 2, 3)}, {'node1': True, 'node2': True}, reachable=['node1', 'node2'])
    assert plan['via'] == 'node1'
    assert plan_membership(cluster(3), {}, {})['via'] == 'node1'


def test_an_unreachable_host_that_is_not_a_member_yet_does_not_join():
    plan = plan_membership(cluster(4), {'node1': running(1, 2, 3)}, {'node1': True, 'node2': True, 'node3': True},
                           reachable=['node1', 'node2', 'node3'])
    assert plan['unreachable'] == ['node4'] and plan['join'] == []


def test_a_foreign_cluster_is_refused():
    foreign = {'header': {'cluster_id': 7}, 'members': [{'ID': 1, 'name': 'other1', 'peerURLs': ['https://10.9.0.1:2380']}]}
    with pytest.raises(EtcdPlanError) as error:
        plan_membership(cluster(3), {'node2': foreign}, {'node2': True})
    assert 'has none of the hosts of etcd_group as a member' in str(error.value) and 'other1' in str(error.value)


# --- etcd_membership: what the role registered ----------------------------------------------------

def registered(answer=None, rc=0, stdout=None):
    return {'changed': False, 'rc': rc, 'stdout': json.dumps(answer) if stdout is None else stdout, 'stderr': ''}


SKIPPED = {'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False', 'false_condition': '__etcd_info.has_data'}


def role_hostvars(**per_host):
    """hostvars of node1..node3 after plan.yml and the member list task, overridden per host."""
    variables = hostvars(3)
    for host in variables:
        variables[host]['__etcd_info'] = {'has_data': True, 'initial_cluster': ','.join(entry(number) for number in (1, 2, 3)),
                                          'initial_cluster_state': 'new'}
        variables[host]['__etcd_member_list'] = registered(running(1, 2, 3))
    for host, extra in per_host.items():
        variables.setdefault(host, {}).update(extra)
    return variables


def test_membership_from_registered_results():
    variables = role_hostvars(node2={'__etcd_member_list': registered(rc=1, stdout='', answer=None)},
                              node3={'__etcd_member_list': registered(stdout='Error: context deadline exceeded')})
    plan = etcd_membership(etcd_cluster(['node1', 'node2', 'node3'], variables, warn=False), variables, ['node1', 'node2', 'node3'])
    assert plan['members'] == ['node1', 'node2', 'node3']
    assert plan['initial']['node2'] == {'cluster': ','.join(entry(number) for number in (1, 2, 3)), 'state': 'new'}


@pytest.mark.parametrize('member_list', [
    SKIPPED,
    registered(rc=1, stdout='{"header": {}}'),
    registered(stdout='not json'),
    registered(stdout=''),
    None,
    'a string',
], ids=['skipped', 'rc_not_zero', 'bad_json', 'empty_stdout', 'null', 'not_a_dict'])
def test_registered_results_that_are_no_answer(member_list):
    variables = role_hostvars(**dict((host, {'__etcd_member_list': member_list}) for host in ('node1', 'node2', 'node3')))
    with pytest.raises(EtcdPlanError) as error:
        etcd_membership(etcd_cluster(['node1', 'node2', 'node3'], variables, warn=False), variables, ['node1', 'node2', 'node3'])
    assert 'etcd data exists on node1, node2, node3' in str(error.value)


def test_membership_of_a_new_cluster_reads_has_data():
    variables = role_hostvars(**dict((host, {'__etcd_info': {'has_data': False, 'initial_cluster': None, 'initial_cluster_state': None},
                                             '__etcd_member_list': SKIPPED}) for host in ('node1', 'node2', 'node3')))
    # A host of the play that the member read never reached (no __etcd_info) has no data either.
    del variables['node3']['__etcd_info']
    plan = etcd_membership(etcd_cluster(['node1', 'node2', 'node3'], variables, warn=False), variables, ['node1', 'node2', 'node3'])
    assert plan['bootstrap'] and plan['members'] == ['node1', 'node2', 'node3']


def test_membership_only_reads_the_hosts_of_the_play():
    variables = role_hostvars(node4={'etcd_address': '10.88.0.14', '__etcd_info': {'has_data': False}})
    planned = etcd_cluster(['node1', 'node2', 'node3', 'node4'], variables, warn=False)
    plan = etcd_membership(planned, variables, ['node1', 'node2', 'node3'])
    assert plan['unreachable'] == ['node4'] and plan['join'] == []
    assert plan['members'] == ['node1', 'node2', 'node3']


def test_membership_with_other_variable_names():
    variables = {'node1': {'etcd_address': '10.88.0.11', 'info': {'has_data': True}, 'answer': registered(running(1))}}
    plan = etcd_membership(etcd_cluster(['node1'], variables, warn=False), variables, ['node1'], info_var='info', list_var='answer')
    assert plan['members'] == ['node1'] and not plan['bootstrap']


# --- health ----------------------------------------------------------------------------------------

def health_answer(*states, rc=None):
    """`etcdctl endpoint health --cluster -w json` of node1..node<n>, each healthy (True) or not."""
    entries = [{'endpoint': 'https://10.88.0.%d:2379' % (10 + number), 'health': state, 'took': '2ms'}
               if state else {'endpoint': 'https://10.88.0.%d:2379' % (10 + number), 'health': False, 'took': '3s',
                              'error': 'context deadline exceeded'}
               for number, state in enumerate(states, start=1)]
    return registered(entries, rc=(0 if all(states) else 1) if rc is None else rc)


def test_every_member_healthy():
    result = health(health_answer(True, True, True), cluster(3), ['node1', 'node2', 'node3'])
    assert result['answered'] and result['has_quorum'] and result['hosts_healthy']
    assert [item['host'] for item in result['healthy']] == ['node1', 'node2', 'node3'] and result['unhealthy'] == []
    assert (result['members'], result['quorum']) == (3, 2)


def test_a_member_down_outside_the_run_keeps_the_run_going():
    result = health(health_answer(True, True, False), cluster(3), ['node1', 'node2'])
    assert result['has_quorum'] and result['hosts_healthy']
    assert result['unhealthy'] == [{'host': 'node3', 'endpoint': 'https://10.88.0.13:2379', 'error': 'context deadline exceeded'}]


def test_a_member_down_in_the_run_is_not_healthy_but_the_quorum_stays():
    result = health(health_answer(True, True, False), cluster(3), ['node1', 'node2', 'node3'])
    assert result['has_quorum'] and not result['hosts_healthy']


def test_two_of_three_down_is_no_quorum():
    result = health(health_answer(True, False, False), cluster(3), ['node1'])
    assert not result['has_quorum'] and not result['hosts_healthy']
    assert [item['host'] for item in result['unhealthy']] == ['node2', 'node3']


def test_a_member_of_no_host_is_named_by_its_endpoint():
    answer = registered([{'endpoint': 'https://10.88.0.99:2379', 'health': False, 'error': 'refused'},
                         {'endpoint': 'https://10.88.0.11:2379', 'health': True}])
    result = health(answer, cluster(3), ['node1'])
    assert result['unhealthy'] == [{'host': None, 'endpoint': 'https://10.88.0.99:2379', 'error': 'refused'}]
    assert result['has_quorum'] is False and result['quorum'] == 2


@pytest.mark.parametrize('answer', [
    SKIPPED,
    {'rc': 1, 'stdout': '', 'stderr': 'Error: context deadline exceeded\n'},
    registered(stdout='not json'),
    registered([]),
    None,
], ids=['skipped', 'no_stdout', 'bad_json', 'empty_list', 'null'])
def test_no_answer_is_no_quorum(answer):
    result = health(answer, cluster(3), ['node1'])
    assert not result['answered'] and not result['has_quorum'] and not result['hosts_healthy']
    assert result['error']


def test_the_error_of_no_answer_is_kept():
    result = health({'rc': 1, 'stdout': '', 'stderr': 'Error: context deadline exceeded\n'}, cluster(3), [])
    assert result['error'] == 'Error: context deadline exceeded'


# --- stale_paths ---------------------------------------------------------------------------------

USER = FILE_OWNER
GROUP = FILE_GROUP
pytestmark = pytest.mark.usefixtures('file_owner_names')


@pytest.fixture
def files(tmp_path):
    """A directory (0750), a file (0640) made from content and a controller file as its src."""
    (tmp_path / 'conf').mkdir()
    os.chmod(tmp_path / 'conf', 0o750)
    target = tmp_path / 'conf' / 'etcd.env'
    target.write_text('ETCD_NAME="node1"\n')
    os.chmod(target, 0o640)
    source = tmp_path / 'source.env'
    source.write_text('ETCD_NAME="node1"\n')
    current = dict((str(path), path_state(str(path))) for path in (tmp_path / 'conf', target, tmp_path / 'missing'))
    return {'dir': str(tmp_path / 'conf'), 'file': str(target), 'src': str(source), 'missing': str(tmp_path / 'missing'),
            'current': current}


def test_nothing_is_stale_when_everything_matches(files):
    wanted = [
        {'dest': files['dir'], 'owner': USER, 'group': GROUP, 'mode': '0750'},
        {'dest': files['file'], 'owner': USER, 'group': GROUP, 'mode': '0640', 'content': 'ETCD_NAME="node1"\n'},
        {'dest': files['file'], 'owner': USER, 'group': GROUP, 'mode': '0640', 'src': files['src']},
    ]
    assert stale_paths(wanted, files['current']) == []


@pytest.mark.parametrize('change', [
    {'mode': '0644'},
    {'owner': 'etcd-no-such-user'},
    {'group': 'etcd-no-such-group'},
    {'content': 'ETCD_NAME="node2"\n'},
    {'content': 'ETCD_NAME="node1"'},
    {'src': 'other'},
    {'dest': 'missing'},
    {'dest': 'dir'},
], ids=['mode', 'owner', 'group', 'content', 'content_without_newline', 'src', 'missing', 'directory_not_file'])
def test_a_file_that_differs_is_stale(files, change):
    with open(files['src'] + '.other', 'w') as handle:
        handle.write('ETCD_NAME="other"\n')
    item = {'dest': files['file'], 'owner': USER, 'group': GROUP, 'mode': '0640', 'content': 'ETCD_NAME="node1"\n'}
    item.update(change)
    if 'src' in change:
        del item['content']
        item['src'] = files['src'] + '.other'
    if 'dest' in change:
        item['dest'] = files[change['dest']]
    assert stale_paths([item], files['current']) == [item]


@pytest.mark.parametrize('change', [{'mode': '0755'}, {'owner': 'etcd-no-such-user'}, {'group': 'etcd-no-such-group'},
                                    {'dest': 'file'}, {'dest': 'missing'}],
                         ids=['mode', 'owner', 'group', 'file_not_directory', 'missing'])
def test_a_directory_that_differs_is_stale(files, change):
    item = {'dest': files['dir'], 'owner': USER, 'group': GROUP, 'mode': '0750'}
    item.update(change)
    if 'dest' in change:
        item['dest'] = files[change['dest']]
    assert stale_paths([item], files['current']) == [item]


def test_without_a_read_everything_is_stale(files):
    wanted = [{'dest': files['dir'], 'owner': USER, 'group': GROUP, 'mode': '0750'},
              {'dest': files['file'], 'owner': USER, 'group': GROUP, 'mode': '0640', 'content': ''}]
    assert stale_paths(wanted, None) == wanted
    assert stale_paths(wanted, {}) == wanted


def test_a_source_not_made_yet_or_made_again_is_stale(files):
    """Check mode: the controller file is still missing, or holds what the run replaces."""
    item = {'dest': files['file'], 'owner': USER, 'group': GROUP, 'mode': '0640', 'src': files['src']}
    assert stale_paths([item], files['current']) == []
    assert stale_paths([item], files['current'], replaced=[files['src']]) == [item]
    assert stale_paths([item], files['current'], replaced=[files['src'] + '.other']) == []
    missing = dict(item, src=files['missing'])
    assert stale_paths([missing], files['current']) == [missing]


def test_a_source_rewritten_with_a_known_content_is_compared_by_it(files):
    """Check mode after an upgrade: the CA bundle is not on the controller yet (or holds the old
    content), but what the run writes there is known; the member's copy is stale only if it differs."""
    same = hashlib.sha1(b'ETCD_NAME="node1"\n').hexdigest()
    other = hashlib.sha1(b'ETCD_NAME="node2"\n').hexdigest()
    for src in (files['src'], files['missing']):
        item = {'dest': files['file'], 'owner': USER, 'group': GROUP, 'mode': '0640', 'src': src}
        assert stale_paths([item], files['current'], pending={src: same}) == []
        assert stale_paths([item], files['current'], pending={src: other}) == [item]
        # Pending is for the src it names only.
        assert stale_paths([item], files['current'], pending={src + '.other': same}) == ([] if src == files['src'] else [item])
    changed_mode = {'dest': files['file'], 'owner': USER, 'group': GROUP, 'mode': '0600', 'src': files['missing']}
    assert stale_paths([changed_mode], files['current'], pending={files['missing']: same}) == [changed_mode]


def test_a_link_to_a_file_is_stale(files, tmp_path):
    link = tmp_path / 'link.env'
    link.symlink_to(files['file'])
    item = {'dest': str(link), 'owner': USER, 'group': GROUP, 'mode': '0640', 'content': 'ETCD_NAME="node1"\n'}
    assert stale_paths([item], {str(link): path_state(str(link))}) == [item]


def test_only_the_stale_items_are_returned_in_order(files):
    content = 'ETCD_NAME="node1"\n'
    wanted = [
        {'dest': files['missing'], 'owner': USER, 'group': GROUP, 'mode': '0700'},
        {'dest': files['dir'], 'owner': USER, 'group': GROUP, 'mode': '0750'},
        {'dest': files['file'], 'owner': USER, 'group': GROUP, 'mode': '0600', 'content': content},
    ]
    assert stale_paths(wanted, files['current']) == [wanted[0], wanted[2]]
    assert files['current'][files['file']]['sha1'] == hashlib.sha1(content.encode('utf-8')).hexdigest()


def test_a_member_renamed_on_the_same_address_must_be_removed_first():
    hostvars = {'node1': {'ansible_host': '10.87.0.11'}, 'node2': {'ansible_host': '10.87.0.12'},
                'node3': {'ansible_host': '10.87.0.13', 'etcd_member_name': 'renamed'}}
    cluster = etcd_cluster(['node1', 'node2', 'node3'], hostvars, warn=False)
    answers = {'node1': {'header': {'cluster_id': 7}, 'members': [
        {'ID': 1, 'name': 'node1', 'peerURLs': ['https://10.87.0.11:2380']},
        {'ID': 2, 'name': 'node2', 'peerURLs': ['https://10.87.0.12:2380']},
        {'ID': 3, 'name': 'node3', 'peerURLs': ['https://10.87.0.13:2380']}]}}
    with pytest.raises(EtcdPlanError, match='etcd_member_name of node3 is renamed.*as member node3.*etcd_remove'):
        plan_membership(cluster, answers, {'node1': True, 'node2': True, 'node3': True})
    removing = etcd_cluster(['node1', 'node2', 'node3'], hostvars, remove=['node3'], warn=False)
    assert [item['name'] for item in plan_membership(removing, answers, {'node1': True, 'node2': True})['remove']] == ['node3']

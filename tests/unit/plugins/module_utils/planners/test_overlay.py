# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The overlay's settings, flannel's etcd documents, lease planning and subnet.env."""

from __future__ import annotations

import ipaddress
import json
import random

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _overlay
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError

NOW = 1800000000
NETWORK = {'network': '10.5.0.0/16'}


def settings(**values):
    return _overlay.overlay_settings(dict(NETWORK, **values))


# --- settings ------------------------------------------------------------------------------------

@pytest.mark.parametrize('values, expected', [
    ({}, {'subnet_len': 24, 'subnet_min': '10.5.1.0', 'subnet_max': '10.5.255.0', 'vni': 1, 'port': 8472,
          'direct_routing': False, 'prefix': '/coreos.com/network', 'device': 'flannel.1', 'ip_masq': True,
          'tx_checksum_offload': True, 'lease_ttl': _overlay.DEFAULT_LEASE_TTL}),
    # flannel's default SubnetLen: /24 up to a /22 network, else four subnets.
    ({'network': '10.5.0.0/22'}, {'subnet_len': 24, 'subnet_min': '10.5.1.0', 'subnet_max': '10.5.3.0'}),
    ({'network': '10.5.0.0/23'}, {'subnet_len': 25, 'subnet_min': '10.5.0.128', 'subnet_max': '10.5.1.128'}),
    ({'network': '10.5.0.0/28'}, {'subnet_len': 30}),
    ({'subnet_len': 26, 'subnet_min': '10.5.4.0', 'subnet_max': '10.5.4.192/26'},
     {'subnet_len': 26, 'subnet_min': '10.5.4.0', 'subnet_max': '10.5.4.192'}),
    ({'vni': 4096, 'port': '4789', 'direct_routing': 'yes', 'ip_masq': False, 'prefix': '/lab/net/', 'lease_ttl': 0},
     {'vni': 4096, 'port': 4789, 'direct_routing': True, 'device': 'flannel.4096', 'ip_masq': False, 'prefix': '/lab/net',
      'lease_ttl': 0}),
    ({'vni': 16777215, 'device': 'vx0', 'tx_checksum_offload': 'off'},
     {'vni': 16777215, 'device': 'vx0', 'tx_checksum_offload': False}),
])
def test_settings_get_flannels_defaults(values, expected):
    result = settings(**values)
    for key, value in expected.items():
        assert str(result[key]) == str(value) if key.startswith('subnet_m') else result[key] == value


@pytest.mark.parametrize('values, option, problem', [
    ({'network': None}, 'network', 'is required'),
    ({'network': '10.5.0.1/16'}, 'network', 'is not a network'),
    ({'network': 'fd00::/64'}, 'network', 'is not IPv4'),
    ({'network': 'ten'}, 'network', 'is not a network'),
    ({'network': '10.5.0.0/29'}, 'network', 'too small'),
    ({'subnet_len': 16}, 'subnet_len', 'between 18'),
    ({'subnet_len': 17}, 'subnet_len', 'between 18'),
    ({'subnet_len': 31}, 'subnet_len', 'and 30'),
    ({'subnet_len': 'x'}, 'subnet_len', 'is not a prefix length'),
    ({'subnet_min': '10.6.0.0'}, 'subnet_min', 'outside the network'),
    ({'subnet_max': '10.5.3.128'}, 'subnet_max', 'not on a /24 boundary'),
    ({'subnet_min': '10.5.3.0/25'}, 'subnet_min', 'is not a /24'),
    ({'subnet_min': 'first'}, 'subnet_min', 'is not an IPv4 address'),
    ({'subnet_min': '10.5.9.0', 'subnet_max': '10.5.8.0'}, 'subnet_min', 'SubnetMin 10.5.9.0 is above SubnetMax 10.5.8.0'),
    ({'subnet_max': '10.5.0.0'}, 'subnet_max', 'is above SubnetMax'),
    ({'vni': 0}, 'vni', 'out of range (1..16777215)'),
    ({'vni': 16777216}, 'vni', 'out of range'),
    ({'vni': True}, 'vni', 'is not a VNI'),
    ({'port': 0}, 'port', 'out of range (1..65535)'),
    ({'port': 65536}, 'port', 'out of range'),
    ({'device': 'flannel.overlay.1'}, 'device', 'at most 15 bytes'),
    ({'device': 'flan/1'}, 'device', "'/'"),
    ({'device': 'flan 1'}, 'device', "contain ' '"),
    ({'prefix': 'coreos.com'}, 'prefix', 'absolute key path'),
    ({'prefix': '/core os'}, 'prefix', 'absolute key path'),
    ({'direct_routing': 'maybe'}, 'direct_routing', 'not a boolean'),
    ({'lease_ttl': -1}, 'lease_ttl', 'out of range'),
    ({'lease_ttl': 9000000001}, 'lease_ttl', 'out of range'),
])
def test_bad_settings_name_the_setting(values, option, problem):
    names = dict((key, 'fabric_overlay_' + key) for key in ('network', 'subnet_len', 'subnet_min', 'subnet_max', 'vni', 'port',
                                                            'device', 'prefix', 'direct_routing', 'lease_ttl'))
    with pytest.raises(OptionError) as raised:
        _overlay.overlay_settings(dict(NETWORK, **values), names)
    assert raised.value.option == 'fabric_overlay_' + option
    assert problem in raised.value.problem


@pytest.mark.parametrize('underlay_mtu, overlay_mtu', [(1500, 1450), (1330, 1280), (9000, 8950)])
def test_the_overlay_mtu_is_the_underlays_minus_the_vxlan_headers(underlay_mtu, overlay_mtu):
    assert _overlay.check_underlay_mtu('mtu', underlay_mtu) == overlay_mtu


def test_an_underlay_mtu_that_leaves_less_than_1280_is_an_error():
    with pytest.raises(OptionError, match='is 1329, which leaves the overlay an MTU of 1279'):
        _overlay.check_underlay_mtu('ansible_facts.linuxnet_fabric.underlay.mtu', 1329)


@pytest.mark.parametrize('value, problem', [
    ('10.5.7.0/25', 'is not a /24'),
    ('10.5.0.0/24', 'outside the range'),
    ('10.6.7.0/24', 'outside the range'),
    ('10.5.7.1/24', 'is not a network'),
])
def test_a_pinned_subnet_must_be_one_the_overlay_leases(value, problem):
    with pytest.raises(OptionError, match=problem):
        _overlay.pinned_subnet('fabric_node_subnet', value, settings())


# --- flannel's config ------------------------------------------------------------------------------

def test_the_config_document_is_flannels_with_every_value_explicit():
    assert json.loads(_overlay.encoded(_overlay.config_document(settings(vni=7)))) == {
        'Network': '10.5.0.0/16', 'SubnetLen': 24, 'SubnetMin': '10.5.1.0', 'SubnetMax': '10.5.255.0',
        'Backend': {'Type': 'vxlan', 'VNI': 7, 'Port': 8472, 'DirectRouting': False}}
    assert ' ' not in _overlay.encoded(_overlay.config_document(settings()))


@pytest.mark.parametrize('text, differences', [
    # flannel's documentation example: its defaults are ours.
    ('{"Network": "10.5.0.0/16", "Backend": {"Type": "vxlan"}}', []),
    ('{"network": "10.5.0.0/16", "backend": {"type": "VXLAN", "port": 0}}', []),
    ('{"Network": "10.5.0.0/16", "SubnetLen": 24, "Backend": {"Type": "vxlan", "VNI": 1, "Port": 8472}}', []),
    ('{"Network": "10.6.0.0/16", "Backend": {"Type": "vxlan"}}', [('Network', '10.6.0.0/16', '10.5.0.0/16'),
                                                                  ('SubnetMin', '10.6.1.0', '10.5.1.0'),
                                                                  ('SubnetMax', '10.6.255.0', '10.5.255.0')]),
    ('{"Network": "10.5.0.0/16", "SubnetLen": 26, "Backend": {"Type": "vxlan"}}',
     [('SubnetLen', '26', '24'), ('SubnetMin', '10.5.0.64', '10.5.1.0'), ('SubnetMax', '10.5.255.192', '10.5.255.0')]),
    # No Backend: flannel's default is udp.
    ('{"Network": "10.5.0.0/16"}', [('Backend.Type', 'udp', 'vxlan')]),
    ('{"Network": "10.5.0.0/16", "Backend": {"Type": "host-gw"}}', [('Backend.Type', 'host-gw', 'vxlan')]),
    ('{"Network": "10.5.0.0/16", "Backend": {"Type": "vxlan", "VNI": 2, "Port": 4789, "DirectRouting": true}}',
     [('Backend.VNI', '2', '1'), ('Backend.Port', '4789', '8472'), ('Backend.DirectRouting', 'True', 'False')]),
])
def test_an_existing_config_is_compared_with_flannels_defaults_applied(text, differences):
    assert _overlay.config_differences(_overlay.effective_config(text), settings()) == differences


@pytest.mark.parametrize('text, problem', [
    ('not json', 'is not JSON'),
    ('[1]', 'not a JSON object'),
    ('{"Backend": {"Type": "vxlan"}}', "'Network' is required"),
    ('{"Network": "10.5.0.0/16", "Backend": "vxlan"}', 'Backend is not an object'),
    ('{"Network": "10.5.0.0/16", "SubnetLen": 17}', 'SubnetLen'),
])
def test_a_config_flanneld_could_not_read_either_says_why(text, problem):
    with pytest.raises(ValueError, match=problem):
        _overlay.effective_config(text)


# --- keys and lease values -------------------------------------------------------------------------

@pytest.mark.parametrize('key, subnet', [
    ('/coreos.com/network/subnets/10.5.52.0-24', '10.5.52.0/24'),
    ('/coreos.com/network/subnets/10.5.52.128-25', '10.5.52.128/25'),
    ('/coreos.com/network/subnets/10.5.52.1-24', None),
    ('/coreos.com/network/subnets/10.5.52.0-24&fc00:0:0:34::-64', None),
    ('/coreos.com/network/subnets/10.5.52.0', None),
    ('/coreos.com/network/config', None),
    ('/other/subnets/10.5.52.0-24', None),
])
def test_subnet_keys_as_flannel_writes_them(key, subnet):
    parsed = _overlay.subnet_of_key('/coreos.com/network', key)
    assert (str(parsed) if parsed else None) == subnet
    if subnet:
        assert _overlay.subnet_key('/coreos.com/network', parsed) == key


def test_derived_vtep_macs_are_stable_local_and_unicast():
    mac = _overlay.derived_vtep_mac(1, '10.88.0.11')
    assert mac == _overlay.derived_vtep_mac(1, '10.88.0.11')
    assert mac != _overlay.derived_vtep_mac(2, '10.88.0.11') != _overlay.derived_vtep_mac(1, '10.88.0.12')
    assert int(mac[:2], 16) & 0x3 == 0x2


def test_a_lease_value_has_flannels_fields_in_flannels_order_and_our_marker_last():
    text = _overlay.encoded(_overlay.lease_document('10.88.0.11', 1, '0a:00:00:00:00:01', 'overlay', 'node1', 1900000000))
    # What json.Marshal of flannel's LeaseAttrs writes, then the marker flannel ignores.
    assert text == ('{"PublicIP":"10.88.0.11","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,'
                    '"VtepMAC":"0a:00:00:00:00:01"},"LinuxnetFabric":{"Owner":"overlay","Host":"node1","Expires":1900000000}}')


def kv(subnet, value, mod_revision=5, lease=0, prefix='/coreos.com/network'):
    if not isinstance(value, str):
        value = json.dumps(value)
    return {'key': '%s/subnets/%s' % (prefix, subnet.replace('/', '-')), 'value': value, 'mod_revision': mod_revision, 'lease': lease}


def flannel_value(public_ip, mac, vni=1):
    """A lease as flanneld writes it (LeaseAttrs marshalled by encoding/json, flannel pkg/lease/lease.go,
    vxlanLeaseAttrs of pkg/backend/vxlan/vxlan_network.go)."""
    return '{"PublicIP":"%s","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":%d,"VtepMAC":"%s"}}' % (public_ip, vni, mac)


def ours(public_ip, host, mac='0a:00:00:00:00:11', owner='overlay', expires=NOW + _overlay.DEFAULT_LEASE_TTL):
    return _overlay.encoded(_overlay.lease_document(public_ip, 1, mac, owner, host, expires))


@pytest.mark.parametrize('value, problem, public_ip, mac, marker', [
    (flannel_value('10.88.0.12', 'AA:BB:CC:00:00:01'), None, '10.88.0.12', 'aa:bb:cc:00:00:01', None),
    (ours('10.88.0.11', 'node1'), None, '10.88.0.11', '0a:00:00:00:00:11', 'overlay'),
    ('{"publicip": "10.88.0.13", "backendtype": "vxlan", "backenddata": {"vni": 1, "vtepmac": "0a:00:00:00:00:13"}}',
     None, '10.88.0.13', '0a:00:00:00:00:13', None),
    ('garbage', 'is not JSON', None, None, None),
    ('{"PublicIP": null}', 'is not an address', None, None, None),
    ('{"PublicIP": "fd00::1"}', 'is not IPv4', None, None, None),
    ('{"PublicIP": "10.88.0.14", "BackendType": "host-gw"}', "BackendType is 'host-gw'", '10.88.0.14', None, None),
    ('{"PublicIP": "10.88.0.14", "BackendType": "vxlan", "BackendData": {"VtepMAC": "01:00:5e:00:00:01"}}',
     'no unicast VtepMAC', '10.88.0.14', None, None),
])
def test_parse_lease(value, problem, public_ip, mac, marker):
    lease = _overlay.parse_lease('/coreos.com/network', kv('10.5.52.0/24', value))
    assert lease['subnet'] == ipaddress.ip_network('10.5.52.0/24')
    assert lease['problem'] is None if problem is None else problem in lease['problem']
    assert (str(lease['public_ip']) if lease['public_ip'] else None, lease['vtep_mac']) == (public_ip, mac)
    assert (lease['marker'] or {}).get('Owner') == marker


# --- planning --------------------------------------------------------------------------------------

def nodes(*specs):
    return [{'name': name, 'public_ip': ipaddress.ip_address(address), 'subnet': ipaddress.ip_network(subnet) if subnet else None}
            for name, address, subnet in specs]


def plan(current, node_list, **options):
    parsed = [_overlay.parse_lease('/coreos.com/network', item) for item in current]
    return _overlay.plan_leases(options.pop('settings', settings()), node_list, parsed, 'overlay', NOW, **options)


def verbs(planned):
    return [(change['verb'], change['key'].rsplit('/', 1)[-1], change['node']) for change in planned['changes']]


NODE1 = ('node1', '10.88.0.11', None)
NODE2 = ('node2', '10.88.0.12', None)


def test_new_nodes_get_free_subnets_in_the_range_and_different_ones():
    planned = plan([], nodes(NODE1, NODE2))
    assert [change['verb'] for change in planned['changes']] == ['create', 'create']
    subnets = [ipaddress.ip_network(lease['subnet']) for lease in planned['leases'].values()]
    assert len(set(subnets)) == 2
    assert all(subnet.prefixlen == 24 and ipaddress.ip_address('10.5.1.0') <= subnet.network_address for subnet in subnets)
    # The same free set gives the same subnets: check mode predicts what a run takes.
    assert plan([], nodes(NODE1, NODE2))['leases'] == planned['leases']
    document = planned['changes'][0]['document']
    assert document['LinuxnetFabric'] == {'Owner': 'overlay', 'Host': 'node1', 'Expires': NOW + _overlay.DEFAULT_LEASE_TTL}
    assert document['BackendData']['VtepMAC'] == _overlay.derived_vtep_mac(1, '10.88.0.11')


def test_a_node_keeps_its_lease_and_nothing_is_written():
    current = [kv('10.5.40.0/24', ours('10.88.0.11', 'node1'), lease=3)]
    planned = plan(current, nodes(NODE1))
    assert planned['changes'] == []
    assert planned['leases']['node1']['subnet'] == '10.5.40.0/24'


def test_flanneld_leases_are_reused_by_their_node_and_are_peers_of_the_others():
    """What flanneld writes (values as flannel's LeaseAttrs marshal them), read by this collection:
    node1's own flanneld lease is taken over with its subnet and VtepMAC; the lease of a host that is
    not ours (10.88.0.99) is a peer and its subnet is never given to anyone."""
    current = [kv('10.5.40.0/24', flannel_value('10.88.0.11', '5a:11:22:33:44:55'), lease=7),
               kv('10.5.41.0/24', flannel_value('10.88.0.99', '5a:99:99:99:99:99'), lease=8)]
    planned = plan(current, nodes(NODE1, ('node2', '10.88.0.12', '10.5.42.0/24')))
    assert planned['leases']['node1'] == {'key': '/coreos.com/network/subnets/10.5.40.0-24', 'subnet': '10.5.40.0/24',
                                          'public_ip': '10.88.0.11', 'vtep_mac': '5a:11:22:33:44:55', 'vni': 1}
    update = planned['changes'][0]
    assert (update['verb'], update['renew'], update['owned'], update['etcd_lease']) == ('update', True, False, 7)
    assert update['document']['BackendData']['VtepMAC'] == '5a:11:22:33:44:55'
    assert [change['key'] for change in planned['changes'] if 'subnets/10.5.41.0' in change['key']] == []
    assert [(peer['subnet'], peer['owned']) for peer in planned['peers']] == [
        ('10.5.40.0/24', True), ('10.5.41.0/24', False), ('10.5.42.0/24', True)]


def test_subnets_held_by_any_key_are_never_taken():
    settings_four = settings(network='10.5.0.0/22')
    current = [kv('10.5.1.0/24', 'garbage'), kv('10.5.2.0/25', flannel_value('10.88.0.99', '5a:99:99:99:99:99'))]
    planned = plan(current, nodes(NODE1), settings=settings_four)
    assert planned['leases']['node1']['subnet'] == '10.5.3.0/24'
    assert planned['ignored'] == [{'key': '/coreos.com/network/subnets/10.5.1.0-24', 'problem': 'its value is not JSON'}]
    with pytest.raises(OptionError, match='no free subnet is left for node2'):
        plan(current, nodes(NODE1, NODE2), settings=settings_four)


def test_a_pinned_subnet_held_by_someone_else_fails_naming_the_holder():
    current = [kv('10.5.42.0/24', flannel_value('10.88.0.99', '5a:99:99:99:99:99'))]
    with pytest.raises(OptionError, match='node2 asks for the subnet 10.5.42.0/24, which the lease '
                                          '/coreos.com/network/subnets/10.5.42.0-24 holds'):
        plan(current, nodes(('node2', '10.88.0.12', '10.5.42.0/24')))


def test_a_lease_that_no_longer_fits_is_deleted_and_the_node_gets_another():
    current = [kv('10.5.40.0/25', ours('10.88.0.11', 'node1'), lease=9), kv('10.5.50.0/24', flannel_value('10.88.0.12', '5a:12:00:00:00:01'))]
    planned = plan(current, nodes(NODE1, ('node2', '10.88.0.12', '10.5.60.0/24')))
    assert verbs(planned)[:2] == [('delete', '10.5.40.0-25', 'node1'), ('create', planned['leases']['node1']['key'].rsplit('/', 1)[-1], 'node1')]
    assert planned['changes'][0]['etcd_lease'] == 9
    # node2's flanneld lease is of another subnet than the pinned one: deleted, not revoked (its etcd lease is flanneld's).
    assert ('delete', '10.5.50.0-24', 'node2') in verbs(planned)
    assert [change['etcd_lease'] for change in planned['changes'] if change['key'].endswith('10.5.50.0-24')] == [0]
    assert planned['leases']['node2']['subnet'] == '10.5.60.0/24'


def test_a_second_lease_of_ours_for_a_node_is_deleted_and_a_stale_flanneld_one_is_left_alone():
    current = [kv('10.5.40.0/24', ours('10.88.0.11', 'node1'), lease=3), kv('10.5.41.0/24', ours('10.88.0.11', 'node1'), lease=4),
               kv('10.5.30.0/24', flannel_value('10.88.0.11', '5a:00:00:00:00:01'))]
    planned = plan(current, nodes(NODE1))
    assert verbs(planned) == [('delete', '10.5.41.0-24', 'node1')]
    assert planned['changes'][0]['etcd_lease'] == 4
    assert planned['leases']['node1']['subnet'] == '10.5.40.0/24'


def test_a_stale_flanneld_lease_of_an_address_of_ours_is_no_peer():
    current = [kv('10.5.40.0/24', ours('10.88.0.11', 'node1')), kv('10.5.30.0/24', flannel_value('10.88.0.11', '5a:00:00:00:00:01'))]
    planned = plan(current, nodes(NODE1))
    assert [peer['subnet'] for peer in planned['peers']] == ['10.5.40.0/24']


def test_purge_deletes_our_leases_of_removed_nodes_only():
    current = [kv('10.5.40.0/24', ours('10.88.0.11', 'node1'), lease=3), kv('10.5.41.0/24', ours('10.88.0.13', 'node3'), lease=4),
               kv('10.5.42.0/24', ours('10.88.0.14', 'nodex', owner='someone-else')),
               kv('10.5.43.0/24', flannel_value('10.88.0.99', '5a:99:99:99:99:99'))]
    assert plan(current, nodes(NODE1))['changes'] == []
    planned = plan(current, nodes(NODE1), purge=True)
    assert verbs(planned) == [('delete', '10.5.41.0-24', 'node3')]
    assert planned['changes'][0]['etcd_lease'] == 4
    assert [peer['subnet'] for peer in planned['peers']] == ['10.5.40.0/24', '10.5.42.0/24', '10.5.43.0/24']


def test_state_absent_deletes_our_leases_of_the_nodes_and_nothing_else():
    current = [kv('10.5.40.0/24', ours('10.88.0.11', 'node1'), lease=3), kv('10.5.41.0/24', flannel_value('10.88.0.11', '5a:00:00:00:00:01')),
               kv('10.5.42.0/24', ours('10.88.0.12', 'node2'))]
    planned = plan(current, nodes(NODE1), state='absent')
    assert verbs(planned) == [('delete', '10.5.40.0-24', 'node1')]
    assert planned['leases'] == {}


@pytest.mark.parametrize('value, lease, ttl, renew', [
    (ours('10.88.0.11', 'node1', expires=NOW + 100), 3, 1000, True),
    (ours('10.88.0.11', 'node1', expires=NOW + 600), 3, 1000, False),
    (ours('10.88.0.11', 'node1', expires=NOW + 600), 0, 1000, True),
    (ours('10.88.0.11', 'node1', expires=None), 3, 0, True),
    (ours('10.88.0.11', 'node1', expires=None), 0, 0, False),
])
def test_a_lease_of_ours_is_renewed_once_less_than_half_of_its_time_is_left(value, lease, ttl, renew):
    planned = plan([kv('10.5.40.0/24', value, lease=lease)], nodes(NODE1), settings=settings(lease_ttl=ttl))
    assert [change.get('renew') for change in planned['changes']] == ([True] if renew else [])


def test_a_lease_with_other_backend_data_is_rewritten_without_a_new_etcd_lease():
    value = json.loads(ours('10.88.0.11', 'node1'))
    value['BackendData']['VNI'] = 2
    planned = plan([kv('10.5.40.0/24', json.dumps(value), lease=3)], nodes(NODE1))
    assert [(change['verb'], change['renew'], change['document']['BackendData']['VNI']) for change in planned['changes']] == [
        ('update', False, 1)]


# --- subnet.env ------------------------------------------------------------------------------------

def test_subnet_env_is_byte_for_byte_what_flanneld_writes():
    assert _overlay.subnet_env('10.5.0.0/16', '10.5.52.0/24', 1450, True) == (
        'FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.52.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n')
    assert _overlay.subnet_env('10.5.0.0/16', '10.5.52.0/24', 8950, False).endswith('FLANNEL_MTU=8950\nFLANNEL_IPMASQ=false\n')


def test_a_subnet_a_later_node_asks_for_is_never_handed_to_an_earlier_one():
    small = settings(network='10.5.0.0/22')
    for host in range(1, 21):
        free = ('node1', '10.88.0.%d' % host, None)
        planned = plan([], nodes(free, ('node2', '10.88.1.1', '10.5.1.0/24')), settings=small)
        assert planned['leases']['node1']['subnet'] != '10.5.1.0/24'
        assert planned['leases']['node2']['subnet'] == '10.5.1.0/24'


# --- the taken set ---------------------------------------------------------------------------------

def random_subnet(generator):
    """A subnet of 10.5.0.0/16 of any length from /14 (wider than the network) to /32: nested,
    identical, adjacent and far apart ones all come up."""
    if generator.random() < 0.03:
        length = generator.choice((14, 16))
    else:
        length = generator.choice((20, 22, 23, 24, 24, 24, 24, 25, 26, 28, 30, 32))
    return ipaddress.ip_network('10.5.%d.%d/%d' % (generator.randrange(256), generator.randrange(256), length), strict=False)


@pytest.mark.parametrize('seed', range(40))
def test_taken_answers_as_a_scan_of_every_range_would(seed):
    """Taken bisects instead of scanning. Against the plain rule (a candidate overlaps a held range
    when neither ends before the other begins), through adds and removes of overlapping and
    repeated ranges; the samples must contain overlaps and misses both."""
    generator = random.Random(seed)
    held = [random_subnet(generator) for _index in range(generator.randrange(1, 12))]
    taken = _overlay.Taken(held)
    answers = set()
    for _step in range(200):
        if held and generator.random() < 0.2:
            subnet = held.pop(generator.randrange(len(held)))
            taken.remove(subnet)
        elif generator.random() < 0.2:
            subnet = generator.choice(held) if held and generator.random() < 0.5 else random_subnet(generator)
            held.append(subnet)
            taken.add(subnet)
        candidate = random_subnet(generator)
        expected = any(candidate.overlaps(subnet) for subnet in held)
        assert taken.overlaps(candidate) == expected, (candidate, sorted(held))
        answers.add(expected)
    assert answers == {True, False}


@pytest.mark.parametrize('candidate, expected', [
    ('10.5.7.255/32', True),   # its first address is the held range's last
    ('10.5.7.0/32', True),     # its last address is the held range's first
    ('10.5.6.0/23', True),     # holds it
    ('10.5.7.128/25', True),   # inside it
    ('10.5.6.255/32', False),  # one before
    ('10.5.8.0/32', False),    # one after
    ('10.5.6.0/24', False),    # adjacent below
    ('10.5.8.0/24', False),    # adjacent above
])
@pytest.mark.parametrize('held', [['10.5.7.0/24'], ['10.5.7.0/24', '10.5.20.0/22']])  # alone, and with a longer range
def test_taken_counts_a_shared_first_or_last_address_as_an_overlap(held, candidate, expected):
    taken = _overlay.Taken(ipaddress.ip_network(subnet) for subnet in held)
    assert taken.overlaps(ipaddress.ip_network(candidate)) == expected


def test_taken_removes_one_holding_of_a_range_and_refuses_one_it_does_not_hold():
    subnet = ipaddress.ip_network('10.5.7.0/24')
    taken = _overlay.Taken([subnet, subnet, ipaddress.ip_network('10.5.7.0/25')])
    taken.remove(subnet)
    assert taken.overlaps(ipaddress.ip_network('10.5.7.200/32'))
    taken.remove(subnet)
    assert not taken.overlaps(ipaddress.ip_network('10.5.7.200/32'))
    assert taken.overlaps(ipaddress.ip_network('10.5.7.1/32'))
    with pytest.raises(ValueError, match='10.5.7.0/24 is not taken'):
        taken.remove(subnet)


def test_a_thousand_nodes_fill_a_nearly_full_range_in_one_run_each_with_its_own_subnet():
    """1000 nodes claiming from 1023 /24s in one plan (the subnet_leases call of a 1000-node
    overlay): every node gets a subnet of the range, no two the same, and a second plan over what
    the first wrote changes nothing."""
    dense = settings(network='10.4.0.0/14')
    node_list = [{'name': 'node%d' % index, 'public_ip': ipaddress.ip_address('10.200.%d.%d' % (index // 250, index % 250 + 1)),
                  'subnet': None} for index in range(1000)]
    planned = _overlay.plan_leases(dense, node_list, [], 'overlay', NOW)
    subnets = [ipaddress.ip_network(lease['subnet']) for lease in planned['leases'].values()]
    assert len(subnets) == 1000 and len(set(subnets)) == 1000
    assert all(subnet.prefixlen == 24 and dense['subnet_min'] <= subnet.network_address <= dense['subnet_max'] for subnet in subnets)
    written = [_overlay.parse_lease(dense['prefix'], {'key': change['key'], 'value': _overlay.encoded(change['document']),
                                                      'mod_revision': 3, 'lease': 7})
               for change in planned['changes']]
    assert _overlay.plan_leases(dense, node_list, written, 'overlay', NOW)['changes'] == []

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.filter.fabric import PlanError, fabric_plan


def facts(address, endpoints=()):
    """What linuxnet.fabric.fabric_facts returns for a node."""
    return {'linuxnet_fabric': {'underlay': {'address': address, 'interface': 'eth0', 'prefix': 24},
                                'endpoints': list(endpoints)}}


def node(address, **variables):
    base = {'fabric_mode': 'bridge_nat', 'fabric_cluster_cidr': '172.19.0.0/16', 'ansible_facts': facts(address)}
    base.update(variables)
    return base


def three(**per_host):
    hostvars = {'node1': node('10.88.0.11'), 'node2': node('10.88.0.12'), 'node3': node('10.88.0.13')}
    for host, variables in per_host.items():
        hostvars[host].update(variables)
    return hostvars


def test_subnets_come_from_the_nodes_host_numbers():
    plan = fabric_plan(['node1', 'node2', 'node3'], three())
    assert [plan[name]['subnet'] for name in ('node1', 'node2', 'node3')] == ['172.19.11.0/24', '172.19.12.0/24', '172.19.13.0/24']
    assert plan['node1']['bridge_address'] == '172.19.11.1/24'
    assert plan['node1']['peers'] == [{'name': 'node2', 'subnet': '172.19.12.0/24', 'via': '10.88.0.12'},
                                      {'name': 'node3', 'subnet': '172.19.13.0/24', 'via': '10.88.0.13'}]
    assert plan['node1']['routes'] == [{'destination': '172.19.12.0/24', 'gateway': '10.88.0.12'},
                                       {'destination': '172.19.13.0/24', 'gateway': '10.88.0.13'}]


def test_adding_or_removing_a_node_renumbers_nobody():
    hostvars = three()
    hostvars['node0'] = node('10.88.0.5')
    before = fabric_plan(['node1', 'node2', 'node3'], hostvars)
    with_new = fabric_plan(['node0', 'node1', 'node2', 'node3'], hostvars)
    without_one = fabric_plan(['node1', 'node3'], hostvars)
    for name in ('node1', 'node3'):
        assert with_new[name]['subnet'] == before[name]['subnet'] == without_one[name]['subnet']
    assert with_new['node0']['subnet'] == '172.19.5.0/24'


def test_given_subnet_and_prefix():
    plan = fabric_plan(['node1', 'node2'], three(node1={'fabric_node_subnet': '172.19.200.0/25'}))
    assert plan['node1']['subnet'] == '172.19.200.0/25'
    hostvars = three()
    for variables in hostvars.values():
        variables['fabric_node_subnet_prefix'] = 26
    assert fabric_plan(['node1'], hostvars)['node1']['subnet'] == '172.19.2.192/26'


def test_endpoint_addresses_given_kept_then_next_free():
    endpoints = [{'name': 'a'}, {'name': 'b', 'address': '172.19.11.2'}, {'name': 'c'}, {'name': 'd', 'publish': ['8080:80']}]
    existing = [{'name': 'c', 'address': '172.19.11.9/24'}]
    plan = fabric_plan(['node1'], three(node1={'fabric_endpoints': endpoints, 'ansible_facts': facts('10.88.0.11', existing)}))
    assert [(item['name'], item['address']) for item in plan['node1']['endpoints']] == [
        ('a', '172.19.11.3/24'), ('b', '172.19.11.2/24'), ('c', '172.19.11.9/24'), ('d', '172.19.11.4/24')]
    assert plan['node1']['endpoints'][3]['publish'] == ['8080:80']


def test_inserting_an_endpoint_keeps_the_others_addresses():
    first = fabric_plan(['node1'], three(node1={'fabric_endpoints': [{'name': 'a'}, {'name': 'b'}]}))['node1']['endpoints']
    now = [{'name': item['name'], 'address': item['address']} for item in first]
    second = fabric_plan(['node1'], three(node1={'fabric_endpoints': [{'name': 'new'}, {'name': 'a'}, {'name': 'b'}],
                                                 'ansible_facts': facts('10.88.0.11', now)}))['node1']['endpoints']
    assert [item['address'] for item in second[1:]] == [item['address'] for item in first]
    assert second[0]['address'] not in [item['address'] for item in first]


def test_routed_plan_has_slash_32s_and_the_gateway():
    hostvars = three(**dict((name, {'fabric_mode': 'routed'}) for name in ('node1', 'node2', 'node3')))
    hostvars['gw'] = node('10.88.0.20', fabric_mode='routed')
    plan = fabric_plan(['node1', 'node2', 'node3'], hostvars, gateways=['gw'])
    assert plan['node1']['gateway_underlay_address'] == '10.88.0.20'
    assert not plan['node1']['is_gateway'] and plan['gw']['is_gateway']
    assert not plan['gw']['is_node'] and plan['gw']['subnet'] is None
    assert [peer['name'] for peer in plan['gw']['peers']] == ['node1', 'node2', 'node3']
    hostvars['node1']['fabric_endpoints'] = [{'name': 'api'}]
    assert fabric_plan(['node1', 'node2', 'node3'], hostvars, gateways=['gw'])['node1']['endpoints'][0]['address'] == '172.19.11.2/32'


def test_docker_takes_the_upper_half_of_the_subnet():
    plan = fabric_plan(['node1'], three(node1={'bridge_nat_docker': True, 'fabric_endpoints': [{'name': 'a'}]}))['node1']
    assert plan['bridge_address'] == '172.19.11.1/25'
    assert plan['docker_bip'] == '172.19.11.129/25'
    assert plan['endpoints'][0]['address'] == '172.19.11.2/24'


@pytest.mark.parametrize('names, hostvars, gateways, fragments', [
    (['node1', 'node2'], three(node2={'fabric_mode': 'routed'}), [], ['fabric_mode differs', 'node1', 'node2']),
    (['node1'], three(node1={'fabric_mode': 'flat'}), [], ["fabric_mode is 'flat' on node1"]),
    (['node1', 'node2'], three(node2={'fabric_cluster_cidr': '172.20.0.0/16'}), [], ['fabric_cluster_cidr differs', '172.20.0.0/16 on node2']),
    (['node1'], three(node1={'fabric_cluster_cidr': '172.19.0.1/16'}), [], ['fabric_cluster_cidr', 'host bits']),
    (['node1'], three(node1={'fabric_cluster_cidr': 'not-a-cidr'}), [], ['fabric_cluster_cidr', 'not a network']),
    (['node1'], three(node1={'fabric_cluster_cidr': None}), [], ['fabric_cluster_cidr is not set on node1']),
    (['node1'], three(node1={'fabric_node_subnet_prefix': 8}), [], ['fabric_node_subnet_prefix']),
    (['node1'], three(node1={'fabric_node_subnet': '10.1.0.0/24'}), [], ['fabric_node_subnet of node1', 'outside fabric_cluster_cidr']),
    (['node1', 'node2'], three(node2={'fabric_node_subnet': '172.19.11.128/25'}), [], ['node1', 'node2', 'overlap', 'fabric_node_subnet']),
    (['node1', 'node2'], three(node2={'fabric_node_subnet': '172.19.11.0/24'}), [], ['node1', 'node2', 'overlap']),
    (['node1'], three(node1={'fabric_cluster_cidr': '10.88.0.0/16'}), [], ['fabric_cluster_cidr 10.88.0.0/16 overlaps the underlay', 'node1']),
    (['node1', 'node2'], three(node2={'fabric_underlay_address': '10.88.0.11'}), [],
     ['node1 and node2 have the same underlay address', 'fabric_underlay_address']),
    (['node1'], three(node1={'ansible_facts': {}}), [], ['node1 has no underlay address', 'fabric_underlay_address']),
    (['node1', 'node2'], three(**{'node1': {'fabric_mode': 'routed'}, 'node2': {'fabric_mode': 'routed'}}), [], ['fabric_gateway', 'found 0']),
    (['node1'], three(node1={'fabric_endpoints': [{'name': 'a'}, {'name': 'a'}]}), [], ["fabric_endpoints[1] of node1", "'a' is used twice"]),
    (['node1'], three(node1={'fabric_endpoints': [{'name': 'a', 'address': '172.19.12.5'}]}), [],
     ['fabric_endpoints[0] of node1.address', 'not a free address']),
    (['node1'], three(node1={'fabric_endpoints': [{'name': 'a', 'address': '172.19.11.1'}]}), [], ['fabric_endpoints[0] of node1.address']),
    (['node1'], three(node1={'fabric_endpoints': [{'name': 'a', 'address': '172.19.11.5'}, {'name': 'b', 'address': '172.19.11.5'}]}),
     [], ['fabric_endpoints[1] of node1.address', 'also the address of endpoint a']),
    (['node1'], three(node1={'fabric_node_subnet': '172.19.11.0/30', 'fabric_endpoints': [{'name': 'a'}, {'name': 'b'}]}),
     [], ['fabric_endpoints of node1', 'do not fit']),
    (['node1'], three(node1={'ansible_facts': {'default_ipv4': {'address': '10.88.1.44', 'interface': 'eth0', 'prefix': '16'}},
                             'fabric_node_subnet_prefix': 20}), [], ['node1', 'beyond the 16 subnets', 'fabric_node_subnet']),
    (['node1'], three(node1={'ansible_facts': {'linuxnet_fabric': {'underlay': {}}}}), [], ['node1 has no underlay address']),
    ([], three(), [], ['fabric_nodes is empty']),
])
def test_bad_inventory_names_hosts_and_variable(names, hostvars, gateways, fragments):
    with pytest.raises(PlanError) as raised:
        fabric_plan(names, hostvars, gateways)
    for fragment in fragments:
        assert fragment in str(raised.value)

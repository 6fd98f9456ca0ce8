# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.filter.fabric import PlanError, fabric_plan, fabric_plan_problems
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_endpoints import desired_endpoints


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
    # On-link for the endpoints is their half only: Docker's containers, on the other half behind
    # docker0, are reached through the bridge address (with a /24 they were ARPed for on fabric0).
    assert plan['endpoints'][0]['address'] == '172.19.11.2/25'


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
    (['node1'], three(node1={'ansible_facts': {}}), [], ['node1 is not in this run', 'no node of the fabric recorded it',
                                                         'fabric_underlay_address']),
    (['node1', 'node2'], three(**{'node1': {'fabric_mode': 'routed'}, 'node2': {'fabric_mode': 'routed'}}), [], ['fabric_gateway', 'found 0']),
    (['node1'], three(node1={'fabric_endpoints': [{'name': 'a'}, {'name': 'a'}]}), [], ["node1: fabric_endpoints[1].name", "'a' is used twice"]),
    (['node1'], three(node1={'fabric_endpoints': [{'name': 'a', 'address': '172.19.12.5'}]}), [],
     ['node1: fabric_endpoints[0].address', 'not a free address']),
    (['node1'], three(node1={'fabric_endpoints': [{'name': 'a', 'address': '172.19.11.1'}]}), [], ['node1: fabric_endpoints[0].address']),
    (['node1'], three(node1={'fabric_endpoints': [{'name': 'a', 'address': '172.19.11.5'}, {'name': 'b', 'address': '172.19.11.5'}]}),
     [], ['node1: fabric_endpoints[1].address', 'also the address of endpoint a']),
    (['node1'], three(node1={'fabric_node_subnet': '172.19.11.0/30', 'fabric_endpoints': [{'name': 'a'}, {'name': 'b'}]}),
     [], ['node1: fabric_endpoints:', 'do not fit']),
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


# --- overlay ------------------------------------------------------------------------------------------

def overlay_node(address, mtu=1500, **variables):
    base = {'fabric_mode': 'overlay', 'fabric_cluster_cidr': '10.5.0.0/16', 'inventory_dir': '/inv',
            'ansible_facts': {'linuxnet_fabric': {'underlay': {'address': address, 'interface': 'eth0', 'prefix': 24, 'mtu': mtu},
                                                  'endpoints': []}}}
    base.update(variables)
    return base


def overlay_inventory(**per_host):
    hostvars = {'node1': overlay_node('10.88.0.11'), 'node2': overlay_node('10.88.0.12'), 'node3': overlay_node('10.88.0.13')}
    for host, variables in per_host.items():
        hostvars[host].update(variables)
    return hostvars


def every(hostvars, **variables):
    for name in ('node1', 'node2', 'node3'):
        hostvars[name].update(variables)
    return hostvars


def lease(subnet, address, mac, node=None):
    return {'key': '/coreos.com/network/subnets/%s' % subnet.replace('/', '-'), 'subnet': subnet, 'public_ip': address,
            'vtep_mac': mac, 'vni': 1, 'owned': node is not None, 'node': node}


LEASES = {
    'leases': {'node1': lease('10.5.71.0/24', '10.88.0.11', '0a:00:00:00:00:11', 'node1'),
               'node2': lease('10.5.72.0/24', '10.88.0.12', '0a:00:00:00:00:12', 'node2')},
    'peers': [lease('10.5.71.0/24', '10.88.0.11', '0a:00:00:00:00:11', 'node1'),
              lease('10.5.72.0/24', '10.88.0.12', '0a:00:00:00:00:12', 'node2'),
              # A flanneld node on another underlay network.
              lease('10.5.90.0/24', '10.77.0.9', '5a:00:00:00:00:09')],
}


def test_an_overlay_plan_without_leases_asks_for_them_and_checks_everything():
    plan = fabric_plan(['node1', 'node2'], overlay_inventory(), etcd_hosts=['node1', 'node2', 'node3'])
    node1 = plan['node1']
    assert node1['subnet'] is None and node1['endpoints'] == []
    assert node1['overlay'] == {'device': 'flannel.1', 'vni': 1, 'port': 8472, 'mtu': 1450, 'ip_masq': True,
                                'tx_checksum_offload': True, 'direct_routing': False, 'prefix': '/coreos.com/network',
                                'vtep_mac': None, 'peers': []}
    leases = node1['leases']
    assert leases['nodes'] == [{'name': 'node1', 'public_ip': '10.88.0.11', 'subnet': None},
                               {'name': 'node2', 'public_ip': '10.88.0.12', 'subnet': None}]
    assert (leases['network'], leases['subnet_len'], leases['subnet_min'], leases['subnet_max']) == (
        '10.5.0.0/16', 24, '10.5.1.0', '10.5.255.0')
    # The etcd role's cluster and its certificates on the controller.
    assert leases['endpoints'] == ['https://10.88.0.11:2379', 'https://10.88.0.12:2379', 'https://10.88.0.13:2379']
    assert (leases['ca_file'], leases['cert_file'], leases['key_file'], leases['transport']) == (
        '/inv/.etcd-pki/fabric/ca-bundle.crt', '/inv/.etcd-pki/fabric/fabric.crt', '/inv/.etcd-pki/fabric/fabric.key', 'gateway')


def test_the_etcd_roles_private_results_are_not_read():
    """Both planning steps see the same etcd: the one the inventory and the facts describe, not
    what the etcd role registered in between (its private __etcd_info)."""
    hostvars = overlay_inventory()
    etcd_only = {'ansible_host': '10.88.0.40', '__etcd_info': {'underlay_address': '10.88.0.41'}}
    hostvars['etcd1'] = etcd_only
    leases = fabric_plan(['node1', 'node2'], hostvars, etcd_hosts=['etcd1'])['node1']['leases']
    assert leases['endpoints'] == ['https://10.88.0.40:2379']


def test_an_external_etcd_and_etcd_rbac():
    hostvars = every(overlay_inventory(), fabric_overlay_etcd_endpoints=['https://192.0.2.10:2379'],
                     fabric_overlay_etcd_ca_file='/pki/ca.pem', fabric_overlay_etcd_cert_file='/pki/c.pem',
                     fabric_overlay_etcd_key_file='/pki/k.pem', fabric_overlay_etcd_transport='etcdctl')
    leases = fabric_plan(['node1'], hostvars)['node1']['leases']
    assert (leases['endpoints'], leases['ca_file'], leases['transport']) == (['https://192.0.2.10:2379'], '/pki/ca.pem', 'etcdctl')
    hostvars = every(overlay_inventory(), etcd_rbac=True, etcd_pki_dir='/elsewhere/pki')
    leases = fabric_plan(['node1'], hostvars, etcd_hosts=['node1'])['node1']['leases']
    assert (leases['transport'], leases['cert_file']) == ('etcdctl', '/elsewhere/pki/fabric.crt')


def test_an_overlay_plan_with_leases_has_subnets_endpoints_peers_and_routes():
    hostvars = overlay_inventory(node1={'fabric_endpoints': [{'name': 'web1', 'publish': ['8080:80']}, {'name': 'db1'}]})
    plan = fabric_plan(['node1', 'node2'], hostvars, etcd_hosts=['node1'], leases=LEASES)
    node1 = plan['node1']
    assert (node1['subnet'], node1['bridge_address']) == ('10.5.71.0/24', '10.5.71.1/24')
    assert [(item['name'], item['address']) for item in node1['endpoints']] == [('web1', '10.5.71.2/24'), ('db1', '10.5.71.3/24')]
    assert node1['overlay']['vtep_mac'] == '0a:00:00:00:00:11'
    assert node1['overlay']['peers'] == [{'public_ip': '10.88.0.12', 'vtep_mac': '0a:00:00:00:00:12', 'subnet': '10.5.72.0/24'},
                                         {'public_ip': '10.77.0.9', 'vtep_mac': '5a:00:00:00:00:09', 'subnet': '10.5.90.0/24'}]
    assert node1['routes'] == [
        {'destination': '10.5.72.0/24', 'gateway': '10.5.72.0', 'device': 'flannel.1', 'onlink': True},
        {'destination': '10.5.90.0/24', 'gateway': '10.5.90.0', 'device': 'flannel.1', 'onlink': True}]
    assert node1['subnet_env'] == 'FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.71.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n'


def test_direct_routing_reaches_peers_of_the_same_underlay_network_without_vxlan():
    hostvars = every(overlay_inventory(), fabric_overlay_direct_routing=True)
    node1 = fabric_plan(['node1', 'node2'], hostvars, etcd_hosts=['node1'], leases=LEASES)['node1']
    assert node1['routes'][0] == {'destination': '10.5.72.0/24', 'gateway': '10.88.0.12'}
    assert [peer['subnet'] for peer in node1['overlay']['peers']] == ['10.5.90.0/24']
    assert [peer['direct'] for peer in node1['peers']] == [True, False]


def test_docker_gets_the_upper_half_of_the_lease():
    node1 = fabric_plan(['node1', 'node2'], overlay_inventory(node1={'overlay_docker': True}), etcd_hosts=['node1'],
                        leases=LEASES)['node1']
    assert (node1['bridge_address'], node1['docker_bip']) == ('10.5.71.1/25', '10.5.71.129/25')


@pytest.mark.parametrize('variables, per_host, message', [
    ({'fabric_cluster_cidr': '10.5.0.1/16'}, {}, "fabric_cluster_cidr '10.5.0.1/16' is not a network"),
    ({'fabric_cluster_cidr': '10.88.0.0/16'}, {}, 'fabric_cluster_cidr 10.88.0.0/16 overlaps the underlay network 10.88.0.0/24 of node1'),
    ({'fabric_node_subnet_prefix': 17}, {}, 'fabric_node_subnet_prefix 17 must be between 18'),
    ({'fabric_node_subnet_prefix': 31}, {}, 'fabric_node_subnet_prefix 31 must be between 18'),
    ({'fabric_overlay_subnet_min': '10.6.0.0'}, {}, 'fabric_overlay_subnet_min 10.6.0.0 is outside the network'),
    ({'fabric_overlay_subnet_min': '10.5.9.0', 'fabric_overlay_subnet_max': '10.5.8.0'}, {},
     'fabric_overlay_subnet_min leaves no subnet: SubnetMin 10.5.9.0 is above SubnetMax 10.5.8.0'),
    ({'fabric_overlay_vni': 16777216}, {}, 'fabric_overlay_vni 16777216 is out of range (1..16777215)'),
    ({'fabric_overlay_port': 0}, {}, 'fabric_overlay_port 0 is out of range (1..65535)'),
    ({'fabric_overlay_device': 'flannel.overlay.1'}, {}, 'fabric_overlay_device is 17 bytes long'),
    ({'fabric_overlay_device': 'flan 1'}, {}, "fabric_overlay_device must not contain ' '"),
    ({'fabric_overlay_device': 'fl/1'}, {}, "fabric_overlay_device must not contain '/'"),
    ({}, {'node2': {'fabric_overlay_vni': 2}}, 'fabric_overlay_vni differs between hosts: 2 on node2; None on node1'),
    ({}, {'node2': {'fabric_underlay_mtu': 1300}}, 'node2: fabric_underlay_mtu (or the facts\' underlay MTU) is 1300, which leaves '
                                                   'the overlay an MTU of 1250'),
    ({}, {'node1': {'fabric_node_subnet': '10.5.0.0/24'}}, "node1: fabric_node_subnet '10.5.0.0/24' is outside the range"),
    ({}, {'node1': {'fabric_node_subnet': '10.5.7.0/24'}, 'node2': {'fabric_node_subnet': '10.5.7.0/24'}},
     'fabric_node_subnet of node1 (10.5.7.0/24) and of node2 (10.5.7.0/24) overlap'),
    ({}, {'node1': {'fabric_endpoints': [{'name': 'a', 'address': '10.5.7.9'}]}},
     "node1: fabric_endpoints[0].address: an overlay node's subnet comes from its lease"),
    ({}, {'node1': {'fabric_endpoints': [{'name': 'a'}, {'name': 'a'}]}}, "node1: fabric_endpoints[1].name: 'a' is used twice"),
    ({'fabric_overlay_etcd_transport': 'grpc'}, {}, "fabric_overlay_etcd_transport is 'grpc'"),
    ({'fabric_overlay_etcd_endpoints': ['10.88.0.11:2379']}, {}, "fabric_overlay_etcd_endpoints '10.88.0.11:2379' is not an etcd client URL"),
])
def test_bad_overlay_inventory_fails_naming_the_host_and_the_variable(variables, per_host, message):
    hostvars = every(overlay_inventory(), **variables)
    for host, more in per_host.items():
        hostvars[host].update(more)
    with pytest.raises(PlanError) as raised:
        fabric_plan(['node1', 'node2'], hostvars, etcd_hosts=['node1'])
    assert message in str(raised.value)


def test_an_overlay_needs_an_etcd():
    with pytest.raises(PlanError, match='put hosts in the group etcd'):
        fabric_plan(['node1'], overlay_inventory())


def test_a_node_without_a_lease_in_the_result_is_named():
    with pytest.raises(PlanError, match='node3 has no lease'):
        fabric_plan(['node1', 'node2', 'node3'], overlay_inventory(), etcd_hosts=['node1'], leases=LEASES)


def test_an_endpoint_can_have_another_endpoints_namespace():
    endpoints = [{'name': 'side', 'netns_of': 'web'}, {'name': 'web'}]
    plan = fabric_plan(['node1'], three(node1={'fabric_endpoints': endpoints}))['node1']
    assert plan['endpoints'] == [{'name': 'web', 'address': '172.19.11.2/24', 'publish': []},
                                 {'name': 'side', 'address': None, 'publish': [], 'netns_of': 'web'}]


@pytest.mark.parametrize('endpoints, fragment', [
    ([{'name': 'side', 'netns_of': 'nobody'}], "node1: fabric_endpoints[0].netns_of: 'nobody' is not an endpoint of node1"),
    ([{'name': 'web'}, {'name': 'side', 'netns_of': 'web'}, {'name': 'third', 'netns_of': 'side'}],
     "node1: fabric_endpoints[2].netns_of: 'side' is not an endpoint of node1 with a namespace of its own"),
    ([{'name': 'web'}, {'name': 'side', 'netns_of': 'web', 'address': '172.19.11.9'}], 'node1: fabric_endpoints[1].address'),
    ([{'name': 'web'}, {'name': 'side', 'netns_of': 'web', 'publish': ['80:80']}], 'node1: fabric_endpoints[1].publish'),
])
def test_a_bad_netns_of_names_the_host_and_the_variable(endpoints, fragment):
    with pytest.raises(PlanError) as error:
        fabric_plan(['node1'], three(node1={'fabric_endpoints': endpoints}))
    assert fragment in str(error.value)


# Every bad endpoint input the issues reported, through the controller's check: the message names
# the host, the inventory variable with its position, and the value.
BAD_ENDPOINTS = [
    ([{'name': 'eth 0'}], "node2: fabric_endpoints[0].name 'eth 0' must be 1 to 64 letters"),
    ([{'name': 'web'}, {'name': 'a/b'}], "node2: fabric_endpoints[1].name 'a/b' must be 1 to 64 letters"),
    ([{'name': 'web', 'publish': ['80:80/sctpx']}], "node2: fabric_endpoints[0].publish[0] '80:80/sctpx' must look like"),
    ([{'name': 'db'}, {'name': 'web', 'publish': ['99999:80/tcp']}],
     "node2: fabric_endpoints[1].publish[0] '99999:80/tcp': host port 99999 is out of range (1..65535)"),
    ([{'name': 'web', 'publish': ['8080:80', '0:80/tcp']}],
     "node2: fabric_endpoints[0].publish[1] '0:80/tcp': host port 0 is out of range (1..65535)"),
    ([{'name': 'web', 'publish': ['8080:0']}], "node2: fabric_endpoints[0].publish[0] '8080:0': container port 0 is out of range"),
    ([{'name': 'a', 'publish': ['8080:80']}, {'name': 'b', 'publish': ['8080:81/tcp']}],
     "node2: fabric_endpoints[1].publish[0] '8080:81/tcp': tcp port 8080 is also published by fabric_endpoints[0].publish[0]"),
    ([{'name': 'web', 'publish': '8080:80'}], 'node2: fabric_endpoints[0].publish must be a list'),
    ([{'name': 'web', 'docker_container': '-x'}], "node2: fabric_endpoints[0].docker_container '-x' is not a Docker container name"),
    (['web'], 'node2: fabric_endpoints[0] must be a dict'),
    ([{'address': '172.19.12.9'}], "node2: fabric_endpoints[0].name 'None' must be"),
]


@pytest.mark.parametrize('endpoints, message', BAD_ENDPOINTS)
def test_bad_endpoints_are_reported_on_their_host(endpoints, message):
    hostvars = three(node2={'fabric_endpoints': endpoints})
    with pytest.raises(PlanError) as raised:
        fabric_plan(['node1', 'node2', 'node3'], hostvars)
    assert message in str(raised.value)
    problems = fabric_plan_problems(['node1', 'node2', 'node3'], hostvars)
    assert list(problems) == ['node2']
    assert len(problems['node2']) == 1 and message in problems['node2'][0]


@pytest.mark.parametrize('endpoints, message', BAD_ENDPOINTS)
def test_the_controller_and_the_node_reject_the_same_endpoints(endpoints, message):
    """One rule set: what the filter rejects, the endpoints module rejects too (the option named in
    the module's terms)."""
    del message
    items = [dict(item, address='10.0.0.%d/24' % (position + 2)) if isinstance(item, dict) else item
             for position, item in enumerate(endpoints)]
    with pytest.raises(OptionError):
        desired_endpoints({'endpoints': items, 'bridge': 'br0', 'state': 'present'})


def test_problems_of_several_hosts_all_show_in_one_run():
    hostvars = three(node1={'fabric_endpoints': [{'name': 'a b'}]}, node3={'fabric_endpoints': [{'name': 'c', 'publish': ['1:2:3']}]})
    problems = fabric_plan_problems(['node1', 'node2', 'node3'], hostvars)
    assert sorted(problems) == ['node1', 'node3']
    assert problems['node1'][0].startswith('node1: fabric_endpoints[0].name')
    assert problems['node3'][0].startswith('node3: fabric_endpoints[0].publish[0]')


@pytest.mark.parametrize('hostvars, owners', [
    # Named hosts own the problem; "node1" is not "node10".
    (three(node2={'fabric_node_subnet': '10.1.0.0/24'}), ['node2']),
    (three(node3={'fabric_underlay_address': '10.88.0.12'}), ['node2', 'node3']),
    # A cluster-wide setting: every host.
    (three(node1={'fabric_cluster_cidr': 'x'}, node2={'fabric_cluster_cidr': 'x'}, node3={'fabric_cluster_cidr': 'x'}),
     ['node1', 'node2', 'node3']),
])
def test_problems_of_the_whole_plan_go_to_the_hosts_they_name(hostvars, owners):
    problems = fabric_plan_problems(['node1', 'node2', 'node3'], hostvars)
    assert sorted(problems) == owners


def test_no_problems_no_entries():
    assert fabric_plan_problems(['node1', 'node2', 'node3'], three(node1={'fabric_endpoints': [{'name': 'web', 'publish': ['8080:80']}]})) == {}


def test_with_plan_the_check_returns_the_plan_it_computed():
    hostvars = three(node1={'fabric_endpoints': [{'name': 'web', 'publish': ['8080:80']}]})
    checked = fabric_plan_problems(['node1', 'node2', 'node3'], hostvars, with_plan=True)
    assert checked['problems'] == {}
    assert checked['plan'] == fabric_plan(['node1', 'node2', 'node3'], hostvars)
    assert checked['plan']['node1']['endpoints'][0]['name'] == 'web'


def test_with_plan_and_problems_there_is_no_plan():
    checked = fabric_plan_problems(['node1', 'node2', 'node3'], three(node2={'fabric_node_subnet': '10.1.0.0/24'}), with_plan=True)
    assert sorted(checked['problems']) == ['node2'] and checked['plan'] is None


@pytest.mark.parametrize('order', [['node1', 'node2', 'node3', 'node4'], ['node4', 'node3', 'node2', 'node1'],
                                   ['node3', 'node1', 'node4', 'node2']])
def test_overlapping_subnets_are_found_whatever_the_order_and_named_in_inventory_order(order):
    # node4's subnet covers node2's but not its neighbours in address order (node1, node3).
    hostvars = three(node2={'fabric_node_subnet': '172.19.12.128/25'})
    hostvars['node4'] = node('10.88.0.14', fabric_node_subnet='172.19.12.0/24')
    with pytest.raises(PlanError) as raised:
        fabric_plan(order, hostvars)
    first, second = sorted(['node2', 'node4'], key=order.index)
    assert str(raised.value).startswith('the subnets of %s (' % first)
    assert ' and %s (' % second in str(raised.value)


@pytest.mark.parametrize('count', [2, 5, 40])
def test_every_node_has_every_other_as_peer_in_inventory_order(count):
    hostvars = dict(('node%d' % number, node('10.88.0.%d' % number)) for number in range(1, count + 1))
    names = sorted(hostvars, key=lambda name: int(name[4:]))
    plan = fabric_plan(names, hostvars)
    assert len(plan) == count
    for name in names:
        others = [other for other in names if other != name]
        assert [peer['name'] for peer in plan[name]['peers']] == others
        underlays = [hostvars[other]['ansible_facts']['linuxnet_fabric']['underlay']['address'] for other in others]
        assert [route['gateway'] for route in plan[name]['routes']] == underlays
        assert len(plan[name]['routes']) == count - 1 > 0


def recorded(addresses):
    """fabric_facts of a node whose record (on its disk) gives these addresses and that has no
    endpoint on its links (after a reboot)."""
    return {'linuxnet_fabric': {'underlay': {'address': '10.88.0.11', 'interface': 'eth0', 'prefix': 24}, 'endpoints': [],
                                'recorded': {'mode': 'bridge_nat', 'owner': 'bridge_nat', 'addresses': addresses}}}


@pytest.mark.parametrize('endpoints, facts, expected', [
    # After a reboot (no links), reordered: each keeps what the node recorded.
    ([{'name': 'c'}, {'name': 'b'}, {'name': 'a'}], recorded({'a': '172.19.11.2/24', 'b': '172.19.11.3/24', 'c': '172.19.11.4/24'}),
     {'a': '172.19.11.2/24', 'b': '172.19.11.3/24', 'c': '172.19.11.4/24'}),
    # An endpoint removed frees its address; one added gets the first free one; the rest stay.
    ([{'name': 'c'}, {'name': 'new'}], recorded({'a': '172.19.11.2/24', 'b': '172.19.11.3/24', 'c': '172.19.11.4/24'}),
     {'c': '172.19.11.4/24', 'new': '172.19.11.2/24'}),
    # What the node has on its links wins over an older record.
    ([{'name': 'a'}], dict(recorded({'a': '172.19.11.9/24'}), linuxnet_fabric=dict(
        recorded({'a': '172.19.11.9/24'})['linuxnet_fabric'], endpoints=[{'name': 'a', 'address': '172.19.11.7/24'}])),
     {'a': '172.19.11.7/24'}),
    # A recorded address outside the node subnet (the subnet changed) is not kept.
    ([{'name': 'a'}], recorded({'a': '172.19.99.5/24'}), {'a': '172.19.11.2/24'}),
])
def test_recorded_addresses_are_kept(endpoints, facts, expected):
    plan = fabric_plan(['node1'], three(node1={'fabric_endpoints': endpoints, 'ansible_facts': facts}))['node1']
    assert plan['endpoints']
    assert dict((endpoint['name'], endpoint['address']) for endpoint in plan['endpoints']) == expected


@pytest.mark.parametrize('names', [
    ['node1'],                      # node2 and node3 left
    ['node1', 'node2', 'node3'],    # as recorded
    ['node3', 'node1', 'node4'],    # node4 joined, the order changed
])
def test_recorded_addresses_survive_nodes_joining_and_leaving(names):
    """What the plan keeps comes from the node's own record: another controller, with the same
    inventory and the nodes' facts, plans the same addresses."""
    hostvars = three(node1={'fabric_endpoints': [{'name': 'b'}, {'name': 'a'}],
                            'ansible_facts': recorded({'a': '172.19.11.7/24', 'b': '172.19.11.9/24'})})
    hostvars['node4'] = node('10.88.0.14')
    plan = fabric_plan(names, hostvars)['node1']
    assert dict((endpoint['name'], endpoint['address']) for endpoint in plan['endpoints']) == {'a': '172.19.11.7/24', 'b': '172.19.11.9/24'}


def recorded_peers(peers, gateway=None):
    """fabric_facts of node1 whose record says what it was told of its peers."""
    facts = recorded({})
    facts['linuxnet_fabric']['recorded'].update(peers=peers, gateway_underlay_address=gateway)
    return facts


def test_a_node_out_of_the_run_is_planned_from_what_the_others_recorded():
    """--limit node1,node2 (or node3 unreachable): node3 has no facts; node1's record knows it."""
    full = fabric_plan(['node1', 'node2', 'node3'], three())
    hostvars = three(node1={'ansible_facts': recorded_peers(full['node1']['peers'])})
    del hostvars['node3']['ansible_facts']
    limited = fabric_plan(['node1', 'node2', 'node3'], hostvars)
    assert full['node1']['peers'] and limited['node1']['peers'] == full['node1']['peers']
    assert limited['node1']['routes'] == full['node1']['routes']
    assert limited['node2']['routes'] == full['node2']['routes']
    assert fabric_plan_problems(['node1', 'node2', 'node3'], hostvars) == {}


def test_a_routed_gateway_out_of_the_run_comes_from_the_nodes_records():
    routed = dict(fabric_mode='routed')
    hostvars = three(node1=routed, node2=routed, node3=routed)
    hostvars['head'] = node('10.88.0.1', fabric_mode='routed')
    full = fabric_plan(['node1', 'node2', 'node3'], hostvars, ['head'])
    hostvars['node1']['ansible_facts'] = recorded_peers(full['node1']['peers'], full['node1']['gateway_underlay_address'])
    del hostvars['head']['ansible_facts']
    limited = fabric_plan(['node1', 'node2', 'node3'], hostvars, ['head'])
    assert limited['node1']['gateway_underlay_address'] == full['node1']['gateway_underlay_address'] == '10.88.0.1'
    assert limited['node1']['routes'] == full['node1']['routes']


def test_a_node_out_of_the_run_that_nobody_recorded_is_named():
    hostvars = three()
    del hostvars['node3']['ansible_facts']
    with pytest.raises(PlanError) as raised:
        fabric_plan(['node1', 'node2', 'node3'], hostvars)
    assert 'node3 is not in this run' in str(raised.value) and 'fabric_underlay_address' in str(raised.value)


def test_a_numeric_endpoint_name_is_a_name():
    """YAML reads `name: 7` as a number; the endpoints module gets the string '7'."""
    plan = fabric_plan(['node1'], three(node1={'fabric_endpoints': [{'name': 7}]}))['node1']
    assert [endpoint['name'] for endpoint in plan['endpoints']] == ['7']

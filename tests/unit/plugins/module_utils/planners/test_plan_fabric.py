# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.filter.fabric import fabric_plan
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._fabric_node import forward_accept_wanted
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_bridge import desired_bridge
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_endpoints import desired_endpoints
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_fabric import components, fabric_option
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_nat import normalise_rule
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_routes import desired_routes
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_rule import desired_rule
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_vxlan import desired_vxlan

CLUSTER = '172.19.0.0/16'


def node_variables(address, mode, **variables):
    """A host's variables as the plan role sees them: inventory plus linuxnet.fabric.fabric_facts."""
    base = {'fabric_mode': mode, 'fabric_cluster_cidr': CLUSTER,
            'ansible_facts': {'linuxnet_fabric': {'underlay': {'address': address, 'interface': 'eth0', 'prefix': 24},
                                                  'endpoints': []}}}
    base.update(variables)
    return base


def inventory_plan(mode):
    """The fabric_plan filter's result for two nodes (and, routed, a gateway), as roles/plan computes it."""
    endpoints = [{'name': 'web', 'publish': ['8080:80']}, {'name': 'db'}]
    hostvars = {
        'node1': node_variables('10.88.0.11', mode, fabric_endpoints=endpoints),
        'node2': node_variables('10.88.0.12', mode),
        'gw': node_variables('10.88.0.20', mode),
    }
    return fabric_plan(['node1', 'node2'], hostvars, ['gw'] if mode == 'routed' else [])


def params(mode='bridge_nat', state='present', plan=None, **overrides):
    """fabric_node's options, with the module's defaults."""
    values = {'mode': mode, 'state': state, 'plan': plan, 'owner': mode, 'bridge': 'fabric0',
              'bridge_mac': '02:5e:11:a0:3c:7d', 'mtu': None, 'nat_backend': 'nftables', 'forward_backend': 'iptables',
              'route_protocol': 76, 'table': 76, 'rule_priority': 31000, 'forward_accept': 'always'}
    values.update(overrides)
    return values


VALIDATORS = {
    'bridge': desired_bridge,
    'endpoints': desired_endpoints,
    'masquerade': normalise_rule,
    'routes': desired_routes,
    'rules': lambda rules: [desired_rule(rule) for rule in rules],
}


def validated(parts, params=None):
    """Each component through the validation of its own module's planner, as FabricNode does it
    (with `params`, errors renamed to fabric_node's options as FabricNode.naming does)."""
    result = {}
    for component, validator in VALIDATORS.items():
        try:
            result[component] = validator(parts[component]) if parts[component] is not None else None
        except OptionError as error:
            if params is None:
                raise
            raise OptionError(fabric_option(component, error.option, params), error.problem)
    return result


def test_bridge_nat_node_has_bridge_endpoints_masquerade_and_peer_routes():
    plan = inventory_plan('bridge_nat')['node1']
    parts = components(params(plan=plan, mtu=1450))
    assert parts['bridge']['name'] == 'fabric0'
    assert parts['bridge']['state'] == 'present'
    assert parts['bridge']['addresses'] == ['172.19.11.1/24']
    assert parts['bridge']['mac'] == '02:5e:11:a0:3c:7d'
    assert parts['bridge']['mtu'] == 1450
    assert parts['endpoints']['mode'] == 'bridge'
    assert parts['endpoints']['bridge'] == 'fabric0'
    assert parts['endpoints']['subnet'] == '172.19.11.0/24'
    assert parts['endpoints']['purge'] is True
    assert parts['endpoints']['owner'] == 'bridge_nat'
    assert [(item['name'], item['address'], item['publish']) for item in parts['endpoints']['endpoints']] == [
        ('web', '172.19.11.2/24', ['8080:80']), ('db', '172.19.11.3/24', [])]
    # The endpoint options the plan does not carry are left to the endpoints planner's defaults.
    assert all(item['netns'] is None and item['interface'] is None and item['mode'] is None
               for item in parts['endpoints']['endpoints'])
    assert parts['masquerade'] == {'name': 'masquerade', 'state': 'present', 'kind': 'masquerade',
                                   'source': '172.19.11.0/24', 'destination': '!' + CLUSTER}
    assert parts['routes']['routes'] == [{'destination': '172.19.12.0/24', 'gateway': '10.88.0.12'}]
    assert parts['routes']['protocol'] == 76 and parts['routes']['purge'] is True
    assert parts['rules'] == []


def test_bridge_nat_components_pass_their_planners_validation():
    desired = validated(components(params(plan=inventory_plan('bridge_nat')['node1'])))
    assert [address[:2] for address in desired['bridge']['addresses']] == [('172.19.11.1', 24)]
    assert [endpoint['netns'] for endpoint in desired['endpoints']['endpoints']] == ['web', 'db']
    assert [endpoint['mode'] for endpoint in desired['endpoints']['endpoints']] == ['bridge', 'bridge']
    assert desired['endpoints']['endpoints'][0]['publish'][0]['host_ports'] == (8080, 8080)
    assert desired['masquerade']['kind'] == 'masquerade'
    assert [str(route['destination']) for route in desired['routes']['routes']] == ['172.19.12.0/24']


def test_routed_node_has_slash_32_endpoints_rules_and_a_default_route_to_the_gateway():
    plan = inventory_plan('routed')['node1']
    parts = components(params('routed', plan=plan, table=80, rule_priority=1000, route_protocol=90))
    assert parts['bridge'] is None
    assert parts['masquerade'] is None
    assert parts['endpoints']['mode'] == 'routed' and parts['endpoints']['bridge'] is None
    assert [item['address'] for item in parts['endpoints']['endpoints']] == ['172.19.11.2/32', '172.19.11.3/32']
    assert parts['routes']['protocol'] == 90
    assert parts['routes']['routes'] == [
        {'destination': '172.19.12.0/24', 'gateway': '10.88.0.12'},
        {'destination': 'default', 'gateway': '10.88.0.20', 'device': 'eth0', 'table': '80'},
    ]
    assert [(rule['priority'], rule['from'], rule['to'], rule['table'], rule['state']) for rule in parts['rules']] == [
        (1000, None, CLUSTER, 'main', 'present'), (1001, CLUSTER, None, '80', 'present')]
    desired = validated(parts)
    assert [rule['table'] for rule in desired['rules']] == [254, 80]
    assert [endpoint['mode'] for endpoint in desired['endpoints']['endpoints']] == ['routed', 'routed']
    assert desired['routes']['routes'][1]['table'] == 80


def test_routed_gateway_masquerades_the_cluster_and_has_no_rules_or_endpoints():
    plan = inventory_plan('routed')['gw']
    parts = components(params('routed', plan=plan))
    assert parts['endpoints'] is None
    assert parts['bridge'] is None
    assert parts['rules'] == []
    assert parts['masquerade'] == {'name': 'masquerade', 'state': 'present', 'kind': 'masquerade',
                                   'source': CLUSTER, 'destination': '!' + CLUSTER}
    assert [route['destination'] for route in parts['routes']['routes']] == ['172.19.11.0/24', '172.19.12.0/24']
    assert validated(parts)['masquerade']['source'] is not None


@pytest.mark.parametrize('mode, plan', [
    ('bridge_nat', {}),
    ('bridge_nat', None),
    ('bridge_nat', {'mode': 'bridge_nat'}),
    ('routed', {'cluster_cidr': CLUSTER}),
])
def test_absent_removes_everything_the_owner_made_from_a_minimal_plan(mode, plan):
    parts = components(params(mode, state='absent', plan=plan))
    assert parts['masquerade'] == {'name': 'masquerade', 'state': 'absent'}
    assert parts['endpoints']['endpoints'] == [] and parts['endpoints']['purge'] is True
    assert parts['endpoints']['state'] == 'present'
    assert parts['routes']['routes'] == [] and parts['routes']['purge'] is True
    if mode == 'bridge_nat':
        assert parts['bridge']['state'] == 'absent'
        assert parts['bridge']['addresses'] is None and parts['bridge']['mac'] is None
        assert parts['endpoints']['bridge'] is None
        assert parts['rules'] == []
    else:
        assert parts['bridge'] is None
        assert [(rule['priority'], rule['state'], rule['table']) for rule in parts['rules']] == [
            (31000, 'absent', None), (31001, 'absent', None)]
    validated(parts)


def test_absent_with_the_full_plan_removes_as_much_as_with_a_minimal_one():
    for mode in ('bridge_nat', 'routed'):
        for host, plan in inventory_plan(mode).items():
            full = components(params(mode, state='absent', plan=plan))
            minimal = components(params(mode, state='absent', plan={'cluster_cidr': CLUSTER}))
            assert full == minimal, host


def test_the_gateway_removes_its_rules_too_when_absent():
    """A gateway may have been a node before (or the other way round): absent removes both."""
    parts = components(params('routed', state='absent', plan=inventory_plan('routed')['gw']))
    assert len(parts['rules']) == 2
    assert parts['endpoints'] is not None


@pytest.mark.parametrize('overrides, option, fragment', [
    ({'mode': 'flat'}, 'mode', "'flat' must be one of bridge_nat, routed, overlay"),
    ({'plan': None}, 'plan', 'lacks cluster_cidr'),
    ({'plan': {}}, 'plan', 'lacks cluster_cidr'),
    ({'plan': 'node1'}, 'plan', 'must be the dict'),
    ({'plan': {'cluster_cidr': CLUSTER, 'subnet': '172.19.11.0/24'}}, 'plan', 'routes, bridge_address, endpoints;'),
    ({'mode': 'routed'}, 'mode', 'the plan is for a bridge_nat fabric'),
    ({'mode': 'routed', 'state': 'absent', 'plan': {}}, 'plan', 'needs cluster_cidr'),
    ({'mode': 'routed', 'state': 'absent', 'plan': {'cluster_cidr': CLUSTER}, 'rule_priority': 32765}, 'rule_priority',
     '32765 must be between 1 and 32764: the second rule uses the next number'),
    ({'mode': 'routed', 'state': 'absent', 'plan': {'cluster_cidr': CLUSTER}, 'rule_priority': 0}, 'rule_priority', 'between 1 and'),
    ({'mode': 'routed', 'state': 'absent', 'plan': {'mode': 'bridge_nat', 'cluster_cidr': CLUSTER}}, 'mode', 'bridge_nat fabric'),
])
def test_bad_options_name_the_option(overrides, option, fragment):
    values = params(plan=inventory_plan('bridge_nat')['node1'])
    values.update(overrides)
    with pytest.raises(OptionError) as raised:
        components(values)
    assert raised.value.option == option
    assert fragment in raised.value.problem


@pytest.mark.parametrize('component, option, mode, expected', [
    ('bridge', 'mac', 'bridge_nat', 'bridge_mac'),
    ('bridge', 'name', 'bridge_nat', 'bridge'),
    ('bridge', 'mtu', 'bridge_nat', 'mtu'),
    ('bridge', 'addresses', 'bridge_nat', 'plan.bridge_address'),
    ('bridge', 'addresses[0]', 'bridge_nat', 'plan.bridge_address'),
    ('endpoints', 'endpoints[1].address', 'bridge_nat', 'plan.endpoints[1].address'),
    ('endpoints', 'endpoints[0].publish[2]', 'bridge_nat', 'plan.endpoints[0].publish[2]'),
    ('endpoints', 'subnet', 'bridge_nat', 'plan.subnet'),
    ('endpoints', 'owner', 'bridge_nat', 'owner'),
    ('endpoints', 'mtu', 'routed', 'mtu'),
    ('masquerade', 'source', 'bridge_nat', 'plan.subnet'),
    ('masquerade', 'source', 'routed', 'plan.cluster_cidr'),
    ('masquerade', 'destination', 'routed', 'plan.cluster_cidr'),
    ('masquerade', 'owner', 'routed', 'owner'),
    ('routes', 'protocol', 'bridge_nat', 'route_protocol'),
    ('routes', 'routes[0].gateway', 'routed', 'plan.routes[0].gateway'),
    # The routed nodes' default route follows the plan's single route.
    ('routes', 'routes[1].gateway', 'routed', 'plan.gateway_underlay_address'),
    ('routes', 'routes[1].device', 'routed', 'plan.underlay_interface'),
    ('routes', 'routes[1].table', 'routed', 'table'),
    ('rules', 'priority', 'routed', 'rule_priority'),
    ('rules', 'table', 'routed', 'table'),
    ('rules', 'to', 'routed', 'plan.cluster_cidr'),
    ('rules', 'from', 'routed', 'plan.cluster_cidr'),
    ('bridge', None, 'bridge_nat', None),
])
def test_planner_options_are_named_as_fabric_node_options(component, option, mode, expected):
    plan = {'routes': [{'destination': '172.19.12.0/24', 'gateway': '10.88.0.12'}]}
    assert fabric_option(component, option, params(mode, plan=plan)) == expected


@pytest.mark.parametrize('mode, overrides, plan_changes, option', [
    ('bridge_nat', {'bridge_mac': 'not-a-mac'}, {}, 'bridge_mac'),
    ('bridge_nat', {'bridge': 'a name that is too long'}, {}, 'bridge'),
    ('bridge_nat', {'mtu': 70000}, {}, 'mtu'),
    ('bridge_nat', {'owner': 'no spaces'}, {}, 'owner'),
    ('bridge_nat', {'route_protocol': 2}, {}, 'route_protocol'),
    ('bridge_nat', {}, {'bridge_address': '172.19.11.1/33'}, 'plan.bridge_address'),
    ('bridge_nat', {}, {'subnet': 'nonsense'}, 'plan.subnet'),
    ('bridge_nat', {}, {'endpoints': [{'name': 'web', 'address': '10.1.1.1/24', 'publish': []}]}, 'plan.endpoints[0].address'),
    ('bridge_nat', {}, {'endpoints': [{'name': 'web', 'address': '172.19.11.2/24', 'publish': ['x']}]}, 'plan.endpoints[0].publish[0]'),
    ('bridge_nat', {}, {'routes': [{'destination': '172.19.12.1/24', 'gateway': '10.88.0.12'}]}, 'plan.routes[0].destination'),
    ('routed', {'rule_priority': 32764}, {}, None),
    ('routed', {'rule_priority': 32765}, {}, 'rule_priority'),
    ('routed', {'table': 0}, {}, 'table'),
    ('routed', {}, {'gateway_underlay_address': 'nowhere'}, 'plan.gateway_underlay_address'),
    ('routed', {}, {'cluster_cidr': '172.19.0.1/16'}, 'plan.cluster_cidr'),
])
def test_bad_values_for_the_planners_name_the_fabric_node_option(mode, overrides, plan_changes, option):
    """What FabricNode does: each component through its planner, OptionError renamed."""
    plan = dict(inventory_plan(mode)['node1'], **plan_changes)
    values = params(mode, plan=plan, **overrides)
    if option is None:
        validated(components(values), values)
        return
    with pytest.raises(OptionError) as raised:
        validated(components(values), values)
    assert raised.value.option == option


# --- overlay ------------------------------------------------------------------------------------------

OVERLAY_LEASES = {
    'leases': {'node1': {'subnet': '10.5.71.0/24', 'public_ip': '10.88.0.11', 'vtep_mac': '0a:00:00:00:00:11', 'vni': 1},
               'node2': {'subnet': '10.5.72.0/24', 'public_ip': '10.88.0.12', 'vtep_mac': '0a:00:00:00:00:12', 'vni': 1}},
    'peers': [{'subnet': '10.5.71.0/24', 'public_ip': '10.88.0.11', 'vtep_mac': '0a:00:00:00:00:11', 'node': 'node1'},
              {'subnet': '10.5.72.0/24', 'public_ip': '10.88.0.12', 'vtep_mac': '0a:00:00:00:00:12', 'node': 'node2'}],
}


def overlay_plan(**variables):
    endpoints = [{'name': 'web', 'publish': ['8080:80']}, {'name': 'db'}]
    hostvars = {name: node_variables(address, 'overlay', fabric_cluster_cidr='10.5.0.0/16', inventory_dir='/inv', **variables)
                for name, address in (('node1', '10.88.0.11'), ('node2', '10.88.0.12'))}
    hostvars['node1']['fabric_endpoints'] = endpoints
    return fabric_plan(['node1', 'node2'], hostvars, etcd_hosts=['node1'], leases=OVERLAY_LEASES)


def test_an_overlay_node_has_the_vxlan_device_flannels_rules_and_every_peer_route():
    plan = overlay_plan()['node1']
    parts = components(params('overlay', plan=plan, mtu=1450))
    vxlan = parts['vxlan']
    assert (vxlan['name'], vxlan['local'], vxlan['underlay'], vxlan['mac'], vxlan['subnet'], vxlan['mtu']) == (
        'flannel.1', '10.88.0.11', 'eth0', '0a:00:00:00:00:11', '10.5.71.0/24', 1450)
    assert vxlan['peers'] == [{'public_ip': '10.88.0.12', 'vtep_mac': '0a:00:00:00:00:12', 'subnet': '10.5.72.0/24'}]
    assert (vxlan['purge_peers'], vxlan['peer_routes'], vxlan['tx_checksum_offload']) == (True, False, True)
    assert parts['routes']['routes'] == [{'destination': '10.5.72.0/24', 'gateway': '10.5.72.0', 'device': 'flannel.1', 'onlink': True}]
    assert parts['bridge']['addresses'] == ['10.5.71.1/24'] and parts['endpoints']['bridge'] == 'fabric0'
    assert parts['masquerade'] is None
    rules = [normalise_rule(rule) for rule in parts['nat_rules']]
    assert [(rule['name'], rule['kind'], rule['source'], rule['destination'], rule['out_interface']) for rule in rules] == [
        ('masquerade', 'masquerade', '10.5.71.0/24', '!10.5.0.0/16', None),
        ('masquerade-to-overlay', 'masquerade', '!10.5.0.0/16', '10.5.0.0/16', 'flannel.1'),
        ('forward-from-cluster', 'accept', '10.5.0.0/16', None, None),
        ('forward-to-cluster', 'accept', None, '10.5.0.0/16', None),
        ('forward-underlay-hairpin', 'accept', None, None, None)]
    validated(parts)
    assert desired_vxlan(vxlan)['peers'][0]['gateway'] == '10.5.72.0'


def test_without_ip_masq_the_masquerades_go_and_the_forward_accepts_stay():
    plan = overlay_plan(fabric_overlay_ip_masq=False)['node1']
    rules = components(params('overlay', plan=plan))['nat_rules']
    assert [(rule['name'], rule['state']) for rule in rules] == [
        ('masquerade', 'absent'), ('masquerade-to-overlay', 'absent'), ('forward-from-cluster', 'present'),
        ('forward-to-cluster', 'present'), ('forward-underlay-hairpin', 'absent')]


@pytest.mark.parametrize('mode', ['bridge_nat', 'routed'])
def test_every_fabric_accepts_the_cluster_in_forward_so_dockers_drop_policy_cannot_cut_it(mode):
    plan = inventory_plan(mode)['node1']
    rules = [normalise_rule(rule) for rule in components(params(mode, plan=plan))['nat_rules']]
    assert [(rule['name'], rule['state'], rule['kind'], rule['source'], rule['destination']) for rule in rules] == [
        ('forward-from-cluster', 'present', 'accept', CLUSTER, None), ('forward-to-cluster', 'present', 'accept', None, CLUSTER),
        ('forward-underlay-hairpin', 'absent', 'accept', None, None)]


def test_the_routed_gateway_forwards_node_to_node_replies_back_out_on_the_underlay():
    plan = inventory_plan('routed')['gw']
    rules = [normalise_rule(rule) for rule in components(params('routed', plan=plan))['nat_rules']]
    hairpin = [rule for rule in rules if rule['name'] == 'forward-underlay-hairpin']
    assert [(rule['state'], rule['in_interface'], rule['out_interface']) for rule in hairpin] == [('present', 'eth0', 'eth0')]


@pytest.mark.parametrize('mode', ['bridge_nat', 'routed', 'overlay'])
@pytest.mark.parametrize('state, forward_accept', [('present', 'never'), ('absent', 'always')])
def test_forward_accepts_go_when_turned_off_or_with_the_fabric(mode, state, forward_accept):
    plan = overlay_plan()['node1'] if mode == 'overlay' else inventory_plan(mode)['node1']
    rules = components(params(mode, state=state, plan=plan, forward_accept=forward_accept))['nat_rules']
    accepts = [(rule['name'], rule['state']) for rule in rules if rule['kind'] == 'accept']
    assert accepts == [('forward-from-cluster', 'absent'), ('forward-to-cluster', 'absent'), ('forward-underlay-hairpin', 'absent')]


def test_an_overlay_node_is_removed_from_the_device_name_alone():
    parts = components(params('overlay', state='absent', plan={'overlay': {'device': 'flannel.7'}}))
    assert parts['vxlan'] == {'name': 'flannel.7', 'netns': None, 'state': 'absent', 'vni': None, 'force': False}
    assert [(rule['name'], rule['state'], rule['kind']) for rule in parts['nat_rules']] == [
        ('masquerade', 'absent', 'masquerade'), ('masquerade-to-overlay', 'absent', 'masquerade'),
        ('forward-from-cluster', 'absent', 'accept'), ('forward-to-cluster', 'absent', 'accept'),
        ('forward-underlay-hairpin', 'absent', 'accept')]
    assert parts['bridge']['state'] == 'absent' and parts['routes']['routes'] == []
    assert desired_vxlan(parts['vxlan'])['state'] == 'absent'
    with pytest.raises(OptionError, match='needs overlay.device'):
        components(params('overlay', state='absent', plan={}))


@pytest.mark.parametrize('remove, missing', [
    ('overlay', 'overlay'),
    ('overlay.vtep_mac', 'overlay.vtep_mac'),
    ('overlay.peers', 'overlay.peers'),
])
def test_an_overlay_plan_without_its_lease_part_is_refused(remove, missing):
    plan = overlay_plan()['node1']
    if '.' in remove:
        plan = dict(plan, overlay=dict((key, value) for key, value in plan['overlay'].items() if key != remove.split('.')[1]))
    else:
        plan = dict((key, value) for key, value in plan.items() if key != remove)
    with pytest.raises(OptionError) as raised:
        components(params('overlay', plan=plan))
    assert raised.value.option == 'plan' and 'lacks %s' % missing in raised.value.problem


def test_vxlan_messages_name_the_plan_key():
    assert fabric_option('vxlan', 'peers[0].vtep_mac', params('overlay')) == 'plan.overlay.peers[0].vtep_mac'
    assert fabric_option('vxlan', 'mac', params('overlay')) == 'plan.overlay.vtep_mac'
    assert fabric_option('nat_rules', 'out_interface', params('overlay')) == 'plan.overlay.device'


@pytest.mark.parametrize('setting, tables, wanted', [
    ('auto', {'nat', 'filter'}, 'always'),   # a firewall's (or Docker's) filter table
    ('auto', {'nat'}, 'never'),              # nothing drops in FORWARD; no filter table made for nothing
    ('auto', set(), 'never'),
    ('always', set(), 'always'),
    ('never', {'filter'}, 'never'),
])
def test_auto_accepts_where_something_can_drop_in_forward(setting, tables, wanted):
    assert forward_accept_wanted(setting, tables) == wanted


def test_forward_accept_must_be_one_of_its_choices():
    with pytest.raises(OptionError) as error:
        components(params('bridge_nat', plan=inventory_plan('bridge_nat')['node1'], forward_accept='sometimes'))
    assert error.value.option == 'forward_accept'


# --- cases found by the mutation check (tests/mutation/run.py) --------------------------------------

@pytest.mark.parametrize('priority', [1, 32764])
def test_rule_priorities_at_the_ends_of_the_range_are_accepted(priority):
    parts = components(params(mode='routed', state='absent', plan={'cluster_cidr': CLUSTER}, rule_priority=priority))
    assert [rule['priority'] for rule in parts['rules']] == [priority, priority + 1]


def test_endpoints_keep_nothing_unless_the_boot_time_restore_says_so():
    plan = inventory_plan('bridge_nat')['node1']
    assert components(params(plan=plan))['endpoints']['keep'] == []
    assert components(params(plan=dict(plan, restore_keeps=['dweb'])))['endpoints']['keep'] == ['dweb']

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's network objects, planned by the product's planners (what the lab engine applies)."""

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.lab._lab_network import LabNetwork, controller_table, machine_netns
from ansible_collections.linuxnet.fabric.plugins.module_utils.lab._lab_plan import machine_mac, plan_lab
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_bridge import plan_bridge
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_route import plan_route
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_veth import plan_veth

AF_INET = 2
TABLE = controller_table('unit')


def network(**changes):
    params = dict({'name': 'unit', 'directory': '/var/tmp/unit-lab', 'lan_cidr': '10.1.0.0/16',
                   'machines': ['node1', {'name': 'out', 'segment': 'outside', 'address': '203.0.113.10'}]}, **changes)
    return LabNetwork(plan_lab(params))


def link(name, index, kind='veth', up=True, master=None, peer_index=None, peer_netnsid=None):
    return {'name': name, 'index': index, 'kind': kind, 'up': up, 'mtu': 1500, 'mac': '02:00:00:00:00:%02x' % index,
            'master': master, 'peer_index': peer_index, 'peer_netnsid': peer_netnsid, 'info_data': {}, 'port_data': {}}


def nothing_yet():
    return {'end': None, 'end_addresses': [], 'peer_end': None, 'peer_addresses': [], 'actual_peer': None}


def rule(table, source=None, priority=32000):
    return {'family': AF_INET, 'priority': priority, 'table': table, 'action': 1, 'src': source, 'src_len': 32 if source else 0,
            'dst': None, 'dst_len': 0, 'iif': None, 'oif': None, 'fwmark': None}


def test_names_of_the_lab_objects():
    lab = network()
    assert (lab.switch_netns, lab.router_netns, lab.controller_link) == ('unit-lan', 'unit-router', 'unit-ctl')
    assert lab.controller_table == TABLE
    assert machine_netns(4321) == '/proc/4321/ns/net'


@pytest.mark.parametrize('position, bridge, address, gateway', [
    (0, 'lan0', ('10.1.0.2', 16, 4), '10.1.0.1'),
    (1, 'wan0', ('203.0.113.10', 24, 4), '203.0.113.1'),
])
def test_a_machine_gets_its_port_mac_address_and_default_route_on_its_segment(position, bridge, address, gateway):
    lab = network()
    machine = lab.spec['machines'][position]
    netns = machine_netns(100)
    port = lab.machine_port(machine, netns)
    assert (port['name'], port['netns'], port['peer'], port['peer_netns']) == (machine['name'], 'unit-lan', 'eth0', netns)
    assert port['peer_mac'] == machine_mac('unit', machine['name'])
    assert port['peer_addresses'] == [address]
    # A new machine: the veth planner creates the pair with the MAC, gives eth0 the address and
    # brings both ends up, the actions the veth module would take.
    plan = plan_veth(port, nothing_yet())
    assert plan.descriptions() == [
        'create veth %s (mac=None, mtu=None, netns=unit-lan, peer=eth0, peer_mac=%s, peer_netns=%s)' % (
            machine['name'], port['peer_mac'], netns),
        'add address %s/%s (link=eth0, netns=%s)' % (address[0], address[1], netns),
        'set link %s (netns=unit-lan, state=up)' % machine['name'],
        'set link eth0 (netns=%s, state=up)' % netns,
    ]
    assert lab.switch_bridge(machine['segment'], machine['name'])['name'] == bridge
    route = plan_route(lab.machine_default_route(machine, netns),
                       {'routes': [], 'link_names': {7: 'eth0'}, 'local_addresses': [address[0]]})
    assert route.descriptions() == ['replace route 0.0.0.0/0 (device=eth0, gateway=%s, netns=%s, scope=global)' % (gateway, netns)]


def test_a_port_left_over_in_the_switch_is_replaced():
    # The switch is the lab's: a machine's old port (its peer went with the old machine) goes.
    lab = network()
    port = lab.machine_port(lab.spec['machines'][0], machine_netns(100))
    current = dict(nothing_yet(), end=link('node1', 5, peer_index=9, peer_netnsid=3), actual_peer='interface #9 in another namespace')
    texts = plan_veth(port, current).descriptions()
    assert texts[0] == 'delete link node1 (netns=unit-lan)'
    assert texts[1].startswith('create veth node1 ')


def test_a_foreign_link_with_the_controllers_name_is_not_replaced():
    lab = network()
    current = dict(nothing_yet(), end=link('unit-ctl', 5, kind='bridge'))
    with pytest.raises(Exception) as raised:
        plan_veth(lab.controller_veth(), current)
    assert "'unit-ctl' exists in the node namespace but is a bridge, not a veth" in str(raised.value)


def test_the_controller_link_and_the_router_ports_carry_the_lab_addresses():
    lab = network()
    assert lab.controller_veth()['addresses'] == [('10.1.255.254', 16, 4)]
    assert (lab.controller_veth()['netns'], lab.controller_veth()['peer_netns']) == (None, 'unit-lan')
    assert lab.router_port('lan')['peer_addresses'] == [('10.1.0.1', 16, 4)]
    assert (lab.router_port('outside')['name'], lab.router_port('outside')['peer']) == ('router-out', 'eth1')
    assert lab.router_port('outside')['peer_addresses'] == [('203.0.113.1', 24, 4)]
    removal = lab.controller_veth(state='absent')
    assert removal['state'] == 'absent' and removal['force']
    assert plan_veth(removal, dict(nothing_yet(), end=link('unit-ctl', 5, peer_index=2, peer_netnsid=0))).descriptions() == [
        'delete link unit-ctl (netns=None)']


def test_a_port_joins_its_bridge_and_other_ports_stay():
    lab = network()
    bridge = link('lan0', 2, kind='bridge')
    current = {'bridge': bridge, 'addresses': [], 'ports': [link('router', 3, master=2)],
               'named_ports': {'controller': link('controller', 4)}}
    assert plan_bridge(lab.switch_bridge('lan', 'controller'), current).descriptions() == [
        'set link controller (master=lan0, netns=unit-lan)']
    # The bridge alone: up, ports untouched.
    assert plan_bridge(lab.switch_bridge('lan'), dict(current, named_ports={})).descriptions() == []
    assert plan_bridge(lab.switch_bridge('outside'), {'bridge': None, 'addresses': [], 'ports': [], 'named_ports': {}}).descriptions() == [
        'create bridge wan0 (mac=None, mtu=None, netns=unit-lan, stp=None, vlan_filtering=None)',
        'set link wan0 (netns=unit-lan, state=up)',
    ]


def test_the_controller_rule_is_added_once():
    lab = network()
    assert lab.plan_controller_rules([rule(254, priority=32766)]).descriptions() == ['add rule 32000: from 10.1.255.254/32 lookup %d (netns=None)' % TABLE]
    assert lab.plan_controller_rules([rule(TABLE, '10.1.255.254')]).descriptions() == []


def test_a_rule_of_the_labs_table_for_another_address_goes_first():
    lab = network()
    rules = [rule(TABLE, '10.9.0.254'), rule(254, '10.9.0.254', priority=100), rule(254, priority=32766)]
    assert lab.plan_controller_rules(rules).descriptions() == [
        'delete rule 32000: from 10.9.0.254/32 lookup %d (netns=None)' % TABLE,
        'add rule 32000: from 10.1.255.254/32 lookup %d (netns=None)' % TABLE,
    ]
    # Removing the lab deletes every rule of its table and no other.
    assert lab.plan_controller_rules(rules + [rule(TABLE, '10.1.255.254')], state='absent').descriptions() == [
        'delete rule 32000: from 10.9.0.254/32 lookup %d (netns=None)' % TABLE,
        'delete rule 32000: from 10.1.255.254/32 lookup %d (netns=None)' % TABLE,
    ]
    assert lab.plan_controller_rules(rules[1:], state='absent').descriptions() == []


def test_the_controller_route_goes_to_the_router_in_the_labs_table():
    lab = network()
    desired = lab.controller_route()
    links = {9: 'unit-ctl'}
    plan = plan_route(desired, {'routes': [], 'link_names': links, 'local_addresses': ['10.1.255.254']})
    assert plan.descriptions() == ['replace route 203.0.113.0/24 (device=unit-ctl, gateway=10.1.0.1, netns=None, scope=global, table=%d)' % TABLE]
    there = {'family': AF_INET, 'dst': '203.0.113.0', 'prefixlen': 24, 'gateway': '10.1.0.1', 'oif': 9, 'prefsrc': None, 'priority': None,
             'table': TABLE, 'scope': 0, 'proto': 4, 'type': 1, 'flags': 0}
    assert plan_route(desired, {'routes': [there], 'link_names': links, 'local_addresses': []}).descriptions() == []
    # The same route in the main table is not the lab's.
    assert plan_route(desired, {'routes': [dict(there, table=254)], 'link_names': links, 'local_addresses': []}).actions

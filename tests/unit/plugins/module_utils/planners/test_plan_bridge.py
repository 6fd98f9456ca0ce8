# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_bridge import desired_bridge, plan_bridge


def params(**changes):
    base = {'name': 'br0', 'netns': None, 'state': 'present', 'addresses': None, 'mtu': None, 'mac': None,
            'stp': None, 'vlan_filtering': None, 'ports': None, 'purge_ports': False, 'force': False}
    base.update(changes)
    return base


def link(name, index, kind=None, master=None, hairpin=False, stp=0, up=True):
    return {'name': name, 'index': index, 'kind': kind, 'up': up, 'mtu': 1500, 'mac': '02:00:00:00:00:%02x' % index,
            'master': master, 'info_data': {'IFLA_BR_STP_STATE': stp, 'IFLA_BR_VLAN_FILTERING': 0} if kind == 'bridge' else {},
            'port_data': {'IFLA_BRPORT_MODE': int(hairpin)} if master else {}}


BRIDGE = link('br0', 3, kind='bridge')
P1 = link('p1', 4, kind='veth', master=3, hairpin=True)
P2 = link('p2', 5, kind='veth', master=3)
LOOSE = link('p9', 6, kind='veth')


def current(bridge='default', ports=(P1, P2), named=(), addresses=()):
    bridge = BRIDGE if bridge == 'default' else bridge
    return {'bridge': bridge, 'addresses': list(addresses), 'ports': list(ports) if bridge else [],
            'named_ports': dict((port['name'], port) for port in list(ports) + list(named))}


def test_new_bridge_is_created_configured_and_up():
    plan = plan_bridge(desired_bridge(params(addresses=['10.1.0.1/24'], stp=True, ports=[{'name': 'p9', 'hairpin': True}])),
                       current(bridge=None, ports=(), named=(LOOSE,)))
    assert plan.descriptions() == [
        'create bridge br0 (mac=None, mtu=None, netns=None, stp=True, vlan_filtering=None)',
        'add address 10.1.0.1/24 (link=br0, netns=None)',
        'set link p9 (master=br0, netns=None)',
        'set port p9 (hairpin=True, netns=None)',
        'set link br0 (netns=None, state=up)',
    ]
    assert plan.diff()['after']['ports'] == {'p9': {'hairpin': True}}


def test_matching_bridge_is_unchanged():
    plan = plan_bridge(desired_bridge(params(ports=[{'name': 'p1', 'hairpin': True}, {'name': 'p2'}])), current())
    assert not plan.changed


@pytest.mark.parametrize('changes, expected', [
    ({'stp': True}, ['set bridge br0 (netns=None, stp=True)']),
    ({'stp': False}, []),
    ({'mtu': 1450}, ['set link br0 (mtu=1450, netns=None)']),
    ({'ports': [{'name': 'p1', 'hairpin': False}]}, ['set port p1 (hairpin=False, netns=None)']),
    ({'ports': [{'name': 'p1'}], 'purge_ports': True}, ['set link p2 (master=, netns=None)']),
    ({'ports': [{'name': 'p9'}]}, ['set link p9 (master=br0, netns=None)']),
])
def test_updates(changes, expected):
    assert plan_bridge(desired_bridge(params(**changes)), current(named=(LOOSE,))).descriptions() == expected


def test_a_down_bridge_is_brought_up():
    assert plan_bridge(desired_bridge(params()), current(bridge=link('br0', 3, kind='bridge', up=False))).descriptions() == [
        'set link br0 (netns=None, state=up)']


def test_a_non_bridge_is_an_error_even_with_force():
    with pytest.raises(FabricError, match="exists but is not a bridge"):
        plan_bridge(desired_bridge(params(force=True)), current(bridge=link('br0', 3, kind='veth')))


def test_absent_refuses_unknown_ports_unless_force():
    with pytest.raises(FabricError, match='still has ports not listed in ports: p2'):
        plan_bridge(desired_bridge(params(state='absent', ports=[{'name': 'p1'}])), current())
    assert plan_bridge(desired_bridge(params(state='absent', ports=[{'name': 'p1'}, {'name': 'p2'}])), current()).descriptions() == [
        'delete link br0 (netns=None)']
    assert plan_bridge(desired_bridge(params(state='absent', force=True)), current()).descriptions() == ['delete link br0 (netns=None)']
    assert not plan_bridge(desired_bridge(params(state='absent')), current(bridge=None)).changed


def test_missing_port_names_the_option():
    with pytest.raises(OptionError) as raised:
        plan_bridge(desired_bridge(params(ports=[{'name': 'p1'}, {'name': 'ghost'}])), current())
    assert raised.value.option == 'ports[1].name'


@pytest.mark.parametrize('changes, option', [
    ({'name': 'b' * 16}, 'name'),
    ({'addresses': ['nonsense']}, 'addresses[0]'),
    ({'mtu': 0}, 'mtu'),
    ({'ports': [{'name': 'p1'}, {'name': 'p1'}]}, 'ports[1].name'),
    ({'ports': [{'name': 'br0'}]}, 'ports[0].name'),
    ({'purge_ports': True}, 'purge_ports'),
])
def test_bad_input_names_the_option(changes, option):
    with pytest.raises(OptionError) as raised:
        desired_bridge(params(**changes))
    assert raised.value.option == option


# --- cases found by the mutation check (tests/mutation/run.py) --------------------------------------

def test_the_diff_of_a_new_bridge_shows_the_kernel_defaults_for_options_not_set():
    plan = plan_bridge(desired_bridge(params()), current(bridge=None, ports=()))
    assert plan.diff()['after'] == {'exists': True, 'kind': 'bridge', 'state': 'up', 'mtu': None, 'mac': None, 'addresses': [],
                                    'stp': False, 'vlan_filtering': False, 'ports': {}}


def test_the_diff_of_a_matching_bridge_is_the_bridge_as_it_is():
    plan = plan_bridge(desired_bridge(params(ports=[{'name': 'p1', 'hairpin': True}, {'name': 'p2'}])),
                       current(addresses=[('10.1.0.1', 24)]))
    diff = plan.diff()
    assert diff['after'] == diff['before']
    assert (diff['after']['mac'], diff['after']['mtu']) == ('02:00:00:00:00:03', 1500)

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_veth import desired_veth, plan_veth


def params(**changes):
    base = {'name': 'host0', 'peer': 'eth0', 'netns': None, 'peer_netns': 'c1', 'state': 'up', 'mtu': None,
            'mac': None, 'peer_mac': None, 'addresses': None, 'peer_addresses': None, 'force': False}
    base.update(changes)
    return base


def link(name, index, kind='veth', peer_index=None, peer_netnsid=None, up=True, mtu=1500, mac='02:00:00:00:00:01'):
    return {'name': name, 'index': index, 'kind': kind, 'up': up, 'mtu': mtu, 'mac': mac,
            'peer_index': peer_index, 'peer_netnsid': peer_netnsid, 'master': None}


def pair(**end_changes):
    """A healthy pair: host0 (#5, node namespace) <-> eth0 (#2 in c1)."""
    end = link('host0', 5, peer_index=2, peer_netnsid=0)
    end.update(end_changes)
    return {'end': end, 'end_addresses': [], 'peer_end': link('eth0', 2, peer_index=5, peer_netnsid=0),
            'peer_addresses': [('172.19.0.2', 24), ('fe80::1', 64)], 'actual_peer': "'eth0' in network namespace 'c1'"}


NOTHING = {'end': None, 'end_addresses': [], 'peer_end': None, 'peer_addresses': [], 'actual_peer': None}


def test_create_orders_creation_addresses_then_up():
    plan = plan_veth(desired_veth(params(mtu=1450, peer_addresses=['172.19.0.2/24'])), NOTHING)
    assert plan.descriptions() == [
        'create veth host0 (mac=None, mtu=1450, netns=None, peer=eth0, peer_mac=None, peer_netns=c1)',
        'add address 172.19.0.2/24 (link=eth0, netns=c1)',
        'set link host0 (netns=None, state=up)',
        'set link eth0 (netns=c1, state=up)',
    ]
    assert plan.diff()['after']['peer']['addresses'] == ['172.19.0.2/24']
    assert plan.diff()['before']['name'] == {'exists': False}


def test_create_down_does_not_touch_state():
    plan = plan_veth(desired_veth(params(state='down')), NOTHING)
    assert [action.verb for action in plan.actions] == ['create']


def test_matching_pair_is_unchanged_and_link_local_addresses_are_ignored():
    plan = plan_veth(desired_veth(params(peer_addresses=['172.19.0.2/24'])), pair())
    assert not plan.changed


@pytest.mark.parametrize('changes, expected', [
    ({'mtu': 1400}, ['set link host0 (mtu=1400, netns=None)', 'set link eth0 (mtu=1400, netns=c1)']),
    ({'state': 'down'}, ['set link host0 (netns=None, state=down)', 'set link eth0 (netns=c1, state=down)']),
    ({'mac': '02:00:00:00:00:09'}, ['set link host0 (mac=02:00:00:00:00:09, netns=None)']),
    ({'peer_addresses': ['172.19.0.3/24']},
     ['delete address 172.19.0.2/24 (link=eth0, netns=c1)', 'add address 172.19.0.3/24 (link=eth0, netns=c1)']),
    ({'peer_addresses': []}, ['delete address 172.19.0.2/24 (link=eth0, netns=c1)']),
])
def test_updates_touch_only_what_differs(changes, expected):
    assert plan_veth(desired_veth(params(**changes)), pair()).descriptions() == expected


@pytest.mark.parametrize('current, message', [
    (dict(NOTHING, end=link('host0', 5, kind='bridge')), "'host0' exists in the node namespace but is a bridge, not a veth"),
    (pair(peer_index=9), "its peer is 'eth0' in network namespace 'c1', not 'eth0'"),
    (dict(NOTHING, peer_end=link('eth0', 2, kind='veth', peer_index=7, peer_netnsid=0)), "'eth0' already exists in network namespace 'c1'"),
    (pair(peer_netnsid=None), "its peer is"),
])
def test_mismatches_fail_without_force_and_recreate_with_it(current, message):
    with pytest.raises(FabricError) as raised:
        plan_veth(desired_veth(params()), current)
    assert message in str(raised.value)
    assert 'force=true' in str(raised.value)
    forced = plan_veth(desired_veth(params(force=True)), current)
    assert 'create veth host0' in ' '.join(forced.descriptions())
    assert forced.actions[0].verb == 'delete'


def test_absent_deletes_one_end_only():
    assert plan_veth(desired_veth(params(state='absent')), pair()).descriptions() == ['delete link host0 (netns=None)']
    assert not plan_veth(desired_veth(params(state='absent')), NOTHING).changed


def test_absent_refuses_a_foreign_pair_without_force():
    with pytest.raises(FabricError, match='refusing to delete'):
        plan_veth(desired_veth(params(state='absent')), pair(peer_index=9))


@pytest.mark.parametrize('changes, option', [
    ({'name': 'x' * 16}, 'name'),
    ({'peer': 'a b'}, 'peer'),
    ({'netns': 'a/b'}, 'netns'),
    ({'mtu': 67}, 'mtu'),
    ({'mtu': 65536}, 'mtu'),
    ({'mac': '01:00:00:00:00:01'}, 'mac'),
    ({'peer_mac': 'nonsense'}, 'peer_mac'),
    ({'addresses': ['10.0.0.1/33']}, 'addresses[0]'),
    ({'peer_addresses': ['10.0.0.1/24', '10.0.0.1/25']}, 'peer_addresses[1]'),
    ({'name': 'eth0', 'peer_netns': None}, 'peer'),
    ({'mac': '02:00:00:00:00:01', 'peer_mac': '02:00:00:00:00:01'}, 'peer_mac'),
])
def test_bad_input_names_the_option(changes, option):
    with pytest.raises(OptionError) as raised:
        desired_veth(params(**changes))
    assert raised.value.option == option


# --- cases found by the mutation check (tests/mutation/run.py) --------------------------------------

def test_the_diff_of_a_deleted_pair_shows_both_ends_gone():
    diff = plan_veth(desired_veth(params(state='absent')), pair()).diff()
    assert diff['before']['name']['exists'] and diff['before']['peer']['exists']
    assert diff['after'] == {'name': {'exists': False}, 'peer': {'exists': False}}

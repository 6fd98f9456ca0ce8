# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_routes import desired_routes, plan_routes

LINKS = {1: 'lo', 2: 'eth0'}


def kernel_route(dst, prefixlen, gateway, proto=76, table=254, priority=None):
    return {'family': 2, 'dst': dst, 'prefixlen': prefixlen, 'gateway': gateway, 'oif': 2, 'prefsrc': None,
            'priority': priority, 'table': table, 'scope': 0, 'proto': proto, 'type': 1, 'flags': 0}


def current(*routes):
    connected = {'family': 2, 'dst': '10.88.0.0', 'prefixlen': 24, 'gateway': None, 'oif': 2, 'prefsrc': '10.88.0.11',
                 'priority': None, 'table': 254, 'scope': 253, 'proto': 2, 'type': 1, 'flags': 0}
    return {'routes': [connected] + list(routes), 'link_names': LINKS, 'local_addresses': ['10.88.0.11']}


def params(routes, **changes):
    base = {'routes': routes, 'protocol': 76, 'purge': False, 'netns': None, 'state': 'present'}
    base.update(changes)
    return base


PEERS = [{'destination': '172.19.12.0/24', 'gateway': '10.88.0.12'}, {'destination': '172.19.13.0/24', 'gateway': '10.88.0.13'}]


def test_missing_routes_are_written_with_the_protocol():
    plan = plan_routes(desired_routes(params(PEERS)), current())
    assert plan.descriptions() == [
        'replace route 172.19.12.0/24 (gateway=10.88.0.12, netns=None, protocol=76, scope=global)',
        'replace route 172.19.13.0/24 (gateway=10.88.0.13, netns=None, protocol=76, scope=global)',
    ]


def test_routes_in_place_with_the_protocol_are_unchanged():
    plan = plan_routes(desired_routes(params(PEERS, purge=True)),
                       current(kernel_route('172.19.12.0', 24, '10.88.0.12'), kernel_route('172.19.13.0', 24, '10.88.0.13')))
    assert not plan.changed
    assert plan.diff()['before'] == plan.diff()['after']


def test_a_right_route_without_the_protocol_is_taken_over():
    plan = plan_routes(desired_routes(params(PEERS[:1])), current(kernel_route('172.19.12.0', 24, '10.88.0.12', proto=4)))
    assert plan.descriptions() == ['replace route 172.19.12.0/24 (device=eth0, gateway=10.88.0.12, netns=None, protocol=76, scope=global)']


def test_purge_deletes_only_unlisted_routes_of_the_protocol():
    plan = plan_routes(desired_routes(params(PEERS[:1], purge=True)), current(
        kernel_route('172.19.12.0', 24, '10.88.0.12'),
        kernel_route('172.19.13.0', 24, '10.88.0.13'),
        kernel_route('10.50.0.0', 24, '10.88.0.9', proto=4),
        kernel_route(None, 0, '10.88.0.20', table=76),
    ))
    assert plan.descriptions() == [
        'delete route 172.19.13.0/24 (device=eth0, gateway=10.88.0.13, netns=None, scope=global)',
        'delete route 0.0.0.0/0 (device=eth0, gateway=10.88.0.20, netns=None, scope=global, table=76)',
    ]


@pytest.mark.parametrize('changes, option', [
    ({'routes': [{'destination': '172.19.12.1/24', 'gateway': '10.88.0.12'}]}, 'routes[0].destination'),
    ({'routes': [{'destination': '172.19.12.0/24', 'gateway': 'fd00::1'}]}, 'routes[0].gateway'),
    ({'routes': PEERS + [PEERS[0]]}, 'routes[2].destination'),
    ({'protocol': 4}, 'protocol'),
    ({'protocol': 300}, 'protocol'),
    ({'protocol': None, 'purge': True}, 'purge'),
])
def test_bad_input_names_the_option(changes, option):
    with pytest.raises(OptionError) as raised:
        desired_routes(params(changes.pop('routes', PEERS), **changes))
    assert raised.value.option == option


def test_a_device_that_does_not_exist_names_the_route():
    with pytest.raises(OptionError) as raised:
        plan_routes(desired_routes(params([{'destination': '172.19.12.0/24', 'device': 'nope'}])), current())
    assert raised.value.option == 'routes[0].device'


def many_peers(count):
    return [{'destination': '172.%d.%d.0/24' % (16 + index // 256, index % 256), 'gateway': '10.88.0.%d' % (index % 200 + 20)}
            for index in range(count)]


def in_kernel(peers):
    return [kernel_route(peer['destination'].split('/')[0], 24, peer['gateway']) for peer in peers]


@pytest.mark.parametrize('count', [1, 50, 999])
def test_a_large_table_plans_each_route_against_its_own_kind_only(count):
    peers = many_peers(count)
    assert not plan_routes(desired_routes(params(peers, purge=True)), current(*in_kernel(peers))).changed
    # One gateway changed, one route gone from the list (purged), one route taken over from another protocol.
    changed = [dict(peer) for peer in peers]
    changed[count // 2]['gateway'] = '10.88.0.250'
    kernel = in_kernel(peers)
    kernel[0]['proto'] = 4
    plan = plan_routes(desired_routes(params(changed[:-1] if count > 1 else changed, purge=True)), current(*kernel))
    descriptions = plan.descriptions()
    assert descriptions, 'nothing planned'
    assert any(text.startswith('replace route %s (' % changed[count // 2]['destination']) and 'gateway=10.88.0.250' in text
               for text in descriptions)
    if count > 2:
        assert 'replace route %s (device=eth0, gateway=%s, netns=None, protocol=76, scope=global)' % (
            peers[0]['destination'], peers[0]['gateway']) in descriptions
        assert any(text.startswith('delete route %s' % peers[-1]['destination']) for text in descriptions)
        assert len(descriptions) == 3


def test_the_same_route_listed_twice_names_both_positions():
    with pytest.raises(OptionError) as raised:
        desired_routes(params(many_peers(5) + many_peers(5)[2:3]))
    assert raised.value.option == 'routes[5].destination' and 'is also routes[2]' in raised.value.problem


# --- cases found by the mutation check (tests/mutation/run.py) --------------------------------------

@pytest.mark.parametrize('protocol, name', [(1, 'redirect'), (2, 'kernel'), (3, 'boot'), (4, 'static')])
def test_the_kernels_protocols_are_refused_by_name(protocol, name):
    with pytest.raises(OptionError) as raised:
        desired_routes(params(PEERS, protocol=protocol))
    assert raised.value.option == 'protocol'
    assert '"%s"' % name in raised.value.problem


@pytest.mark.parametrize('protocol, accepted', [(0, False), (5, True), (255, True), (256, False)])
def test_protocols_of_our_own_are_5_to_255(protocol, accepted):
    if accepted:
        assert desired_routes(params(PEERS, protocol=protocol))['protocol'] == protocol
    else:
        with pytest.raises(OptionError):
            desired_routes(params(PEERS, protocol=protocol))


def test_routes_without_a_state_are_present():
    plan = plan_routes(desired_routes(params(PEERS[:1], state=None)), current())
    assert plan.descriptions() == ['replace route 172.19.12.0/24 (gateway=10.88.0.12, netns=None, protocol=76, scope=global)']


def test_only_written_routes_carry_the_protocol_not_deleted_ones():
    plan = plan_routes(desired_routes(params(PEERS[:1], state='absent')), current(kernel_route('172.19.12.0', 24, '10.88.0.12')))
    assert [action.verb for action in plan.actions] == ['delete']
    assert 'protocol' not in plan.actions[0].details

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_route import (
    desired_route,
    plan_route,
    scope_number,
    selected_route,
    table_number,
)

LINKS = {1: 'lo', 2: 'eth0', 3: 'eth1'}
LOCAL = ['10.0.0.2', '10.1.0.2', 'fd00::2']


def params(**changes):
    base = {'destination': '10.20.0.0/16', 'gateway': None, 'device': None, 'onlink': None, 'scope': None,
            'metric': None, 'table': 'main', 'source': None, 'state': 'present', 'netns': 'ns1'}
    base.update(changes)
    return base


def kernel_route(dst='10.20.0.0', prefixlen=16, gateway=None, oif=2, priority=None, table=254, scope=0,
                 prefsrc=None, flags=0, family=2, proto=4, route_type=1):
    """A route as the netlink layer (route_from_message) hands it over."""
    return {'family': family, 'dst': dst, 'prefixlen': prefixlen, 'gateway': gateway, 'oif': oif,
            'prefsrc': prefsrc, 'priority': priority, 'table': table, 'scope': scope, 'proto': proto,
            'type': route_type, 'flags': flags}


def plan(routes, **changes):
    return plan_route(desired_route(params(**changes)), {'routes': routes, 'link_names': LINKS, 'local_addresses': LOCAL})


@pytest.mark.parametrize('changes, option', [
    ({'destination': '10.20.0.1/16'}, 'destination'),
    ({'destination': '10.20.0.0/33'}, 'destination'),
    ({'destination': 'somewhere'}, 'destination'),
    ({'gateway': 'fd00::1'}, 'gateway'),
    ({'gateway': '10.0.0.256'}, 'gateway'),
    ({'gateway': '224.0.0.1'}, 'gateway'),
    ({'source': 'fd00::2'}, 'source'),
    ({'destination': 'fd00:20::/64', 'gateway': '10.0.0.1'}, 'gateway'),
    ({'destination': 'fd00:20::/64', 'scope': 'link'}, 'scope'),
    ({'scope': 'universe-ish'}, 'scope'),
    ({'scope': '256'}, 'scope'),
    ({'table': '0'}, 'table'),
    ({'table': str(2 ** 32)}, 'table'),
    ({'table': 'mine'}, 'table'),
    ({'metric': -1}, 'metric'),
    ({'metric': 2 ** 32}, 'metric'),
    ({'device': 'a-very-long-interface'}, 'device'),
    ({'onlink': True, 'device': 'eth0'}, 'onlink'),
    ({'onlink': True, 'gateway': '10.0.0.1'}, 'onlink'),
    ({'netns': 'a/b'}, 'netns'),
    ({'state': 'gone'}, 'state'),
])
def test_invalid_options_are_named(changes, option):
    with pytest.raises(OptionError) as error:
        desired_route(params(**changes))
    assert error.value.option == option


@pytest.mark.parametrize('changes, destination, family, metric', [
    ({'destination': 'default', 'gateway': '10.0.0.1'}, '0.0.0.0/0', 4, 0),
    ({'destination': 'default', 'gateway': 'fd00::1'}, '::/0', 6, 1024),
    ({'destination': 'default', 'source': 'fd00::2', 'device': 'eth0'}, '::/0', 6, 1024),
    ({'destination': 'default', 'device': 'eth0'}, '0.0.0.0/0', 4, 0),
    ({'destination': '::/0', 'device': 'eth0'}, '::/0', 6, 1024),
    ({'destination': '10.9.9.9'}, '10.9.9.9/32', 4, 0),
    ({'destination': 'fd00:20::/64', 'metric': 0}, 'fd00:20::/64', 6, 0),
])
def test_destination_family_and_default_metric(changes, destination, family, metric):
    desired = desired_route(params(**changes))
    assert (str(desired['destination']), desired['family'], desired['metric']) == (destination, family, metric)


@pytest.mark.parametrize('value, number', [(None, 254), ('main', 254), ('local', 255), ('default', 253), ('100', 100), (1000, 1000),
                                           ('1', 1), ('4294967295', 4294967295)])
def test_table_names_and_numbers(value, number):
    assert table_number('table', value) == number


@pytest.mark.parametrize('value, number', [(None, None), ('global', 0), ('link', 253), ('host', 254), ('site', 200), ('17', 17),
                                           ('0', 0), ('255', 255)])
def test_scope_names_and_numbers(value, number):
    assert scope_number('scope', value) == number


def test_new_route_is_replaced_in_with_the_options_given():
    result = plan([], gateway='10.0.0.1', metric=50, table='100')
    assert result.descriptions() == ['replace route 10.20.0.0/16 (gateway=10.0.0.1, metric=50, netns=ns1, scope=global, table=100)']
    assert result.diff()['before'] == {'exists': False}
    assert result.diff()['after']['gateway'] == '10.0.0.1'
    assert result.diff()['after']['table'] == 100


def test_new_route_without_gateway_gets_link_scope_like_ip_route():
    result = plan([], destination='172.19.1.10/32', device='eth1')
    assert result.descriptions() == ['replace route 172.19.1.10/32 (device=eth1, netns=ns1, scope=link)']


def test_onlink_default_route_like_calico():
    result = plan([], destination='default', gateway='169.254.1.1', device='eth0', onlink=True)
    assert result.descriptions() == ['replace route 0.0.0.0/0 (device=eth0, gateway=169.254.1.1, netns=ns1, onlink=True, scope=global)']
    assert result.diff()['after']['destination'] == 'default'


@pytest.mark.parametrize('changes', [
    {},
    {'gateway': '10.0.0.1'},
    {'gateway': '10.0.0.1', 'device': 'eth0'},
    {'device': 'eth0', 'onlink': False, 'scope': 'global', 'source': '10.0.0.2'},
])
def test_matching_route_is_left_alone_whatever_is_unset(changes):
    existing = kernel_route(gateway='10.0.0.1', prefsrc='10.0.0.2')
    result = plan([existing], **changes)
    assert not result.changed
    assert result.diff()['before'] == result.diff()['after']


def test_different_gateway_replaces_the_next_hop_as_given():
    result = plan([kernel_route(gateway='10.0.0.1', prefsrc='10.0.0.2')], gateway='10.1.0.1')
    assert result.descriptions() == ['replace route 10.20.0.0/16 (gateway=10.1.0.1, netns=ns1, scope=global, source=10.0.0.2)']
    assert result.diff()['before']['gateway'] == '10.0.0.1'


def test_option_outside_the_next_hop_keeps_the_existing_next_hop():
    result = plan([kernel_route(gateway='10.0.0.1', flags=4)], source='10.0.0.2')
    assert result.descriptions() == [
        'replace route 10.20.0.0/16 (device=eth0, gateway=10.0.0.1, netns=ns1, onlink=True, scope=global, source=10.0.0.2)']


@pytest.mark.parametrize('existing, changes, expected', [
    (kernel_route(gateway='10.0.0.1'), {'gateway': '10.0.0.1', 'device': 'eth0', 'onlink': True},
     'replace route 10.20.0.0/16 (device=eth0, gateway=10.0.0.1, netns=ns1, onlink=True, scope=global)'),
    (kernel_route(gateway='10.0.0.1', flags=4), {'onlink': False},
     'replace route 10.20.0.0/16 (device=eth0, gateway=10.0.0.1, netns=ns1, scope=global)'),
    (kernel_route(), {'scope': 'host'}, 'replace route 10.20.0.0/16 (device=eth0, netns=ns1, scope=host)'),
])
def test_flag_and_scope_differences_replace(existing, changes, expected):
    assert plan([existing], **changes).descriptions() == [expected]


def test_routes_with_another_identity_are_never_touched():
    others = [
        kernel_route(gateway='10.0.0.1', priority=100),
        kernel_route(gateway='10.0.0.1', table=100),
        kernel_route(dst='10.20.0.0', prefixlen=24, gateway='10.0.0.1'),
        kernel_route(family=10, dst='fd00:20::', prefixlen=64, gateway='fd00::1', priority=1024),
    ]
    result = plan(others, gateway='10.1.0.1')
    assert result.diff()['before'] == {'exists': False}
    assert result.descriptions() == ['replace route 10.20.0.0/16 (gateway=10.1.0.1, netns=ns1, scope=global)']
    removal = plan(others, state='absent')
    assert not removal.changed


def test_blackhole_with_the_same_identity_is_replaced_by_the_unicast_route():
    result = plan([kernel_route(oif=None, route_type=6)], device='eth0')
    assert result.descriptions() == ['replace route 10.20.0.0/16 (device=eth0, netns=ns1, scope=link)']
    assert result.diff()['before']['type'] == 'blackhole'


def test_new_route_needs_a_next_hop():
    with pytest.raises(FabricError) as error:
        plan([], source='10.0.0.2')
    assert "option 'gateway' or 'device' is needed" in str(error.value)


def test_device_must_exist_for_present():
    with pytest.raises(OptionError) as error:
        plan([], device='eth9')
    assert error.value.option == 'device'
    assert "network namespace 'ns1'" in str(error.value)


def test_source_must_be_local():
    with pytest.raises(OptionError) as error:
        plan([], device='eth0', source='10.0.0.99')
    assert error.value.option == 'source'


def test_absent_deletes_only_the_route_with_that_identity_exactly():
    doomed = kernel_route(oif=3, scope=253, table=100, priority=7)
    result = plan([doomed, kernel_route(gateway='10.0.0.1')], state='absent', table='100', metric=7)
    assert result.descriptions() == ['delete route 10.20.0.0/16 (device=eth1, metric=7, netns=ns1, scope=link, table=100)']
    assert result.diff()['before']['device'] == 'eth1'
    assert result.diff()['after'] == {'exists': False}


@pytest.mark.parametrize('changes, deleted', [
    ({'gateway': '10.0.0.1'}, True),
    ({'gateway': '10.0.0.9'}, False),
    ({'device': 'eth0'}, True),
    ({'device': 'eth1'}, False),
    ({'device': 'gone0'}, False),
])
def test_absent_with_a_next_hop_deletes_only_a_route_through_it(changes, deleted):
    result = plan([kernel_route(gateway='10.0.0.1')], state='absent', **changes)
    assert result.changed is deleted


def test_absent_without_route_changes_nothing():
    result = plan([], state='absent')
    assert not result.changed
    assert result.diff() == {'before': {'exists': False}, 'after': {'exists': False}}


def test_ipv6_routes_are_identified_with_the_kernel_default_metric():
    existing = kernel_route(family=10, dst='fd00:20::', prefixlen=64, gateway='fd00::1', priority=1024)
    assert not plan([existing], destination='fd00:20::/64', gateway='fd00::1').changed
    result = plan([existing], destination='fd00:20::/64', gateway='fd00::9')
    assert result.descriptions() == ['replace route fd00:20::/64 (gateway=fd00::9, netns=ns1)']


def test_selected_route_reports_the_route_the_options_describe():
    routes = [kernel_route(gateway='10.0.0.1', priority=5), kernel_route(gateway='10.0.0.1')]
    chosen = selected_route(desired_route(params(gateway='10.0.0.1')), routes, LINKS)
    assert (chosen['metric'], chosen['device']) == (0, 'eth0')
    assert selected_route(desired_route(params(gateway='10.0.0.7')), routes, LINKS) is None


# --- cases found by the mutation check (tests/mutation/run.py) --------------------------------------

@pytest.mark.parametrize('number, option', [(table_number, '4294967296'), (table_number, '0'), (scope_number, '256')])
def test_numbers_one_past_the_range_are_refused(number, option):
    with pytest.raises(OptionError):
        number('option', option)


@pytest.mark.parametrize('route_type, name', [(1, 'unicast'), (4, 'anycast'), (6, 'blackhole'), (10, 'nat'), (42, 42)])
def test_the_diff_names_the_route_type_as_iproute2_does(route_type, name):
    result = plan([kernel_route(oif=None, route_type=route_type)], device='eth0')
    assert result.diff()['before']['type'] == name

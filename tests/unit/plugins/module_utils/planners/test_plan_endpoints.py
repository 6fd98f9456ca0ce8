# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_endpoints import (
    alias_for,
    check_foreign,
    desired_nat_rules,
    desired_endpoints,
    host_interface_name,
    parse_alias,
    plan_endpoints,
)
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._published_ports import parse_publish

BRIDGE = {'name': 'cbr0', 'index': 3, 'kind': 'bridge', 'up': True}


def params(endpoints, **changes):
    base = {'endpoints': endpoints, 'mode': 'bridge', 'bridge': 'cbr0', 'gateway': None, 'subnet': None, 'mtu': None,
            'owner': 'o1', 'purge': False, 'state': 'present', 'host_interface_prefix': 'lf', 'netns': None}
    base.update(changes)
    return base


def absent_endpoint():
    return {'netns_state': 'absent', 'host_link': None, 'created_netns': False, 'host_routes': [], 'host_sysctls': {},
            'inside': None, 'loopback_up': False, 'inside_addresses': [], 'routes': [], 'paired': False}


def current(endpoints, owned=None, bridge='default'):
    bridge = BRIDGE if bridge == 'default' else bridge
    return {'owned': owned or {}, 'bridge': bridge, 'bridge_addresses': [('172.19.1.1', 24)],
            'endpoints': endpoints, 'published': {}}


def healthy(desired_endpoint, mode='bridge'):
    """What the reader sees for an endpoint this module configured completely."""
    host = desired_endpoint['host_interface']
    address = desired_endpoint['address']
    host_link = {'name': host, 'index': 10, 'kind': 'veth', 'up': True, 'mtu': 1500, 'master': 3 if mode == 'bridge' else None,
                 'peer_index': 2, 'peer_netnsid': 0, 'alias': alias_for('o1', dict(desired_endpoint, created_netns=True))}
    inside = {'name': 'eth0', 'index': 2, 'kind': 'veth', 'up': True, 'mtu': 1500, 'peer_index': 10, 'peer_netnsid': 0}
    if mode == 'bridge':
        routes = [{'table': 254, 'dst': None, 'prefixlen': 0, 'gateway': '172.19.1.1', 'oif': 2, 'scope': 0}]
        host_routes = []
    else:
        routes = [{'table': 254, 'dst': '169.254.1.1', 'prefixlen': 32, 'gateway': None, 'oif': 2, 'scope': 253},
                  {'table': 254, 'dst': None, 'prefixlen': 0, 'gateway': '169.254.1.1', 'oif': 2, 'scope': 0}]
        host_routes = [{'table': 254, 'dst': address[0], 'prefixlen': 32, 'gateway': None, 'oif': 10, 'scope': 253}]
    return {'netns_state': 'present', 'host_link': host_link, 'created_netns': True, 'host_routes': host_routes,
            'host_sysctls': {'proxy_arp': 1, 'proxy_delay': 0, 'forwarding': 1, 'route_localnet': 1},
            'inside': inside, 'loopback_up': True, 'inside_addresses': [address], 'routes': routes, 'paired': True}


def test_host_interface_names_are_stable_and_short():
    name = host_interface_name('lf', 'web1', 'eth0')
    assert name == host_interface_name('lf', 'web1', 'eth0')
    assert name != host_interface_name('lf', 'web2', 'eth0')
    assert len(name) == 15 and name.startswith('lf')
    assert len(host_interface_name('cali', 'x' * 200, 'eth0')) == 15


def test_alias_round_trip():
    endpoint = {'name': 'web1', 'netns': 'ns-web1', 'created_netns': True, 'address': ('10.0.0.5', 24)}
    assert parse_alias(alias_for('o1', endpoint)) == {'owner': 'o1', 'name': 'web1', 'netns': 'ns-web1', 'created_netns': True,
                                                      'attached': False, 'sharers': [], 'address': '10.0.0.5/24'}
    assert parse_alias(alias_for('o1', dict(endpoint, address=None)))['address'] is None
    assert parse_alias(alias_for('o1', dict(endpoint, docker_container='web-1')))['attached'] is True
    assert parse_alias(alias_for('o1', dict(endpoint, sharers=['side', 'logs'])))['sharers'] == ['logs', 'side']
    assert parse_alias('some other alias') is None
    assert parse_alias(None) is None


def test_new_bridge_endpoint_plan():
    desired = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24', 'mtu': 1450}]))
    host = desired['endpoints'][0]['host_interface']
    plan = plan_endpoints(desired, current({'web1': absent_endpoint()}))
    assert plan.descriptions() == [
        'create netns web1',
        'create veth %s (mtu=1450, netns=None, peer=eth0, peer_netns=web1)' % host,
        'set link %s (alias=linuxnet.fabric endpoint owner=o1 name=web1 netns=web1 created_netns=1 address=172.19.1.10/24, '
        'master=cbr0, netns=None, state=up)' % host,
        'set link lo (netns=web1, state=up)',
        'add address 172.19.1.10/24 (link=eth0, netns=web1)',
        'set link eth0 (netns=web1, state=up)',
        'replace route 0.0.0.0/0 (device=eth0, gateway=172.19.1.1, netns=web1)',
    ]
    assert plan.diff()['after']['web1']['address'] == '172.19.1.10/24'


def test_existing_namespace_is_kept_and_marked_as_not_created():
    desired = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24'}]))
    observed = dict(absent_endpoint(), netns_state='present')
    plan = plan_endpoints(desired, current({'web1': observed}))
    assert plan.actions[0].verb == 'create' and plan.actions[0].kind == 'veth'
    assert 'created_netns=0' in plan.actions[1].details['alias']


def test_configured_endpoints_are_unchanged_with_equal_diff_views():
    desired = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24'},
                                        {'name': 'api1', 'address': '10.20.0.5', 'mode': 'routed'}]))
    web, api = desired['endpoints']
    owned = dict((e['name'], {'owner': 'o1', 'name': e['name'], 'netns': e['netns'], 'created_netns': True,
                              'host_interface': e['host_interface']}) for e in desired['endpoints'])
    plan = plan_endpoints(desired, current({'web1': healthy(web), 'api1': healthy(api, 'routed')}, owned))
    assert plan.descriptions() == []
    assert plan.diff()['before'] == plan.diff()['after']


def test_routed_endpoint_plan_has_link_route_default_route_host_route_and_sysctls():
    desired = desired_endpoints(params([{'name': 'api1', 'address': '10.20.0.5'}], mode='routed', bridge=None))
    host = desired['endpoints'][0]['host_interface']
    descriptions = plan_endpoints(desired, current({'api1': absent_endpoint()}, bridge=None)).descriptions()
    assert 'add address 10.20.0.5/32 (link=eth0, netns=api1)' in descriptions
    assert 'replace route 169.254.1.1/32 (device=eth0, netns=api1, scope=link)' in descriptions
    assert 'replace route 0.0.0.0/0 (device=eth0, gateway=169.254.1.1, netns=api1)' in descriptions
    assert 'replace route 10.20.0.5/32 (device=%s, netns=None, scope=link)' % host in descriptions
    assert 'set sysctl net.ipv4.conf.%s.proxy_arp (netns=None, value=1)' % host in descriptions
    assert 'set sysctl net.ipv4.neigh.%s.proxy_delay (netns=None, value=0)' % host in descriptions


def test_address_change_replaces_the_address():
    desired = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.11/24'}]))
    observed = healthy(dict(desired['endpoints'][0], address=('172.19.1.10', 24)))
    owned = {'web1': {'owner': 'o1', 'name': 'web1', 'netns': 'web1', 'created_netns': True,
                      'host_interface': desired['endpoints'][0]['host_interface']}}
    plan = plan_endpoints(desired, current({'web1': observed}, owned))
    host = desired['endpoints'][0]['host_interface']
    assert plan.descriptions() == [
        'set link %s (alias=linuxnet.fabric endpoint owner=o1 name=web1 netns=web1 created_netns=1 address=172.19.1.11/24, netns=None)' % host,
        'delete address 172.19.1.10/24 (link=eth0, netns=web1)', 'add address 172.19.1.11/24 (link=eth0, netns=web1)',
        'replace route 0.0.0.0/0 (device=eth0, gateway=172.19.1.1, netns=web1)']


def test_purge_and_absent_remove_only_owned_endpoints_namespaces_first():
    owned = {
        'old1': {'owner': 'o1', 'name': 'old1', 'netns': 'old1', 'created_netns': True, 'host_interface': 'lfold1'},
        'old2': {'owner': 'o1', 'name': 'old2', 'netns': 'theirs', 'created_netns': False, 'host_interface': 'lfold2'},
    }
    plan = plan_endpoints(desired_endpoints(params([], purge=True)), current({}, owned))
    assert plan.descriptions() == [
        'delete link lfold2 (netns=None)',
        'delete netns old1',
        'await removal host interfaces (count=1, netns=None)',
    ]
    absent = desired_endpoints(params([{'name': 'old1'}, {'name': 'never-made'}], state='absent'))
    assert plan_endpoints(absent, current({}, owned)).descriptions() == [
        'delete netns old1', 'await removal host interfaces (count=1, netns=None)']


def test_missing_bridge_and_gateway_name_the_option():
    desired = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24'}]))
    with pytest.raises(OptionError) as raised:
        plan_endpoints(desired, current({'web1': absent_endpoint()}, bridge=None))
    assert raised.value.option == 'bridge'
    off_subnet = desired_endpoints(params([{'name': 'web1', 'address': '10.9.9.9/24'}]))
    with pytest.raises(OptionError) as raised:
        plan_endpoints(off_subnet, current({'web1': absent_endpoint()}))
    assert raised.value.option == 'endpoints[0].address'


def test_foreign_host_interfaces_are_refused():
    desired = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24', 'host_interface': 'eth1'}]))
    with pytest.raises(FabricError, match="'eth1' already exists and is not endpoint 'web1'"):
        check_foreign(desired, {'eth1': {'name': 'eth1', 'alias': None}})
    check_foreign(desired, {'eth1': {'name': 'eth1', 'alias': alias_for('o1', {'name': 'web1', 'netns': 'web1', 'created_netns': True})}})


@pytest.mark.parametrize('endpoints, changes, option', [
    ([{'name': 'a', 'address': '10.0.0.1/24'}, {'name': 'a', 'address': '10.0.0.2/24'}], {}, 'endpoints[1].name'),
    ([{'name': 'a', 'address': '10.0.0.1/24'}, {'name': 'b', 'address': '10.0.0.1/24'}], {}, 'endpoints[1].address'),
    ([{'name': 'a', 'address': '10.0.0.1/24', 'netns': 'x'}, {'name': 'b', 'address': '10.0.0.2/24', 'netns': 'x'}], {}, 'endpoints[1].netns'),
    ([{'name': 'a', 'address': '10.0.0.300/24'}], {}, 'endpoints[0].address'),
    ([{'name': 'a', 'address': '10.1.0.1/24'}], {'subnet': '10.0.0.0/24'}, 'endpoints[0].address'),
    ([{'name': 'a', 'address': 'fd00::1/64'}], {}, 'endpoints[0].address'),
    ([{'name': 'a'}], {}, 'endpoints[0].address'),
    ([{'name': 'a', 'address': '10.0.0.1/24', 'mode': 'routed'}], {}, 'endpoints[0].address'),
    ([{'name': 'a', 'address': '10.0.0.1/24', 'host_interface': 'h' * 16}], {}, 'endpoints[0].host_interface'),
    ([{'name': 'a', 'address': '10.0.0.1/24', 'interface': 'bad name'}], {}, 'endpoints[0].interface'),
    ([{'name': 'a', 'address': '10.0.0.1/24', 'mtu': 20}], {}, 'endpoints[0].mtu'),
    ([{'name': 'a', 'address': '10.0.0.1/24', 'publish': ['80:80', '80:81']}], {}, 'endpoints[0].publish[1]'),
    ([{'name': 'a', 'address': '10.0.0.1/24', 'publish': ['8000-8002:80-82']},
      {'name': 'b', 'address': '10.0.0.2/24', 'publish': ['8001:80']}], {}, 'endpoints[1].publish[0]'),
    ([{'name': 'a', 'address': '10.0.0.1/24'}], {'bridge': None}, 'bridge'),
    ([{'name': 'a', 'address': '10.0.0.1/24'}], {'owner': 'not ok'}, 'owner'),
    ([{'name': 'a', 'address': '10.0.0.1/24'}], {'subnet': '10.0.0.1/24'}, 'subnet'),
    ([{'name': 'a', 'address': '10.0.0.1/24'}], {'host_interface_prefix': 'Toolongprefix'}, 'host_interface_prefix'),
])
def test_bad_input_names_the_option(endpoints, changes, option):
    with pytest.raises(OptionError) as raised:
        desired_endpoints(params(endpoints, **changes))
    assert raised.value.option == option


def test_a_docker_container_gets_the_endpoints_name_for_its_namespace_then_the_endpoint():
    desired = desired_endpoints(params([{'name': 'web', 'address': '10.20.0.5', 'docker_container': 'web-1'}], mode='routed', bridge=None))
    observed = dict(absent_endpoint(), attach='/proc/4242/ns/net')
    plan = plan_endpoints(desired, current({'web': observed}, bridge=None))
    assert plan.descriptions()[0] == 'create netns web (attach=/proc/4242/ns/net, container=web-1)'
    assert 'add address 10.20.0.5/32 (link=eth0, netns=web)' in plan.descriptions()
    # The module made the name: removing the endpoint removes it (the container keeps its namespace).
    assert 'created_netns=1' in plan.actions[2].details['alias']


def test_a_restarted_container_moves_the_name_and_the_endpoint_to_its_new_namespace():
    desired = desired_endpoints(params([{'name': 'web', 'address': '10.20.0.5', 'docker_container': 'web-1'}], mode='routed', bridge=None))
    endpoint = desired['endpoints'][0]
    # The name still holds the old namespace (the host end is paired with it, but the reader does
    # not look inside a replaced one), and the container runs in a new one.
    observed = dict(healthy(endpoint, 'routed'), netns_state='replaced', attach='/proc/5151/ns/net', inside=None,
                    inside_addresses=[], routes=[], loopback_up=False, paired=False)
    owned = {'web': {'owner': 'o1', 'name': 'web', 'netns': 'web', 'created_netns': True, 'host_interface': endpoint['host_interface']}}
    descriptions = plan_endpoints(desired, current({'web': observed}, owned, bridge=None)).descriptions()
    assert descriptions[:4] == [
        'delete netns web (stale=False)',
        'create netns web (attach=/proc/5151/ns/net, container=web-1)',
        'delete link %s (netns=None)' % endpoint['host_interface'],
        'create veth %s (mtu=None, netns=None, peer=eth0, peer_netns=web)' % endpoint['host_interface'],
    ]


@pytest.mark.parametrize('name', ['-web', 'web/1', 'a b', ''])
def test_a_docker_container_name_is_checked(name):
    with pytest.raises(OptionError) as error:
        desired_endpoints(params([{'name': 'web', 'address': '10.20.0.5', 'docker_container': name}], mode='routed', bridge=None))
    assert error.value.option == 'endpoints[0].docker_container'


def test_a_docker_containers_endpoint_loses_its_veth_and_name_without_waiting():
    # The container holds its namespace: the veth would not go with the name, so it is deleted
    # first, and nothing waits for the kernel to take it down.
    owned = {
        'dweb': {'owner': 'o1', 'name': 'dweb', 'netns': 'dweb', 'created_netns': True, 'attached': True, 'host_interface': 'lfdweb'},
        'web1': {'owner': 'o1', 'name': 'web1', 'netns': 'web1', 'created_netns': True, 'attached': False, 'host_interface': 'lfweb1'},
    }
    desired = desired_endpoints(params([], purge=True))
    assert plan_endpoints(desired, current({}, owned)).descriptions() == [
        'delete link lfdweb (netns=None)', 'delete netns dweb', 'delete netns web1',
        'await removal host interfaces (count=1, netns=None)']


def sharing_endpoints():
    # The sharer comes first in the list: its namespace is still made second.
    return desired_endpoints(params([{'name': 'side', 'netns_of': 'web1'}, {'name': 'web1', 'address': '172.19.1.10/24'}]))


def test_an_endpoint_can_share_another_ones_namespace_like_dockers_container_mode():
    desired = sharing_endpoints()
    side, web = desired['endpoints']
    assert (side['netns'], side['netns_of'], side['host_interface'], side['address']) == ('side', 'web1', None, None)
    assert web['sharers'] == ['side']
    observed_side = {'netns_state': 'absent', 'attach': 'web1', 'host_link': None, 'created_netns': True}
    plan = plan_endpoints(desired, current({'web1': absent_endpoint(), 'side': observed_side}))
    descriptions = plan.descriptions()
    assert descriptions[0] == 'create netns web1'
    assert descriptions[-1] == 'create netns side (attach=web1, shares=web1)'
    # The owner's mark on web1's veth names the endpoints that share its namespace.
    assert 'sharers=side' in plan.actions[2].details['alias']
    assert plan.diff()['after']['side'] == {'netns': 'side', 'netns_of': 'web1'}


def test_a_shared_name_that_names_another_namespace_is_made_again():
    desired = sharing_endpoints()
    web = desired['endpoints'][1]
    owned = {'web1': {'owner': 'o1', 'name': 'web1', 'netns': 'web1', 'created_netns': True, 'host_interface': web['host_interface']},
             'side': {'owner': 'o1', 'name': 'side', 'netns': 'side', 'created_netns': True, 'attached': True, 'host_interface': None}}
    healthy_web = healthy(web)
    healthy_web['host_link']['alias'] = alias_for('o1', dict(web, created_netns=True))
    for state, expected in (('present', []), ('replaced', ['delete netns side (stale=False)', 'create netns side (attach=web1, shares=web1)'])):
        observed_side = {'netns_state': state, 'attach': 'web1', 'host_link': None, 'created_netns': True}
        plan = plan_endpoints(desired, current({'web1': healthy_web, 'side': observed_side}, owned))
        assert plan.descriptions() == expected
        assert plan.diff()['before']['side'] == ({'netns': 'side', 'netns_of': 'web1'} if state == 'present' else {'netns': None, 'netns_of': 'web1'})


def test_removing_a_namespace_removes_the_names_that_share_it_first():
    owned = {
        'web1': {'owner': 'o1', 'name': 'web1', 'netns': 'web1', 'created_netns': True, 'attached': False, 'host_interface': 'lfweb1'},
        'side': {'owner': 'o1', 'name': 'side', 'netns': 'side', 'created_netns': True, 'attached': True, 'host_interface': None},
    }
    plan = plan_endpoints(desired_endpoints(params([], purge=True)), current({}, owned))
    assert plan.descriptions() == ['delete netns side', 'delete netns web1', 'await removal host interfaces (count=1, netns=None)']


@pytest.mark.parametrize('entry, option, message', [
    ({'name': 'side', 'netns_of': 'nobody'}, 'endpoints[1].netns_of', "'nobody' is not an endpoint of this list"),
    ({'name': 'side', 'netns_of': 'side'}, 'endpoints[1].netns_of', 'is not an endpoint of this list with a namespace of its own'),
    ({'name': 'side', 'netns_of': 'web1', 'address': '172.19.1.11/24'}, 'endpoints[1].address', 'does not go with netns_of'),
    ({'name': 'side', 'netns_of': 'web1', 'publish': ['8080:80']}, 'endpoints[1].publish', 'does not go with netns_of'),
    ({'name': 'side', 'netns_of': 'web1', 'netns': 'other'}, 'endpoints[1].netns', 'does not go with netns_of'),
])
def test_a_sharing_endpoint_has_nothing_of_its_own(entry, option, message):
    with pytest.raises(OptionError) as error:
        desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24'}, entry]))
    assert error.value.option == option and message in str(error.value)


def test_a_sharer_of_a_sharer_is_refused():
    with pytest.raises(OptionError, match="'side' is not an endpoint of this list with a namespace of its own"):
        desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24'}, {'name': 'side', 'netns_of': 'web1'},
                                  {'name': 'third', 'netns_of': 'side'}]))


def owned_with_sharer(web):
    alias_owner = {'owner': 'o1', 'name': 'web1', 'netns': 'web1', 'created_netns': True, 'attached': False, 'sharers': ['side'],
                   'host_interface': web['host_interface']}
    return {'web1': alias_owner,
            'side': {'owner': 'o1', 'name': 'side', 'netns': 'side', 'created_netns': True, 'attached': True, 'sharers': [],
                     'host_interface': None}}


def test_removing_an_endpoint_removes_the_names_of_its_namespace():
    desired = desired_endpoints(params([{'name': 'web1'}], state='absent'))
    web = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24'}]))['endpoints'][0]
    plan = plan_endpoints(desired, current({}, owned_with_sharer(web)))
    assert plan.descriptions() == ['delete netns side', 'delete netns web1', 'await removal host interfaces (count=1, netns=None)']


def test_a_name_this_call_does_not_mention_stays_recorded_without_purge():
    desired = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24'}]))
    web = desired['endpoints'][0]
    observed = healthy(web)
    observed['host_link']['alias'] = alias_for('o1', dict(web, created_netns=True, sharers=['side']))
    assert plan_endpoints(desired, current({'web1': observed}, owned_with_sharer(web))).descriptions() == []
    # With purge, the name goes and the record with it.
    purged = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24'}], purge=True))
    descriptions = plan_endpoints(purged, current({'web1': observed}, owned_with_sharer(web))).descriptions()
    assert descriptions[-1] == 'delete netns side'
    assert 'sharers' not in descriptions[0]


def test_a_port_whose_bridge_is_made_again_in_this_run_is_put_on_it_before_its_hairpin():
    """The bridge was deleted (its index unknown until this run makes it); the host end survived."""
    desired = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24', 'publish': ['8080:80']}]))
    web = desired['endpoints'][0]
    observed = healthy(web)
    observed['host_link'] = dict(observed['host_link'], master=None, port_data={})
    owned = {'web1': {'owner': 'o1', 'name': 'web1', 'netns': 'web1', 'created_netns': True, 'host_interface': web['host_interface']}}
    plan = plan_endpoints(desired, current({'web1': observed}, owned, bridge=dict(BRIDGE, index=None)))
    texts = plan.descriptions()
    master = [position for position, text in enumerate(texts) if 'master=cbr0' in text]
    hairpin = [position for position, text in enumerate(texts) if 'hairpin=True' in text]
    assert master and hairpin and master[0] < hairpin[0]


def test_a_purge_leaves_the_endpoints_it_is_told_to_keep():
    """The boot-time restore leaves Docker's endpoints out of the list, and in place."""
    desired = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24'}], purge=True, keep=['app']))
    web = desired['endpoints'][0]
    owned = {'web1': {'owner': 'o1', 'name': 'web1', 'netns': 'web1', 'created_netns': True, 'host_interface': web['host_interface']},
             'app': {'owner': 'o1', 'name': 'app', 'netns': 'app', 'created_netns': False, 'host_interface': 'lfapp'},
             'old': {'owner': 'o1', 'name': 'old', 'netns': 'old', 'created_netns': True, 'host_interface': 'lfold'}}
    texts = plan_endpoints(desired, current({'web1': healthy(web)}, owned)).descriptions()
    assert 'delete netns old' in texts
    assert not any('lfapp' in text for text in texts)
    # Without keep, the purge would take it.
    unkept = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24'}], purge=True))
    assert 'delete link lfapp (netns=None)' in plan_endpoints(unkept, current({'web1': healthy(web)}, owned)).descriptions()


# --- cases found by the mutation check (tests/mutation/run.py) --------------------------------------

@pytest.mark.parametrize('text, host_ports, container_ports', [
    ('1:1/udp', (1, 1), (1, 1)),
    ('65535:65535/tcp', (65535, 65535), (65535, 65535)),
    ('65530-65535:1-6', (65530, 65535), (1, 6)),
])
def test_parse_publish_accepts_the_ends_of_the_port_range(text, host_ports, container_ports):
    rule = parse_publish('publish', text)
    assert (rule['host_ports'], rule['container_ports']) == (host_ports, container_ports)


@pytest.mark.parametrize('text', ['65536:80', '80:65536', '65535-65536:80-81'])
def test_parse_publish_rejects_one_past_the_port_range(text):
    with pytest.raises(OptionError) as raised:
        parse_publish('publish', text)
    assert 'out of range (1..65535)' in str(raised.value)


def test_one_port_may_be_published_on_two_host_addresses_but_not_twice_on_all():
    desired = desired_endpoints(params([
        {'name': 'web1', 'address': '172.19.1.10/24', 'publish': ['203.0.113.5:8080:80']},
        {'name': 'web2', 'address': '172.19.1.11/24', 'publish': ['203.0.113.6:8080:80']},
    ]))
    assert [endpoint['publish'][0]['host_address'] for endpoint in desired['endpoints']] == ['203.0.113.5', '203.0.113.6']
    with pytest.raises(OptionError) as raised:
        desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24', 'publish': ['8080:80', '8080:81']}]))
    assert raised.value.option == 'endpoints[0].publish[1]'


def configured(name='web1', address='172.19.1.10/24', mtu=None):
    desired = desired_endpoints(params([dict({'name': name, 'address': address}, **({'mtu': mtu} if mtu else {}))]))
    endpoint = desired['endpoints'][0]
    owned = {name: {'owner': 'o1', 'name': name, 'netns': endpoint['netns'], 'created_netns': True,
                    'host_interface': endpoint['host_interface']}}
    return desired, endpoint, owned


def test_a_default_route_via_another_gateway_is_replaced():
    desired, endpoint, owned = configured()
    observed = healthy(endpoint)
    observed['routes'] = [dict(observed['routes'][0], gateway='172.19.1.254')]
    assert plan_endpoints(desired, current({'web1': observed}, owned)).descriptions() == [
        'replace route 0.0.0.0/0 (device=eth0, gateway=172.19.1.1, netns=web1)']


@pytest.mark.parametrize('inside_mtu, expected', [
    (1500, ['set link eth0 (mtu=1450, netns=web1)']),
    (1450, []),
])
def test_the_container_end_gets_the_endpoint_mtu_only_when_it_differs(inside_mtu, expected):
    desired, endpoint, owned = configured(mtu=1450)
    observed = healthy(endpoint)
    observed['host_link'] = dict(observed['host_link'], mtu=1450)
    observed['inside'] = dict(observed['inside'], mtu=inside_mtu)
    assert plan_endpoints(desired, current({'web1': observed}, owned)).descriptions() == expected


def test_nat_rules_of_mentioned_endpoints_that_are_no_longer_wanted_are_removed_and_no_others():
    desired = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24', 'publish': ['8080:80/tcp']}]))
    nat_current = [
        {'kind': 'rule', 'owner': 'ep.o1', 'name': 'web1.tcp.8080'},   # still wanted
        {'kind': 'rule', 'owner': 'ep.o1', 'name': 'web1.tcp.9090'},   # no longer published
        {'kind': 'rule', 'owner': 'ep.o1', 'name': 'db1.tcp.5432'},    # of a removed endpoint
        {'kind': 'rule', 'owner': 'ep.o1', 'name': 'api1.tcp.7070'},   # of an endpoint this call does not mention
        {'kind': 'rule', 'owner': 'ep.o2', 'name': 'web1.tcp.6060'},   # another owner's
    ]
    rules = desired_nat_rules(desired, nat_current, ['db1'])
    assert [(rule['name'], rule['state']) for rule in rules] == [
        ('web1.tcp.8080', 'present'), ('db1.tcp.5432', 'absent'), ('web1.tcp.9090', 'absent')]


def test_a_port_range_claims_its_ports_and_not_the_next_one():
    # The port after a range stays free for another spec; the range's last port does not.
    desired = desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24', 'publish': ['8000-8002:80-82', '8003:90']}]))
    assert [rule['host_ports'] for rule in desired['endpoints'][0]['publish']] == [(8000, 8002), (8003, 8003)]
    with pytest.raises(OptionError) as raised:
        desired_endpoints(params([{'name': 'web1', 'address': '172.19.1.10/24', 'publish': ['8000-8002:80-82', '8002:90']}]))
    assert raised.value.option == 'endpoints[0].publish[1]'


@pytest.mark.parametrize('elsewhere', [{'table': 100}, {'oif': 7}, {'prefixlen': 8}])
def test_a_default_route_in_another_table_or_on_another_device_does_not_count(elsewhere):
    # The right gateway alone is not the route the container needs: table, device and prefix must match too.
    desired, endpoint, owned = configured()
    observed = healthy(endpoint)
    observed['routes'] = [dict(observed['routes'][0], **elsewhere)]
    assert plan_endpoints(desired, current({'web1': observed}, owned)).descriptions() == [
        'replace route 0.0.0.0/0 (device=eth0, gateway=172.19.1.1, netns=web1)']

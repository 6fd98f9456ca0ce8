# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import ipaddress
import random

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_vxlan import derived_mac, desired_vxlan, plan_vxlan

MAC = '0a:00:00:00:00:01'
PEER_B = {'public_ip': '10.99.0.2', 'vtep_mac': '0a:00:00:00:00:02', 'subnet': '10.5.2.0/24'}
PEER_C = {'public_ip': '10.99.0.3', 'vtep_mac': '0a:00:00:00:00:03', 'subnet': '10.5.3.0/24'}


def params(**changes):
    base = {'name': None, 'netns': 'node-a', 'state': 'present', 'vni': 1, 'port': 8472, 'local': '10.99.0.1',
            'underlay': None, 'learning': False, 'mtu': None, 'mac': None, 'subnet': '10.5.1.0/24', 'address': None,
            'peers': None, 'purge_peers': False, 'force': False}
    base.update(changes)
    return base


def link(name, index, kind, mtu=1500, mac='02:00:00:00:00:09', up=True, info_data=None):
    return {'name': name, 'index': index, 'kind': kind, 'up': up, 'mtu': mtu, 'mac': mac, 'info_data': info_data or {}}


def vxlan_link(name='flannel.1', index=3, vni=1, port=8472, local='10.99.0.1', underlay_index=2, learning=0, **changes):
    data = {'IFLA_VXLAN_ID': vni, 'IFLA_VXLAN_PORT': port, 'IFLA_VXLAN_LOCAL': local, 'IFLA_VXLAN_LINK': underlay_index,
            'IFLA_VXLAN_LEARNING': learning}
    return link(name, index, 'vxlan', **dict(dict(mtu=1450, mac=MAC, info_data=data), **changes))


def route(dst, gateway=None, oif=3, flags=0, priority=None, proto=4, table=254, scope=0):
    return {'family': 2, 'dst': dst.split('/')[0], 'prefixlen': int(dst.split('/')[1]), 'gateway': gateway, 'oif': oif,
            'prefsrc': None, 'priority': priority, 'table': table, 'scope': scope, 'proto': proto, 'type': 1, 'flags': flags}


def neighbour(dst, mac, state=0x80):
    return {'family': 2, 'dst': dst, 'mac': mac, 'state': state, 'flags': 0}


def fdb_entry(mac, dst, state=0xc0):
    return {'mac': mac, 'dst': dst, 'state': state, 'flags': 2}


def node(device=None, neighbours=(), fdb=(), routes=(), device_addresses=(('10.5.1.0', 32),), extra_links=()):
    """A node namespace: lo, eth0 (#2, 10.99.0.1/24, MTU 1500) and optionally the vxlan device."""
    links = {'lo': link('lo', 1, None, mtu=65536), 'eth0': link('eth0', 2, 'veth')}
    for extra in extra_links:
        links[extra['name']] = extra
    addresses = [{'index': 2, 'family': 2, 'address': '10.99.0.1', 'prefixlen': 24}]
    if device is not None:
        links[device['name']] = device
        addresses += [{'index': device['index'], 'family': 2, 'address': address, 'prefixlen': prefixlen}
                      for address, prefixlen in device_addresses]
    return {'links': links, 'addresses': addresses, 'neighbours': list(neighbours), 'fdb': list(fdb),
            'routes': [route('10.99.0.0/24', oif=2, proto=2, scope=253)] + list(routes)}


def programmed(*peers):
    """The node with the device and every entry of `peers` in place."""
    return node(
        vxlan_link(),
        neighbours=[neighbour(peer['subnet'].split('/')[0], peer['vtep_mac']) for peer in peers],
        fdb=[fdb_entry(peer['vtep_mac'], peer['public_ip']) for peer in peers],
        routes=[route(peer['subnet'], gateway=peer['subnet'].split('/')[0], flags=4) for peer in peers],
    )


def plan(current, **changes):
    return plan_vxlan(desired_vxlan(params(**changes)), current)


@pytest.mark.parametrize('changes, option', [
    ({'vni': 0}, 'vni'),
    ({'vni': 2 ** 24}, 'vni'),
    ({'vni': 10000000}, 'name'),
    ({'name': 'flannel-overlay-0'}, 'name'),
    ({'port': 0}, 'port'),
    ({'port': 65536}, 'port'),
    ({'mtu': 67}, 'mtu'),
    ({'mtu': 65536}, 'mtu'),
    ({'local': None}, 'local'),
    ({'local': 'fd00::1'}, 'local'),
    ({'local': '239.1.1.1'}, 'local'),
    ({'mac': '01:00:5e:00:00:01'}, 'mac'),
    ({'mac': 'not-a-mac'}, 'mac'),
    ({'subnet': '10.5.1.1/24'}, 'subnet'),
    ({'subnet': 'fd00:5::/64'}, 'subnet'),
    ({'address': '10.5.9.0/32'}, 'address'),
    ({'address': '10.5.1.0/33'}, 'address'),
    ({'netns': ''}, 'netns'),
    ({'state': 'gone'}, 'state'),
    ({'purge_peers': True}, 'purge_peers'),
    ({'peers': [dict(PEER_B, subnet='10.5.2.0/33')]}, 'peers[0].subnet'),
    ({'peers': [dict(PEER_B, subnet=None)]}, 'peers[0].subnet'),
    ({'peers': [dict(PEER_B, subnet='10.5.0.0/16')]}, 'peers[0].subnet'),
    ({'peers': [dict(PEER_B, public_ip='10.99.0.1')]}, 'peers[0].public_ip'),
    ({'peers': [dict(PEER_B, public_ip='10.99.0.300')]}, 'peers[0].public_ip'),
    ({'peers': [dict(PEER_B, vtep_mac='33:33:00:00:00:01')]}, 'peers[0].vtep_mac'),
    ({'peers': [PEER_B, PEER_C, dict(PEER_C, public_ip='10.99.0.4', vtep_mac='0a:00:00:00:00:04')]}, 'peers[2].subnet'),
    ({'peers': [PEER_B, dict(PEER_C, subnet='10.5.2.128/25')]}, 'peers[1].subnet'),
    ({'peers': [PEER_B, dict(PEER_C, public_ip='10.99.0.2')]}, 'peers[1].public_ip'),
    ({'peers': [PEER_B, dict(PEER_C, vtep_mac='0A-00-00-00-00-02')]}, 'peers[1].vtep_mac'),
])
def test_invalid_options_are_named(changes, option):
    with pytest.raises(OptionError) as error:
        desired_vxlan(params(**changes))
    assert error.value.option == option


def test_defaults_follow_flannel():
    desired = desired_vxlan(params(vni=7))
    assert (desired['name'], desired['port'], desired['learning'], desired['address']) == ('flannel.7', 8472, False, ('10.5.1.0', 32, 4))
    assert desired_vxlan(params(subnet=None))['address'] is None
    assert desired_vxlan(params(address='10.5.1.1/24'))['address'] == ('10.5.1.1', 24, 4)


def test_derived_mac_is_stable_locally_administered_and_unicast():
    mac = derived_mac(1, '10.99.0.1')
    assert mac == derived_mac(1, '10.99.0.1')
    assert int(mac[:2], 16) & 0x03 == 0x02
    assert len(set([mac, derived_mac(2, '10.99.0.1'), derived_mac(1, '10.99.0.2')])) == 3


def test_create_device_then_peers_in_flannel_order():
    result = plan(node(), peers=[PEER_B])
    mac = derived_mac(1, '10.99.0.1')
    assert result.descriptions() == [
        'create vxlan flannel.1 (learning=False, local=10.99.0.1, mac=%s, mtu=1450, netns=node-a, port=8472, underlay=eth0, vni=1)' % mac,
        'add address 10.5.1.0/32 (link=flannel.1, netns=node-a)',
        'set link flannel.1 (netns=node-a, state=up)',
        'replace neighbour 10.5.2.0 (link=flannel.1, mac=0a:00:00:00:00:02, netns=node-a)',
        'replace fdb 0a:00:00:00:00:02 (dst=10.99.0.2, link=flannel.1, netns=node-a)',
        'replace route 10.5.2.0/24 (device=flannel.1, gateway=10.5.2.0, netns=node-a, onlink=True)',
    ]
    after = result.diff()['after']
    assert after['device']['mac'] == mac
    assert after['device']['vni'] == 1
    assert after['device']['addresses'] == ['10.5.1.0/32']
    assert after['neighbours'] == ['10.5.2.0 lladdr 0a:00:00:00:00:02 PERMANENT']
    assert after['fdb'] == ['0a:00:00:00:00:02 dst 10.99.0.2 self permanent']
    assert after['routes'] == ['10.5.2.0/24 via 10.5.2.0 dev flannel.1 onlink']
    assert result.diff()['before']['device'] == {'exists': False}


def test_mac_mtu_and_underlay_options_are_used_when_creating():
    result = plan(node(), mac='0a:11:22:33:44:55', mtu=1400, underlay='eth0', learning=True)
    assert result.actions[0].details['mac'] == '0a:11:22:33:44:55'
    assert result.actions[0].details['mtu'] == 1400
    assert result.actions[0].details['learning'] is True


def test_mtu_follows_the_underlay():
    current = node()
    current['links']['eth0']['mtu'] = 9000
    assert plan(current).actions[0].details['mtu'] == 8950


def test_mtu_above_what_the_underlay_allows_is_named():
    with pytest.raises(OptionError) as error:
        plan(node(), mtu=1451)
    assert error.value.option == 'mtu'
    assert 'eth0' in str(error.value)


def test_without_an_underlay_the_mtu_is_required():
    with pytest.raises(OptionError) as error:
        plan(node(), local='10.99.0.77')
    assert error.value.option == 'mtu'
    result = plan(node(), local='10.99.0.77', mtu=1400)
    assert result.actions[0].details['underlay'] is None


def test_missing_underlay_is_named():
    with pytest.raises(OptionError) as error:
        plan(node(), underlay='eth9')
    assert error.value.option == 'underlay'


def test_programmed_device_is_unchanged():
    result = plan(programmed(PEER_B, PEER_C), peers=[PEER_B, PEER_C], purge_peers=True)
    assert not result.changed
    assert result.diff()['before'] == result.diff()['after']


def test_existing_device_keeps_its_mac_and_an_unlisted_peer_stays_without_purge():
    result = plan(programmed(PEER_B, PEER_C), peers=[PEER_B])
    assert not result.changed
    assert result.diff()['after']['device']['mac'] == MAC
    assert len(result.diff()['after']['routes']) == 2


def test_purge_removes_only_entries_of_unlisted_peers_on_the_device():
    current = programmed(PEER_B, PEER_C)
    current['routes'] += [
        route('10.5.3.0/24', gateway='10.99.0.3', oif=2),          # another device: not ours
        route('10.5.1.0/32', oif=3, proto=2, scope=253, table=255),  # the kernel's own
    ]
    current['neighbours'].append(neighbour('10.5.7.0', '0a:00:00:00:00:07', state=0x02))  # a cache entry
    current['fdb'].append(fdb_entry('00:00:00:00:00:00', '10.99.0.9'))  # a flood destination
    result = plan(current, peers=[PEER_B], purge_peers=True)
    assert result.descriptions() == [
        'delete route 10.5.3.0/24 (device=flannel.1, gateway=10.5.3.0, netns=node-a, onlink=True, scope=global)',
        'delete fdb 0a:00:00:00:00:03 (dst=10.99.0.3, link=flannel.1, netns=node-a)',
        'delete neighbour 10.5.3.0 (link=flannel.1, netns=node-a)',
    ]
    assert result.diff()['after']['routes'] == ['10.5.2.0/24 via 10.5.2.0 dev flannel.1 onlink']


def test_changed_peer_entries_are_replaced():
    moved = dict(PEER_B, public_ip='10.99.0.22', vtep_mac='0a:00:00:00:00:22')
    current = programmed(PEER_B)
    current['routes'][-1]['flags'] = 0  # lost its onlink flag
    result = plan(current, peers=[moved])
    assert result.descriptions() == [
        'replace neighbour 10.5.2.0 (link=flannel.1, mac=0a:00:00:00:00:22, netns=node-a)',
        'replace fdb 0a:00:00:00:00:22 (dst=10.99.0.22, link=flannel.1, netns=node-a)',
        'replace route 10.5.2.0/24 (device=flannel.1, gateway=10.5.2.0, netns=node-a, onlink=True)',
    ]


def test_non_permanent_entries_of_a_peer_are_made_permanent():
    current = programmed(PEER_B)
    current['neighbours'][0]['state'] = 0x02
    current['fdb'][0]['state'] = 0x02
    assert [action.kind for action in plan(current, peers=[PEER_B]).actions] == ['neighbour', 'fdb']


def test_peer_route_through_another_device_is_moved():
    current = node(vxlan_link(), routes=[route('10.5.2.0/24', gateway='10.99.0.2', oif=2)])
    result = plan(current, peers=[PEER_B])
    assert result.descriptions()[-1] == 'replace route 10.5.2.0/24 (device=flannel.1, gateway=10.5.2.0, netns=node-a, onlink=True)'


@pytest.mark.parametrize('device, changes, expected', [
    (vxlan_link(mtu=1400), {}, ['set link flannel.1 (mtu=1450, netns=node-a)']),
    (vxlan_link(up=False), {}, ['set link flannel.1 (netns=node-a, state=up)']),
    (vxlan_link(), {'mac': '0a:00:00:00:00:99'}, ['set link flannel.1 (mac=0a:00:00:00:00:99, netns=node-a)']),
    (vxlan_link(learning=1), {}, ['set vxlan flannel.1 (learning=False, netns=node-a)']),
    (vxlan_link(), {'address': '10.5.1.1/32'}, ['delete address 10.5.1.0/32 (link=flannel.1, netns=node-a)',
                                                'add address 10.5.1.1/32 (link=flannel.1, netns=node-a)']),
    (vxlan_link(), {'subnet': None}, []),
])
def test_settings_the_kernel_can_change_are_changed_in_place(device, changes, expected):
    assert plan(node(device), **changes).descriptions() == expected


@pytest.mark.parametrize('changes, option', [
    ({'vni': 2, 'name': 'flannel.1'}, 'vni'),
    ({'port': 4789}, 'port'),
    ({'local': '10.99.0.5', 'mtu': 1400}, 'local'),
    ({'underlay': 'eth1'}, 'underlay'),
])
def test_settings_the_kernel_cannot_change_need_force(changes, option):
    current = node(vxlan_link(), extra_links=[link('eth1', 4, 'veth')])
    with pytest.raises(FabricError) as error:
        plan(current, **changes)
    assert "option '%s'" % option in str(error.value)
    assert 'force=true' in str(error.value)
    forced = plan(current, force=True, **changes)
    assert [(action.verb, action.kind) for action in forced.actions[:2]] == [('delete', 'link'), ('create', 'vxlan')]


def test_recreating_drops_the_old_entries_and_programs_peers_again():
    current = programmed(PEER_B)
    result = plan(current, port=4789, force=True, peers=[PEER_B])
    assert [(action.verb, action.kind) for action in result.actions] == [
        ('delete', 'link'), ('create', 'vxlan'), ('add', 'address'), ('set', 'link'),
        ('replace', 'neighbour'), ('replace', 'fdb'), ('replace', 'route')]
    # The re-created device gets the stable MAC, not the old one.
    assert result.actions[1].details['mac'] == derived_mac(1, '10.99.0.1')


def test_device_of_another_kind_is_an_error_unless_force():
    current = node(link('flannel.1', 3, 'bridge'))
    with pytest.raises(FabricError) as error:
        plan(current)
    assert 'is a bridge, not a vxlan device' in str(error.value)
    assert plan(current, force=True).actions[0].describe() == 'delete link flannel.1 (netns=node-a)'


def test_vni_and_port_in_use_by_another_device_is_named():
    other = vxlan_link(name='overlay0', index=7)
    with pytest.raises(OptionError) as error:
        plan(node(extra_links=[other]))
    assert error.value.option == 'vni'
    assert 'overlay0' in str(error.value)
    assert plan(node(extra_links=[other]), port=4789).changed


def test_peer_with_this_device_mac_is_named():
    with pytest.raises(OptionError) as error:
        plan(programmed(), peers=[dict(PEER_B, vtep_mac=MAC)])
    assert error.value.option == 'peers[0].vtep_mac'


@pytest.mark.parametrize('current, force, expected', [
    (node(), False, []),
    (programmed(PEER_B), False, ['delete link flannel.1 (netns=node-a)']),
    (node(link('flannel.1', 3, 'bridge')), True, ['delete link flannel.1 (netns=node-a)']),
])
def test_absent_deletes_the_device(current, force, expected):
    result = plan(current, state='absent', local=None, force=force)
    assert result.descriptions() == expected
    assert result.diff()['after'] == {'device': {'exists': False}, 'neighbours': [], 'fdb': [], 'routes': []}


def test_absent_refuses_to_delete_another_kind():
    with pytest.raises(FabricError) as error:
        plan(node(link('flannel.1', 3, 'bridge')), state='absent')
    assert 'refusing to delete' in str(error.value)


# --- TX checksum offload ----------------------------------------------------------------------------

@pytest.mark.parametrize('wanted, now, actions', [
    (None, True, []),
    (None, False, []),
    (True, True, []),
    (False, False, []),
    (False, True, ['set offload flannel.1 (netns=node-a, tx_checksum=False)']),
    (True, False, ['set offload flannel.1 (netns=node-a, tx_checksum=True)']),
])
def test_offload_is_set_in_place_when_asked_and_different(wanted, now, actions):
    current = dict(node(vxlan_link()), tx_checksum=now)
    plan = plan_vxlan(desired_vxlan(params(tx_checksum_offload=wanted)), current)
    assert plan.descriptions() == actions
    assert plan.before['device']['tx_checksum_offload'] is now
    assert plan.after['device']['tx_checksum_offload'] is (now if wanted is None else wanted)


@pytest.mark.parametrize('wanted, offload_actions', [(None, 0), (True, 0), (False, 1)])
def test_a_new_device_gets_offload_off_before_it_comes_up(wanted, offload_actions):
    plan = plan_vxlan(desired_vxlan(params(tx_checksum_offload=wanted)), node())
    descriptions = plan.descriptions()
    assert len([text for text in descriptions if text.startswith('set offload')]) == offload_actions
    if offload_actions:
        assert descriptions.index('set offload flannel.1 (netns=node-a, tx_checksum=False)') < descriptions.index(
            'set link flannel.1 (netns=node-a, state=up)')
        assert plan.after['device']['tx_checksum_offload'] is False


# --- peer routes left to the caller --------------------------------------------------------------------

def test_without_peer_routes_only_neighbours_and_fdb_entries_are_planned_and_no_route_is_purged():
    current = programmed(PEER_B, PEER_C)
    plan = plan_vxlan(desired_vxlan(params(peers=[PEER_B], purge_peers=True, peer_routes=False)), current)
    assert plan.descriptions() == ['delete fdb 0a:00:00:00:00:03 (dst=10.99.0.3, link=flannel.1, netns=node-a)',
                                   'delete neighbour 10.5.3.0 (link=flannel.1, netns=node-a)']
    fresh = plan_vxlan(desired_vxlan(params(peers=[PEER_B, PEER_C], peer_routes=False)), node(vxlan_link()))
    assert [text.split(' (')[0] for text in fresh.descriptions()] == [
        'replace neighbour 10.5.2.0', 'replace fdb 0a:00:00:00:00:02', 'replace neighbour 10.5.3.0', 'replace fdb 0a:00:00:00:00:03']


# --- cases found by the mutation check (tests/mutation/run.py) --------------------------------------

def test_without_a_vni_the_device_is_flannels_vni_1():
    desired = desired_vxlan(params(vni=None))
    assert (desired['vni'], desired['name']) == (1, 'flannel.1')


def test_a_vni_whose_default_name_is_too_long_needs_a_name_and_works_with_one():
    with pytest.raises(OptionError) as raised:
        desired_vxlan(params(vni=16777215))
    assert raised.value.option == 'name'
    assert "the default name 'flannel.16777215' is longer than 15 bytes" in raised.value.problem
    assert desired_vxlan(params(vni=16777215, name='vx0'))['name'] == 'vx0'


def test_peers_without_a_subnet_or_address_of_its_own():
    desired = desired_vxlan(params(subnet=None, peers=[PEER_B]))
    assert desired['address'] is None
    assert [peer['public_ip'] for peer in desired['peers']] == ['10.99.0.2']


def test_an_address_outside_the_subnet_is_named_in_the_message():
    with pytest.raises(OptionError) as raised:
        desired_vxlan(params(address='10.5.9.0/32'))
    assert str(raised.value) == "option 'address' '10.5.9.0/32' is outside option 'subnet' 10.5.1.0/24"


def pairwise_clash(peers):
    """The rule desired_peers keeps, as it read when it compared each peer with every earlier one:
    (option, message) of the first clash, or None."""
    seen = []
    for position, peer in enumerate(peers):
        prefix = 'peers[%d].' % position
        subnet = ipaddress.ip_network(peer['subnet'])
        for other_position, other in enumerate(seen):
            other_prefix = 'peers[%d].' % other_position
            if other['public_ip'] == peer['public_ip']:
                return prefix + 'public_ip', "'%s' is also %spublic_ip" % (peer['public_ip'], other_prefix)
            if other['vtep_mac'] == peer['vtep_mac']:
                return prefix + 'vtep_mac', "'%s' is also %svtep_mac" % (peer['vtep_mac'], other_prefix)
            if other['subnet'].overlaps(subnet):
                return prefix + 'subnet', "'%s' overlaps %ssubnet %s" % (subnet, other_prefix, other['subnet'])
        seen.append(dict(peer, subnet=subnet))
    return None


def random_peers(generator, count):
    """Peers drawn from small pools, so that addresses, MACs and subnets (of several sizes) clash."""
    peers = []
    for _index in range(count):
        prefix = generator.choice((16, 22, 24, 24, 24, 24, 25, 32))
        base = ipaddress.ip_network('10.6.%d.0/%d' % (generator.randrange(40), prefix), strict=False)
        peers.append({'public_ip': '10.99.1.%d' % generator.randrange(2, 60),
                      'vtep_mac': '0a:00:00:00:01:%02x' % generator.randrange(60), 'subnet': str(base)})
    return peers


@pytest.mark.parametrize('seed', range(60))
def test_peer_clashes_are_reported_as_by_comparing_every_pair(seed):
    peers = random_peers(random.Random(seed), random.Random(seed).randrange(2, 12))
    expected = pairwise_clash(peers)
    if expected is None:
        assert len(desired_vxlan(params(subnet='10.5.1.0/24', peers=peers))['peers']) == len(peers)
    else:
        with pytest.raises(OptionError) as error:
            desired_vxlan(params(subnet='10.5.1.0/24', peers=peers))
        assert (error.value.option, error.value.problem) == expected


def test_clash_samples_cover_each_kind():
    # The seeds above must exercise every kind of clash and some clean lists, or they test little.
    kinds = set()
    for seed in range(60):
        clash = pairwise_clash(random_peers(random.Random(seed), random.Random(seed).randrange(2, 12)))
        kinds.add(clash[0].split('.')[-1] if clash else None)
    assert kinds == {'public_ip', 'vtep_mac', 'subnet', None}


def test_a_subnet_covering_several_earlier_ones_names_the_first():
    peers = [dict(PEER_C, subnet='10.6.3.0/24'), dict(PEER_B, subnet='10.6.1.0/24'),
             {'public_ip': '10.99.0.9', 'vtep_mac': '0a:00:00:00:00:09', 'subnet': '10.6.0.0/16'}]
    with pytest.raises(OptionError, match=r"peers\[0\]\.subnet 10\.6\.3\.0/24") as error:
        desired_vxlan(params(subnet='10.5.1.0/24', peers=peers))
    assert error.value.option == 'peers[2].subnet'


def test_a_thousand_node_share_of_peers_is_accepted():
    peers = [{'public_ip': '10.98.%d.%d' % (index // 250, index % 250 + 2), 'vtep_mac': '0a:00:00:00:%02x:%02x' % (index // 256, index % 256),
              'subnet': '10.%d.%d.0/24' % (100 + index // 256, index % 256)} for index in range(999)]
    desired = desired_vxlan(params(subnet='10.5.1.0/24', peers=peers))
    assert [peer['public_ip'] for peer in desired['peers']] == [peer['public_ip'] for peer in peers]

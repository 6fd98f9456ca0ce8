# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_nat import (
    digest_of,
    infrastructure,
    iptables_batch,
    iptables_rules,
    nft_batch,
    nft_rules,
    normalise_rule,
    parse_tag,
    plan_rules,
    rendered_entries,
    tag_of,
)

TAG = 'linuxnet.fabric:o:n:0123456789'
MASQUERADE = {'name': 'masq', 'kind': 'masquerade', 'source': '10.0.0.0/24', 'out_interface': '!br0'}
DNAT = {'name': 'web', 'kind': 'dnat', 'protocol': 'tcp', 'host_port': 8080, 'to_address': '10.0.0.2', 'to_port': 80}


def current_state(backend, owner_rules, tables=('nat',)):
    """What a backend reads after having written `owner_rules` [(owner, rule)], with the shared
    pieces of `tables` (nft handles from 100)."""
    entries = [dict(piece) for piece in infrastructure(backend, tables)]
    for owner, desired in owner_rules:
        entries.extend(rendered_entries(desired, owner, backend))
    for handle, entry in enumerate(entries, 100):
        if entry['kind'] == 'rule' and backend == 'nftables':
            entry['handle'] = handle
    return entries


# --- normalise_rule -------------------------------------------------------------------------------

@pytest.mark.parametrize('params, expected', [
    (MASQUERADE, {'kind': 'masquerade', 'source': '10.0.0.0/24', 'out_interface': '!br0', 'to_address': None}),
    ({'name': 'm', 'kind': 'masquerade', 'source': ' ! 10.0.0.7 ', 'destination': '!10.0.0.0/8'},
     {'source': '!10.0.0.7/32', 'destination': '!10.0.0.0/8'}),
    ({'name': 'm', 'kind': 'masquerade', 'out_interface': 'veth+'}, {'out_interface': 'veth+'}),
    ({'name': 's', 'kind': 'snat', 'to_address': '203.0.113.5'}, {'to_address': '203.0.113.5', 'state': 'present'}),
    (DNAT, {'host_port': (8080, 8080), 'to_port': (80, 80), 'protocol': 'tcp'}),
    ({'name': 'd', 'kind': 'dnat', 'protocol': 'UDP', 'host_port': '9000-9009', 'to_address': '10.0.0.2'},
     {'protocol': 'udp', 'host_port': (9000, 9009), 'to_port': (9000, 9009)}),
    ({'name': 'd', 'kind': 'dnat', 'protocol': 'tcp', 'host_port': ' 9000 - 9009', 'to_port': '8000-8009',
      'to_address': '10.0.0.2', 'host_address': '192.0.2.1', 'in_interface': '!br0'},
     {'to_port': (8000, 8009), 'host_address': '192.0.2.1', 'in_interface': '!br0'}),
    ({'name': 'gone', 'state': 'absent'}, {'state': 'absent', 'kind': None}),
])
def test_normalise_rule_accepts(params, expected):
    normalised = normalise_rule(params)
    for key, value in expected.items():
        assert normalised[key] == value


@pytest.mark.parametrize('params, option, words', [
    ({'kind': 'masquerade'}, 'name', 'non-empty'),
    ({'name': 'a:b', 'kind': 'masquerade'}, 'name', 'only contain'),
    ({'name': 'x' * 129, 'kind': 'masquerade'}, 'name', 'at most 128'),
    ({'name': 'n', 'state': 'gone'}, 'state', 'one of'),
    ({'name': 'n'}, 'kind', 'required'),
    ({'name': 'n', 'kind': 'nat'}, 'kind', 'one of'),
    ({'name': 'n', 'kind': 'masquerade', 'source': '10.0.0.1/24'}, 'source', 'host bits'),
    ({'name': 'n', 'kind': 'masquerade', 'source': '10.0.0.300/24'}, 'source', 'CIDR'),
    ({'name': 'n', 'kind': 'masquerade', 'destination': '!fd00::/64'}, 'destination', 'IPv4 only'),
    ({'name': 'n', 'kind': 'masquerade', 'out_interface': 'a-very-long-name0'}, 'out_interface', 'at most 15'),
    ({'name': 'n', 'kind': 'masquerade', 'out_interface': '!'}, 'out_interface', 'empty'),
    ({'name': 'n', 'kind': 'masquerade', 'out_interface': 'br"0'}, 'out_interface', 'only contain'),
    ({'name': 'n', 'kind': 'masquerade', 'out_interface': 'br+0'}, 'out_interface', 'trailing'),
    ({'name': 'n', 'kind': 'masquerade', 'to_address': '10.0.0.1'}, 'to_address', 'not used by kind=masquerade'),
    ({'name': 'n', 'kind': 'masquerade', 'in_interface': 'eth0'}, 'in_interface', 'not used'),
    ({'name': 'n', 'kind': 'snat'}, 'to_address', 'required by kind=snat'),
    ({'name': 'n', 'kind': 'snat', 'to_address': '10.0.0.0/24'}, 'to_address', 'not an IP'),
    ({'name': 'n', 'kind': 'snat', 'to_address': '127.0.0.1'}, 'to_address', 'loopback'),
    ({'name': 'n', 'kind': 'snat', 'to_address': '224.0.0.1'}, 'to_address', 'unicast'),
    (dict(DNAT, protocol=None), 'protocol', 'required by kind=dnat'),
    (dict(DNAT, protocol='icmp'), 'protocol', 'one of'),
    (dict(DNAT, host_port=None), 'host_port', 'required'),
    (dict(DNAT, host_port=0), 'host_port', 'out of range'),
    (dict(DNAT, host_port=65536), 'host_port', 'out of range'),
    (dict(DNAT, host_port='9010-9000'), 'host_port', 'above its end'),
    (dict(DNAT, host_port='80:81'), 'host_port', 'not a port'),
    (dict(DNAT, host_port=True), 'host_port', 'not a port'),
    (dict(DNAT, to_port='70000'), 'to_port', 'out of range'),
    (dict(DNAT, host_port='9000-9001', to_port='80-82'), 'to_port', 'covers 3 port(s) but host_port 9000-9001 covers 2'),
    (dict(DNAT, host_port=8080, to_port='80-81'), 'to_port', 'covers 2'),
    (dict(DNAT, destination='10.0.0.0/8'), 'destination', 'not used by kind=dnat'),
    (dict(DNAT, out_interface='eth0'), 'out_interface', 'not used'),
    (dict(DNAT, host_address='fd00::1'), 'host_address', 'IPv4'),
    (dict(DNAT, host_address='127.0.0.1'), 'host_address', 'route_localnet'),
    ({'name': 'n', 'state': 'absent', 'source': 'bad'}, 'source', 'CIDR'),
])
def test_normalise_rule_rejects_naming_the_option(params, option, words):
    with pytest.raises(OptionError) as raised:
        normalise_rule(params)
    assert raised.value.option == option
    assert words in str(raised.value)


def test_option_prefix_names_the_element():
    with pytest.raises(OptionError) as raised:
        normalise_rule(dict(DNAT, host_port=99999), option_prefix='publish[1].')
    assert str(raised.value).startswith("option 'publish[1].host_port' ")


# --- tags ----------------------------------------------------------------------------------------

def test_digest_depends_on_what_the_rule_does_not_on_its_name():
    assert digest_of(normalise_rule(MASQUERADE)) == digest_of(normalise_rule(dict(MASQUERADE, name='other')))
    assert digest_of(normalise_rule(MASQUERADE)) != digest_of(normalise_rule(dict(MASQUERADE, out_interface='br0')))
    assert digest_of(normalise_rule(DNAT)) == digest_of(normalise_rule(dict(DNAT, host_port='8080', to_port=' 80')))
    assert len(digest_of(normalise_rule(DNAT))) == 10


@pytest.mark.parametrize('comment, expected', [
    ('linuxnet.fabric:o:n:0123456789', ('o', 'n', '0123456789')),
    ('linuxnet.fabric:jump', None),
    ('linuxnet.fabric:o:n', None),
    ('linuxnet.fabric:o:n:d:e', None),
    ('linuxnet.fabric:o:n m:d', None),
    ('user rule', None),
    (None, None),
])
def test_parse_tag(comment, expected):
    assert parse_tag(comment) == expected


def test_tag_round_trip():
    desired = normalise_rule(MASQUERADE)
    assert parse_tag(tag_of('team-a', desired)) == ('team-a', 'masq', digest_of(desired))


# --- rendering -----------------------------------------------------------------------------------

@pytest.mark.parametrize('params, expected', [
    (MASQUERADE, [
        '-A LINUXNET-POSTROUTING -s 10.0.0.0/24 ! -o br0 -m comment --comment "%s" -j MASQUERADE' % TAG]),
    ({'name': 's', 'kind': 'snat', 'source': '!10.0.0.0/8', 'destination': '192.0.2.0/24', 'out_interface': 'eth+',
      'to_address': '203.0.113.5'}, [
        '-A LINUXNET-POSTROUTING ! -s 10.0.0.0/8 -d 192.0.2.0/24 -o eth+ -m comment --comment "%s" '
        '-j SNAT --to-source 203.0.113.5' % TAG]),
    (DNAT, [
        '-A LINUXNET-DNAT -p tcp -m tcp --dport 8080 -m comment --comment "%s" -j DNAT --to-destination 10.0.0.2:80' % TAG,
        '-A LINUXNET-POSTROUTING -s 10.0.0.2/32 -d 10.0.0.2/32 -p tcp -m tcp --dport 80 -m comment --comment "%s" '
        '-j MASQUERADE' % TAG]),
    (dict(DNAT, protocol='udp', host_port='9000-9009', to_port='8000-8009', host_address='192.0.2.1',
          source='10.1.0.0/16', in_interface='!br0'), [
        '-A LINUXNET-DNAT -s 10.1.0.0/16 -d 192.0.2.1/32 ! -i br0 -p udp -m udp --dport 9000:9009 -m comment '
        '--comment "%s" -j DNAT --to-destination 10.0.0.2:8000-8009/9000' % TAG,
        '-A LINUXNET-POSTROUTING -s 10.0.0.2/32 -d 10.0.0.2/32 -p udp -m udp --dport 8000:8009 -m comment '
        '--comment "%s" -j MASQUERADE' % TAG]),
    (dict(DNAT, host_port='9000-9001', to_port='9000-9001'), [
        '-A LINUXNET-DNAT -p tcp -m tcp --dport 9000:9001 -m comment --comment "%s" -j DNAT --to-destination 10.0.0.2:9000-9001' % TAG,
        '-A LINUXNET-POSTROUTING -s 10.0.0.2/32 -d 10.0.0.2/32 -p tcp -m tcp --dport 9000:9001 -m comment --comment "%s" '
        '-j MASQUERADE' % TAG]),
])
def test_iptables_rules(params, expected):
    assert [line for _chain, line in iptables_rules(normalise_rule(params), TAG)] == expected


@pytest.mark.parametrize('params, expected', [
    (MASQUERADE, [('postrouting', 'ip saddr 10.0.0.0/24 oifname != "br0" masquerade comment "%s"' % TAG)]),
    ({'name': 's', 'kind': 'snat', 'source': '10.0.0.9', 'destination': '!192.0.2.0/24', 'out_interface': 'eth+',
      'to_address': '203.0.113.5'},
     [('postrouting', 'ip saddr 10.0.0.9 ip daddr != 192.0.2.0/24 oifname "eth*" snat to 203.0.113.5 comment "%s"' % TAG)]),
    (DNAT, [
        ('prerouting', 'fib daddr type local tcp dport 8080 dnat to 10.0.0.2:80 comment "%s"' % TAG),
        ('output', 'ip daddr != 127.0.0.0/8 fib daddr type local tcp dport 8080 dnat to 10.0.0.2:80 comment "%s"' % TAG),
        ('postrouting', 'ip saddr 10.0.0.2 ip daddr 10.0.0.2 tcp dport 80 masquerade comment "%s"' % TAG)]),
    (dict(DNAT, protocol='sctp', host_port='9000-9001', to_port='8000-8001', host_address='192.0.2.1', in_interface='br+'), [
        ('prerouting', 'fib daddr type local ip daddr 192.0.2.1 iifname "br*" sctp dport 9000-9001 '
                       'dnat to 10.0.0.2:sctp dport map { 9000 : 8000, 9001 : 8001 } comment "%s"' % TAG),
        ('output', 'ip daddr != 127.0.0.0/8 fib daddr type local ip daddr 192.0.2.1 iifname "br*" sctp dport 9000-9001 '
                   'dnat to 10.0.0.2:sctp dport map { 9000 : 8000, 9001 : 8001 } comment "%s"' % TAG),
        ('postrouting', 'ip saddr 10.0.0.2 ip daddr 10.0.0.2 sctp dport 8000-8001 masquerade comment "%s"' % TAG)]),
])
def test_nft_rules(params, expected):
    assert nft_rules(normalise_rule(params), TAG) == expected


# --- planning ------------------------------------------------------------------------------------

@pytest.mark.parametrize('backend, creations', [
    ('iptables', ['create nat chain LINUXNET-DNAT', 'create nat chain LINUXNET-POSTROUTING',
                  'add nat jump PREROUTING', 'add nat jump OUTPUT', 'add nat jump POSTROUTING']),
    ('nftables', ['create nat table ip linuxnet_fabric', 'create nat chain prerouting', 'create nat chain output',
                  'create nat chain postrouting']),
])
def test_first_rule_creates_the_shared_pieces_before_the_rules(backend, creations):
    plan = plan_rules([normalise_rule(DNAT)], [], 'o', backend=backend)
    described = [action.describe().split(' (')[0] for action in plan.actions]
    assert described == creations + ['add nat rule o:web'] * (2 if backend == 'iptables' else 3)
    assert plan.diff()['before'] == {'nat_rules': []}
    assert len(plan.diff()['after']['nat_rules']) == len(described)


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_unchanged_rule_plans_nothing(backend):
    current = current_state(backend, [('o', normalise_rule(DNAT)), ('o', normalise_rule(MASQUERADE))])
    plan = plan_rules([normalise_rule(DNAT)], current, 'o', backend=backend)
    assert not plan.changed
    assert plan.diff()['before'] == plan.diff()['after']


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_changed_rule_is_deleted_and_added_in_one_plan(backend):
    current = current_state(backend, [('o', normalise_rule(DNAT))])
    plan = plan_rules([normalise_rule(dict(DNAT, to_port=81))], current, 'o', backend=backend)
    verbs = [action.verb for action in plan.actions]
    count = 2 if backend == 'iptables' else 3
    assert verbs == ['delete'] * count + ['add'] * count
    assert all(action.name == 'o:web' for action in plan.actions)
    before, after = plan.diff()['before']['nat_rules'], plan.diff()['after']['nat_rules']
    assert any('10.0.0.2:80 ' in text or text.endswith('10.0.0.2:80') for text in before)
    assert any('10.0.0.2:81' in text for text in after) and not any('10.0.0.2:80 ' in text for text in after)


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_rule_missing_one_of_its_kernel_rules_is_written_again(backend):
    current = [entry for entry in current_state(backend, [('o', normalise_rule(DNAT))]) if entry.get('chain') not in ('postrouting', 'LINUXNET-POSTROUTING')
               or entry['kind'] != 'rule']
    plan = plan_rules([normalise_rule(DNAT)], current, 'o', backend=backend)
    assert [action.verb for action in plan.actions] == ['delete'] * (1 if backend == 'iptables' else 2) + ['add'] * (2 if backend == 'iptables' else 3)


@pytest.mark.parametrize('backend, removals', [
    ('iptables', ['delete nat rule o:web', 'delete nat rule o:web', 'delete nat jump PREROUTING', 'delete nat jump OUTPUT',
                  'delete nat jump POSTROUTING', 'delete nat chain LINUXNET-DNAT', 'delete nat chain LINUXNET-POSTROUTING']),
    ('nftables', ['delete nat rule o:web'] * 3 + ['delete nat table ip linuxnet_fabric']),
])
def test_removing_the_last_rule_removes_the_shared_pieces(backend, removals):
    current = current_state(backend, [('o', normalise_rule(DNAT))])
    plan = plan_rules([normalise_rule({'name': 'web', 'state': 'absent'})], current, 'o', backend=backend)
    assert [action.describe().split(' (')[0] for action in plan.actions] == removals
    assert plan.diff()['after'] == {'nat_rules': []}


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_removing_a_rule_keeps_the_shared_pieces_for_other_owners(backend):
    current = current_state(backend, [('o', normalise_rule(DNAT)), ('other', normalise_rule(DNAT))])
    plan = plan_rules([normalise_rule({'name': 'web', 'state': 'absent'})], current, 'o', backend=backend)
    assert {action.kind for action in plan.actions} == {'nat rule'}
    assert {action.name for action in plan.actions} == {'o:web'}


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_two_owners_planned_in_one_run_share_the_pieces_through_entries_after(backend):
    """fabric_node plans its masquerade and its published ports (two owners) against one read:
    the second plan starts from the first one's entries_after."""
    masquerade, web = normalise_rule(MASQUERADE), normalise_rule(DNAT)
    first = plan_rules([masquerade], [], 'o', backend=backend)
    second = plan_rules([web], first.entries_after, 'o-endpoints', backend=backend)
    assert {action.kind for action in second.actions} == {'nat rule'}
    assert sorted(entry['text'] for entry in second.entries_after) == sorted(
        entry['text'] for entry in current_state(backend, [('o', masquerade), ('o-endpoints', web)]))

    current = current_state(backend, [('o', masquerade), ('o-endpoints', web)])
    first = plan_rules([normalise_rule({'name': 'masq', 'state': 'absent'})], current, 'o', backend=backend)
    second = plan_rules([normalise_rule({'name': 'web', 'state': 'absent'})], first.entries_after, 'o-endpoints',
                        backend=backend)
    assert {action.kind for action in first.actions} == {'nat rule'}
    assert {action.kind for action in second.actions} > {'nat rule'}
    assert second.entries_after == []


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_absent_rule_that_is_not_there_plans_nothing(backend):
    current = current_state(backend, [('other', normalise_rule(dict(DNAT, name='gone')))])
    assert not plan_rules([normalise_rule({'name': 'gone', 'state': 'absent'})], current, 'o', backend=backend).changed
    assert not plan_rules([normalise_rule({'name': 'gone', 'state': 'absent'})], [], 'o', backend=backend).changed


@pytest.mark.parametrize('purge, removed_names', [
    (False, set()),
    (True, {'o:stale'}),
])
def test_purge_removes_only_the_other_rules_of_the_owner(purge, removed_names):
    current = current_state('iptables', [('o', normalise_rule(MASQUERADE)), ('o', normalise_rule(dict(DNAT, name='stale'))),
                                         ('other', normalise_rule(dict(DNAT, name='stale')))])
    plan = plan_rules([normalise_rule(MASQUERADE)], current, 'o', purge=purge)
    assert {action.name for action in plan.actions} == removed_names


def test_purge_with_absent_removes_every_rule_of_the_owner():
    current = current_state('nftables', [('o', normalise_rule(MASQUERADE)), ('o', normalise_rule(DNAT))])
    plan = plan_rules([normalise_rule({'name': 'masq', 'state': 'absent'})], current, 'o', purge=True, backend='nftables')
    assert [action.describe().split(' (')[0] for action in plan.actions] == (
        ['delete nat rule o:masq'] + ['delete nat rule o:web'] * 3 + ['delete nat table ip linuxnet_fabric'])


def test_missing_and_duplicated_jumps_are_repaired():
    current = current_state('iptables', [('o', normalise_rule(MASQUERADE))])
    jumps = [entry for entry in current if entry['kind'] == 'jump']
    current = [entry for entry in current if entry is not jumps[0]] + [dict(jumps[2])]
    plan = plan_rules([normalise_rule(MASQUERADE)], current, 'o')
    assert [action.describe().split(' (')[0] for action in plan.actions] == ['add nat jump PREROUTING', 'delete nat jump POSTROUTING']


@pytest.mark.parametrize('rules, owner, option', [
    ([normalise_rule(MASQUERADE), normalise_rule(MASQUERADE)], 'o', 'name'),
    ([normalise_rule(MASQUERADE)], 'a:b', 'owner'),
    ([normalise_rule(MASQUERADE)], 'x' * 65, 'owner'),
])
def test_plan_rules_rejects(rules, owner, option):
    with pytest.raises(OptionError) as raised:
        plan_rules(rules, [], owner)
    assert raised.value.option == option


# --- batches -------------------------------------------------------------------------------------

def test_iptables_batch_creates_deletes_and_removes_in_plan_order():
    current = current_state('iptables', [('o', normalise_rule(MASQUERADE))])
    update = plan_rules([normalise_rule(dict(MASQUERADE, out_interface='br1'))], current, 'o')
    lines = iptables_batch(update).splitlines()
    assert lines[0] == '*nat' and lines[-1] == 'COMMIT'
    assert lines[1].startswith('-D LINUXNET-POSTROUTING -s 10.0.0.0/24 ! -o br0 ')
    assert lines[2].startswith('-A LINUXNET-POSTROUTING -s 10.0.0.0/24 -o br1 ')

    removal = plan_rules([normalise_rule({'name': 'masq', 'state': 'absent'})], current, 'o')
    assert iptables_batch(removal).splitlines()[-3:] == ['-X LINUXNET-DNAT', '-X LINUXNET-POSTROUTING', 'COMMIT']
    creation = plan_rules([normalise_rule(MASQUERADE)], [], 'o')
    assert iptables_batch(creation).splitlines()[1:3] == ['-N LINUXNET-DNAT', '-N LINUXNET-POSTROUTING']


def test_nft_batch_deletes_by_handle_and_drops_the_table():
    current = current_state('nftables', [('o', normalise_rule(MASQUERADE))])
    handle = [entry for entry in current if entry['kind'] == 'rule'][0]['handle']
    removal = plan_rules([normalise_rule({'name': 'masq', 'state': 'absent'})], current, 'o', backend='nftables')
    assert nft_batch(removal).splitlines() == [
        'delete rule ip linuxnet_fabric postrouting handle %d' % handle, 'delete table ip linuxnet_fabric']
    creation = plan_rules([normalise_rule(MASQUERADE)], [], 'o', backend='nftables')
    assert nft_batch(creation).splitlines() == [
        'add table ip linuxnet_fabric',
        'add chain ip linuxnet_fabric prerouting { type nat hook prerouting priority -100; policy accept; }',
        'add chain ip linuxnet_fabric output { type nat hook output priority -100; policy accept; }',
        'add chain ip linuxnet_fabric postrouting { type nat hook postrouting priority 100; policy accept; }',
        'add rule ip linuxnet_fabric postrouting ip saddr 10.0.0.0/24 oifname != "br0" masquerade comment "%s"'
        % tag_of('o', normalise_rule(MASQUERADE)),
    ]


@pytest.mark.parametrize('backend, chains_after', [
    ('iptables', ['LINUXNET-DNAT', 'LINUXNET-POSTROUTING', 'LINUXNET-POSTROUTING']),
    ('nftables', ['prerouting', 'output', 'postrouting', 'postrouting']),
])
def test_diff_after_lists_rules_as_the_kernel_will(backend, chains_after):
    masquerade, dnat = normalise_rule(MASQUERADE), normalise_rule(DNAT)
    plan = plan_rules([masquerade, dnat], current_state(backend, [('o', masquerade)]), 'o', backend=backend)
    expected = rendered_entries(dnat, 'o', backend)[:-1] + rendered_entries(masquerade, 'o', backend) + rendered_entries(dnat, 'o', backend)[-1:]
    assert [entry['chain'] for entry in expected] == chains_after
    pieces = len(infrastructure(backend))
    assert plan.diff()['after']['nat_rules'][pieces:] == [entry['text'] for entry in expected]


# --- forward accepts (table filter) ---------------------------------------------------------------

ACCEPT_OUT = {'name': 'forward-out', 'kind': 'accept', 'source': '10.5.0.0/16'}
ACCEPT_IN = {'name': 'forward-in', 'kind': 'accept', 'destination': '10.5.0.0/16'}


@pytest.mark.parametrize('params, option, problem', [
    (dict(ACCEPT_OUT, to_address='10.0.0.1'), 'to_address', 'is not used by kind=accept'),
    (dict(ACCEPT_OUT, host_port=80), 'host_port', 'is not used by kind=accept'),
    (dict(ACCEPT_OUT, source='10.5.0.0/33'), 'source', 'is not a network'),
])
def test_accept_rules_take_addresses_and_interfaces_only(params, option, problem):
    with pytest.raises(OptionError) as raised:
        normalise_rule(params)
    assert raised.value.option == option and problem in raised.value.problem


@pytest.mark.parametrize('params, iptables, nft', [
    (ACCEPT_OUT, '-A LINUXNET-FORWARD -s 10.5.0.0/16 -m comment --comment "%s" -j ACCEPT',
     'ip saddr 10.5.0.0/16 accept comment "%s"'),
    (dict(ACCEPT_IN, out_interface='!flannel.1'),
     '-A LINUXNET-FORWARD -d 10.5.0.0/16 ! -o flannel.1 -m comment --comment "%s" -j ACCEPT',
     'ip daddr 10.5.0.0/16 oifname != "flannel.1" accept comment "%s"'),
])
def test_accept_rules_render_into_the_forward_chains(params, iptables, nft):
    rule = normalise_rule(params)
    assert iptables_rules(rule, TAG) == [('LINUXNET-FORWARD', iptables % TAG)]
    assert nft_rules(rule, TAG) == [('forward', nft % TAG)]
    assert [entry['table'] for entry in rendered_entries(rule, 'o', 'iptables')] == ['filter']


def test_accept_rules_alone_make_only_the_filter_pieces_with_iptables():
    plan = plan_rules([normalise_rule(ACCEPT_OUT)], [], 'o', backend='iptables')
    assert plan.descriptions()[:2] == ['create filter chain LINUXNET-FORWARD', 'add filter jump FORWARD (rule=%s)' % (
        '-A FORWARD -m comment --comment "linuxnet.fabric:jump" -j LINUXNET-FORWARD')]
    assert iptables_batch(plan).splitlines() == [
        '*filter', '-N LINUXNET-FORWARD', '-A FORWARD -m comment --comment "linuxnet.fabric:jump" -j LINUXNET-FORWARD',
        '-A LINUXNET-FORWARD -s 10.5.0.0/16 -m comment --comment "%s" -j ACCEPT' % tag_of('o', normalise_rule(ACCEPT_OUT)),
        'COMMIT']


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_the_last_accept_takes_the_filter_pieces_and_leaves_the_nat_ones(backend):
    masquerade, accept = normalise_rule(MASQUERADE), normalise_rule(ACCEPT_OUT)
    current = current_state(backend, [('o', masquerade), ('o', accept)], ('nat', 'filter'))
    plan = plan_rules([masquerade, normalise_rule({'name': 'forward-out', 'state': 'absent'})], current, 'o', backend=backend)
    if backend == 'iptables':
        assert [action.describe().split(' (')[0] for action in plan.actions] == [
            'delete filter rule o:forward-out', 'delete filter jump FORWARD', 'delete filter chain LINUXNET-FORWARD']
        assert iptables_batch(plan).splitlines()[0] == '*filter'
        assert '*nat' not in iptables_batch(plan)
    else:
        assert [action.describe().split(' (')[0] for action in plan.actions] == [
            'delete filter rule o:forward-out', 'delete filter chain forward']
        assert nft_batch(plan).splitlines()[-1] == 'delete chain ip linuxnet_fabric forward'
    assert not any('forward' in text.lower() for text in plan.after['nat_rules'])
    # Nothing left to do once the kernel holds the result.
    after = current_state(backend, [('o', masquerade)], ('nat',))
    assert not plan_rules([masquerade], after, 'o', backend=backend).changed


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_an_accept_next_to_nat_rules_adds_only_what_the_filter_table_lacks(backend):
    masquerade, accept = normalise_rule(MASQUERADE), normalise_rule(ACCEPT_OUT)
    plan = plan_rules([masquerade, accept], current_state(backend, [('o', masquerade)], ('nat',)), 'o', backend=backend)
    created = [action.describe().split(' (')[0] for action in plan.actions]
    if backend == 'iptables':
        assert created == ['create filter chain LINUXNET-FORWARD', 'add filter jump FORWARD', 'add filter rule o:forward-out']
    else:
        assert created == ['create filter chain forward', 'add filter rule o:forward-out']
        assert nft_batch(plan).splitlines()[0] == (
            'add chain ip linuxnet_fabric forward { type filter hook forward priority 0; policy accept; }')


# --- cases found by the mutation check (tests/mutation/run.py) --------------------------------------

@pytest.mark.parametrize('length, accepted', [(64, True), (65, False)])
def test_an_owner_may_be_exactly_as_long_as_allowed(length, accepted):
    if accepted:
        assert plan_rules([normalise_rule(MASQUERADE)], [], 'o' * length).changed
    else:
        with pytest.raises(OptionError):
            plan_rules([normalise_rule(MASQUERADE)], [], 'o' * length)


@pytest.mark.parametrize('length, accepted', [(128, True), (129, False)])
def test_a_rule_name_may_be_exactly_as_long_as_allowed(length, accepted):
    if accepted:
        assert normalise_rule(dict(MASQUERADE, name='n' * length))['name'] == 'n' * length
    else:
        with pytest.raises(OptionError) as raised:
            normalise_rule(dict(MASQUERADE, name='n' * length))
        assert raised.value.option == 'name'

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_rule import desired_rule, plan_rule, text

DEFAULTS = [
    {'priority': 0, 'table': 255, 'action': 1, 'src': None, 'src_len': 0, 'dst': None, 'dst_len': 0, 'iif': None, 'oif': None, 'fwmark': None},
    {'priority': 32766, 'table': 254, 'action': 1, 'src': None, 'src_len': 0, 'dst': None, 'dst_len': 0, 'iif': None, 'oif': None, 'fwmark': None},
]


def params(**changes):
    base = {'netns': None, 'state': 'present', 'priority': 31001, 'from': '172.19.0.0/16', 'to': None,
            'iif': None, 'oif': None, 'fwmark': None, 'table': '100'}
    base.update(changes)
    return base


def kernel(priority=31001, table=100, src='172.19.0.0', src_len=16, dst=None, dst_len=0, iif=None):
    return {'priority': priority, 'table': table, 'action': 1, 'src': src, 'src_len': src_len, 'dst': dst,
            'dst_len': dst_len, 'iif': iif, 'oif': None, 'fwmark': None}


@pytest.mark.parametrize('changes, expected', [
    ({}, '31001: from 172.19.0.0/16 lookup 100'),
    ({'from': None, 'to': '10.0.0.0/8', 'table': 'main'}, '31001: from all to 10.0.0.0/8 lookup main'),
    ({'iif': 'eth0', 'fwmark': 16, 'table': 'local'}, '31001: from 172.19.0.0/16 iif eth0 fwmark 0x10 lookup local'),
])
def test_text(changes, expected):
    assert text(desired_rule(params(**changes))) == expected


def test_new_rule_is_added():
    plan = plan_rule(desired_rule(params()), DEFAULTS)
    assert plan.descriptions() == ['add rule 31001: from 172.19.0.0/16 lookup 100 (netns=None)']
    assert plan.diff() == {'before': {'rules': []}, 'after': {'rules': ['31001: from 172.19.0.0/16 lookup 100']}}


def test_existing_rule_is_unchanged():
    assert not plan_rule(desired_rule(params()), DEFAULTS + [kernel()]).changed


def test_other_table_is_replaced_and_other_rules_are_left_alone():
    current = DEFAULTS + [kernel(table=101), kernel(priority=31002), kernel(src='10.0.0.0', src_len=8)]
    assert plan_rule(desired_rule(params()), current).descriptions() == [
        'delete rule 31001: from 172.19.0.0/16 lookup 101 (netns=None)',
        'add rule 31001: from 172.19.0.0/16 lookup 100 (netns=None)',
    ]


def test_absent_removes_matching_rules_only():
    current = DEFAULTS + [kernel(), kernel(table=101), kernel(priority=31002)]
    assert plan_rule(desired_rule(params(state='absent', table=None)), current).descriptions() == [
        'delete rule 31001: from 172.19.0.0/16 lookup 100 (netns=None)',
        'delete rule 31001: from 172.19.0.0/16 lookup 101 (netns=None)',
    ]
    assert plan_rule(desired_rule(params(state='absent', table='101')), current).descriptions() == [
        'delete rule 31001: from 172.19.0.0/16 lookup 101 (netns=None)']
    assert not plan_rule(desired_rule(params(state='absent')), DEFAULTS).changed


@pytest.mark.parametrize('changes, option', [
    ({'priority': None}, 'priority'),
    ({'priority': 0}, 'priority'),
    ({'priority': 32766}, 'priority'),
    ({'from': '172.19.0.1/16'}, 'from'),
    ({'to': 'fd00::/8'}, 'to'),
    ({'iif': 'x' * 16}, 'iif'),
    ({'table': 'other'}, 'table'),
    ({'table': None}, 'table'),
    ({'table': '0'}, 'table'),
    ({'fwmark': -1}, 'fwmark'),
])
def test_bad_input_names_the_option(changes, option):
    with pytest.raises(OptionError) as raised:
        desired_rule(params(**changes))
    assert raised.value.option == option


# --- cases found by the mutation check (tests/mutation/run.py) --------------------------------------

@pytest.mark.parametrize('option, value, accepted', [
    ('priority', 1, True), ('priority', 32765, True), ('priority', 0, False), ('priority', 32766, False),
    ('fwmark', 0, True), ('fwmark', 4294967295, True), ('fwmark', 4294967296, False), ('fwmark', -1, False),
    ('table', '1', True), ('table', '4294967295', True), ('table', '0', False), ('table', '4294967296', False),
])
def test_the_ends_of_each_range(option, value, accepted):
    if accepted:
        assert desired_rule(params(**{option: value}))[option] == int(value)
    else:
        with pytest.raises(OptionError) as raised:
            desired_rule(params(**{option: value}))
        assert raised.value.option == option


@pytest.mark.parametrize('changes, family', [
    ({}, 4),
    ({'from': None}, 4),
    ({'from': 'fd00:19::/48'}, 6),
    ({'from': None, 'to': 'fd00::/8'}, 6),
])
def test_the_family_follows_the_selectors(changes, family):
    assert desired_rule(params(**changes))['family'] == family

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Action, Plan, differences, merged


@pytest.mark.parametrize('current, desired, expected', [
    ({'mtu': 1500}, {'mtu': None}, {}),
    ({'mtu': 1500}, {'mtu': 1500}, {}),
    ({'mtu': 1500}, {'mtu': 1450}, {'mtu': (1500, 1450)}),
    ({}, {'mac': 'aa'}, {'mac': (None, 'aa')}),
    ({'up': True}, {'up': False}, {'up': (True, False)}),
])
def test_differences_ignores_unset_options(current, desired, expected):
    assert differences(current, desired) == expected


def test_merged_keeps_current_for_unset_options():
    assert merged({'mtu': 1500, 'up': True}, {'mtu': None, 'up': False}) == {'mtu': 1500, 'up': False}


def test_plan_changed_and_descriptions():
    plan = Plan({'a': 1}, {'a': 2})
    assert not plan.changed
    plan.add('set', 'link', 'eth0', mtu=1450, state='up')
    assert plan.changed
    assert plan.descriptions() == ['set link eth0 (mtu=1450, state=up)']
    assert plan.diff() == {'before': {'a': 1}, 'after': {'a': 2}}


def test_action_equality():
    assert Action('create', 'netns', 'x') == Action('create', 'netns', 'x')
    assert Action('create', 'netns', 'x') != Action('create', 'netns', 'y')
    assert Action('set', 'link', 'x', mtu=1) != Action('set', 'link', 'x', mtu=2)

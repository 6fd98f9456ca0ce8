# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_netns import plan_netns


@pytest.mark.parametrize('state, observed, loopback_up, expected', [
    ('present', 'absent', False, ['create netns ns1', 'set link lo (netns=ns1, state=up)']),
    ('present', 'present', True, []),
    ('present', 'present', False, ['set link lo (netns=ns1, state=up)']),
    ('present', 'stale', False, ['delete netns ns1 (stale=True)', 'create netns ns1', 'set link lo (netns=ns1, state=up)']),
    ('absent', 'absent', False, []),
    ('absent', 'present', True, ['delete netns ns1 (stale=False)']),
    ('absent', 'stale', False, ['delete netns ns1 (stale=True)']),
])
def test_plan_netns_actions(state, observed, loopback_up, expected):
    plan = plan_netns('ns1', state, observed, loopback_up)
    assert plan.descriptions() == expected
    assert plan.changed is bool(expected)


@pytest.mark.parametrize('state, observed, before_exists, after_exists', [
    ('present', 'absent', False, True),
    ('present', 'stale', False, True),
    ('absent', 'present', True, False),
    ('absent', 'absent', False, False),
])
def test_plan_netns_diff(state, observed, before_exists, after_exists):
    diff = plan_netns('ns1', state, observed, observed == 'present').diff()
    assert diff['before']['exists'] is before_exists
    assert diff['after']['exists'] is after_exists
    assert diff['after']['loopback_up'] is after_exists


# --- cases found by the mutation check (tests/mutation/run.py) --------------------------------------

@pytest.mark.parametrize('observed, loopback_up, before', [
    ('present', False, {'name': 'ns1', 'exists': True, 'loopback_up': False}),
    ('present', True, {'name': 'ns1', 'exists': True, 'loopback_up': True}),
    ('absent', False, {'name': 'ns1', 'exists': False, 'loopback_up': False}),
    # A stale file is no namespace, whatever was read for its lo.
    ('stale', True, {'name': 'ns1', 'exists': False, 'loopback_up': False}),
])
def test_the_diff_shows_lo_as_it_is(observed, loopback_up, before):
    diff = plan_netns('ns1', 'present', observed, loopback_up).diff()
    assert diff['before'] == before
    assert diff['after'] == {'name': 'ns1', 'exists': True, 'loopback_up': True}

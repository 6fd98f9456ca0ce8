# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._plan_netns import plan_netns


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

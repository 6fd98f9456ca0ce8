# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Action, Plan, differences, merged, reconcile


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


class Recorder(object):
    """A state that counts its reads and changes by one with each apply."""

    def __init__(self):
        self.state = 0
        self.reads = 0
        self.applied = []

    def read(self):
        self.reads += 1
        return self.state

    def apply(self, plan, current):
        self.applied.append((plan.descriptions(), current))
        self.state += 1


def one_change(current):
    plan = Plan({'state': current}, {'state': current + 1})
    plan.add('set', 'state', 'counter')
    return plan


@pytest.mark.parametrize('read_back, reads, reported', [(True, 2, 1), (False, 1, 0)])
def test_reconcile_reads_back_after_a_change_only_when_asked(read_back, reads, reported):
    recorder = Recorder()
    plan, current = reconcile(False, recorder.read, one_change, recorder.apply, read_back=read_back)
    assert recorder.applied == [(['set state counter'], 0)]
    assert (recorder.reads, current) == (reads, reported)
    assert plan.after == {'state': 1}


@pytest.mark.parametrize('check_mode, plan_of', [(True, one_change), (False, lambda current: Plan())])
def test_reconcile_reads_once_when_nothing_is_applied(check_mode, plan_of):
    recorder = Recorder()
    _plan, current = reconcile(check_mode, recorder.read, plan_of, recorder.apply)
    assert (recorder.applied, recorder.reads, current) == ([], 1, 0)

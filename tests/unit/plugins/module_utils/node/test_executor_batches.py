# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How _executor folds a new veth's host settings into its creating request."""

from __future__ import annotations

from ansible_collections.linuxnet.fabric.plugins.module_utils.node._executor import merged_veth_settings
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan


def endpoint_plan(host_settings):
    plan = Plan()
    plan.add('create', 'netns', 'c1')
    plan.add('create', 'veth', 'h1', netns='node', peer='eth0', peer_netns='c1', mtu=None)
    plan.add('set', 'link', 'h1', netns='node', **host_settings)
    plan.add('set', 'link', 'lo', netns='c1', state='up')
    plan.add('set', 'link', 'eth0', netns='c1', state='up')
    return plan


def test_master_alias_and_up_go_with_the_creating_request():
    plan = endpoint_plan({'alias': 'mark', 'master': 'cbr0', 'state': 'up'})
    reported = plan.descriptions()
    merged = merged_veth_settings(plan.actions)
    assert [(action.verb, action.kind, action.name) for action in merged] == [
        ('create', 'netns', 'c1'), ('create', 'veth', 'h1'), ('set', 'link', 'lo'), ('set', 'link', 'eth0')]
    assert merged[1].details['_host'] == {'netns': 'node', 'alias': 'mark', 'master': 'cbr0', 'state': 'up'}
    # The peer's up state stays its own request; the plan (the module's report) is unchanged.
    assert merged[3].details == {'netns': 'c1', 'state': 'up'}
    assert plan.descriptions() == reported and '_host' not in plan.actions[1].details


def test_settings_the_creating_request_cannot_carry_stay_apart():
    for settings in ({'alias': 'mark', 'state': 'down'}, {'alias': 'mark', 'mtu': 1400}):
        plan = endpoint_plan(settings)
        merged = merged_veth_settings(plan.actions)
        assert len(merged) == len(plan.actions)
        assert '_host' not in merged[1].details


def test_a_setting_of_another_link_is_not_folded():
    plan = Plan()
    plan.add('create', 'veth', 'h1', netns='node', peer='eth0', peer_netns='c1')
    plan.add('set', 'link', 'h2', netns='node', state='up')
    plan.add('set', 'link', 'h1', netns='other', state='up')
    merged = merged_veth_settings(plan.actions)
    assert [action.name for action in merged] == ['h1', 'h2', 'h1']
    assert '_host' not in merged[0].details

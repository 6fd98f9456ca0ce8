# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planner for the netns module. Pure: no Ansible, no kernel."""

from __future__ import annotations

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan


def view(name, namespace_state, loopback_up):
    """The diff view of a namespace: what a user would check with `ip netns` / `ip link`."""
    exists = namespace_state == 'present'
    return {'name': name, 'exists': exists, 'loopback_up': bool(exists and loopback_up)}


def plan_netns(name, state, namespace_state, loopback_up):
    """Actions to reach `state` ('present'/'absent') from the observed namespace.

    namespace_state is 'present', 'absent' or 'stale' (a leftover file that is not a namespace,
    which would make creation fail: it is removed and the namespace created anew).
    """
    before = view(name, namespace_state, loopback_up)
    if state == 'absent':
        plan = Plan(before, view(name, 'absent', False))
        if namespace_state != 'absent':
            plan.add('delete', 'netns', name, stale=namespace_state == 'stale')
        return plan

    plan = Plan(before, view(name, 'present', True))
    if namespace_state == 'stale':
        plan.add('delete', 'netns', name, stale=True)
    if namespace_state != 'present':
        plan.add('create', 'netns', name)
    if namespace_state != 'present' or not loopback_up:
        plan.add('set', 'link', 'lo', netns=name, state='up')
    return plan

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.node import _executor
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan


@pytest.mark.parametrize('read_back, reads', [(True, 2), (False, 1)])
def test_reconcile_passes_read_back_on(monkeypatch, read_back, reads):
    """routes passes read_back=False: its result is the plan's views, a second dump would be unused."""
    executed = []
    monkeypatch.setitem(_executor.HANDLERS, ('set', 'test object'),
                        lambda sessions, action: executed.append(action.name))
    calls = []

    def read(sessions):
        calls.append(sessions)
        return len(calls)

    def plan_of(current):
        plan = Plan({'read': current}, {'read': current})
        plan.add('set', 'test object', 'one')
        return plan

    _plan, current = _executor.reconcile(read, plan_of, False, read_back=read_back)
    assert executed == ['one']
    assert (len(calls), current) == (reads, reads)
    # The read, the change and the read back share one set of sessions.
    assert all(sessions is calls[0] for sessions in calls)

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of the collection shares: the common options and the error boundary."""

from __future__ import annotations

import contextlib

from ansible_collections.linuxnet.fabric.plugins.module_utils import _netns, _node_lock, _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError

# Documented once, in the doc fragment linuxnet.fabric.common.
NETNS_OPTION = dict(type='str')
LOCK_TIMEOUT_OPTION = dict(type='int', default=_node_lock.DEFAULT_TIMEOUT)
# An hour: a run that waits longer for another one is better told to look.
LOCK_TIMEOUT_MAX = 3600
STATE_OPTION = dict(type='str', default='present', choices=['present', 'absent'])


def argument_spec(**specific):
    """The module's own options plus the common `netns` option."""
    spec = dict(netns=dict(NETNS_OPTION))
    spec.update(specific)
    return spec


def check_netns_option(value, option='netns'):
    """Validate a `netns`-style option (a name under /run/netns, or an absolute path)."""
    return _validate.netns(option, value)


def check(option, problem):
    """Raise OptionError when a validator reported a problem."""
    if problem:
        raise OptionError(option, problem)


@contextlib.contextmanager
def failing_on_errors(module, **result):
    """Fail the module with FabricError's message (which names the option or object)."""
    try:
        yield
    except FabricError as error:
        module.fail_json(msg=str(error), **result)


def reconcile(check_mode, read, plan_of, apply, read_back=True):
    """The one body of every module that changes state.

    Read the current state once (read() -> current), plan the change (plan_of(current) -> a Plan:
    ordered actions and the before/after diff), apply it unless in check mode (apply(plan,
    current): what was read, for the changes that rewrite it), and read back. Returns (plan,
    current): current is what holds after the run (in check mode what holds now, as nothing
    changed), so that a module can report the kernel's word rather than its own intent (most
    do; sysctl and routes report their plan's after view).
    Validation comes before it: nothing here may fail on bad input after a change.

    A plan is applied when it has actions; whether they are a change is the plan's word
    (plan.changed): docker_daemon's plan rewrites its record in a newer format without changing
    anything dockerd reads. read_back=False reports what was read: for a module whose read is
    costly right after its change (the lab pings every machine's dockerd, which a machine started
    now may not answer yet) and which reports what it did instead.
    """
    current = read()
    plan = plan_of(current)
    if plan.actions and not check_mode:
        apply(plan, current)
        if read_back:
            current = read()
    return plan, current


def exit_with_plan(module, plan, **state):
    """Exit a module that planned a change: changed, diff and actions from the plan, plus its state."""
    module.exit_json(changed=plan.changed, diff=plan.diff(), actions=plan.descriptions(), **state)


def require_existing_netns(option, value):
    """Fail naming the option when a namespace it refers to does not exist (None: the node's own)."""
    if value is None:
        return
    state = _netns.state(value)
    if state == 'absent':
        raise OptionError(option, "refers to network namespace '%s', which does not exist" % value)
    if state != 'present':
        raise OptionError(option, "refers to '%s', which is not a network namespace" % _netns.path_of(value))


def node_lock(module, name):
    """The node's fabric lock for a module that changes it (doc fragment linuxnet.fabric.common.lock);
    nothing in check mode, which changes nothing."""
    timeout = _validate.integer_in_range('lock_timeout', module.params['lock_timeout'], 0, LOCK_TIMEOUT_MAX)
    if module.check_mode:
        return contextlib.nullcontext()
    return _node_lock.held(timeout=timeout, module=name)

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of the collection shares: the common options and the error boundary."""

from __future__ import annotations

import contextlib

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns
from ansible_collections.linuxnet.fabric.plugins.module_utils.node import _node_lock
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
# The one body of every module that changes state; in the planners' layer so that the node-side
# executors and the etcd lease run (below this module in the layers) use it too.
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import reconcile  # noqa: F401 pylint: disable=unused-import
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

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plans: the ordered actions that turn the current state into the desired one, with a diff.

Pure code (no Ansible, no kernel). A planner compares only the options the user set: a desired
value of None means "don't care", so a module never fights over settings it was not given.
"""

from __future__ import annotations


class Action(object):
    """One change to make: a verb on a kind of object, with the details the executor needs."""

    __slots__ = ('verb', 'kind', 'name', 'details')

    def __init__(self, verb, kind, name, **details):
        self.verb = verb
        self.kind = kind
        self.name = name
        self.details = details

    def describe(self):
        """A one-line, human-readable form, used in results and messages.

        Details whose key starts with '_' are for the executor only and are not shown.
        """
        text = '%s %s %s' % (self.verb, self.kind, self.name)
        shown = sorted(key for key in self.details if not key.startswith('_'))
        if shown:
            text += ' (%s)' % ', '.join('%s=%s' % (key, self.details[key]) for key in shown)
        return text

    def __eq__(self, other):
        return isinstance(other, Action) and (self.verb, self.kind, self.name, self.details) == (
            other.verb, other.kind, other.name, other.details)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.verb, self.kind, self.name))

    def __repr__(self):
        return 'Action(%s)' % self.describe()


class Plan(object):
    """Ordered actions plus the before/after views that make up the diff."""

    def __init__(self, before=None, after=None):
        self.actions = []
        self.before = before if before is not None else {}
        self.after = after if after is not None else {}

    def add(self, verb, kind, name, **details):
        action = Action(verb, kind, name, **details)
        self.actions.append(action)
        return action

    def extend(self, other):
        """Append another plan's actions and merge its diff views under the same keys."""
        self.actions.extend(other.actions)
        self.before.update(other.before)
        self.after.update(other.after)

    @property
    def changed(self):
        return bool(self.actions)

    def diff(self):
        return {'before': self.before, 'after': self.after}

    def descriptions(self):
        return [action.describe() for action in self.actions]


def differences(current, desired):
    """{key: (current, desired)} for each key whose desired value is set and differs."""
    return dict(
        (key, (current.get(key), wanted))
        for key, wanted in desired.items()
        if wanted is not None and current.get(key) != wanted
    )


def merged(current, desired):
    """The state after applying `desired` on top of `current` (None in desired keeps current)."""
    result = dict(current)
    for key, wanted in desired.items():
        if wanted is not None:
            result[key] = wanted
    return result


def reconcile(check_mode, read, plan_of, apply, read_back=True):
    """The one body of every module that changes state.

    Read the current state once (read() -> current), plan the change (plan_of(current) -> a Plan:
    ordered actions and the before/after diff), apply it unless in check mode (apply(plan,
    current): what was read, for the changes that rewrite it), and read back. Returns (plan,
    current): current is what holds after the run (in check mode what holds now, as nothing
    changed), so that a module can report the kernel's word rather than its own intent (most
    do; sysctl and routes report their plan's views and pass read_back=False).
    Validation comes before it: nothing here may fail on bad input after a change.

    A plan is applied when it has actions; whether they are a change is the plan's word
    (plan.changed): docker_daemon's plan rewrites its record in a newer format without changing
    anything dockerd reads. read_back=False reports what was read: for a module that reports what
    it did instead (sysctl and routes: their plan's views), where a second read would be unused
    or costly right after the change (the lab pings every machine's dockerd, which a machine
    started now may not answer yet).
    """
    current = read()
    plan = plan_of(current)
    if plan.actions and not check_mode:
        apply(plan, current)
        if read_back:
            current = read()
    return plan, current

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Processes by identity: a PID together with its start time ({pid, start_time}), so that a PID
the kernel has handed to another process since is never taken for the one recorded (and never
signalled in its place)."""

from __future__ import annotations

import time


def status(pid, proc='/proc'):
    """(state letter, start time in clock ticks since boot) of a process, or None if there is none."""
    try:
        with open('%s/%d/stat' % (proc, pid)) as stat:
            data = stat.read()
    except (OSError, ValueError, TypeError):
        return None
    # The command (second field) is in parentheses and may hold spaces and ')'.
    fields = data[data.rindex(')') + 2:].split()
    return fields[0], int(fields[19])


def identity(pid):
    """{pid, start_time} of a running process, or None."""
    found = status(pid)
    return {'pid': pid, 'start_time': found[1]} if found else None


def is_running(entry):
    """True while the process recorded in `entry` ({pid, start_time}) still runs (a zombie does not)."""
    if not entry or not entry.get('pid'):
        return False
    found = status(entry['pid'])
    return bool(found) and found[0] != 'Z' and found[1] == entry.get('start_time')


def wait_gone(entry, timeout):
    """Wait until the recorded process has exited; True if it is gone (zombies count as gone
    only when the timeout expires: the host's PID 1 reaps them in its own time)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = status(entry['pid'])
        if found is None or found[1] != entry.get('start_time'):
            return True
        time.sleep(0.02)
    return False

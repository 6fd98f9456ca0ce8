# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Processes by PID and start time, from stat files written here (never the host's /proc)."""

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _process


def write_stat(proc, pid, command, state, start_time):
    # The fields after the command: state, ppid, ... (start time is the 20th of them).
    rest = [state, '1'] + ['0'] * 17 + [str(start_time), '0']
    (proc / str(pid)).mkdir()
    (proc / str(pid) / 'stat').write_text('%d (%s) %s\n' % (pid, command, ' '.join(rest)))


@pytest.mark.parametrize('command', ['python3', 'a b) (c', ')'])
def test_status_reads_state_and_start_time_whatever_the_command_holds(tmp_path, command):
    write_stat(tmp_path, 42, command, 'S', 987654)
    assert _process.status(42, proc=str(tmp_path)) == ('S', 987654)


def test_status_of_no_process_is_none(tmp_path):
    assert _process.status(43, proc=str(tmp_path)) is None


@pytest.mark.parametrize('found, entry, running', [
    (('S', 100), {'pid': 7, 'start_time': 100}, True),
    (('R', 100), {'pid': 7, 'start_time': 100}, True),
    (('Z', 100), {'pid': 7, 'start_time': 100}, False),   # exited, not reaped yet
    (('S', 101), {'pid': 7, 'start_time': 100}, False),   # the PID is another process's now
    (None, {'pid': 7, 'start_time': 100}, False),
    (('S', 100), {'pid': 0, 'start_time': 100}, False),
    (('S', 100), None, False),
])
def test_is_running_needs_the_same_start_time_and_a_live_process(monkeypatch, found, entry, running):
    monkeypatch.setattr(_process, 'status', lambda pid: found)
    assert _process.is_running(entry) is running


def test_identity_is_pid_and_start_time(monkeypatch):
    monkeypatch.setattr(_process, 'status', lambda pid: ('S', 555) if pid == 9 else None)
    assert _process.identity(9) == {'pid': 9, 'start_time': 555}
    assert _process.identity(10) is None

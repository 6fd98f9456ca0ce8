# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.services._docker_service import plan_restart, restart
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError

SERVICE = ['/usr/sbin/service', 'docker', 'restart']


class FakeAPI(object):
    socket_path = '/run/docker.sock'

    def __init__(self, answers):
        self.answers = list(answers)  # what each ping says, in order; the last one repeats

    def ping(self):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def version(self):
        return {'Version': '20.10.24+dfsg1'}


class Commands(object):
    def __init__(self, rc=0):
        self.rc = rc
        self.calls = []

    def __call__(self, args):
        self.calls.append(args)
        return self.rc, '', 'Job for docker.service failed' if self.rc else ''


def test_a_running_dockerd_is_restarted_and_waited_for(fake_clock):
    commands, clock = Commands(), fake_clock
    # Up before, then down for a while during the restart, then up.
    result = restart(FakeAPI([True, False, False, False, True]), commands, SERVICE, 60, clock=clock, sleep=clock.sleep)
    assert (result['changed'], result['restarted'], result['running'], result['version']) == (True, True, True, '20.10.24+dfsg1')
    assert commands.calls == [SERVICE]
    assert clock.now == pytest.approx(0.3)


def test_a_dockerd_that_does_not_run_is_left_alone_unless_asked(fake_clock):
    commands = Commands()
    result = restart(FakeAPI([False]), commands, SERVICE, 60)
    assert (result['changed'], result['restarted'], result['running']) == (False, False, False)
    assert commands.calls == []
    clock = fake_clock
    started = restart(FakeAPI([False, True]), commands, SERVICE, 60, only_if_running=False, clock=clock, sleep=clock.sleep)
    assert started['restarted'] and commands.calls == [SERVICE]


def test_check_mode_predicts_the_restart_and_runs_nothing():
    commands = Commands()
    result = restart(FakeAPI([True]), commands, SERVICE, 60, check_mode=True)
    assert (result['changed'], result['restarted']) == (True, False)
    assert commands.calls == []


def test_a_failing_restart_command_is_reported_with_its_message():
    with pytest.raises(FabricError, match=r'restarting dockerd: "/usr/sbin/service docker restart" failed \(rc=1\): Job for'):
        restart(FakeAPI([True]), Commands(rc=1), SERVICE, 60)


def test_a_dockerd_that_never_answers_fails_after_the_timeout_naming_the_socket(fake_clock):
    clock = fake_clock
    with pytest.raises(FabricError, match=r'does not answer on /run/docker.sock 5s after'):
        restart(FakeAPI([True, False]), Commands(), SERVICE, 5, clock=clock, sleep=clock.sleep)
    assert 5 < clock.now < 5.5


@pytest.mark.parametrize('running, only_if_running, actions', [
    (True, True, ['restart service docker']),
    (True, False, ['restart service docker']),
    (False, True, []),
    # Asked to start it anyway: the restart starts it.
    (False, False, ['restart service docker']),
])
def test_plan_restart(running, only_if_running, actions):
    plan = plan_restart(running, only_if_running)
    assert plan.descriptions() == actions
    assert plan.changed is bool(actions)
    assert plan.diff() == {'before': {'running': running}, 'after': {'running': bool(actions)}}

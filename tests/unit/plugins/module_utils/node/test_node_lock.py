# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import fcntl
import json
import os

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.node import _node_lock
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError

HOLDER = {'pid': 4242, 'since': 1796300000, 'module': 'fabric_node', 'controller': '10.88.0.254'}


def test_held_writes_the_holder_and_leaves_no_file(tmp_path):
    path = str(tmp_path / 'run' / 'node.lock')
    with _node_lock.held(path, holder=HOLDER):
        with open(path) as stream:
            assert json.load(stream) == HOLDER
    assert not os.path.exists(path)
    assert not os.path.exists(os.path.dirname(path))


def test_released_when_the_block_fails(tmp_path):
    path = str(tmp_path / 'node.lock')
    with pytest.raises(RuntimeError):
        with _node_lock.held(path, holder=HOLDER):
            raise RuntimeError('boom')
    with _node_lock.held(path, timeout=0, holder=HOLDER):
        pass


def test_reentrant_in_one_process(tmp_path):
    path = str(tmp_path / 'node.lock')
    with _node_lock.held(path, timeout=0, holder=HOLDER):
        with _node_lock.held(path, timeout=0, holder=HOLDER):
            assert os.path.exists(path)
        # The inner block did not release the outer one's lock.
        assert os.path.exists(path)


def test_a_waiter_gives_up_after_the_timeout_naming_the_holder(tmp_path, fake_clock):
    path = str(tmp_path / 'node.lock')
    with open(path, 'w') as other:
        # Another run's module: an flock on another open file description of the same file.
        fcntl.flock(other, fcntl.LOCK_EX)
        other.write(json.dumps(HOLDER))
        other.flush()
        clock = fake_clock
        with pytest.raises(FabricError) as raised:
            with _node_lock.held(path, timeout=30, clock=clock, sleep=clock.sleep, holder=HOLDER):
                pytest.fail('the lock was taken twice')
    message = str(raised.value)
    assert 'PID 4242 (fabric_node, run from 10.88.0.254)' in message
    assert 'Waited 30 s' in message and 'end PID 4242' in message
    assert 29.8 <= clock.now <= 30.4


def test_a_waiter_gets_the_lock_once_the_holder_releases(tmp_path, fake_clock):
    path = str(tmp_path / 'node.lock')
    other = open(path, 'w')
    fcntl.flock(other, fcntl.LOCK_EX)
    clock = fake_clock

    def sleep_then_release(seconds):
        clock.sleep(seconds)
        if clock.now >= 1.0 and not other.closed:
            # What a holder's release does: unlink while holding, then close.
            os.unlink(path)
            other.close()

    with _node_lock.held(path, timeout=30, clock=clock, sleep=sleep_then_release, holder=HOLDER):
        # The waiter noticed that its file was unlinked and locked the new one.
        assert os.path.exists(path)
        with open(path) as stream:
            assert json.load(stream)['pid'] == 4242
    assert 1.0 <= clock.now < 2.0


@pytest.mark.parametrize('environ, controller', [
    ({'SSH_CLIENT': '10.88.0.254 50522 22'}, '10.88.0.254'),
    ({}, 'local'),
])
def test_holder_description(environ, controller):
    description = _node_lock.holder_description(environ=environ, pid=7, clock=lambda: 100.5, module='endpoints')
    assert description == {'pid': 7, 'since': 100, 'module': 'endpoints', 'controller': controller}


@pytest.mark.parametrize('text, words', [
    (json.dumps(HOLDER), 'PID 4242 (fabric_node, run from 10.88.0.254) since 2026-'),
    ('', 'a process that has not written its name yet'),
    ('{"pid": 1}', 'a process that has not written its name yet'),
])
def test_describe_holder(text, words):
    assert words in _node_lock.describe_holder(text)


def test_a_garbled_holder_file_still_gives_the_message(tmp_path, fake_clock):
    path = str(tmp_path / 'node.lock')
    with open(path, 'w') as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        other.write('{"pid": 12')
        other.flush()
        clock = fake_clock
        with pytest.raises(FabricError) as raised:
            with _node_lock.held(path, timeout=1, clock=clock, sleep=clock.sleep, holder=HOLDER):
                pytest.fail('the lock was taken twice')
    assert 'a process that has not written its name yet' in str(raised.value) and 'end PID ?' in str(raised.value)

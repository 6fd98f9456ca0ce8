# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.node import _probe


@pytest.mark.parametrize('answers, attempts, ok, tried, pauses', [
    ([True], 2, True, 1, 0),
    ([False, True], 2, True, 2, 1),
    ([False, False], 2, False, 2, 1),
    ([False, True], 1, False, 1, 0),
    ([False, False, False, True], 3, False, 3, 2),
])
def test_a_target_is_tried_until_it_answers_or_the_attempts_are_spent(monkeypatch, answers, attempts, ok, tried, pauses):
    calls, slept = [], []

    def connect_once(target):
        calls.append(target)
        return dict(target, ok=answers[len(calls) - 1], error=None if answers[len(calls) - 1] else 'timed out')

    monkeypatch.setattr(_probe, 'connect_once', connect_once)
    result = _probe.connect({'address': '192.0.2.1', 'port': 7777}, attempts, pause=0.5, sleep=slept.append)
    assert (result['ok'], result['attempts'], len(calls)) == (ok, tried, tried)
    assert slept == [0.5] * pauses

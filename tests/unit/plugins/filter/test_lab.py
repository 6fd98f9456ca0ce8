# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.linuxnet.fabric.plugins.filter.lab import lab_machines, lab_plan


def test_lab_plan_errors_name_the_role_variable():
    with pytest.raises(AnsibleFilterError, match=r"option 'lab_machines\[1\]\.name'"):
        lab_plan({'directory': '/var/tmp/x', 'machines': ['a', 'a']})


def test_lab_plan_rejects_non_dict_input():
    with pytest.raises(AnsibleFilterError, match='expects a dict'):
        lab_plan(['not', 'a', 'dict'])


def test_lab_machines_from_host_variables():
    hostvars = {
        'node1': {'ansible_host': '10.88.0.11'},
        'node2': {},
        'node3': {'ansible_host': 'node3'},
        'outside': {'ansible_host': '203.0.113.10', 'lab_segment': 'outside'},
        'pinned': {'ansible_host': 'pinned.example', 'lab_address': '10.88.0.40'},
    }
    assert lab_machines(['node1', 'node2', 'node3', 'outside', 'pinned'], hostvars) == [
        {'name': 'node1', 'segment': 'lan', 'address': '10.88.0.11'},
        {'name': 'node2', 'segment': 'lan'},
        {'name': 'node3', 'segment': 'lan'},
        {'name': 'outside', 'segment': 'outside', 'address': '203.0.113.10'},
        {'name': 'pinned', 'segment': 'lan', 'address': '10.88.0.40'},
    ]

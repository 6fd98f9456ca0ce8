# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.linuxnet.fabric.plugins.filter.lab import (
    lab_machines,
    lab_neighbour_changes,
    lab_neighbour_thresholds,
    lab_plan,
)


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


IPV4_HARD = 'net.ipv4.neigh.default.gc_thresh3'
KERNEL_DEFAULTS = {'net.%s.neigh.default.gc_thresh%d' % (family, level): value
                   for family in ('ipv4', 'ipv6') for level, value in ((1, 128), (2, 512), (3, 1024))}


@pytest.mark.parametrize('machines, entries_per_machine, hard_limit', [
    (0, 128, 1024),
    # (7 + 2)^2 + 7 x 128 = 977: the kernel's defaults hold.
    (7, 128, 1024),
    # (8 + 2)^2 + 8 x 128 = 1124.
    (8, 128, 2048),
    # 32 nodes, a gateway and an outside host: 36^2 + 34 x 128 = 5648.
    (34, 128, 8192),
    # The LAN alone: 62^2 = 3844.
    (60, 0, 4096),
    (5, 1000, 8192),
])
def test_neighbour_thresholds_grow_with_the_machines_in_the_kernels_proportions(machines, entries_per_machine, hard_limit):
    needed = lab_neighbour_thresholds(machines, entries_per_machine)
    assert sorted(needed) == sorted(KERNEL_DEFAULTS)
    for family in ('ipv4', 'ipv6'):
        prefix = 'net.%s.neigh.default.gc_thresh' % family
        assert [needed[prefix + level] for level in '123'] == [hard_limit // 8, hard_limit // 2, hard_limit]


@pytest.mark.parametrize('machines, entries_per_machine', [(-1, 128), ('3', 128), (3, -5), (True, 128)])
def test_neighbour_thresholds_reject_what_is_not_a_count(machines, entries_per_machine):
    with pytest.raises(AnsibleFilterError, match='must be a whole number'):
        lab_neighbour_thresholds(machines, entries_per_machine)


def test_raising_writes_only_values_below_the_need_and_records_what_it_found():
    current = dict(KERNEL_DEFAULTS, **{'net.ipv4.neigh.default.gc_thresh1': '4096', IPV4_HARD: '16384'})
    changes = lab_neighbour_changes(current, {}, lab_neighbour_thresholds(34))
    assert changes['set'] == {
        'net.ipv4.neigh.default.gc_thresh2': 4096,
        'net.ipv6.neigh.default.gc_thresh1': 1024,
        'net.ipv6.neigh.default.gc_thresh2': 4096,
        'net.ipv6.neigh.default.gc_thresh3': 8192,
    }
    assert changes['record'] == {
        'net.ipv4.neigh.default.gc_thresh2': {'found': 512, 'set': 4096},
        'net.ipv6.neigh.default.gc_thresh1': {'found': 128, 'set': 1024},
        'net.ipv6.neigh.default.gc_thresh2': {'found': 512, 'set': 4096},
        'net.ipv6.neigh.default.gc_thresh3': {'found': 1024, 'set': 8192},
    }
    # Once raised, a second run writes nothing and keeps the record.
    raised = dict(current, **changes['set'])
    assert lab_neighbour_changes(raised, changes['record'], lab_neighbour_thresholds(34)) == {'set': {}, 'record': changes['record']}


def test_raising_a_lab_that_grew_keeps_the_value_found_first():
    record = {IPV4_HARD: {'found': 1024, 'set': 2048}}
    changes = lab_neighbour_changes({IPV4_HARD: 2048}, record, {IPV4_HARD: 8192})
    assert changes == {'set': {IPV4_HARD: 8192}, 'record': {IPV4_HARD: {'found': 1024, 'set': 8192}}}


def test_a_host_without_ipv6_gets_ipv4_raised_only():
    ipv4 = dict((name, value) for name, value in KERNEL_DEFAULTS.items() if '.ipv4.' in name)
    changes = lab_neighbour_changes(ipv4, {}, lab_neighbour_thresholds(34))
    assert sorted(changes['set']) == sorted(ipv4) and sorted(changes['record']) == sorted(ipv4)


def test_putting_back_restores_only_values_still_as_the_lab_set_them():
    record = {
        IPV4_HARD: {'found': 1024, 'set': 8192},
        # Raised further since by someone else (another lab): theirs now.
        'net.ipv6.neigh.default.gc_thresh3': {'found': 1024, 'set': 8192},
        'net.ipv4.neigh.default.gc_thresh2': {'found': 512, 'set': 4096},
    }
    current = {IPV4_HARD: '8192', 'net.ipv6.neigh.default.gc_thresh3': '16384', 'net.ipv4.neigh.default.gc_thresh2': '4096'}
    changes = lab_neighbour_changes(current, record)
    assert changes == {'set': {IPV4_HARD: 1024, 'net.ipv4.neigh.default.gc_thresh2': 512}, 'record': {}}


def test_putting_back_without_a_record_writes_nothing():
    assert lab_neighbour_changes(KERNEL_DEFAULTS, {}) == {'set': {}, 'record': {}}


@pytest.mark.parametrize('current, record', [
    ({IPV4_HARD: 'many'}, {}),
    ({}, {IPV4_HARD: {'found': 1024}}),
    ([], {}),
])
def test_neighbour_changes_reject_values_that_are_not_as_read_or_recorded(current, record):
    with pytest.raises(AnsibleFilterError, match='lab_neighbour_changes'):
        lab_neighbour_changes(current, record)


@pytest.mark.parametrize('needed', ['None', '', [1024]])
def test_neighbour_changes_reject_needed_thresholds_that_are_not_a_dict(needed):
    # ansible-core 2.16 hands a task var holding None over as the string 'None': fail naming it.
    with pytest.raises(AnsibleFilterError, match='needed thresholds'):
        lab_neighbour_changes(KERNEL_DEFAULTS, {}, needed)

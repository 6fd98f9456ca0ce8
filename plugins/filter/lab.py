# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side filters for the lab role. Documentation: lab_plan.yml, lab_machines.yml,
lab_neighbour_thresholds.yml and lab_neighbour_changes.yml."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError
from ansible_collections.linuxnet.fabric.plugins.module_utils.lab._lab_plan import plan_lab


def lab_plan(params, prefix='lab_'):
    """Validate a lab description and assign addresses; errors name `<prefix><variable>`."""
    if not isinstance(params, dict):
        raise AnsibleFilterError('lab_plan expects a dict of lab settings, got %s' % type(params).__name__)
    try:
        return plan_lab(params, prefix=prefix)
    except FabricError as error:
        raise AnsibleFilterError('Invalid lab description: %s' % error)


def lab_machines(names, hostvars):
    """Machines of the lab from inventory hosts: name, address (lab_address or ansible_host),
    segment, and docker when the host sets lab_machine_docker (else the lab's lab_docker decides)."""
    machines = []
    for name in names:
        variables = hostvars[name]
        machine = {'name': name, 'segment': variables.get('lab_segment', 'lan')}
        address = variables.get('lab_address') or variables.get('ansible_host')
        if address and address != name:
            machine['address'] = address
        if variables.get('lab_machine_docker') is not None:
            machine['docker'] = variables['lab_machine_docker']
        machines.append(machine)
    return machines


# The host's neighbour table thresholds, IPv4 (ARP) and IPv6 (NDP): one table per family for
# every network namespace of the machine, so the lab's machines share the host's.
NEIGHBOUR_SYSCTLS = tuple('net.%s.neigh.default.gc_thresh%d' % (family, level)
                          for family in ('ipv4', 'ipv6') for level in (1, 2, 3))
# The kernel's defaults: gc_thresh3 is the hard limit (1024 entries), gc_thresh2 the soft one
# (1/2 of it), gc_thresh1 the size below which nothing is collected (1/8). Raised values keep
# these proportions.
KERNEL_HARD_LIMIT = 1024


def _whole(value, what, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise AnsibleFilterError('%s must be a whole number of at least %d, got %r' % (what, minimum, value))
    return value


def lab_neighbour_thresholds(machine_count, entries_per_machine=128):
    """The neighbour table thresholds a lab of `machine_count` machines needs, by sysctl name.

    The entries it may hold at once: on the LAN, each machine, the router and the controller one
    for each of the others, (machines + 2) ** 2; and each machine its own traffic's (its
    containers, bridge and tunnels), entries_per_machine. gc_thresh3 is the next power of two at
    or above that, never below the kernel's 1024; gc_thresh2 and gc_thresh1 are 1/2 and 1/8 of it.
    """
    machine_count = _whole(machine_count, 'the number of lab machines')
    entries_per_machine = _whole(entries_per_machine, 'lab_neighbour_entries_per_machine')
    entries = (machine_count + 2) ** 2 + machine_count * entries_per_machine
    hard_limit = KERNEL_HARD_LIMIT
    while hard_limit < entries:
        hard_limit *= 2
    levels = {1: hard_limit // 8, 2: hard_limit // 2, 3: hard_limit}
    return dict((name, levels[int(name[-1])]) for name in NEIGHBOUR_SYSCTLS)


def lab_neighbour_changes(current, record, needed=None):
    """What to write to the host's neighbour thresholds, and the lab's record of them afterwards.

    current: {sysctl name: value} as the host has them now (a name the host lacks is left out);
    record: {sysctl name: {'found': the host's value before the lab raised it, 'set': what the lab
    set}}; needed: the thresholds to raise to (lab_neighbour_thresholds), or None to put back what
    the record says. Returns {'set': {sysctl name: value}, 'record': the record afterwards}.

    Raising writes only a value below the need (a host's higher value stays) and records the value
    it found the first time. Putting back writes only a value still at what the lab set: one that
    was changed since (by another lab, by the host's owner) is theirs now. The record is then empty.
    """
    if not isinstance(current, dict) or not isinstance(record, dict):
        raise AnsibleFilterError('lab_neighbour_changes expects dicts of the current values and of the record')
    if needed is not None and not isinstance(needed, dict):
        raise AnsibleFilterError('lab_neighbour_changes expects the needed thresholds as a dict, or None to put back'
                                 ' the recorded values; got %r' % (needed,))
    try:
        current = dict((name, int(value)) for name, value in current.items())
        record = dict((name, {'found': int(entry['found']), 'set': int(entry['set'])}) for name, entry in record.items())
    except (KeyError, TypeError, ValueError) as error:
        raise AnsibleFilterError('lab_neighbour_changes: a value or a record entry is not as recorded (%s)' % error)
    writes = {}
    if needed is None:
        for name, entry in record.items():
            if current.get(name) == entry['set'] and entry['found'] != entry['set']:
                writes[name] = entry['found']
        return {'set': writes, 'record': {}}
    for name, value in needed.items():
        value = _whole(value, name, minimum=1)
        if name in current and current[name] < value:
            writes[name] = value
            found = record[name]['found'] if name in record else current[name]
            record[name] = {'found': found, 'set': value}
    return {'set': writes, 'record': record}


class FilterModule(object):
    """linuxnet.fabric lab filters."""

    def filters(self):
        return {
            'lab_plan': lab_plan,
            'lab_machines': lab_machines,
            'lab_neighbour_thresholds': lab_neighbour_thresholds,
            'lab_neighbour_changes': lab_neighbour_changes,
        }

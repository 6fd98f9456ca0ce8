# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side filters for the lab role. Documentation: lab_plan.yml and lab_machines.yml."""

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


class FilterModule(object):
    """linuxnet.fabric lab filters."""

    def filters(self):
        return {
            'lab_plan': lab_plan,
            'lab_machines': lab_machines,
        }

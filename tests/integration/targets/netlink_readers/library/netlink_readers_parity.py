#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: read a namespace with a pyroute2 session and with a light session; report the differences."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils._netlink import AF_INET, AF_INET6, Session, require_pyroute2

# The kind options light sessions decode (see _rtnl_dump.INFO_DATA and PORT_DATA).
LIGHT_OPTIONS = ('IFLA_BR_STP_STATE', 'IFLA_BR_VLAN_FILTERING', 'IFLA_BRPORT_MODE', 'IFLA_VXLAN_ID', 'IFLA_VXLAN_LINK',
                 'IFLA_VXLAN_LOCAL', 'IFLA_VXLAN_LEARNING', 'IFLA_VXLAN_PORT')


def differences(netns):
    found = []
    with Session(netns) as full, Session(netns, light=True) as light:
        full_links, light_links = full.links(), light.links()
        if set(full_links) != set(light_links):
            found.append({'links': [sorted(full_links), sorted(light_links)]})
        for name in set(full_links) & set(light_links):
            expected, got = dict(full_links[name]), dict(light_links[name])
            for key in ('info_data', 'port_data'):
                wanted = dict((option, value) for option, value in expected.pop(key).items() if option in LIGHT_OPTIONS)
                if wanted != got.pop(key):
                    found.append({name: {key: [wanted, light_links[name][key]]}})
            if expected != got:
                found.append({name: [expected, got]})
        reads = [('addresses', full.addresses, light.addresses, [()]),
                 ('routes', full.routes, light.routes, [(None, None), (AF_INET, None), (AF_INET, 254), (AF_INET, 76), (AF_INET6, None)]),
                 ('rules', full.rules, light.rules, [(AF_INET,), (AF_INET6,)])]
        counts = {'links': len(full_links)}
        for what, by_pyroute2, by_dumper, calls in reads:
            for arguments in calls:
                expected = sorted(by_pyroute2(*arguments), key=repr)
                got = sorted(by_dumper(*arguments), key=repr)
                counts[what] = max(counts.get(what, 0), len(expected))
                if expected != got:
                    found.append({what: {'arguments': list(arguments), 'pyroute2': expected, 'light': got}})
        # Per link: its neighbour and FDB entries (the vxlan planner's reads).
        for what, by_pyroute2, by_dumper in (('neighbours', full.neighbours, light.neighbours),
                                             ('fdb', full.fdb_entries, light.fdb_entries)):
            for name, link in full_links.items():
                expected = sorted(by_pyroute2(link['index']), key=repr)
                got = sorted(by_dumper(link['index']), key=repr)
                counts[what] = counts.get(what, 0) + len(expected)
                if expected != got:
                    found.append({what: {'link': name, 'pyroute2': expected, 'light': got}})
        pyroute2_loaded_by_light = light._ipr is not None  # pylint: disable=protected-access
    return found, counts, pyroute2_loaded_by_light


def main():
    module = AnsibleModule(argument_spec=dict(netns=dict(type='str', required=True)), supports_check_mode=True)
    require_pyroute2(module)
    with _common.failing_on_errors(module):
        found, counts, loaded = differences(module.params['netns'])
    module.exit_json(changed=False, differences=found, counts=counts, light_opened_pyroute2=loaded)


if __name__ == '__main__':
    main()

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and planning for the linux_bridge module. Pure: no Ansible, no kernel."""

from __future__ import annotations

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_link import (
    link_view,
    plan_addresses,
    plan_settings,
    planned_view,
)


def desired_bridge(params):
    """Validated, normalised options (OptionError names the first bad one)."""
    ports = params.get('ports')
    desired = {
        'name': _validate.ifname('name', params['name']),
        'netns': _validate.netns('netns', params.get('netns')),
        'state': params.get('state') or 'present',
        'addresses': _validate.interface_addresses('addresses', params.get('addresses')),
        'mtu': _validate.mtu('mtu', params.get('mtu')),
        'mac': _validate.mac('mac', params.get('mac')),
        'stp': params.get('stp'),
        'vlan_filtering': params.get('vlan_filtering'),
        'ports': None,
        'purge_ports': bool(params.get('purge_ports')),
        'force': bool(params.get('force')),
    }
    if ports is not None:
        desired['ports'] = []
        seen = {}
        for position, port in enumerate(ports):
            option = 'ports[%d].name' % position
            name = _validate.ifname(option, port.get('name'))
            if name == desired['name']:
                raise OptionError(option, "'%s' is the bridge itself" % name)
            if name in seen:
                raise OptionError(option, "'%s' is also %s" % (name, seen[name]))
            seen[name] = option
            desired['ports'].append({'name': name, 'hairpin': port.get('hairpin')})
    if desired['purge_ports'] and desired['ports'] is None:
        raise OptionError('purge_ports', 'needs ports: the list of ports to keep')
    return desired


def bridge_view(bridge, addresses, ports):
    """The diff view of a bridge: `ip -d addr show` and `bridge link` in one dict."""
    view = link_view(bridge, addresses)
    if bridge is None:
        return view
    view['stp'] = bool(bridge['info_data'].get('IFLA_BR_STP_STATE'))
    view['vlan_filtering'] = bool(bridge['info_data'].get('IFLA_BR_VLAN_FILTERING'))
    view['ports'] = dict((port['name'], {'hairpin': bool(port['port_data'].get('IFLA_BRPORT_MODE'))}) for port in ports)
    return view


def plan_bridge(desired, current):
    """Plan from `current` = {bridge, addresses, ports (links enslaved to it), named_ports (the links
    listed in `ports`, by name, None when missing)}."""
    name, netns = desired['name'], desired['netns']
    bridge = current['bridge']
    if bridge is not None and bridge['kind'] != 'bridge':
        raise FabricError("'%s' exists%s but is not a bridge (it is a %s)" % (
            name, " in network namespace '%s'" % netns if netns else '', bridge['kind'] or 'device without a kind'))
    before = bridge_view(bridge, current['addresses'], current['ports'])
    listed = [port['name'] for port in desired['ports'] or []]

    if desired['state'] == 'absent':
        plan = Plan(before, {'exists': False})
        if bridge is None:
            return plan
        unknown = sorted(port['name'] for port in current['ports'] if port['name'] not in listed)
        if unknown and not desired['force']:
            raise FabricError("bridge '%s' still has ports not listed in ports: %s; refusing to delete it "
                              "(force=true deletes it anyway, detaching them)" % (name, ', '.join(unknown)))
        plan.add('delete', 'link', name, netns=netns)
        return plan

    for position, port in enumerate(desired['ports'] or []):
        if current['named_ports'].get(port['name']) is None:
            raise OptionError('ports[%d].name' % position, "'%s' does not exist%s" % (
                port['name'], " in network namespace '%s'" % netns if netns else ''))

    settings = {'mtu': desired['mtu'], 'mac': desired['mac']}
    bridge_options = {'stp': desired['stp'], 'vlan_filtering': desired['vlan_filtering']}
    template = {'exists': True, 'kind': 'bridge', 'state': 'down', 'mtu': None, 'mac': None, 'addresses': [],
                'stp': False, 'vlan_filtering': False, 'ports': {}}
    after = planned_view(before if bridge is not None else template, dict(settings, state='up', **bridge_options),
                         desired['addresses'])
    after['ports'] = dict(before.get('ports', {}))
    plan = Plan(before, after)

    if bridge is None:
        plan.add('create', 'bridge', name, netns=netns, mtu=desired['mtu'], mac=desired['mac'], **bridge_options)
        plan_addresses(plan, name, netns, [], desired['addresses'])
    else:
        changed_options = dict((key, value) for key, value in bridge_options.items() if value is not None and before[key] != value)
        if changed_options:
            plan.add('set', 'bridge', name, netns=netns, **changed_options)
        plan_settings(plan, name, netns, before, settings)
        plan_addresses(plan, name, netns, current['addresses'], desired['addresses'])

    enslaved = dict((port['name'], port) for port in current['ports'])
    for port in desired['ports'] or []:
        hairpin_now = bool(enslaved[port['name']]['port_data'].get('IFLA_BRPORT_MODE')) if port['name'] in enslaved else False
        if port['name'] not in enslaved:
            plan.add('set', 'link', port['name'], netns=netns, master=name)
        if port['hairpin'] is not None and port['hairpin'] != hairpin_now:
            plan.add('set', 'port', port['name'], netns=netns, hairpin=port['hairpin'])
        after['ports'][port['name']] = {'hairpin': port['hairpin'] if port['hairpin'] is not None else hairpin_now}
    if desired['purge_ports']:
        for port_name in sorted(set(enslaved) - set(listed)):
            plan.add('set', 'link', port_name, netns=netns, master='')
            after['ports'].pop(port_name)
    if before.get('state') != 'up':
        plan.add('set', 'link', name, netns=netns, state='up')
    return plan

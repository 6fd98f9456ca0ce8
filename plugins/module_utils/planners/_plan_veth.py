# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and planning for the veth module. Pure: no Ansible, no kernel."""

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

STATES = ('up', 'down', 'absent')


def desired_veth(params):
    """Validated, normalised options (OptionError names the first bad one)."""
    desired = {
        'name': _validate.ifname('name', params['name']),
        'peer': _validate.ifname('peer', params['peer']),
        'netns': _validate.netns('netns', params.get('netns')),
        'peer_netns': _validate.netns('peer_netns', params.get('peer_netns')),
        'state': params.get('state') or 'up',
        'mtu': _validate.mtu('mtu', params.get('mtu')),
        'mac': _validate.mac('mac', params.get('mac')),
        'peer_mac': _validate.mac('peer_mac', params.get('peer_mac')),
        'addresses': _validate.interface_addresses('addresses', params.get('addresses')),
        'peer_addresses': _validate.interface_addresses('peer_addresses', params.get('peer_addresses')),
        'force': bool(params.get('force')),
    }
    if desired['state'] not in STATES:
        raise OptionError('state', "'%s' must be one of %s" % (desired['state'], ', '.join(STATES)))
    if desired['name'] == desired['peer'] and desired['netns'] == desired['peer_netns']:
        raise OptionError('peer', "'%s' is also the name of the other end in the same namespace" % desired['peer'])
    if desired['mac'] and desired['mac'] == desired['peer_mac']:
        raise OptionError('peer_mac', '%s is also the mac of the other end' % desired['mac'])
    return desired


def where(netns):
    return "network namespace '%s'" % netns if netns else 'the node namespace'


def paired(desired, end, peer_end):
    """Whether `end` and `peer_end` are the two ends of one veth pair."""
    if end is None or peer_end is None or end['kind'] != 'veth' or peer_end['kind'] != 'veth':
        return False
    if end['peer_index'] != peer_end['index'] or peer_end['peer_index'] != end['index']:
        return False
    # Without a peer netnsid the peer lives in the same namespace.
    same_namespace = desired['netns'] == desired['peer_netns']
    return (end['peer_netnsid'] is None) == same_namespace


def mismatch(desired, current):
    """Why the existing objects are not the requested pair, or None when they are (or are absent)."""
    end, peer_end = current['end'], current['peer_end']
    if end is None:
        if peer_end is not None:
            return "'%s' already exists in %s and is not the peer of '%s'" % (desired['peer'], where(desired['peer_netns']), desired['name'])
        return None
    if end['kind'] != 'veth':
        return "'%s' exists in %s but is a %s, not a veth" % (desired['name'], where(desired['netns']), end['kind'] or 'device without a kind')
    if not paired(desired, end, peer_end):
        return "veth '%s' exists in %s but its peer is %s, not '%s' in %s" % (
            desired['name'], where(desired['netns']), current.get('actual_peer') or 'another interface',
            desired['peer'], where(desired['peer_netns']))
    return None


def end_settings(desired, mac_key):
    return {
        'state': desired['state'] if desired['state'] != 'absent' else None,
        'mtu': desired['mtu'],
        'mac': desired[mac_key],
    }


def plan_veth(desired, current):
    """Plan for the pair from `current` = {end, end_addresses, peer_end, peer_addresses, actual_peer}.

    A pair that differs in kind, peer or namespace is an error naming the difference, unless
    force, which deletes what is in the way and creates the pair anew.
    """
    name, peer = desired['name'], desired['peer']
    netns, peer_netns = desired['netns'], desired['peer_netns']
    before = {
        'name': link_view(current['end'], current['end_addresses']),
        'peer': link_view(current['peer_end'], current['peer_addresses']),
    }
    problem = mismatch(desired, current)

    if desired['state'] == 'absent':
        plan = Plan(before, {'name': {'exists': False}, 'peer': {'exists': False}})
        if current['end'] is None:
            return plan
        if problem and not desired['force']:
            raise FabricError('%s; refusing to delete it (force=true deletes it anyway)' % problem)
        # Deleting one end of a veth deletes the other with it.
        plan.add('delete', 'link', name, netns=netns)
        return plan

    end_wanted = end_settings(desired, 'mac')
    peer_wanted = end_settings(desired, 'peer_mac')
    recreate = problem is not None
    if recreate and not desired['force']:
        raise FabricError('%s (force=true deletes it and creates the pair)' % problem)

    if recreate or current['end'] is None:
        after = {
            'name': planned_view({'exists': True, 'kind': 'veth', 'state': 'down', 'mtu': None, 'mac': None, 'addresses': []},
                                 end_wanted, desired['addresses']),
            'peer': planned_view({'exists': True, 'kind': 'veth', 'state': 'down', 'mtu': None, 'mac': None, 'addresses': []},
                                 peer_wanted, desired['peer_addresses']),
        }
        plan = Plan(before, after)
        if current['end'] is not None:
            plan.add('delete', 'link', name, netns=netns)
        if current['peer_end'] is not None and not paired(desired, current['end'], current['peer_end']):
            plan.add('delete', 'link', peer, netns=peer_netns)
        plan.add('create', 'veth', name, netns=netns, peer=peer, peer_netns=peer_netns,
                 mtu=desired['mtu'], mac=desired['mac'], peer_mac=desired['peer_mac'])
        plan_addresses(plan, name, netns, [], desired['addresses'])
        plan_addresses(plan, peer, peer_netns, [], desired['peer_addresses'])
        if desired['state'] == 'up':  # a new veth starts down
            plan.add('set', 'link', name, netns=netns, state='up')
            plan.add('set', 'link', peer, netns=peer_netns, state='up')
        return plan

    after = {
        'name': planned_view(before['name'], end_wanted, desired['addresses']),
        'peer': planned_view(before['peer'], peer_wanted, desired['peer_addresses']),
    }
    plan = Plan(before, after)
    # Addresses before bringing a link up, so it comes up fully configured.
    plan_addresses(plan, name, netns, current['end_addresses'], desired['addresses'])
    plan_addresses(plan, peer, peer_netns, current['peer_addresses'], desired['peer_addresses'])
    plan_settings(plan, name, netns, before['name'], end_wanted)
    plan_settings(plan, peer, peer_netns, before['peer'], peer_wanted)
    return plan

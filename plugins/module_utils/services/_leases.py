# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The subnet leases of an overlay in etcd: read once, plan (_overlay.plan_leases), write with
transactions, and plan again after a lost race (the subnet_leases module, the lease benchmark).

Every write is conditional, so concurrent writers (another run, flanneld) never overwrite each
other: a new lease is created only if its key does not exist (version 0), an update or a deletion
happens only if the key still has the revision that was read. A lost condition makes the run
read the prefix again and plan from there: a node whose subnet was taken meanwhile moves to the
next free one instead of failing.
"""

from __future__ import annotations

import ipaddress
import json

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _plan
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _overlay
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan

# Reads and plans after a lost condition before giving up (flanneld tries 10 times too).
ATTEMPTS = 10
# Deletions first: a subnet a node gives back may be the one another node takes.
WRITE_ORDER = {'delete': 0, 'update': 1, 'create': 2}


class LostRace(Exception):
    """A transaction's condition failed: another writer changed the key since it was read."""


def desired_nodes(nodes, settings, option='nodes'):
    """[{name, public_ip (ip_address), subnet (ip_network or None)}], validated: unique names and
    public IPs, pinned subnets of the overlay's length in its range and apart."""
    result, names, addresses, pinned = [], {}, {}, {}
    for position, node in enumerate(nodes or []):
        where = '%s[%d]' % (option, position)
        if not isinstance(node, dict) or not node.get('name'):
            raise OptionError(where, 'must be a dict with a name and a public_ip')
        name = str(node['name'])
        try:
            public_ip = ipaddress.ip_address(str(node.get('public_ip')).strip())
        except ValueError:
            raise OptionError(where + '.public_ip', "'%s' is not an IP address" % node.get('public_ip'))
        if public_ip.version != 4 or public_ip.is_multicast or public_ip.is_unspecified or public_ip.is_loopback:
            raise OptionError(where + '.public_ip', "'%s' is not a unicast IPv4 address another node can reach" % public_ip)
        subnet = _overlay.pinned_subnet(where + '.subnet', node['subnet'], settings) if node.get('subnet') else None
        for kind, value, seen in (('name', name, names), ('public_ip', public_ip, addresses)):
            if value in seen:
                raise OptionError(where + '.' + kind, "'%s' is also the %s of %s" % (value, kind, seen[value]))
            seen[value] = where
        if subnet is not None:
            # All of SubnetLen (pinned_subnet checks it): two overlap only when they are the same.
            if subnet in pinned:
                raise OptionError(where + '.subnet', '%s overlaps %s of %s' % (subnet, subnet, pinned[subnet]))
            pinned[subnet] = where
        result.append({'name': name, 'public_ip': public_ip, 'subnet': subnet})
    return result


class LeaseRun(object):
    """One reconciliation of the leases of `nodes` against etcd through `client` (_etcd_client)."""

    def __init__(self, client, settings, nodes, owner, purge=False, state='present', replace_config=False, now=0):
        self.client = client
        self.settings = settings
        self.nodes = nodes
        # The diff's views ask of every lease whether it is one of the nodes': one set, not one per lease.
        self.node_addresses = frozenset(node['public_ip'] for node in nodes)
        self.owner = owner
        self.purge = purge
        self.state = state
        self.replace_config = replace_config
        self.now = now
        self.changed = False
        self.done = []
        self.lost_races = 0
        self.before = {}
        self.after = {}

    def read(self):
        """(config key-value or None, parsed leases) from one range read of the whole prefix."""
        prefix = self.settings['prefix']
        config = None
        leases = []
        for kv in self.client.range(prefix + '/'):
            if kv['key'] == _overlay.config_key(prefix):
                config = kv
                continue
            lease = _overlay.parse_lease(prefix, kv)
            if lease is not None:
                leases.append(lease)
        return config, leases

    def config_change(self, config):
        """None, or ('create'|'replace', document) for <prefix>/config; fails on a conflict."""
        if self.state != 'present':
            return None
        document = _overlay.config_document(self.settings)
        key = _overlay.config_key(self.settings['prefix'])
        if config is None:
            return ('create', document)
        try:
            existing = _overlay.effective_config(config['value'])
        except ValueError as error:
            if self.replace_config:
                return ('replace', document)
            raise FabricError('%s holds a config flanneld cannot read either (%s); set replace_config (the inventory\'s '
                              'fabric_overlay_config_replace) to write this one over it' % (key, error))
        differences = _overlay.config_differences(existing, self.settings)
        if not differences:
            return None
        if not self.replace_config:
            raise FabricError('%s in etcd is not the overlay of this inventory: %s. Nothing was changed. Make the inventory '
                              'match, or set replace_config (fabric_overlay_config_replace) to write this one: leases of '
                              'ours that no longer fit are then deleted and their nodes get new subnets'
                              % (key, '; '.join('%s is %s there, %s here' % item for item in differences)))
        return ('replace', document)

    def plan_of(self, current):
        """One attempt's Plan from what was read: the config change, then the lease changes in the
        order they are written (deletions first: a subnet a node gives back may be the one another
        node takes), with the diff's views. The Plan also carries `config_change` and `planned`."""
        config, leases = current
        config_change = self.config_change(config)
        planned = _overlay.plan_leases(self.settings, self.nodes, leases, self.owner, self.now, self.purge, self.state)
        if not self.before:
            # The diff starts from the first read, whatever the lost races read later.
            self.before = self.view(config, leases)
        plan = Plan(self.view(config, leases), self.view(config, leases))
        plan.config_change, plan.planned = config_change, planned
        if config_change is not None:
            plan.add(config_change[0], 'config', _overlay.config_key(self.settings['prefix']), _document=config_change[1])
        for change in sorted(planned['changes'], key=lambda change: WRITE_ORDER[change['verb']]):
            plan.add(change['verb'], 'lease', change['key'], _change=change)
        if plan.changed:
            plan.after = self.expected_view(config, config_change, leases, planned)
        return plan

    def run(self, check_mode):
        """Reconcile; returns the final plan (in check mode: what a run would do).

        Each attempt is the modules' one body (_plan.reconcile: read the prefix once, plan,
        write unless in check mode, read back). A lost condition ends the attempt (LostRace):
        what it wrote stays written and counts as done, and the next attempt reads and plans
        again from there.
        """
        for _attempt in range(ATTEMPTS):
            try:
                plan, (config, leases) = _plan.reconcile(check_mode, self.read, self.plan_of, self.apply)
            except LostRace:
                self.lost_races += 1
                continue
            if check_mode and plan.changed:
                self.changed = True
                self.done = self.describe(plan.config_change, plan.planned['changes'])
                self.after = plan.after
            else:
                # Nothing to write (the one read of the prefix is the whole run), or the read back.
                self.after = self.view(config, leases)
            return plan.planned
        raise FabricError('the leases under %s/subnets kept changing while this run wrote them (%d attempts); run again'
                          % (self.settings['prefix'], ATTEMPTS))

    def apply(self, plan, current):
        """Carry out a plan, one transaction per write; LostRace when a condition failed (someone
        else wrote meanwhile)."""
        config, _leases = current
        for action in plan.actions:
            if action.kind == 'config':
                key = action.name
                condition = ('version', key, 0) if action.verb == 'create' else ('mod', key, config['mod_revision'])
                if not self.client.txn([condition], [('put', key, _overlay.encoded(action.details['_document']), 0)]):
                    raise LostRace(key)
                self.record('%s config %s' % (action.verb, key))
                continue
            change = action.details['_change']
            if not getattr(self, '_' + change['verb'])(change):
                raise LostRace(change['key'])
            self.record(describe(change))

    def _lease_for_new_value(self):
        return self.client.grant(self.settings['lease_ttl']) if self.settings['lease_ttl'] else 0

    def _create(self, change):
        lease_id = self._lease_for_new_value()
        if self.client.txn([('version', change['key'], 0)], [('put', change['key'], _overlay.encoded(change['document']), lease_id)]):
            return True
        if lease_id:
            self.client.revoke(lease_id)
        return False

    def _update(self, change):
        lease_id = self._lease_for_new_value() if change['renew'] else change['etcd_lease']
        value = _overlay.encoded(change['document'])
        if not self.client.txn([('mod', change['key'], change['mod_revision'])], [('put', change['key'], value, lease_id)]):
            if change['renew'] and lease_id:
                self.client.revoke(lease_id)
            return False
        # The old etcd lease held this key only; it goes when it was ours (flanneld's expires by itself).
        if change['renew'] and change['etcd_lease'] and change['owned']:
            self.client.revoke(change['etcd_lease'])
        return True

    def _delete(self, change):
        if not self.client.txn([('mod', change['key'], change['mod_revision'])], [('delete', change['key'])]):
            return False
        if change['etcd_lease']:
            self.client.revoke(change['etcd_lease'])
        return True

    def record(self, text):
        self.changed = True
        self.done.append(text)

    def describe(self, config_change, changes):
        texts = []
        if config_change is not None:
            texts.append('%s config %s' % (config_change[0], _overlay.config_key(self.settings['prefix'])))
        texts.extend(describe(change) for change in sorted(changes, key=lambda change: WRITE_ORDER[change['verb']]))
        return texts

    def view(self, config, leases):
        """The diff's view: the config and every lease of the nodes (and of ours), as stored."""
        return {
            'config': config['value'] if config else None,
            'leases': dict((lease['key'], lease['value']) for lease in leases if self.relevant(lease)),
        }

    def expected_view(self, config, config_change, leases, planned):
        after = {'config': _overlay.encoded(config_change[1]) if config_change else (config['value'] if config else None),
                 'leases': dict((lease['key'], lease['value']) for lease in leases if self.relevant(lease))}
        for change in planned['changes']:
            if change['verb'] == 'delete':
                after['leases'].pop(change['key'], None)
            else:
                after['leases'][change['key']] = _overlay.encoded(change['document'])
        return after

    def relevant(self, lease):
        return lease['public_ip'] in self.node_addresses or _overlay.owned_by(lease, self.owner)


def describe(change):
    text = '%s lease %s' % (change['verb'], change['key'])
    if change.get('node'):
        text += ' (%s)' % change['node']
    if change['verb'] == 'update' and change.get('renew'):
        text += ' with a new etcd lease'
    return text


def peers_of(planned):
    """The peers as the fabric plan takes them: subnet, public_ip, vtep_mac, vni, owned, node."""
    return [dict((key, peer[key]) for key in ('subnet', 'public_ip', 'vtep_mac', 'vni', 'owned', 'node', 'key'))
            for peer in planned['peers']]


def settings_view(settings):
    """The settings with plain types (for module results and the plan)."""
    return json.loads(json.dumps(dict(settings, network=str(settings['network']), subnet_min=str(settings['subnet_min']),
                                      subnet_max=str(settings['subnet_max']))))

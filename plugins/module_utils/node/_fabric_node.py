# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read, plan and apply a node's whole part of a fabric in one run (the fabric_node module).

Each object is planned by the planner of its own module (linux_bridge, endpoints, nat_rule,
routes, routing_rule, vxlan); everything is validated and planned before the first change.
"""

from __future__ import annotations

import contextlib
import os

from ansible_collections.linuxnet.fabric.plugins.module_utils.node import _boot
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._endpoints import plan_published_ports, read, resulting_endpoints
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._ethtool import tx_checksum
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._executor import Sessions, execute
from ansible_collections.linuxnet.fabric.plugins.module_utils._files import read_text, write_atomically
from ansible_collections.linuxnet.fabric.plugins.module_utils.netfilter._netfilter import make_backend
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import AF_INET
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._node_record import (
    parse_record, record_of, record_text, same_part, summary)
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_bridge import desired_bridge, plan_bridge
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_endpoints import desired_endpoints, plan_endpoints
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_fabric import components, fabric_option
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_nat import normalise_rule, plan_rules
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_routes import desired_routes, plan_routes
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_rule import desired_rule, plan_rule
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_vxlan import desired_vxlan, plan_vxlan
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._readers import read_bridge, read_routes


def forward_accept_wanted(setting, tables):
    """`always` or `never` for forward_accept `setting`. With `auto`, accepts where something can
    drop in iptables' FORWARD: where its filter table exists (a firewall's; Docker's, made when
    dockerd starts). Where it does not, nothing drops there, and teardown leaves no filter table
    that iptables-nft made for the accepts alone; a dockerd started later is seen by the next run."""
    if setting != 'auto':
        return setting
    return 'always' if 'filter' in tables else 'never'


class FabricNode(object):
    """A node's part of the fabric; construction validates every option (OptionError)."""

    def __init__(self, params, run_command):
        # `auto` looks at iptables once; that read also serves the forward accepts' plan. On a node
        # without iptables nothing can drop in its FORWARD and no accept of the fabric can be
        # there: the forward accepts are left out entirely.
        self.forward_read = None
        no_iptables = False
        if params.get('forward_accept') == 'auto' and params.get('forward_backend') == 'iptables':
            try:
                backend = make_backend('iptables', run_command)
            except FabricError:
                no_iptables = True
                params = dict(params, forward_accept='never')
            else:
                self.forward_read = (backend, backend.read())
                params = dict(params, forward_accept=forward_accept_wanted('auto', backend.existing_tables)
                              if params['state'] == 'present' else 'always')
        elif params.get('forward_accept') == 'auto':
            # Removal removes them anyway; in the collection's own nft table they leave no trace.
            params = dict(params, forward_accept='always')
        self.params = params
        self.run_command = run_command
        self.present = params['state'] == 'present'
        parts = components(params)
        with self.naming('bridge'):
            self.bridge = desired_bridge(parts['bridge']) if parts['bridge'] else None
        with self.naming('endpoints'):
            self.endpoints = desired_endpoints(parts['endpoints']) if parts['endpoints'] else None
        with self.naming('masquerade'):
            self.fabric_rules = [normalise_rule(parts['masquerade'])] if parts['masquerade'] else []
        with self.naming('nat_rules'):
            self.fabric_rules.extend(normalise_rule(rule) for rule in parts['nat_rules'])
        # Forward accepts go where the FORWARD drop they must overcome is (Docker's is in iptables),
        # whichever backend holds the NAT rules.
        if params.get('forward_backend', params['nat_backend']) != params['nat_backend']:
            self.forward_rules = [rule for rule in self.fabric_rules if rule['kind'] == 'accept']
            self.fabric_rules = [rule for rule in self.fabric_rules if rule not in self.forward_rules]
            if no_iptables:
                self.forward_rules = []
        else:
            self.forward_rules = []
        with self.naming('vxlan'):
            self.vxlan = desired_vxlan(parts['vxlan']) if parts['vxlan'] else None
        self.subnet_env = subnet_env_file(params, parts)
        # (path, content or None to remove) when the file must change.
        self.file_change = None
        with self.naming('routes'):
            self.routes = desired_routes(parts['routes'])
        with self.naming('rules'):
            self.rules = [desired_rule(rule) for rule in parts['rules']]
        self.backend = None
        # Backend objects by kind: each NAT plan is applied by the backend it was made for.
        self.backends = {}
        self.nat_plans = []
        self.endpoints_current = None

    @contextlib.contextmanager
    def naming(self, component):
        """Name fabric_node's option in the messages of a component's planner."""
        try:
            yield
        except OptionError as error:
            raise OptionError(fabric_option(component, error.option, self.params), error.problem)

    def _bridge_plan(self, node, owned_ports):
        current = read_bridge(node, self.bridge)
        if not self.present:
            # The role's endpoints are the bridge's known ports; any other port stops the deletion.
            self.bridge['ports'] = [{'name': name, 'hairpin': None} for name in owned_ports]
        return current, plan_bridge(self.bridge, current)

    def _endpoints_current(self, node, bridge_current):
        current = read(self.endpoints, node)
        if self.bridge is not None and self.present:
            # The bridge may be created or readdressed in this very run: plan against what it will be.
            current['bridge'] = bridge_current['bridge'] or {'name': self.bridge['name'], 'kind': 'bridge', 'index': None}
            current['bridge_addresses'] = [address[:2] for address in self.bridge['addresses']]
        return current

    def _vxlan_plan(self, node):
        """The overlay's vxlan device and its peers' neighbour and FDB entries."""
        links = node.links()
        device = links.get(self.vxlan['name'])
        offload = self.vxlan['tx_checksum_offload'] is not None and device is not None and device['kind'] == 'vxlan'
        current = {
            'links': links,
            'addresses': node.addresses(),
            'routes': node.routes(family=AF_INET),
            'neighbours': node.neighbours(device['index']) if device else [],
            'fdb': node.fdb_entries(device['index']) if device else [],
            'tx_checksum': tx_checksum(None, self.vxlan['name']) if offload else None,
        }
        with self.naming('vxlan'):
            return device, plan_vxlan(self.vxlan, current)

    @staticmethod
    def _routes_after_vxlan(routes_current, device, vxlan_plan, name):
        """The routes planner's view once the vxlan plan is carried out: a device made in this run
        exists (routes may name it), one made again has lost every route through it."""
        made = any(action.verb == 'create' and action.kind == 'vxlan' for action in vxlan_plan.actions)
        if not made:
            return routes_current
        current = dict(routes_current, link_names=dict(routes_current['link_names']))
        if device is not None:
            current['routes'] = [route for route in current['routes'] if route['oif'] != device['index']]
            current['link_names'].pop(device['index'], None)
        # A placeholder index: the device's real one is known only once it exists.
        current['link_names'][-1] = name
        return current

    def plan(self, sessions):
        """One Plan of netlink actions, in order; NAT plans are kept in self.nat_plans."""
        node = sessions(None)
        before, after = {}, {}
        plans = []
        bridge_plan = None
        owned_ports = []
        bridge_current = None
        nat_current = None
        planned_pieces = set()
        if self.bridge is not None and self.present:
            bridge_current, bridge_plan = self._bridge_plan(node, owned_ports)
            plans.append(bridge_plan)
        if self.fabric_rules:
            self.backend = make_backend(self.params['nat_backend'], self.run_command)
            self.backends[self.backend.kind] = self.backend
            with self.naming('nat_rules'):
                masquerade_plan = plan_rules(self.fabric_rules, self.backend.read(), self.params['owner'], backend=self.backend.kind)
            self.nat_plans.append(masquerade_plan)
            # The published ports are planned on top of the masquerade plan: between them, the
            # shared table (chains) is created by the first and removed by the last that needs it.
            nat_current = masquerade_plan.entries_after
            planned_pieces = set(entry['text'] for entry in nat_current if entry['kind'] != 'rule')
        if self.endpoints is not None:
            self.endpoints_current = self._endpoints_current(node, bridge_current or {'bridge': None})
            with self.naming('endpoints'):
                self.backend, nat_current, publish_plan, self.endpoints_current['published'] = plan_published_ports(
                    self.run_command, self.params['nat_backend'], self.endpoints, self.endpoints_current,
                    backend=self.backend, nat_current=nat_current)
                endpoints_plan = plan_endpoints(self.endpoints, self.endpoints_current)
            if self.backend is not None:
                self.backends[self.backend.kind] = self.backend
            plans.append(endpoints_plan)
            self.nat_plans.append(publish_plan)
            owned_ports = [item['host_interface'] for item in self.endpoints_current['owned'].values()]
            before['endpoints'], after['endpoints'] = endpoints_plan.before, endpoints_plan.after
        if self.forward_rules:
            if self.forward_read is None:
                forward_backend = make_backend(self.params['forward_backend'], self.run_command)
                self.forward_read = (forward_backend, forward_backend.read())
            forward_backend, forward_current = self.forward_read
            self.backends[forward_backend.kind] = forward_backend
            with self.naming('nat_rules'):
                self.nat_plans.append(plan_rules(self.forward_rules, forward_current, self.params['owner'],
                                                 backend=forward_backend.kind))
        routes_current = read_routes(node)
        vxlan_plan = None
        if self.vxlan is not None and self.present:
            device, vxlan_plan = self._vxlan_plan(node)
            plans.append(vxlan_plan)
            # Neighbour and FDB entries before the routes that lead through them, as flannel does.
            routes_current = self._routes_after_vxlan(routes_current, device, vxlan_plan, self.vxlan['name'])
        with self.naming('routes'):
            routes_plan = plan_routes(self.routes, routes_current)
        plans.append(routes_plan)
        rules = node.rules(AF_INET) if self.rules else []
        with self.naming('rules'):
            rule_plans = [plan_rule(rule, rules) for rule in self.rules]
        plans.extend(rule_plans)
        if self.vxlan is not None and not self.present:
            _device, vxlan_plan = self._vxlan_plan(node)
            plans.append(vxlan_plan)
        if vxlan_plan is not None:
            before['vxlan'], after['vxlan'] = vxlan_plan.before, vxlan_plan.after
        if self.bridge is not None and not self.present:
            bridge_current, bridge_plan = self._bridge_plan(node, owned_ports)
            plans.append(bridge_plan)
        if bridge_plan is not None:
            before['bridge'], after['bridge'] = bridge_plan.before, bridge_plan.after
        before['routes'], after['routes'] = routes_plan.before['routes'], routes_plan.after['routes']
        before['rules'] = [rule for plan in rule_plans for rule in plan.before['rules']]
        after['rules'] = [rule for plan in rule_plans for rule in plan.after['rules']]
        # The later NAT plans' `before` holds the shared pieces as the first plan leaves them.
        before['nat_rules'] = sorted(set(self.nat_plans[0].before['nat_rules'] if self.nat_plans else []).union(
            text for plan in self.nat_plans[1:] for text in plan.before['nat_rules'] if text not in planned_pieces))
        after['nat_rules'] = sorted(set(rule for plan in self.nat_plans for rule in plan.after['nat_rules']))
        combined = Plan(before, after)
        for plan in plans:
            combined.actions.extend(plan.actions)
        return combined

    def plan_subnet_env(self, plan):
        """flanneld's subnet.env: written when its content differs, removed with the fabric."""
        if self.subnet_env is None:
            return
        path, wanted = self.subnet_env
        current = read_text(path)
        plan.before['subnet_env'], plan.after['subnet_env'] = current, wanted
        if current != wanted:
            self.file_change = (path, wanted)

    @property
    def nat_changed(self):
        return any(plan.changed for plan in self.nat_plans)

    @property
    def changed(self):
        return self.nat_changed or self.file_change is not None

    def apply(self, sessions, plan):
        execute(sessions, plan.actions)
        for nat_plan in self.nat_plans:
            if nat_plan.changed:
                self.backends[nat_plan.backend].apply(nat_plan)
        if self.file_change is not None:
            write_text(*self.file_change)

    def descriptions(self, plan):
        texts = plan.descriptions() + [text for nat_plan in self.nat_plans for text in nat_plan.descriptions()]
        if self.file_change is not None:
            texts.append('%s file %s' % ('write' if self.file_change[1] is not None else 'delete', self.file_change[0]))
        return texts

    def endpoints_result(self, sessions, reread):
        if self.endpoints is None:
            return []
        current = read(self.endpoints, sessions(None)) if reread else self.endpoints_current
        return resulting_endpoints(self.endpoints, current)


def subnet_env_file(params, parts):
    """(path, content or None) of the overlay's subnet.env, or None when the module keeps none."""
    path = params.get('subnet_env')
    if not path or parts['vxlan'] is None:
        return None
    if not os.path.isabs(path):
        raise OptionError('subnet_env', "'%s' must be an absolute path" % path)
    if params['state'] != 'present':
        return path, None
    content = (params['plan'] or {}).get('subnet_env')
    if not isinstance(content, str):
        raise OptionError('plan', 'lacks subnet_env (the lines of subnet.env, from the fabric_plan filter with the leases)')
    return path, content


def write_text(path, content):
    """Write (atomically, 0644, its directory made 0755) or, content None, remove the file and its
    directory when it is left empty (flanneld's /run/flannel)."""
    directory = os.path.dirname(path)
    if content is None:
        if os.path.exists(path):
            os.unlink(path)
        if os.path.isdir(directory) and not os.listdir(directory):
            os.rmdir(directory)
        return
    os.makedirs(directory, mode=0o755, exist_ok=True)
    write_atomically(path, content)


def _record_change(params, recorded_text, recorded):
    """(content or None to remove) when the node's record must change with this run, else False.

    Compared as read (`recorded`, a plan without version read as version 1), so the same part
    recorded by an older collection is not rewritten for the version stamp alone."""
    if params['state'] == 'present':
        wanted = record_text(record_of(params))
        return wanted if recorded is None or wanted != record_text(recorded) else False
    # Removal: the record goes once its part is gone (this run removes the recorded part in any case).
    return None if recorded_text is not None else False


def plan_boot(params, record_path):
    """The boot-time restore's files (_boot): there with the part and its record (unless the
    option boot_restore is false), gone with them."""
    root = params.get('boot_root') or '/'
    if not os.path.isabs(root):
        raise OptionError('boot_root', "'%s' must be an absolute path" % root)
    wanted = params['state'] == 'present' and params.get('boot_restore', True)
    files, links = _boot.boot_files(record_path, _boot.module_sources() if wanted else {}, root)
    return root, _boot.plan_boot_files(files, links, wanted, root)


def run_node(params, run_command, check_mode, record_path=None):
    """The body of fabric_node, and of the boot-time restore: plan, apply unless check mode, record.

    With `record_path`, the node's record (_node_record) is read first. A removal without a plan
    removes the recorded part, with the recorded options (nothing without a record). When the
    record is of another part (another fabric_mode or owner), that part is removed first, from the
    recorded options, whatever the inventory says now; then this part is built (or, with state
    absent, nothing more), the boot-time restore's files are written (or removed) and the record
    rewritten (or removed). Check mode plans the removal and this part against the node as it is,
    so its `changed` is exact and its actions are what a run would start with.
    Returns the module's result: changed, diff, actions, endpoints.
    """
    if record_path and not os.path.isabs(record_path):
        raise OptionError('record', "'%s' must be an absolute path" % record_path)
    recorded_text = read_text(record_path) if record_path else None
    recorded = parse_record(recorded_text, record_path)
    if params['state'] == 'absent' and not params.get('plan') and record_path:
        # Removal without a plan: what the node recorded, whatever mode the inventory has now;
        # without a record, nothing (but leftovers of the boot-time restore).
        if recorded is None:
            boot_root, boot_changes = plan_boot(params, record_path)
            if boot_changes and not check_mode:
                _boot.apply_boot_files(boot_changes, boot_root)
            return {'changed': bool(boot_changes), 'diff': {'before': {'record': None}, 'after': {'record': None}},
                    'actions': _boot.describe(boot_changes), 'endpoints': []}
        params = dict(params, state='absent', **dict((key, value) for key, value in recorded['params'].items() if key != 'state'))
    changed = False
    actions = []
    # Every option is validated (by the construction) before the first change, the recorded
    # part's removal included.
    node = FabricNode(params, run_command)
    boot_root, boot_changes = plan_boot(params, record_path) if record_path else ('/', [])
    if recorded is not None and not same_part(recorded, params):
        # The new part is planned once before the old one goes: a planner's OptionError must come
        # before the first change. Planned again after the removal, on what the node then has.
        with Sessions() as sessions:
            node.plan(sessions)
        node = FabricNode(params, run_command)
        previous = FabricNode(dict(recorded['params'], state='absent'), run_command)
        with Sessions() as sessions:
            previous_plan = previous.plan(sessions)
            if previous_plan.changed or previous.changed:
                changed = True
                actions.extend('remove the recorded %s part: %s' % (recorded['mode'], text)
                               for text in previous.descriptions(previous_plan))
                if not check_mode:
                    previous.apply(sessions, previous_plan)
                    # What the construction read (iptables) is older than the removal.
                    node = FabricNode(params, run_command)
    with Sessions() as sessions:
        plan = node.plan(sessions)
        node.plan_subnet_env(plan)
        record_change = _record_change(params, recorded_text, recorded) if record_path else False
        changed = changed or plan.changed or node.changed or record_change is not False or bool(boot_changes)
        if (plan.changed or node.changed) and not check_mode:
            node.apply(sessions, plan)
        endpoints = node.endpoints_result(sessions, reread=changed and not check_mode)
    actions.extend(node.descriptions(plan))
    actions.extend(_boot.describe(boot_changes))
    if boot_changes and not check_mode:
        _boot.apply_boot_files(boot_changes, boot_root)
    # subnet.env moved to another path: the file at the old one goes (unset, the module keeps out of it).
    old_subnet_env = recorded['params'].get('subnet_env') if recorded is not None and same_part(recorded, params) else None
    if old_subnet_env and params.get('subnet_env') and old_subnet_env != params['subnet_env'] and read_text(old_subnet_env) is not None:
        changed = True
        actions.append('delete file %s' % old_subnet_env)
        if not check_mode:
            write_text(old_subnet_env, None)
    if record_change is not False:
        actions.append('%s the node\'s record %s' % ('write' if record_change is not None else 'remove', record_path))
        if not check_mode:
            # Last: the record says what the node has once it has it.
            write_text(record_path, record_change)
    diff = plan.diff()
    if record_path:
        diff['before']['record'] = summary(recorded)
        diff['after']['record'] = summary(record_of(params)) if params['state'] == 'present' else None
    return {'changed': changed, 'diff': diff, 'actions': actions, 'endpoints': endpoints}

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a node of each fabric is made of, in the terms of the single-object planners. Pure.

fabric_node applies a node's whole part of the fabric in one module run (one read, one plan,
one apply), because every extra module run costs a node more than planning a hundred endpoints.
This file decides which objects that part holds; the planners of linux_bridge, endpoints,
nat_rule, routes and routing_rule plan each of them.
"""

from __future__ import annotations

import re

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_schema import MODES, check_plan, version_problem

# The highest priority of a rule of one's own (the kernel's rules use 32766 and 32767).
RULE_PRIORITY_MAX = 32765
# The overlay's own NAT rules, by name (flannel's ip-masq chain).
OVERLAY_RULES = (('masquerade', 'masquerade'), ('masquerade-to-overlay', 'masquerade'))
# Every fabric's forward accepts (flannel's FLANNEL-FWD): a FORWARD policy DROP, Docker's, must
# not cut the containers' traffic, to and from other nodes or the outside.
FORWARD_RULES = ('forward-from-cluster', 'forward-to-cluster', 'forward-underlay-hairpin')


# The options of each component's planner that come from an option of fabric_node or a key of its
# plan under another name (the others have the same name): messages name what the user can change.
FABRIC_OPTIONS = {
    'bridge': {'name': 'bridge', 'mac': 'bridge_mac'},
    'endpoints': {'endpoints': 'plan.endpoints', 'subnet': 'plan.subnet'},
    'masquerade': {'destination': 'plan.cluster_cidr'},
    'routes': {'protocol': 'route_protocol', 'routes': 'plan.routes'},
    'rules': {'priority': 'rule_priority', 'to': 'plan.cluster_cidr', 'from': 'plan.cluster_cidr'},
    'vxlan': {'name': 'plan.overlay.device', 'vni': 'plan.overlay.vni', 'port': 'plan.overlay.port', 'local': 'plan.underlay_address',
              'underlay': 'plan.underlay_interface', 'mac': 'plan.overlay.vtep_mac', 'subnet': 'plan.subnet',
              'peers': 'plan.overlay.peers', 'tx_checksum_offload': 'plan.overlay.tx_checksum_offload'},
    'nat_rules': {'source': 'plan.cluster_cidr', 'destination': 'plan.cluster_cidr', 'out_interface': 'plan.overlay.device'},
}
# The default route of a routed node's table comes from these (it follows the plan's routes).
DEFAULT_ROUTE_OPTIONS = {'gateway': 'plan.gateway_underlay_address', 'device': 'plan.underlay_interface', 'table': 'table'}
OPTION_PATTERN = re.compile(r'^(?P<name>[a-z_]+)(?:\[(?P<index>\d+)\])?(?P<rest>.*)$')


def fabric_option(component, option, params):
    """The fabric_node option (or `plan.` key) behind `option` of a component's planner."""
    match = OPTION_PATTERN.match(option or '')
    if not match:
        return option
    name, index, rest = match.group('name', 'index', 'rest')
    if component == 'routes' and name == 'routes' and index is not None \
            and int(index) >= len((params.get('plan') or {}).get('routes') or []):
        return DEFAULT_ROUTE_OPTIONS.get(rest.lstrip('.'), 'plan.gateway_underlay_address')
    if component == 'bridge' and name == 'addresses':
        # One address, from the plan (the planner takes a list).
        return 'plan.bridge_address'
    if component == 'masquerade' and name == 'source':
        return 'plan.subnet' if params['mode'] == 'bridge_nat' else 'plan.cluster_cidr'
    name = FABRIC_OPTIONS.get(component, {}).get(name, name)
    return name + ('[%s]' % index if index is not None else '') + rest


def overlay_parts(params, plan, present):
    """The vxlan device (planned as the vxlan module plans it) and flannel's ip-masq rules of an
    overlay node; with state absent, what finds them for deletion."""
    overlay = plan.get('overlay') or {}
    device = overlay.get('device')
    if device is None:
        raise OptionError('plan', 'needs overlay.device to find the vxlan device of the overlay')
    if not present:
        vxlan = {'name': device, 'netns': None, 'state': 'absent', 'vni': overlay.get('vni'), 'force': False}
        return vxlan, [{'name': name, 'state': 'absent', 'kind': kind} for name, kind in OVERLAY_RULES]
    vxlan = {
        'name': device, 'netns': None, 'state': 'present', 'vni': overlay['vni'], 'port': overlay['port'],
        'local': plan['underlay_address'], 'underlay': plan['underlay_interface'], 'learning': False,
        'mtu': overlay['mtu'], 'mac': overlay['vtep_mac'], 'subnet': plan['subnet'], 'address': None,
        # Neighbour and FDB entries of the peers behind the overlay; every peer's route is one of
        # the node's routes (protocol route_protocol), so moving a peer to or from DirectRouting is
        # a route replaced, never a deletion racing an addition.
        'peers': [dict((key, peer[key]) for key in ('public_ip', 'vtep_mac', 'subnet')) for peer in overlay['peers']],
        'purge_peers': True, 'force': False, 'tx_checksum_offload': overlay['tx_checksum_offload'], 'peer_routes': False,
    }
    cluster = plan['cluster_cidr']
    state = 'present' if overlay['ip_masq'] else 'absent'
    rules = [
        # flannel's ip-masq chain without its RETURN rules (a shared chain must not return early):
        # the node's containers to the outside, and the node (or anyone else) into the overlay.
        {'name': 'masquerade', 'state': state, 'kind': 'masquerade', 'source': plan['subnet'], 'destination': '!' + cluster},
        {'name': 'masquerade-to-overlay', 'state': state, 'kind': 'masquerade', 'source': '!' + cluster,
         'destination': cluster, 'out_interface': device},
    ]
    return vxlan, rules


FORWARD_ACCEPT = ('auto', 'always', 'never')


def forward_rules(params, plan, present):
    """The cluster CIDR accepted in FORWARD both ways (option forward_accept, resolved from `auto`
    to `always` or `never` by the caller), or what removes them."""
    if params.get('forward_accept', 'always') not in FORWARD_ACCEPT:
        raise OptionError('forward_accept', "'%s' must be one of %s" % (params['forward_accept'], ', '.join(FORWARD_ACCEPT)))
    if not present or params.get('forward_accept', 'always') == 'never':
        return [{'name': name, 'state': 'absent', 'kind': 'accept'} for name in FORWARD_RULES]
    cluster = plan['cluster_cidr']
    rules = [
        {'name': 'forward-from-cluster', 'state': 'present', 'kind': 'accept', 'source': cluster},
        {'name': 'forward-to-cluster', 'state': 'present', 'kind': 'accept', 'destination': cluster},
    ]
    if params['mode'] == 'routed' and plan.get('is_gateway'):
        # A node answers a published port through its policy route, via the gateway, after the
        # reply was un-DNATed to its own address: the gateway forwards it back out on the
        # underlay, node to node, which a FORWARD policy DROP would cut.
        rules.append({'name': 'forward-underlay-hairpin', 'state': 'present', 'kind': 'accept',
                      'in_interface': plan['underlay_interface'], 'out_interface': plan['underlay_interface']})
    else:
        rules.append({'name': 'forward-underlay-hairpin', 'state': 'absent', 'kind': 'accept'})
    return rules


def components(params):
    """{bridge, endpoints, masquerade, routes, rules, vxlan, nat_rules} planner parameters (None
    or []: not part of this node).

    `params` are fabric_node's options: mode, state, plan, owner, bridge, bridge_mac, mtu,
    nat_backend, route_protocol, table, rule_priority, forward_accept.
    """
    mode, state = params['mode'], params['state']
    if mode not in MODES:
        raise OptionError('mode', "'%s' must be one of %s" % (mode, ', '.join(MODES)))
    plan = {} if params['plan'] is None else params['plan']
    present = state == 'present'
    if isinstance(plan, dict):
        # A plan of another version may be shaped otherwise: its version is told first, then a
        # plan for another fabric, before its keys are checked for this one.
        problem = version_problem(plan)
        if problem:
            raise OptionError('plan', problem)
        if plan.get('mode', mode) != mode:
            raise OptionError('mode', "is %s, but the plan is for a %s fabric (fabric_mode)" % (mode, plan['mode']))
    # Removal needs few keys (cluster_cidr for the routed rules, overlay.device): only the types of those given.
    check_plan(plan, mode, complete=present)
    owner = params['owner']
    is_node = plan.get('is_node', True)
    is_gateway = plan.get('is_gateway', False)
    result = {'bridge': None, 'endpoints': None, 'masquerade': None, 'routes': None, 'rules': [], 'vxlan': None, 'nat_rules': []}

    if mode == 'overlay':
        result['vxlan'], result['nat_rules'] = overlay_parts(params, plan, present)
    result['nat_rules'] = result['nat_rules'] + forward_rules(params, plan, present)
    if mode in ('bridge_nat', 'overlay'):
        result['bridge'] = {
            'name': params['bridge'], 'netns': None, 'state': 'present' if present else 'absent',
            'addresses': [plan['bridge_address']] if present else None, 'mtu': params['mtu'] if present else None,
            'mac': params['bridge_mac'] if present else None, 'stp': None, 'vlan_filtering': None,
            'ports': None, 'purge_ports': False, 'force': False,
        }
    if is_node or not present:
        result['endpoints'] = {
            'endpoints': [dict(endpoint, netns=None, interface=None, host_interface=None, mode=None, mtu=None)
                          for endpoint in plan.get('endpoints', [])] if present else [],
            'mode': 'routed' if mode == 'routed' else 'bridge',
            'bridge': params['bridge'] if mode != 'routed' and present else None,
            'gateway': None, 'subnet': plan.get('subnet') if present else None, 'mtu': params['mtu'],
            'owner': owner, 'purge': True, 'state': 'present', 'host_interface_prefix': 'lf', 'netns': None,
            # The boot-time restore leaves Docker's endpoints to the next run (_node_record.boot_params).
            'keep': plan.get('restore_keeps') or [],
        }
    masquerade_source = plan.get('subnet') if mode == 'bridge_nat' else plan.get('cluster_cidr')
    if present and (mode == 'bridge_nat' or is_gateway):
        # Only traffic leaving the cluster: containers keep their own address towards other nodes.
        result['masquerade'] = {'name': 'masquerade', 'state': 'present', 'kind': 'masquerade',
                                'source': masquerade_source, 'destination': '!' + plan['cluster_cidr']}
    elif not present and mode != 'overlay':
        result['masquerade'] = {'name': 'masquerade', 'state': 'absent'}

    routes = list(plan.get('routes', [])) if present else []
    if present and mode == 'routed' and not is_gateway:
        # The containers' way out: table `table` holds a default route via the gateway node.
        routes.append({'destination': 'default', 'gateway': plan['gateway_underlay_address'],
                       'device': plan['underlay_interface'], 'table': str(params['table'])})
    result['routes'] = {'routes': routes, 'protocol': params['route_protocol'], 'purge': True, 'netns': None, 'state': 'present'}

    if mode == 'routed' and (not present or not is_gateway):
        priority = params['rule_priority']
        if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= RULE_PRIORITY_MAX - 1:
            raise OptionError('rule_priority', '%s must be between 1 and %d: the second rule uses the next number'
                              % (priority, RULE_PRIORITY_MAX - 1))
        cluster = plan.get('cluster_cidr') or params.get('cluster_cidr')
        if cluster is None:
            raise OptionError('plan', 'needs cluster_cidr to find the policy rules of the routed fabric')
        base = {'netns': None, 'state': 'present' if present else 'absent', 'iif': None, 'oif': None, 'fwmark': None}
        # Cluster traffic stays in the main table; the containers' other traffic uses `table`.
        result['rules'] = [
            dict(base, priority=params['rule_priority'], to=cluster, table='main' if present else None, **{'from': None}),
            dict(base, priority=params['rule_priority'] + 1, to=None, table=str(params['table']) if present else None,
                 **{'from': cluster}),
        ]
    return result

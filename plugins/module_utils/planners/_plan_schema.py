# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-node plan: one documented, versioned structure. Pure: no Ansible, no kernel.

The fabric_plan filter writes one plan per host on the controller (and stamps PLAN_VERSION in
it); fabric_node checks it on entry and hands it to its planners; the node's record
(_node_record) keeps it for the boot-time restore and for the next run. docs/plan.md describes
every key, who writes it and who reads it.

Versioning: a reader ignores keys it does not know, so adding an optional key keeps the version.
A change an older reader would misread (a key renamed, removed, made required, or given another
type or meaning) raises PLAN_VERSION. A plan without `version` (written before plans had one)
is version 1: its structure is version 1's.
"""

from __future__ import annotations

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError

PLAN_VERSION = 1
# The versions this collection reads; a plan without `version` is of the first.
UNDERSTOOD_VERSIONS = (1,)
LEGACY_VERSION = 1
MODES = ('bridge_nat', 'routed', 'overlay')

# `required`: ALWAYS - every plan a node builds from (state present) has it; OVERLAY - every
# overlay plan has it; None - optional (read where present, or not read on the node at all).
ALWAYS = 'always'
OVERLAY = 'overlay'

TYPE_NAMES = ((bool, 'true or false'), (int, 'an integer'), (str, 'a string'), (list, 'a list'), (dict, 'a dict'),
              (type(None), 'null'))


class Field(object):
    """One key of the plan: its types, when it is required, what it holds (`keys` of a dict,
    `items` of a list of dicts) and a line of what it is; docs/plan.md says who writes and who
    reads it."""

    def __init__(self, types, required=None, doc='', keys=None, items=None, choices=None):
        self.types = types if isinstance(types, tuple) else (types,)
        self.required = required
        self.doc = doc
        self.keys = keys
        self.items = items
        self.choices = choices


ENDPOINT = {
    'name': Field((str, int), ALWAYS, 'the endpoint (and its namespace) name; a number is taken as its text'),
    'address': Field((str, type(None)), None, 'address/prefix; null for a netns_of endpoint'),
    'publish': Field(list, None, 'published-port specs (8080:80/tcp), checked by the endpoints planner'),
    'docker_container': Field(str, None, 'the Docker container whose namespace the endpoint is'),
    'netns_of': Field(str, None, "another endpoint's name, whose namespace, interface and address it shares"),
}
ROUTE = {
    'destination': Field(str, ALWAYS, 'the peer subnet'),
    'gateway': Field(str, None, "the peer's underlay address, or (overlay) its network address"),
    'device': Field(str, None, 'overlay: the vxlan device'),
    'onlink': Field(bool, None, 'overlay: the gateway is on the device'),
}
PEER = {
    'name': Field(str, None, 'the peer host'),
    'subnet': Field(str, None, "the peer's node subnet"),
    'via': Field(str, None, "the peer's underlay address"),
    'direct': Field(bool, None, 'overlay: reached without VXLAN (DirectRouting)'),
}
OVERLAY_PEER = {
    'public_ip': Field(str, ALWAYS, "the peer's underlay address (VTEP)"),
    'vtep_mac': Field(str, ALWAYS, "the MAC of the peer's vxlan device"),
    'subnet': Field(str, ALWAYS, "the peer's lease"),
}
OVERLAY_PART = {
    'device': Field(str, ALWAYS, 'the vxlan device (flannel.<VNI>)'),
    'vni': Field(int, ALWAYS, 'VXLAN network identifier'),
    'port': Field(int, ALWAYS, 'VXLAN UDP port'),
    'mtu': Field(int, ALWAYS, 'the overlay MTU (underlay MTU - 50)'),
    'ip_masq': Field(bool, ALWAYS, "flannel's ip-masq"),
    'tx_checksum_offload': Field(bool, ALWAYS, 'TX checksum offload of the vxlan device'),
    'direct_routing': Field(bool, None, "flannel's DirectRouting"),
    'prefix': Field(str, None, "the etcd prefix of flannel's keys"),
    'vtep_mac': Field((str, type(None)), ALWAYS, "the node's VTEP MAC, from its lease (null before the leases)"),
    'peers': Field(list, ALWAYS, 'the peers behind the overlay (not DirectRouting)', items=OVERLAY_PEER),
}
LEASES = {
    'endpoints': Field(list, None, 'etcd client URLs'),
    'ca_file': Field((str, type(None)), None, 'etcd CA certificate on the lease host'),
    'cert_file': Field((str, type(None)), None, 'etcd client certificate'),
    'key_file': Field((str, type(None)), None, 'etcd client key'),
    'transport': Field(str, None, 'gateway or etcdctl'),
    'prefix': Field(str, None, "the etcd prefix of flannel's keys"),
    'network': Field(str, None, 'the cluster CIDR'),
    'subnet_len': Field(int, None, 'prefix length of a lease'),
    'subnet_min': Field(str, None, 'first lease subnet'),
    'subnet_max': Field(str, None, 'last lease subnet'),
    'vni': Field(int, None, 'VXLAN network identifier'),
    'port': Field(int, None, 'VXLAN UDP port'),
    'direct_routing': Field(bool, None, "flannel's DirectRouting"),
    'lease_ttl': Field(int, None, "seconds of each key's etcd lease"),
    'replace_config': Field(bool, None, "replace a different flannel config in etcd"),
    'nodes': Field(list, None, 'one {name, public_ip, subnet} per node'),
}

# The top level, in the order docs/plan.md lists it.
PLAN = {
    'version': Field(int, None, 'the structure of this plan (PLAN_VERSION); absent: 1'),
    'mode': Field(str, None, 'bridge_nat, routed or overlay (fabric_mode)', choices=MODES),
    'cluster_cidr': Field(str, ALWAYS, 'fabric_cluster_cidr'),
    'underlay_address': Field(str, OVERLAY, "the node's underlay address"),
    'underlay_interface': Field(str, ALWAYS, "the node's underlay interface"),
    'is_node': Field(bool, ALWAYS, 'the host has a node subnet and endpoints (false: the routed gateway alone)'),
    'is_gateway': Field(bool, ALWAYS, 'the host is the routed gateway (head node)'),
    'gateway_underlay_address': Field((str, type(None)), ALWAYS, "routed: the gateway's underlay address; else null"),
    'peers': Field(list, None, 'the other nodes', items=PEER),
    'routes': Field(list, ALWAYS, "routes to the peers' subnets, as options of linuxnet.fabric.routes", items=ROUTE),
    'subnet': Field((str, type(None)), ALWAYS, "the node subnet (null: no subnet, or an overlay plan before its leases)"),
    'node_address': Field((str, type(None)), None, "the node's address in its subnet"),
    'bridge_address': Field((str, type(None)), ALWAYS, "the bridge's address/prefix (bridge_nat, overlay)"),
    'endpoints': Field(list, ALWAYS, 'the endpoints with their addresses', items=ENDPOINT),
    'docker_bip': Field(str, None, "with Docker: dockerd's bip (the subnet's upper half)"),
    'overlay': Field(dict, OVERLAY, "overlay: the vxlan device and the peers behind it", keys=OVERLAY_PART),
    'leases': Field(dict, None, 'overlay: the options of linuxnet.fabric.subnet_leases, the same on every host', keys=LEASES),
    'subnet_env': Field(str, None, "overlay with leases: flanneld's subnet.env, byte for byte"),
    'restore_keeps': Field(list, None, "endpoints the boot-time restore leaves to the next run (Docker's)"),
}


def _type_name(types):
    return ' or '.join(name for kind, name in TYPE_NAMES if kind in types)


def _has_type(value, types):
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


def plan_version(plan):
    """The version of `plan` (a dict): its `version`, or 1 for a plan written before plans had one."""
    return plan.get('version', LEGACY_VERSION)


def version_problem(plan, source='from the controller'):
    """None, or what is wrong with the version of `plan` (a dict) in a message for the user."""
    version = plan_version(plan)
    if isinstance(version, int) and not isinstance(version, bool) and version in UNDERSTOOD_VERSIONS:
        return None
    return ('is plan version %s %s, but the linuxnet.fabric here understands plan version %s: install the same '
            'collection version where the plan is computed (the fabric_plan filter, on the controller) and where it is '
            'applied' % (version, source, ', '.join(str(known) for known in UNDERSTOOD_VERSIONS)))


def _walk(value, fields, path, mode, complete, missing, wrong):
    for key, field in fields.items():
        where = '%s.%s' % (path, key)
        if key not in value:
            if complete and (field.required == ALWAYS or (field.required == OVERLAY and mode == 'overlay')):
                missing.append(where)
            continue
        item = value[key]
        if not _has_type(item, field.types):
            wrong.append((where, 'is %r; it must be %s' % (item, _type_name(field.types))))
            continue
        if field.choices and item not in field.choices:
            wrong.append((where, "is '%s'; it must be one of %s" % (item, ', '.join(field.choices))))
        if field.keys and isinstance(item, dict):
            _walk(item, field.keys, where, mode, complete, missing, wrong)
        if field.items and isinstance(item, list):
            for index, element in enumerate(item):
                element_path = '%s[%d]' % (where, index)
                if not isinstance(element, dict):
                    wrong.append((element_path, 'is %r; it must be a dict' % (element,)))
                else:
                    _walk(element, field.items, element_path, mode, complete, missing, wrong)


def plan_problems(plan, mode=None, complete=True, path='plan'):
    """[(key path, problem)] of `plan`; empty when it is a valid plan.

    `mode` is the fabric the plan is used for (default: its own `mode`); `complete` False checks
    only the version and the types of the keys that are there (what removing a part needs).
    """
    if not isinstance(plan, dict):
        return [(path, 'must be the dict the fabric_plan filter returns for this host, not %r' % (plan,))]
    problem = version_problem(plan)
    if problem:
        return [(path, problem)]
    missing, wrong = [], []
    _walk(plan, PLAN, path, mode or plan.get('mode'), complete, missing, wrong)
    problems = []
    if missing:
        problems.append((path, 'lacks %s; pass the fabric_plan filter\'s entry for this host'
                         % ', '.join(where[len(path) + 1:] for where in missing)))
    return problems + wrong


def check_plan(plan, mode=None, complete=True):
    """Raise OptionError naming the key path of the first problem of `plan` (see plan_problems)."""
    problems = plan_problems(plan, mode, complete)
    if problems:
        raise OptionError(*problems[0])


def stamped(plan):
    """`plan` with its version: what a plan without one (older collection) is read as."""
    if 'version' in plan:
        return plan
    return dict(plan, version=LEGACY_VERSION)


def key_paths(fields=None, path='plan'):
    """[(key path, Field)] of every documented key, depth first (docs and their test)."""
    result = []
    for key, field in (fields or PLAN).items():
        where = '%s.%s' % (path, key)
        result.append((where, field))
        if field.keys:
            result.extend(key_paths(field.keys, where))
        if field.items:
            result.extend(key_paths(field.items, where + '[]'))
    return result

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a node records of its part of the fabric, on its own disk.

/var/lib/linuxnet-fabric/node.json holds the options of the last fabric_node run that built the
node's part (mode, owner, the plan with every endpoint's address). It lives on the node because
that is what survives a reboot and is the same for every controller:
- the controller's plan keeps each endpoint's address from it (fabric_facts reads it), so an
  address once given stays until the endpoint is removed, across reboots, reorderings, nodes
  joining or leaving and a change of controller;
- the boot-time restore (linuxnet-fabric-restore) applies it again without the controller;
- a run with another fabric_mode, and teardown, remove what it says the node has, whatever the
  inventory says now.
Pure: no Ansible, no kernel; file access through _files.
"""

from __future__ import annotations

import json

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError
from ansible_collections.linuxnet.fabric.plugins.module_utils._files import read_text
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_schema import UNDERSTOOD_VERSIONS, plan_version, stamped

RECORD_PATH = '/var/lib/linuxnet-fabric/node.json'
RECORD_FORMAT = 1
# fabric_node's options that make the node's part; the others (record, lock_timeout) are how a
# run goes, not what it builds.
RECORDED_OPTIONS = ('mode', 'owner', 'plan', 'bridge', 'bridge_mac', 'mtu', 'nat_backend', 'forward_backend',
                    'forward_accept', 'route_protocol', 'table', 'rule_priority', 'subnet_env')


def record_of(params):
    """The record of a fabric_node run with `params` (state present)."""
    plan = params.get('plan') or {}
    # The overlay's lease settings are the controller's (its etcd client files); fabric_node does
    # not use them, and another controller must not rewrite the record for them.
    # Stamped with its version (a plan built by hand may have none), as parse_record reads it back.
    stored_plan = stamped(dict((key, value) for key, value in plan.items() if key != 'leases'))
    addresses = dict((endpoint['name'], endpoint['address']) for endpoint in plan.get('endpoints') or []
                     if isinstance(endpoint, dict) and endpoint.get('name') and endpoint.get('address'))
    return {
        'format': RECORD_FORMAT,
        'mode': params['mode'],
        'owner': params['owner'],
        'addresses': addresses,
        'params': dict((option, stored_plan if option == 'plan' else params.get(option)) for option in RECORDED_OPTIONS),
    }


def record_text(record):
    """The file's content: stable (sorted keys), so an unchanged part rewrites nothing."""
    return json.dumps(record, indent=1, sort_keys=True) + '\n'


def parse_record(text, path=RECORD_PATH):
    """The record in `text` (None: no record); FabricError naming the file when it cannot be used."""
    if text is None:
        return None
    try:
        record = json.loads(text)
    except ValueError as error:
        raise FabricError('%s is not the JSON this collection writes (%s); move it away to start afresh' % (path, error))
    if not isinstance(record, dict) or record.get('format') != RECORD_FORMAT:
        found = record.get('format') if isinstance(record, dict) else None
        raise FabricError('%s is a record of format %r; this version of linuxnet.fabric reads format %d' % (
            path, found, RECORD_FORMAT))
    for key in ('mode', 'owner', 'addresses', 'params'):
        if key not in record:
            raise FabricError('%s lacks %s; move it away to start afresh' % (path, key))
    plan = record['params'].get('plan') if isinstance(record['params'], dict) else None
    if isinstance(plan, dict):
        version = plan_version(plan)
        if version not in UNDERSTOOD_VERSIONS or isinstance(version, bool):
            raise FabricError('%s records a plan of version %s, written by another linuxnet.fabric; the one here understands '
                              'plan version %s: install the collection version that wrote it (or a newer one), or move the '
                              'record away to start afresh' % (path, version, ', '.join(str(known) for known in UNDERSTOOD_VERSIONS)))
        # A record written before plans had a version holds a version 1 plan: read as one, so a
        # run with the same plan does not rewrite the record (nor report a change) for the stamp alone.
        record['params']['plan'] = stamped(plan)
    return record


def read_record(path=RECORD_PATH):
    return parse_record(read_text(path), path)


def summary(record):
    """What diffs and facts show of a record: the mode, the owner, the addresses, and what the node
    was told of its peers (name, subnet, underlay address) and of the routed gateway - which is how
    a run that does not reach a node (--limit, unreachable) still plans the others' routes to it."""
    if record is None:
        return None
    plan = (record.get('params') or {}).get('plan') or {}
    peers = [dict((key, peer.get(key)) for key in ('name', 'subnet', 'via')) for peer in plan.get('peers') or []
             if isinstance(peer, dict) and peer.get('name') and peer.get('subnet') and peer.get('via')]
    return {'mode': record['mode'], 'owner': record['owner'], 'addresses': dict(record['addresses']), 'peers': peers,
            'gateway_underlay_address': plan.get('gateway_underlay_address')}


# The options that name the objects of a part (links, tables, rules, backends): when one of them
# differs, the recorded part is removed first, as it was built. The others (MTU, MAC, the plan)
# change in place; a subnet.env moved elsewhere is removed from its old path by run_node.
NAMING_OPTIONS = ('mode', 'owner', 'bridge', 'nat_backend', 'forward_backend', 'route_protocol', 'table', 'rule_priority')


def same_part(record, params):
    """Whether `record` is of the part fabric_node builds with `params`: the same mode, owner and
    names of its objects."""
    return record is not None and all(record['params'].get(option) == params.get(option) for option in NAMING_OPTIONS)


def boot_params(record):
    """fabric_node's options to restore the recorded part at boot, before any controller runs.

    Endpoints made of Docker containers (and the names sharing their namespaces) are left out:
    their namespaces are the containers', new after a reboot and made by Docker when it restarts
    them; the next site.yml attaches them again.
    """
    params = dict(record['params'], state='present')
    plan = dict(params.get('plan') or {})
    endpoints = plan.get('endpoints') or []
    docker = set(endpoint['name'] for endpoint in endpoints if endpoint.get('docker_container'))
    plan['endpoints'] = [endpoint for endpoint in endpoints
                         if endpoint['name'] not in docker and endpoint.get('netns_of') not in docker]
    # Left out, not removed: on a running node (a restore by hand, `status`) they are in place.
    plan['restore_keeps'] = sorted(set(endpoint['name'] for endpoint in endpoints) - set(e['name'] for e in plan['endpoints']))
    params['plan'] = plan
    return params

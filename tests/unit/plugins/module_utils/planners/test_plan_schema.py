# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import os
import re

import pytest

from ansible_collections.linuxnet.fabric.plugins.filter.fabric import fabric_plan
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_schema import (
    PLAN_VERSION, check_plan, key_paths, plan_problems, plan_version, stamped)

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '..'))
LEASES = {
    'leases': {'node1': {'subnet': '10.5.71.0/24', 'public_ip': '10.88.0.11', 'vtep_mac': '0a:00:00:00:00:11', 'vni': 1},
               'node2': {'subnet': '10.5.72.0/24', 'public_ip': '10.88.0.12', 'vtep_mac': '0a:00:00:00:00:12', 'vni': 1},
               'node3': {'subnet': '10.5.73.0/24', 'public_ip': '10.89.0.13', 'vtep_mac': '0a:00:00:00:00:13', 'vni': 1}},
    'peers': [{'subnet': '10.5.71.0/24', 'public_ip': '10.88.0.11', 'vtep_mac': '0a:00:00:00:00:11', 'node': 'node1'},
              {'subnet': '10.5.72.0/24', 'public_ip': '10.88.0.12', 'vtep_mac': '0a:00:00:00:00:12', 'node': 'node2'},
              {'subnet': '10.5.73.0/24', 'public_ip': '10.89.0.13', 'vtep_mac': '0a:00:00:00:00:13', 'node': 'node3'}],
}
ENDPOINTS = [{'name': 'web', 'publish': ['8080:80']}, {'name': 'db', 'address': None}, {'name': 'side', 'netns_of': 'web'},
             {'name': 7}]


def host(address, mode, **variables):
    """A host's variables as the plan role sees them: inventory plus linuxnet.fabric.fabric_facts."""
    base = {'fabric_mode': mode, 'fabric_cluster_cidr': '10.5.0.0/16' if mode == 'overlay' else '172.19.0.0/16',
            'inventory_dir': '/inventory',
            'ansible_facts': {'linuxnet_fabric': {'underlay': {'address': address, 'interface': 'eth0', 'prefix': 24, 'mtu': 1500},
                                                  'endpoints': []}}}
    base.update(variables)
    return base


def plans_of(mode, docker=False, leases=True, direct_routing=False):
    """The fabric_plan filter's output for three nodes (routed: and a gateway)."""
    docker_variable = {'overlay_docker': True} if mode == 'overlay' else {'bridge_nat_docker': True}
    extra = dict(docker_variable if docker else {}, fabric_overlay_direct_routing=direct_routing) if mode == 'overlay' else (
        docker_variable if docker else {})
    hostvars = {
        'node1': host('10.88.0.11', mode, fabric_endpoints=ENDPOINTS, **extra),
        'node2': host('10.88.0.12', mode, **extra),
        'node3': host('10.89.0.13', mode, **extra),
        'gw': host('10.88.0.20', mode),
    }
    if mode == 'overlay':
        return fabric_plan(['node1', 'node2', 'node3'], hostvars, etcd_hosts=['node1'], leases=LEASES if leases else None)
    return fabric_plan(['node1', 'node2', 'node3'], hostvars, ['gw'] if mode == 'routed' else [])


FILTER_OUTPUTS = {
    'bridge_nat': lambda: plans_of('bridge_nat'),
    'bridge_nat with Docker': lambda: plans_of('bridge_nat', docker=True),
    'routed': lambda: plans_of('routed'),
    'overlay before the leases': lambda: plans_of('overlay', leases=False),
    'overlay': lambda: plans_of('overlay'),
    'overlay with Docker and DirectRouting': lambda: plans_of('overlay', docker=True, direct_routing=True),
}


@pytest.mark.parametrize('case', sorted(FILTER_OUTPUTS))
def test_the_filters_output_passes_the_check_and_carries_the_version(case):
    plans = FILTER_OUTPUTS[case]()
    assert len(plans) >= 3
    for name, plan in plans.items():
        assert plan['version'] == PLAN_VERSION, name
        # What removal checks, and what building checks.
        assert plan_problems(plan, complete=False) == [], name
        assert plan_problems(plan) == [], name
        check_plan(plan, plan['mode'])


def _documented_paths(value, path='plan'):
    """The key paths of a plan, list items as `[]`, as key_paths() names them."""
    paths = []
    if isinstance(value, dict):
        for key, item in value.items():
            paths.append('%s.%s' % (path, key))
            paths.extend(_documented_paths(item, '%s.%s' % (path, key)))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                paths.extend(_documented_paths(item, path + '[]'))
    return paths


@pytest.mark.parametrize('case', sorted(FILTER_OUTPUTS))
def test_the_schema_describes_every_key_the_filter_writes(case):
    documented = set(path for path, _field in key_paths())
    written = set(path for plan in FILTER_OUTPUTS[case]().values() for path in _documented_paths(plan))
    # The opaque parts: subnet_leases' own options (its module documents them) and the published-port specs.
    written = set(path for path in written if not re.match(r'^plan\.leases\.(nodes|endpoints)\[\]', path))
    assert written and written <= documented, sorted(written - documented)


def test_every_key_is_documented_in_docs_plan_md():
    with open(os.path.join(REPOSITORY, 'docs', 'plan.md')) as handle:
        text = handle.read()
    paths = key_paths()
    assert len(paths) > 40
    missing = [path for path, _field in paths if '`%s`' % path[len('plan.'):] not in text]
    assert missing == []


def _valid(mode='bridge_nat'):
    return copy.deepcopy(FILTER_OUTPUTS['overlay' if mode == 'overlay' else mode]()['node1'])


def _set(plan, path, value):
    """`plan` with the key at the dotted `path` (list indexes as numbers) set, or removed (value DELETE)."""
    *parents, key = path.split('.')
    holder = plan
    for parent in parents:
        holder = holder[int(parent)] if isinstance(holder, list) else holder[parent]
    key = int(key) if isinstance(holder, list) else key
    if value is DELETE:
        del holder[key]
    else:
        holder[key] = value
    return plan


DELETE = object()


@pytest.mark.parametrize('mode, path, value, option, fragment', [
    ('bridge_nat', 'version', 2, 'plan', 'is plan version 2 from the controller, but the linuxnet.fabric here understands plan '
                                         'version 1: install the same collection version'),
    ('bridge_nat', 'version', 0, 'plan', 'plan version 0'),
    ('bridge_nat', 'version', 'one', 'plan', 'plan version one'),
    ('bridge_nat', 'version', True, 'plan', 'plan version True'),
    ('bridge_nat', 'cluster_cidr', DELETE, 'plan', "lacks cluster_cidr; pass the fabric_plan filter's entry for this host"),
    ('routed', 'routes', DELETE, 'plan', 'lacks routes'),
    ('bridge_nat', 'endpoints.0.name', DELETE, 'plan', 'lacks endpoints[0].name'),
    ('overlay', 'overlay', DELETE, 'plan', 'lacks overlay;'),
    ('overlay', 'underlay_address', DELETE, 'plan', 'lacks underlay_address'),
    ('overlay', 'overlay.vtep_mac', DELETE, 'plan', 'lacks overlay.vtep_mac'),
    ('overlay', 'overlay.peers.0.public_ip', DELETE, 'plan', 'lacks overlay.peers[0].public_ip'),
    ('bridge_nat', 'mode', 'flat', 'plan.mode', "is 'flat'; it must be one of bridge_nat, routed, overlay"),
    ('bridge_nat', 'is_node', 'yes', 'plan.is_node', "is 'yes'; it must be true or false"),
    ('bridge_nat', 'cluster_cidr', None, 'plan.cluster_cidr', 'is None; it must be a string'),
    ('bridge_nat', 'subnet', 24, 'plan.subnet', 'is 24; it must be a string or null'),
    ('bridge_nat', 'endpoints', {'web': {}}, 'plan.endpoints', 'it must be a list'),
    ('bridge_nat', 'endpoints.0', 'web', 'plan.endpoints[0]', "is 'web'; it must be a dict"),
    ('bridge_nat', 'endpoints.0.publish', '8080:80', 'plan.endpoints[0].publish', 'it must be a list'),
    ('routed', 'routes.0.destination', 5, 'plan.routes[0].destination', 'it must be a string'),
    ('overlay', 'overlay.mtu', '1450', 'plan.overlay.mtu', "is '1450'; it must be an integer"),
    ('overlay', 'overlay.vni', True, 'plan.overlay.vni', 'is True; it must be an integer'),
    ('overlay', 'overlay.peers.0.vtep_mac', None, 'plan.overlay.peers[0].vtep_mac', 'it must be a string'),
    ('overlay', 'leases.vni', 'one', 'plan.leases.vni', 'it must be an integer'),
    ('overlay', 'restore_keeps', 'web', 'plan.restore_keeps', 'it must be a list'),
])
def test_each_kind_of_mismatch_names_the_key_path(mode, path, value, option, fragment):
    plan = _set(_valid(mode), path, value)
    with pytest.raises(OptionError) as raised:
        check_plan(plan, mode)
    assert raised.value.option == option
    assert fragment in raised.value.problem


@pytest.mark.parametrize('plan', [None, 'node1', ['node1']])
def test_a_plan_that_is_not_a_dict_is_refused(plan):
    assert plan_problems(plan)[0][0] == 'plan'
    assert 'must be the dict the fabric_plan filter returns' in plan_problems(plan)[0][1]


def test_every_problem_is_listed_missing_keys_first():
    plan = _set(_set(_valid(), 'routes', DELETE), 'is_node', 'yes')
    assert plan_problems(plan) == [('plan', "lacks routes; pass the fabric_plan filter's entry for this host"),
                                   ('plan.is_node', "is 'yes'; it must be true or false")]


@pytest.mark.parametrize('plan, problems', [
    ({}, []),
    ({'cluster_cidr': '172.19.0.0/16'}, []),
    ({'overlay': {'device': 'flannel.1'}}, []),
    ({'cluster_cidr': 5}, [('plan.cluster_cidr', 'is 5; it must be a string')]),
    ({'overlay': {'device': 7}}, [('plan.overlay.device', 'is 7; it must be a string')]),
])
def test_removal_checks_only_the_types_of_the_keys_given(plan, problems):
    assert plan_problems(plan, 'overlay', complete=False) == problems


def test_removal_still_refuses_another_version():
    assert 'plan version 3' in plan_problems({'version': 3, 'cluster_cidr': '172.19.0.0/16'}, complete=False)[0][1]


def test_a_plan_without_version_is_version_1_and_read_as_such():
    plan = _valid()
    del plan['version']
    assert plan_version(plan) == 1
    assert plan_problems(plan) == []
    assert stamped(plan) == dict(plan, version=1)
    assert 'version' not in plan
    versioned = _valid()
    assert stamped(versioned) is versioned


def test_keys_a_reader_does_not_know_are_ignored():
    """A newer collection may add optional keys without raising the version."""
    plan = dict(_valid(), future_key={'anything': 1})
    plan['endpoints'][0]['future_field'] = 'x'
    assert plan_problems(plan) == []


# A role or playbook reading into a host's plan: `__fabric_plan[host].overlay.mtu`, `...endpoints[0].name`.
PLAN_READ = re.compile(r'__fabric(?:_verify)?_plan\[[^\]]+\]((?:\.[a-z_]+|\[\d+\])+)')


def _readers_in_docs():
    """{key path: its 'Read by' column} of the table in docs/plan.md."""
    with open(os.path.join(REPOSITORY, 'docs', 'plan.md')) as handle:
        rows = re.findall(r'^\| `([^`]+)` \|.*\| ([^|]*) \|$', handle.read(), flags=re.M)
    return dict(('plan.' + key, readers) for key, readers in rows)


def _plan_reads():
    """[(reader, key path)]: every place a role or playbook reads a key out of a host's plan."""
    reads = []
    for top in ('roles', 'playbooks'):
        for directory, _subdirectories, names in os.walk(os.path.join(REPOSITORY, top)):
            for name in sorted(names):
                if not name.endswith('.yml'):
                    continue
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, REPOSITORY).split(os.sep)
                reader = relative[1] if top == 'roles' else relative[-1]
                with open(path) as handle:
                    for match in PLAN_READ.finditer(handle.read()):
                        reads.append((reader, 'plan' + re.sub(r'\[\d+\]', '[]', match.group(1))))
    return reads


def test_roles_and_playbooks_read_only_documented_keys_they_are_listed_as_readers_of():
    # Roles pass the plan whole; a key a role reads for another module is part of the plan's
    # interface, so a change to it must show up here and in docs/plan.md (its "Read by" column).
    reads = _plan_reads()
    assert len(set(reader for reader, _path in reads)) >= 3
    documented = set(path for path, _field in key_paths())
    readers = _readers_in_docs()
    assert len(readers) > 40
    unknown = sorted(set('%s reads %s' % read for read in reads if read[1] not in documented))
    assert unknown == []
    # A list item's key is read "as" its list: the list's row names the readers.
    unlisted = sorted(set('%s reads %s' % (reader, path) for reader, path in reads
                          if reader not in readers[path] and reader not in readers.get(path.split('[]')[0], '')))
    assert unlisted == []

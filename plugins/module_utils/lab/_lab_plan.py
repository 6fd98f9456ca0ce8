# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and address assignment for the lab (simulated machines on one host).

Pure code on the standard library's ipaddress, so the same rules run on the controller (filter
linuxnet.fabric.lab_plan, before any change) and in the lab module (which may be called directly).
Every error names the variable, with the caller's prefix: `lab_` for the role, none for the module.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError

# The lab name prefixes namespaces (<name>-router) and the controller's interface (<name>-ctl),
# which must fit in 15 bytes.
LAB_NAME_PATTERN = re.compile(r'^[a-z][a-z0-9]{0,9}$')
# Machine names are host names and also interface names in the switch namespace.
MACHINE_NAME_PATTERN = re.compile(r'^[a-z0-9](?:[a-z0-9-]{0,13}[a-z0-9])?$')
# Port names the switch namespace uses for itself.
RESERVED_MACHINE_NAMES = frozenset(['router', 'controller', 'lan0', 'wan0', 'lo'])
SEGMENTS = ('lan', 'outside')
# The outside segment stands for "the internet" without being any real network: RFC 5737 ranges
# only. (The controller's route to it is policy-routed, see _lab: resolvers of sandboxes do answer
# with addresses of these ranges.)
DOCUMENTATION_NETWORKS = tuple(ipaddress.ip_network(cidr) for cidr in ('192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'))
# Everything a node mounts over (or hides) at start-up: the lab directory must not live there,
# because the upper directories of the overlays must stay reachable inside the node.
NODE_PRIVATE_PATHS = ('/etc', '/var/lib', '/var/log', '/var/backups', '/opt', '/usr/local', '/root', '/usr/sbin', '/run', '/tmp',
                      '/sys', '/proc', '/dev')

DEFAULTS = {
    'name': 'fabric',
    'lan_cidr': '10.88.0.0/24',
    'outside_cidr': '203.0.113.0/24',
}


def _network(option, value):
    try:
        network = ipaddress.ip_network(str(value), strict=True)
    except ValueError as error:
        raise OptionError(option, 'is not a valid network in CIDR notation (%s)' % error)
    if network.version != 4:
        raise OptionError(option, 'must be an IPv4 network; the lab underlay is IPv4')
    if network.prefixlen > 29:
        raise OptionError(option, 'is a /%d; the lab needs at least a /29' % network.prefixlen)
    return network


def _host_address(option, value, network):
    try:
        address = ipaddress.ip_address(str(value).split('/', maxsplit=1)[0])
    except ValueError as error:
        raise OptionError(option, 'is not a valid IP address (%s)' % error)
    if address not in network or address in (network.network_address, network.broadcast_address):
        raise OptionError(option, '%s is not a usable host address of %s' % (address, network))
    return address


def plan_lab(params, prefix=''):
    """The normalised lab description, or OptionError naming `<prefix><option>`.

    params: name, directory, lan_cidr, lan_router_address, lan_controller_address, outside_cidr,
    outside_router_address, docker, machines (list of {name, address, segment, docker}); missing
    addresses are assigned from the segment's free addresses in list order, so a given list always
    gets the same addresses. A machine runs dockerd when its `docker` says so, or when it does not
    say and it is on the LAN and the lab's `docker` is true (the outside host needs no Docker).
    """
    def option(key):
        return prefix + key

    name = params.get('name') or DEFAULTS['name']
    if not LAB_NAME_PATTERN.match(str(name)):
        raise OptionError(option('name'), "'%s' must be 1 to 10 characters: a lowercase letter, then lowercase letters or digits" % name)

    directory = params.get('directory')
    if not directory or not str(directory).startswith('/'):
        raise OptionError(option('directory'), 'must be an absolute path')
    directory = '/' + str(directory).strip('/')
    for private in NODE_PRIVATE_PATHS:
        if directory == private or directory.startswith(private + '/'):
            raise OptionError(option('directory'), '%s is under %s, which lab nodes mount over' % (directory, private))
    if directory == '/':
        raise OptionError(option('directory'), 'must not be /')

    lan = _network(option('lan_cidr'), params.get('lan_cidr') or DEFAULTS['lan_cidr'])
    outside = _network(option('outside_cidr'), params.get('outside_cidr') or DEFAULTS['outside_cidr'])
    if not any(outside.subnet_of(doc) for doc in DOCUMENTATION_NETWORKS):
        raise OptionError(option('outside_cidr'), '%s must lie in a documentation range (%s)' % (
            outside, ', '.join(str(doc) for doc in DOCUMENTATION_NETWORKS)))
    if lan.overlaps(outside):
        raise OptionError(option('lan_cidr'), '%s overlaps %s %s' % (lan, option('outside_cidr'), outside))

    lan_hosts = list(lan.hosts())
    outside_hosts = list(outside.hosts())
    router = _host_address(option('lan_router_address'), params.get('lan_router_address') or lan_hosts[0], lan)
    controller = _host_address(option('lan_controller_address'), params.get('lan_controller_address') or lan_hosts[-1], lan)
    if router == controller:
        raise OptionError(option('lan_controller_address'), '%s is also %s' % (controller, option('lan_router_address')))
    outside_router = _host_address(option('outside_router_address'), params.get('outside_router_address') or outside_hosts[0], outside)

    segments = {
        'lan': {'network': lan, 'gateway': router, 'taken': {router: option('lan_router_address'), controller: option('lan_controller_address')}},
        'outside': {'network': outside, 'gateway': outside_router, 'taken': {outside_router: option('outside_router_address')}},
    }
    machines = params.get('machines') or []
    if not isinstance(machines, list):
        raise OptionError(option('machines'), 'must be a list of {name, address, segment}')

    lab_docker = params.get('docker') or False
    if not isinstance(lab_docker, bool):
        raise OptionError(option('docker'), 'must be true or false, not %r' % (lab_docker,))

    seen_names = {}
    wanted = []
    for position, machine in enumerate(machines):
        where = '%s[%d]' % (option('machines'), position)
        if isinstance(machine, str):
            machine = {'name': machine}
        if not isinstance(machine, dict):
            raise OptionError(where, 'must be a dict with name, and optionally address and segment')
        unknown = sorted(set(machine) - set(['name', 'address', 'segment', 'docker', 'mac']))
        if unknown:
            raise OptionError(where, 'has unknown keys: %s' % ', '.join(unknown))
        docker = machine.get('docker')
        if docker is not None and not isinstance(docker, bool):
            raise OptionError(where + '.docker', 'must be true or false, not %r' % (docker,))
        machine_name = str(machine.get('name') or '')
        if not MACHINE_NAME_PATTERN.match(machine_name) or machine_name in RESERVED_MACHINE_NAMES:
            raise OptionError(where + '.name', "'%s' must be a host name of 1 to 15 lowercase letters, digits or '-' "
                              "(not starting or ending with '-'), other than %s" % (machine_name, ', '.join(sorted(RESERVED_MACHINE_NAMES))))
        if machine_name in seen_names:
            raise OptionError(where + '.name', "'%s' is also %s" % (machine_name, seen_names[machine_name]))
        seen_names[machine_name] = where
        segment = machine.get('segment') or 'lan'
        if segment not in SEGMENTS:
            raise OptionError(where + '.segment', "'%s' must be one of %s" % (segment, ', '.join(SEGMENTS)))
        address = None
        if machine.get('address'):
            address = _host_address(where + '.address', machine['address'], segments[segment]['network'])
            taken = segments[segment]['taken']
            if address in taken:
                raise OptionError(where + '.address', "%s is also %s" % (address, taken[address]))
            taken[address] = where + '.address'
        if docker is None:
            docker = lab_docker and segment == 'lan'
        mac = _validate.mac(where + '.mac', machine.get('mac')) if machine.get('mac') else machine_mac(name, machine_name)
        wanted.append((where, machine_name, segment, address, docker, mac))

    planned = []
    for where, machine_name, segment, address, docker, mac in wanted:
        details = segments[segment]
        if address is None:
            free = (host for host in details['network'].hosts() if host not in details['taken'])
            address = next(free, None)
            if address is None:
                count = sum(1 for item in wanted if item[2] == segment)
                raise OptionError(option('machines'), 'has %d machines on the %s segment, more than %s holds' % (
                    count, segment, details['network']))
            details['taken'][address] = where + '.address'
        planned.append({'name': machine_name, 'segment': segment, 'address': str(address), 'docker': docker, 'mac': mac})

    return {
        'name': name,
        'directory': directory,
        'lan': {'cidr': str(lan), 'router': str(router), 'controller': str(controller)},
        'outside': {'cidr': str(outside), 'router': str(outside_router)},
        'docker': lab_docker,
        'machines': planned,
    }


def machine_mac(lab_name, machine_name):
    """The MAC of a machine's eth0: the same on every start of that machine in that lab.

    A machine that restarts with a new MAC leaves the controller and the other machines with a
    stale neighbour entry, and SSH to it hangs until the entry expires (about 60 s). A locally
    administered unicast address (02:...) from the lab's and the machine's names cannot collide
    with a real vendor's.
    """
    digest = hashlib.sha256(('linuxnet.fabric lab %s machine %s' % (lab_name, machine_name)).encode('utf-8')).digest()
    return ':'.join(['02'] + ['%02x' % byte for byte in digest[:5]])

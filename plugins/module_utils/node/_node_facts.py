# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the fabric's plan needs to know about a node, read with the standard library only.

The fabric roles read this on every run before planning, so it must be cheap: no pyroute2
(whose import alone costs more than the rest), one pass over /proc and sysfs, and the endpoints
taken from the aliases of the host interfaces (which record their addresses) rather than from
every container's namespace.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import struct

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns
from ansible_collections.linuxnet.fabric.plugins.module_utils.services._docker_api import DockerAPI
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._docker_report import docker_report
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._dpkg import installed_versions
from ansible_collections.linuxnet.fabric.plugins.module_utils._files import readable_text
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._node_record import read_record, summary
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_endpoints import parse_alias
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_sysctl import RECORD_KEY_PREFIX, key_of, persisted_values

SIOCGIFADDR = 0x8915
SIOCGIFNETMASK = 0x891B
# The host's files the facts come from (unit tests point them at files of their own).
SYS_CLASS_NET = '/sys/class/net'
DPKG_STATUS = '/var/lib/dpkg/status'
PROC_SYS = '/proc/sys'
PROC_NET_ROUTE = '/proc/net/route'


def default_route_interface(route_table=None):
    """The interface of the IPv4 default route with the lowest metric (/proc/net/route), or None."""
    text = route_table if route_table is not None else readable_text(PROC_NET_ROUTE) or ''
    best = None
    for line in text.splitlines()[1:]:
        fields = line.split()
        # Device '*': an unreachable, blackhole or prohibit route, which leads nowhere.
        if len(fields) < 8 or fields[1] != '00000000' or fields[7] != '00000000' or fields[0] == '*':
            continue
        metric = int(fields[6])
        if best is None or metric < best[0]:
            best = (metric, fields[0])
    return best[1] if best else None


def _ioctl_address(interface, request):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        packed = fcntl.ioctl(probe.fileno(), request, struct.pack('256s', interface.encode()[:15]))
    return socket.inet_ntoa(packed[20:24])


def underlay():
    """{address, prefix, interface, mtu} of the default-route interface, or {} without one."""
    interface = default_route_interface()
    if not interface:
        return {}
    try:
        address = _ioctl_address(interface, SIOCGIFADDR)
        netmask = _ioctl_address(interface, SIOCGIFNETMASK)
    except OSError:
        return {}
    mtu = readable_text(os.path.join(SYS_CLASS_NET, interface, 'mtu'))
    return {
        'interface': interface,
        'address': address,
        'prefix': bin(struct.unpack('!I', socket.inet_aton(netmask))[0]).count('1'),
        'mtu': int(mtu) if mtu else None,
    }


def owned_endpoints(owner):
    """Endpoints of `owner`, from the aliases of the node's interfaces: name, netns, host_interface, address."""
    found = []
    try:
        names = sorted(os.listdir(SYS_CLASS_NET))
    except OSError:
        return found
    for name in names:
        marker = parse_alias((readable_text(os.path.join(SYS_CLASS_NET, name, 'ifalias')) or '').strip())
        if marker and marker['owner'] == owner:
            found.append({'name': marker['name'], 'netns': marker['netns'], 'host_interface': name,
                          'address': marker['address']})
    return found


def missing_packages(names, status_text=None):
    """The packages of `names` dpkg does not list as installed; None where there is no dpkg."""
    text = status_text if status_text is not None else readable_text(DPKG_STATUS)
    if text is None:
        return None
    installed = installed_versions(text)
    return [name for name in names if name not in installed]


def json_file(path):
    """The JSON object in a file; {} when there is none (or it is not JSON)."""
    text = readable_text(path) if path else None
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def pending_sysctls(wanted, persisted, record):
    """Names of `wanted` ({name: value}) not fully in place: value now, persisted, recorded.

    `persisted` and `record` are None when there is no such file to keep the value in (as for
    the sysctl module), so that nothing waits for them.
    """
    pending = []
    for name, value in sorted(wanted.items()):
        now = readable_text(os.path.join(PROC_SYS, *key_of('sysctls', name)))
        value = ' '.join(str(value).split())
        if now is None or ' '.join(now.split()) != value \
                or (persisted is not None and persisted.get(name) != value) \
                or (record is not None and RECORD_KEY_PREFIX + name not in record):
            pending.append(name)
    return pending


def _netns_inode(pid):
    try:
        return os.stat('/proc/%s/ns/net' % pid).st_ino
    except OSError:
        return None  # the container stopped meanwhile


def _interfaces_in(pid):
    try:
        with _netns.entered('/proc/%d/ns/net' % pid):
            return [name for _index, name in socket.if_nameindex()]
    except (OSError, _netns.NamespaceError):
        return []


def docker_facts(socket_path):
    """The node's Docker (see _docker_report), or {'running': False} when no dockerd answers."""
    api = DockerAPI(socket_path)
    if not api.ping():
        return {'running': False}
    containers = []
    for listed in api.containers():
        inspected = api.container(listed['Id'])
        if inspected is not None:
            containers.append(inspected)
    pids = [item['State']['Pid'] for item in containers if (item.get('State') or {}).get('Running') and item['State'].get('Pid')]
    return docker_report(api.version(), api.networks(), containers,
                         netns_inodes=dict((pid, _netns_inode(pid)) for pid in pids),
                         node_inode=os.stat('/proc/self/ns/net').st_ino,
                         interfaces=dict((pid, _interfaces_in(pid)) for pid in pids))


def recorded_fabric(path):
    """What the node's record (_node_record) says it has: mode, owner, addresses; None without one."""
    return summary(read_record(path)) if path else None


def node_facts(owner=None, packages=(), record_file=None, persist_file=None, sysctls=None, fabric_record=None):
    record = json_file(record_file)
    persisted = persisted_values(readable_text(persist_file)) if persist_file else {}
    pending = pending_sysctls(sysctls or {}, persisted if persist_file else None, record if record_file else None)
    return {
        'underlay': underlay(),
        'endpoints': owned_endpoints(owner) if owner else [],
        'ip_forward': int((readable_text(os.path.join(PROC_SYS, 'net', 'ipv4', 'ip_forward')) or '0').strip() or 0),
        'missing_packages': missing_packages(list(packages)),
        'record': record,
        'persisted': persisted,
        'pending_sysctls': pending,
        'recorded': recorded_fabric(fabric_record),
    }

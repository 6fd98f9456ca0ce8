# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab engine: simulated machines and their network on one Linux host.

Layout (names for lab `fabric`):
- namespace `fabric-lan` is the switch: bridge `lan0` (the LAN) and bridge `wan0` (the outside
  segment), one port per machine named after it, `router`, `router-out` and `controller`;
- namespace `fabric-router` routes between the LAN (eth0) and the outside segment (eth1);
- the controller (this namespace) has `fabric-ctl` on the LAN and a route to the outside
  network via the router, nothing else; its ip_forward is never touched. That route lives in a
  table of the lab's own, used only for packets from the controller's LAN address (SSH binds to
  it), so the host's own traffic never follows it, even to an address in the outside range
  (sandboxes and proxies do answer on documentation ranges);
- each machine is a set of namespaces (net, mount, uts, pid) held by tini running as `init`
  (PID 1 of the machine, so Ansible sees sysvinit), with private /run and /tmp, overlays on /etc,
  /var/lib, /var/log, /var/backups, /opt, /usr/local, /root and /usr/sbin (hiding /sbin/init), its
  own sysfs and hostname, eth0 on its segment with a default route via the router, and an sshd
  on its address;
- a machine with Docker also runs Debian's dockerd (with the containerd it manages) through its
  /etc/init.d/docker, with the data root in its private /var/lib, the vfs storage driver (overlay2
  on top of the machine's overlays is not supported), cgroups under a parent of its own (the
  cgroup hierarchy is the host's: there is no cgroup namespace), and a busybox image imported
  from the host's busybox-static, since no registry is reachable.

Everything the lab makes is recorded in <directory>/lab.json (machines by PID and start time), so
`absent` removes exactly that: it kills only processes it started and only namespaces it named.

The network objects (namespaces, bridges, veths, addresses, routes, the controller's rule) are the
product's: described in _lab_network as the options of the module that manages each kind, then
read, planned and applied by the product's readers, planners and executor (node/_executor). What
stays here has no product counterpart: processes, mounts, cgroups, sshd, dockerd and the record.
"""

from __future__ import annotations

import errno
import io
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import tarfile
import time

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns, _process
from ansible_collections.linuxnet.fabric.plugins.module_utils.node import _executor
from ansible_collections.linuxnet.fabric.plugins.module_utils.services._docker_api import DockerAPI
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.lab._lab_network import BRIDGES, CONTROLLER_PORT, ROUTER_PORTS, LabNetwork, machine_netns
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import AF_INET, Session, reporting
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._readers import read_bridge, read_routes, read_veth_pair
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._sysctl import Sysctls
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_bridge import plan_bridge
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_netns import plan_netns
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_route import plan_route
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_veth import mismatch, plan_veth

# (mount point inside the machine, directory name of its overlay layers)
# What a machine writes stays its own: configuration, state, logs, backups, locally installed
# software (/opt, /usr/local), root's home; /usr/sbin to hide /sbin/init. The rest of /usr is
# the host's (packages are installed on the host for every machine).
OVERLAYS = (('/etc', 'etc'), ('/var/lib', 'var_lib'), ('/var/log', 'var_log'), ('/var/backups', 'var_backups'),
            ('/opt', 'opt'), ('/usr/local', 'usr_local'), ('/root', 'root'), ('/usr/sbin', 'usr_sbin'))
RECORD_FILE = 'lab.json'
SSHD_CONFIG = '/etc/ssh/lab_sshd_config'
STOP_TIMEOUT = 10.0
START_TIMEOUT = 10.0
# Docker in machines: the package's init script and daemon, and the image every machine gets.
DOCKER_INIT_SCRIPT = '/etc/init.d/docker'
DOCKERD = '/usr/sbin/dockerd'
BUSYBOX = '/bin/busybox'
DOCKER_IMAGE = ('busybox', 'local')
DOCKER_START_TIMEOUT = 30.0
CGROUP_ROOT = '/sys/fs/cgroup'
# The init script raises the open-files and process limits before it starts dockerd and, under
# `set -e`, gives up when it may not (a host without CAP_SYS_RESOURCE whose hard limit is
# lower, as in many sandboxes). A machine's copy keeps the highest limit it may set instead.
ULIMIT_LINES = (
    (re.compile(r'^(\s*)ulimit -n (\d+)$', re.M), r'\1ulimit -n \2 2>/dev/null || ulimit -n "$(ulimit -Hn)"'),
    (re.compile(r'^(\s*)ulimit -([pu]) unlimited$', re.M), r'\1ulimit -\2 unlimited 2>/dev/null || true'),
)


def _listening(init_pid, address, port=22):
    """Whether something listens on address:port in the machine's network namespace."""
    wanted = '%08X:%04X' % (struct.unpack('<I', socket.inet_aton(address))[0], port)
    try:
        with open('/proc/%d/net/tcp' % init_pid) as table:
            next(table)
            return any(fields[1] == wanted and fields[3] == '0A' for fields in (line.split() for line in table))
    except OSError:
        return False


def docker_socket(init_pid):
    """dockerd's socket in a machine, as the host reaches it (through the machine's root)."""
    return '/proc/%d/root/run/docker.sock' % init_pid


def docker_init_script(original):
    """The package's /etc/init.d/docker with limits it may not raise left as they are."""
    patched = original
    for pattern, replacement in ULIMIT_LINES:
        patched = pattern.sub(replacement, patched)
    return patched


def busybox_image(busybox_binary, applets):
    """A root file system tarball (bytes): a static busybox and a link per applet in /bin, and
    the directories programs expect. Deterministic, so every machine imports the same image."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as tar:
        def directory(name, mode=0o755):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)
        for name in ('bin', 'etc', 'proc', 'sys', 'dev', 'root', 'var', 'var/www', 'www'):
            directory(name)
        directory('tmp', 0o1777)
        with open(busybox_binary, 'rb') as handle:
            data = handle.read()
        info = tarfile.TarInfo('bin/busybox')
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
        for applet in sorted(set(applets) - set(['busybox'])):
            info = tarfile.TarInfo('bin/' + applet)
            info.type, info.linkname = tarfile.SYMTYPE, 'busybox'
            tar.addfile(info)
        page = b'linuxnet.fabric lab\n'
        info = tarfile.TarInfo('www/index.html')
        info.size, info.mode = len(page), 0o644
        tar.addfile(info, io.BytesIO(page))
    return buffer.getvalue()


def remove_cgroup(parent, root=CGROUP_ROOT, timeout=STOP_TIMEOUT):
    """Remove the cgroup `parent` (and the containers' cgroups under it) from every hierarchy.

    A machine's processes are gone, but the kernel may still be releasing them: rmdir says EBUSY
    until then. Returns the directories that could not be removed."""
    try:
        # Each v1 controller's hierarchy, and the root itself (cgroup v2, unified).
        hierarchies = sorted(set(os.path.realpath(os.path.join(root, entry)) for entry in os.listdir(root)) | {os.path.realpath(root)})
    except OSError:
        return []
    left = []
    for hierarchy in hierarchies:
        top = os.path.join(hierarchy, parent.strip('/'))
        if not os.path.isdir(top):
            continue
        directories = [path for path, _dirs, _files in os.walk(top, topdown=False)]
        deadline = time.time() + timeout
        for directory in directories:
            while True:
                try:
                    os.rmdir(directory)
                    break
                except OSError as error:
                    if error.errno == errno.ENOENT:
                        break
                    if error.errno != errno.EBUSY or time.time() > deadline:
                        left.append(directory)
                        break
                    time.sleep(0.05)
    return left


# Services the lab itself runs in a machine (sshd, dockerd with its containerd).
LAB_SERVICES = ('ssh', 'docker', 'containerd')


def boot_commands(machine_etc, host_etc='/etc'):
    """What a machine's boot runs: its own sysctl.d files, then (in link order) the init scripts
    enabled in /etc/rc2.d that the machine itself set up - its own script or its own
    /etc/default file, such as the fabric's restore or an etcd the role configured. The host's
    services, which a machine sees through the host's /etc, stay off; sshd and dockerd are the
    lab's. `machine_etc` is the upper layer of the machine's /etc overlay."""
    def entries(directory):
        try:
            return os.listdir(directory)
        except OSError:
            return []
    commands = []
    sysctl_dir = os.path.join(machine_etc, 'sysctl.d')
    commands += ['sysctl -q -p %s' % shlex.quote('/etc/sysctl.d/' + entry) for entry in sorted(entries(sysctl_dir))
                 if entry.endswith('.conf') and os.path.isfile(os.path.join(sysctl_dir, entry))]
    own_rc = os.path.join(machine_etc, 'rc2.d')
    links = set(entry for entry in entries(os.path.join(host_etc, 'rc2.d')) if entry.startswith('S'))
    for entry in entries(own_rc):
        path = os.path.join(own_rc, entry)
        if os.path.islink(path):
            links.add(entry)
        else:
            # An overlay whiteout: the machine disabled it.
            links.discard(entry)
    for link in sorted(links):
        service = link[3:]
        if not link.startswith('S') or service in LAB_SERVICES:
            continue
        own = [os.path.join(machine_etc, 'init.d', service), os.path.join(machine_etc, 'default', service)]
        if any(os.path.isfile(path) for path in own):
            commands.append('/etc/init.d/%s start' % shlex.quote(service))
    return commands


def _write_file(path, content, mode=0o644):
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        os.makedirs(parent, mode=0o755)
    with open(path, 'w') as handle:
        handle.write(content)
    os.chmod(path, mode)


class Lab(object):
    """Observe, plan and apply one lab described by a plan from _lab_plan.plan_lab."""

    def __init__(self, spec, authorized_keys, run_command, tini=None, sshd='/usr/sbin/sshd'):
        self.spec = spec
        self.name = spec['name']
        self.directory = spec['directory']
        self.extra_keys = list(authorized_keys or [])
        self.run_command = run_command
        self.tini = tini
        self.sshd = sshd
        # Its network objects, in the terms of the product's planners.
        self.network = LabNetwork(spec)
        self.switch_netns = self.network.switch_netns
        self.router_netns = self.network.router_netns
        self.controller_link = self.network.controller_link
        self.controller_table = self.network.controller_table
        self.machines = dict((machine['name'], machine) for machine in spec['machines'])
        self.record = self._load_record()

    # paths and records

    def path(self, *parts):
        return os.path.join(self.directory, *parts)

    @property
    def private_key(self):
        return self.path('ssh', 'id_ed25519')

    @property
    def control_path_dir(self):
        return self.path('cp')

    def _network_view(self):
        return {'lan': self.spec['lan'], 'outside': self.spec['outside']}

    def _load_record(self):
        try:
            with open(self.path(RECORD_FILE)) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {'machines': {}}

    def _save_record(self):
        self.record['network'] = self._network_view()
        _write_file(self.path(RECORD_FILE), json.dumps(self.record, indent=2, sort_keys=True) + '\n', 0o600)

    # observation

    def observe(self):
        """What exists now, as far as this lab is concerned."""
        machines = {}
        for name, entry in self.record.get('machines', {}).items():
            running = _process.is_running(entry)
            machines[name] = {
                'running': running,
                'sshd': running and _listening(entry['pid'], entry['address']),
                'address': entry.get('address'),
                'segment': entry.get('segment'),
                'docker': bool(entry.get('docker')),
                'dockerd': bool(running and entry.get('docker') and DockerAPI(docker_socket(entry['pid']), timeout=2.0).ping()),
            }
        with Session() as root:
            controller = root.link(self.controller_link)
            routes = read_routes(root)
            rules = root.rules(AF_INET)
        host_routes = [route for route in routes['routes'] if route['family'] == AF_INET] if controller is None else []
        return {
            'switch': _netns.state(self.switch_netns),
            'router': _netns.state(self.router_netns),
            'controller_link': controller is not None,
            'controller_rules': [rule for rule in rules if rule['table'] == self.controller_table],
            # Exactly as this lab wants: the route and rule planners, as routing_rule and route
            # would plan them, have nothing to do.
            'controller_route': controller is not None and not self._controller_route_actions(routes, rules),
            'host_routes': host_routes,
            'machines': machines,
            'directory': os.path.isdir(self.directory),
            'control_sockets': self._control_sockets(),
        }

    def _controller_route_actions(self, routes, rules):
        """What the controller's rule and route to the outside segment still need."""
        return self.network.plan_controller_rules(rules).actions + plan_route(self.network.controller_route(), routes).actions

    def _control_sockets(self):
        try:
            return sorted(os.path.join(self.control_path_dir, entry) for entry in os.listdir(self.control_path_dir))
        except OSError:
            return []

    @staticmethod
    def view(current):
        return {
            'switch': current['switch'] == 'present',
            'router': current['router'] == 'present',
            'controller_link': current['controller_link'],
            'machines': dict((name, machine['address']) for name, machine in current['machines'].items() if machine['running']),
        }

    # planning

    def _check_network(self, current):
        recorded = self.record.get('network')
        if recorded and recorded != self._network_view() and (current['switch'] != 'absent' or current['machines']):
            raise FabricError("lab '%s' is up with another network (%s); remove it first with state=absent" % (
                self.name, json.dumps(recorded, sort_keys=True)))
        lab_networks = [ipaddress.ip_network(self.spec['lan']['cidr']), ipaddress.ip_network(self.spec['outside']['cidr'])]
        for route in current['host_routes']:
            if route['dst'] is None or route['table'] != 254:
                continue
            network = ipaddress.ip_network('%s/%s' % (route['dst'], route['prefixlen']), strict=False)
            for lab_network in lab_networks:
                if network.overlaps(lab_network):
                    raise FabricError('the lab network %s overlaps %s, which this host already routes; '
                                      'choose other lab_lan_cidr / lab_outside_cidr values' % (lab_network, network))

    def plan(self, state, current, reboot=()):
        before = self.view(current)
        for position, name in enumerate(reboot):
            if name not in self.machines:
                raise OptionError('reboot[%d]' % position, "'%s' is not a machine of lab %s" % (name, self.name))
            if state == 'absent':
                raise OptionError('reboot', 'goes with state=present')
        if state == 'absent':
            plan = Plan(before, {'switch': False, 'router': False, 'controller_link': False, 'machines': {}})
            if current['control_sockets']:
                plan.add('close', 'ssh-control', self.control_path_dir, sockets=len(current['control_sockets']))
            running = sorted(name for name, machine in current['machines'].items() if machine['running'])
            if running:
                plan.add('stop', 'machines', ','.join(running))
            if current['controller_rules']:
                plan.add('delete', 'controller-rule', 'table %d' % self.controller_table)
            if current['controller_link']:
                plan.add('delete', 'controller-link', self.controller_link)
            for netns, key in ((self.router_netns, 'router'), (self.switch_netns, 'switch')):
                if current[key] != 'absent':
                    plan.add('delete', 'netns', netns)
            if current['directory']:
                plan.add('remove', 'directory', self.directory)
            return plan

        self._check_network(current)
        plan = Plan(before, {
            'switch': True, 'router': True, 'controller_link': True,
            'machines': dict((name, machine['address']) for name, machine in self.machines.items()),
        })
        if not os.path.exists(self.private_key):
            plan.add('create', 'ssh-key', self.private_key)
        if current['switch'] != 'present':
            plan.add('create', 'switch', self.switch_netns)
        if current['router'] != 'present':
            plan.add('create', 'router', self.router_netns)
        if not current['controller_link']:
            plan.add('create', 'controller-link', self.controller_link)
        if not current['controller_route']:
            plan.add('create', 'controller-route', self.spec['outside']['cidr'], table=self.controller_table)
        restarting = [name for name in sorted(current['machines']) if name in reboot or not current['machines'][name]['running']
                      or name not in self.machines or self._needs_restart(current['machines'][name], self.machines[name])]
        if restarting and current['control_sockets']:
            # Ansible's ControlPersist masters to a machine that goes would hang new sessions on
            # its dead connection: they all go (the others reconnect).
            plan.add('close', 'ssh-control', self.control_path_dir, sockets=len(current['control_sockets']))
        for name in sorted(current['machines']):
            observed = current['machines'][name]
            wanted = self.machines.get(name)
            if observed['running'] and (wanted is None or self._needs_restart(observed, wanted)):
                plan.add('stop', 'machine', name)
        for name in sorted(self.machines):
            observed = current['machines'].get(name)
            wanted = self.machines[name]
            if name in reboot and observed and not self._needs_restart(observed, wanted):
                plan.add('reboot', 'machine', name, running=observed['running'])
                continue
            if not observed or not observed['running'] or self._needs_restart(observed, wanted):
                details = {'address': wanted['address']}
                if wanted['docker']:
                    details['docker'] = True
                plan.add('start', 'machine', name, **details)
                continue
            if not observed['sshd']:
                plan.add('start', 'sshd', name)
            if wanted['docker'] and not observed['dockerd']:
                plan.add('start', 'dockerd', name)
        return plan

    @staticmethod
    def _needs_restart(observed, wanted):
        # Docker's layers (daemon.json, its init script, the cgroup mount) are laid out at start.
        return observed['address'] != wanted['address'] or observed['docker'] != wanted['docker']

    # applying

    def apply(self, plan):
        handlers = {
            ('close', 'ssh-control'): lambda action: self._close_control_sockets(),
            ('stop', 'machine'): lambda action: self._stop_machines([action.name]),
            ('stop', 'machines'): lambda action: self._stop_machines(action.name.split(',')),
            ('delete', 'controller-rule'): lambda action: self._delete_controller_rules(),
            ('delete', 'controller-link'): lambda action: self._delete_controller_link(),
            ('delete', 'netns'): lambda action: self._ensure_netns(action.name, state='absent'),
            ('remove', 'directory'): lambda action: self._remove_directory(),
            ('create', 'ssh-key'): lambda action: self._create_key(),
            ('create', 'switch'): lambda action: self._create_switch(),
            ('create', 'router'): lambda action: self._create_router(),
            ('create', 'controller-link'): lambda action: self._create_controller_link(),
            ('create', 'controller-route'): lambda action: self._create_controller_route(),
            ('start', 'machine'): lambda action: self._start_machine(self.machines[action.name]),
            ('reboot', 'machine'): lambda action: self._reboot_machine(self.machines[action.name]),
            ('start', 'sshd'): lambda action: self._start_sshd(self.machines[action.name]),
            ('start', 'dockerd'): lambda action: self._start_docker(self.machines[action.name]),
        }
        for action in plan.actions:
            handlers[(action.verb, action.kind)](action)

    def _run(self, args, doing):
        rc, out, err = self.run_command(args)
        if rc != 0:
            raise FabricError('%s failed (rc=%d): %s' % (doing, rc, (err or out).strip()))
        return out

    def _note_netns_mount(self):
        """Remember whether /run/netns was a mount point before the lab made its namespaces."""
        if 'made_run_netns_mount' not in self.record:
            self.record['made_run_netns_mount'] = not _netns.is_mount_point(_netns.NETNS_RUN_DIR)

    def _create_key(self):
        os.makedirs(os.path.dirname(self.private_key), mode=0o700, exist_ok=True)
        os.makedirs(self.control_path_dir, mode=0o700, exist_ok=True)
        self._run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'linuxnet.fabric lab %s' % self.name,
                   '-f', self.private_key], 'generating the controller key %s' % self.private_key)

    # the network: each object read, planned and applied by the product's readers, planners and
    # executor, as the netns, linux_bridge, veth, route and routing_rule modules do

    @staticmethod
    def _reconcile(read, plan_of):
        """One object's read, plan and apply (node/_executor's body of the netlink modules): the
        lab's own plan decided it is needed; this changes only what is not right yet."""
        _executor.reconcile(read, plan_of, check_mode=False)

    def _ensure_netns(self, reference, state='present'):
        """A namespace (a name, or a machine's /proc/<pid>/ns/net) with its loopback up, or none."""
        def read(sessions):
            namespace_state = _netns.state(reference)
            loopback = sessions(reference).link('lo') if namespace_state == 'present' and state == 'present' else None
            return namespace_state, bool(loopback and loopback['up'])
        self._reconcile(read, lambda current: plan_netns(reference, state, *current))

    def _ensure_bridge(self, segment, port=None):
        desired = self.network.switch_bridge(segment, port)
        self._reconcile(lambda sessions: read_bridge(sessions(desired['netns']), desired), lambda current: plan_bridge(desired, current))

    def _ensure_veth(self, desired):
        def plan_of(current):
            # The veth planner's advice (force=true) is the veth module's: the lab has no such option.
            problem = None if desired['force'] else mismatch(desired, current)
            if problem:
                raise FabricError("%s: it is not lab %s's; remove it or give the lab another name" % (problem, self.name))
            return plan_veth(desired, current)
        self._reconcile(lambda sessions: read_veth_pair(sessions, desired), plan_of)

    def _ensure_route(self, desired):
        self._reconcile(lambda sessions: read_routes(sessions(desired['netns'])), lambda current: plan_route(desired, current))

    def _create_switch(self):
        self._note_netns_mount()
        self._ensure_netns(self.switch_netns)
        for segment in sorted(BRIDGES):
            self._ensure_bridge(segment)
        self._save_record()

    def _create_router(self):
        self._note_netns_mount()
        self._ensure_netns(self.router_netns)
        Sysctls(self.router_netns).write({('net', 'ipv4', 'ip_forward'): 1})
        for segment in sorted(ROUTER_PORTS):
            self._ensure_veth(self.network.router_port(segment))
            self._ensure_bridge(segment, ROUTER_PORTS[segment][0])
        self._save_record()

    def _create_controller_link(self):
        self._ensure_veth(self.network.controller_veth())
        self._ensure_bridge('lan', CONTROLLER_PORT)

    def _connect(self, machine, init_pid):
        netns = machine_netns(init_pid)
        self._ensure_veth(self.network.machine_port(machine, netns))
        self._ensure_bridge(machine['segment'], machine['name'])
        self._ensure_netns(netns)
        self._ensure_route(self.network.machine_default_route(machine, netns))

    def _create_controller_route(self):
        self._reconcile(lambda sessions: sessions(None).rules(AF_INET), self.network.plan_controller_rules)
        self._ensure_route(self.network.controller_route())

    def _delete_controller_rules(self):
        self._reconcile(lambda sessions: sessions(None).rules(AF_INET), lambda rules: self.network.plan_controller_rules(rules, 'absent'))

    def _delete_controller_link(self):
        # Deleting it here rather than with the switch namespace: namespace clean-up is
        # asynchronous, and the link would outlive the module for a moment.
        desired = self.network.controller_veth(state='absent')
        if _netns.state(self.switch_netns) != 'present':
            # Its peer cannot be looked at: the link is removed by its name, the lab's.
            desired = dict(desired, peer_netns=None)
        self._ensure_veth(desired)

    # machines

    def _machine_dir(self, name, *parts):
        return self.path('machines', name, *parts)

    def _authorized_keys(self):
        with open(self.private_key + '.pub') as public:
            keys = [public.read().strip()]
        return '\n'.join(keys + self.extra_keys) + '\n'

    def _hosts_file(self):
        lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback']
        lines += ['%s\t%s' % (machine['address'], name) for name, machine in sorted(self.machines.items())]
        return '\n'.join(lines) + '\n'

    def _prepare_layers(self, machine):
        name = machine['name']
        base = self._machine_dir(name)
        if os.path.isdir(base):
            shutil.rmtree(base)
        for _mount_point, layer in OVERLAYS:
            os.makedirs(self._machine_dir(name, layer, 'upper'), mode=0o755)
            os.makedirs(self._machine_dir(name, layer, 'work'), mode=0o755)
        if os.path.lexists('/usr/sbin/init'):
            # An overlay whiteout hides /sbin/init (-> systemd) so Ansible detects sysvinit.
            os.mknod(self._machine_dir(name, 'usr_sbin', 'upper', 'init'), 0o600 | 0o020000, os.makedev(0, 0))
        etc = self._machine_dir(name, 'etc', 'upper')
        _write_file(os.path.join(etc, 'hostname'), name + '\n')
        _write_file(os.path.join(etc, 'hosts'), self._hosts_file())
        _write_file(os.path.join(etc, 'ssh', 'lab_authorized_keys'), self._authorized_keys(), 0o600)
        _write_file(os.path.join(etc, 'ssh', 'lab_sshd_config'), '\n'.join([
            '# linuxnet.fabric lab machine %s' % name,
            'ListenAddress %s' % machine['address'],
            'Port 22',
            'HostKey /etc/ssh/lab_host_ed25519_key',
            'PidFile /run/sshd.pid',
            'PermitRootLogin prohibit-password',
            'PasswordAuthentication no',
            'KbdInteractiveAuthentication no',
            'UsePAM no',
            'UseDNS no',
            'AuthorizedKeysFile /etc/ssh/lab_authorized_keys',
            'MaxStartups 100:30:200',
            'MaxSessions 100',
            'Subsystem sftp internal-sftp',
            'AcceptEnv LANG LC_*',
        ]) + '\n')
        self._run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'root@%s' % name,
                   '-f', os.path.join(etc, 'ssh', 'lab_host_ed25519_key')], 'generating the host key of %s' % name)
        if machine['docker']:
            self._prepare_docker(machine, etc)

    def cgroup_parent(self, name):
        return '/linuxnet-lab-%s-%s' % (self.name, name)

    def _prepare_docker(self, machine, etc):
        """The machine's Docker settings, as a user's daemon.json the fabric must keep, and the
        init script the machine runs dockerd with."""
        if not os.access(DOCKERD, os.X_OK) or not os.path.isfile(DOCKER_INIT_SCRIPT):
            raise FabricError('machine %s should run Docker, but %s or %s is missing on this host: install the packages '
                              'docker.io and containerd before building the lab (machines use the host\'s /usr), or set '
                              'docker: false' % (machine['name'], DOCKERD, DOCKER_INIT_SCRIPT))
        settings = {'storage-driver': 'vfs', 'cgroup-parent': self.cgroup_parent(machine['name'])}
        _write_file(os.path.join(etc, 'docker', 'daemon.json'), json.dumps(settings, indent=2, sort_keys=True) + '\n')
        with open(DOCKER_INIT_SCRIPT) as script:
            original = script.read()
        patched = docker_init_script(original)
        if patched != original:
            _write_file(os.path.join(etc, 'init.d', 'docker'), patched, 0o755)

    def _init_binary(self):
        """<directory>/bin/init, a link to tini: PID 1 of a machine must be named `init`."""
        tini = self.tini or shutil.which('tini') or shutil.which('tini-static')
        if not tini:
            raise FabricError('tini is not installed (Debian/Ubuntu package "tini"); lab machines need it as PID 1')
        link = self.path('bin', 'init')
        if os.path.islink(link) and os.readlink(link) == tini:
            return link
        os.makedirs(os.path.dirname(link), mode=0o755, exist_ok=True)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(tini, link)
        return link

    def _spawn_init(self, name):
        log = open(self._machine_dir(name, 'init.log'), 'ab')
        try:
            wrapper = subprocess.Popen(
                ['unshare', '--net', '--mount', '--uts', '--pid', '--fork', '--mount-proc', '--propagation', 'private',
                 self._init_binary(), '--', 'sleep', 'infinity'],
                cwd='/', stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                close_fds=True, start_new_session=True)
        finally:
            log.close()
        deadline = time.time() + START_TIMEOUT
        children_file = '/proc/%d/task/%d/children' % (wrapper.pid, wrapper.pid)
        while time.time() < deadline:
            if wrapper.poll() is not None:
                raise FabricError('starting machine %s failed: unshare exited with %s (see %s)' % (
                    name, wrapper.returncode, self._machine_dir(name, 'init.log')))
            try:
                with open(children_file) as children:
                    pids = children.read().split()
            except OSError:
                pids = []
            if pids:
                init_pid = int(pids[0])
                status = _process.status(init_pid)
                wrapper_status = _process.status(wrapper.pid)
                if status and wrapper_status:
                    # Keep the Popen object from reaping or warning: the wrapper outlives this module.
                    wrapper.returncode = 0
                    return ({'pid': init_pid, 'start_time': status[1]},
                            {'pid': wrapper.pid, 'start_time': wrapper_status[1]})
            time.sleep(0.005)
        raise FabricError('starting machine %s failed: its init did not appear within %ds' % (name, START_TIMEOUT))

    def _inside(self, init_pid, args, doing):
        return self._run(['nsenter', '--target', str(init_pid), '--mount', '--uts', '--net', '--pid', '--'] + list(args), doing)

    def _setup_script(self, machine):
        name = machine['name']
        sysfs = ['mount -t sysfs sysfs /sys']
        if machine['docker']:
            # The machine's own sysfs hides the host's cgroup mounts, which dockerd needs: carry
            # them over the sysfs mount.
            sysfs = ['mkdir -p /run/lab-cgroup', 'mount --rbind %s /run/lab-cgroup' % CGROUP_ROOT, sysfs[0],
                     'mount --move /run/lab-cgroup %s' % CGROUP_ROOT, 'rmdir /run/lab-cgroup']
        commands = [
            # Named namespaces of the host are not the machine's: drop the copied mounts that pin them.
            'if mountpoint -q /run/netns; then umount -R -l /run/netns; fi',
            'mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run',
            'mkdir -p -m 0755 /run/sshd /run/lock',
        ]
        for mount_point, layer in OVERLAYS:
            options = 'lowerdir=%s,upperdir=%s,workdir=%s' % (
                mount_point, self._machine_dir(name, layer, 'upper'), self._machine_dir(name, layer, 'work'))
            commands.append('mount -t overlay overlay -o %s %s' % (shlex.quote(options), mount_point))
        commands += [
            'mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp',
        ] + sysfs + [
            'hostname %s' % shlex.quote(name),
        ]
        return 'set -e\n' + '\n'.join(commands) + '\n'

    def _start_machine(self, machine, keep_disks=False):
        name = machine['name']
        previous = self.record['machines'].get(name)
        if previous and _process.is_running(previous):
            self._stop_machines([name], keep_disks=keep_disks)
        if not keep_disks:
            self._prepare_layers(machine)
        init, wrapper = self._spawn_init(name)
        entry = dict(init, wrapper=wrapper, address=machine['address'], segment=machine['segment'], docker=machine['docker'])
        if machine['docker']:
            entry['cgroup_parent'] = self.cgroup_parent(name)
        self.record['machines'][name] = entry
        self._save_record()
        try:
            self._inside(init['pid'], ['sh', '-c', self._setup_script(machine)], 'preparing the file systems of machine %s' % name)
            self._connect(machine, init['pid'])
            self._start_sshd(machine)
            if machine['docker']:
                self._start_docker(machine)
        except Exception:
            self._stop_machines([name])
            raise

    def _reboot_machine(self, machine):
        """Stop the machine (everything in memory goes) and start it on its disks, then boot."""
        self._start_machine(machine, keep_disks=True)
        self._boot(machine)

    def _boot(self, machine):
        """Run what a host's boot would bring back of the machine's own configuration (boot_commands)."""
        name = machine['name']
        commands = boot_commands(self._machine_dir(name, 'etc', 'upper'))
        if commands:
            entry = self.record['machines'][name]
            self._inside(entry['pid'], ['sh', '-c', 'set -e\n' + '\n'.join(commands) + '\n'], 'booting machine %s' % name)

    def _start_sshd(self, machine):
        entry = self.record['machines'][machine['name']]
        self._inside(entry['pid'], [self.sshd, '-f', SSHD_CONFIG], 'starting sshd on machine %s' % machine['name'])
        deadline = time.time() + START_TIMEOUT
        while not _listening(entry['pid'], machine['address']):
            if time.time() > deadline:
                raise FabricError('sshd of machine %s is not listening on %s:22' % (machine['name'], machine['address']))
            time.sleep(0.01)

    def _start_docker(self, machine):
        """dockerd through the machine's init script (as the roles restart it), then the image."""
        name = machine['name']
        entry = self.record['machines'][name]
        self._inside(entry['pid'], [DOCKER_INIT_SCRIPT, 'start'], 'starting dockerd on machine %s' % name)
        docker = DockerAPI(docker_socket(entry['pid']), timeout=5.0)
        deadline = time.time() + DOCKER_START_TIMEOUT
        while not docker.ping():
            if time.time() > deadline:
                raise FabricError('dockerd of machine %s does not answer after %ds (see /var/log/docker.log in it: %s)' % (
                    name, DOCKER_START_TIMEOUT, self._machine_dir(name, 'var_log', 'upper', 'docker.log')))
            time.sleep(0.05)
        reference = '%s:%s' % DOCKER_IMAGE
        if docker.image(reference) is None:
            docker.import_image(self._image_tarball(), *DOCKER_IMAGE)

    def _image_tarball(self):
        """The busybox image, built once per lab from the host's busybox-static."""
        path = self.path('images', 'busybox.tar')
        if not os.path.exists(path):
            if not os.access(BUSYBOX, os.X_OK):
                raise FabricError('%s is missing: install the package busybox-static to build the lab\'s image' % BUSYBOX)
            applets = self._run([BUSYBOX, '--list'], 'listing the applets of %s' % BUSYBOX).split()
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            with open(path + '.tmp', 'wb') as handle:
                handle.write(busybox_image(BUSYBOX, applets))
            os.rename(path + '.tmp', path)
        with open(path, 'rb') as handle:
            return handle.read()

    def _stop_machines(self, names, keep_disks=False):
        """Kill the machines' inits together, then wait for all of them once; their directories
        (disks) go too unless `keep_disks` (a reboot)."""
        entries = [(name, self.record['machines'].get(name)) for name in names]
        for name, entry in entries:
            if entry and _process.is_running(entry):
                # SIGKILL to a PID namespace's init kills every process of the machine with it.
                os.kill(entry['pid'], signal.SIGKILL)
        for name, entry in entries:
            if entry and not _process.wait_gone(entry, STOP_TIMEOUT):
                raise FabricError('machine %s (pid %d) did not stop' % (name, entry['pid']))
        for name, entry in entries:
            if entry and entry.get('wrapper'):
                # unshare exits with its child; the host's init reaps it (about every 2 s here).
                _process.wait_gone(entry['wrapper'], STOP_TIMEOUT)
            if entry and entry.get('cgroup_parent'):
                left = remove_cgroup(entry['cgroup_parent'])
                if left:
                    raise FabricError('the cgroups of machine %s stay busy: %s' % (name, ', '.join(left)))
            base = self._machine_dir(name)
            if os.path.isdir(base) and not keep_disks:
                shutil.rmtree(base)
            self.record['machines'].pop(name, None)
        if os.path.isdir(self.directory):
            self._save_record()

    def _close_control_sockets(self):
        for path in self._control_sockets():
            # Ends the ControlPersist master that Ansible's ssh left running in this namespace.
            self.run_command(['ssh', '-o', 'ControlPath=%s' % path, '-O', 'exit', 'lab-machine'])
            try:
                # The exiting master removes its socket itself, maybe while we look.
                os.unlink(path)
            except FileNotFoundError:
                pass

    def _remove_directory(self):
        if self.record.get('made_run_netns_mount'):
            with reporting('unmounting %s' % _netns.NETNS_RUN_DIR):
                _netns.release_run_dir()
        if os.path.isdir(self.directory):
            shutil.rmtree(self.directory)

    # results

    def result(self):
        record = self._load_record()
        machines = []
        for name in sorted(record.get('machines', {})):
            entry = record['machines'][name]
            machines.append({'name': name, 'address': entry.get('address'), 'segment': entry.get('segment'),
                             'pid': entry.get('pid'), 'running': _process.is_running(entry), 'docker': bool(entry.get('docker'))})
        return {
            'name': self.name,
            'directory': self.directory,
            'switch_netns': self.switch_netns,
            'router_netns': self.router_netns,
            'controller_link': self.controller_link,
            'controller_address': self.spec['lan']['controller'],
            'controller_table': self.controller_table,
            'private_key': self.private_key,
            'control_path_dir': self.control_path_dir,
            'docker_image': '%s:%s' % DOCKER_IMAGE,
            'machines': machines,
        }

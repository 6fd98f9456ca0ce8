# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import errno
import io
import os
import tarfile

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.lab._lab import Lab, boot_commands, busybox_image, docker_init_script, remove_cgroup
from ansible_collections.linuxnet.fabric.plugins.module_utils.lab._lab_network import CONTROLLER_TABLE_BASE, controller_table
from ansible_collections.linuxnet.fabric.plugins.module_utils.lab._lab_plan import plan_lab

# Tables the kernel reserves (unspec, default, main, local) and the compat range below 256.
RESERVED_TABLES = range(0, 256)


@pytest.mark.parametrize('name', ['fabric', 'molecule', 'bench', 'a', 'z123456789'])
def test_controller_table_is_stable_and_not_reserved(name):
    table = controller_table(name)
    assert table == controller_table(name)
    assert table not in RESERVED_TABLES
    assert CONTROLLER_TABLE_BASE <= table < CONTROLLER_TABLE_BASE + 0x10000 < 2 ** 32


def test_the_labs_the_project_runs_at_once_get_their_own_tables():
    tables = [controller_table(name) for name in ('fabric', 'molecule', 'bench')]
    assert len(set(tables)) == len(tables)


# The lines of Debian 12's /etc/init.d/docker (docker.io 20.10) around the limits it raises.
DEBIAN_INIT_SCRIPT = '''\tstart)
\t\tfail_unless_root
\t\tcgroupfs_mount
\t\tulimit -n 1048576
\t\tif [ "$BASH" ]; then
\t\t\tulimit -u unlimited
\t\telse
\t\t\tulimit -p unlimited
\t\tfi
'''


def test_the_machines_init_script_keeps_the_limits_it_may_not_raise():
    patched = docker_init_script(DEBIAN_INIT_SCRIPT)
    assert '\t\tulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"\n' in patched
    assert '\t\t\tulimit -u unlimited 2>/dev/null || true\n' in patched
    assert '\t\t\tulimit -p unlimited 2>/dev/null || true\n' in patched
    # Nothing else changes, and a patched script is left as it is.
    assert patched.replace(' 2>/dev/null || ulimit -n "$(ulimit -Hn)"', '').replace(' 2>/dev/null || true', '') == DEBIAN_INIT_SCRIPT
    assert docker_init_script(patched) == patched


def test_the_busybox_image_has_the_binary_a_link_per_applet_and_a_page(tmp_path):
    binary = tmp_path / 'busybox'
    binary.write_bytes(b'\x7fELF static busybox')
    image = busybox_image(str(binary), ['sh', 'httpd', 'busybox', 'ip', 'sh'])
    with tarfile.open(fileobj=io.BytesIO(image)) as tar:
        members = dict((member.name, member) for member in tar.getmembers())
        assert tar.extractfile('bin/busybox').read() == b'\x7fELF static busybox'
        assert tar.extractfile('www/index.html').read() == b'linuxnet.fabric lab\n'
    assert members['bin/busybox'].mode == 0o755
    links = sorted(name for name, member in members.items() if member.issym())
    assert links == ['bin/httpd', 'bin/ip', 'bin/sh']
    assert set(members[name].linkname for name in links) == {'busybox'}
    assert members['tmp'].isdir() and members['tmp'].mode == 0o1777
    # The same input gives the same bytes: every machine imports the same image.
    assert busybox_image(str(binary), ['ip', 'httpd', 'sh']) == image


def test_a_machines_cgroups_go_from_every_hierarchy_and_nothing_else(tmp_path):
    root = tmp_path / 'cgroup'
    for hierarchy in ('cpu,cpuacct', 'memory', 'pids'):
        (root / hierarchy / 'system.slice').mkdir(parents=True)
    (root / 'cpu').symlink_to('cpu,cpuacct')
    (root / 'memory' / 'linuxnet-lab-x-node1' / 'abc123').mkdir(parents=True)
    (root / 'cpu,cpuacct' / 'linuxnet-lab-x-node1' / 'abc123').mkdir(parents=True)
    (root / 'pids' / 'linuxnet-lab-x-node2').mkdir(parents=True)
    assert remove_cgroup('/linuxnet-lab-x-node1', root=str(root), timeout=0.1) == []
    left = sorted(str(path.relative_to(root)) for path in root.rglob('*'))
    assert left == ['cpu', 'cpu,cpuacct', 'cpu,cpuacct/system.slice', 'memory', 'memory/system.slice', 'pids',
                    'pids/linuxnet-lab-x-node2', 'pids/system.slice']


def test_a_cgroup_that_stays_busy_is_reported(tmp_path, monkeypatch):
    root = tmp_path / 'cgroup'
    (root / 'memory' / 'linuxnet-lab-x-node1').mkdir(parents=True)

    def busy(path):
        raise OSError(errno.EBUSY, 'Device or resource busy', path)
    monkeypatch.setattr(os, 'rmdir', busy)
    assert remove_cgroup('/linuxnet-lab-x-node1', root=str(root), timeout=0.05) == [str(root / 'memory' / 'linuxnet-lab-x-node1')]


def test_a_machines_cgroup_goes_from_a_unified_hierarchy_too(tmp_path):
    # cgroup v2: the machine's cgroup is right under the root, next to the controllers' files.
    root = tmp_path / 'cgroup'
    (root / 'linuxnet-lab-x-node1' / 'abc123').mkdir(parents=True)
    (root / 'system.slice').mkdir()
    (root / 'cgroup.procs').write_text('')
    assert remove_cgroup('/linuxnet-lab-x-node1', root=str(root), timeout=0.1) == []
    assert sorted(path.name for path in root.iterdir()) == ['cgroup.procs', 'system.slice']


def lab_up(tmp_path, running=True, sockets=('cp/abc',)):
    """A Lab of two machines and what observe() returns of it while it is up."""
    spec = plan_lab({'name': 'unit', 'directory': '/var/tmp/unit-lab', 'machines': ['node1', 'node2']})
    # Planned for a real directory (tmp directories are the machines' own), kept in the test's.
    spec['directory'] = str(tmp_path / 'lab')
    lab = Lab(spec, [], run_command=None)
    machines = dict((machine['name'], {'running': running, 'sshd': running, 'address': machine['address'], 'segment': 'lan',
                                       'docker': False, 'dockerd': False}) for machine in spec['machines'])
    current = {'switch': 'present', 'router': 'present', 'controller_link': True, 'controller_rules': [], 'controller_route': True,
               'host_routes': [], 'machines': machines, 'directory': True, 'control_sockets': list(sockets)}
    return lab, current


def test_an_up_lab_plans_nothing(tmp_path):
    lab, current = lab_up(tmp_path)
    os.makedirs(os.path.dirname(lab.private_key), exist_ok=True)
    open(lab.private_key, 'w').close()
    assert lab.plan('present', current).descriptions() == []


def test_a_reboot_closes_the_ssh_masters_then_reboots_on_the_disks(tmp_path):
    lab, current = lab_up(tmp_path)
    os.makedirs(os.path.dirname(lab.private_key), exist_ok=True)
    open(lab.private_key, 'w').close()
    texts = lab.plan('present', current, reboot=['node2']).descriptions()
    assert [text.split(' (')[0] for text in texts] == ['close ssh-control ' + lab.control_path_dir, 'reboot machine node2']


def test_a_crashed_machine_starts_again_after_the_ssh_masters_close(tmp_path):
    lab, current = lab_up(tmp_path)
    os.makedirs(os.path.dirname(lab.private_key), exist_ok=True)
    open(lab.private_key, 'w').close()
    current['machines']['node1'] = dict(current['machines']['node1'], running=False, sshd=False)
    texts = lab.plan('present', current).descriptions()
    assert [text.split(' (')[0] for text in texts] == ['close ssh-control ' + lab.control_path_dir, 'start machine node1']


@pytest.mark.parametrize('state, reboot, option', [
    ('present', ['node9'], 'reboot[0]'),
    ('absent', ['node1'], 'reboot'),
])
def test_reboot_names_machines_of_the_lab(tmp_path, state, reboot, option):
    lab, current = lab_up(tmp_path)
    with pytest.raises(OptionError) as raised:
        lab.plan(state, current, reboot=reboot)
    assert raised.value.option == option


def test_a_machines_boot_runs_what_it_set_up_itself(tmp_path):
    host, machine = tmp_path / 'host-etc', tmp_path / 'machine-etc'
    for name in ('S01etcd', 'S01ssh', 'S01docker', 'S01postgresql', 'S01rsync'):
        (host / 'rc2.d').mkdir(parents=True, exist_ok=True)
        (host / 'rc2.d' / name).symlink_to('../init.d/' + name[3:])
    (machine / 'rc2.d').mkdir(parents=True)
    (machine / 'rc2.d' / 'S20linuxnet-fabric').symlink_to('../init.d/linuxnet-fabric')
    # The machine disabled rsync (an overlay whiteout is a character device; a plain file stands in).
    (machine / 'rc2.d' / 'S01rsync').write_text('')
    for path, content in (('init.d/linuxnet-fabric', '#!/bin/sh\n'), ('default/etcd', 'ETCD_NAME=node1\n'),
                          ('init.d/docker', '#!/bin/sh\n'), ('default/rsync', 'RSYNC_ENABLE=true\n'),
                          ('sysctl.d/90-linuxnet-fabric.conf', 'net.ipv4.ip_forward = 1\n'), ('sysctl.d/README', '')):
        (machine / path).parent.mkdir(parents=True, exist_ok=True)
        (machine / path).write_text(content)
    assert boot_commands(str(machine), str(host)) == [
        'sysctl -q -p /etc/sysctl.d/90-linuxnet-fabric.conf',
        # etcd: the host's link, the machine's own settings; docker is the lab's, postgresql the host's.
        '/etc/init.d/etcd start',
        '/etc/init.d/linuxnet-fabric start',
    ]


def test_a_machine_that_set_up_nothing_boots_nothing(tmp_path):
    assert boot_commands(str(tmp_path / 'machine-etc'), str(tmp_path / 'host-etc')) == []


def test_a_foreign_link_with_the_controllers_name_is_refused_in_the_labs_words(tmp_path, monkeypatch):
    lab, _current = lab_up(tmp_path)
    bridge = {'name': 'unit-ctl', 'index': 5, 'kind': 'bridge', 'up': True, 'mtu': 1500, 'mac': '02:00:00:00:00:05',
              'master': None, 'peer_index': None, 'peer_netnsid': None}
    found = {'end': bridge, 'end_addresses': [], 'peer_end': None, 'peer_addresses': [], 'actual_peer': None}
    # The kernel is left out: the plan is made from what a read would have found.
    monkeypatch.setattr(Lab, '_reconcile', staticmethod(lambda read, plan_of: plan_of(found)))
    with pytest.raises(FabricError) as raised:
        lab._create_controller_link()
    assert str(raised.value) == ("'unit-ctl' exists in the node namespace but is a bridge, not a veth: it is not lab unit's; "
                                 "remove it or give the lab another name")

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the fabric benchmarks share: a lab of their own, its inventory, playbook runs, scripts on
the nodes over SSH, iperf3 and DF pings."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SSH_OPTIONS = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes']


def median_and_spread(values):
    """'median (min-max)' of a list of numbers."""
    return statistics.median(values), min(values), max(values)


class BenchLab(object):
    """A lab of `nodes` ({name: host number}) on the LAN `lan`, with an outside host."""

    def __init__(self, name, lan, outside, nodes):
        self.name = name
        self.directory = '/var/tmp/linuxnet-fabric-lab/' + name
        self.lan = ipaddress.ip_network(lan)
        self.outside = outside
        self.nodes = nodes
        # The lab routes its outside segment only for packets from the controller's LAN address.
        self.controller_address = str(self.lan[-2])

    def underlay(self, host_number):
        return str(self.lan[host_number])

    def key(self):
        return os.path.join(self.directory, 'ssh', 'id_ed25519')

    def inventory(self, path, variables, groups):
        """Write an inventory of the lab: connection settings, `variables` for all, `groups`
        ({group: {host: variables}}) under the group lab."""
        common = {
            'ansible_user': 'root', 'ansible_python_interpreter': '/usr/bin/python3',
            'ansible_ssh_private_key_file': self.key(),
            'ansible_ssh_common_args': ' '.join(SSH_OPTIONS[:6]), 'ansible_control_path_dir': os.path.join(self.directory, 'cp'),
            'ansible_ssh_extra_args': '-o BindAddress=' + self.controller_address,
            'ansible_pipelining': True,
            'lab_name': self.name, 'lab_directory': self.directory, 'lab_lan_cidr': str(self.lan), 'lab_outside_cidr': self.outside,
        }
        common.update(variables)
        inventory = {'all': {'vars': common, 'children': {'lab': {'children': dict(
            (group, {'hosts': hosts}) for group, hosts in groups.items())}}}}
        with open(path, 'w') as handle:
            json.dump(inventory, handle)
        return path

    def ssh(self, host_number, command, script=None):
        return subprocess.run(['ssh', '-i', self.key()] + SSH_OPTIONS + ['-b', self.controller_address,
                                                                         'root@' + self.underlay(host_number), command],
                              input=script, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)

    def parallel_scripts(self, scripts):
        """Run one script per node over SSH, all at once; seconds until the last one is done."""
        started = time.perf_counter()
        processes = [(number, subprocess.Popen(['ssh', '-i', self.key()] + SSH_OPTIONS + [
            '-b', self.controller_address, 'root@' + self.underlay(number), 'bash -s'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True))
            for number in scripts]
        for number, process in processes:
            process.stdin.write(scripts[number])
            process.stdin.close()
        for number, process in processes:
            output = process.stdout.read()
            if process.wait() != 0:
                raise RuntimeError('the script failed on node %d:\n%s' % (number, output[-2000:]))
        return time.perf_counter() - started

    def iperf(self, client_number, client_netns, server_number, server_netns, server_address, seconds=10):
        """Gbit/s of one TCP stream; the server serves one test and stops."""
        def prefix(netns):
            return 'ip netns exec %s ' % netns if netns else ''
        self.ssh(server_number, 'timeout %d %siperf3 -s -1 >/dev/null 2>&1 &' % (seconds + 20, prefix(server_netns)))
        time.sleep(1.0)
        result = self.ssh(client_number, '%siperf3 -J -t %d -c %s' % (prefix(client_netns), seconds, server_address))
        if result.returncode != 0:
            raise RuntimeError('iperf3 failed:\n' + result.stdout[-2000:])
        return json.loads(result.stdout)['end']['sum_received']['bits_per_second'] / 1e9

    def df_ping(self, client_number, client_netns, address, mtu):
        """Whether a ping with DF set and a packet of exactly `mtu` bytes passes."""
        return self.ssh(client_number, 'ip netns exec %s ping -c 1 -W 2 -M do -s %d %s' % (
            client_netns, mtu - 28, address)).returncode == 0


def ansible_playbook(inventory, playbook, extra=()):
    """(seconds, changed) of a whole ansible-playbook run of playbooks/<playbook>."""
    started = time.perf_counter()
    result = subprocess.run(['ansible-playbook', '-i', inventory, os.path.join(ROOT, 'playbooks', playbook)] + list(extra),
                            check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        # The failed tasks' lines (with their messages), then the end of the output.
        lines = result.stdout.splitlines()
        failed = []
        for index, line in enumerate(lines):
            if 'fatal:' in line or 'FAILED' in line or 'UNREACHABLE' in line:
                failed += lines[index:index + 25]
        raise RuntimeError('%s failed:\n%s\n...\n%s' % (playbook, '\n'.join(failed)[:8000], result.stdout[-3000:]))
    changed = sum(int(count) for count in re.findall(r'changed=(\d+)', result.stdout.split('PLAY RECAP')[-1]))
    return seconds, changed

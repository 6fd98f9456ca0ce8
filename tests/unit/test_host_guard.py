# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guard of conftest.py: a unit test that touches the machine it runs on fails."""

from __future__ import annotations

import fcntl
import os
import pwd
import socket
import subprocess

import pytest

from conftest import HostAccess


def read_proc():
    with open('/proc/sys/net/ipv4/ip_forward') as handle:
        return handle.read()


def list_sysfs():
    return os.listdir('/sys/class/net')


def stat_run():
    return os.path.isdir('/run/systemd/system')


def resolve_a_command():
    return os.path.realpath('/usr/sbin/iptables-save')


def run_a_command():
    return subprocess.run(['true'], check=False)


def open_netlink():
    return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)


def look_up_a_user():
    return pwd.getpwuid(0)


def ioctl_on_a_descriptor(tmp_path):
    with open(tmp_path / 'file', 'w') as handle:
        return fcntl.ioctl(handle.fileno(), 0x5401)


@pytest.mark.parametrize('touch', [read_proc, list_sysfs, stat_run, resolve_a_command, run_a_command, open_netlink,
                                   look_up_a_user])
def test_touching_the_host_fails(touch):
    with pytest.raises(HostAccess, match='a unit test touched the host'):
        touch()


def test_an_ioctl_fails(tmp_path):
    with pytest.raises(HostAccess, match='ioctl'):
        ioctl_on_a_descriptor(tmp_path)


def test_the_tests_own_files_are_allowed(tmp_path):
    path = tmp_path / 'mine'
    path.write_text('x')
    assert path.read_text() == 'x'
    assert os.listdir(tmp_path) == ['mine']
    assert os.path.isfile(path)
    assert os.path.isfile(__file__)

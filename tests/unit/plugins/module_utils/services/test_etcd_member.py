# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import os

import pytest
from conftest import FILE_GROUP, FILE_OWNER

from ansible_collections.linuxnet.fabric.plugins.module_utils.services import _etcd_member
from ansible_collections.linuxnet.fabric.plugins.module_utils.services._etcd_member import (
    binary_version, env_values, member_info, package_versions, path_state, sysv_enabled)

USER = FILE_OWNER
GROUP = FILE_GROUP
pytestmark = pytest.mark.usefixtures('file_owner_names')


@pytest.fixture(autouse=True)
def systemd_runtime_directory(tmp_path, monkeypatch):
    """A host without systemd unless a test makes the directory."""
    path = tmp_path / 'run-systemd-system'
    monkeypatch.setattr(_etcd_member, 'SYSTEMD_RUNTIME_DIRECTORY', str(path))
    return path


ENV_FILE = '''# Managed by linuxnet.fabric (role etcd); changes here are overwritten.
ETCD_NAME="node1"
ETCD_DATA_DIR='/var/lib/etcd/fabric'
export ETCD_INITIAL_CLUSTER="node1=https://10.88.0.11:2380,node2=https://10.88.0.12:2380"
  ETCD_INITIAL_CLUSTER_STATE=new
# ETCD_LOG_OUTPUTS="/var/log/etcd.log"
etcd_lower_case=ignored
ETCD_EMPTY=
ETCD_EMPTY_QUOTED=""
ETCD_SPACES = "not an assignment"
ETCD_UNBALANCED="open
ETCD_MIXED="a'
ETCD_INNER="say "hi""

ETCD_TRAILING="x"   \n'''


def test_env_values():
    assert env_values(ENV_FILE) == {
        'ETCD_NAME': 'node1',
        'ETCD_DATA_DIR': '/var/lib/etcd/fabric',
        'ETCD_INITIAL_CLUSTER': 'node1=https://10.88.0.11:2380,node2=https://10.88.0.12:2380',
        'ETCD_INITIAL_CLUSTER_STATE': 'new',
        'ETCD_EMPTY': '',
        'ETCD_EMPTY_QUOTED': '',
        'ETCD_UNBALANCED': '"open',
        'ETCD_MIXED': '"a\'',
        'ETCD_INNER': 'say "hi"',
        'ETCD_TRAILING': 'x',
    }


@pytest.mark.parametrize('text', [None, '', '\n\n', '# only a comment\n'])
def test_env_values_of_nothing(text):
    assert env_values(text) == {}


def test_the_last_assignment_wins():
    assert env_values('ETCD_NAME=a\nETCD_NAME="b"\n') == {'ETCD_NAME': 'b'}


DPKG_STATUS = '''Package: etcd-server
Status: install ok installed
Priority: optional
Version: 3.4.23-4+b4
Description: highly-available key value store -- daemon
 A distributed key value store.
 .
 Status: this continuation line is no field

Package: etcd-client
Status: install ok half-installed
Version: 3.4.23-4+b4

Package: etcdctl-old
Status: deinstall ok config-files
Version: 3.2.0-1

Package: iproute2
Status: install ok installed
Version: 6.1.0-3
'''


@pytest.mark.parametrize('names, versions', [
    (['etcd-server'], {'etcd-server': '3.4.23-4+b4'}),
    (['etcd-server', 'etcd-client'], {'etcd-server': '3.4.23-4+b4', 'etcd-client': None}),
    (['etcdctl-old', 'no-such-package'], {'etcdctl-old': None, 'no-such-package': None}),
    (['iproute2'], {'iproute2': '6.1.0-3'}),
    ([], {}),
], ids=['installed', 'half_installed', 'config_files_and_missing', 'last_block', 'none_asked'])
def test_package_versions(names, versions):
    assert package_versions(names, DPKG_STATUS) == versions


def test_package_versions_without_dpkg():
    assert package_versions(['etcd-server'], None) is None


def test_package_versions_of_an_empty_status_file():
    assert package_versions(['etcd-server'], '') == {'etcd-server': None}


@pytest.mark.parametrize('output, version', [
    ('etcd Version: 3.4.23\nGit SHA: Not provided (use ./build instead of go build)\nGo Version: go1.19.8\nGo OS/Arch: linux/amd64\n',
     '3.4.23'),
    ('etcd Version: 3.5.17\n', '3.5.17'),
    ('some banner\netcd Version:   3.6.0-rc.1\n', '3.6.0-rc.1'),
    ('etcdctl version: 3.4.23\nAPI version: 3.4\n', None),
    ('', None),
    (None, None),
])
def test_binary_version(output, version):
    assert binary_version(output) == version


MISSING = {'exists': False, 'type': None, 'mode': None, 'owner': None, 'group': None, 'sha1': None}


def test_path_state_of_a_file(tmp_path):
    path = tmp_path / 'member.crt'
    path.write_bytes(b'certificate\n')
    os.chmod(path, 0o640)
    assert path_state(str(path)) == {'exists': True, 'type': 'file', 'mode': '0640', 'owner': USER, 'group': GROUP,
                                     'sha1': hashlib.sha1(b'certificate\n').hexdigest()}


def test_path_state_of_a_directory(tmp_path):
    path = tmp_path / 'pki'
    path.mkdir()
    os.chmod(path, 0o2750)
    assert path_state(str(path)) == {'exists': True, 'type': 'directory', 'mode': '2750', 'owner': USER, 'group': GROUP, 'sha1': None}


def test_path_state_of_a_link_is_the_link(tmp_path):
    target = tmp_path / 'target'
    target.write_text('x')
    link = tmp_path / 'link'
    link.symlink_to(target)
    dangling = tmp_path / 'dangling'
    dangling.symlink_to(tmp_path / 'nothing')
    for path in (link, dangling):
        state = path_state(str(path))
        assert (state['exists'], state['type'], state['sha1']) == (True, 'link', None)


def test_path_state_of_something_else(tmp_path):
    fifo = tmp_path / 'fifo'
    os.mkfifo(fifo)
    assert path_state(str(fifo))['type'] == 'other'


def test_path_state_of_a_missing_path(tmp_path):
    assert path_state(str(tmp_path / 'missing')) == MISSING
    assert path_state(str(tmp_path / 'missing' / 'below')) == MISSING


@pytest.mark.parametrize('known, expected', [(True, 'root'), (False, '0')])
def test_names_of_unknown_owners_are_their_numbers(known, expected):
    def lookup(number):
        if not known:
            raise KeyError(number)
        return ('root', 'x', number)
    assert _etcd_member.name_of(lookup, 0) == expected


@pytest.mark.parametrize('links, enabled', [
    ({'rc2.d': ['S01etcd']}, True),
    ({'rc5.d': ['S20etcd']}, True),
    ({'rc2.d': ['K01etcd'], 'rc3.d': ['K01etcd']}, False),
    ({'rc0.d': ['S01etcd'], 'rc1.d': ['S01etcd'], 'rc6.d': ['S01etcd'], 'rcS.d': ['S01etcd']}, False),
    ({'rc2.d': ['S01etcd-backup', 'S01etcd2', 'S1etcd', 'S01etc']}, False),
    ({'rc2.d': []}, False),
    ({}, False),
], ids=['runlevel_2', 'runlevel_5', 'kill_links_only', 'other_runlevels', 'other_services', 'empty', 'no_rc_dirs'])
def test_sysv_enabled(tmp_path, links, enabled):
    for directory, names in links.items():
        (tmp_path / directory).mkdir()
        for name in names:
            (tmp_path / directory / name).symlink_to('../init.d/' + name[3:])
    assert sysv_enabled('etcd', rc_root=str(tmp_path)) is enabled


def test_sysv_enabled_takes_the_service_name_literally(tmp_path):
    (tmp_path / 'rc3.d').mkdir()
    (tmp_path / 'rc3.d' / 'S01etcdX').symlink_to('../init.d/etcdX')
    assert sysv_enabled('etcd.', rc_root=str(tmp_path)) is False
    (tmp_path / 'rc3.d' / 'S01etcd.').symlink_to('../init.d/etcd.')
    assert sysv_enabled('etcd.', rc_root=str(tmp_path)) is True


@pytest.fixture
def member(tmp_path):
    data_dir = tmp_path / 'data'
    data_dir.mkdir()
    os.chmod(data_dir, 0o700)
    env_file = tmp_path / 'etcd.env'
    env_file.write_text(ENV_FILE)
    return {'data_dir': str(data_dir), 'env_file': str(env_file), 'tmp': tmp_path}


def test_member_info_of_a_member_with_data(member):
    os.mkdir(os.path.join(member['data_dir'], 'member'))
    info = member_info(member['data_dir'], member['env_file'], ['etcd-server', 'etcd-client'], status_text=DPKG_STATUS)
    assert info == {
        'data_dir_exists': True,
        'has_data': True,
        'data_dir_mode': '0700',
        'env_exists': True,
        'initial_cluster': 'node1=https://10.88.0.11:2380,node2=https://10.88.0.12:2380',
        'initial_cluster_state': 'new',
        'name': 'node1',
        'configured_data_dir': '/var/lib/etcd/fabric',
        'configured_peer_url': None,
        'systemd': False,
        'package_versions': {'etcd-server': '3.4.23-4+b4', 'etcd-client': None},
    }


def test_member_info_reads_the_configured_peer_url(member):
    with open(member['env_file'], 'a') as handle:
        handle.write('ETCD_INITIAL_ADVERTISE_PEER_URLS="https://10.88.0.11:2380"\n')
    info = member_info(member['data_dir'], member['env_file'])
    assert (info['configured_data_dir'], info['configured_peer_url']) == ('/var/lib/etcd/fabric', 'https://10.88.0.11:2380')


def test_member_info_of_an_empty_data_dir(member):
    info = member_info(member['data_dir'], member['env_file'])
    assert (info['data_dir_exists'], info['has_data'], info['data_dir_mode']) == (True, False, '0700')
    assert info['package_versions'] == {}


def test_a_file_named_member_is_no_data(member):
    with open(os.path.join(member['data_dir'], 'member'), 'w') as handle:
        handle.write('')
    assert member_info(member['data_dir'])['has_data'] is False


def test_member_info_of_a_fresh_host(member):
    info = member_info(str(member['tmp'] / 'no-data'), str(member['tmp'] / 'no-env'))
    assert info['data_dir_exists'] is False and info['has_data'] is False and info['data_dir_mode'] is None
    assert info['env_exists'] is False
    assert (info['initial_cluster'], info['initial_cluster_state'], info['name']) == (None, None, None)


def test_member_info_without_an_env_file(member):
    info = member_info(member['data_dir'])
    assert info['env_exists'] is False and info['name'] is None


def test_empty_settings_are_none(member):
    with open(member['env_file'], 'w') as handle:
        handle.write('ETCD_NAME=""\nETCD_INITIAL_CLUSTER=\n')
    info = member_info(member['data_dir'], member['env_file'])
    assert info['env_exists'] is True
    assert (info['initial_cluster'], info['initial_cluster_state'], info['name']) == (None, None, None)


def test_member_info_reads_the_dpkg_status_file(member, monkeypatch):
    status = member['tmp'] / 'status'
    status.write_text(DPKG_STATUS)
    monkeypatch.setattr(_etcd_member, 'DPKG_STATUS', str(status))
    assert member_info(member['data_dir'], packages=['etcd-server'])['package_versions'] == {'etcd-server': '3.4.23-4+b4'}
    monkeypatch.setattr(_etcd_member, 'DPKG_STATUS', str(member['tmp'] / 'no-dpkg'))
    assert member_info(member['data_dir'], packages=['etcd-server'])['package_versions'] is None
    assert member_info(member['data_dir'], packages=[])['package_versions'] == {}


def test_member_info_sees_systemd_by_its_runtime_directory(member, systemd_runtime_directory):
    assert member_info(member['data_dir'])['systemd'] is False
    systemd_runtime_directory.mkdir()
    assert member_info(member['data_dir'])['systemd'] is True

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parsing parts of the node facts: /proc/net/route text, dpkg's status file, the record and
persist files, the endpoint aliases of a sysfs-like directory, and the pending sysctls."""

from __future__ import annotations

import json

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils import _node_facts
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils._node_facts import (
    default_route_interface,
    json_file,
    missing_packages,
    owned_endpoints,
    pending_sysctls,
)
from ansible_collections.linuxnet.fabric.plugins.module_utils._plan_sysctl import persisted_values

ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT               \n'


def route_line(interface, destination='00000000', gateway='0100580A', metric=0, mask='00000000'):
    """A line of /proc/net/route (addresses in host byte order hex, as the kernel prints them)."""
    return '%s\t%s\t%s\t0003\t0\t0\t%d\t%s\t0\t0\t0                \n' % (interface, destination, gateway, metric, mask)


@pytest.mark.parametrize('lines, expected', [
    ([], None),
    ([route_line('eth0')], 'eth0'),
    # Not default routes: a destination, or a mask.
    ([route_line('eth1', destination='0000580A', mask='00FFFFFF'), route_line('eth0')], 'eth0'),
    ([route_line('eth1', destination='0000580A', mask='00FFFFFF')], None),
    ([route_line('eth1', mask='000000FF')], None),
    # The lowest metric wins, whatever the order.
    ([route_line('eth1', metric=100), route_line('eth0', metric=50)], 'eth0'),
    ([route_line('eth0', metric=50), route_line('eth1', metric=100)], 'eth0'),
    ([route_line('eth0', metric=50), route_line('eth1', metric=50)], 'eth0'),
    # Interface names with dots and dashes.
    ([route_line('eth0.100'), ], 'eth0.100'),
    ([route_line('fabric-ctl', metric=5), route_line('eth0', metric=10)], 'fabric-ctl'),
    # An unreachable or blackhole default (device '*') is no underlay.
    ([route_line('*', gateway='00000000', metric=0), route_line('eth0', metric=10)], 'eth0'),
    # Short or empty lines are skipped.
    (['\n', 'eth0\t00000000\n', route_line('eth2')], 'eth2'),
])
def test_default_route_interface(lines, expected):
    assert default_route_interface(ROUTE_HEADER + ''.join(lines)) == expected


def test_default_route_interface_of_an_empty_table():
    assert default_route_interface('') is None
    assert default_route_interface(ROUTE_HEADER) is None


DPKG_STATUS = '''Package: iproute2
Status: install ok installed
Priority: important
Version: 6.1.0-3
Description: networking and traffic control tools
 Package: not-a-package-line (a continuation line of the description)

Package: python3-pyroute2
Status: deinstall ok config-files
Version: 0.7.2-2

Package: nftables
Status: hold ok installed
Version: 1.0.6-2

Package: iptables
Status: install ok half-configured
Version: 1.8.9-2

Package: iputils-ping
Status: deinstall ok installed
Version: 3:20221126-1

Package: libc6
Architecture: amd64
Status: install ok installed

Package: libc6
Architecture: i386
Status: install ok not-installed
'''


@pytest.mark.parametrize('names, expected', [
    ([], []),
    (['iproute2'], []),
    # Removed with its configuration kept: not installed.
    (['python3-pyroute2'], ['python3-pyroute2']),
    # Held, or selected for removal but still there: installed.
    (['nftables', 'iputils-ping'], []),
    # Half-configured is not installed (yet).
    (['iptables'], ['iptables']),
    (['unknown-package', 'iproute2', 'other'], ['unknown-package', 'other']),
    # One architecture installed is enough.
    (['libc6'], []),
    # The continuation line of a description is no package.
    (['not-a-package-line'], ['not-a-package-line']),
])
def test_missing_packages(names, expected):
    assert missing_packages(names, DPKG_STATUS) == expected


def test_missing_packages_keeps_the_order_of_the_names():
    assert missing_packages(['b', 'iproute2', 'a'], DPKG_STATUS) == ['b', 'a']


def test_missing_packages_reads_the_status_file(tmp_path, monkeypatch):
    status = tmp_path / 'status'
    status.write_text(DPKG_STATUS)
    monkeypatch.setattr(_node_facts, 'DPKG_STATUS', str(status))
    assert missing_packages(['iproute2', 'python3-pyroute2']) == ['python3-pyroute2']


def test_missing_packages_without_dpkg_is_unknown(tmp_path, monkeypatch):
    monkeypatch.setattr(_node_facts, 'DPKG_STATUS', str(tmp_path / 'no-such-status'))
    assert missing_packages(['iproute2']) is None


def test_missing_packages_of_an_empty_database():
    assert missing_packages(['iproute2'], '') == ['iproute2']


@pytest.mark.parametrize('content, expected', [
    (None, {}),
    ('', {}),
    ('{"sysctl net.ipv4.ip_forward": "0"}', {'sysctl net.ipv4.ip_forward': '0'}),
    ('{"created_directory": "/etc/ansible/facts.d", "sysctl a.b": "1"}', {'created_directory': '/etc/ansible/facts.d', 'sysctl a.b': '1'}),
    ('not json', {}),
    ('[1, 2]', {}),
    ('"a string"', {}),
    ('{"truncated": ', {}),
])
def test_json_file(tmp_path, content, expected):
    path = tmp_path / 'record.fact'
    if content is not None:
        path.write_text(content)
    assert json_file(str(path)) == expected


def test_json_file_without_a_path():
    assert json_file(None) == {}
    assert json_file('') == {}


def make_interface(root, name, alias=None):
    directory = root / name
    directory.mkdir()
    (directory / 'ifalias').write_text((alias or '') + '\n')
    (directory / 'mtu').write_text('1500\n')


def test_owned_endpoints_come_from_the_aliases(tmp_path, monkeypatch):
    make_interface(tmp_path, 'eth0')
    make_interface(tmp_path, 'lo')
    make_interface(tmp_path, 'lf2', 'linuxnet.fabric endpoint owner=bridge_nat name=db netns=db created_netns=1 address=172.19.11.3/24')
    make_interface(tmp_path, 'lf1', 'linuxnet.fabric endpoint owner=bridge_nat name=web netns=web-ns created_netns=0 address=172.19.11.2/24')
    make_interface(tmp_path, 'lf3', 'linuxnet.fabric endpoint owner=routed name=api netns=api created_netns=1 address=172.19.11.9/32')
    make_interface(tmp_path, 'lf4', 'linuxnet.fabric endpoint owner=bridge_nat name=old netns=old created_netns=1')
    make_interface(tmp_path, 'other', 'somebody else: owner=bridge_nat name=x netns=x')
    # An interface that went away between the listing and the read (no ifalias file).
    (tmp_path / 'gone').mkdir()
    monkeypatch.setattr(_node_facts, 'SYS_CLASS_NET', str(tmp_path))
    assert owned_endpoints('bridge_nat') == [
        {'name': 'web', 'netns': 'web-ns', 'host_interface': 'lf1', 'address': '172.19.11.2/24'},
        {'name': 'db', 'netns': 'db', 'host_interface': 'lf2', 'address': '172.19.11.3/24'},
        {'name': 'old', 'netns': 'old', 'host_interface': 'lf4', 'address': None},
    ]
    assert owned_endpoints('routed') == [{'name': 'api', 'netns': 'api', 'host_interface': 'lf3', 'address': '172.19.11.9/32'}]
    assert owned_endpoints('nobody') == []


def test_owned_endpoints_without_sysfs(tmp_path, monkeypatch):
    monkeypatch.setattr(_node_facts, 'SYS_CLASS_NET', str(tmp_path / 'missing'))
    assert owned_endpoints('bridge_nat') == []


def read_sysctl(name):
    with open('/proc/sys/' + name.replace('.', '/')) as handle:
        return ' '.join(handle.read().split())


# Read only: the tests compare with the values this machine has, and change none.
IP_FORWARD = 'net.ipv4.ip_forward'
RECORDED = {'sysctl ' + IP_FORWARD: '0'}


@pytest.mark.parametrize('persisted, record, pending', [
    ({IP_FORWARD: 'NOW'}, RECORDED, []),
    ({}, RECORDED, [IP_FORWARD]),
    ({IP_FORWARD: 'OTHER'}, RECORDED, [IP_FORWARD]),
    ({IP_FORWARD: 'NOW'}, {}, [IP_FORWARD]),
    ({IP_FORWARD: 'NOW'}, {'sysctl net.ipv4.other': '0'}, [IP_FORWARD]),
    # Without a persist file or a record file, there is nothing to wait for in them.
    (None, RECORDED, []),
    ({IP_FORWARD: 'NOW'}, None, []),
    (None, None, []),
])
def test_pending_sysctls(persisted, record, pending):
    now = read_sysctl(IP_FORWARD)
    if persisted:
        persisted = dict((name, now if value == 'NOW' else value) for name, value in persisted.items())
    assert pending_sysctls({IP_FORWARD: now}, persisted, record) == pending


def test_a_sysctl_with_another_value_is_pending():
    other = '1' if read_sysctl(IP_FORWARD) == '0' else '0'
    assert pending_sysctls({IP_FORWARD: other}, {IP_FORWARD: other}, RECORDED) == [IP_FORWARD]


def test_values_compare_field_by_field():
    """The kernel separates fields with tabs; a value given with spaces is the same value."""
    now = read_sysctl('net.ipv4.ip_local_port_range')
    spaced = '  '.join(now.split())
    assert pending_sysctls({'net.ipv4.ip_local_port_range': spaced}, {'net.ipv4.ip_local_port_range': now},
                           {'sysctl net.ipv4.ip_local_port_range': 'x'}) == []


def test_integers_compare_as_their_text():
    now = read_sysctl(IP_FORWARD)
    assert pending_sysctls({IP_FORWARD: int(now)}, {IP_FORWARD: now}, RECORDED) == []


def test_a_missing_sysctl_is_pending_and_the_result_is_sorted():
    wanted = {'net.ipv4.no_such_sysctl': '1', 'net.core.no_such_either': '1'}
    assert pending_sysctls(wanted, {}, {}) == ['net.core.no_such_either', 'net.ipv4.no_such_sysctl']


@pytest.mark.parametrize('name', ['ip_forward', 'net..ipv4', 'net.ipv4.ip forward', 'net.//.//.//etc.passwd', ''])
def test_a_bad_sysctl_name_names_the_option(name):
    with pytest.raises(OptionError) as raised:
        pending_sysctls({name: '1'}, {}, {})
    assert raised.value.option == 'sysctls'


def test_node_facts_reads_the_files_it_is_given(tmp_path, monkeypatch):
    record = tmp_path / 'linuxnet_fabric.fact'
    record.write_text(json.dumps(RECORDED))
    persist = tmp_path / '90-linuxnet-fabric.conf'
    now = read_sysctl(IP_FORWARD)
    persist.write_text('# comment\n%s = %s\n' % (IP_FORWARD, now))
    status = tmp_path / 'status'
    status.write_text(DPKG_STATUS)
    monkeypatch.setattr(_node_facts, 'DPKG_STATUS', str(status))
    monkeypatch.setattr(_node_facts, 'SYS_CLASS_NET', str(tmp_path))
    facts = _node_facts.node_facts('bridge_nat', ['iproute2', 'nftables', 'python3-pyroute2'], str(record), str(persist),
                                   {IP_FORWARD: now})
    assert facts['record'] == RECORDED
    assert facts['persisted'] == {IP_FORWARD: now}
    assert facts['persisted'] == persisted_values(persist.read_text())
    assert facts['missing_packages'] == ['python3-pyroute2']
    assert facts['pending_sysctls'] == []
    assert facts['ip_forward'] == int(now)
    assert facts['endpoints'] == []
    assert set(facts) == {'underlay', 'endpoints', 'ip_forward', 'missing_packages', 'record', 'persisted', 'pending_sysctls'}


def test_node_facts_without_files_or_owner(tmp_path, monkeypatch):
    monkeypatch.setattr(_node_facts, 'DPKG_STATUS', str(tmp_path / 'no-dpkg'))
    facts = _node_facts.node_facts()
    assert facts['record'] == {} and facts['persisted'] == {}
    assert facts['endpoints'] == []
    assert facts['missing_packages'] is None
    assert facts['pending_sysctls'] == []
    assert facts['ip_forward'] in (0, 1)

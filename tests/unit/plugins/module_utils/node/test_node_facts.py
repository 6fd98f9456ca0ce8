# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parsing parts of the node facts: /proc/net/route text, dpkg's status file, the record and
persist files, the endpoint aliases of a sysfs-like directory, and the pending sysctls."""

from __future__ import annotations

import json

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.node import _node_facts
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._node_facts import (
    default_route_interface,
    json_file,
    missing_packages,
    owned_endpoints,
    pending_sysctls,
)
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._node_record import record_of, record_text
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_sysctl import persisted_values

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


# A /proc/sys of the test's own: the values are the test's, never the machine's.
IP_FORWARD = 'net.ipv4.ip_forward'
RECORDED = {'sysctl ' + IP_FORWARD: '0'}
PORT_RANGE = 'net.ipv4.ip_local_port_range'


@pytest.fixture
def proc_sys(tmp_path, monkeypatch):
    """A fake /proc/sys with ip_forward=1 and a tab-separated ip_local_port_range, as the kernel
    writes it; returns a function that sets one more value."""
    root = tmp_path / 'proc-sys'

    def set_value(name, value):
        path = root.joinpath(*name.split('.'))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + '\n')

    set_value(IP_FORWARD, '1')
    set_value(PORT_RANGE, '32768\t60999')
    monkeypatch.setattr(_node_facts, 'PROC_SYS', str(root))
    return set_value


@pytest.mark.parametrize('persisted, record, pending', [
    ({IP_FORWARD: '1'}, RECORDED, []),
    ({}, RECORDED, [IP_FORWARD]),
    ({IP_FORWARD: 'OTHER'}, RECORDED, [IP_FORWARD]),
    ({IP_FORWARD: '1'}, {}, [IP_FORWARD]),
    ({IP_FORWARD: '1'}, {'sysctl net.ipv4.other': '0'}, [IP_FORWARD]),
    # Without a persist file or a record file, there is nothing to wait for in them.
    (None, RECORDED, []),
    ({IP_FORWARD: '1'}, None, []),
    (None, None, []),
])
def test_pending_sysctls(proc_sys, persisted, record, pending):
    assert pending_sysctls({IP_FORWARD: '1'}, persisted, record) == pending


def test_a_sysctl_with_another_value_is_pending(proc_sys):
    assert pending_sysctls({IP_FORWARD: '0'}, {IP_FORWARD: '0'}, RECORDED) == [IP_FORWARD]
    proc_sys(IP_FORWARD, '0')
    assert pending_sysctls({IP_FORWARD: '0'}, {IP_FORWARD: '0'}, RECORDED) == []


def test_values_compare_field_by_field(proc_sys):
    """The kernel separates fields with tabs; a value given with spaces is the same value."""
    assert pending_sysctls({PORT_RANGE: '32768  60999'}, {PORT_RANGE: '32768 60999'}, {'sysctl ' + PORT_RANGE: 'x'}) == []
    assert pending_sysctls({PORT_RANGE: '32768 61000'}, {PORT_RANGE: '32768 61000'}, {'sysctl ' + PORT_RANGE: 'x'}) == [PORT_RANGE]


def test_integers_compare_as_their_text(proc_sys):
    assert pending_sysctls({IP_FORWARD: 1}, {IP_FORWARD: '1'}, RECORDED) == []


def test_a_missing_sysctl_is_pending_and_the_result_is_sorted(proc_sys):
    wanted = {'net.ipv4.no_such_sysctl': '1', 'net.core.no_such_either': '1'}
    assert pending_sysctls(wanted, {}, {}) == ['net.core.no_such_either', 'net.ipv4.no_such_sysctl']


@pytest.mark.parametrize('name', ['ip_forward', 'net..ipv4', 'net.ipv4.ip forward', 'net.//.//.//etc.passwd', ''])
def test_a_bad_sysctl_name_names_the_option(name):
    with pytest.raises(OptionError) as raised:
        pending_sysctls({name: '1'}, {}, {})
    assert raised.value.option == 'sysctls'


@pytest.fixture
def node(tmp_path, monkeypatch, proc_sys):
    """A node of the test's own: its default route on eth0 (/proc/net/route), eth0's address and
    netmask (the ioctls), its MTU and aliases (/sys/class/net), no dpkg database."""
    route_table = tmp_path / 'route'
    route_table.write_text(ROUTE_HEADER + route_line('eth0'))
    sys_class_net = tmp_path / 'sys-class-net'
    sys_class_net.mkdir()
    make_interface(sys_class_net, 'eth0')
    answers = {_node_facts.SIOCGIFADDR: '10.88.0.11', _node_facts.SIOCGIFNETMASK: '255.255.255.0'}
    asked = []

    def address_of(interface, request):
        asked.append(interface)
        return answers[request]

    monkeypatch.setattr(_node_facts, 'PROC_NET_ROUTE', str(route_table))
    monkeypatch.setattr(_node_facts, 'SYS_CLASS_NET', str(sys_class_net))
    monkeypatch.setattr(_node_facts, 'DPKG_STATUS', str(tmp_path / 'no-dpkg'))
    monkeypatch.setattr(_node_facts, '_ioctl_address', address_of)
    return {'tmp': tmp_path, 'sys_class_net': sys_class_net, 'route_table': route_table, 'asked': asked}


FABRIC_NODE_PARAMS = {'mode': 'bridge_nat', 'owner': 'bridge_nat',
                      'plan': {'endpoints': [{'name': 'web', 'address': '172.19.11.2/24', 'publish': []}]}}


def test_node_facts_reads_the_files_it_is_given(node, monkeypatch):
    tmp_path = node['tmp']
    record = tmp_path / 'linuxnet_fabric.fact'
    record.write_text(json.dumps(RECORDED))
    persist = tmp_path / '90-linuxnet-fabric.conf'
    persist.write_text('# comment\n%s = 1\n' % IP_FORWARD)
    status = tmp_path / 'status'
    status.write_text(DPKG_STATUS)
    monkeypatch.setattr(_node_facts, 'DPKG_STATUS', str(status))
    make_interface(node['sys_class_net'], 'lf1', 'linuxnet.fabric endpoint owner=bridge_nat name=web netns=web created_netns=1 '
                                                 'address=172.19.11.2/24')
    fabric_record = tmp_path / 'node.json'
    fabric_record.write_text(record_text(record_of(FABRIC_NODE_PARAMS)))
    facts = _node_facts.node_facts('bridge_nat', ['iproute2', 'nftables', 'python3-pyroute2'], str(record), str(persist),
                                   {IP_FORWARD: '1'}, str(fabric_record))
    assert facts['recorded'] == {'mode': 'bridge_nat', 'owner': 'bridge_nat', 'addresses': {'web': '172.19.11.2/24'}, 'peers': [],
                                 'gateway_underlay_address': None}
    assert facts['record'] == RECORDED
    assert facts['persisted'] == {IP_FORWARD: '1'}
    assert facts['persisted'] == persisted_values(persist.read_text())
    assert facts['missing_packages'] == ['python3-pyroute2']
    assert facts['pending_sysctls'] == []
    assert facts['ip_forward'] == 1
    assert facts['underlay'] == {'interface': 'eth0', 'address': '10.88.0.11', 'prefix': 24, 'mtu': 1500}
    assert node['asked'] == ['eth0', 'eth0']
    assert facts['endpoints'] == [{'name': 'web', 'netns': 'web', 'host_interface': 'lf1', 'address': '172.19.11.2/24'}]
    assert set(facts) == {'underlay', 'endpoints', 'ip_forward', 'missing_packages', 'record', 'persisted', 'pending_sysctls',
                          'recorded'}


def test_node_facts_without_files_or_owner(node, proc_sys):
    proc_sys(IP_FORWARD, '0')
    facts = _node_facts.node_facts()
    assert facts['record'] == {} and facts['persisted'] == {} and facts['recorded'] is None
    assert facts['endpoints'] == []
    assert facts['missing_packages'] is None
    assert facts['pending_sysctls'] == []
    assert facts['ip_forward'] == 0


def test_node_facts_of_a_node_without_a_default_route(node):
    node['route_table'].write_text(ROUTE_HEADER)
    assert _node_facts.node_facts()['underlay'] == {}
    assert node['asked'] == []


def test_node_facts_of_an_interface_without_an_address(node, monkeypatch):
    def no_address(interface, request):
        raise OSError(99, 'Cannot assign requested address')
    monkeypatch.setattr(_node_facts, '_ioctl_address', no_address)
    assert _node_facts.node_facts()['underlay'] == {}

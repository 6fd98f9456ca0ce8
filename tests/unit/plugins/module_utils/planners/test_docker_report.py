# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._docker_report import docker_report

# What Debian 12's dockerd 20.10 answered in a lab node (bridge_nat, bridge_nat_docker) after
#   docker run -d --name web -p 18080:80 busybox:local httpd -f -p 80 -h /www
#   docker run -d --name none1 --network none ...; --name hostnet --network host ...;
#   --name side --network container:web ...
# trimmed to the fields the report reads.
WEB_ID = '75c1a0ece42c2f3b520368e11d1b0f328817756c7b3087cf1f1ec3a2cebf0387'
VERSION = {'Version': '20.10.24+dfsg1', 'ApiVersion': '1.41'}
NETWORKS = [
    {'Name': 'host', 'Id': '0cedc0d34ff2', 'Driver': 'host', 'IPAM': {'Config': []}, 'Options': {}},
    {'Name': 'none', 'Id': '37f8106a9a3e', 'Driver': 'null', 'IPAM': {'Config': []}, 'Options': {}},
    {'Name': 'bridge', 'Id': '0748f5787200', 'Driver': 'bridge',
     'IPAM': {'Config': [{'Subnet': '172.19.11.128/25', 'Gateway': '172.19.11.129'}]},
     'Options': {'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.enable_icc': 'true',
                 'com.docker.network.bridge.enable_ip_masquerade': 'false', 'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
                 'com.docker.network.bridge.name': 'docker0', 'com.docker.network.driver.mtu': '1500'}},
]
NO_ADDRESS = {'IPAddress': '', 'IPPrefixLen': 0, 'MacAddress': '', 'Gateway': ''}


def container(name, pid, mode, networks=None, ports=None, running=True, identifier=None):
    return {'Id': identifier or name * 4, 'Name': '/' + name, 'State': {'Running': running, 'Pid': pid if running else 0},
            'HostConfig': {'NetworkMode': mode}, 'Config': {'Image': 'busybox:local'},
            'NetworkSettings': {'Ports': ports or {}, 'Networks': networks or {}}}


CONTAINERS = [
    container('side', 8533, 'container:' + WEB_ID),
    container('hostnet', 8481, 'host', {'host': NO_ADDRESS}),
    container('none1', 8411, 'none', {'none': NO_ADDRESS}),
    container('web', 7843, 'default', {'bridge': {'IPAddress': '172.19.11.130', 'IPPrefixLen': 25, 'MacAddress': '02:42:ac:13:0b:82',
                                                  'Gateway': '172.19.11.129'}},
              {'80/tcp': [{'HostIp': '0.0.0.0', 'HostPort': '18080'}, {'HostIp': '::', 'HostPort': '18080'}]}, identifier=WEB_ID),
]
NODE_INODE = 4026532100
INODES = {8533: 4026532900, 8481: NODE_INODE, 8411: 4026532800, 7843: 4026532900}
INTERFACES = {8533: ['lo', 'eth0'], 8481: ['lo', 'eth0', 'docker0', 'fabric0'], 8411: ['lo'], 7843: ['eth0', 'lo']}


def report():
    return docker_report(VERSION, NETWORKS, CONTAINERS, INODES, NODE_INODE, INTERFACES)


def by_name(items):
    return dict((item['name'], item) for item in items)


def test_the_bridge_network_as_docker_network_inspect_tells_it():
    networks = by_name(report()['networks'])
    assert sorted(networks) == ['bridge', 'host', 'none']
    bridge = networks['bridge']
    assert (bridge['driver'], bridge['bridge'], bridge['subnet'], bridge['gateway'], bridge['mtu'], bridge['ip_masquerade']) == (
        'bridge', 'docker0', '172.19.11.128/25', '172.19.11.129', 1500, False)
    assert bridge['containers'] == [{'name': 'web', 'address': '172.19.11.130/25', 'mac': '02:42:ac:13:0b:82'}]
    assert networks['host']['ip_masquerade'] is None and networks['host']['containers'] == []


def test_a_container_on_the_bridge_has_its_namespace_address_mac_and_published_ports():
    web = by_name(report()['containers'])['web']
    assert (web['network_mode'], web['shares'], web['netns'], web['address'], web['mac'], web['gateway']) == (
        'bridge', None, '/proc/7843/ns/net', '172.19.11.130/25', '02:42:ac:13:0b:82', '172.19.11.129')
    # The IPv6 binding of the same port is left out: the fabric is IPv4.
    assert web['published'] == [{'host_ip': '0.0.0.0', 'host_port': 18080, 'container_port': 80, 'protocol': 'tcp'}]
    assert web['interfaces'] == ['eth0', 'lo']


@pytest.mark.parametrize('name, mode, shares, netns, interfaces', [
    ('none1', 'none', None, '/proc/8411/ns/net', ['lo']),
    ('hostnet', 'host', 'node', None, ['docker0', 'eth0', 'fabric0', 'lo']),
    # Docker records the other container by ID; the report names it.
    ('side', 'container', 'web', None, ['eth0', 'lo']),
])
def test_dockers_network_modes(name, mode, shares, netns, interfaces):
    item = by_name(report()['containers'])[name]
    assert (item['network_mode'], item['shares'], item['netns'], item['interfaces']) == (mode, shares, netns, interfaces)
    assert item['address'] is None and item['networks'] == {}


def test_a_stopped_container_has_no_namespace_to_probe():
    stopped = docker_report(VERSION, NETWORKS, [container('old', 0, 'default', running=False)])['containers'][0]
    assert (stopped['running'], stopped['pid'], stopped['netns'], stopped['interfaces']) == (False, None, None, [])


def test_a_container_whose_namespace_is_the_nodes_shares_the_node_whatever_its_mode_says():
    # Started with --network container:<one in host mode>: Docker says container, the kernel says node.
    item = container('sidecar', 9001, 'container:' + 'hostnet' * 4)
    found = by_name(docker_report(VERSION, NETWORKS, CONTAINERS + [item], dict(list(INODES.items()) + [(9001, NODE_INODE)]), NODE_INODE)['containers'])
    assert found['sidecar']['shares'] == 'node'


def test_the_report_says_docker_runs_and_which_version():
    result = report()
    assert (result['running'], result['version'], result['api_version']) == (True, '20.10.24+dfsg1', '1.41')
    assert [item['name'] for item in result['containers']] == ['hostnet', 'none1', 'side', 'web']

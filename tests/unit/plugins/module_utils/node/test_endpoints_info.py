# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What endpoints_info reports (_endpoints.owned_endpoints), from injected netlink sessions and
namespace states: the node's host ends carry the marks, the containers' ends the addresses."""

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.node import _endpoints
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_endpoints import alias_for, parse_alias


class FakeSession(object):
    """The part of _netlink.Session that owned_endpoints reads: links, a link by index, addresses."""

    def __init__(self, links=(), addresses=None):
        self._links = dict((link['name'], link) for link in links)
        self._addresses = addresses or {}

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def links(self, fresh=False):
        return self._links

    def link_by_index(self, index):
        return next((link for link in self._links.values() if link['index'] == index), None)

    def address_tuples(self, link):
        return list(self._addresses.get(link['name'], [])) if link else []


def host_end(name, index, alias, peer_index, master=None, peer_netnsid=0):
    return {'name': name, 'index': index, 'alias': alias, 'master': master, 'peer_index': peer_index, 'peer_netnsid': peer_netnsid}


def container_end(index, peer_index, name='eth0'):
    return {'name': name, 'index': index, 'alias': None, 'master': None, 'peer_index': peer_index, 'peer_netnsid': 0}


def mark(owner, name, netns=None, **extra):
    endpoint = dict({'name': name, 'netns': netns or name, 'created_netns': True}, **extra)
    return alias_for(owner, endpoint)


@pytest.fixture
def node(monkeypatch):
    """Install a node: its own session's links, and per namespace (present ones) a session."""
    def install(host_links, namespaces):
        monkeypatch.setattr(_endpoints._netns, 'state', lambda reference: 'present' if reference in namespaces else 'absent')
        monkeypatch.setattr(_endpoints, 'Session', lambda reference: namespaces[reference])
        return FakeSession(host_links)
    return install


WEB1 = FakeSession([container_end(2, 10)], {'eth0': [('172.19.11.2', 24)]})


@pytest.mark.parametrize('owner, host_links, namespaces, expected', [
    # A bridged endpoint: the host end has a master; the address is read inside the namespace.
    ('bridge_nat', [host_end('lf1', 10, mark('bridge_nat', 'web1'), 2, master=5)], {'web1': WEB1},
     [{'name': 'web1', 'netns': 'web1', 'host_interface': 'lf1', 'mode': 'bridge', 'interface': 'eth0',
       'addresses': ['172.19.11.2/24'], 'address': '172.19.11.2/24'}]),
    # A routed endpoint has no master; IPv6 addresses are left out, the first IPv4 one is `address`.
    ('routed', [host_end('lf2', 11, mark('routed', 'db1'), 3)],
     {'db1': FakeSession([container_end(3, 11)], {'eth0': [('fd00::2', 64), ('172.19.11.3', 32), ('172.19.99.3', 32)]})},
     [{'name': 'db1', 'netns': 'db1', 'host_interface': 'lf2', 'mode': 'routed', 'interface': 'eth0',
       'addresses': ['172.19.11.3/32', '172.19.99.3/32'], 'address': '172.19.11.3/32'}]),
    # Other owners' endpoints, foreign aliases and links without alias are not ours.
    ('bridge_nat', [host_end('lf1', 10, mark('routed', 'web1'), 2, master=5), host_end('veth9', 12, 'a foreign alias', 2),
                    host_end('eth0', 1, None, None, peer_netnsid=None), host_end('lf3', 13, 'linuxnet.fabric endpoint owner=bridge_nat', 2)],
     {'web1': WEB1}, []),
    # The namespace is gone: the endpoint is still listed (the fabric must remove it), without address.
    ('bridge_nat', [host_end('lf1', 10, mark('bridge_nat', 'web1'), 2, master=5)], {},
     [{'name': 'web1', 'netns': 'web1', 'host_interface': 'lf1', 'mode': 'bridge', 'interface': None,
       'addresses': [], 'address': None}]),
    # The peer is in no namespace the node can see (peer_netnsid None): not visited.
    ('bridge_nat', [host_end('lf1', 10, mark('bridge_nat', 'web1'), 2, master=5, peer_netnsid=None)], {'web1': WEB1},
     [{'name': 'web1', 'netns': 'web1', 'host_interface': 'lf1', 'mode': 'bridge', 'interface': None,
       'addresses': [], 'address': None}]),
    # The interface at that index in the namespace is another veth's end: its addresses are not this endpoint's.
    ('bridge_nat', [host_end('lf1', 10, mark('bridge_nat', 'web1'), 2, master=5)],
     {'web1': FakeSession([container_end(2, 99)], {'eth0': [('172.19.11.2', 24)]})},
     [{'name': 'web1', 'netns': 'web1', 'host_interface': 'lf1', 'mode': 'bridge', 'interface': None,
       'addresses': [], 'address': None}]),
    # No link at the peer's index inside the namespace.
    ('bridge_nat', [host_end('lf1', 10, mark('bridge_nat', 'web1'), 7, master=5)], {'web1': WEB1},
     [{'name': 'web1', 'netns': 'web1', 'host_interface': 'lf1', 'mode': 'bridge', 'interface': None,
       'addresses': [], 'address': None}]),
])
def test_owned_endpoints(node, owner, host_links, namespaces, expected):
    assert _endpoints.owned_endpoints(owner, node(host_links, namespaces)) == expected


def test_owned_endpoints_are_listed_in_host_interface_order(node):
    namespaces = {
        'web1': FakeSession([container_end(2, 12)], {'eth0': [('172.19.11.2', 24)]}),
        'db1': FakeSession([container_end(2, 11)], {'eth0': [('172.19.11.3', 24)]}),
    }
    host_links = [host_end('lfb', 12, mark('o', 'web1'), 2, master=5), host_end('lfa', 11, mark('o', 'db1'), 2, master=5)]
    found = _endpoints.owned_endpoints('o', node(host_links, namespaces))
    assert [(entry['host_interface'], entry['name'], entry['address']) for entry in found] == [
        ('lfa', 'db1', '172.19.11.3/24'), ('lfb', 'web1', '172.19.11.2/24')]


def test_an_endpoint_in_a_namespace_named_otherwise_is_read_there(node):
    # Docker's containers: the endpoint's name and the namespace it lives in differ.
    namespaces = {'/proc/4242/ns/net': FakeSession([container_end(2, 10)], {'eth0': [('172.19.11.9', 24)]})}
    host_links = [host_end('lf1', 10, mark('o', 'dweb', netns='/proc/4242/ns/net', docker_container='dweb'), 2)]
    found = _endpoints.owned_endpoints('o', node(host_links, namespaces))
    assert [(entry['name'], entry['netns'], entry['address']) for entry in found] == [('dweb', '/proc/4242/ns/net', '172.19.11.9/24')]


@pytest.mark.parametrize('endpoint, parsed', [
    ({'name': 'web1', 'netns': 'web1', 'created_netns': True},
     {'owner': 'o', 'name': 'web1', 'netns': 'web1', 'created_netns': True, 'attached': False, 'sharers': [], 'address': None}),
    ({'name': 'dweb', 'netns': '/proc/1/ns/net', 'created_netns': False, 'docker_container': 'dweb', 'address': ('172.19.11.9', 24)},
     {'owner': 'o', 'name': 'dweb', 'netns': '/proc/1/ns/net', 'created_netns': False, 'attached': True, 'sharers': [],
      'address': '172.19.11.9/24'}),
    ({'name': 'web1', 'netns': 'web1', 'created_netns': True, 'sharers': ['side2', 'side1']},
     {'owner': 'o', 'name': 'web1', 'netns': 'web1', 'created_netns': True, 'attached': False, 'sharers': ['side1', 'side2'],
      'address': None}),
])
def test_the_mark_reads_back_as_written(endpoint, parsed):
    assert parse_alias(alias_for('o', endpoint)) == parsed


@pytest.mark.parametrize('alias', [
    None, '', 'something else', 'linuxnet.fabric endpoint ', 'linuxnet.fabric endpoint owner=o name=web1',
    'linuxnet.fabric endpoint owner=o netns=web1', 'Linuxnet.fabric endpoint owner=o name=web1 netns=web1',
])
def test_aliases_that_are_not_complete_marks_are_not_endpoints(alias):
    assert parse_alias(alias) is None

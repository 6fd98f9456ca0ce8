# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel reads shared by the modules that plan veths, bridges and routes, by fabric_node and by the lab."""

from __future__ import annotations

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import AF_INET, AF_INET6


def read_bridge(session, desired):
    """The bridge, its addresses, its ports and the links named in `ports`, from one link dump."""
    links = session.links()
    bridge = links.get(desired['name'])
    ports = []
    if bridge is not None:
        ports = sorted((link for link in links.values() if link['master'] == bridge['index']), key=lambda link: link['name'])
    return {
        'bridge': bridge,
        'addresses': session.address_tuples(bridge),
        'ports': ports,
        'named_ports': dict((port['name'], links.get(port['name'])) for port in desired['ports'] or []),
    }


def read_routes(session):
    """Routes of both families, link names by index and local addresses of the namespace."""
    return {
        'routes': [route for route in session.routes() if route['family'] in (AF_INET, AF_INET6)],
        'link_names': dict((link['index'], name) for name, link in session.links().items()),
        'local_addresses': [address['address'] for address in session.addresses()],
    }


def _where(netns):
    # The words of _plan_veth.where (planners and kernel reads do not import each other).
    return "network namespace '%s'" % netns if netns else 'the node namespace'


def read_veth_pair(sessions, desired):
    """Both ends of a veth pair ({name, netns, peer, peer_netns} of desired) with their addresses,
    and where the end's actual peer is when it is not the requested one (for the error)."""
    end_session = sessions(desired['netns'])
    peer_session = sessions(desired['peer_netns'])
    end = end_session.link(desired['name'])
    peer_end = peer_session.link(desired['peer'])
    actual_peer = None
    if end is not None and end['kind'] == 'veth':
        if end['peer_netnsid'] is None:
            other = end_session.link_by_index(end['peer_index'])
            actual_peer = "'%s' in the same namespace" % other['name'] if other else None
        else:
            # The peer's netnsid is relative to this namespace; if the requested peer namespace
            # holds a veth pointing back at this end, that is where the peer lives.
            other = peer_session.link_by_index(end['peer_index'])
            if other is not None and other['kind'] == 'veth' and other['peer_index'] == end['index']:
                actual_peer = "'%s' in %s" % (other['name'], _where(desired['peer_netns']))
            else:
                actual_peer = 'interface #%s in another namespace' % end['peer_index']
    return {
        'end': end,
        'end_addresses': end_session.address_tuples(end),
        'peer_end': peer_end,
        'peer_addresses': peer_session.address_tuples(peer_end),
        'actual_peer': actual_peer,
    }

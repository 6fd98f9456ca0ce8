# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel reads shared by the modules that plan bridges and routes, and by fabric_node."""

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

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carries out planned actions against the kernel.

Planners (pure) describe changes as Actions; this module maps each (verb, kind) to netlink calls,
using one Session per namespace for the whole run.
"""

from __future__ import annotations

import os

from ansible_collections.linuxnet.fabric.plugins.module_utils import _netns
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError
from ansible_collections.linuxnet.fabric.plugins.module_utils._netlink import Session, reporting

HANDLERS = {}


def handles(verb, kind):
    """Register the function that carries out (verb, kind) actions."""
    def register(function):
        HANDLERS[(verb, kind)] = function
        return function
    return register


class Sessions(object):
    """One netlink session per namespace, opened on first use and closed together."""

    def __init__(self):
        self._sessions = {}

    def __call__(self, netns=None):
        if netns not in self._sessions:
            self._sessions[netns] = Session(netns)
        return self._sessions[netns]

    def close(self):
        for session in self._sessions.values():
            session.close()
        self._sessions = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def execute(sessions, actions):
    for action in actions:
        handler = HANDLERS.get((action.verb, action.kind))
        if handler is None:
            raise FabricError('internal error: no handler for action "%s"' % action.describe())
        handler(sessions, action)


def index_of(session, name):
    link = session.link(name)
    if link is None:
        raise FabricError("link '%s'%s does not exist" % (name, session.where()))
    return link['index']


def split_address(text):
    address, prefixlen = text.rsplit('/', 1)
    return address, int(prefixlen)


@handles('set', 'link')
def set_link(sessions, action):
    session = sessions(action.details.get('netns'))
    attributes = {}
    for key, value in action.details.items():
        if key == 'netns':
            continue
        if key == 'mac':
            attributes['address'] = value
        elif key == 'master':
            attributes['master'] = index_of(session, value) if value else 0
        else:
            attributes[key] = value
    session.set_link(action.name, index_of(session, action.name), **attributes)


@handles('add', 'address')
def add_address(sessions, action):
    session = sessions(action.details.get('netns'))
    link = action.details['link']
    address, prefixlen = split_address(action.name)
    session.add_address(link, index_of(session, link), address, prefixlen)


@handles('delete', 'address')
def delete_address(sessions, action):
    session = sessions(action.details.get('netns'))
    link = action.details['link']
    address, prefixlen = split_address(action.name)
    session.delete_address(link, index_of(session, link), address, prefixlen)


@handles('delete', 'link')
def delete_link(sessions, action):
    session = sessions(action.details.get('netns'))
    link = session.link(action.name)
    if link is not None:
        session.delete_link(action.name, link['index'])


@handles('create', 'veth')
def create_veth(sessions, action):
    """A veth pair whose peer is created directly in its namespace, with MTU and MACs set at once."""
    details = action.details
    session = sessions(details.get('netns'))
    peer = {'ifname': details['peer']}
    attributes = {'ifname': action.name, 'kind': 'veth', 'peer': peer}
    if details.get('mtu') is not None:
        attributes['mtu'] = peer['mtu'] = details['mtu']
    if details.get('mac'):
        attributes['address'] = details['mac']
    if details.get('peer_mac'):
        peer['address'] = details['peer_mac']
    peer_fd = None
    if details.get('peer_netns') != details.get('netns'):
        with reporting('opening %s' % _netns.describe(details.get('peer_netns') or 'of the node')):
            # No peer_netns: the namespace this thread is in, the node's own.
            peer_fd = _netns.open_netns(details.get('peer_netns') or '/proc/thread-self/ns/net')
        peer['net_ns_fd'] = peer_fd
    try:
        session.create_link("creating veth '%s' with peer '%s'" % (action.name, details['peer']), **attributes)
    finally:
        if peer_fd is not None:
            os.close(peer_fd)


# --- bridges and bridge ports (linux_bridge, endpoints) -------------------------------------------

# --- routes, neighbours and FDB entries (route, vxlan, endpoints) ---------------------------------

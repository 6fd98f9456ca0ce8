# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carries out planned actions against the kernel.

Planners (pure) describe changes as Actions; this module maps each (verb, kind) to netlink calls,
using one Session per namespace for the whole run. Netlink requests are queued by the sessions
and sent in batches (see _netlink); execute() settles them before an action that is not one of
QUEUED (namespace files, sysctls, ethtool) and at its end, so that each action still sees the
effects of the ones before it.
"""

from __future__ import annotations

import collections
import ipaddress
import socket
import time

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _ethtool, _netns
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _plan, _plan_route
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import Session, reporting, settle_pending
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._sysctl import Sysctls

HANDLERS = {}


def handles(verb, kind):
    """Register the function that carries out (verb, kind) actions."""
    def register(function):
        HANDLERS[(verb, kind)] = function
        return function
    return register


class Sessions(object):
    """One netlink session per namespace, opened on first use and closed together.

    At most `limit` stay open: a batch over hundreds of container namespaces would otherwise hold
    a socket per namespace; the least recently used one is closed (actions of one namespace come
    together in a plan, so it is rarely needed again).
    """

    def __init__(self, limit=64):
        self._sessions = collections.OrderedDict()
        self._limit = limit

    def __call__(self, netns=None):
        if netns in self._sessions:
            self._sessions.move_to_end(netns)
        else:
            self._sessions[netns] = Session(netns, batched=True)
            if len(self._sessions) > self._limit:
                self._sessions.popitem(last=False)[1].close()
        return self._sessions[netns]

    def forget(self, netns):
        """Close the session of a namespace that is about to be deleted."""
        session = self._sessions.pop(netns, None)
        if session is not None:
            session.close()

    def close(self, discard=False):
        """Close every session; queued requests are sent first unless `discard` (see Session.close)."""
        sessions, self._sessions = list(self._sessions.values()), collections.OrderedDict()
        try:
            if not discard:
                settle_pending()
        finally:
            for session in sessions:
                session.close(discard=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close(discard=exc_info[0] is not None)


# Actions whose requests the sessions queue (or that read, which sends what is queued first):
# every other action settles the queues before it runs.
QUEUED = frozenset((('create', 'veth'), ('set', 'link'), ('add', 'address'), ('delete', 'address'), ('replace', 'route'),
                    ('delete', 'route'), ('delete', 'link'), ('set', 'bridge'), ('set', 'port'), ('create', 'bridge'),
                    ('create', 'vxlan'), ('set', 'vxlan'), ('replace', 'neighbour'), ('delete', 'neighbour'), ('replace', 'fdb'),
                    ('delete', 'fdb'), ('add', 'rule'), ('delete', 'rule')))


def execute(sessions, actions):
    for action in merged_veth_settings(actions):
        handler = HANDLERS.get((action.verb, action.kind))
        if handler is None:
            raise FabricError('internal error: no handler for action "%s"' % action.describe())
        if (action.verb, action.kind) not in QUEUED:
            settle_pending()
        handler(sessions, action)
    settle_pending()


def merged_veth_settings(actions):
    """The actions to carry out, with the settings of a new veth's host end that the plan sets
    right after creating it (as the endpoints planner does) folded into the creating request:
    master and up state; its alias follows in the same send (the kernel takes no alias when it
    creates a link). The peer's up state stays a request of its own: the kernel cannot open a veth
    end before the pair is linked. The plan's own actions are left as they are (they are its report)."""
    result = []
    for action in actions:
        previous = result[-1] if result else None
        if ((action.verb, action.kind) == ('set', 'link') and previous is not None and (previous.verb, previous.kind) == ('create', 'veth')
                and '_host' not in previous.details and action.name == previous.name
                and action.details.get('netns') == previous.details.get('netns')
                and set(action.details) <= {'netns', 'state', 'master', 'alias'} and action.details.get('state', 'up') == 'up'):
            result[-1] = type(previous)(previous.verb, previous.kind, previous.name, _host=action.details, **previous.details)
            continue
        result.append(action)
    return result


def reconcile(read, plan_of, check_mode, read_back=True):
    """The modules' one body (_plan.reconcile) for kernel objects, with one netlink session per
    namespace for the read, the change and the read back: read(sessions) -> current state.
    read_back=False for a module that reports its plan's views, not the state read after the change."""
    with Sessions() as sessions:
        return _plan.reconcile(check_mode, lambda: read(sessions), plan_of,
                               lambda plan, _current: execute(sessions, plan.actions), read_back=read_back)


def index_of(session, name):
    index = session.index(name)
    if index is None:
        raise FabricError("link '%s'%s does not exist" % (name, session.where()))
    return index


def on_link(sessions, action):
    """(session, link name, link index) of an action on an entry of a link (details netns, link)."""
    session = sessions(action.details.get('netns'))
    link = action.details['link']
    return session, link, index_of(session, link)


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
        elif key == 'alias':
            attributes['ifalias'] = value
        elif key == 'master':
            attributes['master'] = index_of(session, value) if value else 0
        else:
            attributes[key] = value
    session.set_link(action.name, None, **attributes)


@handles('add', 'address')
def add_address(sessions, action):
    session, link, index = on_link(sessions, action)
    address, prefixlen = split_address(action.name)
    session.add_address(link, index, address, prefixlen)


@handles('delete', 'address')
def delete_address(sessions, action):
    session, link, index = on_link(sessions, action)
    address, prefixlen = split_address(action.name)
    session.delete_address(link, index, address, prefixlen)


@handles('delete', 'link')
def delete_link(sessions, action):
    session = sessions(action.details.get('netns'))
    link = session.link(action.name)
    if link is not None:
        session.delete_link(action.name, link['index'])


@handles('create', 'netns')
def create_netns(sessions, action):
    if action.details.get('attach'):
        # A container's namespace (a Docker container started with --network none) gets the name.
        with reporting('naming %s %s' % (action.details['attach'], _netns.describe(action.name))):
            _netns.attach(action.name, action.details['attach'])
        return
    with reporting('creating %s' % _netns.describe(action.name)):
        _netns.create(action.name)


@handles('delete', 'netns')
def delete_netns(sessions, action):
    sessions.forget(action.name)
    with reporting('deleting %s' % _netns.describe(action.name)):
        _netns.delete(action.name)


@handles('await', 'removal')
def await_removal(sessions, action, timeout=10.0):
    """Wait until links that went with deleted namespaces are gone; delete those that stay.

    A veth whose peer's namespace is deleted disappears once the kernel has cleaned the namespace
    up, unless a process still holds the namespace: such links are deleted here instead.
    """
    session = sessions(action.details.get('netns'))
    waiting = set(action.details['_links'])
    deadline = time.time() + timeout
    while waiting and time.time() < deadline:
        waiting &= set(session.links(fresh=True))
        if waiting:
            time.sleep(0.02)
    for name in sorted(waiting):
        link = session.link(name)
        if link is not None:
            session.delete_link(name, link['index'])


@handles('create', 'veth')
def create_veth(sessions, action):
    """A veth pair whose peer is created directly in its namespace, with MTU and MACs set at once,
    and the host end's settings merged_veth_settings folded in (_host: master, alias, state)."""
    details = action.details
    session = sessions(details.get('netns'))
    host = details.get('_host') or {}
    master = host.get('master')
    settings = {
        'mtu': details.get('mtu'), 'address': details.get('mac'), 'peer_address': details.get('peer_mac'),
        'master': index_of(session, master) if master else None,
        'up': host.get('state') == 'up',
    }
    peer_fd = None
    if details.get('peer_netns') != details.get('netns'):
        with reporting('opening %s' % _netns.describe(details.get('peer_netns') or 'of the node')):
            # No peer_netns: the namespace this thread is in, the node's own.
            peer_fd = _netns.open_netns(details.get('peer_netns') or '/proc/thread-self/ns/net')
    session.create_veth(action.name, details['peer'], peer_fd, **settings)
    if host.get('alias') is not None:
        session.set_link(action.name, None, ifalias=host['alias'])


# --- bridges and bridge ports (linux_bridge, endpoints) -------------------------------------------

def _bridge_attributes(details):
    attributes = {}
    if details.get('stp') is not None:
        attributes['br_stp_state'] = 1 if details['stp'] else 0
    if details.get('vlan_filtering') is not None:
        attributes['br_vlan_filtering'] = 1 if details['vlan_filtering'] else 0
    return attributes


@handles('create', 'bridge')
def create_bridge(sessions, action):
    """A bridge with its options in the creating request, so an unsupported option creates nothing."""
    details = action.details
    attributes = dict(_bridge_attributes(details), ifname=action.name, kind='bridge')
    if details.get('mtu') is not None:
        attributes['mtu'] = details['mtu']
    if details.get('mac'):
        attributes['address'] = details['mac']
    sessions(details.get('netns')).create_link("creating bridge '%s'" % action.name, **attributes)


@handles('set', 'bridge')
def set_bridge(sessions, action):
    session = sessions(action.details.get('netns'))
    session.set_bridge(action.name, index_of(session, action.name), **_bridge_attributes(action.details))


@handles('set', 'port')
def set_port(sessions, action):
    session = sessions(action.details.get('netns'))
    session.set_port_hairpin(action.name, index_of(session, action.name), action.details['hairpin'])


# --- sysctls (proxy_arp, endpoints) ----------------------------------------------------------------

@handles('set', 'sysctl')
def set_sysctl(sessions, action):
    """One sysctl of a namespace; the key tuple travels in `_key` (interface names may hold dots)."""
    Sysctls(action.details.get('netns')).write({action.details['_key']: action.details['value']})


# --- routing policy rules (routing_rule) ------------------------------------------------------------

def _rule_request(rule):
    """pyroute2 arguments for a rule dict of _plan_rule."""
    request = {'family': socket.AF_INET6 if rule['family'] == 6 else socket.AF_INET, 'priority': rule['priority'],
               'table': rule['table'], 'action': 'FR_ACT_TO_TBL'}
    if rule['from']:
        request['src'], request['src_len'] = rule['from']
    if rule['to']:
        request['dst'], request['dst_len'] = rule['to']
    if rule['iif']:
        request['iifname'] = rule['iif']
    if rule['oif']:
        request['oifname'] = rule['oif']
    if rule['fwmark'] is not None:
        request['fwmark'] = rule['fwmark']
    return request


@handles('add', 'rule')
def add_rule(sessions, action):
    sessions(action.details.get('netns')).add_rule("adding rule '%s'" % action.name, **_rule_request(action.details['_rule']))


@handles('delete', 'rule')
def delete_rule(sessions, action):
    sessions(action.details.get('netns')).delete_rule("deleting rule '%s'" % action.name, **_rule_request(action.details['_rule']))


# --- routes, neighbours and FDB entries (route, vxlan, endpoints) ---------------------------------

def _route_request(session, action):
    """pyroute2 arguments for a route action (its details are described in _plan_route)."""
    details = action.details
    network = ipaddress.ip_network(action.name)
    request = {
        'family': socket.AF_INET if network.version == 4 else socket.AF_INET6,
        'dst_len': network.prefixlen,
        'table': details.get('table') or _plan_route.MAIN_TABLE,
    }
    if network.prefixlen:
        request['dst'] = str(network.network_address)
    if details.get('gateway'):
        request['gateway'] = details['gateway']
    if details.get('device'):
        request['oif'] = index_of(session, details['device'])
    if details.get('onlink'):
        request['flags'] = _plan_route.RTNH_F_ONLINK
    if details.get('metric') is not None:
        request['priority'] = details['metric']
    if details.get('source'):
        request['prefsrc'] = details['source']
    if details.get('protocol'):
        request['proto'] = details['protocol']
    return request


def _route_text(action):
    details = action.details
    text = 'route %s' % action.name
    if details.get('gateway'):
        text += ' via %s' % details['gateway']
    if details.get('device'):
        text += " dev '%s'" % details['device']
    return text


@handles('replace', 'route')
def replace_route(sessions, action):
    """ip route replace: details netns, gateway, device, onlink, scope, metric, table, source (all optional)."""
    session = sessions(action.details.get('netns'))
    request = _route_request(session, action)
    if request['family'] == socket.AF_INET:
        # Without a scope pyroute2 sends global; like `ip route`, a route without gateway is link-scoped.
        scope = action.details.get('scope')
        request['scope'] = (_plan_route.scope_number('scope', scope) if scope is not None
                            else _plan_route.default_scope(4, action.details.get('gateway')))
    session.replace_route('replacing %s' % _route_text(action), **request)


@handles('delete', 'route')
def delete_route(sessions, action):
    """ip route del: the details given (as for replace) narrow down which route goes."""
    session = sessions(action.details.get('netns'))
    device = action.details.get('device')
    if device and session.link(device) is None:
        return  # the route went with its device
    request = _route_request(session, action)
    if request['family'] == socket.AF_INET:
        # pyroute2 sends scope global unless told otherwise, and the kernel then spares routes of
        # any other scope; RT_SCOPE_NOWHERE (255) matches every scope.
        scope = action.details.get('scope')
        request['scope'] = _plan_route.scope_number('scope', scope) if scope is not None else 255
    session.delete_route('deleting %s' % _route_text(action), **request)


@handles('create', 'vxlan')
def create_vxlan(sessions, action):
    """A vxlan device with every setting in the creating request: details netns, vni, port, local,
    underlay, learning, mtu, mac."""
    details = action.details
    session = sessions(details.get('netns'))
    attributes = {
        'ifname': action.name,
        'kind': 'vxlan',
        'vxlan_id': details['vni'],
        'vxlan_port': details['port'],
        'vxlan_learning': 1 if details.get('learning') else 0,
    }
    if details.get('local'):
        attributes['vxlan_local'] = details['local']
    if details.get('underlay'):
        attributes['vxlan_link'] = index_of(session, details['underlay'])
    if details.get('mtu') is not None:
        attributes['mtu'] = details['mtu']
    if details.get('mac'):
        attributes['address'] = details['mac']
    session.create_link("creating vxlan '%s' (vni %s, port %s)" % (action.name, details['vni'], details['port']), **attributes)


@handles('set', 'vxlan')
def set_vxlan(sessions, action):
    """Settings the kernel can change on an existing vxlan device: learning."""
    session = sessions(action.details.get('netns'))
    session.set_link(action.name, index_of(session, action.name), kind='vxlan',
                     vxlan_learning=1 if action.details['learning'] else 0)


@handles('set', 'offload')
def set_offload(sessions, action):
    """TX checksum offload of a device (an ioctl, not netlink): details netns, tx_checksum."""
    _ethtool.set_tx_checksum(action.details.get('netns'), action.name, action.details['tx_checksum'])


@handles('replace', 'neighbour')
def replace_neighbour(sessions, action):
    """A permanent neighbour entry: name = IP address; details netns, link, mac."""
    session, link, index = on_link(sessions, action)
    session.replace_neighbour(link, index, action.name, action.details['mac'])


@handles('delete', 'neighbour')
def delete_neighbour(sessions, action):
    session, link, index = on_link(sessions, action)
    session.delete_neighbour(link, index, action.name)


@handles('replace', 'fdb')
def replace_fdb(sessions, action):
    """A permanent FDB entry of the device itself: name = MAC; details netns, link, dst."""
    session, link, index = on_link(sessions, action)
    session.replace_fdb(link, index, action.name, action.details['dst'])


@handles('delete', 'fdb')
def delete_fdb(sessions, action):
    session, link, index = on_link(sessions, action)
    session.delete_fdb(link, index, action.name, action.details['dst'])

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and planning for the route module. Pure: no Ansible, no kernel.

A route is identified the way the kernel identifies it: by table, destination/prefix and metric
(the TOS is always 0 here). `present` replaces the route with that identity when an option the
user set differs; `absent` deletes only routes with that identity. Other routes are never touched.

Route actions are also emitted by other planners (vxlan peers, endpoints), so their details are
all optional: `netns`, `gateway`, `device`, `onlink`, `scope` (a name of SCOPES or a number),
`metric`, `table` (a number) and `source`. The action's name is the destination in CIDR notation
(0.0.0.0/0 or ::/0 for a default route).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan

# The kernel's names (iproute2's /etc/iproute2/rt_tables and rt_scopes).
TABLES = {'default': 253, 'main': 254, 'local': 255}
SCOPES = {'global': 0, 'site': 200, 'link': 253, 'host': 254}
TYPES = {1: 'unicast', 2: 'local', 3: 'broadcast', 4: 'anycast', 5: 'multicast', 6: 'blackhole',
         7: 'unreachable', 8: 'prohibit', 9: 'throw', 10: 'nat'}
MAIN_TABLE = TABLES['main']
RTN_UNICAST = 1
RTPROT_KERNEL = 2
RTNH_F_ONLINK = 4
U32_MAX = 2 ** 32 - 1
# The metric the kernel gives a route added without one.
DEFAULT_METRIC = {4: 0, 6: 1024}
STATES = ('present', 'absent')


def table_number(option, value):
    """A routing table: main, local, default or a number 1..2^32-1."""
    if value is None:
        return MAIN_TABLE
    text = str(value).strip()
    if text in TABLES:
        return TABLES[text]
    if not text.isdigit():
        raise OptionError(option, "'%s' is not a table number or one of %s" % (value, ', '.join(sorted(TABLES))))
    return _validate.integer_in_range(option, int(text), 1, U32_MAX)


def table_name(number):
    for name, known in TABLES.items():
        if known == number:
            return name
    return number


def scope_number(option, value):
    """A route scope: global, site, link, host or a number 0..255 (None stays None)."""
    if value is None:
        return None
    text = str(value).strip()
    if text in SCOPES:
        return SCOPES[text]
    if not text.isdigit():
        raise OptionError(option, "'%s' is not a scope number or one of %s" % (value, ', '.join(sorted(SCOPES))))
    return _validate.integer_in_range(option, int(text), 0, 255)


def scope_name(number):
    for name, known in SCOPES.items():
        if known == number:
            return name
    return number


def default_scope(family, gateway):
    """The scope `ip route` gives a route without one: link without a gateway (IPv4 only)."""
    if family != 4:
        return None
    return SCOPES['global'] if gateway else SCOPES['link']


def destination_text(network):
    return 'default' if network.prefixlen == 0 else str(network)


def desired_route(params):
    """Validated, normalised options (OptionError names the first bad one)."""
    state = params.get('state') or 'present'
    if state not in STATES:
        raise OptionError('state', "'%s' must be one of %s" % (state, ', '.join(STATES)))
    destination = _validate.network('destination', params['destination'], allow_default=True)
    gateway = params.get('gateway')
    gateway = _validate.ip_address('gateway', gateway) if gateway is not None else None
    source = params.get('source')
    source = _validate.ip_address('source', source) if source is not None else None
    if destination is None:
        # 'default' takes its family from the gateway or source; write ::/0 for IPv6 without them.
        version = (gateway or source or ipaddress.ip_address('0.0.0.0')).version
        destination = ipaddress.ip_network('0.0.0.0/0' if version == 4 else '::/0')
    family = destination.version
    for option, address in (('gateway', gateway), ('source', source)):
        if address is not None and address.version != family:
            raise OptionError(option, "'%s' is an IPv%d address but destination '%s' is IPv%d"
                              % (address, address.version, destination_text(destination), family))
    if gateway is not None and (gateway.is_multicast or gateway.is_unspecified):
        raise OptionError('gateway', "'%s' cannot be a gateway" % gateway)
    device = params.get('device')
    if device is not None:
        device = _validate.ifname('device', device)
    scope = scope_number('scope', params.get('scope'))
    if scope is not None and family == 6:
        raise OptionError('scope', 'applies to IPv4 routes only (the kernel gives every IPv6 route global scope)')
    onlink = params.get('onlink')
    if onlink and (gateway is None or device is None) and state == 'present':
        raise OptionError('onlink', "needs options 'gateway' and 'device' (onlink says the gateway is reachable on the device)")
    metric = _validate.integer_in_range('metric', params.get('metric'), 0, U32_MAX)
    return {
        'state': state,
        'netns': _validate.netns('netns', params.get('netns')),
        'destination': destination,
        'family': family,
        'gateway': str(gateway) if gateway is not None else None,
        'device': device,
        'onlink': onlink,
        'scope': scope,
        'metric': metric if metric is not None else DEFAULT_METRIC[family],
        'table': table_number('table', params.get('table')),
        'source': str(source) if source is not None else None,
    }


def normalised_route(route, link_names):
    """A route dict from the netlink layer in the terms of the module's options."""
    family = 4 if route['family'] == 2 else 6
    network = ipaddress.ip_network('%s/%s' % (route['dst'] or ('0.0.0.0' if family == 4 else '::'), route['prefixlen']), strict=False)
    return {
        'family': family,
        'destination': network,
        'gateway': route['gateway'],
        'device': link_names.get(route['oif']) if route['oif'] is not None else None,
        'onlink': bool(route['flags'] & RTNH_F_ONLINK),
        'scope': route['scope'],
        'metric': route['priority'] if route['priority'] is not None else 0,
        'table': route['table'],
        'source': route['prefsrc'],
        'type': route['type'],
        'proto': route['proto'],
    }


def route_view(route):
    """The before/after view of a route: what `ip route show table all` would tell a user."""
    if route is None:
        return {'exists': False}
    return {
        'exists': True,
        'destination': destination_text(route['destination']),
        'gateway': route['gateway'],
        'device': route['device'],
        'onlink': route['onlink'],
        'scope': scope_name(route['scope']) if route['scope'] is not None else None,
        'metric': route['metric'],
        'table': table_name(route['table']),
        'source': route['source'],
        'type': TYPES.get(route['type'], route['type']),
    }


def same_identity(route, desired):
    return identity(route) == identity(desired)


def identity(route):
    """What tells routes apart in the kernel (the key of a replace): family, destination, table, metric."""
    return (route['family'], route['destination'], route['table'], route['metric'])


def indexed(current):
    """`current` with its routes normalised once and grouped by identity: a plan of hundreds of
    routes (linuxnet.fabric.routes) looks each up instead of normalising every route for each."""
    by_identity = {}
    for route in current['routes']:
        route = normalised_route(route, current['link_names'])
        by_identity.setdefault(identity(route), []).append(route)
    return dict(current, by_identity=by_identity)


def candidates_of(desired, current):
    """The routes of `current` with the identity of `desired` (normalised), in the kernel's order."""
    if 'by_identity' in current:
        return current['by_identity'].get(identity(desired), [])
    routes = (normalised_route(route, current['link_names']) for route in current['routes'])
    return [route for route in routes if same_identity(route, desired)]


def same_next_hop(route, desired):
    """Whether the route goes through the gateway and device given (unset: any)."""
    return all(desired[key] is None or route[key] == desired[key] for key in ('gateway', 'device'))


def satisfies(route, desired):
    """Whether an existing route with the desired identity already is what the user asked for."""
    if route['type'] != RTN_UNICAST or not same_next_hop(route, desired):
        return False
    return all(desired[key] is None or route[key] == desired[key] for key in ('onlink', 'scope', 'source'))


def selected_route(desired, routes, link_names):
    """The route the options describe, among `routes` from the netlink layer, or None."""
    candidates = [route for route in (normalised_route(route, link_names) for route in routes) if same_identity(route, desired)]
    wanted = satisfies if desired['state'] == 'present' else same_next_hop
    return next((route for route in candidates if wanted(route, desired)), None)


def route_details(route, netns):
    """Action details for a route in module terms, leaving out what the kernel assumes anyway."""
    details = {'netns': netns}
    for key in ('gateway', 'device', 'source'):
        if route[key] is not None:
            details[key] = route[key]
    if route['onlink']:
        details['onlink'] = True
    if route['scope'] is not None and route['family'] == 4:
        details['scope'] = scope_name(route['scope'])
    if route['metric'] != DEFAULT_METRIC[route['family']]:
        details['metric'] = route['metric']
    if route['table'] != MAIN_TABLE:
        details['table'] = route['table']
    return details


def replacement(desired, existing):
    """The route to install: the options given, the rest taken from the route it replaces.

    The next hop (gateway, device, onlink) is taken as a whole: given a gateway or a device, the
    route goes exactly there and the kernel picks what was left out; given neither, the existing
    next hop stays.
    """
    route = dict((key, desired[key]) for key in ('family', 'destination', 'metric', 'table'))
    route['type'] = RTN_UNICAST
    if desired['gateway'] is not None or desired['device'] is not None or existing is None:
        route['gateway'], route['device'] = desired['gateway'], desired['device']
        route['onlink'] = bool(desired['onlink'])
        default = default_scope(desired['family'], desired['gateway'])
    else:
        route['gateway'], route['device'] = existing['gateway'], existing['device']
        route['onlink'] = existing['onlink'] if desired['onlink'] is None else desired['onlink']
        default = existing['scope']
    route['scope'] = desired['scope'] if desired['scope'] is not None else default
    route['source'] = desired['source'] if desired['source'] is not None or existing is None else existing['source']
    return route


def check_against_node(desired, link_names, local_addresses):
    """Options that must name something existing in the namespace (only needed for `present`)."""
    where = "network namespace '%s'" % desired['netns'] if desired['netns'] else 'the node namespace'
    if desired['device'] is not None and desired['device'] not in link_names.values():
        raise OptionError('device', "refers to link '%s', which does not exist in %s" % (desired['device'], where))
    if desired['source'] is not None and desired['source'] not in local_addresses:
        raise OptionError('source', "'%s' is not an address of any interface in %s (the kernel accepts only local addresses)"
                          % (desired['source'], where))


def plan_route(desired, current):
    """Plan for one route from `current` = {routes, link_names: {index: name}, local_addresses}."""
    link_names = current['link_names']
    candidates = candidates_of(desired, current)
    name = str(desired['destination'])

    if desired['state'] == 'absent':
        doomed = [route for route in candidates if same_next_hop(route, desired)]
        plan = Plan(route_view(doomed[0] if doomed else None), {'exists': False})
        for route in doomed:
            plan.add('delete', 'route', name, **route_details(route, desired['netns']))
        return plan

    check_against_node(desired, link_names, current['local_addresses'])
    satisfied = [route for route in candidates if satisfies(route, desired)]
    if satisfied:
        return Plan(route_view(satisfied[0]), route_view(satisfied[0]))
    unicast = [route for route in candidates if route['type'] == RTN_UNICAST]
    existing = unicast[0] if unicast else None
    if existing is None and desired['gateway'] is None and desired['device'] is None:
        raise FabricError("route %s (table %s, metric %s) does not exist%s; option 'gateway' or 'device' is needed to create it"
                          % (destination_text(desired['destination']), table_name(desired['table']), desired['metric'],
                             ' as a unicast route' if candidates else ''))
    route = replacement(desired, existing)
    plan = Plan(route_view(candidates[0] if candidates else None), route_view(route))
    plan.add('replace', 'route', name, **route_details(route, desired['netns']))
    return plan

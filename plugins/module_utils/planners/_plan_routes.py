# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning for the routes module: many routes in one call, owned through a protocol number. Pure.

Each route is planned as the route module plans it (_plan_route). Routes are written with the
routing protocol number `protocol` (what `ip route` shows as `proto N`): that marks them as this
caller's, so `purge` can delete the ones no longer listed without touching anyone else's routes.
"""

from __future__ import annotations

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_route import (
    candidates_of,
    desired_route,
    identity,
    indexed,
    normalised_route,
    plan_route,
    route_details,
    route_view,
)

# Numbers the kernel and routing daemons use (iproute2's rt_protos): never ours to purge.
RESERVED_PROTOCOLS = {0: 'unspec', 1: 'redirect', 2: 'kernel', 3: 'boot', 4: 'static'}


def protocol_number(value):
    if value is None:
        return None
    number = _validate.integer_in_range('protocol', value, 1, 255)
    if number in RESERVED_PROTOCOLS:
        raise OptionError('protocol', '%d is the kernel\'s protocol "%s"; use a number of your own (5..255)'
                          % (number, RESERVED_PROTOCOLS[number]))
    return number


def desired_routes(params):
    """Validated routes (OptionError names routes[i].option)."""
    protocol = protocol_number(params.get('protocol'))
    if params.get('purge') and protocol is None:
        raise OptionError('purge', 'needs protocol: only routes with it are purged')
    routes, positions = [], {}
    for position, item in enumerate(params.get('routes') or []):
        try:
            route = desired_route(dict(item, netns=params.get('netns'), state=params.get('state') or 'present'))
        except OptionError as error:
            raise OptionError('routes[%d].%s' % (position, error.option), error.problem)
        if identity(route) in positions:
            raise OptionError('routes[%d].destination' % position, '%s (table %s, metric %s) is also routes[%d]' % (
                route['destination'], route['table'], route['metric'], positions[identity(route)]))
        positions[identity(route)] = position
        routes.append(route)
    return {'netns': params.get('netns'), 'state': params.get('state') or 'present', 'protocol': protocol,
            'purge': bool(params.get('purge')), 'routes': routes}


def plan_routes(desired, current):
    """Plan from `current` = {routes (both families), link_names, local_addresses}."""
    before, after = [], []
    plan = Plan({'routes': before}, {'routes': after})
    protocol = desired['protocol']
    current = indexed(current)
    for position, route in enumerate(desired['routes']):
        try:
            single = plan_route(route, current)
        except OptionError as error:
            raise OptionError('routes[%d].%s' % (position, error.option), error.problem)
        if route['state'] == 'present' and protocol is not None and not single.changed:
            # The route is right but not marked as ours: write it again with the protocol.
            candidates = candidates_of(route, current)
            if not [item for item in candidates if item['proto'] == protocol]:
                single.add('replace', 'route', str(route['destination']), **route_details(candidates[0], desired['netns']))
        for action in single.actions:
            if action.verb == 'replace' and protocol is not None:
                action.details['protocol'] = protocol
        plan.actions.extend(single.actions)
        if single.before.get('exists'):
            before.append(single.before)
        if single.after.get('exists'):
            after.append(single.after)
    if desired['purge']:
        listed = set(identity(wanted) for wanted in desired['routes'])
        for item in current['routes']:
            if item['proto'] != protocol:
                continue
            route = normalised_route(item, current['link_names'])
            if identity(route) in listed:
                continue
            plan.add('delete', 'route', str(route['destination']), **route_details(route, desired['netns']))
            before.append(route_view(route))
    return plan

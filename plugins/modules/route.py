#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: route
short_description: Manage one IPv4 or IPv6 route, in a network namespace
version_added: 1.0.0
description:
  - Adds, replaces or deletes one route, the way C(ip route replace) and C(ip route del) do.
  - A route is identified as the kernel identifies it, by O(table), O(destination) and O(metric).
    The module only ever acts on the route with that identity; routes it was not asked about are
    never touched.
  - With O(state=present), the route is replaced when an option that is set differs from the
    existing route (options left unset are not compared). When it is replaced, the next hop is
    exactly the O(gateway), O(device) and O(onlink) given (the kernel picks a device left out);
    if neither O(gateway) nor O(device) is given, the existing next hop is kept. O(scope) and
    O(source) keep their current values unless given.
  - With O(state=absent), the route with that identity is deleted; if O(gateway) or O(device) is
    given, only when it goes through them.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  destination:
    description:
      - The destination network in CIDR notation, for example C(10.5.2.0/24) or C(fd00:5::/64);
        host bits must be zero. A bare address is a host route (C(/32) or C(/128)).
      - V(default) is C(0.0.0.0/0), or C(::/0) when O(gateway) or O(source) is an IPv6 address.
        Write C(::/0) for an IPv6 default route without either.
    type: str
    required: true
  gateway:
    description:
      - The next hop's address, of the same family as O(destination).
      - Unset with O(state=present) means any gateway of an existing route is accepted; a new
        route needs O(gateway) or O(device).
    type: str
  device:
    description:
      - The outgoing interface (at most 15 bytes). With O(state=present) it must exist in the
        namespace.
    type: str
  onlink:
    description:
      - Treat O(gateway) as directly reachable on O(device) even if no address of the device
        covers it (C(ip route ... onlink)), as flannel's and Calico's routes need.
      - Needs O(gateway) and O(device). Unset accepts either.
    type: bool
  scope:
    description:
      - Scope of an IPv4 route, V(global), V(site), V(link), V(host) or a number 0..255.
      - Unset accepts any scope on an existing route; a new route gets C(link) without a
        gateway and C(global) with one, as with C(ip route).
      - Not allowed for IPv6 routes (the kernel gives them all global scope).
    type: str
  metric:
    description:
      - The route's metric (priority), 0..4294967295; part of the route's identity.
      - Defaults to the metric the kernel gives a route added without one, 0 for IPv4 and 1024
        for IPv6.
    type: int
  table:
    description:
      - The routing table, V(main), V(local), V(default) or a number 1..4294967295; part of the
        route's identity.
    type: str
    default: main
  source:
    description:
      - Preferred source address for traffic using the route (C(ip route ... src)), of the same
        family as O(destination). It must be an address of an interface in the namespace; the
        kernel accepts nothing else.
    type: str
extends_documentation_fragment:
  - linuxnet.fabric.common
  - linuxnet.fabric.common.pyroute2
  - linuxnet.fabric.common.state
  - linuxnet.fabric.common.attributes
notes:
  - Routes with a TOS other than 0, multipath routes and route types other than unicast cannot be
    created. A non-unicast route with the same identity (a blackhole, say) is replaced by the
    requested unicast route.
  - Routes are created with protocol C(static), the default of pyroute2.
seealso:
  - module: linuxnet.fabric.vxlan
    description: Programs the routes to VXLAN peers itself.
  - name: ip-route(8)
    description: The iproute2 command this module mirrors.
    link: https://man7.org/linux/man-pages/man8/ip-route.8.html
'''

EXAMPLES = r'''
- name: Default route of a container with a /32 address (Calico style)
  linuxnet.fabric.route:
    netns: web1
    destination: default
    gateway: 169.254.1.1
    device: eth0
    onlink: true

- name: A host route to a container, in the node namespace
  linuxnet.fabric.route:
    destination: 172.19.1.10/32
    device: vethweb1
    scope: link

- name: A route in another table, with a metric
  linuxnet.fabric.route:
    destination: 10.20.0.0/16
    gateway: 10.88.0.1
    table: 100
    metric: 50

- name: Show what would change, without changing anything
  linuxnet.fabric.route:
    destination: fd00:20::/64
    gateway: fd00::1
  check_mode: true
  diff: true

- name: Remove the route, but only if it goes through 10.88.0.1
  linuxnet.fabric.route:
    destination: 10.20.0.0/16
    gateway: 10.88.0.1
    table: 100
    metric: 50
    state: absent
'''

RETURN = r'''
route:
  description:
    - The route with the requested identity that matches the options, as read back from the
      kernel after the change (in check mode, as it is now); C(exists) is false when there is none.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether such a route exists.
      type: bool
      sample: true
    destination:
      description: The destination, C(default) for a default route.
      type: str
      sample: 10.20.0.0/16
    gateway:
      description: The gateway, null for a route without one.
      type: str
      sample: 10.88.0.1
    device:
      description: The outgoing interface.
      type: str
      sample: eth0
    onlink:
      description: Whether the route has the onlink flag.
      type: bool
      sample: false
    scope:
      description: The scope, by name where it has one.
      type: raw
      sample: global
    metric:
      description: The metric.
      type: int
      sample: 50
    table:
      description: The table, by name where it has one (C(main), C(local), C(default)).
      type: raw
      sample: 100
    source:
      description: The preferred source address, null when not set.
      type: str
      sample: null
    type:
      description: The route type (C(unicast), C(blackhole), ...).
      type: str
      sample: unicast
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["replace route 10.20.0.0/16 (gateway=10.88.0.1, metric=50, netns=None, scope=global, table=100)"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._executor import reconcile
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import require_pyroute2
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_route import desired_route, plan_route, route_view, selected_route
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._readers import read_routes


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            destination=dict(type='str', required=True),
            gateway=dict(type='str'),
            device=dict(type='str'),
            onlink=dict(type='bool'),
            scope=dict(type='str'),
            metric=dict(type='int'),
            table=dict(type='str', default='main'),
            source=dict(type='str'),
            state=dict(_common.STATE_OPTION),
        ),
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module):
        desired = desired_route(module.params)
        require_pyroute2(module)
        _common.require_existing_netns('netns', desired['netns'])
        plan, current = reconcile(lambda sessions: read_routes(sessions(desired['netns'])),
                                  lambda current: plan_route(desired, current), module.check_mode)
    _common.exit_with_plan(module, plan, route=route_view(selected_route(desired, current['routes'], current['link_names'])))


if __name__ == '__main__':
    main()

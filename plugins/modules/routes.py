#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: routes
short_description: Manage many routes in one call, with ownership and purge
version_added: 1.0.0
description:
  - Reconciles a list of routes in one network namespace with one read and one netlink session;
    each route has the options and the replace semantics of M(linuxnet.fabric.route).
  - With O(protocol), routes are written with that routing protocol number (C(proto N) in
    C(ip route)), which marks them as the caller's. O(purge=true) then deletes the routes with
    that protocol number that are no longer listed, in any table, and no other route.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  routes:
    description: The routes.
    type: list
    elements: dict
    default: []
    suboptions:
      destination:
        description: Destination in CIDR notation, or V(default).
        type: str
        required: true
      gateway:
        description: Next-hop address.
        type: str
      device:
        description: Outgoing interface.
        type: str
      onlink:
        description: The gateway is reachable on O(routes[].device) even without a matching connected route.
        type: bool
      scope:
        description: Scope, V(global), V(site), V(link), V(host) or a number (IPv4 only).
        type: str
      metric:
        description: Metric (part of the route's identity). Default 0 for IPv4, 1024 for IPv6.
        type: int
      table:
        description: Routing table, V(main), V(local), V(default) or a number.
        type: str
        default: main
      source:
        description: Preferred source address (must be local).
        type: str
  protocol:
    description:
      - Routing protocol number 5..255 written with the routes, marking them as the caller's.
      - Required for O(purge). The collection's fabric roles use 76.
    type: int
  purge:
    description: Delete routes with O(protocol) that are not listed.
    type: bool
    default: false
extends_documentation_fragment:
  - linuxnet.fabric.common
  - linuxnet.fabric.common.pyroute2
  - linuxnet.fabric.common.state
  - linuxnet.fabric.common.attributes
seealso:
  - module: linuxnet.fabric.route
'''

EXAMPLES = r'''
- name: Routes to the other nodes' container subnets; routes to departed nodes go
  linuxnet.fabric.routes:
    protocol: 76
    purge: true
    routes:
      - destination: 172.19.12.0/24
        gateway: 10.88.0.12
      - destination: 172.19.13.0/24
        gateway: 10.88.0.13
'''

RETURN = r'''
routes:
  description: The listed routes (and, with purge, the ones removed) as they were before and are after the run.
  returned: always
  type: dict
  contains:
    before:
      description: Route views before the run.
      type: list
      elements: dict
    after:
      description: Route views after the run (in check mode, as predicted).
      type: list
      elements: dict
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["replace route 172.19.12.0/24 (gateway=10.88.0.12, netns=None, protocol=76)"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._executor import reconcile
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import require_pyroute2
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_routes import desired_routes, plan_routes
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._readers import read_routes


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            routes=dict(type='list', elements='dict', default=[], options=dict(
                destination=dict(type='str', required=True),
                gateway=dict(type='str'),
                device=dict(type='str'),
                onlink=dict(type='bool'),
                scope=dict(type='str'),
                metric=dict(type='int'),
                table=dict(type='str', default='main'),
                source=dict(type='str'),
            )),
            protocol=dict(type='int'),
            purge=dict(type='bool', default=False),
            state=dict(_common.STATE_OPTION),
        ),
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module):
        desired = desired_routes(module.params)
        require_pyroute2(module)
        _common.require_existing_netns('netns', desired['netns'])
        # The result is the plan's before/after views (plan.diff()), so a read back after the
        # change (a dump of every route of the namespace: 999 peer routes at scale) would be unused.
        plan, _current = reconcile(lambda sessions: read_routes(sessions(desired['netns'])),
                                   lambda current: plan_routes(desired, current), module.check_mode,
                                   read_back=False)
    _common.exit_with_plan(module, plan, routes=plan.diff())


if __name__ == '__main__':
    main()

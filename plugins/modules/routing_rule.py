#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: routing_rule
short_description: Manage routing policy rules (ip rule) in a network namespace
version_added: 1.0.0
description:
  - Adds or removes one routing policy rule that looks up a routing table, as C(ip rule add ...
    lookup TABLE) does; policy routing sends, for example, traffic from a container network to
    another next hop than the node's own traffic.
  - A rule is identified by its O(priority) and its selectors (O(from), O(to), O(iif), O(oif),
    O(fwmark)). A rule with the same identity but another table is replaced, by deleting it and
    adding the new one, as the kernel has no in-place replace for rules. Other rules, the
    kernel's defaults included, are never touched.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  priority:
    description: Priority of the rule, 1 to 32765 (the kernel's own rules use 0, 32766 and 32767). Lower is consulted first.
    type: int
    required: true
  from:
    description: Source network selector in CIDR notation. Unset matches every source.
    type: str
  to:
    description: Destination network selector in CIDR notation. Unset matches every destination.
    type: str
  iif:
    description: Incoming interface selector.
    type: str
  oif:
    description: Outgoing interface selector.
    type: str
  fwmark:
    description: Firewall mark selector.
    type: int
  table:
    description:
      - The routing table to look up, V(main), V(local), V(default) or a number.
      - Required with O(state=present); with O(state=absent) it narrows the rules that go.
    type: str
extends_documentation_fragment:
  - linuxnet.fabric.common
  - linuxnet.fabric.common.pyroute2
  - linuxnet.fabric.common.state
  - linuxnet.fabric.common.attributes
seealso:
  - module: linuxnet.fabric.route
    description: Routes in the tables the rules point at.
  - name: ip-rule(8)
    description: The iproute2 command this module mirrors.
    link: https://man7.org/linux/man-pages/man8/ip-rule.8.html
'''

EXAMPLES = r'''
- name: Container traffic to the cluster stays in the main table
  linuxnet.fabric.routing_rule:
    priority: 31000
    to: 172.19.0.0/16
    table: main

- name: Other container traffic uses table 100 (a default route via the head node)
  linuxnet.fabric.routing_rule:
    priority: 31001
    from: 172.19.0.0/16
    table: "100"

- name: Remove it
  linuxnet.fabric.routing_rule:
    priority: 31001
    from: 172.19.0.0/16
    state: absent
'''

RETURN = r'''
rules:
  description: The rules with this identity after the run (in check mode, as they are now), in C(ip rule) notation.
  returned: always
  type: list
  elements: str
  sample: ["31001: from 172.19.0.0/16 lookup 100"]
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["add rule 31001: from 172.19.0.0/16 lookup 100 (netns=None)"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._executor import reconcile
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import AF_INET, AF_INET6, require_pyroute2
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_rule import desired_rule, matching_rules, plan_rule, text


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            priority=dict(type='int', required=True),
            to=dict(type='str'),
            iif=dict(type='str'),
            oif=dict(type='str'),
            fwmark=dict(type='int'),
            table=dict(type='str'),
            state=dict(_common.STATE_OPTION),
            **{'from': dict(type='str')}
        ),
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module):
        desired = desired_rule(module.params)
        require_pyroute2(module)
        _common.require_existing_netns('netns', desired['netns'])
        family = AF_INET6 if desired['family'] == 6 else AF_INET
        plan, current = reconcile(lambda sessions: sessions(desired['netns']).rules(family),
                                  lambda current: plan_rule(desired, current), module.check_mode)
    _common.exit_with_plan(module, plan, rules=[text(rule) for rule in matching_rules(desired, current)])


if __name__ == '__main__':
    main()

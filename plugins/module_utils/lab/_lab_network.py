# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's network objects in the product's terms. Pure: no Ansible, no kernel.

The switch's bridges, the veths of the router, the controller and the machines, the machines'
default routes and the controller's rule and route are each described as the options of the
product module that manages that kind of object (linux_bridge, veth, route, routing_rule), and
validated by the same functions. The lab engine (_lab) then reads, plans and applies each of them
with the product's planners and executor, as those modules do: the lab has no netlink code of
its own.
"""

from __future__ import annotations

import zlib

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_bridge import desired_bridge
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_route import desired_route
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_rule import desired_rule, kernel_rule, plan_rule, same_selectors
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_veth import desired_veth

BRIDGES = {'lan': 'lan0', 'outside': 'wan0'}
# segment: (the router's port on the segment's bridge, its interface in the router)
ROUTER_PORTS = {'lan': ('router', 'eth0'), 'outside': ('router-out', 'eth1')}
# The controller's port on the LAN bridge (its end in the controller is <name>-ctl).
CONTROLLER_PORT = 'controller'
# The controller's route to the outside segment: a table per lab (derived from its name, so
# labs of different names use different tables) and a rule for the controller's LAN address,
# placed just before the main table's rule (32766).
CONTROLLER_TABLE_BASE = 0x4c460000
CONTROLLER_RULE_PRIORITY = 32000


def controller_table(lab_name):
    """The routing table of a lab's controller route: stable for a name, never a reserved one."""
    return CONTROLLER_TABLE_BASE + zlib.crc32(lab_name.encode('utf-8')) % 0x10000


def machine_netns(init_pid):
    """A machine's network namespace as the host reaches it: through its init."""
    return '/proc/%d/ns/net' % init_pid


class LabNetwork(object):
    """The names of one lab's network objects and their desired state, from a plan of
    _lab_plan.plan_lab (spec)."""

    def __init__(self, spec):
        self.spec = spec
        self.name = spec['name']
        self.switch_netns = '%s-lan' % self.name
        self.router_netns = '%s-router' % self.name
        self.controller_link = '%s-ctl' % self.name
        self.controller_table = controller_table(self.name)

    def _interface_address(self, segment, address):
        """'address/prefixlen' on a segment ('lan' or 'outside')."""
        return '%s/%s' % (address, self.spec[segment]['cidr'].split('/')[1])

    def switch_bridge(self, segment, port=None):
        """A segment's bridge in the switch, up; with `port`, that link enslaved to it (the
        other ports are left as they are)."""
        return desired_bridge({'name': BRIDGES[segment], 'netns': self.switch_netns,
                               'ports': None if port is None else [{'name': port}]})

    def router_port(self, segment):
        """The veth from the segment's bridge into the router, the router's address on its end.

        The switch is the lab's own namespace: a link in the way of one of its ports is a
        leftover of the lab (a machine's port outlives its namespace for a moment) and goes.
        """
        port, inside = ROUTER_PORTS[segment]
        return desired_veth({'name': port, 'netns': self.switch_netns, 'peer': inside, 'peer_netns': self.router_netns,
                             'peer_addresses': [self._interface_address(segment, self.spec[segment]['router'])], 'force': True})

    def controller_veth(self, state='up'):
        """The controller's link into the switch, with the controller's LAN address.

        It lives in the host's namespace: another link of that name is not replaced (no force),
        except by state=absent, which removes what the lab's name points at, as it always did.
        """
        return desired_veth({'name': self.controller_link, 'peer': CONTROLLER_PORT, 'peer_netns': self.switch_netns, 'state': state,
                             'addresses': None if state == 'absent' else [self._interface_address('lan', self.spec['lan']['controller'])],
                             'force': state == 'absent'})

    def machine_port(self, machine, netns):
        """A machine's port on its segment's bridge and its eth0 (with the machine's MAC and
        address) in the machine's namespace `netns`."""
        return desired_veth({'name': machine['name'], 'netns': self.switch_netns, 'peer': 'eth0', 'peer_netns': netns,
                             'peer_mac': machine['mac'], 'peer_addresses': [self._interface_address(machine['segment'], machine['address'])],
                             'force': True})

    def machine_default_route(self, machine, netns):
        """A machine's default route: via the router on its segment."""
        return desired_route({'destination': 'default', 'gateway': self.spec[machine['segment']]['router'], 'device': 'eth0',
                              'netns': netns})

    def controller_route(self):
        """The controller's route to the outside segment, in the lab's table."""
        return desired_route({'destination': self.spec['outside']['cidr'], 'gateway': self.spec['lan']['router'],
                              'device': self.controller_link, 'table': self.controller_table})

    def controller_rule(self):
        """The rule that sends the controller's own packets (from its LAN address) to the lab's table."""
        return desired_rule({'priority': CONTROLLER_RULE_PRIORITY, 'from': '%s/32' % self.spec['lan']['controller'],
                             'table': self.controller_table})

    def plan_controller_rules(self, rules, state='present'):
        """The rules that look up the lab's table made exactly the controller's rule (none for
        state=absent), from the namespace's IPv4 rules (the reader's dicts).

        Rules are not unique in the kernel: a rule of the lab's table for another address (the
        controller's address changed) goes before the wanted one is added.
        """
        wanted = self.controller_rule() if state == 'present' else None
        ours = [rule for rule in rules if rule['table'] == self.controller_table]
        plan = Plan({'rules': []}, {'rules': []})
        for rule in ours:
            stale = kernel_rule(rule)
            if wanted is None or not same_selectors(stale, wanted):
                plan.actions.extend(plan_rule(dict(stale, netns=None, state='absent', family=4), [rule]).actions)
        if wanted is not None:
            plan.actions.extend(plan_rule(wanted, ours).actions)
        return plan

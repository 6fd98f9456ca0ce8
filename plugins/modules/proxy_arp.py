#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: proxy_arp
short_description: Set proxy ARP and related per-interface sysctls, inside a network namespace
version_added: 1.0.0
description:
  - Sets the per-interface sysctls a routed (/32) container endpoint needs on its host-side
    interface, as Calico does - C(proxy_arp), the neighbour C(proxy_delay), C(forwarding),
    C(route_localnet), C(rp_filter) - and IPv6 C(proxy_ndp).
  - Sysctls under C(/proc/sys/net) belong to a network namespace; the module writes them from
    inside O(netns), so a namespace's values are set, not the host's.
  - Only the options given are compared and set; the diff shows each sysctl before and after.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  interface:
    description:
      - Interface whose sysctls are set; it must exist in O(netns).
      - V(all) and V(default) address the kernel's C(all) and C(default) entries instead of one
        interface (C(default) applies to interfaces created later).
    type: str
    required: true
  proxy_arp:
    description: C(net.ipv4.conf.<interface>.proxy_arp) - answer ARP requests for addresses routed elsewhere.
    type: bool
  proxy_delay:
    description:
      - C(net.ipv4.neigh.<interface>.proxy_delay) in jiffies (1/100 s on most kernels).
      - 0 answers proxy ARP requests at once instead of after a random delay of up to 0.8 s.
    type: int
  forwarding:
    description: C(net.ipv4.conf.<interface>.forwarding).
    type: bool
  route_localnet:
    description: C(net.ipv4.conf.<interface>.route_localnet) - allow routing of 127.0.0.0/8 addresses (DNAT to localhost).
    type: bool
  rp_filter:
    description:
      - C(net.ipv4.conf.<interface>.rp_filter) - reverse path filtering.
      - V(off) (0), V(strict) (1) or V(loose) (2); the numbers are accepted too. The kernel uses
        the larger of the interface's and C(all)'s value.
    type: str
  proxy_ndp:
    description: C(net.ipv6.conf.<interface>.proxy_ndp) - the IPv6 counterpart of proxy ARP.
    type: bool
extends_documentation_fragment:
  - linuxnet.fabric.common
  - linuxnet.fabric.common.attributes
notes:
  - To undo a change, run the module again with the previous values; the diff and the returned
    C(before) show them.
seealso:
  - module: linuxnet.fabric.endpoints
    description: Sets these sysctls on the host veths of routed endpoints by itself.
'''

EXAMPLES = r'''
- name: Host side of a routed /32 container endpoint, Calico-style
  linuxnet.fabric.proxy_arp:
    interface: cali0a1b2c3
    proxy_arp: true
    proxy_delay: 0
    forwarding: true
    route_localnet: true

- name: Loose reverse path filtering inside a namespace
  linuxnet.fabric.proxy_arp:
    netns: router
    interface: all
    rp_filter: loose
'''

RETURN = r'''
sysctls:
  description: The sysctls the module manages, with their values after the run (in check mode, as they are now).
  returned: always
  type: dict
  sample: {net.ipv4.conf.cali0a1b2c3.proxy_arp: 1, net.ipv4.neigh.cali0a1b2c3.proxy_delay: 0}
before:
  description: The same sysctls with the values they had before the run.
  returned: always
  type: dict
  sample: {net.ipv4.conf.cali0a1b2c3.proxy_arp: 0, net.ipv4.neigh.cali0a1b2c3.proxy_delay: 80}
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["set sysctl net.ipv4.conf.cali0a1b2c3.proxy_arp (netns=None, value=1)"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._executor import reconcile
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_sysctl import (
    SPECIAL_INTERFACES,
    desired_sysctls,
    dotted,
    plan_sysctls,
    sysctl_key,
)
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._sysctl import Sysctls


def read_sysctls(sysctls, interface, desired):
    """{option: current value string (None when the sysctl does not exist)}."""
    keys = dict((option, sysctl_key(option, interface)) for option in desired)
    values = sysctls.read(keys.values())
    return dict((option, values[key]) for option, key in keys.items())


def by_sysctl_name(interface, values):
    """{dotted sysctl name: int value} as returned to the user."""
    return dict((dotted(sysctl_key(option, interface)), int(value)) for option, value in values.items())


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            interface=dict(type='str', required=True),
            proxy_arp=dict(type='bool'),
            proxy_delay=dict(type='int'),
            forwarding=dict(type='bool'),
            route_localnet=dict(type='bool'),
            rp_filter=dict(type='str'),
            proxy_ndp=dict(type='bool'),
        ),
        supports_check_mode=True,
    )
    params = dict(module.params)
    if params['rp_filter'] is not None and params['rp_filter'].isdigit():
        params['rp_filter'] = int(params['rp_filter'])
    interface, netns = params['interface'], params['netns']
    with _common.failing_on_errors(module):
        desired = desired_sysctls(params)
        _common.check_netns_option(netns)
        _common.require_existing_netns('netns', netns)
        sysctls = Sysctls(netns)
        if interface not in SPECIAL_INTERFACES and not sysctls.exists(('net', 'ipv4', 'conf', interface)):
            raise OptionError('interface', "'%s' does not exist%s" % (interface, sysctls.where()))
        plan, current = reconcile(lambda sessions: read_sysctls(sysctls, interface, desired),
                                  lambda current: plan_sysctls(interface, netns, desired, current), module.check_mode)
    _common.exit_with_plan(module, plan, sysctls=by_sysctl_name(interface, current), before=plan.before)


if __name__ == '__main__':
    main()

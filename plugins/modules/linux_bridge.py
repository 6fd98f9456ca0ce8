#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: linux_bridge
short_description: Manage Linux bridges and their ports
version_added: 1.0.0
description:
  - Creates, updates or deletes a Linux bridge, its addresses, MTU, STP and VLAN filtering, and
    enslaves the listed ports (with per-port hairpin mode).
  - With O(purge_ports=true), ports of the bridge that are not listed are detached; otherwise
    they are left alone.
  - A device of the same name that is not a bridge is an error ("exists but is not a bridge");
    it is never replaced.
  - O(state=absent) refuses to delete a bridge that still has ports not listed in O(ports),
    unless O(force=true).
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  name:
    description: Name of the bridge (at most 15 bytes).
    type: str
    required: true
  addresses:
    description:
      - Addresses of the bridge in CIDR notation (IPv4 and IPv6), typically the gateway address of
        the containers attached to it, for example C(172.19.1.1/24).
      - When set, the bridge has exactly these addresses (the kernel's IPv6 link-local address is
        kept); an empty list removes them all. Unset leaves the addresses alone.
    type: list
    elements: str
  mtu:
    description:
      - MTU of the bridge. Unset lets the kernel follow its ports (the smallest port MTU).
    type: int
  mac:
    description: MAC address of the bridge. Unset keeps the current one.
    type: str
  stp:
    description: Enable or disable the spanning tree protocol. Unset leaves it as it is (off for a new bridge).
    type: bool
  vlan_filtering:
    description:
      - Enable or disable VLAN filtering. Unset leaves it as it is (off for a new bridge).
      - Needs a kernel built with C(CONFIG_BRIDGE_VLAN_FILTERING); otherwise the module fails
        with "not supported by this kernel" before changing anything else.
    type: bool
  ports:
    description:
      - Interfaces to enslave to the bridge. Each must exist in the same namespace. A port of
        another bridge is moved to this one.
      - For O(state=absent), the ports the caller knows about; any other port blocks deletion
        unless O(force=true).
    type: list
    elements: dict
    suboptions:
      name:
        description: Interface name.
        type: str
        required: true
      hairpin:
        description:
          - Hairpin mode, which lets frames leave through the port they came in (needed for a
            container to reach itself through a published port on the bridge).
          - Unset leaves it as it is (off for a newly enslaved port).
        type: bool
  purge_ports:
    description: Detach ports of the bridge that are not listed in O(ports).
    type: bool
    default: false
  force:
    description: With O(state=absent), delete the bridge even if it has ports not listed in O(ports).
    type: bool
    default: false
extends_documentation_fragment:
  - linuxnet.fabric.common
  - linuxnet.fabric.common.pyroute2
  - linuxnet.fabric.common.state
  - linuxnet.fabric.common.attributes
seealso:
  - module: linuxnet.fabric.veth
  - module: linuxnet.fabric.endpoints
'''

EXAMPLES = r'''
- name: A container gateway bridge
  linuxnet.fabric.linux_bridge:
    name: cbr0
    addresses: [172.19.1.1/24]
    mtu: 1450

- name: Enslave host ends of veth pairs, hairpin on for published ports
  linuxnet.fabric.linux_bridge:
    name: cbr0
    ports:
      - name: vethweb1
        hairpin: true
      - name: vethdb1

- name: Keep exactly these ports
  linuxnet.fabric.linux_bridge:
    name: cbr0
    ports:
      - name: vethweb1
    purge_ports: true

- name: Delete it, whatever is still attached
  linuxnet.fabric.linux_bridge:
    name: cbr0
    state: absent
    force: true
'''

RETURN = r'''
bridge:
  description: The bridge as read back from the kernel after the change (in check mode, as it is now).
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the bridge exists.
      type: bool
      sample: true
    state:
      description: C(up) or C(down).
      type: str
      sample: up
    mtu:
      description: MTU.
      type: int
      sample: 1500
    mac:
      description: MAC address.
      type: str
      sample: "6e:7b:2a:1c:00:01"
    addresses:
      description: Addresses in CIDR notation, without the kernel's IPv6 link-local one.
      type: list
      elements: str
      sample: [172.19.1.1/24]
    stp:
      description: Whether STP is on.
      type: bool
      sample: false
    vlan_filtering:
      description: Whether VLAN filtering is on.
      type: bool
      sample: false
    ports:
      description: Ports of the bridge, with their hairpin mode.
      type: dict
      sample: {vethweb1: {hairpin: true}}
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["create bridge cbr0 (mac=None, mtu=None, netns=None, stp=None, vlan_filtering=None)", "set link cbr0 (netns=None, state=up)"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._executor import reconcile
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import require_pyroute2
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_bridge import bridge_view, desired_bridge, plan_bridge
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._readers import read_bridge


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            name=dict(type='str', required=True),
            state=dict(_common.STATE_OPTION),
            addresses=dict(type='list', elements='str'),
            mtu=dict(type='int'),
            mac=dict(type='str'),
            stp=dict(type='bool'),
            vlan_filtering=dict(type='bool'),
            ports=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True),
                hairpin=dict(type='bool'),
            )),
            purge_ports=dict(type='bool', default=False),
            force=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module):
        desired = desired_bridge(module.params)
        require_pyroute2(module)
        _common.require_existing_netns('netns', desired['netns'])
        plan, current = reconcile(lambda sessions: read_bridge(sessions(desired['netns']), desired),
                                  lambda current: plan_bridge(desired, current), module.check_mode)
    _common.exit_with_plan(module, plan, bridge=bridge_view(current['bridge'], current['addresses'], current['ports']))


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: veth
short_description: Manage veth pairs, each end in its own network namespace
version_added: 1.0.0
description:
  - Creates, updates or deletes a veth pair O(name) / O(peer). The peer is created directly in
    O(peer_netns), never moved there afterwards.
  - Sets the MTU (both ends), the MAC of each end, the addresses of each end (IPv4 and IPv6) and
    the link state of both ends.
  - An existing O(name) that is not a veth, or a veth whose peer has another name or lives in
    another namespace, or an unrelated O(peer) in the way, is an error that names the
    difference; O(force=true) deletes what is in the way and creates the pair.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  name:
    description: Name of the first end (at most 15 bytes), in O(netns).
    type: str
    required: true
  peer:
    description: Name of the other end (at most 15 bytes), in O(peer_netns).
    type: str
    required: true
  peer_netns:
    description:
      - Network namespace of the other end (a name under C(/run/netns) or an absolute path).
      - When omitted, the other end is in the node's own namespace.
    type: str
  state:
    description:
      - V(up) or V(down) create the pair if needed and set both ends to that state.
      - V(absent) deletes the pair (deleting one end deletes both).
    type: str
    choices: [up, down, absent]
    default: up
  mtu:
    description: MTU of both ends. Unset keeps the current MTU (1500 for a new pair).
    type: int
  mac:
    description: MAC address of O(name). Unset keeps the current one (random for a new pair).
    type: str
  peer_mac:
    description: MAC address of O(peer).
    type: str
  addresses:
    description:
      - Addresses of O(name) in CIDR notation, for example C(10.0.0.1/24) or C(fd00::1/64).
      - When set, the end has exactly these addresses (the kernel's IPv6 link-local address is
        kept); an empty list removes them all. Unset leaves the addresses alone.
    type: list
    elements: str
  peer_addresses:
    description: Addresses of O(peer), with the same semantics as O(addresses).
    type: list
    elements: str
  force:
    description:
      - Delete an existing O(name) or O(peer) that does not match (another kind, another peer,
        another namespace) and create the pair as requested.
    type: bool
    default: false
extends_documentation_fragment:
  - linuxnet.fabric.common
  - linuxnet.fabric.common.pyroute2
  - linuxnet.fabric.common.attributes
seealso:
  - module: linuxnet.fabric.netns
  - module: linuxnet.fabric.endpoints
    description: Many container endpoints (netns + veth + addresses + routes) in one call.
'''

EXAMPLES = r'''
- name: A container end in namespace web1, the host end in the node namespace
  linuxnet.fabric.veth:
    name: vethweb1
    peer: eth0
    peer_netns: web1
    mtu: 1450
    peer_addresses: [172.19.1.10/24]

- name: Both ends in namespaces
  linuxnet.fabric.veth:
    name: left
    netns: ns-a
    peer: right
    peer_netns: ns-b
    addresses: [10.0.0.1/30, fd00::1/64]
    peer_addresses: [10.0.0.2/30, fd00::2/64]

- name: Remove the pair
  linuxnet.fabric.veth:
    name: vethweb1
    peer: eth0
    peer_netns: web1
    state: absent
'''

RETURN = r'''
veth:
  description:
    - Both ends as read back from the kernel after the change (in check mode, as they are now).
  returned: always
  type: dict
  contains:
    name:
      description: The first end; C(exists) is false when it does not exist.
      type: dict
      sample: {exists: true, kind: veth, state: up, mtu: 1450, mac: "02:42:ac:13:01:0a", addresses: []}
    peer:
      description: The other end.
      type: dict
      sample: {exists: true, kind: veth, state: up, mtu: 1450, mac: "8e:1f:6a:00:12:01", addresses: [172.19.1.10/24]}
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["create veth vethweb1 (mtu=1450, netns=None, peer=eth0, peer_netns=web1)", "add address 172.19.1.10/24 (link=eth0, netns=web1)"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._executor import reconcile
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import require_pyroute2
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._readers import read_veth_pair
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_link import link_view
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_veth import desired_veth, plan_veth


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            name=dict(type='str', required=True),
            peer=dict(type='str', required=True),
            peer_netns=dict(type='str'),
            state=dict(type='str', default='up', choices=['up', 'down', 'absent']),
            mtu=dict(type='int'),
            mac=dict(type='str'),
            peer_mac=dict(type='str'),
            addresses=dict(type='list', elements='str'),
            peer_addresses=dict(type='list', elements='str'),
            force=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module):
        desired = desired_veth(module.params)
        require_pyroute2(module)
        _common.require_existing_netns('netns', desired['netns'])
        _common.require_existing_netns('peer_netns', desired['peer_netns'])
        plan, current = reconcile(lambda sessions: read_veth_pair(sessions, desired),
                                  lambda current: plan_veth(desired, current), module.check_mode)
    _common.exit_with_plan(module, plan, veth={
        'name': link_view(current['end'], current['end_addresses']),
        'peer': link_view(current['peer_end'], current['peer_addresses']),
    })


if __name__ == '__main__':
    main()

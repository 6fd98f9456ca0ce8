#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vxlan
short_description: Manage a flannel-style VXLAN device and the entries that reach its peers
version_added: 1.0.0
description:
  - Creates, updates or deletes a VXLAN device the way flannel's VXLAN backend sets it up,
    by default C(flannel.<vni>) on UDP port 8472 with learning off, the MTU of the underlay minus
    50, the node subnet's network address as a /32 on the device, and a stable VTEP MAC.
  - For each peer in O(peers), in this order, it programs a permanent neighbour entry (the peer
    subnet's network address -> the peer's VTEP MAC), an FDB entry (the VTEP MAC -> the peer's
    public IP, C(self permanent)) and a route (the peer subnet via its network address, on the
    device, C(onlink)), each replaced when it differs.
  - The device is brought up. Its VNI, UDP port, local address and underlay cannot be changed on
    an existing device; a difference is an error naming the option, unless O(force=true), which
    deletes the device and creates it anew. An existing interface of another kind with the same
    name is an error too, unless O(force=true).
  - Returns the device's MAC, the VTEP MAC other nodes need for their peer entries.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  name:
    description: Name of the device (at most 15 bytes). Defaults to C(flannel.<vni>).
    type: str
  vni:
    description: The VXLAN network identifier, 1..16777215.
    type: int
    default: 1
  port:
    description: The UDP port of the VXLAN traffic, 1..65535. 8472 is the Linux kernel's and flannel's default (IANA's is 4789).
    type: int
    default: 8472
  local:
    description:
      - This node's VTEP address (flannel's PublicIP), the IPv4 source address of the VXLAN
        traffic. Required with O(state=present).
    type: str
  underlay:
    description:
      - The interface the VXLAN traffic leaves through (C(ip link add ... dev)).
      - When unset, a new device uses the interface that holds O(local), if any; an existing
        device keeps its underlay.
    type: str
  learning:
    description: Whether the device learns remote MAC addresses from incoming traffic (flannel turns it off).
    type: bool
    default: false
  mtu:
    description:
      - MTU of the device. Defaults to the underlay's MTU minus 50 (the VXLAN, UDP, IPv4 and
        inner Ethernet headers), the largest the kernel allows.
      - Required when there is no underlay (no O(underlay) and no interface holding O(local)).
    type: int
  mac:
    description:
      - The VTEP MAC of the device.
      - When unset, an existing device keeps its MAC, and a new device gets a locally
        administered MAC derived from O(vni) and O(local), so deleting and re-creating the
        device (after a reboot, say) gives it the same MAC again.
    type: str
  subnet:
    description:
      - This node's subnet (its flannel lease), for example C(10.5.52.0/24). Unless O(address)
        is given, the device gets the subnet's network address as a /32, as with flannel.
      - Peer subnets must not overlap it.
    type: str
  address:
    description:
      - The device's address in CIDR notation, for example C(10.5.52.0/32); it must lie in
        O(subnet) when that is given.
      - When set (directly or through O(subnet)), the device has exactly this address (the
        kernel's IPv6 link-local address is kept). Unset leaves its addresses alone.
    type: str
  peers:
    description:
      - The other nodes of the overlay. Their neighbour entries, FDB entries and routes are
        programmed on the device; unset leaves all such entries alone.
      - Public IPs, VTEP MACs and subnets must be unique among peers, and subnets must not
        overlap.
    type: list
    elements: dict
    suboptions:
      public_ip:
        description: The peer's VTEP address (its O(local)), IPv4.
        type: str
        required: true
      vtep_mac:
        description: The peer's VTEP MAC (the RV(vtep_mac) its vxlan task returned).
        type: str
        required: true
      subnet:
        description: The peer's subnet, for example C(10.5.53.0/24).
        type: str
        required: true
  purge_peers:
    description:
      - Also delete the entries on the device that belong to no listed peer - permanent IPv4
        neighbour entries, permanent unicast FDB entries, and routes in the main table through
        the device that the kernel did not make itself - so a node that left the overlay is no
        longer reachable. Entries on other interfaces are never touched.
      - Needs O(peers).
    type: bool
    default: false
  tx_checksum_offload:
    description:
      - Whether the device offloads TX checksums (C(ethtool -K <device> tx on|off)). V(false) is
        flannel's workaround for kernels that corrupt the checksums of VXLAN traffic; set here, it
        is applied on every run, so a device made again (after a reboot) gets it too.
      - Unset leaves the setting alone.
    type: bool
  force:
    description:
      - Delete an existing interface with the same name that is not a vxlan, or a vxlan whose
        VNI, port, local address or underlay differ, and create the device as requested.
      - With O(state=absent), delete an interface of another kind with that name too.
    type: bool
    default: false
extends_documentation_fragment:
  - linuxnet.fabric.common
  - linuxnet.fabric.common.pyroute2
  - linuxnet.fabric.common.state
  - linuxnet.fabric.common.attributes
notes:
  - VXLAN over IPv4 only (O(local) and the peers' public IPs are IPv4 addresses).
  - State V(absent) deletes the device; its neighbour entries, FDB entries and routes go with it.
  - The kernel allows one VXLAN device per VNI and UDP port in a namespace; a second one is an
    error naming O(vni).
seealso:
  - module: linuxnet.fabric.route
  - name: flannel VXLAN backend
    description: The design this module follows.
    link: https://github.com/flannel-io/flannel/blob/master/Documentation/backends.md#vxlan
'''

EXAMPLES = r'''
- name: The overlay device of node1 (lease 10.5.52.0/24), with node2 and node3 as peers
  linuxnet.fabric.vxlan:
    local: 10.88.0.11
    subnet: 10.5.52.0/24
    peers:
      - {public_ip: 10.88.0.12, vtep_mac: "0a:5c:1e:8b:22:01", subnet: 10.5.53.0/24}
      - {public_ip: 10.88.0.13, vtep_mac: "3e:91:07:4d:aa:10", subnet: 10.5.54.0/24}
    purge_peers: true
  register: overlay

- name: The VTEP MAC to publish in this node's lease
  ansible.builtin.debug:
    msg: "{{ overlay.vtep_mac }}"

- name: VNI 7 on the IANA port through a given interface, in a namespace
  linuxnet.fabric.vxlan:
    netns: node-a
    vni: 7
    port: 4789
    local: 10.99.0.1
    underlay: eth0
    mtu: 1400
    address: 10.7.1.0/32

- name: Remove the device (and with it every entry on it)
  linuxnet.fabric.vxlan:
    vni: 1
    state: absent
'''

RETURN = r'''
vtep_mac:
  description:
    - The device's MAC address, which the peers need as this node's VTEP MAC.
    - In check mode, the MAC the device has or would get. Null with O(state=absent).
  returned: always
  type: str
  sample: "0a:5c:1e:8b:22:01"
vxlan:
  description:
    - The device and its entries as read back from the kernel after the change (in check mode,
      as they are now).
  returned: always
  type: dict
  contains:
    device:
      description:
        - The device as C(ip -d addr show) describes it; C(exists) is false when it does not
          exist. VXLAN settings (C(vni), C(port), C(local), C(underlay), C(learning)) are
          present for a vxlan device.
      type: dict
      sample:
        exists: true
        kind: vxlan
        state: up
        mtu: 1450
        mac: "0a:5c:1e:8b:22:01"
        addresses: [10.5.52.0/32]
        vni: 1
        port: 8472
        local: 10.88.0.11
        underlay: eth0
        learning: false
        tx_checksum_offload: true
    neighbours:
      description: The permanent IPv4 neighbour entries of the device, as C(ip neigh show dev) prints them.
      type: list
      elements: str
      sample: ["10.5.53.0 lladdr 0a:5c:1e:8b:22:01 PERMANENT"]
    fdb:
      description: The permanent unicast FDB entries of the device, as C(bridge fdb show dev) prints them.
      type: list
      elements: str
      sample: ["0a:5c:1e:8b:22:01 dst 10.88.0.12 self permanent"]
    routes:
      description: The main-table IPv4 routes through the device, not counting the kernel's own, as C(ip route) prints them.
      type: list
      elements: str
      sample: ["10.5.53.0/24 via 10.5.53.0 dev flannel.1 onlink"]
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample:
    - "create vxlan flannel.1 (learning=False, local=10.88.0.11, mac=0a:5c:1e:8b:22:01, mtu=1450, netns=None, port=8472, underlay=eth0, vni=1)"
    - "add address 10.5.52.0/32 (link=flannel.1, netns=None)"
    - "set link flannel.1 (netns=None, state=up)"
    - "replace neighbour 10.5.53.0 (link=flannel.1, mac=3e:91:07:4d:aa:10, netns=None)"
    - "replace fdb 3e:91:07:4d:aa:10 (dst=10.88.0.12, link=flannel.1, netns=None)"
    - "replace route 10.5.53.0/24 (device=flannel.1, gateway=10.5.53.0, netns=None, onlink=True)"
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._ethtool import tx_checksum
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._executor import reconcile
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import AF_INET, require_pyroute2
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_vxlan import Observed, desired_vxlan, plan_vxlan


def read_vxlan(session, name, offload):
    """Links, addresses and IPv4 routes of the namespace, the entries on the device `name` and,
    when `offload`, its TX checksum offload."""
    links = session.links()
    device = links.get(name)
    return {
        'links': links,
        'addresses': session.addresses(),
        'routes': session.routes(family=AF_INET),
        'neighbours': session.neighbours(device['index']) if device else [],
        'fdb': session.fdb_entries(device['index']) if device else [],
        'tx_checksum': tx_checksum(session.netns, name) if device and offload else None,
    }


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            name=dict(type='str'),
            vni=dict(type='int', default=1),
            port=dict(type='int', default=8472),
            local=dict(type='str'),
            underlay=dict(type='str'),
            learning=dict(type='bool', default=False),
            mtu=dict(type='int'),
            mac=dict(type='str'),
            subnet=dict(type='str'),
            address=dict(type='str'),
            peers=dict(type='list', elements='dict', options=dict(
                public_ip=dict(type='str', required=True),
                vtep_mac=dict(type='str', required=True),
                subnet=dict(type='str', required=True),
            )),
            purge_peers=dict(type='bool', default=False),
            tx_checksum_offload=dict(type='bool'),
            force=dict(type='bool', default=False),
            state=dict(_common.STATE_OPTION),
        ),
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module):
        desired = desired_vxlan(module.params)
        require_pyroute2(module)
        _common.require_existing_netns('netns', desired['netns'])
        offload = desired['tx_checksum_offload'] is not None
        plan, current = reconcile(lambda sessions: read_vxlan(sessions(desired['netns']), desired['name'], offload),
                                  lambda current: plan_vxlan(desired, current), module.check_mode)
    state = Observed(desired['name'], current).view()
    # In check mode nothing was created: report the MAC the device would get.
    predicted = plan.after if module.check_mode else state
    _common.exit_with_plan(module, plan, vtep_mac=predicted['device'].get('mac') if desired['state'] == 'present' else None,
                           vxlan=state)


if __name__ == '__main__':
    main()

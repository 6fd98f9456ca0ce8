#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: fabric_node
short_description: Apply a node's part of a bridge_nat, routed or overlay fabric in one run
version_added: 1.0.0
description:
  - Builds (or removes) everything one node holds of a fabric, from the node's entry of the
    M(linuxnet.fabric.fabric_plan) filter, in one module run with one read and one plan of all
    of it. Each object is planned exactly as its own module plans it - M(linuxnet.fabric.linux_bridge),
    M(linuxnet.fabric.endpoints), M(linuxnet.fabric.nat_rule), M(linuxnet.fabric.routes),
    M(linuxnet.fabric.routing_rule), M(linuxnet.fabric.vxlan) - and everything is validated and
    planned before the first change.
  - V(bridge_nat) - the bridge with the node address, the endpoints on it with their published
    ports, MASQUERADE of the node subnet for traffic leaving the cluster, routes to the other
    nodes' subnets.
  - V(routed) - routed /32 endpoints, routes to the other nodes' subnets; on the nodes, policy
    rules and a table that send the containers' outside traffic to the gateway node; on the
    gateway, the MASQUERADE of the cluster.
  - V(overlay) - the bridge with the first address of the node's lease and the endpoints on it,
    as with V(bridge_nat); the vxlan device (C(plan.overlay.device)) with the lease's network
    address as a /32 and the lease's VTEP MAC, TX checksum offload as planned; per peer, a
    permanent neighbour entry and an FDB entry on it, then a route to the peer's subnet (via the
    peer's network address on the device, onlink; with DirectRouting, via the peer's underlay
    address), entries of peers that left removed; flannel's ip-masq when C(plan.overlay.ip_masq)
    (MASQUERADE of the node subnet leaving the cluster, and of other sources into the overlay)
    and forward accepts of the cluster CIDR in both directions (flannel's FLANNEL-FWD), so a
    FORWARD policy DROP does not cut the overlay.
  - The roles C(linuxnet.fabric.bridge_nat), C(linuxnet.fabric.routed) and C(linuxnet.fabric.overlay) call it once per node,
    because a module run costs a node more than planning a hundred endpoints, so one run is what keeps a
    no-change C(site.yml) about as fast as a hand-written script.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  mode:
    description: The fabric.
    type: str
    required: true
    choices: [bridge_nat, routed, overlay]
  state:
    description: V(present) builds the node's part; V(absent) removes everything O(owner) made for it.
    type: str
    choices: [present, absent]
    default: present
  plan:
    description:
      - This node's entry of the M(linuxnet.fabric.fabric_plan) filter (C(__fabric_plan[inventory_hostname])).
        Its keys and their types are described in the collection's C(docs/plan.md); it is checked
        before anything changes, and an error names the key (C(plan.overlay.mtu)).
      - The plan carries the version of its structure (C(version)). A plan of a version this
        collection does not understand (computed by another version of linuxnet.fabric) is
        refused; a plan without one is read as version 1.
      - With O(state=absent), only C(cluster_cidr) is needed (routed, to find the policy rules),
        and C(overlay.device) (overlay, to find the vxlan device).
    type: dict
    required: true
  owner:
    description: Ownership label of the endpoints, NAT rules and routes.
    type: str
    required: true
  bridge:
    description: Name of the node bridge (bridge_nat).
    type: str
    default: fabric0
  bridge_mac:
    description: MAC address of the bridge; a fixed one keeps it from following its ports.
    type: str
  mtu:
    description: MTU of the bridge and of the endpoints' veths; unset keeps the kernel's.
    type: int
  nat_backend:
    description:
      - Netfilter backend of the NAT rules (see M(linuxnet.fabric.nat_rule)).
      - The forward accepts (O(forward_accept)) go to O(forward_backend).
    type: str
    choices: [nftables, iptables]
    default: nftables
  forward_backend:
    description:
      - Netfilter backend of the forward accepts (O(forward_accept)).
      - An accept only overcomes a drop of its own backend. Docker sets the FORWARD policy of
        iptables to DROP, so the default is V(iptables) whatever O(nat_backend) is; their chain
        C(LINUXNET-FORWARD) in the table C(filter) is entered from C(FORWARD). Docker never
        flushes C(FORWARD) or chains it does not own, so they survive a restart of dockerd (it
        re-inserts its own jumps above them; they accept only what Docker's rules let through
        to the policy). The C(iptables) command is the one Docker uses too (the Debian
        alternative, iptables-nft by default), so both write to the same variant.
      - With V(nftables) they live in the collection's own table, where they cannot overrule a drop
        in another table (flannel's nftables mode has the same limit).
      - On a host whose iptables has no C(filter) table yet, iptables-nft creates it (with an empty
        C(FORWARD) chain) and leaves it when the rules go.
    type: str
    choices: [nftables, iptables]
    default: iptables
  forward_accept:
    description:
      - Accept the cluster CIDR in C(FORWARD), as source and as destination (flannel's
        C(FLANNEL-FWD)), so that a FORWARD policy DROP (Docker sets one) does not cut the
        containers' traffic to other nodes, to the outside, or their published ports. On the
        routed gateway, also node-to-node traffic back out on the underlay (replies of published
        ports take the policy route through the gateway).
      - V(auto) accepts where something can drop in iptables' C(FORWARD) (with O(forward_backend=iptables)),
        that is where its C(filter) table exists (a firewall's, or Docker's, made when dockerd
        starts). Elsewhere nothing drops there, and no C(filter) table is made for the accepts
        alone. A dockerd started later is seen by the next run.
      - V(always) accepts in any case; V(never) removes the fabric's accepts.
    type: str
    choices: [auto, always, never]
    default: auto
  route_protocol:
    description: Routing protocol number that marks the node's fabric routes (see M(linuxnet.fabric.routes)).
    type: int
    default: 76
  table:
    description: Routing table of the containers' outside traffic (routed).
    type: int
    default: 76
  rule_priority:
    description: Priority of the first policy rule (routed); the second uses the next number.
    type: int
    default: 31000
  subnet_env:
    description:
      - Overlay - where to write flanneld's subnet.env (C(plan.subnet_env), byte for byte what
        flanneld writes), for tools that read it; written when its content differs, mode 0644,
        its directory made when missing. With O(state=absent) the file goes, and its directory
        when nothing else is left in it.
      - Unset keeps no such file.
    type: path
  record:
    description:
      - The node's record of its part of the fabric (JSON), kept on the node's disk so it survives
        a reboot and is the same for every controller. Written last, once the part is built; removed
        with it.
      - M(linuxnet.fabric.fabric_facts) reads it, and M(linuxnet.fabric.fabric_plan) keeps every
        endpoint's recorded address, so an address once given stays until the endpoint is removed
        (across reboots, reorderings, nodes joining and leaving, another controller).
      - When it records a part of another O(mode) or O(owner), or one whose objects have other
        names (O(bridge), O(nat_backend), O(forward_backend), O(route_protocol), O(table),
        O(rule_priority)), that part is removed first, from the recorded options
        (not from the inventory), then this one is built (other options, such as O(mtu), change in
        place); with O(state=absent) the
        recorded part is removed whatever O(mode) says. With O(state=absent) and an empty O(plan),
        the module removes what the record says, with the recorded options, and nothing when
        there is no record. So switching
        C(fabric_mode) and teardown leave nothing of the old fabric behind.
      - The boot-time restore (C(linuxnet-fabric-restore), see docs/fabrics.md) applies it again.
      - An empty string keeps no record (and no boot-time restore).
    type: path
    default: /var/lib/linuxnet-fabric/node.json
  boot_restore:
    description:
      - Whether the node rebuilds its part of the fabric at boot, without the controller. With
        V(true) (and a O(record)) the module leaves on the node a copy of the collection's
        C(module_utils) (the code it runs with) under C(/var/lib/linuxnet-fabric/lib), the command
        C(/var/lib/linuxnet-fabric/bin/linuxnet-fabric-restore), which applies the record with it, and an init
        script (C(/etc/init.d/linuxnet-fabric)) and a systemd unit (C(linuxnet-fabric.service))
        that run it at boot, enabled for both init systems. Removed with the part, or with V(false).
      - Endpoints made of Docker containers are left to the next run (Docker makes their
        namespaces anew when it restarts them).
    type: bool
    default: true
  boot_root:
    description:
      - Directory the boot-time restore's files are written under instead of C(/) (tests).
    type: path
    default: /
extends_documentation_fragment:
  - linuxnet.fabric.common.pyroute2
  - linuxnet.fabric.common.attributes
  - linuxnet.fabric.common.lock
notes:
  - Acts in the node's own network namespace. Must run as root.
seealso:
  - module: linuxnet.fabric.fabric_facts
  - module: linuxnet.fabric.endpoints
'''

EXAMPLES = r'''
- name: This node's part of the bridge + NAT fabric
  linuxnet.fabric.fabric_node:
    mode: bridge_nat
    plan: "{{ __fabric_plan[inventory_hostname] }}"
    owner: bridge_nat
    bridge: fabric0

- name: This node's part of the overlay, with the MTU of the overlay on the bridge and the endpoints
  linuxnet.fabric.fabric_node:
    mode: overlay
    plan: "{{ __fabric_plan[inventory_hostname] }}"
    owner: overlay
    mtu: "{{ __fabric_plan[inventory_hostname].overlay.mtu }}"
'''

RETURN = r'''
endpoints:
  description: The node's endpoints as read back from the kernel (see M(linuxnet.fabric.endpoints)).
  returned: always
  type: list
  elements: dict
  sample: [{name: web1, netns: web1, host_interface: lf1c2d3e4f5a6b7, mode: bridge, exists: true, addresses: [172.19.11.2/24]}]
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["create bridge fabric0 (mac=02:5e:11:a0:3c:7d, mtu=None, netns=None, stp=None, vlan_filtering=None)"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._fabric_node import run_node
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._node_record import RECORD_PATH
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import require_pyroute2


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mode=dict(type='str', required=True, choices=['bridge_nat', 'routed', 'overlay']),
            state=dict(_common.STATE_OPTION),
            plan=dict(type='dict', required=True),
            owner=dict(type='str', required=True),
            bridge=dict(type='str', default='fabric0'),
            bridge_mac=dict(type='str'),
            mtu=dict(type='int'),
            nat_backend=dict(type='str', default='nftables', choices=['nftables', 'iptables']),
            forward_backend=dict(type='str', default='iptables', choices=['nftables', 'iptables']),
            forward_accept=dict(type='str', default='auto', choices=['auto', 'always', 'never']),
            route_protocol=dict(type='int', default=76),
            table=dict(type='int', default=76),
            rule_priority=dict(type='int', default=31000),
            subnet_env=dict(type='path'),
            record=dict(type='path', default=RECORD_PATH),
            boot_restore=dict(type='bool', default=True),
            boot_root=dict(type='path', default='/'),
            lock_timeout=dict(_common.LOCK_TIMEOUT_OPTION),
        ),
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module), _common.node_lock(module, 'linuxnet.fabric.fabric_node'):
        # pyroute2 is loaded only to change something: a run with nothing to do reads through the
        # standard library (_rtnl_dump), which is most of what keeps a no-change site.yml fast.
        require_pyroute2(module, load=False)
        result = run_node(module.params, module.run_command, module.check_mode, record_path=module.params['record'] or None)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

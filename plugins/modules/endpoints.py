#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: endpoints
short_description: Reconcile many container network endpoints on a node in one call
version_added: 1.0.0
description:
  - The batch path of the collection. For every listed endpoint it makes sure of the container's
    network namespace, a veth pair (host end in the node namespace, container end inside), the
    container's address and routes, and its published ports, reading and changing the kernel
    from one process instead of forking a command per object.
  - V(bridge) endpoints have their host end on O(bridge) and a default route via the bridge
    address (or O(gateway)).
  - V(routed) endpoints get a /32, a link route to 169.254.1.1 and a default route via it;
    their host end answers ARP by proxy (proxy_arp, proxy_delay 0, forwarding, route_localnet)
    and the node gets a /32 host route to the container, as Calico does.
  - Endpoints are owned through the alias of their host end, which records the O(owner), the
    endpoint name, its namespace and whether this module created that namespace. O(purge=true)
    removes the endpoints of the same owner that are not listed, and nothing else; a namespace
    that existed before its endpoint is never deleted.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  endpoints:
    description: The endpoints.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Endpoint name, unique per owner (letters, digits, C(_), C(.), C(-)).
        type: str
        required: true
      netns:
        description: The container's network namespace under C(/run/netns); created when missing. Default O(endpoints[].name).
        type: str
      interface:
        description: Interface name inside the container.
        type: str
        default: eth0
      host_interface:
        description:
          - Name of the host end. Default a stable name derived from the namespace and
            interface (O(host_interface_prefix) plus a hash), at most 15 bytes.
        type: str
      address:
        description:
          - The container's IPv4 address, for example C(172.19.1.10/24) (bridge) or C(10.20.1.5) (routed, always /32).
          - Required with O(state=present).
        type: str
      mode:
        description: V(bridge) or V(routed). Default O(mode).
        type: str
        choices: [bridge, routed]
      mtu:
        description: MTU of both veth ends. Default O(mtu).
        type: int
      publish:
        description:
          - Published ports, Docker style C([host_address:]host_port[-end]:container_port[-end][/protocol]),
            for example C(8080:80/tcp) or C(8000-8009:8000-8009/udp); the protocol defaults to tcp.
          - A published port answers from other hosts, from the node itself and from the
            container itself (hairpin), through NAT rules owned by this module.
        type: list
        elements: str
        default: []
      docker_container:
        description:
          - The endpoint is this running Docker container, started with C(--network none) (its
            namespace has only C(lo)). The module gives the container's namespace the name
            O(endpoints[].netns) (as C(ip netns attach) does) and puts the endpoint's interface,
            address and routes in it, so a Docker container becomes a routed C(/32) endpoint (or
            a port of the bridge).
          - When the container is restarted or recreated (a new namespace), the next run moves the
            name and the endpoint to its new namespace; until then it has only C(lo). Removing the
            endpoint removes the name and the veth; the container keeps its namespace.
        type: str
      netns_of:
        description:
          - The name of another endpoint of this list whose namespace this one shares, as Docker's
            C(--network container:<name>) does. The endpoint is then only a name for that
            namespace (O(endpoints[].name) under C(/run/netns)), with no interface, address or
            published port of its own, which the options for them must not set.
          - The endpoint whose namespace is shared records the names in the alias of its host
            interface; removing either removes the name, never the namespace of the other.
        type: str
  mode:
    description: Default mode of the endpoints.
    type: str
    choices: [bridge, routed]
    default: bridge
  bridge:
    description: The bridge that bridge-mode host ends join; it must exist in O(netns).
    type: str
  gateway:
    description: Default gateway of bridge-mode endpoints. Default the bridge address on the endpoint's subnet.
    type: str
  subnet:
    description: When set, every endpoint address must be inside this network (CIDR).
    type: str
  mtu:
    description: Default MTU of the veth pairs. Unset keeps the kernel's (1500 for new pairs).
    type: int
  owner:
    description: Ownership label, so several callers (or roles) can manage their own endpoints on one node.
    type: str
    default: default
  purge:
    description: Remove endpoints of the same O(owner) that are not listed (their veth, NAT rules, and namespace if this module created it).
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the listed endpoints; V(absent) removes them (only those of this owner).
    type: str
    choices: [present, absent]
    default: present
  host_interface_prefix:
    description: Prefix of derived host interface names (1 to 6 lowercase letters or digits).
    type: str
    default: lf
  nat_backend:
    description: Netfilter backend for published ports (see M(linuxnet.fabric.nat_rule)).
    type: str
    choices: [iptables, nftables]
    default: iptables
extends_documentation_fragment:
  - linuxnet.fabric.common
  - linuxnet.fabric.common.pyroute2
  - linuxnet.fabric.common.attributes
  - linuxnet.fabric.common.lock
notes:
  - O(netns) is the node's namespace, where host ends, the bridge, host routes and NAT rules live.
  - Namespaces of endpoints are named namespaces under C(/run/netns) of the node.
seealso:
  - module: linuxnet.fabric.veth
  - module: linuxnet.fabric.linux_bridge
  - module: linuxnet.fabric.nat_rule
  - module: linuxnet.fabric.proxy_arp
'''

EXAMPLES = r'''
- name: Two containers on the node bridge, one with a published port
  linuxnet.fabric.endpoints:
    bridge: cbr0
    mtu: 1450
    owner: bridge_nat
    purge: true
    endpoints:
      - name: web1
        address: 172.19.1.10/24
        publish: ["8080:80/tcp"]
      - name: db1
        address: 172.19.1.11/24

- name: Routed /32 containers (no bridge)
  linuxnet.fabric.endpoints:
    mode: routed
    owner: routed
    endpoints:
      - name: api1
        address: 10.20.1.5
'''

RETURN = r'''
endpoints:
  description: Each listed endpoint as read back from the kernel (in check mode, as it is now).
  returned: always
  type: list
  elements: dict
  sample:
    - name: web1
      netns: web1
      interface: eth0
      host_interface: lf1c2d3e4f5a6b7
      mode: bridge
      exists: true
      addresses: [172.19.1.10/24]
      mac: "8a:3b:11:22:33:44"
      mtu: 1450
      publish: ["8080:80/tcp"]
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["create netns web1", "create veth lf1c2d3e4f5a6b7 (mtu=1450, netns=None, peer=eth0, peer_netns=web1)"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._endpoints import plan_published_ports, read, resulting_endpoints
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._executor import Sessions, execute
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import require_pyroute2
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_endpoints import desired_endpoints, plan_endpoints


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            endpoints=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                netns=dict(type='str'),
                interface=dict(type='str', default='eth0'),
                host_interface=dict(type='str'),
                address=dict(type='str'),
                mode=dict(type='str', choices=['bridge', 'routed']),
                mtu=dict(type='int'),
                publish=dict(type='list', elements='str', default=[]),
                docker_container=dict(type='str'),
                netns_of=dict(type='str'),
            )),
            mode=dict(type='str', default='bridge', choices=['bridge', 'routed']),
            bridge=dict(type='str'),
            gateway=dict(type='str'),
            subnet=dict(type='str'),
            mtu=dict(type='int'),
            owner=dict(type='str', default='default'),
            purge=dict(type='bool', default=False),
            state=dict(_common.STATE_OPTION),
            host_interface_prefix=dict(type='str', default='lf'),
            nat_backend=dict(type='str', default='iptables', choices=['iptables', 'nftables']),
            lock_timeout=dict(_common.LOCK_TIMEOUT_OPTION),
        ),
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module):
        desired = desired_endpoints(module.params)
        # Imported only if a request needs pyroute2 (the hot path is encoded by _rtnl_request).
        require_pyroute2(module, load=False)
        _common.require_existing_netns('netns', desired['netns'])
        with _common.node_lock(module, 'linuxnet.fabric.endpoints'), Sessions() as sessions:
            node = sessions(desired['netns'])
            parts = {}

            def plan_of(current):
                # One plan: the kernel's actions, then the published ports' NAT rules (with their diff).
                parts['nat_backend'], _nat_rules, parts['nat_plan'], current['published'] = plan_published_ports(
                    module.run_command, module.params['nat_backend'], desired, current)
                plan = plan_endpoints(desired, current)
                parts['kernel_actions'] = list(plan.actions)
                plan.extend(parts['nat_plan'])
                return plan

            def apply(_plan, _current):
                execute(sessions, parts['kernel_actions'])
                if parts['nat_plan'].changed:
                    parts['nat_backend'].apply(parts['nat_plan'])

            plan, current = _common.reconcile(module.check_mode, lambda: read(desired, node), plan_of, apply)
    _common.exit_with_plan(module, plan, endpoints=resulting_endpoints(desired, current))


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: fabric_facts
short_description: What the fabric plan needs to know about a node, cheaply
version_added: 1.0.0
description:
  - Returns, as the fact C(linuxnet_fabric), the node's underlay (the interface of its IPv4
    default route, with its address, prefix length and MTU), the endpoints O(owner) made on it
    with their addresses, whether IPv4 forwarding is on, which of O(packages) dpkg does not list
    as installed, the JSON record O(record_file) holds and the values O(persist_file) sets.
  - Uses the standard library only (C(/proc), sysfs, ioctl) and reads the endpoints from the
    aliases of their host interfaces, so it costs little more than starting a module. The fabric
    roles run it on every run instead of a full fact gathering.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  owner:
    description: Ownership label of the endpoints to list (see M(linuxnet.fabric.endpoints)); unset lists none.
    type: str
  packages:
    description: Packages to look for in dpkg's database.
    type: list
    elements: str
    default: []
  record_file:
    description: A JSON file whose content to return as C(record) (the values a role recorded).
    type: path
  fabric_record:
    description:
      - The node's record of its part of the fabric (see M(linuxnet.fabric.fabric_node) O(linuxnet.fabric.fabric_node#module:record)),
        returned as C(recorded). An empty string reads none.
    type: path
    default: /var/lib/linuxnet-fabric/node.json
  persist_file:
    description: A C(sysctl.d) file whose C(name = value) lines to return as C(persisted).
    type: path
  sysctls:
    description:
      - Sysctls the caller wants (name to value); those whose value, line in O(persist_file) or
        record in O(record_file) (see M(linuxnet.fabric.sysctl)) is not in place yet are returned
        as C(pending_sysctls). Without O(persist_file) (O(record_file)), no line (record) is
        waited for.
    type: dict
    default: {}
  docker:
    description:
      - Also return C(docker), what C(docker network inspect) and C(docker inspect) tell about the
        node's networks and containers (through the Docker Engine API on O(docker_socket)).
    type: bool
    default: false
  docker_socket:
    description: dockerd's API socket.
    type: path
    default: /run/docker.sock
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Reads only; there is nothing to diff.
  facts:
    support: full
    description: Returns the fact C(linuxnet_fabric).
  platform:
    support: full
    platforms: posix
    description: Linux.
notes:
  - The node namespace only (the namespace the module runs in); it takes no netns option.
seealso:
  - module: linuxnet.fabric.endpoints_info
    description: The endpoints as their namespaces have them (slower, reads every namespace).
'''

EXAMPLES = r'''
- name: What the plan needs
  linuxnet.fabric.fabric_facts:
    owner: bridge_nat
    packages: [python3-pyroute2, iproute2]

- name: The underlay address
  ansible.builtin.debug:
    msg: "{{ ansible_facts.linuxnet_fabric.underlay.address }}"
'''

RETURN = r'''
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: dict
  contains:
    linuxnet_fabric:
      description: The node's facts for the fabric.
      type: dict
      contains:
        underlay:
          description: C(interface), C(address), C(prefix) and C(mtu) of the default-route interface ({} without a default route).
          type: dict
          sample: {interface: eth0, address: 10.88.0.11, prefix: 24, mtu: 1500}
        endpoints:
          description: The endpoints of O(owner), with C(name), C(netns), C(host_interface) and C(address).
          type: list
          elements: dict
          sample: [{name: web1, netns: web1, host_interface: lf1c2d3e4f5a6b7, address: 172.19.11.2/24}]
        ip_forward:
          description: The value of C(net.ipv4.ip_forward).
          type: int
          sample: 1
        missing_packages:
          description: The packages of O(packages) that are not installed (null without dpkg).
          type: list
          elements: str
          sample: []
        recorded:
          description:
            - What the node's fabric record (O(fabric_record)) says it has - C(mode), C(owner),
              C(addresses) (endpoint name to address), C(peers) (name, subnet, via - what it was told
              of the other nodes) and C(gateway_underlay_address) - or null without a record.
            - M(linuxnet.fabric.fabric_plan) keeps these addresses, so they survive reboots, and
              plans a node this run does not reach (C(--limit), unreachable) from the others' C(peers).
          type: dict
          sample: {mode: bridge_nat, owner: bridge_nat, addresses: {web1: 172.19.11.2/24},
                   peers: [{name: node2, subnet: 172.19.12.0/24, via: 10.88.0.12}], gateway_underlay_address: null}
        record:
          description: The JSON object in O(record_file) ({} when there is none).
          type: dict
          sample: {}
        persisted:
          description: The values O(persist_file) sets ({} when there is none).
          type: dict
          sample: {net.ipv4.ip_forward: "1"}
        pending_sysctls:
          description: The names of O(sysctls) that are not set, persisted and recorded yet.
          type: list
          elements: str
          sample: [net.ipv4.ip_forward]
        docker:
          description:
            - "With O(docker), the node's Docker; C({running: false}) when no dockerd answers."
            - C(networks) as C(docker network inspect) shows them (C(name), C(driver), C(bridge),
              C(subnet), C(gateway), C(mtu), C(ip_masquerade), C(containers) with C(address) and C(mac)).
            - C(containers) with C(name), C(image), C(running), C(pid), C(network_mode) (V(bridge) or
              another network's name, V(none), V(host), V(container)), C(shares) (V(node), or the
              container whose namespace it runs in), C(netns) (C(/proc/<pid>/ns/net) when it has a
              namespace of its own), C(address), C(mac), C(gateway), C(networks), C(published)
              (C(host_ip), C(host_port), C(container_port), C(protocol)) and C(interfaces).
          returned: with O(docker)
          type: dict
          sample:
            running: true
            version: 20.10.24+dfsg1
            networks:
              - {name: bridge, driver: bridge, bridge: docker0, subnet: 172.19.11.128/25, gateway: 172.19.11.129,
                 mtu: 1500, ip_masquerade: false, containers: [{name: web, address: 172.19.11.130/25, mac: "02:42:ac:13:0b:82"}]}
            containers:
              - {name: web, image: "busybox:local", running: true, pid: 4242, network_mode: bridge, shares: null,
                 netns: /proc/4242/ns/net, address: 172.19.11.130/25, mac: "02:42:ac:13:0b:82", gateway: 172.19.11.129,
                 published: [{host_ip: 0.0.0.0, host_port: 18080, container_port: 80, protocol: tcp}], interfaces: [lo, eth0]}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._node_facts import docker_facts, node_facts
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._node_record import RECORD_PATH


def main():
    module = AnsibleModule(
        argument_spec=dict(
            owner=dict(type='str'),
            packages=dict(type='list', elements='str', default=[]),
            record_file=dict(type='path'),
            persist_file=dict(type='path'),
            sysctls=dict(type='dict', default={}),
            docker=dict(type='bool', default=False),
            docker_socket=dict(type='path', default='/run/docker.sock'),
            fabric_record=dict(type='path', default=RECORD_PATH),
        ),
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module):
        facts = node_facts(module.params['owner'], module.params['packages'], module.params['record_file'],
                           module.params['persist_file'], module.params['sysctls'], module.params['fabric_record'] or None)
        if module.params['docker']:
            facts['docker'] = docker_facts(module.params['docker_socket'])
    module.exit_json(changed=False, ansible_facts={'linuxnet_fabric': facts})


if __name__ == '__main__':
    main()

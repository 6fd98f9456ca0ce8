#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: subnet_leases
short_description: Lease each node of a flannel-compatible overlay a subnet in etcd
version_added: 1.0.0
description:
  - Gives every node of O(nodes) one subnet of the overlay network, stored in etcd exactly as
    flannel stores it, so that flanneld and flannel tooling read the leases and a cluster can move
    between flanneld and this collection.
  - "Keys: O(prefix)C(/config) holds the network config (C(Network), C(SubnetLen), C(SubnetMin),
    C(SubnetMax), C(Backend) with C(Type: vxlan), C(VNI), C(Port), C(DirectRouting)); each lease is
    O(prefix)C(/subnets/<a.b.c.d>-<len>) with C(PublicIP), C(PublicIPv6) (null), C(BackendType: vxlan)
    and C(BackendData) (C(VNI), C(VtepMAC)), plus a C(LinuxnetFabric) field (O(owner), the node's
    name, when its etcd lease ends) that marks it as written by this collection. flannel decodes
    leases with Go's json.Unmarshal, which ignores fields it does not know."
  - The whole prefix is read once. A node first keeps a lease that carries its own C(PublicIP)
    (one it had before, after a reboot or a reinstall, or one flanneld wrote for it) when the lease
    fits the config; one that does not fit is deleted and the node gets a new subnet. A new lease
    is created in a transaction that succeeds only if the key does not exist (version 0); when
    another writer took the subnet first, the module reads the prefix again and moves to the next
    free subnet instead of failing (flanneld exits). Updates and deletions are conditional on the
    revision that was read.
  - A subnet is free when no key under O(prefix)C(/subnets/) holds it, whoever wrote the key
    (flanneld, a reservation, a value nobody can read), and it lies in [C(SubnetMin), C(SubnetMax)].
  - O(prefix)C(/config) is written when it is missing. An existing config with other values fails
    the run before anything is written, naming both values, unless O(replace_config).
  - Each lease key is attached to an etcd lease of O(lease_ttl) seconds, renewed by a run once less
    than half of it is left. A key without an etcd lease reads as an expired lease to flanneld
    (etcd answers TimeToLive with -1), and the newest flanneld deletes it or gives its subnet to
    another node; a long etcd lease makes it a live lease for every flannel version.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  endpoints:
    description: etcd client URLs (C(https://host:2379)); the next one is tried when one does not answer.
    type: list
    elements: str
    required: true
  ca_file:
    description: CA certificate to verify etcd's certificates with (on the host the module runs on).
    type: path
  cert_file:
    description: Client certificate (its CN is the etcd user when etcd authentication is on).
    type: path
  key_file:
    description: Private key of O(cert_file).
    type: path
  transport:
    description:
      - V(gateway) talks to etcd's JSON gateway over HTTPS with the Python standard library and
        needs nothing installed. etcd refuses gateway requests from a certificate with a
        CommonName while etcd authentication (RBAC) is on.
      - V(etcdctl) runs the C(etcdctl) command (Debian package C(etcd-client)) once per request;
        it authenticates with the certificate's CommonName, so it works with RBAC.
    type: str
    choices: [gateway, etcdctl]
    default: gateway
  timeout:
    description: Seconds to wait for one etcd answer.
    type: int
    default: 5
  prefix:
    description: The etcd key prefix (flanneld's C(--etcd-prefix)).
    type: str
    default: /coreos.com/network
  network:
    description: The overlay network (flannel's C(Network)), IPv4 CIDR. Required with O(state=present).
    type: str
  subnet_len:
    description:
      - Prefix length of a node's subnet (flannel's C(SubnetLen)), from the network's prefix + 2
        to 30 (flanneld refuses a network that holds fewer than four subnets).
      - Default, as flannel's, 24 when the network is a /22 or larger, else the network's prefix + 2.
    type: int
  subnet_min:
    description: The first subnet to lease (flannel's C(SubnetMin)); default the network's second subnet.
    type: str
  subnet_max:
    description: The last subnet to lease (flannel's C(SubnetMax)); default the network's last subnet.
    type: str
  vni:
    description:
      - The VXLAN network identifier (C(Backend.VNI)), 1..16777215.
      - flannel's lease format carries it as a 16-bit number; leases with a VNI above 65535 cannot
        be read by flanneld.
    type: int
    default: 1
  port:
    description: The VXLAN UDP port (C(Backend.Port)).
    type: int
    default: 8472
  direct_routing:
    description: C(Backend.DirectRouting) of the config.
    type: bool
    default: false
  replace_config:
    description:
      - Write O(prefix)C(/config) over an existing one with other values. Leases of O(owner) that
        no longer fit (another network or subnet length, outside the new range) are deleted and
        their nodes get new subnets in the same run, which renumbers their containers; leases of
        others are left to their writers (flanneld deletes its own when it restarts).
    type: bool
    default: false
  nodes:
    description: The nodes that must hold a lease.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The node's name (recorded in the lease's C(LinuxnetFabric) field).
        type: str
        required: true
      public_ip:
        description: The node's underlay (VTEP) address, the lease's C(PublicIP).
        type: str
        required: true
      subnet:
        description: The subnet the node must have; it must be free (or be the node's already).
        type: str
  owner:
    description: The label in the C(LinuxnetFabric) field of the leases this module writes; O(purge) and deletions act on these only.
    type: str
    default: linuxnet.fabric
  purge:
    description: Delete the leases of O(owner) whose C(PublicIP) is no node's (nodes removed from the inventory).
    type: bool
    default: false
  lease_ttl:
    description:
      - Seconds of the etcd lease each key is attached to (default ten years); 0 writes keys without
        one, which the newest flanneld reads as expired.
    type: int
    default: 315360000
  state:
    description:
      - V(present) gives every node a lease; V(absent) deletes the leases of O(owner) that carry a
        node's C(PublicIP) (a node leaving the overlay). The config is left in place.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    description: Reads etcd and reports what a run would write, writing nothing; subnets of new leases are predicted.
  diff_mode:
    support: full
    description: The config and the leases of the nodes before and after.
  platform:
    support: full
    platforms: posix
    description: Linux hosts.
notes:
  - "Runs where etcd can be reached, usually the controller (C(delegate_to: localhost)), with the
    certificate files there."
seealso:
  - module: linuxnet.fabric.vxlan
  - name: The overlay role
    description: Leases, node parts and Docker's settings of a flannel-style overlay (ansible-doc -t role linuxnet.fabric.overlay).
    link: https://github.com/flannel-io/flannel/blob/master/Documentation/backends.md#vxlan
  - name: flannel's etcd data
    description: The key formats this module writes.
    link: https://github.com/flannel-io/flannel/blob/master/Documentation/configuration.md
'''

EXAMPLES = r'''
- name: A lease for every overlay node, from the controller
  linuxnet.fabric.subnet_leases:
    endpoints: [https://10.88.0.11:2379, https://10.88.0.12:2379]
    ca_file: inventories/lab/.etcd-pki/fabric/ca.crt
    cert_file: inventories/lab/.etcd-pki/fabric/fabric.crt
    key_file: inventories/lab/.etcd-pki/fabric/fabric.key
    network: 10.5.0.0/16
    nodes:
      - {name: node1, public_ip: 10.88.0.11}
      - {name: node2, public_ip: 10.88.0.12, subnet: 10.5.12.0/24}
    purge: true
  delegate_to: localhost
  run_once: true
  register: leases

- name: Forget node3's lease (it left the overlay)
  linuxnet.fabric.subnet_leases:
    endpoints: [https://10.88.0.11:2379]
    ca_file: ca.crt
    cert_file: fabric.crt
    key_file: fabric.key
    nodes: [{name: node3, public_ip: 10.88.0.13}]
    state: absent
  delegate_to: localhost
'''

RETURN = r'''
leases:
  description: The lease of each node (in check mode, the one it would get), by node name.
  returned: always
  type: dict
  sample: {node1: {key: /coreos.com/network/subnets/10.5.72.0-24, subnet: 10.5.72.0/24, public_ip: 10.88.0.11,
                   vtep_mac: "7e:2b:91:0c:5d:a4", vni: 1}}
peers:
  description:
    - Every lease a node of the overlay must reach, the nodes' own included - those of this module
      (C(owned)) and every other usable vxlan lease (flanneld's) - by subnet.
  returned: always
  type: list
  elements: dict
  sample: [{subnet: 10.5.72.0/24, public_ip: 10.88.0.11, vtep_mac: "7e:2b:91:0c:5d:a4", vni: 1, owned: true, node: node1,
            key: /coreos.com/network/subnets/10.5.72.0-24}]
settings:
  description: The overlay settings with flannel's defaults applied (what the config says).
  returned: when O(state=present)
  type: dict
ignored:
  description: Keys under the subnets prefix that are no usable lease (their subnets still count as taken), with why.
  returned: always
  type: list
  elements: dict
  sample: [{key: /coreos.com/network/subnets/10.5.9.0-24, problem: its value is not JSON}]
lost_races:
  description: How many times a condition failed because another writer changed the leases meanwhile.
  returned: always
  type: int
actions:
  description: What was written (in check mode, what would be), in order.
  returned: always
  type: list
  elements: str
  sample: ["create config /coreos.com/network/config", "create lease /coreos.com/network/subnets/10.5.72.0-24 (node1)"]
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.services._etcd_client import make_client
from ansible_collections.linuxnet.fabric.plugins.module_utils.services._leases import LeaseRun, desired_nodes, peers_of, settings_view
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._overlay import DEFAULT_PREFIX, etcd_prefix, overlay_settings
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_nat import owner_label

SETTINGS = ('network', 'subnet_len', 'subnet_min', 'subnet_max', 'vni', 'port', 'direct_routing', 'prefix', 'lease_ttl')


def main():
    module = AnsibleModule(
        argument_spec=dict(
            endpoints=dict(type='list', elements='str', required=True),
            ca_file=dict(type='path'),
            cert_file=dict(type='path'),
            key_file=dict(type='path'),
            transport=dict(type='str', default='gateway', choices=['gateway', 'etcdctl']),
            timeout=dict(type='int', default=5),
            prefix=dict(type='str', default=DEFAULT_PREFIX),
            network=dict(type='str'),
            subnet_len=dict(type='int'),
            subnet_min=dict(type='str'),
            subnet_max=dict(type='str'),
            vni=dict(type='int', default=1),
            port=dict(type='int', default=8472),
            direct_routing=dict(type='bool', default=False),
            replace_config=dict(type='bool', default=False),
            nodes=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                public_ip=dict(type='str', required=True),
                subnet=dict(type='str'),
            )),
            owner=dict(type='str', default='linuxnet.fabric'),
            purge=dict(type='bool', default=False),
            lease_ttl=dict(type='int', default=315360000),
            state=dict(_common.STATE_OPTION),
        ),
        required_if=[('state', 'present', ('network',))],
        supports_check_mode=True,
    )
    params = module.params
    with _common.failing_on_errors(module):
        if params['state'] == 'present':
            settings = overlay_settings(dict((key, params[key]) for key in SETTINGS))
        else:
            # Deleting leases needs where they are, not what the network is.
            settings = {'prefix': etcd_prefix('prefix', params['prefix']), 'lease_ttl': 0}
        owner = owner_label('owner', params['owner'])
        if params['timeout'] < 1:
            raise OptionError('timeout', 'must be at least 1 second')
        nodes = desired_nodes(params['nodes'], settings) if params['state'] == 'present' else desired_nodes(
            [dict(node, subnet=None) for node in params['nodes']], settings)
        client = make_client(params['transport'], params['endpoints'], params['ca_file'], params['cert_file'],
                             params['key_file'], params['timeout'],
                             run=lambda argv, data, environ: module.run_command(argv, data=data, environ_update=environ))
        try:
            run = LeaseRun(client, settings, nodes, owner, params['purge'], params['state'], params['replace_config'],
                           int(time.time()))
            planned = run.run(module.check_mode)
        finally:
            client.close()
    result = dict(changed=run.changed, diff={'before': run.before, 'after': run.after}, actions=run.done,
                  leases=planned['leases'], peers=peers_of(planned), ignored=planned['ignored'], lost_races=run.lost_races)
    if params['state'] == 'present':
        result['settings'] = settings_view(settings)
    module.exit_json(**result)


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: lab
short_description: Simulate a set of Linux machines, their LAN, a router and an outside host on one host
version_added: 1.0.0
description:
  - Builds (or removes) a lab of simulated machines on the local host, for trying and testing
    container networking across several nodes on a single Linux machine.
  - Each machine is a set of namespaces (network, mount, UTS, PID) with C(tini) running as its
    C(init), private C(/run) and C(/tmp), overlays on C(/etc), C(/var/lib), C(/var/log),
    C(/var/backups), C(/opt), C(/usr/local), C(/root) and C(/usr/sbin), its own sysfs and host name, and an sshd on its address, so Ansible reaches
    it over real SSH and sees a sysvinit host.
  - Machines on the C(lan) segment share a bridge held in the namespace C(<name>-lan); a router
    namespace C(<name>-router) connects the LAN to the C(outside) segment (a documentation range)
    and is every machine's default gateway. The controller gets an interface C(<name>-ctl) on the
    LAN and a route to the outside network, nothing else; its IP forwarding is never changed.
  - The controller's route to the outside network is in a routing table of the lab (see RV(lab.controller_table))
    that a rule selects only for packets from O(lan_controller_address), so the host's own traffic
    never follows it. SSH to an outside machine must bind to that address
    (C(ansible_ssh_extra_args=-o BindAddress=<address>); the role's inventory sets it).
  - Everything made is recorded in O(directory); O(state=absent) removes exactly that (processes
    by PID and start time, the namespaces named after the lab, SSH control sockets, the directory)
    and nothing else.
  - This module is the engine of the role M(linuxnet.fabric.lab), which validates the description
    on the controller first and writes an inventory of the machines.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  name:
    description:
      - Lab name; prefixes its namespaces and the controller interface.
      - 1 to 10 characters, a lowercase letter followed by lowercase letters or digits.
    type: str
    default: fabric
  state:
    description:
      - V(present) builds the lab and starts machines that are not running; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  directory:
    description:
      - Directory holding the lab's state, machine layers, SSH keys and control sockets.
      - Must not be under a path machines mount over (C(/etc), C(/var/lib), C(/var/log),
        C(/var/backups), C(/opt), C(/usr/local), C(/root), C(/usr/sbin), C(/run), C(/tmp)).
    type: path
    required: true
  lan_cidr:
    description: IPv4 network of the LAN segment (at least a /29). Must not overlap a network the host routes.
    type: str
    default: 10.88.0.0/24
  lan_router_address:
    description: The router's address on the LAN. Default is the first host address of O(lan_cidr).
    type: str
  lan_controller_address:
    description: The controller's address on the LAN. Default is the last host address of O(lan_cidr).
    type: str
  outside_cidr:
    description:
      - IPv4 network of the outside segment. Must lie in an RFC 5737 documentation range
        (192.0.2.0/24, 198.51.100.0/24 or 203.0.113.0/24), as the controller gets a route to it.
    type: str
    default: 203.0.113.0/24
  outside_router_address:
    description: The router's address on the outside segment. Default is the first host address of O(outside_cidr).
    type: str
  machines:
    description:
      - The simulated machines. A machine whose address changes is restarted; a machine no longer
        listed is stopped.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Host name of the machine, also the name of its port on the segment bridge.
        type: str
        required: true
      address:
        description: IPv4 address on its segment. Default is the next free address of the segment.
        type: str
      segment:
        description: V(lan) for nodes; V(outside) for a host behind the router.
        type: str
        choices: [lan, outside]
        default: lan
      docker:
        description:
          - Whether the machine runs dockerd. Default is O(docker) for machines on the C(lan)
            segment and V(false) on the C(outside) segment.
          - Changing it restarts the machine.
        type: bool
      mac:
        description:
          - MAC address of the machine's C(eth0). Default derived from the lab's and the machine's
            names (C(02:...), locally administered), so a restarted machine keeps it and the
            controller's neighbour entry stays right.
        type: str
  reboot:
    description:
      - Machines to reboot, as a host does - everything in memory goes (processes, links,
        addresses, routes, netfilter rules, C(/run), C(/tmp)), their disks (the C(/etc), C(/var/lib),
        C(/root) layers) stay. They start again with sshd (and dockerd), then run what their own
        boot would - its own C(sysctl.d) files, then the init scripts enabled in C(/etc/rc2.d) that
        the machine set up itself (its own script or C(/etc/default) file, such as the fabric's
        boot-time restore or an etcd the role configured); the host's own services stay off.
      - A machine that is not running is booted from its disks. Always reports a change.
    type: list
    elements: str
    default: []
  docker:
    description:
      - Run a dockerd (Debian's C(docker.io), with the containerd it starts) in every LAN machine
        (see O(machines[].docker) for one machine).
      - It runs through the machine's C(/etc/init.d/docker), as on a sysvinit host, with its data
        in the machine's private C(/var/lib/docker), the C(vfs) storage driver and cgroups under
        C(/linuxnet-lab-<name>-<machine>), all of it written to the machine's C(/etc/docker/daemon.json)
        (keys the fabric must keep). The lab's copy of the init script keeps the open files limit
        it may set on hosts that cannot raise it to the script's 1048576 (no C(CAP_SYS_RESOURCE)).
      - Each machine gets the image RV(lab.docker_image), a static busybox imported from the host's
        C(busybox-static) (no registry is needed).
      - The packages C(docker.io), C(containerd) and C(busybox-static) must be installed on the host first.
    type: bool
    default: false
  authorized_keys:
    description:
      - Public keys allowed to log in as root, in addition to the lab's own controller key.
    type: list
    elements: str
    default: []
  tini:
    description: Path of the tini binary. Default is the first C(tini) on C(PATH).
    type: path
attributes:
  check_mode:
    support: full
    description: Predicts C(changed) exactly and changes nothing.
  diff_mode:
    support: full
    description: Shows which machines and lab namespaces exist before and after.
  platform:
    support: full
    platforms: posix
    description: Linux with network, mount, UTS and PID namespaces and overlayfs.
requirements:
  - pyroute2 >= 0.7.2
  - tini, openssh-server, openssh-client and util-linux (unshare, nsenter) on the host.
  - With O(docker), docker.io, containerd and busybox-static on the host.
notes:
  - Must run as root on the host that holds the lab, with C(connection=local).
  - Install packages the machines need on the host before building them; their C(/usr) is the host's.
seealso:
  - module: linuxnet.fabric.netns
'''

EXAMPLES = r'''
- name: Three nodes and an outside host
  linuxnet.fabric.lab:
    name: demo
    directory: /var/tmp/linuxnet-fabric-lab/demo
    machines:
      - name: node1
      - name: node2
      - name: node3
      - name: outside
        segment: outside
        address: 203.0.113.10
  register: lab

- name: Remove everything the lab made
  linuxnet.fabric.lab:
    name: demo
    directory: /var/tmp/linuxnet-fabric-lab/demo
    state: absent
'''

RETURN = r'''
lab:
  description: The lab as it is after the module ran.
  returned: always
  type: dict
  contains:
    name:
      description: Lab name.
      type: str
      sample: demo
    directory:
      description: The lab's state directory.
      type: str
      sample: /var/tmp/linuxnet-fabric-lab/demo
    switch_netns:
      description: Namespace holding the segment bridges C(lan0) and C(wan0).
      type: str
      sample: demo-lan
    router_netns:
      description: Namespace of the router.
      type: str
      sample: demo-router
    controller_link:
      description: The controller's interface on the LAN.
      type: str
      sample: demo-ctl
    controller_address:
      description: The controller's address on the LAN; SSH to outside machines binds to it.
      type: str
      sample: 10.88.0.254
    controller_table:
      description:
        - Routing table holding the controller's route to the outside network, looked up (rule
          priority 32000) only for packets from RV(lab.controller_address). Derived from the lab name.
      type: int
      sample: 1279684513
    private_key:
      description: Private key the controller logs in with (as root).
      type: str
      sample: /var/tmp/linuxnet-fabric-lab/demo/ssh/id_ed25519
    control_path_dir:
      description: Directory for SSH control sockets; V(state=absent) closes the sockets in it.
      type: str
      sample: /var/tmp/linuxnet-fabric-lab/demo/cp
    docker_image:
      description: The image every machine with Docker has (a static busybox with its applets and C(/www/index.html)).
      type: str
      sample: busybox:local
    machines:
      description: Machines with their address, segment, whether they run Docker and the host PID of their init.
      type: list
      elements: dict
      sample:
        - name: node1
          address: 10.88.0.2
          segment: lan
          pid: 12345
          running: true
          docker: true
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["create switch demo-lan", "start machine node1 (address=10.88.0.2)"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.lab._lab import Lab
from ansible_collections.linuxnet.fabric.plugins.module_utils.lab._lab_plan import plan_lab
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import require_pyroute2


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', default='fabric'),
            state=dict(_common.STATE_OPTION),
            directory=dict(type='path', required=True),
            lan_cidr=dict(type='str', default='10.88.0.0/24'),
            lan_router_address=dict(type='str'),
            lan_controller_address=dict(type='str'),
            outside_cidr=dict(type='str', default='203.0.113.0/24'),
            outside_router_address=dict(type='str'),
            machines=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                address=dict(type='str'),
                segment=dict(type='str', default='lan', choices=['lan', 'outside']),
                docker=dict(type='bool'),
                mac=dict(type='str'),
            )),
            reboot=dict(type='list', elements='str', default=[]),
            docker=dict(type='bool', default=False),
            authorized_keys=dict(type='list', elements='str', default=[], no_log=False),
            tini=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module):
        spec = plan_lab(module.params)
        require_pyroute2(module)
        lab = Lab(spec, module.params['authorized_keys'], module.run_command, tini=module.params['tini'])
        # No read back: the result is what the lab built (lab.result()), not a second observation,
        # as observing pings every machine's dockerd and machines started now may not answer yet.
        plan, _observed = _common.reconcile(module.check_mode, lab.observe,
                                            lambda observed: lab.plan(module.params['state'], observed, reboot=module.params['reboot']),
                                            lambda plan, _observed: lab.apply(plan), read_back=False)
        _common.exit_with_plan(module, plan, lab=lab.result())


if __name__ == '__main__':
    main()

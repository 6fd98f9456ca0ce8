#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: nat_rule
short_description: Manage IPv4 NAT rules (masquerade, SNAT, published ports) with iptables or nftables
version_added: 1.0.0
description:
  - Adds, updates or removes one named IPv4 NAT rule. V(masquerade) or V(snat) translate traffic
    leaving the node; V(dnat) publishes a port of the node at an address and port behind it (a
    container), reachable from other hosts, from the node itself and from the target itself
    (hairpin), as Docker publishes ports.
  - Every kernel rule written carries the comment C(linuxnet.fabric:<owner>:<name>:<digest>), the
    digest being a hash of the rule's options. The module finds, updates and removes its rules by
    that tag only; rules without it (Docker's, a user's) are never touched.
  - "With O(backend=iptables) the rules live in the C(nat) table, in the chains C(LINUXNET-DNAT)
    (entered from C(PREROUTING) and C(OUTPUT) for local destinations, 127.0.0.0/8 excepted) and
    C(LINUXNET-POSTROUTING) (entered from C(POSTROUTING)). The entering jumps are appended, so rules
    already in the built-in chains are evaluated first. Changes are made in one
    C(iptables-restore --noflush) batch."
  - With O(backend=nftables) the rules live in the table C(ip linuxnet_fabric), which belongs to
    this collection (anything in it is removed with it), with base chains on the prerouting, output
    and postrouting hooks. Changes are made in one C(nft -f) transaction.
  - The chains and jumps (or the table) exist exactly while at least one rule of any owner does;
    the last rule removed takes them with it.
  - A V(dnat) rule is made of the DNAT rule(s) and a MASQUERADE of traffic from O(to_address) to
    itself on the target port, so a container reaching its own published port gets the answer.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  name:
    description:
      - Name of the rule, unique within its O(owner). Letters, digits, C(_), C(.) and C(-), at most
        128 characters.
    type: str
    required: true
  owner:
    description:
      - Label of the set of rules this rule belongs to, written into its tag. Letters, digits, C(_),
        C(.) and C(-), at most 64 characters.
      - O(purge) acts on the rules of this owner only.
    type: str
    default: default
  state:
    description:
      - V(present) writes the rule, replacing a rule of the same name and owner that differs (the old
        one is deleted and the new one added in the same atomic batch).
      - V(absent) removes every kernel rule tagged with this owner and name; the rule options are
        then not needed.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - Also remove every other rule of O(owner), for example rules a previous configuration wrote
        and no longer declares. With O(state=absent) that removes all rules of O(owner).
    type: bool
    default: false
  kind:
    description:
      - V(masquerade) rewrites the source of matching packets leaving the node to the address of
        the outgoing interface.
      - V(snat) rewrites it to O(to_address).
      - V(dnat) forwards O(protocol) traffic to the node's O(host_port) to O(to_address):O(to_port).
      - Required with O(state=present).
    type: str
    choices: [masquerade, snat, dnat]
  backend:
    description:
      - V(iptables) writes rules with the iptables tools, like Docker; see O(iptables_variant).
      - V(nftables) writes them with C(nft) into the collection's own table.
    type: str
    choices: [iptables, nftables]
    default: iptables
  iptables_variant:
    description:
      - Which iptables to use with O(backend=iptables). V(auto) uses C(iptables-save) and
        C(iptables-restore) as found on C(PATH), as Docker does; V(nft) and V(legacy) use
        C(iptables-nft-*) and C(iptables-legacy-*). Each variant sees only its own rules.
    type: str
    choices: [auto, nft, legacy]
    default: auto
  source:
    description:
      - Match packets from this IPv4 network (C(10.0.0.0/24)) or address; a leading C(!) negates it.
    type: str
  destination:
    description:
      - Match packets to this IPv4 network or address; a leading C(!) negates it.
      - For V(masquerade) and V(snat); a V(dnat) rule matches O(host_address) instead.
    type: str
  in_interface:
    description:
      - For V(dnat), match packets that arrived on this interface; a leading C(!) negates it and a
        trailing C(+) matches every name with that prefix.
      - Packets the node sends itself have no input interface, so a positive match leaves the
        published port unreachable from the node.
    type: str
  out_interface:
    description:
      - For V(masquerade) and V(snat), match packets leaving through this interface; C(!) and C(+)
        as for O(in_interface).
    type: str
  to_address:
    description:
      - The new source address for V(snat); the target address for V(dnat).
    type: str
  protocol:
    description: Protocol of a V(dnat) rule.
    type: str
    choices: [tcp, udp, sctp]
  host_port:
    description:
      - Port of a V(dnat) rule on the node, or a range C(8000-8010).
    type: raw
  host_address:
    description:
      - For V(dnat), the node address the port is published on. Unset, every local address of the
        node (127.0.0.0/8 excepted) is.
    type: str
  to_port:
    description:
      - Target port of a V(dnat) rule, or a range as long as O(host_port)'s (the first host port
        goes to the first target port, and so on). Defaults to O(host_port).
    type: raw
extends_documentation_fragment:
  - linuxnet.fabric.common
  - linuxnet.fabric.common.attributes
notes:
  - IPv4 only. Publishing on 127.0.0.1 (which needs C(route_localnet)) is not supported.
  - Rules of the collection are evaluated in the order they were added; an updated rule moves to the
    end of its chain. Avoid overlapping rules.
  - Traffic from other hosts to a published port is forwarded, so the node needs
    C(net.ipv4.ip_forward=1) (the C(linuxnet.fabric.node) role sets it).
  - Connections the kernel already tracks keep the translation they started with; a changed or
    removed rule applies to new connections (C(conntrack -D) clears old UDP flows).
  - A V(dnat) rule mapping a port range onto a different range uses DNAT's base port (iptables) or a
    port map (nftables); with iptables this needs Linux 4.18 or later.
  - When the target sits on a bridge and bridge netfilter is on (C(bridge-nf-call-iptables=1)), its
    bridge port needs hairpin mode for the hairpin path, because the translated packet is bridged back out of
    the port it came in on.
requirements:
  - With O(backend=iptables), C(iptables-save) and C(iptables-restore) of the chosen variant (Debian
    package C(iptables)); with O(backend=nftables), C(nft) (Debian package C(nftables)). This module
    does not use pyroute2.
seealso:
  - name: iptables-extensions(8)
    description: MASQUERADE, SNAT and DNAT targets.
    link: https://man7.org/linux/man-pages/man8/iptables-extensions.8.html
  - name: nft(8)
    description: The nftables command line tool.
    link: https://www.netfilter.org/projects/nftables/manpage.html
'''

EXAMPLES = r'''
- name: Masquerade a container subnet leaving the node, except towards its bridge (Docker's rule)
  linuxnet.fabric.nat_rule:
    name: br0-masquerade
    kind: masquerade
    source: 172.19.1.0/24
    out_interface: "!br0"

- name: Publish port 8080 of the node as port 80 of a container
  linuxnet.fabric.nat_rule:
    name: web-8080
    owner: web
    kind: dnat
    protocol: tcp
    host_port: 8080
    to_address: 172.19.1.10
    to_port: 80

- name: A range of UDP ports on one node address, with nftables, inside a namespace
  linuxnet.fabric.nat_rule:
    name: media
    kind: dnat
    backend: nftables
    netns: node1
    protocol: udp
    host_address: 10.88.0.11
    host_port: 40000-40099
    to_address: 172.19.1.20
    to_port: 50000-50099

- name: SNAT to a fixed address, showing the rules that would change
  linuxnet.fabric.nat_rule:
    name: egress
    kind: snat
    source: 172.19.0.0/16
    destination: "!172.19.0.0/16"
    to_address: 203.0.113.5
  check_mode: true
  diff: true

- name: Keep only this rule of owner web, removing the ones it no longer declares
  linuxnet.fabric.nat_rule:
    name: web-8080
    owner: web
    purge: true
    kind: dnat
    protocol: tcp
    host_port: 8080
    to_address: 172.19.1.10
    to_port: 80

- name: Remove a rule
  linuxnet.fabric.nat_rule:
    name: web-8080
    owner: web
    state: absent
'''

RETURN = r'''
rules:
  description:
    - The kernel rules of O(owner) after the change (in check mode, as they are now), as
      C(iptables-save) prints them or, for nftables, as the chain name, a colon and the rule.
  returned: always
  type: list
  elements: str
  sample:
    - >-
      -A LINUXNET-DNAT -p tcp -m tcp --dport 8080 -m comment
      --comment "linuxnet.fabric:web:web-8080:3f2a9c0d1b" -j DNAT --to-destination 172.19.1.10:80
    - >-
      -A LINUXNET-POSTROUTING -s 172.19.1.10/32 -d 172.19.1.10/32 -p tcp -m tcp --dport 80 -m comment
      --comment "linuxnet.fabric:web:web-8080:3f2a9c0d1b" -j MASQUERADE
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample:
    - create nat chain LINUXNET-DNAT
    - >-
      add nat jump PREROUTING (rule=-A PREROUTING -m addrtype --dst-type LOCAL -m comment
      --comment "linuxnet.fabric:jump" -j LINUXNET-DNAT)
    - >-
      add nat rule web:web-8080 (rule=-A LINUXNET-DNAT -p tcp -m tcp --dport 8080 -m comment
      --comment "linuxnet.fabric:web:web-8080:3f2a9c0d1b" -j DNAT --to-destination 172.19.1.10:80)
diff:
  description:
    - In diff mode, the collection's chains and jumps (or table and chains) and the rules of O(owner),
      before and after the change.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The state before, under the key C(nat_rules).
      type: dict
      sample: {nat_rules: []}
    after:
      description: The state after, under the key C(nat_rules).
      type: dict
      sample: {nat_rules: ["-N LINUXNET-DNAT", "-N LINUXNET-POSTROUTING"]}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils.netfilter._netfilter import make_backend
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_nat import RULE_OPTIONS, normalise_rule, owner_label, plan_rules


def owned_texts(entries, owner):
    return [entry['text'] for entry in entries if entry['kind'] == 'rule' and entry['owner'] == owner]


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            name=dict(type='str', required=True),
            owner=dict(type='str', default='default'),
            state=dict(_common.STATE_OPTION),
            purge=dict(type='bool', default=False),
            kind=dict(type='str', choices=['masquerade', 'snat', 'dnat']),
            backend=dict(type='str', default='iptables', choices=['iptables', 'nftables']),
            iptables_variant=dict(type='str', default='auto', choices=['auto', 'nft', 'legacy']),
            source=dict(type='str'),
            destination=dict(type='str'),
            in_interface=dict(type='str'),
            out_interface=dict(type='str'),
            to_address=dict(type='str'),
            protocol=dict(type='str', choices=['tcp', 'udp', 'sctp']),
            host_port=dict(type='raw'),
            host_address=dict(type='str'),
            to_port=dict(type='raw'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    with _common.failing_on_errors(module):
        rule = normalise_rule(dict((key, params[key]) for key in ('name', 'state', 'kind') + RULE_OPTIONS))
        owner = owner_label('owner', params['owner'])
        netns = _validate.netns('netns', params['netns'])
        _common.require_existing_netns('netns', netns)
        backend = make_backend(params['backend'], module.run_command, netns, params['iptables_variant'])
        plan, current = _common.reconcile(module.check_mode, backend.read,
                                          lambda current: plan_rules([rule], current, owner, params['purge'], backend.kind),
                                          lambda plan, _current: backend.apply(plan))
    _common.exit_with_plan(module, plan, rules=owned_texts(current, owner))


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: endpoints_info
short_description: List the container endpoints an owner made on a node
version_added: 1.0.0
description:
  - Lists the endpoints that M(linuxnet.fabric.endpoints) made for O(owner) on the node, found
    through the alias of their host interfaces, with the addresses the kernel has for them.
  - The fabric roles use it to keep the address of every existing endpoint when they plan new ones.
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  owner:
    description: The ownership label the endpoints were made with.
    type: str
    default: default
extends_documentation_fragment:
  - linuxnet.fabric.common
  - linuxnet.fabric.common.pyroute2
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Reads only; there is nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Linux hosts (netlink).
seealso:
  - module: linuxnet.fabric.endpoints
'''

EXAMPLES = r'''
- name: What does the bridge_nat role have on this node?
  linuxnet.fabric.endpoints_info:
    owner: bridge_nat
  register: current

- name: Show the addresses
  ansible.builtin.debug:
    msg: "{{ current.endpoints | map(attribute='address') }}"
'''

RETURN = r'''
endpoints:
  description: The endpoints, sorted by host interface.
  returned: always
  type: list
  elements: dict
  sample:
    - name: web1
      netns: web1
      host_interface: lf1c2d3e4f5a6b7
      interface: eth0
      mode: bridge
      address: 172.19.11.2/24
      addresses: [172.19.11.2/24]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._endpoints import owned_endpoints
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import Session, require_pyroute2


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(owner=dict(type='str', default='default')),
        supports_check_mode=True,
    )
    with _common.failing_on_errors(module):
        netns = _common.check_netns_option(module.params['netns'])
        require_pyroute2(module)
        _common.require_existing_netns('netns', netns)
        with Session(netns) as session:
            endpoints = owned_endpoints(module.params['owner'], session)
    module.exit_json(changed=False, endpoints=endpoints)


if __name__ == '__main__':
    main()

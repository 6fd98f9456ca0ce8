#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: netns
short_description: Manage named Linux network namespaces
version_added: 1.0.0
description:
  - Creates or deletes a named network namespace under C(/run/netns), the same kind of
    namespace C(ip netns add) makes, and brings its loopback interface up.
  - An existing namespace is left alone apart from bringing C(lo) up if it is down; its
    interfaces, addresses and routes are never touched.
  - A leftover file under C(/run/netns) that is not a namespace (for example after a crash) is
    replaced on O(state=present) and removed on O(state=absent).
author:
  - linuxnet.fabric developers (@linuxnet-fabric)
options:
  name:
    description:
      - Name of the namespace, a file name under C(/run/netns).
      - Must not be empty, contain C(/), be C(.) or C(..), or be longer than 255 bytes.
    type: str
    required: true
extends_documentation_fragment:
  - linuxnet.fabric.common.pyroute2
  - linuxnet.fabric.common.state
  - linuxnet.fabric.common.attributes
notes:
  - Must run as root.
  - Deleting a namespace detaches its mount; processes still inside it keep it alive until they
    exit, as with C(ip netns del).
seealso:
  - name: ip-netns(8)
    description: The iproute2 command this module mirrors.
    link: https://man7.org/linux/man-pages/man8/ip-netns.8.html
'''

EXAMPLES = r'''
- name: Create a namespace for a container
  linuxnet.fabric.netns:
    name: web1

- name: Show what would change, without changing anything
  linuxnet.fabric.netns:
    name: web1
  check_mode: true
  diff: true

- name: Remove it (no error if it is already gone)
  linuxnet.fabric.netns:
    name: web1
    state: absent
'''

RETURN = r'''
netns:
  description:
    - The namespace as read back from the kernel after the change.
    - In check mode, the namespace as it is now (nothing was changed).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the namespace.
      type: str
      sample: web1
    path:
      description: The file that holds the namespace.
      type: str
      sample: /run/netns/web1
    exists:
      description: Whether the namespace exists.
      type: bool
      sample: true
    links:
      description: Interfaces inside the namespace (empty when it does not exist).
      type: list
      elements: dict
      sample:
        - name: lo
          index: 1
          kind: loopback
          state: up
          mtu: 65536
          mac: "00:00:00:00:00:00"
actions:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample:
    - create netns web1
    - set link lo (netns=web1, state=up)
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _names
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import Session, public_link, reporting, require_pyroute2
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_netns import plan_netns


def read_namespace(name):
    """(namespace state, loopback up?, links) as the kernel reports them."""
    namespace_state = _netns.state(name)
    if namespace_state != 'present':
        return namespace_state, False, []
    with Session(name) as session:
        links = session.links()
    loopback = links.get('lo')
    return namespace_state, bool(loopback and loopback['up']), [public_link(link) for link in links.values()]


def apply(plan):
    for action in plan.actions:
        if action.kind == 'netns' and action.verb == 'delete':
            with reporting("deleting %s" % _netns.describe(action.name)):
                _netns.delete(action.name)
        elif action.kind == 'netns' and action.verb == 'create':
            with reporting("creating %s" % _netns.describe(action.name)):
                _netns.create(action.name)
        elif action.kind == 'link':
            with Session(action.details['netns']) as session:
                loopback = session.link(action.name)
                session.set_link(action.name, loopback['index'], state='up')


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            state=dict(_common.STATE_OPTION),
        ),
        supports_check_mode=True,
    )
    name, state = module.params['name'], module.params['state']
    with _common.failing_on_errors(module):
        _common.check('name', _names.netns_name_error(name))
        require_pyroute2(module)
        plan, (namespace_state, loopback_up, links) = _common.reconcile(
            module.check_mode, lambda: read_namespace(name),
            lambda current: plan_netns(name, state, current[0], current[1]),
            lambda plan, _current: apply(plan))
    _common.exit_with_plan(module, plan, netns=dict(name=name, path=_netns.path_of(name), exists=namespace_state == 'present',
                                                    links=links))


if __name__ == '__main__':
    main()

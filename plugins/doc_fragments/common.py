# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """Options and attributes shared by the kernel-object modules."""

    DOCUMENTATION = r'''
options:
  netns:
    description:
      - Network namespace to operate in.
      - Either the name of a namespace under C(/run/netns) (as made by C(ip netns add) or
        M(linuxnet.fabric.netns)), or an absolute path to a namespace file such as
        C(/proc/1234/ns/net).
      - When omitted, the module works in the namespace of the node itself.
      - The namespace must exist; the module never creates one implicitly, so a misspelt name
        fails instead of building objects in a new empty namespace.
    type: str
notes:
  - Must run as root (C(become) or a root connection); netlink changes need C(CAP_NET_ADMIN).
  - All options are validated before the first change. Invalid input fails with a message naming
    the option and leaves the system as it was.
'''

    # Ansible rejects fragments without options or attributes, hence the empty options.
    PYROUTE2 = r'''
options: {}
requirements:
  - pyroute2 >= 0.7.2 on the managed node (Debian/Ubuntu package C(python3-pyroute2)).
'''

    STATE = r'''
options:
  state:
    description:
      - V(present) creates or updates the object; V(absent) removes it.
      - Removing an object that does not exist is not an error and reports no change.
    type: str
    choices: [present, absent]
    default: present
'''

    LOCK = r'''
options:
  lock_timeout:
    description:
      - Seconds to wait for another run that is changing this node's fabric (a per-node lock,
        C(/run/linuxnet-fabric/node.lock)) before failing with a message that names it (its PID,
        module, controller address and since when).
      - The lock is held by the module's process while it reads, plans and changes, so it is
        released on any exit, never left behind by a run that died, and gone after a reboot.
        Check mode changes nothing and takes no lock.
    type: int
    default: 120
'''

    ATTRIBUTES = r'''
attributes:
  check_mode:
    support: full
    description: Can run in check mode and predicts C(changed) exactly, changing nothing.
  diff_mode:
    support: full
    description: Returns before and after states in diff mode.
  platform:
    support: full
    platforms: posix
    description: Linux hosts (netlink); targets Linux kernels with netns support.
'''

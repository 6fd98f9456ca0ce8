# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of kernel object names.

Pure code: no Ansible and no kernel imports, so planners and filters can share it and unit tests
run without root. Every validator returns an error text (without the option name, which the
caller knows) or None when the value is acceptable.
"""

from __future__ import annotations

# The kernel's limits: IFNAMSIZ is 16 bytes including the trailing NUL; a netns name is a file
# name under /run/netns, so NAME_MAX (255 bytes) applies.
IFNAME_MAX_BYTES = 15
NETNS_NAME_MAX_BYTES = 255


def netns_name_error(name):
    """Why `name` cannot name a network namespace under /run/netns, or None."""
    if name is None or name == '':
        return 'must not be empty'
    if not isinstance(name, str):
        return 'must be a string'
    if '/' in name:
        return "must not contain '/' (it is a file name under /run/netns)"
    if name in ('.', '..'):
        return "must not be '.' or '..'"
    if '\x00' in name:
        return 'must not contain a NUL byte'
    size = len(name.encode('utf-8'))
    if size > NETNS_NAME_MAX_BYTES:
        return 'is %d bytes long; a namespace name can have at most %d bytes' % (size, NETNS_NAME_MAX_BYTES)
    return None


def netns_reference_error(reference):
    """Like netns_name_error, but also accepts an absolute path to a namespace file.

    Absolute paths let modules act on namespaces that are not named under /run/netns, such as
    /proc/<pid>/ns/net of a running container.
    """
    if isinstance(reference, str) and reference.startswith('/'):
        if '\x00' in reference:
            return 'must not contain a NUL byte'
        return None
    return netns_name_error(reference)


def ifname_error(name):
    """Why `name` cannot name a network interface, or None (the kernel's dev_valid_name rules)."""
    if name is None or name == '':
        return 'must not be empty'
    if not isinstance(name, str):
        return 'must be a string'
    size = len(name.encode('utf-8'))
    if size > IFNAME_MAX_BYTES:
        return 'is %d bytes long; interface names can have at most %d bytes' % (size, IFNAME_MAX_BYTES)
    if name in ('.', '..'):
        return "must not be '.' or '..'"
    for char in name:
        if char == '/' or char == ':' or char.isspace() or char == '\x00':
            return 'must not contain %r' % char
    return None

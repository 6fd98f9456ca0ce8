# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one ethtool setting the fabric needs: TX checksum offload of a device, through the
SIOCETHTOOL ioctl (what `ethtool -K <dev> tx off` does), with the standard library.

flannel's users turn TX checksum offload off on flannel.1 where a kernel bug corrupts VXLAN
checksums (flannel issue 2152); the ethtool line they add is lost at the next reboot or device
re-creation, which a module re-applies on every run.
"""

from __future__ import annotations

import array
import fcntl
import socket
import struct

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError

SIOCETHTOOL = 0x8946
# linux/ethtool.h: get/set TX checksum offload (all of the device's checksum features).
ETHTOOL_GTXCSUM = 0x16
ETHTOOL_STXCSUM = 0x17


def _request(netns, name, command, value=0):
    """The `data` of struct ethtool_value after the ioctl `command` on device `name`."""
    value_buffer = array.array('I', [command, value])
    ifreq = struct.pack('16sP', name.encode('utf-8'), value_buffer.buffer_info()[0])
    where = " in network namespace '%s'" % netns if netns else ''
    try:
        if netns:
            with _netns.entered(netns):
                probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        else:
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with probe:
            fcntl.ioctl(probe.fileno(), SIOCETHTOOL, ifreq)
    except OSError as error:
        raise FabricError("%s TX checksum offload of '%s'%s failed: %s" % (
            'reading' if command == ETHTOOL_GTXCSUM else 'setting', name, where, error.strerror or error))
    except _netns.NamespaceError as error:
        raise FabricError("reading TX checksum offload of '%s'%s failed: %s" % (name, where, error))
    return value_buffer[1]


def tx_checksum(netns, name):
    """Whether TX checksum offload is on for device `name`."""
    return bool(_request(netns, name, ETHTOOL_GTXCSUM))


def set_tx_checksum(netns, name, enabled):
    _request(netns, name, ETHTOOL_STXCSUM, 1 if enabled else 0)

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network sysctls of a namespace, read and written from inside it.

/proc/sys/net shows the network namespace of the process that opens the file, so the files are
opened while the thread is inside the namespace (see _netns.entered); `sysctl -w` from outside
would change the host's value instead.
"""

from __future__ import annotations

import contextlib
import os

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError

PROC_SYS = '/proc/sys'


def path_of(key):
    """'net.ipv4.conf.eth0.proxy_arp' -> '/proc/sys/net/ipv4/conf/eth0/proxy_arp'.

    Interface names may contain dots, so keys are given as tuples of parts where that matters.
    """
    parts = key if isinstance(key, tuple) else tuple(key.split('.'))
    return os.path.join(PROC_SYS, *parts)


def describe(key):
    return '.'.join(key) if isinstance(key, tuple) else key


class Sysctls(object):
    """Reads and writes sysctls of one namespace (None: the caller's own)."""

    def __init__(self, netns=None):
        self.netns = netns

    @contextlib.contextmanager
    def _inside(self):
        if self.netns:
            with _netns.entered(self.netns):
                yield
        else:
            yield

    def where(self):
        return ' in %s' % _netns.describe(self.netns) if self.netns else ''

    def exists(self, key):
        """Whether the sysctl (file or directory, e.g. net.ipv4.conf.<interface>) exists."""
        with self._inside():
            return os.path.exists(path_of(key))

    def read(self, keys):
        """{key: value string or None when the sysctl does not exist} for several keys at once."""
        values = {}
        with self._inside():
            for key in keys:
                try:
                    with open(path_of(key)) as handle:
                        values[key] = handle.read().strip()
                except FileNotFoundError:
                    values[key] = None
                except OSError as error:
                    raise FabricError('reading sysctl %s%s failed: %s' % (describe(key), self.where(), error.strerror))
        return values

    def write(self, values):
        """Write {key: value} in one visit to the namespace."""
        with self._inside():
            for key, value in values.items():
                try:
                    with open(path_of(key), 'w') as handle:
                        handle.write('%s\n' % value)
                except OSError as error:
                    raise FabricError('setting sysctl %s=%s%s failed: %s' % (describe(key), value, self.where(), error.strerror))

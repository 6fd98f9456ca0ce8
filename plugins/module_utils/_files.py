# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small files a node part owns (daemon.json, subnet.env, records): read, replace atomically."""

from __future__ import annotations

import os
import tempfile

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError


def read_text(path):
    """The file's text, None when there is no such file; any other failure names the file."""
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise FabricError('%s could not be read: %s' % (path, error.strerror or error))


def readable_text(path):
    """The file's text, None when it cannot be read for any reason: for facts, which report what
    the node shows (a /proc file of a missing interface, no dpkg) instead of failing."""
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return None


def write_atomically(path, content, mode=0o644):
    """Replace `path` with `content`: a temporary file in its directory, then a rename, so a reader
    (dockerd, flanneld's consumers) never sees half a file."""
    directory = os.path.dirname(path) or '.'
    handle, temporary = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.')
    try:
        with os.fdopen(handle, 'w') as output:
            output.write(content)
        os.chmod(temporary, mode)
        os.rename(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise

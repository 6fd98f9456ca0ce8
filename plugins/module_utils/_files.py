# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small files a node part owns (daemon.json, subnet.env, records): read, replace atomically; and
where the commands it runs are (find_command)."""

from __future__ import annotations

import os
import shutil
import tempfile

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError

# Where root's tools live; a module may run with a PATH without them (as get_bin_path knows).
SBIN_DIRECTORIES = ('/usr/local/sbin', '/usr/sbin', '/sbin')


def find_command(name, search_path=None):
    """Absolute path of a command on `search_path` (default: PATH and the sbin directories)."""
    if search_path is None:
        search_path = os.pathsep.join([os.environ.get('PATH', '')] + list(SBIN_DIRECTORIES))
    found = shutil.which(name, path=search_path)
    if not found:
        raise FabricError("command '%s' was not found (install the package that provides it)" % name)
    return found


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

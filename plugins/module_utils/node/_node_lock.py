# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time changes a node's fabric: an flock on a file under /run.

Two playbook runs against one node would otherwise plan on the same kernel state and both create
the same links (the loser failed with a bare EEXIST). The lock is held by the module process that
reads, plans and changes, so it is released on any exit of that process (the kernel drops an
flock with its last descriptor) and can never be left stale by a holder that died; /run is a
tmpfs, so nothing survives a reboot either. The holder writes who it is into the file, so a
waiter that gives up can name it. Check mode changes nothing and takes no lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError

LOCK_PATH = '/run/linuxnet-fabric/node.lock'
DEFAULT_TIMEOUT = 120
POLL_SECONDS = 0.2

# Paths this process holds: a module whose body calls another locking body must not wait for itself.
_HELD = set()


def holder_description(environ=None, pid=None, clock=time.time, module=None):
    """Who is taking the lock: process, module, since when, and from which controller (SSH_CLIENT)."""
    environ = os.environ if environ is None else environ
    description = {'pid': os.getpid() if pid is None else pid, 'since': int(clock()), 'module': module}
    ssh_client = (environ.get('SSH_CLIENT') or '').split()
    description['controller'] = ssh_client[0] if ssh_client else 'local'
    return description


def describe_holder(text):
    """The file's content as words for an error message."""
    try:
        holder = json.loads(text)
        since = time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(int(holder['since'])))
        return 'PID %s (%s, run from %s) since %s' % (holder['pid'], holder.get('module') or 'a module',
                                                      holder.get('controller') or 'an unknown controller', since)
    except (ValueError, KeyError, TypeError):
        return 'a process that has not written its name yet'


def _holder_pid(text):
    try:
        return json.loads(text)['pid']
    except (ValueError, KeyError, TypeError):
        return '?'


def _same_file(descriptor, path):
    """Whether `path` still names the file open on `descriptor` (a releasing holder unlinks it)."""
    try:
        named = os.stat(path)
    except OSError as error:
        if error.errno == errno.ENOENT:
            return False
        raise
    opened = os.fstat(descriptor)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


@contextlib.contextmanager
def held(path=LOCK_PATH, timeout=DEFAULT_TIMEOUT, module=None, clock=time.monotonic, sleep=time.sleep, holder=None):
    """Hold the node's fabric lock for the block; wait at most `timeout` seconds for it.

    The file (and its directory) is removed on release, so a node where no run is in progress has
    no trace of it;
    a waiter that locked a file a holder removed meanwhile starts over on the new one.
    """
    if path in _HELD:
        yield
        return
    directory = os.path.dirname(path)
    deadline = clock() + timeout
    while True:
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:
            # No directory yet, or a releasing holder just removed it.
            os.makedirs(directory, mode=0o700, exist_ok=True)
            continue
        try:
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as error:
                    if error.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                if clock() >= deadline:
                    os.lseek(descriptor, 0, os.SEEK_SET)
                    text = os.read(descriptor, 4096).decode('utf-8', 'replace')
                    raise FabricError('another run is changing this node: %s holds the fabric lock %s. Waited %d s '
                                      '(the lock is released when that module ends; if it hangs, end PID %s)' % (
                                          describe_holder(text), path, timeout, _holder_pid(text)))
                sleep(POLL_SECONDS)
        except BaseException:
            os.close(descriptor)
            raise
        if _same_file(descriptor, path):
            break
        os.close(descriptor)
    try:
        content = json.dumps(holder or holder_description(module=module), sort_keys=True).encode('utf-8')
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, content, 0)
        _HELD.add(path)
        yield
    finally:
        _HELD.discard(path)
        # Unlink while still holding, then close: a waiter holding the old file sees it gone and
        # retries. The directory goes too when nobody else made a file in it meanwhile.
        try:
            os.unlink(path)
            os.rmdir(directory)
        except OSError:
            pass
        os.close(descriptor)

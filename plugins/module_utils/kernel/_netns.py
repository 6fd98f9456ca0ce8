# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network namespace plumbing: create, delete, inspect and enter namespaces.

This does not need pyroute2. It does what `ip netns add/del` do, in-process: forking one helper
per namespace (what pyroute2's netns.create and 0.7's NetNS do) costs milliseconds, and the batch
modules touch hundreds of namespaces in one call.

Entering never creates: a namespace is opened with a plain O_RDONLY open of its file, so a wrong
name fails with NamespaceNotFound instead of silently making a new namespace (pyroute2's
flags=0 semantics).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError

NETNS_RUN_DIR = '/run/netns'

CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MS_REC = 16384
MS_SHARED = 1 << 20
MNT_DETACH = 2
# ioctl(2) on a namespace file: returns the CLONE_NEW* type of the namespace (Linux >= 4.11).
NS_GET_NSTYPE = 0xB703

_LIBC = []


class NamespaceError(FabricError):
    """A namespace operation failed; the message names the namespace."""


class NamespaceNotFound(NamespaceError):
    """The namespace does not exist."""


def _libc():
    if not _LIBC:
        # CDLL(None) gives the symbols already loaded into the interpreter, glibc among them,
        # without ctypes.util.find_library (which forks ldconfig).
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


def _check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise NamespaceError('%s: %s' % (what, os.strerror(code)))


def path_of(reference):
    """The file that holds a namespace: a name under /run/netns, or an absolute path as given."""
    if reference.startswith('/'):
        return reference
    return os.path.join(NETNS_RUN_DIR, reference)


def describe(reference):
    """How messages name a namespace."""
    return "network namespace '%s'" % reference


def _namespace_type(fd):
    try:
        return fcntl.ioctl(fd, NS_GET_NSTYPE)
    except OSError:
        return None


def state(reference):
    """'present' for a live network namespace, 'absent' when there is no file, or 'stale'.

    'stale' is a leftover file that is not (or no longer) a network namespace mount, e.g. after a
    crash between creating the mount point and binding the namespace onto it. `ip netns add` would
    fail on it with EEXIST.
    """
    try:
        fd = os.open(path_of(reference), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return 'absent'
    except OSError:
        return 'stale'
    try:
        return 'present' if _namespace_type(fd) == CLONE_NEWNET else 'stale'
    finally:
        os.close(fd)


def list_names():
    """Names of the namespaces under /run/netns, sorted."""
    try:
        return sorted(os.listdir(NETNS_RUN_DIR))
    except FileNotFoundError:
        return []


def open_netns(reference):
    """An O_RDONLY file descriptor of a live network namespace (never creates one)."""
    try:
        fd = os.open(path_of(reference), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NamespaceNotFound('%s does not exist' % describe(reference))
    except OSError as exc:
        raise NamespaceError('%s cannot be opened: %s' % (describe(reference), exc.strerror))
    if _namespace_type(fd) != CLONE_NEWNET:
        os.close(fd)
        raise NamespaceError('%s: %s is not a network namespace' % (describe(reference), path_of(reference)))
    return fd


@contextlib.contextmanager
def entered(reference):
    """Run the body with the calling thread inside the namespace, then return to the original.

    Netlink sockets and /proc/sys/net files opened inside the body stay bound to the namespace
    after it returns, which is how one process serves many namespaces.
    """
    target = open_netns(reference)
    original = os.open('/proc/thread-self/ns/net', os.O_RDONLY | os.O_CLOEXEC)
    try:
        _check(_libc().setns(target, CLONE_NEWNET), 'entering %s' % describe(reference))
        try:
            yield
        finally:
            _check(_libc().setns(original, CLONE_NEWNET), 'returning from %s' % describe(reference))
    finally:
        os.close(original)
        os.close(target)


def _make_run_dir_shared():
    """Make /run/netns a shared mount point, as iproute2 does.

    Shared propagation makes a namespace deleted in one mount namespace disappear from the
    others too, so the namespace can be freed.
    """
    libc = _libc()
    try:
        os.makedirs(NETNS_RUN_DIR, mode=0o755)
    except FileExistsError:
        pass
    run_dir = NETNS_RUN_DIR.encode()
    if libc.mount(b'', run_dir, b'none', MS_SHARED | MS_REC, None) == 0:
        return
    if ctypes.get_errno() != errno.EINVAL:
        _check(-1, 'making %s a shared mount' % NETNS_RUN_DIR)
    # EINVAL: not a mount point yet; bind it onto itself and try again.
    _check(libc.mount(run_dir, run_dir, b'none', MS_BIND | MS_REC, None), 'bind-mounting %s' % NETNS_RUN_DIR)
    _check(libc.mount(b'', run_dir, b'none', MS_SHARED | MS_REC, None), 'making %s a shared mount' % NETNS_RUN_DIR)


def _new_mount_point(name):
    """The empty file a namespace is bound onto, under the shared /run/netns; the name must be new."""
    _make_run_dir_shared()
    path = path_of(name)
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    except FileExistsError:
        raise NamespaceError('%s already exists' % describe(name))
    return path


def create(name):
    """Create the named namespace (like `ip netns add`). The name must not exist yet."""
    libc = _libc()
    path = _new_mount_point(name)
    original = os.open('/proc/thread-self/ns/net', os.O_RDONLY | os.O_CLOEXEC)
    try:
        try:
            _check(libc.unshare(CLONE_NEWNET), 'creating %s' % describe(name))
            try:
                _check(libc.mount(b'/proc/thread-self/ns/net', path.encode(), b'none', MS_BIND, None),
                       'binding %s to %s' % (describe(name), path))
            finally:
                _check(libc.setns(original, CLONE_NEWNET), 'returning from %s' % describe(name))
        except NamespaceError:
            os.unlink(path)
            raise
    finally:
        os.close(original)


def attach(name, source):
    """Give the namespace `source` (a name, or a path such as /proc/<pid>/ns/net of a container) the name `name`
    (like `ip netns attach`). The name must not exist yet; deleting the name later leaves the
    namespace to whoever holds it."""
    libc = _libc()
    os.close(open_netns(source))  # a live network namespace, or an error naming it
    path = _new_mount_point(name)
    try:
        _check(libc.mount(path_of(source).encode(), path.encode(), b'none', MS_BIND, None), 'binding %s to %s' % (source, path))
    except NamespaceError:
        os.unlink(path)
        raise


def inode(reference):
    """The inode that identifies a namespace (two names of one namespace have the same), or None."""
    try:
        return os.stat(path_of(reference)).st_ino
    except OSError:
        return None


def delete(name):
    """Delete the named namespace (like `ip netns del`); a stale file is removed too."""
    path = path_of(name)
    # MNT_DETACH: processes still inside keep the namespace alive, as with `ip netns del`.
    if _libc().umount2(path.encode(), MNT_DETACH) != 0 and ctypes.get_errno() not in (errno.EINVAL, errno.ENOENT):
        _check(-1, 'unmounting %s' % path)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def is_mount_point(path):
    """Whether `path` is a mount point (os.path.ismount misses bind mounts within one file system)."""
    with open('/proc/self/mountinfo') as mountinfo:
        for line in mountinfo:
            # Field 5 is the mount point, with spaces and other specials escaped as octal.
            mount_point = line.split(' ', 5)[4].encode('latin-1').decode('unicode_escape')
            if mount_point == path:
                return True
    return False


def release_run_dir():
    """Unmount /run/netns if it is a mount point with no namespace left in it.

    `ip netns add` turns /run/netns into a mount point and never undoes it. Callers that made
    that mount (the lab) use this to leave /proc/mounts as they found it.
    """
    if is_mount_point(NETNS_RUN_DIR) and not list_names():
        _check(_libc().umount2(NETNS_RUN_DIR.encode(), MNT_DETACH), 'unmounting %s' % NETNS_RUN_DIR)
        return True
    return False

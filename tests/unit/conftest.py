# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make `ansible_collections.linuxnet.fabric` import from this working tree under plain pytest,
and keep unit tests from reading the machine they run on.

ansible-test units needs the tree at .../ansible_collections/linuxnet/fabric; `make units` runs
pytest directly, so a symlink to the repository root in a temporary collections root stands in.
Under ansible-test (already inside such a path) this does nothing.

Unit tests must give the same result on any machine: a test that reads /proc, /sys, /run, /etc,
dpkg's database, the user database, runs a command or opens a kernel socket passes or fails with
what earlier runs left on the machine. While a test runs, every such access raises HostAccess,
which fails the test naming what it touched; inject the host's side instead (a tmp_path file, a
module constant pointed at one, a fake run_command).
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import socket
import sys
import tempfile

import pytest

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def _collections_root():
    parts = REPOSITORY.split(os.sep)
    if len(parts) >= 3 and parts[-3] == 'ansible_collections':
        return os.sep.join(parts[:-3])
    # One root per checkout: two checkouts (git worktrees, a CI clone) testing at once must not
    # point each other's imports at their tree.
    checkout = hashlib.sha1(REPOSITORY.encode('utf-8')).hexdigest()[:12]
    root = os.path.join(tempfile.gettempdir(), 'linuxnet-fabric-units-%d-%s' % (os.getuid(), checkout))
    link = os.path.join(root, 'ansible_collections', 'linuxnet', 'fabric')
    if os.path.realpath(link) != REPOSITORY:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(REPOSITORY, link)
    return root


COLLECTIONS_ROOT = _collections_root()
sys.path.insert(0, COLLECTIONS_ROOT)


class HostAccess(AssertionError):
    """A unit test touched the state of the machine it runs on."""


# Where a unit test may read: its own files (the repository, temporary directories) and Python's
# (the interpreter's prefixes and import path, for modules imported lazily). Each as given and
# resolved: a virtual environment reached through a symbolic link is opened by either path.
_ROOTS = [REPOSITORY, COLLECTIONS_ROOT, tempfile.gettempdir(), sys.prefix, sys.base_prefix, sys.exec_prefix] + [
    entry for entry in sys.path if entry and os.path.isabs(entry)]
_ALLOWED_ROOTS = tuple(sorted(set([os.path.abspath(path) for path in _ROOTS] + [os.path.realpath(path) for path in _ROOTS])))
_guard = {'active': False}


def _allowed(path):
    if isinstance(path, int):
        return True  # an already open descriptor
    if isinstance(path, bytes):
        path = path.decode('utf-8', 'replace')
    path = os.path.abspath(str(path))
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in _ALLOWED_ROOTS)


def _refuse(what):
    _guard['active'] = False  # let pytest report the failure without tripping the guard itself
    raise HostAccess('a unit test touched the host: %s; inject it instead (see tests/unit/conftest.py)' % what)


# Kernel sockets a test might open (netlink, or the ioctl socket of an interface query).
_HOST_SOCKET_FAMILIES = (socket.AF_NETLINK, socket.AF_INET, socket.AF_INET6, socket.AF_PACKET)


def _audit(event, args):
    if not _guard['active']:
        return
    if event == 'open' and args[0] is not None and not _allowed(args[0]):
        _refuse('open %s' % (args[0],))
    elif event in ('os.listdir', 'os.scandir') and args[0] is not None and not _allowed(args[0]):
        _refuse('%s %s' % (event, args[0]))
    elif event in ('subprocess.Popen', 'os.system', 'os.exec', 'os.posix_spawn', 'os.spawn'):
        _refuse('%s %s' % (event, args[0]))
    elif event == 'socket.__new__' and args[1] in _HOST_SOCKET_FAMILIES:
        _refuse('a socket of address family %s' % args[1])
    elif event == 'fcntl.ioctl':
        _refuse('ioctl %#x' % args[1])


sys.addaudithook(_audit)


def _guarded(function, describe):
    def wrapper(*args, **kwargs):
        if _guard['active'] and args and not _allowed(args[0]):
            _refuse(describe(args))
        return function(*args, **kwargs)
    return wrapper


def _user_database(function, name):
    def wrapper(*args, **kwargs):
        if _guard['active']:
            _refuse('%s%r (the user database)' % (name, args))
        return function(*args, **kwargs)
    return wrapper


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """The test body runs with the guard on (audit events for opens, listings, commands, sockets
    and ioctls; wrappers for the stat family and the user database, which raise no audit event).
    Fixtures are set up and torn down without it: pytest's own tmp_path asks for the user name."""
    patch = pytest.MonkeyPatch()
    for name in ('stat', 'lstat', 'access', 'readlink'):
        patch.setattr(os, name, _guarded(getattr(os, name), lambda args, name=name: '%s %s' % (name, args[0])))
    for module, name in ((pwd, 'getpwuid'), (pwd, 'getpwnam'), (grp, 'getgrgid'), (grp, 'getgrnam')):
        patch.setattr(module, name, _user_database(getattr(module, name), name))
    _guard['active'] = True
    try:
        yield
    finally:
        _guard['active'] = False
        patch.undo()


# The user and group databases of the tests: names of their own for the numbers files get here.
FILE_OWNER = 'member-owner'
FILE_GROUP = 'member-group'


@pytest.fixture
def file_owner_names(monkeypatch):
    """_etcd_member names the owners of the tests' files from the tests' user database."""
    from ansible_collections.linuxnet.fabric.plugins.module_utils.services import _etcd_member
    monkeypatch.setattr(_etcd_member, 'user_name', lambda uid: FILE_OWNER if uid == os.getuid() else str(uid))
    monkeypatch.setattr(_etcd_member, 'group_name', lambda gid: FILE_GROUP if gid == os.getgid() else str(gid))


class FakeClock(object):
    """A monotonic clock that moves only when the code under test sleeps on it."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def fake_clock():
    """clock() and clock.sleep() for code that waits with injected time (locks, restarts)."""
    return FakeClock()

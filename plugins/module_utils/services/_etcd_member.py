# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an etcd member holds on disk, read without etcd running (the etcd_member_info module).

Standard library only: the etcd role reads every member with it before it decides who
bootstraps, joins or restarts, and a run with nothing to do must stay cheap.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import re
import stat as stat_module

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._dpkg import installed_versions
from ansible_collections.linuxnet.fabric.plugins.module_utils._files import readable_text

# The host's files the facts come from (unit tests point them at files of their own).
DPKG_STATUS = '/var/lib/dpkg/status'
# What sd_booted(3) checks: the host runs systemd as its service manager.
SYSTEMD_RUNTIME_DIRECTORY = '/run/systemd/system'
ENV_LINE = re.compile(r'^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=(.*)$')
VERSION_LINE = re.compile(r'^etcd Version:\s*(\S+)', re.MULTILINE)


def env_values(text):
    """{NAME: value} of a shell/systemd environment file (quotes removed; comments skipped)."""
    values = {}
    for line in (text or '').splitlines():
        match = ENV_LINE.match(line)
        if not match:
            continue
        value = match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in ('"', "'"):
            value = value[1:-1]
        values[match.group(1)] = value
    return values


def package_versions(names, status_text):
    """{name: installed version or None} from the text of dpkg's status file (None: no dpkg)."""
    if status_text is None:
        return None
    installed = installed_versions(status_text)
    return dict((name, installed.get(name)) for name in names)


def binary_version(output):
    """The version `etcd --version` prints (None when it printed none)."""
    match = VERSION_LINE.search(output or '')
    return match.group(1) if match else None


def path_state(path):
    """{exists, type, mode, owner, group, sha1 (regular files)} of a path, not following links."""
    try:
        found = os.lstat(path)
    except OSError:
        return {'exists': False, 'type': None, 'mode': None, 'owner': None, 'group': None, 'sha1': None}
    kind = 'directory' if stat_module.S_ISDIR(found.st_mode) else 'link' if stat_module.S_ISLNK(found.st_mode) else \
        'file' if stat_module.S_ISREG(found.st_mode) else 'other'
    digest = None
    if kind == 'file':
        with open(path, 'rb') as handle:
            digest = hashlib.sha1(handle.read()).hexdigest()
    return {'exists': True, 'type': kind, 'mode': '%04o' % stat_module.S_IMODE(found.st_mode),
            'owner': user_name(found.st_uid), 'group': group_name(found.st_gid), 'sha1': digest}


def name_of(lookup, number):
    """The name a user or group database lookup gives a number, or the number when it has none."""
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def user_name(uid):
    return name_of(pwd.getpwuid, uid)


def group_name(gid):
    return name_of(grp.getgrgid, gid)


def sysv_enabled(service, rc_root='/etc'):
    """Whether a start link of `service` is in a multi-user runlevel (update-rc.d's `enable`)."""
    for level in '2345':
        directory = os.path.join(rc_root, 'rc%s.d' % level)
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        if any(re.match(r'^S\d\d%s$' % re.escape(service), name) for name in names):
            return True
    return False


def member_info(data_dir, env_file=None, packages=(), status_text=None):
    """The member's data dir, environment file and packages (the binary is read by the caller)."""
    env = env_values(readable_text(env_file)) if env_file else {}
    try:
        stat = os.stat(data_dir)
    except OSError:
        stat = None
    return {
        'data_dir_exists': stat is not None,
        # etcd writes <data-dir>/member when it first starts: the member has (had) a cluster.
        'has_data': os.path.isdir(os.path.join(data_dir, 'member')),
        'data_dir_mode': '%04o' % (stat.st_mode & 0o7777) if stat else None,
        'env_exists': bool(env_file) and os.path.exists(env_file),
        'initial_cluster': env.get('ETCD_INITIAL_CLUSTER') or None,
        'initial_cluster_state': env.get('ETCD_INITIAL_CLUSTER_STATE') or None,
        'name': env.get('ETCD_NAME') or None,
        # What the running member was started with: moving its data dir or its peer URL under it
        # would bootstrap a new cluster or cut it off (the role refuses both).
        'configured_data_dir': env.get('ETCD_DATA_DIR') or None,
        'configured_peer_url': env.get('ETCD_INITIAL_ADVERTISE_PEER_URLS') or None,
        'systemd': os.path.isdir(SYSTEMD_RUNTIME_DIRECTORY),
        'package_versions': package_versions(list(packages), status_text if status_text is not None else readable_text(DPKG_STATUS))
        if packages else {},
    }

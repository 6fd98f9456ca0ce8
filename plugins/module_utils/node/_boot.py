# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files that let a node rebuild its part of the fabric at boot, without the controller.

The kernel forgets links, addresses, routes and netfilter rules at a reboot; only files stay.
fabric_node writes, next to the node's record (_node_record):
- a copy of this collection's module_utils (the very code the module ran with, taken from the
  module's own payload), so the restore needs neither Ansible nor the controller;
All of it under /etc and /var/lib/linuxnet-fabric, a node's own files (lab machines share the
host's /usr, so nothing goes there);
- linuxnet-fabric-restore, which applies the record with that code (_restore);
- an init script and a systemd unit that run it at boot, enabled the way update-rc.d and
  systemctl enable do it (links), so both sysvinit and systemd hosts run it.
`root` prefixes every path (tests build the files in a directory of their own).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

from ansible_collections.linuxnet.fabric.plugins.module_utils._files import read_text, write_atomically
# Imported (not only named) so that Ansible ships it in the module's payload, the copy's source.
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._restore import main as restore_main

PACKAGE = 'ansible_collections.linuxnet.fabric.plugins.module_utils'
BUNDLE_DIR = '/var/lib/linuxnet-fabric/lib'
RESTORE_COMMAND = '/var/lib/linuxnet-fabric/bin/linuxnet-fabric-restore'
INIT_SCRIPT = '/etc/init.d/linuxnet-fabric'
SYSTEMD_UNIT = '/etc/systemd/system/linuxnet-fabric.service'
SYSTEMD_WANTS = '/etc/systemd/system/multi-user.target.wants/linuxnet-fabric.service'
# Started after the network and Docker (whose FORWARD drop the fabric's accepts must find).
RC_LINK = 'S20linuxnet-fabric'
RC_LEVELS = ('2', '3', '4', '5')

RESTORE_SCRIPT = '''#!{python}
# linuxnet.fabric: rebuild this node's part of the fabric from its record, without the controller.
# Written by the module linuxnet.fabric.fabric_node; run at boot by {init_script} or
# linuxnet-fabric.service. --check only tells whether something is missing (exit 3).
import sys

# The copy is the module's own code, rewritten by each run: no bytecode files beside it.
sys.dont_write_bytecode = True
sys.path.insert(0, {bundle!r})
from {entry} import main

sys.exit(main(sys.argv[1:], record_path={record!r}))
'''

INIT_SCRIPT_TEXT = '''#!/bin/sh
### BEGIN INIT INFO
# Provides:          linuxnet-fabric
# Required-Start:    $network $remote_fs
# Required-Stop:
# Should-Start:      docker
# Default-Start:     2 3 4 5
# Default-Stop:
# Short-Description: Rebuild this node's part of the linuxnet.fabric fabric
### END INIT INFO
# Written by the module linuxnet.fabric.fabric_node. Stopping leaves the fabric in place: the
# playbook teardown.yml removes it.
case "$1" in
    start|restart|force-reload) exec {command} ;;
    stop) exit 0 ;;
    status) exec {command} --check ;;
    *) echo "Usage: $0 {{start|stop|status|restart|force-reload}}" >&2; exit 3 ;;
esac
'''

SYSTEMD_UNIT_TEXT = '''# Written by the module linuxnet.fabric.fabric_node.
[Unit]
Description=Rebuild this node's part of the linuxnet.fabric fabric
Wants=network-online.target
After=network-online.target docker.service

[Service]
Type=oneshot
ExecStart={command}
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
'''


def module_sources():
    """{path relative to module_utils: source} of this collection's module_utils and its layer
    subpackages, from wherever they were imported (the module's AnsiballZ payload on a node, files
    elsewhere)."""
    package = importlib.import_module(PACKAGE)
    sources = {}
    for info in pkgutil.walk_packages(package.__path__, PACKAGE + '.'):
        loader = importlib.util.find_spec(info.name).loader
        source = loader.get_source(info.name)
        if source is None:
            continue
        relative = info.name[len(PACKAGE) + 1:].split('.')
        if info.ispkg:
            relative.append('__init__')
        sources['/'.join(relative) + '.py'] = source
    return sources


def _rooted(root, path):
    return os.path.join(root, path.lstrip('/')) if root and root != '/' else path


def boot_files(record_path, sources, root='/', python=None):
    """{path: content} of the files and {path: target} of the links the boot-time restore needs."""
    bundle = _rooted(root, BUNDLE_DIR)
    command = _rooted(root, RESTORE_COMMAND)
    init_script = _rooted(root, INIT_SCRIPT)
    files = {}
    package_dir = os.path.join(bundle, *PACKAGE.split('.'))
    # Regular packages (with __init__.py): an ansible_collections elsewhere on the path cannot
    # shadow this copy.
    for depth in range(1, len(PACKAGE.split('.')) + 1):
        files[os.path.join(bundle, *PACKAGE.split('.')[:depth] + ['__init__.py'])] = ''
    for relative, source in sorted(sources.items()):
        files[os.path.join(package_dir, *relative.split('/'))] = source
    files[command] = RESTORE_SCRIPT.format(python=python or sys.executable, init_script=INIT_SCRIPT, bundle=bundle,
                                           entry=restore_main.__module__, record=record_path)
    files[init_script] = INIT_SCRIPT_TEXT.format(command=command)
    files[_rooted(root, SYSTEMD_UNIT)] = SYSTEMD_UNIT_TEXT.format(command=command)
    links = {_rooted(root, SYSTEMD_WANTS): _rooted(root, SYSTEMD_UNIT)}
    for level in RC_LEVELS:
        links[_rooted(root, '/etc/rc%s.d/%s' % (level, RC_LINK))] = '../init.d/linuxnet-fabric'
    return files, links


EXECUTABLES = (RESTORE_COMMAND, INIT_SCRIPT)


def _mode_of(path, root):
    return 0o755 if any(path == _rooted(root, executable) for executable in EXECUTABLES) else 0o644


def _link_target(path):
    try:
        return os.readlink(path)
    except OSError:
        return None


def _rc_link_present(path):
    """An rc link of ours under any sequence number (insserv renumbers what update-rc.d made)."""
    directory = os.path.dirname(path)
    try:
        return any(name[0] == 'S' and name[3:] == RC_LINK[3:] for name in os.listdir(directory))
    except OSError:
        return False


def _bundle_files(root, bytecode=True):
    """Files under the bundle directory now (an older copy may have others); `bytecode`: with
    __pycache__ (which only removal must clear; a Python run on the copy may make it)."""
    found = []
    for directory, _subdirectories, names in os.walk(_rooted(root, BUNDLE_DIR)):
        if bytecode or '__pycache__' not in directory.split(os.sep):
            found.extend(os.path.join(directory, name) for name in names)
    return found


def plan_boot_files(files, links, present, root='/'):
    """[(verb, path, content or link target)]: what to write, link or remove so the node has the
    boot files (`present`) or none of them; the bundle holds exactly this copy's files."""
    changes = []
    for path, content in sorted(files.items()):
        current = read_text(path)
        if present and current != content:
            changes.append(('write', path, content))
        elif not present and current is not None:
            changes.append(('remove', path, None))
    for path in sorted(_bundle_files(root, bytecode=not present)):
        if path not in files:
            changes.append(('remove', path, None))
    for path, target in sorted(links.items()):
        is_rc = os.path.basename(path) == RC_LINK
        if present:
            if is_rc and not os.path.isdir(os.path.dirname(path)):
                continue
            if (_rc_link_present(path) if is_rc else _link_target(path) == target):
                continue
            changes.append(('link', path, target))
        elif is_rc:
            # Under any number (insserv renumbers what update-rc.d made).
            directory = os.path.dirname(path)
            for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
                if name[:1] == 'S' and name[3:] == RC_LINK[3:] and os.path.islink(os.path.join(directory, name)):
                    changes.append(('remove', os.path.join(directory, name), None))
        elif os.path.lexists(path):
            changes.append(('remove', path, None))
    return changes


def apply_boot_files(changes, root='/'):
    for verb, path, value in changes:
        if verb == 'write':
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            write_atomically(path, value, mode=_mode_of(path, root))
        elif verb == 'link':
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            if os.path.lexists(path):
                os.unlink(path)
            os.symlink(value, path)
        else:
            os.unlink(path)
    if any(verb == 'remove' for verb, _path, _value in changes):
        # The bundle's directories and the command's, once empty (deepest first).
        directories = [directory for directory, _subdirectories, _names in os.walk(_rooted(root, BUNDLE_DIR), topdown=False)]
        for directory in directories + [os.path.dirname(_rooted(root, RESTORE_COMMAND))]:
            if os.path.isdir(directory) and not os.listdir(directory):
                os.rmdir(directory)


def describe(changes):
    """Action texts for the module's result: the copy of the collection counted, not listed."""
    in_bundle = [change for change in changes if not change_outside(change[1])]
    texts = []
    for verb in ('write', 'remove'):
        count = sum(1 for change in in_bundle if change[0] == verb)
        if count:
            texts.append("%s %d files of the boot-time restore's copy of the collection" % (verb, count))
    texts.extend('%s %s' % (verb, path) for verb, path, _value in changes if change_outside(path))
    return texts


def change_outside(path):
    return '/linuxnet-fabric/lib/' not in path

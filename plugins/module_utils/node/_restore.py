# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""linuxnet-fabric-restore: a node rebuilds its part of the fabric from its record, at boot.

Runs from the copy of module_utils that fabric_node leaves on the node (_boot), without Ansible:
the same planner and executor as the module, on the options the node recorded (_node_record),
under the node's lock. Exit status: 0 done (or nothing to do), 1 failed, 3 with --check when
something is missing (LSB's "not running").
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from ansible_collections.linuxnet.fabric.plugins.module_utils.node import _node_lock
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._node_record import RECORD_PATH, boot_params, read_record

# Boot scripts may start with an empty PATH; iptables, nft and ethtool live in these.
BOOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'


def run_command(argv, data=None, binary_data=False, **_ignored):
    """What AnsibleModule.run_command does for the netfilter backends: (rc, stdout, stderr)."""
    if isinstance(data, str):
        data = data.encode('utf-8') if binary_data else (data + '\n').encode('utf-8')
    try:
        completed = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    except OSError as error:
        return 127, '', str(error)
    return completed.returncode, completed.stdout.decode('utf-8', 'replace'), completed.stderr.decode('utf-8', 'replace')


def main(argv, record_path=RECORD_PATH, out=None, err=None, runner=None):
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(prog='linuxnet-fabric-restore',
                                     description="Rebuild this node's part of the linuxnet.fabric fabric from its record.")
    parser.add_argument('--record', default=record_path, help='the record fabric_node wrote (default: %(default)s)')
    parser.add_argument('--check', action='store_true', help='only tell whether something is missing (exit 3 if so)')
    parser.add_argument('--lock-timeout', type=int, default=_node_lock.DEFAULT_TIMEOUT,
                        help='seconds to wait for a run that holds the node lock (default: %(default)s)')
    options = parser.parse_args(argv)
    os.environ['PATH'] = os.environ.get('PATH') or BOOT_PATH
    if runner is None:
        from ansible_collections.linuxnet.fabric.plugins.module_utils.node._fabric_node import run_node
        runner = run_node
    try:
        record = read_record(options.record)
        if record is None:
            out.write('linuxnet-fabric-restore: %s does not exist; this node has no part of a fabric to restore\n' % options.record)
            return 0
        lock = _node_lock.held(timeout=options.lock_timeout, module='linuxnet-fabric-restore') if not options.check else None
        if lock is not None:
            with lock:
                result = runner(boot_params(record), run_command, False)
        else:
            result = runner(boot_params(record), run_command, True)
    except FabricError as error:
        err.write('linuxnet-fabric-restore: %s\n' % error)
        return 1
    for action in result['actions']:
        out.write('%s%s\n' % ('would ' if options.check else '', action))
    summary = '%s part of the %s fabric %s' % ("this node's", record['mode'], 'in place' if not result['changed'] else (
        'incomplete' if options.check else 'restored'))
    out.write('linuxnet-fabric-restore: %s\n' % summary)
    return 3 if options.check and result['changed'] else 0

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import io
import os

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.node import _boot, _restore
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError
from ansible_collections.linuxnet.fabric.plugins.module_utils.node._node_record import record_of, record_text

SOURCES = {'_a.py': 'A = 1\n', '_restore.py': 'def main(argv, record_path=None):\n    return 0\n'}


def boot(root, sources=None, present=True):
    files, links = _boot.boot_files('/var/lib/linuxnet-fabric/node.json', SOURCES if sources is None else sources, root,
                                    python='/usr/bin/python3')
    return _boot.plan_boot_files(files, links, present, root)


def test_the_module_ships_its_own_module_utils():
    sources = _boot.module_sources()
    assert 'node/_restore.py' in sources and 'node/_fabric_node.py' in sources and 'node/_boot.py' in sources
    # The layer subpackages come with their __init__.py: the copy imports like the original.
    assert sources['node/__init__.py'] == '' and 'planners/_plan.py' in sources and '_errors.py' in sources
    assert 'def main(' in sources['node/_restore.py']


def test_first_run_writes_everything_then_nothing(tmp_path):
    root = str(tmp_path)
    os.makedirs(os.path.join(root, 'etc', 'rc2.d'))
    changes = boot(root)
    written = [path for verb, path, _value in changes if verb == 'write']
    assert written and all(path.startswith(root + '/') for path in written)
    assert os.path.join(root, 'var/lib/linuxnet-fabric/bin/linuxnet-fabric-restore') in written
    linked = [path for verb, path, _value in changes if verb == 'link']
    # rc2.d exists under this root; rc3.d..rc5.d do not, and are not made.
    assert sorted(os.path.basename(os.path.dirname(path)) for path in linked) == ['multi-user.target.wants', 'rc2.d']
    _boot.apply_boot_files(changes, root)
    assert os.access(os.path.join(root, 'var/lib/linuxnet-fabric/bin/linuxnet-fabric-restore'), os.X_OK)
    assert os.access(os.path.join(root, 'etc/init.d/linuxnet-fabric'), os.X_OK)
    assert not os.access(os.path.join(root, 'etc/systemd/system/linuxnet-fabric.service'), os.X_OK)
    assert os.readlink(os.path.join(root, 'etc/rc2.d/S20linuxnet-fabric')) == '../init.d/linuxnet-fabric'
    assert boot(root) == []


def test_the_restore_command_runs_the_copy(tmp_path):
    root = str(tmp_path)
    files, _links = _boot.boot_files('/x/node.json', SOURCES, root, python='/usr/bin/python3')
    script = files[os.path.join(root, 'var/lib/linuxnet-fabric/bin/linuxnet-fabric-restore')]
    assert script.startswith('#!/usr/bin/python3\n')
    assert "sys.path.insert(0, '%s/var/lib/linuxnet-fabric/lib')" % root in script
    assert 'from ansible_collections.linuxnet.fabric.plugins.module_utils.node._restore import main' in script
    assert "record_path='/x/node.json'" in script


def test_insserv_renumbered_links_count(tmp_path):
    root = str(tmp_path)
    os.makedirs(os.path.join(root, 'etc', 'rc2.d'))
    _boot.apply_boot_files(boot(root), root)
    os.rename(os.path.join(root, 'etc/rc2.d/S20linuxnet-fabric'), os.path.join(root, 'etc/rc2.d/S03linuxnet-fabric'))
    assert boot(root) == []
    # Removal finds it under its new number.
    removal = boot(root, sources={}, present=False)
    assert ('remove', os.path.join(root, 'etc/rc2.d/S03linuxnet-fabric'), None) in removal
    _boot.apply_boot_files(removal, root)
    assert os.listdir(os.path.join(root, 'etc/rc2.d')) == []


def test_a_stale_file_of_an_older_copy_goes_and_bytecode_stays_until_removal(tmp_path):
    root = str(tmp_path)
    _boot.apply_boot_files(boot(root), root)
    package = os.path.join(root, 'var/lib/linuxnet-fabric/lib/ansible_collections/linuxnet/fabric/plugins/module_utils')
    with open(os.path.join(package, '_old.py'), 'w') as stream:
        stream.write('')
    os.makedirs(os.path.join(package, '__pycache__'))
    with open(os.path.join(package, '__pycache__', '_a.cpython-311.pyc'), 'w') as stream:
        stream.write('')
    assert boot(root) == [('remove', os.path.join(package, '_old.py'), None)]
    _boot.apply_boot_files(boot(root), root)
    removal = boot(root, sources={}, present=False)
    assert removal and all(verb == 'remove' for verb, _path, _value in removal)
    _boot.apply_boot_files(removal, root)
    assert not os.path.exists(os.path.join(root, 'var/lib/linuxnet-fabric/lib'))
    assert not os.path.exists(os.path.join(root, 'var/lib/linuxnet-fabric/bin'))
    assert not os.path.lexists(os.path.join(root, 'etc/systemd/system/multi-user.target.wants/linuxnet-fabric.service'))
    assert boot(root, sources={}, present=False) == []


def test_describe_counts_the_copy():
    texts = _boot.describe([('write', '/var/lib/linuxnet-fabric/lib/a/_a.py', ''), ('write', '/var/lib/linuxnet-fabric/lib/a/_b.py', ''),
                            ('link', '/etc/rc2.d/S20linuxnet-fabric', '../init.d/linuxnet-fabric')])
    assert texts == ["write 2 files of the boot-time restore's copy of the collection", 'link /etc/rc2.d/S20linuxnet-fabric']


PARAMS = {'mode': 'bridge_nat', 'owner': 'bridge_nat', 'plan': {'endpoints': [{'name': 'web', 'address': '172.19.11.2/24'}]}}


@pytest.mark.parametrize('argv, result, status, words', [
    ([], {'changed': True, 'actions': ['create bridge fabric0']}, 0, "bridge_nat fabric restored"),
    ([], {'changed': False, 'actions': []}, 0, 'in place'),
    (['--check'], {'changed': True, 'actions': ['create bridge fabric0']}, 3, 'would create bridge fabric0'),
    (['--check'], {'changed': False, 'actions': []}, 0, 'in place'),
])
def test_restore_applies_the_record(tmp_path, monkeypatch, argv, result, status, words):
    record = tmp_path / 'node.json'
    record.write_text(record_text(record_of(PARAMS)))
    monkeypatch.setattr(_restore._node_lock, 'LOCK_PATH', str(tmp_path / 'run' / 'node.lock'))
    calls = []

    def runner(params, run_command, check_mode):
        calls.append((params, check_mode))
        return result
    out = io.StringIO()
    held = []
    monkeypatch.setattr(_restore._node_lock, 'held', lambda **kwargs: held.append(kwargs) or _NoLock())
    assert _restore.main(argv + ['--record', str(record)], out=out, err=io.StringIO(), runner=runner) == status
    assert words in out.getvalue()
    assert calls[0][0]['state'] == 'present' and calls[0][0]['plan']['endpoints'][0]['name'] == 'web'
    assert calls[0][1] == ('--check' in argv)
    # Changes only under the node's lock; a check takes none.
    assert len(held) == (0 if '--check' in argv else 1)


class _NoLock(object):
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def test_restore_without_a_record_does_nothing(tmp_path):
    out = io.StringIO()
    assert _restore.main(['--record', str(tmp_path / 'none.json')], out=out, runner=lambda *args: pytest.fail('ran')) == 0
    assert 'does not exist' in out.getvalue()


def test_restore_reports_failures(tmp_path):
    record = tmp_path / 'node.json'
    record.write_text('{')
    err = io.StringIO()
    assert _restore.main(['--record', str(record)], out=io.StringIO(), err=err, runner=lambda *args: pytest.fail('ran')) == 1
    assert 'is not the JSON' in err.getvalue()


def test_restore_names_a_failure_of_the_run(tmp_path, monkeypatch):
    record = tmp_path / 'node.json'
    record.write_text(record_text(record_of(PARAMS)))
    monkeypatch.setattr(_restore._node_lock, 'held', lambda **kwargs: _NoLock())

    def failing(params, run_command, check_mode):
        raise FabricError("creating bridge 'fabric0' failed")
    err = io.StringIO()
    assert _restore.main(['--record', str(record)], out=io.StringIO(), err=err, runner=failing) == 1
    assert "creating bridge 'fabric0' failed" in err.getvalue()

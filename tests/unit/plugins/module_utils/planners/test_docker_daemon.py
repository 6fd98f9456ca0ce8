# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's daemon.json: merging, recording, restoring, and the flags dockerd would refuse them with."""

from __future__ import annotations

import json

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _docker_daemon as docker
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError


@pytest.mark.parametrize('text, expected', [(None, {}), ('', {}), ('  \n', {}), ('{"log-driver": "journald"}', {'log-driver': 'journald'})])
def test_parse_config(text, expected):
    assert docker.parse_config(text, '/etc/docker/daemon.json') == expected


@pytest.mark.parametrize('text, problem', [('{"bip": ', 'is not valid JSON'), ('[1]', 'holds a JSON list')])
def test_an_unreadable_config_is_an_error_naming_the_file(text, problem):
    with pytest.raises(FabricError, match='/etc/docker/daemon.json ' + problem):
        docker.parse_config(text, '/etc/docker/daemon.json')


@pytest.mark.parametrize('settings', [{}, None, {'Bip': '10.0.0.1/24'}, {'bip value': 1}])
def test_settings_must_be_daemon_json_keys(settings):
    with pytest.raises(OptionError) as raised:
        docker.check_settings(settings)
    assert raised.value.option == 'settings'


@pytest.mark.parametrize('words, flags', [
    (['/usr/bin/dockerd', '-H', 'fd://', '--bip=10.0.0.1/24', '--mtu', '1450', '--ip-masq=false'], {'bip', 'mtu', 'ip-masq'}),
    (['dockerd', '--containerd=/run/containerd/containerd.sock'], {'containerd'}),
    (['dockerd', '--', '-x'], set()),
])
def test_flags_of_a_command_line(words, flags):
    assert docker.flags_of(words) == flags


def test_flags_of_docker_opts_and_of_units():
    assert docker.docker_opts_flags('# comment\nDOCKER_OPTS="--bip=10.0.0.1/24 --dns 8.8.8.8"\n') == {'bip', 'dns'}
    assert docker.docker_opts_flags('export DOCKER_OPTS=\'--mtu 1400\'\n#DOCKER_OPTS="--bip x"\n') == {'mtu'}
    assert docker.docker_opts_flags('DOCKER_OPTS="unterminated\n') == set()
    unit = '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// --ip-masq=false\nExecReload=/bin/kill -s HUP $MAINPID\n'
    assert docker.unit_flags(unit) == {'ip-masq'}
    assert docker.unit_flags('ExecStart=/usr/bin/containerd --config x\n') == set()


def test_conflicts_name_the_key_and_where_the_flag_is():
    sources = {'the running dockerd (pid 812)': {'bip', 'debug'}, '/etc/default/docker': {'mtu'}}
    found = docker.conflicts({'bip': '10.5.71.129/25', 'mtu': 1450, 'ip-masq': None}, sources)
    assert found == [('bip', 'the running dockerd (pid 812)'), ('mtu', '/etc/default/docker')]
    message = docker.conflict_message(found, '/etc/docker/daemon.json')
    assert message.startswith('dockerd is started with --bip, --mtu (--bip in the running dockerd (pid 812); --mtu in '
                              '/etc/default/docker) while the fabric would write bip, mtu into /etc/docker/daemon.json')
    # Removing a key clashes with nothing.
    assert docker.conflicts({'bip': None}, sources) == []


def test_merge_keeps_every_other_key_and_removes_null_ones():
    config = {'log-driver': 'journald', 'bip': '172.17.0.1/16', 'iptables': True}
    assert docker.merged(config, {'bip': '10.5.71.129/25', 'mtu': 1450, 'iptables': None}) == {
        'log-driver': 'journald', 'bip': '10.5.71.129/25', 'mtu': 1450}


def test_the_record_keeps_the_first_values_it_saw():
    first = docker.recorded(None, {'bip': '172.17.0.1/16'}, {'bip': 'x', 'mtu': 1450}, True, True)
    assert first == {'config_existed': True, 'directory_existed': True, 'before': {'bip': '172.17.0.1/16', 'mtu': None}}
    # A later run sees the fabric's own values: the record keeps the originals, and learns new keys only.
    later = docker.recorded(first, {'bip': 'x', 'mtu': 1450}, {'bip': 'y', 'mtu': 1450, 'ip-masq': False}, True, True)
    assert later['before'] == {'bip': '172.17.0.1/16', 'mtu': None, 'ip-masq': None}


@pytest.mark.parametrize('config, record, after, remove', [
    ({'bip': 'x', 'mtu': 1450, 'log-driver': 'journald'},
     {'config_existed': True, 'before': {'bip': '172.17.0.1/16', 'mtu': None}}, {'bip': '172.17.0.1/16', 'log-driver': 'journald'}, False),
    ({'bip': 'x', 'mtu': 1450}, {'config_existed': False, 'before': {'bip': None, 'mtu': None}}, {}, True),
    # Someone added a key since: the file stays.
    ({'bip': 'x', 'debug': True}, {'config_existed': False, 'before': {'bip': None}}, {'debug': True}, False),
])
def test_restore_puts_the_recorded_values_back(config, record, after, remove):
    assert docker.restored(config, record) == (after, remove)


def test_rendered_json_is_stable():
    assert docker.rendered({'mtu': 1450, 'bip': 'x'}) == json.dumps({'bip': 'x', 'mtu': 1450}, indent=4) + '\n'


def test_records_of_the_bridge_nat_role_of_1_0_0_are_read():
    old = {'docker_config_existed': False, 'docker_config_dir_existed': True, 'docker_before': {'bip': None, 'mtu': None}}
    assert docker.restored({'bip': 'x', 'mtu': 1450}, old) == ({}, True)
    assert docker.recorded(old, {'bip': 'x'}, {'bip': 'y', 'ip-masq': False}, True, True) == {
        'config_existed': False, 'directory_existed': True, 'before': {'bip': None, 'mtu': None, 'ip-masq': None}}


USER_FILES = [
    '{\n  "cgroup-parent": "/lab",\n  "storage-driver": "vfs"\n}\n',
    '{\n\t"storage-driver": "vfs",\n\t"log-opts": {\n\t\t"max-size": "10m"\n\t}\n}',
    '{\n    "storage-driver": "vfs",\n    "bip": "172.17.0.1/16",\n    "debug": true\n}\n',
]


@pytest.mark.parametrize('text', USER_FILES)
def test_the_users_lines_keep_their_layout_and_the_original_comes_back_byte_for_byte(text):
    config = docker.parse_config(text, 'daemon.json')
    settings = {'bip': '10.5.7.129/25', 'mtu': 1450, 'ip-masq': False}
    record = docker.recorded(None, config, settings, True, True, text)
    merged_text = docker.rendered(docker.merged(config, settings), text)
    untouched = [line for line in text.splitlines() if '"bip"' not in line and line.strip() not in ('{', '}')]
    assert untouched, 'the file has lines of other keys'
    # Every line of a key the fabric does not set is still there, as it was (commas aside).
    merged_lines = [line.rstrip(',') for line in merged_text.splitlines()]
    assert all(line.rstrip(',') in merged_lines for line in untouched)
    assert merged_text.endswith('\n') == text.endswith('\n')
    after, remove = docker.restored(docker.parse_config(merged_text, 'daemon.json'), record)
    assert remove is False
    assert docker.restored_text(after, record, merged_text) == text


def test_a_key_the_user_changed_meanwhile_is_kept_in_the_files_layout():
    text = USER_FILES[0]
    record = docker.recorded(None, docker.parse_config(text, 'd'), {'mtu': 1450}, True, True, text)
    current = docker.rendered({'cgroup-parent': '/lab', 'storage-driver': 'overlay2', 'mtu': 1450}, text)
    after, _remove = docker.restored(docker.parse_config(current, 'd'), record)
    assert docker.restored_text(after, record, current) == '{\n  "cgroup-parent": "/lab",\n  "storage-driver": "overlay2"\n}\n'


# `docker network inspect bridge` of Debian's dockerd 20.10 started with daemon.json
# {"bip": "172.19.11.129/25", "mtu": 1450, "ip-masq": false}, the parts that matter.
RUNNING_BRIDGE = {
    'Name': 'bridge',
    'IPAM': {'Driver': 'default', 'Config': [{'Subnet': '172.19.11.128/25', 'Gateway': '172.19.11.129'}]},
    'Options': {'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.enable_ip_masquerade': 'false',
                'com.docker.network.bridge.name': 'docker0', 'com.docker.network.driver.mtu': '1450'},
}
DEFAULT_BRIDGE = {
    'Name': 'bridge',
    'IPAM': {'Driver': 'default', 'Config': [{'Subnet': '172.17.0.0/16', 'Gateway': '172.17.0.1'}]},
    'Options': {'com.docker.network.bridge.enable_ip_masquerade': 'true', 'com.docker.network.driver.mtu': '1500'},
}
WANTED = {'bip': '172.19.11.129/25', 'mtu': 1450, 'ip-masq': False, 'storage-driver': 'vfs'}


@pytest.mark.parametrize('config, network, stale', [
    (WANTED, RUNNING_BRIDGE, []),
    (WANTED, DEFAULT_BRIDGE, ['bip', 'ip-masq', 'mtu']),
    (dict(WANTED, mtu='1450'), RUNNING_BRIDGE, []),
    (dict(WANTED, bip='172.19.11.1/25'), RUNNING_BRIDGE, ['bip']),
    (dict(WANTED, mtu=1400), RUNNING_BRIDGE, ['mtu']),
    (dict(WANTED, **{'ip-masq': True}), RUNNING_BRIDGE, ['ip-masq']),
    # Docker's defaults where the daemon does not show an option.
    ({'mtu': 1500, 'ip-masq': True}, {'IPAM': {'Config': []}, 'Options': {}}, []),
    ({'storage-driver': 'vfs'}, DEFAULT_BRIDGE, []),
    # No dockerd answers: nothing to judge.
    (WANTED, None, []),
])
def test_settings_the_running_dockerd_does_not_use_yet(config, network, stale):
    assert docker.stale_settings(config, network) == stale


def test_the_running_default_network_as_a_bip():
    assert docker.running_bridge(DEFAULT_BRIDGE) == '172.17.0.1/16'
    assert docker.running_bridge(RUNNING_BRIDGE) == '172.19.11.129/25'
    assert docker.running_bridge({'IPAM': {'Config': []}}) is None
    assert docker.running_bridge(None) is None


@pytest.mark.parametrize('record, restored, step', [
    # The user had no bip: dockerd first gets back the address it had, then the user's file.
    ({'bridge_before': '172.17.0.1/16'}, {'storage-driver': 'vfs'}, {'storage-driver': 'vfs', 'bip': '172.17.0.1/16'}),
    ({'bridge_before': '172.17.0.1/16', 'bridge_step_done': True}, {'storage-driver': 'vfs'}, None),
    # The user's own bip comes back in one step.
    ({'bridge_before': None}, {'bip': '10.1.0.1/24'}, None),
    ({'bridge_before': '172.17.0.1/16'}, {'bip': '10.1.0.1/24'}, None),
    # Recorded before dockerd ran (or by an older version): nothing to bring back.
    ({}, {'storage-driver': 'vfs'}, None),
])
def test_a_restore_takes_a_first_step_only_where_the_user_had_no_bip(record, restored, step):
    assert docker.bridge_step(dict(record, before={}), restored) == step


# plan_daemon: the docker_daemon module's planner, on files given as text.
CONFIG = '/etc/docker/daemon.json'
RECORD = '/etc/ansible/facts.d/docker.fact'
FABRIC = {'bip': '10.5.71.129/25', 'mtu': 1450, 'ip-masq': False}
USER_TEXT = '{"log-driver": "journald", "bip": "172.17.0.1/16"}'


def files(config_text=None, record=None, entries=('daemon.json',)):
    """What the module reads: daemon.json's text, the record's text, daemon.json's directory."""
    return {'config_text': config_text, 'record_text': json.dumps(record) if isinstance(record, dict) else record,
            'directory_entries': None if entries is None else sorted(entries)}


def summary(plan):
    return [(action.verb, action.kind, action.name, bool(action.details.get('upkeep'))) for action in plan.actions]


def applied(state, plan):
    """The files after the plan's actions, as the module's executor carries them out."""
    state = dict(state)
    entries = set(state['directory_entries'] or ())
    for action in plan.actions:
        if (action.verb, action.kind) == ('write', 'file'):
            state['config_text'] = action.details['_text']
            entries.add('daemon.json')
        elif (action.verb, action.kind) == ('write', 'record'):
            state['record_text'] = action.details['_text']
        elif action.kind == 'file':
            state['config_text'] = None
            entries.discard('daemon.json')
        elif action.kind == 'record':
            state['record_text'] = None
        elif action.kind == 'directory':
            entries = None
    state['directory_entries'] = None if entries is None else sorted(entries)
    return state


OLD_ROLE_RECORD = {'docker_config_existed': True, 'docker_config_dir_existed': True, 'docker_before': {'mtu': None}}


@pytest.mark.parametrize('read, settings, bridge, actions, changed, report', [
    # The user's file: the record first (what was replaced), then the file.
    (files(USER_TEXT), FABRIC, None,
     [('write', 'record', RECORD, False), ('write', 'file', CONFIG, False)], True,
     {'config': {'log-driver': 'journald', 'bip': '10.5.71.129/25', 'mtu': 1450, 'ip-masq': False}, 'stale': [],
      'restart_needed': True, 'again': False}),
    # No file, no directory: both are made.
    (files(None, entries=None), {'mtu': 1450}, None,
     [('write', 'record', RECORD, False), ('write', 'file', CONFIG, False)], True,
     {'config': {'mtu': 1450}, 'stale': [], 'restart_needed': True, 'again': False}),
    # No file: one is written even when the settings only remove keys.
    (files(None), {'debug': None}, None, [('write', 'record', RECORD, False), ('write', 'file', CONFIG, False)], True,
     {'config': {}, 'stale': [], 'restart_needed': True, 'again': False}),
    # The settings are there already and nothing was recorded: nothing to do, nothing to record.
    (files('{"mtu": 1450}'), {'mtu': 1450}, None, [], False, {'config': {'mtu': 1450}, 'stale': [], 'restart_needed': False, 'again': False}),
    # A record that learns a key the file already has as wanted is upkeep, no change.
    (files('{"mtu": 1450, "debug": true}', {'config_existed': True, 'directory_existed': True, 'before': {'mtu': None}}),
     {'mtu': 1450, 'debug': True}, None, [('write', 'record', RECORD, True)], False,
     {'config': {'mtu': 1450, 'debug': True}, 'stale': [], 'restart_needed': False, 'again': False}),
    # So is a record of the bridge_nat role of 1.0.0 rewritten in this format.
    (files('{"mtu": 1450}', OLD_ROLE_RECORD), {'mtu': 1450}, None, [('write', 'record', RECORD, True)], False,
     {'config': {'mtu': 1450}, 'stale': [], 'restart_needed': False, 'again': False}),
    # A running dockerd that does not use the settings yet: a restart is needed without a change.
    (files('{"bip": "172.19.11.129/25", "mtu": 1450, "ip-masq": false}', {'config_existed': True, 'before': {'bip': None, 'mtu': None, 'ip-masq': None}}),
     {'bip': '172.19.11.129/25', 'mtu': 1450, 'ip-masq': False}, DEFAULT_BRIDGE, [], False,
     {'config': {'bip': '172.19.11.129/25', 'mtu': 1450, 'ip-masq': False}, 'stale': ['bip', 'ip-masq', 'mtu'], 'restart_needed': True,
      'again': False}),
    (files('{"bip": "172.19.11.129/25"}'), {'bip': '172.19.11.129/25', 'mtu': 1400}, RUNNING_BRIDGE,
     [('write', 'record', RECORD, False), ('write', 'file', CONFIG, False)], True,
     {'config': {'bip': '172.19.11.129/25', 'mtu': 1400}, 'stale': ['mtu'], 'restart_needed': True, 'again': False}),
])
def test_plan_present(read, settings, bridge, actions, changed, report):
    plan = docker.plan_daemon('present', CONFIG, RECORD, read, settings=settings, flags={'/etc/default/docker': {'dns'}}, bridge=bridge)
    assert summary(plan) == actions
    assert plan.changed is changed
    assert plan.report == dict(report, flags={'/etc/default/docker': ['dns']})
    assert plan.diff() == {'before': docker.parse_config(read['config_text'], CONFIG), 'after': report['config']}
    # Idempotent: the files the plan leaves need nothing more.
    again = docker.plan_daemon('present', CONFIG, RECORD, applied(read, plan), settings=settings, bridge=bridge)
    assert summary(again) == []


def test_the_record_keeps_the_address_docker0_had_before_the_fabrics_bip():
    plan = docker.plan_daemon('present', CONFIG, RECORD, files('{"storage-driver": "vfs"}'), settings=FABRIC, bridge=DEFAULT_BRIDGE)
    written = [action for action in plan.actions if action.kind == 'record']
    assert len(written) == 1
    assert json.loads(written[0].details['_text'])['bridge_before'] == '172.17.0.1/16'
    assert written[0].details['_mode'] == 0o600


@pytest.mark.parametrize('flags, check_flags, fails', [
    ({'the running dockerd (pid 812)': {'bip'}}, True, True),
    ({'/etc/default/docker': {'mtu', 'dns'}}, True, True),
    ({'/etc/default/docker': {'mtu'}}, False, False),
    ({'/etc/default/docker': {'dns'}}, True, False),
])
def test_a_key_dockerd_gets_as_a_flag_is_refused_before_any_action(flags, check_flags, fails):
    def plan():
        return docker.plan_daemon('present', CONFIG, RECORD, files(USER_TEXT), settings=FABRIC, flags=flags, check_flags=check_flags)
    if fails:
        with pytest.raises(FabricError, match='dockerd is started with --'):
            plan()
    else:
        assert plan().changed


@pytest.mark.parametrize('record_text, problem', [('{"before": ', 'is not valid JSON'), ('[1]', 'holds a JSON list')])
def test_an_unreadable_record_is_an_error_naming_it(record_text, problem):
    for state in ('present', 'restored'):
        with pytest.raises(FabricError, match=RECORD + ' ' + problem):
            docker.plan_daemon(state, CONFIG, RECORD, files(USER_TEXT, record_text), settings=FABRIC)


def merged_files(original, settings, entries=('daemon.json',), bridge=None):
    """The files after the fabric merged `settings` into `original` (None: no file)."""
    read = files(original, entries=entries)
    return applied(read, docker.plan_daemon('present', CONFIG, RECORD, read, settings=settings, bridge=bridge))


@pytest.mark.parametrize('read, actions, report, restored_text', [
    # The user's file comes back byte for byte; the record goes.
    (merged_files(USER_TEXT, FABRIC), [('write', 'file', CONFIG, False), ('remove', 'record', RECORD, False)],
     {'config': {'log-driver': 'journald', 'bip': '172.17.0.1/16'}, 'restart_needed': True, 'again': False}, USER_TEXT),
    # A file and a directory the fabric made go again.
    (merged_files(None, {'mtu': 1450}, entries=None),
     [('remove', 'file', CONFIG, False), ('remove', 'directory', '/etc/docker', False), ('remove', 'record', RECORD, False)],
     {'config': None, 'restart_needed': True, 'again': False}, None),
    # ... but not a directory that holds something else now.
    (dict(merged_files(None, {'mtu': 1450}, entries=None), directory_entries=['daemon.json', 'key.json']),
     [('remove', 'file', CONFIG, False), ('remove', 'record', RECORD, False)], {'config': None, 'restart_needed': True, 'again': False}, None),
    # A file the fabric made and someone removed since: the record goes, nothing needs a restart.
    (dict(merged_files(None, {'mtu': 1450}), config_text=None),
     [('remove', 'record', RECORD, False)], {'config': None, 'restart_needed': False, 'again': False}, None),
    # The user had no bip and dockerd ran: first dockerd gets the address docker0 had before.
    (merged_files('{"storage-driver": "vfs"}', FABRIC, bridge=DEFAULT_BRIDGE),
     [('write', 'file', CONFIG, False), ('write', 'record', RECORD, False)],
     {'config': {'storage-driver': 'vfs', 'bip': '172.17.0.1/16'}, 'restart_needed': True, 'again': True}, None),
    # Nothing recorded: nothing to put back.
    (files(USER_TEXT), [], {'config': {'log-driver': 'journald', 'bip': '172.17.0.1/16'}, 'restart_needed': False, 'again': False},
     USER_TEXT),
    (files(None, entries=None), [], {'config': None, 'restart_needed': False, 'again': False}, None),
])
def test_plan_restored(read, actions, report, restored_text):
    plan = docker.plan_daemon('restored', CONFIG, RECORD, read)
    assert summary(plan) == actions
    assert plan.changed is bool(actions)
    assert plan.report == dict(report, stale=[], flags={})
    assert plan.diff() == {'before': docker.parse_config(read['config_text'], CONFIG), 'after': plan.report['config'] or {}}
    after = applied(read, plan)
    if not report['again']:
        assert after['config_text'] == restored_text
        assert after['record_text'] is None
    # Idempotent, the two steps of a restore included: a run after the last one does nothing.
    while summary(plan):
        plan = docker.plan_daemon('restored', CONFIG, RECORD, after)
        after = applied(after, plan)
    assert after['record_text'] is None


def test_the_second_step_of_a_restore_puts_the_users_file_back():
    first = docker.plan_daemon('restored', CONFIG, RECORD, merged_files('{"storage-driver": "vfs"}', FABRIC, bridge=DEFAULT_BRIDGE))
    after_first = applied(merged_files('{"storage-driver": "vfs"}', FABRIC, bridge=DEFAULT_BRIDGE), first)
    assert json.loads(after_first['record_text'])['bridge_step_done'] is True
    second = docker.plan_daemon('restored', CONFIG, RECORD, after_first)
    assert summary(second) == [('write', 'file', CONFIG, False), ('remove', 'record', RECORD, False)]
    assert second.report['again'] is False
    assert applied(after_first, second)['config_text'] == '{"storage-driver": "vfs"}'

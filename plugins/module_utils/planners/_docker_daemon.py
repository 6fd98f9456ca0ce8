# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker's daemon.json settings a fabric needs (bip, mtu, ip-masq): merge, record, put back, and
find the flags that would make dockerd refuse them. Pure: texts in, plans out (plan_daemon, the
docker_daemon module's planner).

dockerd refuses to start when an option is both a command-line flag and a daemon.json key ("the
following directives are specified both as a flag and in the configuration file"), so a key the
fabric writes must not also be a flag of the way dockerd is started: its running command line, the
DOCKER_OPTS of /etc/default/docker (sysvinit), or the ExecStart of its systemd unit.
"""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re
import shlex

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan

KEY_PATTERN = re.compile(r'^[a-z][a-z0-9-]*$')
OPTS_LINE = re.compile(r'^\s*(?:export\s+)?DOCKER_OPTS=(.*)$')
EXEC_START = re.compile(r'^\s*ExecStart\s*=(.*)$')


def parse_config(text, path):
    """The JSON object of daemon.json ({} for a missing or empty file); an unreadable one is an error."""
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        raise FabricError('%s is not valid JSON (%s); Docker would not start with it either: fix it first' % (path, error))
    if not isinstance(value, dict):
        raise FabricError('%s holds a JSON %s, not an object' % (path, type(value).__name__))
    return value


def check_settings(settings):
    """daemon.json keys (lowercase words with '-') to values; None removes a key."""
    if not isinstance(settings, dict) or not settings:
        raise OptionError('settings', 'must be a dict of daemon.json keys, like {bip: 10.5.7.129/25, mtu: 1450}')
    for key in settings:
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise OptionError('settings', "'%s' is not a daemon.json key" % (key,))
    return dict(settings)


def flags_of(words):
    """The option names (without dashes) in a dockerd argument list: --bip=x, --bip x, --mtu 1450."""
    found = set()
    for word in words:
        if word.startswith('--') and len(word) > 2:
            found.add(word[2:].split('=', 1)[0])
    return found


def docker_opts_flags(text):
    """Flags in the DOCKER_OPTS of /etc/default/docker (sysvinit's init script passes them on)."""
    found = set()
    for line in (text or '').splitlines():
        match = OPTS_LINE.match(line)
        if match:
            try:
                value = shlex.split(match.group(1), comments=True)
            except ValueError:
                continue
            for item in value:
                found |= flags_of(shlex.split(item) if ' ' in item else [item])
    return found


def unit_flags(text):
    """Flags in the ExecStart lines of a systemd unit or drop-in that start dockerd."""
    found = set()
    for line in (text or '').splitlines():
        match = EXEC_START.match(line)
        if match and 'dockerd' in match.group(1):
            try:
                found |= flags_of(shlex.split(match.group(1)))
            except ValueError:
                continue
    return found


def conflicts(settings, sources):
    """[(key, where)] of keys to be written that dockerd also gets as a flag.

    `sources` maps a description ("the running dockerd (pid 812)", "/etc/default/docker") to the
    set of flags found there. Removing a key (None) conflicts with nothing.
    """
    return sorted((key, where) for key, value in settings.items() if value is not None
                  for where, flags in sources.items() if key in flags)


def conflict_message(found, path):
    keys = sorted(set(key for key, _where in found))
    return ('dockerd is started with %s (%s) while the fabric would write %s into %s: dockerd refuses to start when an option '
            'is both a flag and in the configuration file. Remove the flag, or turn the fabric\'s Docker settings off'
            % (', '.join('--' + key for key in keys), '; '.join('--%s in %s' % item for item in found),
               ', '.join(keys), path))


def merged(config, settings):
    """The configuration with `settings` in (None removes a key), every other key kept."""
    result = dict(config)
    for key, value in settings.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def recorded(record, config, settings, file_exists, directory_exists, text=None):
    """The record of what the fabric replaced: the first values it saw of each key it sets, and
    the file's text as the fabric found it (so that putting the values back gives the same bytes).

    A record that exists keeps what it holds (a second run must not record the fabric's own
    values as the originals); keys set for the first time are added.
    """
    if record is None:
        record = {'config_existed': file_exists, 'directory_existed': directory_exists, 'before': {}}
        if file_exists and text is not None:
            record['original_text'] = text
    record = upgraded(record)
    before = dict(record.get('before') or {})
    for key in settings:
        if key not in before:
            before[key] = config.get(key)
    return dict(record, before=before)


def upgraded(record):
    """A record in this module's format; the bridge_nat role of 1.0.0 wrote docker_config_existed,
    docker_config_dir_existed and docker_before itself."""
    if 'docker_before' not in record:
        return record
    return {'config_existed': bool(record.get('docker_config_existed')), 'directory_existed': bool(record.get('docker_config_dir_existed')),
            'before': dict(record.get('docker_before') or {})}


def restored(config, record):
    """The configuration with the recorded values back (keys that were absent removed), and
    whether the file should go (the fabric made it and nothing else is left in it)."""
    record = upgraded(record)
    before = record.get('before') or {}
    result = merged(config, before)
    remove_file = not record.get('config_existed') and not result
    return result, remove_file


def restored_text(config, record, current_text):
    """The text to write back: the file as the fabric found it when the configuration is that
    one again (byte for byte), else the configuration in the current file's layout."""
    original = (record or {}).get('original_text')
    if original is not None:
        try:
            if json.loads(original) == config:
                return original
        except ValueError:
            pass
    return rendered(config, current_text)


INDENT_PATTERN = re.compile(r'^([ \t]+)"', re.M)


def rendered(config, layout_of=None):
    """The configuration as JSON. Given the file's current text, in its layout (its indentation,
    its order of keys, new keys last), so that the lines of the keys the fabric does not set stay
    as they were; without one, 4 spaces and sorted keys."""
    if not layout_of or not layout_of.strip():
        return json.dumps(config, indent=4, sort_keys=True) + '\n'
    match = INDENT_PATTERN.search(layout_of)
    indent = match.group(1) if match else 4
    if isinstance(indent, str) and indent.strip(' ') == '':
        indent = len(indent)
    ending = '\n' if layout_of.endswith('\n') else ''
    return json.dumps(config, indent=indent) + ending


# How a running dockerd shows the settings on its default network (`docker network inspect bridge`).
BRIDGE_OPTIONS = {'mtu': 'com.docker.network.driver.mtu', 'ip-masq': 'com.docker.network.bridge.enable_ip_masquerade'}
BRIDGE_DEFAULTS = {'mtu': '1500', 'ip-masq': 'true'}


def stale_settings(config, network):
    """The keys among bip, mtu and ip-masq of `config` that the running dockerd does not use yet,
    judged from its default network (None: no dockerd answers, nothing to judge)."""
    if network is None:
        return []
    stale = []
    options = network.get('Options') or {}
    if config.get('bip') is not None:
        try:
            bip = ipaddress.ip_interface(str(config['bip']))
        except ValueError:
            return ['bip']
        subnets = ((network.get('IPAM') or {}).get('Config') or [])
        if not any(item.get('Subnet') == str(bip.network) and item.get('Gateway', str(bip.ip)) == str(bip.ip) for item in subnets):
            stale.append('bip')
    for key, option in sorted(BRIDGE_OPTIONS.items()):
        if config.get(key) is None:
            continue
        wanted = str(config[key]).lower() if isinstance(config[key], bool) else str(config[key])
        if str(options.get(option, BRIDGE_DEFAULTS[key])).lower() != wanted.lower():
            stale.append(key)
    return stale


def running_bridge(network):
    """The default network's address as a bip (gateway/prefix), from `docker network inspect bridge`."""
    for item in ((network or {}).get('IPAM') or {}).get('Config') or []:
        if item.get('Gateway') and item.get('Subnet'):
            return '%s/%s' % (item['Gateway'], item['Subnet'].split('/')[1])
    return None


def bridge_step(record, restored_config):
    """The configuration of a first restore step, or None.

    dockerd stores the default network's address and, with no bip in daemon.json, starts again
    with the stored one: taking the fabric's bip away would leave docker0 on the fabric's subnet.
    Where the user had no bip, teardown therefore starts dockerd once with the address it had
    before the fabric (recorded then), and only then puts the user's file back."""
    if not record or not record.get('bridge_before') or record.get('bridge_step_done'):
        return None
    if restored_config.get('bip') is not None:
        return None
    return merged(restored_config, {'bip': record['bridge_before']})


class DaemonPlan(Plan):
    """The docker_daemon module's plan: the file actions, the configuration before and after, and
    the module's report (config, stale, restart_needed, again, flags).

    A record's upkeep alone (it learns a key the file already has as wanted, or a record of the
    bridge_nat role of 1.0.0 is rewritten in this format) is written but is no change: the
    configuration dockerd reads stays the same, and a change would make the caller restart dockerd.
    """

    def __init__(self, before, after, report):
        Plan.__init__(self, before, after)
        self.report = report

    @property
    def changed(self):
        return any(not action.details.get('upkeep') for action in self.actions)


def record_text(record):
    return json.dumps(record, indent=2, sort_keys=True) + '\n'


def parse_record(text, record_file):
    """The record (None for a missing or empty file); an unreadable one is an error naming it."""
    if not text:
        return None
    try:
        record = json.loads(text)
    except ValueError as error:
        raise FabricError('%s is not valid JSON (%s): the record of the values the fabric replaced; fix or remove it'
                          % (record_file, error))
    if not isinstance(record, dict):
        raise FabricError('%s holds a JSON %s, not the record of the values the fabric replaced' % (record_file, type(record).__name__))
    return record


def plan_daemon(state, path, record_file, files, settings=None, flags=None, bridge=None, check_flags=True):
    """The actions that bring daemon.json (`path`) and the record to `state`, as a DaemonPlan.

    files: what was read: {'config_text': daemon.json's text or None, 'record_text': the record's
    text or None, 'directory_entries': the names in daemon.json's directory, None when there is
    none}. settings: the checked settings (check_settings), for state present. flags: {where:
    set of flags} of the ways dockerd is started. bridge: the running dockerd's default network
    (`docker network inspect bridge`), None when no dockerd answers.
    """
    text = files['config_text']
    config = parse_config(text, path)
    record = parse_record(files['record_text'], record_file)
    reported_flags = dict((where, sorted(names)) for where, names in (flags or {}).items())
    if state == 'present':
        return plan_present(path, record_file, files, config, record, settings, flags or {}, bridge, check_flags, reported_flags)
    return plan_restored(path, record_file, files, config, record, reported_flags)


def plan_present(path, record_file, files, config, record, settings, flags, bridge, check_flags, reported_flags):
    text = files['config_text']
    if check_flags:
        found = conflicts(settings, flags)
        if found:
            raise FabricError(conflict_message(found, path))
    after = merged(config, settings)
    write_config = text is None or after != config
    new_record = recorded(record, config, settings, text is not None, files['directory_entries'] is not None, text)
    if record is None and settings.get('bip') is not None and config.get('bip') is None and bridge is not None:
        # What docker0 has before the fabric's bip, for teardown (see bridge_step).
        new_record['bridge_before'] = running_bridge(bridge)
    stale = stale_settings(after, bridge)
    plan = DaemonPlan(config, after, dict(config=after, stale=stale, restart_needed=write_config or bool(stale), again=False,
                                          flags=reported_flags))
    if write_config:
        # The record first: a run stopped between the two writes still has the values it replaced.
        if new_record != record:
            plan.add('write', 'record', record_file, _text=record_text(new_record), _mode=0o600)
        plan.add('write', 'file', path, _text=rendered(after, text))
    elif record is not None and new_record != record:
        plan.add('write', 'record', record_file, upkeep=True, _text=record_text(new_record), _mode=0o600)
    return plan


def plan_restored(path, record_file, files, config, record, reported_flags):
    text = files['config_text']
    if record is None:
        # Nothing recorded, nothing to put back.
        return DaemonPlan(config, config, dict(config=config if text is not None else None, stale=[], restart_needed=False,
                                               again=False, flags=reported_flags))
    record = upgraded(record)
    after, remove_file = restored(config, record)
    step = bridge_step(record, after)
    if step is not None:
        plan = DaemonPlan(config, step, dict(config=step, stale=[], restart_needed=True, again=True, flags=reported_flags))
        plan.add('write', 'file', path, _text=rendered(step, text))
        plan.add('write', 'record', record_file, _text=record_text(dict(record, bridge_step_done=True)), _mode=0o600)
        return plan
    result_config = None if remove_file else after
    # A file gone already (config {}) needs no restart to stay gone.
    restart_needed = (result_config if result_config is not None else {}) != config
    plan = DaemonPlan(config, result_config or {}, dict(config=result_config, stale=[], restart_needed=restart_needed, again=False,
                                                        flags=reported_flags))
    if remove_file:
        if text is not None:
            plan.add('remove', 'file', path)
        entries = files['directory_entries']
        if not record.get('directory_existed') and entries is not None and set(entries) <= {posixpath.basename(path)}:
            plan.add('remove', 'directory', posixpath.dirname(path))
    else:
        new_text = restored_text(after, record, text)
        if new_text != text:
            plan.add('write', 'file', path, _text=new_text)
    # The record goes in any case: what it held is back.
    plan.add('remove', 'record', record_file)
    return plan

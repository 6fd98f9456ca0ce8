# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-interface network sysctls: which option is which file, validation and planning. Pure."""

from __future__ import annotations

import re

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan

# option -> (sysctl key parts with {interface} standing for the interface, accepted values)
INTERFACE_SYSCTLS = {
    'proxy_arp': (('net', 'ipv4', 'conf', '{interface}', 'proxy_arp'), (0, 1)),
    # In jiffies; 0 answers proxy ARP requests at once instead of after up to 0.8 s.
    'proxy_delay': (('net', 'ipv4', 'neigh', '{interface}', 'proxy_delay'), None),
    'forwarding': (('net', 'ipv4', 'conf', '{interface}', 'forwarding'), (0, 1)),
    'route_localnet': (('net', 'ipv4', 'conf', '{interface}', 'route_localnet'), (0, 1)),
    'rp_filter': (('net', 'ipv4', 'conf', '{interface}', 'rp_filter'), (0, 1, 2)),
    'proxy_ndp': (('net', 'ipv6', 'conf', '{interface}', 'proxy_ndp'), (0, 1)),
}
RP_FILTER_NAMES = {'off': 0, 'strict': 1, 'loose': 2}
# Not interfaces, but directories of the same sysctls: every interface, and new interfaces.
SPECIAL_INTERFACES = ('all', 'default')
PROXY_DELAY_MAX = 2 ** 31 - 1


def sysctl_key(option, interface):
    """The key tuple of an option's sysctl for an interface (tuples keep dots in names intact)."""
    parts = INTERFACE_SYSCTLS[option][0]
    return tuple(interface if part == '{interface}' else part for part in parts)


def dotted(key):
    """The name sysctl(8) uses: dots separate levels, so a dot inside an interface name becomes '/'."""
    return '.'.join(part.replace('.', '/') for part in key)


def desired_sysctls(params, prefix=''):
    """{option: int} for the options that are set, validated (OptionError names prefix+option)."""
    interface = params['interface']
    if interface not in SPECIAL_INTERFACES:
        _validate.ifname(prefix + 'interface', interface)
    desired = {}
    for option, (_key, accepted) in INTERFACE_SYSCTLS.items():
        value = params.get(option)
        if value is None:
            continue
        if option == 'rp_filter' and isinstance(value, str):
            if value not in RP_FILTER_NAMES:
                raise OptionError(prefix + option, "'%s' must be one of off, strict, loose (or 0, 1, 2)" % value)
            value = RP_FILTER_NAMES[value]
        if isinstance(value, bool):
            value = int(value)
        if option == 'proxy_delay':
            value = _validate.integer_in_range(prefix + option, value, 0, PROXY_DELAY_MAX)
        elif value not in accepted:
            raise OptionError(prefix + option, '%s must be one of %s' % (value, ', '.join(str(item) for item in accepted)))
        desired[option] = value
    if not desired:
        raise OptionError(prefix + 'interface', 'needs at least one of %s to set' % ', '.join(sorted(INTERFACE_SYSCTLS)))
    return desired


def plan_sysctls(interface, netns, desired, current):
    """Plan `set sysctl` actions; `current` maps each desired option to its value string (None: absent).

    The diff shows the dotted sysctl names with their values before and after.
    """
    before, after = {}, {}
    plan = Plan(before, after)
    for option in sorted(desired):
        key = sysctl_key(option, interface)
        if current.get(option) is None:
            raise OptionError(option, 'has no sysctl %s%s (is IPv6 disabled, or the interface gone?)' % (
                dotted(key), " in network namespace '%s'" % netns if netns else ''))
        now = int(current[option])
        before[dotted(key)] = now
        after[dotted(key)] = desired[option]
        if now != desired[option]:
            plan.add('set', 'sysctl', dotted(key), netns=netns, value=desired[option], _key=key)
    return plan


# --- one sysctl, persisted and restorable (the sysctl module) -----------------------------------

SYSCTL_NAME_PATTERN = re.compile(r'^[a-z0-9_]+(\.[A-Za-z0-9_/@+-]+)+$')
RECORD_KEY_PREFIX = 'sysctl '
PERSIST_HEADER = '# Written by linuxnet.fabric; the values restored at teardown are in the record file.\n'


def key_of(option, name):
    """The key tuple of a sysctl(8) name ('/' stands for a dot inside a level, as in eth0/100)."""
    if not isinstance(name, str) or not SYSCTL_NAME_PATTERN.match(name):
        raise OptionError(option, "'%s' is not a sysctl name like net.ipv4.ip_forward" % name)
    key = tuple(part.replace('/', '.') for part in name.split('.'))
    # A level of only '/' would be '.' or '..', a path out of /proc/sys (net.//.//etc.passwd).
    if any(part in ('.', '..') for part in key):
        raise OptionError(option, "'%s' is not a sysctl name: a level cannot be '/' or '//'" % name)
    return key


def _setting(line):
    """(name, value) of a sysctl.d `name = value` line; None for comments and other lines."""
    line = line.strip()
    if not line or line.startswith(('#', ';')) or '=' not in line:
        return None
    name, value = line.split('=', 1)
    return name.strip().lstrip('-'), value.strip()


def persisted_values(text):
    """{name: value} of a sysctl.d file's `name = value` lines (the last line of a name wins, as in sysctl)."""
    values = {}
    for line in (text or '').splitlines():
        setting = _setting(line)
        if setting:
            values[setting[0]] = setting[1]
    return values


def persisted_text(values, original=None):
    """The file for {name: value}, made from `original` (the file now, None: none).

    Lines of names that keep their value are left as they are, as are comments and other lines;
    lines of names whose value changed are rewritten, those of names no longer in `values` go,
    and new names are appended. None when the file would be left with no setting and nothing
    but this module's header and blank lines (the file is then deleted).
    """
    lines = []
    seen = set()
    for line in (original or '').splitlines():
        setting = _setting(line)
        if setting is None:
            lines.append(line)
            continue
        name, value = setting
        if name not in values:
            continue
        seen.add(name)
        lines.append(line if value == values[name] else '%s = %s' % (name, values[name]))
    lines.extend('%s = %s' % (name, values[name]) for name in sorted(set(values) - seen))
    header = PERSIST_HEADER.rstrip('\n')
    if not values and all(not line.strip() or line == header for line in lines):
        return None
    if not original or not original.strip():
        lines.insert(0, header)
    return '\n'.join(lines) + '\n'


def plan_sysctl(name, desired, current, persisted, record, state, netns):
    """Plan for one sysctl: `current` is its value now, `persisted` the {name: value} of the
    persist file (None: no file wanted), `record` the record file's object (None: none wanted).

    present: set the value; keep it in the persist file; record the value found, once.
    restored: put the recorded value back, and drop the name from both files.
    """
    key = RECORD_KEY_PREFIX + name
    view_before = {'value': current, 'persisted': (persisted or {}).get(name), 'recorded': (record or {}).get(key)}
    plan = Plan(view_before, dict(view_before))
    if state == 'present':
        if current != desired:
            plan.add('set', 'sysctl', name, netns=netns, value=desired)
            plan.after['value'] = desired
        if persisted is not None and persisted.get(name) != desired:
            plan.add('write', 'persist file', name, value=desired)
            plan.after['persisted'] = desired
        if record is not None and key not in record:
            plan.add('write', 'record', name, value=current)
            plan.after['recorded'] = current
        return plan
    recorded = (record or {}).get(key)
    if recorded is not None and current != recorded:
        plan.add('set', 'sysctl', name, netns=netns, value=recorded)
        plan.after['value'] = recorded
    if persisted is not None and name in persisted:
        plan.add('remove', 'persist file', name)
        plan.after['persisted'] = None
    if record is not None and key in record:
        plan.add('remove', 'record', name)
        plan.after['recorded'] = None
    return plan

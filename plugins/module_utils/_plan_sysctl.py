# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-interface network sysctls: which option is which file, validation and planning. Pure."""

from __future__ import annotations

from ansible_collections.linuxnet.fabric.plugins.module_utils import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils._plan import Plan

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

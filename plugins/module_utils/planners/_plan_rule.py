# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and planning for the routing_rule module (`ip rule`). Pure: no Ansible, no kernel.

A rule is identified by its priority and selectors (from, to, iif, oif, fwmark); its action is
the table it looks up. The kernel cannot replace a rule in place, so a rule whose table changes
is deleted and added again. Other rules, including the kernel's defaults, are never touched.
"""

from __future__ import annotations

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan

TABLES = {'local': 255, 'main': 254, 'default': 253}
# FR_ACT_TO_TBL: look the packet up in a table (the only action this module manages).
ACTION_LOOKUP = 1
# The kernel's own rules use 0, 32766 and 32767.
PRIORITY_MIN, PRIORITY_MAX = 1, 32765
FWMARK_MAX = 2 ** 32 - 1
SELECTORS = ('from', 'to', 'iif', 'oif', 'fwmark')


def table_number(option, value):
    if value is None:
        raise OptionError(option, 'is required when state is present')
    text = str(value).strip()
    if text in TABLES:
        return TABLES[text]
    if not text.isdigit() or not 1 <= int(text) <= 2 ** 32 - 1:
        raise OptionError(option, "'%s' must be main, local, default or a number 1..4294967295" % value)
    return int(text)


def table_name(number):
    for name, value in TABLES.items():
        if value == number:
            return name
    return str(number)


def desired_rule(params):
    """Validated, normalised options (OptionError names the first bad one)."""
    state = params.get('state') or 'present'
    rule = {
        'netns': _validate.netns('netns', params.get('netns')),
        'state': state,
        'priority': _validate.integer_in_range('priority', params.get('priority'), PRIORITY_MIN, PRIORITY_MAX),
        'from': None,
        'to': None,
        'iif': _validate.ifname('iif', params['iif']) if params.get('iif') else None,
        'oif': _validate.ifname('oif', params['oif']) if params.get('oif') else None,
        'fwmark': _validate.integer_in_range('fwmark', params.get('fwmark'), 0, FWMARK_MAX),
        'table': table_number('table', params.get('table')) if state == 'present' or params.get('table') is not None else None,
    }
    if rule['priority'] is None:
        raise OptionError('priority', 'is required: it identifies the rule')
    families = set()
    for option in ('from', 'to'):
        if params.get(option):
            network = _validate.network(option, params[option])
            rule[option] = (str(network.network_address), network.prefixlen)
            families.add(network.version)
    if len(families) > 1:
        raise OptionError('to', 'must be of the same IP version as from')
    rule['family'] = 6 if families == {6} else 4
    return rule


def text(rule):
    """`ip rule` style: 31999: from 172.19.0.0/16 lookup 100."""
    parts = ['%s:' % rule['priority'], 'from', '%s/%s' % rule['from'] if rule['from'] else 'all']
    if rule['to']:
        parts += ['to', '%s/%s' % rule['to']]
    for option in ('iif', 'oif'):
        if rule[option]:
            parts += [option, rule[option]]
    if rule['fwmark'] is not None:
        parts += ['fwmark', '0x%x' % rule['fwmark']]
    parts += ['lookup', table_name(rule['table'])]
    return ' '.join(parts)


def kernel_rule(current):
    """A rule dict as the reader returns it, in the shape of desired_rule."""
    return {
        'priority': current['priority'],
        'from': (current['src'], current['src_len']) if current['src'] else None,
        'to': (current['dst'], current['dst_len']) if current['dst'] else None,
        'iif': current['iif'],
        'oif': current['oif'],
        'fwmark': current['fwmark'],
        'table': current['table'],
        'action': current['action'],
    }


def same_selectors(left, right):
    return all(left[key] == right[key] for key in ('priority',) + SELECTORS)


def matching_rules(desired, current_rules):
    """The lookup rules among the reader's dicts with the desired rule's identity."""
    existing = [kernel_rule(rule) for rule in current_rules]
    return [rule for rule in existing if same_selectors(rule, desired) and rule['action'] == ACTION_LOOKUP]


def plan_rule(desired, current_rules):
    """Plan from the namespace's rules of the desired family (the reader's dicts)."""
    matching = matching_rules(desired, current_rules)
    before = {'rules': [text(rule) for rule in matching]}
    if desired['state'] == 'absent':
        doomed = [rule for rule in matching if desired['table'] is None or rule['table'] == desired['table']]
        plan = Plan(before, {'rules': [text(rule) for rule in matching if rule not in doomed]})
        for rule in doomed:
            plan.add('delete', 'rule', text(rule), netns=desired['netns'], _rule=dict(rule, family=desired['family']))
        return plan
    plan = Plan(before, {'rules': [text(desired)]})
    if [rule['table'] for rule in matching] == [desired['table']]:
        return plan
    for rule in matching:
        plan.add('delete', 'rule', text(rule), netns=desired['netns'], _rule=dict(rule, family=desired['family']))
    plan.add('add', 'rule', text(desired), netns=desired['netns'], _rule=desired)
    return plan

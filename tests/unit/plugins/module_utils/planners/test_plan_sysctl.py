# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_sysctl import (
    PERSIST_HEADER,
    desired_sysctls,
    dotted,
    key_of,
    persisted_text,
    persisted_values,
    plan_sysctl,
    plan_sysctls,
    sysctl_key,
)


def params(**values):
    base = {'interface': 'veth1'}
    base.update(values)
    return base


@pytest.mark.parametrize('values, expected', [
    ({'proxy_arp': True}, {'proxy_arp': 1}),
    ({'proxy_arp': False, 'forwarding': True}, {'proxy_arp': 0, 'forwarding': 1}),
    ({'rp_filter': 'loose'}, {'rp_filter': 2}),
    ({'rp_filter': 'off'}, {'rp_filter': 0}),
    ({'rp_filter': 1}, {'rp_filter': 1}),
    ({'proxy_delay': 0}, {'proxy_delay': 0}),
    ({'proxy_ndp': True, 'route_localnet': False}, {'proxy_ndp': 1, 'route_localnet': 0}),
])
def test_desired_values(values, expected):
    assert desired_sysctls(params(**values)) == expected


@pytest.mark.parametrize('values, option', [
    ({}, 'interface'),
    ({'interface': 'x' * 16, 'proxy_arp': True}, 'interface'),
    ({'rp_filter': 'medium'}, 'rp_filter'),
    ({'rp_filter': 3}, 'rp_filter'),
    ({'proxy_delay': -1}, 'proxy_delay'),
])
def test_bad_values_name_the_option(values, option):
    with pytest.raises(OptionError) as raised:
        desired_sysctls(params(**values))
    assert raised.value.option == option


def test_special_interfaces_are_accepted():
    assert desired_sysctls({'interface': 'all', 'rp_filter': 'strict'}) == {'rp_filter': 1}


def test_keys_keep_dots_in_interface_names():
    key = sysctl_key('proxy_arp', 'eth0.100')
    assert key == ('net', 'ipv4', 'conf', 'eth0.100', 'proxy_arp')
    assert dotted(key) == 'net.ipv4.conf.eth0/100.proxy_arp'
    assert dotted(sysctl_key('proxy_delay', 'eth0')) == 'net.ipv4.neigh.eth0.proxy_delay'


def test_plan_sets_only_differing_values_and_shows_both_sides():
    plan = plan_sysctls('veth1', 'c1', {'proxy_arp': 1, 'forwarding': 1}, {'proxy_arp': '0', 'forwarding': '1'})
    assert plan.descriptions() == ['set sysctl net.ipv4.conf.veth1.proxy_arp (netns=c1, value=1)']
    assert plan.diff() == {
        'before': {'net.ipv4.conf.veth1.proxy_arp': 0, 'net.ipv4.conf.veth1.forwarding': 1},
        'after': {'net.ipv4.conf.veth1.proxy_arp': 1, 'net.ipv4.conf.veth1.forwarding': 1},
    }


def test_a_missing_sysctl_names_the_option():
    with pytest.raises(OptionError) as raised:
        plan_sysctls('veth1', None, {'proxy_ndp': 1}, {'proxy_ndp': None})
    assert raised.value.option == 'proxy_ndp'


# --- one sysctl, persisted and restorable (the sysctl module) -----------------------------------

@pytest.mark.parametrize('name, key', [
    ('net.ipv4.ip_forward', ('net', 'ipv4', 'ip_forward')),
    ('net.ipv4.conf.eth0/100.forwarding', ('net', 'ipv4', 'conf', 'eth0.100', 'forwarding')),
    ('net.ipv4.conf.lf-1a2b.proxy_arp', ('net', 'ipv4', 'conf', 'lf-1a2b', 'proxy_arp')),
    ('net.ipv6.conf.all.disable_ipv6', ('net', 'ipv6', 'conf', 'all', 'disable_ipv6')),
    ('vm.swappiness', ('vm', 'swappiness')),
    ('kernel.core_pattern', ('kernel', 'core_pattern')),
    ('net.ipv4.conf.a/b/c.rp_filter', ('net', 'ipv4', 'conf', 'a.b.c', 'rp_filter')),
])
def test_key_of(name, key):
    assert key_of('name', name) == key


@pytest.mark.parametrize('name', [
    None, 3, '', 'ip_forward', 'net.', '.net.ipv4', 'net..ipv4', 'Net.ipv4.ip_forward', 'net.ipv4.ip forward',
    'net.ipv4.ip_forward=1', 'net/ipv4/ip_forward', 'net.ipv4.conf.eth0\n.forwarding',
    # Levels of only '/' would be '.' and '..': paths out of /proc/sys.
    'net./.ip_forward', 'net.//.//.//.//etc.passwd', 'net.ipv4.//',
])
def test_key_of_rejects_what_is_no_sysctl_name(name):
    with pytest.raises(OptionError) as raised:
        key_of('name', name)
    assert raised.value.option == 'name'


def test_key_of_names_the_option_it_is_given():
    with pytest.raises(OptionError) as raised:
        key_of('sysctls', 'bad')
    assert raised.value.option == 'sysctls'


@pytest.mark.parametrize('text, values', [
    (None, {}),
    ('', {}),
    ('net.ipv4.ip_forward = 1\n', {'net.ipv4.ip_forward': '1'}),
    ('net.ipv4.ip_forward=1', {'net.ipv4.ip_forward': '1'}),
    ('  net.ipv4.ip_forward   =   1  \n', {'net.ipv4.ip_forward': '1'}),
    ('# a comment = 1\n; another = 2\n\nnot a setting\nvm.swappiness = 10\n', {'vm.swappiness': '10'}),
    # '-': errors setting it are ignored by systemd-sysctl; the name is the same.
    ('-net.ipv4.conf.eth9.forwarding = 1\n', {'net.ipv4.conf.eth9.forwarding': '1'}),
    ('net.ipv4.ip_local_port_range = 32768 60999\n', {'net.ipv4.ip_local_port_range': '32768 60999'}),
    ('kernel.core_pattern = |/bin/x a=b\n', {'kernel.core_pattern': '|/bin/x a=b'}),
    # The last line of a name wins, as with sysctl --system.
    ('vm.swappiness = 10\nvm.swappiness = 20\n', {'vm.swappiness': '20'}),
])
def test_persisted_values(text, values):
    assert persisted_values(text) == values


@pytest.mark.parametrize('values', [
    {'net.ipv4.ip_forward': '1'},
    {'net.ipv4.ip_forward': '1', 'vm.swappiness': '10', 'net.ipv4.ip_local_port_range': '32768 60999'},
])
def test_persisted_text_reads_back_as_its_values(values):
    text = persisted_text(values)
    assert text.startswith(PERSIST_HEADER)
    assert persisted_values(text) == values
    # Written again with the same values, the file does not change.
    assert persisted_text(values, text) == text


def test_persisted_text_sorts_new_names():
    assert persisted_text({'vm.swappiness': '10', 'net.ipv4.ip_forward': '1'}) == (
        PERSIST_HEADER + 'net.ipv4.ip_forward = 1\nvm.swappiness = 10\n')


@pytest.mark.parametrize('original', [None, '', PERSIST_HEADER, PERSIST_HEADER + '\n\n', PERSIST_HEADER + 'net.ipv4.ip_forward = 1\n'])
def test_persisted_text_with_nothing_left_deletes_the_file(original):
    assert persisted_text({}, original) is None


FOREIGN = """# Kept by the administrator.
-net.ipv4.conf.eth9.forwarding = 1
vm.swappiness=10

net.ipv4.ip_forward = 0
"""


def test_persisted_text_leaves_the_other_lines_of_a_file_alone():
    values = persisted_values(FOREIGN)
    values['net.ipv4.ip_forward'] = '1'
    values['net.core.somaxconn'] = '1024'
    text = persisted_text(values, FOREIGN)
    assert text == FOREIGN.replace('net.ipv4.ip_forward = 0', 'net.ipv4.ip_forward = 1') + 'net.core.somaxconn = 1024\n'
    assert persisted_values(text) == values


def test_persisted_text_removes_only_the_line_of_the_name_that_goes():
    values = persisted_values(FOREIGN)
    del values['net.ipv4.ip_forward']
    text = persisted_text(values, FOREIGN)
    assert text == FOREIGN.replace('net.ipv4.ip_forward = 0\n', '')
    # Comments of the administrator keep the file even with no setting left.
    assert persisted_text({}, '# mine\nvm.swappiness = 1\n') == '# mine\n'


NAME = 'net.ipv4.ip_forward'
KEY = 'sysctl ' + NAME


@pytest.mark.parametrize('current, persisted, record, descriptions, after', [
    # Nothing in place: set, persist, record the value found.
    ('0', {}, {}, ['set sysctl %s (netns=ns1, value=1)' % NAME, 'write persist file %s (value=1)' % NAME,
                   'write record %s (value=0)' % NAME],
     {'value': '1', 'persisted': '1', 'recorded': '0'}),
    # Everything in place.
    ('1', {NAME: '1'}, {KEY: '0'}, [], {'value': '1', 'persisted': '1', 'recorded': '0'}),
    # Set by hand already: persisted and recorded (as the value found, which is the wanted one).
    ('1', {}, {}, ['write persist file %s (value=1)' % NAME, 'write record %s (value=1)' % NAME],
     {'value': '1', 'persisted': '1', 'recorded': '1'}),
    # Changed behind our back: set again; the record keeps the first value found.
    ('0', {NAME: '1'}, {KEY: '0'}, ['set sysctl %s (netns=ns1, value=1)' % NAME], {'value': '1', 'persisted': '1', 'recorded': '0'}),
    ('1', {NAME: '2'}, {KEY: '0'}, ['write persist file %s (value=1)' % NAME], {'value': '1', 'persisted': '1', 'recorded': '0'}),
    # No files wanted.
    ('0', None, None, ['set sysctl %s (netns=ns1, value=1)' % NAME], {'value': '1', 'persisted': None, 'recorded': None}),
    ('1', None, None, [], {'value': '1', 'persisted': None, 'recorded': None}),
])
def test_plan_sysctl_present(current, persisted, record, descriptions, after):
    plan = plan_sysctl(NAME, '1', current, persisted, record, 'present', 'ns1')
    assert plan.descriptions() == descriptions
    assert plan.changed == bool(descriptions)
    assert plan.after == after
    assert plan.before == {'value': current, 'persisted': (persisted or {}).get(NAME), 'recorded': (record or {}).get(KEY)}


@pytest.mark.parametrize('current, persisted, record, descriptions, after', [
    # Put the recorded value back, and forget the name in both files.
    ('1', {NAME: '1'}, {KEY: '0'}, ['set sysctl %s (netns=None, value=0)' % NAME, 'remove persist file %s' % NAME,
                                    'remove record %s' % NAME],
     {'value': '0', 'persisted': None, 'recorded': None}),
    # Already restored.
    ('0', {}, {}, [], {'value': '0', 'persisted': None, 'recorded': None}),
    ('0', None, None, [], {'value': '0', 'persisted': None, 'recorded': None}),
    # The value is the recorded one already: only the files.
    ('0', {NAME: '1'}, {KEY: '0'}, ['remove persist file %s' % NAME, 'remove record %s' % NAME],
     {'value': '0', 'persisted': None, 'recorded': None}),
    # Nothing recorded: the value stays as it is; the persisted line goes.
    ('1', {NAME: '1', 'vm.swappiness': '10'}, {'sysctl vm.swappiness': '60'}, ['remove persist file %s' % NAME],
     {'value': '1', 'persisted': None, 'recorded': None}),
])
def test_plan_sysctl_restored(current, persisted, record, descriptions, after):
    plan = plan_sysctl(NAME, None, current, persisted, record, 'restored', None)
    assert plan.descriptions() == descriptions
    assert plan.after == after


def test_plan_sysctl_diff_shows_before_and_after():
    plan = plan_sysctl(NAME, '1', '0', {}, {}, 'present', None)
    assert plan.diff() == {'before': {'value': '0', 'persisted': None, 'recorded': None},
                           'after': {'value': '1', 'persisted': '1', 'recorded': '0'}}


def test_plan_sysctl_present_then_restored_comes_back_to_the_start():
    """Apply a plan the way the module does, then restore: the value and both files are as before."""
    current, persisted, record = '0', {'vm.swappiness': '10'}, {'other': 'kept'}
    for state, value in (('present', '1'), ('present', '1'), ('restored', None), ('restored', None)):
        plan = plan_sysctl(NAME, value, current, persisted, record, state, None)
        for action in plan.actions:
            if action.kind == 'sysctl':
                current = action.details['value']
            elif action.kind == 'persist file':
                if action.verb == 'write':
                    persisted[NAME] = action.details['value']
                else:
                    del persisted[NAME]
            elif action.verb == 'write':
                record[KEY] = action.details['value']
            else:
                del record[KEY]
        assert plan.after['value'] == current
    assert (current, persisted, record) == ('0', {'vm.swappiness': '10'}, {'other': 'kept'})


# --- cases found by the mutation check (tests/mutation/run.py) --------------------------------------

@pytest.mark.parametrize('delay, accepted', [(0, True), (2147483647, True), (2147483648, False), (-1, False)])
def test_proxy_delay_is_a_signed_32_bit_number_of_jiffies(delay, accepted):
    if accepted:
        assert desired_sysctls(params(proxy_delay=delay)) == {'proxy_delay': delay}
    else:
        with pytest.raises(OptionError) as raised:
            desired_sysctls(params(proxy_delay=delay))
        assert raised.value.option == 'proxy_delay'

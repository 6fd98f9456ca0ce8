# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils._plan_sysctl import (
    desired_sysctls,
    dotted,
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

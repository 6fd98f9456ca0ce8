# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.lab._lab_plan import machine_mac, plan_lab

BASE = {'name': 'fabric', 'directory': '/var/tmp/lab'}


def lab(**changes):
    params = dict(BASE)
    params.update(changes)
    return params


def test_defaults_and_address_assignment_in_list_order():
    spec = plan_lab(lab(machines=['node1', {'name': 'node2'}, {'name': 'out', 'segment': 'outside'}]))
    assert spec['lan'] == {'cidr': '10.88.0.0/24', 'router': '10.88.0.1', 'controller': '10.88.0.254'}
    assert spec['outside'] == {'cidr': '203.0.113.0/24', 'router': '203.0.113.1'}
    assert [(m['name'], m['address'], m['segment']) for m in spec['machines']] == [
        ('node1', '10.88.0.2', 'lan'), ('node2', '10.88.0.3', 'lan'), ('out', '203.0.113.2', 'outside')]


def test_explicit_addresses_are_kept_and_skipped_by_assignment():
    spec = plan_lab(lab(machines=[{'name': 'a'}, {'name': 'b', 'address': '10.88.0.2'}]))
    assert [m['address'] for m in spec['machines']] == ['10.88.0.3', '10.88.0.2']


def test_assignment_is_stable_when_a_machine_with_an_address_is_added():
    before = plan_lab(lab(machines=[{'name': 'a', 'address': '10.88.0.11'}, {'name': 'b', 'address': '10.88.0.12'}]))
    after = plan_lab(lab(machines=[{'name': 'a', 'address': '10.88.0.11'}, {'name': 'b', 'address': '10.88.0.12'},
                                   {'name': 'c', 'address': '10.88.0.13'}]))
    assert before['machines'] == after['machines'][:2]


@pytest.mark.parametrize('params, option, problem', [
    (lab(name='Fabric'), 'lab_name', 'must be 1 to 10'),
    (lab(name='abcdefghijk'), 'lab_name', 'must be 1 to 10'),
    (lab(directory='relative'), 'lab_directory', 'absolute'),
    (lab(directory='/etc/lab'), 'lab_directory', 'under /etc'),
    (lab(directory='/tmp/lab'), 'lab_directory', 'under /tmp'),
    (lab(lan_cidr='10.88.0.0/33'), 'lab_lan_cidr', 'not a valid network'),
    (lab(lan_cidr='10.88.0.1/24'), 'lab_lan_cidr', 'not a valid network'),
    (lab(lan_cidr='fd00::/64'), 'lab_lan_cidr', 'IPv4'),
    (lab(lan_cidr='10.88.0.0/30'), 'lab_lan_cidr', 'at least a /29'),
    (lab(outside_cidr='8.8.8.0/24'), 'lab_outside_cidr', 'documentation range'),
    (lab(lan_cidr='203.0.113.0/25', outside_cidr='203.0.113.0/24'), 'lab_lan_cidr', 'overlaps'),
    (lab(lan_router_address='10.99.0.1'), 'lab_lan_router_address', 'not a usable host address'),
    (lab(lan_controller_address='10.88.0.1'), 'lab_lan_controller_address', 'also lab_lan_router_address'),
    (lab(lan_router_address='10.88.0.255'), 'lab_lan_router_address', 'not a usable host address'),
    (lab(machines='node1'), 'lab_machines', 'must be a list'),
    (lab(machines=[{'name': 'Node1'}]), 'lab_machines[0].name', 'host name'),
    (lab(machines=[{'name': 'router'}]), 'lab_machines[0].name', 'other than'),
    (lab(machines=[{'name': 'a' * 16}]), 'lab_machines[0].name', 'host name'),
    (lab(machines=['a', 'a']), 'lab_machines[1].name', "is also lab_machines[0]"),
    (lab(machines=[{'name': 'a', 'address': '10.88.0.5'}, {'name': 'b', 'address': '10.88.0.5'}]),
     'lab_machines[1].address', 'is also lab_machines[0].address'),
    (lab(machines=[{'name': 'a', 'address': '10.88.0.1'}]), 'lab_machines[0].address', 'is also lab_lan_router_address'),
    (lab(machines=[{'name': 'a', 'address': '10.99.0.5'}]), 'lab_machines[0].address', 'not a usable host address of 10.88.0.0/24'),
    (lab(machines=[{'name': 'a', 'segment': 'wan'}]), 'lab_machines[0].segment', 'must be one of'),
    (lab(machines=[{'name': 'a', 'colour': 'red'}]), 'lab_machines[0]', 'unknown keys: colour'),
    (lab(lan_cidr='10.88.0.0/29', machines=['a', 'b', 'c', 'd', 'e']), 'lab_machines', 'has 5 machines on the lan segment, more than 10.88.0.0/29 holds'),
])
def test_invalid_lab_input_names_the_variable(params, option, problem):
    with pytest.raises(OptionError) as raised:
        plan_lab(params, prefix='lab_')
    assert raised.value.option == option
    assert problem in raised.value.problem


def test_a_29_holds_exactly_four_machines():
    spec = plan_lab(lab(lan_cidr='10.88.0.0/29', machines=['a', 'b', 'c', 'd']))
    assert [m['address'] for m in spec['machines']] == ['10.88.0.2', '10.88.0.3', '10.88.0.4', '10.88.0.5']


@pytest.mark.parametrize('lab_docker, machines, expected', [
    (False, ['n1', {'name': 'o', 'segment': 'outside'}], [False, False]),
    # The outside host stands for the internet: it gets Docker only when it asks.
    (True, ['n1', {'name': 'o', 'segment': 'outside'}], [True, False]),
    (True, [{'name': 'n1', 'docker': False}, {'name': 'o', 'segment': 'outside', 'docker': True}], [False, True]),
    (None, [{'name': 'n1', 'docker': True}, 'n2'], [True, False]),
])
def test_which_machines_run_docker(lab_docker, machines, expected):
    spec = plan_lab(lab(docker=lab_docker, machines=machines))
    assert [machine['docker'] for machine in spec['machines']] == expected
    assert spec['docker'] is bool(lab_docker)


@pytest.mark.parametrize('params, option', [
    (lab(docker='yes'), 'docker'),
    (lab(machines=[{'name': 'n1', 'docker': 'no'}]), 'machines[0].docker'),
])
def test_docker_must_be_a_boolean(params, option):
    with pytest.raises(OptionError) as error:
        plan_lab(params)
    assert error.value.option == option


def test_machine_macs_are_the_same_on_every_start_and_differ_between_machines_and_labs():
    first = plan_lab(lab(machines=['node1', 'node2', {'name': 'out', 'segment': 'outside'}]))
    again = plan_lab(lab(machines=['node2', 'node1', {'name': 'out', 'segment': 'outside'}]))
    macs = dict((machine['name'], machine['mac']) for machine in first['machines'])
    assert macs == dict((machine['name'], machine['mac']) for machine in again['machines'])
    assert len(set(macs.values())) == 3
    assert machine_mac('fabric', 'node1') == macs['node1']
    assert machine_mac('other', 'node1') != macs['node1']


@pytest.mark.parametrize('lab_name, machine_name', [('fabric', 'node1'), ('molecule', 'node2'), ('x', 'outside')])
def test_machine_macs_are_locally_administered_unicast(lab_name, machine_name):
    mac = machine_mac(lab_name, machine_name)
    octets = mac.split(':')
    assert len(octets) == 6 and all(len(octet) == 2 for octet in octets)
    assert int(octets[0], 16) & 0x03 == 0x02

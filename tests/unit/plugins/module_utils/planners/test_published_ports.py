# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one published-port parser: every accepted format and every rejection, with its message."""

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.filter.verify import _ports
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_nat import publish_rule
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._published_ports import parse_publish

ACCEPTED = [
    # text, (protocol, host ports, container ports, host address)
    ('8080:80/tcp', ('tcp', (8080, 8080), (80, 80), None)),
    ('8080:80', ('tcp', (8080, 8080), (80, 80), None)),
    ('5353:53/udp', ('udp', (5353, 5353), (53, 53), None)),
    ('3868:3868/sctp', ('sctp', (3868, 3868), (3868, 3868), None)),
    ('8000-8009:9000-9009/tcp', ('tcp', (8000, 8009), (9000, 9009), None)),
    ('8000-8000:80', ('tcp', (8000, 8000), (80, 80), None)),
    ('1:65535', ('tcp', (1, 1), (65535, 65535), None)),
    ('203.0.113.5:8443:443', ('tcp', (8443, 8443), (443, 443), '203.0.113.5')),
    ('127.0.0.1:8080:80/udp', ('udp', (8080, 8080), (80, 80), '127.0.0.1')),
    ('0.0.0.0:8000-8001:9000-9001/sctp', ('sctp', (8000, 8001), (9000, 9001), '0.0.0.0')),
    ('  8080:80/tcp ', ('tcp', (8080, 8080), (80, 80), None)),
]


@pytest.mark.parametrize('text, expected', ACCEPTED, ids=[text.strip() for text, _expected in ACCEPTED])
def test_parse_publish(text, expected):
    published = parse_publish('publish', text)
    assert (published['protocol'], published['host_ports'], published['container_ports'], published['host_address']) == expected
    assert published['text'] == text.strip()


REJECTED = [
    # Docker's random host port has no fixed port for a dnat rule.
    ('80', "'80' must look like 8080:80/tcp, 8000-8009:8000-8009/udp or 127.0.0.1:8080:80"),
    ('127.0.0.1::80', "'127.0.0.1::80' must look like 8080:80/tcp, 8000-8009:8000-8009/udp or 127.0.0.1:8080:80"),
    ('8080:80/icmp', "'8080:80/icmp' must look like 8080:80/tcp, 8000-8009:8000-8009/udp or 127.0.0.1:8080:80"),
    ('8080:80/TCP', "'8080:80/TCP' must look like 8080:80/tcp, 8000-8009:8000-8009/udp or 127.0.0.1:8080:80"),
    ('[::1]:8080:80', "'[::1]:8080:80' must look like 8080:80/tcp, 8000-8009:8000-8009/udp or 127.0.0.1:8080:80"),
    ('web:80', "'web:80' must look like 8080:80/tcp, 8000-8009:8000-8009/udp or 127.0.0.1:8080:80"),
    ('', "'' must look like 8080:80/tcp, 8000-8009:8000-8009/udp or 127.0.0.1:8080:80"),
    (8080, "'8080' must look like 8080:80/tcp, 8000-8009:8000-8009/udp or 127.0.0.1:8080:80"),
    ('0:80', "'0:80': host port 0 is out of range (1..65535)"),
    ('70000:80', "'70000:80': host port 70000 is out of range (1..65535)"),
    ('8080:0', "'8080:0': container port 0 is out of range (1..65535)"),
    ('8080:80000', "'8080:80000': container port 80000 is out of range (1..65535)"),
    ('8009-8000:80', "'8009-8000:80': the host port range 8009-8000 ends before it starts"),
    ('8080:90-80', "'8080:90-80': the container port range 90-80 ends before it starts"),
    ('8000-8009:80', "'8000-8009:80' maps 10 host ports to 1 container ports"),
    ('80:8000-8001', "'80:8000-8001' maps 1 host ports to 2 container ports"),
    ('999.1.1.1:80:80', "'999.1.1.1' is not an IP address"),
]


@pytest.mark.parametrize('text, message', REJECTED, ids=[str(text) or 'empty' for text, _message in REJECTED])
def test_parse_publish_rejects(text, message):
    with pytest.raises(OptionError) as raised:
        parse_publish('endpoints[0].publish[1]', text)
    assert raised.value.option == 'endpoints[0].publish[1]'
    assert raised.value.problem == message


@pytest.mark.parametrize('text, rule', [
    ('8080:80', {'protocol': 'tcp', 'host_port': (8080, 8080), 'to_port': (80, 80), 'host_address': None}),
    ('8080:80/udp', {'protocol': 'udp', 'host_port': (8080, 8080), 'to_port': (80, 80), 'host_address': None}),
    ('192.0.2.1:8000-8001:9000-9001/sctp', {'protocol': 'sctp', 'host_port': (8000, 8001), 'to_port': (9000, 9001),
                                            'host_address': '192.0.2.1'}),
])
def test_the_dnat_rule_of_a_published_port(text, rule):
    made = publish_rule('web.tcp.8080', parse_publish('publish', text), '10.0.0.2')
    assert (made['kind'], made['to_address']) == ('dnat', '10.0.0.2')
    assert dict((key, made[key]) for key in rule) == rule


@pytest.mark.parametrize('text, ports', [('8080:80/tcp', (8080, 80)), ('127.0.0.1:8000-8009:9000-9009', (8000, 9000))])
def test_the_verify_filters_read_the_first_ports_with_the_same_parser(text, ports):
    assert _ports(text) == ports

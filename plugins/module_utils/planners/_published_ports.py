# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Published-port specs ('8080:80/tcp', '127.0.0.1:8080:80', '8000-8009:9000-9009/udp'): the one
parser. Pure.

The endpoints module and the fabric_plan filter validate an endpoint's `publish` list with it,
the endpoints planner turns its result into dnat rules (_plan_nat.publish_rule), and the verify
filters read the ports to probe from it, so a spec means the same thing everywhere.
"""

from __future__ import annotations

import re

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError

PUBLISH_PATTERN = re.compile(
    r'^(?:(?P<host_address>\d{1,3}(?:\.\d{1,3}){3}):)?'
    r'(?P<host_port>\d+(?:-\d+)?):(?P<container_port>\d+(?:-\d+)?)'
    r'(?:/(?P<protocol>tcp|udp|sctp))?$')


def _port_range(option, spec, side, text):
    """A side ('host' or 'container') of a publish spec: its first and last port."""
    first, _separator, last = text.partition('-')
    first = int(first)
    last = int(last) if last else first
    for port in (first, last):
        if not 1 <= port <= 65535:
            raise OptionError(option, "'%s': %s port %d is out of range (1..65535)" % (spec, side, port))
    if last < first:
        raise OptionError(option, "'%s': the %s port range %s ends before it starts" % (spec, side, text))
    return first, last


def parse_publish(option, text):
    """'[host_address:]host_port[-end]:container_port[-end][/protocol]', as `docker run -p` takes
    it, -> {protocol, host_ports, container_ports, host_address, text}; the ports as (first, last),
    the protocol tcp when none is given, host_address None for every address of the node.

    A random host port (Docker's '80' or 'ip::80') is not accepted: a dnat rule needs a fixed one.
    OptionError names `option`.
    """
    match = PUBLISH_PATTERN.match(str(text).strip())
    if not match:
        raise OptionError(option, "'%s' must look like 8080:80/tcp, 8000-8009:8000-8009/udp or 127.0.0.1:8080:80" % text)
    host = _port_range(option, text, 'host', match.group('host_port'))
    container = _port_range(option, text, 'container', match.group('container_port'))
    if host[1] - host[0] != container[1] - container[0]:
        raise OptionError(option, "'%s' maps %d host ports to %d container ports" % (
            text, host[1] - host[0] + 1, container[1] - container[0] + 1))
    host_address = match.group('host_address')
    if host_address:
        host_address = str(_validate.ip_address(option, host_address, version=4))
    return {'protocol': match.group('protocol') or 'tcp', 'host_ports': host, 'container_ports': container,
            'host_address': host_address, 'text': str(text).strip()}

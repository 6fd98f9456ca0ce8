# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validators for option values. Pure: no Ansible, no kernel.

Each returns the normalised value or raises OptionError naming the option, so modules can
validate everything before the first change.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _names
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError

MAC_PATTERN = re.compile(r'^[0-9a-f]{2}(:[0-9a-f]{2}){5}$')
# 68 is the smallest MTU IPv4 allows (RFC 791); the kernel accepts at most 65535 for veth/bridge.
MTU_MIN = 68
MTU_MAX = 65535
# How the etcd clients reach etcd: its JSON gateway (HTTPS, standard library) or etcdctl.
ETCD_TRANSPORTS = ('gateway', 'etcdctl')


def ifname(option, value):
    """An interface name (at most 15 bytes, no '/', ':' or whitespace)."""
    problem = _names.ifname_error(value)
    if problem:
        raise OptionError(option, problem)
    return value


def netns(option, value):
    """None, a namespace name under /run/netns, or an absolute path to a namespace file."""
    if value is None:
        return None
    problem = _names.netns_reference_error(value)
    if problem:
        raise OptionError(option, problem)
    return value


def interface_address(option, value):
    """An address with prefix for an interface ('10.0.0.1/24', 'fd00::1/64').

    Returns (address, prefixlen, version). A bare address gets a host prefix (/32 or /128).
    """
    try:
        interface = ipaddress.ip_interface(str(value).strip())
    except ValueError:
        raise OptionError(option, "'%s' is not an IP address with an optional /prefix" % value)
    if interface.ip.is_multicast or interface.ip.is_unspecified:
        raise OptionError(option, "'%s' cannot be assigned to an interface" % value)
    return str(interface.ip), interface.network.prefixlen, interface.version


def interface_addresses(option, values):
    """A list of interface addresses without duplicates; None stays None (don't care)."""
    if values is None:
        return None
    result = []
    seen = {}
    for position, value in enumerate(values):
        address = interface_address('%s[%d]' % (option, position), value)
        if address[0] in seen:
            raise OptionError('%s[%d]' % (option, position), "'%s' repeats the address of %s[%d]" % (value, option, seen[address[0]]))
        seen[address[0]] = position
        result.append(address)
    return result


def network(option, value, allow_default=False):
    """A network in CIDR notation, host bits zero; 'default' if allowed. Returns ip_network."""
    text = str(value).strip()
    if allow_default and text == 'default':
        return None
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as error:
        raise OptionError(option, "'%s' is not a network in CIDR notation (%s)" % (value, error))


def ip_address(option, value, version=None):
    """A single IP address (no prefix); optionally of one IP version."""
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise OptionError(option, "'%s' is not an IP address" % value)
    if version is not None and address.version != version:
        raise OptionError(option, "'%s' is not an IPv%d address" % (value, version))
    return address


def mtu(option, value):
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not MTU_MIN <= value <= MTU_MAX:
        raise OptionError(option, '%s is out of range (%d..%d)' % (value, MTU_MIN, MTU_MAX))
    return value


def mac(option, value, unicast=True):
    """A MAC address, normalised to lowercase with colons."""
    if value is None:
        return None
    text = str(value).strip().lower().replace('-', ':')
    if not MAC_PATTERN.match(text):
        raise OptionError(option, "'%s' is not a MAC address like 02:00:00:00:00:01" % value)
    if unicast and int(text[:2], 16) & 1:
        raise OptionError(option, "'%s' is a multicast address; interfaces need a unicast MAC" % value)
    if text == '00:00:00:00:00:00':
        raise OptionError(option, "'%s' is not a usable MAC address" % value)
    return text


def integer_in_range(option, value, minimum, maximum):
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise OptionError(option, '%s is out of range (%d..%d)' % (value, minimum, maximum))
    return value


def port(option, value):
    """A TCP/UDP port number (1..65535)."""
    return integer_in_range(option, value, 1, 65535)


def etcd_endpoints(option, endpoints):
    """etcd client URLs, http(s)://host:port, at least one: without a trailing slash."""
    if not endpoints:
        raise OptionError(option, 'needs at least one etcd client URL, like https://10.88.0.11:2379')
    for endpoint in endpoints:
        parts = urlsplit(str(endpoint))
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in ('https', 'http') or not parts.hostname or port == -1 or parts.path not in ('', '/'):
            raise OptionError(option, "'%s' is not an etcd client URL like https://10.88.0.11:2379" % endpoint)
    return [str(endpoint).rstrip('/') for endpoint in endpoints]

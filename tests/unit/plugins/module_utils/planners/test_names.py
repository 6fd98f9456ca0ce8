# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._names import (
    ifname_error,
    netns_name_error,
    netns_reference_error,
)


@pytest.mark.parametrize('name, problem', [
    ('web1', None),
    ('a' * 255, None),
    ('ünïcode', None),
    ('', 'must not be empty'),
    (None, 'must not be empty'),
    ('a/b', "must not contain '/'"),
    ('/abs', "must not contain '/'"),
    ('.', "must not be '.' or '..'"),
    ('..', "must not be '.' or '..'"),
    ('a' * 256, 'is 256 bytes long'),
    ('é' * 128, 'is 256 bytes long'),
    ('nul\x00byte', 'NUL'),
    (42, 'must be a string'),
])
def test_netns_name_error(name, problem):
    result = netns_name_error(name)
    if problem is None:
        assert result is None
    else:
        assert problem in result


@pytest.mark.parametrize('reference, accepted', [
    ('/proc/1/ns/net', True),
    ('/run/netns/x', True),
    ('plain', True),
    ('with/slash', False),
    ('', False),
])
def test_netns_reference_error(reference, accepted):
    assert (netns_reference_error(reference) is None) is accepted


@pytest.mark.parametrize('name, problem', [
    ('eth0', None),
    ('a' * 15, None),
    ('veth-abc.10', None),
    ('a' * 16, 'is 16 bytes long'),
    ('ééééééééé', 'is 18 bytes long'),
    ('', 'must not be empty'),
    ('a b', "must not contain ' '"),
    ('a/b', "must not contain '/'"),
    ('a:b', "must not contain ':'"),
    ('.', "must not be '.' or '..'"),
])
def test_ifname_error(name, problem):
    result = ifname_error(name)
    if problem is None:
        assert result is None
    else:
        assert problem in result

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one parser of dpkg's status file, on texts written here (fabric_facts' missing_packages and
etcd_member_info's package_versions are built on it; their own tests read files)."""

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._dpkg import installed_versions


def block(package, status, version='1.0-1', extra=''):
    return 'Package: %s\nStatus: %s\nPriority: optional\nVersion: %s\n%s' % (package, status, version, extra)


@pytest.mark.parametrize('status, installed', [
    ('install ok installed', True),
    # Held, or selected for removal but still there: installed.
    ('hold ok installed', True),
    ('deinstall ok installed', True),
    ('purge ok installed', True),
    # Removed with its configuration kept, or never completed: not installed.
    ('deinstall ok config-files', False),
    ('install ok half-installed', False),
    ('install ok half-configured', False),
    ('install ok unpacked', False),
    ('install ok triggers-pending', False),
    ('install ok not-installed', False),
    ('install reinstreq half-installed', False),
    ('', False),
])
def test_a_package_is_installed_by_the_last_word_of_its_status(status, installed):
    text = block('pkg', status, '2:1.2-3')
    assert installed_versions(text) == ({'pkg': '2:1.2-3'} if installed else {})


def test_every_block_counts_the_last_one_without_a_blank_line_too():
    text = '\n'.join([block('a', 'install ok installed', '1'), block('b', 'install ok half-installed', '2'),
                      block('c', 'hold ok installed', '3')]).rstrip('\n')
    assert installed_versions(text) == {'a': '1', 'c': '3'}


def test_continuation_lines_are_no_fields():
    # A description's continuation lines may look like fields; they belong to the description.
    text = block('a', 'install ok half-installed', extra='Description: tools\n Package: b\n Status: install ok installed\n'
                 '\tVersion: 9\n')
    assert installed_versions(text) == {}


def test_a_package_installed_for_one_architecture_of_two_is_installed():
    text = '\n'.join([block('libc6', 'install ok installed', '2.36-9', 'Architecture: amd64\n'),
                      block('libc6', 'install ok not-installed', '2.36-9', 'Architecture: i386\n')])
    assert installed_versions(text) == {'libc6': '2.36-9'}


def test_a_package_without_a_version_is_installed_without_one():
    assert installed_versions('Package: a\nStatus: install ok installed\n') == {'a': None}


@pytest.mark.parametrize('text', ['', '\n\n', 'Status: install ok installed\nVersion: 1\n'])
def test_texts_without_an_installed_package(text):
    assert installed_versions(text) == {}

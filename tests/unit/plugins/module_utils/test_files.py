# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError
from ansible_collections.linuxnet.fabric.plugins.module_utils._files import find_command, read_text, write_atomically


def test_a_missing_file_reads_as_none_and_an_unreadable_one_names_itself(tmp_path):
    assert read_text(str(tmp_path / 'absent.json')) is None
    with pytest.raises(FabricError, match='could not be read'):
        read_text(str(tmp_path))  # a directory


def test_a_file_is_replaced_whole_with_its_mode_and_nothing_else_left(tmp_path):
    path = tmp_path / 'daemon.json'
    path.write_text('old\n')
    write_atomically(str(path), '{"bip": "10.5.7.129/25"}\n', 0o600)
    assert read_text(str(path)) == '{"bip": "10.5.7.129/25"}\n'
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert sorted(os.listdir(str(tmp_path))) == ['daemon.json']


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    path = tmp_path / 'subnet.env'
    path.write_text('FLANNEL_MTU=1450\n')
    with pytest.raises(TypeError):
        write_atomically(str(path), None)
    assert path.read_text() == 'FLANNEL_MTU=1450\n'
    assert sorted(os.listdir(str(tmp_path))) == ['subnet.env']


def test_find_command_names_the_missing_command(tmp_path):
    with pytest.raises(FabricError, match="command 'no-such-iptables' was not found"):
        find_command('no-such-iptables', search_path=str(tmp_path))


def test_find_command_searches_the_path_it_is_given(tmp_path):
    command = tmp_path / 'iptables-save'
    command.write_text('#!/bin/sh\n')
    command.chmod(0o755)
    assert find_command('iptables-save', search_path=str(tmp_path)) == str(command)

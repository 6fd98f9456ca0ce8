# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.linuxnet.fabric.plugins.module_utils._lab import CONTROLLER_TABLE_BASE, controller_table

# Tables the kernel reserves (unspec, default, main, local) and the compat range below 256.
RESERVED_TABLES = range(0, 256)


@pytest.mark.parametrize('name', ['fabric', 'molecule', 'bench', 'a', 'z123456789'])
def test_controller_table_is_stable_and_not_reserved(name):
    table = controller_table(name)
    assert table == controller_table(name)
    assert table not in RESERVED_TABLES
    assert CONTROLLER_TABLE_BASE <= table < CONTROLLER_TABLE_BASE + 0x10000 < 2 ** 32


def test_the_labs_the_project_runs_at_once_get_their_own_tables():
    tables = [controller_table(name) for name in ('fabric', 'molecule', 'bench')]
    assert len(set(tables)) == len(tables)

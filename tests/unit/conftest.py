# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make `ansible_collections.linuxnet.fabric` import from this working tree under plain pytest.

ansible-test units needs the tree at .../ansible_collections/linuxnet/fabric; `make units` runs
pytest directly, so a symlink to the repository root in a temporary collections root stands in.
Under ansible-test (already inside such a path) this does nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def _collections_root():
    parts = REPOSITORY.split(os.sep)
    if len(parts) >= 3 and parts[-3] == 'ansible_collections':
        return os.sep.join(parts[:-3])
    root = os.path.join(tempfile.gettempdir(), 'linuxnet-fabric-units-%d' % os.getuid())
    link = os.path.join(root, 'ansible_collections', 'linuxnet', 'fabric')
    if os.path.realpath(link) != REPOSITORY:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(REPOSITORY, link)
    return root


sys.path.insert(0, _collections_root())

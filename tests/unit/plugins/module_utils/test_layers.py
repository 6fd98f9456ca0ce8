# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layers of module_utils (docs/architecture.md) as a rule: what each layer may import.

A file's directory is its layer; the three files at the top are the foundation (_errors, _files)
and the modules' side (_common). The product never imports the lab.
"""

from __future__ import annotations

import ast
import glob
import os

import pytest

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
PLUGINS = os.path.join(REPOSITORY, 'plugins')
MODULE_UTILS = os.path.join(PLUGINS, 'module_utils')
PACKAGE = 'ansible_collections.linuxnet.fabric.plugins.module_utils'
FOUNDATION = {'_errors', '_files'}

# layer: the layers it may import (besides itself).
ALLOWED = {
    '_errors': set(),
    '_files': {'_errors'},
    'planners': {'_errors'},
    'kernel': {'_errors'},
    'netfilter': FOUNDATION | {'kernel', 'planners'},
    'services': FOUNDATION | {'planners'},
    'node': FOUNDATION | {'kernel', 'netfilter', 'planners', 'services'},
    'lab': FOUNDATION | {'kernel', 'planners', 'services', 'node'},
    '_common': FOUNDATION | {'kernel', 'planners', 'node'},
    # The controller: pure code only (filters run where no netlink or node state is).
    'filter': FOUNDATION | {'planners', 'lab/_lab_plan'},
    'modules': FOUNDATION | {'_common', 'kernel', 'netfilter', 'planners', 'services', 'node'},
    'modules/lab': FOUNDATION | {'_common', 'kernel', 'lab', 'planners'},
}


def layer_of(path):
    relative = os.path.relpath(path, PLUGINS).split(os.sep)
    if relative[0] == 'module_utils':
        return relative[1] if len(relative) > 2 else relative[1][:-3]
    if relative == ['modules', 'lab.py']:
        return 'modules/lab'
    return relative[0]


def imported(path):
    """{(layer, module)} of the collection's module_utils a file imports."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not (node.module or '').startswith(PACKAGE):
            continue
        parts = node.module[len(PACKAGE):].lstrip('.').split('.') if node.module != PACKAGE else []
        if not parts:
            found.update((alias.name, alias.name) for alias in node.names)
        elif parts[0].startswith('_'):
            found.add((parts[0], parts[0]))
        elif len(parts) > 1:
            found.add((parts[0], parts[1]))
        else:
            found.update((parts[0], alias.name) for alias in node.names)
    return found


def python_files():
    return sorted(path for part in ('module_utils', 'modules', 'filter')
                  for path in glob.glob(os.path.join(PLUGINS, part, '**', '*.py'), recursive=True))


def test_every_file_is_in_a_known_layer():
    files = python_files()
    assert len(files) > 50
    unknown = sorted(os.path.relpath(path, PLUGINS) for path in files if layer_of(path) not in ALLOWED)
    # A new file at the top of module_utils, or a new directory, is a decision: add it here and in
    # docs/architecture.md.
    assert unknown == [] or unknown == ['module_utils/__init__.py']


@pytest.mark.parametrize('path', python_files(), ids=lambda path: os.path.relpath(path, PLUGINS))
def test_a_file_imports_only_the_layers_below_it(path):
    layer = layer_of(path)
    allowed = ALLOWED.get(layer, set()) | {layer}
    wrong = sorted('%s/%s' % pair for pair in imported(path)
                   if pair[0] not in allowed and '%s/%s' % pair not in allowed)
    assert wrong == [], '%s (layer %s) imports %s' % (os.path.relpath(path, PLUGINS), layer, ', '.join(wrong))


def test_the_rule_sees_imports():
    # The rule would pass on anything if the parser found no imports.
    fabric_node = os.path.join(MODULE_UTILS, 'node', '_fabric_node.py')
    assert ('planners', '_plan_vxlan') in imported(fabric_node)
    assert ('_errors', '_errors') in imported(fabric_node)
    assert ('lab', '_lab') in imported(os.path.join(PLUGINS, 'modules', 'lab.py'))

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mutation check of the pure planners (plugins/module_utils/planners/_plan_*.py): do the unit tests notice
when a planner's logic is wrong?

Each mutant changes one thing in one planner: a comparison flipped (== and !=, < and <=, > and >=,
in and not in, is and is not), `and` and `or` swapped, a `not` dropped, True and False swapped, an
integer constant one higher. It is written into a copy of the collection and the unit tests that
import the planner (directly or through other module_utils files) run against it with -x: a
failing run kills the mutant, a passing one lets it survive. Survivors are places where the tests
would not notice a bug; equivalent mutants (a change that cannot alter behaviour) survive too, so
read the list rather than chase 0 %.

Standard library only. Per file at most --limit mutants, chosen evenly over the file's sites in
source order, so every run tests the same mutants. A report, not a gate: `make mutation`.
"""

from __future__ import annotations

import argparse
import ast
import glob
import os
import re
import shutil
import sys
import tempfile
import time

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MODULE_UTILS = os.path.join('plugins', 'module_utils')
UNIT_TESTS = os.path.join('tests', 'unit')

COMPARISON_FLIPS = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
SYMBOLS = {
    ast.Eq: '==', ast.NotEq: '!=', ast.Lt: '<', ast.LtE: '<=', ast.Gt: '>', ast.GtE: '>=',
    ast.In: 'in', ast.NotIn: 'not in', ast.Is: 'is', ast.IsNot: 'is not', ast.And: 'and', ast.Or: 'or',
}


def _docstring_nodes(tree):
    """The string constants that are docstrings: not code, never mutated."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def _sites(tree):
    """(node, position, description) of every mutable place, in a fixed walk order.

    `position` tells the mutation apart within a node (which operator of a chained comparison)."""
    sites = []
    skip = _docstring_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for position, operator in enumerate(node.ops):
                flipped = COMPARISON_FLIPS[type(operator)]
                sites.append((node, position, '%s -> %s' % (SYMBOLS[type(operator)], SYMBOLS[flipped])))
        elif isinstance(node, ast.BoolOp):
            sites.append((node, 0, '%s -> %s' % (SYMBOLS[type(node.op)], 'or' if isinstance(node.op, ast.And) else 'and')))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            sites.append((node, 0, 'not x -> x'))
        elif isinstance(node, ast.Constant) and id(node) not in skip:
            if isinstance(node.value, bool):
                sites.append((node, 0, '%s -> %s' % (node.value, not node.value)))
            elif isinstance(node.value, int):
                sites.append((node, 0, '%d -> %d' % (node.value, node.value + 1)))
    return sites


class _Replace(ast.NodeTransformer):
    """Replace one node (found by identity) with its mutant."""

    def __init__(self, target, replacement):
        self.target, self.replacement = target, replacement

    def visit(self, node):
        if node is self.target:
            return self.replacement
        return self.generic_visit(node)


def mutant_source(source, index):
    """The source of `source` with its index-th site mutated."""
    tree = ast.parse(source)
    node, position, _description = _sites(tree)[index]
    if isinstance(node, ast.Compare):
        node.ops[position] = COMPARISON_FLIPS[type(node.ops[position])]()
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, ast.UnaryOp):
        tree = _Replace(node, node.operand).visit(tree)
    elif isinstance(node.value, bool):
        node.value = not node.value
    else:
        node.value += 1
    return ast.unparse(ast.fix_missing_locations(tree)) + '\n'


def chosen(count, limit):
    """Indices of `limit` of `count` sites, spread evenly and the same on every run."""
    if limit is None or count <= limit:
        return list(range(count))
    return sorted(set(int(step * count / limit) for step in range(limit)))


IMPORT = re.compile(r'module_utils(?:\.[a-z]\w*)?(?:\.(_\w+) import|\s+import\s+([\w, ]+))')


def _imports(path):
    """The module_utils modules a file imports (by name, e.g. '_plan_nat')."""
    with open(path) as handle:
        text = handle.read()
    names = set()
    for direct, listed in IMPORT.findall(text):
        if direct:
            names.add(direct)
        for name in (listed or '').split(','):
            name = name.strip().split(' as ')[0]
            if name.startswith('_'):
                names.add(name)
    return names


def test_files(module, repository):
    """The unit test files that import `module` directly or through other module_utils files."""
    graph = dict((os.path.basename(path)[:-3], _imports(path))
                 for path in glob.glob(os.path.join(repository, MODULE_UTILS, '**', '_*.py'), recursive=True))
    users, changed = {module}, True
    while changed:
        more = set(name for name, imported in graph.items() if imported & users) - users
        users |= more
        changed = bool(more)
    tests = []
    for path in sorted(glob.glob(os.path.join(repository, UNIT_TESTS, '**', 'test_*.py'), recursive=True)):
        with open(path) as handle:
            text = handle.read()
        if any(re.search(r'\b%s\b' % re.escape(name), text) for name in users):
            tests.append(os.path.relpath(path, repository))
    return tests


def make_copy(repository, root):
    """A copy of the collection at root/ansible_collections/linuxnet/fabric (the unit tests' conftest
    takes such a path as the collection), without the repository's byte-code caches."""
    target = os.path.join(root, 'ansible_collections', 'linuxnet', 'fabric')
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc')
    # roles, playbooks and docs: the plan schema's unit tests read what the roles read and docs/plan.md.
    for part in ('plugins', 'tests', 'roles', 'playbooks', 'docs'):
        shutil.copytree(os.path.join(repository, part), os.path.join(target, part), ignore=ignore, symlinks=True)
    return target


def _preload():
    """Import pytest and the heavy third-party packages once: each test run is a fork of this
    process, so it only imports the collection's own code (never imported here, so every child
    imports the mutant afresh)."""
    import pytest  # noqa: F401 pylint: disable=unused-import,import-outside-toplevel
    for name in ('ansible.module_utils.basic', 'netaddr', 'pyroute2', 'jinja2'):
        try:
            __import__(name)
        except ImportError:
            pass


def _forget_bytecode(path):
    """A mutant can have the size and modification second of the original: its stale byte-code
    would be loaded instead of it."""
    directory, name = os.path.split(path)
    for cached in glob.glob(os.path.join(directory, '__pycache__', name[:-3] + '.*.pyc')):
        os.unlink(cached)


def start_tests(copy, tests, write_bytecode=False):
    """Fork a child that runs pytest -x on `tests` in `copy`; returns its PID."""
    pid = os.fork()
    if pid:
        return pid
    code = 3
    try:
        import pytest  # pylint: disable=import-outside-toplevel
        os.chdir(copy)
        sys.dont_write_bytecode = not write_bytecode
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        code = int(pytest.main(['-x', '-q', '-p', 'no:cacheprovider', '--no-header', '-o', 'addopts='] + tests))
    finally:
        os._exit(code)  # pylint: disable=protected-access


def wait_tests(pid, deadline):
    """'killed', 'survived' or 'timeout' (an endless loop counts as noticed) for a child of start_tests."""
    while True:
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            return 'survived' if os.waitstatus_to_exitcode(status) == 0 else 'killed'
        if time.time() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return 'timeout'
        time.sleep(0.01)


def run_mutants(copies, relative, original, indices, tests, timeout):
    """{index: outcome}: each mutant written into a free copy and its tests run in a child."""
    outcomes, pending, running, free = {}, list(indices), {}, list(copies)
    while pending or running:
        while pending and free:
            copy, index = free.pop(), pending.pop(0)
            path = os.path.join(copy, relative)
            with open(path, 'w') as handle:
                handle.write(mutant_source(original, index))
            _forget_bytecode(path)
            running[start_tests(copy, tests)] = (index, copy, time.time())
        finished = None
        while finished is None:
            for pid, (index, copy, started) in running.items():
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    finished = pid, ('survived' if os.waitstatus_to_exitcode(status) == 0 else 'killed')
                elif time.time() - started > timeout:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                    finished = pid, 'timeout'
                if finished:
                    break
            else:
                time.sleep(0.01)
        pid, outcome = finished
        index, copy, _started = running.pop(pid)
        outcomes[index] = outcome
        with open(os.path.join(copy, relative), 'w') as handle:
            handle.write(original)
        free.append(copy)
    return outcomes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('files', nargs='*', help='planner files (default: plugins/module_utils/planners/_plan_*.py)')
    parser.add_argument('--limit', type=int, default=20, help='mutants per file at most (0: all)')
    parser.add_argument('--jobs', type=int, default=os.cpu_count() or 1)
    arguments = parser.parse_args()
    files = arguments.files or sorted(glob.glob(os.path.join(REPOSITORY, MODULE_UTILS, 'planners', '_plan_*.py')))
    files = [os.path.relpath(os.path.abspath(path), REPOSITORY) for path in files]
    limit = arguments.limit or None
    started = time.time()
    _preload()

    work_root = tempfile.mkdtemp(prefix='linuxnet-fabric-mutation-')
    try:
        copies = [make_copy(REPOSITORY, os.path.join(work_root, str(job))) for job in range(arguments.jobs)]
        rows, survivors = [], []
        for relative in files:
            with open(os.path.join(REPOSITORY, relative)) as handle:
                original = handle.read()
            module = os.path.basename(relative)[:-3]
            tests = test_files(module, REPOSITORY)
            sites = _sites(ast.parse(original))
            indices = chosen(len(sites), limit)
            if not tests:
                rows.append((relative, len(sites), 0, 0, 0, 'no unit test imports it'))
                continue
            # The tests must pass before anything is mutated, or every mutant would look killed;
            # this run also leaves the byte-code of the files no mutant touches in each copy.
            baseline_started = time.time()
            results = [wait_tests(start_tests(copy, tests, write_bytecode=True), time.time() + 600) for copy in copies]
            if results != ['survived'] * len(copies):
                sys.exit('%s: its unit tests fail without any mutation: fix them first (%s)' % (relative, ' '.join(tests)))
            timeout = max(20.0, 10 * (time.time() - baseline_started) / len(copies))
            outcomes = run_mutants(copies, relative, original, indices, tests, timeout)
            lines = original.splitlines()
            survived = [index for index in indices if outcomes[index] == 'survived']
            for index in survived:
                node, _position, description = sites[index]
                survivors.append('%s:%d  %-16s %s' % (relative, node.lineno, description, lines[node.lineno - 1].strip()))
            killed = len(indices) - len(survived)
            rows.append((relative, len(sites), len(indices), killed, len(survived), '%d test files' % len(tests)))
    finally:
        shutil.rmtree(work_root, ignore_errors=True)

    header = ('file', 'sites', 'mutants', 'killed', 'survived', 'survival')
    table = [header] + [(row[0], str(row[1]), str(row[2]), str(row[3]), str(row[4]),
                         '%.0f %%' % (100.0 * row[4] / row[2]) if row[2] else row[5]) for row in rows]
    total_mutants = sum(row[2] for row in rows)
    total_survived = sum(row[4] for row in rows)
    table.append(('total', str(sum(row[1] for row in rows)), str(total_mutants), str(total_mutants - total_survived),
                  str(total_survived), '%.1f %%' % (100.0 * total_survived / total_mutants) if total_mutants else '-'))
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    for number, line in enumerate(table):
        print('  '.join(cell.ljust(width) if column == 0 else cell.rjust(width) for column, (cell, width) in enumerate(zip(line, widths))))
        if number == 0 or number == len(table) - 2:
            print('  '.join('-' * width for width in widths))
    print('\nSurvivors (the tests pass with this change):' if survivors else '\nNo survivors.')
    for line in survivors:
        print('  ' + line)
    print('\n%d mutants in %.0f s (at most %s per file, %d jobs)' % (total_mutants, time.time() - started, limit or 'all', len(copies)))


if __name__ == '__main__':
    main()

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Netfilter backends for NAT and forward rules: read the collection's rules, apply plans.

Both backends run the distribution's own tools (iptables-save/-restore, nft) through the
caller's run_command (AnsibleModule.run_command), so the rules are written exactly as those tools
write them. For a namespace, the calling thread enters it around each command: the forked
command inherits the thread's network namespace and so acts inside it.

read() returns entries shaped like _plan_nat.rendered_entries(): the tagged rules of every owner
(kind 'rule') and the collection's own chains, jumps or table (kind 'chain', 'jump', 'table';
owner None). apply(plan) carries out a plan of _plan_nat.plan_rules() in one atomic batch
(iptables-restore --noflush, nft -f), so a failure leaves the rules as they were.
"""

from __future__ import annotations

import contextlib
import json
import os
import re

from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError, OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils._files import find_command
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan_nat import (
    IPTABLES_CHAIN_TABLE,
    IPTABLES_JUMPS,
    JUMP_TAG,
    NFT_CHAIN_TABLE,
    NFT_CHAINS,
    NFT_FAMILY,
    NFT_TABLE,
    TABLES,
    infrastructure,
    iptables_batch,
    nft_batch,
    nft_text,
    parse_tag,
)

# (save, restore) per variant. 'auto' uses the commands on PATH, as Docker does.
IPTABLES_COMMANDS = {
    'auto': ('iptables-save', 'iptables-restore'),
    'nft': ('iptables-nft-save', 'iptables-nft-restore'),
    'legacy': ('iptables-legacy-save', 'iptables-legacy-restore'),
}
# Seconds iptables-restore waits for the xtables lock held by other iptables commands (legacy).
XTABLES_LOCK_WAIT_SECONDS = 10
COMMENT_PATTERN = re.compile(r'--comment (?:"([^"]*)"|(\S+))')
FAILED_LINE_PATTERN = re.compile(r'line:? (\d+)')
NFT_HANDLE_PATTERN = re.compile(r'^\s*(.*\S)\s+# handle (\d+)$')
NFT_MISSING_TABLE = 'No such file or directory'


def where(netns):
    return ' in %s' % _netns.describe(netns) if netns else ''


class Commands(object):
    """Runs commands in one network namespace (None: the caller's own)."""

    def __init__(self, run_command, netns):
        self.run_command = run_command
        self.netns = netns

    @contextlib.contextmanager
    def inside(self):
        """The body runs with the thread in the namespace (forked commands inherit it)."""
        if self.netns is None:
            yield
        else:
            with _netns.entered(self.netns):
                yield

    def run(self, argv, data=None):
        with self.inside():
            return self.run_command(argv, data=data, binary_data=True)

    def checked(self, argv, data=None):
        """stdout of a command that must succeed; the error names the command and the batch line."""
        rc, out, err = self.run(argv, data=data)
        if rc != 0:
            raise FabricError('%s failed%s (rc=%d): %s%s' % (
                os.path.basename(argv[0]), where(self.netns), rc, err.strip() or out.strip(), failed_line(err, data)))
        return out


def failed_line(err, data):
    """The batch line a restore error refers to ("line 3 failed"), to show it in the message."""
    match = FAILED_LINE_PATTERN.search(err or '')
    if not data or not match:
        return ''
    lines = data.splitlines()
    number = int(match.group(1))
    if 1 <= number <= len(lines):
        return ' [line %d: %s]' % (number, lines[number - 1])
    return ''


def require_plan_for(plan, backend):
    if getattr(plan, 'backend', None) != backend:
        raise FabricError('a plan made for the %s backend cannot be applied by the %s backend' % (
            getattr(plan, 'backend', None), backend))


def comment_of(line):
    match = COMMENT_PATTERN.search(line)
    if not match:
        return None
    return match.group(1) if match.group(1) is not None else match.group(2)


def existing_tables(text):
    """The tables `iptables-save` lists (the ones that exist)."""
    return set(line[1:].strip() for line in text.splitlines() if line.startswith('*'))


def parse_iptables_save(text):
    """Entries of `iptables-save` output (tables nat and filter): our chains, our jumps, and
    tagged rules in our chains.

    Rules anywhere else, in other tables, or in our chains without a valid tag, are not ours and
    are left out.
    """
    pieces = dict(((piece['kind'], piece['name']), piece) for piece in infrastructure('iptables', TABLES))
    jump_sources = dict(((table, builtin), chain) for table, builtin, _matches, chain in IPTABLES_JUMPS)
    entries = []
    table = None
    for line in text.splitlines():
        if line.startswith('*'):
            table = line[1:].strip()
            continue
        if table not in TABLES:
            continue
        if line.startswith(':'):
            chain = line[1:].split(' ', 1)[0]
            if IPTABLES_CHAIN_TABLE.get(chain) == table:
                entries.append(dict(pieces[('chain', chain)]))
            continue
        if not line.startswith('-A '):
            continue
        chain = line.split(' ', 2)[1]
        comment = comment_of(line)
        if IPTABLES_CHAIN_TABLE.get(chain) == table:
            tag = parse_tag(comment)
            if tag:
                owner, name, digest = tag
                entries.append({'kind': 'rule', 'owner': owner, 'name': name, 'digest': digest, 'tag': comment,
                                'chain': chain, 'text': line, 'table': table})
        elif (table, chain) in jump_sources and comment == JUMP_TAG and line.endswith(' -j ' + jump_sources[(table, chain)]):
            entries.append({'kind': 'jump', 'owner': None, 'name': chain, 'digest': None, 'tag': JUMP_TAG, 'text': line,
                            'table': table})
    return entries


def parse_nft(json_text, listing):
    """Entries of our table from `nft -j list table` (identity) and `nft -a list table` (texts)."""
    statements = {}
    for line in listing.splitlines():
        match = NFT_HANDLE_PATTERN.match(line)
        if match and not match.group(1).endswith('{'):
            statements[int(match.group(2))] = match.group(1)
    our_chains = dict(NFT_CHAINS)
    entries = []
    for item in json.loads(json_text).get('nftables', []):
        if 'table' in item:
            entries.append(dict(infrastructure('nftables', TABLES)[0]))
        elif 'chain' in item and item['chain']['name'] in our_chains:
            chain = item['chain']
            definition = 'type %s hook %s priority %s; policy %s;' % (chain['type'], chain['hook'], chain['prio'], chain['policy'])
            entries.append({'kind': 'chain', 'owner': None, 'name': chain['name'], 'digest': None, 'tag': None,
                            'definition': definition, 'text': 'chain %s { %s }' % (chain['name'], definition),
                            'table': NFT_CHAIN_TABLE[chain['name']]})
        elif 'rule' in item:
            rule = item['rule']
            tag = parse_tag(rule.get('comment'))
            if not tag:
                continue
            if rule['handle'] not in statements:
                raise FabricError('table %s %s changed while it was being read; run again' % (NFT_FAMILY, NFT_TABLE))
            owner, name, digest = tag
            statement = statements[rule['handle']]
            entries.append({'kind': 'rule', 'owner': owner, 'name': name, 'digest': digest, 'tag': rule['comment'],
                            'chain': rule['chain'], 'handle': rule['handle'], 'statement': statement,
                            'text': nft_text(rule['chain'], statement), 'table': NFT_CHAIN_TABLE.get(rule['chain'], 'nat')})
    return entries


class Host(object):
    """How a backend finds its commands on the machine; tests give a stand-in (unit tests never
    look at the host they run on)."""

    @staticmethod
    def find_command(name):
        return find_command(name)


class IptablesBackend(object):
    """Rules in the iptables nat and filter tables, through iptables-save and iptables-restore --noflush."""

    kind = 'iptables'

    def __init__(self, run_command, netns=None, variant='auto', host=None):
        if variant not in IPTABLES_COMMANDS:
            raise OptionError('iptables_variant', "'%s' must be one of %s" % (variant, ', '.join(sorted(IPTABLES_COMMANDS))))
        host = host or Host()
        save, restore = IPTABLES_COMMANDS[variant]
        self.save_command = host.find_command(save)
        self.restore_command = host.find_command(restore)
        self.commands = Commands(run_command, netns)

    def read(self):
        # Without -t, iptables-save lists the tables that exist and creates none: `-t nat` would
        # make iptables-legacy instantiate a missing table, so even a check-mode read left a trace.
        text = self.commands.checked([self.save_command])
        self.existing_tables = existing_tables(text)
        return parse_iptables_save(text)

    def apply(self, plan):
        require_plan_for(plan, self.kind)
        if plan.actions:
            self.commands.checked([self.restore_command, '-w', str(XTABLES_LOCK_WAIT_SECONDS), '--noflush'],
                                  data=iptables_batch(plan))


class NftablesBackend(object):
    """Rules in the table ip linuxnet_fabric, through nft."""

    kind = 'nftables'

    def __init__(self, run_command, netns=None, host=None):
        self.nft_command = (host or Host()).find_command('nft')
        self.commands = Commands(run_command, netns)

    def read(self):
        table = [NFT_FAMILY, NFT_TABLE]
        rc, out, err = self.commands.run([self.nft_command, '-j', 'list', 'table'] + table)
        if rc != 0:
            if NFT_MISSING_TABLE in err:
                return []
            raise FabricError('nft list table %s %s failed%s (rc=%d): %s' % (
                NFT_FAMILY, NFT_TABLE, where(self.commands.netns), rc, err.strip()))
        listing = self.commands.checked([self.nft_command, '-a', 'list', 'table'] + table)
        return parse_nft(out, listing)

    def apply(self, plan):
        require_plan_for(plan, self.kind)
        if plan.actions:
            self.commands.checked([self.nft_command, '-f', '-'], data=nft_batch(plan))


def make_backend(kind, run_command, netns=None, iptables_variant='auto', host=None):
    """The backend `kind` ('iptables' or 'nftables') acting in `netns` (None: the caller's own).

    run_command(argv, data=None, binary_data=False) -> (rc, stdout, stderr), as
    AnsibleModule.run_command; `host` finds commands and probes legacy tables (default: Host()).
    Missing commands fail here, before anything is read or changed.
    """
    if kind == 'iptables':
        return IptablesBackend(run_command, netns, iptables_variant, host)
    if kind == 'nftables':
        return NftablesBackend(run_command, netns, host)
    raise OptionError('backend', "'%s' must be one of iptables, nftables" % kind)

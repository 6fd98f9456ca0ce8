# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NAT and forward rules: model, validation, rendering, ownership tags and planning. Pure: no
Ansible, no kernel.

A rule is a plain dict made by normalise_rule(). Every kernel rule written for it carries the
comment tag "linuxnet.fabric:<owner>:<name>:<digest>", where the digest hashes the rule's
normalised options. Comparing desired with current rules is comparing tags, so rule bodies as
printed by iptables-save or nft (whose canonical forms differ between versions) are never parsed.

Kernel layout:
- iptables, table nat: rules live in the chains LINUXNET-DNAT (entered from PREROUTING and, for
  local clients, OUTPUT, for local destinations only, as Docker does) and LINUXNET-POSTROUTING
  (entered from POSTROUTING); table filter (the `accept` kind, forward accepts): the chain
  LINUXNET-FORWARD, entered from FORWARD. The entering jumps carry the tag JUMP_TAG.
- nftables: the table `ip linuxnet_fabric`, with one base chain per hook (prerouting, output,
  postrouting; forward for accepts); the local-destination test is part of each dnat rule.
The chains and jumps of a table exist exactly while a rule of that table does (the nft table
while any rule does), so a node with NAT rules only never gets a filter table from us.
A dnat rule also writes a MASQUERADE of traffic from the target to itself (hairpin), so a
container reaching its own published port gets the answer from the node, not from itself.

IPv4 only.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners import _validate
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import OptionError
from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import Plan

KINDS = ('masquerade', 'snat', 'dnat', 'accept')
# The netfilter table each kind lives in. `accept` is a forward accept: what a fabric needs where
# the FORWARD chain drops by default (Docker sets that policy).
KIND_TABLE = {'masquerade': 'nat', 'snat': 'nat', 'dnat': 'nat', 'accept': 'filter'}
TABLES = ('nat', 'filter')
PROTOCOLS = ('tcp', 'udp', 'sctp')
STATES = ('present', 'absent')
BACKENDS = ('iptables', 'nftables')

# Options each kind uses; any other rule option set for that kind is an error, not ignored.
KIND_OPTIONS = {
    'masquerade': ('source', 'destination', 'out_interface'),
    'snat': ('source', 'destination', 'out_interface', 'to_address'),
    'dnat': ('source', 'in_interface', 'protocol', 'host_port', 'host_address', 'to_address', 'to_port'),
    'accept': ('source', 'destination', 'in_interface', 'out_interface'),
}
KIND_REQUIRED = {
    'masquerade': (),
    'accept': (),
    'snat': ('to_address',),
    'dnat': ('protocol', 'host_port', 'to_address'),
}
RULE_OPTIONS = ('source', 'destination', 'in_interface', 'out_interface', 'to_address', 'protocol',
                'host_port', 'host_address', 'to_port')

TAG_PREFIX = 'linuxnet.fabric:'
JUMP_TAG = 'linuxnet.fabric:jump'
LABEL_PATTERN = re.compile(r'^[A-Za-z0-9_.-]+$')
# With these limits a tag stays well below the 255 characters iptables and nft keep of a comment.
OWNER_MAX_LENGTH = 64
NAME_MAX_LENGTH = 128
DIGEST_LENGTH = 10
# Part of every digest: raise it when the rendering of an unchanged rule changes, so rules
# written by an older version are found different and rewritten.
RENDERING_VERSION = 1
# Interface names are written into iptables-restore and nft scripts: only characters that need
# no quoting in either, plus iptables' trailing '+' wildcard.
INTERFACE_PATTERN = re.compile(r'^[A-Za-z0-9_.-]+\+?$')
PORT_RANGE_PATTERN = re.compile(r'^(\d+)(?:-(\d+))?$')

IPTABLES_DNAT_CHAIN = 'LINUXNET-DNAT'
IPTABLES_POSTROUTING_CHAIN = 'LINUXNET-POSTROUTING'
IPTABLES_FORWARD_CHAIN = 'LINUXNET-FORWARD'
# Our chains per table, in the order iptables-save lists them (alphabetical).
IPTABLES_TABLE_CHAINS = {'nat': (IPTABLES_DNAT_CHAIN, IPTABLES_POSTROUTING_CHAIN), 'filter': (IPTABLES_FORWARD_CHAIN,)}
IPTABLES_CHAINS = IPTABLES_TABLE_CHAINS['nat'] + IPTABLES_TABLE_CHAINS['filter']
IPTABLES_CHAIN_TABLE = dict((chain, table) for table, chains in IPTABLES_TABLE_CHAINS.items() for chain in chains)
# (table, built-in chain, matches, our chain). Loopback is left out of OUTPUT as Docker does: DNAT
# of 127.0.0.0/8 would need route_localnet. The FORWARD jump is appended: rules already there
# (Docker's DOCKER-USER jump among them) are evaluated first, and it still comes before the
# chain's policy.
IPTABLES_JUMPS = (
    ('nat', 'PREROUTING', '-m addrtype --dst-type LOCAL', IPTABLES_DNAT_CHAIN),
    ('nat', 'OUTPUT', '! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL', IPTABLES_DNAT_CHAIN),
    ('nat', 'POSTROUTING', '', IPTABLES_POSTROUTING_CHAIN),
    ('filter', 'FORWARD', '', IPTABLES_FORWARD_CHAIN),
)

NFT_FAMILY = 'ip'
NFT_TABLE = 'linuxnet_fabric'
# Priorities as numbers (dstnat = -100, srcnat = 100, filter = 0) because `nft -j` reports them
# that way.
NFT_CHAINS = (
    ('prerouting', 'type nat hook prerouting priority -100; policy accept;'),
    ('output', 'type nat hook output priority -100; policy accept;'),
    ('postrouting', 'type nat hook postrouting priority 100; policy accept;'),
    ('forward', 'type filter hook forward priority 0; policy accept;'),
)
NFT_CHAIN_TABLE = {'prerouting': 'nat', 'output': 'nat', 'postrouting': 'nat', 'forward': 'filter'}
NFT_LOCAL_DESTINATION = {
    'prerouting': 'fib daddr type local',
    'output': 'ip daddr != 127.0.0.0/8 fib daddr type local',
}


# --- validation ----------------------------------------------------------------------------------

def label(option, value, max_length):
    """An owner or rule name: [A-Za-z0-9_.-], 1..max_length characters (it goes into the tag)."""
    if not isinstance(value, str) or not value:
        raise OptionError(option, 'must be a non-empty string')
    if not LABEL_PATTERN.match(value):
        raise OptionError(option, "'%s' may only contain letters, digits, '_', '.' and '-'" % value)
    if len(value) > max_length:
        raise OptionError(option, "'%s' is %d characters long; at most %d are allowed" % (value, len(value), max_length))
    return value


def owner_label(option, value):
    return label(option, value, OWNER_MAX_LENGTH)


def split_negation(value):
    """'!10.0.0.0/8' -> (True, '10.0.0.0/8'); '10.0.0.0/8' -> (False, '10.0.0.0/8')."""
    text = str(value).strip()
    if text.startswith('!'):
        return True, text[1:].strip()
    return False, text


def ipv4_network(option, value):
    """A network (or single address) with optional leading '!', normalised to '[!]a.b.c.d/n'."""
    if value is None:
        return None
    negated, text = split_negation(value)
    network = _validate.network(option, text)
    if network.version != 4:
        raise OptionError(option, "'%s' is an IPv6 network; NAT rules are IPv4 only" % value)
    return ('!' if negated else '') + str(network)


def ipv4_address(option, value):
    """A single IPv4 address a rule can translate to or match as the node's address."""
    if value is None:
        return None
    address = _validate.ip_address(option, value, version=4)
    if address.is_loopback:
        raise OptionError(option, "'%s' is a loopback address; NAT to or from 127.0.0.0/8 needs route_localnet, "
                                  "which is not supported" % value)
    if address.is_multicast or address.is_unspecified:
        raise OptionError(option, "'%s' is not a unicast address" % value)
    return str(address)


def interface_match(option, value):
    """An interface name with optional leading '!' and trailing '+' (any name with that prefix)."""
    if value is None:
        return None
    negated, name = split_negation(value)
    _validate.ifname(option, name)
    if not INTERFACE_PATTERN.match(name):
        raise OptionError(option, "'%s' may only contain letters, digits, '_', '.', '-' and a trailing '+'" % name)
    return ('!' if negated else '') + name


def port_range(option, value):
    """A port (int or digits) or a range 'low-high', returned as (low, high)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise OptionError(option, "'%s' is not a port or a port range like 8000-8010" % (value,))
    match = PORT_RANGE_PATTERN.match(str(value).strip().replace(' ', ''))
    if not match:
        raise OptionError(option, "'%s' is not a port or a port range like 8000-8010" % (value,))
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    for port in (low, high):
        if not 1 <= port <= 65535:
            raise OptionError(option, '%s is out of range (1..65535)' % port)
    if low > high:
        raise OptionError(option, "'%s' is a range whose start is above its end" % value)
    return (low, high)


def protocol_name(option, value):
    if value is None:
        return None
    text = str(value).strip().lower()
    if text not in PROTOCOLS:
        raise OptionError(option, "'%s' must be one of %s" % (value, ', '.join(PROTOCOLS)))
    return text


def choice(option, value, choices):
    if value not in choices:
        raise OptionError(option, "'%s' must be one of %s" % (value, ', '.join(choices)))
    return value


def normalise_rule(params, option_prefix=''):
    """The validated, normalised rule described by `params` (OptionError names the first bad option).

    `params` holds `name` and optionally `state` (present/absent), `kind` and the rule options
    (RULE_OPTIONS); missing keys are unset. `option_prefix` is put in front of option names in
    messages, so a caller that builds rules from a list can name the element ('publish[2].').
    An absent rule only needs its name; options that are given are still validated.
    """
    def option(key):
        return option_prefix + key

    state = choice(option('state'), params.get('state') or 'present', STATES)
    rule = {
        'name': label(option('name'), params.get('name'), NAME_MAX_LENGTH),
        'state': state,
        'kind': None,
        'source': ipv4_network(option('source'), params.get('source')),
        'destination': ipv4_network(option('destination'), params.get('destination')),
        'in_interface': interface_match(option('in_interface'), params.get('in_interface')),
        'out_interface': interface_match(option('out_interface'), params.get('out_interface')),
        'to_address': ipv4_address(option('to_address'), params.get('to_address')),
        'protocol': protocol_name(option('protocol'), params.get('protocol')),
        'host_port': port_range(option('host_port'), params.get('host_port')),
        'host_address': ipv4_address(option('host_address'), params.get('host_address')),
        'to_port': port_range(option('to_port'), params.get('to_port')),
    }
    if params.get('kind') is not None:
        rule['kind'] = choice(option('kind'), params['kind'], KINDS)
    if state == 'absent':
        return rule
    kind = rule['kind']
    if kind is None:
        raise OptionError(option('kind'), 'is required with state=present (one of %s)' % ', '.join(KINDS))
    for key in RULE_OPTIONS:
        if rule[key] is not None and key not in KIND_OPTIONS[kind]:
            raise OptionError(option(key), 'is not used by kind=%s (it uses %s)' % (kind, ', '.join(KIND_OPTIONS[kind])))
    for key in KIND_REQUIRED[kind]:
        if rule[key] is None:
            raise OptionError(option(key), 'is required by kind=%s' % kind)
    if kind == 'dnat':
        rule['to_port'] = checked_to_port(option('to_port'), rule['host_port'], rule['to_port'])
    return rule


def checked_to_port(option, host_port, to_port):
    """The target port(s): the host port(s) when unset; a range must be as long as the host range."""
    if to_port is None:
        return host_port
    host_length = host_port[1] - host_port[0]
    if to_port[1] - to_port[0] != host_length:
        raise OptionError(option, '%s covers %d port(s) but host_port %s covers %d' % (
            port_text(to_port), to_port[1] - to_port[0] + 1, port_text(host_port), host_length + 1))
    return to_port


def publish_rule(name, published, to_address, option='publish'):
    """The dnat rule for a published port: `published` as _published_ports.parse_publish returns
    it (e.g. for '8080:80/tcp'), to `to_address`. The rule's hairpin masquerade is part of its
    rendering. Messages name `option`.
    """
    return normalise_rule({
        'name': name,
        'kind': 'dnat',
        'protocol': published['protocol'],
        'host_address': published['host_address'],
        'host_port': port_text(published['host_ports']),
        'to_address': to_address,
        'to_port': port_text(published['container_ports']),
    }, option_prefix='%s.' % option)


# --- ownership tags ------------------------------------------------------------------------------

def digest_of(rule):
    """Short hash of what the rule does (not of its name or state)."""
    spec = dict((key, rule[key]) for key in ('kind',) + RULE_OPTIONS)
    spec['rendering'] = RENDERING_VERSION
    encoded = json.dumps(spec, sort_keys=True, separators=(',', ':')).encode('utf-8')
    return hashlib.sha256(encoded).hexdigest()[:DIGEST_LENGTH]


def tag_of(owner, rule):
    return '%s%s:%s:%s' % (TAG_PREFIX, owner, rule['name'], digest_of(rule))


def parse_tag(comment):
    """(owner, name, digest) of a rule tag, or None for any other comment (not our rule)."""
    if not comment or not comment.startswith(TAG_PREFIX):
        return None
    parts = comment[len(TAG_PREFIX):].split(':')
    if len(parts) != 3 or not all(LABEL_PATTERN.match(part) for part in parts):
        return None
    return tuple(parts)


# --- rendering -----------------------------------------------------------------------------------

def port_text(ports, separator='-'):
    low, high = ports
    return str(low) if low == high else '%d%s%d' % (low, separator, high)


def destination_match(rule):
    """The destination a rule matches: its `destination`, or for dnat the node address `host_address`."""
    if rule['host_address']:
        return '%s/32' % rule['host_address']
    return rule['destination']


def shifted_range(rule):
    """Whether a dnat rule maps a port range onto a different range of the same length.

    A range mapped onto itself needs no mapping: the kernel keeps a destination port that is
    already inside the target range.
    """
    return rule['host_port'][0] != rule['host_port'][1] and rule['host_port'] != rule['to_port']


def iptables_negatable(flag, value):
    negated, body = split_negation(value)
    return '%s%s %s' % ('! ' if negated else '', flag, body)


def iptables_line(chain, matches, tag, target):
    """'-A CHAIN <matches> -m comment --comment "<tag>" <target>' (iptables-save's order)."""
    return ' '.join(['-A', chain] + [part for part in matches if part] + ['-m comment --comment "%s"' % tag, target])


def iptables_rules(rule, tag):
    """[(chain, line)] the rule is made of in the iptables nat table, as iptables-restore input."""
    matches = [iptables_negatable(flag, value) for flag, value in (
        ('-s', rule['source']), ('-d', destination_match(rule)), ('-i', rule['in_interface']), ('-o', rule['out_interface']),
    ) if value]
    kind = rule['kind']
    if kind == 'accept':
        return [(IPTABLES_FORWARD_CHAIN, iptables_line(IPTABLES_FORWARD_CHAIN, matches, tag, '-j ACCEPT'))]
    if kind == 'masquerade':
        return [(IPTABLES_POSTROUTING_CHAIN, iptables_line(IPTABLES_POSTROUTING_CHAIN, matches, tag, '-j MASQUERADE'))]
    if kind == 'snat':
        return [(IPTABLES_POSTROUTING_CHAIN,
                 iptables_line(IPTABLES_POSTROUTING_CHAIN, matches, tag, '-j SNAT --to-source %s' % rule['to_address']))]
    protocol = rule['protocol']
    matches.append('-p %s -m %s --dport %s' % (protocol, protocol, port_text(rule['host_port'], ':')))
    destination = '%s:%s' % (rule['to_address'], port_text(rule['to_port']))
    if shifted_range(rule):
        # '/base' maps host_port[0] to to_port[0], and so on (DNAT target revision 2).
        destination += '/%d' % rule['host_port'][0]
    hairpin = ['-s %s/32 -d %s/32' % (rule['to_address'], rule['to_address']),
               '-p %s -m %s --dport %s' % (protocol, protocol, port_text(rule['to_port'], ':'))]
    return [
        (IPTABLES_DNAT_CHAIN, iptables_line(IPTABLES_DNAT_CHAIN, matches, tag, '-j DNAT --to-destination %s' % destination)),
        (IPTABLES_POSTROUTING_CHAIN, iptables_line(IPTABLES_POSTROUTING_CHAIN, hairpin, tag, '-j MASQUERADE')),
    ]


def nft_address(value):
    """nft prints a /32 network as a bare address; writing it that way keeps texts identical."""
    negated, body = split_negation(value)
    network = ipaddress.ip_network(body)
    text = str(network.network_address) if network.prefixlen == 32 else str(network)
    return ('!= ' if negated else '') + text


def nft_interface(value):
    negated, name = split_negation(value)
    if name.endswith('+'):
        name = name[:-1] + '*'
    return '%s"%s"' % ('!= ' if negated else '', name)


def nft_rules(rule, tag):
    """[(chain, statement)] the rule is made of in the table ip linuxnet_fabric."""
    comment = 'comment "%s"' % tag
    matches = ['%s %s' % (prefix, render(value)) for prefix, value, render in (
        ('ip saddr', rule['source'], nft_address), ('ip daddr', destination_match(rule), nft_address),
        ('iifname', rule['in_interface'], nft_interface), ('oifname', rule['out_interface'], nft_interface),
    ) if value]
    kind = rule['kind']
    if kind == 'accept':
        return [('forward', ' '.join(matches + ['accept', comment]))]
    if kind == 'masquerade':
        return [('postrouting', ' '.join(matches + ['masquerade', comment]))]
    if kind == 'snat':
        return [('postrouting', ' '.join(matches + ['snat to %s' % rule['to_address'], comment]))]
    protocol, host_port, to_port = rule['protocol'], rule['host_port'], rule['to_port']
    matches.append('%s dport %s' % (protocol, port_text(host_port)))
    if not shifted_range(rule):
        target = '%s:%s' % (rule['to_address'], port_text(to_port))
    else:
        shift = to_port[0] - host_port[0]
        pairs = ', '.join('%d : %d' % (port, port + shift) for port in range(host_port[0], host_port[1] + 1))
        target = '%s:%s dport map { %s }' % (rule['to_address'], protocol, pairs)
    dnat = ' '.join(matches + ['dnat to %s' % target, comment])
    hairpin = 'ip saddr %s ip daddr %s %s dport %s masquerade %s' % (
        rule['to_address'], rule['to_address'], protocol, port_text(to_port), comment)
    return [
        ('prerouting', '%s %s' % (NFT_LOCAL_DESTINATION['prerouting'], dnat)),
        ('output', '%s %s' % (NFT_LOCAL_DESTINATION['output'], dnat)),
        ('postrouting', hairpin),
    ]


def nft_text(chain, statement):
    return '%s: %s' % (chain, statement)


def rendered_entries(rule, owner, backend):
    """The kernel rules for `rule`, as entries shaped like a backend's read() returns them."""
    tag = tag_of(owner, rule)
    base = {'kind': 'rule', 'owner': owner, 'name': rule['name'], 'digest': digest_of(rule), 'tag': tag,
            'table': KIND_TABLE[rule['kind']]}
    if backend == 'iptables':
        return [dict(base, chain=chain, text=line) for chain, line in iptables_rules(rule, tag)]
    return [dict(base, chain=chain, statement=statement, text=nft_text(chain, statement))
            for chain, statement in nft_rules(rule, tag)]


def jump_line(builtin, matches, chain):
    return ' '.join(part for part in ('-A', builtin, matches, '-m comment --comment "%s"' % JUMP_TAG, '-j', chain) if part)


def infrastructure(backend, tables=('nat',)):
    """The chains, jumps or table the rules of `tables` need, in the order they are created.

    Each piece names the netfilter table it serves (`table`; None for the nft table itself,
    which every rule needs).
    """
    if backend == 'iptables':
        pieces = [{'kind': 'chain', 'name': chain, 'text': '-N %s' % chain, 'table': table}
                  for table in TABLES if table in tables for chain in IPTABLES_TABLE_CHAINS[table]]
        pieces.extend({'kind': 'jump', 'name': builtin, 'text': jump_line(builtin, matches, chain), 'table': table}
                      for table, builtin, matches, chain in IPTABLES_JUMPS if table in tables)
    else:
        pieces = [{'kind': 'table', 'name': '%s %s' % (NFT_FAMILY, NFT_TABLE), 'text': 'table %s %s' % (NFT_FAMILY, NFT_TABLE),
                   'table': None}] if tables else []
        pieces.extend({'kind': 'chain', 'name': chain, 'definition': definition, 'table': NFT_CHAIN_TABLE[chain],
                       'text': 'chain %s { %s }' % (chain, definition)}
                      for chain, definition in NFT_CHAINS if NFT_CHAIN_TABLE[chain] in tables)
    for piece in pieces:
        piece.update(owner=None, digest=None, tag=JUMP_TAG if piece['kind'] == 'jump' else None)
    return pieces


# --- planning ------------------------------------------------------------------------------------

class NatPlan(Plan):
    """A Plan whose actions are written for one backend; the backend refuses plans for another."""

    def __init__(self, backend, before, after):
        super(NatPlan, self).__init__(before, after)
        self.backend = backend
        # What a read would return once the plan is applied (every owner's rules and the shared
        # pieces), so that a second owner's plan in the same run can be planned on top of it.
        self.entries_after = None


def describe_entry(entry):
    return '%s:%s' % (entry['owner'], entry['name'])


def action_kind(entry):
    """'nat rule', 'filter jump', ...: the netfilter table and what the entry is. The nft table
    itself is 'nat table', as it has always been called (it held NAT chains only at first)."""
    return '%s %s' % (entry.get('table') or 'nat', entry['kind'])


def add_rule_action(plan, entry):
    if plan.backend == 'iptables':
        plan.add('add', action_kind(entry), describe_entry(entry), rule=entry['text'], _table=entry['table'])
    else:
        plan.add('add', action_kind(entry), describe_entry(entry), chain=entry['chain'], rule=entry['statement'])


def delete_action(plan, entry):
    """Delete a rule or jump read from the kernel."""
    name = describe_entry(entry) if entry['kind'] == 'rule' else entry['name']
    if plan.backend == 'iptables':
        plan.add('delete', action_kind(entry), name, rule=entry['text'], _table=entry['table'])
    else:
        plan.add('delete', action_kind(entry), name, chain=entry['chain'], handle=entry['handle'], rule=entry['statement'])


def create_piece_action(plan, piece):
    if piece['kind'] == 'jump':
        plan.add('add', action_kind(piece), piece['name'], rule=piece['text'], _table=piece['table'])
    elif piece['kind'] == 'chain' and plan.backend == 'nftables':
        plan.add('create', action_kind(piece), piece['name'], definition=piece['definition'])
    else:
        plan.add('create', action_kind(piece), piece['name'], _table=piece['table'])


def remove_piece_action(plan, entry):
    if entry['kind'] == 'jump':
        delete_action(plan, entry)
    else:
        plan.add('delete', action_kind(entry), entry['name'], _table=entry['table'])


def infrastructure_changes(backend, present, needed_tables):
    """(pieces to create, pieces to remove, pieces there will be) so that the shared chains and
    jumps of a table (or the nft table) exist exactly while some rule of that table does.

    Duplicates (a jump added twice by hand or by a crashed run) are removed, so each rule is
    evaluated once.
    """
    if not needed_tables and backend == 'nftables':
        # Deleting the table deletes its chains with it.
        return [], [entry for entry in present if entry['kind'] == 'table'], []
    found, extra = {}, []
    for entry in present:
        key = (entry['kind'], entry['name'])
        if key in found:
            extra.append(entry)
        else:
            found[key] = entry
    wanted = infrastructure(backend, needed_tables)
    wanted_keys = set((piece['kind'], piece['name']) for piece in wanted)
    # Pieces of a table no rule needs any more; jumps first: a chain that is still jumped to
    # cannot be deleted.
    extra.extend(entry for key, entry in found.items() if key not in wanted_keys)
    creations = [piece for piece in wanted if (piece['kind'], piece['name']) not in found]
    removals = sorted(extra, key=lambda entry: entry['kind'] != 'jump')
    return creations, removals, [found.get((piece['kind'], piece['name']), piece) for piece in wanted]


def plan_rules(desired_rules, current_rules, owner, purge=False, backend='iptables'):
    """Plan that turns `current_rules` (a backend's read()) into `desired_rules` for `owner`.

    `desired_rules` are normalise_rule() results: a present rule is written unless a rule with its
    exact tag is there; an absent one is removed (every kernel rule tagged owner:name). With
    `purge`, every other rule of `owner` is removed too. Rules of other owners and anything
    without our tag are never touched; the shared chains/table exist exactly while some rule does.
    Actions are ordered for one atomic batch: creations, deletions, additions, removals of the
    shared pieces. The diff shows the shared pieces and the rules of `owner` ({'nat_rules': [...]}).
    """
    owner = owner_label('owner', owner)
    choice('backend', backend, BACKENDS)
    names = [rule['name'] for rule in desired_rules]
    for name in set(names):
        if names.count(name) > 1:
            raise OptionError('name', "'%s' is given to more than one rule" % name)

    rules = [entry for entry in current_rules if entry['kind'] == 'rule']
    present_pieces = [entry for entry in current_rules if entry['kind'] != 'rule']
    mine = [entry for entry in rules if entry['owner'] == owner]
    plan = NatPlan(backend, None, None)
    removed, added = [], []

    wanted_names = set()
    for rule in desired_rules:
        existing = [entry for entry in mine if entry['name'] == rule['name']]
        if rule['state'] == 'absent':
            removed.extend(existing)
            continue
        wanted_names.add(rule['name'])
        wanted = rendered_entries(rule, owner, backend)
        same = [entry for entry in existing if entry['tag'] == wanted[0]['tag']]
        # A rule some of whose kernel rules were deleted behind our back is written again.
        if len(same) == len(existing) == len(wanted):
            continue
        removed.extend(existing)
        added.extend(wanted)
    if purge:
        removed.extend(entry for entry in mine if entry['name'] not in wanted_names
                       and entry not in removed)

    remaining = [entry for entry in rules if entry not in removed] + added
    needed_tables = tuple(table for table in TABLES if any(entry['table'] == table for entry in remaining))
    creations, removals, pieces_after = infrastructure_changes(backend, present_pieces, needed_tables)
    for piece in creations:
        create_piece_action(plan, piece)
    for entry in removed:
        delete_action(plan, entry)
    for entry in added:
        add_rule_action(plan, entry)
    for entry in removals:
        remove_piece_action(plan, entry)

    kept = [entry for entry in mine if entry not in removed]
    plan.entries_after = [entry for entry in rules if entry not in removed] + added + pieces_after
    plan.before = {'nat_rules': [entry['text'] for entry in present_pieces + in_listing_order(backend, mine)]}
    plan.after = {'nat_rules': [entry['text'] for entry in pieces_after + in_listing_order(backend, kept + added)]}
    return plan


def in_listing_order(backend, entries):
    """Rules grouped by chain in the order iptables-save and nft list chains, so a diff's
    `after` is what the next read returns (a new rule is the last of its chain)."""
    chains = IPTABLES_CHAINS if backend == 'iptables' else tuple(name for name, _definition in NFT_CHAINS)
    return sorted(entries, key=lambda entry: chains.index(entry['chain']) if entry['chain'] in chains else len(chains))


# --- batches -------------------------------------------------------------------------------------

def iptables_batch(plan):
    """iptables-restore --noflush input that carries out the plan: one commit per table, the
    actions of each table in the plan's order."""
    sections = dict((table, []) for table in TABLES)
    for action in plan.actions:
        lines = sections[action.details['_table']]
        if action.kind.endswith(' chain'):
            lines.append('%s %s' % ('-N' if action.verb == 'create' else '-X', action.name))
        elif action.verb == 'add':
            lines.append(action.details['rule'])
        else:
            # A rule is deleted by its exact specification as iptables-save printed it, which
            # iptables matches against the rule itself (never against its position).
            lines.append('-D' + action.details['rule'][len('-A'):])
    text = []
    for table in TABLES:
        if sections[table]:
            text.extend(['*%s' % table] + sections[table] + ['COMMIT'])
    return '\n'.join(text) + '\n'


def nft_batch(plan):
    """nft -f input that carries out the plan in one transaction."""
    table = '%s %s' % (NFT_FAMILY, NFT_TABLE)
    lines = []
    for action in plan.actions:
        if action.kind == 'nat table':
            lines.append('%s table %s' % ('add' if action.verb == 'create' else 'delete', table))
        elif action.kind.endswith(' chain'):
            if action.verb == 'create':
                lines.append('add chain %s %s { %s }' % (table, action.name, action.details['definition']))
            else:
                lines.append('delete chain %s %s' % (table, action.name))
        elif action.verb == 'add':
            lines.append('add rule %s %s %s' % (table, action.details['chain'], action.details['rule']))
        else:
            lines.append('delete rule %s %s handle %d' % (table, action.details['chain'], action.details['handle']))
    return '\n'.join(lines) + '\n'

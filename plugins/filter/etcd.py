# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The etcd cluster of an inventory, planned and validated on the controller.

Documentation: etcd_cluster.yml and etcd_membership.yml. etcd_cluster validates the inventory
(before the role changes anything) and computes every member's names, addresses and URLs;
etcd_membership compares that with the member list of the running cluster and decides who
bootstraps, who joins (one at a time, in order), who is removed and what each member's
initial-cluster settings are. Every error names the variable and the hosts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import traceback
from urllib.parse import urlsplit

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

try:
    import netaddr
except ImportError:
    NETADDR_IMPORT_ERROR = traceback.format_exc()
else:
    NETADDR_IMPORT_ERROR = None

# etcd joins name=url pairs with '=' and ','; keep names to what is safe there and in a file name.
MEMBER_NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$')
DNS_NAME_PATTERN = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$')
CHECKSUM_PATTERN = re.compile(r'^(sha256:[0-9a-fA-F]{64}|sha512:[0-9a-fA-F]{128})$')
ARCHIVE_SCHEMES = ('https', 'http', 'file')
# Where a member's address comes from when etcd_address is not set, in this order.
ADDRESS_SOURCES = (
    ('etcd_address', lambda hostvars: hostvars.get('etcd_address')),
    ('fabric_underlay_address', lambda hostvars: hostvars.get('fabric_underlay_address')),
    ('ansible_facts.linuxnet_fabric.underlay.address',
     lambda hostvars: ((hostvars.get('ansible_facts') or {}).get('linuxnet_fabric') or {}).get('underlay', {}).get('address')),
    ('ansible_facts.default_ipv4.address',
     lambda hostvars: ((hostvars.get('ansible_facts') or {}).get('default_ipv4') or {}).get('address')),
    ('ansible_host', lambda hostvars: hostvars.get('ansible_host')),
)
# Before ansible_host: etcd_member_info's read of the default route's interface, when the caller
# names the variable it registered that result in (the etcd role does: info_var). The filter
# never looks for a role's private variable on its own.
MEMBER_INFO_SOURCE = 'the address of the default route\'s interface'


class EtcdPlanError(AnsibleFilterError):
    """Invalid etcd inventory; the message names the variable and the hosts."""


def _port(value, variable):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit() \
            or not 1 <= int(value) <= 65535:
        raise EtcdPlanError("%s is '%s'; it must be a port number from 1 to 65535" % (variable, value))
    return int(value)


def _address(value, variable, host):
    try:
        address = netaddr.IPAddress(str(value))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise EtcdPlanError("%s of %s is '%s', which is not an IP address" % (variable, host, value))
    if address.is_loopback() or str(address) in ('0.0.0.0', '::'):
        raise EtcdPlanError("%s of %s is '%s'; a member needs an address its peers can reach" % (variable, host, value))
    return address


def url_host(address):
    """An address as the host part of a URL ([...] for IPv6)."""
    return '[%s]' % address if ':' in str(address) else str(address)


def check_url(value, variable, schemes, need_path=False):
    """A URL with one of `schemes`, a host (except file:) and a valid port; returns it."""
    if not isinstance(value, str) or not value.strip():
        raise EtcdPlanError("%s is '%s'; it must be a URL" % (variable, value))
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError as error:
        raise EtcdPlanError("%s is '%s', which is not a valid URL: %s" % (variable, value, error))
    if parts.scheme not in schemes:
        raise EtcdPlanError("%s is '%s'; its scheme must be one of %s" % (variable, value, ', '.join(schemes)))
    if parts.scheme != 'file' and not parts.hostname:
        raise EtcdPlanError("%s is '%s', which has no host" % (variable, value))
    if port is not None and not 1 <= port <= 65535:
        raise EtcdPlanError("%s is '%s'; its port must be from 1 to 65535" % (variable, value))
    if need_path and parts.path in ('', '/'):
        raise EtcdPlanError("%s is '%s', which names no file" % (variable, value))
    return value.strip()


def _member_address(host, hostvars, info_var=None):
    sources = list(ADDRESS_SOURCES)
    if info_var:
        sources.insert(-1, (MEMBER_INFO_SOURCE, lambda variables: (variables.get(info_var) or {}).get('underlay_address')))
    for variable, source in sources:
        value = source(hostvars)
        if value not in (None, ''):
            return variable, str(value).split('/', maxsplit=1)[0]
    raise EtcdPlanError('etcd_address is not set for %s and no fact gives its address; set etcd_address' % host)


def _duplicates(pairs):
    """{value: [hosts]} of the values held by more than one host."""
    seen = {}
    for host, value in pairs:
        seen.setdefault(value, []).append(host)
    return dict((value, hosts) for value, hosts in seen.items() if len(hosts) > 1)


def etcd_cluster(hosts, hostvars, remove=None, cluster_name='fabric', client_port=2379, peer_port=2380,
                 install_method='package', archive_url=None, archive_checksum=None, metrics_urls=None,
                 extra_sans=None, warn=True, info_var=None):
    """The members of the etcd cluster of `hosts` (the etcd group), validated. `info_var`: the
    variable the caller registered etcd_member_info's result in, on each host (None: not read)."""
    if NETADDR_IMPORT_ERROR:
        raise EtcdPlanError('the etcd_cluster filter needs the netaddr Python library on the controller')
    remove = list(remove or [])
    if not isinstance(hosts, (list, tuple)) or not hosts:
        raise EtcdPlanError('etcd_group has no hosts: an etcd cluster needs at least one member')
    if not isinstance(cluster_name, str) or not MEMBER_NAME_PATTERN.match(cluster_name):
        raise EtcdPlanError("etcd_cluster_name is '%s'; use letters, digits, '.', '_' and '-' (at most 63)" % cluster_name)
    client_port = _port(client_port, 'etcd_client_port')
    peer_port = _port(peer_port, 'etcd_peer_port')
    if client_port == peer_port:
        raise EtcdPlanError('etcd_client_port and etcd_peer_port are both %d; they must differ' % client_port)
    if install_method not in ('package', 'archive'):
        raise EtcdPlanError("etcd_install_method is '%s'; it must be package or archive" % install_method)
    if install_method == 'archive':
        check_url(archive_url, 'etcd_archive_url', ARCHIVE_SCHEMES, need_path=True)
        if not isinstance(archive_checksum, str) or not CHECKSUM_PATTERN.match(archive_checksum):
            raise EtcdPlanError("etcd_archive_checksum is '%s'; it must be sha256:<64 hex digits> or sha512:<128 hex digits>"
                                % archive_checksum)
    metrics_urls = [check_url(url, 'etcd_metrics_urls', ('http', 'https')) for url in metrics_urls or []]
    extra_dns_sans, extra_ip_sans = [], []
    for san in extra_sans or []:
        if isinstance(san, str) and (netaddr.valid_ipv4(san) or netaddr.valid_ipv6(san)):
            # Written as the certificate reads back (2001:db8::1, not 2001:DB8:0::1): otherwise the
            # certificate looks stale, is made again and restarts the members on every run.
            extra_ip_sans.append(str(netaddr.IPAddress(san)))
        elif isinstance(san, str) and DNS_NAME_PATTERN.match(san):
            extra_dns_sans.append(san)
        else:
            raise EtcdPlanError("etcd_extra_sans holds '%s', which is neither a DNS name nor an IP address" % san)

    members, removed = [], []
    for host in hosts:
        variables = hostvars[host]
        name = variables.get('etcd_member_name') or host
        if not isinstance(name, str) or not MEMBER_NAME_PATTERN.match(name):
            raise EtcdPlanError("etcd_member_name of %s is '%s'; use letters, digits, '.', '_' and '-' (at most 63)" % (host, name))
        if host in remove or name in remove:
            removed.append({'host': host, 'name': name})
            if host in remove and host != name:
                # The host's inventory name may also be the name of a member it was before (a
                # rename on the same address goes: remove the old member, then join anew).
                removed.append({'host': host, 'name': host})
            continue
        variable, text = _member_address(host, variables, info_var)
        address = _address(text, variable, host)
        dns_names = sorted(set(value for value in (name, host, variables.get('ansible_host'))
                               if isinstance(value, str) and DNS_NAME_PATTERN.match(value) and not netaddr.valid_ipv4(value)))
        members.append({
            'host': host,
            'name': name,
            'address': str(address),
            'peer_url': 'https://%s:%d' % (url_host(address), peer_port),
            'client_url': 'https://%s:%d' % (url_host(address), client_port),
            # The member's own address and loopback: never 0.0.0.0.
            'listen_client_urls': ['https://%s:%d' % (url_host(address), client_port), 'https://127.0.0.1:%d' % client_port],
            'listen_peer_urls': ['https://%s:%d' % (url_host(address), peer_port)],
            'dns_sans': sorted(set(dns_names + ['localhost'] + extra_dns_sans)),
            'ip_sans': sorted(set([str(address), '127.0.0.1'] + extra_ip_sans)),
        })
    for name in remove:
        if name not in [item['host'] for item in removed] + [item['name'] for item in removed]:
            # A member whose host has left the inventory: removed by name.
            if not isinstance(name, str) or not MEMBER_NAME_PATTERN.match(name):
                raise EtcdPlanError("etcd_remove holds '%s', which is not a member name" % (name,))
            removed.append({'host': None, 'name': name})

    if not members:
        raise EtcdPlanError('etcd_group %s: etcd_remove removes every host; an etcd cluster needs at least one member'
                            % ', '.join(hosts))
    for variable, key in (('etcd_member_name', 'name'), ('etcd_address', 'address')):
        for value, owners in sorted(_duplicates((member['host'], member[key]) for member in members).items()):
            raise EtcdPlanError('%s: %s is used by more than one host (%s); each member needs its own' % (
                variable, value, ', '.join(owners)))
    warnings = []
    if len(members) % 2 == 0:
        warnings.append('the etcd cluster has an even number of members (%d: %s): it tolerates no more failures than '
                        'with %d, and a network split can leave no side with a majority; use an odd number'
                        % (len(members), ', '.join(member['host'] for member in members), len(members) - 1))
    if warn:
        for warning in warnings:
            Display().warning(warning)
    return {
        'name': cluster_name,
        'members': members,
        'removed': removed,
        'hosts': [member['host'] for member in members],
        'initial_cluster': ','.join('%s=%s' % (member['name'], member['peer_url']) for member in members),
        'endpoints': ','.join(member['client_url'] for member in members),
        'client_port': client_port,
        'peer_port': peer_port,
        'metrics_urls': metrics_urls,
        'warnings': warnings,
    }


def _member_list(member_list):
    """The members of `etcdctl member list -w json` output (already parsed), IDs in hex."""
    members = []
    for member in (member_list or {}).get('members', []):
        members.append({
            'id': '%x' % int(member['ID']),
            'name': member.get('name') or '',
            'peer_urls': sorted(member.get('peerURLs') or []),
            'client_urls': sorted(member.get('clientURLs') or []),
        })
    return members


def _initial_entries(name, peer_urls):
    """A member's part of an initial cluster: etcd reads name=url pairs, one pair per peer URL."""
    return ','.join('%s=%s' % (name, url) for url in peer_urls)


def _one_cluster(answers):
    """The member list the hosts' answers agree on (None: no answer); they must be one cluster."""
    by_cluster = {}
    for host, answer in sorted((answers or {}).items()):
        if answer:
            by_cluster.setdefault(str((answer.get('header') or {}).get('cluster_id')), []).append((host, answer))
    if len(by_cluster) > 1:
        raise EtcdPlanError('the etcd data dirs of the hosts belong to different clusters (%s): move the stray data dirs '
                            'away (etcd_data_dir) or restore with playbooks/etcd_restore.yml' % '; '.join(
                                '%s on %s' % (cluster_id, ', '.join(host for host, _answer in items))
                                for cluster_id, items in sorted(by_cluster.items())))
    return list(by_cluster.values())[0][0][1] if by_cluster else None


def plan_membership(cluster, answers, has_data, current_initial=None, reachable=None):
    """What each member of `cluster` does this run. Pure.

    answers: {host: parsed `etcdctl member list -w json`, or None when it did not answer}, from
    the hosts that hold a data dir; has_data: {host: bool}; current_initial: {host: {'cluster',
    'state'}} read from the members' environment files (a member that has bootstrapped keeps
    them, so a scale-out never rewrites, and restarts, it); reachable: the hosts of this run (a
    member whose host is not among them is left alone: never removed for lack of data).
    """
    current_initial = current_initial or {}
    reachable = set(reachable if reachable is not None else [member['host'] for member in cluster['members']])
    member_list = _one_cluster(answers)
    members = [member for member in cluster['members'] if member['host'] in reachable]
    result = {'bootstrap': False, 'join': [], 'remove': [], 'members': [], 'initial': {}, 'unknown': [], 'via': None,
              'unreachable': [member['host'] for member in cluster['members'] if member['host'] not in reachable]}
    if member_list is None:
        with_data = [member['host'] for member in members if has_data.get(member['host'])]
        if with_data:
            raise EtcdPlanError(
                'etcd data exists on %s (etcd_data_dir) but no member of the cluster answers: start the members, or restore '
                'the cluster from a snapshot with playbooks/etcd_restore.yml, or move the data dirs away for a new cluster'
                % ', '.join(with_data))
        if result['unreachable']:
            raise EtcdPlanError('a new cluster needs every member, but %s cannot be reached (etcd_group)'
                                % ', '.join(result['unreachable']))
        result['bootstrap'] = True
        result['members'] = [member['host'] for member in members]
        result['via'] = result['members'][0] if result['members'] else None
        for member in members:
            result['initial'][member['host']] = {'cluster': cluster['initial_cluster'], 'state': 'new'}
        return result

    running = _member_list(member_list)
    by_name = dict((member['name'], member) for member in running if member['name'])
    unstarted = dict((url, member) for member in running if not member['name'] for url in member['peer_urls'])
    removed_names = set(item['name'] for item in cluster['removed'])
    planned_names = set(member['name'] for member in cluster['members'])
    known = [_initial_entries(member['name'], member['peer_urls']) for member in running
             if member['name'] and member['name'] not in removed_names]
    by_peer_url = dict((url, running_member) for running_member in running if running_member['name']
                       for url in running_member['peer_urls'])
    for member in members:
        found = by_name.get(member['name'])
        other = by_peer_url.get(member['peer_url'])
        if found is None and other is not None and other['name'] not in removed_names:
            # `member add` would refuse the peer URL: the host is a member under another name.
            raise EtcdPlanError('etcd_member_name of %s is %s, but the cluster has its peer URL %s as member %s: list %s in '
                                'etcd_remove first (or keep the name)' % (member['host'], member['name'], member['peer_url'],
                                                                          other['name'], other['name']))
        if found is not None and has_data.get(member['host']):
            result['members'].append(member['host'])
            continue
        if found is not None:
            # A member whose data dir is gone (a rebuilt host): it is removed and joins afresh.
            result['remove'].append({'name': member['name'], 'id': found['id'], 'host': member['host'], 'rejoin': True})
            known.remove(_initial_entries(member['name'], found['peer_urls']))
        pending = unstarted.get(member['peer_url'])
        result['join'].append({'host': member['host'], 'name': member['name'], 'peer_url': member['peer_url'],
                               'added_id': pending['id'] if pending else None, 'stale': bool(has_data.get(member['host']))})
    for running_member in running:
        if running_member['name'] in removed_names:
            host = [item['host'] for item in cluster['removed'] if item['name'] == running_member['name']][0]
            result['remove'].append({'name': running_member['name'], 'id': running_member['id'], 'host': host,
                                     'rejoin': False})
        elif running_member['name'] and running_member['name'] not in planned_names:
            result['unknown'].append(running_member['name'])
        elif not running_member['name'] and not set(running_member['peer_urls']) & set(
                member['peer_url'] for member in members):
            # Added but never started, and no host of the group will start it (a join that
            # failed half-way for a host that has left): it counts against the quorum.
            result['remove'].append({'name': '', 'id': running_member['id'], 'host': None, 'rejoin': False})
    if not result['members']:
        raise EtcdPlanError('the running etcd cluster (members %s) has none of the hosts of etcd_group as a member; '
                            'refusing to join them to a foreign cluster' % (', '.join(sorted(by_name)) or 'unnamed'))
    # Cluster-wide commands go through a member of this run that answered (one whose etcd is down
    # would fail them all).
    result['via'] = ([host for host in result['members'] if (answers or {}).get(host)] + result['members'])[0]
    # Joins go one at a time, and etcd starts a joiner only when its initial cluster lists every
    # member the cluster has then (by peer URL), started or not. Joiners added by an earlier run
    # are in the cluster already: they join first, and every joiner's initial cluster lists them;
    # each new joiner adds itself.
    result['join'].sort(key=lambda joining: joining['added_id'] is None)
    so_far = list(known) + ['%s=%s' % (joining['name'], joining['peer_url']) for joining in result['join']
                            if joining['added_id'] is not None]
    for joining in result['join']:
        if joining['added_id'] is None:
            so_far.append('%s=%s' % (joining['name'], joining['peer_url']))
        result['initial'][joining['host']] = {'cluster': ','.join(so_far), 'state': 'existing'}
    for host in result['members']:
        current = current_initial.get(host) or {}
        if current.get('cluster') and current.get('state'):
            result['initial'][host] = {'cluster': current['cluster'], 'state': current['state']}
        else:
            result['initial'][host] = {'cluster': ','.join(known), 'state': 'existing'}
    return result


def _parsed_answer(registered):
    if not isinstance(registered, dict) or registered.get('skipped') or registered.get('rc') != 0:
        return None
    try:
        return json.loads(registered.get('stdout') or '')
    except ValueError:
        return None


def etcd_membership(cluster, hostvars, hosts, info_var='__etcd_info', list_var='__etcd_member_list'):
    """plan_membership() from what the role registered on `hosts` (the play's hosts): the
    etcd_member_info result (`info_var`) and the `etcdctl member list -w json` result (`list_var`)."""
    answers, has_data, current_initial = {}, {}, {}
    for host in hosts:
        variables = hostvars[host]
        info = variables.get(info_var) or {}
        has_data[host] = bool(info.get('has_data'))
        current_initial[host] = {'cluster': info.get('initial_cluster'), 'state': info.get('initial_cluster_state')}
        if has_data[host]:
            answers[host] = _parsed_answer(variables.get(list_var))
    return plan_membership(cluster, answers, has_data, current_initial, reachable=hosts)


def health(registered, cluster, hosts=None):
    """The members' health from `etcdctl endpoint health --cluster -w json` (`registered`: the
    command's registered result), for the members of `cluster` (etcd_cluster's plan). Pure.

    Returns {answered, members (how many answered the member list), quorum, has_quorum, healthy
    and unhealthy (each {host (None: not a host of the group), endpoint, error}), hosts_healthy
    (every member on `hosts`, the run's hosts, is healthy and the cluster has its quorum), error}.
    """
    hosts = list(hosts or [])
    host_of = dict((member['client_url'], member['host']) for member in (cluster or {}).get('members', []))
    entries = None
    if isinstance(registered, dict) and not registered.get('skipped'):
        try:
            entries = json.loads(registered.get('stdout') or '')
        except ValueError:
            entries = None
    result = {'answered': isinstance(entries, list) and len(entries) > 0, 'members': 0, 'quorum': None,
              'has_quorum': False, 'healthy': [], 'unhealthy': [], 'hosts_healthy': False, 'error': None}
    if not result['answered']:
        detail = registered.get('stderr') or registered.get('msg') if isinstance(registered, dict) else None
        result['error'] = (str(detail).strip() or None) if detail else 'no answer'
        return result
    for entry in sorted(entries, key=lambda item: str(item.get('endpoint'))):
        endpoint = entry.get('endpoint')
        item = {'host': host_of.get(endpoint), 'endpoint': endpoint, 'error': entry.get('error') or ''}
        result['healthy' if entry.get('health') is True or entry.get('health') == 'true' else 'unhealthy'].append(item)
    result['members'] = len(entries)
    result['quorum'] = len(entries) // 2 + 1
    result['has_quorum'] = len(result['healthy']) >= result['quorum']
    result['hosts_healthy'] = result['has_quorum'] and not [item for item in result['unhealthy'] if item['host'] in hosts]
    return result


def stale_paths(wanted, current, replaced=None, pending=None):
    """The items of `wanted` whose path on the host (`current`, etcd_member_info's `paths`)
    differs: missing, other type, mode, owner or group, or (files) other content.

    Each item: {dest, owner, group, mode} and, for a file, `src` (a controller file) or
    `content`; items without either are directories. Pure but for reading `src` files.
    A `src` that does not exist, or that is in `replaced` (controller files the run makes
    again: in check mode they still hold the old content), makes its item stale. A `src` in
    `pending` ({src: SHA-1}: controller files the run rewrites with a content known already)
    is compared by that SHA-1 instead of the file's.
    """
    replaced = set(replaced or [])
    pending = pending or {}
    stale = []
    for item in wanted:
        now = (current or {}).get(item['dest']) or {}
        is_file = 'src' in item or 'content' in item
        if not now.get('exists') or now.get('type') != ('file' if is_file else 'directory') \
                or now.get('mode') != item['mode'] or now.get('owner') != item['owner'] or now.get('group') != item['group']:
            stale.append(item)
            continue
        if is_file:
            if 'content' in item:
                digest = hashlib.sha1(item['content'].encode('utf-8')).hexdigest()
            elif item['src'] in pending:
                digest = pending[item['src']]
            elif item['src'] in replaced or not os.path.isfile(item['src']):
                stale.append(item)
                continue
            else:
                with open(item['src'], 'rb') as handle:
                    digest = hashlib.sha1(handle.read()).hexdigest()
            if digest != now.get('sha1'):
                stale.append(item)
    return stale


class FilterModule(object):
    """linuxnet.fabric etcd filters."""

    def filters(self):
        return {'etcd_cluster': etcd_cluster, 'etcd_membership': etcd_membership, 'etcd_stale_paths': stale_paths,
                'etcd_health': health}

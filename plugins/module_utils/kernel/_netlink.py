# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's netlink access: sessions that read through _rtnl_dump and change through pyroute2.

- Reads (links, addresses, routes, rules, neighbours, FDB entries) are decoded by _rtnl_dump, the
  one decoder, into plain dicts: planners never see pyroute2 types, and what they see does not
  depend on the pyroute2 version.
- pyroute2 is the collection's only import of it, here, and only builds the requests that change
  the kernel; this file is the one place where its versions (Debian 12's 0.7.2, PyPI's 0.9.x)
  matter. The import is guarded: modules call require_pyroute2(), which fails with
  missing_required_lib, and a session imports it only when it first changes something.
- A Session's sockets are opened by entering the namespace with setns(2) on an O_RDONLY file
  descriptor (see _netns.entered), so a wrong name fails and is never created, which is what
  pyroute2's NetNS(name, flags=0) guarantees, without the helper process NetNS forks on 0.7.
- Netlink errors become FabricError messages naming the object and what was being done.
- The requests of the hot path (a veth with its peer, link settings, addresses, route replaces)
  are encoded by _rtnl_request and queued. A batched session (the executor's) sends its queue in one send and collects the
  acks together, when it reads, when another session is about to send or read (so requests keep
  the order the caller made them in across namespaces), when the queue is full, and when the
  caller settles (settle_pending: before anything that is not netlink, and at the end of a run).
  Each request has its own sequence number; an error ack names the request's object. The kernel
  carries on with the requests after a failed one in the same send, so a failure can leave up to
  QUEUE_LIMIT - 1 later requests of that namespace applied; the run still fails, naming the first.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import os
import traceback


from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _rtnl_request
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._rtnl_dump import NLMSG_ERROR, NLMSGHDR, RECEIVE_BUFFER, S32, Reader


class NetlinkError(Exception):
    """Stands in until pyroute2 is loaded (load_pyroute2 rebinds the name to pyroute2's class):
    `except NetlinkError` clauses evaluate the name when an exception passes, and pyroute2 raises
    none before it is loaded."""

    code = None


IPRoute = None
PYROUTE2_IMPORT_ERROR = None


def load_pyroute2():
    """Import pyroute2 (about 0.1 s) on first use; True when it is there.

    Lazy, so that a run that only reads (reads go through _rtnl_dump) does not pay for it.
    """
    global IPRoute, NetlinkError, PYROUTE2_IMPORT_ERROR  # pylint: disable=global-statement
    if IPRoute is None and PYROUTE2_IMPORT_ERROR is None:
        try:
            from pyroute2 import IPRoute as _IPRoute
            from pyroute2.netlink.exceptions import NetlinkError as _NetlinkError
        except ImportError:
            PYROUTE2_IMPORT_ERROR = traceback.format_exc()
        else:
            IPRoute, NetlinkError = _IPRoute, _NetlinkError
    return IPRoute is not None


def pyroute2_found():
    """Whether pyroute2 can be imported, without importing it."""
    return importlib.util.find_spec('pyroute2') is not None


AF_UNSPEC = 0
AF_INET = 2
AF_INET6 = 10
# Neighbour and FDB entry states and flags (linux/neighbour.h).
NUD_NOARP = 0x40
NUD_PERMANENT = 0x80
NTF_SELF = 0x02

_HINTS = {
    errno.EEXIST: 'it already exists',
    errno.ENODEV: 'no such device',
    errno.ENOENT: 'no such object',
    errno.ESRCH: 'no such object',
    errno.EPERM: 'operation not permitted (modules of this collection must run as root)',
    errno.EACCES: 'permission denied (modules of this collection must run as root)',
    errno.EBUSY: 'the device or resource is busy',
    errno.EINVAL: 'the kernel rejected the request as invalid',
    errno.EOPNOTSUPP: 'not supported by this kernel',
    errno.ENETUNREACH: 'network unreachable: the gateway is not on a connected network (see onlink)',
    errno.EADDRNOTAVAIL: 'the address is not available',
    errno.ERANGE: 'a value is out of the range the kernel accepts',
    errno.ENOTEMPTY: 'the object is not empty',
    errno.EAFNOSUPPORT: 'address family not supported (is IPv6 disabled?)',
}


def _missing_pyroute2():
    """Ansible's standard message; imported here, as the boot-time restore (_restore) runs this
    code without Ansible."""
    try:
        from ansible.module_utils.basic import missing_required_lib
    except ImportError:
        return 'pyroute2 is required on this node (Debian and Ubuntu package python3-pyroute2)'
    return missing_required_lib('pyroute2')


def require_pyroute2(module, load=True):
    """Fail the module with the standard message when pyroute2 cannot be imported.

    With load=False only whether it is installed is checked; it is imported when a session first
    changes something.
    """
    if not (load_pyroute2() if load else pyroute2_found()):
        module.fail_json(msg=_missing_pyroute2(), exception=PYROUTE2_IMPORT_ERROR)


def explain(error, doing):
    """A FabricError for a NetlinkError or OSError raised while `doing` (e.g. "creating veth 'a'")."""
    code = getattr(error, 'code', None)
    if code is None:
        code = getattr(error, 'errno', None)
    hint = _HINTS.get(code) or (os.strerror(code) if code else str(error))
    suffix = ' [%s]' % errno.errorcode.get(code, code) if code else ''
    return FabricError('%s failed: %s%s' % (doing, hint, suffix))


@contextlib.contextmanager
def reporting(doing):
    """Turn netlink, OS and namespace errors raised in the body into FabricError."""
    try:
        yield
    except (NetlinkError, OSError) as error:
        raise explain(error, doing)
    except _netns.NamespaceError as error:
        raise FabricError('%s failed: %s' % (doing, error))


# Requests a session queues before it sends them: enough to make the sends few, few enough that
# the acks (one socket buffer entry each) fit the socket's receive buffer and that the peer
# namespaces' descriptors held for queued veths stay well under the open file limit.
QUEUE_LIMIT = 64
# The sessions with queued requests, in the order they queued them (at most one at a time: a
# session settles the others before it queues).
_QUEUED = []


def settle_pending():
    """Send every session's queued requests and collect their acks (FabricError for the first
    that failed). Callers settle before doing anything that depends on the changes other than a
    netlink read (namespace files, sysctls) and at the end of their changes."""
    while _QUEUED:
        _QUEUED[0].settle()


class _NetlinkAckError(OSError):
    """An error ack of a queued request (code = errno), for explain()."""


def public_link(link):
    """The subset of a link dict that modules return to users."""
    return {
        'name': link['name'],
        'index': link['index'],
        'kind': link['kind'] or ('loopback' if link['name'] == 'lo' else None),
        'state': 'up' if link['up'] else 'down',
        'mtu': link['mtu'],
        'mac': link['mac'],
    }


class Session(object):
    """The rtnetlink sockets of one network namespace (None: the caller's own namespace): one
    that reads (_rtnl_dump.Reader), and pyroute2's, opened when the session first changes something."""

    def __init__(self, netns=None, batched=False):
        self.netns = netns
        # Batched: requests wait in the queue until something settles it (the executor's
        # sessions, which the lab's network steps use too); otherwise each is sent and
        # acknowledged at once, for callers that do other things between their requests (the
        # netns module, the lab's read-only observation).
        self.batched = batched
        # name -> ifindex, from every dump and lookup: planned actions name links, and looking
        # each one up again would double the requests of a batch.
        self._indexes = {}
        # The last link dump, until this session changes a link: readers of one run (bridge,
        # endpoints, routes) each want the node's links, and a dump of hundreds is not cheap.
        self._links = None
        # The reading socket is opened now, so that a wrong namespace fails where the session is
        # made; pyroute2's when the session first changes something.
        with reporting('opening a netlink socket in %s' % self._where_opened()):
            self._reader = Reader(netns)
        self._ipr = None
        # Queued requests: their bytes, and (sequence number, what it does, descriptor to close
        # once it is acknowledged) of each.
        self._outgoing = []
        self._waiting = []

    def _where_opened(self):
        return _netns.describe(self.netns) if self.netns else 'the current network namespace'

    def _open_ipr(self):
        if not load_pyroute2():
            raise FabricError(_missing_pyroute2() + '\n' + (PYROUTE2_IMPORT_ERROR or ''))
        with reporting('opening a netlink socket in %s' % self._where_opened()):
            if self.netns:
                with _netns.entered(self.netns):
                    return IPRoute()
            return IPRoute()

    @property
    def ipr(self):
        """The pyroute2 IPRoute socket of the namespace, for changes (opened on first use)."""
        if self._ipr is None:
            self._ipr = self._open_ipr()
        return self._ipr

    def close(self, discard=False):
        """Close the sockets; queued requests are sent first, unless `discard` (the run is
        failing already, and a second error would hide the first)."""
        try:
            if not discard:
                self.settle()
        finally:
            self._forget_queue()
            if self._ipr is not None:
                self._ipr.close()
            self._reader.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close(discard=exc_info[0] is not None)

    # queued requests (see the module's description)

    def queue(self, doing, request, descriptor=None):
        """Queue one request ((type, flags, body) of _rtnl_request); `doing` names it in an error.
        `descriptor` (a peer namespace's) is closed once the request is acknowledged."""
        if _QUEUED and _QUEUED[0] is not self:
            try:
                settle_pending()
            except BaseException:
                if descriptor is not None:
                    os.close(descriptor)
                raise
        kind, flags, body = request
        self._reader.sequence += 1
        self._outgoing.append(NLMSGHDR.pack(NLMSGHDR.size + len(body), kind, flags, self._reader.sequence, 0) + body)
        self._waiting.append((self._reader.sequence, doing + self.where(), descriptor))
        if self not in _QUEUED:
            _QUEUED.append(self)
        if not self.batched or len(self._waiting) >= QUEUE_LIMIT:
            self.settle()

    def _forget_queue(self):
        for _sequence, _doing, descriptor in self._waiting:
            if descriptor is not None:
                os.close(descriptor)
        self._outgoing, self._waiting = [], []
        if self in _QUEUED:
            _QUEUED.remove(self)

    def settle(self):
        """Send this session's queued requests in one send and collect every ack."""
        if not self._waiting:
            if self in _QUEUED:
                _QUEUED.remove(self)
            return
        waiting = dict((sequence, doing) for sequence, doing, _descriptor in self._waiting)
        data = b''.join(self._outgoing)
        failures = []
        try:
            with reporting('sending %d requests (the first: %s)' % (len(waiting), self._waiting[0][1])):
                self._reader.sock.send(data)
                while waiting:
                    failures += self._acks(self._reader.sock.recv(RECEIVE_BUFFER), waiting)
        finally:
            self._forget_queue()
        if failures:
            first = min(failures)
            raise explain(_NetlinkAckError(first[1], os.strerror(first[1])), first[2])

    @staticmethod
    def _acks(data, waiting):
        """[(sequence, errno, doing)] of the error acks in data; acknowledged requests leave `waiting`."""
        failures = []
        offset = 0
        while offset + NLMSGHDR.size <= len(data):
            length, kind, _flags, sequence, _pid = NLMSGHDR.unpack_from(data, offset)
            if length < NLMSGHDR.size:
                break
            if kind == NLMSG_ERROR and sequence in waiting:
                code = -S32.unpack_from(data, offset + NLMSGHDR.size)[0]
                doing = waiting.pop(sequence)
                if code:
                    failures.append((sequence, code, doing))
            offset += (length + 3) & ~3
        return failures

    def _reads(self):
        """Before a read or a pyroute2 request: the queued requests go first, in every session."""
        if _QUEUED:
            settle_pending()

    def where(self):
        """Suffix for messages: which namespace this session works in."""
        return ' in %s' % _netns.describe(self.netns) if self.netns else ''

    def _change(self, doing, request, verb, **arguments):
        """Every change goes through here: pyroute2's IPRoute.<request>(verb, **arguments), its
        errors named by `doing` (e.g. "deleting link 'a'")."""
        self._reads()
        with reporting(doing + self.where()):
            getattr(self.ipr, request)(verb, **arguments)

    # links

    def links(self, fresh=False):
        """All links of the namespace as dicts, keyed by name (do not modify them).

        The dump is reused until this session changes a link; `fresh` dumps again, for callers
        that wait for changes made elsewhere.
        """
        if self._links is not None and not fresh:
            return self._links
        self._reads()
        with reporting('listing links%s' % self.where()):
            links = self._reader.links()
        self._indexes = dict((name, link['index']) for name, link in links.items())
        self._links = links
        return links

    def link(self, name):
        """The link called `name`, or None."""
        self._reads()
        with reporting("looking up link '%s'%s" % (name, self.where())):
            try:
                # One RTM_GETLINK by name: no dump, so lookups stay cheap with thousands of links.
                link = self._reader.link(name)
            except OSError as error:
                if error.errno == errno.ENODEV:
                    self._indexes.pop(name, None)
                    return None
                raise
        self._indexes[name] = link['index']
        return link

    def index(self, name):
        """The ifindex of link `name` (remembered from earlier reads), or None if there is no such link."""
        if name not in self._indexes:
            self.link(name)
        return self._indexes.get(name)

    def link_by_index(self, index):
        """The link with this index in the namespace, or None."""
        self._reads()
        with reporting('looking up link #%s%s' % (index, self.where())):
            try:
                return self._reader.link_by_index(index)
            except OSError as error:
                if error.errno == errno.ENODEV:
                    return None
                raise

    def address_tuples(self, link):
        """[(address, prefixlen)] of a link dict (none for a missing link)."""
        if link is None:
            return []
        return [(item['address'], item['prefixlen']) for item in self.addresses(link['index'])]

    def set_link(self, name, index, **attributes):
        """Change attributes (state='up', mtu=..., master=...) of an existing link.

        With index None the kernel finds the link by name, which saves a lookup request.
        """
        self._links = None
        description = ', '.join('%s=%s' % item for item in sorted(attributes.items()))
        doing = "setting %s on link '%s'" % (description, name)
        if set(attributes) <= _rtnl_request.SET_LINK_KEYS:
            self.queue(doing, _rtnl_request.set_link(index=index, name=name, **attributes))
            return
        which = {'ifname': name} if index is None else {'index': index}
        self._change(doing, 'link', 'set', **dict(which, **attributes))

    def create_link(self, doing, **attributes):
        """ip link add; `doing` names the object for error messages."""
        self._links = None
        self._indexes.pop(attributes.get('ifname'), None)
        self._change(doing, 'link', 'add', **attributes)

    def create_veth(self, name, peer, peer_netns_fd=None, **settings):
        """ip link add <name> type veth peer name <peer>: one queued request (_rtnl_request.new_veth
        for the settings). The session owns `peer_netns_fd` from here on and closes it."""
        self._links = None
        self._indexes.pop(name, None)
        self.queue("creating veth '%s' with peer '%s'" % (name, peer), _rtnl_request.new_veth(name, peer, peer_netns_fd, **settings),
                   descriptor=peer_netns_fd)

    def delete_link(self, name, index):
        self._links = None
        self._indexes.pop(name, None)
        self._change("deleting link '%s'" % name, 'link', 'del', index=index)

    # addresses

    def addresses(self, index=None):
        """Addresses as dicts {index, family, address, prefixlen}, optionally of one link."""
        self._reads()
        with reporting('listing addresses%s' % self.where()):
            return self._reader.addresses(index)

    def add_address(self, name, index, address, prefixlen):
        self.queue("adding address %s/%s to link '%s'" % (address, prefixlen, name), _rtnl_request.address('add', index, address, prefixlen))

    def delete_address(self, name, index, address, prefixlen):
        self.queue("removing address %s/%s from link '%s'" % (address, prefixlen, name),
                   _rtnl_request.address('del', index, address, prefixlen))

    # routes

    def routes(self, family=None, table=None):
        """Routes as dicts {dst, prefixlen, gateway, oif, table, scope, priority, proto, family, type, flags}."""
        self._reads()
        with reporting('listing routes%s' % self.where()):
            return self._reader.routes(family or AF_UNSPEC, table)

    # bridges

    def set_bridge(self, name, index, **attributes):
        """Bridge options (br_stp_state=..., br_vlan_filtering=...) of an existing bridge."""
        self._links = None
        description = ', '.join('%s=%s' % item for item in sorted(attributes.items()))
        self._change("setting %s on bridge '%s'" % (description, name), 'link', 'set', index=index, kind='bridge', **attributes)

    def set_port_hairpin(self, name, index, hairpin):
        """Hairpin mode of a bridge port (the kernel's IFLA_BRPORT_MODE)."""
        self._links = None
        self._change("setting hairpin=%s on bridge port '%s'" % (hairpin, name), 'brport', 'set', index=index, mode=1 if hairpin else 0)

    # neighbours and FDB entries (vxlan)

    def neighbours(self, index):
        """Neighbour (ARP/NDP) entries of one link as dicts {family, dst, mac, state, flags}."""
        self._reads()
        with reporting('listing neighbours of link #%s%s' % (index, self.where())):
            return self._reader.neighbours(index)

    def replace_neighbour(self, name, index, dst, mac):
        """A permanent neighbour entry dst -> mac on the link (ip neigh replace ... nud permanent)."""
        self._change("setting neighbour %s -> %s on link '%s'" % (dst, mac, name), 'neigh', 'replace', ifindex=index, dst=dst, lladdr=mac,
                     state=NUD_PERMANENT)

    def delete_neighbour(self, name, index, dst):
        self._change("deleting neighbour %s on link '%s'" % (dst, name), 'neigh', 'del', ifindex=index, dst=dst)

    def fdb_entries(self, index):
        """Forwarding database entries of one link as dicts {mac, dst, state, flags}."""
        self._reads()
        with reporting('listing FDB entries of link #%s%s' % (index, self.where())):
            return self._reader.fdb_entries(index)

    def replace_fdb(self, name, index, mac, dst):
        """A permanent FDB entry of the device itself: mac -> remote dst (bridge fdb replace ... self permanent).

        pyroute2 fills in state and flags only for add/append/del; without NTF_SELF a replace
        fails with EOPNOTSUPP, so both are given here.
        """
        self._change("setting FDB entry %s -> %s on link '%s'" % (mac, dst, name), 'fdb', 'replace', ifindex=index, lladdr=mac, dst=dst,
                     state=NUD_PERMANENT | NUD_NOARP, flags=NTF_SELF)

    def delete_fdb(self, name, index, mac, dst):
        self._change("deleting FDB entry %s -> %s on link '%s'" % (mac, dst, name), 'fdb', 'del', ifindex=index, lladdr=mac, dst=dst)

    # policy routing rules (routing_rule)

    def rules(self, family=AF_INET):
        """Routing policy rules as dicts (see _rtnl_dump.rule_from_data)."""
        self._reads()
        with reporting('listing routing rules%s' % self.where()):
            return self._reader.rules(family)

    def add_rule(self, doing, **attributes):
        self._change(doing, 'rule', 'add', **attributes)

    def delete_rule(self, doing, **attributes):
        self._change(doing, 'rule', 'del', **attributes)

    # routes (see also _rtnl_dump.route_from_data)

    def replace_route(self, doing, **attributes):
        # The encoder needs the family given (the executor always gives it); a caller that leaves
        # it out goes through pyroute2, which works it out from the addresses.
        if 'family' in attributes and set(attributes) <= _rtnl_request.ROUTE_KEYS and isinstance(attributes.get('proto', 0), int):
            self.queue(doing, _rtnl_request.replace_route(**attributes))
            return
        self._change(doing, 'route', 'replace', **attributes)

    def delete_route(self, doing, **attributes):
        self._change(doing, 'route', 'del', **attributes)

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
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import os
import traceback


from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netns
from ansible_collections.linuxnet.fabric.plugins.module_utils._errors import FabricError
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._rtnl_dump import Reader


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

    def __init__(self, netns=None):
        self.netns = netns
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

    def close(self):
        if self._ipr is not None:
            self._ipr.close()
        self._reader.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def where(self):
        """Suffix for messages: which namespace this session works in."""
        return ' in %s' % _netns.describe(self.netns) if self.netns else ''

    def _change(self, doing, request, verb, **arguments):
        """Every change goes through here: pyroute2's IPRoute.<request>(verb, **arguments), its
        errors named by `doing` (e.g. "deleting link 'a'")."""
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
        with reporting('listing links%s' % self.where()):
            links = self._reader.links()
        self._indexes = dict((name, link['index']) for name, link in links.items())
        self._links = links
        return links

    def link(self, name):
        """The link called `name`, or None."""
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
        which = {'ifname': name} if index is None else {'index': index}
        self._change("setting %s on link '%s'" % (description, name), 'link', 'set', **dict(which, **attributes))

    def create_link(self, doing, **attributes):
        """ip link add; `doing` names the object for error messages."""
        self._links = None
        self._indexes.pop(attributes.get('ifname'), None)
        self._change(doing, 'link', 'add', **attributes)

    def delete_link(self, name, index):
        self._links = None
        self._indexes.pop(name, None)
        self._change("deleting link '%s'" % name, 'link', 'del', index=index)

    # addresses

    def addresses(self, index=None):
        """Addresses as dicts {index, family, address, prefixlen}, optionally of one link."""
        with reporting('listing addresses%s' % self.where()):
            return self._reader.addresses(index)

    def add_address(self, name, index, address, prefixlen):
        self._change("adding address %s/%s to link '%s'" % (address, prefixlen, name), 'addr', 'add', index=index, address=address,
                     prefixlen=prefixlen)

    def delete_address(self, name, index, address, prefixlen):
        self._change("removing address %s/%s from link '%s'" % (address, prefixlen, name), 'addr', 'del', index=index, address=address,
                     prefixlen=prefixlen)

    # routes

    def routes(self, family=None, table=None):
        """Routes as dicts {dst, prefixlen, gateway, oif, table, scope, priority, proto, family, type, flags}."""
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
        with reporting('listing routing rules%s' % self.where()):
            return self._reader.rules(family)

    def add_rule(self, doing, **attributes):
        self._change(doing, 'rule', 'add', **attributes)

    def delete_rule(self, doing, **attributes):
        self._change(doing, 'rule', 'del', **attributes)

    # routes (see also _rtnl_dump.route_from_data)

    def replace_route(self, doing, **attributes):
        self._change(doing, 'route', 'replace', **attributes)

    def delete_route(self, doing, **attributes):
        self._change(doing, 'route', 'del', **attributes)

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning shared by every module that manages links: settings and addresses. Pure code.

Actions carry the namespace they act in (`netns`), so one executor can serve links in several
namespaces (a veth's two ends, a batch of endpoints).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.linuxnet.fabric.plugins.module_utils.planners._plan import differences

# The kernel adds these by itself; a desired address list never removes them.
IPV6_LINK_LOCAL = ipaddress.ip_network('fe80::/10')


def address_text(address):
    """'10.0.0.1/24' for an (address, prefixlen[, version]) tuple."""
    return '%s/%s' % (address[0], address[1])


def managed_addresses(addresses):
    """Current addresses as sorted 'addr/len' strings, without the kernel's IPv6 link-local ones."""
    return sorted(
        address_text(address) for address in addresses
        if not ipaddress.ip_address(address[0]) in IPV6_LINK_LOCAL
    )


def link_view(link, addresses=None):
    """The before/after view of a link: what `ip -d addr show` would tell a user."""
    if link is None:
        return {'exists': False}
    view = {
        'exists': True,
        'kind': link.get('kind'),
        'state': 'up' if link.get('up') else 'down',
        'mtu': link.get('mtu'),
        'mac': link.get('mac'),
    }
    if addresses is not None:
        view['addresses'] = managed_addresses(addresses)
    return view


def planned_view(current_view, settings, addresses):
    """The view after the plan: current values overridden by every option the user set."""
    view = dict(current_view or {})
    view['exists'] = True
    for key, value in settings.items():
        if value is not None:
            view[key] = value
    if addresses is not None:
        view['addresses'] = sorted(address_text(address) for address in addresses)
    return view


def plan_settings(plan, name, netns, current_view, settings):
    """One `set link` action with every setting (state, mtu, mac, master...) that differs."""
    changes = differences(current_view, settings)
    if changes:
        plan.add('set', 'link', name, netns=netns, **dict((key, wanted) for key, (_current, wanted) in changes.items()))


def plan_addresses(plan, name, netns, current_addresses, desired_addresses):
    """Actions that make the link's addresses exactly `desired_addresses` (None: leave them).

    Removals come first: replacing 10.0.0.1/24 by 10.0.0.1/25 must not collide.
    """
    if desired_addresses is None:
        return
    current = set(managed_addresses(current_addresses))
    desired = [address_text(address) for address in desired_addresses]
    for address in sorted(current - set(desired)):
        plan.add('delete', 'address', address, link=name, netns=netns)
    for address in desired:
        if address not in current:
            plan.add('add', 'address', address, link=name, netns=netns)

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only filter: the configured state of links from `ip -j -d addr show`.

Raw output changes by itself (bridge timers, operstate, carrier, IPv6 DAD flags), so targets
that check "bad input changed nothing" compare this projection instead.
"""

from __future__ import annotations


def configured_links(ip_json):
    """[{name, kind, master, mtu, mac, up, addresses}] sorted by name, without volatile fields."""
    links = []
    for link in ip_json:
        links.append({
            'name': link.get('ifname'),
            'kind': link.get('linkinfo', {}).get('info_kind'),
            'master': link.get('master'),
            'mtu': link.get('mtu'),
            'mac': link.get('address'),
            'up': 'UP' in link.get('flags', []),
            'addresses': sorted('%s/%s' % (address['local'], address['prefixlen'])
                                for address in link.get('addr_info', []) if address.get('scope') != 'link'),
        })
    return sorted(links, key=lambda link: link['name'])


class FilterModule(object):
    """Filters for the integration targets."""

    def filters(self):
        return {'configured_links': configured_links}

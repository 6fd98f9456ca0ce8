#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: read a namespace through a Session (the collection's decoder) and decode the same
objects with pyroute2 (the reference, whichever version the Python running this has); report the
differences."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.linuxnet.fabric.plugins.module_utils import _common
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel import _netlink, _netns
from ansible_collections.linuxnet.fabric.plugins.module_utils.kernel._netlink import AF_INET, AF_INET6, Session, require_pyroute2

# The kind options the decoder keeps (see _rtnl_dump.INFO_DATA and PORT_DATA).
DECODED_OPTIONS = ('IFLA_BR_STP_STATE', 'IFLA_BR_VLAN_FILTERING', 'IFLA_BRPORT_MODE', 'IFLA_VXLAN_ID', 'IFLA_VXLAN_LINK',
                   'IFLA_VXLAN_LOCAL', 'IFLA_VXLAN_LEARNING', 'IFLA_VXLAN_PORT')


def _attributes(nla):
    """{name: value} of a pyroute2 message or nested attribute; the first of a name wins, as with get_attr()."""
    found = {}
    for slot in (nla['attrs'] if nla is not None else []):
        found.setdefault(slot[0], slot[1])
    return found


def link_by_pyroute2(message):
    attributes = _attributes(message)
    info = _attributes(attributes.get('IFLA_LINKINFO'))
    return {
        'info_data': dict((name, value) for name, value in _attributes(info.get('IFLA_INFO_DATA')).items() if name in DECODED_OPTIONS),
        'port_data': dict((name, value) for name, value in _attributes(info.get('IFLA_INFO_SLAVE_DATA')).items()
                          if name in DECODED_OPTIONS),
        'name': attributes.get('IFLA_IFNAME'),
        'index': message['index'],
        'kind': info.get('IFLA_INFO_KIND'),
        'up': bool(message['flags'] & 1),
        'operstate': attributes.get('IFLA_OPERSTATE'),
        'mtu': attributes.get('IFLA_MTU'),
        'mac': attributes.get('IFLA_ADDRESS'),
        'master': attributes.get('IFLA_MASTER'),
        'peer_index': attributes.get('IFLA_LINK'),
        'peer_netnsid': attributes.get('IFLA_LINK_NETNSID'),
        'alias': attributes.get('IFLA_IFALIAS'),
    }


def address_by_pyroute2(message):
    return {'index': message['index'], 'family': message['family'], 'prefixlen': message['prefixlen'],
            'address': message.get_attr('IFA_ADDRESS') if message['family'] == AF_INET6 else
            message.get_attr('IFA_LOCAL') or message.get_attr('IFA_ADDRESS')}


def route_by_pyroute2(message):
    table = message.get_attr('RTA_TABLE')
    return {'family': message['family'], 'dst': message.get_attr('RTA_DST'), 'prefixlen': message['dst_len'],
            'gateway': message.get_attr('RTA_GATEWAY'), 'oif': message.get_attr('RTA_OIF'),
            'prefsrc': message.get_attr('RTA_PREFSRC'), 'priority': message.get_attr('RTA_PRIORITY'),
            'table': table if table is not None else message['table'], 'scope': message['scope'],
            'proto': message['proto'], 'type': message['type'], 'flags': message['flags']}


def rule_by_pyroute2(message):
    table = message.get_attr('FRA_TABLE')
    return {'family': message['family'], 'priority': message.get_attr('FRA_PRIORITY') or 0,
            'table': table if table is not None else message['table'], 'action': message['action'],
            'src': message.get_attr('FRA_SRC'), 'src_len': message['src_len'], 'dst': message.get_attr('FRA_DST'),
            'dst_len': message['dst_len'], 'iif': message.get_attr('FRA_IIFNAME'), 'oif': message.get_attr('FRA_OIFNAME'),
            'fwmark': message.get_attr('FRA_FWMARK')}


def route_filters(family, table):
    return dict((key, value) for key, value in (('family', family), ('table', table)) if value is not None)


def compare(found, what, arguments, expected, got):
    expected, got = sorted(expected, key=repr), sorted(got, key=repr)
    if expected != got:
        found.append({what: {'arguments': list(arguments), 'pyroute2': expected, 'session': got}})
    return len(expected)


def differences(netns):
    found = []
    with Session(netns) as session:
        _netlink.load_pyroute2()
        with _netns.entered(netns):
            reference = _netlink.IPRoute()
        try:
            links = session.links()
            expected_links = dict((link['name'], link) for link in map(link_by_pyroute2, reference.get_links()))
            counts = {'links': len(expected_links)}
            if links != expected_links:
                found.append({'links': {'pyroute2': expected_links, 'session': links}})
            for name, link in expected_links.items():
                # One link by name and by index (RTM_GETLINK without a dump).
                for what, got in (('link by name', session.link(name)), ('link by index', session.link_by_index(link['index']))):
                    if got != link:
                        found.append({what: {'link': name, 'pyroute2': link, 'session': got}})
            missing = (session.link('lf-no-such-link'), session.link_by_index(2 ** 31 - 1))
            if missing != (None, None):
                found.append({'missing links': list(missing)})
            counts['addresses'] = compare(found, 'addresses', (), map(address_by_pyroute2, reference.get_addr()), session.addresses())
            for family, table in ((None, None), (AF_INET, None), (AF_INET, 254), (AF_INET, 76), (AF_INET6, None)):
                count = compare(found, 'routes', (family, table), map(route_by_pyroute2, reference.get_routes(**route_filters(family, table))),
                                session.routes(family, table))
                counts['routes'] = max(counts.get('routes', 0), count)
            for family in (AF_INET, AF_INET6):
                counts['rules'] = counts.get('rules', 0) + compare(
                    found, 'rules', (family,), map(rule_by_pyroute2, reference.get_rules(family=family)), session.rules(family))
            # Per link: its neighbour and FDB entries (the vxlan planner's reads).
            for name, link in expected_links.items():
                neighbours = [{'family': message['family'], 'dst': message.get_attr('NDA_DST'), 'mac': message.get_attr('NDA_LLADDR'),
                               'state': message['state'], 'flags': message['flags']}
                              for message in reference.get_neighbours(ifindex=link['index'])]
                counts['neighbours'] = counts.get('neighbours', 0) + compare(
                    found, 'neighbours', (name,), neighbours, session.neighbours(link['index']))
                fdb = [{'mac': message.get_attr('NDA_LLADDR'), 'dst': message.get_attr('NDA_DST'), 'state': message['state'],
                        'flags': message['flags']} for message in reference.fdb('dump', ifindex=link['index'])]
                counts['fdb'] = counts.get('fdb', 0) + compare(found, 'fdb', (name,), fdb, session.fdb_entries(link['index']))
        finally:
            reference.close()
        opened_pyroute2 = session._ipr is not None  # pylint: disable=protected-access
    return found, counts, opened_pyroute2


def main():
    module = AnsibleModule(argument_spec=dict(netns=dict(type='str', required=True)), supports_check_mode=True)
    require_pyroute2(module)
    with _common.failing_on_errors(module):
        found, counts, opened = differences(module.params['netns'])
    module.exit_json(changed=False, differences=found, counts=counts, reading_opened_pyroute2=opened)


if __name__ == '__main__':
    main()

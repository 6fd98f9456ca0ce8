# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What `docker network inspect` and `docker inspect` tell about a node's containers, in the
fabric's terms (module fabric_facts, playbooks/verify.yml). Pure: Docker's JSON in, a report out.

Each container gets the namespace the fabric can probe it through (/proc/<pid>/ns/net), its
address and MAC on each network, its published ports, and which of Docker's network modes it
runs in: its own namespace on a network (`bridge`, a user network), `none` (only lo), `host` (the
node's namespace), or `container` (the namespace of another container, named in `shares`).
"""

from __future__ import annotations

BRIDGE_NAME = 'com.docker.network.bridge.name'
BRIDGE_MTU = 'com.docker.network.driver.mtu'
BRIDGE_MASQUERADE = 'com.docker.network.bridge.enable_ip_masquerade'


def _network(network):
    options = network.get('Options') or {}
    ipam = ((network.get('IPAM') or {}).get('Config') or [{}])
    first = ipam[0] if ipam else {}
    return {
        'name': network.get('Name'),
        'id': network.get('Id'),
        'driver': network.get('Driver'),
        'bridge': options.get(BRIDGE_NAME),
        'subnet': first.get('Subnet'),
        'gateway': first.get('Gateway'),
        'mtu': int(options[BRIDGE_MTU]) if str(options.get(BRIDGE_MTU, '')).isdigit() else None,
        'ip_masquerade': options.get(BRIDGE_MASQUERADE, 'true') == 'true' if network.get('Driver') == 'bridge' else None,
        'containers': [],
    }


def _published(ports):
    """[{host_ip, host_port, container_port, protocol}] from NetworkSettings.Ports."""
    published = []
    for key, bindings in sorted((ports or {}).items()):
        container_port, _slash, protocol = key.partition('/')
        for binding in bindings or []:
            published.append({'host_ip': binding.get('HostIp') or '0.0.0.0', 'host_port': int(binding['HostPort']),
                              'container_port': int(container_port), 'protocol': protocol or 'tcp'})
    # Docker lists a binding per address family (0.0.0.0 and ::); the fabric is IPv4.
    return [item for item in published if ':' not in item['host_ip']]


def _mode(network_mode, names_by_id):
    """(mode, name of the container whose namespace it shares)."""
    mode = network_mode or 'default'
    if mode.startswith('container:'):
        other = mode.split(':', 1)[1]
        return 'container', names_by_id.get(other, other)
    if mode == 'default':
        return 'bridge', None
    return mode, None


def docker_report(version, networks, containers, netns_inodes=None, node_inode=None, interfaces=None):
    """The node's Docker as the fabric sees it.

    version: /version; networks: /networks (or each /networks/<id>); containers: `docker inspect`
    of every container; netns_inodes: {pid: inode of /proc/<pid>/ns/net}; node_inode: the node's
    own; interfaces: {pid: [link names in the container's namespace]}.
    """
    netns_inodes = netns_inodes or {}
    interfaces = interfaces or {}
    names_by_id = dict((item['Id'], item['Name'].lstrip('/')) for item in containers)
    report_networks = dict((network.get('Name'), _network(network)) for network in networks)
    report_containers = []
    for item in sorted(containers, key=lambda entry: entry['Name']):
        state = item.get('State') or {}
        settings = item.get('NetworkSettings') or {}
        name = item['Name'].lstrip('/')
        pid = state.get('Pid') or None
        running = bool(state.get('Running')) and pid is not None
        mode, shares = _mode((item.get('HostConfig') or {}).get('NetworkMode'), names_by_id)
        inode = netns_inodes.get(pid) if running else None
        if mode == 'host' or (inode is not None and inode == node_inode):
            shares = 'node'
        attached = {}
        for network_name, network in sorted((settings.get('Networks') or {}).items()):
            if not network.get('IPAddress'):
                continue
            attached[network_name] = {
                'address': '%s/%s' % (network['IPAddress'], network.get('IPPrefixLen')),
                'mac': network.get('MacAddress') or None,
                'gateway': network.get('Gateway') or None,
            }
            if network_name in report_networks:
                report_networks[network_name]['containers'].append(
                    {'name': name, 'address': attached[network_name]['address'], 'mac': attached[network_name]['mac']})
        primary = attached.get(mode) or (sorted(attached.values(), key=lambda entry: entry['address'])[0] if attached else {})
        report_containers.append({
            'name': name,
            'id': item['Id'],
            'image': (item.get('Config') or {}).get('Image'),
            'running': running,
            'pid': pid if running else None,
            'network_mode': mode,
            'shares': shares,
            # The namespace the fabric probes it in: its own, while it runs with one.
            'netns': '/proc/%d/ns/net' % pid if running and mode not in ('host', 'container') else None,
            'netns_inode': inode,
            'address': primary.get('address'),
            'mac': primary.get('mac'),
            'gateway': primary.get('gateway'),
            'networks': attached,
            'published': _published(settings.get('Ports')),
            'interfaces': sorted(interfaces.get(pid, [])) if running else [],
        })
    return {
        'running': True,
        'version': version.get('Version'),
        'api_version': version.get('ApiVersion'),
        'networks': [report_networks[name] for name in sorted(report_networks)],
        'containers': report_containers,
    }

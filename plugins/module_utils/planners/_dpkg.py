# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dpkg's status file (/var/lib/dpkg/status): the one parser. Pure.

Read without dpkg-query: fabric_facts and etcd_member_info run on every node each time and must
stay cheap, and a node without dpkg simply has no such file.
"""

from __future__ import annotations


def installed_versions(status_text):
    """{package: version} of the packages the text of dpkg's status file lists as installed.

    A package is installed when the last word of its Status is 'installed' ("want flag status"):
    held packages ("hold ok installed") and packages selected for removal ("deinstall ok
    installed") are installed too; half-installed or config-files ones are not. Lines that start
    with a space continue a field (a Description) and are never fields of their own.
    """
    installed = {}
    for block in status_text.split('\n\n'):
        fields = {}
        for line in block.splitlines():
            if ':' in line and not line.startswith((' ', '\t')):
                key, value = line.split(':', 1)
                fields[key] = value.strip()
        if fields.get('Package') and fields.get('Status', '').split()[-1:] == ['installed']:
            installed[fields['Package']] = fields.get('Version')
    return installed

# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the etcd role. Documentation: etcd_certificate_stale.yml."""

from __future__ import annotations


def etcd_certificate_stale(read, ca_key_id=None, rotate=False, sans=None):
    """Whether a certificate must be made (again), from its community.crypto.x509_certificate_info
    result (`read`, registered with failed_when: false, so a missing file is a failed read)."""
    if not isinstance(read, dict) or 'valid_at' not in read or read.get('failed'):
        return True
    if rotate:
        return True
    if not read['valid_at'].get('renew'):
        return True
    if ca_key_id and read.get('authority_key_identifier') != ca_key_id:
        return True
    if sans is not None and sorted(read.get('subject_alt_name') or []) != sorted(sans):
        return True
    return False


class TestModule(object):
    """linuxnet.fabric etcd tests."""

    def tests(self):
        return {'etcd_certificate_stale': etcd_certificate_stale}

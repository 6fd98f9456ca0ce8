# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

# The module, not its TestModule class: pytest would collect that as a test class.
from ansible_collections.linuxnet.fabric.plugins.test import etcd as etcd_tests
from ansible_collections.linuxnet.fabric.plugins.test.etcd import etcd_certificate_stale

CA_KEY_ID = '4E:2A:91:0C'
SANS = ['DNS:localhost', 'DNS:node1', 'IP:10.88.0.11', 'IP:127.0.0.1']


def read(**changes):
    """A community.crypto.x509_certificate_info result (registered with failed_when: false) of a good certificate."""
    result = {'changed': False, 'failed': False, 'valid_at': {'renew': True}, 'authority_key_identifier': CA_KEY_ID,
              'subject_alt_name': ['IP:127.0.0.1', 'DNS:node1', 'IP:10.88.0.11', 'DNS:localhost'], 'expired': False}
    result.update(changes)
    return result


# failed_when: false keeps `failed` false: a missing certificate is a read without valid_at.
MISSING = {'changed': False, 'failed': False, 'msg': 'Error while reading certificate file from disk: No such file or directory'}


@pytest.mark.parametrize('result, arguments, stale', [
    (read(), {}, False),
    (read(), {'ca_key_id': CA_KEY_ID, 'sans': SANS}, False),
    (MISSING, {}, True),
    (read(failed=True), {}, True),
    (None, {}, True),
    ('a string', {}, True),
    ({'skipped': True, 'changed': False}, {}, True),
    (read(), {'rotate': True}, True),
    (read(valid_at={'renew': False}), {}, True),
    (read(valid_at={}), {}, True),
    (read(), {'ca_key_id': '99:88:77:66'}, True),
    (read(authority_key_identifier=None), {'ca_key_id': CA_KEY_ID}, True),
    # Without a CA key identifier (the CA was not read) the authority is not compared.
    (read(authority_key_identifier='99:88:77:66'), {'ca_key_id': None}, False),
    (read(), {'sans': list(reversed(SANS))}, False),
    (read(), {'sans': SANS + ['DNS:etcd.example']}, True),
    (read(), {'sans': SANS[1:]}, True),
    (read(subject_alt_name=None), {'sans': SANS}, True),
    (read(subject_alt_name=None), {'sans': []}, False),
    (read(subject_alt_name=['DNS:admin']), {'sans': None}, False),
    (read(subject_alt_name=['DNS:admin']), {'sans': []}, True),
], ids=['current', 'current_all_checks', 'missing', 'failed_read', 'no_result', 'not_a_dict', 'skipped', 'rotate',
        'renew_due', 'no_renew_answer', 'other_authority', 'no_authority', 'authority_not_compared', 'sans_in_other_order',
        'sans_added', 'sans_removed', 'no_sans_read', 'no_sans_wanted_none_read', 'sans_none_skips_compare',
        'sans_empty_compared'])
def test_certificate_stale(result, arguments, stale):
    assert etcd_certificate_stale(result, **arguments) is stale


def test_positional_arguments_as_the_role_passes_them():
    # pki.yml: etcd_certificate_stale(__etcd_ca_key_id, etcd_rotate_certs, sans)
    assert etcd_certificate_stale(read(), CA_KEY_ID, False, SANS) is False
    assert etcd_certificate_stale(read(), CA_KEY_ID, True, None) is True


def test_the_test_is_registered():
    assert etcd_tests.TestModule().tests() == {'etcd_certificate_stale': etcd_certificate_stale}

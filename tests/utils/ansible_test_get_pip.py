# -*- coding: utf-8 -*-
# Copyright: linuxnet.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the get-pip.py that ansible-test downloads to bootstrap pip in its venvs.

Machines that can reach the package index but not ansible-test's download host fail in
`ansible-test sanity --venv` with "Download failed". `make sanity` copies this file to the path
ansible-test caches the script at. ansible-test runs it with PIP_CONFIG_FILE=/dev/null, so the
host's pip settings (its CA bundle among them) are not seen: it first installs the Python's
bundled pip with ensurepip, then asks that pip to install what ansible-test wanted (the pinned
pip), trusting the system CA bundle, and also looking in the `wheels` directory next to this
file, which `make sanity` fills when it can: with the wheel there, no network is needed.
"""

from __future__ import annotations

import os
import subprocess
import sys

CA_BUNDLES = ('/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt')
# get-pip.py options that `pip install` does not know.
GET_PIP_ONLY_OPTIONS = ('--no-setuptools', '--no-wheel')


def main():
    requested = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY_OPTIONS]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
    command = [sys.executable, '-m', 'pip', 'install']
    bundle = next((path for path in CA_BUNDLES if os.path.exists(path)), None)
    if bundle:
        command += ['--cert', bundle]
    wheels = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'wheels')
    if os.path.isdir(wheels):
        command += ['--find-links', wheels]
    subprocess.check_call(command + requested)


if __name__ == '__main__':
    main()

#!/usr/bin/env bash
# Install the built collection tarball into an empty collections path, with its dependencies
# resolved the way a user's `ansible-galaxy collection install` does, then run a playbook that
# uses linuxnet.fabric.netns from that install (in a throwaway namespace, removed at the end).
set -euo pipefail
tarball=${1:?usage: check_install.sh <collection tarball>}
work=$(mktemp -d)
netns=galaxy-check-$$
cleanup() {
    ip netns del "$netns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Only the temporary path is configured, so nothing already installed elsewhere can stand in.
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
ansible-galaxy collection install -p "$work/collections" "$tarball"
test -f "$work/collections/ansible_collections/linuxnet/fabric/MANIFEST.json"

cat >"$work/playbook.yml" <<PLAYBOOK
- name: Use the installed collection
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: /usr/bin/python3
  tasks:
    - name: Create a namespace with the installed module
      linuxnet.fabric.netns:
        name: $netns
      register: created
    - name: Remove it again
      linuxnet.fabric.netns:
        name: $netns
        state: absent
      register: removed
    - name: Both steps changed something
      ansible.builtin.assert:
        that: [created is changed, removed is changed, created.netns.exists]
PLAYBOOK
# Run from the temporary directory, so the repository's ansible.cfg is not read either.
(cd "$work" && ansible-playbook -i localhost, playbook.yml)
(cd "$work" && ansible-doc linuxnet.fabric.netns >/dev/null)
echo "galaxy-check: the built collection installs and its modules run"

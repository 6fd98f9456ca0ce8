#!/usr/bin/env bash
# A bad etcd inventory must make the etcd role fail while it plans the cluster, before anything
# is changed, with a message that names the variable (and the hosts). The "members" are local
# connections to this machine, so their Python is a guard that runs only etcd_member_info (which
# reads and never writes) and fails every other module: a validation that let bad input through
# could still change nothing here. Every path of the role points into a temporary directory.
set -euo pipefail

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-$(command -v python3)}

cat >"$work/member-python" <<GUARD
#!/bin/sh
case "\$1" in
    */AnsiballZ_etcd_member_info.py) exec "$python" "\$@" ;;
esac
echo '{"failed": true, "msg": "etcd_validation guard: only etcd_member_info may run on a member, not '"\$1"'"}'
exit 1
GUARD
chmod 0755 "$work/member-python"

cat >"$work/site.yml" <<'PLAYBOOK'
---
- name: The etcd role on the members
  hosts: etcd
  gather_facts: false
  roles:
    - role: linuxnet.fabric.etcd
PLAYBOOK

cat >"$work/plan.yml" <<'PLAYBOOK'
---
- name: Plan the etcd cluster of the members, and nothing else
  hosts: etcd
  gather_facts: false
  tasks:
    - name: Read the members and plan the cluster
      ansible.builtin.include_role:
        name: linuxnet.fabric.etcd
        tasks_from: plan

    - name: Show the warnings of the plan
      ansible.builtin.debug:
        msg: "{{ __etcd_cluster.warnings }}"
      run_once: true
PLAYBOOK

# A small release archive to download with file://, and a checksum that is not its own.
mkdir -p "$work/release/etcd-v3.5.17-linux-amd64"
printf '#!/bin/sh\necho "etcd Version: 3.5.17"\n' >"$work/release/etcd-v3.5.17-linux-amd64/etcd"
tar -czf "$work/etcd-v3.5.17-linux-amd64.tar.gz" -C "$work/release" etcd-v3.5.17-linux-amd64
archive_url="file://$work/etcd-v3.5.17-linux-amd64.tar.gz"
wrong_checksum="sha256:$(printf '0%.0s' $(seq 64))"
good_checksum="sha256:$(sha256sum "$work/etcd-v3.5.17-linux-amd64.tar.gz" | cut -d' ' -f1)"
if [ "$wrong_checksum" = "$good_checksum" ]; then
    echo "FAIL the wrong checksum is the archive's"; exit 1
fi

# inventory <name> <extra YAML for member1> <extra YAML for member2> <extra YAML for all> [number of members]
inventory() {
    local file="$work/$1.yml" number
    cat >"$file" <<INVENTORY
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: $work/member-python
    etcd_pki_dir: $work/pki
    etcd_archive_cache_dir: $work/cache
    etcd_data_dir: $work/member/data
    etcd_env_file: $work/member/etcd.env
    etcd_config_dir: $work/member/etc
    etcd_archive_install_dir: $work/member/opt
    etcd_archive_bin_dir: $work/member/bin
    etcd_systemd_unit: $work/member/etcd.service
    etcd_backup_dir: $work/member/backups
    etcd_service: lf-etcd-validation-no-such-service
$4
  children:
    etcd_spare:
      hosts: {}
    etcd:
      hosts:
        member1:
          etcd_address: 10.77.0.11
$2
        member2:
          etcd_address: 10.77.0.12
$3
INVENTORY
    for number in $(seq 3 "${5:-3}"); do
        printf '        member%d:\n          etcd_address: 10.77.0.%d\n' "$number" $((10 + number)) >>"$file"
    done
}

# The output as one line (Ansible wraps long messages).
flat() {
    tr -s ' \n' '  ' <"$1"
}

# The names of the tasks that ran, one per line.
tasks_run() {
    sed -n 's/^TASK \[\(linuxnet\.fabric\.etcd : \)\{0,1\}\(.*\)\] \**$/\2/p' "$1"
}

# No change anywhere: no PKI on the controller, nothing of a member, no archive kept.
nothing_changed() {
    local name=$1 path
    for path in "$work/pki" "$work/member" "$work/cache/etcd-v3.5.17-linux-amd64.tar.gz"; do
        if [ -e "$path" ]; then
            echo "FAIL $name: $path was created"; cat "$work/$name.out"; exit 1
        fi
    done
}

PLANNING="Plan and check the cluster (fails here, naming the variable, on bad input)"
READ="Read the member's data dir, settings, files, service and installed version"
# An assert on what READ returned (it changes nothing).
RUNNING_MEMBER_CHECK="Refuse to move the data dir or the address of a running member"

# expect_failure <name> <task that must fail> <text the message must contain>...
expect_failure() {
    local name=$1 failing=$2 task
    shift 2
    if ansible-playbook -i "$work/$name.yml" "$work/site.yml" >"$work/$name.out" 2>&1; then
        echo "FAIL $name: the role succeeded"; cat "$work/$name.out"; exit 1
    fi
    for text in "$@"; do
        if ! flat "$work/$name.out" | grep -qF -- "$text"; then
            echo "FAIL $name: the output does not mention '$text'"; cat "$work/$name.out"; exit 1
        fi
    done
    if [ "$(tasks_run "$work/$name.out" | tail -n 1)" != "$failing" ]; then
        echo "FAIL $name: the last task is not '$failing'"; cat "$work/$name.out"; exit 1
    fi
    # Only the argument check, the read of the members, the plan and (archive) the controller's
    # download ran: no task that changes a member or makes certificates.
    while IFS= read -r task; do
        case "$task" in
            "Validating arguments against arg spec 'main'"* | "$PLANNING" | "$READ" | "$RUNNING_MEMBER_CHECK") ;;
            "Build, join, restart or remove members" | "Download the release archive on the controller and verify its checksum") ;;
            "Create the archive cache directory" | "Download the archive, checking etcd_archive_checksum") ;;
            "Stop on a failed download or a checksum mismatch (nothing changed on the members)") ;;
            *) echo "FAIL $name: the task '$task' ran"; cat "$work/$name.out"; exit 1 ;;
        esac
    done < <(tasks_run "$work/$name.out")
    if grep -q "etcd_validation guard" "$work/$name.out"; then
        echo "FAIL $name: a module other than etcd_member_info ran on a member"; cat "$work/$name.out"; exit 1
    fi
    nothing_changed "$name"
    echo "ok   $name"
}

# The guard itself: any other module fails on a member.
inventory guard "" "" ""
if ansible -i "$work/guard.yml" member1 -m ansible.builtin.file -a "path=$work/member state=directory" >"$work/guard.out" 2>&1 \
        || ! grep -q "etcd_validation guard: only etcd_member_info may run on a member" "$work/guard.out"; then
    echo "FAIL guard: a module other than etcd_member_info ran on a member"; cat "$work/guard.out"; exit 1
fi
nothing_changed guard
echo "ok   guard"

inventory empty_group "" "" "    etcd_group: etcd_spare"
expect_failure empty_group "$PLANNING" "etcd_group has no hosts"

inventory missing_group "" "" "    etcd_group: etcd_no_such_group"
expect_failure missing_group "$PLANNING" "etcd_group has no hosts"

inventory duplicate_member_name "          etcd_member_name: etcd-a" "          etcd_member_name: etcd-a" ""
expect_failure duplicate_member_name "$PLANNING" "etcd_member_name: etcd-a is used by more than one host (member1, member2)"

inventory member_name_of_another_host "          etcd_member_name: member3" "" ""
expect_failure member_name_of_another_host "$PLANNING" "etcd_member_name: member3 is used by more than one host (member1, member3)"

inventory duplicate_address "" "          etcd_address: 10.77.0.11" ""
expect_failure duplicate_address "$PLANNING" "etcd_address: 10.77.0.11 is used by more than one host (member1, member2)"

inventory loopback_address "" "          etcd_address: 127.0.0.1" ""
expect_failure loopback_address "$PLANNING" "etcd_address of member2 is '127.0.0.1'; a member needs an address its peers can reach"

inventory invalid_archive_url "" "" "    etcd_install_method: archive
    etcd_archive_url: ftp://mirror.example/etcd-v3.5.17-linux-amd64.tar.gz
    etcd_archive_checksum: $good_checksum"
expect_failure invalid_archive_url "$PLANNING" \
    "etcd_archive_url is 'ftp://mirror.example/etcd-v3.5.17-linux-amd64.tar.gz'; its scheme must be one of https, http, file"

inventory archive_url_without_file "" "" "    etcd_install_method: archive
    etcd_archive_url: https://mirror.example/
    etcd_archive_checksum: $good_checksum"
expect_failure archive_url_without_file "$PLANNING" "etcd_archive_url is 'https://mirror.example/', which names no file"

inventory missing_checksum "" "" "    etcd_install_method: archive
    etcd_archive_url: $archive_url"
expect_failure missing_checksum "$PLANNING" "etcd_archive_checksum is ''; it must be sha256:<64 hex digits> or sha512:<128 hex digits>"

inventory client_port_out_of_range "" "" "    etcd_client_port: 70000"
expect_failure client_port_out_of_range "$PLANNING" "etcd_client_port is '70000'; it must be a port number from 1 to 65535"

inventory equal_ports "" "" "    etcd_client_port: 2380"
expect_failure equal_ports "$PLANNING" "etcd_client_port and etcd_peer_port are both 2380; they must differ"

inventory bad_extra_san "" "" "    etcd_extra_sans: [etcd.example, 'not a name']"
expect_failure bad_extra_san "$PLANNING" "etcd_extra_sans holds 'not a name', which is neither a DNS name nor an IP address"

# The checksum is only known once the archive is downloaded (on the controller, before the PKI
# and before any member task).
inventory checksum_mismatch "" "" "    etcd_install_method: archive
    etcd_archive_url: $archive_url
    etcd_archive_checksum: $wrong_checksum"
expect_failure checksum_mismatch "Stop on a failed download or a checksum mismatch (nothing changed on the members)" \
    "etcd_archive_checksum: $archive_url could not be verified against $wrong_checksum" "did not match"

# Two members plan (check mode, and the play stops after the plan) with a warning.
inventory two_members "" "" "" 2
if ! ansible-playbook --check -i "$work/two_members.yml" "$work/plan.yml" >"$work/two_members.out" 2>&1; then
    echo "FAIL two_members: planning failed"; cat "$work/two_members.out"; exit 1
fi
if ! grep -q '\[WARNING\]: the etcd cluster has an even number' "$work/two_members.out" \
        || ! flat "$work/two_members.out" | grep -qF "the etcd cluster has an even number of members (2: member1, member2)"; then
    echo "FAIL two_members: no warning about the even number of members"; cat "$work/two_members.out"; exit 1
fi
nothing_changed two_members
echo "ok   two_members"

# Three members plan without a warning: the inventories above fail for what they change only.
inventory three_members "" "" ""
if ! ansible-playbook --check -i "$work/three_members.yml" "$work/plan.yml" >"$work/three_members.out" 2>&1; then
    echo "FAIL three_members: planning failed"; cat "$work/three_members.out"; exit 1
fi
if grep -q "even number" "$work/three_members.out" || ! grep -q '"msg": \[\]' "$work/three_members.out"; then
    echo "FAIL three_members: unexpected warnings"; cat "$work/three_members.out"; exit 1
fi
nothing_changed three_members
echo "ok   three_members"

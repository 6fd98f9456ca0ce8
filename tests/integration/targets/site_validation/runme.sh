#!/usr/bin/env bash
# Bad fabric inventory must make site.yml fail in its first play, before anything is changed,
# with a message that names the hosts and the variable. The "nodes" are local connections and
# the playbook runs in check mode, so even a missed validation would change nothing.
set -euo pipefail

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python=$(command -v python3)

# inventory <name> <extra YAML for node1> <extra YAML for node2> <extra YAML for all>
inventory() {
    cat >"$work/$1.yml" <<INVENTORY
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: $python
    fabric_mode: bridge_nat
    fabric_cluster_cidr: 172.19.0.0/16
    fabric_underlay_interface: lo
    fabric_underlay_prefix: 24
$4
  children:
    fabric_gateway:
      hosts: {}
    fabric_nodes:
      hosts:
        node1:
          fabric_underlay_address: 10.88.0.11
$2
        node2:
          fabric_underlay_address: 10.88.0.12
$3
INVENTORY
}

# expect_failure <name> <text the message must contain>...
expect_failure() {
    local name=$1
    shift
    if ansible-playbook --check -i "$work/$name.yml" linuxnet.fabric.site >"$work/$name.out" 2>&1; then
        echo "FAIL $name: site.yml succeeded"; cat "$work/$name.out"; exit 1
    fi
    for text in "$@"; do
        if ! grep -qF -- "$text" "$work/$name.out"; then
            echo "FAIL $name: the output does not mention '$text'"; cat "$work/$name.out"; exit 1
        fi
    done
    # Nothing after the plan ran: of the node role only the read of the facts (which changes
    # nothing), no fabric role at all.
    if grep "TASK \[linuxnet.fabric.node :" "$work/$name.out" | grep -qv "Read what the plan and the node preparation need" \
            || grep -q "TASK \[linuxnet.fabric.\(bridge_nat\|routed\) :" "$work/$name.out"; then
        echo "FAIL $name: a task after the plan ran"; cat "$work/$name.out"; exit 1
    fi
    # A failure whose message names hosts is on one of them (the one that owns the bad value);
    # one without a host name is about a cluster-wide setting.
    if grep "^fatal: \[" "$work/$name.out" | grep -E '"msg": ".*\bnode[0-9]' | grep -vE '^fatal: \[([a-z0-9]+)\].*"msg": ".*\b\1\b'; then
        echo "FAIL $name: a host failed with a message about another host"; cat "$work/$name.out"; exit 1
    fi
    echo "ok   $name"
}

inventory overlapping_underlay "" "" "    fabric_underlay_prefix: 16
    fabric_cluster_cidr: 10.88.0.0/16"
expect_failure overlapping_underlay "fabric_cluster_cidr 10.88.0.0/16 overlaps the underlay network" "node1"

inventory subnet_outside "          fabric_node_subnet: 10.200.0.0/24" "" ""
expect_failure subnet_outside "fabric_node_subnet of node1 (10.200.0.0/24) is outside fabric_cluster_cidr"

inventory same_subnet "          fabric_node_subnet: 172.19.5.0/24" "          fabric_node_subnet: 172.19.5.0/24" ""
expect_failure same_subnet "node1" "node2" "overlap" "fabric_node_subnet"

inventory overlapping_subnets "          fabric_node_subnet: 172.19.12.0/23" "" ""
expect_failure overlapping_subnets "node1" "node2" "overlap" "fabric_node_subnet"

inventory bad_cidr "" "" "    fabric_cluster_cidr: 172.19.0.0/33"
expect_failure bad_cidr "fabric_cluster_cidr: '172.19.0.0/33' is not a network"

inventory mixed_modes "" "          fabric_mode: routed" ""
expect_failure mixed_modes "fabric_mode differs between hosts" "node1" "node2"

inventory routed_without_gateway "" "" "    fabric_mode: routed"
expect_failure routed_without_gateway "fabric_mode routed needs exactly one host in the group fabric_gateway"

inventory endpoint_outside "          fabric_endpoints: [{name: web1, address: 10.1.2.3}]" "" ""
expect_failure endpoint_outside "node1: fabric_endpoints[0].address" "not a free address of the node subnet"

# Endpoint names and published ports are checked on the controller by the endpoints module's own
# code, and reported on the host that owns them (fatal: [node2]), not on the host the plan ran on.
inventory endpoint_name_space "" "          fabric_endpoints: [{name: web}, {name: 'eth 0'}]" ""
expect_failure endpoint_name_space "fatal: [node2]" "node2: fabric_endpoints[1].name 'eth 0' must be"

inventory endpoint_name_slash "" "          fabric_endpoints: [{name: a/b}]" ""
expect_failure endpoint_name_slash "fatal: [node2]" "node2: fabric_endpoints[0].name 'a/b' must be"

inventory publish_protocol "" "          fabric_endpoints: [{name: web, publish: ['80:80/sctpx']}]" ""
expect_failure publish_protocol "fatal: [node2]" "node2: fabric_endpoints[0].publish[0] '80:80/sctpx' must look like"

inventory publish_port_high "" "          fabric_endpoints: [{name: db}, {name: web, publish: ['99999:80/tcp']}]" ""
expect_failure publish_port_high "fatal: [node2]" "node2: fabric_endpoints[1].publish[0] '99999:80/tcp': host port 99999 is out of range (1..65535)"

inventory publish_port_zero "          fabric_endpoints: [{name: web, publish: ['0:80/tcp']}]" "" ""
expect_failure publish_port_zero "fatal: [node1]" "node1: fabric_endpoints[0].publish[0] '0:80/tcp': host port 0 is out of range (1..65535)"

inventory same_underlay "" "          fabric_underlay_address: 10.88.0.11" ""
expect_failure same_underlay "node1 and node2 have the same underlay address" "fabric_underlay_address"

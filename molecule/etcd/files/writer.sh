#!/usr/bin/env bash
# Writes to the etcd cluster through every member, one put after another, until $dir/stop exists
# (or for at most $max seconds), and reports: puts that succeeded, puts that failed, the longest
# time in seconds between two successful puts, and the first errors.
# Usage: writer.sh <dir> <endpoints, comma separated> <max seconds>
# The client certificate is the administrator's, taken from /etc/etcd/pki whenever the pair there
# matches: the CA rotation replaces it (certificate and key one after the other), and the cluster
# is what this measures, not a client reading a half-copied pair.
set -u
dir=$1 endpoints=$2 max=$3
pki=/etc/etcd/pki
mkdir -p "$dir/client"
ok=0 failed=0 longest=0 errors=0
refresh() {
    cp "$pki/admin.crt" "$dir/client/next.crt" && cp "$pki/admin.key" "$dir/client/next.key" || return
    local cert_key key
    cert_key=$(openssl x509 -in "$dir/client/next.crt" -noout -pubkey 2>/dev/null) || return
    key=$(openssl pkey -in "$dir/client/next.key" -pubout 2>/dev/null) || return
    if [ -n "$cert_key" ] && [ "$cert_key" = "$key" ]; then
        mv "$dir/client/next.crt" "$dir/client/admin.crt"
        mv "$dir/client/next.key" "$dir/client/admin.key"
    fi
}
refresh
start=$(date +%s.%N) last=$start
while [ ! -e "$dir/stop" ]; do
    now=$(date +%s.%N)
    if awk -v n="$now" -v s="$start" -v m="$max" 'BEGIN { exit !(n - s > m) }'; then break; fi
    refresh
    if out=$(ETCDCTL_API=3 etcdctl --endpoints="$endpoints" --cacert="$pki/ca.crt" --cert="$dir/client/admin.crt" \
            --key="$dir/client/admin.key" --dial-timeout=3s --command-timeout=5s put /writer/ca-rotation "$ok" 2>&1); then
        ok=$((ok + 1))
        now=$(date +%s.%N)
        longest=$(awk -v n="$now" -v l="$last" -v g="$longest" 'BEGIN { d = n - l; print (d > g ? d : g) }')
        last=$now
    else
        failed=$((failed + 1))
        if [ "$errors" -lt 5 ]; then
            errors=$((errors + 1))
            echo "$(date +%T) $out" | tr '\n' ' ' >>"$dir/errors"
            echo >>"$dir/errors"
        fi
    fi
done
printf '{"ok": %d, "failed": %d, "longest_gap": %s}\n' "$ok" "$failed" "$longest" >"$dir/result.json"

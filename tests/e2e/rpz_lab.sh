#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The RPZ export in a real resolver: fluxguard flags the lab's flux names
# from the client's own queries, `export --format rpz` writes the zone, and
# a second unbound in the lab's world loads it. Asked through that
# resolver, the flagged names are NXDOMAIN, so is a benign name whose
# address was blocked (an rpz-ip trigger), while other benign names
# resolve. Runs its own lab (LAB_NS_PREFIX, default fgp), so it never
# tears down another one.
set -u

export LAB_NS_PREFIX=${LAB_NS_PREFIX:-fgp}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The second resolver, beside the lab's own in the world namespace.
RPZ_RESOLVER4=198.18.2.55
# Query rounds (one a second) before giving up on verdicts: the lab's flux
# names are flagged within about 15 s.
MAX_ROUNDS=30
CONF=$TOP/tests/lab/fluxguard-lab.conf
work=$(mktemp -d)
events=$work/events.jsonl
fg_pid=
started=
rpz_pid=

cleanup() {
	if [ "$tap_failed" != 0 ]; then
		tail -n 10 "$work/run.log" "$work/unbound.log" 2>/dev/null |
			sed 's/^/# /'
	fi
	[ -n "$fg_pid" ] && kill "$fg_pid" 2>/dev/null
	[ -n "$rpz_pid" ] && kill "$rpz_pid" 2>/dev/null
	wait 2>/dev/null
	# Only what this script loaded: another run may own the pins.
	[ -n "$started" ] && "$FLUXGUARD" unload --all >/dev/null 2>&1
	"$LAB" down >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

flagged() {
	grep '"type":"verdict"' "$events" 2>/dev/null |
		grep -qF "\"domain\":\"$1\""
}
# status SERVER NAME: the rcode the client gets.
rcode() {
	on_client kdig @"$1" +timeout=2 +retry=1 "$2" A 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p' | head -n1
}

# One `fluxguard run` per machine (one lock, one pin directory).
wait_for 30 flock -n /run/fluxguard.lock true ||
	echo "# another fluxguard run holds /run/fluxguard.lock"
rc=0
"$LAB" up >"$work/lab.log" 2>&1 || rc=$?
result "$rc" "lab $LAB_NS_PREFIX comes up"
[ "$rc" = 0 ] || { tail "$work/lab.log"; exit 1; }

(cd "$TOP" && exec nsenter --net="/run/netns/$LAB_NS_GW" "$FLUXGUARD" run \
	-i "$LAB_GW_OUT" -i "$LAB_GW_IN" --config "$CONF" --events "$events" \
	2>"$work/run.log") &
fg_pid=$!
wait_for 10 grep -q "running on" "$work/run.log" && started=1
result $((started ? 0 : 1)) "fluxguard runs in the lab's gateway"

for ((i = 0; i < MAX_ROUNDS; i++)); do
	answers "$LAB_RESOLVER4" A "$LAB_FLUX_V4" >/dev/null
	answers "$LAB_RESOLVER4" A "$LAB_DBL_FLUX_WWW" >/dev/null
	answers "$LAB_RESOLVER4" NS "$LAB_DBL_FLUX" >/dev/null
	answers "$LAB_RESOLVER4" A "$LAB_BENIGN_RR" >/dev/null
	flagged "$LAB_FLUX_V4" && flagged "$LAB_DBL_FLUX_WWW" && break
	sleep 1
done
check "$LAB_FLUX_V4 is flagged after $i s of queries" flagged "$LAB_FLUX_V4"
check "$LAB_DBL_FLUX_WWW is flagged" flagged "$LAB_DBL_FLUX_WWW"

# A benign name's address, blocked by hand: the zone's rpz-ip trigger.
on_gw "$FLUXGUARD" block "$LAB_STATIC_ADDR4" --for 5m >/dev/null
check "export --format rpz" on_gw "$FLUXGUARD" export --format rpz \
	--output "$work/fluxguard.rpz"
check "the zone lists $LAB_FLUX_V4" \
	grep -qx "$LAB_FLUX_V4 CNAME ." "$work/fluxguard.rpz"
check "the zone lists the blocked address as rpz-ip" \
	grep -qx "32.10.102.18.198.rpz-ip CNAME ." "$work/fluxguard.rpz"
check "no benign name is in the zone" \
	eval "! grep -q 'good\\.test' '$work/fluxguard.rpz'"

ip -n "$LAB_NS_WORLD" addr add "$RPZ_RESOLVER4/24" dev "$LAB_WORLD_IF"
cat >"$work/unbound.conf" <<EOF
server:
    directory: "$work"
    chroot: ""
    username: ""
    pidfile: ""
    do-daemonize: no
    use-syslog: no
    logfile: ""
    num-threads: 1
    interface: $RPZ_RESOLVER4
    outgoing-interface: $RPZ_RESOLVER4
    do-ip6: no
    access-control: 198.18.0.0/15 allow
    # respip before the iterator: RPZ needs it.
    module-config: "respip iterator"
    local-zone: "test." nodefault
stub-zone:
    name: "test."
    stub-addr: $LAB_AUTH4
rpz:
    name: "rpz.fluxguard."
    zonefile: "$work/fluxguard.rpz"
    rpz-log: yes
EOF
check "unbound accepts the RPZ configuration" \
	unbound-checkconf "$work/unbound.conf"
ip netns exec "$LAB_NS_WORLD" unbound -c "$work/unbound.conf" \
	>"$work/unbound.log" 2>&1 &
rpz_pid=$!
wait_for 10 eval "[ -n \"\$(rcode $RPZ_RESOLVER4 $LAB_BENIGN_RR)\" ]"
result $? "the second unbound answers at $RPZ_RESOLVER4"

check "through it, $LAB_FLUX_V4 is NXDOMAIN" \
	test "$(rcode "$RPZ_RESOLVER4" "$LAB_FLUX_V4")" = NXDOMAIN
check "through it, $LAB_DBL_FLUX_WWW is NXDOMAIN" \
	test "$(rcode "$RPZ_RESOLVER4" "$LAB_DBL_FLUX_WWW")" = NXDOMAIN
check "through it, $LAB_BENIGN_STATIC (blocked address) is NXDOMAIN" \
	test "$(rcode "$RPZ_RESOLVER4" "$LAB_BENIGN_STATIC")" = NXDOMAIN
check "through it, $LAB_BENIGN_RR resolves" eval \
	"answers $RPZ_RESOLVER4 A $LAB_BENIGN_RR | grep -q '^198\\.18\\.101\\.'"
check "through it, $LAB_BENIGN_LB resolves" eval \
	"answers $RPZ_RESOLVER4 A $LAB_BENIGN_LB | grep -q '^198\\.18\\.103\\.'"
check "the lab's own resolver still answers $LAB_BENIGN_STATIC" \
	test "$(rcode "$LAB_RESOLVER4" "$LAB_BENIGN_STATIC")" = NOERROR

[ "$tap_failed" = 0 ]

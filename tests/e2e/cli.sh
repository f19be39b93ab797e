#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Every fluxguard command as an operator uses it, on a veth pair between
# two namespaces of its own: exit codes and messages for bad input, manual
# blocks of addresses and prefixes (IPv4, IPv6) that really drop traffic,
# dry run, status, list, unload.
# No pipefail: checks pipe into `grep -q`, which may close the pipe
# early, and only grep's verdict counts.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NS_A=fgc-a   # sends
NS_B=fgc-b   # receives; fluxguard attaches to its interface
IF_A=fgc-a0
IF_B=fgc-b0
A4=198.18.50.1
B4=198.18.50.2
A6=fd00:50::1
B6=fd00:50::2
work=$(mktemp -d)
fg_pid=

cleanup() {
	[ -n "$fg_pid" ] && kill "$fg_pid" 2>/dev/null
	wait 2>/dev/null
	"$FLUXGUARD" unload --all >/dev/null 2>&1
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_b() { nsenter --net="/run/netns/$NS_B" "$@"; }
fg() { in_b "$FLUXGUARD" "$@"; }
ping4() { ip netns exec "$NS_A" ping -c1 -W1 "$B4" >/dev/null 2>&1; }
ping6() { ip netns exec "$NS_A" ping -6 -c1 -W1 "$B6" >/dev/null 2>&1; }

# expect CODE DESCRIPTION CMD...: CMD exits with CODE; output in $work/out.
expect() {
	local code=$1 desc=$2 rc=0
	shift 2
	"$@" >"$work/out" 2>&1 || rc=$?
	result "$([ "$rc" = "$code" ] && echo 0 || echo 1)" "$desc (exit $code)"
}
said() { grep -q -- "$1" "$work/out"; }

counter() { fg status | awk -v k="$1" '$1 == k { print $2 }'; }

ip netns add "$NS_A"
ip netns add "$NS_B"
ip -n "$NS_A" link add "$IF_A" type veth peer name "$IF_B" netns "$NS_B"
ip -n "$NS_A" addr add "$A4/24" dev "$IF_A"
ip -n "$NS_B" addr add "$B4/24" dev "$IF_B"
ip -n "$NS_A" addr add "$A6/64" dev "$IF_A" nodad
ip -n "$NS_B" addr add "$B6/64" dev "$IF_B" nodad
ip -n "$NS_A" link set "$IF_A" up
ip -n "$NS_B" link set "$IF_B" up
wait_for 5 ping6

expect 2 "no command" "$FLUXGUARD"
expect 0 "--help" "$FLUXGUARD" --help
for c in run replay status list block unblock unload; do
	expect 0 "$c --help" "$FLUXGUARD" "$c" --help
	check "$c --help prints its usage" said "Usage: fluxguard $c"
done
expect 2 "unknown command" "$FLUXGUARD" frobnicate
expect 2 "run without an interface" "$FLUXGUARD" run
expect 2 "run with a bad --mode" fg run -i "$IF_B" --mode turbo
expect 2 "run with an unknown flag" fg run -i "$IF_B" --turbo
expect 1 "run on a missing interface" fg run -i nosuch0
check "a missing interface is named" said "no interface named nosuch0"
printf 'block_ttl = 1h\nwindow_short = soon\n' >"$work/bad.conf"
expect 1 "run with a malformed config" fg run -i "$IF_B" --config "$work/bad.conf"
check "the config error names file and line" said "$work/bad.conf:2:"
expect 1 "run with a missing config" fg run -i "$IF_B" --config "$work/nope.conf"
check "nothing was attached by the failed starts" \
	eval "! in_b bpftool net show dev $IF_B | grep -q 'driver id'"
expect 1 "list with nothing loaded" "$FLUXGUARD" list
check "list says what to do" said "fluxguard run"
expect 1 "list without privileges" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$FLUXGUARD" list
expect 1 "run without privileges" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$FLUXGUARD" run -i lo
check "no privileges: the message says root is needed" said "root"
expect 1 "list without bpffs" \
	unshare -m sh -c "umount /sys/fs/bpf 2>/dev/null; '$FLUXGUARD' list"
check "no bpffs: the message says how to mount it" said "mount -t bpf"

(exec nsenter --net="/run/netns/$NS_B" "$FLUXGUARD" run -i "$IF_B" \
	--mode native 2>"$work/run.log") &
fg_pid=$!
wait_for 10 grep -q "running on" "$work/run.log"
result $? "run attaches natively to $IF_B"
expect 1 "a second run is refused while one holds the lock" fg run -i "$IF_B"
check "the second run says why" said "is active"
expect 0 "status" fg status
check "status lists $IF_B (native)" said "attached: $IF_B (native)"
check "traffic passes before any block (v4)" ping4
check "traffic passes before any block (v6)" ping6

expect 0 "block an IPv4 address for 90s" fg block "$A4" --for 90s --reason "cli test"
check "the frame from a blocked IPv4 source is dropped" eval "! ping4"
expect 0 "list" fg list
check "list shows the address, label and expiry" \
	eval "grep -F '$A4' '$work/out' | grep 'cli test' | grep -q 'in [0-9]*s'"
check "the hit counter of the entry rose" \
	eval "fg list | awk '\$1 == \"$A4\" { exit !(\$(NF-1) > 0) }'"
check "the drop counter rose" eval "[ \"\$(counter drop)\" -gt 0 ]"
expect 0 "unblock it" fg unblock "$A4"
check "traffic passes again" ping4
expect 1 "unblock what is not blocked" fg unblock "$A4"
check "unblock says there was no such block" said "no such block"

expect 0 "block an IPv4 prefix" fg block 198.18.50.0/30
check "a prefix match is dropped" eval "! ping4"
expect 0 "unblock the prefix" fg unblock 198.18.50.0/30
check "traffic passes after the prefix is gone" ping4
expect 0 "block an IPv6 address" fg block "$A6"
check "the frame from a blocked IPv6 source is dropped" eval "! ping6"
expect 0 "unblock the IPv6 address" fg unblock "$A6"
expect 0 "block an IPv6 prefix" fg block fd00:50::/64
check "an IPv6 prefix match is dropped" eval "! ping6"
expect 0 "unblock the IPv6 prefix" fg unblock fd00:50::/64
check "IPv6 passes again" ping6

expect 0 "an entry that expires" fg block "$A4" --for 2s
sleep 3
check "an expired entry is not enforced" ping4
fg unblock "$A4" >/dev/null 2>&1

expect 2 "block a non-address" fg block not-an-address
expect 2 "block a prefix with host bits" fg block 198.18.50.1/24
expect 2 "block with a bad duration" fg block "$A4" --for soon
expect 2 "block without an address" fg block

kill "$fg_pid"
wait "$fg_pid" 2>/dev/null
(exec nsenter --net="/run/netns/$NS_B" "$FLUXGUARD" run -i "$IF_B" \
	--dry-run 2>"$work/run.log") &
fg_pid=$!
wait_for 10 grep -q "running on" "$work/run.log"
result $? "run --dry-run takes over the interface"
fg block "$A4" >/dev/null
check "dry run: a blocked source still passes" ping4
check "dry run: the would-drop counter rose" \
	eval "[ \"\$(counter dry_run_drop)\" -gt 0 ]"
check "status says dry run" eval "fg status | grep -q 'dry run'"
kill "$fg_pid"
wait "$fg_pid" 2>/dev/null
fg_pid=

expect 0 "unload -i $IF_B" fg unload -i "$IF_B"
check "no program on $IF_B after unload -i" \
	eval "! in_b bpftool net show dev $IF_B | grep -q 'driver id'"
expect 2 "unload without -i or --all" fg unload
expect 0 "unload --all" fg unload --all
check "no pins after unload --all" test ! -e /sys/fs/bpf/fluxguard

[ "$tap_failed" = 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Smoke test of the namespace lab alone (no fluxguard): the resolver serves
# rotating flux and stable benign answers to the client, hosts answer TCP,
# native XDP on the gateway sees the traffic, and down leaves nothing.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$HERE/../lab/lab.sh
# shellcheck source=tests/lab/lab-env.sh
. "$HERE/../lab/lab-env.sh"

# Two samples of a rotating name are taken this far apart: the resolver
# keeps an answer for its TTL, so only after it runs out is a new set due.
SAMPLE_GAP=$((LAB_FLUX_TTL + 1))
DIG_OPTS=(+timeout=2 +retry=1)

passed=0
failed=0
n=0

result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
		passed=$((passed + 1))
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

# check DESCRIPTION CMD...: one TAP line for CMD's exit status.
check() {
	local desc=$1 rc=0
	shift
	"$@" || rc=$?
	result "$rc" "$desc"
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

on_client() { ip netns exec "$LAB_NS_CLIENT" "$@"; }

# rdata SERVER TYPE NAME: sorted rdata of the answer records of TYPE.
rdata() {
	on_client kdig @"$1" "${DIG_OPTS[@]}" +noall +answer "$3" "$2" |
		awk -v t="$2" '$4 == t { print $5 }' | sort
}

# additional SERVER TYPE NAME: sorted "owner address" of the additional A.
additional() {
	on_client kdig @"$1" "${DIG_OPTS[@]}" +noall +additional "$3" "$2" |
		awk '$4 == "A" || $4 == "AAAA" { print $1, $5 }' | sort
}

count_is() { [ "$(grep -c . <<<"$1")" -eq "$2" ]; }
differ() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" != "$2" ]; }
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
all_match() { [ -n "$1" ] && ! grep -qv -- "$2" <<<"$1"; }

# Every NS name of the answer has its glue in the additional section.
glued() {
	local ns=$1 glue=$2 name
	[ -n "$ns" ] || return 1
	for name in $ns; do
		grep -q "^$name " <<<"$glue" || return 1
	done
}

tcp_ok() { on_client nc -z -w1 "$1" "$LAB_HOST_PORT"; }

first() { head -n1 <<<"$1"; }

no_lab_netns() { ! ip netns list | grep -q "^$LAB_NS_PREFIX-"; }

# gone PID...: none of these runs any more (a zombie counts as gone).
gone() {
	local p stat
	for p in "$@"; do
		stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		stat=${stat##*) }
		[ "${stat%% *}" = Z ] || return 1
	done
}

# xdp_sees: a packet counter attached in native mode to both gateway
# interfaces counts the client's queries and the resolver's answers. The
# program needs bpffs-free tools only, but nsenter keeps the host's /sys.
xdp_sees() {
	local dir obj ifc id count
	dir=$(mktemp -d)
	obj=$dir/count.o
	cat >"$dir/count.bpf.c" <<'EOF'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lab_count SEC(".maps");

SEC("xdp")
int lab_count_prog(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *packets = bpf_map_lookup_elem(&lab_count, &key);

	if (packets)
		__sync_fetch_and_add(packets, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
EOF
	clang -g -O2 -target bpf -I"/usr/include/$(uname -m)-linux-gnu" \
		-c "$dir/count.bpf.c" -o "$obj" || { rm -rf "$dir"; return 1; }
	for ifc in "$LAB_GW_IN" "$LAB_GW_OUT"; do
		nsenter --net="/run/netns/$LAB_NS_GW" \
			ip link set dev "$ifc" xdpdrv obj "$obj" sec xdp ||
			{ rm -rf "$dir"; return 1; }
	done
	rdata "$LAB_RESOLVER4" A "$LAB_BENIGN_STATIC" >/dev/null
	rdata "$LAB_RESOLVER6" AAAA "$LAB_BENIGN_STATIC" >/dev/null
	local rc=0
	for ifc in "$LAB_GW_IN" "$LAB_GW_OUT"; do
		id=$(nsenter --net="/run/netns/$LAB_NS_GW" ip -d link show "$ifc" |
			awk '/prog\/xdp id/ { print $3; exit }')
		count=$(bpftool -j prog show id "$id" 2>/dev/null |
			grep -o '"map_ids":\[[0-9]*' | grep -o '[0-9]*$')
		count=$(bpftool map dump id "$count" 2>/dev/null |
			awk '/"value"/ { gsub(/[^0-9]/, "", $2); print $2 }')
		# Two queries in, two answers back: each interface sees >= 2.
		[ "${count:-0}" -ge 2 ] || rc=1
		ip -n "$LAB_NS_GW" link set dev "$ifc" xdp off
	done
	rm -rf "$dir"
	return "$rc"
}

trap '"$LAB" down >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM

t0=$(date +%s%N)
up_rc=0
"$LAB" up >/dev/null || up_rc=$?
result "$up_rc" "lab.sh up"
if [ "$up_rc" != 0 ]; then
	echo "# lab did not come up; state in $LAB_STATE_DIR"
	exit 1
fi
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# up took $((ms / 1000)).$(printf %03d $((ms % 1000))) s"

# First samples of everything that rotates, then one wait for all.
f4a=$(rdata "$LAB_RESOLVER4" A "$LAB_FLUX_V4")
f6a=$(rdata "$LAB_RESOLVER6" AAAA "$LAB_FLUX_V6")
dna=$(rdata "$LAB_RESOLVER4" NS "$LAB_DBL_FLUX")
dga=$(additional "$LAB_RESOLVER4" NS "$LAB_DBL_FLUX")
dwa=$(rdata "$LAB_RESOLVER4" A "$LAB_DBL_FLUX_WWW")
sa4=$(rdata "$LAB_RESOLVER4" A "$LAB_BENIGN_STATIC")
sa6=$(rdata "$LAB_RESOLVER6" AAAA "$LAB_BENIGN_STATIC")
rra=$(rdata "$LAB_RESOLVER4" A "$LAB_BENIGN_RR")
sleep "$SAMPLE_GAP"
f4b=$(rdata "$LAB_RESOLVER4" A "$LAB_FLUX_V4")
f6b=$(rdata "$LAB_RESOLVER6" AAAA "$LAB_FLUX_V6")
dnb=$(rdata "$LAB_RESOLVER4" NS "$LAB_DBL_FLUX")
dgb=$(additional "$LAB_RESOLVER4" NS "$LAB_DBL_FLUX")
dwb=$(rdata "$LAB_RESOLVER4" A "$LAB_DBL_FLUX_WWW")
sb4=$(rdata "$LAB_RESOLVER4" A "$LAB_BENIGN_STATIC")
sb6=$(rdata "$LAB_RESOLVER6" AAAA "$LAB_BENIGN_STATIC")
rrb=$(rdata "$LAB_RESOLVER4" A "$LAB_BENIGN_RR")

check "$LAB_FLUX_V4 has $LAB_FLUX_PER_ANSWER A records" \
	count_is "$f4a" "$LAB_FLUX_PER_ANSWER"
check "$LAB_FLUX_V4 A set differs ${SAMPLE_GAP}s later" differ "$f4a" "$f4b"
check "$LAB_FLUX_V4 addresses are in $LAB_FLUX_RANGE4" \
	all_match "$(printf '%s\n%s' "$f4a" "$f4b")" '^198\.19\.'
check "$LAB_FLUX_V6 has $LAB_FLUX_PER_ANSWER AAAA over IPv6 transport" \
	count_is "$f6a" "$LAB_FLUX_PER_ANSWER"
check "$LAB_FLUX_V6 AAAA set differs ${SAMPLE_GAP}s later" differ "$f6a" "$f6b"
check "NS $LAB_DBL_FLUX has $LAB_DBL_NS_PER_SET names" \
	count_is "$dna" "$LAB_DBL_NS_PER_SET"
check "NS $LAB_DBL_FLUX carries glue for every name in additional" \
	glued "$dna" "$dga"
check "NS $LAB_DBL_FLUX names and glue rotate" \
	differ "$dna$dga" "$dnb$dgb"
check "$LAB_DBL_FLUX_WWW has $LAB_FLUX_PER_ANSWER A records" \
	count_is "$dwa" "$LAB_FLUX_PER_ANSWER"
check "$LAB_DBL_FLUX_WWW A set differs ${SAMPLE_GAP}s later" differ "$dwa" "$dwb"
check "$LAB_BENIGN_STATIC A is stable" same "$sa4" "$sb4"
check "$LAB_BENIGN_STATIC A is $LAB_STATIC_ADDR4" same "$sa4" "$LAB_STATIC_ADDR4"
check "$LAB_BENIGN_STATIC AAAA over IPv6 is stable" same "$sa6" "$sb6"
check "$LAB_BENIGN_STATIC AAAA is $LAB_STATIC_ADDR6" same "$sa6" "$LAB_STATIC_ADDR6"
check "$LAB_BENIGN_RR has 4 A records" count_is "$rra" 4
check "$LAB_BENIGN_RR A set is stable" same "$rra" "$rrb"
check "$LAB_BENIGN_CDN is a CNAME to $LAB_BENIGN_CDN_EDGE" \
	same "$(rdata "$LAB_RESOLVER4" CNAME "$LAB_BENIGN_CDN")" \
	"$LAB_BENIGN_CDN_EDGE."
check "$LAB_BENIGN_CDN addresses are in 198.18.100.0/24" \
	all_match "$(rdata "$LAB_RESOLVER4" A "$LAB_BENIGN_CDN")" '^198\.18\.100\.'
check "$LAB_BENIGN_LB answers inside 198.18.103.0/24" \
	all_match "$(rdata "$LAB_RESOLVER4" A "$LAB_BENIGN_LB")" '^198\.18\.103\.'

check "TCP connect to flux host $(first "$f4b")" tcp_ok "$(first "$f4b")"
check "TCP connect to flux host $(first "$f6b")" tcp_ok "$(first "$f6b")"
check "TCP connect to benign host $LAB_STATIC_ADDR4" tcp_ok "$LAB_STATIC_ADDR4"
check "TCP connect to benign host $LAB_STATIC_ADDR6" tcp_ok "$LAB_STATIC_ADDR6"

if command -v clang >/dev/null && command -v bpftool >/dev/null; then
	check "native XDP on $LAB_GW_IN and $LAB_GW_OUT sees DNS traffic" xdp_sees
else
	skip "native XDP on $LAB_GW_IN and $LAB_GW_OUT sees DNS traffic" \
		"clang or bpftool missing"
fi

read -ra pids <<<"$(cat "$LAB_STATE_DIR"/*.pid 2>/dev/null | tr '\n' ' ')"
check "lab.sh down" "$LAB" down
check "no $LAB_NS_PREFIX-* namespace left" no_lab_netns
check "no lab process left" gone "${pids[@]}"

echo "1..$n"
echo "# $passed passed, $failed failed"
[ "$failed" = 0 ]

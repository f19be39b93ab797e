#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The demo `make demo` runs: the namespace lab with real DNS servers,
# fluxguard attached natively on the lab's gateway, and a client whose
# connections to flux hosts start failing while benign sites keep working.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

# How long the client keeps resolving and connecting, one round a second.
DEMO_SECONDS=${DEMO_SECONDS:-60}
# A status table every this many rounds, to watch the scores rise.
STATUS_EVERY=15
CONF=$TOP/tests/lab/fluxguard-lab.conf
work=$(mktemp -d)
events=$work/events.jsonl
fg_pid=
tail_pid=

bold() { printf '\033[1m%s\033[0m\n' "$*"; }
step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

cleanup() {
	set +e
	# tail and jq are children of the background subshell.
	[ -n "$tail_pid" ] && pkill -P "$tail_pid" 2>/dev/null
	[ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null
	[ -n "$fg_pid" ] && kill "$fg_pid" 2>/dev/null
	wait 2>/dev/null
	step "Cleaning up"
	"$FLUXGUARD" unload --all && echo "fluxguard unloaded, pins removed"
	"$LAB" down >/dev/null 2>&1 && echo "lab torn down"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Verdicts, blocks and unblocks as one line each, while they happen.
show_events() {
	tail -n +1 -F "$events" 2>/dev/null | jq --unbuffered -r '
		if .type == "verdict" then
			"\u001b[1;31mVERDICT\u001b[0m \(.kind) \(.domain) score \(.score * 10 | round / 10) (threshold \(.threshold)) \(.addresses | length) addresses; asns=\(.features.asns.value) ttl_min=\(.features.ttl_min.value) prefixes=\(.features.prefixes.value)"
		elif .type == "block" then
			"\u001b[31mBLOCK\u001b[0m   \(.ip // "name rule: answers sinkholed") (\(.domain), \(.reason))"
		elif .type == "unblock" then
			"UNBLOCK \(.ip // "name rule") (\(.domain), \(.reason))"
		else empty end'
}

# Connects to every address at once (a dropped one costs the connect
# timeout); prints how many answered.
connect_count() {
	local a
	{
		for a in "$@"; do
			{ tcp_ok "$a" && echo ok; } 2>/dev/null &
		done
		wait
	} | grep -c ok || true
}

client_round() {
	local name addrs first n ok state
	for name in $LAB_FLUX_V4 $LAB_DBL_FLUX_WWW $LAB_BENIGN_CDN $LAB_BENIGN_STATIC; do
		addrs=$(answers "$LAB_RESOLVER4" A "$name" | grep -E '^[0-9.]+$' || true)
		first=$(head -n1 <<<"$addrs")
		[ -n "$first" ] || continue
		n=$(grep -c . <<<"$addrs")
		if [ "$first" = 0.0.0.0 ]; then
			state="\033[31msinkholed: the gateway rewrote the answer\033[0m"
		else
			# shellcheck disable=SC2086 # one address a word
			ok=$(connect_count $addrs)
			if [ "$ok" = "$n" ]; then
				state="\033[32mconnect ok to all $n\033[0m"
			elif [ "$ok" = 0 ]; then
				state="\033[31mall $n connects FAILED (dropped at the gateway)\033[0m"
			else
				state="\033[31mconnect ok to $ok, $((n - ok)) FAILED (dropped at the gateway)\033[0m"
			fi
		fi
		printf '  client: %-24s -> %-15s (%d addresses)  %b\n' \
			"$name" "$first" "$n" "$state"
	done
	answers "$LAB_RESOLVER4" NS "$LAB_DBL_FLUX" >/dev/null || true
	answers "$LAB_RESOLVER6" AAAA "$LAB_FLUX_V6" >/dev/null || true
}

step "Starting the lab: client -> gateway -> world (knotd, unbound)"
"$LAB" up
echo "flux names:   $LAB_FLUX_NAMES"
echo "benign names: $LAB_BENIGN_NAMES"

step "Attaching fluxguard natively to $LAB_GW_IN and $LAB_GW_OUT on the gateway"
(cd "$TOP" && exec nsenter --net="/run/netns/$LAB_NS_GW" "$FLUXGUARD" run \
	-i "$LAB_GW_OUT" -i "$LAB_GW_IN" --mode native --config "$CONF" \
	--events "$events" 2>"$work/run.log") &
fg_pid=$!
wait_for 10 test -e "/sys/fs/bpf/fluxguard/link_$LAB_GW_IN" ||
	{ cat "$work/run.log"; exit 1; }
on_gw bpftool net show | sed -n '/^xdp:/,/^$/p'
touch "$events"
show_events &
tail_pid=$!

step "Client resolving through the resolver and connecting to each answer for ${DEMO_SECONDS}s"
for ((round = 1; round <= DEMO_SECONDS; round++)); do
	echo "-- round $round"
	client_round
	if ((round % STATUS_EVERY == 0)); then
		on_gw "$FLUXGUARD" status | sed -n '/^top suspicious/,$p'
	fi
	sleep 1
done

step "The pinned block map, as bpftool sees it (first entries)"
bpftool map dump pinned /sys/fs/bpf/fluxguard/fg_block_v4 | head -n 40 || true

step "A flux host the client learned before the verdict is dropped by address"
blocked=$(jq -r 'select(.type == "block" and .ip != null) | .ip' "$events" | head -n1)
if [ -n "$blocked" ]; then
	if tcp_ok "$blocked"; then
		echo "  connect $blocked:$LAB_HOST_PORT ok (unexpected)"
	else
		printf '  connect %s:%s \033[31mFAILED (dropped at the gateway)\033[0m\n' \
			"$blocked" "$LAB_HOST_PORT"
	fi
fi

step "fluxguard list"
on_gw "$FLUXGUARD" list | head -n 20 || true

step "fluxguard status"
on_gw "$FLUXGUARD" status

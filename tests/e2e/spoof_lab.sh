#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Forged responses in the lab: a flood claiming that a benign name
# resolves to many addresses across many ASNs, the resolver's own address
# among them, yields no verdict and no block while the client keeps
# resolving it for real. Without query matching the same flood is scored,
# and the never-block policy still keeps the resolver safe.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Forged responses per phase and how long each flood lasts.
FORGED=400
FLOOD_SECONDS=10
CONF=$TOP/tests/lab/fluxguard-lab.conf
work=$(mktemp -d)
fg_pid=

cleanup() {
	if [ "$tap_failed" != 0 ] && [ -f "$work/run.log" ]; then
		tail -n 15 "$work/run.log" | sed 's/^/# /'
	fi
	[ -n "$fg_pid" ] && kill -9 "$fg_pid" 2>/dev/null
	wait 2>/dev/null
	"$FLUXGUARD" unload --all >/dev/null 2>&1
	"$LAB" down >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start CONFIG EVENTS
start() {
	: >"$work/run.log"
	(cd "$TOP" && exec nsenter --net="/run/netns/$LAB_NS_GW" "$FLUXGUARD" \
		run -i "$LAB_GW_OUT" -i "$LAB_GW_IN" --config "$1" \
		--events "$2" -v 2>>"$work/run.log") &
	fg_pid=$!
	wait_for 10 grep -q "running on" "$work/run.log"
}

stop() {
	kill "$fg_pid" 2>/dev/null
	wait "$fg_pid" 2>/dev/null
	fg_pid=
	"$FLUXGUARD" unload --all >/dev/null 2>&1
}

# flood: forged answers from the resolver's address while the client
# resolves the same name for real once a second.
flood() {
	ip netns exec "$LAB_NS_WORLD" python3 "$TOP/tests/lab/forge.py" \
		--src "$LAB_RESOLVER4" --dst "$LAB_CLIENT4" \
		--name "$LAB_BENIGN_STATIC" --count "$FORGED" \
		--seconds "$FLOOD_SECONDS" --extra "$LAB_RESOLVER4" \
		>"$work/forge.log" 2>&1 &
	local forger=$! i
	for ((i = 0; i < FLOOD_SECONDS; i++)); do
		answers "$LAB_RESOLVER4" A "$LAB_BENIGN_STATIC" >>"$work/real" 2>&1
		sleep 1
	done
	wait "$forger"
}

verdict_for() {
	jq -s --arg d "$2" 'any(.[]; .type == "verdict" and .domain == $d)' \
		"$1" 2>/dev/null | grep -qx true
}
no_blocks() { on_gw "$FLUXGUARD" list | grep -q "no active blocks"; }
scorer_counter() {
	jq -r --arg k "$1" '.counters[$k] // 0' /run/fluxguard/status.json
}
resolver_not_blocked() {
	! on_gw "$FLUXGUARD" list | grep -qF " $LAB_RESOLVER4 " &&
		! on_gw "$FLUXGUARD" list | grep -q "^$LAB_RESOLVER4 "
}

"$LAB" up >"$work/lab.log" 2>&1
result $? "lab comes up"

check "fluxguard run starts with query matching" start "$CONF" "$work/ev1.jsonl"
flood
check "the forger sent its flood" grep -q "sent $FORGED" "$work/forge.log"
sleep 2
check "no verdict for $LAB_BENIGN_STATIC" \
	eval "! verdict_for '$work/ev1.jsonl' '$LAB_BENIGN_STATIC'"
check "no block at all" no_blocks
check "the forged responses were counted as unsolicited" \
	eval "[ \"\$(scorer_counter unsolicited)\" -ge $((FORGED / 2)) ]"
check "the client's real answers were matched and scored" \
	eval "[ \"\$(scorer_counter queries)\" -ge 1 ] &&
		[ \"\$(scorer_counter responses_scored)\" -ge 1 ]"
check "the client still gets the real address" \
	grep -qx "$LAB_STATIC_ADDR4" "$work/real"
check "the client still reaches $LAB_BENIGN_STATIC" tcp_ok "$LAB_STATIC_ADDR4"
stop

# Without matching, the same flood is scored: the policy must hold.
sed 's/^query_match = yes/query_match = no/' "$CONF" >"$work/nomatch.conf"
check "fluxguard run starts without query matching" \
	start "$work/nomatch.conf" "$work/ev2.jsonl"
flood
sleep 2
check "without matching the flood is scored (the risk matching removes)" \
	verdict_for "$work/ev2.jsonl" "$LAB_BENIGN_STATIC"
check "the resolver's own address is never blocked" resolver_not_blocked
check "the refusal is counted" \
	eval "[ \"\$(scorer_counter refused_policy)\" -ge 1 ]"
# The forged verdict puts a name rule on the benign name, so its answers
# are now sinkholed: the damage matching prevents, stated as a fact.
check "without matching the forged verdict sinkholes $LAB_BENIGN_STATIC" \
	eval "answers '$LAB_RESOLVER4' A '$LAB_BENIGN_STATIC' | grep -qx 0.0.0.0"
# Another name, untouched by the flood, still resolves through the
# resolver: its address was never blocked.
check "the client still reaches the resolver ($LAB_BENIGN_RR resolves)" \
	eval "answers '$LAB_RESOLVER4' A '$LAB_BENIGN_RR' | grep -q '^198\.18\.10[0-3]\.'"
stop

[ "$tap_failed" = 0 ]

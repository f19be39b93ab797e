#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Log rotation of the passive DNS events: with --log-answers, answers go
# to the events file; after the file is renamed (as logrotate does) and
# SIGHUP is sent, new events go to a new file at the configured path and
# none to the renamed one. On a veth pair between namespaces of its own.
# No pipefail: checks pipe into `grep -q`, which may close the pipe early.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NS_A=fgr-a   # sends DNS answers
NS_B=fgr-b   # fluxguard attaches to its interface
IF_A=fgr-a0
IF_B=fgr-b0
A4=198.18.54.1
B4=198.18.54.2
PORT=5353
DNSMSG=$E2E_DIR/dnsmsg.py
work=$(mktemp -d)
EVENTS=$work/events.jsonl
fg_pid=
started=

cleanup() {
	[ -n "$fg_pid" ] && kill "$fg_pid" 2>/dev/null
	wait 2>/dev/null
	# Only what this script loaded: another run may own the pins.
	[ -n "$started" ] && "$FLUXGUARD" unload --all >/dev/null 2>&1
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_a() { ip netns exec "$NS_A" "$@"; }
# send NAME: one answer from A's port 53 to B (nobody listens: only the
# program on B's interface reads it).
send() {
	in_a python3 "$DNSMSG" send "$A4" "$B4" "$PORT" "$1" 198.18.60.1
}
answer_in() { grep -q "\"$2\"" "$1" 2>/dev/null; }

ip netns add "$NS_A"
ip netns add "$NS_B"
ip -n "$NS_A" link add "$IF_A" type veth peer name "$IF_B" netns "$NS_B"
ip -n "$NS_A" addr add "$A4/24" dev "$IF_A"
ip -n "$NS_B" addr add "$B4/24" dev "$IF_B"
ip -n "$NS_A" link set "$IF_A" up
ip -n "$NS_B" link set "$IF_B" up
wait_for 5 in_a ping -c1 -W1 "$B4" >/dev/null

# One `fluxguard run` per machine (one lock, one pin directory).
wait_for 30 flock -n /run/fluxguard.lock true ||
	echo "# another fluxguard run holds /run/fluxguard.lock"
cat >"$work/fg.conf" <<EOF
asn_dir = $TOP/tests/lab/asn
EOF
(exec nsenter --net="/run/netns/$NS_B" "$FLUXGUARD" run -i "$IF_B" \
	--config "$work/fg.conf" --events "$EVENTS" --log-answers \
	2>"$work/run.log") &
fg_pid=$!
wait_for 10 grep -q "running on" "$work/run.log" && started=1
result $((started ? 0 : 1)) "run writes answers to $EVENTS"

send before.rotate.test
wait_for 5 answer_in "$EVENTS" before.rotate.test
result $? "an answer event is in the events file"
check "the event is an answer event" eval "grep before.rotate.test \
	'$EVENTS' | jq -c 'select(.type == \"answer\")' | grep -q ."

mv "$EVENTS" "$EVENTS.1"
send renamed.rotate.test
wait_for 5 answer_in "$EVENTS.1" renamed.rotate.test
result $? "before SIGHUP, events still go to the renamed file"
check "and no new file appears" eval "test -s '$EVENTS.1' -a ! -e '$EVENTS'"

kill -HUP "$fg_pid"
wait_for 5 grep -q "reopened" "$work/run.log"
result $? "SIGHUP reopens the events file"
send after.rotate.test
wait_for 5 answer_in "$EVENTS" after.rotate.test
result $? "after SIGHUP, events go to a new file at the same path"
check "the renamed file got none of them" eval "test -s '$EVENTS.1' && \
	! answer_in '$EVENTS.1' after.rotate.test"
check "the new file holds only new events" eval "test -s '$EVENTS' && \
	! answer_in '$EVENTS' before.rotate.test"
check "run is still running" kill -0 "$fg_pid"

[ "$tap_failed" = 0 ]

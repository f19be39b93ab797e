#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# fluxguard replay on the captures recorded in the lab: the same verdicts
# from pcap and pcapng, IPv4 and IPv6, nothing for benign names, and a
# clean failure (exit 1, where it stopped) on damaged files.
# No pipefail: checks pipe into `grep -q`, which may close the pipe
# early, and only grep's verdict counts.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONF=$TOP/tests/lab/fluxguard-lab.conf
CAP=$TOP/tests/captures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$TOP"

# replay NAME FILE [ARGS]: events in $work/NAME.jsonl, summary in .err.
replay() {
	local name=$1 file=$2
	shift 2
	"$FLUXGUARD" replay "$file" --config "$CONF" --events "$work/$name.jsonl" \
		"$@" 2>"$work/$name.err"
}

verdicts() {
	jq -r 'select(.type == "verdict") | "\(.domain) \(.kind)"' "$1" | sort -u
}

# summary NAME LABEL: the number after LABEL in the summary.
summary() { sed -n "s/^  $2  *\([0-9]*\)$/\1/p" "$work/$1.err"; }

# Capture time of the first and last frame, epoch seconds.
cap_first=$(tcpdump -tt -r "$CAP/lab-v4.pcap" 2>/dev/null | head -n1 | cut -d' ' -f1)
cap_last=$(tcpdump -tt -r "$CAP/lab-v4.pcap" 2>/dev/null | tail -n1 | cut -d' ' -f1)

check "replay of lab-v4.pcap exits 0" replay v4 "$CAP/lab-v4.pcap"
check "lab-v4: $LAB_FLUX_V4 is single_flux" \
	grep -qx "$LAB_FLUX_V4 single_flux" <(verdicts "$work/v4.jsonl")
check "lab-v4: $LAB_DBL_FLUX_WWW is flagged" \
	grep -q "^$LAB_DBL_FLUX_WWW " <(verdicts "$work/v4.jsonl")
check "lab-v4: no benign name is flagged" \
	eval "! verdicts '$work/v4.jsonl' | grep -q 'good\\.test'"
check "lab-v4: summary counts 460 frames and 230 responses" \
	eval '[ "$(summary v4 frames)" = 460 ] && [ "$(summary v4 "dns responses")" = 230 ]'
check "lab-v4: every event carries a time inside the capture" \
	eval "jq -e -s 'map(.ts) | min >= $cap_first and max <= $cap_last' '$work/v4.jsonl' >/dev/null"

check "replay of lab-v4.pcapng exits 0" replay ng "$CAP/lab-v4.pcapng"
check "pcapng gives the same verdicts as pcap" \
	diff <(verdicts "$work/v4.jsonl") <(verdicts "$work/ng.jsonl")

check "replay of lab-v6.pcap exits 0" replay v6 "$CAP/lab-v6.pcap"
check "lab-v6: $LAB_FLUX_V6 is single_flux" \
	grep -qx "$LAB_FLUX_V6 single_flux" <(verdicts "$work/v6.jsonl")
check "lab-v6: blocks are IPv6 addresses" \
	eval "jq -r 'select(.type == \"block\") | .ip' '$work/v6.jsonl' | grep -q ':'"

check "--dry-run still reports verdicts" replay dry "$CAP/lab-v4.pcap" --dry-run
check "--dry-run verdicts match" \
	diff <(verdicts "$work/v4.jsonl") <(verdicts "$work/dry.jsonl")

head -c 30000 "$CAP/lab-v4.pcap" >"$work/cut.pcap"
replay cut "$work/cut.pcap"
check "a truncated capture exits 1" test $? = 1
check "a truncated capture says where it stopped" \
	grep -q "stopped after [0-9]* frames" "$work/cut.err"
check "a truncated capture still prints its summary" grep -q "^replay summary" "$work/cut.err"

head -c 4096 /dev/urandom >"$work/junk.pcap"
replay junk "$work/junk.pcap"
check "a corrupt capture exits 1" test $? = 1
replay missing "$work/nope.pcap"
check "a missing capture exits 1" test $? = 1
"$FLUXGUARD" replay >/dev/null 2>&1
check "replay without a file is a usage error (2)" test $? = 2

[ "$tap_failed" = 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The first of the README's two commands, checked as a user reads it: the
# demo runs (shortened), its terminal shows both flux verdicts, the
# client's connections to flux hosts failing or sinkholed while benign
# sites keep answering, the pinned block map through bpftool and the
# status, and it leaves no namespace, pin or XDP program behind.
# No pipefail: checks pipe into `grep -q`, which may close the pipe
# early, and only grep's verdict counts.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Rounds of the client, one a second: the lab's flux names are flagged
# within about ten, so this leaves room on a loaded machine.
ROUNDS=35
out=$(mktemp)
trap 'rm -f "$out"' EXIT

rc=0
# The terminal's colours stripped, as a reader sees the words.
DEMO_SECONDS=$ROUNDS "$TOP/tests/lab/demo.sh" 2>&1 |
	sed 's/\x1b\[[0-9;]*m//g' >"$out" || rc=$?
result "$rc" "the demo runs to its end (exit 0)"

shows() { grep -qE "$1" "$out"; }
# client NAME: the demo's lines for the client's rounds on NAME.
client() { grep -E "^  client: $1 " "$out"; }
all_lines() { local l; l=$(client "$1"); [ -n "$l" ] && ! grep -qv -- "$2" <<<"$l"; }

check "it shows a single_flux verdict for $LAB_FLUX_V4" \
	shows "^VERDICT single_flux $LAB_FLUX_V4 score"
check "it shows a double_flux verdict for $LAB_DBL_FLUX_WWW" \
	shows "^VERDICT double_flux $LAB_DBL_FLUX_WWW score"
check "no benign name gets a verdict" \
	eval "! grep -E '^VERDICT' '$out' | grep -q 'good\\.test'"
check "it shows block entries for flux addresses" \
	shows "^BLOCK +198\\.19\\.[0-9.]+ \\($LAB_FLUX_V4, single_flux\\)"
check "the client first connects to $LAB_FLUX_V4's hosts" \
	eval "client '$LAB_FLUX_V4' | head -n1 | grep -q 'connect ok to all'"
check "later the client's answers for $LAB_FLUX_V4 are sinkholed or its connects fail" \
	eval "client '$LAB_FLUX_V4' | tail -n1 | grep -qE 'sinkholed|FAILED'"
check "every round reaches all of $LAB_BENIGN_CDN's hosts" \
	all_lines "$LAB_BENIGN_CDN" 'connect ok to all'
check "every round reaches $LAB_BENIGN_STATIC" \
	all_lines "$LAB_BENIGN_STATIC" 'connect ok to all'
check "a host blocked by address (IPv4 or IPv6) is dropped at the end" \
	shows "^  connect [0-9a-f.:]+:[0-9]+ FAILED \\(dropped at the gateway\\)"
check "bpftool prints the pinned block map with readable domains" \
	shows '"domain": "[^"]*flux\.test"'
check "fluxguard status shows the top suspicious domains" \
	shows "^  $LAB_DBL_FLUX_WWW +[0-9.]+ +[0-9]+ +double_flux$"
check "the demo says it cleaned up" shows '^lab torn down$'

check "no $LAB_NS_PREFIX-* namespace is left" \
	eval "! ip netns list | grep -q '^$LAB_NS_PREFIX-'"
check "no fluxguard pin is left" test ! -e /sys/fs/bpf/fluxguard
# A program freed after its last link goes is gone a moment later.
check "no fluxguard XDP program is left loaded" \
	wait_for 5 eval "! bpftool prog show | grep -q 'name fluxguard_xdp'"

# What the demo printed, as TAP comments, when a check failed.
[ "$tap_failed" = 0 ] || sed 's/^/# /' "$out"
echo "1..$tap_n"
[ "$tap_failed" = 0 ]

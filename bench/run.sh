#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `make bench`: runs every benchmark binary and script, collects their
# "bench ..." lines into build/bench/latest.txt and prints them under a
# header describing the machine, then regenerates the README's table
# from them. Fails if any benchmark fails (the table is then left).
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=$BUILD/bench/latest.txt
# A benchmark that takes longer than this is hung, not slow: the longest,
# edge.sh, runs 16 configurations seven times for about 9 s each (some
# 16 minutes) and allows itself 20 minutes with repeats.
TIMEOUT_S=${BENCH_TIMEOUT_S:-1800}

die() { echo "bench: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (benchmarks load BPF programs)"
mountpoint -q /sys/fs/bpf || die "bpffs not mounted: run scripts/deps.sh"
[ -d "$BUILD/bench" ] || die "$BUILD/bench missing: run make first"

# What is pinned or attached now, to check that benchmarks leave no trace.
bpf_state() {
	find /sys/fs/bpf -mindepth 1 2>/dev/null | sort
	ip -o link show 2>/dev/null |
		grep -o '^[0-9]*: [^:@]*\|prog/xdp id [0-9]*'
}

lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
before=$(bpf_state)
failed=()

run_one() {
	local name=$1
	shift
	echo "== $name"
	timeout "$TIMEOUT_S" "$@" 2>&1 | tee -a "$lines"
	local rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ]; then
		echo "bench: $name failed (exit $rc)" >&2
		failed+=("$name")
	fi
}

for b in "$BUILD"/bench/bench_*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	run_one "$(basename "$b")" "$b"
done
for s in bench/*.sh; do
	# run.sh is this script; table.sh formats results, measures nothing.
	case $(basename "$s") in run.sh | table.sh) continue ;; esac
	[ -f "$s" ] || continue
	run_one "$(basename "$s")" bash "$s"
done
after=$(bpf_state)
if [ "$before" != "$after" ]; then
	echo "bench: warning: BPF pins or XDP attachments changed" \
		"during the run:" >&2
	diff <(echo "$before") <(echo "$after") | grep '^[<>]' >&2
fi

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
	echo "# fluxguard benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "# kernel $(uname -r), CPU ${cpu:-unknown}, $(nproc) cores"
	grep '^bench ' "$lines"
} > "$OUT"

echo
cat "$OUT"
if [ ${#failed[@]} -gt 0 ]; then
	die "failed: ${failed[*]}"
fi
# The README's table shows the figures of the latest complete run.
bench/table.sh "$OUT"

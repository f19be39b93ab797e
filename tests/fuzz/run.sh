#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Builds the libFuzzer harnesses and runs each for SECONDS (default 60) on
# its seeds, after replaying every saved crash. One TAP line per harness;
# a crash is copied into tests/fuzz/regressions/NAME/ and fails the run.
# Needs root (fuzz_xdp runs the XDP program). Usage: run.sh [SECONDS]
set -uo pipefail
shopt -s nullglob

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
seconds=${1:-60}
build=${BUILD:-build}
work=$build/fuzz
# Harnesses in run order: fuzz_xdp before fuzz_record, whose seeds are
# the events fuzz_xdp saves.
names=(frame config asn allowlist feed xdp record)
# BPF_PROG_TEST_RUN takes XDP frames up to about a page; the harness
# ignores longer inputs, so the fuzzer need not make them.
declare -A max_len=([xdp]=3500)
# Time one input may take before it counts as a hang.
input_timeout=10

if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" = 0 ]; then
	echo "usage: $0 [SECONDS]" >&2
	exit 2
fi

n=0
failed=0
tap() {
	n=$((n + 1))
	echo "$1 $n - $2"
	[ "$1" = ok ] || failed=$((failed + 1))
}

mkdir -p "$work"
if ! make -s -j"$(nproc)" "${names[@]/#/$work/fuzz_}" "$build/libfluxguard.a" \
	>"$work/build.log" 2>&1; then
	cat "$work/build.log"
	tap "not ok" "fuzz harnesses build (see $work/build.log)"
	exit 1
fi
# The seed writer compiles test_xdp.c's fixture table in: plain clang, no
# fuzzer runtime, the library for what the fixtures call.
if ! ${CLANG:-clang} -O1 -g -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser \
	-I"$build" -Itests/unit tests/fuzz/seeds.c "$build/libfluxguard.a" \
	-lcmocka -lbpf -lelf -lz -lpcap -lpsl -ljansson -lmaxminddb -lm \
	-o "$work/seeds" >>"$work/build.log" 2>&1; then
	cat "$work/build.log"
	tap "not ok" "fuzz seed writer builds (see $work/build.log)"
	exit 1
fi

# Seeds made fresh each run, beside the committed ones: every frame of
# the lab captures, capture records in each link type, and the events the
# program makes of all frames.
rm -rf "$work/seeds.d"
mkdir -p "$work/seeds.d/xdp" "$work/seeds.d/frame" "$work/seeds.d/record"
captures=(tests/captures/*.pcap)
if ! "$work/seeds" captures "$work/seeds.d/xdp" "${captures[@]}" >/dev/null ||
	! "$work/seeds" records "$work/seeds.d/frame" "${captures[@]}" >/dev/null; then
	tap "not ok" "seeds from ${captures[*]}"
fi

# run_one NAME: replays NAME's regressions, then fuzzes it.
run_one() {
	local name=$1 bin=$work/fuzz_$1 log=$work/fuzz_$1.log
	local corpus=$work/corpus/$1 crashes=$work/crashes/$1
	local regress=tests/fuzz/regressions/$1 seeds=() args=() files=()
	local rc execs crash saved

	mkdir -p "$corpus" "$crashes"
	# A log of this run only: an old crash line would be read as new.
	: >"$log"
	for d in "tests/fuzz/corpus/$name" "$work/seeds.d/$name"; do
		[ -d "$d" ] && seeds+=("$d")
	done
	[ -f "tests/fuzz/$name.dict" ] && args+=("-dict=tests/fuzz/$name.dict")
	[ -n "${max_len[$name]:-}" ] && args+=("-max_len=${max_len[$name]}")
	if [ "$name" = xdp ]; then
		export FG_FUZZ_EVENT_DIR=$work/seeds.d/record
	fi

	# Every crash ever found, first: a fix must hold before new ground.
	[ -d "$regress" ] && files=("$regress"/*)
	if [ ${#files[@]} -gt 0 ]; then
		if ! "$bin" -timeout="$input_timeout" "${files[@]}" >"$log" 2>&1; then
			unset FG_FUZZ_EVENT_DIR
			tap "not ok" "fuzz_$name: regression fails again (see $log)"
			return
		fi
	fi
	# fuzz_xdp saves its events only while it reads the seeds.
	if [ "$name" = xdp ]; then
		"$bin" -runs=0 "${args[@]}" "$corpus" "${seeds[@]}" \
			>"$log" 2>&1
		unset FG_FUZZ_EVENT_DIR
	fi

	"$bin" -max_total_time="$seconds" -timeout="$input_timeout" \
		-print_final_stats=1 -artifact_prefix="$crashes/" "${args[@]}" \
		"$corpus" "${seeds[@]}" >>"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	crash=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
	if [ "$rc" = 0 ] && [ -z "$crash" ]; then
		tap ok "fuzz_$name: ${execs:-0} execs, 0 crashes (${#files[@]} regressions replayed)"
		return
	fi
	if [ -n "$crash" ] && [ -f "$crash" ]; then
		mkdir -p "$regress"
		saved=$regress/$(basename "$crash")
		cp "$crash" "$saved"
		tap "not ok" "fuzz_$name: ${execs:-?} execs, crash $saved (see $log)"
	else
		tap "not ok" "fuzz_$name: exit $rc, no crash file (see $log)"
	fi
}

for name in "${names[@]}"; do
	run_one "$name"
done
[ "$failed" = 0 ]

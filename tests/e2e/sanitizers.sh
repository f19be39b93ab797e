#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The cmocka unit tests and the CLI built by clang with ASan and UBSan in
# a build directory of their own, and run: one TAP line per test binary,
# one for a replay of a lab capture, one for the lab end to end with the
# sanitized CLI. A sanitizer report fails its line.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
build=build/asan
log_dir=$build/logs
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# Leaks count: a test or a replay that loses memory fails like one that
# corrupts it. A report ends the program with this status.
export ASAN_OPTIONS=detect_leaks=1:exitcode=86:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# What a sanitizer prints when it reports.
report='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:'

n=0
failed=0
tap() {
	n=$((n + 1))
	echo "$1 $n - $2"
	[ "$1" = ok ] || failed=$((failed + 1))
}

tests=()
for src in tests/unit/test_*.c; do
	tests+=("$build/tests/$(basename "$src" .c)")
done
mkdir -p "$log_dir"
if ! make -s -j"$(nproc)" BUILD="$build" CC=clang EXTRA_CFLAGS="$san" \
	EXTRA_LDFLAGS="-fsanitize=address,undefined" "${tests[@]}" \
	"$build/fluxguard" >"$log_dir/build.log" 2>&1; then
	cat "$log_dir/build.log"
	tap "not ok" "asan+ubsan build (see $log_dir/build.log)"
	exit 1
fi

# check_log LOG: prints the first sanitizer report line, if any.
check_log() {
	grep -m1 -E "$report" "$1"
}

for bin in "${tests[@]}"; do
	name=$(basename "$bin")
	log=$log_dir/$name.log
	timeout 600 "$bin" >"$log" 2>&1
	rc=$?
	ran=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' "$log")
	passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log")
	skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s)\./\1/p' "$log")
	if found=$(check_log "$log"); then
		tap "not ok" "asan+ubsan $name: $found (see $log)"
	elif [ "$rc" != 0 ] || [ -z "$ran" ] ||
		[ "$ran" != $((${passed:-0} + ${skipped:-0})) ]; then
		tap "not ok" "asan+ubsan $name: exit $rc, ${passed:-0} of ${ran:-?} tests passed (see $log)"
	elif [ -n "$skipped" ]; then
		tap ok "asan+ubsan $name ($ran tests) # SKIP $skipped of them skipped"
	else
		tap ok "asan+ubsan $name ($ran tests)"
	fi
done

log=$log_dir/replay.log
timeout 600 "$build/fluxguard" replay tests/captures/lab-v4.pcap \
	--config tests/lab/fluxguard-lab.conf >"$log" 2>&1
rc=$?
if found=$(check_log "$log"); then
	tap "not ok" "asan+ubsan replay lab-v4.pcap: $found (see $log)"
elif [ "$rc" != 0 ] || ! grep -q '^replay summary:' "$log"; then
	tap "not ok" "asan+ubsan replay lab-v4.pcap: exit $rc (see $log)"
else
	tap ok "asan+ubsan replay lab-v4.pcap"
fi
# The lab end to end with the sanitized CLI: run, status, list, SIGKILL,
# restart, unload. Reports go to files, since the daemon's stderr is the
# lab script's; any report fails the line.
rm -f "$log_dir"/lab-report.*
log=$log_dir/run_lab.log
ASAN_OPTIONS=$ASAN_OPTIONS:log_path=$top/$log_dir/lab-report \
UBSAN_OPTIONS=$UBSAN_OPTIONS:log_path=$top/$log_dir/lab-report \
FLUXGUARD=$top/$build/fluxguard \
	timeout 900 bash tests/e2e/run_lab.sh >"$log" 2>&1
rc=$?
reports=$(grep -l -E "$report" "$log_dir"/lab-report.* 2>/dev/null)
if [ -n "$reports" ]; then
	tap "not ok" "asan+ubsan lab end to end: $(grep -h -m1 -E "$report" \
		$reports | head -n1) (see $reports)"
elif [ "$rc" != 0 ] || grep -q '^not ok' "$log"; then
	tap "not ok" "asan+ubsan lab end to end: exit $rc, \
$(grep -c '^not ok' "$log") checks failed (see $log)"
else
	tap ok "asan+ubsan lab end to end ($(grep -c '^ok' "$log") checks)"
fi
[ "$failed" = 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs every test: the cmocka unit and fixture programs in build/tests/,
# then the namespace end-to-end scripts in tests/e2e/. Counts each check
# and ends with "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log_dir=build/test-logs
mkdir -p "$log_dir"
passed=0
failed=0
skipped=0
failures=()

if [ "$(id -u)" != 0 ]; then
	echo "tests need root (BPF, namespaces): run with sudo" >&2
	exit 2
fi

# cmocka prints one "[       OK ]" line per passing test and one
# "[  FAILED  ]" line per failing one (plus a summary we skip). A binary
# that dies before its summary counts as one failure more.
run_cmocka() {
	local bin=$1 name log ok bad rc
	name=$(basename "$bin")
	log="$log_dir/$name.log"
	timeout 600 "$bin" >"$log" 2>&1
	rc=$?
	ok=$(grep -c '^\[       OK \]' "$log")
	bad=$(grep -E '^\[  FAILED  \] [^0-9]' "$log" | sort -u | wc -l)
	if [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
		bad=1
	fi
	if ! grep -q '^\[==========\] .* ran\.' "$log"; then
		[ "$rc" = 0 ] || bad=$((bad > 0 ? bad : 1))
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	printf '%-28s %4d passed %4d failed\n' "$name" "$ok" "$bad"
	[ "$bad" = 0 ] || failures+=("$name (see $log)")
}

# End-to-end scripts print TAP lines: "ok N - ...", "not ok N - ...",
# and "ok N - ... # SKIP why", which counts as skipped, never as passed.
run_tap() {
	local script=$1 name log ok bad skip rc
	name=$(basename "$script" .sh)
	log="$log_dir/$name.log"
	timeout 900 bash "$script" >"$log" 2>&1
	rc=$?
	ok=$(grep '^ok ' "$log" | grep -vc '# SKIP')
	skip=$(grep '^ok ' "$log" | grep -c '# SKIP')
	bad=$(grep -c '^not ok ' "$log")
	skipped=$((skipped + skip))
	if [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	printf '%-28s %4d passed %4d failed\n' "$name" "$ok" "$bad"
	[ "$bad" = 0 ] || failures+=("$name (see $log)")
}

for bin in build/tests/test_*; do
	[ -x "$bin" ] && run_cmocka "$bin"
done
for script in tests/e2e/*.sh; do
	# lib.sh holds what the scripts share; it is sourced, not run.
	[ "$(basename "$script")" = lib.sh ] && continue
	run_tap "$script"
done

for f in "${failures[@]}"; do
	echo "FAILED: $f"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

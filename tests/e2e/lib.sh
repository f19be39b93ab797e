# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared by the end-to-end scripts: TAP output, the lab's addresses and
# shortcuts into its namespaces. Source it; it only defines things.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$E2E_DIR/../.." && pwd)
LAB=$TOP/tests/lab/lab.sh
# FLUXGUARD may name another build (the sanitizer job runs its own).
FLUXGUARD=${FLUXGUARD:-$TOP/build/fluxguard}
. "$TOP/tests/lab/lab-env.sh"

tap_n=0
tap_failed=0

# result RC DESCRIPTION: one TAP line.
result() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# check DESCRIPTION CMD...: one TAP line for CMD's exit status.
check() {
	local desc=$1 rc=0
	shift
	"$@" || rc=$?
	result "$rc" "$desc"
}

on_client() { ip netns exec "$LAB_NS_CLIENT" "$@"; }
# nsenter keeps the host's /sys, so bpffs pins stay visible (ip netns
# exec would remount /sys).
on_gw() { nsenter --net="/run/netns/$LAB_NS_GW" "$@"; }

# answers SERVER TYPE NAME: the rdata of TYPE records, one per line.
answers() {
	on_client kdig @"$1" +timeout=2 +retry=1 +noall +answer "$3" "$2" |
		awk -v t="$2" '$4 == t { print $5 }'
}

# An empty address fails both, so a missing value never passes a check.
tcp_ok() { [ -n "$1" ] && on_client nc -z -w2 "$1" "$LAB_HOST_PORT"; }
tcp_fails() { [ -n "$1" ] && ! tcp_ok "$1"; }

# wait_for SECONDS CMD...: retries CMD once a second until it succeeds.
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 1
	done
}

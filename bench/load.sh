#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Load test: `fluxguard run` attached natively to one end of a two-queue
# veth pair while two pinned tcpreplays drive the lab's DNS responses into
# it; reports packets offered and seen, records delivered and lost, how
# long the scorer lags behind, and the daemon's resident memory.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FG=$BUILD/fluxguard
PROBE=$BUILD/bench/load_probe
CAPTURE=tests/captures/lab-v4.pcap
# Seconds of load: long enough for a few status snapshots.
LOAD_SECONDS=${LOAD_SECONDS:-10}
# Loops of the capture per sender: more than LOAD_SECONDS can use at
# about 350k packets/s (230 responses a loop), so --duration ends it.
LOOPS=100000
# Sender CPUs, one tcpreplay each.
CPUS=(0 1)
# Waits, each a bound so the script always ends by itself.
LOCK_WAIT_S=180		# another engineer's `run` holding the lock
READY_WAIT_S=30		# `run` loading and attaching
STATUS_WAIT_S=5		# status.json catching up (rewritten every second)
STATUS=/run/fluxguard/status.json
# Own names, apart from the lab's fgl-* and the edge benchmark's.
NS_GEN=fgload-gen-$$
NS_DUT=fgload-dut-$$
GEN_DEV=fgload-tx
DUT_DEV=fgload-rx
GEN_MAC=02:00:c6:12:fa:01
DUT_MAC=02:00:c6:12:fa:02
# Everything on the wire stays inside 198.18.0.0/15 (RFC 2544); the
# capture's resolver and client become the two ends of the pair.
GEN_ADDR=198.18.250.1
DUT_ADDR=198.18.250.2
CAPTURE_RESOLVER=198.18.2.54
CAPTURE_CLIENT=198.18.1.2

die() { echo "load.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (namespaces, XDP)"
for f in "$FG" "$PROBE"; do
	[ -x "$f" ] || die "$f missing: run make"
done
mountpoint -q /sys/fs/bpf || die "bpffs not mounted: run scripts/deps.sh"
for t in tcpreplay tcprewrite tcpdump jq nsenter taskset; do
	command -v "$t" >/dev/null || die "$t missing: run scripts/deps.sh"
done

tmp=$(mktemp -d)
fg_pid=
watch_pid=
gen_pids=()
attached=false

cleanup() {
	local p
	set +e
	for p in "${gen_pids[@]}" $watch_pid; do
		kill "$p" 2>/dev/null
	done
	if [ -n "$fg_pid" ]; then
		kill -TERM "$fg_pid" 2>/dev/null
		wait "$fg_pid" 2>/dev/null
	fi
	# run leaves the program attached and the maps pinned by design.
	if $attached; then
		"$FG" unload --all >/dev/null 2>&1 ||
			echo "load.sh: fluxguard unload --all failed" >&2
	fi
	ip netns del "$NS_GEN" 2>/dev/null
	ip netns del "$NS_DUT" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_gen() { ip netns exec "$NS_GEN" "$@"; }
# nsenter keeps the host's /sys, where the pins live; ip netns exec
# would remount it.
in_dut() { nsenter --net="/run/netns/$NS_DUT" "$@"; }

ip netns add "$NS_GEN"
ip netns add "$NS_DUT"
ip link add "$GEN_DEV" netns "$NS_GEN" address "$GEN_MAC" \
	numtxqueues 2 numrxqueues 2 type veth \
	peer name "$DUT_DEV" netns "$NS_DUT" address "$DUT_MAC" \
	numtxqueues 2 numrxqueues 2
in_gen ip addr add "$GEN_ADDR/24" dev "$GEN_DEV"
in_dut ip addr add "$DUT_ADDR/24" dev "$DUT_DEV"
in_gen ip link set "$GEN_DEV" up
in_dut ip link set "$DUT_DEV" up

# The capture's responses, readdressed to the pair.
tcpdump -r "$CAPTURE" -w "$tmp/responses.pcap" "ip and udp src port 53" \
	2>/dev/null
tcprewrite -i "$tmp/responses.pcap" -o "$tmp/load.pcap" \
	--enet-smac="$GEN_MAC" --enet-dmac="$DUT_MAC" \
	--srcipmap="$CAPTURE_RESOLVER/32:$GEN_ADDR/32" \
	--dstipmap="$CAPTURE_CLIENT/32:$DUT_ADDR/32" --fixcsum

# The lab's settings for the readdressed traffic. Only responses are
# sent, so matching them to queries is off: every response is scored.
cat >"$tmp/load.conf" <<EOF
asn_dir = tests/lab/asn
allow_block_cidr = 198.18.0.0/15
resolver = $GEN_ADDR
never_block = 198.18.250.0/24
query_match = no
EOF

PIN_DIR=/sys/fs/bpf/fluxguard
RETRY_S=5

# Start run once no other instance is loaded: its lock is free and its
# pins are gone. Their pins are theirs to remove; ours go at the end.
start_run() {
	local waited=0 t
	while :; do
		if [ -e "$PIN_DIR" ]; then
			[ "$waited" -lt "$LOCK_WAIT_S" ] ||
				die "$PIN_DIR still holds another instance's" \
					"pins after ${LOCK_WAIT_S}s; not" \
					"touching them"
			echo "load.sh: $PIN_DIR in use; waiting" >&2
			sleep "$RETRY_S"
			waited=$((waited + RETRY_S))
			continue
		fi
		: >"$tmp/run.log"
		# Not through in_dut: $! must be the daemon itself, and
		# nsenter execs it.
		nsenter --net="/run/netns/$NS_DUT" \
			"$FG" run -i "$DUT_DEV" --mode native \
			--config "$tmp/load.conf" --events "$tmp/events.jsonl" \
			-v 2>"$tmp/run.log" &
		fg_pid=$!
		# From here on the pins may be ours: clean them up.
		attached=true
		for ((t = 0; t < READY_WAIT_S * 10; t++)); do
			grep -q "running on" "$tmp/run.log" && return 0
			kill -0 "$fg_pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$fg_pid" 2>/dev/null; then
			cat "$tmp/run.log" >&2
			die "fluxguard run not ready after ${READY_WAIT_S}s"
		fi
		wait "$fg_pid" 2>/dev/null || true
		fg_pid=
		if grep -q "another .fluxguard run. holds" "$tmp/run.log"; then
			# Refused before touching a pin: they are not ours.
			attached=false
			[ "$waited" -lt "$LOCK_WAIT_S" ] ||
				die "another fluxguard run held the lock for" \
					"${LOCK_WAIT_S}s"
			echo "load.sh: another fluxguard run holds the lock;" \
				"waiting" >&2
			sleep "$RETRY_S"
			waited=$((waited + RETRY_S))
			continue
		fi
		cat "$tmp/run.log" >&2
		die "fluxguard run did not start"
	done
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$fg_pid/status"; }
counter() { awk -F= -v k="$2" '$1 == k { print $2 }' "$1"; }
pipe_counter() { jq -r ".counters.$1" "$STATUS"; }
status_pid() { jq -r .pid "$STATUS" 2>/dev/null || echo 0; }

start_run
# The first status snapshot, written a second after start.
for ((t = 0; t < STATUS_WAIT_S * 10; t++)); do
	[ "$(status_pid)" = "$fg_pid" ] && break
	sleep 0.1
done
[ "$(status_pid)" = "$fg_pid" ] || die "no status snapshot from run"
rss_start=$(rss_kb)
# `fluxguard unload --all` refuses while a run holds the lock, but a
# `fluxguard unload -i` or a hand-made rm can still pull the pins.
pins_gone="our pins are gone (removed by hand?); run again"
"$PROBE" stats >"$tmp/stats0" || die "$pins_gone"
events0=$(pipe_counter events)
answers0=$(pipe_counter answers_scored)

# Follows the ring from before the load to the end of the backlog.
"$PROBE" watch >"$tmp/watch" &
watch_pid=$!
for i in "${!CPUS[@]}"; do
	ip netns exec "$NS_GEN" taskset -c "${CPUS[i]}" \
		tcpreplay -i "$GEN_DEV" --topspeed --preload-pcap \
		--loop "$LOOPS" --duration "$LOAD_SECONDS" \
		"$tmp/load.pcap" >"$tmp/gen$i.log" 2>&1 &
	gen_pids+=($!)
done
for p in "${gen_pids[@]}"; do
	wait "$p" || die "tcpreplay failed: $(cat "$tmp"/gen*.log)"
done
gen_pids=()
"$PROBE" stats >"$tmp/stats1" || die "$pins_gone"
kill -USR1 "$watch_pid"
wait "$watch_pid" || die "the ring buffer watch failed"
watch_pid=

pushed=$(($(counter "$tmp/stats1" events) - $(counter "$tmp/stats0" events)))
# The consumer is done with the ring; wait for a snapshot that says so.
for ((t = 0; t < STATUS_WAIT_S * 10; t++)); do
	consumed=$(($(pipe_counter events) - events0))
	[ "$consumed" -ge "$pushed" ] && break
	sleep 0.1
done
[ "$consumed" -ge "$pushed" ] ||
	echo "load.sh: warning: the pipeline received $consumed of the" \
		"$pushed events pushed" >&2
rss_end=$(rss_kb)

delta() {
	echo $(($(counter "$tmp/stats1" "$1") - $(counter "$tmp/stats0" "$1")))
}
packets=$(delta packets)
records=$(delta records)
lost=$(delta ringbuf_full)
delivered=$(($(pipe_counter answers_scored) - answers0))
# tcpreplay's report: "Actual: N packets (B bytes) sent in S seconds"
# and "Rated: ... P pps". Offered is the sum of the senders' rates; the
# program's packets are divided by the longer sender's time.
offered=$(cat "$tmp"/gen*.log |
	awk '/Rated:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^pps/) s += $i }
	     END { printf "%.0f", s }')
sent=$(cat "$tmp"/gen*.log | awk '/Actual:/ { s += $2 } END { print s }')
send_s=$(cat "$tmp"/gen*.log |
	awk '/Actual:/ { for (i = 1; i < NF; i++) if ($i == "in" &&
	     $(i + 1) > m) m = $(i + 1) } END { print m }')
lag_ms=$(counter "$tmp/watch" drain_ms)

echo "load: senders sent $sent packets in ${send_s}s, the program saw" \
	"$packets; events pushed $pushed, consumed $consumed; ring backlog" \
	"peak $(counter "$tmp/watch" peak_backlog_bytes) bytes, at the last" \
	"push $(counter "$tmp/watch" backlog_bytes) bytes; verdicts" \
	"$(pipe_counter verdicts), blocks $(pipe_counter blocks)"
grep -h -E "Actual:|Rated:|Failed" "$tmp"/gen*.log | sed 's/^ */  /'
awk -v n="$packets" -v s="$send_s" -v off="$offered" \
	-v del="$delivered" -v rec="$records" -v lost="$lost" \
	-v lag="$lag_ms" -v r0="$rss_start" -v r1="$rss_end" 'BEGIN {
	seen = n / s
	printf "bench load_pps value=%.0f peer=%.0f ratio=%.2f unit=pps\n",
		seen, off, off ? seen / off : 0
	printf "bench load_records value=%d peer=%d ratio=%.3f " \
		"unit=records\n", del, rec, rec ? del / rec : 0
	printf "bench load_lost value=%d unit=events\n", lost
	printf "bench load_lag_ms value=%s unit=ms\n", lag
	printf "bench load_rss_kb value=%d peer=%d ratio=%.2f unit=kB\n",
		r1, r0, r1 / r0
}'

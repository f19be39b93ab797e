#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Records the DNS traffic that crosses the lab gateway while the client asks
# for every lab name, into small pcaps for replay tests (tests/captures/).
# Brings the lab up, and down again on exit. Usage: record-captures.sh [DIR]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$HERE/lab.sh
# shellcheck source=tests/lab/lab-env.sh
. "$HERE/lab-env.sh"
OUT=${1:-$HERE/../captures}

# Long enough for several flux rotations through the resolver's cache
# (TTL 5 s) and a few benign TTL expiries; short enough for small files.
CAPTURE_SECONDS=30
# One round of queries per second: about 300 exchanges per file.
ROUND_SECONDS=1
# Each file must stay small enough to keep in the repository.
MAX_BYTES=$((300 * 1024))

# What the client asks in each round, over each transport.
QUERIES=(
	"A $LAB_FLUX_V4"
	"AAAA $LAB_FLUX_V6"
	"NS $LAB_DBL_FLUX"
	"A $LAB_DBL_FLUX_WWW"
	"A $LAB_BENIGN_CDN"
	"AAAA $LAB_BENIGN_CDN"
	"A $LAB_BENIGN_RR"
	"A $LAB_BENIGN_STATIC"
	"AAAA $LAB_BENIGN_STATIC"
	"A $LAB_BENIGN_LB"
)

die() { echo "record-captures: $*" >&2; exit 1; }

for t in tcpdump editcap tshark kdig; do
	command -v "$t" >/dev/null || die "missing $t: run scripts/deps.sh"
done

work=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	"$LAB" down >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$LAB" up

# capture FILTER FILE: tcpdump on the gateway's world side, full frames,
# as root so it can write where it is told.
capture() {
	ip netns exec "$LAB_NS_GW" tcpdump -i "$LAB_GW_OUT" -s 0 -U -Z root \
		-w "$2" "$1" 2>"$2.log" &
	pids+=("$!")
}

capture "ip and udp port 53" "$work/lab-v4.pcap"
capture "ip6 and udp port 53" "$work/lab-v6.pcap"
# tcpdump says "listening on" once its socket is open.
for ((i = 0; i < 50; i++)); do
	[ "$(cat "$work"/*.log | grep -c listening)" -ge 2 ] && break
	sleep 0.1
done

end=$((SECONDS + CAPTURE_SECONDS))
while [ "$SECONDS" -lt "$end" ]; do
	for q in "${QUERIES[@]}"; do
		read -r type name <<<"$q"
		for server in "$LAB_RESOLVER4" "$LAB_RESOLVER6"; do
			ip netns exec "$LAB_NS_CLIENT" kdig @"$server" +timeout=1 \
				+retry=0 "$name" "$type" >/dev/null 2>&1 ||
				echo "record-captures: no answer to $type $name" \
					"from $server at ${SECONDS}s" >&2
		done
	done
	sleep "$ROUND_SECONDS"
done

# Let the last answers arrive, then let tcpdump flush and exit.
sleep 0.5
for p in "${pids[@]}"; do
	kill -TERM "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
done
pids=()

mkdir -p "$OUT"
cp "$work/lab-v4.pcap" "$work/lab-v6.pcap" "$OUT/"
editcap -F pcapng "$OUT/lab-v4.pcap" "$OUT/lab-v4.pcapng"

for f in lab-v4.pcap lab-v6.pcap lab-v4.pcapng; do
	size=$(stat -c %s "$OUT/$f")
	[ "$size" -le "$MAX_BYTES" ] || die "$f is $size bytes, over $MAX_BYTES"
	echo "== $f: $size bytes, $(tshark -r "$OUT/$f" 2>/dev/null | wc -l) packets"
	# Per question: responses, and distinct addresses and NS names seen.
	tshark -r "$OUT/$f" -Y "dns.flags.response == 1" -T fields \
		-E 'separator=;' -e dns.qry.name -e dns.qry.type -e dns.a \
		-e dns.aaaa -e dns.ns 2>/dev/null |
		awk -F';' '{
			q = $1 " " ($2 == 1 ? "A" : $2 == 28 ? "AAAA" : $2 == 2 ? "NS" : $2)
			n[q]++
			for (i = 3; i <= 5; i++) {
				m = split($i, v, ",")
				for (j = 1; j <= m; j++)
					if (!((q, v[j]) in seen)) { seen[q, v[j]] = 1; d[q]++ }
			}
		}
		END {
			for (q in n)
				printf "  %-26s %3d responses, %3d distinct rdata\n", q, n[q], d[q]
		}' | sort
done

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Replay throughput: builds a capture of about 100k frames from shifted
# copies of the lab captures, then times `fluxguard replay` on it against
# tshark extracting the same DNS fields from the same file, interleaved.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FG=$BUILD/fluxguard
CONF=tests/lab/fluxguard-lab.conf
CAPS=(tests/captures/lab-v4.pcap tests/captures/lab-v6.pcap)
# Copies of the v4+v6 pair (920 frames each): 108 copies make 99,360 frames.
COPIES=${REPLAY_COPIES:-108}
# Seconds between copies: more than the pair's 28.8 s, so the capture clock
# only moves forward and each copy sees the scorer's windows as a new
# half-minute of the same lab.
SHIFT_S=30
# Timed runs of each tool, interleaved so drift hits both; odd, so the
# median is one run.
RUNS=${REPLAY_RUNS:-3}
# The fields a DNS pipeline needs from each response.
TSHARK_FIELDS=(-e dns.qry.name -e dns.a -e dns.aaaa -e dns.resp.ttl)

die() { echo "replay.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (replay loads the XDP object)"
[ -x "$FG" ] || die "$FG missing: run make first"
for t in editcap mergecap capinfos tshark; do
	command -v "$t" >/dev/null || die "$t missing: run scripts/deps.sh"
done
if [ $((RUNS % 2)) != 1 ] || [ "$RUNS" -lt 3 ]; then
	die "REPLAY_RUNS must be odd and at least 3"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mergecap -F pcap -w "$tmp/pair.pcap" "${CAPS[@]}"
copies=()
for ((i = 0; i < COPIES; i++)); do
	copies+=("$tmp/copy$i.pcap")
	editcap -F pcap -t $((i * SHIFT_S)) "$tmp/pair.pcap" "${copies[i]}"
done
big=$tmp/big.pcap
mergecap -F pcap -a -w "$big" "${copies[@]}"
rm -f "${copies[@]}"
frames=$(capinfos -M -c -T "$big" | awk -F'\t' 'NR == 2 { print $2 }')
[ "${frames:-0}" -gt 0 ] || die "cannot count the frames of $big"

now_ns() { date +%s%N; }

# Each prints the elapsed milliseconds of one run.
run_fluxguard() {
	local t0 t1
	t0=$(now_ns)
	"$FG" replay "$big" --config "$CONF" --events /dev/null \
		2>"$tmp/fg.err" || { cat "$tmp/fg.err" >&2; die "replay failed"; }
	t1=$(now_ns)
	# Every frame must have gone through the program.
	grep -q "^  frames  *$frames\$" "$tmp/fg.err" ||
		{ cat "$tmp/fg.err" >&2; die "replay saw another frame count"; }
	echo $(((t1 - t0) / 1000000))
}

run_tshark() {
	local t0 t1
	t0=$(now_ns)
	tshark -r "$big" -T fields "${TSHARK_FIELDS[@]}" >/dev/null \
		2>"$tmp/ts.err" || { cat "$tmp/ts.err" >&2; die "tshark failed"; }
	t1=$(now_ns)
	echo $(((t1 - t0) / 1000000))
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

fg_ms=()
ts_ms=()
for ((i = 0; i < RUNS; i++)); do
	fg_ms+=("$(run_fluxguard)")
	ts_ms+=("$(run_tshark)")
done
fg=$(median "${fg_ms[@]}")
ts=$(median "${ts_ms[@]}")
echo "replay: $frames frames; fluxguard ms: ${fg_ms[*]}; tshark ms: ${ts_ms[*]}"
sed -n '/^replay summary/,$p' "$tmp/fg.err"
awk -v n="$frames" -v a="$fg" -v b="$ts" 'BEGIN {
	fps = n / (a / 1000); peer = n / (b / 1000)
	printf "bench replay fps=%.0f peer_fps=%.0f ratio=%.2f\n",
		fps, peer, fps / peer
}'

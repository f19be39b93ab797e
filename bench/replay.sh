#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Replay throughput: builds a capture of about 100k frames from shifted
# copies of the lab captures, then times `fluxguard replay` on it against
# tshark extracting the same DNS fields from the same file, interleaved.
# Wall time is the figure asked for; CPU time (user+sys) is printed
# beside it because it holds better on a shared machine.
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

# Runs a command with stdout discarded and stderr in $tmp/err; prints
# "wall_s cpu_s" (bash's time: real, and user + sys).
TIMEFORMAT='%R %U %S'
timed() {
	local t
	t=$({ time "$@" >/dev/null 2>"$tmp/err"; } 2>&1) ||
		{ cat "$tmp/err" >&2; die "$1 failed"; }
	awk '{ printf "%s %.3f\n", $1, $2 + $3 }' <<<"$t"
}

run_fluxguard() {
	timed "$FG" replay "$big" --config "$CONF" --events /dev/null
	# Every frame must have gone through the program.
	grep -q "^  frames  *$frames\$" "$tmp/err" ||
		{ cat "$tmp/err" >&2; die "replay saw another frame count"; }
	cp "$tmp/err" "$tmp/summary"
}

run_tshark() {
	timed tshark -r "$big" -T fields "${TSHARK_FIELDS[@]}"
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

fg_wall=() fg_cpu=() ts_wall=() ts_cpu=()
for ((i = 0; i < RUNS; i++)); do
	# Plain substitutions: each run ends (or fails) before the next.
	r=$(run_fluxguard)
	read -r w c <<<"$r"
	fg_wall+=("$w") fg_cpu+=("$c")
	r=$(run_tshark)
	read -r w c <<<"$r"
	ts_wall+=("$w") ts_cpu+=("$c")
done
echo "replay: $frames frames"
echo "  fluxguard wall s: ${fg_wall[*]}; cpu s: ${fg_cpu[*]}"
echo "  tshark    wall s: ${ts_wall[*]}; cpu s: ${ts_cpu[*]}"
sed -n '/^replay summary/,$p' "$tmp/summary"
figure() {
	awk -v name="$1" -v n="$frames" -v a="$2" -v b="$3" 'BEGIN {
		printf "bench %s fps=%.0f peer_fps=%.0f ratio=%.2f\n",
			name, n / a, n / b, b / a
	}'
}
figure replay "$(median "${fg_wall[@]}")" "$(median "${ts_wall[@]}")"
# Frames per CPU second: the same comparison, less sensitive to others
# sharing the cores.
figure replay_cpu "$(median "${fg_cpu[@]}")" "$(median "${ts_cpu[@]}")"

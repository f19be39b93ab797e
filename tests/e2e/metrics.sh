#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The Prometheus endpoint and the textfile, scraped with curl on a veth
# pair between two namespaces of its own: the exposition parses (every
# sample line is `name{labels} value`, every family has HELP and TYPE,
# counters end in _total), counters rise with traffic, block gauges follow
# blocks, and bad requests get an error without stopping the server.
# No pipefail: checks pipe into `grep -q`, which may close the pipe early.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NS_A=fgm-a
NS_B=fgm-b   # fluxguard runs here and serves metrics on its address
IF_A=fgm-a0
IF_B=fgm-b0
A4=198.18.53.1
B4=198.18.53.2
LISTEN=$B4:9712
URL=http://$LISTEN/metrics
work=$(mktemp -d)
fg_pid=
started=

cleanup() {
	[ -n "$fg_pid" ] && kill "$fg_pid" 2>/dev/null
	wait 2>/dev/null
	# Only what this script loaded: another run may own the pins.
	[ -n "$started" ] && "$FLUXGUARD" unload --all >/dev/null 2>&1
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { nsenter --net="/run/netns/$NS_B" "$@"; }
fg() { in_b "$FLUXGUARD" "$@"; }
scrape() { in_b curl -sf --max-time 3 "$URL"; }
# value NAME{LABELS}: the sample's value in a fresh scrape.
value() { scrape | awk -v k="$1" '$1 == k { print $2 }'; }

# The text format 0.0.4, as far as a line-by-line check goes.
valid_exposition() {
	awk '
	/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* ./ { help[$3] = 1; next }
	/^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|untyped)$/ {
		type[$3] = $4; next }
	/^#/ { print "bad comment: " $0; bad = 1; next }
	BEGIN {
		name_re = "[a-zA-Z_:][a-zA-Z0-9_:]*"
		label_re = "[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\""
		value_re = "[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?"
		sample_re = "^" name_re "(\\{" label_re "(," label_re ")*\\})? " \
			    value_re "$"
	}
	{
		if ($0 !~ sample_re) {
			print "bad sample: " $0; bad = 1; next
		}
		name = $1; sub(/\{.*/, "", name)
		if (!(name in type) || !(name in help)) {
			print "no HELP/TYPE before: " name; bad = 1
		}
		if (type[name] == "counter" && name !~ /_total$/) {
			print "counter without _total: " name; bad = 1
		}
		n++
	}
	END { if (n < 20) { print "only " n " samples"; bad = 1 } exit bad }
	' "$1"
}

ip netns add "$NS_A"
ip netns add "$NS_B"
ip -n "$NS_A" link add "$IF_A" type veth peer name "$IF_B" netns "$NS_B"
ip -n "$NS_A" addr add "$A4/24" dev "$IF_A"
ip -n "$NS_B" addr add "$B4/24" dev "$IF_B"
ip -n "$NS_A" link set "$IF_A" up
ip -n "$NS_B" link set "$IF_B" up
# Local delivery to its own address goes through lo.
ip -n "$NS_B" link set lo up
wait_for 5 in_a ping -c1 -W1 "$B4" >/dev/null

cat >"$work/fg.conf" <<EOF
asn_dir = $TOP/tests/lab/asn
allow_block_cidr = 198.18.0.0/15
metrics_file = $work/fluxguard.prom
EOF

# One `fluxguard run` per machine (one lock, one pin directory).
wait_for 30 flock -n /run/fluxguard.lock true ||
	echo "# another fluxguard run holds /run/fluxguard.lock"
fg run -i "$IF_B" --metrics 999.1.1.1:80 >"$work/out" 2>&1
result $(($? == 1 ? 0 : 1)) "a bad --metrics address fails (exit 1)"
check "and says what is wrong" grep -q "is not ADDR:PORT" "$work/out"

(exec nsenter --net="/run/netns/$NS_B" "$FLUXGUARD" run -i "$IF_B" \
	--config "$work/fg.conf" --metrics "$LISTEN" 2>"$work/run.log") &
fg_pid=$!
wait_for 10 grep -q "running on" "$work/run.log" && started=1
result $((started ? 0 : 1)) "run serves metrics on $LISTEN"

in_b curl -s -D "$work/headers" -o "$work/m1" --max-time 3 "$URL"
result $? "curl scrapes /metrics"
check "HTTP/1.0 200" grep -q "^HTTP/1.0 200" "$work/headers"
check "content type of the text format 0.0.4" \
	grep -qi "^Content-Type: text/plain; version=0.0.4" "$work/headers"
check "every line of the exposition parses" valid_exposition "$work/m1"
for m in fluxguard_dataplane_packets_total \
	'fluxguard_dataplane_malformed_total{fault="ptr_fwd"}' \
	fluxguard_pipeline_events_total fluxguard_scorer_domains \
	'fluxguard_blocks_active{kind="ipv4",reason="manual"}' \
	fluxguard_scorer_verdicts_total; do
	check "has $m" grep -qF "$m " "$work/m1"
done

p1=$(value fluxguard_dataplane_packets_total)
in_a ping -c5 -i0.2 -W1 "$B4" >/dev/null
p2=$(value fluxguard_dataplane_packets_total)
check "packets_total rises with traffic ($p1 -> $p2)" \
	test "${p2:-0}" -ge "$((${p1:-0} + 5))"

b1=$(value 'fluxguard_blocks_active{kind="ipv4",reason="manual"}')
fg block 198.18.53.9 --for 60s >/dev/null
fg block --domain m.flux.test --for 60s >/dev/null
b2=$(value 'fluxguard_blocks_active{kind="ipv4",reason="manual"}')
n2=$(value 'fluxguard_blocks_active{kind="name",reason="manual"}')
check "an address block shows in blocks_active ($b1 -> $b2)" \
	test "$b1" = 0 -a "$b2" = 1
check "a domain rule shows in blocks_active ($n2)" test "$n2" = 1

code=$(in_b curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
	"http://$LISTEN/nope")
check "another path is 404 ($code)" test "$code" = 404
code=$(in_b curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
	-X POST "$URL")
check "POST is 405 ($code)" test "$code" = 405
code=$(in_b curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
	-H "X-Filler: $(head -c 6000 /dev/zero | tr '\0' a)" "$URL")
check "an oversized request is refused ($code)" test "$code" = 400
# A client that connects and says nothing holds the loop at most briefly.
in_b bash -c "exec 3<>/dev/tcp/${LISTEN%:*}/${LISTEN#*:}; sleep 2" &
sleep 0.5
check "a silent client does not stop the next scrape" eval \
	"scrape | grep -q fluxguard_dataplane_packets_total"
wait $!

wait_for 8 test -s "$work/fluxguard.prom"
result $? "metrics_file is written"
check "the file parses too" valid_exposition "$work/fluxguard.prom"
check "no temporary file is left beside it" \
	test -s "$work/fluxguard.prom" -a ! -e "$work/fluxguard.prom.tmp"

[ "$tap_failed" = 0 ]

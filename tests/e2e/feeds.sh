#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Feeds, domain rules, export and import on a veth pair between two
# namespaces of its own: feed names are sinkholed and feed addresses
# dropped, the never-block policy refuses feed entries, a changed file or
# SIGHUP brings the maps in step without losing hit counters, entries
# expire at their own time; block/unblock --domain; export in three
# formats; import of a peer's CSV.
# No pipefail: checks pipe into `grep -q`, which may close the pipe early.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NS_A=fgf-a   # sends DNS answers and pings
NS_B=fgf-b   # receives; fluxguard attaches to its interface
IF_A=fgf-a0
IF_B=fgf-b0
A4=198.18.52.1
B4=198.18.52.2
A6=fd00:52::1
B6=fd00:52::2
FEED_ADDR=198.18.52.77     # blocked by the feed
KEPT_ADDR=198.18.52.99     # in the feed, but never_block
PORT=5353
DNSMSG=$E2E_DIR/dnsmsg.py
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
ping6() { in_a ping -6 -c1 -W1 "$B6" >/dev/null 2>&1; }
ping4() { in_a ping -c1 -W1 "$B4" >/dev/null 2>&1; }
listed() { fg list | grep -E "^$1 " | grep -q "$2"; }
# A failing list must not read as "not listed".
not_listed() { fg list >"$work/list" && ! grep -qE "^$1 " "$work/list"; }
# rewrites NAME: the REWRITES column of its domain rule.
rewrites() { fg list | awk -v n="$1" '$1 == n { print $NF }'; }

# answer NAME ADDR: what B receives when A answers NAME with ADDR.
answer() {
	in_b python3 "$DNSMSG" recv "$B4" "$PORT" >"$work/got" 2>&1 &
	local rp=$!
	sleep 0.3
	in_a python3 "$DNSMSG" send "$A4" "$B4" "$PORT" "$1" "$2"
	wait "$rp"
	cat "$work/got"
}

ip netns add "$NS_A"
ip netns add "$NS_B"
ip -n "$NS_A" link add "$IF_A" type veth peer name "$IF_B" netns "$NS_B"
ip -n "$NS_A" addr add "$A4/24" dev "$IF_A"
ip -n "$NS_B" addr add "$B4/24" dev "$IF_B"
ip -n "$NS_A" addr add "$A6/64" dev "$IF_A" nodad
ip -n "$NS_B" addr add "$B6/64" dev "$IF_B" nodad
ip -n "$NS_A" link set "$IF_A" up
ip -n "$NS_B" link set "$IF_B" up
wait_for 5 ping6

now=$(date +%s)
cat >"$work/fg.conf" <<EOF
asn_dir = $TOP/tests/lab/asn
allow_block_cidr = 198.18.0.0/15
allow_block_cidr = fd00::/8
never_block = $KEPT_ADDR
feed = $work/names.txt
EOF
cat >"$work/names.txt" <<EOF
# names and addresses, one a line
evil.feed.test
gone.feed.test
short.feed.test expires=$((now + 6))
$FEED_ADDR
$KEPT_ADDR
$A6
not a valid line
EOF
cat >"$work/hosts.txt" <<EOF
0.0.0.0 hosts.feed.test
127.0.0.1 localhost
EOF

# One `fluxguard run` per machine (one lock, one pin directory).
wait_for 30 flock -n /run/fluxguard.lock true ||
	echo "# another fluxguard run holds /run/fluxguard.lock"
(exec nsenter --net="/run/netns/$NS_B" "$FLUXGUARD" run -i "$IF_B" \
	--config "$work/fg.conf" --feed "$work/hosts.txt" -v \
	2>"$work/run.log") &
fg_pid=$!
wait_for 10 grep -q "running on" "$work/run.log" && started=1
result $((started ? 0 : 1)) "run starts with a config feed and a --feed"

check "a feed name is a domain rule (reason feed)" listed evil.feed.test feed
check "a hosts-file name is a domain rule" listed hosts.feed.test feed
check "a feed address is blocked (reason feed)" listed "$FEED_ADDR" feed
check "a never_block address in a feed is refused" not_listed "$KEPT_ADDR"
check "the refusal is counted in the log" \
	grep -q "1 refused by the never-block policy" "$work/run.log"
check "a malformed line is reported FILE:LINE and skipped" \
	grep -q "$work/names.txt:8: unexpected 'valid'" "$work/run.log"
check "traffic from a feed address (IPv6) is dropped" eval "! ping6"
check "other traffic passes" ping4

got=$(answer evil.feed.test 198.18.60.10)
check "an answer for a feed name arrives sinkholed ($got)" \
	test "$got" = "evil.feed.test 0.0.0.0"
got=$(answer fine.feed.test 198.18.60.11)
check "an answer for another name arrives untouched ($got)" \
	test "$got" = "fine.feed.test 198.18.60.11"
before=$(rewrites evil.feed.test)
check "the rule counted the rewrite ($before)" test "${before:-0}" -gt 0

# A changed file (mtime) is picked up within a tick or two.
sed -i 's/^gone.feed.test$/new.feed.test/' "$work/names.txt"
wait_for 5 listed new.feed.test feed
result $? "a name added to the file is blocked without a restart"
check "a name gone from the file is unblocked" not_listed gone.feed.test
check "a kept entry keeps its hit counter" \
	test "$(rewrites evil.feed.test)" -ge "${before:-1}"
# One removed, or two when short.feed.test expired first.
wait_for 3 grep -qE "feeds reloaded: 1 added, [12] removed" "$work/run.log"
result $? "the reload is logged"

# SIGHUP reloads even when the mtime says nothing changed.
cp -p "$work/names.txt" "$work/ref"
sed -i 's/^new.feed.test$/hup.feed.test/' "$work/names.txt"
touch -r "$work/ref" "$work/names.txt"
sleep 2
check "without SIGHUP an unchanged mtime and size reload nothing" \
	listed new.feed.test feed
kill -HUP "$fg_pid"
wait_for 5 listed hup.feed.test feed
result $? "SIGHUP reloads the feeds"
check "run survives SIGHUP" kill -0 "$fg_pid"

wait_for 10 not_listed short.feed.test
result $? "an entry expires at its own expiry"

# Domain rules by hand.
check "block --domain" fg block --domain manual.flux.test --for 60s \
	--reason "ticket text"
check "list shows the manual domain rule" listed manual.flux.test manual
check "unblock --domain" fg unblock --domain manual.flux.test
check "the rule is gone" not_listed manual.flux.test
fg unblock --domain manual.flux.test >"$work/out" 2>&1
result $(($? == 1 ? 0 : 1)) "unblock --domain of a missing rule fails (exit 1)"
check "and says so" grep -q "no such domain rule" "$work/out"
fg block --domain "bad..name" >/dev/null 2>&1
result $(($? == 2 ? 0 : 1)) "block --domain of a non-name is a usage error"
fg block --domain x.test 198.18.52.5 >/dev/null 2>&1
result $(($? == 2 ? 0 : 1)) "block --domain with an address too is a usage error"

# Export: every format holds the feed name and address.
for f in csv stix rpz; do
	check "export --format $f" fg export --format "$f" --output "$work/out.$f"
done
check "CSV: header and a feed name" eval "head -1 $work/out.csv | grep -qx \
	'type,value,domain,reason,score,created,expires' && grep -q \
	'^domain,evil.feed.test,evil.feed.test,feed,' $work/out.csv"
check "CSV: the feed address" grep -q "^ipv4,$FEED_ADDR,feed,feed," \
	"$work/out.csv"
check "STIX: a bundle of indicators that jq parses" \
	eval "jq -e '.type == \"bundle\" and ([.objects[].type] | unique) == \
	[\"indicator\"]' $work/out.stix >/dev/null"
check "STIX: the domain pattern" eval "jq -e '.objects[] | select(.pattern \
	== \"[domain-name:value = '\"'evil.feed.test'\"']\")' $work/out.stix \
	>/dev/null"
check "STIX: the IPv6 pattern" grep -q "ipv6-addr:value = '$A6'" \
	"$work/out.stix"
check "RPZ: the feed name" grep -qx "evil.feed.test CNAME ." "$work/out.rpz"
check "RPZ: the rpz-ip owner of the feed address" \
	grep -qx "32.77.52.18.198.rpz-ip CNAME ." "$work/out.rpz"
fg export >/dev/null 2>&1
result $(($? == 2 ? 0 : 1)) "export without --format is a usage error"

# Import a peer's CSV; the policy of the config applies.
cat >"$work/peer.csv" <<EOF
type,value,domain,reason,score,created,expires
domain,peer.flux.test,peer.flux.test,single_flux,70.0,2026-01-01T00:00:00Z,
ipv4,198.18.52.88,peer.flux.test,single_flux,70.0,2026-01-01T00:00:00Z,
ipv4,$KEPT_ADDR,peer.flux.test,single_flux,70.0,2026-01-01T00:00:00Z,
EOF
fg import "$work/peer.csv" --config "$work/fg.conf" >"$work/out" 2>&1
result $? "import a peer's CSV"
check "import reports what it did" grep -q \
	"imported 1 names and 1 addresses or prefixes; 1 refused" "$work/out"
check "the imported name is a rule (reason import)" \
	listed peer.flux.test import
check "the imported address is blocked (reason import)" \
	listed 198.18.52.88 import
check "an imported never_block address is refused" not_listed "$KEPT_ADDR"
cp "$work/out.rpz" "$work/again.rpz"
fg unblock --domain evil.feed.test >/dev/null
fg import "$work/again.rpz" --config "$work/fg.conf" >"$work/out" 2>&1
check "import reads an RPZ export back" listed evil.feed.test import
fg import "$work/nope.csv" >"$work/out" 2>&1
result $(($? == 1 ? 0 : 1)) "import of a missing file fails (exit 1)"

check "--help of export and import" eval "fg export --help | grep -q \
	'Usage: fluxguard export' && fg import --help | grep -q \
	'Usage: fluxguard import'"

[ "$tap_failed" = 0 ]

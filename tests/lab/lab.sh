#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The namespace lab: a client, a gateway for fluxguard and a small "world"
# with real DNS servers (knotd, unbound) serving fast-flux and benign zones
# that a background rotator changes every second. See tests/lab/README.md.
# Address lists are passed as words on purpose, and zone files hold
# literal $ORIGIN lines.
# shellcheck disable=SC2046,SC2086,SC2016
set -euo pipefail

# shellcheck source=tests/lab/lab-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"

usage() {
	cat <<EOF
usage: lab.sh COMMAND
  up            build the namespaces, start the DNS servers, the TCP
                listeners and the rotator (does nothing if already up)
  down          stop everything the lab started, delete its namespaces
  status        show what runs; exit 1 if some part is missing
  rotate-start  start the rotator (up does this)
  rotate-stop   stop the rotator; answers then stay as they are
  asn           rewrite the lab's ASN tables in $LAB_ASN_DIR
EOF
}

S=$LAB_STATE_DIR
AUTH_DIR=$S/knot-auth # knotd for ., test. and every child but dbl-flux
DBL_DIR=$S/knot-dbl   # knotd for dbl-flux.test, on the rotating glue
UNBOUND_DIR=$S/unbound
DBL_CUR=$S/dbl-ns.cur # current double flux NS set: "index glue" per line

# Zones other than dbl-flux.test, all served by the first knotd.
AUTH_ZONES=". test. evil-flux.test. evil6-flux.test. cdn-good.test.
	cdnprov-good.test. rr-good.test. static-good.test. lb-good.test."

# Stable TTLs of the scaffolding: the root and the lab's own name server.
INFRA_TTL=3600
# SOA minimum: negative answers are cached no longer than a flux TTL, so a
# name that a rotation brings in (a new NS name) is seen within that time.
NEG_TTL=$LAB_FLUX_TTL
# Largest TTL the resolver keeps: above every lab TTL, so clients (and the
# gateway) see the TTLs the zones set; rotations are followed as soon as
# each record's own TTL runs out.
RESOLVER_MAX_TTL=$LAB_STATIC_TTL
# How long to wait for a server to answer after start (tenths of a second).
READY_TENTHS=50
# How long a process gets to exit on SIGTERM before SIGKILL (tenths).
STOP_TENTHS=30

die() { echo "lab: $*" >&2; exit 1; }
log() { echo "lab: $*"; }

in_ns() { ip netns exec "$@"; }

ns_exists() { [ -e "/run/netns/$1" ]; }

need_tools() {
	local t missing=()
	for t in ip knotd knotc kdig unbound unbound-checkconf socat nc ethtool \
		shuf; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	[ ${#missing[@]} -eq 0 ] ||
		die "missing ${missing[*]}: run scripts/deps.sh"
	[ "$(id -u)" = 0 ] || die "run as root (it creates network namespaces)"
}

# ---------------------------------------------------------------- network

make_ns() {
	local ns=$1
	ns_exists "$ns" || ip netns add "$ns"
	ip -n "$ns" link set lo up
	# Duplicate address detection would hold IPv6 addresses back for a
	# second or two; nothing else owns these addresses.
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

# make_veth NS_A IF_A NS_B IF_B: a veth pair between two namespaces.
make_veth() {
	ip -n "$1" link show "$2" >/dev/null 2>&1 ||
		ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
}

# Real wire-size frames with filled-in checksums: without this a veth
# passes 64 KB TSO segments and UDP/TCP checksums left to an offload that
# never happens, which XDP programs and captures would then see.
plain_frames() {
	in_ns "$1" ethtool -K "$2" tx off tso off gso off >/dev/null 2>&1 ||
		log "warning: could not turn off offloads on $2 in $1"
	ip -n "$1" link set "$2" up
}

# The kernel reports carrier changes up to a second late, and IPv6 does
# not answer neighbour solicitations for an address until it has seen the
# carrier: wait for it, or the first IPv6 query after up may be lost.
wait_oper_up() {
	local n
	for ((n = 0; n < READY_TENTHS; n++)); do
		ip -n "$1" -o link show dev "$2" | grep -q 'state UP' && return 0
		sleep 0.1
	done
	die "$2 in $1 has no carrier"
}

addr4() { ip -n "$1" addr replace "$3" dev "$2"; }
addr6() { ip -n "$1" -6 addr replace "$3" dev "$2" nodad; }

build_network() {
	local ns
	for ns in "$LAB_NS_CLIENT" "$LAB_NS_GW" "$LAB_NS_WORLD"; do
		make_ns "$ns"
	done
	make_veth "$LAB_NS_GW" "$LAB_GW_IN" "$LAB_NS_CLIENT" "$LAB_CLIENT_IF"
	make_veth "$LAB_NS_GW" "$LAB_GW_OUT" "$LAB_NS_WORLD" "$LAB_WORLD_IF"

	addr4 "$LAB_NS_CLIENT" "$LAB_CLIENT_IF" "$LAB_CLIENT4/24"
	addr6 "$LAB_NS_CLIENT" "$LAB_CLIENT_IF" "$LAB_CLIENT6/64"
	addr4 "$LAB_NS_GW" "$LAB_GW_IN" "$LAB_GW_IN4/24"
	addr6 "$LAB_NS_GW" "$LAB_GW_IN" "$LAB_GW_IN6/64"
	addr4 "$LAB_NS_GW" "$LAB_GW_OUT" "$LAB_GW_OUT4/24"
	addr6 "$LAB_NS_GW" "$LAB_GW_OUT" "$LAB_GW_OUT6/64"
	local a
	for a in "$LAB_WORLD4" "$LAB_AUTH4" "$LAB_RESOLVER4"; do
		addr4 "$LAB_NS_WORLD" "$LAB_WORLD_IF" "$a/24"
	done
	for a in "$LAB_WORLD6" "$LAB_AUTH6" "$LAB_RESOLVER6"; do
		addr6 "$LAB_NS_WORLD" "$LAB_WORLD_IF" "$a/64"
	done

	plain_frames "$LAB_NS_CLIENT" "$LAB_CLIENT_IF"
	plain_frames "$LAB_NS_GW" "$LAB_GW_IN"
	plain_frames "$LAB_NS_GW" "$LAB_GW_OUT"
	plain_frames "$LAB_NS_WORLD" "$LAB_WORLD_IF"

	in_ns "$LAB_NS_GW" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1

	wait_oper_up "$LAB_NS_CLIENT" "$LAB_CLIENT_IF"
	wait_oper_up "$LAB_NS_GW" "$LAB_GW_IN"
	wait_oper_up "$LAB_NS_GW" "$LAB_GW_OUT"
	wait_oper_up "$LAB_NS_WORLD" "$LAB_WORLD_IF"

	ip -n "$LAB_NS_CLIENT" route replace default via "$LAB_GW_IN4"
	ip -n "$LAB_NS_CLIENT" -6 route replace default via "$LAB_GW_IN6"
	# The gateway sends everything that is not the client's to the world;
	# the world has no default route, so nothing leaves the lab.
	ip -n "$LAB_NS_GW" route replace default via "$LAB_WORLD4"
	ip -n "$LAB_NS_GW" -6 route replace default via "$LAB_WORLD6"
	ip -n "$LAB_NS_WORLD" route replace "$LAB_CLIENT_NET4" via "$LAB_GW_OUT4"
	ip -n "$LAB_NS_WORLD" -6 route replace "$LAB_CLIENT_NET6" via "$LAB_GW_OUT6"
	# AnyIP: the world owns these ranges whole, so every flux or benign
	# address in a zone exists and answers without one address per host.
	ip -n "$LAB_NS_WORLD" route replace local "$LAB_FLUX_RANGE4" dev lo
	ip -n "$LAB_NS_WORLD" route replace local "$LAB_BENIGN_RANGE4" dev lo
	ip -n "$LAB_NS_WORLD" -6 route replace local "$LAB_FLUX_RANGE6" dev lo
	ip -n "$LAB_NS_WORLD" -6 route replace local "$LAB_BENIGN_RANGE6" dev lo
}

# ---------------------------------------------------------------- pools

# pick N FIRST LAST: N distinct integers from FIRST..LAST, random order.
pick() { shuf -n "$1" -i "$2-$3"; }

flux_set4() {
	local i
	for i in $(pick "$LAB_FLUX_PER_ANSWER" 0 $((LAB_FLUX_POOL_SIZE - 1))); do
		lab_flux_addr4 "$i"
	done
}

flux_set6() {
	local i
	for i in $(pick "$LAB_FLUX_PER_ANSWER" 0 $((LAB_FLUX_POOL_SIZE - 1))); do
		lab_flux_addr6 "$i"
	done
}

cdn_set4() {
	local i
	for i in $(pick "$LAB_CDN_PER_ANSWER" 10 $((10 + LAB_CDN_POOL_SIZE - 1))); do
		echo "198.18.100.$i"
	done
}

cdn_set6() {
	local i
	for i in $(pick "$LAB_CDN_PER_ANSWER" 10 $((10 + LAB_CDN_POOL_SIZE - 1))); do
		echo "fd00:100::$i"
	done
}

lb_set4() {
	local i
	for i in $(pick "$LAB_LB_PER_ANSWER" 10 $((10 + LAB_LB_POOL_SIZE - 1))); do
		echo "198.18.103.$i"
	done
}

lb_set6() {
	local i
	for i in $(pick "$LAB_LB_PER_ANSWER" 10 $((10 + LAB_LB_POOL_SIZE - 1))); do
		echo "fd00:103::$i"
	done
}

# A new double flux NS set: "name-index glue-address" per line, names and
# glue both drawn at random, so a name moves to another address too.
dbl_ns_set() {
	paste -d' ' \
		<(pick "$LAB_DBL_NS_PER_SET" 1 "$LAB_DBL_NS_NAMES") \
		<(pick "$LAB_DBL_NS_PER_SET" 0 $((LAB_DBL_GLUE_POOL_SIZE - 1)) |
			while read -r i; do lab_dbl_glue_addr4 "$i"; done)
}

# rrs OWNER TTL TYPE ADDR...: zone file lines.
rrs() {
	local owner=$1 ttl=$2 type=$3 a
	shift 3
	for a in "$@"; do
		echo "$owner $ttl $type $a"
	done
}

# ---------------------------------------------------------------- zones

soa() {
	echo "@ $INFRA_TTL SOA ns1.test. hostmaster.test. 1 3600 600 86400 $NEG_TTL"
}

write_zones() {
	local z=$AUTH_DIR/zones d=$DBL_DIR/zones name idx addr
	mkdir -p "$z" "$d"
	dbl_ns_set >"$DBL_CUR"

	# The root only points at test., so the resolver never looks further.
	{
		echo '$ORIGIN .'
		soa
		echo "@ $INFRA_TTL NS ns1.test."
		echo "test. $INFRA_TTL NS ns1.test."
		echo "ns1.test. $INFRA_TTL A $LAB_AUTH4"
		echo "ns1.test. $INFRA_TTL AAAA $LAB_AUTH6"
	} >"$z/root.zone"

	{
		echo '$ORIGIN test.'
		soa
		echo "@ $INFRA_TTL NS ns1.test."
		echo "ns1 $INFRA_TTL A $LAB_AUTH4"
		echo "ns1 $INFRA_TTL AAAA $LAB_AUTH6"
		for name in evil-flux evil6-flux cdn-good cdnprov-good rr-good \
			static-good lb-good; do
			echo "$name $INFRA_TTL NS ns1.test."
		done
		# The delegation of dbl-flux.test rotates: NS names and glue.
		while read -r idx addr; do
			echo "dbl-flux $LAB_FLUX_TTL NS ns$idx.dbl-flux.test."
			echo "ns$idx.dbl-flux $LAB_FLUX_TTL A $addr"
		done <"$DBL_CUR"
	} >"$z/test.zone"

	child_zone evil-flux.test. >"$z/evil-flux.test.zone"
	rrs www "$LAB_FLUX_TTL" A $(flux_set4) >>"$z/evil-flux.test.zone"

	child_zone evil6-flux.test. >"$z/evil6-flux.test.zone"
	rrs www "$LAB_FLUX_TTL" AAAA $(flux_set6) >>"$z/evil6-flux.test.zone"

	child_zone cdn-good.test. >"$z/cdn-good.test.zone"
	rrs www "$LAB_CDN_TTL" CNAME "$LAB_BENIGN_CDN_EDGE." \
		>>"$z/cdn-good.test.zone"

	child_zone cdnprov-good.test. >"$z/cdnprov-good.test.zone"
	{
		rrs edge "$LAB_CDN_TTL" A $(cdn_set4)
		rrs edge "$LAB_CDN_TTL" AAAA $(cdn_set6)
	} >>"$z/cdnprov-good.test.zone"

	child_zone rr-good.test. >"$z/rr-good.test.zone"
	{
		rrs @ "$LAB_RR_TTL" A $LAB_RR_ADDRS4
		rrs @ "$LAB_RR_TTL" AAAA $LAB_RR_ADDRS6
	} >>"$z/rr-good.test.zone"

	child_zone static-good.test. >"$z/static-good.test.zone"
	{
		rrs @ "$LAB_STATIC_TTL" A "$LAB_STATIC_ADDR4"
		rrs @ "$LAB_STATIC_TTL" AAAA "$LAB_STATIC_ADDR6"
	} >>"$z/static-good.test.zone"

	child_zone lb-good.test. >"$z/lb-good.test.zone"
	{
		rrs @ "$LAB_LB_TTL" A $(lb_set4)
		rrs @ "$LAB_LB_TTL" AAAA $(lb_set6)
	} >>"$z/lb-good.test.zone"

	# The double flux child: its own apex NS set and glue follow the
	# parent's delegation, and its www rotates like single flux.
	{
		echo '$ORIGIN dbl-flux.test.'
		soa
		while read -r idx addr; do
			echo "@ $LAB_FLUX_TTL NS ns$idx"
			echo "ns$idx $LAB_FLUX_TTL A $addr"
		done <"$DBL_CUR"
		rrs www "$LAB_FLUX_TTL" A $(flux_set4)
	} >"$d/dbl-flux.test.zone"
}

child_zone() {
	echo "\$ORIGIN $1"
	soa
	echo "@ $INFRA_TTL NS ns1.test."
}

# knot_conf DIR LISTEN-ADDR... -- ZONE...
knot_conf() {
	local dir=$1 a z
	shift
	cat <<EOF
server:
    rundir: $dir
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
EOF
	while [ "$1" != -- ]; do
		echo "    listen: $1@53"
		shift
	done
	shift
	cat <<EOF
control:
    listen: $dir/knot.sock
database:
    storage: $dir/db
log:
  - target: stderr
    any: notice
template:
  - id: default
    storage: $dir/zones
    # Changes live in memory only: the rotator owns them, nothing is
    # written back, and a restart starts from the generated files.
    zonefile-sync: -1
    journal-content: none
zone:
EOF
	for z in "$@"; do
		if [ "$z" = . ]; then
			echo "  - domain: ."
			echo "    file: root.zone"
		else
			echo "  - domain: $z"
		fi
	done
}

write_configs() {
	rm -rf "$AUTH_DIR" "$DBL_DIR" "$UNBOUND_DIR"
	mkdir -p "$AUTH_DIR/db" "$DBL_DIR/db" "$UNBOUND_DIR"
	write_zones

	# shellcheck disable=SC2086 # the zone list splits on purpose
	knot_conf "$AUTH_DIR" "$LAB_AUTH4" "$LAB_AUTH6" -- $AUTH_ZONES \
		>"$AUTH_DIR/knot.conf"
	local i glue=()
	for ((i = 0; i < LAB_DBL_GLUE_POOL_SIZE; i++)); do
		glue+=("$(lab_dbl_glue_addr4 "$i")")
	done
	knot_conf "$DBL_DIR" "${glue[@]}" -- dbl-flux.test. >"$DBL_DIR/knot.conf"

	cat >"$UNBOUND_DIR/root.hints" <<EOF
. $INFRA_TTL NS ns1.test.
ns1.test. $INFRA_TTL A $LAB_AUTH4
ns1.test. $INFRA_TTL AAAA $LAB_AUTH6
EOF
	cat >"$UNBOUND_DIR/unbound.conf" <<EOF
server:
    directory: "$UNBOUND_DIR"
    chroot: ""
    username: ""
    pidfile: ""
    do-daemonize: no
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    interface: $LAB_RESOLVER4
    interface: $LAB_RESOLVER6
    outgoing-interface: $LAB_RESOLVER4
    outgoing-interface: $LAB_RESOLVER6
    port: 53
    do-ip4: yes
    do-ip6: yes
    access-control: 198.18.0.0/15 allow
    access-control: fd00::/8 allow
    # Iterator only: the lab has no DNSSEC, and no trust anchor to fetch.
    module-config: "iterator"
    # Answers carry authority NS and additional glue, as many resolvers'
    # do; the detector reads both.
    minimal-responses: no
    cache-max-ttl: $RESOLVER_MAX_TTL
    cache-max-negative-ttl: $NEG_TTL
    # test. is a default local zone (RFC 6761); here it is the lab's.
    local-zone: "test." nodefault
    root-hints: "$UNBOUND_DIR/root.hints"
stub-zone:
    name: "test."
    stub-addr: $LAB_AUTH4
    stub-addr: $LAB_AUTH6
remote-control:
    control-enable: yes
    control-interface: $UNBOUND_DIR/control.sock
    control-use-cert: no
EOF
	unbound-checkconf "$UNBOUND_DIR/unbound.conf" >/dev/null ||
		die "unbound rejects $UNBOUND_DIR/unbound.conf"
}

# ---------------------------------------------------------------- processes

# start_bg NAME NS CMD...: run CMD in namespace NS as its own process group
# (so down can end it with its children), log in NAME.log, pid in NAME.pid.
start_bg() {
	local name=$1 ns=$2
	shift 2
	setsid ip netns exec "$ns" "$@" </dev/null >"$S/$name.log" 2>&1 &
	echo "$!" >"$S/$name.pid"
}

# alive PID: the process exists and is not a zombie waiting to be reaped.
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

pid_of() {
	local pid
	[ -s "$S/$1.pid" ] || return 1
	pid=$(cat "$S/$1.pid")
	alive "$pid" || return 1
	echo "$pid"
}

# stop_bg NAME: end the process group that start_bg made, TERM then KILL.
stop_bg() {
	local pid n
	if pid=$(pid_of "$1"); then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for ((n = 0; n < STOP_TENTHS; n++)); do
			alive "$pid" || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	rm -f "$S/$1.pid"
}

# wait_dns NAME SERVER QNAME QTYPE: until SERVER answers, from the world.
wait_dns() {
	local n
	for ((n = 0; n < READY_TENTHS; n++)); do
		pid_of "$1" >/dev/null || die "$1 exited: see $S/$1.log"
		if in_ns "$LAB_NS_WORLD" kdig @"$2" +timeout=1 +retry=0 +short \
			"$3" "$4" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	die "$1 does not answer $4 $3 at $2: see $S/$1.log"
}

DAEMONS="knot-auth knot-dbl unbound http4 http6"

all_running() {
	local d
	for d in $DAEMONS; do
		pid_of "$d" >/dev/null || return 1
	done
}

start_servers() {
	local d
	for d in $DAEMONS; do
		stop_bg "$d"
	done
	write_configs
	start_bg knot-auth "$LAB_NS_WORLD" knotd -c "$AUTH_DIR/knot.conf"
	start_bg knot-dbl "$LAB_NS_WORLD" knotd -c "$DBL_DIR/knot.conf"
	wait_dns knot-auth "$LAB_AUTH4" test. SOA
	wait_dns knot-dbl "$(lab_dbl_glue_addr4 0)" dbl-flux.test. SOA
	start_bg unbound "$LAB_NS_WORLD" unbound -c "$UNBOUND_DIR/unbound.conf"
	wait_dns unbound "$LAB_RESOLVER4" "$LAB_BENIGN_STATIC" A
	# Every flux and benign address answers a TCP connect on the wildcard.
	start_bg http4 "$LAB_NS_WORLD" socat \
		"TCP4-LISTEN:$LAB_HOST_PORT,fork,reuseaddr" SYSTEM:"echo lab-host"
	start_bg http6 "$LAB_NS_WORLD" socat \
		"TCP6-LISTEN:$LAB_HOST_PORT,ipv6only=1,fork,reuseaddr" \
		SYSTEM:"echo lab-host"
	wait_tcp "$LAB_WORLD4"
	wait_tcp "$LAB_WORLD6"
}

# wait_tcp ADDR: until the client reaches ADDR through the gateway (which
# also settles neighbour discovery on both links before tests start).
wait_tcp() {
	local n
	for ((n = 0; n < READY_TENTHS; n++)); do
		in_ns "$LAB_NS_CLIENT" nc -z -w1 "$1" "$LAB_HOST_PORT" \
			2>/dev/null && return 0
		sleep 0.1
	done
	die "client cannot reach $1 port $LAB_HOST_PORT"
}

# ---------------------------------------------------------------- rotator

# rrset_cmds ZONE OWNER TTL TYPE ADDR...: knotc lines replacing one RRset.
rrset_cmds() {
	local zone=$1 owner=$2 ttl=$3 type=$4 a
	shift 4
	echo "zone-unset $zone $owner $type"
	for a in "$@"; do
		echo "zone-set $zone $owner $ttl $type $a"
	done
}

# One knotc batch per server: every rotating RRset of that server changes
# in one transaction per zone, so a reader never sees half a rotation.
auth_batch() {
	local tick=$1 old=$2 new=$3 idx addr
	echo "zone-begin evil-flux.test."
	rrset_cmds evil-flux.test. "$LAB_FLUX_V4." "$LAB_FLUX_TTL" A $(flux_set4)
	echo "zone-commit evil-flux.test."

	echo "zone-begin evil6-flux.test."
	rrset_cmds evil6-flux.test. "$LAB_FLUX_V6." "$LAB_FLUX_TTL" AAAA $(flux_set6)
	echo "zone-commit evil6-flux.test."

	echo "zone-begin cdnprov-good.test."
	rrset_cmds cdnprov-good.test. "$LAB_BENIGN_CDN_EDGE." "$LAB_CDN_TTL" A $(cdn_set4)
	rrset_cmds cdnprov-good.test. "$LAB_BENIGN_CDN_EDGE." "$LAB_CDN_TTL" AAAA $(cdn_set6)
	echo "zone-commit cdnprov-good.test."

	if ((tick % LAB_LB_ROTATE_EVERY == 0)); then
		echo "zone-begin lb-good.test."
		rrset_cmds lb-good.test. "$LAB_BENIGN_LB." "$LAB_LB_TTL" A $(lb_set4)
		rrset_cmds lb-good.test. "$LAB_BENIGN_LB." "$LAB_LB_TTL" AAAA $(lb_set6)
		echo "zone-commit lb-good.test."
	fi

	echo "zone-begin test."
	echo "zone-unset test. $LAB_DBL_FLUX. NS"
	while read -r idx addr; do
		echo "zone-unset test. ns$idx.$LAB_DBL_FLUX."
	done <"$old"
	while read -r idx addr; do
		echo "zone-set test. $LAB_DBL_FLUX. $LAB_FLUX_TTL NS ns$idx.$LAB_DBL_FLUX."
		echo "zone-set test. ns$idx.$LAB_DBL_FLUX. $LAB_FLUX_TTL A $addr"
	done <"$new"
	echo "zone-commit test."
}

dbl_batch() {
	local old=$1 new=$2 z=$LAB_DBL_FLUX. idx addr
	echo "zone-begin $z"
	echo "zone-unset $z $z NS"
	while read -r idx addr; do
		echo "zone-unset $z ns$idx.$z"
	done <"$old"
	while read -r idx addr; do
		echo "zone-set $z $z $LAB_FLUX_TTL NS ns$idx.$z"
		echo "zone-set $z ns$idx.$z $LAB_FLUX_TTL A $addr"
	done <"$new"
	rrset_cmds "$z" "$LAB_DBL_FLUX_WWW." "$LAB_FLUX_TTL" A $(flux_set4)
	echo "zone-commit $z"
}

# knotc_batch DIR: feed stdin to that knotd; print any error it reports.
knotc_batch() {
	local out
	out=$(knotc -s "$1/knot.sock" 2>&1) || true
	if grep -i error <<<"$out" >&2; then
		return 1
	fi
}

rotate_once() {
	local tick=$1 new=$S/dbl-ns.new
	dbl_ns_set >"$new"
	auth_batch "$tick" "$DBL_CUR" "$new" | knotc_batch "$AUTH_DIR" || return 1
	dbl_batch "$DBL_CUR" "$new" | knotc_batch "$DBL_DIR" || return 1
	mv "$new" "$DBL_CUR"
}

# abort_all: close transactions that a killed rotator left open.
abort_all() {
	local z
	for z in $AUTH_ZONES; do echo "zone-abort $z"; done |
		knotc -s "$AUTH_DIR/knot.sock" >/dev/null 2>&1 || true
	echo "zone-abort $LAB_DBL_FLUX." |
		knotc -s "$DBL_DIR/knot.sock" >/dev/null 2>&1 || true
}

usec_now() { echo "${EPOCHREALTIME/./}"; }

# The rotator's own loop; it ends when the lab's knotd instances are gone.
# Rotations start every LAB_ROTATE_PERIOD, however long one takes.
rotator_loop() {
	local tick=0 next left
	next=$(usec_now)
	while pid_of knot-auth >/dev/null && pid_of knot-dbl >/dev/null; do
		if ! rotate_once "$tick"; then
			echo "rotation $tick failed" >&2
			abort_all
		fi
		tick=$((tick + 1))
		next=$((next + LAB_ROTATE_PERIOD * 1000000))
		left=$((next - $(usec_now)))
		if ((left > 0)); then
			sleep "$((left / 1000000)).$(printf %06d $((left % 1000000)))"
		else
			next=$(usec_now) # fell behind: do not rush to catch up
		fi
	done
}

rotate_start() {
	pid_of rotator >/dev/null && return 0
	pid_of knot-auth >/dev/null || die "knotd is not running: run lab.sh up"
	setsid bash "${BASH_SOURCE[0]}" _rotator </dev/null >"$S/rotator.log" 2>&1 &
	echo "$!" >"$S/rotator.pid"
}

rotate_stop() { stop_bg rotator; }

# ---------------------------------------------------------------- asn

write_asn() {
	local i end
	mkdir -p "$LAB_ASN_DIR"
	# Rows sorted by start address, as in the real database.
	{
		echo "198.18.1.0,198.18.1.255,64512,Lab Client Net"
		echo "198.18.2.0,198.18.2.255,64513,Lab Transit and DNS"
		echo "198.18.100.0,198.18.100.255,64520,Lab CDN Provider"
		echo "198.18.101.0,198.18.101.255,64521,Lab Round Robin Hosting"
		echo "198.18.102.0,198.18.102.255,64522,Lab Static Hosting"
		echo "198.18.103.0,198.18.103.255,64523,Lab Load Balancer"
		for ((i = 0; i < LAB_FLUX_POOL_SIZE; i++)); do
			echo "198.19.$i.0,198.19.$i.255,$((64600 + i)),Lab Flux Net $i"
		done
		for ((i = 0; i < LAB_DBL_GLUE_POOL_SIZE; i++)); do
			echo "198.19.$((200 + i)).0,198.19.$((200 + i)).255,$((64700 + i)),Lab Flux DNS Net $i"
		done
	} >"$LAB_ASN_DIR/asn-ipv4.csv"
	end=ffff:ffff:ffff:ffff:ffff
	{
		echo "fd00:1::,fd00:1:0:$end,64512,Lab Client Net"
		echo "fd00:2::,fd00:2:0:$end,64513,Lab Transit and DNS"
		# Same ASN as the IPv4 /24 of the same index: one ISP per flux host.
		for ((i = 0; i < LAB_FLUX_POOL_SIZE; i++)); do
			printf 'fd00:66:%x::,fd00:66:%x:%s,%d,Lab Flux Net %d\n' \
				"$i" "$i" "$end" $((64600 + i)) "$i"
		done | sed 's/^fd00:66:0::,/fd00:66::,/' # RFC 5952 form
		echo "fd00:100::,fd00:100:0:$end,64520,Lab CDN Provider"
		echo "fd00:101::,fd00:101:0:$end,64521,Lab Round Robin Hosting"
		echo "fd00:102::,fd00:102:0:$end,64522,Lab Static Hosting"
		echo "fd00:103::,fd00:103:0:$end,64523,Lab Load Balancer"
	} >"$LAB_ASN_DIR/asn-ipv6.csv"
}

# ---------------------------------------------------------------- commands

lab_up() {
	need_tools
	mkdir -p "$S"
	if all_running && pid_of rotator >/dev/null; then
		log "already up"
		return 0
	fi
	# If anything fails half-way, leave nothing half-built behind.
	trap 'lab_down >/dev/null 2>&1' EXIT
	trap 'exit 130' INT TERM
	build_network
	if ! all_running; then
		rotate_stop
		start_servers
	fi
	rotate_start
	trap - EXIT INT TERM
	log "up: resolver $LAB_RESOLVER4 $LAB_RESOLVER6, client netns $LAB_NS_CLIENT"
}

lab_down() {
	local d ns pid n
	rotate_stop
	for d in $DAEMONS; do
		stop_bg "$d"
	done
	# Whatever else still runs inside the lab's namespaces (a detector, a
	# capture) would keep them alive: end it too.
	for ns in "$LAB_NS_CLIENT" "$LAB_NS_GW" "$LAB_NS_WORLD"; do
		ns_exists "$ns" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null || true
		done
		for ((n = 0; n < STOP_TENTHS; n++)); do
			[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
			sleep 0.1
		done
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns"
	done
	rm -rf "$S"
}

lab_status() {
	local ns d pid rc=0
	for ns in "$LAB_NS_CLIENT" "$LAB_NS_GW" "$LAB_NS_WORLD"; do
		if ns_exists "$ns"; then
			echo "netns   $ns"
		else
			echo "netns   $ns MISSING"
			rc=1
		fi
	done
	for d in $DAEMONS rotator; do
		if pid=$(pid_of "$d"); then
			echo "running $d (pid $pid)"
		else
			echo "stopped $d"
			rc=1
		fi
	done
	if ns_exists "$LAB_NS_GW"; then
		ip -n "$LAB_NS_GW" -brief addr show
	fi
	return "$rc"
}

case "${1:-}" in
up) lab_up ;;
down) lab_down ;;
status) lab_status ;;
rotate-start) rotate_start ;;
rotate-stop) rotate_stop ;;
asn) write_asn ;;
_rotator) rotator_loop ;;
-h | --help | help) usage ;;
*)
	usage >&2
	exit 2
	;;
esac

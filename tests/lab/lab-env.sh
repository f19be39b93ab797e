# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Names and addresses of the namespace lab, for lab.sh and for every test
# that drives the lab. Source it; it only sets variables (no side effects).
# All addresses are from 198.18.0.0/15 and fd00::/8 and never leave the lab.
# shellcheck shell=bash disable=SC2034 # the variables are for the sourcer

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Namespaces: client -> gateway (where fluxguard runs) -> world. Another
# LAB_NS_PREFIX gives a second, independent lab beside the first (same
# addresses, other namespaces), so two runs on one machine do not collide.
LAB_NS_PREFIX=${LAB_NS_PREFIX:-fgl}
LAB_NS_CLIENT=$LAB_NS_PREFIX-client
LAB_NS_GW=$LAB_NS_PREFIX-gw
LAB_NS_WORLD=$LAB_NS_PREFIX-world

# Runtime files: configs, zone files, logs, pid files, control sockets.
if [ "$LAB_NS_PREFIX" = fgl ]; then
	LAB_STATE_DIR=${LAB_STATE_DIR:-/run/fluxguard-lab}
else
	LAB_STATE_DIR=${LAB_STATE_DIR:-/run/fluxguard-lab-$LAB_NS_PREFIX}
fi

# Interfaces. Each veth pair has one end in the gateway; fluxguard attaches
# XDP (native mode) to LAB_GW_IN and LAB_GW_OUT.
LAB_CLIENT_IF=cl-eth0 # client end, peer of gw-in
LAB_GW_IN=gw-in
LAB_GW_OUT=gw-out
LAB_WORLD_IF=wd-eth0 # world end, peer of gw-out

LAB_CLIENT4=198.18.1.2
LAB_CLIENT6=fd00:1::2
LAB_GW_IN4=198.18.1.1
LAB_GW_IN6=fd00:1::1
LAB_GW_OUT4=198.18.2.1
LAB_GW_OUT6=fd00:2::1
LAB_WORLD4=198.18.2.2 # world's router address, next hop of the gateway
LAB_WORLD6=fd00:2::2
LAB_CLIENT_NET4=198.18.1.0/24
LAB_CLIENT_NET6=fd00:1::/64
LAB_WORLD_NET4=198.18.2.0/24
LAB_WORLD_NET6=fd00:2::/64

# DNS servers in the world: an authoritative knotd for test. and its
# children, and a recursive unbound that clients use. Each has its own
# address, because two servers on one address and port split the queries.
LAB_AUTH4=198.18.2.53
LAB_AUTH6=fd00:2::53
LAB_RESOLVER4=198.18.2.54
LAB_RESOLVER6=fd00:2::54

# Ranges the world owns whole (AnyIP local routes), so every address served
# in a zone answers a TCP connect on LAB_HOST_PORT.
LAB_FLUX_RANGE4=198.19.0.0/16
LAB_FLUX_RANGE6=fd00:66::/32
LAB_BENIGN_RANGE4=198.18.100.0/22 # 198.18.100.0 - 198.18.103.255
LAB_BENIGN_RANGE6=fd00:100::/30   # fd00:100:: - fd00:103:ffff:...
LAB_HOST_PORT=80

# Domains. Flux: answers rotate every LAB_ROTATE_PERIOD over many /24s
# (or /48s) with a short TTL. Benign: look-alikes a detector must not flag.
LAB_FLUX_V4=www.evil-flux.test   # single flux, A
LAB_FLUX_V6=www.evil6-flux.test  # single flux, AAAA
LAB_DBL_FLUX=dbl-flux.test       # double flux: NS names and glue rotate
LAB_DBL_FLUX_WWW=www.dbl-flux.test
LAB_BENIGN_CDN=www.cdn-good.test # CNAME to LAB_BENIGN_CDN_EDGE
LAB_BENIGN_CDN_EDGE=edge.cdnprov-good.test
LAB_BENIGN_RR=rr-good.test
LAB_BENIGN_STATIC=static-good.test
LAB_BENIGN_LB=lb-good.test
LAB_FLUX_NAMES="$LAB_FLUX_V4 $LAB_FLUX_V6 $LAB_DBL_FLUX_WWW"
LAB_BENIGN_NAMES="$LAB_BENIGN_CDN $LAB_BENIGN_RR $LAB_BENIGN_STATIC $LAB_BENIGN_LB"

# Rotation and TTLs. Flux TTLs are short so the resolver re-asks often and
# clients see a new set at least every LAB_FLUX_TTL seconds.
LAB_ROTATE_PERIOD=1   # seconds between rotations of every rotating RRset
LAB_FLUX_TTL=5        # A/AAAA of flux names, and double flux NS and glue
LAB_FLUX_PER_ANSWER=5 # addresses in one flux answer
LAB_CDN_TTL=20
LAB_RR_TTL=300
LAB_STATIC_TTL=3600
LAB_LB_TTL=30

# Flux hosts: one address in each of LAB_FLUX_POOL_SIZE networks (/24 for
# IPv4, /48 for IPv6, each its own ASN), so five addresses of one answer
# almost always span five networks, as a botnet's do. At least 60, so the
# sets keep changing for minutes.
LAB_FLUX_POOL_SIZE=64 # 198.19.0.x - 198.19.63.x, fd00:66:0:: - fd00:66:3f::
lab_flux_addr4() { echo "198.19.$1.$((1 + ($1 * 37) % 250))"; }
lab_flux_addr6() { printf 'fd00:66:%x::%x\n' "$1" $((1 + ($1 * 37) % 250)); }

# Double flux name servers: LAB_DBL_NS_PER_SET names out of
# ns1..nsLAB_DBL_NS_NAMES.dbl-flux.test, each glued to an address drawn
# from LAB_DBL_GLUE_POOL_SIZE addresses in as many /24s. A second knotd
# listens on every glue address, so the delegation is real.
LAB_DBL_NS_NAMES=12
LAB_DBL_NS_PER_SET=4
LAB_DBL_GLUE_POOL_SIZE=16 # 198.19.200.53 - 198.19.215.53
lab_dbl_glue_addr4() { echo "198.19.$((200 + $1)).53"; }

# Benign pools: the CDN and the load balancer rotate, but inside one /24
# (one /48) and one ASN each; round robin and static never change.
LAB_CDN_POOL_SIZE=32     # 198.18.100.10 - .41, fd00:100::10 - ::41
LAB_CDN_PER_ANSWER=2
LAB_LB_POOL_SIZE=8       # 198.18.103.10 - .17, fd00:103::10 - ::17
LAB_LB_PER_ANSWER=2
LAB_LB_ROTATE_EVERY=10   # rotations; a load balancer moves less often
LAB_RR_ADDRS4="198.18.101.11 198.18.101.12 198.18.101.13 198.18.101.14"
LAB_RR_ADDRS6="fd00:101::11 fd00:101::12 fd00:101::13 fd00:101::14"
LAB_STATIC_ADDR4=198.18.102.10
LAB_STATIC_ADDR6=fd00:102::10

# ASN tables for the lab's ranges, same format as the real database
# (written by lab.sh asn).
LAB_ASN_DIR=$LAB_DIR/asn

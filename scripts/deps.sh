#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Install what fluxguard needs to build, test and demo on Debian 12 or
# Ubuntu. Idempotent: installs only what is missing, mounts bpffs once,
# fetches the IP-to-ASN database once.
set -euo pipefail

PKGS=(
	make gcc clang llvm pkg-config
	libbpf-dev libelf-dev zlib1g-dev bpftool
	libpcap-dev libpsl-dev publicsuffix libjansson-dev libmaxminddb-dev
	libcmocka-dev libclang-rt-14-dev
	iproute2 nftables tcpdump tcpreplay tshark
	knot knot-dnsutils unbound dnsutils
	socat ncat ethtool util-linux jq python3 iputils-ping curl
)
ASN_DIR=/usr/local/share/fluxguard/asn

die() { echo "deps: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and mounts bpffs)"

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
# npm may come with a Node.js that is not Debian's; only install it when absent.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; the default (no) is fine.
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The daemons are run by fluxguard's lab in namespaces, never as services.
for svc in knot unbound; do
	systemctl disable --now "$svc" >/dev/null 2>&1 || true
done

if ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs at /sys/fs/bpf"
fi

# Offline IP-to-ASN database (CC-BY-4.0, RouteViews and DB-IP), from npm.
if [ ! -s "$ASN_DIR/asn-ipv4.csv" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && npm pack --silent @ip-location-db/asn >/dev/null) ||
		die "npm pack @ip-location-db/asn failed (is the npm registry reachable?)"
	mkdir -p "$ASN_DIR"
	tar -xzf "$tmp"/ip-location-db-asn-*.tgz -C "$tmp"
	cp "$tmp"/package/asn-ipv4.csv "$tmp"/package/asn-ipv6.csv "$ASN_DIR"/
	echo "deps: ASN database in $ASN_DIR"
fi

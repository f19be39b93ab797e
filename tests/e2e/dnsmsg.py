#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# One DNS answer across a veth pair, for the end-to-end tests that run
# without the lab: `send` sends an A response from UDP port 53, `recv`
# waits for one and prints the owner and the addresses it finally says
# (after any rewrite on the way). Lab addresses only.
import ipaddress
import socket
import struct
import sys

LAB_NETS = [ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("fd00::/8")]


def lab_only(addr):
    a = ipaddress.ip_address(addr)
    if not any(a in n for n in LAB_NETS):
        raise SystemExit(f"dnsmsg: {addr} is outside 198.18.0.0/15 and fd00::/8")
    return addr


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def response(name, addrs):
    msg = struct.pack("!HHHHHH", 0x4242, 0x8180, 1, len(addrs), 0, 0)
    msg += qname(name) + struct.pack("!HH", 1, 1)
    for a in addrs:
        msg += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(lab_only(a))
    return msg


def parse(msg):
    an = struct.unpack("!H", msg[6:8])[0]
    i, labels = 12, []
    while msg[i]:
        labels.append(msg[i + 1:i + 1 + msg[i]].decode())
        i += 1 + msg[i]
    i += 5
    addrs = []
    for _ in range(an):
        i += 2  # compressed owner
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[i:i + 10])
        i += 10
        if rtype == 1:
            addrs.append(socket.inet_ntoa(msg[i:i + 4]))
        i += rdlen
    return ".".join(labels), addrs


def main():
    if sys.argv[1:2] == ["send"] and len(sys.argv) >= 6:
        src, dst, port, name = sys.argv[2:6]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((lab_only(src), 53))
        s.sendto(response(name, sys.argv[6:]), (lab_only(dst), int(port)))
    elif sys.argv[1:2] == ["recv"] and len(sys.argv) == 4:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((lab_only(sys.argv[2]), int(sys.argv[3])))
        s.settimeout(5)
        name, addrs = parse(s.recv(2048))
        print(name, *addrs)
    else:
        raise SystemExit("usage: dnsmsg.py send SRC DST PORT NAME ADDR... | recv ADDR PORT")


main()

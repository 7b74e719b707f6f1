#!/usr/bin/env python3
"""The local stack's DNS server: answers the loader's reverse-DNS checks for the demo crawlers.

This machine has no route to the internet's DNS, so forward-confirmed reverse DNS has nobody to
ask. This server answers, from rules, exactly what an operator's DNS would: a PTR for an address
in a zone's network names it after the zone's template, and an A query for such a name answers the
address back. Everything else is NXDOMAIN, which is what a spoofer's address gets.

    demo-dns.py --port 8053 --zone '180.76.15.0/24=baiduspider-{a}-{b}-{c}-{d}.crawl.baidu.com'

Standard library only (UDP, one question per query, as the loader's resolver sends them).
"""

import argparse
import ipaddress
import re
import socket
import struct

PTR, A = 12, 1


def parse_zone(text):
    network, template = text.split("=", 1)
    net = ipaddress.ip_network(network)
    pattern = re.escape(template)
    for part in "abcd":
        pattern = pattern.replace(re.escape("{%s}" % part), r"(\d{1,3})")
    return net, template, re.compile("^" + pattern + "$", re.IGNORECASE)


def read_name(packet, offset):
    labels = []
    while True:
        length = packet[offset]
        offset += 1
        if length == 0:
            return ".".join(labels), offset
        if length & 0xC0:
            raise ValueError("compressed names do not occur in questions")
        labels.append(packet[offset:offset + length].decode("ascii", "replace"))
        offset += length


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def answer(zones, qname, qtype):
    """The record data for a question, or None (NXDOMAIN)."""
    name = qname.rstrip(".").lower()
    if qtype == PTR and name.endswith(".in-addr.arpa"):
        octets = name[: -len(".in-addr.arpa")].split(".")
        if len(octets) != 4:
            return None
        address = ipaddress.ip_address(".".join(reversed(octets)))
        for net, template, _ in zones:
            if address in net:
                a, b, c, d = str(address).split(".")
                return encode_name(template.format(a=a, b=b, c=c, d=d))
    if qtype == A:
        for net, _, pattern in zones:
            match = pattern.match(name)
            if match:
                address = ipaddress.ip_address(".".join(match.groups()))
                if address in net:
                    return address.packed
    return None


def respond(zones, query):
    ident, _flags, qdcount = struct.unpack("!HHH", query[:6])
    if qdcount != 1:
        return struct.pack("!HHHHHH", ident, 0x8181, 0, 0, 0, 0)
    qname, end = read_name(query, 12)
    qtype, qclass = struct.unpack("!HH", query[end:end + 4])
    question = query[12:end + 4]
    data = answer(zones, qname, qtype)
    if data is None:
        return struct.pack("!HHHHHH", ident, 0x8183, 1, 0, 0, 0) + question
    record = struct.pack("!HHHIH", 0xC00C, qtype, qclass, 300, len(data)) + data
    return struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0) + question + record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8053)
    parser.add_argument("--zone", action="append", default=[], help="CIDR=name template with {a}..{d}")
    args = parser.parse_args()
    zones = [parse_zone(z) for z in args.zone]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.bind, args.port))
    while True:
        query, peer = sock.recvfrom(512)
        try:
            sock.sendto(respond(zones, query), peer)
        except (ValueError, IndexError, struct.error):
            continue  # not a DNS question this server understands: no answer


if __name__ == "__main__":
    main()

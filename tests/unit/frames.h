/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Test frame builder: a DNS message writer that knows compression pointers,
 * and a wrapper that puts a payload behind Ethernet (optionally VLAN
 * tagged), IPv4 or IPv6 (with options or extension headers) and UDP or TCP.
 */
#ifndef FG_TEST_FRAMES_H
#define FG_TEST_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include "fluxguard.h"

/* Room for the largest message a test writes: past FG_MSG_MAX on purpose. */
#define DNS_BUF			2048
/* Room for a frame: headers, every extension header, padding. */
#define FRAME_BUF		4096

#define DNS_CLASS_IN		1
#define DNS_PTR			0xc000
#define DNS_RESPONSE		0x8180	/* QR, RD, RA, NOERROR */
#define DNS_QUERY		0x0100	/* RD */
#define DNS_FLAG_TC		0x0200
#define DNS_OP_NOTIFY		0x2000	/* opcode 4, in place */

/* Addresses and ports of every test conversation: a resolver answering a
 * client.
 */
#define FR_SERVER4		"192.0.2.53"
#define FR_CLIENT4		"198.51.100.7"
#define FR_SERVER6		"2001:db8:53::53"
#define FR_CLIENT6		"2001:db8:7::7"
#define FR_DNS_PORT		53
#define FR_CLIENT_PORT		33333
#define FR_IP_TTL		64

#define VLAN_HLEN		4
#define IPV4_HLEN		20
#define IPV6_HLEN		40
#define IPV6_EXT_LEN		8	/* one options header with a PadN option */
#define UDP_HLEN		8
#define TCP_HLEN		20
#define IP_DF			0x4000
#define IP_MF			0x2000

struct dns {
	uint8_t b[DNS_BUF];
	size_t len;
	const char *qname;	/* as written by dns_question(), for checks */
	uint16_t qtype;
};

static inline size_t dns_put(struct dns *d, const void *p, size_t n)
{
	size_t at = d->len;

	if (d->len + n <= sizeof(d->b)) {
		memcpy(d->b + d->len, p, n);
		d->len += n;
	}
	return at;
}

static inline size_t dns_u8(struct dns *d, uint8_t v)
{
	return dns_put(d, &v, 1);
}

static inline size_t dns_u16(struct dns *d, uint16_t v)
{
	uint8_t b[2] = { v >> 8, v & 0xff };

	return dns_put(d, b, 2);
}

static inline size_t dns_u32(struct dns *d, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v & 0xff };

	return dns_put(d, b, 4);
}

static inline void dns_set_u16(struct dns *d, size_t at, uint16_t v)
{
	d->b[at] = v >> 8;
	d->b[at + 1] = v & 0xff;
}

/* Writes the labels of a dotted name, without the terminator. "" writes
 * nothing, so dns_name_ptr(d, "", off) is a bare pointer.
 */
static inline size_t dns_labels(struct dns *d, const char *name)
{
	size_t at = d->len;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		dns_u8(d, n);
		dns_put(d, name, n);
		name += n + (dot ? 1 : 0);
	}
	return at;
}

/* A name ending in the root label. Returns its offset. */
static inline size_t dns_name(struct dns *d, const char *name)
{
	size_t at = dns_labels(d, name);

	dns_u8(d, 0);
	return at;
}

/* Labels followed by a compression pointer to target. */
static inline size_t dns_name_ptr(struct dns *d, const char *labels,
				  size_t target)
{
	size_t at = dns_labels(d, labels);

	dns_u16(d, DNS_PTR | target);
	return at;
}

static inline size_t dns_ptr(struct dns *d, size_t target)
{
	return dns_name_ptr(d, "", target);
}

static inline void dns_hdr(struct dns *d, uint16_t id, uint16_t flags,
			   uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	d->len = 0;
	dns_u16(d, id);
	dns_u16(d, flags);
	dns_u16(d, qd);
	dns_u16(d, an);
	dns_u16(d, ns);
	dns_u16(d, ar);
}

/* Rewrites the section counts once a builder knows them. */
static inline void dns_counts(struct dns *d, uint16_t qd, uint16_t an,
			      uint16_t ns, uint16_t ar)
{
	dns_set_u16(d, 4, qd);
	dns_set_u16(d, 6, an);
	dns_set_u16(d, 8, ns);
	dns_set_u16(d, 10, ar);
}

static inline size_t dns_question(struct dns *d, const char *name,
				  uint16_t qtype)
{
	size_t at = dns_name(d, name);

	dns_u16(d, qtype);
	dns_u16(d, DNS_CLASS_IN);
	d->qname = name;
	d->qtype = qtype;
	return at;
}

/* The fixed part of a record, after its owner name. Returns the offset of
 * rdata.
 */
static inline size_t dns_rr_class(struct dns *d, uint16_t type,
				  uint16_t class, uint32_t ttl, uint16_t rdlen)
{
	dns_u16(d, type);
	dns_u16(d, class);
	dns_u32(d, ttl);
	dns_u16(d, rdlen);
	return d->len;
}

static inline size_t dns_rr(struct dns *d, uint16_t type, uint32_t ttl,
			    uint16_t rdlen)
{
	return dns_rr_class(d, type, DNS_CLASS_IN, ttl, rdlen);
}

static inline size_t dns_a(struct dns *d, uint32_t ttl, const char *addr)
{
	uint8_t a[4] = { 0 };

	inet_pton(AF_INET, addr, a);
	dns_rr(d, FG_TYPE_A, ttl, sizeof(a));
	return dns_put(d, a, sizeof(a));
}

static inline size_t dns_aaaa(struct dns *d, uint32_t ttl, const char *addr)
{
	uint8_t a[16] = { 0 };

	inet_pton(AF_INET6, addr, a);
	dns_rr(d, FG_TYPE_AAAA, ttl, sizeof(a));
	return dns_put(d, a, sizeof(a));
}

/* No compression pointer after the labels: the name ends in the root. */
#define DNS_NO_PTR		((size_t)-1)

/* A CNAME or NS record whose target is labels, then a pointer to ptr or
 * the root label. rdlength is what was written. Returns the offset of the
 * target, for later pointers to it.
 */
static inline size_t dns_target(struct dns *d, uint16_t type, uint32_t ttl,
				const char *labels, size_t ptr)
{
	size_t rdata = dns_rr(d, type, ttl, 0);

	if (ptr == DNS_NO_PTR)
		dns_name(d, labels);
	else
		dns_name_ptr(d, labels, ptr);
	dns_set_u16(d, rdata - 2, d->len - rdata);
	return rdata;
}

/* Frame layout around the payload. Zero is the common case throughout. */
struct wire {
	bool v6;
	uint8_t vlans;		/* 802.1ad outer tags, then one 802.1Q */
	uint8_t ip_opts;	/* IPv4 option bytes (NOPs), a multiple of 4 */
	uint8_t ihl;		/* nonzero: IPv4 header length field as given */
	uint8_t v6_ext;		/* hop-by-hop, then destination options */
	bool v6_frag;		/* a fragment header before UDP */
	uint16_t v4_frag;	/* IPv4 MF flag and fragment offset */
	bool tcp;		/* a bare TCP header instead of UDP + payload */
	bool to_server;		/* client to resolver instead of the reverse */
	uint16_t sport;		/* 0: FR_DNS_PORT */
	int udp_len;		/* nonzero: UDP length field as given */
	uint16_t pad;		/* bytes after the datagram, like Ethernet padding */
};

struct frame {
	uint8_t b[FRAME_BUF];
	size_t len;
	size_t dns_off;		/* where the payload starts */
	size_t dns_len;		/* payload bytes in the frame */
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
};

static inline uint8_t *fr_put(struct frame *f, const void *p, size_t n)
{
	uint8_t *at = f->b + f->len;

	memcpy(at, p, n);
	f->len += n;
	return at;
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Checksums stay zero: the program never verifies them. */
static inline void build_frame(struct frame *f, const struct wire *w,
			       const uint8_t *payload, size_t plen)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	const char *src, *dst;
	uint16_t l4len, proto = w->tcp ? IPPROTO_TCP : IPPROTO_UDP;
	uint8_t hdr[IPV6_HLEN] = { 0 }, ext[IPV6_EXT_LEN];
	unsigned int i;

	memset(f, 0, sizeof(*f));
	if (w->v6) {
		src = w->to_server ? FR_CLIENT6 : FR_SERVER6;
		dst = w->to_server ? FR_SERVER6 : FR_CLIENT6;
		inet_pton(AF_INET6, src, f->saddr);
		inet_pton(AF_INET6, dst, f->daddr);
	} else {
		src = w->to_server ? FR_CLIENT4 : FR_SERVER4;
		dst = w->to_server ? FR_SERVER4 : FR_CLIENT4;
		inet_pton(AF_INET, src, f->saddr);
		inet_pton(AF_INET, dst, f->daddr);
	}
	f->sport = w->sport ? w->sport : FR_DNS_PORT;
	f->dport = FR_CLIENT_PORT;
	if (w->to_server) {
		f->dport = f->sport;
		f->sport = FR_CLIENT_PORT;
	}
	l4len = w->tcp ? TCP_HLEN : UDP_HLEN + plen;

	fr_put(f, macs, sizeof(macs));
	for (i = 1; i < w->vlans; i++) {
		put_be16(hdr, ETH_P_8021AD);
		put_be16(hdr + 2, 100 + i);	/* outer VLAN ids */
		fr_put(f, hdr, VLAN_HLEN);
	}
	if (w->vlans) {
		put_be16(hdr, ETH_P_8021Q);
		put_be16(hdr + 2, 200);		/* inner VLAN id */
		fr_put(f, hdr, VLAN_HLEN);
	}
	put_be16(hdr, w->v6 ? ETH_P_IPV6 : ETH_P_IP);
	fr_put(f, hdr, 2);

	memset(hdr, 0, sizeof(hdr));
	if (w->v6) {
		uint8_t next = proto;
		unsigned int n_ext = w->v6_ext + w->v6_frag;

		hdr[0] = 0x60;
		put_be16(hdr + 4, n_ext * IPV6_EXT_LEN + l4len);
		if (w->v6_ext)
			next = IPPROTO_HOPOPTS;
		else if (w->v6_frag)
			next = IPPROTO_FRAGMENT;
		hdr[6] = next;
		hdr[7] = FR_IP_TTL;
		memcpy(hdr + 8, f->saddr, 16);
		memcpy(hdr + 24, f->daddr, 16);
		fr_put(f, hdr, IPV6_HLEN);
		for (i = 0; i < w->v6_ext; i++) {
			if (i + 1 < w->v6_ext)
				next = IPPROTO_DSTOPTS;
			else
				next = w->v6_frag ? IPPROTO_FRAGMENT : proto;
			/* next header, length 0 (8 bytes), PadN of 4 */
			memcpy(ext, (uint8_t[]){ next, 0, 1, 4, 0, 0, 0, 0 },
			       sizeof(ext));
			fr_put(f, ext, sizeof(ext));
		}
		if (w->v6_frag) {
			/* first fragment: offset 0, M set */
			memcpy(ext, (uint8_t[]){ proto, 0, 0, 1, 0, 0, 0, 42 },
			       sizeof(ext));
			fr_put(f, ext, sizeof(ext));
		}
	} else {
		size_t ihl = IPV4_HLEN + w->ip_opts;

		hdr[0] = 0x40 | (w->ihl ? w->ihl : ihl / 4);
		put_be16(hdr + 2, ihl + l4len);
		put_be16(hdr + 4, 0x1234);
		put_be16(hdr + 6, w->v4_frag);
		hdr[8] = FR_IP_TTL;
		hdr[9] = proto;
		memcpy(hdr + 12, f->saddr, 4);
		memcpy(hdr + 16, f->daddr, 4);
		fr_put(f, hdr, IPV4_HLEN);
		for (i = 0; i < w->ip_opts; i++)
			fr_put(f, (uint8_t[]){ 1 }, 1);	/* NOP */
	}

	memset(hdr, 0, sizeof(hdr));
	put_be16(hdr, f->sport);
	put_be16(hdr + 2, f->dport);
	if (w->tcp) {
		hdr[12] = (TCP_HLEN / 4) << 4;
		hdr[13] = 0x18;		/* PSH, ACK */
		fr_put(f, hdr, TCP_HLEN);
	} else {
		put_be16(hdr + 4, w->udp_len ? (size_t)w->udp_len : UDP_HLEN + plen);
		fr_put(f, hdr, UDP_HLEN);
		f->dns_off = f->len;
		f->dns_len = plen;
		fr_put(f, payload, plen);
	}
	memset(f->b + f->len, 0xee, w->pad);
	f->len += w->pad;
}

/* Fills f from a captured Ethernet + IPv4/IPv6 + UDP frame, finding the
 * payload and the addresses as build_frame() would have set them.
 */
static inline void frame_from_bytes(struct frame *f, const uint8_t *b,
				    size_t len)
{
	size_t l3 = ETH_HLEN, l4;
	bool v6 = b[12] == (ETH_P_IPV6 >> 8) && b[13] == (ETH_P_IPV6 & 0xff);

	memset(f, 0, sizeof(*f));
	memcpy(f->b, b, len);
	f->len = len;
	if (v6) {
		memcpy(f->saddr, b + l3 + 8, 16);
		memcpy(f->daddr, b + l3 + 24, 16);
		l4 = l3 + IPV6_HLEN;
	} else {
		memcpy(f->saddr, b + l3 + 12, 4);
		memcpy(f->daddr, b + l3 + 16, 4);
		l4 = l3 + (b[l3] & 0xf) * 4;
	}
	f->sport = b[l4] << 8 | b[l4 + 1];
	f->dport = b[l4 + 2] << 8 | b[l4 + 3];
	f->dns_off = l4 + UDP_HLEN;
	f->dns_len = len - f->dns_off;
}

#endif /* FG_TEST_FRAMES_H */

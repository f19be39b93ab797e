// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Fixture tests of the XDP program through BPF_PROG_TEST_RUN: each fixture
 * is a frame, the verdict it must get, the exact records its event must
 * carry and the exact change of every counter. Needs root.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "fluxguard.h"
#include "fluxguard.skel.h"
#include "blocks.h"
#include "cidr.h"
#include "record.h"
#include "frames.h"

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* The replay clock of every fixture, so that expiry is exact. */
#define NOW_NS			1000000000000ULL
#define DNS_ID			0x1234
/* Mirrors FG_IPV6_EXT_MAX in bpf/parse.h: headers walked before UDP. */
#define V6_EXT_MAX		6
/* Block entries a fixture may install, and the largest key of a block
 * map.
 */
#define MAX_BLOCKS		2
#define BLOCK_KEY_MAX		sizeof(struct fg_lpm_v6_key)
/* Events kept from one frame; more than one is already a failure. */
#define MAX_CAPTURE		4
/* Random payloads thrown at the parser, and the longest of them. */
#define RANDOM_ROUNDS		2000
#define RANDOM_MAX_LEN		600
/* Mutated responses compared with the reference parser, and the most
 * bytes changed in one.
 */
#define DIFF_ROUNDS		20000
#define DIFF_MUTATIONS		4
/* Where the lab keeps real captures; replayed when present. */
#define CAPTURE_DIR		"tests/captures"

/* Counter indexes, one per field of struct fg_stats. */
#define C(name)			CNT_##name
#define FG_COUNTER_ENUM(name, help) CNT_##name,
enum { FG_COUNTERS(FG_COUNTER_ENUM) CNT_MAX };
#undef FG_COUNTER_ENUM

#define FG_COUNTER_NAME(name, help) #name,
static const char *const counter_names[] = { FG_COUNTERS(FG_COUNTER_NAME) };
#undef FG_COUNTER_NAME

/* Names at the length limits: 255 bytes on the wire, and one more. */
#define L9	"aaaaaaaaa"
#define L63	L9 L9 L9 L9 L9 L9 L9
#define L61	L9 L9 L9 L9 L9 L9 "aaaaaaa"
#define L62	L61 "a"
#define NAME_255 L63 "." L63 "." L63 "." L61
#define NAME_256 L63 "." L63 "." L63 "." L62

#define AN	FG_SEC_ANSWER
#define NS	FG_SEC_AUTHORITY
#define AR	FG_SEC_ADDITIONAL

/* One record the event must carry, as userspace decodes it. */
struct exp_rr {
	uint8_t sec;
	uint16_t type;
	const char *owner;
	uint32_t ttl;		/* as on the wire */
	const char *data;	/* address, or CNAME/NS target */
	unsigned int count;	/* A only: this many, last octet counting up */
};

#define R(sec, type, owner, ttl, data)	{ sec, type, owner, ttl, data, 1 }
#define RN(sec, type, owner, ttl, first, n) { sec, type, owner, ttl, first, n }

/* An entry put in a block map before the frame runs. The map follows from
 * the address: exact IPv4/IPv6, or a trie for a "/len" prefix.
 */
struct block {
	const char *addr;
	uint64_t expires_ns;
	uint64_t hits;		/* packets the entry must count */
};

struct fixture {
	const char *desc;
	void (*build)(struct dns *d, int arg);	/* NULL: no payload */
	int arg;
	const uint8_t *raw;	/* a whole captured frame instead */
	size_t raw_len;
	const char *qname;	/* the captured frame's question */
	uint16_t qtype;
	struct wire wire;
	uint32_t cfg_flags;
	uint16_t port2;		/* second DNS port, 0 for none */
	bool drop;
	bool fast;		/* the fast path must take it */
	uint16_t flags;		/* FG_EVF_*, FG_EVF_IPV6 implied by wire.v6 */
	uint8_t fault;
	const struct exp_rr *rr;
	unsigned int n_spec;
	/* Changes beyond packets, pass, events and records, which follow
	 * from the verdict and the records.
	 */
	uint64_t delta[CNT_MAX];
	struct block blocks[MAX_BLOCKS];
};

#define RRS(...)							\
	.rr = (const struct exp_rr[]){ __VA_ARGS__ },			\
	.n_spec = sizeof((const struct exp_rr[]){ __VA_ARGS__ }) /	\
		  sizeof(struct exp_rr)

static struct fluxguard *skel;
static struct fg_maps maps;
static int prog_fd;
static unsigned int lo_ifindex;
static unsigned int n_checks;

struct capture {
	unsigned int n;
	size_t size[MAX_CAPTURE];
	struct fg_event ev[MAX_CAPTURE];
};

static struct capture cap;
static struct ring_buffer *rb;

#define CHECK(cond, ...)						\
	do {								\
		n_checks++;						\
		if (!(cond))						\
			fail_msg(__VA_ARGS__);				\
	} while (0)

/* ------------------------------------------------------------------ */
/* Message builders. arg is the fixture's, when it needs one.           */

static void b_simple(struct dns *d, int arg)
{
	size_t q;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 1, 0, 0);
	q = dns_question(d, "www.example.com", FG_TYPE_A);
	dns_ptr(d, q);
	dns_a(d, 300, "192.0.2.1");
}

static void b_aaaa(struct dns *d, int arg)
{
	size_t q;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 2, 0, 0);
	q = dns_question(d, "v6.example.com", FG_TYPE_AAAA);
	dns_ptr(d, q);
	dns_aaaa(d, 120, "2001:db8::1");
	dns_ptr(d, q);
	dns_aaaa(d, 120, "2001:db8::2");
}

/* www -> cdn -> edge, edge's addresses, the servers of example.net in
 * authority with their glue, and an OPT record that is not of interest.
 */
static void b_chain(struct dns *d, int arg)
{
	size_t q, cdn, edge, ns1, ns2;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 5, 2, 3);
	q = dns_question(d, "www.example.com", FG_TYPE_A);
	dns_ptr(d, q);
	cdn = dns_target(d, FG_TYPE_CNAME, 300, "cdn.example.net", DNS_NO_PTR);
	dns_ptr(d, cdn);
	edge = dns_target(d, FG_TYPE_CNAME, 300, "edge", cdn);
	dns_ptr(d, edge);
	dns_a(d, 60, "192.0.2.10");
	dns_ptr(d, edge);
	dns_a(d, 60, "192.0.2.11");
	dns_ptr(d, edge);
	dns_aaaa(d, 60, "2001:db8::10");
	/* "example.net" inside the first CNAME target */
	dns_ptr(d, cdn + 4);
	ns1 = dns_target(d, FG_TYPE_NS, 86400, "ns1", cdn + 4);
	dns_ptr(d, cdn + 4);
	ns2 = dns_target(d, FG_TYPE_NS, 86400, "ns2", cdn + 4);
	dns_ptr(d, ns1);
	dns_a(d, 3600, "203.0.113.1");
	dns_ptr(d, ns2);
	dns_aaaa(d, 3600, "2001:db8::2");
	dns_name(d, "");
	dns_rr_class(d, 41, 1232, 0, 0);	/* EDNS OPT */
}

static const struct exp_rr chain_rrs[] = {
	R(AN, FG_TYPE_CNAME, "www.example.com", 300, "cdn.example.net"),
	R(AN, FG_TYPE_CNAME, "cdn.example.net", 300, "edge.cdn.example.net"),
	R(AN, FG_TYPE_A, "edge.cdn.example.net", 60, "192.0.2.10"),
	R(AN, FG_TYPE_A, "edge.cdn.example.net", 60, "192.0.2.11"),
	R(AN, FG_TYPE_AAAA, "edge.cdn.example.net", 60, "2001:db8::10"),
	R(NS, FG_TYPE_NS, "example.net", 86400, "ns1.example.net"),
	R(NS, FG_TYPE_NS, "example.net", 86400, "ns2.example.net"),
	R(AR, FG_TYPE_A, "ns1.example.net", 3600, "203.0.113.1"),
	R(AR, FG_TYPE_AAAA, "ns2.example.net", 3600, "2001:db8::2"),
};

#define CHAIN_RRS .rr = chain_rrs, .n_spec = ARRAY_SIZE(chain_rrs)

/* The delegation asked for directly: NS in the answer, glue after. */
static void b_ns_answer(struct dns *d, int arg)
{
	size_t q, ns1;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 2, 0, 1);
	q = dns_question(d, "example.org", FG_TYPE_NS);
	dns_ptr(d, q);
	ns1 = dns_target(d, FG_TYPE_NS, 172800, "a.ns", q);
	dns_ptr(d, q);
	dns_target(d, FG_TYPE_NS, 172800, "b.ns.example.com", DNS_NO_PTR);
	dns_ptr(d, ns1);
	dns_a(d, 172800, "203.0.113.53");
}

/* arg A records for one name, addresses 198.51.100.1 upwards. */
static void b_many(struct dns *d, int arg)
{
	char addr[INET_ADDRSTRLEN];
	size_t q;
	int i;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, arg, 0, 0);
	q = dns_question(d, "many.example.com", FG_TYPE_A);
	for (i = 0; i < arg; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%u",
			 (uint8_t)(i + 1));
		dns_ptr(d, q);
		dns_a(d, 60, addr);
	}
}

/* arg A records, then an EDNS OPT record with a cookie option, as a
 * resolver answers a client that sent EDNS.
 */
static void b_opt(struct dns *d, int arg)
{
	static const uint8_t cookie[] = {
		0x00, 0x0a, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
	};
	size_t q;
	int i;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, arg, 0, 1);
	q = dns_question(d, "opt.example.com", FG_TYPE_A);
	for (i = 0; i < arg; i++) {
		dns_ptr(d, q);
		dns_a(d, 60, i & 1 ? "192.0.2.20" : "192.0.2.21");
	}
	dns_name(d, "");
	dns_rr_class(d, 41, 1232, 0, sizeof(cookie));
	dns_put(d, cookie, sizeof(cookie));
}

/* Two addresses, then records of no interest up to arg records in all. */
static void b_walk(struct dns *d, int arg)
{
	size_t q;
	int i;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, arg, 0, 0);
	q = dns_question(d, "walk.example.com", FG_TYPE_A);
	dns_ptr(d, q);
	dns_a(d, 60, "192.0.2.1");
	dns_ptr(d, q);
	dns_a(d, 60, "192.0.2.2");
	for (i = 2; i < arg; i++) {
		dns_ptr(d, q);
		dns_rr(d, 16, 60, 0);	/* empty TXT */
	}
}

enum { QNAME_255, QNAME_256, TARGET_255, TARGET_256 };

/* A name at the limit or one byte over it, as the question or as a CNAME
 * target.
 */
static void b_name_max(struct dns *d, int arg)
{
	const char *name = arg == QNAME_256 || arg == TARGET_256 ?
			   NAME_256 : NAME_255;
	size_t q;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 1, 0, 0);
	if (arg == TARGET_255 || arg == TARGET_256) {
		q = dns_question(d, "www.example.com", FG_TYPE_A);
		dns_ptr(d, q);
		dns_target(d, FG_TYPE_CNAME, 300, name, DNS_NO_PTR);
		return;
	}
	q = dns_question(d, name, FG_TYPE_A);
	dns_ptr(d, q);
	dns_a(d, 300, "192.0.2.1");
}

/* Names are case-insensitive and may hold any byte: the question in mixed
 * case, and an alias whose first label holds a dot and a space.
 */
static void b_odd_names(struct dns *d, int arg)
{
	size_t q, rdata;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 1, 0, 0);
	q = dns_question(d, "WwW.Example.COM", FG_TYPE_A);
	dns_ptr(d, q);
	rdata = dns_rr(d, FG_TYPE_CNAME, 300, 0);
	dns_u8(d, 4);
	dns_put(d, "A.b ", 4);
	dns_name_ptr(d, "", q + 4);
	dns_set_u16(d, rdata - 2, d->len - rdata);
}

/* One good address, then a record whose owner is arg's bad name. */
enum { BAD_LABEL_80, BAD_NAME_256, BAD_PTR_SELF, BAD_PTR_MUTUAL,
	BAD_PTR_FWD, BAD_PTR_OUT, BAD_PTR_HDR };

static void b_bad_owner(struct dns *d, int arg)
{
	size_t q, x;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 2, 0, 0);
	q = dns_question(d, "www.example.com", FG_TYPE_A);
	dns_ptr(d, q);
	dns_a(d, 300, "192.0.2.1");
	switch (arg) {
	case BAD_LABEL_80:
		dns_u8(d, 0x80);
		dns_name(d, "x");
		break;
	case BAD_NAME_256:
		dns_name(d, NAME_256);
		break;
	case BAD_PTR_SELF:
		dns_ptr(d, d->len);
		break;
	case BAD_PTR_MUTUAL:
		/* Two pointers to each other, reached through a third. */
		dns_counts(d, 1, 3, 0, 0);
		dns_ptr(d, q);
		x = dns_rr(d, 99, 60, 4);
		dns_ptr(d, x + 2);
		dns_ptr(d, x);
		dns_ptr(d, x + 2);
		break;
	case BAD_PTR_FWD:
		/* to the record's own rdata */
		dns_ptr(d, d->len + 2 + 10);
		break;
	case BAD_PTR_OUT:
		dns_ptr(d, 0x3fff);
		break;
	case BAD_PTR_HDR:
		dns_ptr(d, 4);
		break;
	}
	dns_a(d, 300, "192.0.2.2");
}

/* A question label of reserved type 01 (0x40 = length 64). */
static void b_label40(struct dns *d, int arg)
{
	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 1, 0, 0);
	dns_u8(d, 0x40);
	dns_put(d, L63 "a", 64);
	dns_name(d, "com");
	dns_u16(d, FG_TYPE_A);
	dns_u16(d, DNS_CLASS_IN);
	dns_u16(d, DNS_PTR | 12);
	dns_a(d, 300, "192.0.2.1");
}

/* An address, then one whose owner is arg pointers chained: each in the
 * rdata of a record of no interest points to the one before it.
 */
static void b_ptr_chain(struct dns *d, int arg)
{
	size_t q, prev;
	int i;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 3, 0, 0);
	q = dns_question(d, "chain.example", FG_TYPE_A);
	dns_ptr(d, q);
	dns_a(d, 300, "192.0.2.1");
	dns_ptr(d, q);
	dns_rr(d, 99, 60, 2 * (arg - 1));
	prev = q;
	for (i = 0; i < arg - 1; i++)
		prev = dns_ptr(d, prev);
	dns_ptr(d, prev);
	dns_a(d, 300, "192.0.2.2");
}

/* An alias whose target is FG_MAX_PTR chained pointers (allowed), then an
 * address owned by a pointer to that target: one pointer too many.
 */
static void b_ptr_chain_known(struct dns *d, int arg)
{
	size_t q, prev, target;
	int i;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 3, 0, 0);
	q = dns_question(d, "chain.example", FG_TYPE_A);
	dns_ptr(d, q);
	dns_rr(d, 99, 60, 2 * (FG_MAX_PTR - 1));
	prev = q;
	for (i = 0; i < FG_MAX_PTR - 1; i++)
		prev = dns_ptr(d, prev);
	dns_ptr(d, q);
	target = dns_target(d, FG_TYPE_CNAME, 300, "", prev);
	dns_ptr(d, target);
	dns_a(d, 300, "192.0.2.1");
}

/* Three answers announced, two present. */
static void b_ancount_more(struct dns *d, int arg)
{
	b_aaaa(d, 0);
	dns_counts(d, 1, 3, 0, 0);
}

enum { RD_A5, RD_AAAA4, RD_CNAME_SHORT };

static void b_rdlen(struct dns *d, int arg)
{
	size_t q;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 2, 0, 0);
	q = dns_question(d, "www.example.com", FG_TYPE_A);
	if (arg == RD_CNAME_SHORT) {
		/* the target ends two bytes before rdata does */
		dns_ptr(d, q);
		dns_rr(d, FG_TYPE_CNAME, 300, 2 + 2 + 2);
		dns_name_ptr(d, "x", q);
		dns_u16(d, 0);
		dns_ptr(d, q);
		dns_a(d, 300, "192.0.2.1");
		return;
	}
	dns_ptr(d, q);
	dns_a(d, 300, "192.0.2.1");
	dns_ptr(d, q);
	if (arg == RD_A5) {
		dns_rr(d, FG_TYPE_A, 300, 5);
		dns_put(d, "\xc0\x00\x02\x02\x00", 5);
	} else {
		dns_rr(d, FG_TYPE_AAAA, 300, 4);
		dns_put(d, "\x20\x01\x0d\xb8", 4);
	}
}

static void b_flags(struct dns *d, int arg)
{
	b_simple(d, 0);
	dns_set_u16(d, 2, arg);
}

static void b_qd2(struct dns *d, int arg)
{
	size_t q;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 2, 1, 0, 0);
	q = dns_question(d, "www.example.com", FG_TYPE_A);
	dns_ptr(d, q);
	dns_u16(d, FG_TYPE_A);
	dns_u16(d, DNS_CLASS_IN);
	dns_ptr(d, q);
	dns_a(d, 300, "192.0.2.1");
}

static void b_no_question(struct dns *d, int arg)
{
	dns_hdr(d, DNS_ID, DNS_RESPONSE, 0, 1, 0, 0);
	dns_name(d, "bare.example.com");
	dns_a(d, 300, "192.0.2.1");
}

/* MX and TXT answers only. */
static void b_no_records(struct dns *d, int arg)
{
	size_t q, rdata;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 2, 0, 0);
	q = dns_question(d, "example.com", 15);
	dns_ptr(d, q);
	rdata = dns_rr(d, 15, 300, 0);
	dns_u16(d, 10);
	dns_name_ptr(d, "mail", q);
	dns_set_u16(d, rdata - 2, d->len - rdata);
	dns_ptr(d, q);
	dns_rr(d, 16, 300, 6);
	dns_put(d, "\x05hello", 6);
}

/* A record of class CH is not an address on the Internet. */
static void b_class_ch(struct dns *d, int arg)
{
	size_t q;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 2, 0, 0);
	q = dns_question(d, "www.example.com", FG_TYPE_A);
	dns_ptr(d, q);
	dns_rr_class(d, FG_TYPE_A, 3, 300, 4);
	dns_put(d, "\xc0\x00\x02\x09", 4);
	dns_ptr(d, q);
	dns_a(d, 300, "192.0.2.1");
}

static void b_ttl_top(struct dns *d, int arg)
{
	size_t q;

	dns_hdr(d, DNS_ID, DNS_RESPONSE, 1, 1, 0, 0);
	q = dns_question(d, "www.example.com", FG_TYPE_A);
	dns_ptr(d, q);
	dns_a(d, 0x80000000u, "192.0.2.1");
}

/* Bytes from a fixed-seed generator, with QR forced so that the parser
 * has to look further than the flags.
 */
static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

static void b_random(struct dns *d, int arg)
{
	uint32_t seed = arg;
	int i;

	d->len = 0;
	for (i = 0; i < 64; i++)
		dns_u8(d, lcg(&seed));
	d->b[2] |= 0x80;
	d->b[2] &= ~0x78;	/* opcode QUERY */
}

/* One address, then bytes no section announces, past the copy cap. */
static void b_trailing(struct dns *d, int arg)
{
	b_simple(d, 0);
	while (d->len < FG_MSG_MAX + (size_t)arg)
		dns_u8(d, 0xee);
}

/* A DNS header cut short. */
static void b_short(struct dns *d, int arg)
{
	b_simple(d, 0);
	d->len = FG_DNS_HDR_LEN - 1;
}

/* ------------------------------------------------------------------ */
/* Real responses recorded in the namespace lab (tests/captures/), kept
 * here so that the table does not depend on the files.
 */

/* lab-v4.pcap frame 6: the double-flux zone's NS set, glue in additional */
static const uint8_t cap_dbl_flux_ns[] = {
	0x9a, 0xa8, 0x68, 0xc9, 0x8d, 0xbd, 0xa2, 0xfe, 0x30, 0xcd, 0xaa, 0x84,
	0x08, 0x00, 0x45, 0x00, 0x00, 0xc5, 0xc9, 0x02, 0x00, 0x00, 0x40, 0x11,
	0x21, 0xc9, 0xc6, 0x12, 0x02, 0x36, 0xc6, 0x12, 0x01, 0x02, 0x00, 0x35,
	0x87, 0xfc, 0x00, 0xb1, 0x17, 0xbb, 0xea, 0xed, 0x81, 0x80, 0x00, 0x01,
	0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x08, 0x64, 0x62, 0x6c, 0x2d, 0x66,
	0x6c, 0x75, 0x78, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x02, 0x00,
	0x01, 0xc0, 0x0c, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00,
	0x06, 0x03, 0x6e, 0x73, 0x37, 0xc0, 0x0c, 0xc0, 0x0c, 0x00, 0x02, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x07, 0x04, 0x6e, 0x73, 0x31, 0x31,
	0xc0, 0x0c, 0xc0, 0x0c, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05,
	0x00, 0x07, 0x04, 0x6e, 0x73, 0x31, 0x32, 0xc0, 0x0c, 0xc0, 0x0c, 0x00,
	0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x06, 0x03, 0x6e, 0x73,
	0x36, 0xc0, 0x0c, 0xc0, 0x63, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x04, 0xc6, 0x13, 0xcf, 0x35, 0xc0, 0x2b, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x04, 0xc6, 0x13, 0xd7, 0x35, 0xc0,
	0x3d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x04, 0xc6,
	0x13, 0xd0, 0x35, 0xc0, 0x50, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x04, 0xc6, 0x13, 0xd2, 0x35,
};

/* lab-v4.pcap frame 10: a CDN alias and its two addresses */
static const uint8_t cap_cdn_cname[] = {
	0x9a, 0xa8, 0x68, 0xc9, 0x8d, 0xbd, 0xa2, 0xfe, 0x30, 0xcd, 0xaa, 0x84,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x7f, 0xc9, 0x08, 0x00, 0x00, 0x40, 0x11,
	0x22, 0x09, 0xc6, 0x12, 0x02, 0x36, 0xc6, 0x12, 0x01, 0x02, 0x00, 0x35,
	0xbc, 0xf5, 0x00, 0x6b, 0xd4, 0x24, 0x29, 0xbe, 0x81, 0x80, 0x00, 0x01,
	0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x03, 0x77, 0x77, 0x77, 0x08, 0x63,
	0x64, 0x6e, 0x2d, 0x67, 0x6f, 0x6f, 0x64, 0x04, 0x74, 0x65, 0x73, 0x74,
	0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x14, 0x00, 0x14, 0x04, 0x65, 0x64, 0x67, 0x65, 0x0c, 0x63,
	0x64, 0x6e, 0x70, 0x72, 0x6f, 0x76, 0x2d, 0x67, 0x6f, 0x6f, 0x64, 0xc0,
	0x19, 0xc0, 0x2f, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x14, 0x00,
	0x04, 0xc6, 0x12, 0x64, 0x15, 0xc0, 0x2f, 0x00, 0x01, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x14, 0x00, 0x04, 0xc6, 0x12, 0x64, 0x1f,
};

/* lab-v6.pcap frame 4: five AAAA records of a fast-flux name */
static const uint8_t cap_flux_aaaa[] = {
	0x9a, 0xa8, 0x68, 0xc9, 0x8d, 0xbd, 0xa2, 0xfe, 0x30, 0xcd, 0xaa, 0x84,
	0x86, 0xdd, 0x60, 0x07, 0x49, 0x45, 0x00, 0xb9, 0x11, 0x40, 0xfd, 0x00,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x54, 0xfd, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x35, 0x9e, 0xe1, 0x00, 0xb9,
	0x46, 0x55, 0x24, 0xca, 0x81, 0x80, 0x00, 0x01, 0x00, 0x05, 0x00, 0x00,
	0x00, 0x00, 0x03, 0x77, 0x77, 0x77, 0x0a, 0x65, 0x76, 0x69, 0x6c, 0x36,
	0x2d, 0x66, 0x6c, 0x75, 0x78, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00,
	0x1c, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x10, 0xfd, 0x00, 0x00, 0x66, 0x00, 0x26, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9d, 0xc0, 0x0c, 0x00, 0x1c, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x10, 0xfd, 0x00, 0x00, 0x66, 0x00,
	0x27, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc2, 0xc0,
	0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x10, 0xfd,
	0x00, 0x00, 0x66, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x95, 0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x10, 0xfd, 0x00, 0x00, 0x66, 0x00, 0x0b, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9e, 0xc0, 0x0c, 0x00, 0x1c, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x10, 0xfd, 0x00, 0x00, 0x66, 0x00,
	0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc3,
};

/* ------------------------------------------------------------------ */
/* Fixtures                                                             */

#define PARSED		[C(dns_responses)] = 1
#define V4(...)		.wire = { __VA_ARGS__ }
#define V6(...)		.wire = { .v6 = true, __VA_ARGS__ }

static const struct exp_rr simple_rr[] = {
	R(AN, FG_TYPE_A, "www.example.com", 300, "192.0.2.1"),
};

#define SIMPLE_RR .rr = simple_rr, .n_spec = 1

static const struct fixture fixtures[] = {
	/* Transport */
	{ "IPv4: one A record", b_simple, 0, V4(), SIMPLE_RR,
	  .delta = { PARSED },
	  .fast = true },
	{ "IPv6: one A record", b_simple, 0, V6(), SIMPLE_RR,
	  .delta = { PARSED },
	  .fast = true },
	{ "IPv4: CNAME chain, NS and glue", b_chain, 0, V4(), CHAIN_RRS,
	  .delta = { PARSED } },
	{ "IPv6: CNAME chain, NS and glue", b_chain, 0, V6(), CHAIN_RRS,
	  .delta = { PARSED } },
	{ "VLAN: 802.1Q tag", b_chain, 0, V4(.vlans = 1), CHAIN_RRS,
	  .delta = { PARSED } },
	{ "VLAN: 802.1ad + 802.1Q (QinQ) tags", b_chain, 0, V4(.vlans = 2),
	  CHAIN_RRS, .delta = { PARSED } },
	{ "VLAN: QinQ tags over IPv6", b_chain, 0, V6(.vlans = 2), CHAIN_RRS,
	  .delta = { PARSED } },
	{ "IPv4 header with 8 bytes of options", b_chain, 0, V4(.ip_opts = 8),
	  CHAIN_RRS, .delta = { PARSED } },
	{ "IPv4 header with 40 bytes of options (ihl 15)", b_simple, 0,
	  V4(.ip_opts = 40), SIMPLE_RR, .delta = { PARSED },
	  .fast = true },
	{ "IPv4 header length below 20 bytes", b_simple, 0, V4(.ihl = 4),
	  .delta = { [C(l3_short)] = 1 } },
	{ "IPv6 hop-by-hop and destination options", b_chain, 0,
	  V6(.v6_ext = 2), CHAIN_RRS, .delta = { PARSED } },
	{ "IPv6 with as many extension headers as walked", b_simple, 0,
	  V6(.v6_ext = V6_EXT_MAX), SIMPLE_RR, .delta = { PARSED },
	  .fast = true },
	{ "IPv6 with one extension header too many", b_simple, 0,
	  V6(.v6_ext = V6_EXT_MAX + 1), .delta = { [C(ext_hdr_limit)] = 1 } },
	{ "response from port 5353, not configured", b_simple, 0,
	  V4(.sport = 5353), .delta = { [C(not_dns)] = 1 } },
	{ "response from port 5353, configured", b_simple, 0,
	  V4(.sport = 5353), .port2 = 5353, SIMPLE_RR, .delta = { PARSED },
	  .fast = true },
	{ "datagram to port 53 from a client port", b_simple, 0,
	  V4(.to_server = true), .delta = { [C(not_dns)] = 1 } },
	{ "Ethernet padding after the datagram", b_simple, 0, V4(.pad = 18),
	  SIMPLE_RR, .delta = { PARSED },
	  .fast = true },
	{ "IPv4 first fragment (MF)", b_simple, 0, V4(.v4_frag = IP_MF),
	  .delta = { [C(fragments)] = 1 } },
	{ "IPv4 later fragment (offset 8)", b_simple, 0, V4(.v4_frag = 1),
	  .delta = { [C(fragments)] = 1 } },
	{ "IPv4 don't-fragment bit is not a fragment", b_simple, 0,
	  V4(.v4_frag = IP_DF), SIMPLE_RR, .delta = { PARSED },
	  .fast = true },
	{ "IPv6 fragment header", b_simple, 0, V6(.v6_frag = true),
	  .delta = { [C(fragments)] = 1 } },
	{ "IPv6 fragment header after extension headers", b_simple, 0,
	  V6(.v6_ext = 2, .v6_frag = true), .delta = { [C(fragments)] = 1 } },
	{ "IPv6 fragment header after the last header walked", b_simple, 0,
	  V6(.v6_ext = V6_EXT_MAX, .v6_frag = true),
	  .delta = { [C(fragments)] = 1 } },
	{ "VLAN: three tags (not parsed)", b_simple, 0, V4(.vlans = 3),
	  .delta = { [C(not_ip)] = 1 } },
	{ "TCP segment from port 53", NULL, 0, V4(.tcp = true) },

	/* Records */
	{ "AAAA answers", b_aaaa, 0, V4(),
	  RRS(R(AN, FG_TYPE_AAAA, "v6.example.com", 120, "2001:db8::1"),
	      R(AN, FG_TYPE_AAAA, "v6.example.com", 120, "2001:db8::2")),
	  .delta = { PARSED },
	  .fast = true },
	{ "NS in the answer, glue in additional", b_ns_answer, 0, V4(),
	  RRS(R(AN, FG_TYPE_NS, "example.org", 172800, "a.ns.example.org"),
	      R(AN, FG_TYPE_NS, "example.org", 172800, "b.ns.example.com"),
	      R(AR, FG_TYPE_A, "a.ns.example.org", 172800, "203.0.113.53")),
	  .delta = { PARSED } },
	{ "response without a question", b_no_question, 0, V4(),
	  RRS(R(AN, FG_TYPE_A, "bare.example.com", 300, "192.0.2.1")),
	  .delta = { PARSED } },
	{ "name of 255 bytes", b_name_max, QNAME_255, V4(),
	  RRS(R(AN, FG_TYPE_A, NAME_255, 300, "192.0.2.1")),
	  .delta = { PARSED },
	  .fast = true },
	{ "name of 256 bytes in the question", b_name_max, QNAME_256, V4(),
	  .delta = { PARSED, [C(mal_name_long)] = 1 } },
	{ "CNAME target of 255 bytes", b_name_max, TARGET_255, V4(),
	  RRS(R(AN, FG_TYPE_CNAME, "www.example.com", 300, NAME_255)),
	  .delta = { PARSED } },
	{ "CNAME target of 256 bytes", b_name_max, TARGET_256, V4(),
	  .delta = { PARSED, [C(mal_name_long)] = 1 } },
	{ "mixed case and escaped bytes in names", b_odd_names, 0, V4(),
	  RRS(R(AN, FG_TYPE_CNAME, "www.example.com", 300,
		"a\\046b\\032.example.com")),
	  .delta = { PARSED } },
	{ "answer of 32 A records", b_many, 32, V4(),
	  RRS(RN(AN, FG_TYPE_A, "many.example.com", 60, "198.51.100.1", 32)),
	  .delta = { PARSED } },
	{ "answer of exactly FG_MAX_RR A records", b_many, FG_MAX_RR, V6(),
	  RRS(RN(AN, FG_TYPE_A, "many.example.com", 60, "198.51.100.1",
		FG_MAX_RR)),
	  .delta = { PARSED } },
	{ "answer of 50 A records: capped", b_many, 50, V4(),
	  .flags = FG_EVF_RR_CAPPED,
	  RRS(RN(AN, FG_TYPE_A, "many.example.com", 60, "198.51.100.1",
		FG_MAX_RR)),
	  .delta = { PARSED, [C(rr_capped)] = 1 } },
	{ "message over the copy cap", b_many, 95, V4(),
	  .flags = FG_EVF_RR_CAPPED | FG_EVF_MSG_CAPPED | FG_EVF_PARTIAL,
	  .fault = FG_FAULT_TRUNC,
	  RRS(RN(AN, FG_TYPE_A, "many.example.com", 60, "198.51.100.1",
		FG_MAX_RR)),
	  .delta = { PARSED, [C(rr_capped)] = 1, [C(msg_capped)] = 1,
		     [C(partial)] = 1 } },
	{ "unannounced bytes past the copy cap", b_trailing, 100, V4(),
	  .flags = FG_EVF_MSG_CAPPED, SIMPLE_RR,
	  .delta = { PARSED, [C(msg_capped)] = 1 } },
	{ "records walked up to the walk bound", b_walk, FG_MAX_RR_WALK, V4(),
	  RRS(RN(AN, FG_TYPE_A, "walk.example.com", 60, "192.0.2.1", 2)),
	  .delta = { PARSED } },
	{ "one record past the walk bound", b_walk, FG_MAX_RR_WALK + 1, V4(),
	  .flags = FG_EVF_PARTIAL, .fault = FG_FAULT_WALK,
	  RRS(RN(AN, FG_TYPE_A, "walk.example.com", 60, "192.0.2.1", 2)),
	  .delta = { PARSED, [C(mal_walk)] = 1, [C(partial)] = 1 } },
	{ "record of class CH skipped", b_class_ch, 0, V4(), SIMPLE_RR,
	  .delta = { PARSED } },
	{ "TTL with the top bit set", b_ttl_top, 0, V4(),
	  RRS(R(AN, FG_TYPE_A, "www.example.com", 0x80000000u, "192.0.2.1")),
	  .delta = { PARSED },
	  .fast = true },
	{ "owner after FG_MAX_PTR chained pointers", b_ptr_chain, FG_MAX_PTR,
	  V4(),
	  RRS(R(AN, FG_TYPE_A, "chain.example", 300, "192.0.2.1"),
	      R(AN, FG_TYPE_A, "chain.example", 300, "192.0.2.2")),
	  .delta = { PARSED } },

	/* Hostile or odd input */
	{ "owner after FG_MAX_PTR + 1 chained pointers", b_ptr_chain,
	  FG_MAX_PTR + 1, V4(), .flags = FG_EVF_PARTIAL,
	  .fault = FG_FAULT_PTR_MANY,
	  RRS(R(AN, FG_TYPE_A, "chain.example", 300, "192.0.2.1")),
	  .delta = { PARSED, [C(mal_ptr_many)] = 1, [C(partial)] = 1 } },
	{ "owner pointing to a target that used every pointer",
	  b_ptr_chain_known, 0, V4(), .flags = FG_EVF_PARTIAL,
	  .fault = FG_FAULT_PTR_MANY,
	  RRS(R(AN, FG_TYPE_CNAME, "chain.example", 300, "chain.example")),
	  .delta = { PARSED, [C(mal_ptr_many)] = 1, [C(partial)] = 1 } },
	{ "label type 0x40 in the question", b_label40, 0, V4(),
	  .delta = { PARSED, [C(mal_label)] = 1 } },
	{ "label type 0x80 in an owner", b_bad_owner, BAD_LABEL_80, V4(),
	  .flags = FG_EVF_PARTIAL, .fault = FG_FAULT_LABEL, SIMPLE_RR,
	  .delta = { PARSED, [C(mal_label)] = 1, [C(partial)] = 1 } },
	{ "owner of 256 bytes", b_bad_owner, BAD_NAME_256, V4(),
	  .flags = FG_EVF_PARTIAL, .fault = FG_FAULT_NAME_LONG, SIMPLE_RR,
	  .delta = { PARSED, [C(mal_name_long)] = 1, [C(partial)] = 1 } },
	{ "pointer to itself", b_bad_owner, BAD_PTR_SELF, V4(),
	  .flags = FG_EVF_PARTIAL, .fault = FG_FAULT_PTR_FWD, SIMPLE_RR,
	  .delta = { PARSED, [C(mal_ptr_fwd)] = 1, [C(partial)] = 1 } },
	{ "two pointers to each other", b_bad_owner, BAD_PTR_MUTUAL, V4(),
	  .flags = FG_EVF_PARTIAL, .fault = FG_FAULT_PTR_FWD, SIMPLE_RR,
	  .delta = { PARSED, [C(mal_ptr_fwd)] = 1, [C(partial)] = 1 } },
	{ "forward pointer", b_bad_owner, BAD_PTR_FWD, V4(),
	  .flags = FG_EVF_PARTIAL, .fault = FG_FAULT_PTR_FWD, SIMPLE_RR,
	  .delta = { PARSED, [C(mal_ptr_fwd)] = 1, [C(partial)] = 1 } },
	{ "pointer past the message", b_bad_owner, BAD_PTR_OUT, V4(),
	  .flags = FG_EVF_PARTIAL, .fault = FG_FAULT_PTR_OUT, SIMPLE_RR,
	  .delta = { PARSED, [C(mal_ptr_out)] = 1, [C(partial)] = 1 } },
	{ "pointer into the header", b_bad_owner, BAD_PTR_HDR, V4(),
	  .flags = FG_EVF_PARTIAL, .fault = FG_FAULT_PTR_OUT, SIMPLE_RR,
	  .delta = { PARSED, [C(mal_ptr_out)] = 1, [C(partial)] = 1 } },
	{ "ancount larger than the records present", b_ancount_more, 0, V4(),
	  .flags = FG_EVF_PARTIAL, .fault = FG_FAULT_TRUNC,
	  RRS(R(AN, FG_TYPE_AAAA, "v6.example.com", 120, "2001:db8::1"),
	      R(AN, FG_TYPE_AAAA, "v6.example.com", 120, "2001:db8::2")),
	  .delta = { PARSED, [C(mal_trunc)] = 1, [C(partial)] = 1 } },
	{ "A record with rdlength 5", b_rdlen, RD_A5, V4(),
	  .flags = FG_EVF_PARTIAL, .fault = FG_FAULT_RDLEN, SIMPLE_RR,
	  .delta = { PARSED, [C(mal_rdlen)] = 1, [C(partial)] = 1 } },
	{ "AAAA record with rdlength 4", b_rdlen, RD_AAAA4, V4(),
	  .flags = FG_EVF_PARTIAL, .fault = FG_FAULT_RDLEN, SIMPLE_RR,
	  .delta = { PARSED, [C(mal_rdlen)] = 1, [C(partial)] = 1 } },
	{ "CNAME target shorter than rdlength", b_rdlen, RD_CNAME_SHORT, V4(),
	  .delta = { PARSED, [C(mal_rdlen)] = 1 } },
	{ "random bytes on port 53", b_random, 1, V4(),
	  .delta = { PARSED, [C(mal_qdcount)] = 1 } },
	{ "query from port 53 (QR clear)", b_flags, DNS_QUERY, V4(),
	  .delta = { [C(dns_queries)] = 1 } },
	{ "NOTIFY response", b_flags, DNS_RESPONSE | DNS_OP_NOTIFY, V4(),
	  .delta = { [C(not_dns)] = 1 } },
	{ "TC bit set", b_flags, DNS_RESPONSE | DNS_FLAG_TC, V4(),
	  .flags = FG_EVF_TC | FG_EVF_PARTIAL, SIMPLE_RR,
	  .delta = { PARSED, [C(dns_tc)] = 1 } },
	{ "qdcount 2", b_qd2, 0, V4(),
	  .delta = { PARSED, [C(mal_qdcount)] = 1 } },
	{ "UDP payload shorter than a DNS header", b_short, 0, V4(),
	  .delta = { [C(mal_dns_short)] = 1 } },
	{ "UDP length shorter than a DNS header", b_simple, 0,
	  V4(.udp_len = UDP_HLEN + FG_DNS_HDR_LEN - 1),
	  .delta = { [C(mal_dns_short)] = 1 } },
	{ "MX and TXT only: no record of interest", b_no_records, 0, V4(),
	  .delta = { PARSED, [C(no_records)] = 1 } },
	{ "events switched off", b_chain, 0, V4(),
	  .cfg_flags = FG_CFG_NO_EVENTS, .delta = { PARSED } },

	/* Blocks */
	{ "blocked source (IPv4)", b_simple, 0, V4(), .drop = true,
	  .delta = { [C(drop)] = 1 }, .blocks = { { FR_SERVER4, 0, 1 } } },
	{ "blocked destination (IPv4)", b_simple, 0, V4(), .drop = true,
	  .delta = { [C(drop)] = 1 }, .blocks = { { FR_CLIENT4, 0, 1 } } },
	{ "blocked source (IPv6)", b_simple, 0, V6(), .drop = true,
	  .delta = { [C(drop)] = 1 }, .blocks = { { FR_SERVER6, 0, 1 } } },
	{ "blocked destination (IPv6)", b_simple, 0, V6(), .drop = true,
	  .delta = { [C(drop)] = 1 }, .blocks = { { FR_CLIENT6, 0, 1 } } },
	{ "blocked IPv4 prefix", b_simple, 0, V4(), .drop = true,
	  .delta = { [C(drop)] = 1 }, .blocks = { { "192.0.2.0/24", 0, 1 } } },
	{ "blocked IPv6 prefix", b_simple, 0, V6(), .drop = true,
	  .delta = { [C(drop)] = 1 },
	  .blocks = { { "2001:db8:53::/48", 0, 1 } } },
	{ "block expiring now is not enforced", b_simple, 0, V4(), SIMPLE_RR,
	  .delta = { PARSED, [C(expired_hit)] = 1 },
	  .blocks = { { FR_SERVER4, NOW_NS, 0 } },
	  .fast = true },
	{ "block expiring 1 ns from now is enforced", b_simple, 0, V4(),
	  .drop = true, .delta = { [C(drop)] = 1 },
	  .blocks = { { FR_SERVER4, NOW_NS + 1, 1 } } },
	{ "expired IPv6 prefix is not enforced", b_simple, 0, V6(), SIMPLE_RR,
	  .delta = { PARSED, [C(expired_hit)] = 1 },
	  .blocks = { { "2001:db8:7::/48", NOW_NS - 1, 0 } },
	  .fast = true },
	{ "dry run: block counted, frame passed", b_simple, 0, V4(),
	  .cfg_flags = FG_CFG_DRY_RUN, SIMPLE_RR,
	  .delta = { PARSED, [C(dry_run_drop)] = 1 },
	  .blocks = { { FR_SERVER4, 0, 1 } },
	  .fast = true },
	{ "dry run on an IPv6 prefix", NULL, 0, V6(.tcp = true),
	  .cfg_flags = FG_CFG_DRY_RUN, .delta = { [C(dry_run_drop)] = 1 },
	  .blocks = { { "2001:db8::/32", 0, 1 } } },
	{ "blocked TCP segment", NULL, 0, V4(.tcp = true), .drop = true,
	  .delta = { [C(drop)] = 1 }, .blocks = { { FR_SERVER4, 0, 1 } } },
	{ "blocked fragment", b_simple, 0, V4(.v4_frag = IP_MF), .drop = true,
	  .delta = { [C(drop)] = 1 }, .blocks = { { FR_CLIENT4, 0, 1 } } },
	{ "expired host entry inside a blocked IPv4 prefix", b_simple, 0, V4(),
	  .drop = true, .delta = { [C(drop)] = 1, [C(expired_hit)] = 1 },
	  .blocks = { { FR_SERVER4, NOW_NS, 0 }, { "192.0.2.0/24", 0, 1 } } },
	{ "expired host entry inside a blocked IPv6 prefix", b_simple, 0, V6(),
	  .drop = true, .delta = { [C(drop)] = 1, [C(expired_hit)] = 1 },
	  .blocks = { { FR_CLIENT6, NOW_NS, 0 }, { "2001:db8:7::/48", 0, 1 } } },
	/* Captured */
	{ "captured: double-flux NS set with glue", .raw = cap_dbl_flux_ns,
	  .raw_len = sizeof(cap_dbl_flux_ns), .qname = "dbl-flux.test",
	  .qtype = FG_TYPE_NS,
	  RRS(R(AN, FG_TYPE_NS, "dbl-flux.test", 5, "ns7.dbl-flux.test"),
	      R(AN, FG_TYPE_NS, "dbl-flux.test", 5, "ns11.dbl-flux.test"),
	      R(AN, FG_TYPE_NS, "dbl-flux.test", 5, "ns12.dbl-flux.test"),
	      R(AN, FG_TYPE_NS, "dbl-flux.test", 5, "ns6.dbl-flux.test"),
	      R(AR, FG_TYPE_A, "ns6.dbl-flux.test", 5, "198.19.207.53"),
	      R(AR, FG_TYPE_A, "ns7.dbl-flux.test", 5, "198.19.215.53"),
	      R(AR, FG_TYPE_A, "ns11.dbl-flux.test", 5, "198.19.208.53"),
	      R(AR, FG_TYPE_A, "ns12.dbl-flux.test", 5, "198.19.210.53")),
	  .delta = { PARSED } },
	{ "captured: CDN alias", .raw = cap_cdn_cname,
	  .raw_len = sizeof(cap_cdn_cname), .qname = "www.cdn-good.test",
	  .qtype = FG_TYPE_A,
	  RRS(R(AN, FG_TYPE_CNAME, "www.cdn-good.test", 20,
		"edge.cdnprov-good.test"),
	      R(AN, FG_TYPE_A, "edge.cdnprov-good.test", 20, "198.18.100.21"),
	      R(AN, FG_TYPE_A, "edge.cdnprov-good.test", 20, "198.18.100.31")),
	  .delta = { PARSED } },
	{ "captured: fast-flux AAAA set over IPv6", .raw = cap_flux_aaaa,
	  .raw_len = sizeof(cap_flux_aaaa), .wire = { .v6 = true },
	  .qname = "www.evil6-flux.test", .qtype = FG_TYPE_AAAA,
	  RRS(R(AN, FG_TYPE_AAAA, "www.evil6-flux.test", 5, "fd00:66:26::9d"),
	      R(AN, FG_TYPE_AAAA, "www.evil6-flux.test", 5, "fd00:66:27::c2"),
	      R(AN, FG_TYPE_AAAA, "www.evil6-flux.test", 5, "fd00:66:4::95"),
	      R(AN, FG_TYPE_AAAA, "www.evil6-flux.test", 5, "fd00:66:b::9e"),
	      R(AN, FG_TYPE_AAAA, "www.evil6-flux.test", 5, "fd00:66:c::c3")),
	  .delta = { PARSED },
	  .fast = true },
};

/* ------------------------------------------------------------------ */
/* Program plumbing                                                     */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Records compared field by field: the program leaves pad as it was. */
static bool rr_equal(const struct fg_rr *a, const struct fg_rr *b)
{
	return a->owner_off == b->owner_off && a->rdata_off == b->rdata_off &&
	       a->type == b->type && a->rdlen == b->rdlen &&
	       a->ttl == b->ttl && a->section == b->section;
}

static int on_event(void *ctx, void *data, size_t size)
{
	if (cap.n < MAX_CAPTURE) {
		cap.size[cap.n] = size;
		memcpy(&cap.ev[cap.n], data,
		       size < sizeof(cap.ev[0]) ? size : sizeof(cap.ev[0]));
	}
	cap.n++;
	return 0;
}

static void read_stats(uint64_t out[CNT_MAX])
{
	int i, ncpu = libbpf_num_possible_cpus();
	struct fg_stats *v = calloc(ncpu, sizeof(*v));
	uint32_t key = 0;

	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.fg_stats),
					     &key, v), 0);
	memset(out, 0, CNT_MAX * sizeof(out[0]));
#define FG_COUNTER_SUM(name, help) out[C(name)] += v[i].name;
	for (i = 0; i < ncpu; i++) {
		FG_COUNTERS(FG_COUNTER_SUM)
	}
#undef FG_COUNTER_SUM
	free(v);
}

static void set_config(uint32_t flags, uint16_t port2, uint32_t n4,
		       uint32_t n6)
{
	struct fg_config cfg = {
		.flags = flags,
		.dns_ports = { FR_DNS_PORT, port2 },
		.n_prefix_v4 = n4,
		.n_prefix_v6 = n6,
		.now_ns = NOW_NS,
		.wakeup_bytes = 0,
	};
	uint32_t key = 0;

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.fg_config),
					     &key, &cfg, BPF_ANY), 0);
}

/* Which map an address goes to, and its key. Returns the map fd. */
static int block_key(const char *text, uint8_t key[BLOCK_KEY_MAX], int *is_v6)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	uint32_t plen;

	snprintf(buf, sizeof(buf), "%.*s",
		 (int)(slash ? slash - text : (long)strlen(text)), text);
	memset(key, 0, BLOCK_KEY_MAX);
	*is_v6 = strchr(buf, ':') != NULL;
	if (!slash) {
		assert_int_equal(inet_pton(*is_v6 ? AF_INET6 : AF_INET, buf,
					   key), 1);
		return bpf_map__fd(*is_v6 ? skel->maps.fg_block_v6 :
				   skel->maps.fg_block_v4);
	}
	plen = atoi(slash + 1);
	memcpy(key, &plen, sizeof(plen));
	assert_int_equal(inet_pton(*is_v6 ? AF_INET6 : AF_INET, buf,
				   key + sizeof(plen)), 1);
	return bpf_map__fd(*is_v6 ? skel->maps.fg_block_net6 :
			   skel->maps.fg_block_net4);
}

static void clear_map(struct bpf_map *map)
{
	uint8_t key[BLOCK_KEY_MAX], next[BLOCK_KEY_MAX];
	int fd = bpf_map__fd(map);

	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, sizeof(key));
		assert_int_equal(bpf_map_delete_elem(fd, key), 0);
	}
}

static int run_frame(const struct frame *f, uint32_t *action)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = f->b,
		    .data_size_in = f->len,
		    .repeat = 1);
	int err;

	cap.n = 0;
	err = bpf_prog_test_run_opts(prog_fd, &opts);
	*action = opts.retval;
	ring_buffer__consume(rb);
	return err;
}

/* Offset just past the name at off as it sits in place: after its root
 * label or its first pointer. 0 if it runs past len.
 */
static size_t name_extent(const uint8_t *m, size_t len, size_t off)
{
	while (off < len) {
		uint8_t b = m[off];

		if (!b)
			return off + 1;
		if ((b & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		off += b + 1;
	}
	return 0;
}

/* Expands count entries into single records; addrs holds their text. */
static unsigned int expand(const struct exp_rr *spec, unsigned int n_spec,
			   struct exp_rr *out,
			   char (*addrs)[INET6_ADDRSTRLEN])
{
	unsigned int i, k, n = 0;

	for (i = 0; i < n_spec; i++) {
		for (k = 0; k < spec[i].count && n < FG_MAX_RR; k++, n++) {
			uint8_t a[4];

			out[n] = spec[i];
			if (spec[i].count == 1)
				continue;
			assert_int_equal(inet_pton(AF_INET, spec[i].data, a), 1);
			a[3] += k;
			inet_ntop(AF_INET, a, addrs[n], INET6_ADDRSTRLEN);
			out[n].data = addrs[n];
		}
	}
	return n;
}

static uint32_t decoded_ttl(uint32_t ttl)
{
	return ttl & 0x80000000u ? 0 : ttl;
}

/* One record: as decoded by userspace, and as raw offsets into the
 * message that was sent.
 */
static void check_rr(const char *desc, unsigned int i, const struct exp_rr *e,
		     const struct fg_rr *rr, const struct fg_answer *a,
		     const uint8_t *msg, size_t msg_len)
{
	uint8_t addr[16] = { 0 };
	size_t fixed = rr->rdata_off - 10;

	CHECK(rr->section == e->sec && a->section == e->sec,
	      "%s: rr %u section %u, want %u", desc, i, rr->section, e->sec);
	CHECK(rr->type == e->type && a->type == e->type,
	      "%s: rr %u type %u, want %u", desc, i, rr->type, e->type);
	CHECK(rr->ttl == e->ttl, "%s: rr %u raw ttl %u, want %u", desc, i,
	      rr->ttl, e->ttl);
	CHECK(a->ttl == decoded_ttl(e->ttl), "%s: rr %u ttl %u, want %u",
	      desc, i, a->ttl, decoded_ttl(e->ttl));
	CHECK(!strcmp(a->owner, e->owner), "%s: rr %u owner '%s', want '%s'",
	      desc, i, a->owner, e->owner);

	/* The fixed part before rdata is this record's, and the owner name
	 * ends right where it starts.
	 */
	CHECK(rr->rdata_off >= FG_DNS_HDR_LEN + 1 + 10 &&
	      rr->rdata_off + rr->rdlen <= msg_len,
	      "%s: rr %u rdata %u+%u outside %zu bytes", desc, i,
	      rr->rdata_off, rr->rdlen, msg_len);
	CHECK(get16(msg + fixed) == rr->type &&
	      get16(msg + fixed + 2) == DNS_CLASS_IN &&
	      get32(msg + fixed + 4) == rr->ttl &&
	      get16(msg + fixed + 8) == rr->rdlen,
	      "%s: rr %u fixed part does not match the message", desc, i);
	CHECK(rr->owner_off < fixed &&
	      name_extent(msg, msg_len, rr->owner_off) == fixed,
	      "%s: rr %u owner at %u does not end at %zu", desc, i,
	      rr->owner_off, fixed);
	CHECK(a->rdata_off == rr->rdata_off, "%s: rr %u decoded rdata_off",
	      desc, i);

	switch (e->type) {
	case FG_TYPE_A:
	case FG_TYPE_AAAA: {
		int v6 = e->type == FG_TYPE_AAAA;
		size_t n = v6 ? 16 : 4;

		assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, e->data,
					   addr), 1);
		CHECK(rr->rdlen == n, "%s: rr %u rdlen %u", desc, i,
		      rr->rdlen);
		CHECK(!memcmp(msg + rr->rdata_off, addr, n),
		      "%s: rr %u rdata_off %u is not %s in the message", desc,
		      i, rr->rdata_off, e->data);
		CHECK(a->addr.family == (v6 ? AF_INET6 : AF_INET) &&
		      !memcmp(a->addr.bytes, addr, n),
		      "%s: rr %u decoded address is not %s", desc, i, e->data);
		break;
	}
	default:
		CHECK(name_extent(msg, msg_len, rr->rdata_off) ==
		      (size_t)rr->rdata_off + rr->rdlen,
		      "%s: rr %u target does not fill rdata", desc, i);
		CHECK(!strcmp(a->target, e->data),
		      "%s: rr %u target '%s', want '%s'", desc, i, a->target,
		      e->data);
		break;
	}
}

static struct fg_response resp;

/* The whole event: header fields from the frame, records from the
 * fixture, nothing else.
 */
static void check_event(const char *desc, const struct fg_event *ev,
			size_t size, const struct frame *f,
			const struct dns *d, bool v6, uint16_t flags,
			uint8_t fault, const struct exp_rr *exp,
			unsigned int n_exp)
{
	const uint8_t *msg = f->b + f->dns_off;
	size_t present = f->len - f->dns_off;
	uint16_t wire_len = get16(f->b + f->dns_off - UDP_HLEN + 4) -
			    UDP_HLEN;
	size_t msg_len = present < wire_len ? present : wire_len;
	size_t alen = v6 ? 16 : 4;
	uint8_t zero[16] = { 0 };
	unsigned int i;

	if (msg_len > FG_MSG_MAX)
		msg_len = FG_MSG_MAX;
	if (v6)
		flags |= FG_EVF_IPV6;

	CHECK(fg_event_len_ok(ev, size), "%s: event of %zu bytes, want %u",
	      desc, size, fg_event_len(ev));
	CHECK(ev->flags == flags, "%s: flags %#x, want %#x", desc, ev->flags,
	      flags);
	CHECK(ev->fault == fault, "%s: fault %u, want %u", desc, ev->fault,
	      fault);
	CHECK(ev->n_rr == n_exp, "%s: %u records, want %u", desc, ev->n_rr,
	      n_exp);
	CHECK(ev->ts_ns == NOW_NS, "%s: ts_ns %llu", desc,
	      (unsigned long long)ev->ts_ns);
	CHECK(ev->ifindex == lo_ifindex, "%s: ifindex %u", desc, ev->ifindex);
	CHECK(!memcmp(ev->saddr, f->saddr, alen) &&
	      !memcmp(ev->saddr + alen, zero, 16 - alen),
	      "%s: saddr", desc);
	CHECK(!memcmp(ev->daddr, f->daddr, alen) &&
	      !memcmp(ev->daddr + alen, zero, 16 - alen),
	      "%s: daddr", desc);
	CHECK(ev->sport == f->sport && ev->dport == f->dport,
	      "%s: ports %u > %u", desc, ev->sport, ev->dport);
	CHECK(ev->dns_id == get16(msg) && ev->dns_flags == get16(msg + 2),
	      "%s: id %#x flags %#x", desc, ev->dns_id, ev->dns_flags);
	CHECK(ev->msg_len == msg_len && ev->wire_len == wire_len,
	      "%s: msg_len %u wire_len %u, want %zu %u", desc, ev->msg_len,
	      ev->wire_len, msg_len, wire_len);
	CHECK(!memcmp(fg_event_msg(ev), msg, msg_len),
	      "%s: message copy differs", desc);
	CHECK(ev->qtype == d->qtype, "%s: qtype %u", desc, ev->qtype);
	CHECK(ev->qname_off == (d->qname ? FG_DNS_HDR_LEN : 0),
	      "%s: qname_off %u", desc, ev->qname_off);

	CHECK(fg_decode_event(ev, size, 0, &resp) == 0,
	      "%s: event does not decode", desc);
	CHECK(!strcasecmp(resp.qname, d->qname ? d->qname : ""),
	      "%s: qname '%s'", desc, resp.qname);
	CHECK(resp.n_answers == n_exp, "%s: %u answers decoded", desc,
	      resp.n_answers);
	for (i = 0; i < n_exp && i < ev->n_rr; i++) {
		check_rr(desc, i, &exp[i], &ev->rr[i], &resp.answers[i], msg,
			 msg_len);
		CHECK(!i || ev->rr[i].rdata_off > ev->rr[i - 1].rdata_off,
		      "%s: rr %u out of message order", desc, i);
	}
}

static void check_counters(const char *desc, const uint64_t before[CNT_MAX],
			   const uint64_t after[CNT_MAX],
			   const uint64_t want[CNT_MAX])
{
	int i;

	for (i = 0; i < CNT_MAX; i++)
		CHECK(after[i] - before[i] == want[i],
		      "%s: counter %s rose by %llu, want %llu", desc,
		      counter_names[i],
		      (unsigned long long)(after[i] - before[i]),
		      (unsigned long long)want[i]);
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */

static int fixture_setup(void **state)
{
	set_config(0, 0, 0, 0);
	return 0;
}

/* Leaves no entry behind for the next fixture, even after a failure. */
static int fixture_teardown(void **state)
{
	clear_map(skel->maps.fg_block_v4);
	clear_map(skel->maps.fg_block_v6);
	clear_map(skel->maps.fg_block_net4);
	clear_map(skel->maps.fg_block_net6);
	/* The records went by hand: their index entries go the same way. */
	memset(maps.index, 0, FG_INDEX_SLOTS * sizeof(*maps.index));
	memset(maps.exact, 0, FG_EXACT_MAX * sizeof(*maps.exact));
	ring_buffer__consume(rb);
	return 0;
}

/* What one run of a fixture left: its event, if any. */
struct outcome {
	unsigned int n;
	size_t size;
	struct fg_event ev;
};

/* One run of fx, on the general walk alone or with the fast path
 * allowed: every check of the fixture, then the maps cleared.
 */
static void run_mode(const struct fixture *fx, bool general,
		     struct outcome *out)
{
	static struct dns d;
	static struct frame f;
	static struct exp_rr exp[FG_MAX_RR];
	static char addrs[FG_MAX_RR][INET6_ADDRSTRLEN];
	uint64_t before[CNT_MAX], after[CNT_MAX], want[CNT_MAX];
	uint32_t n4 = 0, n6 = 0, action;
	char desc[160];
	unsigned int i, n_exp;

	snprintf(desc, sizeof(desc), "%s (%s)", fx->desc,
		 general ? "general walk" : "fast path allowed");
	memset(&d, 0, sizeof(d));
	if (fx->raw) {
		frame_from_bytes(&f, fx->raw, fx->raw_len);
		d.qname = fx->qname;
		d.qtype = fx->qtype;
	} else {
		if (fx->build)
			fx->build(&d, fx->arg);
		build_frame(&f, &fx->wire, d.b, d.len);
	}
	n_exp = expand(fx->rr, fx->n_spec, exp, addrs);

	for (i = 0; i < MAX_BLOCKS && fx->blocks[i].addr; i++) {
		struct fg_block val = {
			.expires_ns = fx->blocks[i].expires_ns,
			.reason = FG_REASON_MANUAL,
		};
		struct fg_cidr c;

		if (strchr(fx->blocks[i].addr, '/'))
			strchr(fx->blocks[i].addr, ':') ? n6++ : n4++;
		/* As the daemon adds them: the index follows. */
		assert_int_equal(fg_cidr_parse(fx->blocks[i].addr, &c), 0);
		assert_int_equal(fg_block_put(&maps, &c, &val), 0);
	}
	set_config(fx->cfg_flags | (general ? FG_CFG_NO_FASTPATH : 0),
		   fx->port2, n4, n6);

	read_stats(before);
	assert_int_equal(run_frame(&f, &action), 0);
	read_stats(after);

	CHECK(action == (fx->drop ? XDP_DROP : XDP_PASS), "%s: action %u",
	      desc, action);
	memcpy(want, fx->delta, sizeof(want));
	want[C(packets)] = 1;
	want[C(pass)] = !fx->drop;
	want[C(events)] = n_exp ? 1 : 0;
	want[C(records)] = n_exp;
	want[C(fast_path)] = !general && fx->fast;
	check_counters(desc, before, after, want);

	CHECK(cap.n == (n_exp ? 1u : 0u), "%s: %u events", desc, cap.n);
	if (cap.n == 1) {
		check_event(desc, &cap.ev[0], cap.size[0], &f, &d,
			    fx->wire.v6, fx->flags, fx->fault, exp, n_exp);
		CHECK(cap.size[0] == (!general && fx->fast ?
				      fg_fast_slot(cap.ev[0].n_rr,
						   cap.ev[0].msg_len) :
				      fg_event_len(&cap.ev[0])),
		      "%s: %zu bytes on the ring", desc, cap.size[0]);
	}
	out->n = cap.n;
	out->size = cap.size[0];
	out->ev = cap.ev[0];

	for (i = 0; i < MAX_BLOCKS && fx->blocks[i].addr; i++) {
		struct fg_block val;
		struct fg_cidr c;

		assert_int_equal(fg_cidr_parse(fx->blocks[i].addr, &c), 0);
		assert_int_equal(fg_block_get(&maps, &c, &val), 0);
		CHECK(val.packets == fx->blocks[i].hits &&
		      val.bytes == fx->blocks[i].hits * f.len,
		      "%s: entry %s counted %llu packets %llu bytes", desc,
		      fx->blocks[i].addr, (unsigned long long)val.packets,
		      (unsigned long long)val.bytes);
	}
	fixture_teardown(NULL);
}

/* Both ways of reading a message must say the same, byte for byte. */
static void run_fixture(void **state)
{
	const struct fixture *fx = *state;
	static struct outcome walk, fast;

	run_mode(fx, true, &walk);
	run_mode(fx, false, &fast);
	CHECK(walk.n == fast.n, "%s: %u events walked, %u fast", fx->desc,
	      walk.n, fast.n);
	if (walk.n == 1 && fast.n == 1)
		CHECK(!memcmp(&walk.ev, &fast.ev, fg_event_len(&walk.ev)),
		      "%s: the fast event differs from the walked one",
		      fx->desc);
}

/* Every record of a cut message must be one of the complete message's,
 * in the same place, and lie wholly inside the cut.
 */
static void check_prefix(const char *desc, const struct fg_event *ref,
			 const struct fg_event *ev, size_t size, size_t cut)
{
	unsigned int i;

	CHECK(ev->n_rr <= ref->n_rr, "%s: %u records", desc, ev->n_rr);
	CHECK(ev->msg_len <= cut, "%s: msg_len %u past the cut", desc,
	      ev->msg_len);
	CHECK(!memcmp(fg_event_msg(ev), fg_event_msg(ref), ev->msg_len),
	      "%s: message differs", desc);
	CHECK(ev->flags & FG_EVF_PARTIAL && ev->fault == FG_FAULT_TRUNC,
	      "%s: flags %#x fault %u", desc, ev->flags, ev->fault);
	CHECK(fg_decode_event(ev, size, 0, &resp) == 0,
	      "%s: event does not decode", desc);
	for (i = 0; i < ev->n_rr && i < ref->n_rr; i++) {
		CHECK(rr_equal(&ev->rr[i], &ref->rr[i]),
		      "%s: rr %u differs from the full parse", desc, i);
		CHECK((size_t)ev->rr[i].rdata_off + ev->rr[i].rdlen <= cut,
		      "%s: rr %u reaches past the cut", desc, i);
	}
}

/* Cuts the chain response at every length, two ways: the frame ends early
 * (headers still claim the full length) and the sender sent a short
 * datagram (headers agree). Neither may crash, drop, or invent a record.
 */
static void test_truncation(void **state)
{
	static struct dns d;
	static struct frame full, f;
	static struct fg_event ref;
	uint64_t before[CNT_MAX], after[CNT_MAX];
	unsigned int partial = 0;
	char desc[96];
	uint32_t action;
	size_t cut;
	int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		struct wire w = { .v6 = v6, .vlans = 1 };

		memset(&d, 0, sizeof(d));
		b_chain(&d, 0);
		build_frame(&full, &w, d.b, d.len);
		assert_int_equal(run_frame(&full, &action), 0);
		assert_int_equal(cap.n, 1);
		ref = cap.ev[0];
		assert_int_equal(ref.n_rr, ARRAY_SIZE(chain_rrs));

		/* Below an Ethernet header the kernel refuses the run. */
		for (cut = 0; cut < ETH_HLEN; cut++) {
			f = full;
			f.len = cut;
			CHECK(run_frame(&f, &action) < 0,
			      "frame of %zu bytes accepted", cut);
		}
		for (cut = ETH_HLEN; cut <= full.len; cut++) {
			f = full;
			f.len = cut;
			snprintf(desc, sizeof(desc), "v%d frame cut at %zu",
				 v6 ? 6 : 4, cut);
			read_stats(before);
			assert_int_equal(run_frame(&f, &action), 0);
			read_stats(after);
			CHECK(action == XDP_PASS, "%s: action %u", desc,
			      action);
			CHECK(after[C(pass)] - before[C(pass)] == 1,
			      "%s: not counted as passed", desc);
			CHECK(cap.n <= 1, "%s: %u events", desc, cap.n);
			if (cut == full.len) {
				CHECK(cap.n == 1 &&
				      !memcmp(&cap.ev[0], &ref,
					      offsetof(struct fg_event, rr)),
				      "%s: full frame parsed differently",
				      desc);
				continue;
			}
			if (!cap.n)
				continue;
			partial++;
			check_prefix(desc, &ref, &cap.ev[0], cap.size[0],
				     cut - full.dns_off);
		}
		for (cut = 0; cut < d.len; cut++) {
			snprintf(desc, sizeof(desc), "v%d datagram of %zu",
				 v6 ? 6 : 4, cut);
			build_frame(&f, &w, d.b, cut);
			assert_int_equal(run_frame(&f, &action), 0);
			CHECK(action == XDP_PASS, "%s: action %u", desc,
			      action);
			CHECK(cap.n <= 1, "%s: %u events", desc, cap.n);
			if (!cap.n)
				continue;
			partial++;
			check_prefix(desc, &ref, &cap.ev[0], cap.size[0], cut);
		}
	}
	/* Cuts inside the records must have yielded partial events. */
	CHECK(partial > 0, "no partial event in any cut");
}

/* Frames run in one go to overflow the ring buffer, RINGBUF_OVERRUN
 * more than it holds of their events, each behind an 8-byte ring-buffer
 * header and rounded up to 8 bytes.
 */
#define RINGBUF_REC(size)	(((size) + 8 + 7) & ~7UL)
#define RINGBUF_OVERRUN		100

/* A consumer that falls behind loses events, and every loss is counted:
 * nothing is silently dropped and no frame is.
 */
static void test_ringbuf_full(void **state)
{
	static struct dns d;
	static struct frame f;
	struct wire w = { 0 };
	uint64_t before[CNT_MAX], after[CNT_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	unsigned long events;
	uint32_t rounds;
	int consumed;

	b_simple(&d, 0);
	build_frame(&f, &w, d.b, d.len);
	opts.data_in = f.b;
	opts.data_size_in = f.len;
	/* One run first, for the size of the frame's event on the ring. */
	opts.repeat = 1;
	cap.n = 0;
	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &opts), 0);
	ring_buffer__consume(rb);
	assert_int_equal(cap.n, 1);
	events = (FG_RINGBUF_BYTES - 1) / RINGBUF_REC(cap.size[0]);
	rounds = events + RINGBUF_OVERRUN;
	opts.repeat = rounds;
	read_stats(before);
	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &opts), 0);
	read_stats(after);
	cap.n = 0;
	consumed = ring_buffer__consume(rb);

	CHECK(opts.retval == XDP_PASS, "action %u", opts.retval);
	CHECK(after[C(pass)] - before[C(pass)] == rounds, "passed %llu",
	      (unsigned long long)(after[C(pass)] - before[C(pass)]));
	CHECK(after[C(events)] - before[C(events)] == events,
	      "events %llu, want %lu",
	      (unsigned long long)(after[C(events)] - before[C(events)]),
	      events);
	CHECK(after[C(ringbuf_full)] - before[C(ringbuf_full)] ==
	      RINGBUF_OVERRUN, "ringbuf_full %llu",
	      (unsigned long long)(after[C(ringbuf_full)] -
				   before[C(ringbuf_full)]));
	CHECK(consumed == (int)events && cap.n == events,
	      "consumed %d events", consumed);
}

/* A second reading of the contract in include/fluxguard.h, written
 * plainly in userspace: what event, if any, a response must yield.
 */
struct ref_event {
	unsigned int n_rr;
	uint16_t flags;
	uint8_t fault;
	struct fg_rr rr[FG_MAX_RR];
};

/* Validates the name at off; sets *end past it in place. */
static int ref_name(const uint8_t *m, size_t len, size_t off, size_t *end)
{
	size_t pos = off, seg = off, wire = 0, target;
	unsigned int nptr = 0, steps;

	*end = 0;
	for (steps = 0; steps < FG_MAX_LABELS + FG_MAX_PTR + 1; steps++) {
		if (pos >= len)
			return FG_FAULT_TRUNC;
		if (!m[pos]) {
			if (!*end)
				*end = pos + 1;
			return 0;
		}
		if ((m[pos] & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return FG_FAULT_TRUNC;
			target = (m[pos] & 0x3f) << 8 | m[pos + 1];
			if (!*end)
				*end = pos + 2;
			if (++nptr > FG_MAX_PTR)
				return FG_FAULT_PTR_MANY;
			if (target < FG_DNS_HDR_LEN || target >= len)
				return FG_FAULT_PTR_OUT;
			if (target >= seg)
				return FG_FAULT_PTR_FWD;
			seg = pos = target;
			continue;
		}
		if (m[pos] > FG_DNS_LABEL_MAX)
			return FG_FAULT_LABEL;
		wire += m[pos] + 1;
		if (wire + 1 > FG_DNS_NAME_MAX)
			return FG_FAULT_NAME_LONG;
		pos += m[pos] + 1;
	}
	return FG_FAULT_NAME_LONG;
}

static bool ref_wanted(unsigned int sec, uint16_t type)
{
	if (sec == AN)
		return type == FG_TYPE_A || type == FG_TYPE_AAAA ||
		       type == FG_TYPE_CNAME || type == FG_TYPE_NS;
	if (sec == NS)
		return type == FG_TYPE_NS;
	return type == FG_TYPE_A || type == FG_TYPE_AAAA;
}

/* Returns whether an event is due; fills it. m holds len bytes. */
static bool ref_parse(const uint8_t *m, size_t len, struct ref_event *out)
{
	unsigned int an = get16(m + 6), ns = an + get16(m + 8);
	unsigned int total = ns + get16(m + 10), i, sec;
	uint16_t type, rdlen;
	size_t off = FG_DNS_HDR_LEN, fixed, rdata, end;
	bool capped = false;
	int fault = 0;

	memset(out, 0, sizeof(*out));
	if (len > FG_MSG_MAX) {
		len = FG_MSG_MAX;
		out->flags |= FG_EVF_MSG_CAPPED;
	}
	if (get16(m + 2) & DNS_FLAG_TC)
		out->flags |= FG_EVF_TC;
	if (get16(m + 4) > 1)
		return false;
	if (get16(m + 4) == 1) {
		if (ref_name(m, len, off, &end) || end + 4 > len)
			return false;
		off = end + 4;
	}
	for (i = 0; i < total && i < FG_MAX_RR_WALK; i++) {
		fault = ref_name(m, len, off, &fixed);
		if (fault)
			break;
		if (fixed + 10 > len) {
			fault = FG_FAULT_TRUNC;
			break;
		}
		type = get16(m + fixed);
		rdlen = get16(m + fixed + 8);
		rdata = fixed + 10;
		if (rdata + rdlen > len) {
			fault = FG_FAULT_TRUNC;
			break;
		}
		sec = i < an ? AN : i < ns ? NS : AR;
		if (get16(m + fixed + 2) != DNS_CLASS_IN ||
		    !ref_wanted(sec, type)) {
			off = rdata + rdlen;
			continue;
		}
		if ((type == FG_TYPE_A && rdlen != 4) ||
		    (type == FG_TYPE_AAAA && rdlen != 16)) {
			fault = FG_FAULT_RDLEN;
			break;
		}
		if (type == FG_TYPE_CNAME || type == FG_TYPE_NS) {
			fault = ref_name(m, len, rdata, &end);
			if (!fault && end != rdata + rdlen)
				fault = FG_FAULT_RDLEN;
			if (fault)
				break;
		}
		if (out->n_rr == FG_MAX_RR) {
			capped = true;
		} else {
			out->rr[out->n_rr++] = (struct fg_rr){
				.owner_off = off, .rdata_off = rdata,
				.type = type, .rdlen = rdlen,
				.ttl = get32(m + fixed + 4), .section = sec,
			};
		}
		off = rdata + rdlen;
	}
	if (!fault && total > FG_MAX_RR_WALK)
		fault = FG_FAULT_WALK;
	if (capped)
		out->flags |= FG_EVF_RR_CAPPED;
	if (fault || (out->flags & FG_EVF_TC))
		out->flags |= FG_EVF_PARTIAL;
	out->fault = fault;
	return out->n_rr > 0;
}

/* Seeds for the differential test: responses rich in names and pointers,
 * and some at the limits.
 */
static const struct {
	void (*build)(struct dns *d, int arg);
	int arg;
} diff_seeds[] = {
	{ b_chain, 0 }, { b_ns_answer, 0 }, { b_ptr_chain_known, 0 },
	{ b_odd_names, 0 }, { b_aaaa, 0 }, { b_many, FG_MAX_RR + 2 },
	{ b_walk, FG_MAX_RR_WALK }, { b_name_max, TARGET_255 },
	/* what the fast path takes, unmutated */
	{ b_simple, 0 }, { b_many, FG_FAST_RR }, { b_opt, 4 },
};

/* Rounds the fast path must have taken in test_differential, out of
 * DIFF_ROUNDS: a check that the comparison below ever compares.
 */
#define DIFF_FAST_MIN		(DIFF_ROUNDS / 50)

/* The frame on the general walk alone, then with the fast path allowed:
 * the same verdict, the same event byte for byte, the same counters but
 * fast_path. *fast is set when the fast path took it.
 */
static void run_both(const char *desc, const struct frame *f,
		     uint32_t cfg_flags, bool *fast)
{
	static struct fg_event walked;
	uint64_t a[CNT_MAX], b[CNT_MAX], c[CNT_MAX];
	uint32_t act_walk, act_fast;
	unsigned int n_walk;
	size_t size_walk;
	int i;

	set_config(cfg_flags | FG_CFG_NO_FASTPATH, 0, 0, 0);
	read_stats(a);
	assert_int_equal(run_frame(f, &act_walk), 0);
	read_stats(b);
	n_walk = cap.n;
	size_walk = cap.size[0];
	if (n_walk)
		walked = cap.ev[0];
	set_config(cfg_flags, 0, 0, 0);
	assert_int_equal(run_frame(f, &act_fast), 0);
	read_stats(c);
	*fast = c[C(fast_path)] > b[C(fast_path)];

	CHECK(act_walk == act_fast, "%s: action %u walked, %u fast", desc,
	      act_walk, act_fast);
	CHECK(n_walk == cap.n, "%s: %u events walked, %u fast", desc, n_walk,
	      cap.n);
	for (i = 0; i < CNT_MAX; i++)
		CHECK(i == C(fast_path) || b[i] - a[i] == c[i] - b[i],
		      "%s: counter %s rose by %llu walked, %llu fast", desc,
		      counter_names[i], (unsigned long long)(b[i] - a[i]),
		      (unsigned long long)(c[i] - b[i]));
	if (!n_walk || !cap.n)
		return;
	CHECK(size_walk == fg_event_len(&walked) &&
	      cap.size[0] == (*fast ? fg_fast_slot(walked.n_rr,
						     walked.msg_len) :
			      size_walk),
	      "%s: %zu bytes walked, %zu fast", desc, size_walk, cap.size[0]);
	CHECK(!memcmp(&walked, &cap.ev[0], fg_event_len(&walked)),
	      "%s: the fast event differs from the walked one", desc);
}

/* Bytes a mutation writes: pointers, label lengths at the limits and
 * counts that disagree with the message.
 */
static uint8_t diff_byte(uint32_t *seed, size_t len)
{
	static const uint8_t special[] = { 0x00, 0x01, 0x3f, 0x40, 0x80, 0xc0,
					   0xff };

	switch (lcg(seed) % 4) {
	case 0:
		return special[lcg(seed) % sizeof(special)];
	case 1:
		return lcg(seed) % len;		/* a plausible offset */
	default:
		return lcg(seed);
	}
}

/* Mutated responses through the program and through ref_parse(): the
 * event, its flags, fault and every record must agree, and it must
 * decode.
 */
static void test_differential(void **state)
{
	static struct dns d;
	static struct frame f;
	static struct ref_event ref;
	uint32_t seed = 11;
	unsigned int round, i, n, at, fast_rounds = 0;
	struct wire w = { 0 };
	char desc[32];
	bool want, fast;

	for (round = 0; round < DIFF_ROUNDS; round++) {
		memset(&d, 0, sizeof(d));
		at = round % ARRAY_SIZE(diff_seeds);
		diff_seeds[at].build(&d, diff_seeds[at].arg);
		n = 1 + lcg(&seed) % DIFF_MUTATIONS;
		/* Some rounds keep a seed whole or nearly: the usual
		 * message, at its edges.
		 */
		if (lcg(&seed) % 4 == 0)
			n = lcg(&seed) % 2;
		for (i = 0; i < n; i++) {
			at = lcg(&seed) % d.len;
			if (lcg(&seed) % 2) {
				/* a pointer to an earlier offset */
				d.b[at] = 0xc0;
				if (at + 1 < d.len)
					d.b[at + 1] = lcg(&seed) % (at + 1);
			} else {
				d.b[at] = diff_byte(&seed, d.len);
			}
		}
		if (d.len < FG_DNS_HDR_LEN)
			continue;
		d.b[2] = (d.b[2] | 0x80) & ~0x78;	/* response, QUERY */
		if (lcg(&seed) % 8 == 0)
			d.len = FG_DNS_HDR_LEN + lcg(&seed) %
				(d.len - FG_DNS_HDR_LEN + 1);
		want = ref_parse(d.b, d.len, &ref);

		w.v6 = lcg(&seed) % 2;
		build_frame(&f, &w, d.b, d.len);
		snprintf(desc, sizeof(desc), "round %u", round);
		run_both(desc, &f, 0, &fast);
		fast_rounds += fast;
		CHECK(cap.n == want, "round %u: %u events, want %u", round,
		      cap.n, want);
		if (!want)
			continue;
		CHECK(cap.ev[0].n_rr == ref.n_rr &&
		      cap.ev[0].flags == (ref.flags |
					  (w.v6 ? FG_EVF_IPV6 : 0)) &&
		      cap.ev[0].fault == ref.fault,
		      "round %u: %u records flags %#x fault %u, want %u %#x %u",
		      round, cap.ev[0].n_rr, cap.ev[0].flags, cap.ev[0].fault,
		      ref.n_rr, ref.flags, ref.fault);
		for (i = 0; i < ref.n_rr; i++)
			CHECK(rr_equal(&cap.ev[0].rr[i], &ref.rr[i]),
			      "round %u: rr %u at %u/%u, want %u/%u", round, i,
			      cap.ev[0].rr[i].owner_off,
			      cap.ev[0].rr[i].rdata_off, ref.rr[i].owner_off,
			      ref.rr[i].rdata_off);
		CHECK(fg_decode_event(&cap.ev[0], cap.size[0], 0, &resp) == 0,
		      "round %u: event does not decode", round);
	}
	print_message("%u of %u rounds on the fast path\n", fast_rounds,
		      DIFF_ROUNDS);
	CHECK(fast_rounds >= DIFF_FAST_MIN, "only %u rounds on the fast path",
	      fast_rounds);
}

/* Any event the parser makes of noise must decode and stay in bounds. */
static void test_random(void **state)
{
	static struct dns d;
	static struct frame f;
	struct wire w = { 0 };
	uint32_t seed = 7, action, len;
	unsigned int round, i;
	char desc[40];
	bool fast;

	for (round = 0; round < RANDOM_ROUNDS; round++) {
		len = lcg(&seed) % RANDOM_MAX_LEN;
		memset(&d, 0, sizeof(d));
		/* Half the rounds start from a real response, mutated. */
		if (round & 1)
			b_chain(&d, 0);
		for (i = 0; i < len; i++) {
			if (!(round & 1) || lcg(&seed) % 16 == 0)
				d.b[i] = lcg(&seed);
		}
		d.b[2] = (d.b[2] | 0x80) & ~0x78;	/* response, QUERY */
		w.v6 = round & 2;
		build_frame(&f, &w, d.b, len);
		snprintf(desc, sizeof(desc), "random round %u", round);
		run_both(desc, &f, 0, &fast);
		assert_int_equal(run_frame(&f, &action), 0);
		CHECK(action == XDP_PASS, "round %u: action %u", round,
		      action);
		CHECK(cap.n <= 1, "round %u: %u events", round, cap.n);
		if (!cap.n)
			continue;
		CHECK(fg_decode_event(&cap.ev[0], cap.size[0], 0, &resp) == 0,
		      "round %u: event does not decode", round);
		for (i = 0; i < cap.ev[0].n_rr; i++)
			CHECK((size_t)cap.ev[0].rr[i].rdata_off +
			      cap.ev[0].rr[i].rdlen <= len,
			      "round %u: rr %u out of bounds", round, i);
	}
}

/* Queries are read for matching only when asked, on either path: the
 * question alone, the whole message, FG_EVF_QUERY, no record.
 */
static void test_query_events(void **state)
{
	static struct dns d;
	static struct frame f;
	const struct wire plain = { .to_server = true };
	const struct wire v6 = { .to_server = true, .v6 = true };
	const struct wire *wires[] = { &plain, &v6 };
	uint64_t a[CNT_MAX], b[CNT_MAX];
	unsigned int i;
	bool fast;

	(void)state;
	b_flags(&d, DNS_QUERY);
	for (i = 0; i < ARRAY_SIZE(wires); i++) {
		build_frame(&f, wires[i], d.b, d.len);
		read_stats(a);
		run_both("query", &f, FG_CFG_TRACK_QUERIES, &fast);
		read_stats(b);
		CHECK(fast, "query %u: not on the fast path", i);
		CHECK(cap.n == 1 && cap.ev[0].flags ==
		      (FG_EVF_QUERY | (wires[i]->v6 ? FG_EVF_IPV6 : 0)) &&
		      cap.ev[0].n_rr == 0 && cap.ev[0].qtype == FG_TYPE_A &&
		      cap.ev[0].sport == FR_CLIENT_PORT &&
		      cap.ev[0].dport == FR_DNS_PORT,
		      "query %u: no query event", i);
		CHECK(b[C(query_events)] - a[C(query_events)] == 2 &&
		      b[C(dns_queries)] - a[C(dns_queries)] == 2 &&
		      b[C(events)] == a[C(events)],
		      "query %u: counted as something else", i);
		CHECK(fg_decode_event(&cap.ev[0], cap.size[0], 0, &resp) == 0 &&
		      !strcmp(resp.qname, "www.example.com"),
		      "query %u: does not decode", i);
	}
	/* Without matching, a query is only counted. */
	build_frame(&f, &plain, d.b, d.len);
	run_both("untracked query", &f, 0, &fast);
	CHECK(cap.n == 0 && !fast, "untracked query: %u events", cap.n);
}

/* Classic pcap files (not pcapng), either byte order, Ethernet only. */
#define PCAP_MAGIC_US		0xa1b2c3d4
#define PCAP_MAGIC_NS		0xa1b23c4d
#define PCAP_FILE_HLEN		24
#define PCAP_REC_HLEN		16
#define PCAP_LINK_ETHERNET	1
#define PCAP_LINK_OFF		20	/* link type, in the file header */
#define PCAP_CAPLEN_OFF		8	/* captured length, in a record's */

static uint32_t pcap_u32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swap ? __builtin_bswap32(v) : v;
}

/* Replays one capture; returns the frames run, or -1 if it is not one. */
static int replay(const char *path)
{
	static struct frame f;
	uint8_t hdr[PCAP_FILE_HLEN];
	uint32_t magic, caplen, action;
	FILE *fp = fopen(path, "rb");
	int frames = 0;
	bool swap;

	if (!fp)
		return -1;
	if (fread(hdr, sizeof(hdr), 1, fp) != 1)
		goto bad;
	magic = pcap_u32(hdr, false);
	swap = magic == __builtin_bswap32(PCAP_MAGIC_US) ||
	       magic == __builtin_bswap32(PCAP_MAGIC_NS);
	magic = pcap_u32(hdr, swap);
	if ((magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS) ||
	    pcap_u32(hdr + PCAP_LINK_OFF, swap) != PCAP_LINK_ETHERNET)
		goto bad;
	while (fread(hdr, PCAP_REC_HLEN, 1, fp) == 1) {
		caplen = pcap_u32(hdr + PCAP_CAPLEN_OFF, swap);
		if (caplen > sizeof(f.b))
			break;
		if (fread(f.b, 1, caplen, fp) != caplen)
			break;
		if (caplen < ETH_HLEN)
			continue;
		f.len = caplen;
		frames++;
		assert_int_equal(run_frame(&f, &action), 0);
		CHECK(action == XDP_PASS, "%s: action %u", path, action);
		CHECK(cap.n <= 1, "%s: %u events", path, cap.n);
		if (cap.n == 1)
			CHECK(fg_decode_event(&cap.ev[0], cap.size[0], 0,
					      &resp) == 0,
			      "%s: event does not decode", path);
	}
	fclose(fp);
	return frames;
bad:
	fclose(fp);
	return -1;
}

/* Real responses, when the lab has saved some under CAPTURE_DIR: every
 * one passes and every event decodes.
 */
static void test_captures(void **state)
{
	unsigned int files = 0, frames = 0;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir = opendir(CAPTURE_DIR);
	int n;

	if (!dir)
		skip();
	while ((de = readdir(dir))) {
		const char *ext = strrchr(de->d_name, '.');

		if (!ext || strcmp(ext, ".pcap"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", CAPTURE_DIR, de->d_name);
		n = replay(path);
		if (n < 0)
			continue;
		files++;
		frames += n;
	}
	closedir(dir);
	if (!files)
		skip();
	print_message("replayed %u frames from %u captures\n", frames, files);
}

/* A bare TCP frame from saddr (IPv4, no tags) or from the fixture
 * server (IPv6), and the program's verdict on it.
 */
static uint32_t verdict_from(bool v6, uint32_t saddr)
{
	const struct wire w = { .v6 = v6, .tcp = true };
	struct frame f;
	uint32_t action;

	build_frame(&f, &w, NULL, 0);
	if (!v6)
		memcpy(f.b + ETH_HLEN + 12, &saddr, 4);
	assert_int_equal(run_frame(&f, &action), 0);
	return action;
}

/* Sets the index key so that every IPv4 address shares one head: with a
 * multiplier of 2^32 + 1 the product's halves are the address twice, and
 * their fold is 0.
 */
static void one_head_for_v4(void)
{
	struct fg_config cfg;
	uint32_t key = 0;
	int fd = bpf_map__fd(skel->maps.fg_config);

	assert_int_equal(bpf_map_lookup_elem(fd, &key, &cfg), 0);
	cfg.index_key[0] = FG_INDEX_BASE0 ^ ((1ULL << 32) | 1);
	assert_int_equal(bpf_map_update_elem(fd, &key, &cfg, BPF_ANY), 0);
}

static void v4_cidr(uint32_t host_order, struct fg_cidr *c)
{
	uint32_t a = htonl(host_order);

	memset(c, 0, sizeof(*c));
	c->family = AF_INET;
	c->len = 32;
	memcpy(c->bytes, &a, 4);
}

/* Entries on the chain that head 0 starts. */
static unsigned int chain0_len(void)
{
	uint32_t ref = maps.index[0];
	unsigned int n = 0;

	while (ref && n <= FG_EXACT_MAX) {
		ref = maps.exact[ref - 1].next;
		n++;
	}
	return n;
}

/* Fixture addresses: 198.18.0.0/15, as the lab uses. */
#define IDX_BASE	0xc6120a00u

/* The exact index: entries sharing a head are all enforced, a head
 * leads to at most FG_INDEX_CHAIN entries, a removal in the middle of a
 * chain keeps the rest, and every counter follows its own entry.
 */
static void test_index_chain(void **state)
{
	struct fg_block val = { .reason = FG_REASON_MANUAL }, got;
	struct fg_cidr c;
	unsigned int i;

	(void)state;
	set_config(0, 0, 0, 0);
	one_head_for_v4();
	assert_int_equal(verdict_from(false, htonl(IDX_BASE)), XDP_PASS);
	for (i = 0; i < FG_INDEX_CHAIN; i++) {
		v4_cidr(IDX_BASE + i, &c);
		assert_int_equal(fg_block_put(&maps, &c, &val), 0);
	}
	assert_int_equal(chain0_len(), FG_INDEX_CHAIN);
	/* A ninth on the same head is refused, not silently unenforced. */
	v4_cidr(IDX_BASE + FG_INDEX_CHAIN, &c);
	assert_int_equal(fg_block_put(&maps, &c, &val), -ENOSPC);
	assert_int_equal(fg_block_get(&maps, &c, &got), -ENOENT);
	assert_int_equal(verdict_from(false, htonl(IDX_BASE + FG_INDEX_CHAIN)),
			 XDP_PASS);
	/* Putting an entry again renews it in place. */
	v4_cidr(IDX_BASE, &c);
	assert_int_equal(fg_block_put(&maps, &c, &val), 0);
	assert_int_equal(chain0_len(), FG_INDEX_CHAIN);

	for (i = 0; i < FG_INDEX_CHAIN; i++)
		assert_int_equal(verdict_from(false, htonl(IDX_BASE + i)),
				 XDP_DROP);
	/* Two hits on the third entry, one on every other. */
	assert_int_equal(verdict_from(false, htonl(IDX_BASE + 2)), XDP_DROP);
	for (i = 0; i < FG_INDEX_CHAIN; i++) {
		v4_cidr(IDX_BASE + i, &c);
		assert_int_equal(fg_block_get(&maps, &c, &got), 0);
		CHECK(got.packets == (i == 2 ? 2u : 1u),
		      "entry %u counted %llu packets", i,
		      (unsigned long long)got.packets);
	}
	/* A renewal, as the daemon makes one, keeps the counts. */
	v4_cidr(IDX_BASE + 2, &c);
	assert_int_equal(fg_block_get(&maps, &c, &got), 0);
	got.expires_ns = NOW_NS + 1;
	got.packets = got.bytes = 0;
	assert_int_equal(fg_block_put(&maps, &c, &got), 0);
	assert_int_equal(fg_block_get(&maps, &c, &got), 0);
	CHECK(got.packets == 2 && got.expires_ns == NOW_NS + 1,
	      "renewal: %llu packets, expiry %llu",
	      (unsigned long long)got.packets,
	      (unsigned long long)got.expires_ns);

	/* The middle and the head of the chain go; the rest stay. */
	v4_cidr(IDX_BASE + 3, &c);
	assert_int_equal(fg_block_del(&maps, &c), 0);
	v4_cidr(IDX_BASE + FG_INDEX_CHAIN - 1, &c);	/* linked last: head */
	assert_int_equal(fg_block_del(&maps, &c), 0);
	assert_int_equal(chain0_len(), FG_INDEX_CHAIN - 2);
	for (i = 0; i < FG_INDEX_CHAIN; i++)
		assert_int_equal(verdict_from(false, htonl(IDX_BASE + i)),
				 i == 3 || i == FG_INDEX_CHAIN - 1 ?
				 XDP_PASS : XDP_DROP);
	/* Room again: the refused address fits now, with no old counts. */
	v4_cidr(IDX_BASE + FG_INDEX_CHAIN, &c);
	assert_int_equal(fg_block_put(&maps, &c, &val), 0);
	assert_int_equal(verdict_from(false, htonl(IDX_BASE + FG_INDEX_CHAIN)),
			 XDP_DROP);
	assert_int_equal(fg_block_get(&maps, &c, &got), 0);
	assert_int_equal(got.packets, 1);
}

/* The index and the records after writers that died between their
 * steps: the repair that `run` makes when it adopts the maps restores
 * enforcement of every record and removes what no record names.
 */
static void test_index_repair(void **state)
{
	struct fg_block val = { .reason = FG_REASON_MANUAL };
	struct fg_cidr x, x6, y;
	struct fg_host_block h;
	uint32_t xa, ya, id;
	uint8_t key[BLOCK_KEY_MAX];
	int v6, fd;

	(void)state;
	set_config(0, 0, 0, 0);
	assert_int_equal(fg_cidr_parse(FR_SERVER4, &x), 0);
	assert_int_equal(fg_cidr_parse(FR_SERVER6, &x6), 0);
	assert_int_equal(fg_cidr_parse("198.18.7.7", &y), 0);
	memcpy(&xa, x.bytes, 4);
	memcpy(&ya, y.bytes, 4);
	assert_int_equal(fg_block_put(&maps, &x, &val), 0);
	assert_int_equal(fg_block_put(&maps, &x6, &val), 0);
	assert_int_equal(fg_block_put(&maps, &y, &val), 0);
	assert_int_equal(fg_block_index_repair(&maps), 0);

	/* A record whose entry a writer never linked is not enforced... */
	memset(maps.index, 0, FG_INDEX_SLOTS * sizeof(*maps.index));
	memset(maps.exact, 0, FG_EXACT_MAX * sizeof(*maps.exact));
	assert_int_equal(verdict_from(false, xa), XDP_PASS);
	assert_int_equal(verdict_from(true, 0), XDP_PASS);
	/* ...until the repair: every record is enforced again. */
	CHECK(fg_block_index_repair(&maps) > 0, "repair found nothing");
	assert_int_equal(verdict_from(false, xa), XDP_DROP);
	assert_int_equal(verdict_from(false, ya), XDP_DROP);
	assert_int_equal(verdict_from(true, 0), XDP_DROP);
	assert_int_equal(fg_block_index_repair(&maps), 0);

	/* An entry whose record a dying writer removed by hand is dropped
	 * from the index by the repair.
	 */
	fd = block_key("198.18.7.7", key, &v6);
	assert_int_equal(bpf_map_lookup_elem(fd, key, &h), 0);
	id = h.exact;
	assert_int_equal(bpf_map_delete_elem(fd, key), 0);
	assert_int_equal(verdict_from(false, ya), XDP_DROP);
	CHECK(fg_block_index_repair(&maps) > 0, "orphan left in the index");
	assert_int_equal(maps.exact[id].family, 0);
	assert_int_equal(verdict_from(false, ya), XDP_PASS);
	assert_int_equal(verdict_from(false, xa), XDP_DROP);

	/* The expiry the program compares with follows the record. */
	fd = block_key(FR_SERVER4, key, &v6);
	assert_int_equal(bpf_map_lookup_elem(fd, key, &h), 0);
	h.expires_ns = NOW_NS - 1;
	assert_int_equal(bpf_map_update_elem(fd, key, &h, BPF_EXIST), 0);
	assert_int_equal(verdict_from(false, xa), XDP_DROP);
	CHECK(fg_block_index_repair(&maps) > 0, "expiry not followed");
	assert_int_equal(verdict_from(false, xa), XDP_PASS);

	assert_int_equal(fg_block_del(&maps, &x), 0);
	assert_int_equal(fg_block_del(&maps, &x6), 0);
	assert_int_equal(verdict_from(true, 0), XDP_PASS);
	assert_int_equal(fg_block_del(&maps, &x), -ENOENT);
}

static int group_setup(void **state)
{
	skel = fluxguard__open_and_load();
	if (!skel) {
		fprintf(stderr, "cannot load the XDP program (root?): %s\n",
			strerror(errno));
		return -1;
	}
	prog_fd = bpf_program__fd(skel->progs.fluxguard_xdp);
	if (fg_maps_from_skel(&maps, skel))
		return -1;
	rb = ring_buffer__new(bpf_map__fd(skel->maps.fg_events), on_event,
			      NULL, NULL);
	lo_ifindex = if_nametoindex("lo");
	return rb ? 0 : -1;
}

static int group_teardown(void **state)
{
	fg_maps_unmap(&maps);
	ring_buffer__free(rb);
	fluxguard__destroy(skel);
	return 0;
}

int main(void)
{
	const size_t n_fix = ARRAY_SIZE(fixtures);
	static const struct CMUnitTest extra[] = {
		cmocka_unit_test_setup_teardown(test_truncation, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_random, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_differential,
						fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_ringbuf_full,
						fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_query_events,
						fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_captures, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_index_chain,
						fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_index_repair,
						fixture_setup,
						fixture_teardown),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixtures) + ARRAY_SIZE(extra)];
	size_t i;
	int failed;

	for (i = 0; i < n_fix; i++) {
		tests[i] = (struct CMUnitTest){
			.name = fixtures[i].desc,
			.test_func = run_fixture,
			.setup_func = fixture_setup,
			.teardown_func = fixture_teardown,
			.initial_state = (void *)&fixtures[i],
		};
	}
	memcpy(tests + n_fix, extra, sizeof(extra));
	failed = _cmocka_run_group_tests("xdp", tests, ARRAY_SIZE(tests),
					 group_setup, group_teardown);
	fprintf(stderr, "%zu fixtures, %u checks\n", n_fix, n_checks);
	return failed;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The fast path: the usual DNS message read straight from the packet and
 * written straight into a ring slot, with no copy through a buffer and
 * no helper call but the ring's. It takes a response whose question is
 * plain labels and whose records are up to FG_FAST_RR A or AAAA answers
 * owned by the question (pointer 0xc00c), perhaps followed by an EDNS OPT
 * record, and any query with a plain question. It gives up on anything
 * else, before touching the ring, and the general walk (dns.h) starts
 * over: the event is the same either way, byte for byte (the fixture
 * tests run both).
 */
#ifndef FG_FAST_H
#define FG_FAST_H

#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "fluxguard.h"
#include "clock.h"
#include "ring.h"

/* Labels of a question the fast path walks; www.example.co.uk has four. */
#define FG_FAST_LABELS		8
/* Bounds offsets into the message for the verifier; above FG_FAST_MSG_MAX,
 * so at run time the mask changes nothing.
 */
#define FG_FAST_MASK		511
#define DNS_TYPE_OPT		41
/* The owner of an answer about the question: a pointer to offset 12. */
#define DNS_PTR_QUESTION	0xc00c
/* Bytes of a record after a two-byte owner, up to rdata. */
#define DNS_PTR_RR_FIXED	12
/* Bytes of an OPT record before its options: root owner and fixed part. */
#define DNS_OPT_FIXED		11

_Static_assert(FG_FAST_MSG_MAX <= FG_FAST_MASK, "the mask must cover a message");
_Static_assert(FG_FAST_SMALL_MSG >= 8, "the tail copy reads 8 bytes");

/* Where the transport left the DNS message. */
struct dns_src {
	__u32 off;		/* payload offset from ctx->data */
	__u32 len;		/* message bytes: present in the frame, at most claimed */
	__u32 wire_len;		/* payload length the UDP header claims */
	__u16 sport, dport;
	__u16 dns_flags;
	__u8 ipv6;
	__u8 query;		/* a query to match responses against */
	__u8 saddr[16];		/* IPv4 in the first 4 bytes */
	__u8 daddr[16];
};

/* Per CPU: the message at hand, the records the fast path keeps until it
 * has a ring slot, the values it launders, and the keys of prefix
 * lookups. In a map value rather than on the stack, where the general
 * walk's frames need the room.
 */
struct fast_scratch {
	struct dns_src src;
	__u64 since_wakeup;	/* ring bytes since this CPU woke the consumer */
	__u32 pos;
	__u32 pad;
	struct fg_rr rr[FG_FAST_RR];
	struct fg_lpm_v4_key lpm4;
	struct fg_lpm_v6_key lpm6;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fast_scratch);
} fg_fast SEC(".maps");

static __always_inline __u16 pkt_u16(const __u8 *p)
{
	return ((__u16)p[0] << 8) | p[1];
}

/* The read position, forgotten by the verifier: stored and loaded again
 * through a map value. Each way to this point (a question of one label,
 * of two, ...) then leaves the same state, and what follows is verified
 * once instead of once per way.
 */
static __always_inline __u32 launder(struct fast_scratch *fs, __u32 pos)
{
	*(volatile __u32 *)&fs->pos = pos;
	return *(volatile __u32 *)&fs->pos & FG_FAST_MASK;
}

/* The question's labels: the offset just past the name, or 0 to give up
 * (a pointer, a label over 63 bytes, more than FG_FAST_LABELS labels, a
 * name over 255 bytes, the end of the message).
 */
static __always_inline __u32 fast_question(const __u8 *dns, const void *end,
					   __u32 len)
{
	__u32 pos = FG_DNS_HDR_LEN;
	const __u8 *p;
	__u8 b;
	int i;

#pragma unroll
	for (i = 0; i < FG_FAST_LABELS; i++) {
		p = dns + pos;
		if ((const void *)(p + 1) > end || pos >= len)
			return 0;
		b = *p;
		if (!b) {
			pos++;
			return pos - FG_DNS_HDR_LEN <= FG_DNS_NAME_MAX ? pos : 0;
		}
		if (b > FG_DNS_LABEL_MAX)
			return 0;
		pos += b + 1;
	}
	return 0;
}

/* Answer i at pos: an A or AAAA record of class IN owned by the question,
 * kept in rr. Returns the offset past it, or 0 to give up. The owner and
 * type, the class, and rdlength are each compared whole, in network
 * order, against what the usual answer holds.
 */
static __always_inline __u32 fast_answer(const __u8 *dns, const void *end,
					 __u32 len, __u32 pos,
					 struct fg_rr *rr)
{
	const __u8 *p = dns + pos;
	__u32 owner_type, rdlen;

	if ((const void *)(p + DNS_PTR_RR_FIXED) > end ||
	    pos + DNS_PTR_RR_FIXED > len ||
	    *(const __u16 *)(p + 4) != bpf_htons(DNS_CLASS_IN))
		return 0;
	owner_type = *(const __u32 *)p;
	if (owner_type == bpf_htonl(DNS_PTR_QUESTION << 16 | FG_TYPE_A) &&
	    *(const __u16 *)(p + 10) == bpf_htons(4)) {
		rr->type = FG_TYPE_A;
		rdlen = 4;
	} else if (owner_type ==
		   bpf_htonl(DNS_PTR_QUESTION << 16 | FG_TYPE_AAAA) &&
		   *(const __u16 *)(p + 10) == bpf_htons(16)) {
		rr->type = FG_TYPE_AAAA;
		rdlen = 16;
	} else {
		return 0;
	}
	if (pos + DNS_PTR_RR_FIXED + rdlen > len)
		return 0;
	rr->owner_off = pos;
	rr->rdata_off = pos + DNS_PTR_RR_FIXED;
	rr->rdlen = rdlen;
	rr->ttl = bpf_ntohl(*(const __u32 *)(p + 6));
	rr->section = FG_SEC_ANSWER;
	rr->flags = 0;
	rr->pad[0] = 0;
	rr->pad[1] = 0;
	return (pos + DNS_PTR_RR_FIXED + rdlen) & FG_FAST_MASK;
}

/* The OPT record at pos, the last of the message: 1 if it is whole. */
static __always_inline int fast_opt(const __u8 *dns, const void *end,
				    __u32 len, __u32 pos)
{
	const __u8 *p = dns + pos;

	return (const void *)(p + DNS_OPT_FIXED) <= end &&
	       pos + DNS_OPT_FIXED <= len && !p[0] &&
	       pkt_u16(p + 1) == DNS_TYPE_OPT &&
	       pos + DNS_OPT_FIXED + pkt_u16(p + 9) <= len;
}

/* Copies the message into the slot after n records: whole words, then
 * the last 8 bytes again, ending exactly at len. max_rr and max_msg are
 * the slot's (constants where it is inlined). 0, or -1 if the packet is
 * shorter than the caller promised (it cannot be).
 */
static __always_inline int fast_copy(__u8 *slot, __u32 n, const __u8 *dns,
				     const void *end, __u32 len,
				     __u32 max_rr, __u32 max_msg)
{
	const __u8 *p;
	__u8 *dst;
	__u32 k;

	/* Bounds the verifier can see: the compiler knows them already and
	 * would drop them, so it is made to forget first.
	 */
	barrier_var(len);
	barrier_var(n);
	len &= FG_FAST_MASK;
	if (len < 8 || len > max_msg || n > max_rr)
		return -1;
	dst = slot + FG_EVENT_HDR_LEN + sizeof(struct fg_rr) * n;
#pragma unroll
	for (k = 0; k < max_msg / 8; k++) {
		if (k * 8 + 8 > len)
			break;
		p = dns + k * 8;
		if ((const void *)(p + 8) > end)
			return -1;
		*(__u64 *)(dst + k * 8) = *(const __u64 *)p;
	}
	p = dns + (len - 8);
	if ((const void *)(p + 8) > end)
		return -1;
	*(__u64 *)(dst + (len - 8)) = *(const __u64 *)p;
	return 0;
}

/* Writes the event into a slot that holds max_rr records and a message of
 * max_msg bytes: 0, or -1 as fast_copy().
 */
static __always_inline int fast_fill(struct xdp_md *ctx,
				     const struct fg_config *cfg,
				     struct fast_scratch *fs, __u8 *slot,
				     __u32 n, __u32 len, __u16 qtype,
				     const __u8 *dns, const void *end,
				     __u32 max_rr, __u32 max_msg)
{
	const struct dns_src *src = &fs->src;
	struct fg_event *ev = (struct fg_event *)slot;
	__u32 i;

	ev->ts_ns = now_ns(cfg);
	ev->ifindex = ctx->ingress_ifindex;
	ev->flags = (src->query ? FG_EVF_QUERY : 0) |
		    (src->ipv6 ? FG_EVF_IPV6 : 0);
	ev->n_rr = n;
	ev->fault = 0;
	__builtin_memcpy(ev->saddr, src->saddr, 16);
	__builtin_memcpy(ev->daddr, src->daddr, 16);
	ev->sport = src->sport;
	ev->dport = src->dport;
	ev->dns_id = pkt_u16(dns);
	ev->dns_flags = src->dns_flags;
	ev->qtype = qtype;
	ev->qname_off = FG_DNS_HDR_LEN;
	ev->msg_len = len;
	ev->wire_len = src->wire_len;
	/* All the slot holds, with no branch: those past n are overwritten
	 * by the message or left in the padding.
	 */
#pragma unroll
	for (i = 0; i < max_rr; i++)
		ev->rr[i] = fs->rr[i];
	return fast_copy(slot, n, dns, end, len, max_rr,
			 max_msg);
}

/* Reserves a slot of size (holding max_rr records and a message of
 * max_msg bytes: constants where it is inlined, as the reservation must
 * be), fills it and sends it. 0, -ENOSPC when the ring is full, -EFAULT
 * when fast_fill() gave up (the slot is then discarded).
 */
static __always_inline int fast_send(struct xdp_md *ctx,
				     const struct fg_config *cfg,
				     struct fast_scratch *fs, __u32 n,
				     __u32 len, __u16 qtype, const __u8 *dns,
				     const void *end, __u32 size,
				     __u32 max_rr, __u32 max_msg)
{
	__u8 *slot = bpf_ringbuf_reserve(&fg_events, size, 0);

	if (!slot)
		return -ENOSPC;
	if (fast_fill(ctx, cfg, fs, slot, n, len, qtype, dns, end, max_rr,
		      max_msg)) {
		bpf_ringbuf_discard(slot, BPF_RB_NO_WAKEUP);
		return -EFAULT;
	}
	bpf_ringbuf_submit(slot, ring_wakeup(cfg, &fs->since_wakeup, size));
	return 0;
}

/* Takes the message if it is of the usual kind: 1 when done (an event
 * sent, a full ring or a response with no record counted), 0 to leave it
 * to the general walk, which then counts everything itself.
 */
static __always_inline int fast_path(struct xdp_md *ctx,
				     const struct fg_config *cfg,
				     struct fg_stats *st,
				     struct fast_scratch *fs)
{
	const struct dns_src *src = &fs->src;
	__u32 len = src->len, off, pos, n;
	const __u8 *dns;
	__u16 an, ar, qtype;
	const void *end;
	__u32 i;
	int err;

	if (len > FG_FAST_MSG_MAX || (src->dns_flags & DNS_TC))
		return 0;
	/* Every way here (VLAN tags, IP options, extension headers) leaves
	 * the message at another offset, which the verifier would follow
	 * apart; through a map value they all look alike. An offset past
	 * the mask does not come back equal: the general walk takes it.
	 */
	off = launder(fs, src->off);
	if (off != src->off)
		return 0;
	dns = (const __u8 *)(long)ctx->data + off;
	end = (const void *)(long)ctx->data_end;
	if ((const void *)(dns + FG_DNS_HDR_LEN) > end || pkt_u16(dns + 4) != 1)
		return 0;
	an = pkt_u16(dns + 6);
	ar = pkt_u16(dns + 10);
	/* Domain rules need the names hashed: the general walk does that. */
	if (!src->query && (an > FG_FAST_RR || ar > 1 || pkt_u16(dns + 8) ||
			    cfg->n_names))
		return 0;
	pos = fast_question(dns, end, len);
	if (!pos || pos + 4 > len || (const void *)(dns + pos + 4) > end)
		return 0;
	qtype = pkt_u16(dns + pos);
	pos = launder(fs, pos + 4);

	n = 0;
	if (!src->query) {
		/* pos is 0 once an answer is not of the usual kind. */
#pragma unroll
		for (i = 0; i < FG_FAST_RR; i++) {
			if (i >= an || !pos)
				break;
			pos = fast_answer(dns, end, len, pos, &fs->rr[i]);
		}
		if (!pos || (ar && !fast_opt(dns, end, len, pos)))
			return 0;
		n = an;
		if (!n) {
			st->no_records++;
			st->fast_path++;
			return 1;
		}
	}

	if (fg_fast_slot(n, len) == FG_FAST_SMALL_EVENT)
		err = fast_send(ctx, cfg, fs, n, len, qtype, dns, end,
				FG_FAST_SMALL_EVENT, FG_FAST_SMALL_RR,
				FG_FAST_SMALL_MSG);
	else
		err = fast_send(ctx, cfg, fs, n, len, qtype, dns, end,
				FG_FAST_EVENT, FG_FAST_RR, FG_FAST_MSG_MAX);
	/* Cannot happen: src->len never passes the end of the packet. */
	if (err == -EFAULT)
		return 0;
	st->fast_path++;
	if (err) {
		st->ringbuf_full++;
	} else if (src->query) {
		st->query_events++;
	} else {
		st->events++;
		st->records += n;
	}
	return 1;
}

#endif /* FG_FAST_H */

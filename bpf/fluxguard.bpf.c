// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fluxguard's XDP program: drops frames to or from blocked addresses and
 * turns every DNS response into one compact ring-buffer event for the
 * scorer in userspace. Every outcome is counted per CPU.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "fluxguard.h"
#include "parse.h"
#include "ring.h"
#include "dns.h"
#include "fast.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Room past the event for what the verifier allows, not what happens: it
 * sees the records as sent up to FG_RR_BYTES_MASK and the message up to
 * FG_MSG_MASK, plus a 16-byte address read.
 */
#define FG_EVENT_SLACK	256

/* Where the program builds an event before it goes to the ring. */
struct event_buf {
	struct fg_event ev;
	__u8 slack[FG_EVENT_SLACK];
};

_Static_assert(sizeof(struct event_buf) >= FG_EVENT_HDR_LEN +
	       FG_RR_BYTES_MASK + FG_MSG_MASK + 1 + 16,
	       "event buffer too small for the verifier's bounds");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_buf);
} fg_event_buf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fg_stats);
} fg_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fg_config);
} fg_config SEC(".maps");

/* The records of exact blocks, for operators and userspace; the program
 * reads the index below instead.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FG_BLOCK_V4_MAX);
	__type(key, struct fg_v4_key);
	__type(value, struct fg_host_block);
} fg_block_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FG_BLOCK_V6_MAX);
	__type(key, struct fg_v6_key);
	__type(value, struct fg_host_block);
} fg_block_v6 SEC(".maps");

/* The exact index (include/fluxguard.h): arrays, so that every lookup is
 * inlined by the verifier. Both are mapped by userspace, which writes
 * them directly.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fg_index);
} fg_block_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FG_EXACT_MAX);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fg_exact);
} fg_block_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FG_EXACT_MAX);
	__type(key, __u32);
	__type(value, struct fg_hits);
} fg_block_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FG_BLOCK_NET_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fg_lpm_v4_key);
	__type(value, struct fg_block);
} fg_block_net4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FG_BLOCK_NET_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fg_lpm_v6_key);
	__type(value, struct fg_block);
} fg_block_net6 SEC(".maps");

/* An entry past its expiry stays in the map until userspace removes it,
 * and is not enforced meanwhile.
 */
static __always_inline int expired(__u64 expires_ns,
				   const struct fg_config *cfg,
				   struct fg_stats *st)
{
	if (expires_ns && expires_ns <= now_ns(cfg)) {
		st->expired_hit++;
		return 1;
	}
	return 0;
}

/* The frame's fate once an active entry matched. */
static __always_inline int verdict(const struct fg_config *cfg,
				   struct fg_stats *st)
{
	if (cfg->flags & FG_CFG_DRY_RUN) {
		st->dry_run_drop++;
		return XDP_PASS;
	}
	st->drop++;
	return XDP_DROP;
}

/* Prefixes are few and looked up through a call; they count their hits
 * in the trie's value, atomically.
 */
static __always_inline int apply_prefix(struct fg_block *b,
					const struct fg_config *cfg,
					struct fg_stats *st, __u32 bytes)
{
	__sync_fetch_and_add(&b->packets, 1);
	__sync_fetch_and_add(&b->bytes, bytes);
	return verdict(cfg, st);
}

static __always_inline int apply_exact(__u32 id, const struct fg_config *cfg,
				       struct fg_stats *st, __u32 bytes)
{
	struct fg_hits *h = bpf_map_lookup_elem(&fg_block_hits, &id);

	if (h) {
		h->packets++;
		h->bytes += bytes;
	}
	return verdict(cfg, st);
}

/* The first entry of the chain slot leads to, + 1; 0 when it has none. */
static __always_inline __u32 index_head(const struct fg_index *ix, __u32 slot)
{
	return ix->head[slot & (FG_INDEX_SLOTS - 1)];
}

/* Walks the chain from head for the entry of (family, w0, w1), the
 * address as two 64-bit words (IPv4: w0 holds it, w1 is 0). Returns the
 * entry, or NULL; *found gets its number + 1.
 */
static __always_inline struct fg_exact *index_find(__u32 head, __u8 family,
						   __u64 w0, __u64 w1,
						   __u32 *found)
{
	struct fg_exact *e, *hit = NULL;
	__u32 id;
	int i;

#pragma unroll
	for (i = 0; i < FG_INDEX_CHAIN; i++) {
		id = head - 1;
		e = head ? bpf_map_lookup_elem(&fg_block_exact, &id) : NULL;
		if (!e)
			break;
		if (e->family == family && *(__u64 *)e->addr == w0 &&
		    *(__u64 *)(e->addr + 8) == w1) {
			hit = e;
			*found = head;
			break;
		}
		head = e->next;
	}
	return hit;
}

/* The active exact entry of one address + 1, or 0. The expiry is checked
 * after the walk, so that the walk's steps stay free of the clock's
 * branches (each would multiply what the verifier follows).
 */
static __always_inline __u32 exact_active(const struct fg_config *cfg,
					  struct fg_stats *st, __u32 head,
					  __u8 family, __u64 w0, __u64 w1)
{
	__u32 found = 0;
	struct fg_exact *e = index_find(head, family, w0, w1, &found);

	return e && !expired(e->expires_ns, cfg, st) ? found : 0;
}

/* An IPv4 address as the first word of fg_exact.addr holds it. */
static __always_inline __u64 v4_word(__u32 addr)
{
	__u64 w = 0;

	__builtin_memcpy(&w, &addr, 4);
	return w;
}

/* The trie keys live in the per-CPU scratch: on the stack they would take
 * room the general walk's frames need.
 */
static __always_inline struct fg_block *
prefix_v4(const struct fg_config *cfg, struct fg_stats *st, __u32 addr)
{
	struct fast_scratch *fs;
	struct fg_block *b;
	__u32 key = 0;

	fs = bpf_map_lookup_elem(&fg_fast, &key);
	if (!fs)
		return NULL;
	fs->lpm4.prefixlen = 32;
	fs->lpm4.addr = addr;
	b = bpf_map_lookup_elem(&fg_block_net4, &fs->lpm4);
	return b && !expired(b->expires_ns, cfg, st) ? b : NULL;
}

static __always_inline struct fg_block *
prefix_v6(const struct fg_config *cfg, struct fg_stats *st,
	  const struct in6_addr *addr)
{
	struct fast_scratch *fs;
	struct fg_block *b;
	__u32 key = 0;

	fs = bpf_map_lookup_elem(&fg_fast, &key);
	if (!fs)
		return NULL;
	fs->lpm6.prefixlen = 128;
	__builtin_memcpy(fs->lpm6.addr, addr, 16);
	b = bpf_map_lookup_elem(&fg_block_net6, &fs->lpm6);
	return b && !expired(b->expires_ns, cfg, st) ? b : NULL;
}

/* Exact entries first, source then destination, then the longest prefix
 * of either: an expired exact entry must not hide a prefix that covers
 * the address.
 */
static __always_inline int check_v4(struct fg_config *cfg,
				    struct fg_stats *st,
				    const struct fg_index *ix, __u32 saddr,
				    __u32 daddr, __u32 bytes)
{
	__u32 hs = index_head(ix, fg_index_slot_v4(cfg->index_key, saddr));
	__u32 hd = index_head(ix, fg_index_slot_v4(cfg->index_key, daddr));
	struct fg_block *b;
	__u32 found = 0;

	/* The usual frame: no entry shares a head with either address and
	 * no prefix is blocked. One exit, so the verifier sees one state
	 * more, not one per lookup.
	 */
	if (!hs && !hd && !cfg->n_prefix_v4)
		return XDP_PASS;
	if (hs)
		found = exact_active(cfg, st, hs, FG_EXACT_V4, v4_word(saddr), 0);
	if (!found && hd)
		found = exact_active(cfg, st, hd, FG_EXACT_V4, v4_word(daddr), 0);
	if (found)
		return apply_exact(found - 1, cfg, st, bytes);
	if (!cfg->n_prefix_v4)
		return XDP_PASS;
	b = prefix_v4(cfg, st, saddr);
	if (!b)
		b = prefix_v4(cfg, st, daddr);
	return b ? apply_prefix(b, cfg, st, bytes) : XDP_PASS;
}

static __always_inline int check_v6(struct fg_config *cfg,
				    struct fg_stats *st,
				    const struct fg_index *ix,
				    const struct in6_addr *saddr,
				    const struct in6_addr *daddr, __u32 bytes)
{
	const __u64 *s = (const __u64 *)saddr, *d = (const __u64 *)daddr;
	__u32 hs = index_head(ix, fg_index_slot_v6(cfg->index_key, s[0], s[1]));
	__u32 hd = index_head(ix, fg_index_slot_v6(cfg->index_key, d[0], d[1]));
	struct fg_block *b;
	__u32 found = 0;

	if (!hs && !hd && !cfg->n_prefix_v6)
		return XDP_PASS;
	if (hs)
		found = exact_active(cfg, st, hs, FG_EXACT_V6, s[0], s[1]);
	if (!found && hd)
		found = exact_active(cfg, st, hd, FG_EXACT_V6, d[0], d[1]);
	if (found)
		return apply_exact(found - 1, cfg, st, bytes);
	if (!cfg->n_prefix_v6)
		return XDP_PASS;
	b = prefix_v6(cfg, st, saddr);
	if (!b)
		b = prefix_v6(cfg, st, daddr);
	return b ? apply_prefix(b, cfg, st, bytes) : XDP_PASS;
}

static __always_inline int is_dns_port(const struct fg_config *cfg, __u16 port)
{
	int i;

#pragma unroll
	for (i = 0; i < FG_MAX_DNS_PORTS; i++)
		if (cfg->dns_ports[i] && cfg->dns_ports[i] == port)
			return 1;
	return 0;
}

static __always_inline void count_fault(struct fg_stats *st, int fault)
{
	switch (fault) {
	case FG_FAULT_DNS_SHORT: st->mal_dns_short++; break;
	case FG_FAULT_QDCOUNT: st->mal_qdcount++; break;
	case FG_FAULT_LABEL: st->mal_label++; break;
	case FG_FAULT_NAME_LONG: st->mal_name_long++; break;
	case FG_FAULT_PTR_FWD: st->mal_ptr_fwd++; break;
	case FG_FAULT_PTR_OUT: st->mal_ptr_out++; break;
	case FG_FAULT_PTR_MANY: st->mal_ptr_many++; break;
	case FG_FAULT_TRUNC: st->mal_trunc++; break;
	case FG_FAULT_RDLEN: st->mal_rdlen++; break;
	case FG_FAULT_WALK: st->mal_walk++; break;
	}
}

/* Bytes the n records take in an event as sent, bounded for the
 * verifier.
 */
static __always_inline __u32 rr_bytes(__u32 n)
{
	return (sizeof(struct fg_rr) * n) & FG_RR_BYTES_MASK;
}

/* Folds a bpf_csum_diff result into a 16-bit checksum as stored. */
static __always_inline __u16 csum_update(__u16 csum, __u32 diff)
{
	__u32 sum = (__u16)~csum + (diff & 0xffff) + (diff >> 16);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Answers a domain rule matched go to the sinkhole: the records in the
 * frame are rewritten in place and the UDP checksum follows, so the
 * client gets an answer that leads nowhere. A dry run only counts.
 */
static __always_inline void sinkhole(struct walk *wk, struct fg_config *cfg,
				     struct fg_stats *st,
				     const struct dns_src *src)
{
	struct rr_walk *r = &wk->s->rr;
	struct rewrite *rw = &wk->s->rw;
	__u32 coff;
	__u16 csum;

	if (cfg->flags & FG_CFG_DRY_RUN) {
		st->dry_run_sinkhole += r->n_rule;
		return;
	}
	rw->base = src->off;
	rw->rr_bytes = rr_bytes(r->n_rr);
	rw->csum_diff = 0;
	rw->failed = 0;
	/* This response's records only: past them lies the message. */
	bpf_loop(r->n_rr, rewrite_step, wk, 0);

	/* The UDP checksum ends the UDP header, just before the message.
	 * Zero means none was sent (IPv4 only) and stays zero.
	 */
	coff = src->off - 2;
	if (!rw->failed && !bpf_xdp_load_bytes(wk->ctx, coff, &csum, 2) &&
	    (csum || src->ipv6)) {
		csum = csum_update(csum, rw->csum_diff);
		if (!csum)
			csum = 0xffff;
		if (bpf_xdp_store_bytes(wk->ctx, coff, &csum, 2))
			rw->failed = 1;
	}
	if (rw->failed)
		st->sinkhole_failed++;
	else
		st->sinkholed += r->n_rule;
}

/* len itself (1..FG_MSG_MASK + 1), in a form whose bounds the verifier
 * keeps whatever register the compiler picks.
 */
static __always_inline __u32 msg_bytes(__u32 len)
{
	return ((len - 1) & FG_MSG_MASK) + 1;
}

/* Copies the message from the frame once more, to follow the n records:
 * the layout of an event as sent. Before any sinkhole rewrite, so that
 * the event keeps what the server said.
 */
static __always_inline int place_message(struct xdp_md *ctx,
					 const struct dns_src *src,
					 struct fg_event *ev, __u32 n, __u32 len)
{
	return bpf_xdp_load_bytes(ctx, src->off,
				  (__u8 *)ev + FG_EVENT_HDR_LEN + rr_bytes(n),
				  msg_bytes(len));
}

/* Sends ev, header, records and message, to the ring: 0, or -1 when the
 * ring is full.
 */
static __always_inline int send_event(struct fg_config *cfg, __u64 *since,
				      struct fg_event *ev, __u32 n, __u32 len)
{
	__u32 size = FG_EVENT_HDR_LEN + rr_bytes(n) + msg_bytes(len);

	return bpf_ringbuf_output(&fg_events, ev, size,
				  ring_wakeup(cfg, since, size)) ? -1 : 0;
}

/* Copies the response into an event, walks it and sends the event. The
 * frame always passes.
 */
static __always_inline void emit_response(struct xdp_md *ctx,
					  struct fg_config *cfg,
					  struct fg_stats *st,
					  struct fast_scratch *fs)
{
	const struct dns_src *src = &fs->src;
	struct walk_scratch *s;
	struct event_buf *buf;
	struct fg_event *ev;
	struct rr_walk *r;
	struct walk wk;
	__u32 len = src->len, qd, off, key = 0, walk, i;
	__u16 flags = 0, dns_flags;
	int fault = 0;

	if (len > FG_MSG_MAX) {
		len = FG_MSG_MAX;
		flags |= FG_EVF_MSG_CAPPED;
		st->msg_capped++;
	}
	if (len < FG_DNS_HDR_LEN)
		return;
	s = bpf_map_lookup_elem(&fg_scratch, &key);
	buf = bpf_map_lookup_elem(&fg_event_buf, &key);
	if (!s || !buf)
		return;
	r = &s->rr;
	ev = &buf->ev;
	wk.ev = ev;
	wk.s = s;
	wk.cfg = cfg;
	wk.ctx = ctx;
	if (bpf_xdp_load_bytes(ctx, src->off, ev->msg_buf, msg_bytes(len)))
		goto discard_trunc;

	/* Read now: placing the message for the ring overwrites the
	 * start of msg_buf.
	 */
	ev->dns_id = msg_u16(ev, 0);
	dns_flags = msg_u16(ev, 2);
	if (dns_flags & DNS_TC) {
		flags |= FG_EVF_TC;
		st->dns_tc++;
	}
	qd = msg_u16(ev, 4);
	r->an_end = msg_u16(ev, 6);
	r->ns_end = r->an_end + msg_u16(ev, 8);
	r->total = r->ns_end + msg_u16(ev, 10);
	r->len = len;
	r->n_rr = 0;
	r->base = 0;
	r->capped = 0;
	r->fault = 0;
	r->known_next = 0;
	__builtin_memset(r->known, 0, sizeof(r->known));
	r->hashing = !src->query && cfg->n_names;
	r->q_rule = 0;
	r->n_rule = 0;
	r->last_hash = 0;
	r->last_rule = 0;

	if (qd > 1) {
		fault = FG_FAULT_QDCOUNT;
		goto discard;
	}
	off = FG_DNS_HDR_LEN;
	ev->qname_off = 0;
	ev->qtype = 0;
	if (qd == 1) {
		off = walk_question(&wk, len, off, &fault);
		if (!off)
			goto discard;
		if (off + 4 > len) {
			fault = FG_FAULT_TRUNC;
			goto discard;
		}
		ev->qname_off = FG_DNS_HDR_LEN;
		ev->qtype = msg_u16(ev, off);
		remember_name(r, FG_DNS_HDR_LEN, s->name.hash);
		if (r->hashing)
			r->q_rule = name_rule_hit(&wk, s->name.hash);
		off += 4;
	}
	r->off = off;
	if (src->query) {
		/* Only the question matters for matching. */
		if (!ev->qname_off)
			return;
		flags = FG_EVF_QUERY;
		if (place_message(ctx, src, ev, 0, len))
			goto discard_trunc;
		goto submit;
	}

	/* The usual records inline, then as many callbacks as records are
	 * left: one more would only end the loop.
	 */
	for (i = 0; i < FG_RR_INLINE; i++)
		if (!rr_inline(&wk, i))
			break;
	r->base = i;
	walk = r->total < FG_MAX_RR_WALK ? r->total : FG_MAX_RR_WALK;
	if (walk > r->base)
		bpf_loop(walk - r->base, rr_step, &wk, 0);
	fault = r->fault;
	/* The bound stopped a walk that had not failed: say so. */
	if (!fault && r->total > FG_MAX_RR_WALK)
		fault = FG_FAULT_WALK;
	/* A walk cut by our copy cap is no fault of the sender's. */
	if (fault && !(fault == FG_FAULT_TRUNC && (flags & FG_EVF_MSG_CAPPED)))
		count_fault(st, fault);
	if (r->capped) {
		flags |= FG_EVF_RR_CAPPED;
		st->rr_capped++;
	}
	if (!r->n_rr) {
		if (!fault)
			st->no_records++;
		return;
	}
	if (fault || (flags & FG_EVF_TC))
		flags |= FG_EVF_PARTIAL;
	if (fault)
		st->partial++;
	if (place_message(ctx, src, ev, r->n_rr, len))
		goto discard_trunc;
	if (r->n_rule)
		sinkhole(&wk, cfg, st, src);

submit:
	ev->ts_ns = now_ns(cfg);
	ev->ifindex = ctx->ingress_ifindex;
	ev->n_rr = r->n_rr;
	ev->fault = fault;
	ev->flags = flags | (src->ipv6 ? FG_EVF_IPV6 : 0);
	__builtin_memcpy(ev->saddr, src->saddr, 16);
	__builtin_memcpy(ev->daddr, src->daddr, 16);
	ev->sport = src->sport;
	ev->dport = src->dport;
	ev->dns_flags = dns_flags;
	ev->msg_len = len;
	ev->wire_len = src->wire_len;

	if (send_event(cfg, &fs->since_wakeup, ev, r->n_rr, len)) {
		st->ringbuf_full++;
		return;
	}
	if (flags & FG_EVF_QUERY) {
		st->query_events++;
	} else {
		st->events++;
		st->records += r->n_rr;
	}
	return;

discard_trunc:
	fault = FG_FAULT_TRUNC;
discard:
	count_fault(st, fault);
}

/* The general walk, for every message the fast path leaves: a function of
 * its own (global, so not static), which the verifier checks once
 * whatever way led to it, and which keeps the main program small. The
 * call costs about 10 ns; the walk costs far more.
 */
__noinline int fg_dns_walk(struct xdp_md *ctx)
{
	struct fast_scratch *fs;
	struct fg_config *cfg;
	struct fg_stats *st;
	__u32 key = 0;

	st = bpf_map_lookup_elem(&fg_stats, &key);
	cfg = bpf_map_lookup_elem(&fg_config, &key);
	fs = bpf_map_lookup_elem(&fg_fast, &key);
	if (st && cfg && fs)
		emit_response(ctx, cfg, st, fs);
	return 0;
}

/* UDP after IP: finds the DNS payload and hands messages on. */
static __always_inline void handle_udp(struct xdp_md *ctx, struct cursor *c,
				       struct fg_config *cfg,
				       struct fg_stats *st, int ipv6,
				       const void *saddr, const void *daddr)
{
	struct udphdr *udp = c->pos;
	struct fast_scratch *fs;
	__u16 ulen, dns_flags, sport, dport;
	struct dns_src *src;
	__u32 key = 0;
	int query = 0;
	__u8 *dns;

	if ((void *)(udp + 1) > c->end) {
		st->l3_short++;
		return;
	}
	sport = bpf_ntohs(udp->source);
	dport = bpf_ntohs(udp->dest);
	if (!is_dns_port(cfg, sport)) {
		/* Queries are parsed only when userspace matches answers
		 * against them; otherwise they are just not responses.
		 */
		if (!(cfg->flags & FG_CFG_TRACK_QUERIES) ||
		    !is_dns_port(cfg, dport)) {
			st->not_dns++;
			return;
		}
		query = 1;
	}
	ulen = bpf_ntohs(udp->len);
	dns = (void *)(udp + 1);
	if (ulen < sizeof(*udp) + FG_DNS_HDR_LEN ||
	    (void *)dns + FG_DNS_HDR_LEN > c->end) {
		st->mal_dns_short++;
		return;
	}
	dns_flags = ((__u16)dns[2] << 8) | dns[3];
	if (dns_flags & DNS_OPCODE) {
		/* NOTIFY, UPDATE and friends carry no resolution. */
		st->not_dns++;
		return;
	}
	if (!(dns_flags & DNS_QR)) {
		st->dns_queries++;
		if (!query)
			return;
	} else if (query) {
		/* A response to a DNS port is no answer to a client. */
		st->not_dns++;
		return;
	} else {
		st->dns_responses++;
	}
	if (cfg->flags & FG_CFG_NO_EVENTS)
		return;
	fs = bpf_map_lookup_elem(&fg_fast, &key);
	if (!fs)
		return;

	src = &fs->src;
	src->off = (void *)dns - (void *)(long)ctx->data;
	src->wire_len = ulen - sizeof(*udp);
	src->len = c->end - (void *)dns;
	if (src->len > src->wire_len)
		src->len = src->wire_len;	/* Ethernet padding is not DNS */
	src->sport = sport;
	src->dport = dport;
	src->dns_flags = dns_flags;
	src->ipv6 = ipv6;
	src->query = query;
	if (ipv6) {
		__builtin_memcpy(src->saddr, saddr, 16);
		__builtin_memcpy(src->daddr, daddr, 16);
	} else {
		__builtin_memset(src->saddr, 0, 16);
		__builtin_memset(src->daddr, 0, 16);
		__builtin_memcpy(src->saddr, saddr, 4);
		__builtin_memcpy(src->daddr, daddr, 4);
	}
	if (!(cfg->flags & FG_CFG_NO_FASTPATH) && fast_path(ctx, cfg, st, fs))
		return;
	fg_dns_walk(ctx);
}

SEC("xdp")
int fluxguard_xdp(struct xdp_md *ctx)
{
	struct cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	__u32 bytes = c.end - c.pos, key = 0;
	struct fg_config *cfg;
	struct fg_index *ix;
	struct fg_stats *st;
	__u16 proto;
	int l4;

	st = bpf_map_lookup_elem(&fg_stats, &key);
	cfg = bpf_map_lookup_elem(&fg_config, &key);
	ix = bpf_map_lookup_elem(&fg_block_index, &key);
	if (!st || !cfg || !ix)
		return XDP_PASS;
	st->packets++;

	proto = parse_eth(&c);
	if (proto == ETH_P_IP) {
		__u32 saddr, daddr;

		l4 = parse_ipv4(&c, &saddr, &daddr);
		if (!l4) {
			st->l3_short++;
			goto pass;
		}
		if (check_v4(cfg, st, ix, saddr, daddr, bytes) == XDP_DROP)
			return XDP_DROP;
		if (l4 < 0) {
			st->fragments++;
			goto pass;
		}
		if (l4 == IPPROTO_UDP)
			handle_udp(ctx, &c, cfg, st, 0, &saddr, &daddr);
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = NULL;
		int ext_limit = 0;

		l4 = parse_ipv6(&c, &ip6, &ext_limit);
		if (!ip6) {
			st->l3_short++;
			goto pass;
		}
		/* The addresses are read where they are, in the checked
		 * header: copies would take stack the general walk needs.
		 */
		if (check_v6(cfg, st, ix, &ip6->saddr, &ip6->daddr, bytes) ==
		    XDP_DROP)
			return XDP_DROP;
		if (l4 < 0) {
			st->fragments++;
			goto pass;
		}
		if (ext_limit) {
			st->ext_hdr_limit++;
			goto pass;
		}
		if (!l4) {
			st->l3_short++;
			goto pass;
		}
		if (l4 == IPPROTO_UDP)
			handle_udp(ctx, &c, cfg, st, 1, &ip6->saddr,
				   &ip6->daddr);
	} else {
		st->not_ip++;
	}
pass:
	st->pass++;
	return XDP_PASS;
}

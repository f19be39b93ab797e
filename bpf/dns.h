/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* DNS message walk for the XDP program. The message has already been
 * copied into the ring-buffer event, so every read indexes a fixed-size
 * buffer through FG_MSG_MASK: the verifier sees bounded offsets without
 * tracking their values, and the walk can use bpf_loop callbacks.
 */
#ifndef FG_DNS_H
#define FG_DNS_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include "fluxguard.h"
#include "clock.h"

#define DNS_QR		0x8000
#define DNS_OPCODE	0x7800
#define DNS_TC		0x0200
#define DNS_PTR_MASK	0xc0
#define DNS_CLASS_IN	1
/* type, class, TTL and rdlength after an owner name */
#define DNS_RR_FIXED	10
/* Validated name offsets remembered so that the usual owner name, a
 * pointer to the question or to the previous CNAME target, skips the walk.
 */
#define FG_KNOWN_NAMES	4
/* 8-byte words in the longest label. */
#define FG_LABEL_WORDS	((FG_DNS_LABEL_MAX + 7) / 8)
/* Steps a name walk may take: every label, every pointer, the root. */
#define FG_NAME_STEPS	(FG_MAX_LABELS + FG_MAX_PTR + 1)
/* Labels of a plain question name walked inline before the bpf_loop
 * walk takes over; www.example.co.uk has four.
 */
#define FG_PLAIN_LABELS	8
/* Address records taken inline before the bpf_loop walk takes over: a
 * callback is an indirect call, dearer than the whole record on a kernel
 * with return-thunk mitigations, and most answers are a few A or AAAA
 * records whose owner points at the question.
 */
#ifndef FG_RR_INLINE
#define FG_RR_INLINE		8
#endif

/* Bounds the records' share of an event as sent (n_rr x 16 <= 768) for
 * the verifier, as FG_MSG_MASK bounds message offsets.
 */
#define FG_RR_BYTES_MASK	1023

static __always_inline __u8 msg_u8(const struct fg_event *ev, __u32 off)
{
	return ev->msg_buf[off & FG_MSG_MASK];
}

static __always_inline __u16 msg_u16(const struct fg_event *ev, __u32 off)
{
	off &= FG_MSG_MASK;
	return ((__u16)ev->msg_buf[off] << 8) | ev->msg_buf[off + 1];
}

static __always_inline __u32 msg_u32(const struct fg_event *ev, __u32 off)
{
	off &= FG_MSG_MASK;
	return ((__u32)ev->msg_buf[off] << 24) | ((__u32)ev->msg_buf[off + 1] << 16) |
	       ((__u32)ev->msg_buf[off + 2] << 8) | ev->msg_buf[off + 3];
}

/* Walk state lives in a per-CPU scratch map, not on the stack: the
 * verifier then treats every field as an unknown value, so each bpf_loop
 * callback is verified once instead of once per tracked value.
 */
struct name_walk {
	__u32 len;		/* bytes valid in ev->msg_buf */
	__u32 pos;		/* next byte to read */
	__u32 seg;		/* start of the segment being read */
	__u32 end;		/* offset just past the name where it starts */
	__u32 wire;		/* wire length so far */
	__u32 nptr;
	__u32 done;		/* 1 when the root label was reached */
	__u32 fault;		/* enum fg_fault */
	__u32 want_hash;	/* domain rules exist: hash the name */
	__u64 hash;		/* fg_name_mix over the labels so far */
};

struct rr_walk {
	__u32 len;
	__u32 off;		/* start of the next record */
	__u32 an_end;		/* record index where the answer section ends */
	__u32 ns_end;
	__u32 total;		/* records announced in all sections */
	__u32 base;		/* records taken inline, before the callbacks */
	__u32 n_rr;
	__u32 capped;
	__u32 fault;
	__u32 known[FG_KNOWN_NAMES];
	__u32 known_next;
	__u64 known_hash[FG_KNOWN_NAMES];
	__u32 hashing;		/* domain rules exist */
	__u32 q_rule;		/* the question name has a domain rule */
	__u32 n_rule;		/* records a domain rule matched */
	__u32 last_rule;	/* verdict for last_hash */
	__u64 last_hash;	/* last owner looked up */
};

/* State of the sinkhole rewrite after the walk. */
struct rewrite {
	__u32 base;		/* offset of the DNS message in the frame */
	__u32 rr_bytes;		/* the records' share of the event as sent */
	__u32 csum_diff;	/* running bpf_csum_diff of the rewrites */
	__u32 failed;
};

struct walk_scratch {
	struct rr_walk rr;
	struct name_walk name;
	struct rewrite rw;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_scratch);
} fg_scratch SEC(".maps");

/* Domain rules, looked up while answers are walked. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FG_BLOCK_NAME_MAX);
	__type(key, struct fg_name_key);
	__type(value, struct fg_block);
} fg_block_name SEC(".maps");

/* The bpf_loop context: pointers only, nothing the verifier tracks. */
struct walk {
	struct fg_event *ev;
	struct walk_scratch *s;
	struct fg_config *cfg;
	struct xdp_md *ctx;
};

/* Mixes one label into h as fg_name_hash() does in userspace: its length,
 * then its bytes eight at a time, lower-cased, the last word zero-padded.
 */
static __always_inline __u64 hash_label(const struct fg_event *ev, __u32 off,
					__u32 len, __u64 h)
{
	__u64 word;
	__u32 k;

	h = fg_name_mix(h, len);
#pragma unroll
	for (k = 0; k < FG_LABEL_WORDS; k++) {
		if (k * 8 < len) {
			__builtin_memcpy(&word,
					 &ev->msg_buf[(off + k * 8) & FG_MSG_MASK], 8);
			if (len - k * 8 < 8)
				word &= (1ULL << ((len - k * 8) * 8)) - 1;
			h = fg_name_mix(h, fg_name_lower8(word));
		}
	}
	return h;
}

static long name_step(__u32 i, void *data)
{
	struct walk *wk = data;
	struct name_walk *w = &wk->s->name;
	__u32 pos = w->pos;
	__u32 target;
	__u8 b;

	if (pos >= w->len)
		goto trunc;
	b = msg_u8(wk->ev, pos);

	if (b == 0) {
		w->wire += 1;
		if (!w->end)
			w->end = pos + 1;
		w->done = 1;
		return 1;
	}

	if ((b & DNS_PTR_MASK) == DNS_PTR_MASK) {
		if (pos + 1 >= w->len)
			goto trunc;
		target = ((__u32)(b & ~DNS_PTR_MASK) << 8) |
			 msg_u8(wk->ev, pos + 1);
		if (!w->end)
			w->end = pos + 2;
		if (++w->nptr > FG_MAX_PTR) {
			w->fault = FG_FAULT_PTR_MANY;
			return 1;
		}
		if (target < FG_DNS_HDR_LEN || target >= w->len) {
			w->fault = FG_FAULT_PTR_OUT;
			return 1;
		}
		/* Strictly before the segment being left: offsets then
		 * decrease at every jump, so no loop can form.
		 */
		if (target >= w->seg) {
			w->fault = FG_FAULT_PTR_FWD;
			return 1;
		}
		w->seg = target;
		w->pos = target;
		return 0;
	}

	if (b > FG_DNS_LABEL_MAX) {
		w->fault = FG_FAULT_LABEL;
		return 1;
	}
	w->wire += b + 1;
	/* one byte must remain for the root label */
	if (w->wire > FG_DNS_NAME_MAX - 1) {
		w->fault = FG_FAULT_NAME_LONG;
		return 1;
	}
	if (w->want_hash)
		w->hash = hash_label(wk->ev, pos + 1, b, w->hash);
	w->pos = pos + b + 1;
	return 0;

trunc:
	w->fault = FG_FAULT_TRUNC;
	return 1;
}

/* Sets up the walk of the name at off in the scratch map. */
static __always_inline void name_walk_init(struct walk *wk, __u32 len,
					   __u32 off)
{
	struct name_walk *w = &wk->s->name;

	w->len = len;
	w->pos = off;
	w->seg = off;
	w->end = 0;
	w->wire = 0;
	w->nptr = 0;
	w->done = 0;
	w->fault = 0;
	w->want_hash = wk->s->rr.hashing;
	w->hash = wk->cfg->name_seed;
}

/* Runs the walk name_walk_init() set up: the offset just past the name,
 * or 0 with *fault set. A name the loop bound cuts short is rejected.
 */
static __always_inline __u32 name_walk_run(struct walk *wk, int *fault)
{
	struct name_walk *w = &wk->s->name;

	bpf_loop(FG_NAME_STEPS, name_step, wk, 0);
	if (w->fault) {
		*fault = w->fault;
		return 0;
	}
	if (!w->done) {
		*fault = FG_FAULT_NAME_LONG;
		return 0;
	}
	return w->end;
}

/* Validates the name at off. Returns the offset just past it in place,
 * or 0 with *fault set.
 */
static __always_inline __u32 walk_name(struct walk *wk, __u32 len, __u32 off,
				       int *fault)
{
	name_walk_init(wk, len, off);
	return name_walk_run(wk, fault);
}

/* Plain labels up to the root, inline: the offset just past the name, or
 * 0 to leave the verdict to the full walk (a pointer, a bad label,
 * truncation, a long name, more than FG_PLAIN_LABELS labels).
 */
static __always_inline __u32 walk_plain_name(const struct fg_event *ev,
					     __u32 len, __u32 off)
{
	__u32 pos = off;
	__u8 b;
	int i;

#pragma unroll
	for (i = 0; i < FG_PLAIN_LABELS; i++) {
		if (pos >= len)
			return 0;
		b = msg_u8(ev, pos);
		if (!b) {
			pos++;
			/* Without pointers the wire length is the span. */
			return pos - off <= FG_DNS_NAME_MAX ? pos : 0;
		}
		if (b > FG_DNS_LABEL_MAX)
			return 0;
		pos += b + 1;
	}
	return 0;
}

/* walk_name() for the question, which is nearly always a few plain
 * labels: walked inline they save a bpf_loop callback, a call and a
 * return, per label. Hashing stays with name_step(); the state the init
 * leaves is all a caller reads of a plain name. Record names keep the
 * full walk: unrolled there, this costs the verifier more than it saves.
 */
static __always_inline __u32 walk_question(struct walk *wk, __u32 len,
					   __u32 off, int *fault)
{
	__u32 end;

	name_walk_init(wk, len, off);
	if (!wk->s->name.want_hash) {
		end = walk_plain_name(wk->ev, len, off);
		if (end)
			return end;
	}
	return name_walk_run(wk, fault);
}

/* Remembers the validated name at off, with its hash when hashing. */
static __always_inline void remember_name(struct rr_walk *r, __u32 off,
					  __u64 hash)
{
	__u32 i = r->known_next & (FG_KNOWN_NAMES - 1);

	r->known[i] = off;
	r->known_hash[i] = hash;
	r->known_next++;
}

/* Slot + 1 of the known name at target, or 0. */
static __always_inline int name_is_known(const struct rr_walk *r,
					 __u32 target)
{
	int i;

#pragma unroll
	for (i = 0; i < FG_KNOWN_NAMES; i++)
		if (r->known[i] && r->known[i] == target)
			return i + 1;
	return 0;
}

/* Owner names are usually one pointer to a name already validated; take
 * that path without a walk. *hash gets the owner's name hash.
 */
static __always_inline __u32 walk_owner(struct walk *wk, __u32 off,
					int *fault, __u64 *hash)
{
	struct rr_walk *r = &wk->s->rr;
	__u32 target, end;
	int slot;
	__u8 b;

	if (off + 1 < r->len) {
		b = msg_u8(wk->ev, off);
		if ((b & DNS_PTR_MASK) == DNS_PTR_MASK) {
			target = ((__u32)(b & ~DNS_PTR_MASK) << 8) |
				 msg_u8(wk->ev, off + 1);
			slot = target < off ? name_is_known(r, target) : 0;
			if (slot) {
				*hash = r->known_hash[(slot - 1) &
						      (FG_KNOWN_NAMES - 1)];
				return off + 2;
			}
		}
	}
	end = walk_name(wk, r->len, off, fault);
	*hash = wk->s->name.hash;
	return end;
}

/* Does a live domain rule cover hash? Counts the hit on the rule. */
static __always_inline int name_rule_hit(struct walk *wk, __u64 hash)
{
	struct fg_name_key key = { .hash = fg_name_final(hash) };
	struct fg_config *cfg = wk->cfg;
	struct fg_block *b;
	__u64 now;

	b = bpf_map_lookup_elem(&fg_block_name, &key);
	if (!b)
		return 0;
	if (b->expires_ns) {
		now = now_ns(cfg);
		if (b->expires_ns <= now)
			return 0;
	}
	__sync_fetch_and_add(&b->packets, 1);
	return 1;
}

/* An address record in the answer section falls under a rule when its
 * owner, or the question that led to it through a CNAME chain, has one.
 * Owners repeat within a response: the last verdict is reused.
 */
static __always_inline int answer_has_rule(struct walk *wk, __u64 owner_hash)
{
	struct rr_walk *r = &wk->s->rr;

	if (r->q_rule)
		return 1;
	if (r->last_hash != owner_hash) {
		r->last_hash = owner_hash;
		r->last_rule = name_rule_hit(wk, owner_hash);
	}
	return r->last_rule;
}

static __always_inline int rr_wanted(__u32 section, __u16 type)
{
	switch (section) {
	case FG_SEC_ANSWER:
		return type == FG_TYPE_A || type == FG_TYPE_AAAA ||
		       type == FG_TYPE_CNAME || type == FG_TYPE_NS;
	case FG_SEC_AUTHORITY:
		return type == FG_TYPE_NS;
	default:
		return type == FG_TYPE_A || type == FG_TYPE_AAAA;
	}
}

static __always_inline __u32 rr_section(const struct rr_walk *r, __u32 i)
{
	return i < r->an_end ? FG_SEC_ANSWER :
	       i < r->ns_end ? FG_SEC_AUTHORITY : FG_SEC_ADDITIONAL;
}

static __always_inline void rr_push(struct fg_event *ev, struct rr_walk *r,
				    __u32 n, __u32 owner, __u32 fixed,
				    __u16 type, __u32 rdlen, __u32 section,
				    __u8 rr_flags)
{
	ev->rr[n].owner_off = owner;
	ev->rr[n].rdata_off = fixed + DNS_RR_FIXED;
	ev->rr[n].type = type;
	ev->rr[n].rdlen = rdlen;
	ev->rr[n].ttl = msg_u32(ev, fixed + 4);
	ev->rr[n].section = section;
	ev->rr[n].flags = rr_flags;
	ev->rr[n].pad[0] = 0;
	ev->rr[n].pad[1] = 0;
	r->n_rr = n + 1;
}

/* Record i taken inline when it is the usual kind: owner one pointer to a
 * name already validated, class IN, A or AAAA with a well-sized rdata, in
 * the answer or additional section, room left in the event. Returns 1 if
 * it was taken; 0 leaves everything as it was for rr_step to walk record
 * i itself, faults included.
 */
static __always_inline int rr_inline(struct walk *wk, __u32 i)
{
	struct rr_walk *r = &wk->s->rr;
	struct fg_event *ev = wk->ev;
	__u32 off = r->off, target, fixed, rdlen, section, n;
	__u8 b, rr_flags = 0;
	__u64 owner_hash;
	__u16 type;
	int slot;

	if (i >= r->total || off + 2 + DNS_RR_FIXED > r->len)
		return 0;
	b = msg_u8(ev, off);
	if ((b & DNS_PTR_MASK) != DNS_PTR_MASK)
		return 0;
	target = ((__u32)(b & ~DNS_PTR_MASK) << 8) | msg_u8(ev, off + 1);
	slot = target < off ? name_is_known(r, target) : 0;
	if (!slot)
		return 0;
	fixed = off + 2;
	type = msg_u16(ev, fixed);
	rdlen = msg_u16(ev, fixed + 8);
	if (msg_u16(ev, fixed + 2) != DNS_CLASS_IN ||
	    !((type == FG_TYPE_A && rdlen == 4) ||
	      (type == FG_TYPE_AAAA && rdlen == 16)) ||
	    fixed + DNS_RR_FIXED + rdlen > r->len)
		return 0;
	section = rr_section(r, i);
	n = r->n_rr;
	if (section == FG_SEC_AUTHORITY || n >= FG_MAX_RR)
		return 0;
	if (r->hashing && section == FG_SEC_ANSWER) {
		owner_hash = r->known_hash[(slot - 1) & (FG_KNOWN_NAMES - 1)];
		if (answer_has_rule(wk, owner_hash)) {
			rr_flags = FG_RRF_NAME_RULE;
			r->n_rule++;
		}
	}
	rr_push(ev, r, n, off, fixed, type, rdlen, section, rr_flags);
	r->off = fixed + DNS_RR_FIXED + rdlen;
	return 1;
}

static long rr_step(__u32 i, void *data)
{
	struct walk *wk = data;
	struct rr_walk *r = &wk->s->rr;
	struct fg_event *ev = wk->ev;
	__u32 owner = r->off, fixed, rdata, rdlen, section, n;
	__u64 owner_hash = 0;
	__u16 type, class;
	__u8 rr_flags = 0;
	int fault = 0;

	i += r->base;
	if (i >= r->total)
		return 1;

	fixed = walk_owner(wk, owner, &fault, &owner_hash);
	if (!fixed)
		goto fail;
	if (fixed + DNS_RR_FIXED > r->len) {
		fault = FG_FAULT_TRUNC;
		goto fail;
	}
	type = msg_u16(ev, fixed);
	class = msg_u16(ev, fixed + 2);
	rdlen = msg_u16(ev, fixed + 8);
	rdata = fixed + DNS_RR_FIXED;
	if (rdata + rdlen > r->len) {
		fault = FG_FAULT_TRUNC;
		goto fail;
	}
	r->off = rdata + rdlen;

	section = rr_section(r, i);
	if (class != DNS_CLASS_IN || !rr_wanted(section, type))
		return 0;

	switch (type) {
	case FG_TYPE_A:
	case FG_TYPE_AAAA:
		if (rdlen != (type == FG_TYPE_A ? 4 : 16)) {
			fault = FG_FAULT_RDLEN;
			break;
		}
		if (r->hashing && section == FG_SEC_ANSWER &&
		    answer_has_rule(wk, owner_hash)) {
			rr_flags = FG_RRF_NAME_RULE;
			r->n_rule++;
		}
		break;
	default:
		/* The target name must fill rdata exactly. */
		if (walk_name(wk, r->len, rdata, &fault) != rdata + rdlen &&
		    !fault)
			fault = FG_FAULT_RDLEN;
		/* An owner pointing here adds one pointer to this walk's:
		 * only a name with room for it may skip the next walk.
		 */
		if (!fault && wk->s->name.nptr < FG_MAX_PTR)
			remember_name(r, rdata, wk->s->name.hash);
		break;
	}
	if (fault)
		goto fail;

	n = r->n_rr;
	if (n >= FG_MAX_RR) {
		r->capped = 1;
		return 0;
	}
	rr_push(ev, r, n, owner, fixed, type, rdlen, section, rr_flags);
	return 0;

fail:
	r->fault = fault;
	return 1;
}

/* Folds a 32-bit one's complement sum to 16 bits. */
static __always_inline __u32 csum_fold16(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	return (sum & 0xffff) + (sum >> 16);
}

/* Rewrites one record a domain rule matched to the sinkhole, in the
 * frame, and keeps the checksum difference for the UDP header. The old
 * data is read from the event's message where it now lies, after the
 * records. The message starts at an even offset of the datagram, so
 * rdata at an odd offset straddles the checksum's 16-bit words: its
 * difference is then byte-swapped.
 */
static long rewrite_step(__u32 i, void *data)
{
	struct walk *wk = data;
	struct rewrite *rw = &wk->s->rw;
	struct fg_event *ev = wk->ev;
	struct fg_config *cfg = wk->cfg;
	__u32 off, diff;
	__u8 *old;

	if (i >= FG_MAX_RR)
		return 1;
	if (!(ev->rr[i].flags & FG_RRF_NAME_RULE))
		return 0;
	off = ev->rr[i].rdata_off & FG_MSG_MASK;
	old = (__u8 *)ev + FG_EVENT_HDR_LEN +
	      (rw->rr_bytes & FG_RR_BYTES_MASK) + off;
	if (ev->rr[i].type == FG_TYPE_A) {
		diff = bpf_csum_diff((__be32 *)old, 4,
				     (__be32 *)cfg->sinkhole_v4, 4, 0);
		if (bpf_xdp_store_bytes(wk->ctx, rw->base + off,
					cfg->sinkhole_v4, 4))
			rw->failed = 1;
	} else {
		diff = bpf_csum_diff((__be32 *)old, 16,
				     (__be32 *)cfg->sinkhole_v6, 16, 0);
		if (bpf_xdp_store_bytes(wk->ctx, rw->base + off,
					cfg->sinkhole_v6, 16))
			rw->failed = 1;
	}
	diff = csum_fold16(diff);
	if (off & 1)
		diff = ((diff & 0xff) << 8) | (diff >> 8);
	rw->csum_diff = csum_fold16(rw->csum_diff + diff);
	return 0;
}

#endif /* FG_DNS_H */

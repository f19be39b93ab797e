/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The contract between the XDP program and userspace: ring-buffer event
 * layout, block-map keys and values, configuration and counters.
 * Included by bpf/ (with UAPI types only) and by user/.
 */
#ifndef FLUXGUARD_H
#define FLUXGUARD_H

#include <linux/types.h>

/* DNS wire format constants (RFC 1035). */
#define FG_DNS_HDR_LEN		12
#define FG_DNS_NAME_MAX		255	/* wire length of a name, root included */
#define FG_DNS_LABEL_MAX	63

/* Longest DNS message copied into an event. 1472 bytes is the UDP payload
 * of a full 1500-byte IPv4 frame; larger answers (jumbo frames, EDNS
 * buffers over the MTU reassembled elsewhere) are parsed up to this point
 * and the event is flagged FG_EVF_MSG_CAPPED.
 */
#define FG_MSG_MAX		1472
/* The copy buffer is a power of two so the program can mask offsets, plus
 * slack so that a masked offset can still read a 16-byte address.
 */
#define FG_MSG_MASK		2047
#define FG_MSG_BUF		(FG_MSG_MASK + 1 + 64)

/* Records carried per event. 48 covers a 32-address answer plus NS and
 * glue; more are counted (rr_capped) and the event is flagged
 * FG_EVF_RR_CAPPED.
 */
#define FG_MAX_RR		48
/* Resource records walked per message, interesting or not (OPT, RRSIG,
 * TXT ...). Bounds the verifier's view of the walk.
 */
#define FG_MAX_RR_WALK		96
/* Compression pointers followed in one name. Every pointer must point
 * strictly before the segment it leaves, so loops are impossible anyway;
 * this bounds the work an attacker can demand per name.
 */
#define FG_MAX_PTR		16
/* Label steps in one name: 127 one-byte labels fill 255 bytes. */
#define FG_MAX_LABELS		128
/* UDP source ports treated as DNS; 0 marks an unused slot. */
#define FG_MAX_DNS_PORTS	4
/* Characters of the domain kept beside a block entry for operators; the
 * match itself is by address, so a longer name is only shortened here.
 */
#define FG_BLOCK_LABEL_LEN	64

/* Sections a record came from. */
enum fg_section {
	FG_SEC_ANSWER = 1,
	FG_SEC_AUTHORITY = 2,
	FG_SEC_ADDITIONAL = 3,
};

/* DNS types extracted. */
#define FG_TYPE_A	1
#define FG_TYPE_NS	2
#define FG_TYPE_CNAME	5
#define FG_TYPE_AAAA	28

/* One extracted resource record. Offsets index the event's message (the DNS
 * message, header at 0). The owner name and, for NS and CNAME, the target
 * name at rdata_off were validated by the program: every label <= 63
 * bytes, total wire length <= 255, pointers strictly backwards and at most
 * FG_MAX_PTR of them. Userspace decodes them from msg.
 */
struct fg_rr {
	__u16 owner_off;
	__u16 rdata_off;
	__u16 type;
	__u16 rdlen;
	__u32 ttl;
	__u8 section;		/* enum fg_section */
	__u8 flags;		/* FG_RRF_* */
	__u8 pad[2];
};

/* A domain rule covers this answer: the frame carries the sinkhole
 * instead (or would, in a dry run); msg keeps what the server said.
 */
#define FG_RRF_NAME_RULE	(1 << 0)

/* Event flags. */
/* The response may hold more than rr[]: a fault stopped the walk (fault
 * says which; rr[] holds what came before it) or the TC bit was set.
 */
#define FG_EVF_PARTIAL		(1 << 0)
#define FG_EVF_TC		(1 << 1) /* TC bit set: the resolver will retry over TCP */
#define FG_EVF_MSG_CAPPED	(1 << 2) /* message longer than FG_MSG_MAX */
#define FG_EVF_RR_CAPPED	(1 << 3) /* more than FG_MAX_RR records of interest */
#define FG_EVF_IPV6		(1 << 4) /* transport is IPv6 (addresses are 16 bytes) */
/* A query (QR=0) to a DNS port, emitted only with FG_CFG_TRACK_QUERIES:
 * the question alone, n_rr is 0. saddr/sport are the client's.
 */
#define FG_EVF_QUERY		(1 << 5)

/* One ring-buffer entry per DNS response. The program builds the whole
 * struct in a per-CPU buffer (msg_buf is where it walks the message), but
 * the ring carries only what a response needs: the header up to rr, the
 * n_rr records, then the msg_len bytes of the message (fg_event_len(),
 * fg_event_msg()). A four-answer response takes about 230 bytes of the
 * ring instead of the 2,944 of the struct, so the ring holds ten times
 * more of them and the program touches fewer of its pages.
 */
struct fg_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC, or the replay clock */
	__u32 ifindex;
	__u16 flags;		/* FG_EVF_* */
	__u8 n_rr;
	__u8 fault;		/* enum fg_fault when FG_EVF_PARTIAL, else 0 */
	__u8 saddr[16];		/* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u16 sport;		/* host byte order */
	__u16 dport;
	__u16 dns_id;		/* host byte order */
	__u16 dns_flags;	/* host byte order: QR, opcode, AA, TC, RD, RA, rcode */
	__u16 qtype;
	__u16 qname_off;	/* 12, or 0 when qdcount is 0 */
	__u16 msg_len;		/* bytes of the message */
	__u16 wire_len;		/* UDP payload length on the wire */
	struct fg_rr rr[FG_MAX_RR];	/* on the ring: n_rr of them */
	__u8 msg_buf[FG_MSG_BUF];	/* not on the ring: see fg_event_msg() */
};

/* Bytes of an event before its records, on the ring as in the struct. */
#define FG_EVENT_HDR_LEN	64

/* Length of ev on the ring. */
static inline __u32 fg_event_len(const struct fg_event *ev)
{
	return FG_EVENT_HDR_LEN + sizeof(struct fg_rr) * ev->n_rr + ev->msg_len;
}

/* The message of an event as the ring carries it: after its records. */
static inline const __u8 *fg_event_msg(const struct fg_event *ev)
{
	return (const __u8 *)ev + FG_EVENT_HDR_LEN +
	       sizeof(struct fg_rr) * ev->n_rr;
}

/* The fast path (bpf/fast.h) takes the usual response, a plain question
 * and up to FG_FAST_RR address records that point at it, and writes its
 * event straight into a ring slot of fixed size: the event, then
 * padding. A small slot holds FG_FAST_SMALL_RR records and a message of
 * FG_FAST_SMALL_MSG bytes, the usual answer of a few addresses; a large
 * one FG_FAST_RR records and FG_FAST_MSG_MAX bytes. Every other event
 * takes fg_event_len() bytes of the ring.
 */
#define FG_FAST_RR		8
#define FG_FAST_EVENT		512
#define FG_FAST_SMALL_RR	4
#define FG_FAST_SMALL_EVENT	256
#define FG_FAST_MSG_MAX		(FG_FAST_EVENT - FG_EVENT_HDR_LEN - 16 * FG_FAST_RR)
#define FG_FAST_SMALL_MSG	(FG_FAST_SMALL_EVENT - FG_EVENT_HDR_LEN - \
				 16 * FG_FAST_SMALL_RR)

/* The slot the fast path takes for n records and a message of len bytes. */
static inline __u32 fg_fast_slot(__u32 n, __u32 len)
{
	return n <= FG_FAST_SMALL_RR && len <= FG_FAST_SMALL_MSG ?
	       FG_FAST_SMALL_EVENT : FG_FAST_EVENT;
}

/* Is len the ring length of an event that claims the header of ev? */
static inline int fg_event_len_ok(const struct fg_event *ev, __u32 len)
{
	__u32 need = fg_event_len(ev);

	return len == need ||
	       ((len == FG_FAST_EVENT || len == FG_FAST_SMALL_EVENT) &&
		need <= len);
}

_Static_assert(sizeof(struct fg_rr) == 16, "fg_rr layout changed");
_Static_assert(__builtin_offsetof(struct fg_event, rr) == FG_EVENT_HDR_LEN,
	       "records must follow the header directly");
_Static_assert(sizeof(struct fg_event) == 64 + 16 * FG_MAX_RR + FG_MSG_BUF,
	       "fg_event layout changed");
_Static_assert((FG_MSG_MASK & (FG_MSG_MASK + 1)) == 0, "mask must be 2^n-1");
_Static_assert(FG_MSG_MAX <= FG_MSG_MASK, "copy cap must fit the mask");

/* Why a response yielded no record, or only some. Values are stable: they
 * appear in events and in the counters below.
 */
enum fg_fault {
	FG_FAULT_NONE = 0,
	FG_FAULT_DNS_SHORT,	/* UDP payload shorter than a DNS header */
	FG_FAULT_QDCOUNT,	/* qdcount other than 0 or 1 */
	FG_FAULT_LABEL,		/* label length > 63 or reserved label type */
	FG_FAULT_NAME_LONG,	/* name longer than 255 bytes */
	FG_FAULT_PTR_FWD,	/* pointer not strictly backwards (loops, forward) */
	FG_FAULT_PTR_OUT,	/* pointer into the header or past the message */
	FG_FAULT_PTR_MANY,	/* more than FG_MAX_PTR pointers in one name */
	FG_FAULT_TRUNC,		/* a name or record runs past the message */
	FG_FAULT_RDLEN,		/* rdlength does not fit the type */
	FG_FAULT_WALK,		/* more than FG_MAX_RR_WALK records */
	FG_FAULT_MAX,
};

/* Per-CPU counters, one named field each so that `bpftool map dump`
 * reads like a report. X(name, help) keeps the struct and the names
 * userspace prints in one place.
 */
#define FG_COUNTERS(X)							\
	X(packets, "frames seen")					\
	X(pass, "frames passed")					\
	X(not_ip, "frames that are not IPv4/IPv6")			\
	X(l3_short, "IP header truncated or invalid")			\
	X(fragments, "IP fragments (not parsed, passed)")		\
	X(ext_hdr_limit, "IPv6 extension header chain too long")	\
	X(not_dns, "UDP datagrams not from a DNS port")			\
	X(dns_queries, "DNS queries (QR=0)")				\
	X(query_events, "queries pushed to the ring buffer")		\
	X(dns_responses, "DNS responses parsed")			\
	X(dns_tc, "responses with the TC bit")				\
	X(events, "events pushed to the ring buffer")			\
	X(records, "records pushed to the ring buffer")			\
	X(ringbuf_full, "events lost: ring buffer full")		\
	X(msg_capped, "responses longer than the copy cap")		\
	X(rr_capped, "responses with more records than an event holds") \
	X(partial, "events cut short by a fault")			\
	X(no_records, "responses with no record of interest")		\
	X(fast_path, "responses and queries taken on the fast path")	\
	X(mal_dns_short, "malformed: shorter than a DNS header")	\
	X(mal_qdcount, "malformed: qdcount not 0 or 1")			\
	X(mal_label, "malformed: bad label length or type")		\
	X(mal_name_long, "malformed: name over 255 bytes")		\
	X(mal_ptr_fwd, "malformed: pointer not backwards")		\
	X(mal_ptr_out, "malformed: pointer out of the message")		\
	X(mal_ptr_many, "malformed: too many pointers")			\
	X(mal_trunc, "malformed: truncated name or record")		\
	X(mal_rdlen, "malformed: rdlength wrong for type")		\
	X(mal_walk, "malformed: too many records to walk")		\
	X(drop, "frames dropped: blocked address")			\
	X(dry_run_drop, "frames a block would drop (dry run)")		\
	X(expired_hit, "frames matching an expired block (passed)")	\
	X(sinkholed, "answers rewritten to the sinkhole")		\
	X(dry_run_sinkhole, "answers a domain rule would rewrite (dry run)") \
	X(sinkhole_failed, "responses whose rewrite failed (passed as is)")

#define FG_COUNTER_FIELD(name, help) __u64 name;
struct fg_stats {
	FG_COUNTERS(FG_COUNTER_FIELD)
};
#undef FG_COUNTER_FIELD

/* Block map keys. Exact addresses have a record in a hash map (what
 * operators dump) and an entry in the exact index (what the program
 * reads); prefixes shorter than a host live in LPM tries.
 */
struct fg_v4_key {
	__u32 addr;		/* network byte order */
};

struct fg_v6_key {
	__u8 addr[16];
};

/* The exact index. A hash-map lookup is a call into the kernel, the
 * dearest step of the drop path on a kernel with return-thunk
 * mitigations (about 20 ns here); array lookups are inlined by the
 * verifier. So the program finds exact entries through two arrays:
 * fg_block_index maps a seeded hash of the address (fg_index_slot_v4/v6)
 * to the first entry of a chain in fg_block_exact, and each entry names
 * the next. Userspace (user/blocks.c) keeps both in step with the
 * records in fg_block_v4/v6, under a lock, and publishes an entry
 * before the head that leads to it.
 */
#define FG_INDEX_BITS		20	/* 4 MiB of heads; 5 in 6 free when full */
#define FG_INDEX_SLOTS		(1U << FG_INDEX_BITS)
/* Entries the program walks from one head. With 2^20 heads and at most
 * FG_EXACT_MAX entries a ninth entry on one head has odds of about one
 * in a million even in a full index (the hash is seeded per
 * installation); a writer refuses it (-ENOSPC) rather than let the
 * program miss it.
 */
#define FG_INDEX_CHAIN		8

/* All heads in one array element: the program looks the map up once per
 * frame and then reads a head with one load. An array value may not
 * exceed KMALLOC_MAX_SIZE (4 MiB on x86-64).
 */
struct fg_index {
	__u32 head[FG_INDEX_SLOTS];	/* entry + 1; 0: none */
};

/* Entry families; 0 marks a free entry. */
#define FG_EXACT_V4		4
#define FG_EXACT_V6		6

/* What the program needs of an exact block: the address to compare and
 * the expiry; the rest of the entry lives in its record.
 */
struct fg_exact {
	__u8 addr[16];		/* IPv4 in the first 4 bytes, the rest zero */
	__u64 expires_ns;	/* as in the record: CLOCK_MONOTONIC, 0 never */
	__u32 next;		/* next entry of the chain + 1; 0 ends it */
	__u8 family;		/* FG_EXACT_V4, FG_EXACT_V6, or 0 when free */
	__u8 pad[3];
};

/* Hits on an exact entry, per CPU: one shared counter would bounce its
 * cache line between the CPUs that drop the same flood.
 */
struct fg_hits {
	__u64 packets;
	__u64 bytes;
};

/* The head of an address: a multiply by odd numbers drawn once per
 * installation (fg_config.index_key), then a fold of the product's high
 * half onto its low half. Taking the product's top bits alone (multiply-
 * shift) spreads random keys well but maps sets that count up in one byte
 * (a /24 read in network order) onto lattices that line up: with one key
 * all 16 addresses of a /28 shared a head with entries of 10.0.0.0/15,
 * against one in ten expected. The fold breaks that (one in ten for every
 * key tried). An attacker who chooses the addresses of his answers cannot
 * aim them at one head without the keys. The fixed bases keep a zeroed
 * config usable (tests, benchmarks).
 */
#define FG_INDEX_BASE0		0x9e3779b97f4a7c15ULL
#define FG_INDEX_BASE1		0xc2b2ae3d27d4eb4fULL
#define FG_INDEX_BASE2		0x165667b19e3779f9ULL
#define FG_INDEX_KEYS		3
#define FG_INDEX_SHIFT		29

static inline __u64 fg_index_mult(__u64 key, __u64 base)
{
	return (key ^ base) | 1;
}

static inline __u32 fg_index_slot_v4(const __u64 key[FG_INDEX_KEYS],
				     __u32 addr)
{
	__u64 h = (__u64)addr * fg_index_mult(key[0], FG_INDEX_BASE0);

	return (__u32)(h ^ (h >> 32)) >> (32 - FG_INDEX_BITS);
}

/* w0, w1: the address as two 64-bit words, in memory order. */
static inline __u32 fg_index_slot_v6(const __u64 key[FG_INDEX_KEYS],
				     __u64 w0, __u64 w1)
{
	__u64 h = (w0 ^ (w0 >> 32)) * fg_index_mult(key[1], FG_INDEX_BASE1);

	h ^= w1;
	h ^= h >> FG_INDEX_SHIFT;
	h *= fg_index_mult(key[2], FG_INDEX_BASE2);
	return h >> (64 - FG_INDEX_BITS);
}

struct fg_lpm_v4_key {
	__u32 prefixlen;
	__u32 addr;
};

struct fg_lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Domain rules: answers whose owner name (or the question, when the
 * answer is reached through a CNAME chain) hashes to a key here get their
 * A and AAAA data rewritten to the sinkhole. The hash is seeded (config
 * name_seed) and covers every byte of the lowercased name; userspace keeps
 * the full name beside it (fg_block.domain and its own table).
 */
struct fg_name_key {
	__u64 hash;
};

/* The name hash, shared by the program and userspace so both compute the
 * same key: per label, its length, then its bytes in 8-byte little-endian
 * words (zero-padded, ASCII folded to lower case), each mixed in.
 */
#define FG_NAME_MUL	0x9e3779b97f4a7c15ULL

static inline __u64 fg_name_mix(__u64 h, __u64 word)
{
	h ^= word;
	h *= FG_NAME_MUL;
	return h ^ (h >> 29);
}

/* Lower-cases the ASCII letters of eight bytes at once. */
static inline __u64 fg_name_lower8(__u64 x)
{
	__u64 hep = x & 0x7f7f7f7f7f7f7f7fULL;
	__u64 ge_a = hep + 0x3f3f3f3f3f3f3f3fULL;	/* 0x80 - 'A' */
	__u64 gt_z = hep + 0x2525252525252525ULL;	/* 0x7f - 'Z' */
	__u64 upper = ge_a & ~gt_z & ~x & 0x8080808080808080ULL;

	return x | (upper >> 2);
}

static inline __u64 fg_name_final(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h ? h : 1;
}

/* Why an entry exists. */
enum fg_block_reason {
	FG_REASON_MANUAL = 1,
	FG_REASON_SINGLE_FLUX = 2,
	FG_REASON_DOUBLE_FLUX = 3,
	FG_REASON_FEED = 4,
	FG_REASON_IMPORT = 5,
};

/* Value of the prefix tries and of the domain rules, and what userspace
 * hands around for any block. expires_ns uses CLOCK_MONOTONIC (what
 * bpf_ktime_get_ns returns); 0 never expires. The program updates the hit
 * counters of prefixes and rules atomically; those of exact entries come
 * from fg_block_hits.
 */
struct fg_block {
	__u64 expires_ns;
	__u64 created_ns;
	__u64 packets;
	__u64 bytes;
	__u32 score;		/* verdict score x 100, 0 for manual entries */
	__u8 reason;		/* enum fg_block_reason */
	__u8 pad[3];
	char domain[FG_BLOCK_LABEL_LEN];
};

/* Value of fg_block_v4 and fg_block_v6: the record of an exact block.
 * The program reads the entry in fg_block_exact named here, and counts
 * its hits in fg_block_hits under the same number, per CPU.
 */
struct fg_host_block {
	__u64 expires_ns;	/* CLOCK_MONOTONIC; 0 never expires */
	__u64 created_ns;
	__u32 score;		/* verdict score x 100, 0 for manual entries */
	__u8 reason;		/* enum fg_block_reason */
	__u8 pad[3];
	__u32 exact;		/* entry in fg_block_exact and fg_block_hits */
	__u32 pad2;
	char domain[FG_BLOCK_LABEL_LEN];
};

/* Runtime switches, the single value of the fg_config array map. */
#define FG_CFG_DRY_RUN		(1 << 0) /* count would-be drops, drop nothing */
#define FG_CFG_NO_EVENTS	(1 << 1) /* enforce blocks only, emit no events */
#define FG_CFG_TRACK_QUERIES	(1 << 2) /* emit queries too, for matching */
#define FG_CFG_NO_FASTPATH	(1 << 3) /* walk every message the general way */

struct fg_config {
	__u32 flags;
	__u16 dns_ports[FG_MAX_DNS_PORTS];	/* host byte order; 0 = unused */
	__u32 n_prefix_v4;	/* entries in the v4 LPM trie: 0 skips it */
	__u32 n_prefix_v6;
	__u64 now_ns;		/* replay clock; 0 means use bpf_ktime_get_ns */
	__u64 wakeup_bytes;	/* ring bytes a CPU submits between wakeups; 0 never */
	__u64 name_seed;	/* seed of the name hash (fg_name_key) */
	__u32 n_names;		/* entries in fg_block_name: 0 skips hashing */
	__u8 sinkhole_v4[4];	/* what rewritten A records say */
	__u8 sinkhole_v6[16];	/* what rewritten AAAA records say */
	__u64 index_key[FG_INDEX_KEYS];	/* seeds of the exact index's hash */
};

/* Map names as an operator sees them under /sys/fs/bpf/fluxguard/ (BPF
 * object names are limited to 15 characters).
 */
#define FG_PIN_DIR		"/sys/fs/bpf/fluxguard"
#define FG_MAP_EVENTS		"fg_events"
#define FG_MAP_STATS		"fg_stats"
#define FG_MAP_CONFIG		"fg_config"
#define FG_MAP_BLOCK_V4		"fg_block_v4"
#define FG_MAP_BLOCK_V6		"fg_block_v6"
#define FG_MAP_BLOCK_NET4	"fg_block_net4"
#define FG_MAP_BLOCK_NET6	"fg_block_net6"
#define FG_MAP_BLOCK_NAME	"fg_block_name"
#define FG_MAP_BLOCK_INDEX	"fg_block_index"
#define FG_MAP_BLOCK_EXACT	"fg_block_exact"
#define FG_MAP_BLOCK_HITS	"fg_block_hits"

/* Capacities. The exact maps hold auto-blocks, the tries hand-written and
 * feed prefixes, which are few.
 */
#define FG_BLOCK_V4_MAX		131072
#define FG_BLOCK_V6_MAX		65536
#define FG_BLOCK_NET_MAX	16384
/* Entries of the exact index: one per record of either hash map. */
#define FG_EXACT_MAX		(FG_BLOCK_V4_MAX + FG_BLOCK_V6_MAX)
/* Domain rules: verdicts and feeds; a large threat feed has tens of
 * thousands of names.
 */
#define FG_BLOCK_NAME_MAX	131072
_Static_assert(sizeof(struct fg_exact) == 32, "fg_exact layout changed");
_Static_assert(sizeof(struct fg_index) <= (4 << 20), "over KMALLOC_MAX_SIZE");
_Static_assert(__builtin_offsetof(struct fg_config, index_key) == 72,
	       "fg_config layout changed");

/* Ring buffer size: 8 MiB holds some 30,000 events (256 to 520 bytes
 * each on the ring), 30 ms of a 1 M/s burst while the consumer wakes.
 */
#define FG_RINGBUF_BYTES	(8 << 20)
/* Ring bytes a CPU submits before it wakes the consumer at once; below
 * them the consumer's poll timeout (5 ms) picks events up. A wakeup is an
 * interrupt the CPU sends itself, about 5 us on a virtual machine where
 * that exits to the hypervisor: every 64 KiB it cost 20 ns an event. An
 * eighth of the ring leaves it seven eighths for the 5 ms, which would
 * take 1.5 GB/s of events to fill.
 */
#define FG_WAKEUP_BYTES		(FG_RINGBUF_BYTES / 8)

#endif /* FLUXGUARD_H */

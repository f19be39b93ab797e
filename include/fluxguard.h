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

/* Block map keys. Exact addresses live in hash maps (one lookup, flat in
 * the number of entries); prefixes shorter than a host live in LPM tries.
 */
struct fg_v4_key {
	__u32 addr;		/* network byte order */
};

struct fg_v6_key {
	__u8 addr[16];
};

/* The block filter: a counting filter in front of the exact maps. Slot
 * fg_filter_slot(addr) counts the exact entries (IPv4 and IPv6 alike) that
 * hash to it, so a zero slot proves an address has no exact entry and the
 * program skips the hash lookup, a call into the kernel that costs more
 * than the rest of the pass path. Userspace raises a slot before it adds
 * an entry and lowers it after it removes one: a count may run high (a
 * wasted lookup), never low (a block not enforced).
 */
#define FG_FILTER_BITS		20	/* 4 MiB; ~9% of slots set at 100k */
#define FG_FILTER_SLOTS		(1U << FG_FILTER_BITS)
/* Counters per array element, a cache line: array values are padded to
 * 8 bytes each, so one counter an element would double the size. 32
 * bits, as no slot can count more entries than the maps hold.
 */
#define FG_FILTER_PER_ELEM	16

struct fg_filter_elem {
	__u32 n[FG_FILTER_PER_ELEM];
};
/* Fibonacci hashing: the top bits of the product depend on every bit. */
#define FG_FILTER_MULT		0x9e3779b1U

static inline __u32 fg_filter_slot_v4(__u32 addr)
{
	return (addr * FG_FILTER_MULT) >> (32 - FG_FILTER_BITS);
}

static inline __u32 fg_filter_slot_v6(const __u32 w[4])
{
	return fg_filter_slot_v4(w[0] ^ w[1] ^ w[2] ^ w[3]);
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

/* Value of every block map. expires_ns uses CLOCK_MONOTONIC (what
 * bpf_ktime_get_ns returns); 0 never expires. Hit counters are updated
 * atomically by the program.
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

/* Runtime switches, the single value of the fg_config array map. */
#define FG_CFG_DRY_RUN		(1 << 0) /* count would-be drops, drop nothing */
#define FG_CFG_NO_EVENTS	(1 << 1) /* enforce blocks only, emit no events */
#define FG_CFG_TRACK_QUERIES	(1 << 2) /* emit queries too, for matching */

struct fg_config {
	__u32 flags;
	__u16 dns_ports[FG_MAX_DNS_PORTS];	/* host byte order; 0 = unused */
	__u32 n_prefix_v4;	/* entries in the v4 LPM trie: 0 skips it */
	__u32 n_prefix_v6;
	__u64 now_ns;		/* replay clock; 0 means use bpf_ktime_get_ns */
	__u64 wakeup_bytes;	/* pending ring data that forces a wakeup */
	__u64 name_seed;	/* seed of the name hash (fg_name_key) */
	__u32 n_names;		/* entries in fg_block_name: 0 skips hashing */
	__u8 sinkhole_v4[4];	/* what rewritten A records say */
	__u8 sinkhole_v6[16];	/* what rewritten AAAA records say */
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
#define FG_MAP_BLOCK_FILTER	"fg_block_filter"

/* Capacities. The exact maps hold auto-blocks, the tries hand-written and
 * feed prefixes, which are few.
 */
#define FG_BLOCK_V4_MAX		131072
#define FG_BLOCK_V6_MAX		65536
#define FG_BLOCK_NET_MAX	16384
/* Domain rules: verdicts and feeds; a large threat feed has tens of
 * thousands of names.
 */
#define FG_BLOCK_NAME_MAX	131072
/* Ring buffer size: at about 2.6 KiB an event, 8 MiB buffers ~3000
 * responses, a few milliseconds of a 1 M/s burst while the consumer wakes.
 */
#define FG_RINGBUF_BYTES	(8 << 20)

#endif /* FLUXGUARD_H */

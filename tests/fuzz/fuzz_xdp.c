// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for the XDP program: every input is a frame run
 * through BPF_PROG_TEST_RUN twice, on the general walk alone and with the
 * fast path allowed. The verdict and every event are checked against the
 * frame itself (the program may only report what is there), and the two
 * runs must agree byte for byte. Needs root. FG_FUZZ_EVENT_DIR=DIR also
 * saves each event as a fuzz_record input.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>

#include "blocks.h"
#include "fluxguard.skel.h"
#include "fuzz.h"
#include "record.h"

/* Largest frame BPF_PROG_TEST_RUN takes for XDP (a page minus headroom
 * and shared info), as in replay.
 */
#define FRAME_MAX		3500
/* The replay clock of every run, so that block expiry is fixed. */
#define NOW_NS			1000000000000ULL
/* The one blocked address; frames from or to it, and only those, drop. */
#define BLOCKED_V4		"198.18.0.66"
#define DNS_PORT		53
/* Events kept from one frame; more than one is already a failure. */
#define MAX_EVENTS		2
/* Mirrors bpf/parse.h: VLAN tags and IPv6 extension headers walked. */
#define VLAN_MAX		2
#define IPV6_EXT_MAX		6
#define IPV4_HLEN		20
#define IPV6_HLEN		40
#define UDP_HLEN		8
#define DNS_QR			0x8000
#define DNS_OPCODE		0x7800

/* The program's paths are invisible to libFuzzer's coverage, which only
 * sees userspace. Each counter that a frame raises, and the fault, flags
 * and record count of its event, become extra features instead, so that
 * a frame reaching a new outcome is kept.
 */
#define FG_COUNTER_ENUM(name, help) CNT_##name,
enum { FG_COUNTERS(FG_COUNTER_ENUM) CNT_MAX };
#undef FG_COUNTER_ENUM
#define FEAT_FAULT		CNT_MAX
#define FEAT_FLAGS		(FEAT_FAULT + FG_FAULT_MAX)
#define FEAT_FLAG_BITS		5
#define FEAT_N_RR		(FEAT_FLAGS + (1 << FEAT_FLAG_BITS))
#define FEAT_MAX		(FEAT_N_RR + FG_MAX_RR + 1)

__attribute__((used, section("__libfuzzer_extra_counters")))
static uint8_t features[FEAT_MAX];

static struct fluxguard *skel;
static struct ring_buffer *rb;
static int prog_fd, stats_fd, n_cpus;
static struct fg_stats *stats;
static uint64_t last[CNT_MAX];
static uint32_t blocked;
static struct fg_maps maps;
static const char *event_dir;
static struct fg_config cfg = {
	.dns_ports = { DNS_PORT },
	.now_ns = NOW_NS,
};

static struct {
	unsigned int n;
	size_t size[MAX_EVENTS];
	struct fg_event ev[MAX_EVENTS];
} cap;

static struct fg_response resp;

/* Where the frame keeps its DNS message, read independently of the
 * program from the rules in bpf/parse.h.
 */
struct where {
	bool ipv4;		/* a valid IPv4 header: addresses are known */
	bool udp;		/* a whole UDP header, not in a fragment */
	bool v6;
	const uint8_t *saddr, *daddr;
	uint16_t sport, dport, ulen;
	size_t dns_off;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void locate(const uint8_t *b, size_t len, struct where *w)
{
	size_t off = ETH_HLEN;
	uint16_t proto;
	uint8_t l4;
	int i;

	memset(w, 0, sizeof(*w));
	if (len < ETH_HLEN)
		return;
	proto = be16(b + 12);
	for (i = 0; i < VLAN_MAX; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if (off + 4 > len)
			return;
		proto = be16(b + off + 2);
		off += 4;
	}
	if (proto == ETH_P_IP) {
		size_t hlen;

		if (off + IPV4_HLEN > len)
			return;
		hlen = (b[off] & 0xf) * 4u;
		if (b[off] >> 4 != 4 || hlen < IPV4_HLEN || off + hlen > len)
			return;
		w->ipv4 = true;
		w->saddr = b + off + 12;
		w->daddr = b + off + 16;
		if (be16(b + off + 6) & 0x3fff)	/* MF or an offset */
			return;
		l4 = b[off + 9];
		off += hlen;
	} else if (proto == ETH_P_IPV6) {
		if (off + IPV6_HLEN > len || b[off] >> 4 != 6)
			return;
		w->v6 = true;
		w->saddr = b + off + 8;
		w->daddr = b + off + 24;
		l4 = b[off + 6];
		off += IPV6_HLEN;
		for (i = 0;; i++) {
			size_t ext;

			if (l4 != IPPROTO_HOPOPTS && l4 != IPPROTO_ROUTING &&
			    l4 != IPPROTO_DSTOPTS && l4 != IPPROTO_AH)
				break;
			/* One header more than walked: the program gives up. */
			if (i == IPV6_EXT_MAX || off + 2 > len)
				return;
			ext = l4 == IPPROTO_AH ? (b[off + 1] + 2) * 4u :
						 (b[off + 1] + 1) * 8u;
			l4 = b[off];
			off += ext;
		}
		if (l4 == IPPROTO_FRAGMENT)
			return;
	} else {
		return;
	}
	if (l4 != IPPROTO_UDP || off + UDP_HLEN > len)
		return;
	w->udp = true;
	w->sport = be16(b + off);
	w->dport = be16(b + off + 2);
	w->ulen = be16(b + off + 4);
	w->dns_off = off + UDP_HLEN;
}

static int on_event(void *ctx, void *data, size_t size)
{
	if (cap.n < MAX_EVENTS) {
		cap.size[cap.n] = size;
		memcpy(&cap.ev[cap.n], data,
		       size < sizeof(cap.ev[0]) ? size : sizeof(cap.ev[0]));
	}
	cap.n++;
	return 0;
}

/* An event as the ring carried it, which is fuzz_record's input. */
static void save_event(const struct fg_event *ev, size_t size)
{
	static unsigned int seq;
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ev-%d-%u", event_dir, getpid(),
		 seq++);
	f = fopen(path, "wb");
	FUZZ_CHECK(f, "%s: %s", path, strerror(errno));
	fwrite(ev, 1, size, f);
	fclose(f);
}

/* Marks each counter that rose since the last frame. */
/* Counts the counters that moved as features when mark is set; in any
 * case remembers them, so that the next run starts from here.
 */
static void mark_counters(bool mark)
{
	uint64_t now[CNT_MAX] = { 0 };
	uint32_t key = 0;
	int c, i;

	FUZZ_CHECK(!bpf_map_lookup_elem(stats_fd, &key, stats), "stats");
#define FG_COUNTER_SUM(name, help) now[CNT_##name] += stats[c].name;
	for (c = 0; c < n_cpus; c++) {
		FG_COUNTERS(FG_COUNTER_SUM)
	}
#undef FG_COUNTER_SUM
	for (i = 0; i < CNT_MAX; i++) {
		if (mark && now[i] != last[i])
			features[i]++;
		last[i] = now[i];
	}
}

static void mark_event(const struct fg_event *ev)
{
	features[FEAT_FAULT + (ev->fault < FG_FAULT_MAX ? ev->fault : 0)]++;
	features[FEAT_FLAGS + (ev->flags & ((1 << FEAT_FLAG_BITS) - 1))]++;
	features[FEAT_N_RR + (ev->n_rr <= FG_MAX_RR ? ev->n_rr : 0)]++;
}

static void check_name(const char *name, const char *what, unsigned int i)
{
	int wire = fuzz_name_wire(name);

	FUZZ_CHECK(wire > 0 && wire <= FG_DNS_NAME_MAX,
		   "rr %u: %s '%s' is %d wire bytes", i, what, name, wire);
}

/* One event against the frame it came from. */
static void check_event(const struct fg_event *ev, size_t size,
			const uint8_t *b, size_t len, const struct where *w)
{
	size_t alen = w->v6 ? 16 : 4, msg_len, rdata;
	const uint8_t *msg = b + w->dns_off;
	uint16_t dns_flags;
	unsigned int i;

	FUZZ_CHECK(size >= FG_EVENT_HDR_LEN && fg_event_len_ok(ev, size),
		   "event of %zu bytes", size);
	FUZZ_CHECK(w->udp && w->sport == DNS_PORT,
		   "event from a frame that is not UDP from port %d",
		   DNS_PORT);
	FUZZ_CHECK(w->ulen >= UDP_HLEN + FG_DNS_HDR_LEN &&
		   w->dns_off + FG_DNS_HDR_LEN <= len,
		   "event from a datagram shorter than a DNS header");
	dns_flags = be16(msg + 2);
	FUZZ_CHECK((dns_flags & DNS_QR) && !(dns_flags & DNS_OPCODE),
		   "event from flags %#x", dns_flags);
	msg_len = len - w->dns_off;
	if (msg_len > w->ulen - UDP_HLEN)
		msg_len = w->ulen - UDP_HLEN;
	if (msg_len > FG_MSG_MAX)
		msg_len = FG_MSG_MAX;
	FUZZ_CHECK(ev->msg_len == msg_len && ev->wire_len == w->ulen - UDP_HLEN,
		   "msg_len %u wire_len %u, frame says %zu %u", ev->msg_len,
		   ev->wire_len, msg_len, w->ulen - UDP_HLEN);
	FUZZ_CHECK(!memcmp(fg_event_msg(ev), msg, msg_len),
		   "message copy differs");
	FUZZ_CHECK(!!(ev->flags & FG_EVF_IPV6) == w->v6 &&
		   !memcmp(ev->saddr, w->saddr, alen) &&
		   !memcmp(ev->daddr, w->daddr, alen) &&
		   ev->sport == w->sport && ev->dport == w->dport,
		   "addresses or ports are not the frame's");
	FUZZ_CHECK(ev->n_rr >= 1 && ev->n_rr <= FG_MAX_RR, "%u records",
		   ev->n_rr);
	FUZZ_CHECK(fg_decode_event(ev, size, 0, &resp) == 0,
		   "event does not decode");
	if (ev->qname_off)
		check_name(resp.qname, "qname", 0);

	for (i = 0; i < ev->n_rr; i++) {
		const struct fg_rr *rr = &ev->rr[i];
		const struct fg_answer *a = &resp.answers[i];

		rdata = rr->rdata_off;
		FUZZ_CHECK(rdata >= FG_DNS_HDR_LEN + 1 + 10 &&
			   rdata + rr->rdlen <= msg_len,
			   "rr %u: rdata %zu+%u outside %zu bytes", i, rdata,
			   rr->rdlen, msg_len);
		/* The fixed part before rdata, read from the frame. */
		FUZZ_CHECK(be16(msg + rdata - 10) == rr->type &&
			   be32(msg + rdata - 6) == rr->ttl &&
			   be16(msg + rdata - 2) == rr->rdlen,
			   "rr %u: type, ttl or rdlength not at %zu in the "
			   "frame", i, w->dns_off + rdata);
		check_name(a->owner, "owner", i);
		switch (rr->type) {
		case FG_TYPE_A:
		case FG_TYPE_AAAA:
			FUZZ_CHECK(!memcmp(a->addr.bytes, msg + rdata,
					   rr->rdlen),
				   "rr %u: address not at %zu in the frame", i,
				   w->dns_off + rdata);
			break;
		default:
			check_name(a->target, "target", i);
			break;
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct fg_block val = { .reason = FG_REASON_MANUAL };
	struct fg_cidr c;
	uint32_t key = 0;

	libbpf_set_print(NULL);
	skel = fluxguard__open_and_load();
	FUZZ_CHECK(skel, "cannot load the XDP program (root?): %s",
		   strerror(errno));
	prog_fd = bpf_program__fd(skel->progs.fluxguard_xdp);
	FUZZ_CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.fg_config),
					&key, &cfg, BPF_ANY), "config");
	FUZZ_CHECK(inet_pton(AF_INET, BLOCKED_V4, &blocked) == 1, "address");
	FUZZ_CHECK(!fg_maps_from_skel(&maps, skel), "map the exact index");
	FUZZ_CHECK(!fg_cidr_parse(BLOCKED_V4, &c) &&
		   !fg_block_put(&maps, &c, &val), "block");
	rb = ring_buffer__new(bpf_map__fd(skel->maps.fg_events), on_event,
			      NULL, NULL);
	FUZZ_CHECK(rb, "ring buffer");
	stats_fd = bpf_map__fd(skel->maps.fg_stats);
	n_cpus = libbpf_num_possible_cpus();
	FUZZ_CHECK(n_cpus > 0, "cpus");
	stats = calloc(n_cpus, sizeof(*stats));
	FUZZ_CHECK(stats, "out of memory");
	event_dir = getenv("FG_FUZZ_EVENT_DIR");
	return 0;
}

/* Switches the fast path on or off. */
static void set_fast(bool on)
{
	uint32_t key = 0;

	cfg.flags = on ? 0 : FG_CFG_NO_FASTPATH;
	FUZZ_CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.fg_config),
					&key, &cfg, BPF_ANY), "config");
}

/* One run of the frame, with the fast path allowed or not; the events
 * land in cap. Returns the verdict.
 */
static uint32_t run_once(uint8_t *frame, size_t size, bool fast)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
	int err;

	set_fast(fast);
	opts.data_in = frame;
	opts.data_size_in = size;
	cap.n = 0;
	err = bpf_prog_test_run_opts(prog_fd, &opts);
	FUZZ_CHECK(!err, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	ring_buffer__consume(rb);
	return opts.retval;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[FRAME_MAX];
	static struct fg_event walked;
	unsigned int n_walked;
	uint32_t walk_action, action;
	bool hit;
	struct where w;

	/* Below an Ethernet header the kernel refuses the run; above a
	 * page it cannot take the frame. Neither reaches the program.
	 */
	if (size < ETH_HLEN || size > FRAME_MAX)
		return 0;
	memcpy(frame, data, size);
	/* The general walk alone first: the run with the fast path must
	 * repeat its verdict and its event. The walk's counters are the
	 * same but fast_path: the fast run's are the features.
	 */
	walk_action = run_once(frame, size, false);
	n_walked = cap.n;
	if (cap.n)
		walked = cap.ev[0];
	mark_counters(false);
	action = run_once(frame, size, true);
	mark_counters(true);
	FUZZ_CHECK(action == walk_action && cap.n == n_walked,
		   "fast path: action %u and %u events, the walk %u and %u",
		   action, cap.n, walk_action, n_walked);
	FUZZ_CHECK(!cap.n || !memcmp(&cap.ev[0], &walked,
				     fg_event_len(&walked)),
		   "fast path: the event differs from the walk's");

	locate(frame, size, &w);
	hit = w.ipv4 && (!memcmp(w.saddr, &blocked, 4) ||
			 !memcmp(w.daddr, &blocked, 4));
	FUZZ_CHECK(action == (hit ? XDP_DROP : XDP_PASS),
		   "action %u for a frame %s %s", action,
		   hit ? "to or from" : "not to or from", BLOCKED_V4);
	FUZZ_CHECK(cap.n <= 1, "%u events from one frame", cap.n);
	if (!cap.n)
		return 0;
	FUZZ_CHECK(!hit, "event from a dropped frame");
	mark_event(&cap.ev[0]);
	check_event(&cap.ev[0], cap.size[0], frame, size, &w);
	if (event_dir)
		save_event(&cap.ev[0], cap.size[0]);
	return 0;
}

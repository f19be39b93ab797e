// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Tip-to-block latency: wall time from handing the pipeline the ring-buffer
 * event that tips a flux domain over the threshold to its block entries
 * being in fg_block_v4, for many independent domains, beside the cost of a
 * bare update of the same map. Run from the repository root (it reads the
 * lab's ASN tables from tests/lab/asn).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "pipeline.h"

/* Independent flux domains per round. Each takes ADDRS_PER_ANSWER x 2
 * addresses of its own, from FLUX_NETS x 254 hosts: at most 1600.
 */
#define DOMAINS			1000
/* Rounds, each with a fresh pipeline and an emptied block map, so the
 * percentiles rest on DOMAINS x ROUNDS tips.
 */
#define ROUNDS			5
/* The lab's flux shape: five addresses per answer, TTL 5 s; the second
 * answer, all new addresses, is the one that tips the domain.
 */
#define ADDRS_PER_ANSWER	5
#define FLUX_TTL		5
/* Entries a tip installs: the verdict lists every live address. */
#define ENTRIES_PER_TIP		(2 * ADDRS_PER_ANSWER)
/* The second answer comes once the first one's TTL ran out, as a
 * resolver would fetch it; sooner, the scorer takes it for a cache hit.
 */
#define ANSWER_GAP_NS		(6ULL * 1000000000)
/* Capture-clock spacing of the domains within one answer round. */
#define DOMAIN_GAP_NS		(1000ULL * 1000)
/* Synthetic clock start (2027): any time after the epoch works. */
#define CLOCK_START_NS		(1800000000ULL * 1000000000)
/* 198.19.0.0/24 .. 198.19.63.0/24: the lab's ASN table gives each its
 * own ASN, which the diversity gate needs.
 */
#define FLUX_NET_BASE		0xc6130000u
#define FLUX_NETS		64
#define CLIENT_ADDR		0xc6120102u	/* 198.18.1.2 */
#define RESOLVER_ADDR		0xc6120236u	/* 198.18.2.54 */
#define DNS_PORT		53
#define CLIENT_PORT_BASE	10000
/* Bare updates timed per round for the reference, into addresses no
 * domain uses (198.18.128.0/17).
 */
#define PEER_OPS		2000
#define PEER_ADDR_BASE		0xc6128000u
/* The goal for the whole path from event to enforcement. */
#define TARGET_US		1000.0
/* Largest frame built: headers plus a question and five A records. */
#define FRAME_MAX		512
#define EVENTS_PER_DOMAIN	4	/* query and answer, twice */

struct store {
	struct fg_event *ev;
	size_t n, max;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_latency: %s: %s\n", what, strerror(err));
	exit(1);
}

static double clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

/* This thread's CPU time: wall time minus it is time spent preempted,
 * which a shared machine adds to the tail.
 */
static double cpu_us(void)
{
	return clock_us(CLOCK_THREAD_CPUTIME_ID);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, size_t n, int p)
{
	size_t i = n * p / 100;

	return sorted[i < n ? i : n - 1];
}

/* Address k (0 .. 2 x ADDRS_PER_ANSWER - 1) of domain d: consecutive
 * indices fall in consecutive /24s, so one answer spans five networks
 * and no two domains share an address.
 */
static uint32_t flux_addr(unsigned int d, unsigned int k)
{
	unsigned int j = d * ENTRIES_PER_TIP + k;

	return FLUX_NET_BASE | (j % FLUX_NETS) << 8 | (1 + j / FLUX_NETS);
}

static size_t put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
	return 2;
}

static size_t put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
	return 4;
}

static uint16_t ip_csum(const void *hdr, size_t len)
{
	const uint16_t *w = hdr;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* An Ethernet/IPv4/UDP frame with the query for domain d (answer round
 * r, 0 or 1), or with its flux answer when answer is set.
 */
static size_t build_frame(uint8_t *f, unsigned int d, unsigned int r,
			  bool answer)
{
	struct ethhdr *eth = (void *)f;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	uint8_t *dns = (uint8_t *)(udp + 1), *p = dns;
	uint16_t cport = CLIENT_PORT_BASE + d;
	char label[16];
	unsigned int k;
	size_t n;

	memset(f, 0, FRAME_MAX);
	memset(eth->h_dest, 0x02, ETH_ALEN);
	memset(eth->h_source, 0x04, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);

	p += put16(p, (d * 2 + r) & 0xffff);		/* id */
	p += put16(p, answer ? 0x8180 : 0x0100);	/* QR RD RA / RD */
	p += put16(p, 1);
	p += put16(p, answer ? ADDRS_PER_ANSWER : 0);
	p += put16(p, 0);
	p += put16(p, 0);
	/* www.fluxD.test */
	*p++ = 3;
	memcpy(p, "www", 3);
	p += 3;
	n = snprintf(label, sizeof(label), "flux%u", d);
	*p++ = n;
	memcpy(p, label, n);
	p += n;
	*p++ = 4;
	memcpy(p, "test", 4);
	p += 4;
	*p++ = 0;
	p += put16(p, 1);	/* A */
	p += put16(p, 1);	/* IN */
	for (k = 0; answer && k < ADDRS_PER_ANSWER; k++) {
		p += put16(p, 0xc00c);	/* the question's name */
		p += put16(p, 1);
		p += put16(p, 1);
		p += put32(p, FLUX_TTL);
		p += put16(p, 4);
		p += put32(p, flux_addr(d, r * ADDRS_PER_ANSWER + k));
	}

	udp->source = htons(answer ? DNS_PORT : cport);
	udp->dest = htons(answer ? cport : DNS_PORT);
	udp->len = htons(sizeof(*udp) + (p - dns));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons(sizeof(*ip) + sizeof(*udp) + (p - dns));
	ip->saddr = htonl(answer ? RESOLVER_ADDR : CLIENT_ADDR);
	ip->daddr = htonl(answer ? CLIENT_ADDR : RESOLVER_ADDR);
	ip->check = ip_csum(ip, sizeof(*ip));
	return p - f;
}

static int collect(void *ctx, void *data, size_t len)
{
	struct store *s = ctx;

	if (s->n == s->max || len > sizeof(struct fg_event))
		return -E2BIG;
	memcpy(&s->ev[s->n++], data, len);
	return 0;
}

/* Runs frame through the real program at capture time ns and keeps the
 * event it emits.
 */
static void emit(struct fg_loader *l, struct ring_buffer *rb,
		 struct store *s, const uint8_t *frame, size_t len, __u64 ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame,
		    .data_size_in = len, .repeat = 1);
	struct fg_config cfg;
	size_t before = s->n;
	__u32 zero = 0;

	fg_config_defaults(&cfg);
	cfg.flags |= FG_CFG_TRACK_QUERIES;
	cfg.now_ns = ns;
	if (bpf_map_update_elem(l->maps.config, &zero, &cfg, BPF_ANY))
		die("config update", errno);
	if (bpf_prog_test_run_opts(l->prog_fd, &run))
		die("BPF_PROG_TEST_RUN", errno);
	if (ring_buffer__consume(rb) < 0 || s->n != before + 1)
		die("the program emitted no event for a frame", EPROTO);
}

/* Events in the order a gateway sees them: query then answer, first for
 * every domain, then, ANSWER_GAP_NS later, again with new addresses.
 */
static void make_events(struct fg_loader *l, struct store *s)
{
	struct ring_buffer *rb;
	uint8_t frame[FRAME_MAX];
	unsigned int r, d;
	size_t len;

	rb = ring_buffer__new(l->maps.events, collect, s, NULL);
	if (!rb)
		die("ring buffer", errno);
	for (r = 0; r < 2; r++) {
		for (d = 0; d < DOMAINS; d++) {
			__u64 ns = CLOCK_START_NS + r * ANSWER_GAP_NS +
				   d * DOMAIN_GAP_NS;

			len = build_frame(frame, d, r, false);
			emit(l, rb, s, frame, len, ns);
			len = build_frame(frame, d, r, true);
			emit(l, rb, s, frame, len, ns);
		}
	}
	ring_buffer__free(rb);
}

/* Deletes the n entries addr(0 .. n-1) by key: walking the hash map to
 * find them would scan every bucket on each restart of the walk.
 */
static void clear_keys(int fd, uint32_t (*addr)(unsigned int),
		       unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		__u32 a = htonl(addr(i));

		if (bpf_map_delete_elem(fd, &a))
			die("map delete", errno);
	}
}

static uint32_t tip_addr(unsigned int i)
{
	return flux_addr(i / ENTRIES_PER_TIP, i % ENTRIES_PER_TIP);
}

static uint32_t peer_addr(unsigned int i)
{
	return PEER_ADDR_BASE + i;
}

static void settings(struct fg_settings *s)
{
	fg_settings_defaults(s);
	snprintf(s->asn_dir, sizeof(s->asn_dir), "tests/lab/asn");
	if (fg_cidr_parse("198.18.0.0/15",
			  &s->allow_block.v[s->allow_block.n++]))
		die("allow_block_cidr", EINVAL);
	/* A round installs DOMAINS x ENTRIES_PER_TIP entries within a
	 * second of capture time; the per-minute cap would refuse most of
	 * them, and the refusal path is not what is measured.
	 */
	s->max_blocks_per_minute = DOMAINS * ENTRIES_PER_TIP;
}

/* One round: a fresh pipeline fed every first answer untimed, then every
 * tipping answer timed (wall into lat, on-CPU into cpu). Returns the tips
 * measured.
 */
static size_t round_tips(const struct fg_settings *s, struct fg_loader *l,
			 const struct store *st, double *lat, double *cpu)
{
	const struct fg_pipe_stats *ps;
	struct fg_pipeline *p;
	struct fg_host_block val;
	struct fg_clock clk;
	unsigned int d, k;
	FILE *events;
	size_t n = 0;

	/* Verdict and block events go to a real file, as under `run`. */
	events = tmpfile();
	if (!events)
		die("tmpfile", errno);
	fg_clock_replay(&clk);
	p = fg_pipeline_new(s, &l->maps, &clk, events);
	if (!p)
		die("pipeline", EINVAL);
	ps = fg_pipeline_stats(p);
	for (d = 0; d < DOMAINS; d++) {
		fg_pipeline_event(p, &st->ev[2 * d],
				  fg_event_len(&st->ev[2 * d]));
		fg_pipeline_event(p, &st->ev[2 * d + 1],
				  fg_event_len(&st->ev[2 * d + 1]));
	}
	if (ps->verdicts)
		die("a first answer already tipped a domain", EPROTO);
	for (d = 0; d < DOMAINS; d++) {
		const struct fg_event *q = &st->ev[2 * (DOMAINS + d)];
		uint64_t verdicts = ps->verdicts, blocks = ps->blocks;
		double t0, t1, c0, c1;

		fg_pipeline_event(p, q, fg_event_len(q));
		c0 = cpu_us();
		t0 = now_us();
		fg_pipeline_event(p, q + 1, fg_event_len(q + 1));
		t1 = now_us();
		c1 = cpu_us();
		if (ps->verdicts != verdicts + 1 ||
		    ps->blocks != blocks + ENTRIES_PER_TIP)
			die("an answer did not tip its domain", EPROTO);
		/* The update is synchronous: every entry must be there. */
		for (k = 0; k < ENTRIES_PER_TIP; k++) {
			__u32 a = htonl(flux_addr(d, k));

			if (bpf_map_lookup_elem(l->maps.block_v4, &a, &val))
				die("block entry missing after the tip", errno);
		}
		cpu[n] = c1 - c0;
		lat[n++] = t1 - t0;
	}
	fg_pipeline_free(p);
	fclose(events);
	clear_keys(l->maps.block_v4, tip_addr, DOMAINS * ENTRIES_PER_TIP);
	return n;
}

/* The reference: single updates of fresh keys into the same map, and
 * what a tip needs at least (a lookup and an update per entry).
 */
static void peer_ops(const struct fg_loader *l, double *one, double *tip,
		     unsigned int round)
{
	struct fg_host_block val = { .reason = FG_REASON_SINGLE_FLUX };
	int fd = l->maps.block_v4;
	unsigned int i, k;

	for (i = 0; i < PEER_OPS; i++) {
		__u32 a = htonl(peer_addr(i));
		double t0 = now_us();

		if (bpf_map_update_elem(fd, &a, &val, BPF_NOEXIST))
			die("peer update", errno);
		one[round * PEER_OPS + i] = now_us() - t0;
	}
	clear_keys(fd, peer_addr, PEER_OPS);
	for (i = 0; i < PEER_OPS / ENTRIES_PER_TIP; i++) {
		double t0 = now_us();

		for (k = 0; k < ENTRIES_PER_TIP; k++) {
			__u32 a = htonl(peer_addr(i * ENTRIES_PER_TIP + k));

			if (!bpf_map_lookup_elem(fd, &a, &val) ||
			    bpf_map_update_elem(fd, &a, &val, BPF_NOEXIST))
				die("peer tip", errno ? errno : EEXIST);
		}
		tip[round * (PEER_OPS / ENTRIES_PER_TIP) + i] = now_us() - t0;
	}
	clear_keys(fd, peer_addr, PEER_OPS);
}

int main(void)
{
	size_t n_lat = 0, n_one = ROUNDS * PEER_OPS;
	size_t n_tip = ROUNDS * (PEER_OPS / ENTRIES_PER_TIP);
	double *lat, *cpu, *one, *tip;
	struct fg_settings *s;
	struct store st = { 0 };
	struct fg_loader l;
	unsigned int r;

	_Static_assert(DOMAINS * ENTRIES_PER_TIP <= FLUX_NETS * 254,
		       "domains would share addresses");
	s = calloc(1, sizeof(*s));
	st.max = EVENTS_PER_DOMAIN * DOMAINS;
	st.ev = calloc(st.max, sizeof(*st.ev));
	lat = calloc(ROUNDS * DOMAINS, sizeof(*lat));
	cpu = calloc(ROUNDS * DOMAINS, sizeof(*cpu));
	one = calloc(n_one, sizeof(*one));
	tip = calloc(n_tip, sizeof(*tip));
	if (!s || !st.ev || !lat || !cpu || !one || !tip)
		die("memory", ENOMEM);
	settings(s);
	if (fg_loader_load(&l, false))
		die("load the XDP object", EINVAL);
	make_events(&l, &st);

	for (r = 0; r < ROUNDS; r++) {
		n_lat += round_tips(s, &l, &st, lat + n_lat, cpu + n_lat);
		peer_ops(&l, one, tip, r);
	}
	fg_loader_close(&l);

	qsort(lat, n_lat, sizeof(*lat), cmp_double);
	qsort(cpu, n_lat, sizeof(*cpu), cmp_double);
	qsort(one, n_one, sizeof(*one), cmp_double);
	qsort(tip, n_tip, sizeof(*tip), cmp_double);
	printf("tip_to_block: %zu tips of %d entries each, timed around "
	       "fg_pipeline_event (the map update is synchronous)\n", n_lat,
	       ENTRIES_PER_TIP);
	printf("tip_to_block: wall max %.1f us; on-CPU p50 %.1f us, p99 "
	       "%.1f us, max %.1f us\n", lat[n_lat - 1], pct(cpu, n_lat, 50),
	       pct(cpu, n_lat, 99), cpu[n_lat - 1]);
	printf("tip_to_block: floor of %d lookups and updates p50 %.1f us, "
	       "p99 %.1f us\n", ENTRIES_PER_TIP, pct(tip, n_tip, 50),
	       pct(tip, n_tip, 99));
	printf("bench tip_to_block_p50 value=%.1f unit=us peer=%.2f "
	       "ratio=%.1f\n", pct(lat, n_lat, 50), pct(one, n_one, 50),
	       pct(lat, n_lat, 50) / pct(one, n_one, 50));
	printf("bench tip_to_block_p99 value=%.1f unit=us peer=%.2f "
	       "ratio=%.1f\n", pct(lat, n_lat, 99), pct(one, n_one, 99),
	       pct(lat, n_lat, 99) / pct(one, n_one, 99));
	printf("tip_to_block: target p99 < %.0f us: wall %s, on-CPU %s\n",
	       TARGET_US, pct(lat, n_lat, 99) < TARGET_US ? "met" : "MISSED",
	       pct(cpu, n_lat, 99) < TARGET_US ? "met" : "MISSED");
	free(tip);
	free(one);
	free(cpu);
	free(lat);
	free(st.ev);
	free(s);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-packet cost of the XDP program, timed with BPF_PROG_TEST_RUN beside
 * a bare XDP_PASS floor, while a consumer thread drains the ring buffer as
 * the daemon would. Prints one "bench xdp_NAME" line per figure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "blocks.h"
#include "fluxguard.h"
#include "names.h"
#include "fluxguard.skel.h"
#include "xdp_pass.skel.h"

/* Runs per timed round: long enough that the syscall and the copy of the
 * frame vanish in the average (about 10 ms of work), short enough that a
 * slow spell of the machine rarely spans a subject round and the floor
 * round beside it.
 */
#define REPEAT		300000
/* Timed pairs of rounds, subject and floor back to back, per figure. The
 * machine this was written on runs in a fast and a slow mode that last
 * seconds (the floor reads 22 or 28 ns, never less than 22): noise only
 * adds time. So a figure is the fastest round of each side, which is the
 * cost without the noise; the medians and the median of the pairs'
 * ratios are printed beside it, on the comment line.
 */
#define ROUNDS		31
/* Untimed runs before the rounds, to warm caches and the ring. */
#define WARMUP		100000
/* Consumer poll timeout. The program mostly submits without a wakeup,
 * and at the rate BPF_PROG_TEST_RUN produces a millisecond fills most of
 * the ring: a few dozen events arrive in this time.
 */
#define POLL_US		50
/* How long the consumer may take to catch up after a figure. */
#define DRAIN_WAIT_MS	5000
#define RUNNER_CPU	0
#define CONSUMER_CPU	1
/* The consumer's nice value: on a shared machine it must still drain the
 * ring as fast as the runner fills it, or the DNS figures do not count.
 */
#define CONSUMER_NICE	-10
/* Tries of a DNS figure before its lost events are reported as they are. */
#define DNS_ATTEMPTS	3
#define FRAME_MAX	1514
#define DNS_PORT	53
#define DNS_TTL		300
/* The domain rule of the dns4_rules figure. */
#define RULE_NAME	"rule.example.net"
/* Figures kept for the closing summary. */
#define MAX_FIGURES	32
/* Entries in the exact IPv4 block map for the fill figures. */
static const unsigned int fills[] = { 1, 1000, 100000 };
static const char *const fill_names[] = { "n1", "n1k", "n100k" };

/* Targets from the design: nondns and drop against the floor, the
 * four-answer response against the floor and in absolute time.
 */
#define TARGET_NONDNS_RATIO	1.5
#define TARGET_DROP_RATIO	2.0
#define TARGET_DNS4_RATIO	5.5
#define TARGET_DNS4_NS		150.0

struct frame {
	unsigned char buf[FRAME_MAX];
	size_t len;
};

/* A DNS message under construction. */
struct msg {
	unsigned char b[FRAME_MAX];
	size_t n;
};

/* Figure names: "xdp_" and a name of up to 31 characters. */
#define FIGURE_NAME_MAX	36

struct figure {
	char name[FIGURE_NAME_MAX];
	double ns, floor_ns;	/* fastest rounds */
};

/* The ring buffer as the consumer maps it (see kernel/bpf/ringbuf.c). */
struct ring {
	unsigned long *consumer_pos;		/* its own page, writable */
	const unsigned long *producer_pos;	/* page before the data */
	const unsigned char *data;		/* mapped twice over */
	unsigned long mask;
	void *prod_map;
	size_t prod_len;
	int epoll_fd;
};

/* Record header flags and size, as in the UAPI of the ring buffer. */
#define RB_BUSY_BIT	(1U << 31)
#define RB_DISCARD_BIT	(1U << 30)
#define RB_HDR_SZ	8

struct consumer {
	struct ring ring;
	atomic_bool stop;
	atomic_ullong events;
	atomic_ullong records;
	int err;
};

static struct figure figures[MAX_FIGURES];
static int n_figures;
static char lost_lines[MAX_FIGURES][128];
static int n_lost_lines;
static int ncpus;
/* Figures named on the command line; none means all. */
static char **only;
static int n_only;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_xdp: %s: %s\n", what, strerror(err));
	exit(1);
}

static double clock_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static void pin_to(pthread_t t, int cpu)
{
	cpu_set_t set;

	if (ncpus < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(t, sizeof(set), &set);
}

/* ---- frames ---- */

static void put8(struct msg *m, unsigned int v)
{
	m->b[m->n++] = v;
}

static void put16(struct msg *m, unsigned int v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct msg *m, unsigned int v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* Puts "a.b.c" as labels; ends with the root unless a pointer follows. */
static void put_labels(struct msg *m, const char *name, int root)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		put8(m, l);
		memcpy(m->b + m->n, name, l);
		m->n += l;
		name += l + (dot ? 1 : 0);
	}
	if (root)
		put8(m, 0);
}

static void put_ptr(struct msg *m, unsigned int off)
{
	put16(m, 0xc000 | off);
}

static void put_header(struct msg *m, unsigned int an)
{
	put16(m, 0x4242);	/* id */
	put16(m, 0x8180);	/* QR, RD, RA, no error */
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

/* Fixed part of a record after its owner name; rdlength follows. */
static void put_rr_fixed(struct msg *m, unsigned int type)
{
	put16(m, type);
	put16(m, 1);		/* class IN */
	put32(m, DNS_TTL);
}

static void put_a(struct msg *m, unsigned int owner, unsigned int i)
{
	put_ptr(m, owner);
	put_rr_fixed(m, FG_TYPE_A);
	put16(m, 4);
	put32(m, 0xc6336400 + i);	/* 198.51.100.i */
}

/* The response to www.example.com A with n addresses, each owner a
 * pointer to the question.
 */
static void dns_a(struct msg *m, unsigned int n)
{
	unsigned int i;

	m->n = 0;
	put_header(m, n);
	put_labels(m, "www.example.com", 1);
	put16(m, FG_TYPE_A);
	put16(m, 1);
	for (i = 0; i < n; i++)
		put_a(m, FG_DNS_HDR_LEN, i + 1);
}

/* A CDN-style answer: www.example.com CNAME shop.cdn.example.net,
 * which is a CNAME for e1.edge.cdn.example.net (compressed onto the first
 * target), which has four addresses.
 */
static void dns_cname(struct msg *m)
{
	unsigned int t1, t2, i, rdlen_at;

	m->n = 0;
	put_header(m, 2 + 4);
	put_labels(m, "www.example.com", 1);
	put16(m, FG_TYPE_A);
	put16(m, 1);

	put_ptr(m, FG_DNS_HDR_LEN);
	put_rr_fixed(m, FG_TYPE_CNAME);
	rdlen_at = m->n;
	put16(m, 0);
	t1 = m->n;
	put_labels(m, "shop.cdn.example.net", 1);
	m->b[rdlen_at] = (m->n - t1) >> 8;
	m->b[rdlen_at + 1] = (m->n - t1) & 0xff;

	put_ptr(m, t1);
	put_rr_fixed(m, FG_TYPE_CNAME);
	rdlen_at = m->n;
	put16(m, 0);
	t2 = m->n;
	put_labels(m, "e1.edge", 0);
	put_ptr(m, t1 + 5);	/* past "\4shop": cdn.example.net */
	m->b[rdlen_at] = (m->n - t2) >> 8;
	m->b[rdlen_at + 1] = (m->n - t2) & 0xff;

	for (i = 0; i < 4; i++)
		put_a(m, t2, i + 1);
}

static unsigned short ip_csum(const unsigned char *p, size_t len)
{
	unsigned int sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Ethernet + IPv4 (no options) + a UDP or TCP header + payload. */
static void build_frame(struct frame *f, int proto, const char *saddr,
			const char *daddr, unsigned int sport,
			unsigned int dport, const void *payload, size_t plen)
{
	static const unsigned char macs[12] = {
		0x02, 0, 0, 0, 0, 1,  0x02, 0, 0, 0, 0, 2,
	};
	size_t l4len = proto == IPPROTO_UDP ? 8 : 20;
	unsigned char *ip = f->buf + 14, *l4 = ip + 20;
	size_t iplen = 20 + l4len + plen;
	unsigned short sum;

	if (14 + iplen > sizeof(f->buf))
		die("frame too long", EINVAL);
	memset(f->buf, 0, sizeof(f->buf));
	memcpy(f->buf, macs, sizeof(macs));
	f->buf[12] = 0x08;	/* IPv4 */
	ip[0] = 0x45;
	ip[2] = iplen >> 8;
	ip[3] = iplen & 0xff;
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, saddr, ip + 12);
	inet_pton(AF_INET, daddr, ip + 16);
	sum = ip_csum(ip, 20);
	ip[10] = sum >> 8;
	ip[11] = sum & 0xff;
	l4[0] = sport >> 8;
	l4[1] = sport & 0xff;
	l4[2] = dport >> 8;
	l4[3] = dport & 0xff;
	if (proto == IPPROTO_UDP) {
		l4[4] = (8 + plen) >> 8;
		l4[5] = (8 + plen) & 0xff;
	} else {
		l4[12] = 5 << 4;	/* data offset */
		l4[13] = 0x10;		/* ACK */
	}
	memcpy(l4 + l4len, payload, plen);
	f->len = 14 + iplen;
}

/* ---- maps ---- */

static void read_stats(int fd, struct fg_stats *sum)
{
	struct fg_stats *per = calloc(ncpus, sizeof(*per));
	__u64 *s = (__u64 *)sum;
	__u32 key = 0;
	int c, i, err;

	if (!per)
		die("calloc", ENOMEM);
	if (bpf_map_lookup_elem(fd, &key, per)) {
		err = errno;
		free(per);
		die("read fg_stats", err);
	}
	memset(sum, 0, sizeof(*sum));
	for (c = 0; c < ncpus; c++) {
		const __u64 *p = (const __u64 *)&per[c];

		for (i = 0; i < (int)(sizeof(*sum) / sizeof(__u64)); i++)
			s[i] += p[i];
	}
	free(per);
}

#define STAT_DELTA(a, b, f) ((b).f - (a).f)

static void block_cidr(struct fg_cidr *c, __u32 blocked, unsigned int i)
{
	__u32 addr = i ? htonl(0x0a000000 + i) : blocked;

	memset(c, 0, sizeof(*c));
	c->family = AF_INET;
	c->len = 32;
	memcpy(c->bytes, &addr, 4);
}

/* Block entries are 10.0.0.0/8 addresses, entry 0 the blocked source,
 * added as the daemon adds them (the exact index follows).
 */
static void block_fill(const struct fg_maps *m, __u32 blocked,
		       unsigned int from, unsigned int to)
{
	struct fg_block val = { .reason = FG_REASON_MANUAL };
	struct fg_cidr c;
	unsigned int i;
	int err;

	strcpy(val.domain, "bench.example");
	for (i = from; i < to; i++) {
		block_cidr(&c, blocked, i);
		err = fg_block_put(m, &c, &val);
		if (err)
			die("fill fg_block_v4", -err);
	}
}

static void block_clear(const struct fg_maps *m, __u32 blocked,
			unsigned int n)
{
	struct fg_cidr c;
	unsigned int i;

	for (i = 0; i < n; i++) {
		block_cidr(&c, blocked, i);
		fg_block_del(m, &c);
	}
}

/* One domain rule, for a name no figure asks about, or none. */
static void rule_set(const struct fg_maps *m, bool on)
{
	struct fg_block val = { .reason = FG_REASON_MANUAL };
	int err;

	strcpy(val.domain, RULE_NAME);
	err = on ? fg_name_block_put(m, RULE_NAME, &val) :
		   fg_name_block_del(m, RULE_NAME);
	if (!err)
		err = fg_names_sync_count(m);
	if (err)
		die("domain rule", -err);
}

/* ---- ring-buffer consumer ---- */

static void ring_open(struct ring *r, int map_fd, __u32 size)
{
	long page = sysconf(_SC_PAGESIZE);
	struct epoll_event e = { .events = EPOLLIN };
	void *p;

	r->mask = size - 1;
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		die("mmap ring consumer page", errno);
	r->consumer_pos = p;
	r->prod_len = page + 2 * (size_t)size;
	p = mmap(NULL, r->prod_len, PROT_READ, MAP_SHARED, map_fd, page);
	if (p == MAP_FAILED)
		die("mmap ring data", errno);
	r->prod_map = p;
	r->producer_pos = p;
	r->data = (const unsigned char *)p + page;
	r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epoll_fd < 0 ||
	    epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, map_fd, &e))
		die("epoll on the ring", errno);
}

static void ring_close(struct ring *r)
{
	munmap(r->consumer_pos, sysconf(_SC_PAGESIZE));
	munmap(r->prod_map, r->prod_len);
	close(r->epoll_fd);
}

/* Takes every committed record, then publishes the new position once.
 * libbpf's consumer publishes it after every record, and each store
 * takes the line from the producer, which reads it at every reserve:
 * at the rate BPF_PROG_TEST_RUN produces, that alone lets the ring fill.
 */
static void ring_consume(struct consumer *c)
{
	struct ring *r = &c->ring;
	unsigned long cons = *r->consumer_pos, prod, events = 0, records = 0;
	const struct fg_event *ev;
	__u32 len;

	prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	while (cons < prod) {
		len = __atomic_load_n((const __u32 *)(r->data +
						      (cons & r->mask)),
				      __ATOMIC_ACQUIRE);
		if (len & RB_BUSY_BIT)
			break;
		if (!(len & RB_DISCARD_BIT)) {
			ev = (const void *)(r->data + (cons & r->mask) +
					    RB_HDR_SZ);
			events++;
			records += ev->n_rr;
		}
		len &= ~(RB_BUSY_BIT | RB_DISCARD_BIT);
		cons += (len + RB_HDR_SZ + 7) & ~7UL;
		if (cons >= prod)
			prod = __atomic_load_n(r->producer_pos,
					       __ATOMIC_ACQUIRE);
	}
	__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
	atomic_fetch_add_explicit(&c->events, events, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->records, records, memory_order_relaxed);
}

/* Mostly the program submits without a wakeup, so the wait times out and
 * the consumer collects what arrived meanwhile; at the rate
 * BPF_PROG_TEST_RUN produces, a millisecond's wait fills most of the
 * ring, so the wait is POLL_US.
 */
static void *consume(void *arg)
{
	const struct timespec timeout = { .tv_nsec = POLL_US * 1000 };
	struct consumer *c = arg;
	struct epoll_event e;

	/* Best effort: without it the figure may still count. */
	setpriority(PRIO_PROCESS, gettid(), CONSUMER_NICE);
	while (!atomic_load(&c->stop)) {
		if (epoll_pwait2(c->ring.epoll_fd, &e, 1, &timeout, NULL) < 0 &&
		    errno != EINTR) {
			c->err = errno;
			break;
		}
		ring_consume(c);
	}
	return NULL;
}

/* Waits until the consumer has every event the program counted. */
static void drain(struct consumer *c, int stats_fd)
{
	double deadline = now_s() + DRAIN_WAIT_MS / 1e3;
	struct fg_stats st;

	for (;;) {
		read_stats(stats_fd, &st);
		if (atomic_load(&c->events) >= st.events)
			return;
		if (now_s() > deadline) {
			fprintf(stderr, "bench_xdp: consumer stuck at %llu"
				" of %llu events\n",
				(unsigned long long)atomic_load(&c->events),
				(unsigned long long)st.events);
			exit(1);
		}
		usleep(1000);
	}
}

/* ---- timing ---- */

/* One round: average ns per run, from the thread's CPU time around the
 * call. The wall clock is no use: the call sleeps for milliseconds
 * outside the loop. CPU time matches the kernel's own average but is not
 * truncated to whole nanoseconds.
 */
static double run_round(int prog_fd, const struct frame *f, __u32 repeat,
			__u32 want)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = f->buf,
		.data_size_in = f->len,
		.repeat = repeat,
	);
	double t0, t1;

	t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		die("BPF_PROG_TEST_RUN", errno);
	t1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	if (opts.retval != want) {
		fprintf(stderr, "bench_xdp: program returned %u, expected %u\n",
			opts.retval, want);
		exit(1);
	}
	return (t1 - t0) * 1e9 / repeat;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Times subject and floor in adjacent rounds, alternating which goes
 * first so drift hits both, and records the medians under name.
 */
/* What the rounds of one frame gave. */
struct timing {
	double ns, floor_ns;		/* fastest rounds */
	double ns_med, floor_med, pair_med;
};

static void time_pairs(int prog_fd, int floor_fd, const struct frame *f,
		       __u32 want, int rounds, struct timing *t)
{
	double sub[ROUNDS], flo[ROUNDS], ratio[ROUNDS];
	int r;

	run_round(floor_fd, f, WARMUP, XDP_PASS);
	run_round(prog_fd, f, WARMUP, want);
	for (r = 0; r < rounds; r++) {
		if (r & 1) {
			sub[r] = run_round(prog_fd, f, REPEAT, want);
			flo[r] = run_round(floor_fd, f, REPEAT, XDP_PASS);
		} else {
			flo[r] = run_round(floor_fd, f, REPEAT, XDP_PASS);
			sub[r] = run_round(prog_fd, f, REPEAT, want);
		}
		ratio[r] = sub[r] / flo[r];
	}
	qsort(sub, rounds, sizeof(sub[0]), cmp_double);
	qsort(flo, rounds, sizeof(flo[0]), cmp_double);
	qsort(ratio, rounds, sizeof(ratio[0]), cmp_double);
	t->ns = sub[0];
	t->floor_ns = flo[0];
	t->ns_med = sub[rounds / 2];
	t->floor_med = flo[rounds / 2];
	t->pair_med = ratio[rounds / 2];
}

static struct figure *add_figure(const char *name, double ns, double floor_ns)
{
	struct figure *fig;

	if (n_figures == MAX_FIGURES)
		die("too many figures", ENOSPC);
	fig = &figures[n_figures++];
	snprintf(fig->name, sizeof(fig->name), "xdp_%s", name);
	fig->ns = ns;
	fig->floor_ns = floor_ns;
	return fig;
}

static struct figure *measure(const char *name, int prog_fd, int floor_fd,
			      const struct frame *f, __u32 want)
{
	struct figure *fig;
	struct timing t;

	time_pairs(prog_fd, floor_fd, f, want, ROUNDS, &t);
	fig = add_figure(name, t.ns, t.floor_ns);
	printf("# %-16s ns min/med %.1f/%.1f floor %.1f/%.1f"
	       " ratio of medians %.2f, median pair ratio %.2f\n", fig->name,
	       t.ns, t.ns_med, t.floor_ns, t.floor_med,
	       t.ns_med / t.floor_med, t.pair_med);
	fflush(stdout);
	return fig;
}

/* Runs per figure, warm-up included: what the counters must show. */
#define RUNS_PER_FIGURE	((__u64)WARMUP + (__u64)ROUNDS * REPEAT)

struct ctx {
	struct fluxguard *skel;
	struct consumer *cons;
	int prog_fd, floor_fd, stats_fd;
};

static void expect(const char *fig, const char *what, __u64 got, __u64 want)
{
	if (got == want)
		return;
	fprintf(stderr, "bench_xdp: %s: %s is %llu, expected %llu\n", fig,
		what, (unsigned long long)got, (unsigned long long)want);
	exit(1);
}

static int wanted(const char *name)
{
	int i;

	for (i = 0; i < n_only; i++)
		if (!strcmp(only[i], name))
			return 1;
	return !n_only;
}

/* A figure where the program passes or drops without an event. */
static void figure_plain(struct ctx *x, const char *name,
			 const struct frame *f, __u32 want)
{
	struct fg_stats a, b;

	if (!wanted(name))
		return;
	read_stats(x->stats_fd, &a);
	measure(name, x->prog_fd, x->floor_fd, f, want);
	read_stats(x->stats_fd, &b);
	if (want == XDP_DROP)
		expect(name, "drop", STAT_DELTA(a, b, drop), RUNS_PER_FIGURE);
	else
		expect(name, "pass", STAT_DELTA(a, b, pass), RUNS_PER_FIGURE);
	expect(name, "events", STAT_DELTA(a, b, events), 0);
}

/* A DNS figure: every run must yield one event of n_rr records, and the
 * consumer must have had them all for the figure to count.
 */
static void figure_dns(struct ctx *x, const char *name, const struct msg *m,
		       unsigned int n_rr)
{
	unsigned long long ev0, rec0, ev, rec;
	struct fg_stats a, b;
	struct frame f;
	int attempt;
	__u64 lost;

	if (!wanted(name))
		return;
	build_frame(&f, IPPROTO_UDP, "192.0.2.53", "192.0.2.10", DNS_PORT,
		    40000, m->b, m->n);
	for (attempt = 1;; attempt++) {
		drain(x->cons, x->stats_fd);
		ev0 = atomic_load(&x->cons->events);
		rec0 = atomic_load(&x->cons->records);
		read_stats(x->stats_fd, &a);
		measure(name, x->prog_fd, x->floor_fd, &f, XDP_PASS);
		drain(x->cons, x->stats_fd);
		read_stats(x->stats_fd, &b);
		ev = atomic_load(&x->cons->events) - ev0;
		rec = atomic_load(&x->cons->records) - rec0;
		lost = STAT_DELTA(a, b, ringbuf_full);
		if (!lost || attempt == DNS_ATTEMPTS)
			break;
		/* A lost event costs less than a delivered one. */
		printf("# %s: %llu events lost, measuring again\n", name,
		       (unsigned long long)lost);
		n_figures--;
	}

	expect(name, "responses", STAT_DELTA(a, b, dns_responses),
	       RUNS_PER_FIGURE);
	expect(name, "partial", STAT_DELTA(a, b, partial), 0);
	expect(name, "events + lost", STAT_DELTA(a, b, events) + lost,
	       RUNS_PER_FIGURE);
	expect(name, "records per event", STAT_DELTA(a, b, records),
	       STAT_DELTA(a, b, events) * n_rr);
	expect(name, "events delivered", ev, STAT_DELTA(a, b, events));
	snprintf(lost_lines[n_lost_lines++], sizeof(lost_lines[0]),
		 "bench xdp_%s_lost value=%llu delivered=%llu records=%llu",
		 name, (unsigned long long)lost, ev, rec);
	if (lost)
		printf("# %s: %llu events lost, the figure does not count\n",
		       name, (unsigned long long)lost);
}

/* Pass traffic at N entries: whether an address shares its head with an
 * entry, and so walks a chain, depends on the address (about one in six
 * at 100k entries). One destination would be a lottery, so these figures
 * time PASS_DESTS of them, each in PASS_ROUNDS pairs of rounds of REPEAT
 * runs (fewer runs a call would let the fixed cost of BPF_PROG_TEST_RUN,
 * the XDP dispatcher swapped in and out, show), and take the mean of
 * their fastest rounds.
 */
#define PASS_DESTS	16
#define PASS_ROUNDS	15
#define PASS_DEST_BASE	0xc0000214u	/* 192.0.2.20, TEST-NET-1 */

static void figure_pass_spread(struct ctx *x, const char *name,
			       const struct frame *base)
{
	static struct frame f[PASS_DESTS];
	double sub[PASS_DESTS], flo[PASS_DESTS], s, fl;
	double ns = 0, floor_ns = 0, lo = 1e9, hi = 0;
	struct fg_stats a, b;
	__u32 daddr;
	int d, r;

	if (!wanted(name))
		return;
	for (d = 0; d < PASS_DESTS; d++) {
		f[d] = *base;
		daddr = htonl(PASS_DEST_BASE + d);
		/* The program reads no checksum: the address alone changes. */
		memcpy(f[d].buf + 14 + 16, &daddr, 4);
		sub[d] = flo[d] = 1e9;
	}
	read_stats(x->stats_fd, &a);
	run_round(x->floor_fd, &f[0], WARMUP, XDP_PASS);
	run_round(x->prog_fd, &f[0], WARMUP, XDP_PASS);
	for (r = 0; r < PASS_ROUNDS; r++) {
		for (d = 0; d < PASS_DESTS; d++) {
			if ((r + d) & 1) {
				s = run_round(x->prog_fd, &f[d], REPEAT,
					      XDP_PASS);
				fl = run_round(x->floor_fd, &f[d], REPEAT,
					       XDP_PASS);
			} else {
				fl = run_round(x->floor_fd, &f[d], REPEAT,
					       XDP_PASS);
				s = run_round(x->prog_fd, &f[d], REPEAT,
					      XDP_PASS);
			}
			sub[d] = s < sub[d] ? s : sub[d];
			flo[d] = fl < flo[d] ? fl : flo[d];
		}
	}
	read_stats(x->stats_fd, &b);
	expect(name, "pass", STAT_DELTA(a, b, pass),
	       (__u64)WARMUP + (__u64)PASS_ROUNDS * REPEAT * PASS_DESTS);
	for (d = 0; d < PASS_DESTS; d++) {
		ns += sub[d] / PASS_DESTS;
		floor_ns += flo[d] / PASS_DESTS;
		lo = sub[d] < lo ? sub[d] : lo;
		hi = sub[d] > hi ? sub[d] : hi;
	}
	add_figure(name, ns, floor_ns);
	printf("# xdp_%-12s mean of %d destinations' fastest rounds: ns %.1f"
	       " (%.1f to %.1f) floor %.1f\n", name, PASS_DESTS, ns, lo, hi,
	       floor_ns);
	fflush(stdout);
}

static const struct figure *find(const char *name)
{
	int i;

	for (i = 0; i < n_figures; i++)
		if (!strcmp(figures[i].name, name))
			return &figures[i];
	return NULL;
}

static void check_target(const char *name, double max_ratio, double max_ns)
{
	const struct figure *f = find(name);
	double ratio;
	int ok;

	if (!f)
		return;
	ratio = f->ns / f->floor_ns;
	ok = ratio <= max_ratio && (!max_ns || f->ns <= max_ns);
	printf("# target %s: ratio %.2f <= %.1f", name, ratio, max_ratio);
	if (max_ns)
		printf(", %.1f ns <= %.0f ns", f->ns, max_ns);
	printf(": %s\n", ok ? "met" : "MISSED");
}

/* Usage: bench_xdp [FIGURE...], FIGURE without the xdp_ prefix. */
int main(int argc, char **argv)
{
	struct fg_config cfg = {
		.dns_ports = { DNS_PORT },
		.wakeup_bytes = FG_WAKEUP_BYTES,	/* the daemon's */
	};
	struct consumer cons = { 0 };
	struct xdp_pass *floor_skel;
	struct frame nondns, tcp, drop;
	struct msg m;
	struct ctx x;
	pthread_t thr;
	__u32 key = 0, blocked;
	unsigned int i, filled;
	struct fg_maps maps;
	int err;
	char name[32];
	static const unsigned char quic[64] = { 0x40 };

	only = argv + 1;
	n_only = argc - 1;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0)
		die("possible CPUs", -ncpus);
	pin_to(pthread_self(), RUNNER_CPU);

	x.skel = fluxguard__open_and_load();
	if (!x.skel)
		die("load fluxguard.bpf.o", errno);
	floor_skel = xdp_pass__open_and_load();
	if (!floor_skel)
		die("load xdp_pass.bpf.o", errno);
	x.prog_fd = bpf_program__fd(x.skel->progs.fluxguard_xdp);
	x.floor_fd = bpf_program__fd(floor_skel->progs.xdp_pass);
	x.stats_fd = bpf_map__fd(x.skel->maps.fg_stats);
	err = fg_maps_from_skel(&maps, x.skel);
	if (err)
		die("map the exact index", -err);
	if (bpf_map_update_elem(bpf_map__fd(x.skel->maps.fg_config), &key,
				&cfg, BPF_ANY))
		die("write fg_config", errno);

	ring_open(&cons.ring, bpf_map__fd(x.skel->maps.fg_events),
		  bpf_map__max_entries(x.skel->maps.fg_events));
	err = pthread_create(&thr, NULL, consume, &cons);
	if (err)
		die("pthread_create", err);
	pin_to(thr, CONSUMER_CPU);
	x.cons = &cons;

	printf("# XDP per-packet cost: BPF_PROG_TEST_RUN, %d pairs of rounds of"
	       " %d runs; floor = bare XDP_PASS; figures are the fastest"
	       " round of each\n", ROUNDS, REPEAT);
	printf("# runner on CPU %d, ring consumer on CPU %d (polls every"
	       " %d us), wakeup at %d KiB\n",
	       RUNNER_CPU, ncpus < 2 ? RUNNER_CPU : CONSUMER_CPU, POLL_US,
	       FG_WAKEUP_BYTES >> 10);

	/* QUIC-sized UDP and a bare TCP ACK, neither from a DNS port. */
	build_frame(&nondns, IPPROTO_UDP, "198.51.100.10", "192.0.2.20",
		    443, 51000, quic, sizeof(quic));
	build_frame(&tcp, IPPROTO_TCP, "198.51.100.10", "192.0.2.20",
		    443, 51000, NULL, 0);
	build_frame(&drop, IPPROTO_UDP, "203.0.113.7", "192.0.2.20",
		    443, 51000, quic, sizeof(quic));
	inet_pton(AF_INET, "203.0.113.7", &blocked);

	figure_plain(&x, "nondns", &nondns, XDP_PASS);
	figure_plain(&x, "nondns_tcp", &tcp, XDP_PASS);

	dns_a(&m, 4);
	figure_dns(&x, "dns4", &m, 4);
	dns_a(&m, 16);
	figure_dns(&x, "dns16", &m, 16);
	dns_cname(&m);
	figure_dns(&x, "dns_cname", &m, 2 + 4);
	/* With a domain rule (for another name) every response is hashed on
	 * the general walk: what a gateway with name feeds pays.
	 */
	rule_set(&maps, true);
	dns_a(&m, 4);
	figure_dns(&x, "dns4_rules", &m, 4);
	rule_set(&maps, false);

	block_fill(&maps, blocked, 0, 1);
	figure_plain(&x, "drop", &drop, XDP_DROP);
	filled = 1;
	for (i = 0; i < sizeof(fills) / sizeof(fills[0]); i++) {
		block_fill(&maps, blocked, filled, fills[i]);
		filled = fills[i];
		snprintf(name, sizeof(name), "drop_%s", fill_names[i]);
		figure_plain(&x, name, &drop, XDP_DROP);
		snprintf(name, sizeof(name), "pass_%s", fill_names[i]);
		figure_pass_spread(&x, name, &nondns);
	}
	block_clear(&maps, blocked, filled);
	fg_maps_unmap(&maps);

	atomic_store(&cons.stop, 1);
	pthread_join(thr, NULL);
	if (cons.err)
		die("epoll_pwait2", cons.err);
	ring_close(&cons.ring);
	xdp_pass__destroy(floor_skel);
	fluxguard__destroy(x.skel);

	check_target("xdp_nondns", TARGET_NONDNS_RATIO, 0);
	check_target("xdp_drop", TARGET_DROP_RATIO, 0);
	check_target("xdp_dns4", TARGET_DNS4_RATIO, TARGET_DNS4_NS);
	for (i = 0; i < (unsigned int)n_lost_lines; i++)
		printf("%s\n", lost_lines[i]);
	for (i = 0; i < (unsigned int)n_figures; i++)
		printf("bench %s ns=%.1f floor_ns=%.1f ratio=%.2f\n",
		       figures[i].name, figures[i].ns, figures[i].floor_ns,
		       figures[i].ns / figures[i].floor_ns);
	return 0;
}

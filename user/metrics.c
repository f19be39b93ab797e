// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The metrics exposition and the two ways it leaves the process: a
 * single-threaded HTTP/1.0 endpoint (one bounded request, one response,
 * close) and an atomically replaced file.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "events.h"
#include "log.h"
#include "metrics.h"
#include "names.h"

/* Largest request read: a scraper sends a request line and a few
 * headers; more is not a scrape.
 */
#define FG_METRICS_REQ_MAX	4096
/* The longest one connection may hold the run loop, reading and writing:
 * the ring buffer absorbs a few hundred milliseconds of events.
 */
#define FG_METRICS_IO_MS	200
/* Connections answered per poll, so a flood cannot starve the loop. */
#define FG_METRICS_PER_POLL	4
/* Pending connections the kernel queues between polls. */
#define FG_METRICS_BACKLOG	8

#define FG_METRICS_TYPE	"text/plain; version=0.0.4; charset=utf-8"

static const char *const kind_label[FG_BK_COUNT] = {
	[FG_BK_IPV4] = "ipv4",
	[FG_BK_IPV6] = "ipv6",
	[FG_BK_PREFIX_V4] = "prefix_v4",
	[FG_BK_PREFIX_V6] = "prefix_v6",
	[FG_BK_NAME] = "name",
};

/* Entries read per batch syscall: one call instead of two per entry,
 * so a scrape of a full map stays in the milliseconds.
 */
#define FG_METRICS_BATCH	1024

static void count_reason(struct fg_block_counts *c, int kind, __u8 reason)
{
	c->n[kind][reason < FG_REASONS ? reason : 0]++;
}

static void count_value(struct fg_block_counts *c, int kind,
			const struct fg_block *v)
{
	count_reason(c, kind, v->reason);
}

/* Hash maps: batched, values of vsize bytes with the reason at
 * reason_off. Returns -EOPNOTSUPP where batches are not offered.
 */
static int count_hash(int fd, int kind, size_t vsize, size_t reason_off,
		      struct fg_block_counts *c)
{
	uint8_t *vals = malloc(FG_METRICS_BATCH * vsize);
	uint8_t *keys = malloc(FG_METRICS_BATCH * 16);
	__u32 token = 0, n;
	void *in = NULL;
	int err = -ENOMEM;

	if (!vals || !keys)
		goto out;
	do {
		n = FG_METRICS_BATCH;
		err = bpf_map_lookup_batch(fd, in, &token, keys, vals, &n, NULL);
		if (err && err != -ENOENT)
			goto out;
		for (__u32 i = 0; i < n; i++)
			count_reason(c, kind, vals[i * vsize + reason_off]);
		in = &token;
	} while (!err);
	err = 0;
out:
	free(vals);
	free(keys);
	return err;
}

/* The prefix tries offer no batches; they hold few entries. */
static int count_trie(int fd, int kind, struct fg_block_counts *c)
{
	struct fg_lpm_v6_key key, next;
	struct fg_block v;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &v))
			count_value(c, kind, &v);
	}
	return 0;
}

static int count_name(uint64_t hash, const struct fg_block *v, void *ctx)
{
	count_value(ctx, FG_BK_NAME, v);
	return 0;
}

static int count_addr(const struct fg_cidr *p, const struct fg_block *v,
		      void *ctx)
{
	bool v4 = p->family == AF_INET;

	if (p->len == (v4 ? 32 : 128))
		count_value(ctx, v4 ? FG_BK_IPV4 : FG_BK_IPV6, v);
	return 0;
}

int fg_metrics_count_blocks(const struct fg_maps *m,
			    struct fg_block_counts *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	err = count_hash(m->block_v4, FG_BK_IPV4, sizeof(struct fg_host_block),
			 offsetof(struct fg_host_block, reason), c);
	if (!err)
		err = count_hash(m->block_v6, FG_BK_IPV6,
				 sizeof(struct fg_host_block),
				 offsetof(struct fg_host_block, reason), c);
	if (!err)
		err = count_hash(m->block_name, FG_BK_NAME,
				 sizeof(struct fg_block),
				 offsetof(struct fg_block, reason), c);
	if (err == -EOPNOTSUPP || err == -EINVAL) {
		/* An older kernel: one entry at a time. */
		memset(c, 0, sizeof(*c));
		err = fg_block_foreach(m, count_addr, c);
		if (!err)
			err = fg_name_block_foreach(m, count_name, c);
	}
	if (!err)
		err = count_trie(m->block_net4, FG_BK_PREFIX_V4, c);
	if (!err)
		err = count_trie(m->block_net6, FG_BK_PREFIX_V6, c);
	return err;
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

static void one(FILE *f, const char *name, const char *type,
		const char *help, uint64_t v)
{
	family(f, name, type, help);
	sample(f, name, v);
}

/* Data plane: one family per counter; the malformed-message counters are
 * one family with the fault as a label.
 */
static void render_dataplane(FILE *f, const struct fg_stats *s)
{
	char name[128];

#define FG_DP_METRIC(n, help)						\
	if (strncmp(#n, "mal_", 4)) {					\
		snprintf(name, sizeof(name),				\
			 "fluxguard_dataplane_%s_total", #n);		\
		one(f, name, "counter", help, s->n);			\
	}
	FG_COUNTERS(FG_DP_METRIC)
#undef FG_DP_METRIC
	family(f, "fluxguard_dataplane_malformed_total", "counter",
	       "DNS responses the program found malformed, by fault");
#define FG_DP_MAL(n, help)						\
	if (!strncmp(#n, "mal_", 4))					\
		fprintf(f, "fluxguard_dataplane_malformed_total"	\
			"{fault=\"%s\"} %llu\n", &#n[4],		\
			(unsigned long long)s->n);
	FG_COUNTERS(FG_DP_MAL)
#undef FG_DP_MAL
}

static void render_pipeline(FILE *f, const struct fg_pipe_stats *s)
{
	char name[128];

#define FG_PIPE_METRIC(n, help)						\
	snprintf(name, sizeof(name), "fluxguard_pipeline_%s_total", #n); \
	one(f, name, "counter", help, s->n);
	FG_PIPE_COUNTERS(FG_PIPE_METRIC)
#undef FG_PIPE_METRIC
}

static void render_scorer(FILE *f, const struct fg_scorer_stats *s)
{
	one(f, "fluxguard_scorer_domains", "gauge", "names tracked now",
	    s->domains);
	one(f, "fluxguard_scorer_domains_max", "gauge",
	    "names tracked at most (max_domains)", s->max_domains);
	one(f, "fluxguard_scorer_zones", "gauge", "zones tracked now",
	    s->zones);
	one(f, "fluxguard_scorer_memory_bytes", "gauge",
	    "bytes reserved for the scorer's tables", s->bytes);
	one(f, "fluxguard_scorer_responses_total", "counter",
	    "responses scored", s->responses);
	one(f, "fluxguard_scorer_records_total", "counter",
	    "address records scored", s->records);
	one(f, "fluxguard_scorer_allowlisted_total", "counter",
	    "address records skipped as allowlisted", s->allowlisted);
	one(f, "fluxguard_scorer_verdicts_total", "counter",
	    "verdicts returned (new and repeated)", s->verdicts);
	one(f, "fluxguard_scorer_verdicts_dropped_total", "counter",
	    "verdicts with no room in the caller's array",
	    s->verdicts_dropped);
	one(f, "fluxguard_scorer_domain_evictions_total", "counter",
	    "names dropped at the cap, least recently seen first",
	    s->domain_evictions);
	one(f, "fluxguard_scorer_expired_total", "counter",
	    "names aged out of the long window", s->expired);
}

static void render_blocks(FILE *f, const struct fg_block_counts *c)
{
	family(f, "fluxguard_blocks_active", "gauge",
	       "block entries in the maps, by kind and reason");
	for (int k = 0; k < FG_BK_COUNT; k++)
		for (int r = 1; r < FG_REASONS; r++)
			fprintf(f, "fluxguard_blocks_active{kind=\"%s\","
				"reason=\"%s\"} %llu\n", kind_label[k],
				fg_reason_str((uint8_t)r),
				(unsigned long long)c->n[k][r]);
}

static void render_feeds(FILE *f, const struct fg_feed_stats *s)
{
	family(f, "fluxguard_feed_entries", "gauge",
	       "feed entries in the maps, by kind");
	fprintf(f, "fluxguard_feed_entries{kind=\"name\"} %llu\n",
		(unsigned long long)s->names);
	fprintf(f, "fluxguard_feed_entries{kind=\"cidr\"} %llu\n",
		(unsigned long long)s->cidrs);
	one(f, "fluxguard_feed_loads_total", "counter",
	    "times the feed files were read", s->loads);
	one(f, "fluxguard_feed_refused_policy_total", "counter",
	    "feed addresses the never-block policy kept", s->refused_policy);
	one(f, "fluxguard_feed_malformed_lines_total", "counter",
	    "feed lines reported and skipped", s->malformed);
	one(f, "fluxguard_feed_url_rules_total", "counter",
	    "adblock URL rules skipped (a path or options)", s->url_rules);
	one(f, "fluxguard_feed_expired_total", "counter",
	    "feed entries past their own expiry", s->expired);
	one(f, "fluxguard_feed_over_capacity_total", "counter",
	    "feed entries beyond FG_FEED_ENTRIES_MAX", s->over_capacity);
	one(f, "fluxguard_feed_map_errors_total", "counter",
	    "feed entries the maps refused", s->map_errors);
}

int fg_metrics_render(FILE *f, const struct fg_metrics_view *v)
{
	if (v->dataplane)
		render_dataplane(f, v->dataplane);
	if (v->pipeline)
		render_pipeline(f, v->pipeline);
	if (v->scorer)
		render_scorer(f, v->scorer);
	if (v->blocks)
		render_blocks(f, v->blocks);
	if (v->feeds)
		render_feeds(f, v->feeds);
	return ferror(f) ? -EIO : 0;
}

int fg_metrics_write_file(const char *path, fg_metrics_fn fn, void *ctx)
{
	char tmp[FG_PATH_MAX + 8];
	FILE *f;
	int err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	err = fn(f, ctx);
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* ---- HTTP/1.0 endpoint ---- */

struct fg_metrics_server {
	int fd;
};

static int split_addrport(const char *in, char *host, size_t hsize,
			  const char **port)
{
	const char *colon = strrchr(in, ':');
	size_t n;

	if (!colon || !colon[1])
		return -EINVAL;
	*port = colon + 1;
	n = colon - in;
	if (in[0] == '[') {
		if (n < 2 || in[n - 1] != ']')
			return -EINVAL;
		in++;
		n -= 2;
	}
	if (!n || n >= hsize)
		return -EINVAL;
	memcpy(host, in, n);
	host[n] = '\0';
	return 0;
}

int fg_metrics_listen(const char *addrport, struct fg_metrics_server **out,
		      char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	struct fg_metrics_server *s;
	struct addrinfo *ai = NULL;
	char host[FG_ADDRPORT_MAX];
	const char *port;
	int fd = -1, one = 1, r;

	if (split_addrport(addrport, host, sizeof(host), &port) ||
	    getaddrinfo(host, port, &hints, &ai)) {
		snprintf(err, errlen, "'%s' is not ADDR:PORT (e.g. "
			 "127.0.0.1:9712 or [::1]:9712)", addrport);
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) ||
	    listen(fd, FG_METRICS_BACKLOG))
		goto fail;
	freeaddrinfo(ai);
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->fd = fd;
	*out = s;
	return 0;
fail:
	r = -errno;
	snprintf(err, errlen, "cannot listen on %s: %s", addrport,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return r;
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Reads until the end of the headers, the size cap or the deadline.
 * Returns the bytes read, or -1.
 */
static ssize_t read_request(int fd, char *buf, size_t size, double deadline)
{
	size_t n = 0;

	while (n < size - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)(deadline - mono_ms());
		ssize_t r;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -1;
		r = read(fd, buf + n, size - 1 - n);
		if (r <= 0)
			return r < 0 && errno == EAGAIN ? 0 : -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return (ssize_t)n;
	}
	return FG_METRICS_REQ_MAX;	/* over the cap: a bad request */
}

static void write_all(int fd, const char *p, size_t n, double deadline)
{
	while (n) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		int left = (int)(deadline - mono_ms());
		ssize_t w;

		if (left <= 0 || poll(&pf, 1, left) <= 0)
			return;
		w = write(fd, p, n);
		if (w <= 0) {
			if (w < 0 && errno == EAGAIN)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void respond(int fd, int code, const char *reason, const char *type,
		    const char *body, size_t len, bool head, double deadline)
{
	char hdr[256];
	int n;

	n = snprintf(hdr, sizeof(hdr), "HTTP/1.0 %d %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n", code,
		     reason, type, len);
	write_all(fd, hdr, (size_t)n, deadline);
	if (!head)
		write_all(fd, body, len, deadline);
}

static void serve(int fd, fg_metrics_fn fn, void *ctx)
{
	double deadline = mono_ms() + FG_METRICS_IO_MS;
	char req[FG_METRICS_REQ_MAX], method[8], path[64];
	char *body = NULL;
	size_t len = 0;
	ssize_t n;
	FILE *f;

	n = read_request(fd, req, sizeof(req), deadline);
	if (n <= 0)
		return;
	if (n == FG_METRICS_REQ_MAX ||
	    sscanf(req, "%7s %63s HTTP/", method, path) != 2) {
		respond(fd, 400, "Bad Request", "text/plain", "bad request\n",
			12, false, deadline);
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		respond(fd, 405, "Method Not Allowed", "text/plain",
			"GET only\n", 9, false, deadline);
		return;
	}
	if (strcmp(path, "/metrics") && strcmp(path, "/")) {
		respond(fd, 404, "Not Found", "text/plain", "try /metrics\n",
			13, false, deadline);
		return;
	}
	f = open_memstream(&body, &len);
	if (!f || fn(f, ctx) || fclose(f)) {
		deadline = mono_ms() + FG_METRICS_IO_MS;
		respond(fd, 500, "Internal Server Error", "text/plain",
			"error\n", 6, false, deadline);
		free(body);
		return;
	}
	/* Writing gets its own time, whatever rendering took. */
	deadline = mono_ms() + FG_METRICS_IO_MS;
	respond(fd, 200, "OK", FG_METRICS_TYPE, body, len,
		!strcmp(method, "HEAD"), deadline);
	free(body);
}

void fg_metrics_poll(struct fg_metrics_server *s, fg_metrics_fn fn,
		     void *ctx)
{
	for (int i = 0; s && i < FG_METRICS_PER_POLL; i++) {
		int c = accept4(s->fd, NULL, NULL,
				SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				pr_debug("metrics: accept: %s\n",
					 strerror(errno));
			return;
		}
		serve(c, fn, ctx);
		close(c);
	}
}

void fg_metrics_close(struct fg_metrics_server *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s);
}

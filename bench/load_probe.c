// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Helper of bench/load.sh, reading a running `fluxguard run` through its
 * pins: `stats` prints the program's counters as name=value, `watch`
 * follows the ring buffer's positions to time how far the consumer lags.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "loader.h"

/* How often watch looks at the ring positions: fine against the
 * milliseconds a backlog takes, coarse enough not to steal a core.
 */
#define POLL_US		200

/* After the stop signal, the longest the consumer may take to catch up. */
#define DRAIN_TIMEOUT_S	30

static const char usage[] =
	"Usage: load_probe stats\n"
	"       load_probe watch\n"
	"watch follows the ring buffer from before the load until SIGUSR1\n"
	"and then until fluxguard has consumed every event; it prints the\n"
	"largest backlog seen, the backlog when the last event was pushed and\n"
	"the milliseconds from that push until the consumer caught up.\n";

static volatile sig_atomic_t stopping;

static void on_usr1(int sig)
{
	stopping = 1;
}

static int stats(void)
{
	struct fg_stats st;
	struct fg_maps m;
	int err;

	if (fg_maps_open_pinned(&m))
		return 1;
	err = fg_stats_read(m.stats, &st);
	fg_maps_close(&m);
	if (err) {
		fprintf(stderr, "load_probe: read fg_stats: %s\n",
			strerror(-err));
		return 1;
	}
#define PRINT_COUNTER(name, help)					\
	printf(#name "=%llu\n", (unsigned long long)st.name);
	FG_COUNTERS(PRINT_COUNTER)
#undef PRINT_COUNTER
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The ring's first page holds the consumer position, the second the
 * producer position; both can be mapped read-only by anyone.
 */
static int watch(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long prod, last_prod, backlog = 0, peak = 0;
	volatile unsigned long *cons_pos, *prod_pos;
	double pushed_at, caught_at = 0, deadline = 0;
	void *c, *p;
	int fd;

	fd = bpf_obj_get(FG_PIN_DIR "/" FG_MAP_EVENTS);
	if (fd < 0) {
		fprintf(stderr, "load_probe: %s/%s: %s\n", FG_PIN_DIR,
			FG_MAP_EVENTS, strerror(errno));
		return 1;
	}
	c = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, page);
	close(fd);
	if (c == MAP_FAILED || p == MAP_FAILED) {
		fprintf(stderr, "load_probe: map the ring positions: %s\n",
			strerror(errno));
		return 1;
	}
	cons_pos = c;
	prod_pos = p;
	signal(SIGUSR1, on_usr1);
	last_prod = *prod_pos;
	pushed_at = now_ms();
	for (;;) {
		unsigned long cons = *cons_pos;

		prod = *prod_pos;
		if (prod != last_prod) {
			last_prod = prod;
			pushed_at = now_ms();
			backlog = prod - cons;
			caught_at = 0;
		}
		/* When, not whether, matters: the signal comes later. */
		if (cons == prod && !caught_at)
			caught_at = now_ms();
		if (prod - cons > peak)
			peak = prod - cons;
		if (stopping) {
			if (cons == prod)
				break;
			if (!deadline)
				deadline = now_ms() + DRAIN_TIMEOUT_S * 1e3;
			else if (now_ms() > deadline) {
				fprintf(stderr, "load_probe: ring buffer not "
					"drained after %d s\n",
					DRAIN_TIMEOUT_S);
				return 1;
			}
		}
		usleep(POLL_US);
	}
	printf("peak_backlog_bytes=%lu\n", peak);
	printf("backlog_bytes=%lu\n", backlog);
	printf("drain_ms=%.1f\n", caught_at - pushed_at);
	munmap(c, page);
	munmap(p, page);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "stats"))
		return stats();
	if (argc == 2 && !strcmp(argv[1], "watch"))
		return watch();
	fprintf(stderr, "%s", usage);
	return 2;
}

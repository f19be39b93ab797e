// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Attaches fluxguard's XDP program (or the bare XDP_PASS floor, or a
 * candidate object with the same maps) to one interface for bench/edge.sh,
 * with a known block map and configuration, drains the ring buffer as the
 * daemon would, and reports the per-CPU counters on SIGUSR1 and on exit.
 * Holds the attachment only while it runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "blocks.h"
#include "fluxguard.h"
#include "loader.h"
#include "fluxguard.skel.h"
#include "xdp_pass.skel.h"

/* Ring poll timeout: short enough to notice a signal at once. */
#define POLL_MS		100
#define DNS_PORT	53
/* Filler entries count up from here (198.18.1.0, in the benchmark range)
 * so they never collide with the veth addresses in 198.18.0.0/24.
 */
#define FILL_BASE	0xc6120100u

static volatile sig_atomic_t stop, report;

struct edge {
	struct fluxguard *fg;
	struct xdp_pass *pass;
	struct bpf_object *file;
	/* fluxguard's maps, -1 where the object has none. */
	struct fg_maps maps;
	int config_fd;
	int stats_fd;
	struct ring_buffer *rb;
	unsigned long long consumed;
	int prog_fd;
	int link_fd;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: edge_attach -i IFACE [-P | -o OBJ] [-s SRC] [-n N]\n"
		"  -i IFACE  interface to attach to in native mode\n"
		"  -P        attach the bare XDP_PASS program instead\n"
		"  -o OBJ    attach the first program of OBJ instead; its\n"
		"            maps named as fluxguard's are set up alike\n"
		"  -s SRC    first block entry (IPv4); without it every\n"
		"            entry is a filler address from 198.18.1.0 up\n"
		"  -n N      entries in fg_block_v4 (default 1)\n");
	exit(2);
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report = 1;
	else
		stop = 1;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct edge *e = ctx;

	e->consumed++;
	return 0;
}

static int write_config(struct edge *e)
{
	struct fg_config cfg = {
		.dns_ports = { DNS_PORT },
		/* The daemon's, so that events go as they do in production. */
		.wakeup_bytes = FG_WAKEUP_BYTES,
	};
	__u32 key = 0;

	if (e->config_fd < 0)
		return 0;
	if (bpf_map_update_elem(e->config_fd, &key, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

/* Entry 0 is src when given; the rest are distinct filler addresses. As
 * the daemon adds them, so that the index follows the records.
 */
static int fill_blocks(struct edge *e, __u32 src, int has_src, __u32 n)
{
	struct fg_block val = { .reason = FG_REASON_MANUAL };
	struct fg_cidr c = { .family = AF_INET, .len = 32 };
	__u32 i, addr;
	int err;

	if (e->maps.block_v4 < 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (has_src)
			addr = i ? htonl(FILL_BASE + i - 1) : src;
		else
			addr = htonl(FILL_BASE + i);
		memcpy(c.bytes, &addr, 4);
		err = fg_block_put(&e->maps, &c, &val);
		if (err)
			return err;
	}
	return 0;
}

static void print_stats(struct edge *e, const char *tag)
{
	int ncpus = libbpf_num_possible_cpus();
	struct fg_stats *per_cpu, sum = { 0 };
	__u32 key = 0;
	int i;

	if (e->stats_fd < 0) {
		printf("%s\n", tag);
		fflush(stdout);
		return;
	}
	per_cpu = calloc(ncpus, sizeof(*per_cpu));
	if (!per_cpu ||
	    bpf_map_lookup_elem(e->stats_fd, &key, per_cpu)) {
		fprintf(stderr, "edge_attach: cannot read fg_stats\n");
		free(per_cpu);
		return;
	}
	for (i = 0; i < ncpus; i++) {
		sum.packets += per_cpu[i].packets;
		sum.pass += per_cpu[i].pass;
		sum.drop += per_cpu[i].drop;
		sum.not_dns += per_cpu[i].not_dns;
		sum.dns_responses += per_cpu[i].dns_responses;
		sum.events += per_cpu[i].events;
		sum.ringbuf_full += per_cpu[i].ringbuf_full;
	}
	free(per_cpu);
	printf("%s packets=%llu drop=%llu pass=%llu not_dns=%llu "
	       "dns_responses=%llu events=%llu ringbuf_full=%llu "
	       "consumed=%llu\n", tag,
	       (unsigned long long)sum.packets, (unsigned long long)sum.drop,
	       (unsigned long long)sum.pass, (unsigned long long)sum.not_dns,
	       (unsigned long long)sum.dns_responses,
	       (unsigned long long)sum.events,
	       (unsigned long long)sum.ringbuf_full, e->consumed);
	fflush(stdout);
}

/* Opens and loads one of the three kinds of program; obj is where the
 * maps are looked up by name.
 */
static int load(struct edge *e, int bare, const char *path)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	int err;

	if (bare) {
		e->pass = xdp_pass__open_and_load();
		if (!e->pass)
			return -errno;
		obj = e->pass->obj;
	} else if (path) {
		e->file = bpf_object__open_file(path, NULL);
		if (!e->file)
			return -errno;
		if (bpf_object__load(e->file))
			return -errno;
		obj = e->file;
	} else {
		e->fg = fluxguard__open_and_load();
		if (!e->fg)
			return -errno;
		obj = e->fg->obj;
	}
	prog = bpf_object__next_program(obj, NULL);
	if (!prog)
		return -ENOENT;
	e->prog_fd = bpf_program__fd(prog);
	err = fg_maps_from_object(&e->maps, obj);
	if (err)
		return err;
	e->config_fd = e->maps.config;
	e->stats_fd = e->maps.stats;
	if (e->maps.events >= 0) {
		e->rb = ring_buffer__new(e->maps.events, on_event,
					 e, NULL);
		if (!e->rb)
			return -errno;
	}
	return 0;
}

/* A link, not a netlink attachment: the program goes away with this
 * process, however it ends, so a killed benchmark leaves nothing behind.
 */
static int attach(struct edge *e, const char *ifname)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
	unsigned int ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return -ENODEV;
	e->link_fd = bpf_link_create(e->prog_fd, ifindex, BPF_XDP, &opts);
	return e->link_fd < 0 ? -errno : 0;
}

static void wait_for_stop(struct edge *e)
{
	while (!stop) {
		if (e->rb)
			ring_buffer__poll(e->rb, POLL_MS);
		else
			usleep(POLL_MS * 1000);
		if (report) {
			report = 0;
			print_stats(e, "stats");
		}
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct edge e = {
		.config_fd = -1, .stats_fd = -1, .link_fd = -1,
	};
	const char *ifname = NULL, *path = NULL;
	int opt, bare = 0, has_src = 0, err;
	struct in_addr src = { 0 };
	unsigned long n = 1;
	char *end;

	while ((opt = getopt(argc, argv, "i:Po:s:n:")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'P':
			bare = 1;
			break;
		case 'o':
			path = optarg;
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &src) != 1)
				usage();
			has_src = 1;
			break;
		case 'n':
			n = strtoul(optarg, &end, 10);
			if (*end || !n || n > FG_BLOCK_V4_MAX)
				usage();
			break;
		default:
			usage();
		}
	}
	if (!ifname || optind != argc || (bare && path))
		usage();

	/* No SA_RESTART: a signal must end the ring poll at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	err = load(&e, bare, path);
	if (err) {
		fprintf(stderr, "edge_attach: cannot load %s: %s\n",
			path ? path : bare ? "xdp_pass" : "fluxguard",
			strerror(-err));
		goto out;
	}
	err = write_config(&e);
	if (!err)
		err = fill_blocks(&e, src.s_addr, has_src, n);
	if (err) {
		fprintf(stderr, "edge_attach: cannot write the configuration "
			"or the block entries: %s\n", strerror(-err));
		goto out;
	}
	err = attach(&e, ifname);
	if (err) {
		fprintf(stderr, "edge_attach: cannot attach to %s in native "
			"mode: %s\n", ifname, strerror(-err));
		goto out;
	}
	print_stats(&e, "attached");
	wait_for_stop(&e);
	print_stats(&e, "final");
out:
	if (e.link_fd >= 0)
		close(e.link_fd);
	ring_buffer__free(e.rb);
	fg_maps_unmap(&e.maps);
	fluxguard__destroy(e.fg);
	xdp_pass__destroy(e.pass);
	bpf_object__close(e.file);
	return err ? 1 : 0;
}

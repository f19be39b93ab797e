// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `run` and `replay`: the two sources of ring-buffer events. run attaches
 * to interfaces and reads the live ring buffer; replay feeds each frame of
 * a capture to the same XDP object through BPF_PROG_TEST_RUN, with the
 * capture's timestamps as the program's clock.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
/* The kernel's and libpcap's BPF headers clash; only the link types are
 * needed from the latter.
 */
struct bpf_program;
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "frame.h"
#include "log.h"
#include "pipeline.h"
#include "services.h"

/* Interfaces one `run` attaches to. */
#define FG_RUN_IFACES_MAX	16
/* Poll timeout: the longest a lone event waits when the program did not
 * force a wakeup (see FG_WAKEUP_BYTES in include/fluxguard.h).
 */
#define FG_POLL_MS		5
/* Blocks expire and the status snapshot refreshes this often. */
#define FG_TICK_SECS		1.0
/* Largest frame BPF_PROG_TEST_RUN takes for XDP: a page minus headroom
 * and the shared info. Longer frames (jumbo, GRO in captures) are
 * counted and skipped.
 */
#define FG_REPLAY_FRAME_MAX	3500

static volatile sig_atomic_t stop, hangup;

static void on_signal(int sig)
{
	stop = 1;
}

/* SIGHUP: reopen the events file (logrotate) and reload the feeds. */
static void on_hangup(int sig)
{
	hangup = 1;
}

struct run_opts {
	const char *ifaces[FG_RUN_IFACES_MAX];
	int n_ifaces;
	enum fg_mode mode;
	const char *config;
	const char *events;
	bool dry_run;
	bool log_answers;
	const char *feeds[FG_CFG_FILES_MAX];
	int n_feeds;
	const char *metrics;
};

static const char run_usage[] =
	"Usage: fluxguard run -i IFACE [-i IFACE ...] [--mode native|skb]\n"
	"                     [--config FILE] [--events FILE|-] [--dry-run]\n"
	"                     [--log-answers] [--feed FILE ...]\n"
	"                     [--metrics ADDR:PORT] [-v]\n"
	"Load and attach the XDP program, score DNS responses, block flux\n"
	"addresses. Runs until SIGINT or SIGTERM; the program and its blocks\n"
	"stay in place afterwards (`fluxguard unload` removes them).\n"
	"--feed blocks the names and addresses a list names (repeatable;\n"
	"formats in docs/sharing.md); --metrics serves Prometheus metrics.\n"
	"SIGHUP reopens the events file and reloads the feeds.\n";

static const char replay_usage[] =
	"Usage: fluxguard replay FILE [--config FILE] [--events FILE|-]\n"
	"                        [--dry-run] [--log-answers] [--feed FILE ...]\n"
	"                        [-v]\n"
	"Run every frame of a pcap or pcapng capture through the XDP program\n"
	"and the scorer, on the capture's clock, and print a summary.\n";

/* Parses the options run and replay share. Returns 0, 1 for --help, or
 * -1 for a usage error (already printed).
 */
static int parse_opts(int argc, char **argv, struct run_opts *o,
		      const char *usage_text, bool allow_ifaces)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'c' },
		{ "events", required_argument, NULL, 'e' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "log-answers", no_argument, NULL, 'l' },
		{ "feed", required_argument, NULL, 'F' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:m:c:e:nlvh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (!allow_ifaces)
				goto bad;
			if (o->n_ifaces == FG_RUN_IFACES_MAX) {
				fprintf(stderr, "fluxguard: at most %d "
					"interfaces\n", FG_RUN_IFACES_MAX);
				return -1;
			}
			o->ifaces[o->n_ifaces++] = optarg;
			break;
		case 'm':
			if (!allow_ifaces)
				goto bad;
			if (!strcmp(optarg, "native")) {
				o->mode = FG_MODE_NATIVE;
			} else if (!strcmp(optarg, "skb")) {
				o->mode = FG_MODE_SKB;
			} else {
				fprintf(stderr, "fluxguard: --mode is native "
					"or skb, not '%s'\n", optarg);
				return -1;
			}
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'e':
			o->events = optarg;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case 'l':
			o->log_answers = true;
			break;
		case 'F':
			if (o->n_feeds == FG_CFG_FILES_MAX) {
				fprintf(stderr, "fluxguard: at most %d feeds\n",
					FG_CFG_FILES_MAX);
				return -1;
			}
			o->feeds[o->n_feeds++] = optarg;
			break;
		case 'M':
			if (!allow_ifaces)
				goto bad;
			o->metrics = optarg;
			break;
		case 'v':
			fg_log_level++;
			break;
		case 'h':
			printf("%s", usage_text);
			return 1;
		default:
			goto bad;
		}
	}
	return 0;
bad:
	fprintf(stderr, "%s", usage_text);
	return -1;
}

/* Settings from the defaults, the config file and the command line, in
 * that order. Returns 0 or prints why not.
 */
static int load_settings(const struct run_opts *o, struct fg_settings *s)
{
	char err[512];

	fg_settings_defaults(s);
	if (o->config && fg_settings_load(o->config, s, err, sizeof(err))) {
		fprintf(stderr, "fluxguard: %s\n", err);
		return -EINVAL;
	}
	if (o->events)
		snprintf(s->events, sizeof(s->events), "%s", o->events);
	if (o->dry_run)
		s->dry_run = true;
	if (o->log_answers)
		s->log_answers = true;
	for (int i = 0; i < o->n_feeds; i++) {
		if (s->n_feeds == FG_CFG_FILES_MAX ||
		    strlen(o->feeds[i]) >= FG_PATH_MAX) {
			fprintf(stderr, "fluxguard: too many feeds or too long "
				"a path (at most %d of %d bytes)\n",
				FG_CFG_FILES_MAX, FG_PATH_MAX - 1);
			return -EINVAL;
		}
		strcpy(s->feeds[s->n_feeds++], o->feeds[i]);
	}
	if (o->metrics) {
		if (strlen(o->metrics) >= FG_ADDRPORT_MAX) {
			fprintf(stderr, "fluxguard: --metrics: '%s' is too "
				"long\n", o->metrics);
			return -EINVAL;
		}
		strcpy(s->metrics_listen, o->metrics);
	}
	return 0;
}

static FILE *open_events(const struct fg_settings *s)
{
	FILE *f;

	if (!s->events[0])
		return NULL;
	if (!strcmp(s->events, "-"))
		return stdout;
	f = fopen(s->events, "a");
	if (!f)
		pr_warn("cannot open events file %s: %s\n", s->events,
			strerror(errno));
	return f;
}

static int write_config(const struct fg_maps *m, const struct fg_settings *s,
			__u64 now_ns)
{
	struct fg_config cur, cfg;
	__u32 zero = 0;
	unsigned int i;

	if (bpf_map_lookup_elem(m->config, &zero, &cur))
		return -errno;
	fg_config_defaults(&cfg);
	/* What describes the pinned entries survives a restart. */
	cfg.n_prefix_v4 = cur.n_prefix_v4;
	cfg.n_prefix_v6 = cur.n_prefix_v6;
	cfg.n_names = cur.n_names;
	cfg.name_seed = cur.name_seed;
	if (!cfg.name_seed &&
	    getrandom(&cfg.name_seed, sizeof(cfg.name_seed), 0) !=
	    sizeof(cfg.name_seed))
		return -errno;
	/* The index's heads depend on these: they change only with a map
	 * that holds no entry yet.
	 */
	memcpy(cfg.index_key, cur.index_key, sizeof(cfg.index_key));
	if (!cur.index_key[0] && !cur.index_key[1] && !cur.index_key[2] &&
	    !fg_block_count(m) &&
	    getrandom(cfg.index_key, sizeof(cfg.index_key), 0) !=
	    sizeof(cfg.index_key))
		return -errno;
	if (s->n_dns_ports) {
		memset(cfg.dns_ports, 0, sizeof(cfg.dns_ports));
		for (i = 0; i < s->n_dns_ports && i < FG_MAX_DNS_PORTS; i++)
			cfg.dns_ports[i] = s->dns_ports[i];
	}
	if (s->dry_run)
		cfg.flags |= FG_CFG_DRY_RUN;
	if (s->query_match)
		cfg.flags |= FG_CFG_TRACK_QUERIES;
	memcpy(cfg.sinkhole_v4, s->sinkhole_v4.bytes, 4);
	memcpy(cfg.sinkhole_v6, s->sinkhole_v6.bytes, 16);
	cfg.now_ns = now_ns;
	if (bpf_map_update_elem(m->config, &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

/* Maps the config of a private load (see fg_loader_load), so that the
 * replay clock is one store before each frame instead of a map lookup and
 * update. NULL when the map cannot be mapped: write_config then does it.
 */
static struct fg_config *map_config(int fd)
{
	void *m = mmap(NULL, sizeof(struct fg_config), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	return m == MAP_FAILED ? NULL : m;
}

static int on_event(void *ctx, void *data, size_t len)
{
	fg_pipeline_event(ctx, data, len);
	return 0;
}

static void detach_all(const struct run_opts *o, int n)
{
	while (n-- > 0)
		fg_loader_detach(o->ifaces[n]);
}

int cmd_run(int argc, char **argv)
{
	struct ring_buffer *rb = NULL;
	struct fg_services *sv = NULL;
	struct fg_pipeline *p = NULL;
	struct fg_settings *s = NULL;
	struct fg_loader l;
	struct fg_clock clk;
	struct run_opts o;
	double next_tick;
	int r, i, n_attached = 0, ret = FG_EXIT_FAIL;
	FILE *events = NULL;

	r = parse_opts(argc, argv, &o, run_usage, true);
	if (r)
		return r > 0 ? FG_EXIT_OK : FG_EXIT_USAGE;
	if (!o.n_ifaces || optind != argc) {
		fprintf(stderr, "%s", run_usage);
		return FG_EXIT_USAGE;
	}
	for (i = 0; i < o.n_ifaces; i++) {
		if (!if_nametoindex(o.ifaces[i])) {
			fprintf(stderr, "fluxguard: no interface named %s\n",
				o.ifaces[i]);
			return FG_EXIT_FAIL;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "fluxguard: run needs root (CAP_BPF and "
			"CAP_NET_ADMIN)\n");
		return FG_EXIT_FAIL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || load_settings(&o, s))
		goto out;

	if (fg_loader_load(&l, true))
		goto out;
	if (write_config(&l.maps, s, 0)) {
		pr_warn("cannot write the program's configuration\n");
		goto out_loader;
	}
	events = open_events(s);
	if (s->events[0] && !events)
		goto out_loader;
	fg_clock_wall(&clk);
	p = fg_pipeline_new(s, &l.maps, &clk, events);
	if (!p)
		goto out_loader;
	if (l.adopted) {
		int fixed = fg_block_index_repair(&l.maps);

		if (fixed < 0) {
			pr_warn("cannot check %s against the block maps: %s\n",
				FG_MAP_BLOCK_INDEX, strerror(-fixed));
			goto out_pipeline;
		}
		if (fixed)
			pr_warn("%s did not match the block records; made %d "
				"changes\n", FG_MAP_BLOCK_INDEX, fixed);
		pr_info("adopted %d block entries from %s\n",
			fg_pipeline_adopt(p), FG_PIN_DIR);
	}

	/* Feeds and the metrics listener before any attach: a bad address
	 * leaves no interface touched.
	 */
	sv = fg_services_start(s, &l.maps, p, &clk, true, fg_now());
	if (!sv)
		goto out_pipeline;
	rb = ring_buffer__new(l.maps.events, on_event, p, NULL);
	if (!rb) {
		pr_warn("cannot open the ring buffer: %s\n", strerror(errno));
		goto out_pipeline;
	}
	/* All or nothing: a failure leaves no interface half-attached. */
	for (i = 0; i < o.n_ifaces; i++, n_attached++) {
		if (fg_loader_attach(&l, o.ifaces[i], o.mode)) {
			detach_all(&o, n_attached);
			goto out_pipeline;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_hangup);
	mkdir("/run/fluxguard", 0755);
	pr_warn("running on %d interface(s)%s; Ctrl-C to stop\n", o.n_ifaces,
		s->dry_run ? " in dry-run mode" : "");

	next_tick = fg_now();
	while (!stop) {
		r = ring_buffer__poll(rb, FG_POLL_MS);
		if (r < 0 && r != -EINTR) {
			pr_warn("ring buffer poll failed: %s\n", strerror(-r));
			break;
		}
		/* Events submitted without a wakeup wait for this. */
		ring_buffer__consume(rb);
		fg_services_poll(sv);
		if (hangup) {
			hangup = 0;
			fg_services_reload(sv, &events, fg_now());
		}
		if (fg_now() >= next_tick) {
			next_tick = fg_now() + FG_TICK_SECS;
			fg_pipeline_tick(p, fg_now());
			fg_services_tick(sv, fg_now());
			fg_pipeline_write_status(p, FG_STATUS_FILE, fg_now());
		}
	}
	ring_buffer__consume(rb);
	pr_warn("stopped; the program stays attached and keeps enforcing "
		"blocks (`fluxguard unload --all` removes it)\n");
	ret = FG_EXIT_OK;

out_pipeline:
	fg_services_stop(sv);
	ring_buffer__free(rb);
	fg_pipeline_free(p);
out_loader:
	if (events && events != stdout)
		fclose(events);
	fg_loader_close(&l);
out:
	free(s);
	return ret;
}

/* Replay statistics printed at the end. */
struct replay_stats {
	uint64_t frames;
	uint64_t skipped;	/* too short or over FG_REPLAY_FRAME_MAX */
	uint64_t dropped;
};

static void print_replay_summary(const struct replay_stats *rs,
				 const struct fg_stats *st,
				 const struct fg_pipe_stats *ps)
{
	int mal = 0;

	fprintf(stderr, "replay summary:\n");
	fprintf(stderr, "  frames              %llu\n",
		(unsigned long long)rs->frames);
	if (rs->skipped)
		fprintf(stderr, "  skipped             %llu (shorter than "
			"Ethernet or over %d bytes)\n",
			(unsigned long long)rs->skipped, FG_REPLAY_FRAME_MAX);
	fprintf(stderr, "  dns responses       %llu\n",
		(unsigned long long)st->dns_responses);
	fprintf(stderr, "  records             %llu\n",
		(unsigned long long)st->records);
	fprintf(stderr, "  malformed:         ");
#define FG_PRINT_MAL(name, help)					\
	if (!strncmp(#name, "mal_", 4) && st->name) {			\
		fprintf(stderr, " %s=%llu", &#name[4],			\
			(unsigned long long)st->name);			\
		mal++;							\
	}
	FG_COUNTERS(FG_PRINT_MAL)
#undef FG_PRINT_MAL
	fprintf(stderr, "%s\n", mal ? "" : " none");
	fprintf(stderr, "  queries             %llu\n",
		(unsigned long long)ps->queries);
	fprintf(stderr, "  unsolicited         %llu (answer no query seen; "
		"not scored)\n", (unsigned long long)ps->unsolicited);
	fprintf(stderr, "  verdicts            %llu\n",
		(unsigned long long)ps->verdicts);
	fprintf(stderr, "  blocks              %llu\n",
		(unsigned long long)ps->blocks);
	fprintf(stderr, "  sinkholed answers   %llu\n",
		(unsigned long long)(st->sinkholed + st->dry_run_sinkhole));
	fprintf(stderr, "  would-drop frames   %llu\n",
		(unsigned long long)(rs->dropped + st->dry_run_drop));
}

int cmd_replay(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	u_char frame[FG_REPLAY_FRAME_MAX];
	struct replay_stats rs = { 0 };
	struct ring_buffer *rb = NULL;
	struct fg_services *sv = NULL;
	struct fg_pipeline *p = NULL;
	struct fg_settings *s = NULL;
	struct pcap_pkthdr *hdr;
	struct fg_config *cfg = NULL;
	struct fg_stats st;
	struct fg_loader l;
	struct fg_clock clk;
	struct run_opts o;
	const u_char *pkt;
	int r, dlt, ret = FG_EXIT_FAIL;
	FILE *events = NULL;
	pcap_t *pc = NULL;
	double ts = 0, next_tick = 0;

	r = parse_opts(argc, argv, &o, replay_usage, false);
	if (r)
		return r > 0 ? FG_EXIT_OK : FG_EXIT_USAGE;
	if (optind != argc - 1) {
		fprintf(stderr, "%s", replay_usage);
		return FG_EXIT_USAGE;
	}
	pc = pcap_open_offline(argv[optind], errbuf);
	if (!pc) {
		fprintf(stderr, "fluxguard: cannot read %s: %s\n",
			argv[optind], errbuf);
		return FG_EXIT_FAIL;
	}
	dlt = pcap_datalink(pc);
	if (!fg_linktype_supported(dlt)) {
		fprintf(stderr, "fluxguard: %s: link type %s is not supported "
			"(Ethernet, Linux cooked and raw IP are)\n",
			argv[optind], pcap_datalink_val_to_name(dlt) ?: "?");
		pcap_close(pc);
		return FG_EXIT_FAIL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || load_settings(&o, s))
		goto out_pcap;
	if (fg_loader_load(&l, false))
		goto out_pcap;
	if (write_config(&l.maps, s, 1)) {
		pr_warn("cannot write the program's configuration\n");
		goto out_loader;
	}
	events = open_events(s);
	if (s->events[0] && !events)
		goto out_loader;
	fg_clock_replay(&clk);
	p = fg_pipeline_new(s, &l.maps, &clk, events);
	if (!p)
		goto out_loader;
	rb = ring_buffer__new(l.maps.events, on_event, p, NULL);
	if (!rb) {
		pr_warn("cannot open the ring buffer: %s\n", strerror(errno));
		goto out_pipeline;
	}
	cfg = map_config(l.maps.config);
	/* Feeds go into the private maps once, before the first frame. */
	sv = fg_services_start(s, &l.maps, p, &clk, false, fg_now());
	if (!sv)
		goto out_pipeline;

	ret = FG_EXIT_OK;
	while ((r = pcap_next_ex(pc, &hdr, &pkt)) == 1) {
		LIBBPF_OPTS(bpf_test_run_opts, run);
		double next = hdr->ts.tv_sec + hdr->ts.tv_usec / 1e6;
		size_t len;

		rs.frames++;
		len = fg_to_ethernet(dlt, pkt, hdr->caplen, frame,
				     sizeof(frame));
		if (!len || len < ETH_HLEN) {
			rs.skipped++;
			continue;
		}
		/* The capture is the clock: windows, TTLs and expiry. */
		if (next > ts)
			ts = next;
		if (ts >= next_tick) {
			fg_pipeline_tick(p, ts);
			next_tick = ts + FG_TICK_SECS;
		}
		if (cfg) {
			cfg->now_ns = fg_clock_to_ns(&clk, ts);
		} else if (write_config(&l.maps, s, fg_clock_to_ns(&clk, ts))) {
			ret = FG_EXIT_FAIL;
			break;
		}
		run.data_in = frame;
		run.data_size_in = len;
		run.repeat = 1;
		if (bpf_prog_test_run_opts(l.prog_fd, &run)) {
			pr_warn("frame %llu: BPF_PROG_TEST_RUN failed: %s\n",
				(unsigned long long)rs.frames,
				strerror(errno));
			ret = FG_EXIT_FAIL;
			break;
		}
		if (run.retval == XDP_DROP)
			rs.dropped++;
		ring_buffer__consume(rb);
	}
	if (r == PCAP_ERROR) {
		fprintf(stderr, "fluxguard: %s: stopped after %llu frames: %s\n",
			argv[optind], (unsigned long long)rs.frames,
			pcap_geterr(pc));
		ret = FG_EXIT_FAIL;
	}
	ring_buffer__consume(rb);
	if (!fg_stats_read(l.maps.stats, &st))
		print_replay_summary(&rs, &st, fg_pipeline_stats(p));

out_pipeline:
	fg_services_stop(sv);
	if (cfg)
		munmap(cfg, sizeof(*cfg));
	ring_buffer__free(rb);
	fg_pipeline_free(p);
out_loader:
	if (events && events != stdout)
		fclose(events);
	fg_loader_close(&l);
out_pcap:
	free(s);
	pcap_close(pc);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The operator's commands that work on the pins of a running (or
 * stopped) instance: status, list, block, unblock, unload.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <bpf/bpf.h>

#include "blocks.h"
#include "cli.h"
#include "config.h"
#include "events.h"
#include "loader.h"
#include "log.h"
#include "names.h"

/* Interfaces `status` reports; a gateway has a few. */
#define FG_STATUS_IFACES	64
/* Default lifetime of a manual block. */
#define FG_MANUAL_BLOCK_SECS	3600.0

static int parse_common(int argc, char **argv, const char *usage_text,
			const struct option *extra, int (*on_opt)(int, void *),
			void *ctx)
{
	struct option opts[16] = {
		{ "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },
	};
	int n = 2, c;

	for (; extra && extra->name && n < 15; extra++)
		opts[n++] = *extra;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hvi:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("%s", usage_text);
			return 1;
		case 'v':
			fg_log_level++;
			break;
		default:
			if (on_opt && !on_opt(c, ctx))
				break;
			fprintf(stderr, "%s", usage_text);
			return -1;
		}
	}
	return 0;
}

static const char *fmt_expiry(const struct fg_clock *clk, __u64 ns,
			      char *buf, size_t size)
{
	double left;

	if (!ns)
		return snprintf(buf, size, "never"), buf;
	left = fg_clock_to_epoch(clk, ns) - fg_now();
	if (left <= 0)
		snprintf(buf, size, "expired");
	else if (left < 120)
		snprintf(buf, size, "in %.0fs", left);
	else if (left < 7200)
		snprintf(buf, size, "in %.0fm", left / 60);
	else
		snprintf(buf, size, "in %.1fh", left / 3600);
	return buf;
}

struct list_ctx {
	struct fg_clock clk;
	int n;
	int n_names;
	uint64_t seed;
};

static int print_block(const struct fg_cidr *p, const struct fg_block *v,
		       void *data)
{
	struct list_ctx *lc = data;
	char addr[FG_CIDR_STRLEN], exp[32];

	if (!lc->n++)
		printf("%-28s %-32s %-12s %-10s %10s %12s\n", "ADDRESS",
		       "DOMAIN/LABEL", "REASON", "EXPIRES", "PACKETS", "BYTES");
	fg_cidr_str(p, addr, sizeof(addr));
	printf("%-28s %-32.*s %-12s %-10s %10llu %12llu\n", addr,
	       FG_BLOCK_LABEL_LEN, v->domain[0] ? v->domain : "-",
	       fg_reason_str(v->reason),
	       fmt_expiry(&lc->clk, v->expires_ns, exp, sizeof(exp)),
	       (unsigned long long)v->packets, (unsigned long long)v->bytes);
	return 0;
}

/* A label that does not hash to its key was shortened to fit
 * FG_BLOCK_LABEL_LEN: shown with a trailing "...".
 */
static int print_name_rule(uint64_t hash, const struct fg_block *v,
			   void *data)
{
	struct list_ctx *lc = data;
	char label[FG_BLOCK_LABEL_LEN + 4], exp[32];
	uint64_t h = 0;

	if (!lc->n_names++)
		printf("%s%-61s %-12s %-10s %10s\n", lc->n ? "\n" : "",
		       "DOMAIN RULE", "REASON", "EXPIRES", "REWRITES");
	snprintf(label, sizeof(label), "%.*s", FG_BLOCK_LABEL_LEN - 1,
		 v->domain);
	if (fg_rule_hash(lc->seed, label, &h) || h != hash)
		strcat(label, "...");
	printf("%-61s %-12s %-10s %10llu\n", label, fg_reason_str(v->reason),
	       fmt_expiry(&lc->clk, v->expires_ns, exp, sizeof(exp)),
	       (unsigned long long)v->packets);
	return 0;
}

static const char list_usage[] =
	"Usage: fluxguard list [-v]\n"
	"Print the active blocks: address or prefix, domain, reason, expiry\n"
	"and hit counters; then the domain rules (names whose answers are\n"
	"rewritten to the sinkhole): name, reason, expiry, answers rewritten.\n";

int cmd_list(int argc, char **argv)
{
	struct list_ctx lc = { .n = 0 };
	struct fg_maps m;
	int r;

	r = parse_common(argc, argv, list_usage, NULL, NULL, NULL);
	if (r)
		return r > 0 ? FG_EXIT_OK : FG_EXIT_USAGE;
	if (optind != argc) {
		fprintf(stderr, "%s", list_usage);
		return FG_EXIT_USAGE;
	}
	if (fg_maps_open_pinned(&m))
		return FG_EXIT_FAIL;
	fg_clock_wall(&lc.clk);
	fg_block_foreach_counted(&m, print_block, &lc);
	fg_names_seed(&m, &lc.seed);
	fg_name_block_foreach(&m, print_name_rule, &lc);
	if (!lc.n && !lc.n_names)
		printf("no active blocks\n");
	fg_maps_close(&m);
	return FG_EXIT_OK;
}

struct block_opts {
	double secs;
	const char *reason;
	const char *domain;
	int bad;
};

static int block_opt(int c, void *data)
{
	struct block_opts *bo = data;

	switch (c) {
	case 'f':
		if (fg_parse_duration(optarg, &bo->secs) || bo->secs <= 0) {
			fprintf(stderr, "fluxguard: bad duration '%s' "
				"(use e.g. 90s, 15m, 2h, 1d)\n", optarg);
			bo->bad = 1;
		}
		return 0;
	case 'r':
		bo->reason = optarg;
		return 0;
	case 'd':
		bo->domain = optarg;
		return 0;
	}
	return -1;
}

/* A manual domain rule. Its label is the name itself, so that `list` and
 * `export` can show it; the --reason text is only printed.
 */
static int block_domain(const struct block_opts *bo)
{
	struct fg_clock clk;
	struct fg_block v;
	struct fg_maps m;
	uint64_t h;
	int r;

	if (fg_rule_hash(0, bo->domain, &h)) {
		fprintf(stderr, "fluxguard: '%s' is not a domain name\n",
			bo->domain);
		return FG_EXIT_USAGE;
	}
	if (fg_maps_open_pinned(&m))
		return FG_EXIT_FAIL;
	fg_clock_wall(&clk);
	memset(&v, 0, sizeof(v));
	v.created_ns = fg_clock_to_ns(&clk, fg_now());
	v.expires_ns = fg_clock_to_ns(&clk, fg_now() + bo->secs);
	v.reason = FG_REASON_MANUAL;
	snprintf(v.domain, sizeof(v.domain), "%.*s", FG_BLOCK_LABEL_LEN - 1,
		 bo->domain);
	r = fg_name_block_put(&m, bo->domain, &v);
	if (!r)
		r = fg_names_sync_count(&m);
	fg_maps_close(&m);
	if (r) {
		pr_warn("cannot block %s: %s%s\n", bo->domain, strerror(-r),
			r == -E2BIG ? " (name map full)" : "");
		return FG_EXIT_FAIL;
	}
	printf("sinkholing answers for %s for %.0fs%s%s\n", bo->domain,
	       bo->secs, bo->reason ? ": " : "", bo->reason ?: "");
	return FG_EXIT_OK;
}

static const char block_usage[] =
	"Usage: fluxguard block ADDR[/LEN] [--for DURATION] [--reason TEXT]\n"
	"       fluxguard block --domain NAME [--for DURATION] [--reason TEXT]\n"
	"Drop every frame from or to ADDR (or the prefix) until DURATION\n"
	"(default 1h) has passed. IPv4 and IPv6. With --domain, answers for\n"
	"NAME are rewritten to the sinkhole instead; the rule's label is the\n"
	"name, and TEXT is only printed.\n";

int cmd_block(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ "domain", required_argument, NULL, 'd' },
		{ 0 },
	};
	struct block_opts bo = { .secs = FG_MANUAL_BLOCK_SECS };
	struct fg_block v;
	struct fg_clock clk;
	struct fg_cidr p;
	struct fg_maps m;
	char buf[FG_CIDR_STRLEN];
	int r;

	r = parse_common(argc, argv, block_usage, extra, block_opt, &bo);
	if (r || bo.bad)
		return r > 0 ? FG_EXIT_OK : FG_EXIT_USAGE;
	if (bo.domain) {
		if (optind != argc) {
			fprintf(stderr, "%s", block_usage);
			return FG_EXIT_USAGE;
		}
		return block_domain(&bo);
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s", block_usage);
		return FG_EXIT_USAGE;
	}
	if (fg_cidr_parse(argv[optind], &p)) {
		fprintf(stderr, "fluxguard: '%s' is not an address or prefix "
			"(host bits must be zero)\n", argv[optind]);
		return FG_EXIT_USAGE;
	}
	if (fg_maps_open_pinned(&m))
		return FG_EXIT_FAIL;

	fg_clock_wall(&clk);
	memset(&v, 0, sizeof(v));
	v.created_ns = fg_clock_to_ns(&clk, fg_now());
	v.expires_ns = fg_clock_to_ns(&clk, fg_now() + bo.secs);
	v.reason = FG_REASON_MANUAL;
	snprintf(v.domain, sizeof(v.domain), "%s",
		 bo.reason ? bo.reason : "manual");
	r = fg_block_put(&m, &p, &v);
	fg_maps_close(&m);
	if (r) {
		pr_warn("cannot block %s: %s%s\n", fg_cidr_str(&p, buf,
			sizeof(buf)), strerror(-r), r == -E2BIG ?
			" (block map full)" : r == -ENOSPC ?
			" (exact index full, or its head holds the most"
			" entries it may)" : "");
		return FG_EXIT_FAIL;
	}
	printf("blocked %s for %.0fs\n", fg_cidr_str(&p, buf, sizeof(buf)),
	       bo.secs);
	return FG_EXIT_OK;
}

static const char unblock_usage[] =
	"Usage: fluxguard unblock ADDR[/LEN]\n"
	"       fluxguard unblock --domain NAME\n"
	"Remove the block on ADDR or the prefix, or the domain rule for NAME,\n"
	"whoever installed it.\n";

static int unblock_opt(int c, void *data)
{
	if (c != 'd')
		return -1;
	*(const char **)data = optarg;
	return 0;
}

static int unblock_domain(const char *name)
{
	struct fg_maps m;
	uint64_t h;
	int r;

	if (fg_rule_hash(0, name, &h)) {
		fprintf(stderr, "fluxguard: '%s' is not a domain name\n", name);
		return FG_EXIT_USAGE;
	}
	if (fg_maps_open_pinned(&m))
		return FG_EXIT_FAIL;
	r = fg_name_block_del(&m, name);
	if (!r)
		fg_names_sync_count(&m);
	fg_maps_close(&m);
	if (r) {
		pr_warn("cannot unblock %s: %s\n", name, r == -ENOENT ?
			"no such domain rule (see `fluxguard list`)" :
			strerror(-r));
		return FG_EXIT_FAIL;
	}
	printf("unblocked %s\n", name);
	return FG_EXIT_OK;
}

int cmd_unblock(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ 0 },
	};
	const char *domain = NULL;
	char buf[FG_CIDR_STRLEN];
	struct fg_cidr p;
	struct fg_maps m;
	int r;

	r = parse_common(argc, argv, unblock_usage, extra, unblock_opt,
			 &domain);
	if (r)
		return r > 0 ? FG_EXIT_OK : FG_EXIT_USAGE;
	if (domain) {
		if (optind != argc) {
			fprintf(stderr, "%s", unblock_usage);
			return FG_EXIT_USAGE;
		}
		return unblock_domain(domain);
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s", unblock_usage);
		return FG_EXIT_USAGE;
	}
	if (fg_cidr_parse(argv[optind], &p)) {
		fprintf(stderr, "fluxguard: '%s' is not an address or prefix\n",
			argv[optind]);
		return FG_EXIT_USAGE;
	}
	if (fg_maps_open_pinned(&m))
		return FG_EXIT_FAIL;
	r = fg_block_del(&m, &p);
	fg_maps_close(&m);
	fg_cidr_str(&p, buf, sizeof(buf));
	if (r) {
		pr_warn("cannot unblock %s: %s\n", buf, r == -ENOENT ?
			"no such block" : strerror(-r));
		return FG_EXIT_FAIL;
	}
	printf("unblocked %s\n", buf);
	return FG_EXIT_OK;
}

struct unload_opts {
	const char *ifaces[FG_STATUS_IFACES];
	int n;
	int all;
};

static int unload_opt(int c, void *data)
{
	struct unload_opts *uo = data;

	switch (c) {
	case 'i':
		if (uo->n < FG_STATUS_IFACES)
			uo->ifaces[uo->n++] = optarg;
		return 0;
	case 'a':
		uo->all = 1;
		return 0;
	}
	return -1;
}

static const char unload_usage[] =
	"Usage: fluxguard unload -i IFACE [-i IFACE ...] | --all\n"
	"Detach from the interfaces; --all also removes every pinned map\n"
	"(and so every block) under " FG_PIN_DIR ".\n";

int cmd_unload(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "all", no_argument, NULL, 'a' },
		{ 0 },
	};
	struct unload_opts uo = { .n = 0 };
	int r, i, err = 0;

	r = parse_common(argc, argv, unload_usage, extra, unload_opt, &uo);
	if (r)
		return r > 0 ? FG_EXIT_OK : FG_EXIT_USAGE;
	if (optind != argc || (!uo.all && !uo.n) || (uo.all && uo.n)) {
		fprintf(stderr, "%s", unload_usage);
		return FG_EXIT_USAGE;
	}
	if (uo.all)
		return fg_loader_unload_all() ? FG_EXIT_FAIL : FG_EXIT_OK;
	for (i = 0; i < uo.n; i++)
		if (fg_loader_detach(uo.ifaces[i]))
			err = 1;
	return err ? FG_EXIT_FAIL : FG_EXIT_OK;
}

static void print_counters(const struct fg_stats *s)
{
#define FG_PRINT_COUNTER(name, help)					\
	if (s->name)							\
		printf("  %-16s %14llu  %s\n", #name,			\
		       (unsigned long long)s->name, help);
	FG_COUNTERS(FG_PRINT_COUNTER)
#undef FG_PRINT_COUNTER
}

/* The gates an unflagged name falls short of, as "(behaviour 12.3 < 20)". */
static void print_short_of(json_t *gates)
{
	json_t *g;
	size_t i;

	json_array_foreach(gates, i, g)
		printf("%s%s %.1f < %g%s", i ? ", " : " (",
		       json_string_value(json_object_get(g, "gate")),
		       json_number_value(json_object_get(g, "value")),
		       json_number_value(json_object_get(g, "threshold")),
		       i + 1 == json_array_size(gates) ? ")" : "");
}

/* The scorer's view, which only the running `run` has: it leaves a
 * snapshot in FG_STATUS_FILE every second.
 */
static void print_scorer_status(void)
{
	json_error_t jerr;
	json_t *root, *top, *counters, *d;
	const char *key;
	size_t i;

	root = json_load_file(FG_STATUS_FILE, 0, &jerr);
	if (!root) {
		printf("scorer: no snapshot at %s (is `fluxguard run` "
		       "running?)\n", FG_STATUS_FILE);
		return;
	}
	printf("scorer (snapshot at %.0f, pid %lld):\n",
	       json_number_value(json_object_get(root, "ts")),
	       json_integer_value(json_object_get(root, "pid")));
	printf("  tracked domains  %lld\n",
	       json_integer_value(json_object_get(root, "tracked_domains")));
	printf("  verdicts         %lld\n",
	       json_integer_value(json_object_get(root, "verdicts")));
	counters = json_object_get(root, "counters");
	if (json_object_size(counters))
		printf("scorer counters:\n");
	json_object_foreach(counters, key, d)
		if (json_integer_value(d))
			printf("  %-20s %12lld\n", key, json_integer_value(d));
	top = json_object_get(root, "top");
	if (json_array_size(top))
		printf("top suspicious domains:\n  %-40s %8s %8s  %s\n",
		       "DOMAIN", "SCORE", "ADDRS", "VERDICT");
	json_array_foreach(top, i, d) {
		printf("  %-40s %8.1f %8lld  %s",
		       json_string_value(json_object_get(d, "domain")),
		       json_number_value(json_object_get(d, "score")),
		       json_integer_value(json_object_get(d, "addresses")),
		       json_string_value(json_object_get(d, "kind")) ?: "-");
		print_short_of(json_object_get(d, "short_of"));
		putchar('\n');
	}
	json_decref(root);
}

static const char status_usage[] =
	"Usage: fluxguard status [-v]\n"
	"Attached interfaces and mode, data-plane counters, tracked domains,\n"
	"active blocks and the most suspicious domains.\n";

int cmd_status(int argc, char **argv)
{
	char names[FG_STATUS_IFACES][IF_NAMESIZE];
	enum fg_mode modes[FG_STATUS_IFACES];
	struct fg_config cfg;
	struct fg_stats st;
	struct fg_maps m;
	__u32 zero = 0;
	int r, n, i;

	r = parse_common(argc, argv, status_usage, NULL, NULL, NULL);
	if (r)
		return r > 0 ? FG_EXIT_OK : FG_EXIT_USAGE;
	if (optind != argc) {
		fprintf(stderr, "%s", status_usage);
		return FG_EXIT_USAGE;
	}
	if (fg_maps_open_pinned(&m))
		return FG_EXIT_FAIL;

	n = fg_loader_attached(names, modes, FG_STATUS_IFACES);
	printf("attached: %s", n ? "" : "none");
	for (i = 0; i < n; i++)
		printf("%s%s (%s)", i ? ", " : "", names[i],
		       modes[i] == FG_MODE_SKB ? "skb" : "native");
	printf("\n");
	if (!bpf_map_lookup_elem(m.config, &zero, &cfg))
		printf("mode: %s\n", cfg.flags & FG_CFG_DRY_RUN ?
		       "dry run (nothing dropped)" : "enforcing");
	printf("active blocks: %d\n", fg_block_count(&m));
	if (!fg_stats_read(m.stats, &st)) {
		printf("data plane counters:\n");
		print_counters(&st);
	}
	print_scorer_status();
	fg_maps_close(&m);
	return FG_EXIT_OK;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `export` and `import`: hand what this gateway knows (flagged names,
 * blocked addresses and prefixes) to a peer as STIX 2.1, an RPZ zone or
 * CSV, and take a peer's export back as blocks of its own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "allowlist.h"
#include "asn.h"
#include "blocks.h"
#include "cli.h"
#include "export.h"
#include "feeds.h"
#include "log.h"
#include "names.h"
#include "policy.h"

/* Indicators one export holds: every map full. */
#define FG_EXPORT_MAX	FG_FEED_ENTRIES_MAX

struct collect {
	struct fg_indicator *v;
	size_t n, cap;
	struct fg_clock clk;
	__u64 now_ns;
	uint64_t seed;
	unsigned int shortened;		/* names lost to FG_BLOCK_LABEL_LEN */
	unsigned int unsafe;		/* not host names: left out */
};

static struct fg_indicator *push(struct collect *c)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		void *n;

		if (cap > FG_EXPORT_MAX)
			return NULL;
		n = realloc(c->v, cap * sizeof(*c->v));
		if (!n)
			return NULL;
		c->v = n;
		c->cap = cap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	return &c->v[c->n++];
}

static void times(struct collect *c, struct fg_indicator *x,
		  const struct fg_block *v)
{
	x->created = fg_clock_to_epoch(&c->clk, v->created_ns);
	x->expires = v->expires_ns ? fg_clock_to_epoch(&c->clk, v->expires_ns)
				   : 0;
	x->reason = v->reason;
	x->score = v->score / 100.0;
}

static bool live(const struct collect *c, const struct fg_block *v)
{
	return !v->expires_ns || v->expires_ns > c->now_ns;
}

static int take_addr(const struct fg_cidr *p, const struct fg_block *v,
		     void *data)
{
	struct collect *c = data;
	struct fg_indicator *x;

	if (!live(c, v))
		return 0;
	x = push(c);
	if (!x)
		return -ENOMEM;
	x->kind = FG_FEED_CIDR;
	x->cidr = *p;
	snprintf(x->domain, sizeof(x->domain), "%s", v->domain);
	times(c, x, v);
	return 0;
}

static struct fg_indicator *find_name(struct collect *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].kind == FG_FEED_NAME &&
		    !strcasecmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

/* A label is a usable name only if it hashes to the rule's key: a name
 * longer than the label was cut short and cannot be exported.
 */
static int take_name(uint64_t hash, const struct fg_block *v, void *data)
{
	char name[FG_DOMAIN_NAME_MAX + 1];
	struct collect *c = data;
	struct fg_indicator *x;
	uint64_t h = 0;

	if (!live(c, v))
		return 0;
	if (fg_rule_hash(c->seed, v->domain, &h) || h != hash) {
		c->shortened++;
		return 0;
	}
	if (!fg_feed_host_name(v->domain, name)) {
		c->unsafe++;
		return 0;
	}
	x = push(c);
	if (!x)
		return -ENOMEM;
	x->kind = FG_FEED_NAME;
	snprintf(x->name, sizeof(x->name), "%s", name);
	snprintf(x->domain, sizeof(x->domain), "%s", v->domain);
	times(c, x, v);
	return 0;
}

/* The names behind verdict blocks, from their labels, as domain
 * indicators of their own (block_mode = addresses installs no rule).
 */
static int add_verdict_names(struct collect *c)
{
	size_t n = c->n;

	for (size_t i = 0; i < n; i++) {
		struct fg_indicator *a = &c->v[i], *x;
		char name[FG_DOMAIN_NAME_MAX + 1];

		if (a->kind != FG_FEED_CIDR ||
		    (a->reason != FG_REASON_SINGLE_FLUX &&
		     a->reason != FG_REASON_DOUBLE_FLUX))
			continue;
		if (strlen(a->domain) >= FG_BLOCK_LABEL_LEN - 1) {
			c->shortened++;		/* may have been cut */
			continue;
		}
		if (!fg_feed_host_name(a->domain, name)) {
			c->unsafe++;
			continue;
		}
		x = find_name(c, name);
		if (!x) {
			x = push(c);
			if (!x)
				return -ENOMEM;
			a = &c->v[i];	/* push may move the array */
			*x = *a;
			x->kind = FG_FEED_NAME;
			snprintf(x->name, sizeof(x->name), "%s", name);
			continue;
		}
		if (x->reason == a->reason) {
			if (a->score > x->score)
				x->score = a->score;
			if (x->expires && (!a->expires || a->expires > x->expires))
				x->expires = a->expires;
		}
	}
	return 0;
}

/* Flagged names in the status snapshot that hold no block (every
 * address refused by the policy, say) still go out, with their score.
 */
static int add_snapshot(struct collect *c)
{
	json_error_t jerr;
	json_t *root, *top, *d;
	double ts;
	size_t i;

	root = json_load_file(FG_STATUS_FILE, 0, &jerr);
	if (!root)
		return 0;
	ts = json_number_value(json_object_get(root, "ts"));
	top = json_object_get(root, "top");
	json_array_foreach(top, i, d) {
		const char *name = json_string_value(json_object_get(d,
								    "domain"));
		const char *kind = json_string_value(json_object_get(d, "kind"));
		double score = json_number_value(json_object_get(d, "score"));
		char clean[FG_DOMAIN_NAME_MAX + 1];
		struct fg_indicator *x;

		if (!name || !kind)
			continue;
		if (!fg_feed_host_name(name, clean)) {
			c->unsafe++;
			continue;
		}
		name = clean;
		x = find_name(c, name);
		if (x) {
			if (score > x->score && x->reason != FG_REASON_MANUAL)
				x->score = score;
			continue;
		}
		x = push(c);
		if (!x) {
			json_decref(root);
			return -ENOMEM;
		}
		x->kind = FG_FEED_NAME;
		snprintf(x->name, sizeof(x->name), "%s", name);
		snprintf(x->domain, sizeof(x->domain), "%.*s",
			 FG_BLOCK_LABEL_LEN - 1, name);
		x->reason = strcmp(kind, "double_flux") ?
			    FG_REASON_SINGLE_FLUX : FG_REASON_DOUBLE_FLUX;
		x->score = score;
		x->created = ts;
	}
	json_decref(root);
	return 0;
}

static int indicator_cmp(const void *a, const void *b)
{
	const struct fg_indicator *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->kind == FG_FEED_NAME)
		return strcmp(x->name, y->name);
	if (x->cidr.family != y->cidr.family)
		return x->cidr.family - y->cidr.family;
	if (x->cidr.len != y->cidr.len)
		return x->cidr.len - y->cidr.len;
	return memcmp(x->cidr.bytes, y->cidr.bytes, 16);
}

static int collect_all(struct collect *c)
{
	struct fg_maps m;
	int err;

	err = fg_maps_open_pinned(&m);
	if (err)
		return err;
	fg_clock_wall(&c->clk);
	c->now_ns = fg_clock_to_ns(&c->clk, fg_now());
	err = fg_names_seed(&m, &c->seed);
	if (!err)
		err = fg_block_foreach(&m, take_addr, c);
	if (!err)
		err = fg_name_block_foreach(&m, take_name, c);
	fg_maps_close(&m);
	if (!err)
		err = add_verdict_names(c);
	if (!err)
		err = add_snapshot(c);
	if (err)
		pr_warn("cannot read the blocks: %s\n", strerror(-err));
	if (c->n)	/* c->v is NULL when nothing was found */
		qsort(c->v, c->n, sizeof(*c->v), indicator_cmp);
	return err;
}

/* Writes through a temporary file and a rename: a resolver loading the
 * zone never sees half of it.
 */
static int write_out(const char *path, enum fg_export_format fmt,
		     const struct collect *c)
{
	char tmp[4096];
	FILE *f;
	int err;

	if (!path || !strcmp(path, "-"))
		return fg_export_write(stdout, fmt, c->v, c->n, fg_now());
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	err = fg_export_write(f, fmt, c->v, c->n, fg_now());
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static const char export_usage[] =
	"Usage: fluxguard export --format stix|rpz|csv [--output FILE]\n"
	"Write the flagged names and the active blocks (addresses, prefixes,\n"
	"domain rules) as a STIX 2.1 bundle, a Response Policy Zone or CSV,\n"
	"to FILE (replaced atomically) or stdout. Formats: docs/sharing.md.\n";

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *format = NULL, *output = NULL;
	struct collect c = { 0 };
	enum fg_export_format fmt;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:o:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case 'v': fg_log_level++; break;
		case 'h': printf("%s", export_usage); return FG_EXIT_OK;
		default: fprintf(stderr, "%s", export_usage);
			 return FG_EXIT_USAGE;
		}
	}
	if (!format || optind != argc) {
		fprintf(stderr, "%s", export_usage);
		return FG_EXIT_USAGE;
	}
	if (!strcmp(format, "stix")) {
		fmt = FG_FMT_STIX;
	} else if (!strcmp(format, "rpz")) {
		fmt = FG_FMT_RPZ;
	} else if (!strcmp(format, "csv")) {
		fmt = FG_FMT_CSV;
	} else {
		fprintf(stderr, "fluxguard: --format is stix, rpz or csv, not "
			"'%s'\n", format);
		return FG_EXIT_USAGE;
	}
	err = collect_all(&c);
	if (!err) {
		err = write_out(output, fmt, &c);
		if (err)
			pr_warn("cannot write %s: %s\n", output ?: "stdout",
				strerror(-err));
	}
	if (!err && c.shortened)
		pr_warn("%u names longer than %d bytes were left out (only "
			"their shortened label is kept)\n", c.shortened,
			FG_BLOCK_LABEL_LEN - 1);
	if (!err && c.unsafe)
		pr_warn("%u names that are not host names were left out\n",
			c.unsafe);
	if (!err && output)
		fprintf(stderr, "exported %zu indicators to %s\n", c.n, output);
	free(c.v);
	return err ? FG_EXIT_FAIL : FG_EXIT_OK;
}

struct import_ctx {
	const struct fg_maps *m;
	struct fg_policy *policy;
	struct fg_clock clk;
	double now, ttl;
	unsigned int names, cidrs, refused, manual, errors, expired;
};

static int import_one(const struct fg_feed_entry *e, void *data)
{
	struct import_ctx *ic = data;
	struct fg_feed_entry x = *e;
	int r;

	/* A peer's entry without an expiry lives for --for, not forever. */
	if (!x.expires)
		x.expires = ic->now + ic->ttl;
	if (x.expires <= ic->now) {
		ic->expired++;
		return 0;
	}
	r = fg_feed_install(ic->m, ic->policy, &ic->clk, FG_REASON_IMPORT, &x,
			    ic->now);
	if (!r && x.kind == FG_FEED_NAME)
		ic->names++;
	else if (!r)
		ic->cidrs++;
	else if (r == -EPERM)
		ic->refused++;
	else if (r == -EEXIST)
		ic->manual++;
	else
		ic->errors++;
	return 0;
}

static void print_error(const char *msg, void *ctx)
{
	fprintf(stderr, "%s\n", msg);
}

/* The policy `run` would apply: the config's lists, its allowlists and,
 * when it loads, the ASN database (for allowlisted ASNs).
 */
static int import_policy(const char *config, struct fg_settings *s,
			 struct fg_allowlist **al, struct fg_asn_db **asn,
			 struct fg_policy **pol)
{
	char err[512];

	fg_settings_defaults(s);
	if (config && fg_settings_load(config, s, err, sizeof(err))) {
		fprintf(stderr, "fluxguard: %s\n", err);
		return -EINVAL;
	}
	*al = fg_allowlist_new();
	if (!*al)
		return -ENOMEM;
	for (unsigned int i = 0; i < s->n_allowlists; i++) {
		if (fg_allowlist_load(*al, s->allowlists[i], err,
				      sizeof(err))) {
			fprintf(stderr, "fluxguard: %s\n", err);
			return -EINVAL;
		}
	}
	if (s->asn_dir[0] && fg_asn_db_load(s->asn_dir, asn, err,
					    sizeof(err)))
		*asn = NULL;
	*pol = fg_policy_new(s, *al, *asn);
	return *pol ? 0 : -ENOMEM;
}

static const char import_usage[] =
	"Usage: fluxguard import FILE [--config FILE] [--for DURATION]\n"
	"Block what a peer's export lists (STIX, RPZ or CSV, recognised by\n"
	"their content; the feed formats work too), as reason 'import', after\n"
	"the never-block policy of the config. Entries without an expiry live\n"
	"for DURATION (default: the config's block_ttl).\n";

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "for", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fg_feed_parse_stats ps = { 0 };
	struct import_ctx ic = { 0 };
	struct fg_allowlist *al = NULL;
	struct fg_asn_db *asn = NULL;
	struct fg_settings *s = NULL;
	const char *config = NULL;
	double ttl = 0;
	struct fg_maps m;
	int opt, err, ret = FG_EXIT_FAIL;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:f:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'f':
			if (fg_parse_duration(optarg, &ttl) || ttl <= 0) {
				fprintf(stderr, "fluxguard: bad duration '%s' "
					"(use e.g. 90s, 15m, 2h, 1d)\n", optarg);
				return FG_EXIT_USAGE;
			}
			break;
		case 'v': fg_log_level++; break;
		case 'h': printf("%s", import_usage); return FG_EXIT_OK;
		default: fprintf(stderr, "%s", import_usage);
			 return FG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s", import_usage);
		return FG_EXIT_USAGE;
	}
	if (access(argv[optind], R_OK)) {
		fprintf(stderr, "fluxguard: cannot read %s: %s\n", argv[optind],
			strerror(errno));
		return FG_EXIT_FAIL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || import_policy(config, s, &al, &asn, &ic.policy))
		goto out;
	if (fg_maps_open_pinned(&m))
		goto out;
	ic.m = &m;
	fg_clock_wall(&ic.clk);
	ic.now = fg_now();
	ic.ttl = ttl ? ttl : s->block_ttl;
	err = fg_feed_parse_file(argv[optind], import_one, print_error, &ic,
				 &ps);
	fg_names_sync_count(&m);
	fg_maps_close(&m);
	if (err) {
		fprintf(stderr, "fluxguard: cannot read %s: %s\n", argv[optind],
			strerror(-err));
		goto out;
	}
	printf("imported %u names and %u addresses or prefixes; %u refused by "
	       "the never-block policy, %u kept as manual blocks, %u expired, "
	       "%llu malformed lines skipped\n", ic.names, ic.cidrs,
	       ic.refused, ic.manual, ic.expired,
	       (unsigned long long)ps.malformed);
	if (ic.errors)
		fprintf(stderr, "fluxguard: %u entries could not be added (map "
			"full?)\n", ic.errors);
	ret = ic.errors ? FG_EXIT_FAIL : FG_EXIT_OK;
out:
	fg_policy_free(ic.policy);
	fg_allowlist_free(al);
	if (asn)
		fg_asn_db_free(asn);
	free(s);
	return ret;
}

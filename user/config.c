/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The config file parser: `key = value` lines, `#` comments, repeatable
 * list keys. Parses into a private copy and hands it over only when the
 * whole file is valid, so a bad reload leaves the running settings alone.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lines.h"

/* Bounds of max_domains: below 16 the LRU is all churn; above 2^24
 * names the tables alone take tens of GiB.
 */
#define FG_MAX_DOMAINS_MIN	16
#define FG_MAX_DOMAINS_MAX	(1u << 24)
/* Fewest addresses kept per name: one flux answer holds several. */
#define FG_ADDRS_PER_DOMAIN_MIN	4

/* Longest config line: far beyond any path or CIDR, short enough that a
 * binary file given by mistake fails at once.
 */
#define FG_CFG_LINE_MAX		4096

#define FG_FEATURE_NAME(id, name) [FG_F_##id] = name,
static const char *const feature_names[FG_F_COUNT] = {
	FG_FEATURES(FG_FEATURE_NAME)
};
#undef FG_FEATURE_NAME

const char *fg_feature_name(enum fg_feature f)
{
	return (unsigned int)f < FG_F_COUNT ? feature_names[f] : "?";
}

/* Default weights; the reasoning for each is in docs/scoring.md. */
static const double default_weight[FG_F_COUNT] = {
	[FG_F_ADDRESSES] = 0.1,
	[FG_F_PREFIXES] = 0.25,
	[FG_F_PREFIX16_ENTROPY] = 12.0,
	[FG_F_ASNS] = 1.5,
	[FG_F_COUNTRIES] = 1.0,
	[FG_F_SHARED] = 1.0,
	[FG_F_HOLZ] = 0.0,
	[FG_F_TTL_MIN] = 10.0,
	[FG_F_TTL_MEDIAN] = 10.0,
	[FG_F_GROWTH] = 1.0,
	[FG_F_CHANGES] = 10.0,
	[FG_F_NS_NAMES] = 0.5,
	[FG_F_NS_CHURN] = 10.0,
	[FG_F_NS_PREFIXES] = 1.0,
	[FG_F_NS_ASNS] = 1.5,
};

void fg_settings_defaults(struct fg_settings *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->asn_dir, sizeof(s->asn_dir), "%s", FG_ASN_DIR_DEFAULT);
	s->window_short = 300;
	s->window_long = 3600;
	s->max_domains = 32768;
	s->max_addrs_per_domain = 32;
	s->block_ttl = 3600;
	s->max_blocks_total = 65536;
	s->max_blocks_per_domain = 64;
	s->max_blocks_per_minute = 600;
	/* Flux hosts are mostly compromised home machines: refusing the name
	 * protects every client, dropping the address stops what gets through.
	 */
	s->block_mode = FG_BLOCK_BOTH;
	s->sinkhole_v4.family = AF_INET;	/* 0.0.0.0 */
	s->sinkhole_v6.family = AF_INET6;	/* :: */
	s->query_match = true;
	s->n_dns_ports = 1;
	s->dns_ports[0] = 53;
	s->ttl_reference = 120;
	memcpy(s->weight, default_weight, sizeof(s->weight));
	s->threshold_single = 40;
	s->threshold_diversity = 15;
	s->threshold_behaviour = 20;
	s->threshold_double = 15;
}

/* Parse state: where we are, for messages, and which lists the file has
 * started so the first entry replaces a default instead of adding to it.
 */
struct cfg_parse {
	const char *file;
	unsigned int line;
	char *err;
	size_t errlen;
	bool ports_seen;
	unsigned int line_short, line_long;
};

static int cfg_error(struct cfg_parse *p, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = (size_t)snprintf(p->err, p->errlen, "%s:%u: ", p->file, p->line);
	if (n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int fg_parse_duration(const char *s, double *out)
{
	double v, mult = 1;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	if (*end) {
		switch (*end) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: return -EINVAL;
		}
		if (end[1])
			return -EINVAL;
	}
	if (v * mult > FG_DURATION_MAX)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int set_path(struct cfg_parse *p, char *dst, const char *v)
{
	if (strlen(v) >= FG_PATH_MAX)
		return cfg_error(p, "path longer than %d bytes", FG_PATH_MAX - 1);
	strcpy(dst, v);
	return 0;
}

static int add_cidr(struct cfg_parse *p, struct fg_cidr_list *l,
		    const char *key, const char *v)
{
	if (l->n >= FG_CFG_LIST_MAX)
		return cfg_error(p, "more than %d %s entries", FG_CFG_LIST_MAX,
				 key);
	if (fg_cidr_parse(v, &l->v[l->n]))
		return cfg_error(p, "%s: '%s' is not an address or CIDR", key,
				 v);
	l->n++;
	return 0;
}

static int set_duration(struct cfg_parse *p, const char *key, const char *v,
			double *dst)
{
	double d;

	if (fg_parse_duration(v, &d) || d <= 0)
		return cfg_error(p, "%s: '%s' is not a positive duration "
				 "up to %gd (e.g. 30s, 5m, 2h)", key, v,
				 FG_DURATION_MAX / 86400);
	*dst = d;
	return 0;
}

static int set_u32(struct cfg_parse *p, const char *key, const char *v,
		   uint32_t min, uint32_t max, uint32_t *dst)
{
	if (parse_u32(v, min, max, dst))
		return cfg_error(p, "%s: '%s' is not a whole number in %u..%u",
				 key, v, min, max);
	return 0;
}

static int set_weight(struct cfg_parse *p, struct fg_settings *s,
		      const char *key, const char *v)
{
	const char *name = key + strlen("weight.");
	double w;

	for (int f = 0; f < FG_F_COUNT; f++) {
		if (strcmp(name, feature_names[f]))
			continue;
		if (parse_double(v, &w) || w < 0)
			return cfg_error(p, "%s: '%s' is not a number >= 0",
					 key, v);
		s->weight[f] = w;
		return 0;
	}
	return cfg_error(p, "unknown feature '%s'", name);
}

static int set_threshold(struct cfg_parse *p, struct fg_settings *s,
			 const char *key, const char *v)
{
	static const struct {
		const char *name;
		size_t off;
	} th[] = {
		{ "single_flux", offsetof(struct fg_settings, threshold_single) },
		{ "double_flux", offsetof(struct fg_settings, threshold_double) },
		{ "diversity", offsetof(struct fg_settings, threshold_diversity) },
		{ "behaviour", offsetof(struct fg_settings, threshold_behaviour) },
	};
	const char *name = key + strlen("threshold.");
	double t;

	for (size_t i = 0; i < sizeof(th) / sizeof(th[0]); i++) {
		if (strcmp(name, th[i].name))
			continue;
		if (parse_double(v, &t) || t < 0)
			return cfg_error(p, "%s: '%s' is not a number >= 0",
					 key, v);
		*(double *)((char *)s + th[i].off) = t;
		return 0;
	}
	return cfg_error(p, "unknown threshold '%s'", name);
}

static int add_port(struct cfg_parse *p, struct fg_settings *s, const char *v)
{
	uint32_t port;

	if (!p->ports_seen) {
		s->n_dns_ports = 0;
		p->ports_seen = true;
	}
	if (s->n_dns_ports >= FG_MAX_DNS_PORTS)
		return cfg_error(p, "more than %d dns_port entries",
				 FG_MAX_DNS_PORTS);
	if (parse_u32(v, 1, 65535, &port))
		return cfg_error(p, "dns_port: '%s' is not a port (1..65535)",
				 v);
	s->dns_ports[s->n_dns_ports++] = (uint16_t)port;
	return 0;
}

static int set_block_mode(struct cfg_parse *p, struct fg_settings *s,
			  const char *v)
{
	if (!strcmp(v, "addresses"))
		s->block_mode = FG_BLOCK_ADDRESSES;
	else if (!strcmp(v, "names"))
		s->block_mode = FG_BLOCK_NAMES;
	else if (!strcmp(v, "both"))
		s->block_mode = FG_BLOCK_BOTH;
	else
		return cfg_error(p, "block_mode: '%s' is not addresses, names "
				 "or both", v);
	return 0;
}

static int set_sinkhole(struct cfg_parse *p, const char *key, const char *v,
			int family, struct fg_addr *dst)
{
	struct fg_addr a;

	if (fg_addr_parse(v, &a) || a.family != family)
		return cfg_error(p, "%s: '%s' is not an %s address", key, v,
				 family == AF_INET ? "IPv4" : "IPv6");
	*dst = a;
	return 0;
}

static int set_flag(struct cfg_parse *p, const char *key, const char *v,
		    bool *dst)
{
	if (parse_bool(v, dst))
		return cfg_error(p, "%s: '%s' is not yes or no", key, v);
	return 0;
}

static int apply_key(struct cfg_parse *p, struct fg_settings *s,
		     const char *k, const char *v)
{
	if (!strncmp(k, "weight.", 7))
		return set_weight(p, s, k, v);
	if (!strncmp(k, "threshold.", 10))
		return set_threshold(p, s, k, v);
	if (!strcmp(k, "asn_dir"))
		return set_path(p, s->asn_dir, v);
	if (!strcmp(k, "country_db"))
		return set_path(p, s->country_db, v);
	if (!strcmp(k, "events"))
		return set_path(p, s->events, v);
	if (!strcmp(k, "allowlist")) {
		if (s->n_allowlists >= FG_CFG_FILES_MAX)
			return cfg_error(p, "more than %d allowlist files",
					 FG_CFG_FILES_MAX);
		return set_path(p, s->allowlists[s->n_allowlists++], v);
	}
	if (!strcmp(k, "feed")) {
		if (s->n_feeds >= FG_CFG_FILES_MAX)
			return cfg_error(p, "more than %d feed files",
					 FG_CFG_FILES_MAX);
		return set_path(p, s->feeds[s->n_feeds++], v);
	}
	if (!strcmp(k, "metrics_listen")) {
		if (strlen(v) >= FG_ADDRPORT_MAX || !strrchr(v, ':'))
			return cfg_error(p, "metrics_listen: '%s' is not "
					 "ADDR:PORT", v);
		strcpy(s->metrics_listen, v);
		return 0;
	}
	if (!strcmp(k, "metrics_file"))
		return set_path(p, s->metrics_file, v);
	if (!strcmp(k, "window_short")) {
		p->line_short = p->line;
		return set_duration(p, k, v, &s->window_short);
	}
	if (!strcmp(k, "window_long")) {
		p->line_long = p->line;
		return set_duration(p, k, v, &s->window_long);
	}
	if (!strcmp(k, "block_ttl"))
		return set_duration(p, k, v, &s->block_ttl);
	if (!strcmp(k, "ttl_reference"))
		return set_duration(p, k, v, &s->ttl_reference);
	if (!strcmp(k, "max_domains"))
		return set_u32(p, k, v, FG_MAX_DOMAINS_MIN, FG_MAX_DOMAINS_MAX,
			       &s->max_domains);
	if (!strcmp(k, "max_addrs_per_domain"))
		return set_u32(p, k, v, FG_ADDRS_PER_DOMAIN_MIN,
			       FG_ADDRS_PER_DOMAIN_MAX,
			       &s->max_addrs_per_domain);
	if (!strcmp(k, "max_blocks_total"))
		return set_u32(p, k, v, 1, UINT32_MAX, &s->max_blocks_total);
	if (!strcmp(k, "max_blocks_per_domain"))
		return set_u32(p, k, v, 1, UINT32_MAX,
			       &s->max_blocks_per_domain);
	if (!strcmp(k, "max_blocks_per_minute"))
		return set_u32(p, k, v, 1, UINT32_MAX,
			       &s->max_blocks_per_minute);
	if (!strcmp(k, "dns_port"))
		return add_port(p, s, v);
	if (!strcmp(k, "resolver"))
		return add_cidr(p, &s->resolvers, k, v);
	if (!strcmp(k, "gateway_addr"))
		return add_cidr(p, &s->gateway_addrs, k, v);
	if (!strcmp(k, "never_block"))
		return add_cidr(p, &s->never_block, k, v);
	if (!strcmp(k, "allow_block_cidr"))
		return add_cidr(p, &s->allow_block, k, v);
	if (!strcmp(k, "block_mode"))
		return set_block_mode(p, s, v);
	if (!strcmp(k, "sinkhole_v4"))
		return set_sinkhole(p, k, v, AF_INET, &s->sinkhole_v4);
	if (!strcmp(k, "sinkhole_v6"))
		return set_sinkhole(p, k, v, AF_INET6, &s->sinkhole_v6);
	if (!strcmp(k, "dry_run"))
		return set_flag(p, k, v, &s->dry_run);
	if (!strcmp(k, "log_answers"))
		return set_flag(p, k, v, &s->log_answers);
	if (!strcmp(k, "query_match"))
		return set_flag(p, k, v, &s->query_match);
	return cfg_error(p, "unknown key '%s'", k);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A '#' starts a comment at the beginning of a line or after a blank, so
 * that a path may still contain one.
 */
static void strip_comment(char *s)
{
	for (char *c = s; *c; c++) {
		if (*c == '#' && (c == s || isspace((unsigned char)c[-1]))) {
			*c = '\0';
			return;
		}
	}
}

static int parse_line(struct cfg_parse *p, struct fg_settings *s, char *line)
{
	char *eq, *key, *val;

	strip_comment(line);
	key = trim(line);
	if (!*key)
		return 0;
	eq = strchr(key, '=');
	if (!eq)
		return cfg_error(p, "expected 'key = value'");
	*eq = '\0';
	val = trim(eq + 1);
	key = trim(key);
	if (!*key)
		return cfg_error(p, "missing key before '='");
	if (!*val)
		return cfg_error(p, "%s: missing value", key);
	return apply_key(p, s, key, val);
}

static int check_settings(struct cfg_parse *p, const struct fg_settings *s)
{
	if (s->window_short >= s->window_long) {
		p->line = p->line_short > p->line_long ? p->line_short :
			  p->line_long;
		return cfg_error(p, "window_short (%gs) must be shorter than "
				 "window_long (%gs)", s->window_short,
				 s->window_long);
	}
	return 0;
}

static int parse_stream(struct cfg_parse *p, FILE *f, struct fg_settings *s)
{
	char buf[FG_CFG_LINE_MAX];
	enum fg_line_status st;
	int err;

	while ((st = fg_line_read(f, buf, sizeof(buf))) != FG_LINE_EOF) {
		p->line++;
		if (st == FG_LINE_LONG)
			return cfg_error(p, "line longer than %d bytes",
					 FG_CFG_LINE_MAX - 2);
		if (st == FG_LINE_NUL)
			return cfg_error(p, "NUL byte (is this a text file?)");
		if (st == FG_LINE_ERROR)
			return cfg_error(p, "read error");
		err = parse_line(p, s, buf);
		if (err)
			return err;
	}
	return check_settings(p, s);
}

int fg_settings_load(const char *path, struct fg_settings *out,
		     char *err, size_t errlen)
{
	struct cfg_parse p = {
		.file = path, .err = err, .errlen = errlen,
	};
	struct fg_settings *s;
	FILE *f;
	int ret;

	s = malloc(sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "%s:0: out of memory", path);
		return -ENOMEM;
	}
	fg_settings_defaults(s);
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s:0: %s", path, strerror(errno));
		goto out;
	}
	ret = parse_stream(&p, f, s);
	fclose(f);
	if (!ret)
		memcpy(out, s, sizeof(*s));
out:
	free(s);
	return ret;
}

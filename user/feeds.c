// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Feed files: format detection, the line parsers of every format, and the
 * feed set that keeps the block maps in step with the files across
 * reloads (add what is new, remove what vanished, keep the rest with its
 * hit counters).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <jansson.h>

#include "export.h"
#include "feeds.h"
#include "lines.h"
#include "log.h"
#include "names.h"

/* Malformed lines logged per file and load; the rest are only counted, so
 * a file in the wrong format cannot flood the log.
 */
#define FG_FEED_ERRORS_LOGGED	20
/* Lines looked at to tell a zone file or CSV from a plain list. */
#define FG_FEED_SNIFF_LINES	32
/* Latest expiry a feed may give, 9999-12-31T23:59:59Z: every time kept
 * must print as RFC 3339 and fit a time_t in the exports.
 */
#define FG_FEED_TIME_MAX	253402300799.0

enum feed_format {
	FMT_LIST,	/* names, addresses, hosts file, adblock host list */
	FMT_CSV,
	FMT_RPZ,
	FMT_STIX,
};

struct parse {
	const char *path;
	unsigned int line;
	fg_feed_entry_fn fn;
	fg_feed_error_fn err_fn;
	void *ctx;
	struct fg_feed_parse_stats *st;
	char origin[FG_DOMAIN_NAME_MAX + 2];	/* RPZ $ORIGIN, with the dot */
	bool in_parens;				/* RPZ multi-line record */
};

static void bad_line(struct parse *p, const char *fmt, const char *arg)
{
	char msg[FG_FEED_LINE_MAX + 128];
	int n;

	p->st->malformed++;
	if (!p->err_fn)
		return;
	n = snprintf(msg, sizeof(msg), "%s:%u: ", p->path, p->line);
	snprintf(msg + n, sizeof(msg) - n, fmt, arg);
	p->err_fn(msg, p->ctx);
}

static int emit(struct parse *p, struct fg_feed_entry *e)
{
	p->st->entries++;
	return p->fn ? p->fn(e, p->ctx) : 0;
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

/* A host name as feeds list them: two labels at least, letters, digits,
 * '-' and '_' (seen in real malware names), at most 63 bytes a label.
 * Written lower case into out, without a trailing dot.
 */
/* RPZ trigger labels: no top-level domain, and a name ending in one would
 * read as a trigger in an RPZ export.
 */
static bool rpz_trigger(const char *label)
{
	static const char *const triggers[] = {
		"rpz-ip", "rpz-nsip", "rpz-nsdname", "rpz-client-ip",
	};

	for (size_t i = 0; i < sizeof(triggers) / sizeof(triggers[0]); i++)
		if (!strcasecmp(label, triggers[i]))
			return true;
	return false;
}

bool fg_feed_host_name(const char *s, char *out)
{
	size_t n = strlen(s), label = 0, labels = 1, i;
	bool digits_only = true;

	if (n && s[n - 1] == '.')
		n--;
	if (!n || n > FG_DOMAIN_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)s[i]);

		if (c == '.') {
			if (!label)
				return false;
			label = 0;
			labels++;
			digits_only = true;
		} else if (isalnum((unsigned char)c) || c == '-' || c == '_') {
			if (++label > FG_DNS_LABEL_MAX)
				return false;
			digits_only &= isdigit((unsigned char)c) != 0;
		} else {
			return false;
		}
		out[i] = c;
	}
	out[n] = '\0';
	/* An all-digit last label is a mistyped address, not a name. */
	if (!label || labels < 2 || digits_only)
		return false;
	return !rpz_trigger(strrchr(out, '.') + 1);
}

int fg_feed_parse_time(const char *s, double *out)
{
	struct tm tm = { 0 };
	double frac = 0;
	const char *rest;
	char *end;
	long off = 0;

	if (!*s)
		return -EINVAL;
	if (strspn(s, "0123456789") == strlen(s)) {
		*out = strtod(s, NULL);
		return *out <= FG_FEED_TIME_MAX ? 0 : -EINVAL;
	}
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return -EINVAL;
	if (*rest == '.') {
		frac = strtod(rest, &end);
		rest = end;
	}
	if (*rest == 'Z' || *rest == 'z') {
		rest++;
	} else if ((*rest == '+' || *rest == '-') &&
		   isdigit((unsigned char)rest[1]) &&
		   isdigit((unsigned char)rest[2]) && rest[3] == ':' &&
		   isdigit((unsigned char)rest[4]) &&
		   isdigit((unsigned char)rest[5])) {
		off = ((rest[1] - '0') * 10 + rest[2] - '0') * 3600 +
		      ((rest[4] - '0') * 10 + rest[5] - '0') * 60;
		if (*rest == '-')
			off = -off;
		rest += 6;
	} else {
		return -EINVAL;
	}
	if (*rest)
		return -EINVAL;
	*out = (double)timegm(&tm) - off + frac;
	/* Before 1970 or after 9999 is a typo, not an expiry. */
	return *out >= 0 && *out <= FG_FEED_TIME_MAX ? 0 : -EINVAL;
}

/* "expires=T" anywhere, or a bare time as the second column. */
static bool expiry_token(const char *tok, double *out, bool bare_ok)
{
	if (!strncmp(tok, "expires=", 8))
		return !fg_feed_parse_time(tok + 8, out);
	return bare_ok && !fg_feed_parse_time(tok, out);
}

static void entry_name(struct fg_feed_entry *e, double expires)
{
	e->kind = FG_FEED_NAME;
	e->expires = expires;
}

/* Hosts files map names to a null address; their own names are not
 * threats.
 */
static bool hosts_address(const char *tok)
{
	return !strcmp(tok, "0.0.0.0") || !strcmp(tok, "127.0.0.1") ||
	       !strcmp(tok, "::") || !strcmp(tok, "::1");
}

static bool hosts_housekeeping(const char *name)
{
	static const char *const skip[] = {
		"localhost", "localhost.localdomain", "local", "broadcasthost",
		"ip6-localhost", "ip6-loopback", "0.0.0.0",
	};

	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (!strcasecmp(name, skip[i]))
			return true;
	return !strchr(name, '.');
}

/* Words read from one line: a hosts line lists a few names; a line with
 * more is cut there.
 */
#define FG_FEED_TOKENS	64

static int split(char *s, char **tok)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(s, " \t", &save); t && n < FG_FEED_TOKENS;
	     t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	return n;
}

static int parse_hosts(struct parse *p, char **tok, int n)
{
	struct fg_feed_entry e = { 0 };
	double expires = 0;
	int i, err, names = 0;

	for (i = 1; i < n; i++)
		if (!strncmp(tok[i], "expires=", 8) &&
		    !expiry_token(tok[i], &expires, false)) {
			bad_line(p, "bad expiry '%s'", tok[i] + 8);
			return 0;
		}
	for (i = 1; i < n; i++) {
		if (!strncmp(tok[i], "expires=", 8))
			continue;
		if (hosts_housekeeping(tok[i])) {
			p->st->other++;
			continue;
		}
		if (!fg_feed_host_name(tok[i], e.name)) {
			bad_line(p, "'%s' is not a host name", tok[i]);
			continue;
		}
		entry_name(&e, expires);
		err = emit(p, &e);
		if (err)
			return err;
		names++;
	}
	return 0;
}

/* Adblock syntax, as abuse.ch's URLhaus filter and other host lists use
 * it: `||host^` blocks the host; `$all` asks for every request type. A
 * rule with a path or with other options blocks some URLs of the host,
 * which a resolver cannot tell apart: those are counted, not blocked.
 */
static int parse_adblock(struct parse *p, const char *rule, double expires)
{
	struct fg_feed_entry e = { 0 };
	char host[FG_FEED_LINE_MAX];
	const char *caret = strchr(rule, '^');
	size_t n;

	if (!caret || strcspn(rule, "/") < (size_t)(caret - rule)) {
		p->st->url_rules++;
		return 0;
	}
	if (caret[1] && strcmp(caret + 1, "$all") &&
	    strcmp(caret + 1, "$important")) {
		p->st->url_rules++;
		return 0;
	}
	n = caret - (rule + 2);
	memcpy(host, rule + 2, n);
	host[n] = '\0';
	if (!fg_cidr_parse(host, &e.cidr)) {
		e.kind = FG_FEED_CIDR;
		e.expires = expires;
		return emit(p, &e);
	}
	if (!fg_feed_host_name(host, e.name)) {
		bad_line(p, "'%s' is not a host name", host);
		return 0;
	}
	entry_name(&e, expires);
	return emit(p, &e);
}

/* `#` starts a comment at the start of a line or after a blank. */
static void strip_comment(char *s)
{
	for (char *c = s; *c; c++) {
		if (*c == '#' && (c == s || isspace((unsigned char)c[-1]))) {
			*c = '\0';
			return;
		}
	}
}

static int parse_list_line(struct parse *p, char *line)
{
	struct fg_feed_entry e = { 0 };
	char *tok[FG_FEED_TOKENS];
	double expires = 0;
	int n;

	if (*line == '!' || *line == '[')	/* adblock comment, header */
		return 0;
	strip_comment(line);
	n = split(line, tok);
	if (!n)
		return 0;
	if (n >= 2 && hosts_address(tok[0]))
		return parse_hosts(p, tok, n);
	if (n > 2) {
		bad_line(p, "unexpected '%s' (one entry and an expiry a line)",
			 tok[2]);
		return 0;
	}
	if (n == 2 && !expiry_token(tok[1], &expires, true)) {
		bad_line(p, "'%s' is not an expiry (epoch seconds, RFC 3339, "
			 "or expires=...)", tok[1]);
		return 0;
	}
	if (!strncmp(tok[0], "||", 2))
		return parse_adblock(p, tok[0], expires);
	if (!fg_cidr_parse(tok[0], &e.cidr)) {
		e.kind = FG_FEED_CIDR;
		e.expires = expires;
		return emit(p, &e);
	}
	if (!fg_feed_host_name(tok[0], e.name)) {
		bad_line(p, "'%s' is not a name, address or prefix", tok[0]);
		return 0;
	}
	entry_name(&e, expires);
	return emit(p, &e);
}

/* One CSV field (RFC 4180 quoting) from *s into out; *s moves past it. */
static bool csv_field(char **s, char *out, size_t size)
{
	char *c = *s;
	size_t n = 0;

	if (*c == '"') {
		for (c++; *c; c++) {
			if (*c == '"' && c[1] == '"')
				c++;
			else if (*c == '"')
				break;
			if (n + 1 < size)
				out[n++] = *c;
		}
		if (*c != '"')
			return false;
		c++;
	} else {
		for (; *c && *c != ','; c++)
			if (n + 1 < size)
				out[n++] = *c;
	}
	out[n] = '\0';
	if (*c == ',')
		c++;
	else if (*c)
		return false;
	*s = c;
	return true;
}

#define FG_CSV_FIELDS	7
/* Highest score a peer's export may claim: it is kept x100 in 32 bits. */
#define FG_CSV_SCORE_MAX	1e7

/* A score field: a plain non-negative number, nothing after it. */
static int parse_score(const char *s, uint32_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 ||
	    v > FG_CSV_SCORE_MAX)
		return -EINVAL;
	*out = (uint32_t)(v * 100);
	return 0;
}

static int parse_csv_line(struct parse *p, char *line)
{
	char f[FG_CSV_FIELDS][FG_DOMAIN_NAME_MAX + 1];
	struct fg_feed_entry e = { 0 };
	char *c = line;
	int i;

	if (!strcmp(line, FG_CSV_HEADER))
		return 0;
	for (i = 0; i < FG_CSV_FIELDS; i++) {
		if (!*c && i < FG_CSV_FIELDS - 1) {
			bad_line(p, "%s", "expected 7 fields: " FG_CSV_HEADER);
			return 0;
		}
		if (!csv_field(&c, f[i], sizeof(f[i]))) {
			bad_line(p, "%s", "bad quoting");
			return 0;
		}
	}
	if (f[6][0] && fg_feed_parse_time(f[6], &e.expires)) {
		bad_line(p, "bad expiry '%s'", f[6]);
		return 0;
	}
	if (f[4][0] && parse_score(f[4], &e.score)) {
		bad_line(p, "bad score '%s'", f[4]);
		return 0;
	}
	if (!strcmp(f[0], "domain")) {
		if (!fg_feed_host_name(f[1], e.name)) {
			bad_line(p, "'%s' is not a host name", f[1]);
			return 0;
		}
		e.kind = FG_FEED_NAME;
	} else if (!strcmp(f[0], "ipv4") || !strcmp(f[0], "ipv6")) {
		if (fg_cidr_parse(f[1], &e.cidr)) {
			bad_line(p, "'%s' is not an address or prefix", f[1]);
			return 0;
		}
		e.kind = FG_FEED_CIDR;
	} else {
		bad_line(p, "unknown type '%s' (domain, ipv4, ipv6)", f[0]);
		return 0;
	}
	return emit(p, &e);
}

/* Owner of an RPZ record relative to the zone, or NULL for the apex. */
static const char *rpz_relative(struct parse *p, char *owner)
{
	size_t n = strlen(owner), o = strlen(p->origin);

	if (!strcmp(owner, "@"))
		return NULL;
	if (n && owner[n - 1] == '.') {
		if (o && n > o && !strcasecmp(owner + n - o, p->origin) &&
		    owner[n - o - 1] == '.')
			owner[n - o - 1] = '\0';
		else if (o && !strcasecmp(owner, p->origin))
			return NULL;
		else
			owner[n - 1] = '\0';
	}
	return owner;
}

static bool rpz_blocking_action(const char *rdata)
{
	return !strcmp(rdata, ".") || !strcmp(rdata, "*.") ||
	       !strcasecmp(rdata, "rpz-drop.");
}

static int parse_rpz_line(struct parse *p, char *line)
{
	struct fg_feed_entry e = { 0 };
	char *tok[FG_FEED_TOKENS], *semi;
	const char *owner, *last;
	bool continued = isspace((unsigned char)*line);
	int n, i = 1;

	semi = strchr(line, ';');
	if (semi)
		*semi = '\0';
	if (p->in_parens) {
		p->in_parens = !strchr(line, ')');
		return 0;
	}
	if (strchr(line, '(') && !strchr(line, ')'))
		p->in_parens = true;
	n = split(line, tok);
	if (!n)
		return 0;
	if (!strcasecmp(tok[0], "$ORIGIN") && n >= 2) {
		snprintf(p->origin, sizeof(p->origin), "%s", tok[1]);
		return 0;
	}
	if (tok[0][0] == '$' || continued) {
		p->st->other++;
		return 0;
	}
	while (i < n && (isdigit((unsigned char)tok[i][0]) ||
			 !strcasecmp(tok[i], "IN")))
		i++;
	if (i + 1 >= n || strcasecmp(tok[i], "CNAME") ||
	    !rpz_blocking_action(tok[i + 1])) {
		p->st->other++;
		return 0;
	}
	owner = rpz_relative(p, tok[0]);
	if (!owner || !strncmp(owner, "*.", 2)) {
		p->st->other++;	/* apex, wildcard: names are exact here */
		return 0;
	}
	n = strlen(owner);
	if (n > 7 && !strcasecmp(owner + n - 7, ".rpz-ip")) {
		if (fg_rpz_ip_parse(owner, &e.cidr)) {
			bad_line(p, "'%s' is not an rpz-ip owner", owner);
			return 0;
		}
		e.kind = FG_FEED_CIDR;
		return emit(p, &e);
	}
	last = strrchr(owner, '.');
	if (rpz_trigger(last ? last + 1 : owner)) {
		p->st->other++;	/* client-ip, nsdname, nsip triggers */
		return 0;
	}
	if (!fg_feed_host_name(owner, e.name)) {
		bad_line(p, "'%s' is not a host name", owner);
		return 0;
	}
	e.kind = FG_FEED_NAME;
	return emit(p, &e);
}

/* "[domain-name:value = 'x']" and the ipv4-addr / ipv6-addr forms; any
 * other pattern (compound, other objects) is not ours to enforce.
 */
static int stix_pattern(const char *pat, struct fg_feed_entry *e)
{
	static const char *const types[] = {
		"domain-name", "ipv4-addr", "ipv6-addr",
	};
	char type[16], value[FG_DOMAIN_NAME_MAX + 1];
	int used = 0;

	if (sscanf(pat, " [ %15[a-z0-9-] : value = '%253[^']' ] %n", type,
		   value, &used) != 2 || pat[used])
		return -ENOENT;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(type, types[i]))
			continue;
		if (i == 0) {
			e->kind = FG_FEED_NAME;
			return fg_feed_host_name(value, e->name) ? 0 : -EINVAL;
		}
		e->kind = FG_FEED_CIDR;
		if (fg_cidr_parse(value, &e->cidr) ||
		    e->cidr.family != (i == 1 ? AF_INET : AF_INET6))
			return -EINVAL;
		return 0;
	}
	return -ENOENT;
}

static int parse_stix(struct parse *p)
{
	json_error_t jerr;
	json_t *root, *objs, *o;
	size_t i;
	int err = 0;

	root = json_load_file(p->path, 0, &jerr);
	if (!root) {
		p->line = jerr.line;
		bad_line(p, "not JSON: %s", jerr.text);
		return 0;
	}
	objs = json_object_get(root, "objects");
	if (!json_is_array(objs)) {
		p->line = 1;
		bad_line(p, "%s", "a STIX bundle needs an objects array");
	}
	json_array_foreach(objs, i, o) {
		struct fg_feed_entry e = { 0 };
		const char *pat, *until;
		json_t *conf;
		int r;

		p->st->lines++;
		p->line = (unsigned int)i + 1;	/* the object's index */
		if (strcmp(json_string_value(json_object_get(o, "type")) ?: "",
			   "indicator") ||
		    json_is_true(json_object_get(o, "revoked"))) {
			p->st->other++;
			continue;
		}
		pat = json_string_value(json_object_get(o, "pattern"));
		r = pat ? stix_pattern(pat, &e) : -ENOENT;
		if (r == -ENOENT) {
			p->st->other++;
			continue;
		}
		if (r) {
			bad_line(p, "bad indicator value in '%s'", pat);
			continue;
		}
		until = json_string_value(json_object_get(o, "valid_until"));
		if (until && fg_feed_parse_time(until, &e.expires)) {
			bad_line(p, "bad valid_until '%s'", until);
			continue;
		}
		conf = json_object_get(o, "confidence");
		if (json_is_integer(conf))
			e.score = (uint32_t)json_integer_value(conf) * 100;
		err = emit(p, &e);
		if (err)
			break;
	}
	json_decref(root);
	return err;
}

/* Looks at the first lines: a CSV header or zone file directives decide;
 * anything else is read as a list, line by line.
 */
static enum feed_format sniff(FILE *f)
{
	char buf[FG_FEED_LINE_MAX];
	enum feed_format fmt = FMT_LIST;
	enum fg_line_status ls;
	int lines = 0;

	while (lines++ < FG_FEED_SNIFF_LINES &&
	       (ls = fg_line_read(f, buf, sizeof(buf))) != FG_LINE_EOF) {
		char *s;

		if (ls == FG_LINE_ERROR)
			break;
		if (ls != FG_LINE_OK)
			continue;	/* the parse pass reports it */
		s = trim(buf);
		if (!*s || *s == '!' || *s == '#' || *s == ';')
			continue;
		if (*s == '{') {
			fmt = FMT_STIX;
			break;
		}
		if (!strcmp(s, FG_CSV_HEADER)) {
			fmt = FMT_CSV;
			break;
		}
		if (*s == '$' || strstr(s, " SOA ") || strstr(s, "\tSOA\t")) {
			fmt = FMT_RPZ;
			break;
		}
	}
	rewind(f);
	return fmt;
}

int fg_feed_parse_file(const char *path, fg_feed_entry_fn fn,
		       fg_feed_error_fn err_fn, void *ctx,
		       struct fg_feed_parse_stats *st)
{
	struct parse p = {
		.path = path, .fn = fn, .err_fn = err_fn, .ctx = ctx, .st = st,
	};
	char buf[FG_FEED_LINE_MAX];
	enum fg_line_status ls;
	enum feed_format fmt;
	FILE *f;
	int err = 0;

	f = fopen(path, "r");
	if (!f)
		return -errno;
	fmt = sniff(f);
	if (fmt == FMT_STIX) {
		fclose(f);
		return parse_stix(&p);
	}
	while (!err && (ls = fg_line_read(f, buf, sizeof(buf))) != FG_LINE_EOF) {
		char *s;

		if (ls == FG_LINE_ERROR)
			break;
		p.line++;
		st->lines++;
		if (ls == FG_LINE_LONG) {
			bad_line(&p, "%s", "line too long");
			continue;
		}
		if (ls == FG_LINE_NUL) {
			bad_line(&p, "%s", "NUL byte in the line");
			continue;
		}
		if (fmt == FMT_RPZ) {
			buf[strcspn(buf, "\r\n")] = '\0';
			err = parse_rpz_line(&p, buf);
			continue;
		}
		s = trim(buf);
		if (fmt == FMT_CSV)
			err = *s ? parse_csv_line(&p, s) : 0;
		else
			err = parse_list_line(&p, s);
	}
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	return err;
}

/* ---- the feed set ---- */

struct feed_file {
	char *path;
	struct timespec mtime;
	off_t size;
	bool seen;		/* stat'ed at the last load */
};

struct entry_vec {
	struct fg_feed_entry *v;
	size_t n, cap;
};

struct fg_feeds {
	const struct fg_maps *maps;
	struct fg_policy *policy;
	struct fg_clock clock;
	uint8_t reason;
	struct feed_file files[FG_FEED_FILES_MAX];
	unsigned int n_files;
	struct entry_vec cur;	/* installed, sorted by entry_cmp */
	struct fg_feed_stats st;
	unsigned int logged;	/* malformed lines logged this load */
};

static int entry_cmp(const void *a, const void *b)
{
	const struct fg_feed_entry *x = a, *y = b;

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

static int vec_push(struct entry_vec *v, const struct fg_feed_entry *e)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 1024;
		void *n = realloc(v->v, cap * sizeof(*v->v));

		if (!n)
			return -ENOMEM;
		v->v = n;
		v->cap = cap;
	}
	v->v[v->n++] = *e;
	return 0;
}

struct fg_feeds *fg_feeds_new(const struct fg_maps *maps,
			      struct fg_policy *policy,
			      const struct fg_clock *clock, uint8_t reason)
{
	struct fg_feeds *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->maps = maps;
	f->policy = policy;
	f->clock = *clock;
	f->reason = reason;
	return f;
}

void fg_feeds_free(struct fg_feeds *f)
{
	if (!f)
		return;
	for (unsigned int i = 0; i < f->n_files; i++)
		free(f->files[i].path);
	free(f->cur.v);
	free(f);
}

int fg_feeds_add_file(struct fg_feeds *f, const char *path)
{
	if (f->n_files >= FG_FEED_FILES_MAX)
		return -ENOSPC;
	f->files[f->n_files].path = strdup(path);
	if (!f->files[f->n_files].path)
		return -ENOMEM;
	f->n_files++;
	return 0;
}

const struct fg_feed_stats *fg_feeds_stats(const struct fg_feeds *f)
{
	return &f->st;
}

static void cidr_ends(const struct fg_cidr *c, struct fg_addr *first,
		      struct fg_addr *last)
{
	int bits = c->family == AF_INET ? 32 : 128;

	first->family = last->family = c->family;
	memcpy(first->bytes, c->bytes, 16);
	memcpy(last->bytes, c->bytes, 16);
	for (int b = c->len; b < bits; b++)
		last->bytes[b / 8] |= 0x80 >> (b % 8);
}

/* A prefix is refused when either end is: the policy's protected ranges
 * are aligned prefixes, so one inside the feed's prefix that covers
 * neither end still slips through. That case is stated in
 * docs/sharing.md; feeds list hosts and small prefixes in practice.
 */
static bool policy_refuses(struct fg_policy *pol, const struct fg_cidr *c)
{
	struct fg_addr first, last;

	if (!pol)
		return false;
	cidr_ends(c, &first, &last);
	return fg_policy_check(pol, &first, 0) != FG_POL_OK ||
	       (c->len < (c->family == AF_INET ? 32 : 128) &&
		fg_policy_check(pol, &last, 0) != FG_POL_OK);
}

static void fill_value(struct fg_block *v, const struct fg_clock *clock,
		       uint8_t reason, const struct fg_feed_entry *e,
		       double now)
{
	const char *label = e->name;

	memset(v, 0, sizeof(*v));
	v->created_ns = fg_clock_to_ns(clock, now);
	v->expires_ns = e->expires ? fg_clock_to_ns(clock, e->expires) : 0;
	v->reason = reason;
	v->score = e->score;
	if (e->kind == FG_FEED_CIDR)
		label = reason == FG_REASON_IMPORT ? "import" : "feed";
	snprintf(v->domain, sizeof(v->domain), "%.*s",
		 FG_BLOCK_LABEL_LEN - 1, label);
}

int fg_feed_install(const struct fg_maps *maps, struct fg_policy *policy,
		    const struct fg_clock *clock, uint8_t reason,
		    const struct fg_feed_entry *e, double now)
{
	struct fg_block old, v;
	bool exists;

	if (e->kind == FG_FEED_CIDR && policy_refuses(policy, &e->cidr))
		return -EPERM;
	fill_value(&v, clock, reason, e, now);
	exists = e->kind == FG_FEED_NAME ?
		 !fg_name_block_get(maps, e->name, &old) :
		 !fg_block_get(maps, &e->cidr, &old);
	if (exists) {
		/* An operator's block stays as it is. */
		if (old.reason == FG_REASON_MANUAL)
			return -EEXIST;
		v.packets = old.packets;
		v.bytes = old.bytes;
		v.created_ns = old.created_ns;
		if (old.score > v.score)
			v.score = old.score;
	}
	return e->kind == FG_FEED_NAME ? fg_name_block_put(maps, e->name, &v) :
	       fg_block_put(maps, &e->cidr, &v);
}

/* Removes an entry this set installed, unless someone replaced it. */
static void uninstall(struct fg_feeds *f, const struct fg_feed_entry *e)
{
	struct fg_block old;

	if (e->kind == FG_FEED_NAME) {
		if (!fg_name_block_get(f->maps, e->name, &old) &&
		    old.reason == f->reason)
			fg_name_block_del(f->maps, e->name);
	} else if (!fg_block_get(f->maps, &e->cidr, &old) &&
		   old.reason == f->reason) {
		fg_block_del(f->maps, &e->cidr);
	}
}

/* Brings a kept entry's expiry in line with the file; reinstalls it if
 * it went missing (unblocked by hand, or expired and then extended).
 */
static int refresh(struct fg_feeds *f, const struct fg_feed_entry *e,
		   double now)
{
	struct fg_block v;
	__u64 expires_ns;
	int err;

	if (e->kind == FG_FEED_NAME)
		err = fg_name_block_get(f->maps, e->name, &v);
	else
		err = fg_block_get(f->maps, &e->cidr, &v);
	if (err)
		return fg_feed_install(f->maps, f->policy, &f->clock,
				       f->reason, e, now);
	expires_ns = e->expires ? fg_clock_to_ns(&f->clock, e->expires) : 0;
	if (v.reason != f->reason || v.expires_ns == expires_ns)
		return 0;
	v.expires_ns = expires_ns;
	if (e->kind == FG_FEED_NAME)
		return fg_name_block_put(f->maps, e->name, &v);
	return fg_block_put(f->maps, &e->cidr, &v);
}

struct collect {
	struct fg_feeds *f;
	struct entry_vec *vec;
	double now;
	uint8_t source;
};

static int collect_entry(const struct fg_feed_entry *e, void *ctx)
{
	struct collect *c = ctx;
	struct fg_feed_entry copy = *e;

	if (e->expires && e->expires <= c->now) {
		c->f->st.expired++;
		return 0;
	}
	if (c->vec->n >= FG_FEED_ENTRIES_MAX) {
		c->f->st.over_capacity++;
		return 0;
	}
	copy.source = c->source;
	return vec_push(c->vec, &copy);
}

static void log_malformed(const char *msg, void *ctx)
{
	struct collect *c = ctx;

	if (c->f->logged++ < FG_FEED_ERRORS_LOGGED)
		pr_warn("%s\n", msg);
}

/* Sorted, one entry per key; a later duplicate's longer life wins. */
static void dedupe(struct entry_vec *v)
{
	size_t i, o = 0;

	if (!v->n)
		return;		/* v->v may be NULL, which qsort must not get */
	qsort(v->v, v->n, sizeof(*v->v), entry_cmp);
	for (i = 0; i < v->n; i++) {
		if (o && !entry_cmp(&v->v[o - 1], &v->v[i])) {
			struct fg_feed_entry *k = &v->v[o - 1];

			if (!k->expires || !v->v[i].expires)
				k->expires = 0;
			else if (v->v[i].expires > k->expires)
				k->expires = v->v[i].expires;
			continue;
		}
		v->v[o++] = v->v[i];
	}
	v->n = o;
}

static int read_files(struct fg_feeds *f, struct entry_vec *next, double now)
{
	struct collect c = { .f = f, .vec = next, .now = now };
	size_t i;
	int err;

	for (unsigned int k = 0; k < f->n_files; k++) {
		struct feed_file *ff = &f->files[k];
		struct fg_feed_parse_stats ps = { 0 };
		struct stat sb;

		ff->seen = !stat(ff->path, &sb);
		if (ff->seen) {
			ff->mtime = sb.st_mtim;
			ff->size = sb.st_size;
		}
		f->logged = 0;
		c.source = (uint8_t)k;
		err = fg_feed_parse_file(ff->path, collect_entry, log_malformed,
					 &c, &ps);
		f->st.malformed += ps.malformed;
		f->st.url_rules += ps.url_rules;
		if (err == -ENOMEM)
			return err;
		if (err) {
			/* Keep what this file had: a feed being rewritten
			 * or briefly missing must not unblock everything.
			 */
			pr_warn("feed %s: %s; keeping its previous entries\n",
				ff->path, strerror(-err));
			for (i = 0; i < f->cur.n; i++)
				if (f->cur.v[i].source == k &&
				    vec_push(next, &f->cur.v[i]))
					return -ENOMEM;
			continue;
		}
		if (f->logged > FG_FEED_ERRORS_LOGGED)
			pr_warn("feed %s: %u more malformed lines not shown\n",
				ff->path, f->logged - FG_FEED_ERRORS_LOGGED);
		pr_info("feed %s: %llu entries, %llu malformed, %llu URL "
			"rules skipped\n", ff->path,
			(unsigned long long)ps.entries,
			(unsigned long long)ps.malformed,
			(unsigned long long)ps.url_rules);
	}
	dedupe(next);
	return 0;
}

static void count_kinds(struct fg_feeds *f)
{
	f->st.names = f->st.cidrs = 0;
	for (size_t i = 0; i < f->cur.n; i++) {
		if (f->cur.v[i].kind == FG_FEED_NAME)
			f->st.names++;
		else
			f->st.cidrs++;
	}
}

/* Adds e to kept if it is (now) in the maps. */
static int keep_or_count(struct fg_feeds *f, struct entry_vec *kept,
			 const struct fg_feed_entry *e, int err)
{
	if (!err)
		return vec_push(kept, e);
	if (err == -EPERM)
		f->st.refused_policy++;
	else if (err != -EEXIST)
		f->st.map_errors++;
	return 0;
}

int fg_feeds_load(struct fg_feeds *f, double now)
{
	struct entry_vec next = { 0 }, kept = { 0 };
	size_t i = 0, j = 0;
	int err;

	err = read_files(f, &next, now);
	if (err)
		goto out;
	/* Merge walk over two sorted sets. */
	while (!err && (i < f->cur.n || j < next.n)) {
		int c = i == f->cur.n ? 1 : j == next.n ? -1 :
			entry_cmp(&f->cur.v[i], &next.v[j]);

		if (c < 0) {
			uninstall(f, &f->cur.v[i++]);
			f->st.removed++;
		} else if (c > 0) {
			int r = fg_feed_install(f->maps, f->policy, &f->clock,
						f->reason, &next.v[j], now);

			if (!r)
				f->st.added++;
			err = keep_or_count(f, &kept, &next.v[j++], r);
		} else {
			err = keep_or_count(f, &kept, &next.v[j],
					    refresh(f, &next.v[j], now));
			i++;
			j++;
		}
	}
	if (err)
		goto out;
	free(f->cur.v);
	f->cur = kept;
	kept.v = NULL;
	count_kinds(f);
	fg_names_sync_count(f->maps);
	f->st.loads++;
out:
	free(kept.v);
	free(next.v);
	return err;
}

bool fg_feeds_changed(struct fg_feeds *f)
{
	for (unsigned int k = 0; k < f->n_files; k++) {
		struct feed_file *ff = &f->files[k];
		struct stat sb;
		bool seen = !stat(ff->path, &sb);

		if (seen != ff->seen)
			return true;
		if (seen && (sb.st_mtim.tv_sec != ff->mtime.tv_sec ||
			     sb.st_mtim.tv_nsec != ff->mtime.tv_nsec ||
			     sb.st_size != ff->size))
			return true;
	}
	return false;
}

void fg_feeds_tick(struct fg_feeds *f, double now)
{
	size_t i, o = 0;
	bool names = false;

	for (i = 0; i < f->cur.n; i++) {
		struct fg_feed_entry *e = &f->cur.v[i];

		if (e->expires && e->expires <= now) {
			uninstall(f, e);
			names |= e->kind == FG_FEED_NAME;
			f->st.expired++;
			continue;
		}
		f->cur.v[o++] = *e;
	}
	if (o == f->cur.n)
		return;
	f->cur.n = o;
	count_kinds(f);
	if (names)
		fg_names_sync_count(f->maps);
}

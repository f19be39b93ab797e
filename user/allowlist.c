/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Allowlist storage and matching. Names are kept in sorted arrays and a
 * name is matched by looking up each of its label suffixes, so the cost
 * is a few binary searches whatever the list size.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowlist.h"
#include "lines.h"

/* Longest presentation name accepted (RFC 1035: 253 characters). */
#define FG_ALLOW_NAME_MAX	253
/* First allocation of an entry array; it doubles from there. */
#define FG_ALLOW_INITIAL	64
/* Longest line in an allowlist file. */
#define FG_ALLOW_LINE_MAX	1024

struct name_set {
	char **v;
	size_t n, cap;
};

struct fg_allowlist {
	struct name_set names[2];	/* FG_ALLOW_DOMAIN, FG_ALLOW_CNAME */
	uint32_t *asns;
	size_t n_asns, cap_asns;
	struct fg_cidr *cidrs;
	size_t n_cidrs, cap_cidrs;
};

struct fg_allowlist *fg_allowlist_new(void)
{
	return calloc(1, sizeof(struct fg_allowlist));
}

static void names_free(struct name_set *s, size_t from)
{
	for (size_t i = from; i < s->n; i++)
		free(s->v[i]);
	s->n = from;
}

void fg_allowlist_free(struct fg_allowlist *al)
{
	if (!al)
		return;
	for (int k = 0; k < 2; k++) {
		names_free(&al->names[k], 0);
		free(al->names[k].v);
	}
	free(al->asns);
	free(al->cidrs);
	free(al);
}

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : FG_ALLOW_INITIAL;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Lowercase, drop one trailing dot, refuse empty labels and blanks. */
static int normalise_name(const char *in, char *out)
{
	size_t len = strlen(in);

	if (len && in[len - 1] == '.')
		len--;
	if (!len || len > FG_ALLOW_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c <= ' ' || c >= 0x7f)
			return -EINVAL;
		if (c == '.' && (i == 0 || in[i - 1] == '.'))
			return -EINVAL;
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	return 0;
}

static int add_name(struct name_set *s, const char *value)
{
	char name[FG_ALLOW_NAME_MAX + 1];
	char *dup;

	if (normalise_name(value, name))
		return -EINVAL;
	if (grow((void **)&s->v, &s->cap, s->n, sizeof(*s->v)))
		return -ENOMEM;
	dup = strdup(name);
	if (!dup)
		return -ENOMEM;
	s->v[s->n++] = dup;
	return 0;
}

static int parse_asn(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!strncasecmp(s, "AS", 2))
		s += 2;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void sort_all(struct fg_allowlist *al)
{
	for (int k = 0; k < 2; k++)
		if (al->names[k].n)
			qsort(al->names[k].v, al->names[k].n, sizeof(char *),
			      cmp_str);
	if (al->n_asns)
		qsort(al->asns, al->n_asns, sizeof(*al->asns), cmp_u32);
}

static int add_entry(struct fg_allowlist *al, enum fg_allow_kind kind,
		     const char *value)
{
	uint32_t asn;

	switch (kind) {
	case FG_ALLOW_DOMAIN:
	case FG_ALLOW_CNAME:
		return add_name(&al->names[kind], value);
	case FG_ALLOW_ASN:
		if (parse_asn(value, &asn))
			return -EINVAL;
		if (grow((void **)&al->asns, &al->cap_asns, al->n_asns,
			 sizeof(*al->asns)))
			return -ENOMEM;
		al->asns[al->n_asns++] = asn;
		return 0;
	case FG_ALLOW_CIDR:
		if (grow((void **)&al->cidrs, &al->cap_cidrs, al->n_cidrs,
			 sizeof(*al->cidrs)))
			return -ENOMEM;
		if (fg_cidr_parse(value, &al->cidrs[al->n_cidrs]))
			return -EINVAL;
		al->n_cidrs++;
		return 0;
	default:
		return -EINVAL;
	}
}

int fg_allowlist_add(struct fg_allowlist *al, enum fg_allow_kind kind,
		     const char *value)
{
	int err = add_entry(al, kind, value);

	if (!err)
		sort_all(al);
	return err;
}

static const char *const kind_names[FG_ALLOW_KINDS] = {
	[FG_ALLOW_DOMAIN] = "domain",
	[FG_ALLOW_CNAME] = "cname",
	[FG_ALLOW_ASN] = "asn",
	[FG_ALLOW_CIDR] = "cidr",
};

static int parse_kind(const char *s, enum fg_allow_kind *out)
{
	for (int k = 0; k < FG_ALLOW_KINDS; k++) {
		if (!strcmp(s, kind_names[k])) {
			*out = (enum fg_allow_kind)k;
			return 0;
		}
	}
	return -EINVAL;
}

static int line_error(char *err, size_t errlen, const char *file,
		      unsigned int line, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = (size_t)snprintf(err, errlen, "%s:%u: ", file, line);
	if (n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int parse_file_line(struct fg_allowlist *al, char *buf,
			   const char *path, unsigned int line,
			   char *err, size_t errlen)
{
	char *hash, *kind, *value, *extra, *save = NULL;
	enum fg_allow_kind k;
	int ret;

	hash = strchr(buf, '#');
	if (hash)
		*hash = '\0';
	kind = strtok_r(buf, " \t\r\n", &save);
	if (!kind)
		return 0;
	value = strtok_r(NULL, " \t\r\n", &save);
	extra = strtok_r(NULL, " \t\r\n", &save);
	if (parse_kind(kind, &k))
		return line_error(err, errlen, path, line,
				  "unknown kind '%s' (domain, cname, asn, cidr)",
				  kind);
	if (!value)
		return line_error(err, errlen, path, line, "%s: missing value",
				  kind);
	if (extra)
		return line_error(err, errlen, path, line,
				  "unexpected '%s' after the value", extra);
	ret = add_entry(al, k, value);
	if (ret == -ENOMEM)
		return line_error(err, errlen, path, line, "out of memory");
	if (ret)
		return line_error(err, errlen, path, line,
				  "%s: '%s' is not valid", kind, value);
	return 0;
}

int fg_allowlist_load(struct fg_allowlist *al, const char *path,
		      char *err, size_t errlen)
{
	size_t n_names[2] = { al->names[0].n, al->names[1].n };
	size_t n_asns = al->n_asns, n_cidrs = al->n_cidrs;
	char buf[FG_ALLOW_LINE_MAX];
	enum fg_line_status st;
	unsigned int line = 0;
	int ret = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s:0: %s", path, strerror(errno));
		return ret;
	}
	while (!ret && (st = fg_line_read(f, buf, sizeof(buf))) != FG_LINE_EOF) {
		line++;
		if (st == FG_LINE_LONG)
			ret = line_error(err, errlen, path, line,
					 "line longer than %d bytes",
					 FG_ALLOW_LINE_MAX - 2);
		else if (st == FG_LINE_NUL)
			ret = line_error(err, errlen, path, line,
					 "NUL byte (is this a text file?)");
		else if (st == FG_LINE_ERROR)
			ret = line_error(err, errlen, path, line, "read error");
		else
			ret = parse_file_line(al, buf, path, line, err, errlen);
	}
	fclose(f);
	if (ret) {
		for (int k = 0; k < 2; k++)
			names_free(&al->names[k], n_names[k]);
		al->n_asns = n_asns;
		al->n_cidrs = n_cidrs;
	}
	sort_all(al);
	return ret;
}

static bool names_match(const struct name_set *s, const char *name)
{
	const char *p = name;

	if (!s->n)
		return false;
	for (;;) {
		if (bsearch(&p, s->v, s->n, sizeof(char *), cmp_str))
			return true;
		p = strchr(p, '.');
		if (!p)
			return false;
		p++;
	}
}

bool fg_allowlist_domain(const struct fg_allowlist *al, const char *name)
{
	return al && names_match(&al->names[FG_ALLOW_DOMAIN], name);
}

bool fg_allowlist_cname(const struct fg_allowlist *al, const char *name)
{
	return al && names_match(&al->names[FG_ALLOW_CNAME], name);
}

bool fg_allowlist_asn(const struct fg_allowlist *al, uint32_t asn)
{
	return al && asn && al->n_asns &&
	       bsearch(&asn, al->asns, al->n_asns, sizeof(*al->asns), cmp_u32);
}

/* Linear: CIDR entries are few (dozens) and only consulted when an
 * address is new to a domain or about to be blocked.
 */
bool fg_allowlist_addr(const struct fg_allowlist *al, const struct fg_addr *a)
{
	if (!al)
		return false;
	for (size_t i = 0; i < al->n_cidrs; i++)
		if (fg_cidr_contains(&al->cidrs[i], a))
			return true;
	return false;
}

size_t fg_allowlist_count(const struct fg_allowlist *al,
			  enum fg_allow_kind kind)
{
	if (!al)
		return 0;
	switch (kind) {
	case FG_ALLOW_DOMAIN:
	case FG_ALLOW_CNAME:
		return al->names[kind].n;
	case FG_ALLOW_ASN:
		return al->n_asns;
	case FG_ALLOW_CIDR:
		return al->n_cidrs;
	default:
		return 0;
	}
}

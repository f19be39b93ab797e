/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* IP-to-ASN lookups from CSV range files. A file is read whole, parsed
 * with a hand-written IPv4 parser (inet_pton for IPv6) into flat sorted
 * arrays, and IPv4 gets a /16 index so a lookup is a short binary search
 * over a few rows instead of the whole table.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <maxminddb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "asn.h"

/* Largest file accepted: the public database is 24 MB; a file far larger
 * is a mistake, not a database.
 */
#define FG_ASN_FILE_MAX		(512u << 20)
/* Text of one address field, with room for an IPv6 address. */
#define FG_ASN_FIELD_MAX	64
/* Buckets of the IPv4 index: one per /16. */
#define FG_ASN_V4_BUCKETS	65536

struct v4_range {
	uint32_t start, end, asn;
};

struct u128 {
	uint64_t hi, lo;
};

struct v6_range {
	struct u128 start, end;
	uint32_t asn;
};

struct fg_asn_db {
	struct v4_range *v4;
	size_t n4;
	struct v6_range *v6;
	size_t n6;
	/* idx[b] = first row whose start is >= b << 16 */
	uint32_t *idx;
};

struct csv_ctx {
	const char *file;
	size_t line;
	char *err;
	size_t errlen;
};

static int csv_error(struct csv_ctx *c, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = (size_t)snprintf(c->err, c->errlen, "%s:%zu: ", c->file, c->line);
	if (n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int parse_v4(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		uint32_t octet = 0;
		size_t digits = 0;

		while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 3) {
			octet = octet * 10 + (uint32_t)(s[i] - '0');
			i++;
			digits++;
		}
		if (!digits || octet > 255)
			return -EINVAL;
		v = v << 8 | octet;
		if (part < 3) {
			if (i >= len || s[i] != '.')
				return -EINVAL;
			i++;
		}
	}
	if (i != len)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_v6(const char *s, size_t len, struct u128 *out)
{
	char buf[FG_ASN_FIELD_MAX];
	uint8_t b[16];

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, b) != 1)
		return -EINVAL;
	out->hi = out->lo = 0;
	for (int i = 0; i < 8; i++) {
		out->hi = out->hi << 8 | b[i];
		out->lo = out->lo << 8 | b[i + 8];
	}
	return 0;
}

static int parse_asn(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;

	if (!len || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* The org field is not kept, but it is checked: an unterminated quote
 * means the file is damaged.
 */
static bool org_ok(const char *s, size_t len)
{
	size_t i;

	if (!len || s[0] != '"')
		return memchr(s, '"', len) == NULL;
	for (i = 1; i < len; i++) {
		if (s[i] != '"')
			continue;
		if (i + 1 < len && s[i + 1] == '"') {
			i++;
			continue;
		}
		return i + 1 == len;
	}
	return false;
}

/* Split "a,b,c,org" into the three leading fields and the rest. */
static int split_row(const char *s, size_t len, const char *f[4],
		     size_t flen[4])
{
	size_t start = 0;

	for (int k = 0; k < 3; k++) {
		const char *comma = memchr(s + start, ',', len - start);

		if (!comma)
			return -EINVAL;
		f[k] = s + start;
		flen[k] = (size_t)(comma - f[k]);
		start += flen[k] + 1;
	}
	f[3] = s + start;
	flen[3] = len - start;
	return 0;
}

static int read_file(struct csv_ctx *c, const char *path, char **buf,
		     size_t *len)
{
	struct stat st;
	FILE *f;
	int err = 0;

	f = fopen(path, "rb");
	if (!f) {
		err = -errno;
		csv_error(c, "%s", strerror(errno));
		return err;
	}
	if (fstat(fileno(f), &st) || st.st_size < 0 ||
	    (uint64_t)st.st_size > FG_ASN_FILE_MAX) {
		err = csv_error(c, "not a regular file or larger than %u bytes",
				FG_ASN_FILE_MAX);
		goto out;
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len + 1);
	if (!*buf) {
		err = -ENOMEM;
		csv_error(c, "out of memory");
		goto out;
	}
	if (fread(*buf, 1, *len, f) != *len) {
		free(*buf);
		*buf = NULL;
		err = csv_error(c, "short read");
		goto out;
	}
	(*buf)[*len] = '\0';
out:
	fclose(f);
	return err;
}

/* Count lines to size the array in one allocation. */
static size_t count_lines(const char *buf, size_t len)
{
	size_t n = 1;

	for (const char *p = buf; (p = memchr(p, '\n', len - (size_t)(p - buf)));
	     p++)
		n++;
	return n;
}

static int cmp_v4(const void *a, const void *b)
{
	const struct v4_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_u128(const struct u128 *x, const struct u128 *y)
{
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_v6(const void *a, const void *b)
{
	const struct v6_range *x = a, *y = b;

	return cmp_u128(&x->start, &y->start);
}

/* Walk the lines of buf, calling row() on each non-blank one. */
typedef int (*row_fn)(struct csv_ctx *c, const char *f[4], size_t flen[4],
		      void *arr, size_t *n);

static int parse_rows(struct csv_ctx *c, const char *buf, size_t len,
		      row_fn row, void *arr, size_t *n)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *f[4];
		size_t flen[4];
		int err;

		c->line++;
		if (l && p[l - 1] == '\r')
			l--;
		if (l) {
			if (split_row(p, l, f, flen))
				return csv_error(c, "expected start,end,asn,org");
			if (!org_ok(f[3], flen[3]))
				return csv_error(c, "badly quoted org field");
			err = row(c, f, flen, arr, n);
			if (err)
				return err;
		}
		p = next;
	}
	return 0;
}

static int row_v4(struct csv_ctx *c, const char *f[4], size_t flen[4],
		  void *arr, size_t *n)
{
	struct v4_range *r = (struct v4_range *)arr + *n;

	if (parse_v4(f[0], flen[0], &r->start) ||
	    parse_v4(f[1], flen[1], &r->end))
		return csv_error(c, "bad IPv4 address");
	if (r->start > r->end)
		return csv_error(c, "range start after its end");
	if (parse_asn(f[2], flen[2], &r->asn))
		return csv_error(c, "bad ASN");
	(*n)++;
	return 0;
}

static int row_v6(struct csv_ctx *c, const char *f[4], size_t flen[4],
		  void *arr, size_t *n)
{
	struct v6_range *r = (struct v6_range *)arr + *n;

	if (parse_v6(f[0], flen[0], &r->start) ||
	    parse_v6(f[1], flen[1], &r->end))
		return csv_error(c, "bad IPv6 address");
	if (cmp_u128(&r->start, &r->end) > 0)
		return csv_error(c, "range start after its end");
	if (parse_asn(f[2], flen[2], &r->asn))
		return csv_error(c, "bad ASN");
	(*n)++;
	return 0;
}

static int load_family(const char *path, bool v6, struct fg_asn_db *db,
		       char *err, size_t errlen)
{
	struct csv_ctx c = { .file = path, .err = err, .errlen = errlen };
	size_t len = 0, rows, n = 0, size;
	char *buf = NULL;
	void *arr;
	int ret;

	ret = read_file(&c, path, &buf, &len);
	if (ret)
		return ret;
	rows = count_lines(buf, len);
	size = v6 ? sizeof(struct v6_range) : sizeof(struct v4_range);
	arr = calloc(rows, size);
	if (!arr) {
		ret = -ENOMEM;
		csv_error(&c, "out of memory");
		goto out;
	}
	ret = parse_rows(&c, buf, len, v6 ? row_v6 : row_v4, arr, &n);
	if (ret) {
		free(arr);
		goto out;
	}
	if (v6) {
		db->v6 = arr;
		db->n6 = n;
	} else {
		db->v4 = arr;
		db->n4 = n;
	}
out:
	free(buf);
	return ret;
}

static bool sorted_v4(const struct fg_asn_db *db)
{
	for (size_t i = 1; i < db->n4; i++)
		if (db->v4[i].start < db->v4[i - 1].start)
			return false;
	return true;
}

static bool sorted_v6(const struct fg_asn_db *db)
{
	for (size_t i = 1; i < db->n6; i++)
		if (cmp_u128(&db->v6[i].start, &db->v6[i - 1].start) < 0)
			return false;
	return true;
}

static int build_index(struct fg_asn_db *db)
{
	size_t row = 0;

	db->idx = malloc((FG_ASN_V4_BUCKETS + 1) * sizeof(*db->idx));
	if (!db->idx)
		return -ENOMEM;
	for (uint32_t b = 0; b < FG_ASN_V4_BUCKETS; b++) {
		while (row < db->n4 && db->v4[row].start < (b << 16))
			row++;
		db->idx[b] = (uint32_t)row;
	}
	db->idx[FG_ASN_V4_BUCKETS] = (uint32_t)db->n4;
	return 0;
}

int fg_asn_db_load_files(const char *v4, const char *v6,
			 struct fg_asn_db **out, char *err, size_t errlen)
{
	struct fg_asn_db *db;
	int ret = 0;

	db = calloc(1, sizeof(*db));
	if (!db) {
		snprintf(err, errlen, "%s:0: out of memory", v4 ? v4 : "-");
		return -ENOMEM;
	}
	if (v4)
		ret = load_family(v4, false, db, err, errlen);
	if (!ret && v6)
		ret = load_family(v6, true, db, err, errlen);
	if (ret)
		goto fail;
	if (!sorted_v4(db))
		qsort(db->v4, db->n4, sizeof(*db->v4), cmp_v4);
	if (!sorted_v6(db))
		qsort(db->v6, db->n6, sizeof(*db->v6), cmp_v6);
	if (db->n4 > UINT32_MAX) {
		ret = -E2BIG;
		snprintf(err, errlen, "%s:0: too many rows", v4);
		goto fail;
	}
	ret = build_index(db);
	if (ret) {
		snprintf(err, errlen, "%s:0: out of memory", v4 ? v4 : "-");
		goto fail;
	}
	*out = db;
	return 0;
fail:
	fg_asn_db_free(db);
	return ret;
}

int fg_asn_db_load(const char *dir, struct fg_asn_db **out,
		   char *err, size_t errlen)
{
	char v4[4096], v6[4096];

	if ((size_t)snprintf(v4, sizeof(v4), "%s/%s", dir, FG_ASN_FILE_V4) >=
	    sizeof(v4) ||
	    (size_t)snprintf(v6, sizeof(v6), "%s/%s", dir, FG_ASN_FILE_V6) >=
	    sizeof(v6)) {
		snprintf(err, errlen, "%.200s:0: path too long", dir);
		return -ENAMETOOLONG;
	}
	return fg_asn_db_load_files(v4, v6, out, err, errlen);
}

void fg_asn_db_free(struct fg_asn_db *db)
{
	if (!db)
		return;
	free(db->v4);
	free(db->v6);
	free(db->idx);
	free(db);
}

size_t fg_asn_db_ranges(const struct fg_asn_db *db, int family)
{
	if (!db)
		return 0;
	return family == AF_INET ? db->n4 : db->n6;
}

/* Rows [lo, hi) can hold the answer, plus the row before lo, which may
 * start in an earlier /16 and reach into this one. Ranges are assumed
 * not to overlap; with nested ranges only the last-starting one counts.
 */
static uint32_t lookup_v4(const struct fg_asn_db *db, uint32_t a)
{
	size_t lo = db->idx[a >> 16], hi = db->idx[(a >> 16) + 1];
	size_t l = lo, h = hi;

	while (l < h) {
		size_t m = l + (h - l) / 2;

		if (db->v4[m].start <= a)
			l = m + 1;
		else
			h = m;
	}
	if (!l)
		return 0;
	return a <= db->v4[l - 1].end ? db->v4[l - 1].asn : 0;
}

static uint32_t lookup_v6(const struct fg_asn_db *db, const struct u128 *a)
{
	size_t l = 0, h = db->n6;

	while (l < h) {
		size_t m = l + (h - l) / 2;

		if (cmp_u128(&db->v6[m].start, a) <= 0)
			l = m + 1;
		else
			h = m;
	}
	if (!l)
		return 0;
	return cmp_u128(a, &db->v6[l - 1].end) <= 0 ? db->v6[l - 1].asn : 0;
}

uint32_t fg_asn_lookup(const struct fg_asn_db *db, const struct fg_addr *a)
{
	struct u128 v = { 0, 0 };

	if (!db)
		return 0;
	if (a->family == AF_INET)
		return lookup_v4(db, (uint32_t)a->bytes[0] << 24 |
				 (uint32_t)a->bytes[1] << 16 |
				 (uint32_t)a->bytes[2] << 8 | a->bytes[3]);
	if (!db->n6)
		return 0;
	for (int i = 0; i < 8; i++) {
		v.hi = v.hi << 8 | a->bytes[i];
		v.lo = v.lo << 8 | a->bytes[i + 8];
	}
	return lookup_v6(db, &v);
}

struct fg_geo_db {
	MMDB_s mmdb;
};

int fg_geo_open(const char *path, struct fg_geo_db **out,
		char *err, size_t errlen)
{
	struct fg_geo_db *g;
	int st;

	g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "%s:0: out of memory", path);
		return -ENOMEM;
	}
	st = MMDB_open(path, MMDB_MODE_MMAP, &g->mmdb);
	if (st != MMDB_SUCCESS) {
		snprintf(err, errlen, "%s:0: %s", path, MMDB_strerror(st));
		free(g);
		return st == MMDB_FILE_OPEN_ERROR ? -ENOENT : -EINVAL;
	}
	*out = g;
	return 0;
}

void fg_geo_close(struct fg_geo_db *g)
{
	if (!g)
		return;
	MMDB_close(&g->mmdb);
	free(g);
}

uint16_t fg_geo_country(struct fg_geo_db *g, const struct fg_addr *a)
{
	struct sockaddr_storage ss = { 0 };
	MMDB_lookup_result_s res;
	MMDB_entry_data_s data;
	int st;

	if (!g)
		return 0;
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->bytes, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->bytes, 16);
	}
	res = MMDB_lookup_sockaddr(&g->mmdb, (struct sockaddr *)&ss, &st);
	if (st != MMDB_SUCCESS || !res.found_entry)
		return 0;
	if (MMDB_get_value(&res.entry, &data, "country", "iso_code", NULL) !=
	    MMDB_SUCCESS || !data.has_data ||
	    data.type != MMDB_DATA_TYPE_UTF8_STRING || data.data_size != 2)
		return 0;
	return (uint16_t)((uint8_t)data.utf8_string[0] << 8 |
			  (uint8_t)data.utf8_string[1]);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The three export formats (STIX 2.1 bundle, Response Policy Zone, CSV)
 * and their helpers: RFC 3339 times, version 5 UUIDs over a small SHA-1,
 * and the rpz-ip owner encoding of addresses and prefixes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <arpa/inet.h>
#include <jansson.h>

#include "events.h"
#include "export.h"
#include "feeds.h"

/* fluxguard's UUID namespace, drawn at random once: ids stay stable
 * across exports and machines, so a peer sees the same indicator again.
 */
static const uint8_t fg_uuid_ns[16] = {
	0x6b, 0x1f, 0x3c, 0x52, 0x0e, 0x8d, 0x4a, 0x27,
	0x9f, 0x31, 0x5d, 0xc4, 0x72, 0xa0, 0x18, 0xe6,
};
/* SOA timers of the exported zone: a resolver re-reads a file zone on
 * reload anyway; these only matter when the zone is transferred.
 */
#define FG_RPZ_TTL		300
#define FG_RPZ_REFRESH		3600
#define FG_RPZ_RETRY		600
#define FG_RPZ_EXPIRE		86400

/* ---- SHA-1 (FIPS 180-4), only for name-based UUIDs ---- */

struct sha1 {
	uint32_t h[5];
	uint8_t buf[64];
	uint64_t len;
};

static uint32_t rol(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static void sha1_block(struct sha1 *s, const uint8_t *p)
{
	uint32_t w[80], a, b, c, d, e, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | p[4 * i + 1] << 16 |
		       p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
	for (i = 0; i < 80; i++) {
		uint32_t f, k;

		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e;
}

static void sha1_init(struct sha1 *s)
{
	static const uint32_t h0[5] = {
		0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0,
	};

	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
}

static void sha1_update(struct sha1 *s, const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n--) {
		s->buf[s->len++ % 64] = *p++;
		if (!(s->len % 64))
			sha1_block(s, s->buf);
	}
}

static void sha1_final(struct sha1 *s, uint8_t out[20])
{
	uint64_t bits = s->len * 8;
	uint8_t one = 0x80, zero = 0, len[8];

	sha1_update(s, &one, 1);
	while (s->len % 64 != 56)
		sha1_update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_update(s, len, 8);
	for (int i = 0; i < 20; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

const char *fg_uuid5(const char *text, char *buf, size_t size)
{
	uint8_t d[20];
	struct sha1 s;

	sha1_init(&s);
	sha1_update(&s, fg_uuid_ns, sizeof(fg_uuid_ns));
	sha1_update(&s, text, strlen(text));
	sha1_final(&s, d);
	d[6] = (d[6] & 0x0f) | 0x50;	/* version 5 */
	d[8] = (d[8] & 0x3f) | 0x80;	/* RFC variant */
	snprintf(buf, size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", d[0], d[1], d[2], d[3], d[4],
		 d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13],
		 d[14], d[15]);
	return buf;
}

const char *fg_rfc3339(double epoch, char *buf, size_t size)
{
	time_t t = (time_t)floor(epoch);
	int ms = (int)((epoch - floor(epoch)) * 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ms);
	return buf;
}

/* ---- rpz-ip owners ---- */

const char *fg_rpz_ip_owner(const struct fg_cidr *c, char *buf, size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "%u", c->len);
	int zs = -1, zl = 0, i;
	uint16_t w[8];

	if (c->family == AF_INET) {
		snprintf(buf + n, size - n, ".%u.%u.%u.%u.rpz-ip", c->bytes[3],
			 c->bytes[2], c->bytes[1], c->bytes[0]);
		return buf;
	}
	/* Words from last to first; the longest run of zero words (two or
	 * more) becomes "zz", as "::" does in the usual notation.
	 */
	for (i = 0; i < 8; i++)
		w[i] = (uint16_t)(c->bytes[14 - 2 * i] << 8 |
				  c->bytes[15 - 2 * i]);
	for (i = 0; i < 8;) {
		int j = i;

		while (j < 8 && !w[j])
			j++;
		if (j - i > zl && j - i >= 2)
			zs = i, zl = j - i;
		i = j == i ? i + 1 : j;
	}
	for (i = 0; i < 8 && n < size; i++) {
		if (i == zs) {
			n += (size_t)snprintf(buf + n, size - n, ".zz");
			i += zl - 1;
			continue;
		}
		n += (size_t)snprintf(buf + n, size - n, ".%x", w[i]);
	}
	if (n < size)
		snprintf(buf + n, size - n, ".rpz-ip");
	return buf;
}

#define FG_RPZ_LABELS	10	/* length, eight words, "rpz-ip" */

int fg_rpz_ip_parse(const char *owner, struct fg_cidr *out)
{
	char copy[FG_RPZ_IP_MAX], *lab[FG_RPZ_LABELS + 1], *save = NULL;
	char text[INET6_ADDRSTRLEN + 8];
	int n = 0, zz = -1, i, words;
	uint16_t w[8] = { 0 };
	unsigned long len;
	char *end;

	if (strlen(owner) >= sizeof(copy))
		return -EINVAL;
	strcpy(copy, owner);
	for (char *t = strtok_r(copy, ".", &save); t;
	     t = strtok_r(NULL, ".", &save)) {
		if (n == FG_RPZ_LABELS + 1)
			return -EINVAL;
		lab[n++] = t;
	}
	if (n < 3 || strcasecmp(lab[n - 1], "rpz-ip"))
		return -EINVAL;
	n--;
	len = strtoul(lab[0], &end, 10);
	if (*end || end == lab[0])
		return -EINVAL;
	if (n == 5 && len <= 32) {
		snprintf(text, sizeof(text), "%s.%s.%s.%s/%lu", lab[4], lab[3],
			 lab[2], lab[1], len);
		return fg_cidr_parse(text, out);
	}
	if (len > 128)
		return -EINVAL;
	/* IPv6: labels 1..n-1 are words, last first. */
	words = n - 1;
	for (i = 1; i < n; i++)
		if (!strcasecmp(lab[i], "zz"))
			zz = i - 1;
	if ((zz < 0 && words != 8) || (zz >= 0 && words > 7))
		return -EINVAL;
	for (i = 0; i < words; i++) {
		int pos = zz < 0 || i < zz ? i : i + (8 - words);

		if (i == zz)
			continue;
		w[pos] = (uint16_t)strtoul(lab[i + 1], &end, 16);
		if (*end || end == lab[i + 1] || strlen(lab[i + 1]) > 4)
			return -EINVAL;
	}
	snprintf(text, sizeof(text), "%x:%x:%x:%x:%x:%x:%x:%x/%lu", w[7], w[6],
		 w[5], w[4], w[3], w[2], w[1], w[0], len);
	return fg_cidr_parse(text, out);
}

int fg_confidence(uint8_t reason, double score)
{
	if (reason == FG_REASON_MANUAL)
		return 100;
	if (score <= 0)
		return -1;
	return score >= 100 ? 100 : (int)lround(score);
}

/* ---- writers ---- */

static const char *value_text(const struct fg_indicator *v, char *buf,
			      size_t size)
{
	if (v->kind == FG_FEED_NAME)
		return v->name;
	return fg_cidr_str(&v->cidr, buf, size);
}

static const char *stix_type(const struct fg_indicator *v)
{
	if (v->kind == FG_FEED_NAME)
		return "domain-name";
	return v->cidr.family == AF_INET ? "ipv4-addr" : "ipv6-addr";
}

static json_t *stix_indicator(const struct fg_indicator *v, double now)
{
	char buf[FG_DOMAIN_NAME_MAX + 1], pat[FG_DOMAIN_NAME_MAX + 64];
	char id[64], uuid[40], t[32];
	json_t *o = json_object();
	int conf = fg_confidence(v->reason, v->score);
	const char *val;

	if (!o)
		return NULL;
	val = value_text(v, buf, sizeof(buf));
	snprintf(pat, sizeof(pat), "[%s:value = '%s']", stix_type(v), val);
	snprintf(id, sizeof(id), "indicator--%s", fg_uuid5(pat, uuid,
							    sizeof(uuid)));
	json_object_set_new(o, "type", json_string("indicator"));
	json_object_set_new(o, "spec_version", json_string("2.1"));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "created",
			    json_string(fg_rfc3339(v->created, t, sizeof(t))));
	json_object_set_new(o, "modified",
			    json_string(fg_rfc3339(now, t, sizeof(t))));
	json_object_set_new(o, "name", json_string(val));
	json_object_set_new(o, "description",
			    json_string(fg_reason_str(v->reason)));
	json_object_set_new(o, "indicator_types",
			    json_pack("[s]", "malicious-activity"));
	json_object_set_new(o, "pattern", json_string(pat));
	json_object_set_new(o, "pattern_type", json_string("stix"));
	json_object_set_new(o, "valid_from",
			    json_string(fg_rfc3339(v->created, t, sizeof(t))));
	/* valid_until must lie after valid_from. */
	if (v->expires > v->created)
		json_object_set_new(o, "valid_until",
				    json_string(fg_rfc3339(v->expires, t,
							   sizeof(t))));
	if (conf >= 0)
		json_object_set_new(o, "confidence", json_integer(conf));
	json_object_set_new(o, "labels", json_pack("[s]", "fast-flux"));
	return o;
}

static int write_stix(FILE *f, const struct fg_indicator *v, size_t n,
		      double now)
{
	json_t *root = json_object(), *objs = json_array();
	char id[64], uuid[40], t[32];
	int err;

	if (!root || !objs) {
		json_decref(root);
		json_decref(objs);
		return -ENOMEM;
	}
	/* The bundle is this export, at this time. */
	snprintf(id, sizeof(id), "bundle--%s",
		 fg_uuid5(fg_rfc3339(now, t, sizeof(t)), uuid, sizeof(uuid)));
	json_object_set_new(root, "type", json_string("bundle"));
	json_object_set_new(root, "id", json_string(id));
	for (size_t i = 0; i < n; i++) {
		json_t *o = stix_indicator(&v[i], now);

		if (!o || json_array_append_new(objs, o)) {
			json_decref(root);
			json_decref(objs);
			return -ENOMEM;
		}
	}
	json_object_set_new(root, "objects", objs);
	err = json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (err || fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}

static int write_rpz(FILE *f, const struct fg_indicator *v, size_t n,
		     double now)
{
	char owner[FG_RPZ_IP_MAX], t[32];

	fprintf(f, "; fluxguard response policy zone, %s\n"
		"; flagged and blocked names answer NXDOMAIN, and so does\n"
		"; every answer holding a blocked address.\n",
		fg_rfc3339(now, t, sizeof(t)));
	fprintf(f, "$ORIGIN %s\n$TTL %d\n", FG_RPZ_ORIGIN, FG_RPZ_TTL);
	fprintf(f, "@ SOA localhost. hostmaster.localhost. %lu %d %d %d %d\n",
		(unsigned long)now, FG_RPZ_REFRESH, FG_RPZ_RETRY,
		FG_RPZ_EXPIRE, FG_RPZ_TTL);
	fprintf(f, "@ NS localhost.\n");
	for (size_t i = 0; i < n; i++) {
		if (v[i].kind == FG_FEED_NAME) {
			fprintf(f, "%s CNAME .\n", v[i].name);
			continue;
		}
		fprintf(f, "%s CNAME .\n",
			fg_rpz_ip_owner(&v[i].cidr, owner, sizeof(owner)));
	}
	return ferror(f) ? -EIO : 0;
}

/* RFC 4180: quote a field holding a comma, a quote or a line break. */
static void csv_put(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s == '\r' || *s == '\n' ? ' ' : *s, f);
	}
	fputc('"', f);
}

static int write_csv(FILE *f, const struct fg_indicator *v, size_t n)
{
	char val[FG_DOMAIN_NAME_MAX + 1], t[32];

	fprintf(f, "%s\n", FG_CSV_HEADER);
	for (size_t i = 0; i < n; i++) {
		const struct fg_indicator *x = &v[i];

		fprintf(f, "%s,", x->kind == FG_FEED_NAME ? "domain" :
			x->cidr.family == AF_INET ? "ipv4" : "ipv6");
		csv_put(f, value_text(x, val, sizeof(val)));
		fputc(',', f);
		csv_put(f, x->domain);
		fprintf(f, ",%s,", fg_reason_str(x->reason));
		if (x->score > 0)
			fprintf(f, "%.1f", x->score);
		fprintf(f, ",%s,", fg_rfc3339(x->created, t, sizeof(t)));
		if (x->expires)
			fputs(fg_rfc3339(x->expires, t, sizeof(t)), f);
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

int fg_export_write(FILE *f, enum fg_export_format fmt,
		    const struct fg_indicator *v, size_t n, double now)
{
	int err;

	switch (fmt) {
	case FG_FMT_STIX:
		err = write_stix(f, v, n, now);
		break;
	case FG_FMT_RPZ:
		err = write_rpz(f, v, n, now);
		break;
	default:
		err = write_csv(f, v, n);
		break;
	}
	if (!err && fflush(f))
		err = -EIO;
	return err;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* JSON Lines writers. Every string goes through a check so that a name
 * jansson refuses (not UTF-8) is written with the odd bytes replaced
 * rather than dropping the whole event.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "events.h"

/* Significant digits of numbers: an epoch time to the microsecond. */
#define FG_JSON_FLAGS	(JSON_COMPACT | JSON_REAL_PRECISION(16))
/* Longest string copied when replacing bytes that are not UTF-8. */
#define FG_JSON_STR_MAX	1024

FILE *fg_events_open(const char *path)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "a");
	if (f)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

int fg_events_reopen(FILE **f, const char *path)
{
	FILE *n = fg_events_open(path);

	if (!n)
		return -errno;
	if (*f && *f != n)
		fg_events_close(*f);
	*f = n;
	return 0;
}

void fg_events_close(FILE *f)
{
	if (!f)
		return;
	if (f == stdout)
		fflush(f);
	else
		fclose(f);
}

/* NULL is JSON null: a domain rule's block event has no "ip". */
static json_t *jstr(const char *s)
{
	char buf[FG_JSON_STR_MAX];
	json_t *j;
	size_t i;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	for (i = 0; s[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	buf[i] = '\0';
	return json_string(buf);
}

/* Whole numbers print as integers, the rest as reals rounded to four
 * decimals: scores and features read better without float noise.
 */
static json_t *jnum(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_integer((json_int_t)v);
	if (fabs(v) < 1e12)
		v = round(v * 1e4) / 1e4;
	return json_real(v);
}

static json_t *jaddr(const struct fg_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (a->family != AF_INET && a->family != AF_INET6)
		return json_null();
	return jstr(fg_addr_text(a, buf, sizeof(buf)));
}

static int emit(FILE *f, json_t *obj)
{
	int err = 0;

	if (!obj)
		return -ENOMEM;
	if (json_dumpf(obj, f, FG_JSON_FLAGS) || fputc('\n', f) == EOF ||
	    fflush(f))
		err = -EIO;
	json_decref(obj);
	return err;
}

static json_t *event_new(const char *type, double ts)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "ts", json_real(ts));
	return o;
}

static json_t *features_json(const struct fg_verdict *v)
{
	json_t *fs = json_object();

	if (!fs)
		return NULL;
	for (int i = 0; i < FG_F_COUNT; i++) {
		const struct fg_feature_value *fv = &v->features[i];
		json_t *o = json_object();

		if (!o)
			break;
		json_object_set_new(o, "value", fv->known ? jnum(fv->value) :
				    json_null());
		json_object_set_new(o, "weight", jnum(fv->weight));
		json_object_set_new(o, "contribution", jnum(fv->contribution));
		json_object_set_new(fs, fv->name, o);
	}
	return fs;
}

int fg_event_verdict(FILE *f, const struct fg_verdict *v)
{
	json_t *o = event_new("verdict", v->ts), *addrs, *refused;

	if (!o)
		return -ENOMEM;
	json_object_set_new(o, "domain", jstr(v->domain));
	json_object_set_new(o, "registrable", jstr(v->registrable));
	json_object_set_new(o, "kind", json_string(fg_kind_str(v->kind)));
	json_object_set_new(o, "score", jnum(v->score));
	json_object_set_new(o, "threshold", jnum(v->threshold));
	json_object_set_new(o, "diversity", jnum(v->diversity));
	json_object_set_new(o, "behaviour", jnum(v->behaviour));
	json_object_set_new(o, "ns_score", jnum(v->ns_score));
	json_object_set_new(o, "features", features_json(v));
	addrs = json_array();
	refused = json_array();
	for (unsigned int i = 0; addrs && refused && i < v->n_addrs; i++) {
		const struct fg_verdict_addr *a = &v->addrs[i];
		json_t *r;

		json_array_append_new(addrs, jaddr(&a->addr));
		if (a->refusal == FG_POL_OK)
			continue;
		r = json_object();
		if (!r)
			continue;
		json_object_set_new(r, "ip", jaddr(&a->addr));
		json_object_set_new(r, "reason",
				    json_string(fg_refusal_str(a->refusal)));
		json_array_append_new(refused, r);
	}
	json_object_set_new(o, "addresses", addrs ? addrs : json_array());
	json_object_set_new(o, "refused", refused ? refused : json_array());
	return emit(f, o);
}

int fg_event_block(FILE *f, double ts, const char *ip, const char *domain,
		   double expires, const char *reason)
{
	json_t *o = event_new("block", ts);

	if (!o)
		return -ENOMEM;
	json_object_set_new(o, "ip", jstr(ip));
	json_object_set_new(o, "domain", jstr(domain));
	json_object_set_new(o, "expires", jnum(expires));
	json_object_set_new(o, "reason", jstr(reason));
	return emit(f, o);
}

int fg_event_unblock(FILE *f, double ts, const char *ip, const char *domain,
		     const char *reason)
{
	json_t *o = event_new("unblock", ts);

	if (!o)
		return -ENOMEM;
	json_object_set_new(o, "ip", jstr(ip));
	json_object_set_new(o, "domain", jstr(domain));
	json_object_set_new(o, "reason", jstr(reason));
	return emit(f, o);
}

const char *fg_type_str(uint16_t type, char *buf, size_t size)
{
	switch (type) {
	case FG_TYPE_A: return "A";
	case FG_TYPE_NS: return "NS";
	case FG_TYPE_CNAME: return "CNAME";
	case FG_TYPE_AAAA: return "AAAA";
	default:
		snprintf(buf, size, "TYPE%u", type);
		return buf;
	}
}

static json_t *answer_json(const struct fg_answer *a)
{
	json_t *o = json_object();
	char tbuf[16];

	if (!o)
		return NULL;
	json_object_set_new(o, "name", jstr(a->owner));
	json_object_set_new(o, "type",
			    jstr(fg_type_str(a->type, tbuf, sizeof(tbuf))));
	json_object_set_new(o, "section", json_integer(a->section));
	json_object_set_new(o, "ttl", json_integer(a->ttl));
	if (a->type == FG_TYPE_A || a->type == FG_TYPE_AAAA)
		json_object_set_new(o, "data", jaddr(&a->addr));
	else
		json_object_set_new(o, "data", jstr(a->target));
	return o;
}

int fg_event_answer(FILE *f, const struct fg_response *r)
{
	unsigned int n = r->n_answers < FG_MAX_RR ? r->n_answers : FG_MAX_RR;
	json_t *o = event_new("answer", r->ts), *arr;
	char tbuf[16];

	if (!o)
		return -ENOMEM;
	json_object_set_new(o, "server", jaddr(&r->server));
	json_object_set_new(o, "client", jaddr(&r->client));
	json_object_set_new(o, "qname", jstr(r->qname));
	json_object_set_new(o, "qtype",
			    jstr(fg_type_str(r->qtype, tbuf, sizeof(tbuf))));
	json_object_set_new(o, "rcode", json_integer(r->rcode));
	arr = json_array();
	for (unsigned int i = 0; arr && i < n; i++)
		json_array_append_new(arr, answer_json(&r->answers[i]));
	json_object_set_new(o, "answers", arr ? arr : json_array());
	return emit(f, o);
}

const char *fg_reason_str(uint8_t reason)
{
	switch (reason) {
	case FG_REASON_MANUAL: return "manual";
	case FG_REASON_SINGLE_FLUX: return "single_flux";
	case FG_REASON_DOUBLE_FLUX: return "double_flux";
	case FG_REASON_FEED: return "feed";
	case FG_REASON_IMPORT: return "import";
	default: return "unknown";
	}
}

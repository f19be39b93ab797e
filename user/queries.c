// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Outstanding queries in a fixed table of small buckets: each bucket holds
 * FG_PENDING_WAYS entries and a newcomer replaces the oldest one, so the
 * memory is fixed and no flood of queries can grow it.
 */
#include <stdlib.h>
#include <string.h>

#include "queries.h"

/* Entries per bucket: enough that collisions rarely evict a live query,
 * few enough that a lookup stays within one cache line or two.
 */
#define FG_PENDING_WAYS		4
#define FG_PENDING_BUCKETS	(FG_PENDING_MAX / FG_PENDING_WAYS)

_Static_assert((FG_PENDING_BUCKETS & (FG_PENDING_BUCKETS - 1)) == 0,
	       "bucket count must be a power of two");

struct pending {
	double ts;			/* 0 = free */
	uint8_t client[16];
	uint8_t server[16];
	uint8_t family;
	uint16_t port;			/* the client's */
	uint16_t id;
	uint16_t qtype;
	uint64_t qname;			/* hash of the lowercase question */
};

struct fg_queries {
	struct pending *slots;
	struct fg_query_stats st;
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len--)
		h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

/* Names come decoded and lowercased from record.c, so resolvers that mix
 * the case of the question (0x20 encoding) still match.
 */
static uint64_t name_hash(const char *name)
{
	return fnv1a(1469598103934665603ULL, name, strlen(name));
}

static void fill_key(struct pending *k, const struct fg_addr *client,
		     uint16_t port, const struct fg_addr *server, uint16_t id)
{
	memset(k, 0, sizeof(*k));
	k->family = client->family;
	memcpy(k->client, client->bytes, 16);
	memcpy(k->server, server->bytes, 16);
	k->port = port;
	k->id = id;
}

static struct pending *bucket(struct fg_queries *q, const struct pending *k)
{
	uint64_t h = 1469598103934665603ULL;

	h = fnv1a(h, k->client, sizeof(k->client));
	h = fnv1a(h, k->server, sizeof(k->server));
	h = fnv1a(h, &k->port, sizeof(k->port));
	h = fnv1a(h, &k->id, sizeof(k->id));
	return &q->slots[(h & (FG_PENDING_BUCKETS - 1)) * FG_PENDING_WAYS];
}

static bool same_flow(const struct pending *a, const struct pending *b)
{
	return a->family == b->family && a->port == b->port &&
	       a->id == b->id && !memcmp(a->client, b->client, 16) &&
	       !memcmp(a->server, b->server, 16);
}

struct fg_queries *fg_queries_new(void)
{
	struct fg_queries *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->slots = calloc(FG_PENDING_MAX, sizeof(*q->slots));
	if (!q->slots) {
		free(q);
		return NULL;
	}
	return q;
}

void fg_queries_free(struct fg_queries *q)
{
	if (!q)
		return;
	free(q->slots);
	free(q);
}

void fg_queries_add(struct fg_queries *q, const struct fg_response *query,
		    double now)
{
	struct pending k, *b, *victim = NULL;
	int i;

	fill_key(&k, &query->server, query->sport, &query->client, query->id);
	k.qtype = query->qtype;
	k.qname = name_hash(query->qname);
	k.ts = now > 0 ? now : 1e-9;
	b = bucket(q, &k);

	for (i = 0; i < FG_PENDING_WAYS; i++) {
		/* A retransmission of the same query refreshes its entry. */
		if (b[i].ts && same_flow(&b[i], &k)) {
			victim = &b[i];
			break;
		}
		if (!b[i].ts || now - b[i].ts > FG_PENDING_SECS) {
			if (b[i].ts)
				q->st.expired++;
			victim = &b[i];
			break;
		}
		if (!victim || b[i].ts < victim->ts)
			victim = &b[i];
	}
	if (i == FG_PENDING_WAYS)
		q->st.evicted++;
	*victim = k;
	q->st.queries++;
}

bool fg_queries_match(struct fg_queries *q, const struct fg_response *r,
		      double now)
{
	struct pending k, *b;
	int i;

	fill_key(&k, &r->client, r->dport, &r->server, r->id);
	b = bucket(q, &k);
	for (i = 0; i < FG_PENDING_WAYS; i++) {
		if (!b[i].ts || !same_flow(&b[i], &k))
			continue;
		if (now - b[i].ts > FG_PENDING_SECS) {
			b[i].ts = 0;
			q->st.expired++;
			break;
		}
		if (b[i].qtype != r->qtype || b[i].qname != name_hash(r->qname)) {
			q->st.mismatched++;
			return false;
		}
		b[i].ts = 0;
		q->st.matched++;
		return true;
	}
	q->st.unsolicited++;
	return false;
}

void fg_queries_stats(const struct fg_queries *q, struct fg_query_stats *st)
{
	*st = q->st;
}

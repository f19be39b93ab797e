/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Outstanding DNS queries seen on the wire, so that only responses that
 * answer one of them are scored: a forged or unsolicited response must
 * match addresses, ports, DNS id and question of a real query.
 */
#ifndef FG_QUERIES_H
#define FG_QUERIES_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"

/* Outstanding queries remembered; the oldest is forgotten beyond this. A
 * busy resolver has a few thousand in flight; forgetting one only means
 * its response is not scored.
 */
#define FG_PENDING_MAX		65536
/* A query unanswered this long is forgotten: resolvers give up sooner. */
#define FG_PENDING_SECS		10.0

struct fg_queries;

struct fg_query_stats {
	uint64_t queries;	/* remembered */
	uint64_t matched;	/* responses that answered one */
	uint64_t unsolicited;	/* responses that answered none */
	uint64_t mismatched;	/* right id and ports, wrong question */
	uint64_t evicted;	/* forgotten before an answer, table full */
	uint64_t expired;	/* forgotten, unanswered for FG_PENDING_SECS */
};

struct fg_queries *fg_queries_new(void);
void fg_queries_free(struct fg_queries *q);

/* Remember a query: r is the decoded query (client in r->server's place,
 * since the query travels from the client).
 */
void fg_queries_add(struct fg_queries *q, const struct fg_response *query,
		    double now);

/* Does response r answer a remembered query? A match is consumed, so a
 * second answer to the same query is unsolicited.
 */
bool fg_queries_match(struct fg_queries *q, const struct fg_response *r,
		      double now);

void fg_queries_stats(const struct fg_queries *q, struct fg_query_stats *st);

#endif /* FG_QUERIES_H */

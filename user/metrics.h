/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Prometheus metrics: the data plane's per-CPU counters summed, the
 * pipeline's and the scorer's counters, active blocks by kind and reason
 * and the feeds, in the text exposition format 0.0.4. Served by a tiny
 * HTTP/1.0 endpoint polled from the run loop, and optionally written to a
 * file for node_exporter's textfile collector.
 */
#ifndef FG_METRICS_H
#define FG_METRICS_H

#include <stdbool.h>
#include <stdio.h>

#include "feeds.h"
#include "loader.h"
#include "pipeline.h"
#include "score.h"

/* Block kinds as the metrics label them. */
enum fg_block_kind {
	FG_BK_IPV4,
	FG_BK_IPV6,
	FG_BK_PREFIX_V4,
	FG_BK_PREFIX_V6,
	FG_BK_NAME,
	FG_BK_COUNT,
};
/* Reasons are enum fg_block_reason, 1..FG_REASON_IMPORT. */
#define FG_REASONS	(FG_REASON_IMPORT + 1)

struct fg_block_counts {
	uint64_t n[FG_BK_COUNT][FG_REASONS];
};

/* Everything one exposition shows; NULL parts are left out. */
struct fg_metrics_view {
	const struct fg_stats *dataplane;
	const struct fg_pipe_stats *pipeline;
	const struct fg_scorer_stats *scorer;
	const struct fg_feed_stats *feeds;
	const struct fg_block_counts *blocks;
};

/* Walks the block maps and the name map. */
int fg_metrics_count_blocks(const struct fg_maps *m,
			    struct fg_block_counts *c);

/* The exposition. Returns 0 or -EIO. */
int fg_metrics_render(FILE *f, const struct fg_metrics_view *v);

typedef int (*fg_metrics_fn)(FILE *f, void *ctx);

/* Writes the exposition to path through a temporary file and a rename,
 * so a collector never reads half a file.
 */
int fg_metrics_write_file(const char *path, fg_metrics_fn fn, void *ctx);

struct fg_metrics_server;

/* Listens on "ADDR:PORT" ("[v6]:PORT" for IPv6). Returns 0 or a negative
 * errno, with why in err.
 */
int fg_metrics_listen(const char *addrport, struct fg_metrics_server **out,
		      char *err, size_t errlen);
/* Answers the connections waiting now, one at a time; never blocks
 * longer than FG_METRICS_IO_MS per connection.
 */
void fg_metrics_poll(struct fg_metrics_server *s, fg_metrics_fn fn,
		     void *ctx);
void fg_metrics_close(struct fg_metrics_server *s);

#endif /* FG_METRICS_H */

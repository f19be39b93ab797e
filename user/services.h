/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the run loop does beside the events: reputation feeds (loaded at
 * start, reloaded on SIGHUP or when a file changes, expired on time), the
 * metrics endpoint and file, and the events file reopened for logrotate.
 */
#ifndef FG_SERVICES_H
#define FG_SERVICES_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "pipeline.h"

/* The metrics file is rewritten this often: node_exporter reads it on
 * every scrape, and each write walks the block maps.
 */
#define FG_METRICS_FILE_SECS	5.0

struct fg_services;

/* Loads the feeds of s and, when live, listens for metrics. maps,
 * pipeline and clock are borrowed. Returns NULL, having said why, when a
 * listener cannot be opened or memory runs out.
 */
struct fg_services *fg_services_start(const struct fg_settings *s,
				      const struct fg_maps *maps,
				      struct fg_pipeline *p,
				      const struct fg_clock *clock, bool live,
				      double now);
/* Answers waiting metrics requests; call every loop iteration. */
void fg_services_poll(struct fg_services *sv);
/* Once a tick: changed feed files, expiries, the metrics file. */
void fg_services_tick(struct fg_services *sv, double now);
/* SIGHUP: reopen the events file (swapped into *events and the pipeline)
 * and reload every feed.
 */
void fg_services_reload(struct fg_services *sv, FILE **events, double now);
void fg_services_stop(struct fg_services *sv);

#endif /* FG_SERVICES_H */

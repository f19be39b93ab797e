/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Everything after the ring-buffer event, shared by `run` and `replay`:
 * decode, score, apply the policy and the caps, install and expire
 * blocks, write events. The two commands differ only in where events
 * come from and which clock stamps them.
 */
#ifndef FG_PIPELINE_H
#define FG_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "blocks.h"
#include "config.h"
#include "loader.h"

struct fg_pipeline;

/* Counters of the userspace half, reported by `status`, `replay` and the
 * Prometheus-style summary.
 */
#define FG_PIPE_COUNTERS(X)						\
	X(events, "ring-buffer events received")			\
	X(queries, "queries remembered for matching")			\
	X(unsolicited, "responses that answer no query seen (not scored)") \
	X(decode_errors, "events that failed the userspace re-check")	\
	X(responses_scored, "responses fed to the scorer")		\
	X(answers_scored, "answer records fed to the scorer")		\
	X(verdicts, "new verdicts")					\
	X(kind_changes, "flagged names reported again as another kind") \
	X(blocks, "block entries installed")				\
	X(name_rules, "domain rules installed (answers sinkholed)")	\
	X(renewals, "block entries renewed")				\
	X(renewals_skipped, "renewals skipped: renewed moments ago")	\
	X(unblocks, "block entries expired and removed")		\
	X(refused_policy, "addresses the never-block policy kept")	\
	X(refused_cap_domain, "blocks refused: per-domain cap")		\
	X(refused_cap_rate, "blocks refused: per-minute cap")		\
	X(refused_cap_total, "blocks refused: map full of higher scores") \
	X(evicted_low_score, "blocks evicted for a higher score")	\
	X(map_errors, "block map updates that failed")

#define FG_PIPE_FIELD(name, help) uint64_t name;
struct fg_pipe_stats {
	FG_PIPE_COUNTERS(FG_PIPE_FIELD)
};
#undef FG_PIPE_FIELD

/* maps: where blocks go (pinned for run, private for replay); clock:
 * how event timestamps and expiries map to the wall clock.
 */
struct fg_pipeline *fg_pipeline_new(const struct fg_settings *s,
				    const struct fg_maps *maps,
				    const struct fg_clock *clock,
				    FILE *events);
void fg_pipeline_free(struct fg_pipeline *p);

/* Handles one ring-buffer event. Returns 0, or -EINVAL for an event that
 * failed the re-check (counted, never scored).
 */
int fg_pipeline_event(struct fg_pipeline *p, const void *data, size_t len);

/* Periodic work at wall time now: expire blocks, age the scorer. */
void fg_pipeline_tick(struct fg_pipeline *p, double now);

/* Adopt the blocks already in the maps (after a restart) into the caps'
 * bookkeeping. Returns how many.
 */
int fg_pipeline_adopt(struct fg_pipeline *p);

const struct fg_pipe_stats *fg_pipeline_stats(const struct fg_pipeline *p);

/* After the events file was reopened (SIGHUP). */
void fg_pipeline_set_events(struct fg_pipeline *p, FILE *events);

/* The never-block policy, for feeds that install blocks of their own. */
struct fg_policy *fg_pipeline_policy(struct fg_pipeline *p);

struct fg_scorer_stats;
void fg_pipeline_scorer_stats(const struct fg_pipeline *p,
			      struct fg_scorer_stats *st);

/* Writes the scorer's summary for `status` to path (atomically). */
int fg_pipeline_write_status(struct fg_pipeline *p, const char *path,
			     double now);

#endif /* FG_PIPELINE_H */

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The run loop's side work: feeds kept in step with their files, the
 * metrics endpoint and file, and SIGHUP (reopen the events file, reload
 * the feeds).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "feeds.h"
#include "log.h"
#include "metrics.h"
#include "services.h"

struct fg_services {
	const struct fg_settings *s;
	const struct fg_maps *maps;
	struct fg_pipeline *p;
	struct fg_feeds *feeds;
	struct fg_metrics_server *server;
	double next_file;
};

static int render(FILE *f, void *ctx)
{
	struct fg_services *sv = ctx;
	struct fg_metrics_view v = { 0 };
	struct fg_scorer_stats sc;
	struct fg_block_counts bc;
	struct fg_stats dp;

	if (!fg_stats_read(sv->maps->stats, &dp))
		v.dataplane = &dp;
	v.pipeline = fg_pipeline_stats(sv->p);
	fg_pipeline_scorer_stats(sv->p, &sc);
	v.scorer = &sc;
	if (!fg_metrics_count_blocks(sv->maps, &bc))
		v.blocks = &bc;
	if (sv->feeds)
		v.feeds = fg_feeds_stats(sv->feeds);
	return fg_metrics_render(f, &v);
}

static int start_feeds(struct fg_services *sv, const struct fg_clock *clock,
		       double now)
{
	const struct fg_feed_stats *st;

	if (!sv->s->n_feeds)
		return 0;
	sv->feeds = fg_feeds_new(sv->maps, fg_pipeline_policy(sv->p), clock,
				 FG_REASON_FEED);
	if (!sv->feeds)
		return -ENOMEM;
	for (unsigned int i = 0; i < sv->s->n_feeds; i++)
		if (fg_feeds_add_file(sv->feeds, sv->s->feeds[i]))
			return -ENOMEM;
	if (fg_feeds_load(sv->feeds, now))
		return -ENOMEM;
	st = fg_feeds_stats(sv->feeds);
	pr_warn("feeds: %llu names and %llu addresses or prefixes blocked, "
		"%llu refused by the never-block policy, %llu malformed "
		"lines skipped\n", (unsigned long long)st->names,
		(unsigned long long)st->cidrs,
		(unsigned long long)st->refused_policy,
		(unsigned long long)st->malformed);
	if (st->map_errors)
		pr_warn("feeds: %llu entries did not fit in the maps (full?)\n",
			(unsigned long long)st->map_errors);
	return 0;
}

struct fg_services *fg_services_start(const struct fg_settings *s,
				      const struct fg_maps *maps,
				      struct fg_pipeline *p,
				      const struct fg_clock *clock, bool live,
				      double now)
{
	struct fg_services *sv = calloc(1, sizeof(*sv));
	char err[256];

	if (!sv)
		return NULL;
	sv->s = s;
	sv->maps = maps;
	sv->p = p;
	if (start_feeds(sv, clock, now)) {
		pr_warn("feeds: out of memory\n");
		goto fail;
	}
	if (live && s->metrics_listen[0]) {
		if (fg_metrics_listen(s->metrics_listen, &sv->server, err,
				      sizeof(err))) {
			pr_warn("metrics: %s\n", err);
			goto fail;
		}
		pr_info("metrics on http://%s/metrics\n", s->metrics_listen);
	}
	return sv;
fail:
	fg_services_stop(sv);
	return NULL;
}

void fg_services_poll(struct fg_services *sv)
{
	if (sv->server)
		fg_metrics_poll(sv->server, render, sv);
}

static void reload_feeds(struct fg_services *sv, double now)
{
	const struct fg_feed_stats *st = fg_feeds_stats(sv->feeds);
	uint64_t added = st->added, removed = st->removed;

	if (fg_feeds_load(sv->feeds, now)) {
		pr_warn("feeds: reload failed: out of memory\n");
		return;
	}
	pr_warn("feeds reloaded: %llu added, %llu removed, %llu names and "
		"%llu addresses or prefixes now\n",
		(unsigned long long)(st->added - added),
		(unsigned long long)(st->removed - removed),
		(unsigned long long)st->names, (unsigned long long)st->cidrs);
}

void fg_services_tick(struct fg_services *sv, double now)
{
	int err;

	if (sv->feeds) {
		if (fg_feeds_changed(sv->feeds))
			reload_feeds(sv, now);
		fg_feeds_tick(sv->feeds, now);
	}
	if (sv->s->metrics_file[0] && now >= sv->next_file) {
		sv->next_file = now + FG_METRICS_FILE_SECS;
		err = fg_metrics_write_file(sv->s->metrics_file, render, sv);
		if (err)
			pr_warn("metrics file %s: %s\n", sv->s->metrics_file,
				strerror(-err));
	}
}

void fg_services_reload(struct fg_services *sv, FILE **events, double now)
{
	int err;

	if (*events && *events != stdout) {
		err = fg_events_reopen(events, sv->s->events);
		if (err)
			pr_warn("cannot reopen events file %s: %s; still "
				"writing to the old one\n", sv->s->events,
				strerror(-err));
		else
			pr_warn("events file %s reopened\n", sv->s->events);
		fg_pipeline_set_events(sv->p, *events);
	}
	if (sv->feeds)
		reload_feeds(sv, now);
}

void fg_services_stop(struct fg_services *sv)
{
	if (!sv)
		return;
	fg_metrics_close(sv->server);
	fg_feeds_free(sv->feeds);
	free(sv);
}

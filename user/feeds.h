/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reputation feeds: lists of names, addresses and prefixes from outside
 * (threat feeds, hosts files, adblock host lists, a peer's export), parsed
 * line by line and kept in the block maps in step with their files.
 * The formats are described in docs/sharing.md.
 */
#ifndef FG_FEEDS_H
#define FG_FEEDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blocks.h"
#include "cidr.h"
#include "domain.h"
#include "policy.h"

/* Feed files one instance follows: a handful of lists in practice. */
#define FG_FEED_FILES_MAX	16
/* Longest feed line: a URL rule in an adblock list can be long; anything
 * past this is not a line of a list.
 */
#define FG_FEED_LINE_MAX	4096
/* Entries held across all feeds: every block map and the name map full. */
#define FG_FEED_ENTRIES_MAX	(FG_BLOCK_NAME_MAX + FG_BLOCK_V4_MAX + \
				 FG_BLOCK_V6_MAX + 2 * FG_BLOCK_NET_MAX)

enum fg_feed_kind {
	FG_FEED_NAME = 1,
	FG_FEED_CIDR = 2,
};

/* One entry of a feed: a name (lower case, no trailing dot) or a prefix. */
struct fg_feed_entry {
	uint8_t kind;			/* enum fg_feed_kind */
	struct fg_cidr cidr;
	char name[FG_DOMAIN_NAME_MAX + 1];
	double expires;			/* epoch seconds, 0 never */
	uint32_t score;			/* x100, from a peer's export; else 0 */
	uint8_t source;			/* index of its file in a feed set */
};

/* What a parse saw. */
struct fg_feed_parse_stats {
	uint64_t lines;
	uint64_t entries;
	uint64_t malformed;	/* reported FILE:LINE and skipped */
	uint64_t url_rules;	/* adblock rules for a URL or scoped by options */
	uint64_t other;		/* records with nothing to block (SOA, NS ...) */
};

/* Called per entry; a nonzero return stops the parse with that value. */
typedef int (*fg_feed_entry_fn)(const struct fg_feed_entry *e, void *ctx);
/* Called per malformed line with "FILE:LINE: what is wrong". */
typedef void (*fg_feed_error_fn)(const char *msg, void *ctx);

/* Parse path, whatever its format: plain names or addresses, hosts file,
 * adblock host list, or a fluxguard export (CSV, RPZ, STIX). A malformed
 * line is reported through err_fn and skipped. Returns 0, or a negative
 * errno when the file cannot be read (or fn's return value).
 */
int fg_feed_parse_file(const char *path, fg_feed_entry_fn fn,
		       fg_feed_error_fn err_fn, void *ctx,
		       struct fg_feed_parse_stats *st);

/* A host name as feeds list them and exports write them: two labels at
 * least, letters, digits, '-' and '_', at most 63 bytes a label, not
 * ending in an RPZ trigger label (rpz-ip ...). Written
 * lower case into out (FG_DOMAIN_NAME_MAX + 1 bytes), no trailing dot.
 * Anything else could break a zone file or a STIX pattern.
 */
bool fg_feed_host_name(const char *s, char *out);

/* An expiry as written in a feed: epoch seconds or RFC 3339, from 1970
 * to the end of 9999.
 */
int fg_feed_parse_time(const char *s, double *out);

/* Counters of the feed set, for logs and metrics. */
struct fg_feed_stats {
	uint64_t loads;		/* (re)loads of all files */
	uint64_t names;		/* entries in the maps now */
	uint64_t cidrs;
	uint64_t added;		/* since start */
	uint64_t removed;
	uint64_t expired;
	uint64_t refused_policy;
	uint64_t malformed;
	uint64_t url_rules;
	uint64_t over_capacity;
	uint64_t map_errors;
};

struct fg_feeds;

/* maps, policy and clock are borrowed. reason is FG_REASON_FEED or
 * FG_REASON_IMPORT.
 */
struct fg_feeds *fg_feeds_new(const struct fg_maps *maps,
			      struct fg_policy *policy,
			      const struct fg_clock *clock, uint8_t reason);
void fg_feeds_free(struct fg_feeds *f);
int fg_feeds_add_file(struct fg_feeds *f, const char *path);

/* Read every file again and bring the maps in step: new entries are
 * added, vanished ones removed, the rest keep their hit counters. A file
 * that cannot be read keeps its previous entries. Returns 0 or -ENOMEM.
 */
int fg_feeds_load(struct fg_feeds *f, double now);
/* Has any file's mtime (or size) changed since the last load? */
bool fg_feeds_changed(struct fg_feeds *f);
/* Remove entries whose own expiry has passed. */
void fg_feeds_tick(struct fg_feeds *f, double now);
const struct fg_feed_stats *fg_feeds_stats(const struct fg_feeds *f);

/* Install one entry now (import): policy first, then the map. Returns 0,
 * -EPERM when the policy refuses it, or a map error.
 */
int fg_feed_install(const struct fg_maps *maps, struct fg_policy *policy,
		    const struct fg_clock *clock, uint8_t reason,
		    const struct fg_feed_entry *e, double now);

#endif /* FG_FEEDS_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Block entries in the pinned maps: parse an address or prefix, put, get,
 * delete and walk entries, and convert between the wall clock the
 * operator sees and the monotonic clock the program compares with.
 */
#ifndef FG_BLOCKS_H
#define FG_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>

#include "fluxguard.h"
#include "loader.h"
#include "cidr.h"
#include "record.h"

/* Offset between the wall clock and the clock in expires_ns. For `run`
 * that is CLOCK_MONOTONIC; `replay` runs the program on capture time,
 * so there the offset is zero.
 */
struct fg_clock {
	double offset;		/* epoch seconds minus program seconds */
};

void fg_clock_wall(struct fg_clock *c);
void fg_clock_replay(struct fg_clock *c);
__u64 fg_clock_to_ns(const struct fg_clock *c, double epoch);
double fg_clock_to_epoch(const struct fg_clock *c, __u64 ns);
/* Wall-clock now, for `run`. */
double fg_now(void);

/* Exact addresses go into the hash maps, shorter prefixes into the
 * tries (and the config is told, so the program consults them).
 */
int fg_block_put(const struct fg_maps *m, const struct fg_cidr *p,
		 const struct fg_block *v);
int fg_block_get(const struct fg_maps *m, const struct fg_cidr *p,
		 struct fg_block *v);
int fg_block_del(const struct fg_maps *m, const struct fg_cidr *p);

/* Raises every slot of the block filter that counts fewer exact entries
 * than the maps hold, as after a writer died between its two steps or
 * with maps pinned before the filter existed. Counts that run high are
 * left: they cost a lookup, and lowering them could race a writer.
 * Returns the number of slots raised or a negative errno.
 */
int fg_block_filter_repair(const struct fg_maps *m);

typedef int (*fg_block_fn)(const struct fg_cidr *p, const struct fg_block *v,
			   void *ctx);
/* Calls fn for every entry; stops early when fn returns nonzero. */
int fg_block_foreach(const struct fg_maps *m, fg_block_fn fn, void *ctx);
int fg_block_count(const struct fg_maps *m);

#endif /* FG_BLOCKS_H */

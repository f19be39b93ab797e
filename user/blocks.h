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

/* Exact addresses get a record in the hash maps and an entry in the exact
 * index, shorter prefixes go into the tries (and the config is told, so
 * the program consults them). For an exact address put ignores the hit
 * counters of v, which the program keeps per CPU, and keeps them when it
 * renews an entry; get sums them. put fails with -ENOSPC when the index
 * is full or the address's head already leads to FG_INDEX_CHAIN entries.
 */
int fg_block_put(const struct fg_maps *m, const struct fg_cidr *p,
		 const struct fg_block *v);
int fg_block_get(const struct fg_maps *m, const struct fg_cidr *p,
		 struct fg_block *v);
int fg_block_del(const struct fg_maps *m, const struct fg_cidr *p);

/* Brings the exact index in line with the records, as after a writer
 * died between its steps: a record without its entry gets one, an entry
 * without its record goes, and expiries follow the records. Returns the
 * number of changes made or a negative errno.
 */
int fg_block_index_repair(const struct fg_maps *m);

typedef int (*fg_block_fn)(const struct fg_cidr *p, const struct fg_block *v,
			   void *ctx);
/* Calls fn for every entry; stops early when fn returns nonzero. The hit
 * counters of exact entries are left at zero: summing them costs a call
 * an entry, which only the _counted walk pays.
 */
int fg_block_foreach(const struct fg_maps *m, fg_block_fn fn, void *ctx);
int fg_block_foreach_counted(const struct fg_maps *m, fg_block_fn fn,
			     void *ctx);
int fg_block_count(const struct fg_maps *m);

#endif /* FG_BLOCKS_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Domain rules in the pinned fg_block_name map: the name hash the program
 * computes, and put, get, delete and walk by name. Answers for a listed
 * name are rewritten to the sinkhole by the program.
 */
#ifndef FG_NAMES_H
#define FG_NAMES_H

#include <stdint.h>

#include "fluxguard.h"
#include "loader.h"

/* The key of a presentation name ("www.Example.com", trailing dot and
 * \DDD escapes allowed) under seed. Returns 0 or -EINVAL for a name that
 * is not a valid DNS name.
 */
int fg_rule_hash(uint64_t seed, const char *name, uint64_t *hash);

/* The seed in use, from the program's configuration. */
int fg_names_seed(const struct fg_maps *m, uint64_t *seed);

/* v->domain should hold the name (shortened if longer than the label). */
int fg_name_block_put(const struct fg_maps *m, const char *name,
		      const struct fg_block *v);
int fg_name_block_get(const struct fg_maps *m, const char *name,
		      struct fg_block *v);
int fg_name_block_del(const struct fg_maps *m, const char *name);

typedef int (*fg_name_fn)(uint64_t hash, const struct fg_block *v, void *ctx);
int fg_name_block_foreach(const struct fg_maps *m, fg_name_fn fn, void *ctx);
int fg_name_block_del_hash(const struct fg_maps *m, uint64_t hash);

/* Tells the program how many rules there are (0 lets it skip hashing).
 * Call after a batch of puts or deletes.
 */
int fg_names_sync_count(const struct fg_maps *m);

#endif /* FG_NAMES_H */

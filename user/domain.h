/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The domain table: a fixed-capacity hash table of names with a payload
 * per name, least-recently-seen eviction when full, and no allocation
 * after creation. The scorer keeps one for names and one for zones.
 */
#ifndef FG_DOMAIN_H
#define FG_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest name tracked, in presentation form. A wire name is at most 253
 * characters; longer text means \DDD escapes, which flux names do not
 * need, so such names are counted and skipped rather than truncated
 * (truncation could merge two names).
 */
#define FG_DOMAIN_NAME_MAX	253
/* "No slot" in links and indexes. */
#define FG_DSLOT_NONE		UINT32_MAX

struct fg_dslot {
	uint64_t hash;
	uint32_t gen;		/* bumped on every reuse of the slot */
	uint16_t name_len;
	uint8_t used;
	char name[FG_DOMAIN_NAME_MAX + 1];
};

struct fg_dtable;

/* cap slots, each with payload bytes of zeroed user data. */
struct fg_dtable *fg_dtable_new(uint32_t cap, size_t payload);
void fg_dtable_free(struct fg_dtable *t);

uint64_t fg_name_hash(const char *name, size_t len);

struct fg_dslot *fg_dtable_find(struct fg_dtable *t, const char *name,
				size_t len, uint64_t hash);

/* Find name or add it, evicting the least recently touched slot when the
 * table is full. *created tells a fresh (zeroed) slot. len must be at
 * most FG_DOMAIN_NAME_MAX. The slot becomes most recent.
 */
struct fg_dslot *fg_dtable_get(struct fg_dtable *t, const char *name,
			       size_t len, uint64_t hash, bool *created);

/* Make slot most recently seen. */
void fg_dtable_touch(struct fg_dtable *t, struct fg_dslot *s);
void fg_dtable_remove(struct fg_dtable *t, struct fg_dslot *s);

/* Least recently seen slot, then the next more recent one; NULL at end. */
struct fg_dslot *fg_dtable_oldest(struct fg_dtable *t);
struct fg_dslot *fg_dtable_newer(struct fg_dtable *t, struct fg_dslot *s);

/* Slot by number (for references that survive by number and gen). */
struct fg_dslot *fg_dtable_slot(struct fg_dtable *t, uint32_t i);
uint32_t fg_dtable_index(const struct fg_dtable *t, const struct fg_dslot *s);

static inline void *fg_dslot_data(struct fg_dslot *s)
{
	return (char *)s + ((sizeof(*s) + 15) & ~(size_t)15);
}

uint32_t fg_dtable_count(const struct fg_dtable *t);
uint32_t fg_dtable_capacity(const struct fg_dtable *t);
uint64_t fg_dtable_evictions(const struct fg_dtable *t);
/* Bytes allocated for slots and index. */
size_t fg_dtable_bytes(const struct fg_dtable *t);

#endif /* FG_DOMAIN_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Domain table: slots in one array, an open-addressing index of slot
 * numbers tagged with hash bits (linear probing, backward-shift deletion,
 * so no tombstones pile up) and an LRU list kept in two small arrays
 * beside the slots, so probing and reordering touch compact memory and
 * only the slot that matches is read.
 */
#include <stdlib.h>
#include <string.h>

#include "domain.h"

struct fg_dtable {
	char *slots;
	size_t stride;
	uint32_t cap, n;
	uint64_t *index;	/* hash tag << 32 | slot, IDX_EMPTY if empty */
	uint32_t *prev, *next;	/* LRU links by slot number */
	uint32_t mask;
	uint32_t head, tail;	/* LRU: head most recent */
	uint32_t free_head;	/* unused slots, linked through next */
	uint64_t evictions;
};

#define IDX_EMPTY	UINT64_MAX

static uint64_t idx_entry(uint64_t hash, uint32_t slot)
{
	return (hash >> 32) << 32 | slot;
}

static uint32_t idx_slot(uint64_t e)
{
	return (uint32_t)e;
}

/* Eight bytes at a time with a multiply-xorshift mix: names are short,
 * so setup-free speed matters more than a cryptographic spread; the table
 * is kept at most half full and compares whole names on a tag match.
 */
uint64_t fg_name_hash(const char *name, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
	uint64_t w;

	for (; len >= 8; name += 8, len -= 8) {
		memcpy(&w, name, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (len) {
		w = 0;
		memcpy(&w, name, len);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	}
	h ^= h >> 29;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 32);
}

struct fg_dslot *fg_dtable_slot(struct fg_dtable *t, uint32_t i)
{
	return (struct fg_dslot *)(t->slots + (size_t)i * t->stride);
}

uint32_t fg_dtable_index(const struct fg_dtable *t, const struct fg_dslot *s)
{
	return (uint32_t)(((const char *)s - t->slots) / t->stride);
}

struct fg_dtable *fg_dtable_new(uint32_t cap, size_t payload)
{
	struct fg_dtable *t;
	uint32_t isize = 1;

	if (!cap || cap > (1u << 28))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	/* Keep the index at most half full so probes stay short. */
	while (isize < 2 * cap)
		isize <<= 1;
	t->stride = ((sizeof(struct fg_dslot) + 15) & ~(size_t)15) +
		    ((payload + 15) & ~(size_t)15);
	t->slots = calloc(cap, t->stride);
	t->index = malloc(isize * sizeof(*t->index));
	t->prev = malloc(cap * sizeof(*t->prev));
	t->next = malloc(cap * sizeof(*t->next));
	if (!t->slots || !t->index || !t->prev || !t->next) {
		fg_dtable_free(t);
		return NULL;
	}
	memset(t->index, 0xff, isize * sizeof(*t->index));
	t->mask = isize - 1;
	t->cap = cap;
	t->head = t->tail = FG_DSLOT_NONE;
	for (uint32_t i = 0; i < cap; i++)
		t->next[i] = i + 1 < cap ? i + 1 : FG_DSLOT_NONE;
	t->free_head = 0;
	return t;
}

void fg_dtable_free(struct fg_dtable *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->index);
	free(t->prev);
	free(t->next);
	free(t);
}

static bool slot_is(const struct fg_dslot *s, const char *name, size_t len,
		    uint64_t hash)
{
	return s->hash == hash && s->name_len == len &&
	       !memcmp(s->name, name, len);
}

/* Index position holding the name, or of the empty bucket ending the
 * probe. A slot is only read when its hash tag matches.
 */
static uint32_t probe(const struct fg_dtable *t, const char *name, size_t len,
		      uint64_t hash)
{
	uint32_t pos = (uint32_t)hash & t->mask;
	uint64_t tag = hash >> 32;

	for (;;) {
		uint64_t e = t->index[pos];

		if (e == IDX_EMPTY)
			return pos;
		if (e >> 32 == tag &&
		    slot_is(fg_dtable_slot((struct fg_dtable *)t, idx_slot(e)),
			    name, len, hash))
			return pos;
		pos = (pos + 1) & t->mask;
	}
}

struct fg_dslot *fg_dtable_find(struct fg_dtable *t, const char *name,
				size_t len, uint64_t hash)
{
	uint64_t e = t->index[probe(t, name, len, hash)];

	return e == IDX_EMPTY ? NULL : fg_dtable_slot(t, idx_slot(e));
}

static void lru_unlink(struct fg_dtable *t, uint32_t i)
{
	if (t->prev[i] != FG_DSLOT_NONE)
		t->next[t->prev[i]] = t->next[i];
	else
		t->head = t->next[i];
	if (t->next[i] != FG_DSLOT_NONE)
		t->prev[t->next[i]] = t->prev[i];
	else
		t->tail = t->prev[i];
}

static void lru_push_head(struct fg_dtable *t, uint32_t i)
{
	t->prev[i] = FG_DSLOT_NONE;
	t->next[i] = t->head;
	if (t->head != FG_DSLOT_NONE)
		t->prev[t->head] = i;
	t->head = i;
	if (t->tail == FG_DSLOT_NONE)
		t->tail = i;
}

void fg_dtable_touch(struct fg_dtable *t, struct fg_dslot *s)
{
	uint32_t i = fg_dtable_index(t, s);

	if (t->head == i)
		return;
	lru_unlink(t, i);
	lru_push_head(t, i);
}

/* Backward-shift deletion: move later members of the probe run into the
 * hole when their home bucket allows it.
 */
static void index_delete(struct fg_dtable *t, uint32_t hole)
{
	uint32_t pos = hole;

	for (;;) {
		uint32_t home;
		uint64_t e;

		pos = (pos + 1) & t->mask;
		e = t->index[pos];
		if (e == IDX_EMPTY)
			break;
		home = (uint32_t)fg_dtable_slot(t, idx_slot(e))->hash & t->mask;
		if (((pos - home) & t->mask) >= ((pos - hole) & t->mask)) {
			t->index[hole] = e;
			hole = pos;
		}
	}
	t->index[hole] = IDX_EMPTY;
}

void fg_dtable_remove(struct fg_dtable *t, struct fg_dslot *s)
{
	uint32_t i = fg_dtable_index(t, s);

	if (!s->used)
		return;
	index_delete(t, probe(t, s->name, s->name_len, s->hash));
	lru_unlink(t, i);
	s->used = 0;
	t->next[i] = t->free_head;
	t->free_head = i;
	t->n--;
}

struct fg_dslot *fg_dtable_get(struct fg_dtable *t, const char *name,
			       size_t len, uint64_t hash, bool *created)
{
	uint32_t pos = probe(t, name, len, hash);
	struct fg_dslot *s;
	uint32_t i, gen;

	*created = false;
	if (t->index[pos] != IDX_EMPTY) {
		s = fg_dtable_slot(t, idx_slot(t->index[pos]));
		fg_dtable_touch(t, s);
		return s;
	}
	if (len > FG_DOMAIN_NAME_MAX)
		return NULL;
	if (t->free_head == FG_DSLOT_NONE) {
		fg_dtable_remove(t, fg_dtable_slot(t, t->tail));
		t->evictions++;
		/* The removal may have shifted our empty bucket. */
		pos = probe(t, name, len, hash);
	}
	i = t->free_head;
	s = fg_dtable_slot(t, i);
	t->free_head = t->next[i];
	gen = s->gen + 1;
	memset(s, 0, t->stride);
	s->gen = gen;
	s->used = 1;
	s->hash = hash;
	s->name_len = (uint16_t)len;
	memcpy(s->name, name, len);
	t->index[pos] = idx_entry(hash, i);
	lru_push_head(t, i);
	t->n++;
	*created = true;
	return s;
}

struct fg_dslot *fg_dtable_oldest(struct fg_dtable *t)
{
	return t->tail == FG_DSLOT_NONE ? NULL : fg_dtable_slot(t, t->tail);
}

struct fg_dslot *fg_dtable_newer(struct fg_dtable *t, struct fg_dslot *s)
{
	uint32_t p = t->prev[fg_dtable_index(t, s)];

	return p == FG_DSLOT_NONE ? NULL : fg_dtable_slot(t, p);
}

uint32_t fg_dtable_count(const struct fg_dtable *t)
{
	return t->n;
}

uint32_t fg_dtable_capacity(const struct fg_dtable *t)
{
	return t->cap;
}

uint64_t fg_dtable_evictions(const struct fg_dtable *t)
{
	return t->evictions;
}

size_t fg_dtable_bytes(const struct fg_dtable *t)
{
	return (size_t)t->cap * (t->stride + sizeof(*t->prev) +
				 sizeof(*t->next)) +
	       ((size_t)t->mask + 1) * sizeof(*t->index) + sizeof(*t);
}

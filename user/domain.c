/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Domain table: slots in one array, an open-addressing index of slot
 * numbers (linear probing, backward-shift deletion, so no tombstones
 * pile up) and an intrusive LRU list.
 */
#include <stdlib.h>
#include <string.h>

#include "domain.h"

struct fg_dtable {
	char *slots;
	size_t stride;
	uint32_t cap, n;
	uint32_t *index;	/* slot number, FG_DSLOT_NONE if empty */
	uint32_t mask;
	uint32_t head, tail;	/* LRU: head most recent */
	uint32_t free_head;	/* unused slots, linked through next */
	uint64_t evictions;
};

/* FNV-1a, 64 bits: short keys, no setup, good enough spread for linear
 * probing in a table kept at most half full.
 */
uint64_t fg_name_hash(const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
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
	if (!t->slots || !t->index) {
		fg_dtable_free(t);
		return NULL;
	}
	memset(t->index, 0xff, isize * sizeof(*t->index));
	t->mask = isize - 1;
	t->cap = cap;
	t->head = t->tail = FG_DSLOT_NONE;
	for (uint32_t i = 0; i < cap; i++)
		fg_dtable_slot(t, i)->next = i + 1 < cap ? i + 1 : FG_DSLOT_NONE;
	t->free_head = 0;
	return t;
}

void fg_dtable_free(struct fg_dtable *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->index);
	free(t);
}

static bool slot_is(const struct fg_dslot *s, const char *name, size_t len,
		    uint64_t hash)
{
	return s->hash == hash && s->name_len == len &&
	       !memcmp(s->name, name, len);
}

/* Index position holding slot i, or of the empty bucket ending the probe. */
static uint32_t probe(const struct fg_dtable *t, const char *name, size_t len,
		      uint64_t hash)
{
	uint32_t pos = (uint32_t)hash & t->mask;

	for (;;) {
		uint32_t i = t->index[pos];

		if (i == FG_DSLOT_NONE ||
		    slot_is(fg_dtable_slot((struct fg_dtable *)t, i), name, len,
			    hash))
			return pos;
		pos = (pos + 1) & t->mask;
	}
}

struct fg_dslot *fg_dtable_find(struct fg_dtable *t, const char *name,
				size_t len, uint64_t hash)
{
	uint32_t i = t->index[probe(t, name, len, hash)];

	return i == FG_DSLOT_NONE ? NULL : fg_dtable_slot(t, i);
}

static void lru_unlink(struct fg_dtable *t, struct fg_dslot *s)
{
	if (s->prev != FG_DSLOT_NONE)
		fg_dtable_slot(t, s->prev)->next = s->next;
	else
		t->head = s->next;
	if (s->next != FG_DSLOT_NONE)
		fg_dtable_slot(t, s->next)->prev = s->prev;
	else
		t->tail = s->prev;
}

static void lru_push_head(struct fg_dtable *t, struct fg_dslot *s)
{
	uint32_t i = fg_dtable_index(t, s);

	s->prev = FG_DSLOT_NONE;
	s->next = t->head;
	if (t->head != FG_DSLOT_NONE)
		fg_dtable_slot(t, t->head)->prev = i;
	t->head = i;
	if (t->tail == FG_DSLOT_NONE)
		t->tail = i;
}

void fg_dtable_touch(struct fg_dtable *t, struct fg_dslot *s)
{
	if (t->head == fg_dtable_index(t, s))
		return;
	lru_unlink(t, s);
	lru_push_head(t, s);
}

/* Backward-shift deletion: move later members of the probe run into the
 * hole when their home bucket allows it.
 */
static void index_delete(struct fg_dtable *t, uint32_t hole)
{
	uint32_t pos = hole;

	for (;;) {
		uint32_t i, home;

		pos = (pos + 1) & t->mask;
		i = t->index[pos];
		if (i == FG_DSLOT_NONE)
			break;
		home = (uint32_t)fg_dtable_slot(t, i)->hash & t->mask;
		if (((pos - home) & t->mask) >= ((pos - hole) & t->mask)) {
			t->index[hole] = i;
			hole = pos;
		}
	}
	t->index[hole] = FG_DSLOT_NONE;
}

void fg_dtable_remove(struct fg_dtable *t, struct fg_dslot *s)
{
	if (!s->used)
		return;
	index_delete(t, probe(t, s->name, s->name_len, s->hash));
	lru_unlink(t, s);
	s->used = 0;
	s->next = t->free_head;
	t->free_head = fg_dtable_index(t, s);
	t->n--;
}

struct fg_dslot *fg_dtable_get(struct fg_dtable *t, const char *name,
			       size_t len, uint64_t hash, bool *created)
{
	uint32_t pos = probe(t, name, len, hash);
	struct fg_dslot *s;
	uint32_t i, gen;

	*created = false;
	if (t->index[pos] != FG_DSLOT_NONE) {
		s = fg_dtable_slot(t, t->index[pos]);
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
	t->free_head = s->next;
	gen = s->gen + 1;
	memset(s, 0, t->stride);
	s->gen = gen;
	s->used = 1;
	s->hash = hash;
	s->name_len = (uint16_t)len;
	memcpy(s->name, name, len);
	t->index[pos] = i;
	lru_push_head(t, s);
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
	return s->prev == FG_DSLOT_NONE ? NULL : fg_dtable_slot(t, s->prev);
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
	return (size_t)t->cap * t->stride +
	       ((size_t)t->mask + 1) * sizeof(*t->index) + sizeof(*t);
}

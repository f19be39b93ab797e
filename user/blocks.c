// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Block entries: the one place that knows which map an address or prefix
 * belongs in, and how the program's clock relates to the wall clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "blocks.h"

static double clock_secs(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double fg_now(void)
{
	return clock_secs(CLOCK_REALTIME);
}

void fg_clock_wall(struct fg_clock *c)
{
	c->offset = clock_secs(CLOCK_REALTIME) - clock_secs(CLOCK_MONOTONIC);
}

void fg_clock_replay(struct fg_clock *c)
{
	c->offset = 0;
}

__u64 fg_clock_to_ns(const struct fg_clock *c, double epoch)
{
	double s = epoch - c->offset;

	return s <= 0 ? 1 : (__u64)(s * 1e9);
}

double fg_clock_to_epoch(const struct fg_clock *c, __u64 ns)
{
	return ns / 1e9 + c->offset;
}

static bool is_host(const struct fg_cidr *p)
{
	return p->len == (p->family == AF_INET ? 32u : 128u);
}

/* Picks the map and builds its key for p. */
static int block_key(const struct fg_maps *m, const struct fg_cidr *p,
		     void *key, int *fd)
{
	bool v4 = p->family == AF_INET;

	if (is_host(p)) {
		memcpy(key, p->bytes, v4 ? 4 : 16);
		*fd = v4 ? m->block_v4 : m->block_v6;
	} else {
		struct fg_lpm_v6_key *k = key;	/* same head as the v4 key */

		k->prefixlen = p->len;
		memcpy(k->addr, p->bytes, v4 ? 4 : 16);
		*fd = v4 ? m->block_net4 : m->block_net6;
	}
	return 0;
}

/* Tells the program whether the tries hold anything: an empty trie is
 * then skipped on the fast path.
 */
static int update_prefix_counts(const struct fg_maps *m)
{
	struct fg_lpm_v6_key key, next;
	struct fg_config cfg;
	__u32 zero = 0, n4 = 0, n6 = 0;
	void *prev;

	for (prev = NULL; !bpf_map_get_next_key(m->block_net4, prev, &next);
	     prev = &key, key = next)
		n4++;
	for (prev = NULL; !bpf_map_get_next_key(m->block_net6, prev, &next);
	     prev = &key, key = next)
		n6++;
	if (bpf_map_lookup_elem(m->config, &zero, &cfg))
		return -errno;
	cfg.n_prefix_v4 = n4;
	cfg.n_prefix_v6 = n6;
	if (bpf_map_update_elem(m->config, &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

static __u32 filter_slot(const struct fg_cidr *p)
{
	__u32 w[4];

	if (p->family == AF_INET) {
		memcpy(w, p->bytes, 4);
		return fg_filter_slot_v4(w[0]);
	}
	memcpy(w, p->bytes, 16);
	return fg_filter_slot_v6(w);
}

/* Writers in several processes (run, block, unblock) share the mapping. */
static void filter_add(const struct fg_maps *m, const struct fg_cidr *p,
		       __s32 delta)
{
	if (m->filter)
		__atomic_fetch_add(&m->filter[filter_slot(p)], (__u32)delta,
				   __ATOMIC_SEQ_CST);
}

/* An exact entry: the filter slot is raised before the entry exists and
 * stays raised only if this call created it, so the program never skips
 * the lookup of an entry that is in the map.
 */
static int put_host(const struct fg_maps *m, const struct fg_cidr *p,
		    int fd, const void *key, const struct fg_block *v)
{
	for (;;) {
		filter_add(m, p, 1);
		if (!bpf_map_update_elem(fd, key, v, BPF_NOEXIST))
			return 0;
		filter_add(m, p, -1);
		if (errno != EEXIST)
			return -errno;
		if (!bpf_map_update_elem(fd, key, v, BPF_EXIST))
			return 0;
		/* Removed meanwhile by another writer: add it anew. */
		if (errno != ENOENT)
			return -errno;
	}
}

int fg_block_put(const struct fg_maps *m, const struct fg_cidr *p,
		 const struct fg_block *v)
{
	struct fg_lpm_v6_key key;
	int fd;

	memset(&key, 0, sizeof(key));
	block_key(m, p, &key, &fd);
	if (is_host(p))
		return put_host(m, p, fd, &key, v);
	if (bpf_map_update_elem(fd, &key, v, BPF_ANY))
		return -errno;
	return update_prefix_counts(m);
}

int fg_block_get(const struct fg_maps *m, const struct fg_cidr *p,
		 struct fg_block *v)
{
	struct fg_lpm_v6_key key;
	int fd;

	memset(&key, 0, sizeof(key));
	block_key(m, p, &key, &fd);
	if (is_host(p))
		return bpf_map_lookup_elem(fd, &key, v) ? -errno : 0;
	/* A trie lookup returns the longest match; insist on this prefix. */
	{
		struct fg_lpm_v6_key cur, next;
		void *prev = NULL;

		while (!bpf_map_get_next_key(fd, prev, &next)) {
			if (!memcmp(&next, &key, p->family == AF_INET ?
				    8 : sizeof(key)))
				return bpf_map_lookup_elem(fd, &next, v) ?
				       -errno : 0;
			cur = next;
			prev = &cur;
		}
	}
	return -ENOENT;
}

int fg_block_del(const struct fg_maps *m, const struct fg_cidr *p)
{
	struct fg_lpm_v6_key key;
	int fd;

	memset(&key, 0, sizeof(key));
	block_key(m, p, &key, &fd);
	if (bpf_map_delete_elem(fd, &key))
		return -errno;
	if (!is_host(p))
		return update_prefix_counts(m);
	filter_add(m, p, -1);
	return 0;
}

struct filter_need {
	__u32 *need;
};

static int count_need(const struct fg_cidr *p, const struct fg_block *v,
		      void *ctx)
{
	struct filter_need *f = ctx;

	if (is_host(p))
		f->need[filter_slot(p)]++;
	return 0;
}

int fg_block_filter_repair(const struct fg_maps *m)
{
	struct filter_need f;
	int raised = 0, err;
	__u32 have;

	if (!m->filter)
		return 0;
	f.need = calloc(FG_FILTER_SLOTS, sizeof(*f.need));
	if (!f.need)
		return -ENOMEM;
	err = fg_block_foreach(m, count_need, &f);
	for (__u32 i = 0; !err && i < FG_FILTER_SLOTS; i++) {
		have = __atomic_load_n(&m->filter[i], __ATOMIC_SEQ_CST);
		if (have < f.need[i]) {
			__atomic_fetch_add(&m->filter[i], f.need[i] - have,
					   __ATOMIC_SEQ_CST);
			raised++;
		}
	}
	free(f.need);
	return err ? err : raised;
}

static int walk_map(int fd, int family, bool lpm, fg_block_fn fn, void *ctx)
{
	unsigned char key[sizeof(struct fg_lpm_v6_key)];
	unsigned char next[sizeof(struct fg_lpm_v6_key)];
	size_t alen = family == AF_INET ? 4 : 16;
	struct fg_cidr p;
	struct fg_block v;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(fd, key, &v))
			continue;	/* deleted meanwhile */
		memset(&p, 0, sizeof(p));
		p.family = family;
		if (lpm) {
			const struct fg_lpm_v6_key *k = (const void *)key;

			p.len = k->prefixlen;
			memcpy(p.bytes, k->addr, alen);
		} else {
			p.len = alen * 8;
			memcpy(p.bytes, key, alen);
		}
		err = fn(&p, &v, ctx);
		if (err)
			return err;
	}
	return 0;
}

int fg_block_foreach(const struct fg_maps *m, fg_block_fn fn, void *ctx)
{
	int err;

	err = walk_map(m->block_v4, AF_INET, false, fn, ctx);
	if (!err)
		err = walk_map(m->block_v6, AF_INET6, false, fn, ctx);
	if (!err)
		err = walk_map(m->block_net4, AF_INET, true, fn, ctx);
	if (!err)
		err = walk_map(m->block_net6, AF_INET6, true, fn, ctx);
	return err;
}

static int count_one(const struct fg_cidr *p, const struct fg_block *v,
		     void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

int fg_block_count(const struct fg_maps *m)
{
	int n = 0;

	fg_block_foreach(m, count_one, &n);
	return n;
}

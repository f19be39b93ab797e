// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Block entries: the one place that knows which map an address or prefix
 * belongs in, how the exact index follows the records of exact blocks,
 * and how the program's clock relates to the wall clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

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
static void block_key(const struct fg_maps *m, const struct fg_cidr *p,
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

/* ---- the exact index ----
 *
 * Every exact block has a record in fg_block_v4/v6 (what operators see,
 * and what userspace walks) and an entry in fg_block_exact reached from
 * its head in fg_block_index (what the program reads). The record is
 * written first and removed last, so the index never holds an entry the
 * records do not know, except for a moment inside one of these calls;
 * fg_block_index_repair() puts right what a writer that died in that
 * moment left.
 *
 * Readers (the program, on every CPU) take no lock, so an entry is
 * written whole before the head or the link that leads to it, and a
 * removed entry keeps its link to the next one: a reader standing on it
 * walks on. An entry is reused only once the allocator has gone round
 * every other free one. A reader that still stands on it then (a window
 * of nanoseconds, after millions of other allocations) may walk into
 * another chain and miss its address for one frame; it can never match
 * an address that is not blocked.
 */

static int lock_writers(const struct fg_maps *m)
{
	if (m->write_lock < 0)
		return 0;
	while (flock(m->write_lock, LOCK_EX))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static void unlock_writers(const struct fg_maps *m)
{
	if (m->write_lock >= 0)
		flock(m->write_lock, LOCK_UN);
}

static int index_keys(const struct fg_maps *m, __u64 key[FG_INDEX_KEYS])
{
	struct fg_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->config, &zero, &cfg))
		return -errno;
	memcpy(key, cfg.index_key, sizeof(cfg.index_key));
	return 0;
}

/* Takes the writers' lock and reads the index keys under it; on failure
 * the lock is not held.
 */
static int begin_write(const struct fg_maps *m, __u64 key[FG_INDEX_KEYS])
{
	int err = lock_writers(m);

	if (err)
		return err;
	err = index_keys(m, key);
	if (err)
		unlock_writers(m);
	return err;
}

static __u8 exact_family(const struct fg_cidr *p)
{
	return p->family == AF_INET ? FG_EXACT_V4 : FG_EXACT_V6;
}

/* The address as the program compares it: IPv4 in the first 4 bytes. */
static void exact_addr(const struct fg_cidr *p, __u8 addr[16])
{
	memset(addr, 0, 16);
	memcpy(addr, p->bytes, p->family == AF_INET ? 4 : 16);
}

static __u32 host_slot(const __u64 key[FG_INDEX_KEYS], const struct fg_cidr *p)
{
	__u64 w[2];
	__u32 a;

	if (p->family == AF_INET) {
		memcpy(&a, p->bytes, 4);
		return fg_index_slot_v4(key, a);
	}
	memcpy(w, p->bytes, 16);
	return fg_index_slot_v6(key, w[0], w[1]);
}

/* An entry number + 1 as the index stores it, or 0 if it is none. */
static __u32 valid_ref(__u32 ref)
{
	return ref && ref <= FG_EXACT_MAX ? ref : 0;
}

struct chain_pos {
	__u32 cur;	/* the entry + 1, or 0 when not found */
	__u32 prev;	/* the entry before it + 1, or 0 when it is the head */
	__u32 len;	/* entries on the chain when not found */
};

/* Looks for the entry of (family, addr) on the chain at slot. */
static void chain_find(const struct fg_maps *m, __u32 slot, __u8 family,
		       const __u8 addr[16], struct chain_pos *pos)
{
	__u32 cur = valid_ref(__atomic_load_n(&m->index[slot],
					      __ATOMIC_ACQUIRE));
	__u32 prev = 0, n = 0;

	/* The bound only guards against a damaged chain. */
	while (cur && n < FG_EXACT_MAX) {
		const struct fg_exact *e = &m->exact[cur - 1];

		if (e->family == family && !memcmp(e->addr, addr, 16)) {
			pos->cur = cur;
			pos->prev = prev;
			return;
		}
		prev = cur;
		cur = valid_ref(e->next);
		n++;
	}
	pos->cur = 0;
	pos->prev = 0;
	pos->len = n;
}

/* Where the allocator looks next: free entries are taken in turn. */
static __u32 alloc_next;

static int exact_alloc(const struct fg_maps *m)
{
	__u32 n, id;

	for (n = 0; n < FG_EXACT_MAX; n++) {
		id = (alloc_next + n) % FG_EXACT_MAX;
		if (!__atomic_load_n(&m->exact[id].family, __ATOMIC_ACQUIRE)) {
			alloc_next = id + 1;
			return id;
		}
	}
	return -ENOSPC;
}

static int hits_reset(const struct fg_maps *m, __u32 id)
{
	int ncpu = libbpf_num_possible_cpus();
	struct fg_hits *zero;
	int err = 0;

	if (ncpu <= 0)
		return -EINVAL;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(m->block_hits, &id, zero, BPF_ANY))
		err = -errno;
	free(zero);
	return err;
}

/* The hits of entry id, summed over the CPUs. */
static int hits_sum(const struct fg_maps *m, __u32 id, __u64 *packets,
		    __u64 *bytes)
{
	int ncpu = libbpf_num_possible_cpus(), i, err = 0;
	struct fg_hits *per;

	*packets = *bytes = 0;
	if (ncpu <= 0)
		return -EINVAL;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->block_hits, &id, per)) {
		err = -errno;
	} else {
		for (i = 0; i < ncpu; i++) {
			*packets += per[i].packets;
			*bytes += per[i].bytes;
		}
	}
	free(per);
	return err;
}

/* Writes entry id whole, then the head that leads to it. */
static void exact_link(const struct fg_maps *m, __u32 slot, __u32 id,
		       __u8 family, const __u8 addr[16], __u64 expires_ns)
{
	struct fg_exact *e = &m->exact[id];

	memcpy(e->addr, addr, 16);
	e->expires_ns = expires_ns;
	e->next = valid_ref(m->index[slot]);
	__atomic_store_n(&e->family, family, __ATOMIC_RELEASE);
	__atomic_store_n(&m->index[slot], id + 1, __ATOMIC_RELEASE);
}

/* Takes pos->cur off its chain; its own link stays, for a reader
 * standing on it.
 */
static void exact_detach(const struct fg_maps *m, __u32 slot,
			 const struct chain_pos *pos)
{
	__u32 next = valid_ref(m->exact[pos->cur - 1].next);

	if (pos->prev)
		__atomic_store_n(&m->exact[pos->prev - 1].next, next,
				 __ATOMIC_RELEASE);
	else
		__atomic_store_n(&m->index[slot], next, __ATOMIC_RELEASE);
}

static void exact_unlink(const struct fg_maps *m, __u32 slot,
			 const struct chain_pos *pos)
{
	exact_detach(m, slot, pos);
	__atomic_store_n(&m->exact[pos->cur - 1].family, 0, __ATOMIC_RELEASE);
}

static void to_host(const struct fg_block *v, __u32 id,
		    struct fg_host_block *h)
{
	memset(h, 0, sizeof(*h));
	h->expires_ns = v->expires_ns;
	h->created_ns = v->created_ns;
	h->score = v->score;
	h->reason = v->reason;
	h->exact = id;
	memcpy(h->domain, v->domain, sizeof(h->domain));
}

static void from_host(const struct fg_host_block *h, struct fg_block *v)
{
	memset(v, 0, sizeof(*v));
	v->expires_ns = h->expires_ns;
	v->created_ns = h->created_ns;
	v->score = h->score;
	v->reason = h->reason;
	memcpy(v->domain, h->domain, sizeof(v->domain));
}

/* Brings the index in line with the record of p, which the caller has
 * just read (or not found: have_rec false) and is about to write with
 * h: finds or makes the entry, and returns its number. Call with the
 * writers' lock held, and write the record before exact_publish().
 */
struct host_change {
	__u32 slot;
	struct chain_pos pos;
	__u8 family;
	__u8 addr[16];
	int id;
};

static int host_prepare(const struct fg_maps *m, const __u64 *key,
			const struct fg_cidr *p, bool have_rec,
			const struct fg_host_block *old, struct host_change *c)
{
	c->family = exact_family(p);
	exact_addr(p, c->addr);
	c->slot = host_slot(key, p);
	chain_find(m, c->slot, c->family, c->addr, &c->pos);
	if (c->pos.cur) {
		c->id = c->pos.cur - 1;
		/* An entry the records did not know starts counting anew. */
		return have_rec ? 0 : hits_reset(m, c->id);
	}
	if (c->pos.len >= FG_INDEX_CHAIN)
		return -ENOSPC;
	if (have_rec && old->exact < FG_EXACT_MAX &&
	    !m->exact[old->exact].family)
		c->id = old->exact;
	else
		c->id = exact_alloc(m);
	if (c->id < 0)
		return c->id;
	return hits_reset(m, c->id);
}

static void exact_publish(const struct fg_maps *m, const struct host_change *c,
			  __u64 expires_ns)
{
	if (c->pos.cur)
		__atomic_store_n(&m->exact[c->id].expires_ns, expires_ns,
				 __ATOMIC_RELEASE);
	else
		exact_link(m, c->slot, c->id, c->family, c->addr, expires_ns);
}

static int put_host(const struct fg_maps *m, const struct fg_cidr *p,
		    int fd, const void *key, const struct fg_block *v)
{
	struct fg_host_block h, old;
	__u64 ikey[FG_INDEX_KEYS] = { 0 };
	struct host_change c;
	bool have_rec;
	int err;

	if (!m->index) {
		to_host(v, 0, &h);
		return bpf_map_update_elem(fd, key, &h, BPF_ANY) ? -errno : 0;
	}
	err = begin_write(m, ikey);
	if (err)
		return err;
	have_rec = !bpf_map_lookup_elem(fd, key, &old);
	err = host_prepare(m, ikey, p, have_rec, &old, &c);
	if (err)
		goto out;
	to_host(v, c.id, &h);
	if (bpf_map_update_elem(fd, key, &h, BPF_ANY)) {
		err = -errno;
		goto out;
	}
	exact_publish(m, &c, v->expires_ns);
out:
	unlock_writers(m);
	return err;
}

static int del_host(const struct fg_maps *m, const struct fg_cidr *p, int fd,
		    const void *key)
{
	__u64 ikey[FG_INDEX_KEYS] = { 0 };
	struct chain_pos pos;
	__u8 addr[16];
	__u32 slot;
	int err;

	if (!m->index)
		return bpf_map_delete_elem(fd, key) ? -errno : 0;
	err = begin_write(m, ikey);
	if (err)
		return err;
	exact_addr(p, addr);
	slot = host_slot(ikey, p);
	chain_find(m, slot, exact_family(p), addr, &pos);
	/* The index first: the entry stops being enforced before its
	 * record goes.
	 */
	if (pos.cur)
		exact_unlink(m, slot, &pos);
	if (bpf_map_delete_elem(fd, key))
		err = errno == ENOENT && pos.cur ? 0 : -errno;
	unlock_writers(m);
	return err;
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
	struct fg_lpm_v6_key key, cur, next;
	struct fg_host_block h;
	void *prev = NULL;
	int fd;

	memset(&key, 0, sizeof(key));
	block_key(m, p, &key, &fd);
	if (is_host(p)) {
		if (bpf_map_lookup_elem(fd, &key, &h))
			return -errno;
		from_host(&h, v);
		if (m->index)
			hits_sum(m, h.exact, &v->packets, &v->bytes);
		return 0;
	}
	/* A trie lookup returns the longest match; insist on this prefix. */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!memcmp(&next, &key, p->family == AF_INET ? 8 : sizeof(key)))
			return bpf_map_lookup_elem(fd, &next, v) ? -errno : 0;
		cur = next;
		prev = &cur;
	}
	return -ENOENT;
}

int fg_block_del(const struct fg_maps *m, const struct fg_cidr *p)
{
	struct fg_lpm_v6_key key;
	int fd;

	memset(&key, 0, sizeof(key));
	block_key(m, p, &key, &fd);
	if (is_host(p))
		return del_host(m, p, fd, &key);
	if (bpf_map_delete_elem(fd, &key))
		return -errno;
	return update_prefix_counts(m);
}

/* Calls fn for every record of the host map fd, with its key as stored
 * and as a prefix; stops early when fn returns nonzero.
 */
typedef int (*host_fn)(int fd, const void *rkey, const struct fg_cidr *p,
		       struct fg_host_block *h, void *ctx);

static int host_walk(int fd, int family, host_fn fn, void *ctx)
{
	__u8 k[16], next[16];
	size_t alen = family == AF_INET ? 4 : 16;
	struct fg_host_block h;
	struct fg_cidr p;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(k, next, sizeof(k));
		prev = k;
		if (bpf_map_lookup_elem(fd, k, &h))
			continue;	/* deleted meanwhile */
		memset(&p, 0, sizeof(p));
		p.family = family;
		p.len = alen * 8;
		memcpy(p.bytes, k, alen);
		err = fn(fd, k, &p, &h, ctx);
		if (err)
			return err;
	}
	return 0;
}

struct repair {
	const struct fg_maps *m;
	const __u64 *key;
	__u8 *used;
	int fixed;
};

/* One record of an exact block, during the repair. */
static int repair_one(int fd, const void *rkey, const struct fg_cidr *p,
		      struct fg_host_block *h, void *ctx)
{
	struct repair *rp = ctx;
	const struct fg_maps *m = rp->m;
	struct host_change c;
	int err;

	err = host_prepare(m, rp->key, p, true, h, &c);
	if (err)
		return err;
	if (!c.pos.cur || h->exact != (__u32)c.id) {
		h->exact = c.id;
		if (bpf_map_update_elem(fd, rkey, h, BPF_EXIST))
			return -errno;
		rp->fixed++;
	}
	if (!c.pos.cur || m->exact[c.id].expires_ns != h->expires_ns) {
		exact_publish(m, &c, h->expires_ns);
		rp->fixed++;
	}
	rp->used[c.id] = 1;
	return 0;
}

/* Does entry ref belong on the chain at slot? */
static bool belongs(const struct fg_maps *m, const __u64 *key, __u32 slot,
		    __u32 ref, const __u8 *used)
{
	const struct fg_exact *e = &m->exact[ref - 1];
	struct fg_cidr p;

	if (!e->family || !used[ref - 1])
		return false;
	memset(&p, 0, sizeof(p));
	p.family = e->family == FG_EXACT_V4 ? AF_INET : AF_INET6;
	p.len = p.family == AF_INET ? 32 : 128;
	memcpy(p.bytes, e->addr, p.family == AF_INET ? 4 : 16);
	return host_slot(key, &p) == slot;
}

/* Unlinks from every chain what no record names or what sits on the
 * wrong chain, then frees every entry no record names.
 */
static int sweep(const struct fg_maps *m, const __u64 *key, const __u8 *used)
{
	struct chain_pos pos;
	int fixed = 0;
	__u32 slot, id, n;

	for (slot = 0; slot < FG_INDEX_SLOTS; slot++) {
		pos.prev = 0;
		pos.cur = valid_ref(m->index[slot]);
		for (n = 0; pos.cur && n < FG_EXACT_MAX; n++) {
			__u32 next = valid_ref(m->exact[pos.cur - 1].next);

			/* Detached only: an entry on a foreign chain may be
			 * on its own one too; the unused are freed below.
			 */
			if (belongs(m, key, slot, pos.cur, used)) {
				pos.prev = pos.cur;
			} else {
				exact_detach(m, slot, &pos);
				fixed++;
			}
			pos.cur = next;
		}
		/* A damaged chain that never ends is cut where it stands. */
		if (pos.cur) {
			if (pos.prev)
				m->exact[pos.prev - 1].next = 0;
			else
				m->index[slot] = 0;
			fixed++;
		}
	}
	for (id = 0; id < FG_EXACT_MAX; id++) {
		if (m->exact[id].family && !used[id]) {
			__atomic_store_n(&m->exact[id].family, 0,
					 __ATOMIC_RELEASE);
			fixed++;
		}
	}
	return fixed;
}

int fg_block_index_repair(const struct fg_maps *m)
{
	__u64 key[FG_INDEX_KEYS] = { 0 };
	struct repair rp = { .m = m, .key = key };
	int err;

	if (!m->index)
		return 0;
	rp.used = calloc(FG_EXACT_MAX, 1);
	if (!rp.used)
		return -ENOMEM;
	err = lock_writers(m);
	if (err)
		goto out_free;
	err = index_keys(m, key);
	if (!err)
		err = host_walk(m->block_v4, AF_INET, repair_one, &rp);
	if (!err)
		err = host_walk(m->block_v6, AF_INET6, repair_one, &rp);
	if (!err)
		rp.fixed += sweep(m, key, rp.used);
	unlock_writers(m);
out_free:
	free(rp.used);
	return err ? err : rp.fixed;
}

struct walk {
	const struct fg_maps *m;
	bool counted;
	fg_block_fn fn;
	void *ctx;
};

static int walk_host(int fd, const void *rkey, const struct fg_cidr *p,
		     struct fg_host_block *h, void *ctx)
{
	struct walk *w = ctx;
	struct fg_block v;

	from_host(h, &v);
	if (w->counted && w->m->index)
		hits_sum(w->m, h->exact, &v.packets, &v.bytes);
	return w->fn(p, &v, w->ctx);
}

static int walk_trie(int fd, int family, fg_block_fn fn, void *ctx)
{
	struct fg_lpm_v6_key key, next;
	size_t alen = family == AF_INET ? 4 : 16;
	struct fg_cidr p;
	struct fg_block v;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;	/* deleted meanwhile */
		memset(&p, 0, sizeof(p));
		p.family = family;
		p.len = key.prefixlen;
		memcpy(p.bytes, key.addr, alen);
		err = fn(&p, &v, ctx);
		if (err)
			return err;
	}
	return 0;
}

static int walk_all(const struct fg_maps *m, bool counted, fg_block_fn fn,
		    void *ctx)
{
	struct walk w = { .m = m, .counted = counted, .fn = fn, .ctx = ctx };
	int err;

	err = host_walk(m->block_v4, AF_INET, walk_host, &w);
	if (!err)
		err = host_walk(m->block_v6, AF_INET6, walk_host, &w);
	if (!err)
		err = walk_trie(m->block_net4, AF_INET, fn, ctx);
	if (!err)
		err = walk_trie(m->block_net6, AF_INET6, fn, ctx);
	return err;
}

int fg_block_foreach(const struct fg_maps *m, fg_block_fn fn, void *ctx)
{
	return walk_all(m, false, fn, ctx);
}

int fg_block_foreach_counted(const struct fg_maps *m, fg_block_fn fn,
			     void *ctx)
{
	return walk_all(m, true, fn, ctx);
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

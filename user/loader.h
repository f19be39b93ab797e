/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Loading the XDP object, pinning and adopting its maps under
 * FG_PIN_DIR, attaching it to interfaces through pinned links, and
 * opening the pins again for the read-only commands.
 */
#ifndef FG_LOADER_H
#define FG_LOADER_H

#include <stdbool.h>
#include <net/if.h>

#include "fluxguard.h"

struct fluxguard;
struct bpf_object;

enum fg_mode {
	FG_MODE_NATIVE,
	FG_MODE_SKB,
};

/* File descriptors of the maps, whether they come from a fresh load or
 * from the pins of a running instance.
 */
struct fg_maps {
	int events;
	int stats;
	int config;
	int block_v4;
	int block_v6;
	int block_net4;
	int block_net6;
	int block_name;
	int block_index;
	int block_exact;
	int block_hits;
	/* fg_block_index (FG_INDEX_SLOTS heads) and fg_block_exact
	 * (FG_EXACT_MAX entries) mapped shared; NULL only for maps that no
	 * program reads (unit tests of the policy), which then keep the
	 * records alone.
	 */
	__u32 *index;
	struct fg_exact *exact;
	/* Held around every change of an exact block, so that writers in
	 * several processes (run, block, unblock) keep the chains whole;
	 * -1 for maps private to one process.
	 */
	int write_lock;
};

struct fg_loader {
	struct fluxguard *skel;
	struct fg_maps maps;
	int prog_fd;
	int lock_fd;
	bool pinned;		/* maps live under FG_PIN_DIR */
	bool adopted;		/* at least one map existed before the load */
};

/* Loads the object. With pin set, maps are adopted from FG_PIN_DIR when
 * present and pinned there otherwise, and an exclusive lock keeps a
 * second `run` away. Returns 0 or a negative errno, having printed why.
 */
int fg_loader_load(struct fg_loader *l, bool pin);
void fg_loader_close(struct fg_loader *l);

/* The maps of a loaded skeleton, the index mapped. Returns 0 or a
 * negative errno. The fds stay the skeleton's: fg_maps_unmap() undoes
 * the mapping alone, before the skeleton is destroyed.
 */
int fg_maps_from_skel(struct fg_maps *m, struct fluxguard *s);
/* The same for any loaded object, its maps found by name: a map it does
 * not have is -1, and without the index maps the index stays NULL.
 */
int fg_maps_from_object(struct fg_maps *m, struct bpf_object *obj);
void fg_maps_unmap(struct fg_maps *m);

/* Attaches to ifname in mode through a link pinned as
 * FG_PIN_DIR/link_<ifname>; an existing link is updated in place so the
 * interface is never without the program.
 */
int fg_loader_attach(struct fg_loader *l, const char *ifname,
		     enum fg_mode mode);
/* Removes the link pin of ifname (which detaches it). */
int fg_loader_detach(const char *ifname);
/* Detaches everything and removes every pin. */
int fg_loader_unload_all(void);

/* Opens the pinned maps of a running instance without loading anything. */
int fg_maps_open_pinned(struct fg_maps *m);
void fg_maps_close(struct fg_maps *m);

/* Default configuration: DNS on port 53, wake the consumer once
 * FG_WAKEUP_BYTES are pending.
 */
void fg_config_defaults(struct fg_config *c);

/* Attached interfaces: fills names (IF_NAMESIZE each) and modes, returns
 * the count.
 */
int fg_loader_attached(char names[][IF_NAMESIZE], enum fg_mode *modes,
		       int max);

/* Sums the per-CPU counters. */
int fg_stats_read(int stats_fd, struct fg_stats *out);

#endif /* FG_LOADER_H */

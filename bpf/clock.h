/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The program's clock: the replay clock when userspace sets one, else
 * CLOCK_MONOTONIC_COARSE read once per kernel tick and CPU.
 */
#ifndef FG_CLOCK_H
#define FG_CLOCK_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fluxguard.h"

/* The coarse clock as this CPU last read it, and the jiffy it read it in. */
struct fg_clock {
	__u64 jiffies;
	__u64 ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fg_clock);
} fg_clock SEC(".maps");

/* bpf_ktime_get_coarse_ns() is a helper call (about 16 ns here, most of it
 * the return thunk); bpf_jiffies64() is inlined into one load. The coarse
 * clock only moves at a tick, as jiffies does, so reading it again only
 * when jiffies has moved loses little: the value may be the previous
 * tick's when the read races the tick, so it lags CLOCK_MONOTONIC by at
 * most two ticks (8 ms at HZ=250). Blocks may be enforced that long past
 * their expiry, and events stamped that much early.
 */
static __always_inline __u64 now_ns(const struct fg_config *cfg)
{
	struct fg_clock *c;
	__u32 key = 0;
	__u64 j;

	if (cfg->now_ns)
		return cfg->now_ns;
	c = bpf_map_lookup_elem(&fg_clock, &key);
	if (!c)
		return bpf_ktime_get_coarse_ns();
	j = bpf_jiffies64();
	if (c->jiffies != j || !c->ns) {
		c->jiffies = j;
		c->ns = bpf_ktime_get_coarse_ns();
	}
	return c->ns;
}

#endif /* FG_CLOCK_H */

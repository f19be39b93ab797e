/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The ring buffer that carries events to userspace, and when to wake the
 * consumer.
 */
#ifndef FG_RING_H
#define FG_RING_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fluxguard.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FG_RINGBUF_BYTES);
} fg_events SEC(".maps");

/* Bytes a record of size takes in the ring: an 8-byte header, then the
 * record rounded up to 8 bytes.
 */
#define FG_RING_REC(size)	(((size) + 8 + 7) & ~7ULL)

/* Flags to submit a record of size with; *since counts the bytes this
 * CPU submitted since it last woke the consumer. Waking the consumer per
 * event costs more than parsing it, so a CPU wakes it once per
 * wakeup_bytes (0: never), and the consumer's poll timeout covers a quiet
 * link. Asking the ring how much is pending would be a helper call per
 * event; a wakeup the consumer did not need, being awake, costs little.
 */
static __always_inline __u64 ring_wakeup(const struct fg_config *cfg,
					 __u64 *since, __u64 size)
{
	*since += FG_RING_REC(size);
	if (!cfg->wakeup_bytes || *since < cfg->wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	*since = 0;
	return BPF_RB_FORCE_WAKEUP;
}

#endif /* FG_RING_H */

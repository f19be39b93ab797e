// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Time spent in the NET_RX softirq, per CPU, for bench/edge.sh: the
 * kernel here samples softirq time by tick only, too coarse to compare
 * two receive paths a few percent apart.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* enum in include/linux/interrupt.h; stable since softirqs were split. */
#define NET_RX_SOFTIRQ	3

struct net_rx_time {
	__u64 start_ns;		/* 0 outside the softirq */
	__u64 total_ns;
	__u64 runs;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct net_rx_time);
} net_rx_time SEC(".maps");

SEC("raw_tp/softirq_entry")
int softirq_entry(struct bpf_raw_tracepoint_args *ctx)
{
	struct net_rx_time *t;
	__u32 key = 0;

	if (ctx->args[0] != NET_RX_SOFTIRQ)
		return 0;
	t = bpf_map_lookup_elem(&net_rx_time, &key);
	if (t)
		t->start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/softirq_exit")
int softirq_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct net_rx_time *t;
	__u32 key = 0;

	if (ctx->args[0] != NET_RX_SOFTIRQ)
		return 0;
	t = bpf_map_lookup_elem(&net_rx_time, &key);
	if (!t || !t->start_ns)
		return 0;
	t->total_ns += bpf_ktime_get_ns() - t->start_ns;
	t->runs++;
	t->start_ns = 0;
	return 0;
}

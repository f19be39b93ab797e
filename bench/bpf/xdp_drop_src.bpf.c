// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The least an XDP program can do to block one source, for bench/edge.sh:
 * drop IPv4 frames from BLOCKED_SADDR (host order, set at compile time),
 * pass the rest. Beside fluxguard's drop it shows what attaching any XDP
 * program to a veth costs, apart from fluxguard's own lookups.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef BLOCKED_SADDR
#error "build with -DBLOCKED_SADDR=<IPv4 address as a host-order number>"
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_drop_src(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	return ip->saddr == bpf_htonl(BLOCKED_SADDR) ? XDP_DROP : XDP_PASS;
}

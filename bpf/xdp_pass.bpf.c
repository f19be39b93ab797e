// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The floor for the XDP benchmark: a program that passes every frame, so
 * the cost of BPF_PROG_TEST_RUN itself can be taken out of each figure.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Header parsers for the XDP program: one cursor, one small helper per
 * header, every access checked against data_end before it is made.
 */
#ifndef FG_PARSE_H
#define FG_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* 802.1Q and 802.1ad tags accepted in front of IP; a QinQ frame has two. */
#ifndef FG_VLAN_MAX
#define FG_VLAN_MAX		2
#endif
/* IPv6 extension headers walked before giving up on finding UDP. Real
 * traffic carries one or two; each one costs a bounds check.
 */
#ifndef FG_IPV6_EXT_MAX
#define FG_IPV6_EXT_MAX		6
#endif

struct cursor {
	void *pos;
	void *end;
};

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* Returns the EtherType after up to FG_VLAN_MAX tags, or 0 if truncated. */
static __always_inline __u16 parse_eth(struct cursor *c)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return 0;
	c->pos = eth + 1;
	/* One 16-bit load: struct ethhdr is packed, and its field would be
	 * read a byte at a time.
	 */
	proto = bpf_ntohs(*(const __be16 *)((const __u8 *)eth + ETH_ALEN * 2));

#pragma unroll
	for (i = 0; i < FG_VLAN_MAX; i++) {
		struct vlan_tag *tag = c->pos;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(tag + 1) > c->end)
			return 0;
		c->pos = tag + 1;
		proto = bpf_ntohs(tag->proto);
	}
	return proto;
}

#define IP_MF		0x2000
#define IP_OFFSET	0x1fff
/* What parse_ipv4 returns for protocol number 0: 0 itself means an
 * invalid header, and a valid one must still be checked against the
 * blocks. No protocol number is this large, so it matches no transport.
 */
#define FG_IPPROTO_ZERO	256

/* Fills the addresses; returns the L4 protocol (FG_IPPROTO_ZERO for 0),
 * 0 if truncated or invalid, or -1 for a fragment (addresses still
 * filled, for blocking).
 */
static __always_inline int parse_ipv4(struct cursor *c, __u32 *saddr,
				      __u32 *daddr)
{
	struct iphdr *ip = c->pos;
	__u32 hlen;

	if ((void *)(ip + 1) > c->end)
		return 0;
	hlen = ip->ihl * 4;
	if (ip->version != 4 || hlen < sizeof(*ip))
		return 0;
	if (c->pos + hlen > c->end)
		return 0;
	*saddr = ip->saddr;
	*daddr = ip->daddr;
	c->pos += hlen;
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return -1;
	return ip->protocol ? ip->protocol : FG_IPPROTO_ZERO;
}

struct ipv6_opt_hdr_min {
	__u8 nexthdr;
	__u8 hdrlen;
};

/* Same contract as parse_ipv4; *ext_limit is set when the chain of
 * extension headers is longer than FG_IPV6_EXT_MAX.
 */
static __always_inline int parse_ipv6(struct cursor *c, struct ipv6hdr **out,
				      int *ext_limit)
{
	struct ipv6hdr *ip6 = c->pos;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6 + 1) > c->end)
		return 0;
	if (ip6->version != 6)
		return 0;
	*out = ip6;
	c->pos = ip6 + 1;
	nexthdr = ip6->nexthdr;

#pragma unroll
	for (i = 0; i < FG_IPV6_EXT_MAX; i++) {
		struct ipv6_opt_hdr_min *opt = c->pos;

		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if ((void *)(opt + 1) > c->end)
				return 0;
			nexthdr = opt->nexthdr;
			c->pos += (opt->hdrlen + 1) * 8;
			break;
		case IPPROTO_AH:
			if ((void *)(opt + 1) > c->end)
				return 0;
			nexthdr = opt->nexthdr;
			c->pos += (opt->hdrlen + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			/* Even an atomic fragment is left alone: rare for
			 * DNS, and reassembly is the stack's job.
			 */
			return -1;
		default:
			return nexthdr;
		}
	}
	/* The chain may end right after the last header walked. */
	switch (nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
		*ext_limit = 1;
		return 0;
	case IPPROTO_FRAGMENT:
		return -1;
	default:
		return nexthdr;
	}
}

#endif /* FG_PARSE_H */

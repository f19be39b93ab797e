/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Never-block policy. Operator lists (allowlist, never_block, resolvers,
 * gateway addresses) always win; special-purpose ranges are refused too
 * unless allow_block_cidr opens them, which a lab built on the
 * benchmarking range or on ULA space needs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"

#define FG_REFUSAL_NAME(id, name) [FG_POL_##id] = name,
static const char *const refusal_names[FG_POL_COUNT] = {
	FG_REFUSALS(FG_REFUSAL_NAME)
};
#undef FG_REFUSAL_NAME

const char *fg_refusal_str(enum fg_refusal r)
{
	return (unsigned int)r < FG_POL_COUNT ? refusal_names[r] : "?";
}

struct special_range {
	const char *cidr;
	enum fg_refusal why;
};

/* IANA special-purpose registries (RFC 6890 and successors). */
static const struct special_range special[] = {
	{ "0.0.0.0/8", FG_POL_UNSPECIFIED },
	{ "127.0.0.0/8", FG_POL_LOOPBACK },
	{ "169.254.0.0/16", FG_POL_LINK_LOCAL },
	{ "10.0.0.0/8", FG_POL_PRIVATE },
	{ "172.16.0.0/12", FG_POL_PRIVATE },
	{ "192.168.0.0/16", FG_POL_PRIVATE },
	{ "100.64.0.0/10", FG_POL_CGNAT },
	{ "224.0.0.0/4", FG_POL_MULTICAST },
	{ "192.0.2.0/24", FG_POL_DOCUMENTATION },
	{ "198.51.100.0/24", FG_POL_DOCUMENTATION },
	{ "203.0.113.0/24", FG_POL_DOCUMENTATION },
	{ "198.18.0.0/15", FG_POL_BENCHMARK },
	{ "192.0.0.0/24", FG_POL_RESERVED },
	{ "240.0.0.0/4", FG_POL_RESERVED },
	{ "::/128", FG_POL_UNSPECIFIED },
	{ "::1/128", FG_POL_LOOPBACK },
	{ "fe80::/10", FG_POL_LINK_LOCAL },
	{ "fc00::/7", FG_POL_PRIVATE },
	{ "ff00::/8", FG_POL_MULTICAST },
	{ "2001:db8::/32", FG_POL_DOCUMENTATION },
	{ "3fff::/20", FG_POL_DOCUMENTATION },
	{ "2001:2::/48", FG_POL_BENCHMARK },
	{ "::ffff:0:0/96", FG_POL_RESERVED },
	{ "100::/64", FG_POL_RESERVED },
};

#define N_SPECIAL	(sizeof(special) / sizeof(special[0]))

struct fg_policy {
	const struct fg_allowlist *al;
	const struct fg_asn_db *asn;
	struct fg_cidr_list never_block;
	struct fg_cidr_list resolvers;
	struct fg_cidr_list gateway_cfg;
	struct fg_cidr_list allow_block;
	struct fg_addr gateway[FG_POLICY_GATEWAY_MAX];
	unsigned int n_gateway;
	struct fg_cidr special[N_SPECIAL];
	uint64_t refusals[FG_POL_COUNT];
};

struct fg_policy *fg_policy_new(const struct fg_settings *s,
				const struct fg_allowlist *al,
				const struct fg_asn_db *asn)
{
	struct fg_policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->al = al;
	p->asn = asn;
	p->never_block = s->never_block;
	p->resolvers = s->resolvers;
	p->gateway_cfg = s->gateway_addrs;
	p->allow_block = s->allow_block;
	for (size_t i = 0; i < N_SPECIAL; i++) {
		if (fg_cidr_parse(special[i].cidr, &p->special[i])) {
			free(p);
			return NULL;
		}
	}
	return p;
}

void fg_policy_free(struct fg_policy *p)
{
	free(p);
}

int fg_policy_add_gateway(struct fg_policy *p, const struct fg_addr *a)
{
	if (p->n_gateway >= FG_POLICY_GATEWAY_MAX)
		return -ENOSPC;
	p->gateway[p->n_gateway++] = *a;
	return 0;
}

void fg_policy_clear_gateways(struct fg_policy *p)
{
	p->n_gateway = 0;
}

void fg_policy_set_allowlist(struct fg_policy *p,
			     const struct fg_allowlist *al)
{
	p->al = al;
}

static bool in_list(const struct fg_cidr_list *l, const struct fg_addr *a)
{
	for (unsigned int i = 0; i < l->n; i++)
		if (fg_cidr_contains(&l->v[i], a))
			return true;
	return false;
}

static bool is_gateway(const struct fg_policy *p, const struct fg_addr *a)
{
	size_t len = a->family == AF_INET ? 4 : 16;

	for (unsigned int i = 0; i < p->n_gateway; i++)
		if (p->gateway[i].family == a->family &&
		    !memcmp(p->gateway[i].bytes, a->bytes, len))
			return true;
	return in_list(&p->gateway_cfg, a);
}

static enum fg_refusal special_range(const struct fg_policy *p,
				     const struct fg_addr *a)
{
	for (size_t i = 0; i < N_SPECIAL; i++)
		if (fg_cidr_contains(&p->special[i], a))
			return in_list(&p->allow_block, a) ? FG_POL_OK :
			       special[i].why;
	return FG_POL_OK;
}

static enum fg_refusal decide(const struct fg_policy *p,
			      const struct fg_addr *a, uint32_t asn)
{
	if (a->family != AF_INET && a->family != AF_INET6)
		return FG_POL_UNSPECIFIED;
	if (fg_allowlist_addr(p->al, a))
		return FG_POL_ALLOWLIST;
	if (!asn)
		asn = fg_asn_lookup(p->asn, a);
	if (fg_allowlist_asn(p->al, asn))
		return FG_POL_ALLOWLIST;
	if (in_list(&p->never_block, a))
		return FG_POL_NEVER_BLOCK;
	if (in_list(&p->resolvers, a))
		return FG_POL_RESOLVER;
	if (is_gateway(p, a))
		return FG_POL_GATEWAY;
	return special_range(p, a);
}

enum fg_refusal fg_policy_check(struct fg_policy *p, const struct fg_addr *a,
				uint32_t asn)
{
	enum fg_refusal r = decide(p, a, asn);

	if (r != FG_POL_OK)
		p->refusals[r]++;
	return r;
}

enum fg_refusal fg_policy_peek(const struct fg_policy *p,
			       const struct fg_addr *a, uint32_t asn)
{
	return decide(p, a, asn);
}

uint64_t fg_policy_refusals(const struct fg_policy *p, enum fg_refusal r)
{
	return (unsigned int)r < FG_POL_COUNT ? p->refusals[r] : 0;
}

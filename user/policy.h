/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Never-block decisions: before any address is blocked the policy is
 * asked, and it refuses allowlisted, configured, local and special-purpose
 * addresses with a reason that the caller counts and logs.
 */
#ifndef FG_POLICY_H
#define FG_POLICY_H

#include <stdint.h>

#include "allowlist.h"
#include "asn.h"
#include "config.h"

/* Addresses of the gateway itself the caller may register. */
#define FG_POLICY_GATEWAY_MAX	64

#define FG_REFUSALS(X)							\
	X(OK, "ok")							\
	X(ALLOWLIST, "allowlisted")					\
	X(NEVER_BLOCK, "never_block")					\
	X(RESOLVER, "resolver")						\
	X(GATEWAY, "gateway")						\
	X(UNSPECIFIED, "unspecified")					\
	X(LOOPBACK, "loopback")						\
	X(LINK_LOCAL, "link_local")					\
	X(PRIVATE, "private")						\
	X(CGNAT, "cgnat")						\
	X(MULTICAST, "multicast")					\
	X(DOCUMENTATION, "documentation")				\
	X(BENCHMARK, "benchmark")					\
	X(RESERVED, "reserved")

#define FG_REFUSAL_ENUM(id, name) FG_POL_##id,
enum fg_refusal {
	FG_REFUSALS(FG_REFUSAL_ENUM)
	FG_POL_COUNT
};
#undef FG_REFUSAL_ENUM

/* Short stable name of a refusal ("ok" for FG_POL_OK). */
const char *fg_refusal_str(enum fg_refusal r);

struct fg_policy;

/* s, al and asn must outlive the policy; al and asn may be NULL. The
 * policy copies the lists it needs from s.
 */
struct fg_policy *fg_policy_new(const struct fg_settings *s,
				const struct fg_allowlist *al,
				const struct fg_asn_db *asn);
void fg_policy_free(struct fg_policy *p);

/* Register one of the gateway's own addresses. Returns 0 or -ENOSPC. */
int fg_policy_add_gateway(struct fg_policy *p, const struct fg_addr *a);
void fg_policy_clear_gateways(struct fg_policy *p);

/* Swap the allowlist (after a reload). */
void fg_policy_set_allowlist(struct fg_policy *p,
			     const struct fg_allowlist *al);

/* May a be blocked? asn is its origin if known (0: look it up). Counts
 * every refusal by reason.
 */
enum fg_refusal fg_policy_check(struct fg_policy *p, const struct fg_addr *a,
				uint32_t asn);

/* The same decision without counting (status and explanations). */
enum fg_refusal fg_policy_peek(const struct fg_policy *p,
			       const struct fg_addr *a, uint32_t asn);

/* Refusals counted so far for reason r. */
uint64_t fg_policy_refusals(const struct fg_policy *p, enum fg_refusal r);

#endif /* FG_POLICY_H */

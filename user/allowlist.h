/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The allowlist: names, CNAME targets, ASNs and prefixes that are known
 * benign (CDNs, cloud front ends, NTP pools). Loaded from files of
 * `KIND VALUE` lines; the scorer skips what it matches and the policy
 * never blocks it.
 */
#ifndef FG_ALLOWLIST_H
#define FG_ALLOWLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

enum fg_allow_kind {
	FG_ALLOW_DOMAIN,	/* owner name or any name below it */
	FG_ALLOW_CNAME,		/* CNAME target suffix: the chain is benign */
	FG_ALLOW_ASN,		/* addresses originated by this ASN */
	FG_ALLOW_CIDR,		/* addresses inside this prefix */
	FG_ALLOW_KINDS,
};

struct fg_allowlist;

struct fg_allowlist *fg_allowlist_new(void);
void fg_allowlist_free(struct fg_allowlist *al);

/* Add the entries of path. Lines: `domain NAME`, `cname NAME`,
 * `asn NUMBER` (or ASNUMBER), `cidr PREFIX`; `#` starts a comment. On
 * error nothing from this file is kept, err holds "FILE:LINE: what is
 * wrong" and a negative errno is returned.
 */
int fg_allowlist_load(struct fg_allowlist *al, const char *path,
		      char *err, size_t errlen);

/* Add one entry from its text form (the VALUE of a file line). */
int fg_allowlist_add(struct fg_allowlist *al, enum fg_allow_kind kind,
		     const char *value);

/* Name matching: name equals an entry or lies below it (label-wise). */
bool fg_allowlist_domain(const struct fg_allowlist *al, const char *name);
bool fg_allowlist_cname(const struct fg_allowlist *al, const char *name);
bool fg_allowlist_asn(const struct fg_allowlist *al, uint32_t asn);
bool fg_allowlist_addr(const struct fg_allowlist *al, const struct fg_addr *a);

size_t fg_allowlist_count(const struct fg_allowlist *al,
			  enum fg_allow_kind kind);

#endif /* FG_ALLOWLIST_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Address prefixes (CIDR) for the config, the allowlist and the policy:
 * parsing, matching and formatting, IPv4 and IPv6 alike.
 */
#ifndef FG_CIDR_H
#define FG_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct fg_cidr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t len;		/* prefix length in bits */
	uint8_t bytes[16];	/* network order, host bits zero */
};

/* Parse "ADDR" or "ADDR/LEN". A bare address is a host prefix. Host bits
 * set beyond LEN are an error, so a typo is not silently widened.
 * Returns 0 or -EINVAL.
 */
int fg_cidr_parse(const char *s, struct fg_cidr *out);

/* Parse a bare IPv4 or IPv6 address. Returns 0 or -EINVAL. */
int fg_addr_parse(const char *s, struct fg_addr *out);

bool fg_cidr_contains(const struct fg_cidr *c, const struct fg_addr *a);

/* "ADDR/LEN" into buf, or "ADDR" for a host prefix (FG_CIDR_STRLEN bytes is always enough). */
#define FG_CIDR_STRLEN	(46 + 4)
const char *fg_cidr_str(const struct fg_cidr *c, char *buf, size_t size);

/* Address as text into buf (INET6_ADDRSTRLEN bytes is always enough). */
const char *fg_addr_text(const struct fg_addr *a, char *buf, size_t size);

#endif /* FG_CIDR_H */

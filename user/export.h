/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Sharing what fluxguard knows: indicators (flagged names, blocked
 * addresses and prefixes) written as a STIX 2.1 bundle, a Response Policy
 * Zone or CSV, and the pieces those formats need (RFC 3339 times, name
 * based UUIDs, rpz-ip owner names). The formats are in docs/sharing.md.
 */
#ifndef FG_EXPORT_H
#define FG_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "cidr.h"
#include "domain.h"
#include "fluxguard.h"

enum fg_export_format {
	FG_FMT_STIX,
	FG_FMT_RPZ,
	FG_FMT_CSV,
};

/* The CSV header, also how an import recognises a CSV export. */
#define FG_CSV_HEADER	"type,value,domain,reason,score,created,expires"
/* Origin of the exported zone; a resolver names the zone in its own
 * configuration, the file works under any name.
 */
#define FG_RPZ_ORIGIN	"rpz.fluxguard."
/* Longest rpz-ip owner: "128." and eight "ffff." words plus the suffix. */
#define FG_RPZ_IP_MAX	64

struct fg_indicator {
	uint8_t kind;			/* enum fg_feed_kind */
	char name[FG_DOMAIN_NAME_MAX + 1];
	struct fg_cidr cidr;
	char domain[FG_BLOCK_LABEL_LEN];	/* label beside an address */
	uint8_t reason;			/* enum fg_block_reason */
	double score;			/* verdict score, 0 when none */
	double created;			/* epoch seconds */
	double expires;			/* epoch seconds, 0 never */
};

/* Writes n indicators (sorted by the caller for stable output) at now.
 * Returns 0 or -EIO.
 */
int fg_export_write(FILE *f, enum fg_export_format fmt,
		    const struct fg_indicator *v, size_t n, double now);

/* "2026-12-03T20:05:12.000Z" into buf (at least 32 bytes). */
const char *fg_rfc3339(double epoch, char *buf, size_t size);

/* A version 5 UUID (SHA-1, RFC 9562) of text under fluxguard's own
 * namespace into buf (at least 37 bytes).
 */
const char *fg_uuid5(const char *text, char *buf, size_t size);

/* rpz-ip owner for c, relative to the zone ("32.2.1.19.198.rpz-ip"). */
const char *fg_rpz_ip_owner(const struct fg_cidr *c, char *buf, size_t size);
/* The reverse: owner without the zone suffix. Returns 0 or -EINVAL. */
int fg_rpz_ip_parse(const char *owner, struct fg_cidr *out);

/* Confidence 0-100 of a STIX indicator: the verdict score capped at 100,
 * 100 for an operator's own block, -1 (left out) when unknown.
 */
int fg_confidence(uint8_t reason, double score);

#endif /* FG_EXPORT_H */

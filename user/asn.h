/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Offline IP-to-ASN database: CSV range files loaded into sorted arrays
 * and searched in memory, so the scorer's hot path never touches a file.
 * Optional country lookups from a MaxMind database live here too.
 */
#ifndef FG_ASN_H
#define FG_ASN_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* File names inside the database directory. */
#define FG_ASN_FILE_V4	"asn-ipv4.csv"
#define FG_ASN_FILE_V6	"asn-ipv6.csv"

struct fg_asn_db;

/* Load DIR/asn-ipv4.csv and DIR/asn-ipv6.csv. Each row is
 * `start,end,asn,org` (org may be double-quoted and hold commas). Rows
 * out of order are sorted after loading. Returns 0, or a negative errno
 * with err set to "FILE:LINE: what is wrong" (LINE 0 for file errors).
 */
int fg_asn_db_load(const char *dir, struct fg_asn_db **out,
		   char *err, size_t errlen);

/* Same, from two explicit files; either may be NULL to leave that family
 * without data.
 */
int fg_asn_db_load_files(const char *v4, const char *v6,
			 struct fg_asn_db **out, char *err, size_t errlen);

void fg_asn_db_free(struct fg_asn_db *db);

/* Origin ASN of a, or 0 when no range covers it. */
uint32_t fg_asn_lookup(const struct fg_asn_db *db, const struct fg_addr *a);

/* Number of ranges loaded for AF_INET or AF_INET6. */
size_t fg_asn_db_ranges(const struct fg_asn_db *db, int family);

/* Country database (MaxMind .mmdb). */
struct fg_geo_db;

/* Open path; returns 0 or a negative errno with err set. */
int fg_geo_open(const char *path, struct fg_geo_db **out,
		char *err, size_t errlen);
void fg_geo_close(struct fg_geo_db *g);

/* Two-letter ISO country code of a packed as (c0 << 8 | c1), 0 if none. */
uint16_t fg_geo_country(struct fg_geo_db *g, const struct fg_addr *a);

#endif /* FG_ASN_H */

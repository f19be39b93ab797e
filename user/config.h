/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Runtime settings: defaults, the `key = value` config file parser and
 * the scoring features whose weights the file can set.
 */
#ifndef FG_CONFIG_H
#define FG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "fluxguard.h"

/* Paths longer than this are refused: they come from a config file that an
 * operator writes, and fixed buffers keep the settings one flat struct.
 */
#define FG_PATH_MAX		512
/* Entries per repeatable address list (resolver, never_block ...): a
 * gateway has a handful; hundreds belong in an allowlist file.
 */
#define FG_CFG_LIST_MAX		64
/* Allowlist files named in one config. */
#define FG_CFG_FILES_MAX	16
/* Addresses kept per domain: the hard ceiling for max_addrs_per_domain,
 * which sizes every domain slot and every verdict.
 */
#define FG_ADDRS_PER_DOMAIN_MAX	128
/* "ADDR:PORT" of the metrics endpoint: an IPv6 address in brackets and
 * a port fit.
 */
#define FG_ADDRPORT_MAX		64
/* Default ASN database directory (scripts/deps.sh installs it there). */
#define FG_ASN_DIR_DEFAULT	"/usr/local/share/fluxguard/asn"

/* Scoring features. Each has a weight in the settings; the group decides
 * which partial score (and which gate) it feeds, see docs/scoring.md.
 */
#define FG_FEATURES(X)							\
	X(ADDRESSES, "addresses")					\
	X(PREFIXES, "prefixes")						\
	X(PREFIX16_ENTROPY, "prefix16_entropy")				\
	X(ASNS, "asns")							\
	X(COUNTRIES, "countries")					\
	X(SHARED, "shared_addresses")					\
	X(HOLZ, "holz")							\
	X(TTL_MIN, "ttl_min")						\
	X(TTL_MEDIAN, "ttl_median")					\
	X(GROWTH, "growth_per_min")					\
	X(CHANGES, "answer_changes")					\
	X(NS_NAMES, "ns_names")						\
	X(NS_CHURN, "ns_churn")						\
	X(NS_PREFIXES, "ns_prefixes")					\
	X(NS_ASNS, "ns_asns")

#define FG_FEATURE_ENUM(id, name) FG_F_##id,
enum fg_feature {
	FG_FEATURES(FG_FEATURE_ENUM)
	FG_F_COUNT
};
#undef FG_FEATURE_ENUM

/* Name of a feature as used in weight.<name> and in events. */
const char *fg_feature_name(enum fg_feature f);

enum fg_block_mode {
	FG_BLOCK_ADDRESSES = 0,		/* drop traffic to the flux addresses */
	FG_BLOCK_NAMES,			/* sinkhole the names' answers only */
	FG_BLOCK_BOTH,
};

struct fg_cidr_list {
	unsigned int n;
	struct fg_cidr v[FG_CFG_LIST_MAX];
};

struct fg_settings {
	char asn_dir[FG_PATH_MAX];	/* "" disables ASN features */
	char country_db[FG_PATH_MAX];	/* "" (default) disables countries */
	unsigned int n_allowlists;
	char allowlists[FG_CFG_FILES_MAX][FG_PATH_MAX];
	char events[FG_PATH_MAX];	/* "" none, "-" stdout, else a file */
	unsigned int n_feeds;
	char feeds[FG_CFG_FILES_MAX][FG_PATH_MAX];	/* docs/sharing.md */
	char metrics_listen[FG_ADDRPORT_MAX];	/* "" off, else ADDR:PORT */
	char metrics_file[FG_PATH_MAX];		/* "" off */
	bool log_answers;		/* passive DNS "answer" events */
	/* Score only responses that answer a query seen on the wire; needs
	 * the program on the interface the queries arrive on.
	 */
	bool query_match;
	bool dry_run;

	double window_short;		/* seconds: rates and TTLs */
	double window_long;		/* seconds: address sets */
	uint32_t max_domains;		/* tracked names, LRU beyond */
	uint32_t max_addrs_per_domain;

	double block_ttl;		/* seconds a block lives */
	uint32_t max_blocks_total;
	uint32_t max_blocks_per_domain;
	uint32_t max_blocks_per_minute;
	enum fg_block_mode block_mode;
	struct fg_addr sinkhole_v4;	/* what rewritten A records say */
	struct fg_addr sinkhole_v6;

	unsigned int n_dns_ports;
	uint16_t dns_ports[FG_MAX_DNS_PORTS];
	struct fg_cidr_list resolvers;
	struct fg_cidr_list gateway_addrs;
	struct fg_cidr_list never_block;
	struct fg_cidr_list allow_block;	/* special ranges made blockable */

	double ttl_reference;		/* TTL at which the TTL score is 0 */
	double weight[FG_F_COUNT];
	double threshold_single;	/* total score for a verdict */
	double threshold_diversity;	/* gate: address-set diversity */
	double threshold_behaviour;	/* gate: TTL and churn */
	double threshold_double;	/* NS part for kind double_flux */
};

/* Fill s with the built-in defaults (documented in etc/fluxguard.conf). */
void fg_settings_defaults(struct fg_settings *s);

/* Read a config file on top of the defaults. On success *out is replaced
 * and 0 returned. On error *out is untouched, err holds
 * "FILE:LINE: what is wrong" and a negative errno is returned.
 */
int fg_settings_load(const char *path, struct fg_settings *out,
		     char *err, size_t errlen);

/* Longest duration accepted: a year. Durations become nanoseconds of a
 * 64-bit clock (block expiry) and 1/16 s ticks in 32 bits (the scorer's
 * windows); a year fits both with room to spare, and nothing longer is
 * a useful window or block.
 */
#define FG_DURATION_MAX		(365 * 86400.0)

/* Parse "30", "30s", "5m", "2h", "1d" (also fractions: "1.5m") into
 * seconds. Returns 0, or -EINVAL for text that is not one or a duration
 * over FG_DURATION_MAX.
 */
int fg_parse_duration(const char *s, double *out);

#endif /* FG_CONFIG_H */

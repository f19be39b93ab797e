/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The fast-flux scorer: fed decoded DNS responses with the time passed in,
 * it keeps bounded per-name and per-zone state over a short and a long
 * sliding window, computes the features of docs/scoring.md and returns
 * verdicts, each listing every feature with its value and contribution
 * and the addresses to block as cleared (or refused) by the policy.
 *
 * Plain structs in, plain structs out. Not thread-safe: one scorer per
 * consumer thread.
 */
#ifndef FG_SCORE_H
#define FG_SCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "allowlist.h"
#include "asn.h"
#include "config.h"
#include "domain.h"
#include "policy.h"
#include "record.h"

/* Holz et al. (NDSS 2008) linear flux score and its decision threshold. */
#define FG_HOLZ_A		1.32
#define FG_HOLZ_ASN		18.54
#define FG_HOLZ_THRESHOLD	142.38

enum fg_kind {
	FG_KIND_NONE = 0,
	FG_KIND_SINGLE_FLUX,
	FG_KIND_DOUBLE_FLUX,
};

/* "single_flux", "double_flux" or "none". */
const char *fg_kind_str(enum fg_kind k);

struct fg_feature_value {
	const char *name;	/* static string, see fg_feature_name() */
	bool known;		/* false: no data (e.g. no ASN database) */
	double value;		/* raw value: a count, seconds, a ratio */
	double weight;
	double contribution;	/* 0 when !known */
};

struct fg_verdict_addr {
	struct fg_addr addr;
	uint32_t asn;			/* 0 unknown */
	enum fg_refusal refusal;	/* FG_POL_OK: may be blocked */
};

struct fg_verdict {
	double ts;
	char domain[FG_DOMAIN_NAME_MAX + 1];	/* owner of the address records */
	char registrable[FG_DOMAIN_NAME_MAX + 1];
	enum fg_kind kind;
	bool is_new;			/* first verdict since it was flagged */
	bool kind_changed;		/* flagged before, as another kind */
	double score, threshold;
	double diversity, behaviour, ns_score;	/* partial scores */
	struct fg_feature_value features[FG_F_COUNT];
	/* New: every live address of the name; afterwards: this response's. */
	unsigned int n_addrs;
	struct fg_verdict_addr addrs[FG_ADDRS_PER_DOMAIN_MAX];
};

struct fg_domain_summary {
	char domain[FG_DOMAIN_NAME_MAX + 1];
	char registrable[FG_DOMAIN_NAME_MAX + 1];
	double score;
	bool flagged;
	enum fg_kind kind;
	unsigned int n_addrs;
	double first_seen, last_seen;
};

struct fg_scorer_stats {
	uint64_t responses;		/* fed */
	uint64_t records;		/* address records scored */
	uint64_t allowlisted;		/* address records skipped as allowlisted */
	uint64_t names_too_long;	/* owners over FG_DOMAIN_NAME_MAX */
	uint64_t domain_evictions;	/* names dropped by LRU at the cap */
	uint64_t zone_evictions;
	uint64_t expired;		/* names aged out of the long window */
	uint64_t addr_set_full;		/* addresses displaced in a full set */
	uint64_t ns_set_full;
	uint64_t shared_evictions;	/* reuse index entries displaced */
	uint64_t verdicts;
	uint64_t verdicts_dropped;	/* no room in the caller's array */
	uint32_t domains, zones;	/* tracked now */
	uint32_t max_domains, max_zones;
	size_t bytes;			/* allocated for all scorer tables */
};

struct fg_scorer;

/* settings is copied; asn, allow and policy are borrowed and may be NULL
 * (no ASN features, nothing allowlisted, nothing refused). Returns NULL
 * on allocation failure.
 */
struct fg_scorer *fg_scorer_new(const struct fg_settings *s,
				const struct fg_asn_db *asn,
				const struct fg_allowlist *allow,
				struct fg_policy *policy);
void fg_scorer_free(struct fg_scorer *sc);

/* Optional country database (borrowed); NULL turns countries off. */
void fg_scorer_set_geo(struct fg_scorer *sc, struct fg_geo_db *geo);
/* Swap the allowlist after a reload; cached name decisions are redone. */
void fg_scorer_set_allowlist(struct fg_scorer *sc,
			     const struct fg_allowlist *allow);

/* Feed one response observed at now (epoch seconds; never read inside).
 * For every name that is flagged after this response and had address
 * records in it, a verdict is written to out (up to max_out; the rest are
 * counted as dropped). Returns the number of verdicts written.
 */
int fg_scorer_feed(struct fg_scorer *sc, const struct fg_response *r,
		   double now, struct fg_verdict *out, int max_out);

/* Forget names and zones not seen within the long window. */
void fg_scorer_expire(struct fg_scorer *sc, double now);

/* Is name flagged at now, given what has aged out since? */
bool fg_scorer_is_flagged(struct fg_scorer *sc, const char *name, double now);

/* Score name at now into out whether or not it is flagged (status and
 * explanations; addresses are every live one). Returns 0 or -ENOENT.
 */
int fg_scorer_explain(struct fg_scorer *sc, const char *name, double now,
		      struct fg_verdict *out);

/* The gates a name must pass to be flagged: flux is enough evidence
 * overall, a spread-out address set and flux-like behaviour (short TTLs,
 * churn), each on its own.
 */
enum fg_gate {
	FG_GATE_SCORE,
	FG_GATE_DIVERSITY,
	FG_GATE_BEHAVIOUR,
	FG_GATE_COUNT,
};

struct fg_gate_check {
	const char *name;	/* as in status */
	double value, threshold;
	bool short_of;		/* value < threshold: the gate holds */
};

/* Fills out[] with every gate's value, threshold and verdict; returns
 * how many gates the partial scores fall short of (0: flagged).
 */
static inline int fg_gates(const struct fg_settings *s, double score,
			   double diversity, double behaviour,
			   struct fg_gate_check out[FG_GATE_COUNT])
{
	int g, short_of = 0;

	out[FG_GATE_SCORE] = (struct fg_gate_check){
		.name = "score", .value = score,
		.threshold = s->threshold_single };
	out[FG_GATE_DIVERSITY] = (struct fg_gate_check){
		.name = "diversity", .value = diversity,
		.threshold = s->threshold_diversity };
	out[FG_GATE_BEHAVIOUR] = (struct fg_gate_check){
		.name = "behaviour", .value = behaviour,
		.threshold = s->threshold_behaviour };
	for (g = 0; g < FG_GATE_COUNT; g++) {
		out[g].short_of = out[g].value < out[g].threshold;
		short_of += out[g].short_of;
	}
	return short_of;
}

/* Longest list fg_scorer_top() returns. */
#define FG_TOP_MAX		64

/* Up to n (at most FG_TOP_MAX) names with the highest last score, best
 * first. Walks the whole table: for status, not for the hot path.
 * Returns the count.
 */
int fg_scorer_top(struct fg_scorer *sc, struct fg_domain_summary *out, int n);

void fg_scorer_stats(const struct fg_scorer *sc, struct fg_scorer_stats *st);

#endif /* FG_SCORE_H */

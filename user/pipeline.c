// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* From ring-buffer event to block entry: decode, score, check the policy
 * and the caps, install, renew and expire blocks, and write the events.
 * `run` and `replay` both drive this code; only the clock differs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <bpf/bpf.h>

#include "events.h"
#include "log.h"
#include "names.h"
#include "pipeline.h"
#include "queries.h"
#include "score.h"

/* Verdicts one response can produce: one per owner name in it. */
#define FG_VERDICTS_PER_RESPONSE	8
/* Domains tracked for the per-domain cap: a power of two, twice the
 * largest block map so the open-addressed table stays sparse.
 */
#define FG_DOMCOUNT_SLOTS		(1u << 18)
/* Domains `status` lists. */
#define FG_STATUS_TOP			10
/* How often cap refusals are summarised in the log. */
#define FG_CAP_LOG_SECS			10.0
/* Unsolicited responses, with no query seen at all, before the log says
 * that queries are probably not visible where the program is attached.
 */
#define FG_NO_QUERY_WARN		100

/* Renewals skipped while an entry was renewed less than this share of
 * block_ttl ago: a flagged name answers many times a second, and each
 * renewal costs two map syscalls per address.
 */
#define FG_RENEW_FRACTION		0.1
/* Slots of the recent-renewal table, direct-mapped: a collision only
 * costs one renewal more.
 */
#define FG_RENEW_SLOTS			(1u << 16)
/* Longest time between two walks of the block maps for expired
 * entries, for entries this process did not install (manual blocks,
 * another instance's).
 */
#define FG_SWEEP_MAX_SECS		30.0

struct renewal {
	uint64_t key;		/* hash of the address or name, 0 = empty */
	double at;
};

struct domcount {
	uint64_t hash;		/* 0 = empty */
	uint32_t n;
};

struct fg_pipeline {
	struct fg_settings s;
	const struct fg_maps *maps;
	struct fg_clock clock;
	FILE *events;

	struct fg_asn_db *asn;
	struct fg_geo_db *geo;
	struct fg_allowlist *allow;
	struct fg_policy *policy;
	struct fg_scorer *scorer;
	struct fg_queries *queries;
	bool warned_no_queries;

	struct fg_response *resp;	/* scratch, too big for the stack */
	struct fg_verdict *verdicts;

	struct domcount *domcount;
	struct renewal *renewals;
	double next_sweep;		/* earliest expiry known, or the cap */
	uint32_t n_blocks;		/* entries in the maps, all kinds */
	double minute_start;
	uint32_t minute_blocks;
	double cap_logged;
	uint64_t cap_refused_logged;

	struct fg_pipe_stats st;
};

static uint64_t hash_name(const char *name)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return h ? h : 1;
}

/* The slot of name, found or empty; the table never fills because it is
 * twice the number of block entries that can exist.
 */
static struct domcount *domcount_slot(struct fg_pipeline *p,
				      const char *name)
{
	uint64_t h = hash_name(name);
	uint32_t i = h & (FG_DOMCOUNT_SLOTS - 1), probes;

	for (probes = 0; probes < FG_DOMCOUNT_SLOTS; probes++) {
		struct domcount *d = &p->domcount[i];

		if (!d->hash || d->hash == h)
			return d;
		i = (i + 1) & (FG_DOMCOUNT_SLOTS - 1);
	}
	return NULL;
}

static void domcount_add(struct fg_pipeline *p, const char *name, int delta)
{
	struct domcount *d = domcount_slot(p, name);

	if (!d)
		return;
	if (!d->hash)
		d->hash = hash_name(name);
	if (delta < 0 && d->n == 0)
		return;
	d->n += delta;
}

static uint64_t hash_bytes(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	while (len--)
		h = (h ^ *b++) * 1099511628211ULL;
	return h ? h : 1;
}

/* True when key was renewed (or installed) recently enough to skip the
 * map work; otherwise notes that it is being renewed now.
 */
static bool renewed_recently(struct fg_pipeline *p, uint64_t key, double now)
{
	struct renewal *r = &p->renewals[key & (FG_RENEW_SLOTS - 1)];

	if (r->key == key && now - r->at < p->s.block_ttl * FG_RENEW_FRACTION)
		return true;
	r->key = key;
	r->at = now;
	return false;
}

/* Expiry walks are due no later than the earliest expiry installed. */
static void note_expiry(struct fg_pipeline *p, double expires)
{
	if (expires < p->next_sweep)
		p->next_sweep = expires;
}

static int load_databases(struct fg_pipeline *p)
{
	char err[512];
	unsigned int i;

	if (p->s.asn_dir[0] &&
	    fg_asn_db_load(p->s.asn_dir, &p->asn, err, sizeof(err))) {
		/* Scoring still works; ASN features report as unknown. */
		pr_warn("no ASN database (%s): ASN features are unknown\n",
			err);
		p->asn = NULL;
	}
	if (p->s.country_db[0] &&
	    fg_geo_open(p->s.country_db, &p->geo, err, sizeof(err))) {
		pr_warn("no country database (%s)\n", err);
		p->geo = NULL;
	}
	p->allow = fg_allowlist_new();
	if (!p->allow)
		return -ENOMEM;
	for (i = 0; i < p->s.n_allowlists; i++) {
		if (fg_allowlist_load(p->allow, p->s.allowlists[i], err,
				      sizeof(err))) {
			pr_warn("%s\n", err);
			return -EINVAL;
		}
	}
	return 0;
}

struct fg_pipeline *fg_pipeline_new(const struct fg_settings *s,
				    const struct fg_maps *maps,
				    const struct fg_clock *clock,
				    FILE *events)
{
	struct fg_pipeline *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->s = *s;
	p->maps = maps;
	p->clock = *clock;
	p->events = events;
	p->resp = malloc(sizeof(*p->resp));
	p->verdicts = calloc(FG_VERDICTS_PER_RESPONSE, sizeof(*p->verdicts));
	p->domcount = calloc(FG_DOMCOUNT_SLOTS, sizeof(*p->domcount));
	p->renewals = calloc(FG_RENEW_SLOTS, sizeof(*p->renewals));
	if (!p->resp || !p->verdicts || !p->domcount || !p->renewals)
		goto fail;
	if (load_databases(p))
		goto fail;
	p->policy = fg_policy_new(&p->s, p->allow, p->asn);
	if (!p->policy)
		goto fail;
	p->scorer = fg_scorer_new(&p->s, p->asn, p->allow, p->policy);
	if (!p->scorer)
		goto fail;
	p->queries = fg_queries_new();
	if (!p->queries)
		goto fail;
	if (p->geo)
		fg_scorer_set_geo(p->scorer, p->geo);
	return p;

fail:
	pr_warn("cannot set up the scorer\n");
	fg_pipeline_free(p);
	return NULL;
}

void fg_pipeline_free(struct fg_pipeline *p)
{
	if (!p)
		return;
	fg_queries_free(p->queries);
	fg_scorer_free(p->scorer);
	fg_policy_free(p->policy);
	fg_allowlist_free(p->allow);
	if (p->geo)
		fg_geo_close(p->geo);
	if (p->asn)
		fg_asn_db_free(p->asn);
	free(p->domcount);
	free(p->renewals);
	free(p->verdicts);
	free(p->resp);
	free(p);
}

const struct fg_pipe_stats *fg_pipeline_stats(const struct fg_pipeline *p)
{
	return &p->st;
}

void fg_pipeline_set_events(struct fg_pipeline *p, FILE *events)
{
	p->events = events;
}

struct fg_policy *fg_pipeline_policy(struct fg_pipeline *p)
{
	return p->policy;
}

void fg_pipeline_scorer_stats(const struct fg_pipeline *p,
			      struct fg_scorer_stats *st)
{
	fg_scorer_stats(p->scorer, st);
}

struct lowest {
	struct fg_cidr prefix;
	struct fg_block val;
	bool found;
};

static int find_lowest(const struct fg_cidr *c, const struct fg_block *v,
		       void *ctx)
{
	struct lowest *lo = ctx;

	/* Operators' own entries are never evicted for a verdict. */
	if (v->reason == FG_REASON_MANUAL || v->reason == FG_REASON_FEED ||
	    v->reason == FG_REASON_IMPORT)
		return 0;
	if (!lo->found || v->score < lo->val.score) {
		lo->prefix = *c;
		lo->val = *v;
		lo->found = true;
	}
	return 0;
}

/* At the total cap, the lowest-scoring automatic entry makes room for a
 * higher score. Returns 0 when there is room now.
 */
static int make_room(struct fg_pipeline *p, uint32_t score)
{
	struct lowest lo = { .found = false };

	if (p->n_blocks < p->s.max_blocks_total)
		return 0;
	fg_block_foreach(p->maps, find_lowest, &lo);
	if (!lo.found || lo.val.score >= score)
		return -ENOSPC;
	if (fg_block_del(p->maps, &lo.prefix))
		return -ENOSPC;
	domcount_add(p, lo.val.domain, -1);
	p->n_blocks--;
	p->st.evicted_low_score++;
	return 0;
}

static bool rate_allows(struct fg_pipeline *p, double now)
{
	if (now - p->minute_start >= 60) {
		p->minute_start = now;
		p->minute_blocks = 0;
	}
	return p->minute_blocks < p->s.max_blocks_per_minute;
}

/* The label beside an entry is for operators; the match is by address,
 * so a name longer than the label is only shortened (FG_BLOCK_LABEL_LEN).
 */
static void copy_label(char label[FG_BLOCK_LABEL_LEN], const char *name)
{
	size_t n = strnlen(name, FG_BLOCK_LABEL_LEN - 1);

	memcpy(label, name, n);
	label[n] = '\0';
}

static void block_addr(struct fg_pipeline *p, const struct fg_verdict *v,
		       const struct fg_addr *a, double now)
{
	uint8_t reason = v->kind == FG_KIND_DOUBLE_FLUX ?
			 FG_REASON_DOUBLE_FLUX : FG_REASON_SINGLE_FLUX;
	uint32_t score = v->score * 100;
	char text[FG_CIDR_STRLEN];
	struct fg_block old, val;
	struct domcount *dc;
	struct fg_cidr c;
	int err;

	if (renewed_recently(p, hash_bytes(a, sizeof(*a)), now)) {
		p->st.renewals_skipped++;
		return;
	}
	memset(&c, 0, sizeof(c));
	c.family = a->family;
	c.len = a->family == AF_INET ? 32 : 128;
	memcpy(c.bytes, a->bytes, 16);
	fg_addr_str(a, text, sizeof(text));

	if (!fg_block_get(p->maps, &c, &old)) {
		/* Still fluxing: push the expiry out, keep the counters.
		 * Manual and feed entries keep the expiry they were given.
		 */
		if (old.reason == FG_REASON_MANUAL ||
		    old.reason == FG_REASON_FEED ||
		    old.reason == FG_REASON_IMPORT)
			return;
		old.expires_ns = fg_clock_to_ns(&p->clock,
						now + p->s.block_ttl);
		if (score > old.score)
			old.score = score;
		if (fg_block_put(p->maps, &c, &old))
			p->st.map_errors++;
		else
			p->st.renewals++;
		note_expiry(p, now + p->s.block_ttl);
		return;
	}

	dc = domcount_slot(p, v->domain);
	if (dc && dc->hash && dc->n >= p->s.max_blocks_per_domain) {
		p->st.refused_cap_domain++;
		return;
	}
	if (!rate_allows(p, now)) {
		p->st.refused_cap_rate++;
		return;
	}
	if (make_room(p, score)) {
		p->st.refused_cap_total++;
		return;
	}

	memset(&val, 0, sizeof(val));
	val.created_ns = fg_clock_to_ns(&p->clock, now);
	val.expires_ns = fg_clock_to_ns(&p->clock, now + p->s.block_ttl);
	val.score = score;
	val.reason = reason;
	copy_label(val.domain, v->domain);
	err = fg_block_put(p->maps, &c, &val);
	if (err) {
		p->st.map_errors++;
		pr_warn("cannot block %s: %s\n", text, strerror(-err));
		return;
	}
	note_expiry(p, now + p->s.block_ttl);
	p->n_blocks++;
	p->minute_blocks++;
	domcount_add(p, val.domain, 1);
	p->st.blocks++;
	pr_info("block %s (%s, %s, score %.1f)\n", text, v->domain,
		fg_kind_str(v->kind), v->score);
	if (p->events)
		fg_event_block(p->events, now, text, v->domain,
			       now + p->s.block_ttl, fg_reason_str(reason));
}

/* The program skips name hashing while no rule exists; the exact count
 * is restored every tick.
 */
static void names_announce(struct fg_pipeline *p)
{
	struct fg_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(p->maps->config, &zero, &cfg) || cfg.n_names)
		return;
	cfg.n_names = 1;
	if (bpf_map_update_elem(p->maps->config, &zero, &cfg, BPF_ANY))
		p->st.map_errors++;
}

/* A domain rule for the verdict's name: answers for it go to the
 * sinkhole. Renewed while the name keeps fluxing.
 */
static void block_name(struct fg_pipeline *p, const struct fg_verdict *v,
		       double now)
{
	uint8_t reason = v->kind == FG_KIND_DOUBLE_FLUX ?
			 FG_REASON_DOUBLE_FLUX : FG_REASON_SINGLE_FLUX;
	uint32_t score = v->score * 100;
	struct fg_block val;

	if (renewed_recently(p, hash_bytes(v->domain, strlen(v->domain)), now))
		return;
	note_expiry(p, now + p->s.block_ttl);
	if (!fg_name_block_get(p->maps, v->domain, &val)) {
		if (val.reason == FG_REASON_MANUAL ||
		    val.reason == FG_REASON_FEED ||
		    val.reason == FG_REASON_IMPORT)
			return;
		val.expires_ns = fg_clock_to_ns(&p->clock,
						now + p->s.block_ttl);
		if (score > val.score)
			val.score = score;
		if (fg_name_block_put(p->maps, v->domain, &val))
			p->st.map_errors++;
		return;
	}
	memset(&val, 0, sizeof(val));
	val.created_ns = fg_clock_to_ns(&p->clock, now);
	val.expires_ns = fg_clock_to_ns(&p->clock, now + p->s.block_ttl);
	val.score = score;
	val.reason = reason;
	copy_label(val.domain, v->domain);
	if (fg_name_block_put(p->maps, v->domain, &val)) {
		p->st.map_errors++;
		pr_warn("cannot add a domain rule for %s\n", v->domain);
		return;
	}
	names_announce(p);
	p->st.name_rules++;
	pr_info("sinkhole %s (%s, score %.1f)\n", v->domain,
		fg_kind_str(v->kind), v->score);
	if (p->events)
		fg_event_block(p->events, now, NULL, v->domain,
			       now + p->s.block_ttl, fg_reason_str(reason));
}

static void handle_verdict(struct fg_pipeline *p, const struct fg_verdict *v,
			   double now)
{
	unsigned int i;

	/* A name already flagged is reported again only when its kind
	 * changes: single flux whose name servers turn out to rotate too.
	 */
	if (v->is_new || v->kind_changed) {
		if (v->is_new)
			p->st.verdicts++;
		else
			p->st.kind_changes++;
		pr_info("verdict %s %s score %.1f (threshold %.1f), %u "
			"addresses%s\n", fg_kind_str(v->kind), v->domain,
			v->score, v->threshold, v->n_addrs,
			v->is_new ? "" : " (kind changed)");
		if (p->events)
			fg_event_verdict(p->events, v);
	}
	if (p->s.block_mode != FG_BLOCK_ADDRESSES)
		block_name(p, v, now);
	if (p->s.block_mode == FG_BLOCK_NAMES)
		return;
	for (i = 0; i < v->n_addrs; i++) {
		if (v->addrs[i].refusal != FG_POL_OK) {
			p->st.refused_policy++;
			continue;
		}
		block_addr(p, v, &v->addrs[i].addr, now);
	}
}

static void warn_no_queries(struct fg_pipeline *p)
{
	if (p->warned_no_queries || p->st.queries ||
	    p->st.unsolicited < FG_NO_QUERY_WARN)
		return;
	pr_warn("%llu responses but no query seen: attach to the interface "
		"the queries arrive on too, or set query_match = no\n",
		(unsigned long long)p->st.unsolicited);
	p->warned_no_queries = true;
}

int fg_pipeline_event(struct fg_pipeline *p, const void *data, size_t len)
{
	const struct fg_event *ev = data;
	double ts;
	int n, i;

	p->st.events++;
	if (len < FG_EVENT_HDR_LEN) {
		p->st.decode_errors++;
		return -EINVAL;
	}
	ts = fg_clock_to_epoch(&p->clock, ev->ts_ns);
	if (fg_decode_event(ev, len, ts, p->resp)) {
		p->st.decode_errors++;
		return -EINVAL;
	}
	if (ev->flags & FG_EVF_QUERY) {
		fg_queries_add(p->queries, p->resp, ts);
		p->st.queries++;
		return 0;
	}
	if (p->events && p->s.log_answers)
		fg_event_answer(p->events, p->resp);
	if (p->s.query_match && !fg_queries_match(p->queries, p->resp, ts)) {
		p->st.unsolicited++;
		warn_no_queries(p);
		return 0;
	}

	p->st.responses_scored++;
	p->st.answers_scored += p->resp->n_answers;
	n = fg_scorer_feed(p->scorer, p->resp, ts, p->verdicts,
			   FG_VERDICTS_PER_RESPONSE);
	for (i = 0; i < n; i++)
		handle_verdict(p, &p->verdicts[i], ts);
	return 0;
}

struct expire_ctx {
	struct fg_pipeline *p;
	__u64 now_ns;
	double now;
	uint32_t live;
};

static int expire_one(const struct fg_cidr *c, const struct fg_block *v,
		      void *data)
{
	struct expire_ctx *ec = data;
	struct fg_pipeline *p = ec->p;
	char text[FG_CIDR_STRLEN];

	if (!v->expires_ns || v->expires_ns > ec->now_ns) {
		ec->live++;
		if (v->expires_ns)
			note_expiry(p, fg_clock_to_epoch(&p->clock,
							 v->expires_ns));
		return 0;
	}
	if (fg_block_del(p->maps, c))
		return 0;	/* removed by someone else meanwhile */
	domcount_add(p, v->domain, -1);
	p->st.unblocks++;
	fg_cidr_str(c, text, sizeof(text));
	pr_info("unblock %s (%s): expired\n", text, v->domain);
	if (p->events)
		fg_event_unblock(p->events, ec->now, text, v->domain,
				 "expired");
	return 0;
}

static int expire_name(uint64_t hash, const struct fg_block *v, void *data)
{
	struct expire_ctx *ec = data;
	struct fg_pipeline *p = ec->p;

	if (!v->expires_ns || v->expires_ns > ec->now_ns) {
		if (v->expires_ns)
			note_expiry(p, fg_clock_to_epoch(&p->clock,
							 v->expires_ns));
		return 0;
	}
	if (fg_name_block_del_hash(p->maps, hash))
		return 0;
	p->st.unblocks++;
	pr_info("unsinkhole %s: expired\n", v->domain);
	if (p->events)
		fg_event_unblock(p->events, ec->now, NULL, v->domain,
				 "expired");
	return 0;
}

static void log_caps(struct fg_pipeline *p, double now)
{
	uint64_t refused = p->st.refused_cap_domain + p->st.refused_cap_rate +
			   p->st.refused_cap_total;

	if (refused == p->cap_refused_logged ||
	    now - p->cap_logged < FG_CAP_LOG_SECS)
		return;
	pr_warn("caps refused %llu blocks so far (per domain %llu, per "
		"minute %llu, total %llu); %llu low scores evicted\n",
		(unsigned long long)refused,
		(unsigned long long)p->st.refused_cap_domain,
		(unsigned long long)p->st.refused_cap_rate,
		(unsigned long long)p->st.refused_cap_total,
		(unsigned long long)p->st.evicted_low_score);
	p->cap_refused_logged = refused;
	p->cap_logged = now;
}

void fg_pipeline_tick(struct fg_pipeline *p, double now)
{
	struct expire_ctx ec = {
		.p = p,
		.now_ns = fg_clock_to_ns(&p->clock, now),
		.now = now,
	};

	fg_scorer_expire(p->scorer, now);
	log_caps(p, now);
	/* A walk visits every bucket of the maps, however few entries they
	 * hold: only when something is due.
	 */
	if (now < p->next_sweep)
		return;
	p->next_sweep = now + FG_SWEEP_MAX_SECS;
	fg_block_foreach(p->maps, expire_one, &ec);
	p->n_blocks = ec.live;
	fg_name_block_foreach(p->maps, expire_name, &ec);
	fg_names_sync_count(p->maps);
}

static int adopt_one(const struct fg_cidr *c, const struct fg_block *v,
		     void *data)
{
	struct fg_pipeline *p = data;

	domcount_add(p, v->domain, 1);
	p->n_blocks++;
	return 0;
}

int fg_pipeline_adopt(struct fg_pipeline *p)
{
	p->n_blocks = 0;
	fg_block_foreach(p->maps, adopt_one, p);
	return p->n_blocks;
}

/* Why a name in the top list holds no verdict: each gate its score falls
 * short of now, with the value and the threshold, so that an operator
 * sees why a high score is not acted on.
 */
static json_t *status_short_of(const struct fg_settings *s,
			       const struct fg_verdict *v)
{
	struct fg_gate_check gates[FG_GATE_COUNT];
	json_t *arr = json_array();
	int g;

	fg_gates(s, v->score, v->diversity, v->behaviour, gates);
	for (g = 0; arr && g < FG_GATE_COUNT; g++) {
		if (!gates[g].short_of)
			continue;
		json_array_append_new(arr, json_pack("{s:s,s:f,s:f}", "gate",
						     gates[g].name, "value",
						     gates[g].value, "threshold",
						     gates[g].threshold));
	}
	return arr;
}

int fg_pipeline_write_status(struct fg_pipeline *p, const char *path,
			     double now)
{
	struct fg_domain_summary top[FG_STATUS_TOP];
	struct fg_scorer_stats ss;
	struct fg_verdict *why;
	char tmp[4096];
	json_t *root, *arr, *c;
	int n, i, err;

	fg_scorer_stats(p->scorer, &ss);
	n = fg_scorer_top(p->scorer, top, FG_STATUS_TOP);
	/* Scratch for the explanations; without it the list goes out bare. */
	why = malloc(sizeof(*why));
	root = json_object();
	arr = json_array();
	c = json_object();
	if (!root || !arr || !c) {
		json_decref(root);
		json_decref(arr);
		json_decref(c);
		free(why);
		return -ENOMEM;
	}
	json_object_set_new(root, "ts", json_real(now));
	json_object_set_new(root, "pid", json_integer(getpid()));
	json_object_set_new(root, "tracked_domains",
			    json_integer(ss.domains));
	json_object_set_new(root, "verdicts", json_integer(p->st.verdicts));
	json_object_set_new(root, "scorer_bytes", json_integer(ss.bytes));
	for (i = 0; i < n; i++) {
		json_t *d = json_object();

		if (!d)
			break;
		json_object_set_new(d, "domain", json_string(top[i].domain));
		json_object_set_new(d, "score", json_real(top[i].score));
		json_object_set_new(d, "addresses",
				    json_integer(top[i].n_addrs));
		json_object_set_new(d, "kind", top[i].flagged ?
				    json_string(fg_kind_str(top[i].kind)) :
				    json_null());
		if (!top[i].flagged && why &&
		    !fg_scorer_explain(p->scorer, top[i].domain, now, why))
			json_object_set_new(d, "short_of",
					    status_short_of(&p->s, why));
		json_array_append_new(arr, d);
	}
	free(why);
	json_object_set_new(root, "top", arr);
#define FG_PIPE_JSON(name, help)					\
	json_object_set_new(c, #name, json_integer(p->st.name));
	FG_PIPE_COUNTERS(FG_PIPE_JSON)
#undef FG_PIPE_JSON
	json_object_set_new(root, "counters", c);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	err = json_dump_file(root, tmp, JSON_COMPACT);
	json_decref(root);
	if (err || rename(tmp, path))
		return -EIO;
	return 0;
}

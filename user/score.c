/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Fast-flux scoring. Per name: a bounded address set with first/last
 * seen times and a short ring of per-response samples (TTL, whether the
 * answer set changed). Per zone (registrable domain): NS names and NS
 * addresses. A global index remembers which zones used an address while
 * suspicious. Everything is preallocated; feeding allocates nothing.
 */
#include <errno.h>
#include <libpsl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "score.h"

/* Time is kept in 1/16 s ticks since the first response: 32 bits last
 * 8.5 years and halve the size of every timestamp.
 */
#define FG_TICKS_PER_SEC	16
/* Responses remembered per name and zone for TTLs and churn. Eight spans
 * the short window at the TTLs that matter (<= 60 s); older samples
 * would add little to a median or a change ratio.
 */
#define FG_RESP_SAMPLES		8
/* NS names and NS addresses kept per zone: real zones have 2 to 13 NS. */
#define FG_NS_NAMES_MAX		16
#define FG_NS_ADDRS_MAX		16
/* Zones tracked per name slot: zones are only created by NS records and
 * many names share one zone.
 */
#define FG_ZONE_DIVISOR		4
#define FG_ZONES_MIN		64
/* Zones remembered per address in the reuse index, and the probe limit
 * before the stalest entry in the probe window is displaced.
 */
#define FG_SHARED_WAYS		4
#define FG_SHARED_PROBE		8
/* Distinct-count scratch set: four key kinds for up to
 * FG_ADDRS_PER_DOMAIN_MAX addresses, kept at most half full.
 */
#define FG_SCRATCH_SIZE		1024
/* Saturation points: beyond these a feature adds nothing, so one huge
 * value cannot carry a verdict alone.
 */
#define FG_CAP_ADDRESSES	64
#define FG_CAP_PREFIXES		32
#define FG_CAP_ASNS		16
#define FG_CAP_COUNTRIES	16
#define FG_CAP_SHARED		16
#define FG_CAP_GROWTH		20.0
#define FG_CAP_NS		16
/* Addresses needed before /16 entropy counts in full: two addresses in
 * two blocks are "perfectly spread" but say almost nothing.
 */
#define FG_ENTROPY_FULL_ADDRS	8.0
/* A name scoring this share of the verdict threshold is suspicious
 * enough for its addresses to enter the reuse index.
 */
#define FG_SUSPICIOUS_SHARE	0.5
/* Growth is measured over at least a minute: a burst of answers within
 * seconds would otherwise read as an enormous rate.
 */
#define FG_GROWTH_MIN_SPAN	60.0

/* Address entry flags. ALLOWED: allowlisted ASN or prefix, kept so the
 * lookup is cached but not counted in any feature. SHARED: seen in the
 * reuse index under another zone when this name last answered with it;
 * the bit stays until the address ages out of this name's window.
 */
#define AENT_ALLOWED		1
#define AENT_SHARED		2

struct aent {
	uint8_t bytes[16];
	uint32_t first, last;	/* ticks */
	uint32_t asn;
	uint16_t country;
	uint8_t family;
	uint8_t flags;
};

struct sample {
	uint32_t tick;
	uint32_t ttl;
	uint8_t changed;
};

struct sample_ring {
	uint8_t n, head;
	uint32_t total;		/* samples ever pushed this observation */
	struct sample v[FG_RESP_SAMPLES];
};

/* Distinct counts of a name's address set, redone only when the set's
 * membership changes: most responses repeat known addresses.
 */
struct set_counts {
	uint16_t n, p24, asns, cc, shared;
	float entropy;
};

struct name_state {
	uint32_t start, last;		/* ticks: observation start, last seen */
	uint64_t set_hash;		/* order-free hash of the last answer */
	uint32_t set_expires;		/* tick its TTL runs out */
	uint32_t zkey;			/* zone identity for the reuse index */
	uint32_t allow_gen;
	uint16_t reg_off;		/* registrable domain = name + reg_off */
	uint8_t allowed;
	uint8_t flagged;
	uint8_t kind;
	uint8_t dirty;			/* counts are stale */
	uint16_t n_addrs;
	float score;
	struct set_counts counts;
	struct sample_ring ring;
	struct aent addrs[];
};

struct ns_name {
	uint64_t hash;
	uint32_t first, last;
};

struct zone_state {
	uint32_t last;
	uint64_t set_hash;		/* NS names and glue last seen */
	uint32_t set_expires;
	uint8_t n_names, n_addrs;
	struct sample_ring ring;
	struct ns_name names[FG_NS_NAMES_MAX];
	struct aent addrs[FG_NS_ADDRS_MAX];
};

struct shared_ent {
	uint8_t bytes[16];
	uint8_t family;
	uint32_t zone[FG_SHARED_WAYS];
	uint32_t last[FG_SHARED_WAYS];
};

/* What probing and displacing need, kept apart from the entries so that
 * a probe window is one or two cache lines.
 */
struct shared_meta {
	uint32_t tag;		/* hash bits, 0 = unused */
	uint32_t newest;	/* latest use by any zone */
};

struct scratch_ent {
	uint64_t key;
	uint32_t stamp;
	uint32_t count;
};

/* One owner's address records within a response. */
struct group {
	unsigned int first;		/* index of the first record */
	unsigned int n;
	uint8_t idx[FG_MAX_RR];
	uint32_t min_ttl;
	uint64_t set_hash;
	bool benign;			/* reached through an allowlisted CNAME */
};

struct fg_scorer {
	struct fg_settings s;
	const struct fg_asn_db *asn;
	const struct fg_allowlist *allow;
	struct fg_policy *policy;
	struct fg_geo_db *geo;
	psl_ctx_t *psl_owned;
	const psl_ctx_t *psl;
	struct fg_dtable *names, *zones;
	double base;
	bool have_base;
	uint32_t allow_gen;
	uint32_t short_ticks, long_ticks;
	struct shared_ent *shared;
	struct shared_meta *shared_meta;	/* beside the entries */
	uint32_t shared_mask, shared_used;
	struct scratch_ent scratch[FG_SCRATCH_SIZE];
	uint32_t stamp;
	double clog[FG_ADDRS_PER_DOMAIN_MAX + 1];	/* c * log2(c) */
	struct fg_scorer_stats st;
	struct group groups[FG_MAX_RR];
	bool benign[FG_MAX_RR];
};

/* Feature values of one evaluation. */
struct eval {
	double v[FG_F_COUNT];
	bool known[FG_F_COUNT];
	double contrib[FG_F_COUNT];
	double diversity, behaviour, ns, score;
	bool flagged;
	enum fg_kind kind;
};

enum feature_group { GROUP_DIVERSITY, GROUP_BEHAVIOUR, GROUP_NS };

static const enum feature_group feature_group[FG_F_COUNT] = {
	[FG_F_ADDRESSES] = GROUP_DIVERSITY,
	[FG_F_PREFIXES] = GROUP_DIVERSITY,
	[FG_F_PREFIX16_ENTROPY] = GROUP_DIVERSITY,
	[FG_F_ASNS] = GROUP_DIVERSITY,
	[FG_F_COUNTRIES] = GROUP_DIVERSITY,
	[FG_F_SHARED] = GROUP_DIVERSITY,
	[FG_F_HOLZ] = GROUP_DIVERSITY,
	[FG_F_TTL_MIN] = GROUP_BEHAVIOUR,
	[FG_F_TTL_MEDIAN] = GROUP_BEHAVIOUR,
	[FG_F_GROWTH] = GROUP_BEHAVIOUR,
	[FG_F_CHANGES] = GROUP_BEHAVIOUR,
	[FG_F_NS_NAMES] = GROUP_NS,
	[FG_F_NS_CHURN] = GROUP_NS,
	[FG_F_NS_PREFIXES] = GROUP_NS,
	[FG_F_NS_ASNS] = GROUP_NS,
};

const char *fg_kind_str(enum fg_kind k)
{
	switch (k) {
	case FG_KIND_SINGLE_FLUX: return "single_flux";
	case FG_KIND_DOUBLE_FLUX: return "double_flux";
	default: return "none";
	}
}

/* ---- time ---- */

/* A clock that steps back before the first response reads as tick 0. */
static uint32_t to_tick(struct fg_scorer *sc, double now)
{
	double t;

	if (!sc->have_base) {
		sc->base = now;
		sc->have_base = true;
	}
	t = (now - sc->base) * FG_TICKS_PER_SEC;
	if (!(t > 0))
		return 0;
	return t >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static double tick_time(const struct fg_scorer *sc, uint32_t tick)
{
	return sc->base + (double)tick / FG_TICKS_PER_SEC;
}

/* Tick from which a window of w ticks ending at now starts. */
static uint32_t since(uint32_t now, uint32_t w)
{
	return now > w ? now - w : 0;
}

/* ---- small helpers ---- */

/* Bytes of an address that count: the rest of an IPv4 fg_addr is not
 * trusted to be zero.
 */
static size_t addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

static void addr_copy(uint8_t *dst, const struct fg_addr *a)
{
	memset(dst, 0, 16);
	memcpy(dst, a->bytes, addr_len(a->family));
}

static uint64_t addr_hash(const struct fg_addr *a)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL * (a->family + 1);
	uint64_t w[2];

	addr_copy((uint8_t *)w, a);
	h ^= w[0] * 0xff51afd7ed558ccdULL;
	h = (h ^ (h >> 31)) * 0xc4ceb9fe1a85ec53ULL;
	h ^= w[1] * 0x94d049bb133111ebULL;
	return h ^ (h >> 29);
}

static bool same_addr(const uint8_t *bytes, uint8_t family,
		      const struct fg_addr *a)
{
	return family == a->family && !memcmp(bytes, a->bytes, addr_len(family));
}

static void ring_push(struct sample_ring *r, uint32_t tick, uint32_t ttl,
		      bool changed)
{
	r->v[r->head] = (struct sample){ .tick = tick, .ttl = ttl,
					 .changed = changed };
	r->head = (uint8_t)((r->head + 1) % FG_RESP_SAMPLES);
	if (r->n < FG_RESP_SAMPLES)
		r->n++;
	r->total++;
}

/* Samples at or after from, oldest first, into out. */
static unsigned int ring_window(const struct sample_ring *r, uint32_t from,
				struct sample *out)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->n; i++) {
		unsigned int k = (r->head + FG_RESP_SAMPLES - r->n + i) %
				 FG_RESP_SAMPLES;

		if (r->v[k].tick >= from)
			out[n++] = r->v[k];
	}
	return n;
}

/* Share of samples in the window that changed the answer, not counting
 * the oldest, whose change was relative to a sample outside it.
 */
static double change_ratio(const struct sample *w, unsigned int n)
{
	unsigned int changed = 0;

	if (n < 2)
		return 0;
	for (unsigned int i = 1; i < n; i++)
		changed += w[i].changed;
	return (double)changed / (n - 1);
}

/* Record an observation (an answer, or a zone's NS set) in a sample
 * ring. One that repeats the current set before its TTL ran out came
 * from a cache: it only raises the TTL estimate (caches hand out what is
 * left of the TTL) and is neither a change nor a non-change. Returns true
 * for such a hit.
 */
static bool ring_observe(struct sample_ring *ring, uint64_t *cur_hash,
			 uint32_t *cur_expires, uint64_t hash, uint32_t ttl,
			 uint32_t tick)
{
	bool changed = ring->total && hash != *cur_hash;
	uint64_t expires = tick + (uint64_t)ttl * FG_TICKS_PER_SEC;
	bool hit = ring->total && !changed && tick < *cur_expires;

	if (hit) {
		struct sample *last = &ring->v[(ring->head + FG_RESP_SAMPLES -
						1) % FG_RESP_SAMPLES];

		if (ttl > last->ttl)
			last->ttl = ttl;
	} else {
		ring_push(ring, tick, ttl, changed);
		*cur_expires = expires > UINT32_MAX ? UINT32_MAX :
			       (uint32_t)expires;
	}
	*cur_hash = hash;
	return hit;
}

/* ---- distinct counting ---- */

enum key_kind { KEY_P24 = 1, KEY_P16, KEY_ASN, KEY_CC, KEY_NSP24, KEY_NSASN };

static void scratch_begin(struct fg_scorer *sc)
{
	if (++sc->stamp == 0) {
		memset(sc->scratch, 0, sizeof(sc->scratch));
		sc->stamp = 1;
	}
}

/* Count key; returns its slot, whose count is 1 on first sight. */
static struct scratch_ent *scratch_add(struct fg_scorer *sc, uint64_t key)
{
	uint32_t pos = (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 54) &
		       (FG_SCRATCH_SIZE - 1);

	for (;;) {
		struct scratch_ent *e = &sc->scratch[pos];

		if (e->stamp != sc->stamp) {
			e->stamp = sc->stamp;
			e->key = key;
			e->count = 1;
			return e;
		}
		if (e->key == key) {
			e->count++;
			return e;
		}
		pos = (pos + 1) & (FG_SCRATCH_SIZE - 1);
	}
}

static uint64_t make_key(enum key_kind kind, uint8_t family, uint64_t v)
{
	return (uint64_t)kind << 56 | (uint64_t)(family == AF_INET6) << 52 | v;
}

static uint64_t be_bits(const uint8_t *b, int nbytes)
{
	uint64_t v = 0;

	for (int i = 0; i < nbytes; i++)
		v = v << 8 | b[i];
	return v;
}

/* /24 for IPv4, /48 for IPv6: the smallest routable blocks. */
static uint64_t prefix_key(enum key_kind kind, const struct aent *e)
{
	return make_key(kind, e->family,
			be_bits(e->bytes, e->family == AF_INET ? 3 : 6));
}

/* /16 for IPv4; for IPv6 the /32, the usual allocation to a network. */
static uint64_t wide_key(const struct aent *e)
{
	return make_key(KEY_P16, e->family,
			be_bits(e->bytes, e->family == AF_INET ? 2 : 4));
}

/* ---- reuse index ---- */

/* Entries are never freed, only displaced, so a probe may stop at the
 * first unused one. Tags keep a miss to one or two cache lines.
 */
static uint32_t shared_tag_of(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1;
}

static struct shared_ent *shared_find(struct fg_scorer *sc,
				      const struct fg_addr *a, uint64_t h)
{
	uint32_t pos = (uint32_t)h, tag = shared_tag_of(h);

	for (int i = 0; i < FG_SHARED_PROBE; i++) {
		uint32_t k = (pos + i) & sc->shared_mask;

		if (!sc->shared_meta[k].tag)
			return NULL;
		if (sc->shared_meta[k].tag == tag &&
		    same_addr(sc->shared[k].bytes, sc->shared[k].family, a))
			return &sc->shared[k];
	}
	return NULL;
}

/* A free entry in a's probe window, else the one unused longest. */
static struct shared_ent *shared_claim(struct fg_scorer *sc,
				       const struct fg_addr *a, uint64_t h)
{
	uint32_t pos = (uint32_t)h, oldest_t = UINT32_MAX, victim = 0;

	for (int i = 0; i < FG_SHARED_PROBE; i++) {
		uint32_t k = (pos + i) & sc->shared_mask;
		uint32_t t = sc->shared_meta[k].newest;

		if (!sc->shared_meta[k].tag) {
			victim = k;
			sc->shared_used++;
			goto claim;
		}
		if (t < oldest_t) {
			oldest_t = t;
			victim = k;
		}
	}
	sc->st.shared_evictions++;
claim:
	sc->shared_meta[victim].tag = shared_tag_of(h);
	sc->shared_meta[victim].newest = 0;
	memset(&sc->shared[victim], 0, sizeof(sc->shared[victim]));
	addr_copy(sc->shared[victim].bytes, a);
	sc->shared[victim].family = a->family;
	return &sc->shared[victim];
}

static void shared_note(struct fg_scorer *sc, const struct fg_addr *a,
			uint32_t zkey, uint32_t tick)
{
	uint64_t h = addr_hash(a);
	struct shared_ent *e = shared_find(sc, a, h);
	int way = 0;

	if (!e)
		e = shared_claim(sc, a, h);
	/* Refresh this zone's way, else take a free or the stalest way. */
	for (int i = 0; i < FG_SHARED_WAYS; i++) {
		if (e->zone[i] == zkey) {
			way = i;
			break;
		}
		if (!e->zone[i] || e->last[i] < e->last[way])
			way = i;
		if (!e->zone[way])
			break;
	}
	e->zone[way] = zkey;
	e->last[way] = tick;
	if (tick > sc->shared_meta[e - sc->shared].newest)
		sc->shared_meta[e - sc->shared].newest = tick;
}

static bool shared_with_other(struct fg_scorer *sc, const struct aent *a,
			      uint32_t zkey, uint32_t from)
{
	struct fg_addr addr = { .family = a->family };
	struct shared_ent *e;

	memcpy(addr.bytes, a->bytes, 16);
	e = shared_find(sc, &addr, addr_hash(&addr));
	if (!e)
		return false;
	for (int i = 0; i < FG_SHARED_WAYS; i++)
		if (e->zone[i] && e->zone[i] != zkey && e->last[i] >= from)
			return true;
	return false;
}

/* ---- construction ---- */

static size_t name_payload(const struct fg_settings *s)
{
	return sizeof(struct name_state) +
	       s->max_addrs_per_domain * sizeof(struct aent);
}

static struct name_state *name_of(struct fg_dslot *slot)
{
	return fg_dslot_data(slot);
}

static struct zone_state *zone_of(struct fg_dslot *slot)
{
	return fg_dslot_data(slot);
}

struct fg_scorer *fg_scorer_new(const struct fg_settings *s,
				const struct fg_asn_db *asn,
				const struct fg_allowlist *allow,
				struct fg_policy *policy)
{
	uint32_t zones, shared = 1;
	struct fg_scorer *sc;

	if (s->max_addrs_per_domain < 1 ||
	    s->max_addrs_per_domain > FG_ADDRS_PER_DOMAIN_MAX ||
	    !(s->window_short > 0) || !(s->window_long > s->window_short))
		return NULL;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return NULL;
	sc->s = *s;
	sc->asn = asn;
	sc->allow = allow;
	sc->policy = policy;
	sc->allow_gen = 1;
	sc->short_ticks = (uint32_t)(s->window_short * FG_TICKS_PER_SEC);
	sc->long_ticks = (uint32_t)fmin(s->window_long * FG_TICKS_PER_SEC,
					(double)UINT32_MAX / 2);
	zones = s->max_domains / FG_ZONE_DIVISOR;
	if (zones < FG_ZONES_MIN)
		zones = FG_ZONES_MIN;
	/* One reuse entry per tracked name, rounded up to a power of two. */
	while (shared < s->max_domains)
		shared <<= 1;
	sc->psl_owned = psl_latest(NULL);
	sc->psl = sc->psl_owned ? sc->psl_owned : psl_builtin();
	sc->names = fg_dtable_new(s->max_domains, name_payload(s));
	sc->zones = fg_dtable_new(zones, sizeof(struct zone_state));
	sc->shared = calloc(shared, sizeof(*sc->shared));
	sc->shared_meta = calloc(shared, sizeof(*sc->shared_meta));
	if (!sc->psl || !sc->names || !sc->zones || !sc->shared ||
	    !sc->shared_meta) {
		fg_scorer_free(sc);
		return NULL;
	}
	sc->shared_mask = shared - 1;
	sc->clog[0] = 0;
	for (int c = 1; c <= FG_ADDRS_PER_DOMAIN_MAX; c++)
		sc->clog[c] = c * log2(c);
	sc->st.max_domains = s->max_domains;
	sc->st.max_zones = zones;
	return sc;
}

void fg_scorer_free(struct fg_scorer *sc)
{
	if (!sc)
		return;
	fg_dtable_free(sc->names);
	fg_dtable_free(sc->zones);
	free(sc->shared);
	free(sc->shared_meta);
	if (sc->psl_owned)
		psl_free(sc->psl_owned);
	free(sc);
}

void fg_scorer_set_geo(struct fg_scorer *sc, struct fg_geo_db *geo)
{
	sc->geo = geo;
}

void fg_scorer_set_allowlist(struct fg_scorer *sc,
			     const struct fg_allowlist *allow)
{
	sc->allow = allow;
	sc->allow_gen++;
}

/* ---- address sets ---- */

static bool addr_allowed(const struct fg_scorer *sc, const struct aent *e)
{
	struct fg_addr a = { .family = e->family };

	if (!sc->allow)
		return false;
	if (fg_allowlist_asn(sc->allow, e->asn))
		return true;
	memcpy(a.bytes, e->bytes, 16);
	return fg_allowlist_addr(sc->allow, &a);
}

/* Note a at tick in set; a full set gives up its least recently seen
 * address (counted in *full).
 */
static struct aent *set_add(struct fg_scorer *sc, struct aent *set,
			    unsigned int *n, unsigned int cap,
			    const struct fg_addr *a, uint32_t tick,
			    uint64_t *full, bool *added)
{
	unsigned int oldest = 0;
	struct aent *e;

	for (unsigned int i = 0; i < *n; i++) {
		if (same_addr(set[i].bytes, set[i].family, a)) {
			set[i].last = tick;
			return &set[i];
		}
		if (set[i].last < set[oldest].last)
			oldest = i;
	}
	if (*n < cap) {
		e = &set[(*n)++];
	} else {
		e = &set[oldest];
		(*full)++;
	}
	*added = true;
	addr_copy(e->bytes, a);
	e->family = a->family;
	e->first = e->last = tick;
	e->asn = fg_asn_lookup(sc->asn, a);
	e->country = fg_geo_country(sc->geo, a);
	e->flags = addr_allowed(sc, e) ? AENT_ALLOWED : 0;
	return e;
}

/* Drop addresses last seen before from. Order is not kept. */
static unsigned int set_prune(struct aent *set, unsigned int n, uint32_t from)
{
	for (unsigned int i = 0; i < n;) {
		if (set[i].last < from)
			set[i] = set[--n];
		else
			i++;
	}
	return n;
}

/* ---- names and zones ---- */

static const char *registrable_of(const struct fg_scorer *sc,
				  const char *name)
{
	const char *reg = psl_registrable_domain(sc->psl, name);

	return reg ? reg : name;
}

static void name_restart(struct name_state *ns, uint32_t tick)
{
	ns->start = tick;
	ns->set_hash = 0;
	ns->set_expires = 0;
	ns->dirty = 1;
	ns->flagged = 0;
	ns->kind = FG_KIND_NONE;
	ns->score = 0;
	memset(&ns->ring, 0, sizeof(ns->ring));
}

static void name_init(struct fg_scorer *sc, struct fg_dslot *slot,
		      struct name_state *ns, uint32_t tick)
{
	const char *reg = registrable_of(sc, slot->name);

	ns->reg_off = (uint16_t)(reg - slot->name);
	ns->zkey = (uint32_t)fg_name_hash(reg, strlen(reg)) | 1;
	name_restart(ns, tick);
}

static void name_allow_refresh(struct fg_scorer *sc, struct fg_dslot *slot,
			       struct name_state *ns)
{
	ns->allowed = fg_allowlist_domain(sc->allow, slot->name) ||
		      fg_allowlist_cname(sc->allow, slot->name);
	for (unsigned int i = 0; i < ns->n_addrs; i++) {
		ns->addrs[i].flags &= (uint8_t)~AENT_ALLOWED;
		if (addr_allowed(sc, &ns->addrs[i]))
			ns->addrs[i].flags |= AENT_ALLOWED;
	}
	ns->allow_gen = sc->allow_gen;
	ns->dirty = 1;
}

static struct zone_state *zone_find(struct fg_scorer *sc,
				    struct fg_dslot *slot,
				    const struct name_state *ns)
{
	const char *reg = slot->name + ns->reg_off;
	size_t len = slot->name_len - ns->reg_off;
	struct fg_dslot *z;

	z = fg_dtable_find(sc->zones, reg, len, fg_name_hash(reg, len));
	return z ? zone_of(z) : NULL;
}

static bool zone_has_ns(const struct zone_state *zs, uint64_t hash)
{
	for (unsigned int i = 0; i < zs->n_names; i++)
		if (zs->names[i].hash == hash)
			return true;
	return false;
}

static void zone_add_ns(struct fg_scorer *sc, struct zone_state *zs,
			uint64_t hash, uint32_t tick)
{
	unsigned int oldest = 0;
	struct ns_name *e;

	for (unsigned int i = 0; i < zs->n_names; i++) {
		if (zs->names[i].hash == hash) {
			zs->names[i].last = tick;
			return;
		}
		if (zs->names[i].last < zs->names[oldest].last)
			oldest = i;
	}
	if (zs->n_names < FG_NS_NAMES_MAX) {
		e = &zs->names[zs->n_names++];
	} else {
		e = &zs->names[oldest];
		sc->st.ns_set_full++;
	}
	*e = (struct ns_name){ .hash = hash, .first = tick, .last = tick };
}

static void zone_add_addr(struct fg_scorer *sc, struct zone_state *zs,
			  const struct fg_addr *a, uint32_t tick)
{
	unsigned int n = zs->n_addrs;
	bool added;

	set_add(sc, zs->addrs, &n, FG_NS_ADDRS_MAX, a, tick,
		&sc->st.ns_set_full, &added);
	zs->n_addrs = (uint8_t)n;
}

static bool is_addr_rr(const struct fg_answer *a)
{
	return (a->type == FG_TYPE_A && a->addr.family == AF_INET) ||
	       (a->type == FG_TYPE_AAAA && a->addr.family == AF_INET6);
}

static bool name_ok(const char *name, size_t *len)
{
	*len = strnlen(name, FG_NAME_STR);
	return *len > 0 && *len <= FG_DOMAIN_NAME_MAX;
}

/* The NS records of one owner in r, and the glue of their targets. NS
 * state is kept per registrable domain: a delegated subzone shares the
 * state of the registrable domain above it.
 */
static void zone_observe(struct fg_scorer *sc, const struct fg_response *r,
			 unsigned int n, unsigned int first, bool *done,
			 uint32_t tick)
{
	const char *owner = r->answers[first].owner, *reg;
	struct fg_dslot *slot;
	struct zone_state *zs;
	uint32_t ttl = UINT32_MAX;
	uint64_t sum = 0;
	size_t len;
	bool created;

	reg = registrable_of(sc, owner);
	if (!name_ok(reg, &len)) {
		sc->st.names_too_long++;
		return;
	}
	slot = fg_dtable_get(sc->zones, reg, len, fg_name_hash(reg, len),
			     &created);
	zs = zone_of(slot);
	if (created || since(tick, sc->long_ticks) > zs->last)
		memset(zs, 0, sizeof(*zs));
	for (unsigned int i = first; i < n; i++) {
		const struct fg_answer *ns = &r->answers[i];
		size_t tlen;
		uint64_t h;

		if (ns->type != FG_TYPE_NS || strcmp(ns->owner, owner))
			continue;
		done[i] = true;
		if (!name_ok(ns->target, &tlen))
			continue;
		if (ns->ttl < ttl)
			ttl = ns->ttl;
		h = fg_name_hash(ns->target, tlen);
		zone_add_ns(sc, zs, h, tick);
		sum += h * 0x9e3779b97f4a7c15ULL;
		for (unsigned int k = 0; k < n; k++) {
			const struct fg_answer *g = &r->answers[k];

			if (!is_addr_rr(g) || strcmp(g->owner, ns->target))
				continue;
			zone_add_addr(sc, zs, &g->addr, tick);
			sum += addr_hash(&g->addr);
		}
	}
	ring_observe(&zs->ring, &zs->set_hash, &zs->set_expires, sum,
		     ttl == UINT32_MAX ? 0 : ttl, tick);
	zs->last = tick;
}

static void observe_zones(struct fg_scorer *sc, const struct fg_response *r,
			  unsigned int n, uint32_t tick)
{
	bool done[FG_MAX_RR] = { false };

	for (unsigned int i = 0; i < n; i++)
		if (r->answers[i].type == FG_TYPE_NS && !done[i])
			zone_observe(sc, r, n, i, done, tick);
}

/* Mark address records reached through a CNAME chain that enters an
 * allowlisted CNAME-target suffix (or starts at an allowlisted name).
 */
static void find_benign(struct fg_scorer *sc, const struct fg_response *r,
			unsigned int n)
{
	bool reached[FG_MAX_RR] = { false }, any = false, grew = true;

	memset(sc->benign, 0, sizeof(sc->benign));
	if (!sc->allow)
		return;
	for (unsigned int i = 0; i < n; i++) {
		const struct fg_answer *c = &r->answers[i];

		if (c->type != FG_TYPE_CNAME)
			continue;
		if (fg_allowlist_cname(sc->allow, c->target) ||
		    fg_allowlist_domain(sc->allow, c->owner))
			reached[i] = any = true;
	}
	if (!any)
		return;
	/* A chain is at most n links long, so n passes reach the end. */
	for (unsigned int pass = 0; grew && pass < n; pass++) {
		grew = false;
		for (unsigned int i = 0; i < n; i++) {
			if (r->answers[i].type != FG_TYPE_CNAME || reached[i])
				continue;
			for (unsigned int j = 0; j < n; j++) {
				if (reached[j] && !strcmp(r->answers[j].target,
							  r->answers[i].owner)) {
					reached[i] = grew = true;
					break;
				}
			}
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		if (!is_addr_rr(&r->answers[i]))
			continue;
		for (unsigned int j = 0; j < n; j++) {
			if (reached[j] && !strcmp(r->answers[j].target,
						  r->answers[i].owner)) {
				sc->benign[i] = true;
				break;
			}
		}
	}
}

static unsigned int group_addresses(struct fg_scorer *sc,
				    const struct fg_response *r,
				    unsigned int n)
{
	unsigned int ng = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct fg_answer *a = &r->answers[i];
		struct group *g = NULL;

		if (!is_addr_rr(a))
			continue;
		for (unsigned int k = ng; k-- > 0;) {
			if (!strcmp(r->answers[sc->groups[k].first].owner,
				    a->owner)) {
				g = &sc->groups[k];
				break;
			}
		}
		if (!g) {
			g = &sc->groups[ng++];
			g->first = i;
			g->n = 0;
			g->min_ttl = UINT32_MAX;
			g->set_hash = 0;
			g->benign = false;
		}
		g->idx[g->n++] = (uint8_t)i;
		if (a->ttl < g->min_ttl)
			g->min_ttl = a->ttl;
		g->set_hash += addr_hash(&a->addr);
		g->benign |= sc->benign[i];
	}
	return ng;
}

/* ---- features ---- */

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static double beyond_first(double v, double cap)
{
	return fmax(0, fmin(v, cap) - 1);
}

/* What the weight of feature f multiplies, see docs/scoring.md. */
static double feature_units(const struct fg_scorer *sc,
			    const struct eval *ev, enum fg_feature f)
{
	double v = ev->v[f];

	switch (f) {
	case FG_F_ADDRESSES:
		return fmin(v, FG_CAP_ADDRESSES);
	case FG_F_PREFIXES:
		return beyond_first(v, FG_CAP_PREFIXES);
	case FG_F_ASNS:
		return beyond_first(v, FG_CAP_ASNS);
	case FG_F_COUNTRIES:
		return beyond_first(v, FG_CAP_COUNTRIES);
	case FG_F_SHARED:
		return fmin(v, FG_CAP_SHARED);
	case FG_F_HOLZ:
		return v / FG_HOLZ_THRESHOLD;
	case FG_F_TTL_MIN:
	case FG_F_TTL_MEDIAN:
		return clamp(1 - v / sc->s.ttl_reference, -1, 1);
	case FG_F_GROWTH:
		return fmin(v, FG_CAP_GROWTH);
	case FG_F_NS_NAMES:
	case FG_F_NS_PREFIXES:
	case FG_F_NS_ASNS:
		return beyond_first(v, FG_CAP_NS);
	case FG_F_PREFIX16_ENTROPY:
		return v * fmin(1, ev->v[FG_F_ADDRESSES] /
				FG_ENTROPY_FULL_ADDRS);
	case FG_F_CHANGES:
	case FG_F_NS_CHURN:
	default:
		return v;
	}
}

static void set_feature(struct eval *ev, enum fg_feature f, double v,
			bool known)
{
	ev->v[f] = v;
	ev->known[f] = known;
}

static void ttl_features(struct eval *ev, const struct sample *w,
			 unsigned int n)
{
	uint32_t ttl[FG_RESP_SAMPLES];

	if (!n) {
		set_feature(ev, FG_F_TTL_MIN, 0, false);
		set_feature(ev, FG_F_TTL_MEDIAN, 0, false);
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		ttl[i] = w[i].ttl;
	/* At most FG_RESP_SAMPLES values: insertion sort. */
	for (unsigned int i = 1; i < n; i++) {
		uint32_t t = ttl[i];
		unsigned int j = i;

		for (; j > 0 && ttl[j - 1] > t; j--)
			ttl[j] = ttl[j - 1];
		ttl[j] = t;
	}
	set_feature(ev, FG_F_TTL_MIN, ttl[0], true);
	set_feature(ev, FG_F_TTL_MEDIAN, n % 2 ? ttl[n / 2] :
		    (ttl[n / 2 - 1] + (double)ttl[n / 2]) / 2, true);
}

/* Normalised Shannon entropy of the /16 (IPv6: /32) distribution: 0 when
 * every address shares one block, 1 when each has its own.
 */
static double wide_entropy(const struct fg_scorer *sc,
			   struct scratch_ent *const *blocks,
			   unsigned int n_blocks, unsigned int n)
{
	double sum = 0;

	if (n < 2)
		return 0;
	for (unsigned int i = 0; i < n_blocks; i++)
		sum += sc->clog[blocks[i]->count];
	return clamp((log2(n) - sum / n) / log2(n), 0, 1);
}

static void count_set(struct fg_scorer *sc, struct name_state *ns)
{
	struct scratch_ent *blocks[FG_ADDRS_PER_DOMAIN_MAX];
	struct set_counts c = { 0 };
	unsigned int nb = 0;

	scratch_begin(sc);
	for (unsigned int i = 0; i < ns->n_addrs; i++) {
		const struct aent *e = &ns->addrs[i];
		struct scratch_ent *b;

		if (e->flags & AENT_ALLOWED)
			continue;
		c.n++;
		c.p24 += scratch_add(sc, prefix_key(KEY_P24, e))->count == 1;
		b = scratch_add(sc, wide_key(e));
		if (b->count == 1)
			blocks[nb++] = b;
		if (e->asn)
			c.asns += scratch_add(sc, make_key(KEY_ASN, 0,
							   e->asn))->count == 1;
		if (e->country)
			c.cc += scratch_add(sc, make_key(KEY_CC, 0,
							 e->country))->count == 1;
		c.shared += !!(e->flags & AENT_SHARED);
	}
	c.entropy = (float)wide_entropy(sc, blocks, nb, c.n);
	ns->counts = c;
	ns->dirty = 0;
}

/* Addresses first seen in the short window, per minute. Addresses of the
 * first answer are where we came in, not growth.
 */
static double growth(const struct fg_scorer *sc, const struct name_state *ns,
		     uint32_t tick)
{
	uint32_t from = since(tick, sc->short_ticks);
	uint32_t begin = ns->start > from ? ns->start : from;
	unsigned int grow = 0;
	double span;

	for (unsigned int i = 0; i < ns->n_addrs; i++) {
		const struct aent *e = &ns->addrs[i];

		grow += !(e->flags & AENT_ALLOWED) && e->first > ns->start &&
			e->first >= from;
	}
	span = (double)(tick - begin) / FG_TICKS_PER_SEC;
	return grow * 60.0 / fmax(span, FG_GROWTH_MIN_SPAN);
}

static void address_features(struct fg_scorer *sc, struct name_state *ns,
			     uint32_t tick, struct eval *ev)
{
	unsigned int n = set_prune(ns->addrs, ns->n_addrs,
				   since(tick, sc->long_ticks));
	const struct set_counts *c = &ns->counts;

	if (n != ns->n_addrs)
		ns->dirty = 1;
	ns->n_addrs = (uint16_t)n;
	if (ns->dirty)
		count_set(sc, ns);
	set_feature(ev, FG_F_ADDRESSES, c->n, true);
	set_feature(ev, FG_F_PREFIXES, c->p24, true);
	set_feature(ev, FG_F_PREFIX16_ENTROPY, c->entropy, true);
	set_feature(ev, FG_F_ASNS, c->asns, sc->asn != NULL);
	set_feature(ev, FG_F_COUNTRIES, c->cc, sc->geo != NULL);
	set_feature(ev, FG_F_SHARED, c->shared, true);
	/* Holz et al. count the A records of two lookups; here every address
	 * (A and AAAA) of the long window stands in for them.
	 */
	set_feature(ev, FG_F_HOLZ, FG_HOLZ_A * c->n + FG_HOLZ_ASN * c->asns,
		    sc->asn != NULL);
	set_feature(ev, FG_F_GROWTH, growth(sc, ns, tick), true);
}

static void behaviour_features(struct fg_scorer *sc,
			       const struct sample_ring *ring, uint32_t tick,
			       struct eval *ev)
{
	struct sample w[FG_RESP_SAMPLES];
	unsigned int n = ring_window(ring, since(tick, sc->short_ticks), w);

	ttl_features(ev, w, n);
	set_feature(ev, FG_F_CHANGES, change_ratio(w, n), n > 0);
}

static void zone_features(struct fg_scorer *sc, struct zone_state *zs,
			  uint32_t tick, struct eval *ev)
{
	uint32_t from_long = since(tick, sc->long_ticks);
	struct sample w[FG_RESP_SAMPLES];
	unsigned int names = 0, p24 = 0, asns = 0, nw;
	bool known = zs && zs->last >= from_long;

	if (known) {
		for (unsigned int i = 0; i < zs->n_names; i++)
			names += zs->names[i].last >= from_long;
		zs->n_addrs = (uint8_t)set_prune(zs->addrs, zs->n_addrs,
						 from_long);
		scratch_begin(sc);
		for (unsigned int i = 0; i < zs->n_addrs; i++) {
			const struct aent *e = &zs->addrs[i];

			if (e->flags & AENT_ALLOWED)
				continue;
			p24 += scratch_add(sc, prefix_key(KEY_NSP24, e))->count
			       == 1;
			if (e->asn)
				asns += scratch_add(sc, make_key(KEY_NSASN, 0,
						    e->asn))->count == 1;
		}
	}
	nw = known ? ring_window(&zs->ring, since(tick, sc->short_ticks), w) : 0;
	set_feature(ev, FG_F_NS_NAMES, names, known);
	set_feature(ev, FG_F_NS_CHURN, change_ratio(w, nw), known);
	set_feature(ev, FG_F_NS_PREFIXES, p24, known);
	set_feature(ev, FG_F_NS_ASNS, asns, known && sc->asn != NULL);
}

static void combine(const struct fg_scorer *sc, struct eval *ev)
{
	const struct fg_settings *s = &sc->s;
	struct fg_gate_check gates[FG_GATE_COUNT];

	ev->diversity = ev->behaviour = ev->ns = 0;
	for (int f = 0; f < FG_F_COUNT; f++) {
		double c = 0;

		if (ev->known[f])
			c = s->weight[f] * feature_units(sc, ev, f);
		ev->contrib[f] = c;
		switch (feature_group[f]) {
		case GROUP_DIVERSITY: ev->diversity += c; break;
		case GROUP_BEHAVIOUR: ev->behaviour += c; break;
		case GROUP_NS: ev->ns += c; break;
		}
	}
	ev->score = ev->diversity + ev->behaviour + ev->ns;
	ev->flagged = !fg_gates(s, ev->score, ev->diversity, ev->behaviour,
				gates);
	ev->kind = !ev->flagged ? FG_KIND_NONE :
		   ev->ns >= s->threshold_double ? FG_KIND_DOUBLE_FLUX :
		   FG_KIND_SINGLE_FLUX;
}

static struct zone_state *name_zone(struct fg_scorer *sc, struct fg_dslot *slot,
				    const struct name_state *ns)
{
	return fg_dtable_count(sc->zones) ? zone_find(sc, slot, ns) : NULL;
}

static void evaluate(struct fg_scorer *sc, struct fg_dslot *slot,
		     struct name_state *ns, uint32_t tick, struct eval *ev)
{
	address_features(sc, ns, tick, ev);
	behaviour_features(sc, &ns->ring, tick, ev);
	zone_features(sc, name_zone(sc, slot, ns), tick, ev);
	combine(sc, ev);
}

/* Keeps a name's verdict state. A flagged name that has shown double flux
 * stays double flux until it is no longer flagged: NS evidence comes in
 * bursts (a cached NS set repeats until its TTL runs out), and the kind
 * of a verdict must not flap with it.
 */
static void name_update(struct name_state *ns, struct eval *ev)
{
	if (ev->flagged && ns->flagged && ns->kind == FG_KIND_DOUBLE_FLUX)
		ev->kind = FG_KIND_DOUBLE_FLUX;
	ns->flagged = ev->flagged;
	ns->kind = (uint8_t)ev->kind;
	ns->score = (float)ev->score;
}

/* ---- verdicts ---- */

static void verdict_head(const struct fg_scorer *sc, const struct fg_dslot *slot,
			 const struct name_state *ns, const struct eval *ev,
			 double now, struct fg_verdict *out)
{
	out->ts = now;
	memcpy(out->domain, slot->name, slot->name_len + 1);
	snprintf(out->registrable, sizeof(out->registrable), "%s",
		 slot->name + ns->reg_off);
	out->kind = ev->kind;
	out->score = ev->score;
	out->threshold = sc->s.threshold_single;
	out->diversity = ev->diversity;
	out->behaviour = ev->behaviour;
	out->ns_score = ev->ns;
	for (int f = 0; f < FG_F_COUNT; f++) {
		out->features[f] = (struct fg_feature_value){
			.name = fg_feature_name(f),
			.known = ev->known[f],
			.value = ev->v[f],
			.weight = sc->s.weight[f],
			.contribution = ev->contrib[f],
		};
	}
	out->n_addrs = 0;
}

static void verdict_add(struct fg_scorer *sc, struct fg_verdict *out,
			const struct fg_addr *a, uint32_t asn, bool count)
{
	struct fg_verdict_addr *v;

	if (out->n_addrs >= FG_ADDRS_PER_DOMAIN_MAX)
		return;
	v = &out->addrs[out->n_addrs++];
	v->addr.family = a->family;
	addr_copy(v->addr.bytes, a);
	v->asn = asn;
	if (!sc->policy)
		v->refusal = FG_POL_OK;
	else if (count)
		v->refusal = fg_policy_check(sc->policy, a, asn);
	else
		v->refusal = fg_policy_peek(sc->policy, a, asn);
}

/* Every live address of the name (a new verdict, or an explanation). */
static void verdict_all(struct fg_scorer *sc, const struct name_state *ns,
			struct fg_verdict *out, bool count)
{
	for (unsigned int i = 0; i < ns->n_addrs; i++) {
		const struct aent *e = &ns->addrs[i];
		struct fg_addr a = { .family = e->family };

		memcpy(a.bytes, e->bytes, 16);
		verdict_add(sc, out, &a, e->asn, count);
	}
}

/* ---- feeding ---- */

static struct fg_dslot *name_slot(struct fg_scorer *sc, const char *owner,
				  size_t len, uint32_t tick)
{
	struct fg_dslot *slot;
	struct name_state *ns;
	bool created;

	slot = fg_dtable_get(sc->names, owner, len, fg_name_hash(owner, len),
			     &created);
	ns = name_of(slot);
	if (created)
		name_init(sc, slot, ns, tick);
	else if (since(tick, sc->long_ticks) > ns->last)
		name_restart(ns, tick);
	if (ns->allow_gen != sc->allow_gen)
		name_allow_refresh(sc, slot, ns);
	ns->last = tick;
	return slot;
}

/* Add the group's addresses to the name's set; asn[] gets each one's
 * origin. The reuse index is asked about new addresses, and about all of
 * them on a fresh answer (a cache hit waits for the next one). Returns
 * true if one of them turned out to be shared with another suspicious
 * zone.
 */
static bool name_add_addresses(struct fg_scorer *sc, struct name_state *ns,
			       const struct fg_response *r,
			       const struct group *g, uint32_t tick,
			       bool fresh, uint32_t *asn)
{
	uint32_t from = since(tick, sc->long_ticks);
	unsigned int n = ns->n_addrs;
	bool newly_shared = false;

	for (unsigned int k = 0; k < g->n; k++) {
		struct aent *e;

		bool added = false;

		e = set_add(sc, ns->addrs, &n, sc->s.max_addrs_per_domain,
			    &r->answers[g->idx[k]].addr, tick,
			    &sc->st.addr_set_full, &added);
		ns->dirty |= added;
		asn[k] = e->asn;
		if ((fresh || added) && sc->shared_used &&
		    !(e->flags & AENT_SHARED) &&
		    shared_with_other(sc, e, ns->zkey, from)) {
			e->flags |= AENT_SHARED;
			newly_shared = true;
			ns->dirty = 1;
		}
	}
	ns->n_addrs = (uint16_t)n;
	return newly_shared;
}

/* Score one owner name of a response. Names are scored one by one: flux
 * spread over many one-shot subdomains of a zone is not added up here.
 */
static int process_group(struct fg_scorer *sc, const struct fg_response *r,
			 const struct group *g, uint32_t tick, double now,
			 struct fg_verdict *out, int max_out)
{
	const char *owner = r->answers[g->first].owner;
	uint32_t asn[FG_MAX_RR];
	struct fg_dslot *slot;
	struct name_state *ns;
	struct zone_state *zs;
	bool was, shared, hit;
	uint8_t prev_kind;
	struct eval ev;
	size_t len;

	if (!name_ok(owner, &len)) {
		sc->st.names_too_long += len > 0;
		return 0;
	}
	if (g->benign) {
		sc->st.allowlisted += g->n;
		return 0;
	}
	slot = name_slot(sc, owner, len, tick);
	ns = name_of(slot);
	if (ns->allowed) {
		sc->st.allowlisted += g->n;
		return 0;
	}
	sc->st.records += g->n;
	hit = ring_observe(&ns->ring, &ns->set_hash, &ns->set_expires,
			   g->set_hash, g->min_ttl, tick);
	shared = name_add_addresses(sc, ns, r, g, tick, !hit, asn);

	/* A name that is an NS host of its own zone feeds the zone's NS
	 * address diversity whatever section its addresses came in (a cache
	 * hit repeats addresses the zone already has).
	 */
	zs = hit ? NULL : name_zone(sc, slot, ns);
	if (zs && zone_has_ns(zs, slot->hash))
		for (unsigned int k = 0; k < g->n; k++)
			zone_add_addr(sc, zs, &r->answers[g->idx[k]].addr, tick);

	/* A cache hit brings the name no new address and no new sample; its
	 * score can only have moved with its zone or the clock, which the
	 * next fresh answer picks up. Skip the work unless it is flagged.
	 */
	if (hit && !shared && !ns->flagged)
		return 0;
	evaluate(sc, slot, ns, tick, &ev);
	was = ns->flagged;
	prev_kind = was ? ns->kind : FG_KIND_NONE;
	name_update(ns, &ev);
	if (ev.flagged ||
	    ev.score >= sc->s.threshold_single * FG_SUSPICIOUS_SHARE)
		for (unsigned int k = 0; k < g->n; k++)
			shared_note(sc, &r->answers[g->idx[k]].addr, ns->zkey,
				    tick);
	if (!ev.flagged)
		return 0;
	if (max_out <= 0) {
		sc->st.verdicts_dropped++;
		return 0;
	}
	verdict_head(sc, slot, ns, &ev, now, out);
	out->is_new = !was;
	out->kind_changed = was && ev.kind != prev_kind;
	if (!was)
		verdict_all(sc, ns, out, true);
	else
		for (unsigned int k = 0; k < g->n; k++)
			verdict_add(sc, out, &r->answers[g->idx[k]].addr,
				    asn[k], true);
	sc->st.verdicts++;
	return 1;
}

int fg_scorer_feed(struct fg_scorer *sc, const struct fg_response *r,
		   double now, struct fg_verdict *out, int max_out)
{
	unsigned int n = r->n_answers < FG_MAX_RR ? r->n_answers : FG_MAX_RR;
	uint32_t tick = to_tick(sc, now);
	unsigned int ng;
	int nv = 0;

	sc->st.responses++;
	find_benign(sc, r, n);
	observe_zones(sc, r, n, tick);
	ng = group_addresses(sc, r, n);
	for (unsigned int g = 0; g < ng; g++)
		nv += process_group(sc, r, &sc->groups[g], tick, now,
				    out ? out + nv : NULL, out ? max_out - nv : 0);
	return nv;
}

/* ---- upkeep and queries ---- */

static void expire_table(struct fg_dtable *t, uint32_t from, bool names,
			 uint64_t *count)
{
	struct fg_dslot *s = fg_dtable_oldest(t);

	while (s) {
		struct fg_dslot *next = fg_dtable_newer(t, s);
		uint32_t last = names ? name_of(s)->last : zone_of(s)->last;

		/* LRU order follows feeding order, so the first live slot
		 * ends the walk (a replay that goes back in time may leave
		 * a few stale slots for the next pass).
		 */
		if (last >= from)
			break;
		fg_dtable_remove(t, s);
		(*count)++;
		s = next;
	}
}

void fg_scorer_expire(struct fg_scorer *sc, double now)
{
	uint32_t from = since(to_tick(sc, now), sc->long_ticks);
	uint64_t zones = 0;

	expire_table(sc->names, from, true, &sc->st.expired);
	expire_table(sc->zones, from, false, &zones);
}

static struct fg_dslot *lookup_name(struct fg_scorer *sc, const char *name)
{
	size_t len;

	if (!name_ok(name, &len))
		return NULL;
	return fg_dtable_find(sc->names, name, len, fg_name_hash(name, len));
}

bool fg_scorer_is_flagged(struct fg_scorer *sc, const char *name, double now)
{
	struct fg_dslot *slot = lookup_name(sc, name);
	struct name_state *ns;
	struct eval ev;

	if (!slot)
		return false;
	ns = name_of(slot);
	if (ns->allowed)
		return false;
	evaluate(sc, slot, ns, to_tick(sc, now), &ev);
	name_update(ns, &ev);
	return ev.flagged;
}

int fg_scorer_explain(struct fg_scorer *sc, const char *name, double now,
		      struct fg_verdict *out)
{
	struct fg_dslot *slot = lookup_name(sc, name);
	struct name_state *ns;
	struct eval ev;

	if (!slot)
		return -ENOENT;
	ns = name_of(slot);
	evaluate(sc, slot, ns, to_tick(sc, now), &ev);
	verdict_head(sc, slot, ns, &ev, now, out);
	out->is_new = false;
	verdict_all(sc, ns, out, false);
	return 0;
}

int fg_scorer_top(struct fg_scorer *sc, struct fg_domain_summary *out, int n)
{
	struct fg_dslot *best[FG_TOP_MAX];
	int k = 0;

	if (n > FG_TOP_MAX)
		n = FG_TOP_MAX;
	for (struct fg_dslot *s = fg_dtable_oldest(sc->names); s && n > 0;
	     s = fg_dtable_newer(sc->names, s)) {
		float score = name_of(s)->score;
		int pos = k < n ? k++ : n;

		/* Insertion into a short sorted list, best first. */
		while (pos > 0 && name_of(best[pos - 1])->score < score) {
			if (pos < n)
				best[pos] = best[pos - 1];
			pos--;
		}
		if (pos < n)
			best[pos] = s;
	}
	for (int i = 0; i < k; i++) {
		const struct name_state *ns = name_of(best[i]);
		struct fg_domain_summary *d = &out[i];

		memcpy(d->domain, best[i]->name, best[i]->name_len + 1);
		snprintf(d->registrable, sizeof(d->registrable), "%s",
			 best[i]->name + ns->reg_off);
		d->score = ns->score;
		d->flagged = ns->flagged;
		d->kind = (enum fg_kind)ns->kind;
		d->n_addrs = ns->n_addrs;
		d->first_seen = tick_time(sc, ns->start);
		d->last_seen = tick_time(sc, ns->last);
	}
	return k;
}

void fg_scorer_stats(const struct fg_scorer *sc, struct fg_scorer_stats *st)
{
	*st = sc->st;
	st->domain_evictions = fg_dtable_evictions(sc->names);
	st->zone_evictions = fg_dtable_evictions(sc->zones);
	st->domains = fg_dtable_count(sc->names);
	st->zones = fg_dtable_count(sc->zones);
	st->bytes = sizeof(*sc) + fg_dtable_bytes(sc->names) +
		    fg_dtable_bytes(sc->zones) +
		    ((size_t)sc->shared_mask + 1) *
		    (sizeof(*sc->shared) + sizeof(*sc->shared_meta));
}

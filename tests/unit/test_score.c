/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Scorer tests on constructed response sequences with the clock advanced
 * by hand: flux is flagged within a few responses, benign look-alikes
 * (CDN, cloud load balancer, NTP pool, round robin, dynamic DNS) are not,
 * and state ages out and stays bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "score.h"

/* Start of the test clock: an arbitrary epoch second. */
#define T0		1764000000.0
/* Verdicts collected per response. */
#define MAX_V		8
/* Responses a flux domain may take before it must be flagged. */
#define QUICK		5

struct env {
	struct fg_settings s;
	struct fg_asn_db *asn;
	struct fg_allowlist *allow;
	struct fg_policy *policy;
	struct fg_scorer *sc;
	struct fg_response r;
	struct fg_verdict v[MAX_V];
	char dir[64];
};

/* ASN database for the tests: every /8 from 1 to 223 is its own ASN
 * (64600 + first octet), except that, as in the lab, each /24 of
 * 198.19.0.0/16 is its own made-up ASN.
 */
static struct fg_asn_db *test_asn_db(char *dir, size_t size)
{
	char path[128], err[256];
	struct fg_asn_db *db = NULL;
	FILE *f;

	snprintf(dir, size, "/tmp/fg-test-asn-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/asn-ipv4.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int a = 1; a < 224; a++) {
		if (a == 198) {
			fprintf(f, "198.0.0.0,198.18.255.255,64798,\"Test, A\"\n");
			for (int n = 0; n < 256; n++)
				fprintf(f, "198.19.%d.0,198.19.%d.255,%u,Lab %d\n",
					n, n, 4200000000u + (unsigned int)n, n);
			fprintf(f, "198.20.0.0,198.255.255.255,64799,Test B\n");
			continue;
		}
		fprintf(f, "%d.0.0.0,%d.255.255.255,%d,\"Org %d, Inc.\"\n", a, a,
			64600 + a, a);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/asn-ipv6.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "fd00::,fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,4200000003,Lab\n");
	fclose(f);
	assert_int_equal(fg_asn_db_load(dir, &db, err, sizeof(err)), 0);
	return db;
}

static void rm_asn_dir(const char *dir)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/asn-ipv4.csv", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/asn-ipv6.csv", dir);
	unlink(path);
	rmdir(dir);
}

static struct env *env_new(bool with_asn, const char *const *allow,
			   void (*tweak)(struct fg_settings *))
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	fg_settings_defaults(&e->s);
	if (tweak)
		tweak(&e->s);
	if (with_asn)
		e->asn = test_asn_db(e->dir, sizeof(e->dir));
	e->allow = fg_allowlist_new();
	assert_non_null(e->allow);
	for (; allow && *allow; allow += 2) {
		enum fg_allow_kind k = !strcmp(allow[0], "domain") ?
				       FG_ALLOW_DOMAIN : FG_ALLOW_CNAME;

		assert_int_equal(fg_allowlist_add(e->allow, k, allow[1]), 0);
	}
	e->policy = fg_policy_new(&e->s, e->allow, e->asn);
	assert_non_null(e->policy);
	e->sc = fg_scorer_new(&e->s, e->asn, e->allow, e->policy);
	assert_non_null(e->sc);
	return e;
}

static void env_free(struct env *e)
{
	fg_scorer_free(e->sc);
	fg_policy_free(e->policy);
	fg_allowlist_free(e->allow);
	if (e->asn) {
		fg_asn_db_free(e->asn);
		rm_asn_dir(e->dir);
	}
	free(e);
}

/* ---- response builders ---- */

static void resp_begin(struct env *e, const char *qname, uint16_t qtype,
		       double ts)
{
	memset(&e->r, 0, sizeof(e->r));
	e->r.ts = ts;
	snprintf(e->r.qname, sizeof(e->r.qname), "%s", qname);
	e->r.qtype = qtype;
}

static struct fg_answer *rr_add(struct env *e, const char *owner,
				uint16_t type, uint8_t section, uint32_t ttl)
{
	struct fg_answer *a;

	assert_true(e->r.n_answers < FG_MAX_RR);
	a = &e->r.answers[e->r.n_answers++];
	snprintf(a->owner, sizeof(a->owner), "%s", owner);
	a->type = type;
	a->section = section;
	a->ttl = ttl;
	return a;
}

static void add_addr(struct env *e, const char *owner, const char *ip,
		     uint32_t ttl, uint8_t section)
{
	struct fg_answer *a;
	bool v6 = strchr(ip, ':') != NULL;

	a = rr_add(e, owner, v6 ? FG_TYPE_AAAA : FG_TYPE_A, section, ttl);
	a->addr.family = v6 ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(a->addr.family, ip, a->addr.bytes), 1);
}

static void add_a(struct env *e, const char *owner, const char *ip,
		  uint32_t ttl)
{
	add_addr(e, owner, ip, ttl, FG_SEC_ANSWER);
}

static void add_name(struct env *e, const char *owner, uint16_t type,
		     const char *target, uint32_t ttl, uint8_t section)
{
	struct fg_answer *a = rr_add(e, owner, type, section, ttl);

	snprintf(a->target, sizeof(a->target), "%s", target);
}

static int feed(struct env *e, double ts)
{
	return fg_scorer_feed(e->sc, &e->r, ts, e->v, MAX_V);
}

/* An address in its own /8 (so its own ASN and /16) for flux index k. */
static void flux_ip(unsigned int k, char *buf, size_t size)
{
	unsigned int first = 11 + (k * 37) % 180;

	if (first == 127 || first == 100 || first == 169 || first == 172 ||
	    first == 192 || first == 198 || first == 203 || first == 10)
		first += 1;
	snprintf(buf, size, "%u.%u.%u.%u", first, (k * 13) % 256,
		 (k * 7) % 256, 1 + k % 250);
}

static const struct fg_feature_value *feature(const struct fg_verdict *v,
					      enum fg_feature f)
{
	assert_string_equal(v->features[f].name, fg_feature_name(f));
	return &v->features[f];
}

/* Feed one single-flux response for name: five fresh addresses. */
static int flux_response(struct env *e, const char *name, unsigned int i,
			 double ts)
{
	static const uint32_t ttls[] = { 30, 5, 60, 10, 45, 20 };
	char ip[32];

	resp_begin(e, name, FG_TYPE_A, ts);
	for (unsigned int k = 0; k < 5; k++) {
		flux_ip(i * 5 + k, ip, sizeof(ip));
		add_a(e, name, ip, ttls[(i + k) % 6]);
	}
	return feed(e, ts);
}

/* ---- flux ---- */

static void check_single_flux(bool with_asn)
{
	struct env *e = env_new(with_asn, NULL, NULL);
	unsigned int flagged_at = 0, news = 0;

	for (unsigned int i = 0; i < 12; i++) {
		int n = flux_response(e, "www.evil-flux.test", i, T0 + 30 * i);

		if (n && !flagged_at)
			flagged_at = i + 1;
		for (int k = 0; k < n; k++) {
			assert_string_equal(e->v[k].domain,
					    "www.evil-flux.test");
			assert_string_equal(e->v[k].registrable,
					    "evil-flux.test");
			assert_int_equal(e->v[k].kind, FG_KIND_SINGLE_FLUX);
			assert_true(e->v[k].score >= e->v[k].threshold);
			news += e->v[k].is_new;
			assert_true(e->v[k].n_addrs >= 5);
			for (unsigned int a = 0; a < e->v[k].n_addrs; a++)
				assert_int_equal(e->v[k].addrs[a].refusal,
						 FG_POL_OK);
		}
	}
	assert_true(flagged_at >= 1 && flagged_at <= QUICK);
	assert_int_equal(news, 1);
	assert_true(fg_scorer_is_flagged(e->sc, "www.evil-flux.test",
					 T0 + 30 * 12));
	if (with_asn) {
		assert_true(feature(&e->v[0], FG_F_ASNS)->known);
		assert_true(feature(&e->v[0], FG_F_ASNS)->value >= 10);
	} else {
		/* Unknown, not zero: no value and no contribution. */
		assert_false(feature(&e->v[0], FG_F_ASNS)->known);
		assert_true(feature(&e->v[0], FG_F_ASNS)->contribution == 0);
		assert_false(feature(&e->v[0], FG_F_HOLZ)->known);
	}
	env_free(e);
}

static void test_single_flux(void **state)
{
	(void)state;
	check_single_flux(true);
}

static void test_single_flux_without_asn_db(void **state)
{
	(void)state;
	check_single_flux(false);
}

/* Lab-style: flux hosts in 198.19.0.0/16, one /24 and one ASN each, TTL
 * 5; the policy must refuse the benchmarking range unless
 * allow_block_cidr opens it.
 */
static void lab_open(struct fg_settings *s)
{
	fg_cidr_parse("198.18.0.0/15", &s->allow_block.v[s->allow_block.n++]);
}

static void lab_flux(struct env *e, bool expect_ok)
{
	unsigned int flagged_at = 0;
	char ip[32];

	for (unsigned int i = 0; i < 8; i++) {
		int n;

		resp_begin(e, "www.evil-flux.test", FG_TYPE_A, T0 + 5 * i);
		for (unsigned int k = 0; k < 5; k++) {
			unsigned int j = (i * 5 + k) * 17 % 64;

			snprintf(ip, sizeof(ip), "198.19.%u.%u", j,
				 1 + (j * 37) % 250);
			add_a(e, "www.evil-flux.test", ip, 5);
		}
		n = feed(e, T0 + 5 * i);
		if (n && !flagged_at) {
			flagged_at = i + 1;
			for (unsigned int a = 0; a < e->v[0].n_addrs; a++)
				assert_int_equal(e->v[0].addrs[a].refusal,
						 expect_ok ? FG_POL_OK :
						 FG_POL_BENCHMARK);
		}
	}
	assert_true(flagged_at >= 1 && flagged_at <= QUICK);
}

static void test_lab_range(void **state)
{
	struct env *e = env_new(true, NULL, NULL);

	(void)state;
	lab_flux(e, false);
	env_free(e);
	e = env_new(true, NULL, lab_open);
	lab_flux(e, true);
	env_free(e);
}

/* Flagged as single flux first; once its name servers are seen rotating,
 * the name is reported once more, as double flux, and stays so.
 */
static void test_single_then_double(void **state)
{
	struct env *e = env_new(true, NULL, NULL);
	unsigned int news = 0, changes = 0;
	enum fg_kind first = FG_KIND_NONE, last = FG_KIND_NONE;
	char ip[32], ns[64];

	(void)state;
	for (unsigned int i = 0; i < 16; i++) {
		double ts = T0 + 30 * i;
		int n;

		if (i >= 6) {
			resp_begin(e, "late-dbl.test", FG_TYPE_NS, ts);
			for (unsigned int k = 0; k < 2; k++) {
				snprintf(ns, sizeof(ns), "ns%u.late-dbl.test",
					 (i * 2 + k) % 9);
				add_name(e, "late-dbl.test", FG_TYPE_NS, ns, 30,
					 FG_SEC_ANSWER);
				flux_ip(2000 + i * 2 + k, ip, sizeof(ip));
				add_addr(e, ns, ip, 30, FG_SEC_ADDITIONAL);
			}
			feed(e, ts);
		}
		resp_begin(e, "www.late-dbl.test", FG_TYPE_A, ts + 1);
		for (unsigned int k = 0; k < 5; k++) {
			flux_ip(i * 5 + k, ip, sizeof(ip));
			add_a(e, "www.late-dbl.test", ip, 30);
		}
		n = feed(e, ts + 1);
		for (int k = 0; k < n; k++) {
			if (strcmp(e->v[k].domain, "www.late-dbl.test"))
				continue;
			if (e->v[k].is_new) {
				news++;
				first = e->v[k].kind;
				assert_true(i < 6);
			}
			if (e->v[k].kind_changed) {
				changes++;
				assert_int_equal(e->v[k].kind,
						 FG_KIND_DOUBLE_FLUX);
			}
			last = e->v[k].kind;
		}
	}
	assert_int_equal(news, 1);
	assert_int_equal(first, FG_KIND_SINGLE_FLUX);
	assert_int_equal(changes, 1);
	assert_int_equal(last, FG_KIND_DOUBLE_FLUX);
	env_free(e);
}

static void test_double_flux(void **state)
{
	struct env *e = env_new(true, NULL, NULL);
	enum fg_kind kind = FG_KIND_NONE;
	unsigned int flagged_at = 0;
	char ip[32], ns[64];

	(void)state;
	for (unsigned int i = 0; i < 10; i++) {
		double ts = T0 + 30 * i;
		int n;

		resp_begin(e, "www.dbl-flux.test", FG_TYPE_A, ts);
		for (unsigned int k = 0; k < 5; k++) {
			flux_ip(i * 5 + k, ip, sizeof(ip));
			add_a(e, "www.dbl-flux.test", ip, 30);
		}
		/* NS names and their glue rotate too. */
		for (unsigned int k = 0; k < 2; k++) {
			snprintf(ns, sizeof(ns), "ns%u.dbl-flux.test",
				 (i * 2 + k) % 7);
			add_name(e, "dbl-flux.test", FG_TYPE_NS, ns, 30,
				 FG_SEC_AUTHORITY);
			flux_ip(1000 + i * 2 + k, ip, sizeof(ip));
			add_addr(e, ns, ip, 30, FG_SEC_ADDITIONAL);
		}
		n = feed(e, ts);
		for (int k = 0; k < n; k++) {
			if (strcmp(e->v[k].domain, "www.dbl-flux.test"))
				continue;
			if (!flagged_at)
				flagged_at = i + 1;
			kind = e->v[k].kind;
			assert_true(feature(&e->v[k], FG_F_NS_NAMES)->known);
		}
	}
	assert_true(flagged_at >= 1 && flagged_at <= QUICK);
	assert_int_equal(kind, FG_KIND_DOUBLE_FLUX);
	env_free(e);
}

/* Through a caching resolver a client asking every second sees each
 * answer five times with a falling TTL: the repeats are neither changes
 * nor non-changes, for the name and for its zone's NS set.
 */
static void test_cache_hits(void **state)
{
	struct env *e = env_new(true, NULL, NULL);
	unsigned int flagged_at = 0;
	struct fg_verdict v;
	char ip[32], ns[64];

	(void)state;
	for (unsigned int sec = 0; sec < 40; sec++) {
		unsigned int set = sec / 5, left = 5 - sec % 5;

		resp_begin(e, "www.cached-flux.test", FG_TYPE_A, T0 + sec);
		for (unsigned int k = 0; k < 5; k++) {
			flux_ip(set * 5 + k, ip, sizeof(ip));
			add_a(e, "www.cached-flux.test", ip, left);
		}
		for (unsigned int k = 0; k < 2; k++) {
			snprintf(ns, sizeof(ns), "ns%u.cached-flux.test",
				 (set * 2 + k) % 9);
			add_name(e, "cached-flux.test", FG_TYPE_NS, ns, left,
				 FG_SEC_AUTHORITY);
			flux_ip(3000 + set * 2 + k, ip, sizeof(ip));
			add_addr(e, ns, ip, left, FG_SEC_ADDITIONAL);
		}
		if (feed(e, T0 + sec) && !flagged_at)
			flagged_at = set + 1;
	}
	/* Within five distinct answers, however many repeats. */
	assert_true(flagged_at >= 1 && flagged_at <= QUICK);
	assert_int_equal(fg_scorer_explain(e->sc, "www.cached-flux.test",
					   T0 + 39, &v), 0);
	assert_true(feature(&v, FG_F_CHANGES)->value == 1);
	assert_true(feature(&v, FG_F_NS_CHURN)->value == 1);
	assert_true(feature(&v, FG_F_TTL_MEDIAN)->value == 5);
	assert_int_equal(v.kind, FG_KIND_DOUBLE_FLUX);
	env_free(e);
}

/* ---- benign look-alikes ---- */

static const char *const cdn_allow[] = {
	"cname", "akamaiedge.net", NULL
};

static void run_cdn(struct env *e)
{
	static const char *const sites[] = {
		"www.shop.example", "img.shop.example", "www.news.example",
		"static.news.example", "www.bank.example",
	};
	char ip[32], edge[64], target[64];

	for (unsigned int i = 0; i < 120; i++) {
		const char *site = sites[i % 5];
		double ts = T0 + 15 * i;

		snprintf(target, sizeof(target), "%s.edgekey.net", site);
		snprintf(edge, sizeof(edge), "e%u.a.akamaiedge.net", i % 5);
		resp_begin(e, site, FG_TYPE_A, ts);
		add_name(e, site, FG_TYPE_CNAME, target, 300, FG_SEC_ANSWER);
		add_name(e, target, FG_TYPE_CNAME, edge, 60, FG_SEC_ANSWER);
		/* Two addresses per answer from 16 edge servers in two
		 * /24s of one network.
		 */
		for (unsigned int k = 0; k < 2; k++) {
			unsigned int j = (i * 3 + k * 5) % 16;

			snprintf(ip, sizeof(ip), "23.%u.%u.%u", 32 + j / 8,
				 40, 10 + j);
			add_a(e, edge, ip, 20);
		}
		assert_int_equal(feed(e, ts), 0);
	}
}

static void test_cdn(void **state)
{
	struct fg_scorer_stats st;
	struct env *e;

	(void)state;
	/* Behaviour alone: one ASN, two /24s, one /16. */
	e = env_new(true, NULL, NULL);
	run_cdn(e);
	fg_scorer_stats(e->sc, &st);
	assert_true(st.records > 0);
	env_free(e);
	/* With the allowlist the chain is skipped outright. */
	e = env_new(true, cdn_allow, NULL);
	run_cdn(e);
	fg_scorer_stats(e->sc, &st);
	assert_int_equal(st.records, 0);
	assert_true(st.allowlisted > 0);
	env_free(e);
}

static void test_cloud_lb(void **state)
{
	struct env *e = env_new(true, NULL, NULL);
	char ip[32];

	(void)state;
	/* Rotation through 64 addresses of one /16 and one ASN. */
	for (unsigned int i = 0; i < 120; i++) {
		double ts = T0 + 60 * i;

		resp_begin(e, "my-lb-123.eu-west-1.elb.example", FG_TYPE_A, ts);
		for (unsigned int k = 0; k < 3; k++) {
			unsigned int j = (i * 3 + k) % 64;

			snprintf(ip, sizeof(ip), "52.17.%u.%u", j * 4, 10 + j);
			add_a(e, "my-lb-123.eu-west-1.elb.example", ip, 60);
		}
		assert_int_equal(feed(e, ts), 0);
	}
	env_free(e);
}

static const char *const ntp_allow[] = { "domain", "pool.ntp.org", NULL };

/* 4 addresses per answer from a 400-server pool across many networks,
 * TTL 150, one answer per TTL as a caching resolver would give.
 */
static unsigned int run_ntp(struct env *e, unsigned int responses)
{
	unsigned int verdicts = 0;
	char ip[32];

	for (unsigned int i = 0; i < responses; i++) {
		double ts = T0 + 150 * i;

		resp_begin(e, "2.debian.pool.ntp.org", FG_TYPE_A, ts);
		for (unsigned int k = 0; k < 4; k++) {
			flux_ip(2000 + (i * 4 + k) % 400, ip, sizeof(ip));
			add_a(e, "2.debian.pool.ntp.org", ip, 150);
		}
		verdicts += (unsigned int)feed(e, ts);
	}
	return verdicts;
}

static void test_ntp_pool(void **state)
{
	struct fg_verdict v;
	struct env *e;

	(void)state;
	e = env_new(true, ntp_allow, NULL);
	assert_int_equal(run_ntp(e, 48), 0);
	env_free(e);

	/* Behaviour alone: a diverse set, but TTL 150 and a slow pace. */
	e = env_new(true, NULL, NULL);
	assert_int_equal(run_ntp(e, QUICK), 0);
	assert_int_equal(fg_scorer_explain(e->sc, "2.debian.pool.ntp.org",
					   T0 + 150 * (QUICK - 1), &v), 0);
	assert_true(v.diversity >= e->s.threshold_diversity);
	assert_true(v.behaviour < e->s.threshold_behaviour);
	env_free(e);
}

static void test_round_robin(void **state)
{
	static const char *const ips[] = {
		"31.1.1.1", "45.2.2.2", "77.3.3.3", "91.4.4.4",
	};
	struct env *e;

	(void)state;
	for (int variant = 0; variant < 2; variant++) {
		uint32_t ttl = variant ? 30 : 300;

		e = env_new(true, NULL, NULL);
		for (unsigned int i = 0; i < 200; i++) {
			double ts = T0 + 45 * i;

			resp_begin(e, "www.rr.example", FG_TYPE_A, ts);
			for (unsigned int k = 0; k < 4; k++)
				add_a(e, "www.rr.example", ips[(i + k) % 4],
				      ttl);
			assert_int_equal(feed(e, ts), 0);
		}
		env_free(e);
	}
}

static void test_dynamic_dns(void **state)
{
	struct env *e = env_new(true, NULL, NULL);
	char ip[32];

	(void)state;
	/* A home address that changes every two hours, TTL 60. */
	for (unsigned int i = 0; i < 6 * 60; i++) {
		double ts = T0 + 60 * i;

		snprintf(ip, sizeof(ip), "%u.20.30.40", 80 + i / 120);
		resp_begin(e, "home.dyn.example", FG_TYPE_A, ts);
		add_a(e, "home.dyn.example", ip, 60);
		assert_int_equal(feed(e, ts), 0);
	}
	env_free(e);
}

/* ---- ageing and bounds ---- */

static void test_stops_fluxing(void **state)
{
	struct env *e = env_new(true, NULL, NULL);
	struct fg_scorer_stats st;
	double ts = T0;
	bool flagged = false;

	(void)state;
	for (unsigned int i = 0; i < 10; i++) {
		ts = T0 + 30 * i;
		flagged |= flux_response(e, "a.flux.test", i, ts) > 0;
		flux_response(e, "b.flux.test", 100 + i, ts);
	}
	assert_true(flagged);
	assert_true(fg_scorer_is_flagged(e->sc, "a.flux.test", ts));
	assert_true(fg_scorer_is_flagged(e->sc, "b.flux.test", ts));

	/* a keeps resolving, to one fixed address; b goes silent. */
	for (double t = ts + 60; t <= ts + e->s.window_long + 120; t += 60) {
		resp_begin(e, "a.flux.test", FG_TYPE_A, t);
		add_a(e, "a.flux.test", "81.2.3.4", 30);
		assert_true(feed(e, t) <= 1);
	}
	ts += e->s.window_long + 120;
	assert_false(fg_scorer_is_flagged(e->sc, "a.flux.test", ts));
	assert_false(fg_scorer_is_flagged(e->sc, "b.flux.test", ts));
	fg_scorer_expire(e->sc, ts);
	fg_scorer_stats(e->sc, &st);
	assert_int_equal(st.domains, 1);
	assert_int_equal(st.expired, 1);
	env_free(e);
}

static void small_tables(struct fg_settings *s)
{
	s->max_domains = 16;
	s->max_addrs_per_domain = 8;
}

static void test_lru_eviction(void **state)
{
	struct env *e = env_new(false, NULL, small_tables);
	struct fg_scorer_stats st;
	struct fg_verdict v;
	char name[64];

	(void)state;
	for (unsigned int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "host%u.example", i);
		resp_begin(e, name, FG_TYPE_A, T0 + i);
		add_a(e, name, "81.2.3.4", 300);
		feed(e, T0 + i);
	}
	/* Touch an old survivor so it is no longer the least recent. */
	resp_begin(e, "host24.example", FG_TYPE_A, T0 + 41);
	add_a(e, "host24.example", "81.2.3.4", 300);
	feed(e, T0 + 41);
	resp_begin(e, "new.example", FG_TYPE_A, T0 + 42);
	add_a(e, "new.example", "81.2.3.4", 300);
	feed(e, T0 + 42);

	fg_scorer_stats(e->sc, &st);
	assert_int_equal(st.domains, 16);
	assert_int_equal(st.domain_evictions, 25);
	assert_int_equal(fg_scorer_explain(e->sc, "host0.example", T0 + 42, &v),
			 -ENOENT);
	assert_int_equal(fg_scorer_explain(e->sc, "host25.example", T0 + 42,
					   &v), -ENOENT);
	assert_int_equal(fg_scorer_explain(e->sc, "host24.example", T0 + 42,
					   &v), 0);
	assert_int_equal(fg_scorer_explain(e->sc, "host39.example", T0 + 42,
					   &v), 0);
	env_free(e);
}

static void test_address_set_cap(void **state)
{
	struct env *e = env_new(false, NULL, small_tables);
	struct fg_scorer_stats st;
	struct fg_verdict v;
	char ip[32];

	(void)state;
	for (unsigned int i = 0; i < 20; i++) {
		resp_begin(e, "big.example", FG_TYPE_A, T0 + i);
		snprintf(ip, sizeof(ip), "81.2.3.%u", 1 + i);
		add_a(e, "big.example", ip, 300);
		feed(e, T0 + i);
	}
	fg_scorer_stats(e->sc, &st);
	assert_int_equal(st.addr_set_full, 12);
	assert_int_equal(fg_scorer_explain(e->sc, "big.example", T0 + 20, &v),
			 0);
	assert_int_equal(v.n_addrs, 8);
	assert_true(feature(&v, FG_F_ADDRESSES)->value == 8);
	env_free(e);
}

static void test_botnet_reuse(void **state)
{
	struct env *e = env_new(true, NULL, NULL);
	struct fg_verdict vb, vc;
	char ip[32];

	(void)state;
	for (unsigned int i = 0; i < 6; i++)
		flux_response(e, "www.evil-flux.test", i, T0 + 30 * i);
	assert_true(fg_scorer_is_flagged(e->sc, "www.evil-flux.test",
					 T0 + 150));

	/* b reuses four of the flagged domain's addresses, c has its own. */
	resp_begin(e, "cdn.other-bad.test", FG_TYPE_A, T0 + 200);
	for (unsigned int k = 0; k < 4; k++) {
		flux_ip(k, ip, sizeof(ip));
		add_a(e, "cdn.other-bad.test", ip, 300);
	}
	feed(e, T0 + 200);
	resp_begin(e, "cdn.clean.test", FG_TYPE_A, T0 + 200);
	for (unsigned int k = 0; k < 4; k++) {
		flux_ip(500 + k, ip, sizeof(ip));
		add_a(e, "cdn.clean.test", ip, 300);
	}
	feed(e, T0 + 200);

	assert_int_equal(fg_scorer_explain(e->sc, "cdn.other-bad.test",
					   T0 + 200, &vb), 0);
	assert_int_equal(fg_scorer_explain(e->sc, "cdn.clean.test", T0 + 200,
					   &vc), 0);
	assert_true(feature(&vb, FG_F_SHARED)->value == 4);
	assert_true(feature(&vc, FG_F_SHARED)->value == 0);
	assert_true(vb.score > vc.score);
	assert_float_equal(vb.score - vc.score,
			   feature(&vb, FG_F_SHARED)->contribution, 1e-9);
	env_free(e);
}

/* Reuse only counts when the earlier user was suspicious: a benign name
 * that shares its addresses with another (virtual hosting) raises
 * nothing.
 */
static void test_reuse_needs_suspicious_source(void **state)
{
	struct env *e = env_new(true, NULL, NULL);
	struct fg_verdict vs, vb;
	char ip[32];

	(void)state;
	resp_begin(e, "www.hosted-a.test", FG_TYPE_A, T0);
	for (unsigned int k = 0; k < 4; k++) {
		flux_ip(k, ip, sizeof(ip));
		add_a(e, "www.hosted-a.test", ip, 3600);
	}
	feed(e, T0);
	assert_false(fg_scorer_is_flagged(e->sc, "www.hosted-a.test", T0));
	resp_begin(e, "www.hosted-b.test", FG_TYPE_A, T0 + 10);
	for (unsigned int k = 0; k < 4; k++) {
		flux_ip(k, ip, sizeof(ip));
		add_a(e, "www.hosted-b.test", ip, 3600);
	}
	feed(e, T0 + 10);
	assert_int_equal(fg_scorer_explain(e->sc, "www.hosted-b.test", T0 + 10,
					   &vb), 0);
	assert_true(feature(&vb, FG_F_SHARED)->value == 0);
	assert_true(feature(&vb, FG_F_SHARED)->contribution == 0);

	/* Once a suspicious name used them, the same addresses count. */
	for (unsigned int i = 0; i < 6; i++)
		flux_response(e, "www.evil-flux.test", i, T0 + 20 + 30 * i);
	assert_true(fg_scorer_is_flagged(e->sc, "www.evil-flux.test",
					 T0 + 170));
	resp_begin(e, "www.hosted-c.test", FG_TYPE_A, T0 + 200);
	for (unsigned int k = 0; k < 4; k++) {
		flux_ip(k, ip, sizeof(ip));
		add_a(e, "www.hosted-c.test", ip, 3600);
	}
	feed(e, T0 + 200);
	assert_int_equal(fg_scorer_explain(e->sc, "www.hosted-c.test",
					   T0 + 200, &vs), 0);
	assert_true(feature(&vs, FG_F_SHARED)->value == 4);
	assert_true(vs.score > vb.score);
	env_free(e);
}

static void test_holz_score(void **state)
{
	struct env *e = env_new(true, NULL, NULL);
	const struct fg_feature_value *h;
	struct fg_verdict v;

	(void)state;
	/* Three addresses in two ASNs (AS64681 twice, AS64691 once). */
	resp_begin(e, "holz.example", FG_TYPE_A, T0);
	add_a(e, "holz.example", "81.1.1.1", 300);
	add_a(e, "holz.example", "81.9.9.9", 300);
	add_a(e, "holz.example", "91.1.1.1", 300);
	feed(e, T0);
	assert_int_equal(fg_scorer_explain(e->sc, "holz.example", T0, &v), 0);
	h = feature(&v, FG_F_HOLZ);
	assert_true(h->known);
	assert_float_equal(h->value, 1.32 * 3 + 18.54 * 2, 1e-9);
	assert_true(feature(&v, FG_F_ASNS)->value == 2);
	assert_true(feature(&v, FG_F_ADDRESSES)->value == 3);
	assert_true(feature(&v, FG_F_PREFIXES)->value == 3);
	env_free(e);
}

static void test_ipv6_flux(void **state)
{
	struct env *e = env_new(false, NULL, NULL);
	unsigned int flagged_at = 0;
	char ip[64];

	(void)state;
	for (unsigned int i = 0; i < 8; i++) {
		resp_begin(e, "v6.evil-flux.test", FG_TYPE_AAAA, T0 + 20 * i);
		for (unsigned int k = 0; k < 5; k++) {
			unsigned int j = i * 5 + k;

			snprintf(ip, sizeof(ip), "2a%02x:%x::%x", j, j * 7,
				 j + 1);
			add_a(e, "v6.evil-flux.test", ip, 20);
		}
		if (feed(e, T0 + 20 * i) && !flagged_at)
			flagged_at = i + 1;
	}
	assert_true(flagged_at >= 1 && flagged_at <= QUICK);
	env_free(e);
}

/* Damaged input: empty owners, overlong names, wrong families. */
static void test_bad_input(void **state)
{
	struct env *e = env_new(true, NULL, NULL);
	struct fg_answer *a;
	struct fg_verdict v;
	char longname[FG_NAME_STR];

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	resp_begin(e, "", FG_TYPE_A, T0);
	add_a(e, "", "81.1.1.1", 30);
	add_a(e, longname, "81.1.1.2", 30);
	a = rr_add(e, "x.example", FG_TYPE_A, FG_SEC_ANSWER, 30);
	a->addr.family = 99;
	add_name(e, longname, FG_TYPE_NS, longname, 30, FG_SEC_AUTHORITY);
	add_name(e, "y.example", FG_TYPE_CNAME, "", 30, FG_SEC_ANSWER);
	e->r.n_answers = 200;	/* more than the array: must be clamped */
	assert_int_equal(feed(e, T0), 0);
	assert_false(fg_scorer_is_flagged(e->sc, longname, T0));

	/* Bytes past an IPv4 address are not part of it. */
	for (unsigned int i = 0; i < 2; i++) {
		resp_begin(e, "tail.example", FG_TYPE_A, T0 + i);
		add_a(e, "tail.example", "81.1.1.1", 30);
		memset(e->r.answers[0].addr.bytes + 4, 0x11 * (i + 1), 12);
		feed(e, T0 + i);
	}
	assert_int_equal(fg_scorer_explain(e->sc, "tail.example", T0 + 1, &v),
			 0);
	assert_true(feature(&v, FG_F_ADDRESSES)->value == 1);
	env_free(e);
}

/* Random responses: any mix of types, families, names and TTLs is scored
 * without a crash and within the configured bounds.
 */
static void test_random_input(void **state)
{
	static const char *const names[] = {
		"a.test", "b.a.test", "ns1.a.test", "x.example", "", "test",
		"UPPER.Example", "e1.akamaiedge.net", "pool.ntp.org",
	};
	struct env *e = env_new(true, cdn_allow, small_tables);
	struct fg_scorer_stats st;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (unsigned int i = 0; i < 20000; i++) {
		unsigned int n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		resp_begin(e, names[x % 9], FG_TYPE_A, T0 + i * 0.5);
		n = (unsigned int)(x >> 8) % FG_MAX_RR;
		for (unsigned int k = 0; k < n; k++) {
			struct fg_answer *a;
			uint64_t y = x * (k + 1) * 0xff51afd7ed558ccdULL;
			static const uint16_t types[] = { 1, 2, 5, 28, 16, 0 };

			a = rr_add(e, names[y % 9], types[(y >> 8) % 6],
				   (uint8_t)(y >> 16) % 4, (uint32_t)(y >> 20));
			a->addr.family = (y >> 40) % 3 == 0 ? AF_INET :
					 (y >> 40) % 3 == 1 ? AF_INET6 :
					 (uint8_t)(y >> 44);
			memcpy(a->addr.bytes, &y, 8);
			snprintf(a->target, sizeof(a->target), "%s",
				 names[(y >> 48) % 9]);
			if (!((y >> 52) % 7))
				snprintf(a->owner, sizeof(a->owner),
					 "r%u.rand.test", (unsigned int)(y % 500));
		}
		feed(e, T0 + i * 0.5);
		if (i % 1000 == 0)
			fg_scorer_expire(e->sc, T0 + i * 0.5);
	}
	fg_scorer_stats(e->sc, &st);
	assert_true(st.domains <= e->s.max_domains);
	assert_true(st.zones <= st.max_zones);
	assert_true(st.responses == 20000);
	env_free(e);
}

/* The verdict event carries every feature; unknown ones are null. */
static void test_verdict_event(void **state)
{
	struct env *e = env_new(false, NULL, NULL);
	json_t *root, *f, *asns;
	json_error_t jerr;
	char buf[65536];
	FILE *tmp;
	size_t n;
	int nv = 0;

	(void)state;
	for (unsigned int i = 0; i < QUICK && !nv; i++)
		nv = flux_response(e, "www.evil-flux.test", i, T0 + 30 * i);
	assert_true(nv > 0);
	tmp = tmpfile();
	assert_non_null(tmp);
	assert_int_equal(fg_event_verdict(tmp, &e->v[0]), 0);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	assert_non_null(strchr(buf, '\n'));
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
	root = json_loads(buf, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "type")),
			    "verdict");
	assert_string_equal(json_string_value(json_object_get(root, "kind")),
			    "single_flux");
	assert_string_equal(json_string_value(json_object_get(root,
							      "registrable")),
			    "evil-flux.test");
	f = json_object_get(root, "features");
	assert_int_equal(json_object_size(f), FG_F_COUNT);
	asns = json_object_get(f, "asns");
	assert_true(json_is_null(json_object_get(asns, "value")));
	assert_true(json_is_number(json_object_get(json_object_get(f,
					"addresses"), "contribution")));
	assert_true(json_array_size(json_object_get(root, "addresses")) >= 5);
	json_decref(root);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_flux),
		cmocka_unit_test(test_single_flux_without_asn_db),
		cmocka_unit_test(test_lab_range),
		cmocka_unit_test(test_double_flux),
		cmocka_unit_test(test_single_then_double),
		cmocka_unit_test(test_cache_hits),
		cmocka_unit_test(test_cdn),
		cmocka_unit_test(test_cloud_lb),
		cmocka_unit_test(test_ntp_pool),
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_dynamic_dns),
		cmocka_unit_test(test_stops_fluxing),
		cmocka_unit_test(test_lru_eviction),
		cmocka_unit_test(test_address_set_cap),
		cmocka_unit_test(test_botnet_reuse),
		cmocka_unit_test(test_reuse_needs_suspicious_source),
		cmocka_unit_test(test_holz_score),
		cmocka_unit_test(test_ipv6_flux),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_random_input),
		cmocka_unit_test(test_verdict_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

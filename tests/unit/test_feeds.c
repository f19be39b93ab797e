// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Feed and export parser tests on the sample files in tests/feeds/: every
 * list format, expiries, malformed lines reported FILE:LINE and skipped,
 * the three export formats read back, and the helpers they rest on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <jansson.h>

#include "export.h"
#include "feeds.h"

#define FEEDS	"tests/feeds/"
#define MAX_SEEN	64

struct seen {
	struct fg_feed_entry e[MAX_SEEN];
	int n;
	char errors[MAX_SEEN][512];
	int n_err;
	struct fg_feed_parse_stats st;
};

static int on_entry(const struct fg_feed_entry *e, void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->n < MAX_SEEN);
	s->e[s->n++] = *e;
	return 0;
}

static void on_error(const char *msg, void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->n_err < MAX_SEEN);
	snprintf(s->errors[s->n_err++], sizeof(s->errors[0]), "%s", msg);
}

static struct seen *parse(const char *path)
{
	struct seen *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	assert_int_equal(fg_feed_parse_file(path, on_entry, on_error, s,
					    &s->st), 0);
	assert_int_equal(s->st.entries, s->n);
	assert_int_equal(s->st.malformed, s->n_err);
	return s;
}

static const struct fg_feed_entry *name(const struct seen *s, const char *n)
{
	for (int i = 0; i < s->n; i++)
		if (s->e[i].kind == FG_FEED_NAME && !strcmp(s->e[i].name, n))
			return &s->e[i];
	return NULL;
}

static const struct fg_feed_entry *cidr(const struct seen *s, const char *c)
{
	char buf[FG_CIDR_STRLEN];

	for (int i = 0; i < s->n; i++)
		if (s->e[i].kind == FG_FEED_CIDR &&
		    !strcmp(fg_cidr_str(&s->e[i].cidr, buf, sizeof(buf)), c))
			return &s->e[i];
	return NULL;
}

static bool error_at(const struct seen *s, const char *file, int line,
		     const char *what)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "%s:%d: ", file, line);
	for (int i = 0; i < s->n_err; i++)
		if (!strncmp(s->errors[i], prefix, strlen(prefix)) &&
		    strstr(s->errors[i], what))
			return true;
	return false;
}

static void test_urlhaus(void **state)
{
	struct seen *s = parse(FEEDS "urlhaus-filter-sample.txt");

	(void)state;
	/* 10 addresses, 12 names, one whole-host rule; the URL rules with
	 * a path are counted, never turned into a block of the host.
	 */
	assert_int_equal(s->n, 23);
	assert_int_equal(s->n_err, 0);
	assert_int_equal(s->st.url_rules, 6);
	assert_non_null(cidr(s, "1.1.104.12"));
	assert_non_null(cidr(s, "1.222.192.112"));
	assert_non_null(name(s, "aadcdn.msonline.at"));
	assert_non_null(name(s, "wegrowcoaching.com"));
	assert_null(name(s, "2024.sci-hub.se"));
	assert_null(name(s, "windatem.com"));
	assert_null(name(s, "www2.0zz0.com"));
	free(s);
}

static void test_hosts(void **state)
{
	const char *f = FEEDS "hosts.txt";
	struct seen *s = parse(f);
	const struct fg_feed_entry *e;
	double t;

	(void)state;
	assert_int_equal(s->n, 5);
	assert_non_null(name(s, "tracker.flux-sample.test"));
	assert_non_null(name(s, "c2.flux-sample.test"));
	assert_non_null(name(s, "c2b.flux-sample.test"));
	/* Lower case, trailing dot gone. */
	assert_non_null(name(s, "panel.flux-sample.test"));
	assert_null(name(s, "localhost"));
	e = name(s, "short-lived.flux-sample.test");
	assert_non_null(e);
	assert_int_equal(fg_feed_parse_time("2030-01-01T00:00:00Z", &t), 0);
	assert_true(e->expires == t);
	assert_int_equal(s->n_err, 1);
	assert_true(error_at(s, f, 8, "'bad_name!.flux-sample.test' is not"));
	free(s);
}

static void test_names_and_expiry(void **state)
{
	const char *f = FEEDS "names.txt";
	struct seen *s = parse(f);

	(void)state;
	/* www twice (the set dedupes), cdn, login, pay, old. */
	assert_int_equal(s->n, 6);
	assert_true(name(s, "www.evil-flux.test")->expires == 0);
	assert_true(name(s, "cdn.evil-flux.test")->expires == 1924992000);
	/* +02:00: two hours before the same wall time in UTC. */
	assert_true(name(s, "login.evil-flux.test")->expires ==
		    name(s, "pay.evil-flux.test")->expires);
	assert_true(name(s, "old.evil-flux.test")->expires == 978307200);
	assert_int_equal(s->n_err, 4);
	assert_true(error_at(s, f, 7, "'nodots' is not a name"));
	assert_true(error_at(s, f, 8, "'tomorrow' is not an expiry"));
	assert_true(error_at(s, f, 9, "'a..b.test' is not"));
	assert_true(error_at(s, f, 10, "'1.2.3.999' is not"));
	free(s);
}

static void test_addresses(void **state)
{
	const char *f = FEEDS "addresses.txt";
	struct seen *s = parse(f);

	(void)state;
	assert_int_equal(s->n, 4);
	assert_non_null(cidr(s, "198.19.1.2"));
	assert_int_equal(cidr(s, "198.19.1.2")->cidr.len, 32);
	assert_non_null(cidr(s, "198.19.2.0/24"));
	assert_non_null(cidr(s, "fd00:66:1::26"));
	assert_true(cidr(s, "fd00:66:2::/48")->expires > 0);
	assert_int_equal(s->n_err, 2);
	assert_true(error_at(s, f, 6, "'198.19.3.1/24' is not"));
	assert_true(error_at(s, f, 7, "unexpected 'two'"));
	free(s);
}

static void test_missing_file(void **state)
{
	struct fg_feed_parse_stats st = { 0 };

	(void)state;
	assert_int_equal(fg_feed_parse_file(FEEDS "no-such-feed", NULL, NULL,
					    NULL, &st), -ENOENT);
}

static void test_import_csv(void **state)
{
	const char *f = FEEDS "peer.csv";
	struct seen *s = parse(f);

	(void)state;
	assert_int_equal(s->n, 4);
	assert_int_equal(name(s, "www.evil-flux.test")->score, 6350);
	assert_true(name(s, "www.evil-flux.test")->expires > 0);
	assert_non_null(cidr(s, "198.19.7.30"));
	assert_true(cidr(s, "fd00:66:7::1f")->expires == 0);
	assert_non_null(cidr(s, "198.19.8.0/24"));
	assert_int_equal(s->n_err, 2);
	assert_true(error_at(s, f, 6, "unknown type 'url'"));
	assert_true(error_at(s, f, 7, "'not a name' is not"));
	free(s);
}

/* Lines a careless or hostile peer may write: each is reported with its
 * line number and skipped, and the good lines around it still count.
 */
static void test_bad_values_skipped(void **state)
{
	static const char text[] =
		"type,value,domain,reason,score,created,expires\n"
		"domain,a.evil.test,,feed,50,,\n"
		"domain,b.evil.test,,feed,-26,,\n"
		"domain,c.evil.test,,feed,1e300,,\n"
		"domain,d.evil.test,,feed,50,,22222222222222222222\n"
		"domain,e.evil.test,,feed,50,,10000-01-01T00:00:00Z\n"
		"domain,f.evil.test\0,,feed,50,,\n"
		"ipv4,198.19.7.30,,feed,12.5,,4102444800\n";
	char path[] = "/tmp/fg-test-feed-XXXXXX";
	int fd = mkstemp(path);
	struct seen *s;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f),
			 sizeof(text) - 1);
	fclose(f);
	s = parse(path);
	assert_int_equal(s->n, 2);
	assert_int_equal(name(s, "a.evil.test")->score, 5000);
	assert_int_equal(cidr(s, "198.19.7.30")->score, 1250);
	assert_true(cidr(s, "198.19.7.30")->expires == 4102444800.0);
	assert_int_equal(s->n_err, 5);
	assert_true(error_at(s, path, 3, "bad score '-26'"));
	assert_true(error_at(s, path, 4, "bad score '1e300'"));
	assert_true(error_at(s, path, 5, "bad expiry"));
	assert_true(error_at(s, path, 6, "bad expiry"));
	assert_true(error_at(s, path, 7, "NUL byte"));
	unlink(path);
	free(s);
}

static void test_import_rpz(void **state)
{
	const char *f = FEEDS "peer.rpz";
	struct seen *s = parse(f);

	(void)state;
	assert_int_equal(s->n, 6);
	assert_non_null(name(s, "www.evil-flux.test"));
	assert_non_null(name(s, "dbl-flux.test"));
	assert_null(name(s, "ok.benign.test"));		/* passthru */
	assert_non_null(cidr(s, "198.19.7.30"));
	assert_non_null(cidr(s, "198.19.8.0/24"));
	assert_non_null(cidr(s, "fd00:66:7::1f"));
	assert_non_null(cidr(s, "fd00:66:2::/48"));
	assert_int_equal(s->n_err, 1);
	assert_true(error_at(s, f, 16, "'33.0.0.0.0.rpz-ip' is not"));
	free(s);
}

static void test_import_stix(void **state)
{
	struct seen *s = parse(FEEDS "peer.stix.json");

	(void)state;
	assert_int_equal(s->n, 3);
	assert_int_equal(name(s, "www.evil-flux.test")->score, 6400);
	assert_true(name(s, "www.evil-flux.test")->expires > 0);
	assert_non_null(cidr(s, "198.19.7.30"));
	assert_non_null(cidr(s, "fd00:66:7::1f"));
	/* The OR pattern and the malware object are not ours; the IPv6
	 * address typed as ipv4-addr is wrong.
	 */
	assert_int_equal(s->st.other, 2);
	assert_int_equal(s->n_err, 1);
	free(s);
}

static void test_rpz_ip(void **state)
{
	static const char *const cases[][2] = {
		{ "198.19.1.2", "32.2.1.19.198.rpz-ip" },
		{ "198.19.0.0/16", "16.0.0.19.198.rpz-ip" },
		{ "fd00:66:1::26", "128.26.zz.1.66.fd00.rpz-ip" },
		{ "fd00::/8", "8.zz.fd00.rpz-ip" },
		{ "2001:db8:0:1:0:0:0:1", "128.1.zz.1.0.db8.2001.rpz-ip" },
		{ "1:2:3:4:5:6:7:8", "128.8.7.6.5.4.3.2.1.rpz-ip" },
	};
	char buf[FG_RPZ_IP_MAX], back[FG_CIDR_STRLEN];
	struct fg_cidr c, d;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(fg_cidr_parse(cases[i][0], &c), 0);
		assert_string_equal(fg_rpz_ip_owner(&c, buf, sizeof(buf)),
				    cases[i][1]);
		assert_int_equal(fg_rpz_ip_parse(buf, &d), 0);
		assert_memory_equal(&c, &d, sizeof(c));
		fg_cidr_str(&d, back, sizeof(back));
	}
	assert_int_equal(fg_rpz_ip_parse("32.1.2.3.rpz-ip", &d), -EINVAL);
	assert_int_equal(fg_rpz_ip_parse("129.zz.rpz-ip", &d), -EINVAL);
	assert_int_equal(fg_rpz_ip_parse("128.1.2.3.4.5.6.7.8.9.rpz-ip", &d),
			 -EINVAL);
}

static void test_uuid5_and_time(void **state)
{
	char u[40], t[32];
	double e;

	(void)state;
	/* Expected values from Python's uuid.uuid5 under the same
	 * namespace: an independent SHA-1.
	 */
	assert_string_equal(fg_uuid5("[domain-name:value = "
				     "'www.evil-flux.test']", u, sizeof(u)),
			    "0e28fe48-3c66-5e86-8e66-c0034d51fddf");
	assert_string_equal(fg_uuid5("", u, sizeof(u)),
			    "fecb9dca-808c-5910-a378-1ddee50b0677");
	assert_string_equal(fg_uuid5("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				     "xxxxxxxxxxxxxxxxxxx", u, sizeof(u)),
			    "68d181b7-4487-51a7-b360-bfe599bf9208");
	assert_string_equal(fg_rfc3339(1764792000.25, t, sizeof(t)),
			    "2025-12-03T20:00:00.250Z");
	assert_int_equal(fg_feed_parse_time(t, &e), 0);
	assert_true(e == 1764792000.25);
	assert_int_equal(fg_feed_parse_time("2025-12-03T21:00:00+01:00", &e),
			 0);
	assert_true(e == 1764792000);
	assert_int_equal(fg_feed_parse_time("2025-12-03", &e), -EINVAL);
	assert_int_equal(fg_feed_parse_time("2025-12-03T21:00:00", &e),
			 -EINVAL);
	assert_int_equal(fg_confidence(FG_REASON_SINGLE_FLUX, 63.4), 63);
	assert_int_equal(fg_confidence(FG_REASON_SINGLE_FLUX, 250), 100);
	assert_int_equal(fg_confidence(FG_REASON_MANUAL, 0), 100);
	assert_int_equal(fg_confidence(FG_REASON_FEED, 0), -1);
}

static const double T_NOW = 1764792000;

static void sample(struct fg_indicator *v)
{
	memset(v, 0, 4 * sizeof(*v));
	v[0].kind = FG_FEED_NAME;
	strcpy(v[0].name, "www.evil-flux.test");
	strcpy(v[0].domain, "www.evil-flux.test");
	v[0].reason = FG_REASON_SINGLE_FLUX;
	v[0].score = 63.5;
	v[0].created = T_NOW - 60;
	v[0].expires = T_NOW + 3600;
	v[1].kind = FG_FEED_CIDR;
	fg_cidr_parse("198.19.7.30", &v[1].cidr);
	strcpy(v[1].domain, "www.evil-flux.test");
	v[1].reason = FG_REASON_SINGLE_FLUX;
	v[1].score = 63.5;
	v[1].created = T_NOW - 60;
	v[1].expires = T_NOW + 3600;
	v[2].kind = FG_FEED_CIDR;
	fg_cidr_parse("fd00:66:7::1f", &v[2].cidr);
	strcpy(v[2].domain, "a \"quoted\", label");
	v[2].reason = FG_REASON_MANUAL;
	v[2].created = T_NOW;
	v[3].kind = FG_FEED_CIDR;
	fg_cidr_parse("198.19.8.0/24", &v[3].cidr);
	v[3].reason = FG_REASON_FEED;
	v[3].created = T_NOW;
	v[3].expires = T_NOW + 60;
}

/* Export, read back: every indicator returns with its expiry. */
static void round_trip(enum fg_export_format fmt, bool keeps_expiry)
{
	char path[] = "/tmp/fg-test-export-XXXXXX";
	struct fg_indicator v[4];
	struct seen *s;
	FILE *f;
	int fd;

	sample(v);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_int_equal(fg_export_write(f, fmt, v, 4, T_NOW), 0);
	fclose(f);
	s = parse(path);
	assert_int_equal(s->n, 4);
	assert_int_equal(s->n_err, 0);
	assert_non_null(name(s, "www.evil-flux.test"));
	assert_non_null(cidr(s, "198.19.7.30"));
	assert_non_null(cidr(s, "fd00:66:7::1f"));
	assert_non_null(cidr(s, "198.19.8.0/24"));
	if (keeps_expiry) {
		assert_true(name(s, "www.evil-flux.test")->expires ==
			    T_NOW + 3600);
		assert_true(cidr(s, "fd00:66:7::1f")->expires == 0);
		assert_true(cidr(s, "198.19.8.0/24")->expires == T_NOW + 60);
	}
	unlink(path);
	free(s);
}

static void test_round_trip_csv(void **state)
{
	(void)state;
	round_trip(FG_FMT_CSV, true);
}

static void test_round_trip_rpz(void **state)
{
	(void)state;
	round_trip(FG_FMT_RPZ, false);	/* a zone carries no expiry */
}

static void test_round_trip_stix(void **state)
{
	(void)state;
	round_trip(FG_FMT_STIX, true);
}

static void test_stix_fields(void **state)
{
	struct fg_indicator v[4];
	json_error_t jerr;
	json_t *root, *o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	sample(v);
	f = open_memstream(&buf, &len);
	assert_int_equal(fg_export_write(f, FG_FMT_STIX, v, 4, T_NOW), 0);
	fclose(f);
	root = json_loads(buf, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "type")),
			    "bundle");
	o = json_array_get(json_object_get(root, "objects"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "id")),
			    "indicator--0e28fe48-3c66-5e86-8e66-c0034d51fddf");
	assert_string_equal(json_string_value(json_object_get(o, "pattern")),
			    "[domain-name:value = 'www.evil-flux.test']");
	assert_string_equal(json_string_value(json_object_get(o,
				"pattern_type")), "stix");
	assert_string_equal(json_string_value(json_object_get(o,
				"spec_version")), "2.1");
	assert_int_equal(json_integer_value(json_object_get(o, "confidence")),
			 64);
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(o, "indicator_types"), 0)),
			    "malicious-activity");
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(o, "labels"), 0)), "fast-flux");
	assert_string_equal(json_string_value(json_object_get(o,
				"valid_from")), "2025-12-03T19:59:00.000Z");
	o = json_array_get(json_object_get(root, "objects"), 2);
	assert_string_equal(json_string_value(json_object_get(o, "pattern")),
			    "[ipv6-addr:value = 'fd00:66:7::1f']");
	assert_null(json_object_get(o, "valid_until"));
	assert_int_equal(json_integer_value(json_object_get(o, "confidence")),
			 100);
	o = json_array_get(json_object_get(root, "objects"), 3);
	assert_null(json_object_get(o, "confidence"));
	json_decref(root);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urlhaus),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_names_and_expiry),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_import_csv),
		cmocka_unit_test(test_bad_values_skipped),
		cmocka_unit_test(test_import_rpz),
		cmocka_unit_test(test_import_stix),
		cmocka_unit_test(test_rpz_ip),
		cmocka_unit_test(test_uuid5_and_time),
		cmocka_unit_test(test_round_trip_csv),
		cmocka_unit_test(test_round_trip_rpz),
		cmocka_unit_test(test_round_trip_stix),
		cmocka_unit_test(test_stix_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

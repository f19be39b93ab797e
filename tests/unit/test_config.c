/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Config parser tests: defaults, every key, durations, and every error
 * path reporting FILE:LINE while leaving the caller's settings untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char cfg_path[64];

static const char *write_cfg_n(const char *text, size_t len)
{
	FILE *f;
	int fd;

	snprintf(cfg_path, sizeof(cfg_path), "/tmp/fg-test-cfg-XXXXXX");
	fd = mkstemp(cfg_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return cfg_path;
}

static const char *write_cfg(const char *text)
{
	return write_cfg_n(text, strlen(text));
}

/* Load text; it must fail at line with a message containing what, and
 * leave the settings exactly as they were.
 */
static void expect_error_n(const char *text, size_t len, unsigned int line,
			   const char *what)
{
	struct fg_settings *s = malloc(sizeof(*s)), *copy = malloc(sizeof(*s));
	char err[512], prefix[128];
	const char *path = write_cfg_n(text, len);

	assert_non_null(s);
	assert_non_null(copy);
	fg_settings_defaults(s);
	s->max_domains = 12345;		/* a "running" value to protect */
	memcpy(copy, s, sizeof(*s));
	err[0] = '\0';
	assert_true(fg_settings_load(path, s, err, sizeof(err)) < 0);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, what))
		fail_msg("text '%s': got '%s', want '%s...%s'", text, err,
			 prefix, what);
	assert_memory_equal(s, copy, sizeof(*s));
	unlink(path);
	free(s);
	free(copy);
}

static void expect_error(const char *text, unsigned int line,
			 const char *what)
{
	expect_error_n(text, strlen(text), line, what);
}

static void test_defaults(void **state)
{
	struct fg_settings s;

	(void)state;
	fg_settings_defaults(&s);
	assert_string_equal(s.asn_dir, FG_ASN_DIR_DEFAULT);
	assert_string_equal(s.country_db, "");
	assert_true(s.window_short == 300 && s.window_long == 3600);
	assert_int_equal(s.max_addrs_per_domain, 32);
	assert_true(s.block_ttl == 3600);
	assert_int_equal(s.block_mode, FG_BLOCK_BOTH);
	assert_false(s.dry_run);
	assert_int_equal(s.n_dns_ports, 1);
	assert_int_equal(s.dns_ports[0], 53);
	assert_int_equal(s.allow_block.n, 0);
	assert_true(s.threshold_single > 0);
	for (int f = 0; f < FG_F_COUNT; f++)
		assert_true(s.weight[f] >= 0);
	assert_true(s.weight[FG_F_HOLZ] == 0);
}

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		double secs;
	} ok[] = {
		{ "30", 30 }, { "30s", 30 }, { "5m", 300 }, { "2h", 7200 },
		{ "1d", 86400 }, { "1.5m", 90 }, { "0", 0 },
	};
	static const char *const bad[] = {
		"", "s", "5x", "5mm", "-1s", "nan", "inf", "5 m", "1e999",
	};
	double d;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(fg_parse_duration(ok[i].text, &d), 0);
		assert_float_equal(d, ok[i].secs, 1e-9);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!fg_parse_duration(bad[i], &d))
			fail_msg("'%s' parsed as %g", bad[i], d);
}

static void test_full_file(void **state)
{
	const char *text =
		"# every key once\n"
		"\n"
		"asn_dir = /opt/asn   # trailing comment\n"
		"country_db = /opt/GeoLite2-Country.mmdb\n"
		"allowlist = /etc/fluxguard/allowlist.conf\n"
		"allowlist = /etc/fluxguard/local#1.conf\n"
		"events = -\n"
		"log_answers = yes\n"
		"dry_run = on\n"
		"window_short = 2m\n"
		"window_long = 2h\n"
		"max_domains = 1000\n"
		"max_addrs_per_domain = 64\n"
		"block_ttl = 30m\n"
		"max_blocks_total = 500\n"
		"max_blocks_per_domain = 20\n"
		"max_blocks_per_minute = 100\n"
		"block_mode = both\n"
		"dns_port = 5353\n"
		"dns_port = 53\n"
		"resolver = 198.18.2.54\n"
		"resolver = fd00:2::54\n"
		"gateway_addr = 198.18.1.1\n"
		"never_block = 198.18.2.0/24\n"
		"allow_block_cidr = 198.18.0.0/15\n"
		"allow_block_cidr = fd00::/8\n"
		"ttl_reference = 90s\n"
		"weight.asns = 2.5\n"
		"weight.holz = 1\n"
		"threshold.single_flux = 50\n"
		"threshold.double_flux = 20\n"
		"threshold.diversity = 12\n"
		"threshold.behaviour = 18.5\n";
	const char *path = write_cfg(text);
	struct fg_settings s;
	char err[512], buf[FG_CIDR_STRLEN];

	(void)state;
	fg_settings_defaults(&s);
	if (fg_settings_load(path, &s, err, sizeof(err)))
		fail_msg("%s", err);
	unlink(path);
	assert_string_equal(s.asn_dir, "/opt/asn");
	assert_string_equal(s.country_db, "/opt/GeoLite2-Country.mmdb");
	assert_int_equal(s.n_allowlists, 2);
	assert_string_equal(s.allowlists[1], "/etc/fluxguard/local#1.conf");
	assert_string_equal(s.events, "-");
	assert_true(s.log_answers && s.dry_run);
	assert_true(s.window_short == 120 && s.window_long == 7200);
	assert_int_equal(s.max_domains, 1000);
	assert_int_equal(s.max_addrs_per_domain, 64);
	assert_true(s.block_ttl == 1800);
	assert_int_equal(s.max_blocks_total, 500);
	assert_int_equal(s.max_blocks_per_domain, 20);
	assert_int_equal(s.max_blocks_per_minute, 100);
	assert_int_equal(s.block_mode, FG_BLOCK_BOTH);
	/* The file's ports replace the default, not add to it. */
	assert_int_equal(s.n_dns_ports, 2);
	assert_int_equal(s.dns_ports[0], 5353);
	assert_int_equal(s.dns_ports[1], 53);
	assert_int_equal(s.resolvers.n, 2);
	assert_string_equal(fg_cidr_str(&s.resolvers.v[1], buf, sizeof(buf)),
			    "fd00:2::54");
	assert_int_equal(s.gateway_addrs.n, 1);
	assert_int_equal(s.never_block.n, 1);
	assert_int_equal(s.allow_block.n, 2);
	assert_string_equal(fg_cidr_str(&s.allow_block.v[0], buf, sizeof(buf)),
			    "198.18.0.0/15");
	assert_true(s.ttl_reference == 90);
	assert_true(s.weight[FG_F_ASNS] == 2.5);
	assert_true(s.weight[FG_F_HOLZ] == 1);
	assert_true(s.threshold_single == 50 && s.threshold_double == 20);
	assert_true(s.threshold_diversity == 12);
	assert_true(s.threshold_behaviour == 18.5);
}

static void test_errors(void **state)
{
	char longline[5000], longpath[700], many[4096];
	size_t off = 0;

	(void)state;
	expect_error("bogus = 1\n", 1, "unknown key 'bogus'");
	expect_error("\n# c\nwindow_short 30s\n", 3, "expected 'key = value'");
	expect_error("= 5\n", 1, "missing key");
	expect_error("block_ttl =\n", 1, "missing value");
	expect_error("block_ttl = soon\n", 1, "not a positive duration");
	expect_error("block_ttl = 0s\n", 1, "not a positive duration");
	expect_error("window_long = 5x\n", 1, "not a positive duration");
	expect_error("max_domains = 5\n", 1, "not a whole number");
	expect_error("max_domains = -3\n", 1, "not a whole number");
	expect_error("max_domains = 99999999999999999999\n", 1,
		     "not a whole number");
	expect_error("max_addrs_per_domain = 129\n", 1, "not a whole number");
	expect_error("max_blocks_total = 1k\n", 1, "not a whole number");
	expect_error("resolver = 198.18.2.300\n", 1, "not an address or CIDR");
	expect_error("never_block = 10.0.0.1/8\n", 1, "not an address or CIDR");
	expect_error("allow_block_cidr = fd00::/129\n", 1,
		     "not an address or CIDR");
	expect_error("gateway_addr = gw\n", 1, "not an address or CIDR");
	expect_error("dry_run = maybe\n", 1, "not yes or no");
	expect_error("log_answers = 2\n", 1, "not yes or no");
	expect_error("block_mode = all\n", 1, "not addresses, names or both");
	expect_error("weight.bogus = 1\n", 1, "unknown feature 'bogus'");
	expect_error("weight.asns = -1\n", 1, "not a number >= 0");
	expect_error("weight.asns = 1,5\n", 1, "not a number >= 0");
	expect_error("threshold.triple_flux = 1\n", 1, "unknown threshold");
	expect_error("threshold.single_flux = x\n", 1, "not a number >= 0");
	expect_error("dns_port = 0\n", 1, "not a port");
	expect_error("dns_port = 65536\n", 1, "not a port");
	expect_error("dns_port = 1\ndns_port = 2\ndns_port = 3\ndns_port = 4\n"
		     "dns_port = 5\n", 5, "more than 4 dns_port");
	expect_error("window_short = 2h\n", 1, "must be shorter");
	expect_error("window_long = 10m\n\nwindow_short = 20m\n", 3,
		     "must be shorter");

	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	snprintf(longline, sizeof(longline), "asn_dir = /%s\n", longpath);
	expect_error(longline, 1, "path longer than");

	memset(longline, 'x', sizeof(longline) - 2);
	memcpy(longline, "events = ", 9);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	expect_error(longline, 1, "line longer than");

	/* A NUL byte would hide the rest of its line from a C string. */
	{
		static const char nul[] = "block_ttl = 1h\ndry_run = no\0"
					  "dry_run = yes\n";

		expect_error_n(nul, sizeof(nul) - 1, 2, "NUL byte");
	}

	for (int i = 0; i <= FG_CFG_FILES_MAX; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off,
					"allowlist = /a%d\n", i);
	expect_error(many, FG_CFG_FILES_MAX + 1, "more than 16 allowlist");

	off = 0;
	for (int i = 0; i <= FG_CFG_LIST_MAX; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off,
					"resolver = 10.0.%d.1\n", i);
	expect_error(many, FG_CFG_LIST_MAX + 1, "more than 64 resolver");
}

static void test_missing_file(void **state)
{
	struct fg_settings s, copy;
	char err[256];

	(void)state;
	fg_settings_defaults(&s);
	copy = s;
	assert_true(fg_settings_load("/nonexistent/fg.conf", &s, err,
				     sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent/fg.conf:0: "));
	assert_memory_equal(&s, &copy, sizeof(s));
}

/* The shipped example config loads and says what the defaults are. */
static void test_example_config(void **state)
{
	struct fg_settings s, d;
	char err[512];

	(void)state;
	if (access("etc/fluxguard.conf", R_OK))
		skip();
	fg_settings_defaults(&d);
	if (fg_settings_load("etc/fluxguard.conf", &s, err, sizeof(err)))
		fail_msg("%s", err);
	assert_memory_equal(&s, &d, sizeof(s));
}

/* The keys of docs/sharing.md: feed (a list), metrics_listen,
 * metrics_file.
 */
static void test_sharing_keys(void **state)
{
	struct fg_settings *s = malloc(sizeof(*s));
	char err[512], many[4096];
	const char *path;
	size_t off = 0;

	(void)state;
	assert_non_null(s);
	fg_settings_defaults(s);
	assert_int_equal(s->n_feeds, 0);
	assert_string_equal(s->metrics_listen, "");
	assert_string_equal(s->metrics_file, "");
	path = write_cfg("feed = /var/lib/fluxguard/a.txt\n"
			 "feed = /etc/fluxguard/b#1.txt # local\n"
			 "metrics_listen = [::1]:9712\n"
			 "metrics_file = /run/fg.prom\n");
	assert_int_equal(fg_settings_load(path, s, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(s->n_feeds, 2);
	assert_string_equal(s->feeds[0], "/var/lib/fluxguard/a.txt");
	assert_string_equal(s->feeds[1], "/etc/fluxguard/b#1.txt");
	assert_string_equal(s->metrics_listen, "[::1]:9712");
	assert_string_equal(s->metrics_file, "/run/fg.prom");
	free(s);

	expect_error("metrics_listen = localhost\n", 1, "is not ADDR:PORT");
	expect_error("metrics_file =\n", 1, "missing value");
	for (int i = 0; i <= FG_CFG_FILES_MAX; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off,
					"feed = /f%d\n", i);
	expect_error(many, FG_CFG_FILES_MAX + 1, "more than 16 feed files");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_example_config),
		cmocka_unit_test(test_sharing_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

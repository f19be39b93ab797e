/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Never-block policy and allowlist tests: special ranges refused with
 * their reason, allow_block_cidr opening them, operator lists always
 * winning, refusals counted; allowlist matching and file errors.
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

#include "policy.h"

static enum fg_refusal check(struct fg_policy *p, const char *ip)
{
	struct fg_addr a;

	assert_int_equal(fg_addr_parse(ip, &a), 0);
	return fg_policy_check(p, &a, 0);
}

static void add_cidr(struct fg_cidr_list *l, const char *text)
{
	assert_int_equal(fg_cidr_parse(text, &l->v[l->n++]), 0);
}

static void test_special_ranges(void **state)
{
	static const struct {
		const char *ip;
		enum fg_refusal why;
	} cases[] = {
		{ "0.1.2.3", FG_POL_UNSPECIFIED },
		{ "127.0.0.1", FG_POL_LOOPBACK },
		{ "169.254.1.1", FG_POL_LINK_LOCAL },
		{ "10.1.2.3", FG_POL_PRIVATE },
		{ "172.16.0.1", FG_POL_PRIVATE },
		{ "172.31.255.255", FG_POL_PRIVATE },
		{ "192.168.1.1", FG_POL_PRIVATE },
		{ "100.64.0.1", FG_POL_CGNAT },
		{ "100.127.255.254", FG_POL_CGNAT },
		{ "224.0.0.251", FG_POL_MULTICAST },
		{ "239.255.255.250", FG_POL_MULTICAST },
		{ "192.0.2.7", FG_POL_DOCUMENTATION },
		{ "198.51.100.7", FG_POL_DOCUMENTATION },
		{ "203.0.113.7", FG_POL_DOCUMENTATION },
		{ "198.18.0.1", FG_POL_BENCHMARK },
		{ "198.19.255.254", FG_POL_BENCHMARK },
		{ "255.255.255.255", FG_POL_RESERVED },
		{ "::", FG_POL_UNSPECIFIED },
		{ "::1", FG_POL_LOOPBACK },
		{ "fe80::1", FG_POL_LINK_LOCAL },
		{ "fc00::1", FG_POL_PRIVATE },
		{ "fd00:66::1", FG_POL_PRIVATE },
		{ "ff02::1", FG_POL_MULTICAST },
		{ "2001:db8::1", FG_POL_DOCUMENTATION },
		{ "::ffff:8.8.8.8", FG_POL_RESERVED },
		{ "8.8.8.8", FG_POL_OK },
		{ "172.32.0.1", FG_POL_OK },
		{ "100.128.0.1", FG_POL_OK },
		{ "198.20.0.1", FG_POL_OK },
		{ "2a00:1450::1", FG_POL_OK },
	};
	struct fg_settings s;
	struct fg_policy *p;

	(void)state;
	fg_settings_defaults(&s);
	p = fg_policy_new(&s, NULL, NULL);
	assert_non_null(p);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum fg_refusal r = check(p, cases[i].ip);

		if (r != cases[i].why)
			fail_msg("%s: %s, want %s", cases[i].ip,
				 fg_refusal_str(r),
				 fg_refusal_str(cases[i].why));
	}
	assert_int_equal(fg_policy_refusals(p, FG_POL_PRIVATE), 6);
	assert_int_equal(fg_policy_refusals(p, FG_POL_BENCHMARK), 2);
	assert_int_equal(fg_policy_refusals(p, FG_POL_OK), 0);
	assert_string_equal(fg_refusal_str(FG_POL_BENCHMARK), "benchmark");
	fg_policy_free(p);
}

/* The lab opens its ranges; its infrastructure stays protected. */
static void test_allow_block_and_lists(void **state)
{
	struct fg_settings s;
	struct fg_policy *p;
	struct fg_addr gw;

	(void)state;
	fg_settings_defaults(&s);
	add_cidr(&s.allow_block, "198.18.0.0/15");
	add_cidr(&s.allow_block, "fd00::/8");
	add_cidr(&s.resolvers, "198.18.2.54");
	add_cidr(&s.resolvers, "fd00:2::54");
	add_cidr(&s.never_block, "198.18.1.0/24");
	add_cidr(&s.gateway_addrs, "198.18.2.1");
	p = fg_policy_new(&s, NULL, NULL);
	assert_non_null(p);

	assert_int_equal(check(p, "198.19.7.1"), FG_POL_OK);
	assert_int_equal(check(p, "fd00:66:7::1"), FG_POL_OK);
	/* Outside the opened part of ULA space, still refused. */
	assert_int_equal(check(p, "fc00::1"), FG_POL_PRIVATE);
	assert_int_equal(check(p, "10.0.0.1"), FG_POL_PRIVATE);
	assert_int_equal(check(p, "198.18.2.54"), FG_POL_RESOLVER);
	assert_int_equal(check(p, "fd00:2::54"), FG_POL_RESOLVER);
	assert_int_equal(check(p, "198.18.1.2"), FG_POL_NEVER_BLOCK);
	assert_int_equal(check(p, "198.18.2.1"), FG_POL_GATEWAY);

	assert_int_equal(fg_addr_parse("198.18.9.9", &gw), 0);
	assert_int_equal(check(p, "198.18.9.9"), FG_POL_OK);
	assert_int_equal(fg_policy_add_gateway(p, &gw), 0);
	assert_int_equal(check(p, "198.18.9.9"), FG_POL_GATEWAY);
	assert_int_equal(fg_policy_peek(p, &gw, 0), FG_POL_GATEWAY);
	fg_policy_clear_gateways(p);
	assert_int_equal(check(p, "198.18.9.9"), FG_POL_OK);
	for (int i = 0; i < FG_POLICY_GATEWAY_MAX; i++)
		assert_int_equal(fg_policy_add_gateway(p, &gw), 0);
	assert_int_equal(fg_policy_add_gateway(p, &gw), -ENOSPC);
	fg_policy_free(p);
}

static void test_allowlisted_addresses(void **state)
{
	struct fg_allowlist *al = fg_allowlist_new();
	struct fg_asn_db *asn = NULL;
	struct fg_settings s;
	struct fg_policy *p;
	struct fg_addr a;

	(void)state;
	assert_non_null(al);
	assert_int_equal(fg_allowlist_add(al, FG_ALLOW_CIDR, "8.8.8.0/24"), 0);
	assert_int_equal(fg_allowlist_add(al, FG_ALLOW_ASN, "AS64605"), 0);
	fg_settings_defaults(&s);
	p = fg_policy_new(&s, al, asn);
	assert_int_equal(check(p, "8.8.8.8"), FG_POL_ALLOWLIST);
	assert_int_equal(check(p, "8.8.4.4"), FG_POL_OK);
	/* The caller's ASN is used when known. */
	assert_int_equal(fg_addr_parse("81.1.1.1", &a), 0);
	assert_int_equal(fg_policy_check(p, &a, 64605), FG_POL_ALLOWLIST);
	assert_int_equal(fg_policy_check(p, &a, 64606), FG_POL_OK);
	fg_policy_free(p);
	fg_allowlist_free(al);
}

static void test_allowlist_matching(void **state)
{
	struct fg_allowlist *al = fg_allowlist_new();

	(void)state;
	assert_int_equal(fg_allowlist_add(al, FG_ALLOW_DOMAIN, "pool.NTP.org."),
			 0);
	assert_int_equal(fg_allowlist_add(al, FG_ALLOW_CNAME, "akamaiedge.net"),
			 0);
	assert_int_equal(fg_allowlist_add(al, FG_ALLOW_ASN, "16509"), 0);
	assert_true(fg_allowlist_domain(al, "pool.ntp.org"));
	assert_true(fg_allowlist_domain(al, "2.debian.pool.ntp.org"));
	assert_false(fg_allowlist_domain(al, "evilpool.ntp.org"));
	assert_false(fg_allowlist_domain(al, "ntp.org"));
	assert_false(fg_allowlist_domain(al, "pool.ntp.org.evil.test"));
	assert_true(fg_allowlist_cname(al, "e1.a.akamaiedge.net"));
	assert_false(fg_allowlist_cname(al, "akamaiedge.net.evil.test"));
	assert_false(fg_allowlist_domain(al, "e1.a.akamaiedge.net"));
	assert_true(fg_allowlist_asn(al, 16509));
	assert_false(fg_allowlist_asn(al, 0));
	assert_int_equal(fg_allowlist_add(al, FG_ALLOW_DOMAIN, "a..b"),
			 -EINVAL);
	assert_int_equal(fg_allowlist_add(al, FG_ALLOW_ASN, "0"), -EINVAL);
	assert_int_equal(fg_allowlist_add(al, FG_ALLOW_CIDR, "1.2.3.4/33"),
			 -EINVAL);
	assert_false(fg_allowlist_domain(NULL, "x"));
	fg_allowlist_free(al);
}

static void expect_file_error_n(const char *text, size_t len,
				unsigned int line, const char *what)
{
	struct fg_allowlist *al = fg_allowlist_new();
	char path[64], err[256], prefix[100];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/fg-test-allow-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	assert_int_equal(fg_allowlist_add(al, FG_ALLOW_DOMAIN, "kept.test"), 0);
	assert_true(fg_allowlist_load(al, path, err, sizeof(err)) < 0);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, what))
		fail_msg("got '%s', want '%s...%s'", err, prefix, what);
	/* Nothing of the bad file is kept; what was there stays. */
	assert_int_equal(fg_allowlist_count(al, FG_ALLOW_DOMAIN), 1);
	assert_int_equal(fg_allowlist_count(al, FG_ALLOW_CNAME), 0);
	assert_true(fg_allowlist_domain(al, "kept.test"));
	unlink(path);
	fg_allowlist_free(al);
}

static void expect_file_error(const char *text, unsigned int line,
			      const char *what)
{
	expect_file_error_n(text, strlen(text), line, what);
}

static void test_allowlist_file_errors(void **state)
{
	(void)state;
	expect_file_error("cname a.test\nhost b.test\n", 2, "unknown kind");
	expect_file_error("cname a.test\n\n# c\ndomain\n", 4, "missing value");
	expect_file_error("domain a.test extra\n", 1, "unexpected 'extra'");
	expect_file_error("cname a.test\nasn 12x\n", 2, "'12x' is not valid");
	expect_file_error("cidr 10.0.0.1/8\n", 1, "is not valid");
	expect_file_error("domain a..test\n", 1, "is not valid");
	{
		char buf[2000];

		memset(buf, 'a', sizeof(buf) - 2);
		memcpy(buf, "domain ", 7);
		buf[sizeof(buf) - 2] = '\n';
		buf[sizeof(buf) - 1] = '\0';
		expect_file_error(buf, 1, "line longer than");
	}
	{
		/* After the NUL, a C string would not see "cidr 0.0.0.0/0". */
		static const char nul[] = "domain a.test\ndomain b.test\0"
					  " cidr 0.0.0.0/0\n";

		expect_file_error_n(nul, sizeof(nul) - 1, 2, "NUL byte");
	}
}

/* The shipped default allowlist loads and covers what it promises. */
static void test_shipped_allowlist(void **state)
{
	struct fg_allowlist *al;
	char err[256];

	(void)state;
	if (access("etc/allowlist.conf", R_OK))
		skip();
	al = fg_allowlist_new();
	if (fg_allowlist_load(al, "etc/allowlist.conf", err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(fg_allowlist_domain(al, "0.pool.ntp.org"));
	assert_true(fg_allowlist_cname(al, "e123.a.akamaiedge.net"));
	assert_true(fg_allowlist_cname(al, "d1.cloudfront.net"));
	assert_true(fg_allowlist_cname(al, "x.map.fastly.net"));
	assert_true(fg_allowlist_cname(al, "my-lb.eu-west-1.elb.amazonaws.com"));
	assert_true(fg_allowlist_asn(al, 13335));
	assert_false(fg_allowlist_domain(al, "www.evil-flux.test"));
	fg_allowlist_free(al);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_special_ranges),
		cmocka_unit_test(test_allow_block_and_lists),
		cmocka_unit_test(test_allowlisted_addresses),
		cmocka_unit_test(test_allowlist_matching),
		cmocka_unit_test(test_allowlist_file_errors),
		cmocka_unit_test(test_shipped_allowlist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

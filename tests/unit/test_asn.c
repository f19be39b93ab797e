/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* ASN reader tests: a small CSV written here (quoted orgs, unsorted rows,
 * boundaries, IPv6), every malformed-line error, and, when installed, the
 * real database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "asn.h"
#include "cidr.h"

#define REAL_DB		"/usr/local/share/fluxguard/asn"

static char dir[64], v4path[128], v6path[128];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fg-test-asn-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(v4path, sizeof(v4path), "%s/%s", dir, FG_ASN_FILE_V4);
	snprintf(v6path, sizeof(v6path), "%s/%s", dir, FG_ASN_FILE_V6);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(v4path);
	unlink(v6path);
	rmdir(dir);
	return 0;
}

static uint32_t lookup(const struct fg_asn_db *db, const char *ip)
{
	struct fg_addr a;

	assert_int_equal(fg_addr_parse(ip, &a), 0);
	return fg_asn_lookup(db, &a);
}

static void test_small_csv(void **state)
{
	struct fg_asn_db *db = NULL;
	char err[256];

	(void)state;
	/* Out of order, a quoted org with commas and quotes, CRLF, blanks. */
	write_file(v4path,
		   "9.9.9.0,9.9.9.255,19281,\"Quad9, \"\"the\"\" resolver\"\n"
		   "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\r\n"
		   "\n"
		   "1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\n"
		   "198.19.5.0,198.19.5.255,64605,Lab Flux Net 5\n"
		   "255.255.255.0,255.255.255.255,64999,\n");
	write_file(v6path,
		   "2606:4700::,2606:4700:ffff:ffff:ffff:ffff:ffff:ffff,13335,"
		   "\"Cloudflare, Inc.\"\n"
		   "fd00:66:5::,fd00:66:5:ffff:ffff:ffff:ffff:ffff,64605,Lab\n");
	if (fg_asn_db_load(dir, &db, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(fg_asn_db_ranges(db, AF_INET), 5);
	assert_int_equal(fg_asn_db_ranges(db, AF_INET6), 2);
	assert_int_equal(lookup(db, "1.0.0.0"), 13335);
	assert_int_equal(lookup(db, "1.0.0.1"), 13335);
	assert_int_equal(lookup(db, "1.0.0.255"), 13335);
	assert_int_equal(lookup(db, "1.0.1.0"), 0);
	assert_int_equal(lookup(db, "1.0.3.255"), 0);
	assert_int_equal(lookup(db, "1.0.4.0"), 38803);
	assert_int_equal(lookup(db, "1.0.7.255"), 38803);
	assert_int_equal(lookup(db, "0.255.255.255"), 0);
	assert_int_equal(lookup(db, "9.9.9.9"), 19281);
	assert_int_equal(lookup(db, "198.19.5.77"), 64605);
	assert_int_equal(lookup(db, "198.19.6.1"), 0);
	assert_int_equal(lookup(db, "255.255.255.255"), 64999);
	assert_int_equal(lookup(db, "2606:4700:4700::1111"), 13335);
	assert_int_equal(lookup(db, "2606:4701::1"), 0);
	assert_int_equal(lookup(db, "fd00:66:5::1"), 64605);
	assert_int_equal(lookup(db, "::1"), 0);
	fg_asn_db_free(db);
	assert_int_equal(lookup(NULL, "1.0.0.1"), 0);
}

/* A bad row in either file: FILE:LINE: and nothing loaded. */
static void expect_bad(const char *v4, const char *v6, const char *path,
		       unsigned int line, const char *what)
{
	struct fg_asn_db *db = NULL;
	char err[256], prefix[200];

	write_file(v4path, v4);
	write_file(v6path, v6);
	assert_true(fg_asn_db_load(dir, &db, err, sizeof(err)) < 0);
	assert_null(db);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, what))
		fail_msg("got '%s', want '%s...%s'", err, prefix, what);
}

static void test_malformed(void **state)
{
	const char *ok4 = "1.0.0.0,1.0.0.255,13335,x\n";
	const char *ok6 = "2001::,2001::ff,6939,y\n";

	(void)state;
	expect_bad("1.0.0.0,1.0.0.255,13335\n", ok6, v4path, 1,
		   "expected start,end,asn,org");
	expect_bad(ok4, "2001::,2001::ff\n", v6path, 1,
		   "expected start,end,asn,org");
	expect_bad("\n1.0.0.0,1.0.0.256,1,x\n", ok6, v4path, 2,
		   "bad IPv4 address");
	expect_bad("1.0.0,1.0.0.255,1,x\n", ok6, v4path, 1, "bad IPv4 address");
	expect_bad("1.0.0.0 ,1.0.0.255,1,x\n", ok6, v4path, 1,
		   "bad IPv4 address");
	expect_bad("2001::,2001::1,1,x\n", ok6, v4path, 1, "bad IPv4 address");
	expect_bad(ok4, "1.0.0.0,1.0.0.1,1,x\n", v6path, 1, "bad IPv6 address");
	expect_bad("1.0.0.9,1.0.0.1,1,x\n", ok6, v4path, 1, "start after");
	expect_bad(ok4, "2001::9,2001::1,1,x\n", v6path, 1, "start after");
	expect_bad("1.0.0.0,1.0.0.1,AS1,x\n", ok6, v4path, 1, "bad ASN");
	expect_bad("1.0.0.0,1.0.0.1,,x\n", ok6, v4path, 1, "bad ASN");
	expect_bad("1.0.0.0,1.0.0.1,4294967296,x\n", ok6, v4path, 1,
		   "bad ASN");
	expect_bad("1.0.0.0,1.0.0.1,1,\"open\n", ok6, v4path, 1,
		   "badly quoted");
	expect_bad("1.0.0.0,1.0.0.1,1,\"a\"b\n", ok6, v4path, 1,
		   "badly quoted");
	expect_bad("1.0.0.0,1.0.0.1,1,a\"b\n", ok6, v4path, 1, "badly quoted");
}

static void test_missing(void **state)
{
	struct fg_asn_db *db = NULL;
	struct fg_geo_db *geo = NULL;
	char err[256];

	(void)state;
	assert_true(fg_asn_db_load("/nonexistent-dir", &db, err,
				   sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent-dir/asn-ipv4.csv:0: "));
	assert_true(fg_geo_open("/nonexistent.mmdb", &geo, err,
				sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent.mmdb:0: "));
	assert_null(geo);
	assert_int_equal(fg_geo_country(NULL, NULL), 0);
}

/* The lab's own table, if the lab is in the tree. */
static void test_lab_table(void **state)
{
	struct fg_asn_db *db = NULL;
	char err[256];

	(void)state;
	if (access("tests/lab/asn/asn-ipv4.csv", R_OK))
		skip();
	if (fg_asn_db_load("tests/lab/asn", &db, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_not_equal(lookup(db, "198.19.7.1"), 0);
	assert_int_not_equal(lookup(db, "198.19.7.1"), lookup(db, "198.19.8.1"));
	fg_asn_db_free(db);
}

static void test_real_database(void **state)
{
	struct fg_asn_db *db = NULL;
	struct timespec t0, t1;
	char err[256];

	(void)state;
	if (access(REAL_DB "/" FG_ASN_FILE_V4, R_OK))
		skip();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (fg_asn_db_load(REAL_DB, &db, err, sizeof(err)))
		fail_msg("%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("real database: %zu IPv4 and %zu IPv6 ranges in %.0f ms\n",
		      fg_asn_db_ranges(db, AF_INET),
		      fg_asn_db_ranges(db, AF_INET6),
		      (t1.tv_sec - t0.tv_sec) * 1e3 +
		      (t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_true(fg_asn_db_ranges(db, AF_INET) > 100000);
	assert_true(fg_asn_db_ranges(db, AF_INET6) > 10000);
	assert_int_equal(lookup(db, "1.0.0.1"), 13335);
	assert_int_equal(lookup(db, "1.1.1.1"), 13335);
	assert_int_equal(lookup(db, "8.8.8.8"), 15169);
	assert_int_equal(lookup(db, "2606:4700:4700::1111"), 13335);
	assert_int_equal(lookup(db, "10.1.2.3"), 0);
	fg_asn_db_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_csv),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_lab_table),
		cmocka_unit_test(test_real_database),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for fg_allowlist_load(): any bytes as an allowlist
 * file, loaded over a list that already holds entries. A refused file
 * must leave exactly those entries; every query must stay in bounds.
 */
#include "allowlist.h"
#include "cidr.h"
#include "fuzz.h"

/* Room for any error message the loader writes. */
#define ERR_LEN		512
/* Mirrors FG_ALLOW_LINE_MAX in user/allowlist.c: a line this long, or
 * longer, cannot fit the loader's buffer and must be refused, not split.
 */
#define LINE_REFUSED	1024
/* Longest name queried, from the input's own bytes. */
#define QUERY_MAX	300

static struct fuzz_file file;

/* Entries present before the fuzzed file: each must still match after
 * it, loaded or refused.
 */
static const char base_list[] =
	"domain example.com\n"
	"cname cdn.example.net\n"
	"asn AS64500\n"
	"cidr 192.0.2.0/24\n"
	"cidr 2001:db8::/32\n";

static void check_base(const struct fg_allowlist *al)
{
	struct fg_addr a4 = { .family = AF_INET, .bytes = { 192, 0, 2, 9 } };
	struct fg_addr a6 = {
		.family = AF_INET6, .bytes = { 0x20, 0x01, 0x0d, 0xb8, 1 },
	};

	FUZZ_CHECK(fg_allowlist_domain(al, "www.example.com") &&
		   fg_allowlist_domain(al, "example.com"), "domain lost");
	FUZZ_CHECK(fg_allowlist_cname(al, "x.cdn.example.net"), "cname lost");
	FUZZ_CHECK(fg_allowlist_asn(al, 64500), "asn lost");
	FUZZ_CHECK(fg_allowlist_addr(al, &a4) && fg_allowlist_addr(al, &a6),
		   "cidr lost");
}

/* Queries built from the input: names from its lines, addresses and
 * ASNs from its bytes. Only their safety is checked.
 */
static void query(const struct fg_allowlist *al, const uint8_t *data,
		  size_t size)
{
	char name[QUERY_MAX + 1];
	struct fg_addr a = { 0 };
	size_t i, n;
	uint32_t asn;

	for (i = 0; i < size; i += n + 1) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);

		n = nl ? (size_t)(nl - (data + i)) : size - i;
		snprintf(name, sizeof(name), "%.*s",
			 (int)(n < QUERY_MAX ? n : QUERY_MAX), data + i);
		fg_allowlist_domain(al, name);
		fg_allowlist_cname(al, name);
	}
	if (size >= 16) {
		a.family = AF_INET6;
		memcpy(a.bytes, data, 16);
		fg_allowlist_addr(al, &a);
		a.family = AF_INET;
		fg_allowlist_addr(al, &a);
		memcpy(&asn, data, sizeof(asn));
		fg_allowlist_asn(al, asn);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t count[FG_ALLOW_KINDS];
	struct fg_allowlist *al;
	char err[ERR_LEN];
	int ret, k;

	if (file.fd <= 0)
		fuzz_file_open(&file, "fuzz-allowlist");
	al = fg_allowlist_new();
	FUZZ_CHECK(al, "out of memory");
	fuzz_file_set(&file, base_list, sizeof(base_list) - 1);
	FUZZ_CHECK(!fg_allowlist_load(al, file.path, err, sizeof(err)),
		   "base list refused: %s", err);
	for (k = 0; k < FG_ALLOW_KINDS; k++)
		count[k] = fg_allowlist_count(al, k);

	fuzz_file_set(&file, data, size);
	memset(err, 0x7f, sizeof(err));
	ret = fg_allowlist_load(al, file.path, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL, "load returned %d", ret);
		fuzz_check_err(err, sizeof(err), file.path);
		for (k = 0; k < FG_ALLOW_KINDS; k++)
			FUZZ_CHECK(fg_allowlist_count(al, k) == count[k],
				   "kind %d: %zu entries after a refused file, "
				   "%zu before", k, fg_allowlist_count(al, k),
				   count[k]);
	} else {
		FUZZ_CHECK(fuzz_longest_line(data, size) < LINE_REFUSED,
			   "a line of %zu bytes was accepted",
			   fuzz_longest_line(data, size));
		for (k = 0; k < FG_ALLOW_KINDS; k++)
			FUZZ_CHECK(fg_allowlist_count(al, k) >= count[k],
				   "kind %d lost entries", k);
	}
	check_base(al);
	query(al, data, size);
	fg_allowlist_free(al);
	return 0;
}

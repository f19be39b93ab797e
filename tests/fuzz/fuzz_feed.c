// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for the feed parser, fg_feed_parse_file(): any bytes
 * as a feed, in whatever format the parser takes them for. Every entry
 * must be a valid name or prefix, the counts must add up, and the entries
 * exported as CSV, RPZ and STIX must read back as the same number of
 * entries.
 */
#include "export.h"
#include "feeds.h"
#include "fuzz.h"

/* Entries kept per input for the round trip; more are only checked. */
#define KEEP_MAX	256

static struct fuzz_file in, out;
static struct fg_indicator kept[KEEP_MAX];
static size_t n_kept;

static int check_entry(const struct fg_feed_entry *e, void *ctx)
{
	char name[FG_DOMAIN_NAME_MAX + 1], text[FG_CIDR_STRLEN];
	struct fg_cidr c;
	struct fg_indicator *x;

	FUZZ_CHECK(e->expires >= 0, "negative expiry");
	if (e->kind == FG_FEED_NAME) {
		FUZZ_CHECK(fg_feed_host_name(e->name, name) &&
			   !strcmp(name, e->name), "bad name '%s'", e->name);
	} else {
		FUZZ_CHECK(e->kind == FG_FEED_CIDR, "kind %u", e->kind);
		fg_cidr_str(&e->cidr, text, sizeof(text));
		FUZZ_CHECK(!fg_cidr_parse(text, &c) &&
			   !memcmp(&c, &e->cidr, sizeof(c)), "bad prefix %s",
			   text);
	}
	if (n_kept == KEEP_MAX)
		return 0;
	x = &kept[n_kept++];
	memset(x, 0, sizeof(*x));
	x->kind = e->kind;
	memcpy(x->name, e->name, sizeof(x->name));
	x->cidr = e->cidr;
	x->reason = FG_REASON_IMPORT;
	x->expires = e->expires;
	return 0;
}

static int count(const struct fg_feed_entry *e, void *ctx)
{
	(*(size_t *)ctx)++;
	return 0;
}

/* Export what was kept in fmt and read it back. */
static void round_trip(enum fg_export_format fmt)
{
	struct fg_feed_parse_stats st = { 0 };
	size_t n = 0;
	FILE *f;

	fuzz_file_set(&out, "", 0);
	f = fopen(out.path, "w");
	FUZZ_CHECK(f, "fopen %s", out.path);
	FUZZ_CHECK(!fg_export_write(f, fmt, kept, n_kept, 1e9), "export");
	fclose(f);
	FUZZ_CHECK(!fg_feed_parse_file(out.path, count, NULL, &n, &st),
		   "reparse");
	FUZZ_CHECK(n == n_kept && !st.malformed,
		   "format %d: %zu of %zu back, %llu malformed", fmt, n, n_kept,
		   (unsigned long long)st.malformed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fg_feed_parse_stats st = { 0 };

	if (!in.path[0]) {
		fuzz_file_open(&in, "feed");
		fuzz_file_open(&out, "export");
	}
	fuzz_file_set(&in, data, size);
	n_kept = 0;
	if (fg_feed_parse_file(in.path, check_entry, NULL, NULL, &st))
		return 0;
	FUZZ_CHECK(st.entries >= n_kept, "entries %llu < kept %zu",
		   (unsigned long long)st.entries, n_kept);
	round_trip(FG_FMT_CSV);
	round_trip(FG_FMT_RPZ);
	round_trip(FG_FMT_STIX);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for the IP-to-ASN loader: any bytes as the IPv4 and
 * IPv6 CSV files, then lookups. The start address of every row loaded
 * must find that row (or one starting at the same address).
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "asn.h"
#include "fuzz.h"

/* Room for any error message the loader writes. */
#define ERR_LEN		512
/* Rows re-read and looked up per input: enough to cover the /16 index
 * edges, few enough that the quadratic tie search stays cheap.
 */
#define ROWS_CHECKED	256
/* Longest address field re-read; longer ones never load. */
#define FIELD_MAX	64

struct row {
	uint8_t start[16];
	uint32_t asn;
};

static struct fuzz_file f4, f6;
static struct row rows[ROWS_CHECKED];

/* Reads back the rows of a file the loader accepted, so every field is
 * known to be well formed. Returns how many were read.
 */
static size_t read_rows(const uint8_t *p, size_t len, int family)
{
	const uint8_t *end = p + len;
	size_t n = 0;

	while (p < end && n < ROWS_CHECKED) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *next = nl ? nl + 1 : end;
		const uint8_t *c1 = memchr(p, ',', (size_t)(next - p));
		const uint8_t *c2 = NULL;
		char field[FIELD_MAX];
		unsigned int o[4];

		if (!c1) {
			p = next;	/* a blank line */
			continue;
		}
		c2 = memchr(c1 + 1, ',', (size_t)(next - c1 - 1));
		FUZZ_CHECK(c2 && c1 - p < FIELD_MAX, "accepted row unreadable");
		snprintf(field, sizeof(field), "%.*s", (int)(c1 - p), p);
		memset(&rows[n], 0, sizeof(rows[n]));
		if (family == AF_INET) {
			FUZZ_CHECK(sscanf(field, "%3u.%3u.%3u.%3u", &o[0], &o[1],
					  &o[2], &o[3]) == 4, "row '%s'", field);
			for (int i = 0; i < 4; i++)
				rows[n].start[i] = (uint8_t)o[i];
		} else {
			FUZZ_CHECK(inet_pton(AF_INET6, field, rows[n].start) == 1,
				   "row '%s'", field);
		}
		c2++;
		rows[n].asn = (uint32_t)strtoul((const char *)c2, NULL, 10);
		n++;
		p = next;
	}
	return n;
}

static void check_rows(const struct fg_asn_db *db, size_t n, int family)
{
	size_t alen = family == AF_INET ? 4 : 16;
	struct fg_addr a = { .family = family };

	for (size_t i = 0; i < n; i++) {
		uint32_t got;
		bool ok = false;

		memcpy(a.bytes, rows[i].start, alen);
		got = fg_asn_lookup(db, &a);
		for (size_t j = 0; j < n && !ok; j++)
			ok = !memcmp(rows[j].start, rows[i].start, alen) &&
			     rows[j].asn == got;
		FUZZ_CHECK(ok, "row %zu: its start finds ASN %u, not its own %u",
			   i, got, rows[i].asn);
	}
}

/* Lookups at the edges of both spaces and at addresses from the input. */
static void probe(const struct fg_asn_db *db, const uint8_t *data,
		  size_t size)
{
	struct fg_addr a;

	for (int fam = 0; fam < 2; fam++) {
		a.family = fam ? AF_INET6 : AF_INET;
		memset(a.bytes, 0, sizeof(a.bytes));
		fg_asn_lookup(db, &a);
		memset(a.bytes, 0xff, sizeof(a.bytes));
		fg_asn_lookup(db, &a);
		for (size_t i = 0; i + 16 <= size; i += 16) {
			memcpy(a.bytes, data + i, 16);
			fg_asn_lookup(db, &a);
		}
	}
}

/* Lines that hold a row, for the loader's count. */
static size_t count_rows(const uint8_t *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (i == 0 || p[i - 1] == '\n')
			n += !(p[i] == '\n' || (p[i] == '\r' &&
			       (i + 1 == len || p[i + 1] == '\n')));
	return n;
}

/* The first byte says which files exist (bit 0: IPv4, bit 1: IPv6); the
 * rest is the IPv4 file up to the first NUL byte, the IPv6 file after it.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fg_asn_db *db = (struct fg_asn_db *)&f4;
	const uint8_t *v4, *v6, *nul;
	size_t n4, n6, r4, r6;
	char err[ERR_LEN];
	uint8_t which;
	int ret;

	if (!size)
		return 0;
	if (f4.fd <= 0) {
		fuzz_file_open(&f4, "fuzz-asn4");
		fuzz_file_open(&f6, "fuzz-asn6");
	}
	which = data[0];
	v4 = data + 1;
	nul = memchr(v4, '\0', size - 1);
	n4 = nul ? (size_t)(nul - v4) : size - 1;
	v6 = nul ? nul + 1 : data + size;
	n6 = (size_t)(data + size - v6);
	fuzz_file_set(&f4, v4, n4);
	fuzz_file_set(&f6, v6, n6);

	memset(err, 0x7f, sizeof(err));
	ret = fg_asn_db_load_files(which & 1 ? f4.path : NULL,
				   which & 2 ? f6.path : NULL, &db, err,
				   sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL, "load returned %d", ret);
		FUZZ_CHECK(db == (struct fg_asn_db *)&f4,
			   "refused files still set the database");
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)), "error not terminated");
		FUZZ_CHECK(!strncmp(err, f4.path, strlen(f4.path)) ||
			   !strncmp(err, f6.path, strlen(f6.path)),
			   "error '%s' names neither file", err);
		return 0;
	}
	r4 = which & 1 ? count_rows(v4, n4) : 0;
	r6 = which & 2 ? count_rows(v6, n6) : 0;
	FUZZ_CHECK(fg_asn_db_ranges(db, AF_INET) == r4 &&
		   fg_asn_db_ranges(db, AF_INET6) == r6,
		   "%zu + %zu ranges loaded from %zu + %zu rows",
		   fg_asn_db_ranges(db, AF_INET), fg_asn_db_ranges(db, AF_INET6),
		   r4, r6);
	/* Ties are searched among the rows read back: all of them or none. */
	if ((which & 1) && r4 <= ROWS_CHECKED)
		check_rows(db, read_rows(v4, n4, AF_INET), AF_INET);
	if ((which & 2) && r6 <= ROWS_CHECKED)
		check_rows(db, read_rows(v6, n6, AF_INET6), AF_INET6);
	probe(db, data, size);
	fg_asn_db_free(db);
	return 0;
}

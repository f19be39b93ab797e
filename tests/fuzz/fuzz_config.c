// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for fg_settings_load(): any bytes as a config file.
 * A refused file must leave the caller's settings untouched; an accepted
 * one must hold settings the rest of the program can use as they are.
 */
#include <math.h>
#include <sys/socket.h>

#include "blocks.h"
#include "config.h"
#include "fuzz.h"

/* Room for any error message the parser writes. */
#define ERR_LEN		512
/* Mirrors FG_CFG_LINE_MAX in user/config.c: a line this long, or longer,
 * cannot fit the parser's buffer and must be refused, not split.
 */
#define LINE_REFUSED	4096

static struct fuzz_file file;
static struct fg_settings out, before;

static void check_path(const char *p, const char *what)
{
	FUZZ_CHECK(memchr(p, '\0', FG_PATH_MAX), "%s not terminated", what);
}

static void check_list(const struct fg_cidr_list *l, const char *what)
{
	unsigned int i;

	FUZZ_CHECK(l->n <= FG_CFG_LIST_MAX, "%u %s entries", l->n, what);
	for (i = 0; i < l->n; i++)
		FUZZ_CHECK((l->v[i].family == AF_INET && l->v[i].len <= 32) ||
			   (l->v[i].family == AF_INET6 &&
			    l->v[i].len <= 128),
			   "%s %u: family %u len %u", what, i, l->v[i].family,
			   l->v[i].len);
}

/* Durations become nanoseconds of the program's clock when blocks are
 * written: UBSan reports a conversion that does not fit.
 */
static void check_duration(double d, const char *what)
{
	struct fg_clock clk = { 0 };

	FUZZ_CHECK(isfinite(d) && d > 0, "%s = %g", what, d);
	fg_clock_to_ns(&clk, d);
}

static void check_settings(const struct fg_settings *s)
{
	unsigned int i;

	check_path(s->asn_dir, "asn_dir");
	check_path(s->country_db, "country_db");
	check_path(s->events, "events");
	FUZZ_CHECK(s->n_allowlists <= FG_CFG_FILES_MAX, "%u allowlists",
		   s->n_allowlists);
	for (i = 0; i < s->n_allowlists; i++)
		check_path(s->allowlists[i], "allowlist");
	check_duration(s->window_short, "window_short");
	check_duration(s->window_long, "window_long");
	check_duration(s->block_ttl, "block_ttl");
	check_duration(s->ttl_reference, "ttl_reference");
	FUZZ_CHECK(s->window_short < s->window_long, "windows %g >= %g",
		   s->window_short, s->window_long);
	FUZZ_CHECK(s->max_addrs_per_domain >= 1 &&
		   s->max_addrs_per_domain <= FG_ADDRS_PER_DOMAIN_MAX,
		   "max_addrs_per_domain %u", s->max_addrs_per_domain);
	FUZZ_CHECK(s->max_domains > 0, "max_domains 0");
	FUZZ_CHECK(s->n_dns_ports >= 1 && s->n_dns_ports <= FG_MAX_DNS_PORTS,
		   "%u dns ports", s->n_dns_ports);
	for (i = 0; i < s->n_dns_ports; i++)
		FUZZ_CHECK(s->dns_ports[i], "dns port %u is 0", i);
	check_list(&s->resolvers, "resolver");
	check_list(&s->gateway_addrs, "gateway_addr");
	check_list(&s->never_block, "never_block");
	check_list(&s->allow_block, "allow_block_cidr");
	FUZZ_CHECK(s->block_mode <= FG_BLOCK_BOTH, "block_mode %d",
		   s->block_mode);
	for (i = 0; i < FG_F_COUNT; i++)
		FUZZ_CHECK(isfinite(s->weight[i]) && s->weight[i] >= 0,
			   "weight %u = %g", i, s->weight[i]);
	FUZZ_CHECK(isfinite(s->threshold_single) &&
		   isfinite(s->threshold_double) &&
		   isfinite(s->threshold_diversity) &&
		   isfinite(s->threshold_behaviour), "threshold not finite");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERR_LEN];
	int ret;

	if (file.fd <= 0)
		fuzz_file_open(&file, "fuzz-config");
	fuzz_file_set(&file, data, size);

	/* Settings that differ from the defaults, so that a partial copy
	 * of the file's settings would show.
	 */
	memset(&out, 0x5a, sizeof(out));
	memcpy(&before, &out, sizeof(out));
	memset(err, 0x7f, sizeof(err));
	ret = fg_settings_load(file.path, &out, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL, "load returned %d", ret);
		FUZZ_CHECK(!memcmp(&out, &before, sizeof(out)),
			   "refused file changed the settings");
		fuzz_check_err(err, sizeof(err), file.path);
		return 0;
	}
	FUZZ_CHECK(fuzz_longest_line(data, size) < LINE_REFUSED,
		   "a line of %zu bytes was accepted",
		   fuzz_longest_line(data, size));
	check_settings(&out);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Metrics exposition tests: every sample line has its HELP and TYPE,
 * counters end in _total, values and labels land where they belong, and
 * the listener takes ADDR:PORT and [v6]:PORT and refuses the rest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static char *render(const struct fg_metrics_view *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fg_metrics_render(f, v), 0);
	fclose(f);
	return buf;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* name{labels} value, with a HELP and a TYPE line for name before it. */
static void check_syntax(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	int samples = 0;

	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[128], help[160], type[160];
		const char *p = line;
		size_t n = 0;

		if (line[0] == '#')
			continue;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
			name[n++] = *p++;
		name[n] = '\0';
		assert_true(n > 0);
		if (*p == '{') {
			p = strchr(p, '}');
			assert_non_null(p);
			p++;
		}
		assert_int_equal(*p, ' ');
		for (p++; *p; p++)
			assert_true(isdigit((unsigned char)*p));
		snprintf(help, sizeof(help), "# HELP %s ", name);
		snprintf(type, sizeof(type), "# TYPE %s ", name);
		assert_non_null(strstr(text, help));
		assert_non_null(strstr(text, type));
		if (strstr(text, type)[strlen(type)] == 'c')	/* counter */
			assert_non_null(strstr(name, "_total"));
		samples++;
	}
	free(copy);
	assert_true(samples > 40);
}

static void test_exposition(void **state)
{
	struct fg_stats dp = { .packets = 42, .mal_ptr_fwd = 3 };
	struct fg_pipe_stats ps = { .verdicts = 7 };
	struct fg_scorer_stats sc = { .domains = 11, .verdicts = 9 };
	struct fg_feed_stats fs = { .names = 5, .cidrs = 2 };
	struct fg_block_counts bc = { 0 };
	struct fg_metrics_view v = {
		.dataplane = &dp, .pipeline = &ps, .scorer = &sc,
		.feeds = &fs, .blocks = &bc,
	};
	char *text;

	(void)state;
	bc.n[FG_BK_IPV4][FG_REASON_SINGLE_FLUX] = 4;
	bc.n[FG_BK_NAME][FG_REASON_FEED] = 5;
	text = render(&v);
	assert_true(has_line(text, "fluxguard_dataplane_packets_total 42"));
	assert_true(has_line(text, "# TYPE fluxguard_dataplane_packets_total "
				   "counter"));
	assert_true(has_line(text, "fluxguard_dataplane_malformed_total"
				   "{fault=\"ptr_fwd\"} 3"));
	/* The malformed counters are one family, not one each. */
	assert_null(strstr(text, "mal_ptr_fwd"));
	assert_true(has_line(text, "fluxguard_pipeline_verdicts_total 7"));
	assert_true(has_line(text, "fluxguard_scorer_domains 11"));
	assert_true(has_line(text, "# TYPE fluxguard_scorer_domains gauge"));
	assert_true(has_line(text, "fluxguard_scorer_verdicts_total 9"));
	assert_true(has_line(text, "fluxguard_blocks_active{kind=\"ipv4\","
				   "reason=\"single_flux\"} 4"));
	assert_true(has_line(text, "fluxguard_blocks_active{kind=\"name\","
				   "reason=\"feed\"} 5"));
	assert_true(has_line(text, "fluxguard_blocks_active{kind=\"prefix_v6\","
				   "reason=\"import\"} 0"));
	assert_true(has_line(text, "fluxguard_feed_entries{kind=\"name\"} 5"));
	check_syntax(text);
	free(text);
}

static void test_parts_left_out(void **state)
{
	struct fg_scorer_stats sc = { 0 };
	struct fg_metrics_view v = { .scorer = &sc };
	char *text;

	(void)state;
	text = render(&v);
	assert_null(strstr(text, "dataplane"));
	assert_null(strstr(text, "fluxguard_feed_"));
	assert_non_null(strstr(text, "fluxguard_scorer_domains 0"));
	free(text);
}

static void test_listen_addresses(void **state)
{
	static const char *const bad[] = {
		"127.0.0.1", "localhost:9712", "[::1]", ":9712", "[::1:80",
		"127.0.0.1:http", "300.0.0.1:1",
	};
	struct fg_metrics_server *s = NULL;
	char err[256];

	(void)state;
	assert_int_equal(fg_metrics_listen("127.0.0.1:0", &s, err,
					   sizeof(err)), 0);
	fg_metrics_close(s);
	assert_int_equal(fg_metrics_listen("[::1]:0", &s, err, sizeof(err)), 0);
	fg_metrics_close(s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(fg_metrics_listen(bad[i], &s, err,
						   sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "is not ADDR:PORT"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exposition),
		cmocka_unit_test(test_parts_left_out),
		cmocka_unit_test(test_listen_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

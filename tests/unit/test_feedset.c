// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The feed set against real BPF maps of the same shape as the program's
 * (created privately, nothing pinned): entries installed with reason
 * feed, the never-block policy, an operator's entry left alone, reloads
 * that add, remove and keep (with hit counters), expiry, and a vanished
 * file keeping its entries. Needs root, like the fixture tests.
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
#include <bpf/bpf.h>

#include "feeds.h"
#include "names.h"

struct env {
	struct fg_maps m;
	struct fg_settings s;
	struct fg_policy *pol;
	struct fg_clock clk;
	struct fg_feeds *f;
	char path[64];
};

static int map(enum bpf_map_type t, size_t key, size_t val, int max)
{
	LIBBPF_OPTS(bpf_map_create_opts, o);
	int fd;

	if (t == BPF_MAP_TYPE_LPM_TRIE)
		o.map_flags = BPF_F_NO_PREALLOC;
	fd = bpf_map_create(t, NULL, key, val, max, &o);
	assert_true(fd >= 0);
	return fd;
}

static void write_feed(struct env *e, const char *text)
{
	FILE *f = fopen(e->path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct fg_config cfg = { .name_seed = 0x5eed };
	__u32 zero = 0;
	int fd;

	assert_non_null(e);
	e->m.events = e->m.stats = -1;
	e->m.config = map(BPF_MAP_TYPE_ARRAY, 4, sizeof(cfg), 1);
	/* No program reads these: the records alone, no index, no lock. */
	e->m.write_lock = -1;
	e->m.block_v4 = map(BPF_MAP_TYPE_HASH, 4, sizeof(struct fg_host_block),
			    64);
	e->m.block_v6 = map(BPF_MAP_TYPE_HASH, 16,
			    sizeof(struct fg_host_block), 64);
	e->m.block_net4 = map(BPF_MAP_TYPE_LPM_TRIE,
			      sizeof(struct fg_lpm_v4_key),
			      sizeof(struct fg_block), 64);
	e->m.block_net6 = map(BPF_MAP_TYPE_LPM_TRIE,
			      sizeof(struct fg_lpm_v6_key),
			      sizeof(struct fg_block), 64);
	e->m.block_name = map(BPF_MAP_TYPE_HASH, 8, sizeof(struct fg_block),
			      64);
	assert_int_equal(bpf_map_update_elem(e->m.config, &zero, &cfg, 0), 0);
	fg_settings_defaults(&e->s);
	fg_cidr_parse("198.18.0.0/15", &e->s.allow_block.v[0]);
	fg_cidr_parse("fd00::/8", &e->s.allow_block.v[1]);
	e->s.allow_block.n = 2;
	fg_cidr_parse("198.18.9.9", &e->s.never_block.v[0]);
	e->s.never_block.n = 1;
	e->pol = fg_policy_new(&e->s, NULL, NULL);
	assert_non_null(e->pol);
	fg_clock_wall(&e->clk);
	e->f = fg_feeds_new(&e->m, e->pol, &e->clk, FG_REASON_FEED);
	assert_non_null(e->f);
	snprintf(e->path, sizeof(e->path), "/tmp/fg-test-feed-XXXXXX");
	fd = mkstemp(e->path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fg_feeds_add_file(e->f, e->path), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	fg_feeds_free(e->f);
	fg_policy_free(e->pol);
	close(e->m.config);
	close(e->m.block_v4);
	close(e->m.block_v6);
	close(e->m.block_net4);
	close(e->m.block_net6);
	close(e->m.block_name);
	unlink(e->path);
	free(e);
	return 0;
}

static int get_addr(struct env *e, const char *text, struct fg_block *v)
{
	struct fg_cidr c;

	assert_int_equal(fg_cidr_parse(text, &c), 0);
	return fg_block_get(&e->m, &c, v);
}

static __u32 n_names(struct env *e)
{
	struct fg_config cfg;
	__u32 zero = 0;

	assert_int_equal(bpf_map_lookup_elem(e->m.config, &zero, &cfg), 0);
	return cfg.n_names;
}

static void test_install_and_policy(void **state)
{
	struct env *e = *state;
	struct fg_block v;

	write_feed(e, "evil.feed.test\n198.18.7.7\n198.18.9.9\n"
		      "198.18.64.0/24\nfd00:7::7\n192.168.1.1\n");
	assert_int_equal(fg_feeds_load(e->f, fg_now()), 0);
	assert_int_equal(fg_name_block_get(&e->m, "evil.feed.test", &v), 0);
	assert_int_equal(v.reason, FG_REASON_FEED);
	assert_string_equal(v.domain, "evil.feed.test");
	assert_int_equal(v.expires_ns, 0);
	assert_int_equal(n_names(e), 1);
	assert_int_equal(get_addr(e, "198.18.7.7", &v), 0);
	assert_int_equal(v.reason, FG_REASON_FEED);
	assert_int_equal(get_addr(e, "198.18.64.0/24", &v), 0);
	assert_int_equal(get_addr(e, "fd00:7::7", &v), 0);
	/* never_block, and a private range nobody opened. */
	assert_int_equal(get_addr(e, "198.18.9.9", &v), -ENOENT);
	assert_int_equal(get_addr(e, "192.168.1.1", &v), -ENOENT);
	assert_int_equal(fg_feeds_stats(e->f)->refused_policy, 2);
	assert_int_equal(fg_feeds_stats(e->f)->names, 1);
	assert_int_equal(fg_feeds_stats(e->f)->cidrs, 3);
}

static void test_reload_keeps_counters(void **state)
{
	struct env *e = *state;
	struct fg_block v;

	write_feed(e, "kept.feed.test\ngone.feed.test\n198.18.7.7\n"
		      "198.18.7.8\n");
	assert_int_equal(fg_feeds_load(e->f, fg_now()), 0);
	/* Traffic hit the name. (An address counts its hits in the exact
	 * index, which a put never touches: test_xdp checks that a renewal
	 * keeps them.)
	 */
	assert_int_equal(get_addr(e, "198.18.7.7", &v), 0);
	assert_int_equal(fg_name_block_get(&e->m, "kept.feed.test", &v), 0);
	v.packets = 5;
	assert_int_equal(fg_name_block_put(&e->m, "kept.feed.test", &v), 0);

	write_feed(e, "kept.feed.test\nnew.feed.test\n198.18.7.7\n"
		      "198.18.7.9 2100-01-01T00:00:00Z\n");
	assert_int_equal(fg_feeds_load(e->f, fg_now()), 0);
	assert_int_equal(get_addr(e, "198.18.7.7", &v), 0);
	assert_int_equal(fg_name_block_get(&e->m, "kept.feed.test", &v), 0);
	assert_int_equal(v.packets, 5);
	assert_int_equal(fg_name_block_get(&e->m, "new.feed.test", &v), 0);
	assert_int_equal(fg_name_block_get(&e->m, "gone.feed.test", &v),
			 -ENOENT);
	assert_int_equal(get_addr(e, "198.18.7.8", &v), -ENOENT);
	assert_int_equal(get_addr(e, "198.18.7.9", &v), 0);
	assert_true(v.expires_ns > 0);
	assert_int_equal(n_names(e), 2);
	assert_int_equal(fg_feeds_stats(e->f)->added, 6);
	assert_int_equal(fg_feeds_stats(e->f)->removed, 2);
}

static void test_operator_entry_stays(void **state)
{
	struct env *e = *state;
	struct fg_block v = { .reason = FG_REASON_MANUAL, .packets = 3 };
	struct fg_cidr c;

	strcpy(v.domain, "by hand");
	fg_cidr_parse("198.18.7.7", &c);
	assert_int_equal(fg_block_put(&e->m, &c, &v), 0);
	write_feed(e, "198.18.7.7\n");
	assert_int_equal(fg_feeds_load(e->f, fg_now()), 0);
	assert_int_equal(get_addr(e, "198.18.7.7", &v), 0);
	assert_int_equal(v.reason, FG_REASON_MANUAL);
	assert_string_equal(v.domain, "by hand");
	/* And the feed never removes what it did not install. */
	write_feed(e, "\n");
	assert_int_equal(fg_feeds_load(e->f, fg_now()), 0);
	assert_int_equal(get_addr(e, "198.18.7.7", &v), 0);
	assert_int_equal(v.reason, FG_REASON_MANUAL);
}

static void test_expiry(void **state)
{
	struct env *e = *state;
	double now = fg_now();
	struct fg_block v;
	char text[256];

	snprintf(text, sizeof(text), "soon.feed.test %.0f\n198.18.7.7 %.0f\n"
		 "past.feed.test 1000000000\nlater.feed.test %.0f\n", now + 5,
		 now + 5, now + 3600);
	write_feed(e, text);
	assert_int_equal(fg_feeds_load(e->f, now), 0);
	assert_int_equal(fg_name_block_get(&e->m, "past.feed.test", &v),
			 -ENOENT);
	assert_int_equal(fg_name_block_get(&e->m, "soon.feed.test", &v), 0);
	/* The file holds whole seconds. */
	assert_true(llabs((long long)(v.expires_ns -
				      fg_clock_to_ns(&e->clk, now + 5))) <=
		    1000000000LL);
	fg_feeds_tick(e->f, now + 1);
	assert_int_equal(fg_name_block_get(&e->m, "soon.feed.test", &v), 0);
	fg_feeds_tick(e->f, now + 6);
	assert_int_equal(fg_name_block_get(&e->m, "soon.feed.test", &v),
			 -ENOENT);
	assert_int_equal(get_addr(e, "198.18.7.7", &v), -ENOENT);
	assert_int_equal(fg_name_block_get(&e->m, "later.feed.test", &v), 0);
	assert_int_equal(n_names(e), 1);
	assert_int_equal(fg_feeds_stats(e->f)->expired, 3);
}

static void test_vanished_file_keeps_entries(void **state)
{
	struct env *e = *state;
	struct fg_block v;

	write_feed(e, "stay.feed.test\n198.18.7.7\n");
	assert_int_equal(fg_feeds_load(e->f, fg_now()), 0);
	assert_false(fg_feeds_changed(e->f));
	unlink(e->path);
	assert_true(fg_feeds_changed(e->f));
	assert_int_equal(fg_feeds_load(e->f, fg_now()), 0);
	assert_int_equal(fg_name_block_get(&e->m, "stay.feed.test", &v), 0);
	assert_int_equal(get_addr(e, "198.18.7.7", &v), 0);
	write_feed(e, "stay.feed.test\n");
	assert_true(fg_feeds_changed(e->f));
	assert_int_equal(fg_feeds_load(e->f, fg_now()), 0);
	assert_int_equal(get_addr(e, "198.18.7.7", &v), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_install_and_policy,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_counters,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_entry_stays,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vanished_file_keeps_entries,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

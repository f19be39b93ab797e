// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Domain rules through BPF_PROG_TEST_RUN: answers for a listed name (or
 * reached from it through a CNAME chain) leave the program rewritten to
 * the sinkhole with a UDP checksum that still verifies, the event keeps
 * what the server said, and everything else passes untouched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fluxguard.skel.h"
#include "frames.h"
#include "loader.h"
#include "names.h"
#include "record.h"

/* Seed of the name hash for every test: any value, both sides agree. */
#define TEST_SEED	0x5eed5eed12345678ULL
#define SINK4		"192.0.2.1"
#define SINK6		"2001:db8::1"

static struct fluxguard *skel;
static struct fg_maps maps;
static struct ring_buffer *rb;
static struct fg_response resp;
static int events;

static int on_event(void *ctx, void *data, size_t len)
{
	if (!fg_decode_event(data, len, 0, &resp))
		events++;
	return 0;
}

static void set_config(uint32_t flags)
{
	struct fg_config cfg;
	__u32 zero = 0;

	fg_config_defaults(&cfg);
	cfg.flags = flags;
	cfg.name_seed = TEST_SEED;
	cfg.n_names = 1;
	cfg.now_ns = 1000000000ULL;
	inet_pton(AF_INET, SINK4, cfg.sinkhole_v4);
	inet_pton(AF_INET6, SINK6, cfg.sinkhole_v6);
	assert_int_equal(bpf_map_update_elem(maps.config, &zero, &cfg, 0), 0);
}

static void add_rule(const char *name, __u64 expires_ns)
{
	struct fg_block v = { .expires_ns = expires_ns, .reason = 4 };

	snprintf(v.domain, sizeof(v.domain), "%s", name);
	assert_int_equal(fg_name_block_put(&maps, name, &v), 0);
}

static uint64_t rule_hits(const char *name)
{
	struct fg_block v;

	assert_int_equal(fg_name_block_get(&maps, name, &v), 0);
	return v.packets;
}

static int setup(void **state)
{
	skel = fluxguard__open_and_load();
	if (!skel)
		return -1;
	maps.events = bpf_map__fd(skel->maps.fg_events);
	maps.stats = bpf_map__fd(skel->maps.fg_stats);
	maps.config = bpf_map__fd(skel->maps.fg_config);
	maps.block_name = bpf_map__fd(skel->maps.fg_block_name);
	maps.write_lock = -1;
	rb = ring_buffer__new(maps.events, on_event, NULL, NULL);
	return rb ? 0 : -1;
}

static int teardown(void **state)
{
	ring_buffer__free(rb);
	fluxguard__destroy(skel);
	return 0;
}

static int clear_rules(void **state)
{
	struct fg_name_key k, next;

	while (!bpf_map_get_next_key(maps.block_name, NULL, &next)) {
		k = next;
		bpf_map_delete_elem(maps.block_name, &k);
	}
	set_config(0);
	return 0;
}

/* One's complement sum of the UDP pseudo-header and datagram: a valid
 * checksum makes it 0xffff.
 */
static uint16_t udp_sum(const struct frame *f, bool v6)
{
	size_t udp = f->dns_off - UDP_HLEN, ulen = UDP_HLEN + f->dns_len, i;
	size_t alen = v6 ? 16 : 4;
	uint32_t sum = 17 + ulen;

	for (i = 0; i < alen; i += 2)
		sum += (f->saddr[i] << 8 | f->saddr[i + 1]) +
		       (f->daddr[i] << 8 | f->daddr[i + 1]);
	for (i = 0; i < ulen; i += 2)
		sum += f->b[udp + i] << 8 |
		       (i + 1 < ulen ? f->b[udp + i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void fill_checksum(struct frame *f, bool v6)
{
	size_t at = f->dns_off - 2;
	uint16_t c;

	f->b[at] = f->b[at + 1] = 0;
	c = ~udp_sum(f, v6);
	f->b[at] = c >> 8;
	f->b[at + 1] = c & 0xff;
}

/* A response for qname: optional CNAME to alias, then n addresses owned
 * by the last name, each a pointer to the name that owns it.
 */
static void build(struct frame *f, bool v6, const char *qname,
		  const char *alias, int n, bool checksum)
{
	struct wire w = { .v6 = v6 };
	struct dns d = { .len = 0 };
	size_t owner;
	int i;

	dns_hdr(&d, 0x4242, DNS_RESPONSE, 1, n + (alias ? 1 : 0), 0, 0);
	owner = dns_question(&d, qname, v6 ? 28 : 1);
	if (alias) {
		dns_ptr(&d, owner);
		owner = dns_target(&d, FG_TYPE_CNAME, 60, alias, DNS_NO_PTR);
	}
	for (i = 0; i < n; i++) {
		char a[64];

		dns_ptr(&d, owner);
		snprintf(a, sizeof(a), v6 ? "2001:db8:66::%x" : "203.0.113.%d",
			 i + 10);
		if (v6)
			dns_aaaa(&d, 30, a);
		else
			dns_a(&d, 30, a);
	}
	build_frame(f, &w, d.b, d.len);
	if (checksum) {
		fill_checksum(f, v6);
		assert_int_equal(udp_sum(f, v6), 0xffff);
	}
}

/* Runs f; the frame as the program left it goes back into f. */
static void run(struct frame *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	uint8_t out[FRAME_BUF];

	opts.data_in = f->b;
	opts.data_size_in = f->len;
	opts.data_out = out;
	opts.data_size_out = sizeof(out);
	events = 0;
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(
				skel->progs.fluxguard_xdp), &opts), 0);
	assert_int_equal(opts.retval, XDP_PASS);
	assert_int_equal(opts.data_size_out, f->len);
	memcpy(f->b, out, f->len);
	ring_buffer__consume(rb);
	assert_int_equal(events, 1);
}

/* Addresses of the answers as the frame now carries them. */
static int count_in_frame(const struct frame *f, const char *text, bool v6)
{
	uint8_t a[16];
	size_t i, alen = v6 ? 16 : 4;
	int n = 0;

	inet_pton(v6 ? AF_INET6 : AF_INET, text, a);
	for (i = f->dns_off; i + alen <= f->dns_off + f->dns_len; i++)
		if (!memcmp(f->b + i, a, alen))
			n++;
	return n;
}

static void rewrites_listed_v4(void **state)
{
	struct frame f;

	add_rule("evil.test", 0);
	build(&f, false, "evil.test", NULL, 4, true);
	run(&f);
	assert_int_equal(count_in_frame(&f, SINK4, false), 4);
	assert_int_equal(count_in_frame(&f, "203.0.113.10", false), 0);
	assert_int_equal(udp_sum(&f, false), 0xffff);
	/* The event keeps what the server said, for scoring. */
	assert_int_equal(resp.n_answers, 4);
	assert_true(resp.answers[0].rr_flags & FG_RRF_NAME_RULE);
	assert_string_equal(fg_addr_str(&resp.answers[0].addr,
					(char[64]){ 0 }, 64), "203.0.113.10");
	assert_int_equal(rule_hits("evil.test"), 1);
}

/* Names one byte apart put rdata at odd and even offsets of the datagram,
 * where the checksum difference differs by a byte swap.
 */
static void checksum_both_parities(void **state)
{
	const char *names[] = { "a.evil.test", "ab.evil.test" };
	struct frame f;
	int i;

	for (i = 0; i < 2; i++) {
		add_rule(names[i], 0);
		build(&f, false, names[i], NULL, 3, true);
		run(&f);
		assert_int_equal(count_in_frame(&f, SINK4, false), 3);
		assert_int_equal(udp_sum(&f, false), 0xffff);
		build(&f, true, names[i], NULL, 3, true);
		run(&f);
		assert_int_equal(count_in_frame(&f, SINK6, true), 3);
		assert_int_equal(udp_sum(&f, true), 0xffff);
	}
}

static void rewrites_listed_v6(void **state)
{
	struct frame f;

	add_rule("evil6.test", 0);
	build(&f, true, "evil6.test", NULL, 3, true);
	run(&f);
	assert_int_equal(count_in_frame(&f, SINK6, true), 3);
	assert_int_equal(udp_sum(&f, true), 0xffff);
}

static void leaves_others_alone(void **state)
{
	struct frame f, orig;

	add_rule("evil.test", 0);
	build(&f, false, "good.test", NULL, 4, true);
	orig = f;
	run(&f);
	assert_memory_equal(f.b, orig.b, f.len);
}

/* The alias was listed; its answers are owned by the CNAME target. */
static void follows_cname_chain(void **state)
{
	struct frame f;

	add_rule("www.evil.test", 0);
	build(&f, false, "www.evil.test", "edge.flux.test", 2, true);
	run(&f);
	assert_int_equal(count_in_frame(&f, SINK4, false), 2);
	assert_int_equal(udp_sum(&f, false), 0xffff);
}

/* The target was listed, the alias was not. */
static void matches_cname_target(void **state)
{
	struct frame f;

	add_rule("edge.flux.test", 0);
	build(&f, false, "www.innocent.test", "edge.flux.test", 2, true);
	run(&f);
	assert_int_equal(count_in_frame(&f, SINK4, false), 2);
	assert_int_equal(udp_sum(&f, false), 0xffff);
}

static void ignores_case(void **state)
{
	struct frame f;

	add_rule("WWW.Evil.TEST.", 0);
	build(&f, false, "www.eViL.test", NULL, 1, true);
	run(&f);
	assert_int_equal(count_in_frame(&f, SINK4, false), 1);
}

static void zero_checksum_stays_zero(void **state)
{
	struct frame f;

	add_rule("evil.test", 0);
	build(&f, false, "evil.test", NULL, 2, false);
	run(&f);
	assert_int_equal(count_in_frame(&f, SINK4, false), 2);
	assert_int_equal(f.b[f.dns_off - 2] | f.b[f.dns_off - 1], 0);
}

static void expired_rule_ignored(void **state)
{
	struct frame f, orig;

	add_rule("evil.test", 500000000ULL);	/* before the clock */
	build(&f, false, "evil.test", NULL, 2, true);
	orig = f;
	run(&f);
	assert_memory_equal(f.b, orig.b, f.len);
}

static void dry_run_counts_only(void **state)
{
	struct fg_stats st;
	struct frame f, orig;

	set_config(FG_CFG_DRY_RUN);
	add_rule("evil.test", 0);
	build(&f, false, "evil.test", NULL, 3, true);
	orig = f;
	run(&f);
	assert_memory_equal(f.b, orig.b, f.len);
	assert_int_equal(fg_stats_read(maps.stats, &st), 0);
	assert_true(st.dry_run_sinkhole >= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(rewrites_listed_v4, clear_rules),
		cmocka_unit_test_setup(rewrites_listed_v6, clear_rules),
		cmocka_unit_test_setup(checksum_both_parities, clear_rules),
		cmocka_unit_test_setup(leaves_others_alone, clear_rules),
		cmocka_unit_test_setup(follows_cname_chain, clear_rules),
		cmocka_unit_test_setup(matches_cname_target, clear_rules),
		cmocka_unit_test_setup(ignores_case, clear_rules),
		cmocka_unit_test_setup(zero_checksum_stays_zero, clear_rules),
		cmocka_unit_test_setup(expired_rule_ignored, clear_rules),
		cmocka_unit_test_setup(dry_run_counts_only, clear_rules),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

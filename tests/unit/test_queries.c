// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The outstanding-query table: a response is solicited only when its
 * addresses, ports, id and question match a query seen before it, once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "queries.h"

static struct fg_response query, resp;

static void set4(struct fg_addr *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	inet_pton(AF_INET, text, a->bytes);
}

/* A query from 198.18.1.2:40000 to 198.18.2.54:53 and its answer. */
static int setup(void **state)
{
	memset(&query, 0, sizeof(query));
	set4(&query.server, "198.18.1.2");
	set4(&query.client, "198.18.2.54");
	query.sport = 40000;
	query.dport = 53;
	query.id = 0x1234;
	query.qtype = 1;
	strcpy(query.qname, "www.example.test");

	memset(&resp, 0, sizeof(resp));
	set4(&resp.server, "198.18.2.54");
	set4(&resp.client, "198.18.1.2");
	resp.sport = 53;
	resp.dport = 40000;
	resp.id = 0x1234;
	resp.qtype = 1;
	strcpy(resp.qname, "www.example.test");
	return 0;
}

static void answer_matches_once(void **state)
{
	struct fg_queries *q = fg_queries_new();
	struct fg_query_stats st;

	fg_queries_add(q, &query, 100.0);
	assert_true(fg_queries_match(q, &resp, 100.1));
	assert_false(fg_queries_match(q, &resp, 100.2));
	fg_queries_stats(q, &st);
	assert_int_equal(st.matched, 1);
	assert_int_equal(st.unsolicited, 1);
	fg_queries_free(q);
}

static void unsolicited_without_query(void **state)
{
	struct fg_queries *q = fg_queries_new();

	assert_false(fg_queries_match(q, &resp, 1.0));
	fg_queries_free(q);
}

static void wrong_id_port_or_server(void **state)
{
	struct fg_queries *q = fg_queries_new();

	fg_queries_add(q, &query, 5.0);
	resp.id++;
	assert_false(fg_queries_match(q, &resp, 5.1));
	resp.id--;
	resp.dport++;
	assert_false(fg_queries_match(q, &resp, 5.1));
	resp.dport--;
	set4(&resp.server, "198.18.2.55");
	assert_false(fg_queries_match(q, &resp, 5.1));
	set4(&resp.server, "198.18.2.54");
	assert_true(fg_queries_match(q, &resp, 5.1));
	fg_queries_free(q);
}

static void wrong_question(void **state)
{
	struct fg_queries *q = fg_queries_new();
	struct fg_query_stats st;

	fg_queries_add(q, &query, 5.0);
	strcpy(resp.qname, "bank.example.test");
	assert_false(fg_queries_match(q, &resp, 5.1));
	fg_queries_stats(q, &st);
	assert_int_equal(st.mismatched, 1);
	fg_queries_free(q);
}

static void stale_query_expires(void **state)
{
	struct fg_queries *q = fg_queries_new();

	fg_queries_add(q, &query, 5.0);
	assert_false(fg_queries_match(q, &resp, 5.0 + FG_PENDING_SECS + 1));
	fg_queries_free(q);
}

/* A flood of queries fills the table without growing it; the newest
 * query is still answered.
 */
static void flood_keeps_newest(void **state)
{
	struct fg_queries *q = fg_queries_new();
	struct fg_query_stats st;
	unsigned int i;

	for (i = 0; i < 4 * FG_PENDING_MAX; i++) {
		query.id = i;
		query.sport = 1024 + (i >> 16);
		fg_queries_add(q, &query, 10.0);
	}
	resp.id = query.id;
	resp.dport = query.sport;
	assert_true(fg_queries_match(q, &resp, 10.0));
	fg_queries_stats(q, &st);
	assert_true(st.evicted > 0);
	fg_queries_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(answer_matches_once, setup),
		cmocka_unit_test_setup(unsolicited_without_query, setup),
		cmocka_unit_test_setup(wrong_id_port_or_server, setup),
		cmocka_unit_test_setup(wrong_question, setup),
		cmocka_unit_test_setup(stale_query_expires, setup),
		cmocka_unit_test_setup(flood_keeps_newest, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

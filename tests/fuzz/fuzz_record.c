// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for fg_decode_event(): arbitrary ring-buffer events,
 * checked for the decoder's promises: names of at most 255 wire bytes,
 * and nothing read outside the event (ASan guards a buffer of exactly
 * the input's size).
 */
#include "fuzz.h"
#include "record.h"

/* The input is an event as the ring carries it: the header, n_rr
 * records, then msg_len bytes of message (include/fluxguard.h).
 */
static const struct fg_event *ev;
static struct fg_response out;

/* A decoded name: terminated, well formed, and as long on the wire as
 * the decoder says the name at off is.
 */
static void check_name(const char *name, size_t off, const char *what)
{
	char again[FG_NAME_STR];
	int wire, decoded;

	FUZZ_CHECK(memchr(name, '\0', FG_NAME_STR), "%s not terminated", what);
	wire = fuzz_name_wire(name);
	FUZZ_CHECK(wire > 0 && wire <= FG_DNS_NAME_MAX,
		   "%s '%s' is %d wire bytes", what, name, wire);
	decoded = fg_decode_name(fg_event_msg(ev), ev->msg_len, off, again);
	FUZZ_CHECK(decoded == wire && !strcmp(again, name),
		   "%s at %zu: decoder says %d bytes '%s', text is %d '%s'",
		   what, off, decoded, again, wire, name);
}

static void check_answer(unsigned int i)
{
	const struct fg_rr *rr = &ev->rr[i];
	const struct fg_answer *a = &out.answers[i];
	size_t alen = rr->type == FG_TYPE_AAAA ? 16 : 4;

	FUZZ_CHECK((size_t)rr->rdata_off + rr->rdlen <= ev->msg_len,
		   "rr %u: rdata %u+%u past msg_len %u", i, rr->rdata_off,
		   rr->rdlen, ev->msg_len);
	FUZZ_CHECK(a->type == rr->type && a->section == rr->section &&
		   a->rdata_off == rr->rdata_off, "rr %u: fields differ", i);
	FUZZ_CHECK(a->ttl == (rr->ttl & 0x80000000u ? 0 : rr->ttl),
		   "rr %u: ttl %u from %u", i, a->ttl, rr->ttl);
	check_name(a->owner, rr->owner_off, "owner");
	switch (rr->type) {
	case FG_TYPE_A:
	case FG_TYPE_AAAA:
		FUZZ_CHECK(rr->rdlen == alen &&
			   a->addr.family == (alen == 16 ? AF_INET6 : AF_INET) &&
			   !memcmp(a->addr.bytes, fg_event_msg(ev) + rr->rdata_off,
				   alen),
			   "rr %u: address is not the message's", i);
		break;
	case FG_TYPE_CNAME:
	case FG_TYPE_NS:
		check_name(a->target, rr->rdata_off, "target");
		break;
	default:
		FUZZ_CHECK(0, "rr %u: type %u decoded", i, rr->type);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[INET6_ADDRSTRLEN];
	uint8_t *copy;
	unsigned int i;
	int ret;

	/* Its own allocation, so that any read past the event is caught;
	 * malloc aligns it as the ring does.
	 */
	copy = malloc(size ? size : 1);
	FUZZ_CHECK(copy, "out of memory");
	memcpy(copy, data, size);
	ev = (const struct fg_event *)copy;

	ret = fg_decode_event(ev, size, 0, &out);
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL, "decode returned %d", ret);
		free(copy);
		return 0;
	}
	FUZZ_CHECK(fg_event_len_ok(ev, size), "event of %zu bytes accepted, "
		   "header says %u", size, fg_event_len(ev));
	FUZZ_CHECK(ev->msg_len >= FG_DNS_HDR_LEN && ev->msg_len <= FG_MSG_MAX,
		   "msg_len %u accepted", ev->msg_len);
	FUZZ_CHECK(out.n_answers == ev->n_rr && ev->n_rr <= FG_MAX_RR,
		   "%u answers from n_rr %u", out.n_answers, ev->n_rr);
	if (ev->qname_off)
		check_name(out.qname, ev->qname_off, "qname");
	else
		FUZZ_CHECK(!out.qname[0], "qname without a question");
	for (i = 0; i < out.n_answers; i++)
		check_answer(i);
	fg_addr_str(&out.server, buf, sizeof(buf));
	fg_addr_str(&out.client, buf, sizeof(buf));
	free(copy);
	return 0;
}

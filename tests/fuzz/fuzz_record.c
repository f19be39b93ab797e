// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for fg_decode_event(): arbitrary ring-buffer events,
 * checked for the decoder's promises: names of at most 255 wire bytes,
 * and nothing read outside msg_len or past n_rr (ASan guards the rest).
 */
#include <sanitizer/asan_interface.h>

#include "fuzz.h"
#include "record.h"

/* Input layout, dense so that the fuzzer reaches the message quickly:
 * the event's fixed header, then as many records as its n_rr says (at
 * most FG_MAX_RR), then the message bytes.
 */
#define EV_HDR_LEN	offsetof(struct fg_event, rr)

static struct fg_event *ev;
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
	decoded = fg_decode_name(ev->msg, ev->msg_len, off, again);
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
			   !memcmp(a->addr.bytes, ev->msg + rr->rdata_off, alen),
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
	size_t n_rr, rr_bytes, msg_bytes, valid;
	char buf[INET6_ADDRSTRLEN];
	unsigned int i;
	int ret;

	if (!ev)
		ev = malloc(sizeof(*ev));
	ASAN_UNPOISON_MEMORY_REGION(ev, sizeof(*ev));
	memset(ev, 0, sizeof(*ev));
	memcpy(ev, data, size < EV_HDR_LEN ? size : EV_HDR_LEN);
	if (size > EV_HDR_LEN) {
		data += EV_HDR_LEN;
		size -= EV_HDR_LEN;
		n_rr = ev->n_rr < FG_MAX_RR ? ev->n_rr : FG_MAX_RR;
		rr_bytes = n_rr * sizeof(ev->rr[0]);
		if (rr_bytes > size)
			rr_bytes = size;
		memcpy(ev->rr, data, rr_bytes);
		msg_bytes = size - rr_bytes;
		if (msg_bytes > sizeof(ev->msg))
			msg_bytes = sizeof(ev->msg);
		memcpy(ev->msg, data + rr_bytes, msg_bytes);
	}

	/* Whatever the ring buffer hands over short of a full event is
	 * refused before it is read.
	 */
	FUZZ_CHECK(fg_decode_event(ev, sizeof(*ev) - 1, 0, &out) == -EINVAL,
		   "short event accepted");

	/* Records past n_rr and bytes past msg_len are not the event's. */
	n_rr = ev->n_rr < FG_MAX_RR ? ev->n_rr : FG_MAX_RR;
	valid = ev->msg_len < sizeof(ev->msg) ? ev->msg_len : sizeof(ev->msg);
	ASAN_POISON_MEMORY_REGION(&ev->rr[n_rr],
				  (FG_MAX_RR - n_rr) * sizeof(ev->rr[0]));
	ASAN_POISON_MEMORY_REGION(ev->msg + valid, sizeof(ev->msg) - valid);

	ret = fg_decode_event(ev, sizeof(*ev), 0, &out);
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL, "decode returned %d", ret);
		return 0;
	}
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
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Turns ring-buffer events into decoded responses. The program already
 * validated every name and record; this code checks again, because a
 * userspace bug or a stale object must never turn into a bogus record.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "record.h"

/* Same bounds the program applies, so both sides agree on what is valid. */
#define PTR_MASK	0xc0

static int put_label(char *out, size_t *n, const uint8_t *label, size_t len)
{
	size_t i;

	if (*n)
		out[(*n)++] = '.';
	for (i = 0; i < len; i++) {
		uint8_t c = label[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		/* Escape what would make the presentation form ambiguous. */
		if (c <= ' ' || c >= 0x7f || c == '.' || c == '\\' ||
		    c == '"') {
			if (*n + 4 >= FG_NAME_STR)
				return -EINVAL;
			*n += snprintf(out + *n, 5, "\\%03u", c);
		} else {
			if (*n + 1 >= FG_NAME_STR)
				return -EINVAL;
			out[(*n)++] = c;
		}
	}
	return 0;
}

int fg_decode_name(const uint8_t *msg, size_t msg_len, size_t off, char *out)
{
	size_t pos = off, seg = off, n = 0, wire = 0, end = 0;
	unsigned int nptr = 0, steps;

	out[0] = '\0';
	for (steps = 0; steps < FG_MAX_LABELS + FG_MAX_PTR + 1; steps++) {
		uint8_t b;

		if (pos >= msg_len)
			return -EINVAL;
		b = msg[pos];
		if (b == 0) {
			wire++;
			if (!end)
				end = pos + 1;
			out[n] = '\0';
			return (int)wire;
		}
		if ((b & PTR_MASK) == PTR_MASK) {
			size_t target;

			if (pos + 1 >= msg_len || ++nptr > FG_MAX_PTR)
				return -EINVAL;
			target = ((size_t)(b & ~PTR_MASK) << 8) | msg[pos + 1];
			if (target < FG_DNS_HDR_LEN || target >= seg)
				return -EINVAL;
			if (!end)
				end = pos + 2;
			seg = pos = target;
			continue;
		}
		if (b > FG_DNS_LABEL_MAX || pos + 1 + b > msg_len)
			return -EINVAL;
		wire += b + 1;
		if (wire > FG_DNS_NAME_MAX - 1)
			return -EINVAL;
		if (put_label(out, &n, msg + pos + 1, b))
			return -EINVAL;
		pos += b + 1;
	}
	return -EINVAL;
}

const char *fg_addr_str(const struct fg_addr *a, char *buf, size_t size)
{
	if (!inet_ntop(a->family, a->bytes, buf, size))
		snprintf(buf, size, "?");
	return buf;
}

static void set_addr(struct fg_addr *a, const uint8_t *bytes, int v6)
{
	memset(a, 0, sizeof(*a));
	a->family = v6 ? AF_INET6 : AF_INET;
	memcpy(a->bytes, bytes, v6 ? 16 : 4);
}

static uint32_t get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static int decode_rr(const struct fg_event *ev, const struct fg_rr *rr,
		     struct fg_answer *a)
{
	const uint8_t *msg = fg_event_msg(ev);
	size_t len = ev->msg_len;
	int wire;

	if (rr->owner_off < FG_DNS_HDR_LEN || rr->rdata_off < 10 ||
	    (size_t)rr->rdata_off + rr->rdlen > len)
		return -EINVAL;
	if (rr->section < FG_SEC_ANSWER || rr->section > FG_SEC_ADDITIONAL)
		return -EINVAL;
	/* The record's fixed part sits just before rdata: check the event
	 * against the message it claims to describe.
	 */
	if (get_u16(msg + rr->rdata_off - 10) != rr->type ||
	    get_u16(msg + rr->rdata_off - 2) != rr->rdlen ||
	    get_u32(msg + rr->rdata_off - 6) != rr->ttl)
		return -EINVAL;
	if (fg_decode_name(msg, len, rr->owner_off, a->owner) < 0)
		return -EINVAL;

	a->type = rr->type;
	a->section = rr->section;
	/* RFC 2181: a TTL with the top bit set is treated as zero. */
	a->ttl = rr->ttl & 0x80000000u ? 0 : rr->ttl;
	a->rdata_off = rr->rdata_off;
	a->rr_flags = rr->flags;
	a->target[0] = '\0';
	memset(&a->addr, 0, sizeof(a->addr));

	switch (rr->type) {
	case FG_TYPE_A:
		if (rr->rdlen != 4)
			return -EINVAL;
		set_addr(&a->addr, msg + rr->rdata_off, 0);
		return 0;
	case FG_TYPE_AAAA:
		if (rr->rdlen != 16)
			return -EINVAL;
		set_addr(&a->addr, msg + rr->rdata_off, 1);
		return 0;
	case FG_TYPE_CNAME:
	case FG_TYPE_NS:
		wire = fg_decode_name(msg, len, rr->rdata_off, a->target);
		return wire < 0 ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

int fg_decode_event(const struct fg_event *ev, size_t len, double ts,
		    struct fg_response *out)
{
	unsigned int i;
	int v6;

	/* The header first: only then can the length it implies be read. */
	if (len < FG_EVENT_HDR_LEN || ev->msg_len < FG_DNS_HDR_LEN ||
	    ev->msg_len > FG_MSG_MAX || ev->n_rr > FG_MAX_RR ||
	    !fg_event_len_ok(ev, len))
		return -EINVAL;
	v6 = !!(ev->flags & FG_EVF_IPV6);

	memset(out, 0, offsetof(struct fg_response, answers));
	out->ts = ts;
	out->ifindex = ev->ifindex;
	set_addr(&out->server, ev->saddr, v6);
	set_addr(&out->client, ev->daddr, v6);
	out->sport = ev->sport;
	out->dport = ev->dport;
	out->id = ev->dns_id;
	out->dns_flags = ev->dns_flags;
	out->rcode = ev->dns_flags & 0xf;
	out->flags = ev->flags;
	out->fault = ev->fault;
	out->qtype = ev->qtype;
	if (ev->qname_off &&
	    fg_decode_name(fg_event_msg(ev), ev->msg_len, ev->qname_off,
			   out->qname) < 0)
		return -EINVAL;

	for (i = 0; i < ev->n_rr; i++)
		if (decode_rr(ev, &ev->rr[i], &out->answers[i]))
			return -EINVAL;
	out->n_answers = ev->n_rr;
	return 0;
}

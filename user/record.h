/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Decoded DNS responses: what the scorer and the event writer consume.
 * fg_decode_event() turns one ring-buffer event (include/fluxguard.h) into
 * this form, re-checking every offset, so a damaged event yields an error
 * and never a bogus record.
 */
#ifndef FG_RECORD_H
#define FG_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "fluxguard.h"

/* Presentation name: at most 253 characters for a 255-byte wire name,
 * more when labels hold bytes that need \DDD escapes.
 */
#define FG_NAME_STR	1024

struct fg_addr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t bytes[16];	/* network order; IPv4 in the first 4 */
};

struct fg_answer {
	char owner[FG_NAME_STR];	/* lowercase, no trailing dot ("" = root) */
	uint16_t type;			/* FG_TYPE_* */
	uint8_t section;		/* enum fg_section */
	uint32_t ttl;
	struct fg_addr addr;		/* A and AAAA */
	char target[FG_NAME_STR];	/* CNAME and NS */
	uint16_t rdata_off;		/* offset of rdata in the DNS message */
	uint8_t rr_flags;		/* FG_RRF_*: a domain rule matched */
};

struct fg_response {
	double ts;			/* epoch seconds */
	uint32_t ifindex;
	struct fg_addr server;		/* source of the response */
	struct fg_addr client;		/* its destination */
	uint16_t sport, dport;
	uint16_t id;
	uint16_t dns_flags;
	uint8_t rcode;
	uint16_t flags;			/* FG_EVF_* from the event */
	uint8_t fault;			/* enum fg_fault */
	char qname[FG_NAME_STR];	/* "" when the response has no question */
	uint16_t qtype;
	unsigned int n_answers;
	struct fg_answer answers[FG_MAX_RR];
};

/* Decode one event of len bytes. ts is the wall-clock time to stamp it
 * with. Returns 0, or -EINVAL when the event is inconsistent (counted by
 * the caller, never scored).
 */
int fg_decode_event(const struct fg_event *ev, size_t len, double ts,
		    struct fg_response *out);

/* Decode the validated name at off in msg into out (FG_NAME_STR bytes).
 * Returns the wire length of the name or -EINVAL.
 */
int fg_decode_name(const uint8_t *msg, size_t msg_len, size_t off, char *out);

/* Format an address as text into buf (INET6_ADDRSTRLEN bytes). */
const char *fg_addr_str(const struct fg_addr *a, char *buf, size_t size);

#endif /* FG_RECORD_H */

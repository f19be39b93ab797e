/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Address prefixes (CIDR): parsing with strict checks, containment tests
 * and formatting.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"

/* Longest text form accepted: an IPv6 address with an embedded IPv4 tail
 * and a prefix length. Anything longer is not an address.
 */
#define FG_CIDR_TEXT_MAX	64

int fg_addr_parse(const char *s, struct fg_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->bytes) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->bytes) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static bool host_bits_zero(const uint8_t *b, int nbytes, int len)
{
	for (int i = 0; i < nbytes; i++) {
		int keep = len - 8 * i;
		uint8_t mask;

		if (keep >= 8)
			continue;
		mask = keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
		if (b[i] & ~mask)
			return false;
	}
	return true;
}

int fg_cidr_parse(const char *s, struct fg_cidr *out)
{
	char buf[FG_CIDR_TEXT_MAX];
	struct fg_addr a;
	char *slash, *end;
	long len;
	int max;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (fg_addr_parse(buf, &a))
		return -EINVAL;
	max = a.family == AF_INET ? 32 : 128;
	len = max;
	if (slash) {
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || len < 0 || len > max)
			return -EINVAL;
	}
	if (!host_bits_zero(a.bytes, max / 8, (int)len))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->family = a.family;
	out->len = (uint8_t)len;
	memcpy(out->bytes, a.bytes, sizeof(out->bytes));
	return 0;
}

bool fg_cidr_contains(const struct fg_cidr *c, const struct fg_addr *a)
{
	int full = c->len / 8, rest = c->len % 8;

	if (c->family != a->family)
		return false;
	if (memcmp(c->bytes, a->bytes, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((a->bytes[full] & mask) != c->bytes[full])
			return false;
	}
	return true;
}

const char *fg_addr_text(const struct fg_addr *a, char *buf, size_t size)
{
	if (!inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->bytes,
		       buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

const char *fg_cidr_str(const struct fg_cidr *c, char *buf, size_t size)
{
	struct fg_addr a = { .family = c->family };
	char text[INET6_ADDRSTRLEN];

	memcpy(a.bytes, c->bytes, sizeof(a.bytes));
	fg_addr_text(&a, text, sizeof(text));
	/* A host prefix reads as the address an operator typed. */
	if (c->len == (c->family == AF_INET ? 32 : 128))
		snprintf(buf, size, "%s", text);
	else
		snprintf(buf, size, "%s/%u", text, c->len);
	return buf;
}

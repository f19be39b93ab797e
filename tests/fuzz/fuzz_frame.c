// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for fg_to_ethernet(): capture records of every link
 * type replay knows, and of some it does not, into output buffers of
 * every size. The frame must fit the buffer and carry the record's
 * network layer unchanged behind an Ethernet header naming it.
 */
#include <linux/if_ether.h>
#include <pcap/dlt.h>

#include "frame.h"
#include "fuzz.h"

/* Largest output buffer tried: above replay's 3500-byte frame buffer. */
#define OUT_MAX		4096

/* The first N_SUPPORTED are replay's; the others must be refused. */
static const int link_types[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
	DLT_NULL, DLT_IEEE802_11, -1,
};

#define N_SUPPORTED	4

#define N_LINK_TYPES	(sizeof(link_types) / sizeof(link_types[0]))

/* The link header fg_to_ethernet() strips and the EtherType it must
 * write, or -1 when it must refuse the link type.
 */
static int expect(int dlt, const uint8_t *pkt, size_t caplen, size_t *hdr,
		  uint16_t *proto)
{
	switch (dlt) {
	case DLT_EN10MB:
		*hdr = 0;
		return 0;
	case DLT_LINUX_SLL:
		*hdr = SLL_HDR_LEN;
		if (caplen < *hdr)
			return -1;
		*proto = (uint16_t)(pkt[14] << 8 | pkt[15]);
		return 1;
	case DLT_LINUX_SLL2:
		*hdr = SLL2_HDR_LEN;
		if (caplen < *hdr)
			return -1;
		*proto = (uint16_t)(pkt[0] << 8 | pkt[1]);
		return 1;
	case DLT_RAW:
		*hdr = 0;
		if (!caplen)
			return -1;
		*proto = pkt[0] >> 4 == 6 ? ETH_P_IPV6 : ETH_P_IP;
		return 1;
	default:
		return -1;
	}
}

/* Input: one byte picks the link type, two give the output size, the
 * rest is the captured record.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *pkt;
	size_t caplen, outsz, len, hdr = 0;
	uint16_t proto = 0;
	uint8_t *out;
	int dlt, kind;

	if (size < 3)
		return 0;
	dlt = link_types[data[0] % N_LINK_TYPES];
	outsz = (size_t)(data[1] << 8 | data[2]) % (OUT_MAX + 1);
	pkt = data + 3;
	caplen = size - 3;
	/* Exactly outsz bytes, so that ASan sees a write past the end. */
	out = malloc(outsz ? outsz : 1);
	FUZZ_CHECK(out, "out of memory");

	len = fg_to_ethernet(dlt, pkt, caplen, out, outsz);
	kind = expect(dlt, pkt, caplen, &hdr, &proto);
	FUZZ_CHECK(fg_linktype_supported(dlt) ==
		   (data[0] % N_LINK_TYPES < N_SUPPORTED),
		   "link type %d support", dlt);
	FUZZ_CHECK(len <= outsz, "frame of %zu bytes in %zu", len, outsz);
	if (kind < 0) {
		FUZZ_CHECK(!len, "link type %d, %zu bytes: frame of %zu", dlt,
			   caplen, len);
	} else if (kind == 0) {
		FUZZ_CHECK(len == (caplen <= outsz ? caplen : 0),
			   "Ethernet record of %zu: frame of %zu", caplen, len);
		FUZZ_CHECK(!len || !memcmp(out, pkt, len), "Ethernet changed");
	} else if (caplen - hdr + ETH_HLEN > outsz) {
		FUZZ_CHECK(!len, "frame of %zu bytes in %zu", len, outsz);
	} else {
		FUZZ_CHECK(len == caplen - hdr + ETH_HLEN,
			   "record of %zu, link header %zu: frame of %zu",
			   caplen, hdr, len);
		FUZZ_CHECK(out[12] == proto >> 8 && out[13] == (proto & 0xff),
			   "EtherType %02x%02x, want %04x", out[12], out[13],
			   proto);
		FUZZ_CHECK(!memcmp(out + ETH_HLEN, pkt + hdr, caplen - hdr),
			   "network layer changed");
	}
	free(out);
	return 0;
}

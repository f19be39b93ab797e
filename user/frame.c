// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Link-layer rewriting for replay: strips a capture's own link header and
 * puts a bare Ethernet header with the right EtherType in its place.
 */
#include <string.h>
#include <linux/if_ether.h>
/* Only the link type values are needed from libpcap. */
#include <pcap/dlt.h>

#include "frame.h"

size_t fg_to_ethernet(int dlt, const uint8_t *pkt, size_t caplen,
		      uint8_t *out, size_t outsz)
{
	uint16_t proto;
	size_t hdr;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen > outsz)
			return 0;
		memcpy(out, pkt, caplen);
		return caplen;
	case DLT_LINUX_SLL:
		hdr = SLL_HDR_LEN;
		if (caplen < hdr)
			return 0;
		proto = (pkt[14] << 8) | pkt[15];
		break;
	case DLT_LINUX_SLL2:
		hdr = SLL2_HDR_LEN;
		if (caplen < hdr)
			return 0;
		proto = (pkt[0] << 8) | pkt[1];
		break;
	case DLT_RAW:
		hdr = 0;
		if (!caplen)
			return 0;
		proto = (pkt[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP;
		break;
	default:
		return 0;
	}
	if (caplen - hdr + ETH_HLEN > outsz)
		return 0;
	memset(out, 0, ETH_HLEN);
	out[12] = proto >> 8;
	out[13] = proto & 0xff;
	memcpy(out + ETH_HLEN, pkt + hdr, caplen - hdr);
	return caplen - hdr + ETH_HLEN;
}

bool fg_linktype_supported(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL ||
	       dlt == DLT_LINUX_SLL2 || dlt == DLT_RAW;
}

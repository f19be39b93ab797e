/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Capture records to Ethernet frames: replay feeds the XDP program
 * Ethernet only, whatever link type the capture was recorded with.
 */
#ifndef FG_FRAME_H
#define FG_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux cooked capture headers. */
#define SLL_HDR_LEN		16
#define SLL2_HDR_LEN		20

/* Rebuilds an Ethernet frame from a capture record of link type dlt
 * (a libpcap DLT_* value) into out (outsz bytes). Returns the frame
 * length or 0 when the frame cannot be used.
 */
size_t fg_to_ethernet(int dlt, const uint8_t *pkt, size_t caplen,
		      uint8_t *out, size_t outsz);

/* Ethernet, Linux cooked (v1 and v2) and raw IP. */
bool fg_linktype_supported(int dlt);

#endif /* FG_FRAME_H */

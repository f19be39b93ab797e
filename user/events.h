/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The event stream: JSON Lines (one object per line, flushed per line)
 * for verdicts, blocks, unblocks and, optionally, every answer (passive
 * DNS). Objects are built with jansson; the schema is in docs/scoring.md.
 */
#ifndef FG_EVENTS_H
#define FG_EVENTS_H

#include <stdint.h>
#include <stdio.h>

#include "record.h"
#include "score.h"

/* Open the stream: "-" is stdout, anything else a file opened for
 * appending. Returns NULL with errno set on failure.
 */
FILE *fg_events_open(const char *path);

/* Log rotation (SIGHUP): reopen path and swap it into *f, closing the old
 * stream unless it is stdout. On failure *f is left as it was and a
 * negative errno is returned.
 */
int fg_events_reopen(FILE **f, const char *path);

/* Close a stream from fg_events_open (stdout is only flushed). */
void fg_events_close(FILE *f);

/* Writers. Each returns 0 or -EIO (write error) / -ENOMEM. */
int fg_event_verdict(FILE *f, const struct fg_verdict *v);
int fg_event_block(FILE *f, double ts, const char *ip, const char *domain,
		   double expires, const char *reason);
int fg_event_unblock(FILE *f, double ts, const char *ip, const char *domain,
		     const char *reason);
int fg_event_answer(FILE *f, const struct fg_response *r);

/* Name of an enum fg_block_reason for events ("single_flux" ...). */
const char *fg_reason_str(uint8_t reason);

/* DNS type as text: "A", "NS", "CNAME", "AAAA", else "TYPEn" in buf
 * (at least 12 bytes).
 */
const char *fg_type_str(uint16_t type, char *buf, size_t size);

#endif /* FG_EVENTS_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One line of a text file (config, allowlist, feed), read so that its
 * true length is known: fgets() followed by strlen() stops at an embedded
 * NUL byte, which would hide the rest of the line and any length check.
 */
#ifndef FG_LINES_H
#define FG_LINES_H

#include <stddef.h>
#include <stdio.h>

enum fg_line_status {
	FG_LINE_OK,	/* buf holds the line, newline kept if there was one */
	FG_LINE_EOF,	/* nothing left */
	FG_LINE_LONG,	/* more than cap - 2 bytes; the line was skipped */
	FG_LINE_NUL,	/* a NUL byte inside; the line was skipped */
	FG_LINE_ERROR,	/* read error; errno says which */
};

/* Reads the next line of f into buf (cap bytes, at least 2), terminated.
 * A refused line is consumed to its end, so the caller may go on with the
 * next one or stop there.
 */
enum fg_line_status fg_line_read(FILE *f, char *buf, size_t cap);

#endif

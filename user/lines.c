// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reads text files line by line, refusing lines that do not fit the
 * caller's buffer or that carry NUL bytes, instead of splitting them.
 */
#include "lines.h"

/* Consumes what is left of the current line. */
static void skip_rest(FILE *f)
{
	int c;

	do
		c = getc_unlocked(f);
	while (c != EOF && c != '\n');
}

enum fg_line_status fg_line_read(FILE *f, char *buf, size_t cap)
{
	size_t n = 0;
	int c;

	for (;;) {
		c = getc_unlocked(f);
		if (c == EOF)
			break;
		if (c == '\0') {
			skip_rest(f);
			return FG_LINE_NUL;
		}
		if (c != '\n' && n + 2 >= cap) {
			skip_rest(f);
			return FG_LINE_LONG;
		}
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	buf[n] = '\0';
	if (ferror(f))
		return FG_LINE_ERROR;
	return n ? FG_LINE_OK : FG_LINE_EOF;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Logging to stderr, one line per message, prefixed with the program
 * name so that journald and a terminal both read it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "log.h"

enum fg_log_level fg_log_level = FG_LOG_WARN;

void fg_log(enum fg_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > fg_log_level)
		return;
	fputs("fluxguard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_WARN || fg_log_level >= FG_LOG_DEBUG)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

void fg_log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

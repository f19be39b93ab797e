/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Human logs on stderr at three levels; machine-readable events go
 * elsewhere (events.h). -v raises the level, -vv also shows libbpf.
 */
#ifndef FG_LOG_H
#define FG_LOG_H

enum fg_log_level {
	FG_LOG_WARN,
	FG_LOG_INFO,
	FG_LOG_DEBUG,
};

extern enum fg_log_level fg_log_level;

void fg_log(enum fg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Route libbpf's own messages through fg_log: warnings always, the rest
 * only at debug level.
 */
void fg_log_setup_libbpf(void);

#define pr_warn(...)	fg_log(FG_LOG_WARN, __VA_ARGS__)
#define pr_info(...)	fg_log(FG_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	fg_log(FG_LOG_DEBUG, __VA_ARGS__)

#endif /* FG_LOG_H */

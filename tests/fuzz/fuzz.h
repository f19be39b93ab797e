/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared by the libFuzzer harnesses: a check that crashes on failure (so
 * libFuzzer saves the input), a file holding the input for parsers that
 * take a path, and a reading of presentation names back to wire length.
 */
#ifndef FG_FUZZ_H
#define FG_FUZZ_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fluxguard.h"

/* A violated invariant: say which and abort, which libFuzzer reports as a
 * crash and saves the input for.
 */
#define FUZZ_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s: ",	\
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, __VA_ARGS__);			\
			fprintf(stderr, "\n");				\
			abort();					\
		}							\
	} while (0)

/* An in-memory file whose /proc path the parsers open like any other:
 * no disk traffic per input, and no name left behind.
 */
struct fuzz_file {
	int fd;
	char path[64];
};

static inline void fuzz_file_open(struct fuzz_file *f, const char *name)
{
	f->fd = memfd_create(name, 0);
	FUZZ_CHECK(f->fd >= 0, "memfd_create: %s", strerror(errno));
	snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
}

/* Replaces the file's contents with n bytes of p. */
static inline void fuzz_file_set(struct fuzz_file *f, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	FUZZ_CHECK(ftruncate(f->fd, 0) == 0, "ftruncate: %s", strerror(errno));
	FUZZ_CHECK(lseek(f->fd, 0, SEEK_SET) == 0, "lseek");
	while (n) {
		w = write(f->fd, c, n);
		FUZZ_CHECK(w > 0, "write: %s", strerror(errno));
		c += w;
		n -= (size_t)w;
	}
}

/* Length of the longest line of p, newline not counted. */
static inline size_t fuzz_longest_line(const uint8_t *p, size_t n)
{
	size_t longest = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '\n')
			continue;
		if (i - start > longest)
			longest = i - start;
		start = i + 1;
	}
	return longest;
}

/* The error text every loader promises: "FILE:LINE: what", terminated
 * inside its buffer.
 */
static inline void fuzz_check_err(const char *err, size_t errlen,
				  const char *path)
{
	size_t plen = strlen(path);

	FUZZ_CHECK(memchr(err, '\0', errlen), "error text not terminated");
	FUZZ_CHECK(!strncmp(err, path, plen) && err[plen] == ':',
		   "error text '%s' does not start with the file", err);
}

/* Wire length of a presentation name as record.c writes it (lowercase,
 * "\DDD" escapes, no trailing dot, "" for the root), or -1 when the text
 * is not such a name. A second reading, independent of the decoder.
 */
static inline int fuzz_name_wire(const char *s)
{
	int wire = 1, label = 0;

	if (!*s)
		return wire;
	for (;; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '.' || !c) {
			if (!label || label > FG_DNS_LABEL_MAX)
				return -1;
			wire += label + 1;
			label = 0;
			if (!c)
				return wire;
			continue;
		}
		if (c == '\\') {
			if (s[1] < '0' || s[1] > '2' || s[2] < '0' ||
			    s[2] > '9' || s[3] < '0' || s[3] > '9')
				return -1;
			s += 3;
		} else if (c <= ' ' || c >= 0x7f || c == '"' ||
			   (c >= 'A' && c <= 'Z')) {
			return -1;
		}
		label++;
	}
}

#endif /* FG_FUZZ_H */

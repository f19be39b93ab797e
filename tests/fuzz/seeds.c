// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Seed corpus writer for the harnesses: the fixture frames of
 * tests/unit/test_xdp.c (its table is compiled in, so the seeds follow
 * the fixtures), and the frames of captures, as fuzz_xdp inputs or as
 * fuzz_frame records in each link type. run.sh builds and runs it.
 */
#include <limits.h>

/* The fixture table and its builders; the test's own main is not used. */
#define main test_xdp_main
#include "test_xdp.c"
#undef main

/* The kernel's and libpcap's BPF headers clash, as in cmd_run.c. */
struct bpf_program;
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "frame.h"

/* Where a seed frame's IPv4 source and destination sit: Ethernet, no
 * tag, no options.
 */
#define SEED_SADDR_OFF		(ETH_HLEN + 12)
#define SEED_DADDR_OFF		(ETH_HLEN + 16)
/* fuzz_xdp's blocked address, the one a seed may be dropped for. */
#define SEED_BLOCKED		"198.18.0.66"
/* fuzz_frame: indexes of its link types, and the output size written. */
enum { LT_EN10MB, LT_SLL, LT_SLL2, LT_RAW };
#define SEED_OUT_SIZE		3500
/* Records per capture written for fuzz_frame: a few of each kind. */
#define SEED_FRAMES_PER_FILE	4

static unsigned int n_written;

static void put(const char *dir, const char *name, unsigned int i,
		const void *p, size_t n)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-%03u", dir, name, i);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
	n_written++;
}

static void fixture_frames(const char *dir)
{
	static struct dns d;
	static struct frame f;
	unsigned int i;
	uint8_t blocked[4];

	for (i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];

		memset(&d, 0, sizeof(d));
		if (fx->raw) {
			frame_from_bytes(&f, fx->raw, fx->raw_len);
		} else {
			if (fx->build)
				fx->build(&d, fx->arg);
			build_frame(&f, &fx->wire, d.b, d.len);
		}
		put(dir, "fixture", i, f.b, f.len);
	}
	/* The simple response from and to the blocked address. */
	inet_pton(AF_INET, SEED_BLOCKED, blocked);
	b_simple(&d, 0);
	build_frame(&f, &(struct wire){ 0 }, d.b, d.len);
	memcpy(f.b + SEED_SADDR_OFF, blocked, sizeof(blocked));
	put(dir, "blocked", 0, f.b, f.len);
	build_frame(&f, &(struct wire){ 0 }, d.b, d.len);
	memcpy(f.b + SEED_DADDR_OFF, blocked, sizeof(blocked));
	put(dir, "blocked", 1, f.b, f.len);
}

/* One capture record for fuzz_frame: link type, output size, record. */
static void frame_record(const char *dir, const char *name, unsigned int i,
			 int lt, const uint8_t *hdr, size_t hlen,
			 const uint8_t *body, size_t blen)
{
	static uint8_t buf[3 + SLL2_HDR_LEN + FRAME_BUF];

	if (blen > FRAME_BUF)
		return;
	buf[0] = lt;
	buf[1] = SEED_OUT_SIZE >> 8;
	buf[2] = SEED_OUT_SIZE & 0xff;
	memcpy(buf + 3, hdr, hlen);
	memcpy(buf + 3 + hlen, body, blen);
	put(dir, name, i, buf, 3 + hlen + blen);
}

/* An Ethernet frame as it would be captured on each link type. */
static void frame_records(const char *dir, unsigned int i, const uint8_t *p,
			  size_t len)
{
	uint8_t sll[SLL2_HDR_LEN] = { 0 };

	if (len < ETH_HLEN)
		return;
	frame_record(dir, "en10mb", i, LT_EN10MB, NULL, 0, p, len);
	memcpy(sll + 14, p + 12, 2);	/* SLL: protocol last */
	frame_record(dir, "sll", i, LT_SLL, sll, SLL_HDR_LEN, p + ETH_HLEN,
		     len - ETH_HLEN);
	memset(sll, 0, sizeof(sll));
	memcpy(sll, p + 12, 2);		/* SLL2: protocol first */
	frame_record(dir, "sll2", i, LT_SLL2, sll, SLL2_HDR_LEN,
		     p + ETH_HLEN, len - ETH_HLEN);
	frame_record(dir, "raw", i, LT_RAW, NULL, 0, p + ETH_HLEN,
		     len - ETH_HLEN);
}

/* Every frame of a capture for fuzz_xdp, or the first few as fuzz_frame
 * records.
 */
static int capture(const char *dir, const char *file, bool records)
{
	static unsigned int seq;
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *p;
	unsigned int n = 0;
	pcap_t *pc;

	pc = pcap_open_offline(file, err);
	if (!pc) {
		fprintf(stderr, "%s: %s\n", file, err);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "%s: not Ethernet\n", file);
		pcap_close(pc);
		return -1;
	}
	while (pcap_next_ex(pc, &h, &p) == 1) {
		if (records) {
			if (n++ == SEED_FRAMES_PER_FILE)
				break;
			frame_records(dir, seq++, p, h->caplen);
		} else {
			put(dir, "capture", seq++, p, h->caplen);
		}
	}
	pcap_close(pc);
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 3 || (strcmp(argv[1], "fixtures") && argc < 4)) {
		fprintf(stderr, "usage: seeds fixtures DIR\n"
			"       seeds captures|records DIR PCAP...\n");
		return 2;
	}
	if (!strcmp(argv[1], "fixtures")) {
		fixture_frames(argv[2]);
	} else {
		for (i = 3; i < argc; i++)
			if (capture(argv[2], argv[i],
				    !strcmp(argv[1], "records")))
				return 1;
	}
	printf("%u seeds in %s\n", n_written, argv[2]);
	return 0;
}

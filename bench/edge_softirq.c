// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Loads bench/bpf/net_rx_time.bpf.c (compiled by bench/edge.sh) on the
 * softirq tracepoints and prints the NET_RX time summed over CPUs on
 * SIGUSR1, until SIGTERM or SIGINT. Attached through links: nothing
 * outlives the process.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* Links held: one per program in the object. */
#define MAX_LINKS	4

struct net_rx_time {
	__u64 start_ns;
	__u64 total_ns;
	__u64 runs;
};

static volatile sig_atomic_t stop, report;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report = 1;
	else
		stop = 1;
}

static int print_total(int fd)
{
	int i, ncpus = libbpf_num_possible_cpus();
	unsigned long long ns = 0, runs = 0;
	struct net_rx_time *t;
	__u32 key = 0;

	t = calloc(ncpus, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, t)) {
		free(t);
		return -errno;
	}
	for (i = 0; i < ncpus; i++) {
		ns += t[i].total_ns;
		runs += t[i].runs;
	}
	free(t);
	printf("net_rx ns=%llu runs=%llu\n", ns, runs);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, wait_mask;
	struct bpf_link *links[MAX_LINKS] = { 0 };
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int n = 0, err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: edge_softirq NET_RX_TIME_OBJ\n");
		return 2;
	}
	/* Blocked except inside sigsuspend, so that no signal slips in
	 * between the flag checks and the wait.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		err = -errno;
		fprintf(stderr, "edge_softirq: cannot load %s: %s\n", argv[1],
			strerror(errno));
		goto out;
	}
	map = bpf_object__find_map_by_name(obj, "net_rx_time");
	if (!map) {
		err = -ENOENT;
		fprintf(stderr, "edge_softirq: no net_rx_time map in %s\n",
			argv[1]);
		goto out;
	}
	bpf_object__for_each_program(prog, obj) {
		if (n == MAX_LINKS) {
			err = -E2BIG;
			fprintf(stderr, "edge_softirq: more than %d programs\n",
				MAX_LINKS);
			goto out;
		}
		links[n] = bpf_program__attach(prog);
		if (!links[n]) {
			err = -errno;
			fprintf(stderr, "edge_softirq: cannot attach %s: %s\n",
				bpf_program__name(prog), strerror(errno));
			goto out;
		}
		n++;
	}
	printf("attached\n");
	fflush(stdout);
	while (!stop) {
		sigsuspend(&wait_mask);
		if (report) {
			report = 0;
			err = print_total(bpf_map__fd(map));
			if (err)
				break;
		}
	}
out:
	while (n--)
		bpf_link__destroy(links[n]);
	bpf_object__close(obj);
	return err ? 1 : 0;
}

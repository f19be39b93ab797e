// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Loads the XDP object with its maps pinned under FG_PIN_DIR, adopts the
 * pins of an earlier run so blocks survive a restart, and attaches through
 * pinned links so the program keeps enforcing when the loader is gone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fluxguard.skel.h"
#include "loader.h"
#include "log.h"

#define FG_LINK_PREFIX		"link_"
/* One `run` at a time owns the pins; the lock lives outside bpffs. */
#define FG_LOCK_FILE		"/run/fluxguard.lock"
/* Taken for a moment around each change of an exact block, by whichever
 * process makes it.
 */
#define FG_WRITE_LOCK_FILE	"/run/fluxguard.blocks.lock"

static int check_bpffs(void)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC) {
		pr_warn("bpffs is not mounted at /sys/fs/bpf: "
			"run `mount -t bpf bpf /sys/fs/bpf`\n");
		return -ENOENT;
	}
	return 0;
}

static int take_lock(void)
{
	int fd = open(FG_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		pr_warn("cannot open %s: %s\n", FG_LOCK_FILE, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		pr_warn("a `fluxguard run` is active (it holds %s); stop it "
			"first\n", FG_LOCK_FILE);
		close(fd);
		return -EBUSY;
	}
	return fd;
}

void fg_config_defaults(struct fg_config *c)
{
	memset(c, 0, sizeof(*c));
	c->dns_ports[0] = 53;
	c->wakeup_bytes = FG_WAKEUP_BYTES;
}

#define FG_INDEX_BYTES	((size_t)FG_INDEX_SLOTS * sizeof(__u32))
#define FG_EXACT_BYTES	((size_t)FG_EXACT_MAX * sizeof(struct fg_exact))

static void *map_shared(int fd, size_t len, const char *name)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED) {
		int err = errno;

		pr_warn("cannot map %s: %s\n", name, strerror(err));
		errno = err;
		return NULL;
	}
	return p;
}

static int map_index(struct fg_maps *m)
{
	m->index = map_shared(m->block_index, FG_INDEX_BYTES,
			      FG_MAP_BLOCK_INDEX);
	if (!m->index)
		return -errno;
	m->exact = map_shared(m->block_exact, FG_EXACT_BYTES,
			      FG_MAP_BLOCK_EXACT);
	if (!m->exact) {
		int err = -errno;

		fg_maps_unmap(m);
		return err;
	}
	return 0;
}

static int open_write_lock(struct fg_maps *m)
{
	m->write_lock = open(FG_WRITE_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC,
			     0600);
	if (m->write_lock < 0) {
		pr_warn("cannot open %s: %s\n", FG_WRITE_LOCK_FILE,
			strerror(errno));
		return -errno;
	}
	return 0;
}

static int fd_by_name(struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	return map ? bpf_map__fd(map) : -1;
}

int fg_maps_from_object(struct fg_maps *m, struct bpf_object *obj)
{
	m->events = fd_by_name(obj, FG_MAP_EVENTS);
	m->stats = fd_by_name(obj, FG_MAP_STATS);
	m->config = fd_by_name(obj, FG_MAP_CONFIG);
	m->block_v4 = fd_by_name(obj, FG_MAP_BLOCK_V4);
	m->block_v6 = fd_by_name(obj, FG_MAP_BLOCK_V6);
	m->block_net4 = fd_by_name(obj, FG_MAP_BLOCK_NET4);
	m->block_net6 = fd_by_name(obj, FG_MAP_BLOCK_NET6);
	m->block_name = fd_by_name(obj, FG_MAP_BLOCK_NAME);
	m->block_index = fd_by_name(obj, FG_MAP_BLOCK_INDEX);
	m->block_exact = fd_by_name(obj, FG_MAP_BLOCK_EXACT);
	m->block_hits = fd_by_name(obj, FG_MAP_BLOCK_HITS);
	m->index = NULL;
	m->exact = NULL;
	m->write_lock = -1;
	if (m->block_index < 0 || m->block_exact < 0 || m->block_hits < 0)
		return 0;
	return map_index(m);
}

int fg_maps_from_skel(struct fg_maps *m, struct fluxguard *s)
{
	return fg_maps_from_object(m, s->obj);
}

/* Maps an operator inspects or that must outlive a restart. */
static struct bpf_map **pinned_maps(struct fluxguard *s, int *n)
{
	static struct bpf_map *maps[11];

	maps[0] = s->maps.fg_events;
	maps[1] = s->maps.fg_stats;
	maps[2] = s->maps.fg_config;
	maps[3] = s->maps.fg_block_v4;
	maps[4] = s->maps.fg_block_v6;
	maps[5] = s->maps.fg_block_net4;
	maps[6] = s->maps.fg_block_net6;
	maps[7] = s->maps.fg_block_name;
	maps[8] = s->maps.fg_block_index;
	maps[9] = s->maps.fg_block_exact;
	maps[10] = s->maps.fg_block_hits;
	*n = 11;
	return maps;
}

int fg_loader_load(struct fg_loader *l, bool pin)
{
	struct bpf_map **maps;
	char path[PATH_MAX];
	int err, i, n;

	memset(l, 0, sizeof(*l));
	l->lock_fd = -1;
	l->prog_fd = -1;

	if (pin) {
		err = check_bpffs();
		if (err)
			return err;
		l->lock_fd = take_lock();
		if (l->lock_fd < 0)
			return l->lock_fd;
		if (mkdir(FG_PIN_DIR, 0700) && errno != EEXIST) {
			err = -errno;
			pr_warn("cannot create %s: %s\n", FG_PIN_DIR,
				strerror(errno));
			goto fail;
		}
	}

	l->skel = fluxguard__open();
	if (!l->skel) {
		err = -errno;
		pr_warn("cannot open the BPF object: %s\n", strerror(errno));
		goto fail;
	}
	/* A private load (replay, tests) may map the config and set the
	 * replay clock with a store instead of a syscall per frame. Pinned
	 * maps keep their flags, or the pins of a running instance could
	 * not be adopted.
	 */
	if (!pin) {
		struct bpf_map *cfg = l->skel->maps.fg_config;

		err = bpf_map__set_map_flags(cfg, bpf_map__map_flags(cfg) |
					     BPF_F_MMAPABLE);
		if (err)
			goto fail;
	}
	if (pin) {
		maps = pinned_maps(l->skel, &n);
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%s", FG_PIN_DIR,
				 bpf_map__name(maps[i]));
			if (!access(path, F_OK))
				l->adopted = true;
			err = bpf_map__set_pin_path(maps[i], path);
			if (err)
				goto fail;
		}
	}
	err = fluxguard__load(l->skel);
	if (err) {
		if (l->adopted)
			pr_warn("cannot load the BPF object with the maps "
				"pinned in %s (left by another version?): %s; "
				"`fluxguard unload --all` removes them\n",
				FG_PIN_DIR, strerror(-err));
		else
			pr_warn("cannot load the BPF object: %s (kernel 5.17+ "
				"with BTF and CAP_BPF needed)\n",
				strerror(-err));
		goto fail;
	}
	l->pinned = pin;
	l->prog_fd = bpf_program__fd(l->skel->progs.fluxguard_xdp);
	err = fg_maps_from_skel(&l->maps, l->skel);
	if (!err && pin)
		err = open_write_lock(&l->maps);
	if (err)
		goto fail;
	return 0;

fail:
	fg_loader_close(l);
	return err;
}

void fg_maps_unmap(struct fg_maps *m)
{
	if (m->index)
		munmap(m->index, FG_INDEX_BYTES);
	if (m->exact)
		munmap(m->exact, FG_EXACT_BYTES);
	m->index = NULL;
	m->exact = NULL;
}

void fg_loader_close(struct fg_loader *l)
{
	/* The fds belong to the skeleton, which closes them. */
	fg_maps_unmap(&l->maps);
	if (l->skel && l->maps.write_lock >= 0)
		close(l->maps.write_lock);
	l->maps.write_lock = -1;
	fluxguard__destroy(l->skel);
	l->skel = NULL;
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	l->lock_fd = -1;
}

static void link_path(char *buf, size_t size, const char *ifname)
{
	snprintf(buf, size, "%s/%s%s", FG_PIN_DIR, FG_LINK_PREFIX, ifname);
}

int fg_loader_attach(struct fg_loader *l, const char *ifname,
		     enum fg_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	unsigned int ifindex = if_nametoindex(ifname);
	char path[PATH_MAX];
	int fd, err;

	if (!ifindex) {
		pr_warn("no interface named %s\n", ifname);
		return -ENODEV;
	}
	link_path(path, sizeof(path), ifname);

	fd = bpf_obj_get(path);
	if (fd >= 0) {
		/* Replace the program under a live link: no gap in
		 * enforcement across a restart.
		 */
		err = bpf_link_update(fd, l->prog_fd, NULL);
		close(fd);
		if (err) {
			pr_warn("cannot update the program on %s: %s\n",
				ifname, strerror(errno));
			return -errno;
		}
		pr_info("updated the program on %s\n", ifname);
		return 0;
	}

	opts.flags = mode == FG_MODE_SKB ? XDP_FLAGS_SKB_MODE :
					   XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(l->prog_fd, ifindex, BPF_XDP, &opts);
	if (fd < 0) {
		err = -errno;
		if (err == -EBUSY || err == -EEXIST)
			pr_warn("%s already has an XDP program: remove it "
				"(`ip link set dev %s xdp off`) first\n",
				ifname, ifname);
		else
			pr_warn("cannot attach to %s in %s mode: %s%s\n",
				ifname, mode == FG_MODE_SKB ? "skb" : "native",
				strerror(-err),
				mode == FG_MODE_NATIVE ?
				" (try --mode skb)" : "");
		return err;
	}
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		pr_warn("cannot pin the link at %s: %s\n", path,
			strerror(errno));
		close(fd);
		return err;
	}
	close(fd);
	pr_info("attached to %s (%s mode)\n", ifname,
		mode == FG_MODE_SKB ? "skb" : "native");
	return 0;
}

int fg_loader_detach(const char *ifname)
{
	char path[PATH_MAX];

	link_path(path, sizeof(path), ifname);
	if (unlink(path)) {
		if (errno == ENOENT)
			pr_warn("fluxguard is not attached to %s\n", ifname);
		else
			pr_warn("cannot remove %s: %s\n", path,
				strerror(errno));
		return -errno;
	}
	return 0;
}

int fg_loader_unload_all(void)
{
	struct dirent *de;
	char path[PATH_MAX];
	int err = 0, lock;
	DIR *d;

	/* Pulling the maps from under a live run would leave it enforcing
	 * blocks nobody can see; it must stop first.
	 */
	lock = take_lock();
	if (lock < 0)
		return lock;
	d = opendir(FG_PIN_DIR);
	if (!d) {
		err = errno == ENOENT ? 0 : -errno;
		if (err)
			pr_warn("cannot open %s: %s\n", FG_PIN_DIR,
				strerror(-err));
		close(lock);
		return err;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", FG_PIN_DIR, de->d_name);
		if (unlink(path)) {
			pr_warn("cannot remove %s: %s\n", path,
				strerror(errno));
			err = -errno;
		}
	}
	closedir(d);
	if (!err && rmdir(FG_PIN_DIR)) {
		pr_warn("cannot remove %s: %s\n", FG_PIN_DIR, strerror(errno));
		err = -errno;
	}
	close(lock);
	return err;
}

int fg_loader_attached(char names[][IF_NAMESIZE], enum fg_mode *modes,
		       int max)
{
	size_t plen = strlen(FG_LINK_PREFIX);
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(FG_PIN_DIR);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		const char *ifname = de->d_name + plen;
		unsigned int ifindex;

		if (strncmp(de->d_name, FG_LINK_PREFIX, plen))
			continue;
		ifindex = if_nametoindex(ifname);
		if (!ifindex || bpf_xdp_query(ifindex, 0, &q))
			continue;
		snprintf(names[n], IF_NAMESIZE, "%s", ifname);
		modes[n] = q.attach_mode == XDP_ATTACHED_SKB ? FG_MODE_SKB :
							     FG_MODE_NATIVE;
		n++;
	}
	closedir(d);
	return n;
}

static int open_pin(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", FG_PIN_DIR, name);
	return bpf_obj_get(path);
}

int fg_maps_open_pinned(struct fg_maps *m)
{
	int err = check_bpffs();

	if (err)
		return err;
	m->events = -1;
	m->stats = open_pin(FG_MAP_STATS);
	m->config = open_pin(FG_MAP_CONFIG);
	m->block_v4 = open_pin(FG_MAP_BLOCK_V4);
	m->block_v6 = open_pin(FG_MAP_BLOCK_V6);
	m->block_net4 = open_pin(FG_MAP_BLOCK_NET4);
	m->block_net6 = open_pin(FG_MAP_BLOCK_NET6);
	m->block_name = open_pin(FG_MAP_BLOCK_NAME);
	m->block_index = open_pin(FG_MAP_BLOCK_INDEX);
	m->block_exact = open_pin(FG_MAP_BLOCK_EXACT);
	m->block_hits = open_pin(FG_MAP_BLOCK_HITS);
	m->index = NULL;
	m->exact = NULL;
	m->write_lock = -1;
	if (m->stats < 0 || m->config < 0 || m->block_v4 < 0 ||
	    m->block_v6 < 0 || m->block_net4 < 0 || m->block_net6 < 0 ||
	    m->block_name < 0 || m->block_index < 0 || m->block_exact < 0 ||
	    m->block_hits < 0) {
		err = -errno;
		fg_maps_close(m);
		if (err == -ENOENT)
			pr_warn("no fluxguard maps under %s: is `fluxguard "
				"run` loaded?\n", FG_PIN_DIR);
		else
			pr_warn("cannot open the maps under %s: %s (root "
				"needed)\n", FG_PIN_DIR, strerror(-err));
		return err;
	}
	err = map_index(m);
	if (!err)
		err = open_write_lock(m);
	if (err)
		fg_maps_close(m);
	return err;
}

void fg_maps_close(struct fg_maps *m)
{
	int *fds[] = { &m->events, &m->stats, &m->config, &m->block_v4,
		       &m->block_v6, &m->block_net4, &m->block_net6,
		       &m->block_name, &m->block_index, &m->block_exact,
		       &m->block_hits, &m->write_lock };
	size_t i;

	fg_maps_unmap(m);
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int fg_stats_read(int stats_fd, struct fg_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), i, k;
	struct fg_stats *per;
	__u32 key = 0;

	if (ncpu <= 0)
		return -EINVAL;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(stats_fd, &key, per)) {
		free(per);
		return -errno;
	}
	memset(out, 0, sizeof(*out));
	for (i = 0; i < ncpu; i++) {
		__u64 *src = (__u64 *)&per[i], *dst = (__u64 *)out;

		for (k = 0; k < (int)(sizeof(*out) / sizeof(__u64)); k++)
			dst[k] += src[k];
	}
	free(per);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Domain rules: the userspace half of the name hash (it must agree with
 * the program's, bit for bit) and the map operations around it.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "names.h"

/* Splits a presentation name into wire labels (\DDD and \X escapes
 * honoured) and hashes them as the program does.
 */
int fg_rule_hash(uint64_t seed, const char *name, uint64_t *hash)
{
	uint8_t label[FG_DNS_LABEL_MAX + 8];
	size_t wire = 1, len = 0;
	uint64_t h = seed;
	const char *p = name;

	if (!*p || !strcmp(p, ".")) {
		*hash = fg_name_final(h);
		return 0;
	}
	for (;;) {
		if (*p == '.' || !*p) {
			size_t i;

			if (!len) {
				/* An empty label only as the final dot. */
				if (*p == '.' && !p[1] && p != name)
					break;
				return -EINVAL;
			}
			wire += len + 1;
			if (wire > FG_DNS_NAME_MAX)
				return -EINVAL;
			h = fg_name_mix(h, len);
			memset(label + len, 0, 8);
			for (i = 0; i < len; i += 8) {
				uint64_t w = 0;

				memcpy(&w, label + i, 8);	/* little endian */
				h = fg_name_mix(h, fg_name_lower8(w));
			}
			len = 0;
			if (!*p || !p[1])
				break;
			p++;
			continue;
		}
		if (len == FG_DNS_LABEL_MAX)
			return -EINVAL;
		if (*p == '\\') {
			if (isdigit((unsigned char)p[1]) &&
			    isdigit((unsigned char)p[2]) &&
			    isdigit((unsigned char)p[3])) {
				int v = (p[1] - '0') * 100 + (p[2] - '0') * 10 +
					(p[3] - '0');

				if (v > 255)
					return -EINVAL;
				label[len++] = v;
				p += 4;
				continue;
			}
			if (!p[1])
				return -EINVAL;
			p++;
		}
		label[len++] = (uint8_t)*p++;
	}
	*hash = fg_name_final(h);
	return 0;
}

int fg_names_seed(const struct fg_maps *m, uint64_t *seed)
{
	struct fg_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->config, &zero, &cfg))
		return -errno;
	*seed = cfg.name_seed;
	return 0;
}

static int name_key(const struct fg_maps *m, const char *name,
		    struct fg_name_key *k)
{
	uint64_t seed = 0, hash = 0;
	int err;

	err = fg_names_seed(m, &seed);
	if (err)
		return err;
	err = fg_rule_hash(seed, name, &hash);
	memset(k, 0, sizeof(*k));
	k->hash = hash;
	return err;
}

int fg_name_block_put(const struct fg_maps *m, const char *name,
		      const struct fg_block *v)
{
	struct fg_name_key k;
	int err = name_key(m, name, &k);

	if (err)
		return err;
	return bpf_map_update_elem(m->block_name, &k, v, BPF_ANY) ? -errno : 0;
}

int fg_name_block_get(const struct fg_maps *m, const char *name,
		      struct fg_block *v)
{
	struct fg_name_key k;
	int err = name_key(m, name, &k);

	if (err)
		return err;
	return bpf_map_lookup_elem(m->block_name, &k, v) ? -errno : 0;
}

int fg_name_block_del(const struct fg_maps *m, const char *name)
{
	struct fg_name_key k;
	int err = name_key(m, name, &k);

	if (err)
		return err;
	return bpf_map_delete_elem(m->block_name, &k) ? -errno : 0;
}

int fg_name_block_del_hash(const struct fg_maps *m, uint64_t hash)
{
	struct fg_name_key k = { .hash = hash };

	return bpf_map_delete_elem(m->block_name, &k) ? -errno : 0;
}

int fg_name_block_foreach(const struct fg_maps *m, fg_name_fn fn, void *ctx)
{
	struct fg_name_key key, next;
	struct fg_block v;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(m->block_name, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m->block_name, &key, &v))
			continue;	/* deleted meanwhile */
		err = fn(key.hash, &v, ctx);
		if (err)
			return err;
	}
	return 0;
}

static int count_name(uint64_t hash, const struct fg_block *v, void *ctx)
{
	(*(__u32 *)ctx)++;
	return 0;
}

int fg_names_sync_count(const struct fg_maps *m)
{
	struct fg_config cfg;
	__u32 zero = 0, n = 0;

	fg_name_block_foreach(m, count_name, &n);
	if (bpf_map_lookup_elem(m->config, &zero, &cfg))
		return -errno;
	cfg.n_names = n;
	return bpf_map_update_elem(m->config, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * host.c - struct zus_host: everything a plugin may call, handed to it as
 * a versioned table (so a plugin links against nothing of ours): logging,
 * readdir replies, mount option parsing, notifications to the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zus_i.h"

#define OPT_KEY_MAX	255
#define OPT_VAL_MAX	4095

/* One key[=value] item: unescape into key/val, then call fn. */
static int opt_item(const char *p, size_t len, zus_opt_raw_fn fn, void *arg)
{
	char key[OPT_KEY_MAX + 1], val[OPT_VAL_MAX + 1];
	size_t kl = 0, vl = 0;
	bool in_val = false;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (c == '\\' && i + 1 < len) {
			c = p[++i];
		} else if (c == '=' && !in_val) {
			in_val = true;
			continue;
		}
		if (in_val) {
			if (vl == OPT_VAL_MAX)
				return -EINVAL;
			val[vl++] = c;
		} else {
			if (kl == OPT_KEY_MAX)
				return -EINVAL;
			key[kl++] = c;
		}
	}
	key[kl] = '\0';
	val[vl] = '\0';
	if (!kl)
		return -EINVAL;		/* "=x" */
	return fn(arg, p, len, key, in_val ? val : NULL);
}

int zus_opt_split(const char *options, zus_opt_raw_fn fn, void *arg)
{
	const char *p = options, *start;

	if (!options || !fn)
		return -EINVAL;
	while (*p) {
		int err;

		start = p;
		while (*p && *p != ',') {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		if (p > start) {
			err = opt_item(start, (size_t)(p - start), fn, arg);
			if (err)
				return err;
		}
		if (*p == ',')
			p++;
	}
	return 0;
}

struct opt_cb {
	zus_opt_fn fn;
	void *arg;
};

static int opt_plain(void *arg, const char *raw, size_t rawlen,
		     const char *key, const char *value)
{
	const struct opt_cb *cb = arg;

	(void)raw;
	(void)rawlen;
	return cb->fn(cb->arg, key, value);
}

static int host_opt_parse(const char *options, zus_opt_fn fn, void *arg)
{
	struct opt_cb cb = { fn, arg };

	if (!fn)
		return -EINVAL;
	return zus_opt_split(options, opt_plain, &cb);
}

static int host_parse_size(const char *s, uint64_t *out)
{
	unsigned int shift = 0;
	unsigned long long v;
	char *end;

	if (!s || !out || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

_Static_assert(offsetof(struct zus_sb_inst, sb) == 0, "zus_sb first");

static struct zus_sb_inst *sb_inst(struct zus_sb *sb)
{
	/* zus_sb is the first member of the host's superblock. */
	return (struct zus_sb_inst *)sb;
}

/*
 * The checks every transport makes the same: the arguments (-EINVAL), the
 * cap (-ENOSYS), a mount being unmounted (-ESHUTDOWN: its kernel side is
 * gone or going; zuf.ko would say "not cached", fuse.ko nothing at all),
 * and a mount not attached yet (inside the plugin's mount: the kernel has
 * nothing of it cached, so there is nothing to invalidate: 0, sent
 * nowhere). What a transport adds: -EAGAIN (its queue is full), -ENOMEM.
 */
static int host_inval_inode(struct zus_sb *sb, zus_ino_t ino, int64_t off,
			    int64_t len)
{
	struct zus_sb_inst *si;

	if (!sb || !ino || len < 0 || (off < 0 && len))
		return -EINVAL;
	si = sb_inst(sb);
	if (!(si->lp->conn.want & ZUS_CAP_NOTIFY) || !si->transport ||
	    !si->transport->inval_inode)
		return -ENOSYS;
	if (__atomic_load_n(&si->dying, __ATOMIC_ACQUIRE))
		return -ESHUTDOWN;
	if (!__atomic_load_n(&si->live, __ATOMIC_ACQUIRE))
		return 0;
	return si->transport->inval_inode(si, ino, off, len);
}

static int host_inval_entry(struct zus_sb *sb, zus_ino_t dir,
			    const char *name, size_t namelen)
{
	struct zus_sb_inst *si;

	if (!sb || !dir || !zus_name_valid(name, namelen))
		return -EINVAL;
	si = sb_inst(sb);
	if (!(si->lp->conn.want & ZUS_CAP_NOTIFY) || !si->transport ||
	    !si->transport->inval_entry)
		return -ENOSYS;
	if (__atomic_load_n(&si->dying, __ATOMIC_ACQUIRE))
		return -ESHUTDOWN;
	if (!__atomic_load_n(&si->live, __ATOMIC_ACQUIRE))
		return 0;
	return si->transport->inval_entry(si, dir, name, namelen);
}

const struct zus_host zus_host = {
	.size			= sizeof(struct zus_host),
	.version		= ZUS_HOST_VERSION,
	.log			= zus_log,
	.vlog			= zus_vlog,
	.dir_emit		= zus_dir_emit,
	.opt_parse		= host_opt_parse,
	.parse_size		= host_parse_size,
	.notify_inval_inode	= host_inval_inode,
	.notify_inval_entry	= host_inval_entry,
};

// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_loader.c - the plugin loader: a good plugin by path and by name,
 * and every way a plugin can be refused (ABI version, entry point, ops
 * table size, missing mount, bad name, NULL entry result, not an ELF).
 * ZUS_TEST_PLUGIN_DIR is the directory with the plugin_variant builds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "zus_i.h"

static const char *dir;

static char *variant_path(const char *v)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/pv_%s.so", dir, v);
	return path;
}

static int load(const char *v, struct zus_loaded_plugin **lp)
{
	return zus_plugin_load(variant_path(v), NULL, lp);
}

static void good_by_path(void **state)
{
	struct zus_loaded_plugin *lp = NULL;

	assert_int_equal(load("good", &lp), 0);
	assert_non_null(lp->dl);
	assert_string_equal(lp->plugin->name, "tgood");
	assert_int_equal(lp->ops.size, sizeof(struct zus_fs_ops));
	assert_non_null(lp->ops.mount);
	assert_non_null(lp->ops.getattr);
	assert_non_null(lp->ops.readdir);
	assert_null(lp->ops.read);		/* NULL stays NULL: -ENOSYS */
	zus_plugin_unload(lp);
}

static void good_by_name(void **state)
{
	const char *dirs[] = { "/nonexistent", dir, NULL };
	struct zus_loaded_plugin *lp = NULL;

	assert_int_equal(zus_plugin_load("pv_good", dirs, &lp), 0);
	assert_string_equal(lp->plugin->name, "tgood");
	zus_plugin_unload(lp);

	/* ZUS_PLUGIN_PATH is searched first. */
	setenv("ZUS_PLUGIN_PATH", dir, 1);
	assert_int_equal(zus_plugin_load("pv_good", NULL, &lp), 0);
	zus_plugin_unload(lp);
	unsetenv("ZUS_PLUGIN_PATH");
	assert_int_equal(zus_plugin_load("pv_good", NULL, &lp), -ENOENT);
}

static void not_found(void **state)
{
	const char *dirs[] = { dir, NULL };
	struct zus_loaded_plugin *lp = NULL;

	assert_int_equal(zus_plugin_load("nosuchplugin", dirs, &lp), -ENOENT);
	assert_int_equal(zus_plugin_load("/nonexistent/x.so", NULL, &lp),
			 -ENOENT);
	/* A name must be a valid fs name; paths contain '/'. */
	assert_int_equal(zus_plugin_load("Bad Name", dirs, &lp), -EINVAL);
	assert_int_equal(zus_plugin_load("", dirs, &lp), -EINVAL);
}

static void wrong_abi(void **state)
{
	struct zus_loaded_plugin *lp = NULL;

	assert_int_equal(load("badabi", &lp), -EPROTONOSUPPORT);
	assert_null(lp);
}

/* ABI 1 is refused (no compatibility layer), and says so. */
static void abi1_refused(void **state)
{
	struct zus_loaded_plugin *lp = NULL;

	assert_int_equal(load("abi1", &lp), -EPROTONOSUPPORT);
	assert_null(lp);
}

/* init: a wanted capability without its ops refuses the plugin; an init
 * that fails refuses it too; the transport's capable masks want. */
static void init_checks(void **state)
{
	struct zus_loaded_plugin *lp = NULL;

	assert_int_equal(load("badwant", &lp), 0);
	assert_int_equal(zus_plugin_init(lp, ZUS_TRANSPORT_ZUFS,
					 ZUS_CAP_ALL), -EINVAL);
	zus_plugin_unload(lp);
	assert_int_equal(load("initfail", &lp), 0);
	assert_int_equal(zus_plugin_init(lp, ZUS_TRANSPORT_ZUFS,
					 ZUS_CAP_ALL), -EPERM);
	zus_plugin_unload(lp);
	/* no init op: defaults, nothing wanted; once only */
	assert_int_equal(load("good", &lp), 0);
	assert_int_equal(zus_plugin_init(lp, ZUS_TRANSPORT_FUSE,
					 ZUS_CAP_XATTR), 0);
	assert_int_equal(lp->conn.transport, ZUS_TRANSPORT_FUSE);
	assert_int_equal(lp->conn.want, 0);
	assert_int_equal(zus_plugin_init(lp, ZUS_TRANSPORT_FUSE,
					 ZUS_CAP_XATTR), -EALREADY);
	zus_plugin_unload(lp);
}

static void missing_entry(void **state)
{
	struct zus_loaded_plugin *lp = NULL;

	assert_int_equal(load("noentry", &lp), -ENOEXEC);
	assert_null(lp);
}

static void not_elf(void **state)
{
	char path[] = "/tmp/zus-test-notelf-XXXXXX";
	struct zus_loaded_plugin *lp = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	close(fd);
	assert_int_equal(zus_plugin_load(path, NULL, &lp), -ENOEXEC);
	unlink(path);
}

static void ops_too_small(void **state)
{
	struct zus_loaded_plugin *lp = NULL;

	assert_int_equal(load("smallops", &lp), -EINVAL);
	assert_null(lp);
}

static void old_ops_table(void **state)
{
	struct zus_loaded_plugin *lp = NULL;

	/* Accepted; everything past the plugin's table size reads NULL,
	 * even though its (longer) C struct had readdir set. */
	assert_int_equal(load("oldops", &lp), 0);
	assert_int_equal(lp->ops.size,
			 offsetof(struct zus_fs_ops, getattr) + sizeof(void *));
	assert_non_null(lp->ops.mount);
	assert_non_null(lp->ops.getattr);
	assert_null(lp->ops.readdir);
	assert_null(lp->ops.setattr);
	zus_plugin_unload(lp);
}

static void malformed(void **state)
{
	struct zus_loaded_plugin *lp = NULL;

	assert_int_equal(load("nomount", &lp), -EINVAL);
	assert_int_equal(load("badname", &lp), -EINVAL);
	assert_int_equal(load("null", &lp), -EINVAL);
	assert_null(lp);
}

static void wrap_sizes(void **state)
{
	struct zus_fs_ops ops = { .size = sizeof(ops) };
	struct zus_plugin p = {
		.size = offsetof(struct zus_plugin, ops),  /* no room for ops */
		.abi_version = ZUS_ABI_VERSION, .name = "x", .ops = &ops,
	};
	struct zus_loaded_plugin *lp = NULL;

	assert_int_equal(zus_plugin_wrap(&p, NULL, "mem", &lp), -EINVAL);
	p.size = sizeof(p);
	assert_int_equal(zus_plugin_wrap(&p, NULL, "mem", &lp), -EINVAL);
	p.ops = NULL;
	assert_int_equal(zus_plugin_wrap(&p, NULL, "mem", &lp), -EINVAL);
	p.name = NULL;
	assert_int_equal(zus_plugin_wrap(&p, NULL, "mem", &lp), -EINVAL);
}

static void server_plugins_and_mounts(void **state)
{
	static const struct zus_transport tr = { .id = ZUS_TRANSPORT_ZUFS };
	static const struct zus_transport fuse_tr = {
		.id = ZUS_TRANSPORT_FUSE,
	};
	struct zus_loaded_plugin *lp = NULL, *lp2 = NULL;
	struct zus_sb_inst *si = NULL;
	struct zus_server srv;
	uint64_t sb1, sb2;
	zus_ino_t root;

	assert_int_equal(zus_server_init(&srv), 0);
	assert_int_equal(load("good", &lp), 0);
	/* not started (no zus_plugin_init): cannot be mounted */
	assert_int_equal(zus_server_add_plugin(&srv, lp), 0);
	assert_int_equal(zus_server_mount(&srv, "tgood", "src", "", 0, 0, 0,
					  0, 7, &tr, &sb1, &root, NULL), -EIO);
	assert_int_equal(zus_plugin_init(lp, ZUS_TRANSPORT_ZUFS,
					 ZUS_CAP_ALL), 0);
	/* Two plugins for one fs name: refused. */
	assert_int_equal(load("good", &lp2), 0);
	assert_int_equal(zus_server_add_plugin(&srv, lp2), -EEXIST);
	zus_plugin_unload(lp2);

	assert_int_equal(zus_server_mount(&srv, "nosuchfs", "", "", 0, 0, 0,
					  0, 7, &tr, &sb1, &root, NULL), -ENODEV);
	/* a transport the plugin was not started for */
	assert_int_equal(zus_server_mount(&srv, "tgood", "src", "", 0, 0, 0,
					  0, 7, &fuse_tr, &sb1, &root, NULL),
			 -EIO);
	assert_int_equal(zus_server_mount(&srv, "tgood", "src", "", 0, 0, 0,
					  0, 7, &tr, &sb1, &root, &si), 0);
	assert_int_equal(root, 1);
	assert_ptr_equal(si->sb.host, &zus_host);
	assert_int_equal(si->sb.sb_id, sb1);
	assert_int_equal(zus_server_mount(&srv, "tgood", "src", "",
					  ZUS_MOUNT_RDONLY, 0, 0, 0, 8, &tr,
					  &sb2, &root, &si), 0);
	assert_int_equal(si->sb.mount_flags, ZUS_MOUNT_RDONLY);
	assert_int_not_equal(sb1, sb2);
	assert_int_equal(zus_server_nr_mounts(&srv), 2);
	assert_int_equal(zus_server_umount(&srv, sb1), 0);
	assert_int_equal(zus_server_umount(&srv, sb1), -ENOENT);
	/* The connection that mounted sb2 goes away: sb2 goes with it. */
	zus_server_client_gone(&srv, 7);
	assert_int_equal(zus_server_nr_mounts(&srv), 1);
	zus_server_client_gone(&srv, 8);
	assert_int_equal(zus_server_nr_mounts(&srv), 0);
	zus_server_fini(&srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_by_path),
		cmocka_unit_test(good_by_name),
		cmocka_unit_test(not_found),
		cmocka_unit_test(abi1_refused),
		cmocka_unit_test(init_checks),
		cmocka_unit_test(wrong_abi),
		cmocka_unit_test(missing_entry),
		cmocka_unit_test(not_elf),
		cmocka_unit_test(ops_too_small),
		cmocka_unit_test(old_ops_table),
		cmocka_unit_test(malformed),
		cmocka_unit_test(wrap_sizes),
		cmocka_unit_test(server_plugins_and_mounts),
	};

	dir = getenv("ZUS_TEST_PLUGIN_DIR");
	if (!dir) {
		fprintf(stderr, "ZUS_TEST_PLUGIN_DIR not set\n");
		return 1;
	}
	if (!getenv("ZUS_TEST_VERBOSE"))
		zus_log_level = 0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

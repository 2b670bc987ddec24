// SPDX-License-Identifier: GPL-2.0
/*
 * zufs_vm_warn: test-only module for the vm-run self-test.
 *
 * Loading it makes the kernel print a WARNING with a backtrace, exactly like
 * a real WARN_ON() in the code under test would. The VM runner must report
 * the run as failed. Never load it outside that test.
 */
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>

static int __init zufs_vm_warn_init(void)
{
	WARN(1, "zufs_vm_warn: deliberate warning for the vm-run self-test\n");
	return 0;
}

static void __exit zufs_vm_warn_exit(void)
{
}

module_init(zufs_vm_warn_init);
module_exit(zufs_vm_warn_exit);

MODULE_DESCRIPTION("vm-run self-test: WARN on load (test only)");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: BSD-2-Clause
/*
 * fault-self.so - LD_PRELOAD it to make a process a target of the
 * kernel's fault injection (failslab, fail_page_alloc with task-filter)
 * from its first instruction after loading, not before: exec and the
 * dynamic loader read the binary and its libraries from the VM's 9p root,
 * and the 9p client does not survive an injected allocation failure (every
 * later 9p request fails with EINVAL, which ends the whole test). Threads
 * and children of the process inherit the flag.
 */
#include <fcntl.h>
#include <unistd.h>

__attribute__((constructor)) static void fault_self(void)
{
	int fd = open("/proc/self/make-it-fail", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			_exit(125);
		close(fd);
	}
}

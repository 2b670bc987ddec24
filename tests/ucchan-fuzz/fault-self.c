// SPDX-License-Identifier: BSD-2-Clause
/*
 * fault-self.so - LD_PRELOAD it to make a process a target of the
 * kernel's fault injection (failslab, fail_page_alloc with task-filter)
 * from its first instruction after loading, not before: exec and the
 * dynamic loader read the binary and its libraries from the VM's 9p root,
 * and the 9p client does not survive an injected allocation failure (every
 * later 9p request fails with EINVAL, which ends the whole test), and so
 * does demand paging of the binary: everything mapped is faulted in and
 * locked first (mlockall). Threads and children inherit the flag.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((constructor)) static void fault_self(void)
{
	int fd;

	/*
	 * Page faults on the binary and its libraries read them from 9p as
	 * well, lazily: fault everything in and keep it (the VM runs as
	 * root) before the process becomes a target.
	 */
	if (mlockall(MCL_CURRENT))
		_exit(124);
	fd = open("/proc/self/make-it-fail", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			_exit(125);
		close(fd);
	}
}

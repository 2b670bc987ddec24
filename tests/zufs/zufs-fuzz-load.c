// SPDX-License-Identifier: BSD-2-Clause
/*
 * zufs-fuzz-load - the workload of zufs-fuzz.sh: NPROC processes, each in
 * its own directory under DIR, doing random file system operations for
 * SECONDS (create, write, read, readdir, rename, xattrs, symlinks,
 * truncate, mmap, mkdir/rmdir, link, unlink, stat, fallocate, lseek,
 * copy_file_range, O_TMPFILE, chmod, utimes, mknod). Against a server
 * that lies (zufs-testsrv fuzz) any of them may fail: errors are counted,
 * not judged. What matters is the kernel's log and that every process
 * ends (and can be killed). Every open is O_NONBLOCK: a name may be a
 * FIFO. Mount with nodev: a lying server can make any device number.
 *
 *   zufs-fuzz-load DIR SECONDS NPROC SEED
 *
 * Prints "load: ops=N errors=E sigbus=B" and exits 0 when every worker
 * ended by itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define NAMES	6

struct stats {
	unsigned long ops, errors, sigbus;
};

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t in_mmap;
static struct stats st;
static unsigned long long rs;
static char buf[65536];

static unsigned int rnd(unsigned int n)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return n ? (unsigned int)(rs % n) : 0;
}

static void on_bus(int sig)
{
	(void)sig;
	if (in_mmap)
		siglongjmp(bus_jmp, 1);
	_exit(3);
}

static void name(char *out, size_t len, char kind)
{
	snprintf(out, len, "%c%u", kind, rnd(NAMES));
}

static void res(long r)
{
	st.ops++;
	if (r < 0)
		st.errors++;
}

static void op_mmap(const char *f)
{
	volatile char *p = MAP_FAILED;
	int fd = open(f, O_NONBLOCK | O_RDWR | O_CREAT, 0644);
	size_t len = 8192;

	if (fd < 0) {
		res(-1);
		return;
	}
	if (ftruncate(fd, len) < 0) {
		res(-1);
		close(fd);
		return;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		res(-1);
		close(fd);
		return;
	}
	in_mmap = 1;
	if (sigsetjmp(bus_jmp, 1)) {
		st.sigbus++;
		res(-1);
	} else {
		p[rnd(len)] = 'm';
		(void)p[rnd(len)];
		res(msync((void *)p, len, MS_SYNC));
	}
	in_mmap = 0;
	munmap((void *)p, len);
	close(fd);
}

static void one_op(void)
{
	char a[32], b[32];
	struct stat sb;
	long r;
	int fd, fd2;

	name(a, sizeof(a), "fdl"[rnd(3)]);
	name(b, sizeof(b), a[0]);
	switch (rnd(20)) {
	case 0:		/* create and write */
		fd = open(a, O_NONBLOCK | O_CREAT | O_WRONLY | O_TRUNC, 0644);
		res(fd);
		if (fd >= 0) {
			res(write(fd, buf, 1 + rnd(16384)));
			close(fd);
		}
		break;
	case 1:		/* read */
		fd = open(a, O_NONBLOCK | O_RDONLY);
		res(fd);
		if (fd >= 0) {
			res(read(fd, buf, sizeof(buf)));
			close(fd);
		}
		break;
	case 2:		/* pwrite, pread */
		fd = open(a, O_NONBLOCK | O_RDWR | O_CREAT, 0644);
		res(fd);
		if (fd >= 0) {
			res(pwrite(fd, buf, 1 + rnd(8192), rnd(65536)));
			res(pread(fd, buf, 1 + rnd(8192), rnd(65536)));
			close(fd);
		}
		break;
	case 3: {	/* readdir, here and at the top */
		DIR *d = opendir(rnd(2) ? "." : "..");

		res(d ? 0 : -1);
		if (d) {
			errno = 0;
			while (readdir(d))
				;
			res(errno ? -1 : 0);
			closedir(d);
		}
		break;
	}
	case 4:		/* rename, maybe without replacing */
		res(renameat2(AT_FDCWD, a, AT_FDCWD, b,
			      rnd(2) ? RENAME_NOREPLACE : 0));
		break;
	case 5:		/* xattrs */
		res(setxattr(a, "user.k", buf, rnd(256), 0));
		res(getxattr(a, "user.k", buf, sizeof(buf)));
		res(listxattr(a, buf, rnd(2) ? sizeof(buf) : 0));
		if (rnd(2))
			res(removexattr(a, "user.k"));
		break;
	case 6:		/* symlink, readlink */
		a[0] = 'l';
		res(symlink(rnd(2) ? "f0" : "../x/y/z", a));
		r = readlink(a, buf, sizeof(buf));
		res(r);
		break;
	case 7:		/* truncate */
		res(truncate(a, rnd(3) ? rnd(100000) : 0));
		break;
	case 8:		/* shared mmap */
		a[0] = 'f';
		op_mmap(a);
		break;
	case 9:		/* mkdir, rmdir */
		a[0] = 'd';
		res(rnd(2) ? mkdir(a, 0755) : rmdir(a));
		break;
	case 10:	/* unlink */
		res(unlink(a));
		break;
	case 11:	/* link */
		res(link(a, b));
		break;
	case 12:	/* stat, lstat */
		res(stat(a, &sb));
		res(lstat(b, &sb));
		break;
	case 13:	/* fallocate, punch, SEEK_DATA/HOLE */
		fd = open(a, O_NONBLOCK | O_RDWR);
		res(fd);
		if (fd >= 0) {
			res(fallocate(fd, rnd(2) ? 0 : FALLOC_FL_PUNCH_HOLE |
				      FALLOC_FL_KEEP_SIZE, rnd(65536),
				      1 + rnd(65536)));
			res(lseek(fd, rnd(65536), rnd(2) ? SEEK_DATA :
				  SEEK_HOLE));
			close(fd);
		}
		break;
	case 14:	/* copy_file_range */
		fd = open(a, O_NONBLOCK | O_RDONLY);
		fd2 = open(b, O_NONBLOCK | O_WRONLY | O_CREAT, 0644);
		if (fd >= 0 && fd2 >= 0)
			res(copy_file_range(fd, NULL, fd2, NULL,
					    1 + rnd(65536), 0));
		else
			res(-1);
		if (fd >= 0)
			close(fd);
		if (fd2 >= 0)
			close(fd2);
		break;
	case 15:	/* O_TMPFILE, written, maybe linked */
		fd = open(".", O_NONBLOCK | O_TMPFILE | O_RDWR, 0600);
		res(fd);
		if (fd >= 0) {
			res(write(fd, buf, 1 + rnd(4096)));
			if (rnd(2)) {
				char p[64];

				snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
				a[0] = 'f';
				res(linkat(AT_FDCWD, p, AT_FDCWD, a,
					   AT_SYMLINK_FOLLOW));
			}
			close(fd);
		}
		break;
	case 16:	/* chmod, utimes */
		res(chmod(a, 0600 | rnd(0100)));
		res(utimes(a, NULL));
		break;
	case 17:	/* special files */
		a[0] = 'f';
		res(mknod(a, rnd(2) ? S_IFIFO | 0644 : S_IFCHR | 0644,
			  makedev(1, 3)));
		break;
	case 18:	/* append */
		fd = open(a, O_NONBLOCK | O_WRONLY | O_APPEND | O_CREAT, 0644);
		res(fd);
		if (fd >= 0) {
			res(write(fd, buf, 1 + rnd(512)));
			res(fsync(fd));
			close(fd);
		}
		break;
	default:	/* statfs-ish: walk the names */
		res(access(a, R_OK));
		res(chdir("."));
		break;
	}
}

static int worker(const char *dir, unsigned int i, time_t end,
		  unsigned long long seed)
{
	char w[64];

	rs = seed * 2654435761ULL + i + 1;
	snprintf(w, sizeof(w), "%s/w%u", dir, i);
	while (mkdir(w, 0755) < 0 && errno != EEXIST && time(NULL) < end)
		res(-1);
	while (chdir(w) < 0 && time(NULL) < end)
		res(-1);
	while (time(NULL) < end)
		one_op();
	printf("worker %u: ops=%lu errors=%lu sigbus=%lu\n", i, st.ops,
	       st.errors, st.sigbus);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_bus };
	unsigned int i, nproc, bad = 0;
	unsigned long long seed;
	time_t end;
	int status;

	if (argc != 5) {
		fprintf(stderr, "usage: zufs-fuzz-load DIR SECONDS NPROC SEED\n");
		return 2;
	}
	end = time(NULL) + atoi(argv[2]);
	nproc = atoi(argv[3]);
	seed = strtoull(argv[4], NULL, 0);
	memset(buf, 'z', sizeof(buf));
	sigaction(SIGBUS, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < nproc; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (!pid)
			_exit(worker(argv[1], i, end, seed));
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	printf("load: %u worker(s) failed\n", bad);
	return bad ? 1 : 0;
}

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# zufs mount option handling without a server: missing fs=, bad service
# names and an absent service are refused with the right errno and a
# message in the kernel log; the module stays unloadable (vm-run checks).
# Runs in the VM with ucchan and zuf loaded.
set -u
mnt=$(mktemp -d)
fail=0

# expect ERRNO-NAME OPTIONS: mount must fail, strace-free: util-linux's
# mount(8) prints strerror; we use a tiny python call to get errno.
try_mount() {
	python3 - "$mnt" "$1" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
r = libc.mount(b"none", sys.argv[1].encode(), b"zufs", 0, sys.argv[2].encode())
if r == 0:
    libc.umount2(sys.argv[1].encode(), 0)
    print("MOUNTED")
else:
    import errno
    print(errno.errorcode[ctypes.get_errno()])
PY
}

expect() {
	local want=$1 opts=$2 got
	got=$(try_mount "$opts")
	if [ "$got" = "$want" ]; then
		echo "ok: -o '$opts' -> $got"
	else
		echo "FAIL: -o '$opts' -> $got, want $want"
		fail=1
	fi
}

grep -qw zufs /proc/filesystems || { echo "FAIL: zufs not registered"; exit 1; }
expect EINVAL ""				# no fs=
expect EINVAL "service=zzz_none"		# no fs=
expect EINVAL "fs=memfs,service="		# empty service
expect EINVAL "fs=,service=x"			# empty fs
expect EINVAL "fs=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,service=x"
expect EINVAL "fs=memfs,timeout=abc,service=x"
expect ENOENT "fs=memfs,service=zufs_test_no_such_service"
dmesg | grep -q 'missing fs=' || { echo "FAIL: no 'missing fs=' message"; fail=1; }
rmdir "$mnt"
exit $fail

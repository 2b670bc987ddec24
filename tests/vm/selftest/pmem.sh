#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# vm-run self-test, guest side: the modules are loaded, /dev/pmem0 keeps
# what is written to it, debugfs and tracefs are mounted, and a file written
# to the build dir reaches the host ($ZUFS_SELFTEST_RESULT).
set -eu

die() {
	echo "pmem.sh: FAIL: $*"
	exit 1
}

# a module, or built in (the debug kernel: no /sys/module/nd_pmem there,
# a built-in driver without parameters has none): the registered driver
# and file system say it either way
[ -d /sys/bus/nd/drivers/nd_pmem ] || die "nd_pmem is not loaded"
grep -qw fuse /proc/filesystems || die "fuse is not loaded"
if [ "${ZUFS_SELFTEST_UCCHAN:-0}" = 1 ]; then
	grep -q '^ucchan ' /proc/modules || die "ucchan is not loaded"
	[ -c /dev/ucchan ] || die "no /dev/ucchan"
fi
[ -b /dev/pmem0 ] || die "no /dev/pmem0"
size=$(blockdev --getsize64 /dev/pmem0)
[ "$size" -ge $((256 << 20)) ] || die "/dev/pmem0 is only $size bytes"
# (by /proc/mounts: the debug kernel has no dynamic_debug file in it)
grep -q '^[^ ]* /sys/kernel/debug debugfs ' /proc/mounts ||
	die "debugfs is not mounted"
grep -q '^[^ ]* /sys/kernel/tracing tracefs ' /proc/mounts ||
	die "tracefs is not mounted"

# A pattern at an offset that is not a page multiple, through the page
# cache, then read back with O_DIRECT after dropping the caches.
pat=/tmp/pattern
off=$((17 * 65536 + 512))
head -c $((4 << 20)) /dev/urandom >"$pat"
dd if="$pat" of=/dev/pmem0 bs=64k seek=$off oflag=seek_bytes conv=fsync status=none
echo 3 >/proc/sys/vm/drop_caches
dd if=/dev/pmem0 of=/tmp/back bs=64k skip=$off count=64 iflag=direct,skip_bytes status=none
cmp "$pat" /tmp/back || die "pattern read back differs"
echo "pmem pattern ok" >"$ZUFS_SELFTEST_RESULT"
echo "pmem.sh: ok ($size bytes of pmem)"

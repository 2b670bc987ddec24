#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# vm-run self-test, guest side of --devdax: /dev/dax0.0 exists, is a
# character device of the emulated pmem's size, and a pattern written
# through a shared mapping (2 MiB aligned, as device DAX demands) reads
# back through a second mapping.
set -eu

die() {
	echo "devdax.sh: FAIL: $*"
	exit 1
}

[ -c /dev/dax0.0 ] || die "no /dev/dax0.0"
size=$(cat /sys/bus/dax/devices/dax0.0/size)
[ "$size" -ge $((256 << 20)) ] || die "/dev/dax0.0 is only $size bytes"
align=$(cat /sys/bus/dax/devices/dax0.0/align 2>/dev/null || echo 2097152)
python3 - "$size" "$align" <<'PY' || die "mmap pattern"
import mmap, os, sys
size, align = int(sys.argv[1]), int(sys.argv[2])
fd = os.open('/dev/dax0.0', os.O_RDWR)
length = 2 * align
off = (size // align - 2) * align          # the last two aligned units
pat = os.urandom(4096) * (length // 4096)
m = mmap.mmap(fd, length, mmap.MAP_SHARED, offset=off)
m[:] = pat
m.close()
m = mmap.mmap(fd, length, mmap.MAP_SHARED, mmap.PROT_READ, offset=off)
ok = m[:] == pat
m.close()
os.close(fd)
sys.exit(0 if ok else 1)
PY
echo "devdax.sh: ok ($size bytes of device DAX, align $align)"

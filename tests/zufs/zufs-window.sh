#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A server whose window (17 pages) is smaller than zuf's 4 MiB max_io:
# zuf clamps max_io to what one call can carry, so large reads and writes
# (also unaligned ones, which touch one page more) work instead of EIO.
. "$(dirname "$0")/lib.sh"

export ZUFS_TESTSRV_WINDOW=$((17 * 4096))
start_server zufs_t_window
unset ZUFS_TESTSRV_WINDOW
check "mount a server with a 68 KiB window" mount_zufs zufs_t_window
head -c $((3 * 1024 * 1024 + 123)) /dev/urandom > /tmp/win.src
check "a 3 MiB write in one write(2)" \
	dd if=/tmp/win.src of="$MNT/f" bs=4M iflag=fullblock status=none
check "read back equal" cmp /tmp/win.src "$MNT/f"
check "an unaligned 1 MiB pread" python3 -c "
import os
fd = os.open('$MNT/f', os.O_RDONLY)
b = os.pread(fd, 1 << 20, 4095)
src = open('/tmp/win.src', 'rb').read()
assert b == src[4095:4095 + (1 << 20)], 'pread mismatch'
"
check "umount" umount "$MNT"
rmdir "$MNT"
MNT=
finish

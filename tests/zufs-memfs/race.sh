#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# zmfs-race on zusd + memfs: mmap writeback (msync in a loop) against
# truncate, and against write(2) extending the file: the size after a
# truncate stays 0, and st_size never goes back below what write(2) wrote.
. "$(dirname "$0")/lib.sh"

RACE=${ZMFS_RACE:-}
if [ -z "$RACE" ] || [ ! -x "$RACE" ]; then
	echo "SKIP: zmfs-race is not built (${RACE:-ZMFS_RACE unset})"
	exit 77
fi
iters=${ZMFS_RACE_ITERS:-2000}

setup size=64m
check "msync against truncate, $iters iterations" \
	"$RACE" trunc "$iters" "$MNT/t"
check "msync against extending write(2), $((iters * 4)) iterations" \
	"$RACE" size "$((iters * 4))" "$MNT/s"
finish

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# fs_mark: 2 threads x 200 files of 16 KiB, fsync before close, 1 loop
# (ZMFS_LONG=1: 2 loops), in subdirectories; then every file is there with
# its size.
. "$(dirname "$0")/lib.sh"

setup
loops=1
[ -z "$ZMFS_LONG" ] || loops=2
if timeout 300 fs_mark -d "$MNT/fsm" -s 16384 -n 200 -t 2 -D 4 -S 1 -L "$loops" -k \
	>/tmp/fsmark.out 2>&1 && grep -q "Files/sec" /tmp/fsmark.out; then
	grep -A3 "Files/sec" /tmp/fsmark.out | sed 's/^/#   /'
	pass "fs_mark"
else
	fail "fs_mark"
	tail -30 /tmp/fsmark.out | sed 's/^/#   /'
fi
check "fs_mark kept $((loops * 400)) files of 16384 bytes" sh -c \
	"[ \"\$(find $MNT/fsm -type f -size 16384c | wc -l)\" = $((loops * 400)) ]"
check "rm -rf the fs_mark tree" rm -rf "$MNT/fsm"
check "empty after rm" sh -c "[ -z \"\$(ls -A $MNT)\" ]"
finish

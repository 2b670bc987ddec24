#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# stress-ng file system stressors on zusd + memfs, one at a time, each one
# instance for 2 s with --verify, data sizes bounded. Exit 0 passes; a
# stressor stress-ng reports as not implemented on this file system (exit
# 4) is listed as a skip; anything else fails. The short form (CI) runs
# one stressor per kind of path (names, directories, data, holes, locks,
# mmap, xattrs, links); ZMFS_LONG=1 runs them all.
. "$(dirname "$0")/lib.sh"

setup size=512m
stressors="access chdir chmod chown copy-file dentry dir dirdeep dirmany
fallocate fcntl fiemap filename flock fpunch fsize fstat getdent hdd inotify
io iomix lease link locka lockf lockofd mknod open rename symlink sync-file
touch utime xattr mmap"
[ -n "$ZMFS_LONG" ] || stressors="chmod dentry dir fallocate fpunch hdd iomix
lockf mmap rename symlink xattr"
mkdir "$MNT/fstat-dir"
for s in $stressors; do
	# FUSE: one bogo op of link/symlink is 8192 links, each with its
	# statfs, link and lstat, then 8192 unlinks: ~40 000 FUSE round
	# trips. Under TCG a round trip whose daemon thread runs on the
	# other vCPU (a cross-CPU wake-up and IPI each way) costs ~7x one
	# on the same vCPU: 75 s against 10 s on a fresh mount, and past
	# the 120 s limit after the other stressors. The stressor's work is
	# the same either way, so these two run with stress-ng and zusd on
	# CPU 0 (the emulator's cost, not a behaviour of the file system).
	pin=
	if [ "$ZMFS_TRANSPORT" = fuse ] && { [ "$s" = link ] || [ "$s" = symlink ]; }; then
		pin="taskset -c 0"
		taskset -a -p -c 0 "$ZUSD_PID" >/dev/null
	fi
	rc=0
	timeout 120 $pin stress-ng --temp-path "$MNT" --"$s" 1 --timeout 2s --verify \
		--metrics-brief --hdd-bytes 16m --fallocate-bytes 16m \
		--iomix-bytes 16m --mmap-bytes 8m --mmap-file \
		--fstat-dir "$MNT/fstat-dir" \
		>"/tmp/sng-$s.out" 2>&1 || rc=$?
	[ -z "$pin" ] || taskset -a -p -c "0-$(($(nproc) - 1))" "$ZUSD_PID" >/dev/null
	case $rc in
	0)	pass "stress-ng --$s" ;;
	4)	skip "stress-ng --$s" "not implemented here: $(grep -i 'skipp\|not impl' "/tmp/sng-$s.out" | head -1)" ;;
	*)	fail "stress-ng --$s (exit $rc)"
		grep -v "^stress-ng: info" "/tmp/sng-$s.out" | tail -15 | sed 's/^/#   /' ;;
	esac
	# a stressor that says it skipped still exits 0: say so
	if [ "$rc" = 0 ] && grep -qi "skipping stressor\|not supported\|not implemented" "/tmp/sng-$s.out"; then
		grep -i "skipping stressor\|not supported\|not implemented" "/tmp/sng-$s.out" | head -2 | sed 's/^/    note: /'
	fi
done
check "nothing left behind by stress-ng" sh -c \
	"[ -z \"\$(ls -A $MNT | grep -v '^fstat-dir$')\" ]"
finish

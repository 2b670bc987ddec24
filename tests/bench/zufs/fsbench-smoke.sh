#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# Smoke test of zufs-fsbench on the host (no VM, no timing asserted): a
# few iterations in a temporary directory; every op must report one
# well-formed line, and the program must remove what it created.
#
#   fsbench-smoke.sh ZUFS_FSBENCH
set -u
bench=${1:?usage: fsbench-smoke.sh ZUFS_FSBENCH}
dir=$(mktemp -d "${TMPDIR:-/tmp}/zufs-fsbench-smoke.XXXXXX") || exit 1
out=$dir.out
trap 'rm -rf "$dir" "$out"' EXIT
fails=0

"$bench" -n 20 -d 3 -s 3 -w 2 -c -1 -x -f -l smoke "$dir" >"$out"
rc=$?
if [ $rc != 0 ]; then
	echo "FAIL: zufs-fsbench exited with $rc"
	fails=1
fi
cat "$out"
for op in stat pread_4k pwrite_4k pwrite_4k_fsync create_unlink create close unlink \
	  readdir_1000 seqread_1m; do
	if grep -Eq "^zufs-fsbench label=smoke op=$op n=[0-9]+ median_ns=[0-9]+ p99_ns=[0-9]+ min_ns=[0-9]+ max_ns=[0-9]+( total_ns=[0-9]+)?\$" "$out"; then
		echo "ok: $op"
	else
		echo "FAIL: no result line for $op"
		fails=1
	fi
done
if [ -n "$(ls -A "$dir")" ]; then
	echo "FAIL: left behind in $dir: $(ls -A "$dir")"
	fails=1
fi
# Two clients through a barrier (-B FILE:2): both report every timed op.
rm -f "$dir.bar"
"$bench" -n 5 -d 1 -s 1 -w 1 -c -1 -l two -B "$dir.bar:2" "$dir" >"$out.1" &
"$bench" -n 5 -d 1 -s 1 -w 1 -c -1 -l two -B "$dir.bar:2" "$dir" >"$out.2"
rc2=$?
wait $! || rc2=1
n=$(cat "$out.1" "$out.2" | grep -c '^zufs-fsbench label=two op=.* total_ns=[0-9]')
rm -f "$dir.bar" "$out.1" "$out.2"
if [ $rc2 = 0 ] && [ "$n" = 12 ]; then
	echo "ok: two clients with -B"
else
	echo "FAIL: two clients with -B: exit $rc2, $n result lines (want 12)"
	fails=1
fi
# A directory that does not exist must fail.
if "$bench" -n 1 -d 1 -s 1 -c -1 "$dir/missing" >/dev/null 2>&1; then
	echo "FAIL: a missing directory did not fail"
	fails=1
else
	echo "ok: a missing directory fails"
fi
exit $fails

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# Smoke test of zufs-mixed on the host (no VM, no timing asserted): four
# processes, 300 operations each, in a temporary directory; every process
# must report, verify data, and leave nothing behind.
#
#   mixed-smoke.sh ZUFS_MIXED
set -u
bench=${1:?usage: mixed-smoke.sh ZUFS_MIXED}
dir=$(mktemp -d "${TMPDIR:-/tmp}/zufs-mixed-smoke.XXXXXX") || exit 1
out=$dir.out
trap 'rm -rf "$dir" "$out"' EXIT
fails=0

"$bench" -p 4 -n 300 -d 600 -s 7 -l smoke "$dir" >"$out"
rc=$?
cat "$out"
if [ $rc != 0 ]; then
	echo "FAIL: zufs-mixed exited with $rc"
	fails=1
fi
n=$(grep -Ec '^zufs-mixed label=smoke proc=[0-3] ops=300 .*errors=0' "$out")
if [ "$n" = 4 ]; then
	echo "ok: four processes did 300 ops each"
else
	echo "FAIL: $n of 4 processes reported 300 ops without errors"
	fails=1
fi
if grep -Eq '^zufs-mixed label=smoke total procs=4 ops=1200 .*verified=[1-9][0-9]* errors=0 ' "$out"; then
	echo "ok: total line, data verified"
else
	echo "FAIL: no total line with verified data"
	fails=1
fi
for op in create open stat rename unlink mkdir readdir writev pwritev readv preadv; do
	if grep -Eq "^zufs-mixed label=smoke total .* $op=[1-9]" "$out"; then
		echo "ok: $op ran"
	else
		echo "FAIL: $op never ran"
		fails=1
	fi
done
if [ -n "$(ls -A "$dir")" ]; then
	echo "FAIL: left behind in $dir: $(ls -A "$dir")"
	fails=1
fi
if "$bench" -p 1 -n 1 "$dir/missing/x" >/dev/null 2>&1; then
	echo "FAIL: a missing directory did not fail"
	fails=1
else
	echo "ok: a missing directory fails"
fi
exit $fails

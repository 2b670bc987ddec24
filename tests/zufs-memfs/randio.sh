#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# zmfs-randio (seeded random operations checked against a model) on
# tmpfs first, as a self-check of the tester (20 000 operations), then on
# zusd + memfs with mmap on: 100 000 operations on a small file, 5 000
# with bigger ranges. The seeds are fixed so that a failure
# replays (ZMFS_RANDIO_SEED, ZMFS_RANDIO_OPS override them).
. "$(dirname "$0")/lib.sh"

RANDIO=${ZMFS_RANDIO:-}
if [ -z "$RANDIO" ] || [ ! -x "$RANDIO" ]; then
	echo "SKIP: zmfs-randio is not built (${RANDIO:-ZMFS_RANDIO unset})"
	exit 77
fi
seed=${ZMFS_RANDIO_SEED:-20261201}
ops=${ZMFS_RANDIO_OPS:-100000}

randio() {	# randio NAME CMD...: like check, with all of a failure's report
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	"$@" >/tmp/zmfs-randio.out 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		pass "$name ($(($(date +%s) - t0)) s)"
	else
		fail "$name (exit $rc)"
		tail -100 /tmp/zmfs-randio.out | sed "s/^/#   /"
	fi
}

# tmpfs has no FALLOC_FL_ZERO_RANGE: every other op
tdir=$(mktemp -d /dev/shm/zmfs-randio.XXXXXX)
randio "randio on tmpfs (self-check), seed $seed" \
	"$RANDIO" -q -s "$seed" -n "$((ops / 5))" -x zero,zero_keep "$tdir/f"
rm -rf "$tdir"

setup size=64m
# zusd and the tester on one CPU: under TCG a cross-CPU wakeup costs
# milliseconds, a same-CPU one a fraction (about 20% faster overall)
taskset -a -p -c 0 "$ZUSD_PID" >/dev/null
# all ops: a 64 KiB file, ops of up to 3 pages (partial first and last
# pages, page cache reused between ops); then bigger ranges
randio "randio on memfs, seed $seed, 64 KiB file, ops <= 3 pages" \
	taskset -c 0 "$RANDIO" -q -s "$seed" -n "$ops" -l 65536 -L 12288 \
	-c 1000 "$MNT/f"
randio "randio on memfs, seed $((seed + 1)), 256 KiB file, ops <= 64 KiB" \
	taskset -c 0 "$RANDIO" -q -s "$((seed + 1))" -n "$((ops / 20))" \
	-c 100 "$MNT/g"
finish

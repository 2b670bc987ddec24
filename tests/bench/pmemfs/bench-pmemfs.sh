#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The pmemfs benchmark in one command: one VM boot (tests/vm/vm-run:
# ext4, dax_pmem, device_dax, ucchan.ko, zuf.ko, the emulated pmem), in it
# guest.sh runs ROUNDS rounds; in each round, on the same 512 MiB pmem
# region, in turn
#   ext4-dax   namespace0.0 reconfigured to fsdax (ndctl), mkfs.ext4 on
#              /dev/pmem0, mount -o dax: the in-kernel anchor
#   pmemfs     namespace0.0 reconfigured to devdax, mkfs.pmemfs on
#              /dev/dax0.0, zusd --plugin pmemfs.so, mount -t zufs
#   memfs      zusd --plugin memfs, mount -t zufs (no media: in memory)
# the same workloads (fio: 4 KiB randwrite + fsync, 4 KiB randread, 1 MiB
# sequential read and write, each with 1 job and 2 jobs on their own CPUs
# and files; fs_mark: empty-file creates and 4 KiB file + fsync creates,
# 1 and 2 threads in their own directories). After the rounds, a pass with
# zusd -v -v counts pmemfs's requests per operation by type (untimed), and
# a traced pass counts the kernel events per operation on every file
# system (zufs-fsbench under tests/bench/lib/events.py; untimed).
# Then report.py prints the table (medians over the rounds, ratios against
# ext4-dax of the same run, ucchan calls per operation, 2-job scaling).
#
#   tests/bench/pmemfs/bench-pmemfs.sh [BUILD_DIR [ROUNDS]]
#   ninja -C BUILD_DIR bench-pmemfs
#
# Defaults: 3 rounds (or BENCH_PMEMFS_ROUNDS); BENCH_PMEMFS_RUNTIME=5
# seconds per fio case, BENCH_PMEMFS_FILES=500 files per fs_mark thread,
# BENCH_PMEMFS_SIZE=32m per fio file. BENCH_PMEMFS_FS="ext4-dax pmemfs
# memfs" picks file systems. BENCH_PMEMFS_EVENTS="-n 500 -d 20 -s 20":
# the traced pass's zufs-fsbench options ("0": no traced pass).
# Files in BUILD_DIR: bench-pmemfs.txt (the table), bench-pmemfs.log (the
# VM's output), bench-pmemfs.raw (one line per measured run),
# bench-pmemfs.mix (requests by type, pmemfs), bench-pmemfs.events (kernel
# events per operation), bench-pmemfs-events.png (a chart of them, with
# python3-matplotlib).
# Exit status: 0 when every case ran, 1 otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=$(cd "${1:-${ZUFS_BUILD_DIR:-$PWD}}" && pwd)
rounds=${2:-${BENCH_PMEMFS_ROUNDS:-3}}

main() {
	for f in kernel/ucchan/ucchan.ko kernel/zuf/zuf.ko lib/libzus/zusd \
		 lib/libzus/memfs.so services/pmemfs/plugin/pmemfs.so \
		 services/pmemfs/tools/mkfs.pmemfs; do
		[ -e "$build/$f" ] || { echo "bench-pmemfs: $build/$f not built" >&2; return 1; }
	done
	for p in fio fs_mark ndctl mkfs.ext4 python3; do
		command -v "$p" >/dev/null ||
			{ echo "bench-pmemfs: $p not installed (scripts/setup)" >&2; return 1; }
	done

	cd "$build"
	rm -f bench-pmemfs.raw bench-pmemfs.mix bench-pmemfs.txt \
		bench-pmemfs.events bench-pmemfs-events.png
	start=$(date +%s)
	rc=0
	"$src/tests/vm/vm-run" --quiet-boot --build-dir "$build" \
		--kmod ext4,dax_pmem,device_dax --load ucchan,zuf --pmem \
		--timeout 3000 \
		--env "BENCH_PMEMFS_RUNTIME=${BENCH_PMEMFS_RUNTIME:-5}" \
		--env "BENCH_PMEMFS_FILES=${BENCH_PMEMFS_FILES:-500}" \
		--env "BENCH_PMEMFS_SIZE=${BENCH_PMEMFS_SIZE:-32m}" \
		--env "BENCH_PMEMFS_FS=${BENCH_PMEMFS_FS:-ext4-dax pmemfs memfs}" \
		--env "BENCH_PMEMFS_EVENTS=${BENCH_PMEMFS_EVENTS:--n 500 -d 20 -s 20}" \
		-- "$here/guest.sh" "$build" "$rounds" 2>&1 |
		tee bench-pmemfs.log || rc=1
	wall=$(( $(date +%s) - start ))

	if [ ! -s bench-pmemfs.raw ]; then
		echo "bench-pmemfs: no results (the VM run failed)" >&2
		return 1
	fi
	{
		head -1 bench-pmemfs.raw | sed 's/^# //'
		echo "wall time of the VM run (boot included): ${wall} s; $(uptime | sed 's/.*load/load/')"
		echo
		python3 "$here/report.py" table bench-pmemfs.raw bench-pmemfs.mix
		if [ -s bench-pmemfs.events ]; then
			echo
			echo "## kernel events per operation, system-wide (zufs-fsbench -f" \
				"${BENCH_PMEMFS_EVENTS:--n 500 -d 20 -s 20}, traced pass, untimed;" \
				"server = zusd; tests/bench/lib/events.py)"
			python3 "$src/tests/bench/lib/events.py" table --project bench-pmemfs.events
		fi
	} >bench-pmemfs.txt || rc=1
	echo
	cat bench-pmemfs.txt
	return $rc
}

# One compound command, read whole before it runs (see guest.sh).
{ main; exit $?; }

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A read whose buffer is a not yet faulted shared mapping of a file on the
# same zufs mount: pinning the buffer faults the file's pages in, which
# makes a nested request on the same CPU. ucchan does every faulting step
# before it takes a channel slot, so several such readers on one CPU with
# 1 and with 2 slots per CPU all finish (before the fix they held every
# slot of the CPU and waited for each other until SIGKILL).
. "$(dirname "$0")/lib.sh"

need_zusd
nproc_readers=4
pages=16
rounds=${ZMFS_DL_ROUNDS:-10}

for slots in 1 2; do
	start_zusd "zmfs-dl$slots-$$" --slots "$slots"
	check "[$slots slot(s)] mount" mount_memfs
	for p in $(seq 1 $nproc_readers); do
		python3 - "$MNT/f$p" "$pages" <<'PY'
import sys
path, pages = sys.argv[1], int(sys.argv[2])
with open(path, 'wb') as f:
    for i in range(pages):
        f.write(bytes([i + 1]) * 4096)
PY
	done
	pids=()
	for p in $(seq 1 $nproc_readers); do
		# all on CPU 0: the readers compete for that CPU's slots
		timeout -s KILL "${ZMFS_DL_TIMEOUT:-600}" taskset -c 0 "$ZMFS_HELPER" mmap-pread \
			"$MNT/f$p" "$pages" "$rounds" >"/tmp/dl-$p.out" 2>&1 &
		pids+=($!)
	done
	bad=0
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
		rc=$?
		if [ "$rc" != 0 ]; then
			echo "    reader $((i + 1)): exit $rc ($( [ $rc = 137 ] && echo 'killed by the timeout: deadlock'))"
			sed 's/^/    /' "/tmp/dl-$((i + 1)).out"
			bad=$((bad + 1))
		fi
	done
	check "[$slots slot(s)] $nproc_readers readers on CPU 0 pread into their own mappings, $rounds rounds each" \
		test "$bad" = 0
	check "[$slots slot(s)] umount" umount_memfs
	check "[$slots slot(s)] zusd stops" stop_zusd TERM
done
finish

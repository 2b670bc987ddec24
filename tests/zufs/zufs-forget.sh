#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# FORGETs are batched (BATCH_FORGET, protocol 1.1): unlinking many files,
# or dropping many cached inodes at once, makes far fewer forget calls
# than inodes (zufs-testsrv counts the requests per opcode), and no
# reference is lost: once the forgets are sent, the server has freed
# every unlinked inode (it frees one when its last lookup is forgotten;
# it reports the inodes in use). A server that answers BATCH_FORGET
# -ENOSYS is asked once and then gets one FORGET per inode.
. "$(dirname "$0")/lib.sh"

OP_FORGET=6 OP_BATCH_FORGET=31
N=500		# zufs-testsrv holds 512 entries per directory

# settle: wait until the forget counts stop moving (the work item sends
# them at most 100 ms after the evictions); sets FORGETS, BATCHES, INODES
settle() {
	local last=-1 same=0 now
	for _ in $(seq 1 240); do
		srv_counts || return 1
		now="${COUNTS[$OP_FORGET]}/${COUNTS[$OP_BATCH_FORGET]}"
		if [ "$now" = "$last" ]; then
			same=$((same + 1))
			[ "$same" -ge 4 ] && break
		else
			same=0
		fi
		last=$now
		sleep 0.5
	done
	FORGETS=${COUNTS[$OP_FORGET]}
	BATCHES=${COUNTS[$OP_BATCH_FORGET]}
	INODES=${COUNTS[-2]#inodes=}
}

make_files() {	# make_files DIR N
	python3 - "$1" "$2" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.mkdir(d)
for i in range(n):
    os.close(os.open("%s/f%d" % (d, i), os.O_CREAT | os.O_WRONLY, 0o644))
PY
}

start_server zufs_t_forget
check "mount" mount_zufs zufs_t_forget
settle
f0=$FORGETS b0=$BATCHES i0=$INODES
check "create $N files" make_files "$MNT/d" "$N"
check "unlink them" rm -rf "$MNT/d"
settle
calls=$(( (FORGETS - f0) + (BATCHES - b0) ))
echo "unlink: $((N + 1)) inodes, $((FORGETS - f0)) FORGET + $((BATCHES - b0)) BATCH_FORGET calls; server inodes $i0 -> $INODES"
check "BATCH_FORGET sent" test "$((BATCHES - b0))" -ge 1
check "far fewer forget calls ($calls) than unlinked inodes ($((N + 1)))" \
	test "$((calls * 4))" -le "$N"
check "every unlinked inode forgotten: the server freed them ($INODES in use, $i0 before)" \
	test "$INODES" = "$i0"

check "create $N files to keep" make_files "$MNT/keep" "$N"
settle
f0=$FORGETS b0=$BATCHES i0=$INODES
check "drop_caches evicts them" sh -c 'sync; echo 2 > /proc/sys/vm/drop_caches'
settle
calls=$(( (FORGETS - f0) + (BATCHES - b0) ))
echo "drop_caches: $((N + 1)) inodes, $((FORGETS - f0)) FORGET + $((BATCHES - b0)) BATCH_FORGET calls"
check "evicted inodes forgotten in batches ($calls calls for $((N + 1)) inodes)" \
	sh -c "[ $((BATCHES - b0)) -ge 1 ] && [ $((calls * 20)) -le $N ]"
check "the kept files are still there, looked up again" \
	test "$(find "$MNT/keep" -type f | wc -l)" = "$N"
check "rm of the kept files" rm -rf "$MNT/keep"
settle
check "and then freed on the server ($INODES in use)" test "$INODES" = 1
cd / || exit 1
check "umount" umount "$MNT"
rmdir "$MNT"
MNT=
stop_server

# a server without BATCH_FORGET: asked once, then single FORGETs
start_server zufs_t_forget1 no-batch-forget
check "mount (no BATCH_FORGET)" mount_zufs zufs_t_forget1
check "create 200 files" make_files "$MNT/d" 200
check "unlink them" rm -rf "$MNT/d"
settle
check "every unlinked inode forgotten ($INODES in use)" test "$INODES" = 1
echo "no BATCH_FORGET: $FORGETS FORGET + $BATCHES BATCH_FORGET calls"
check "BATCH_FORGET asked once ($BATCHES)" test "$BATCHES" = 1
check "one FORGET per inode ($FORGETS for 200 files and their directory)" \
	test "$FORGETS" -ge 201
finish

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The server dies (SIGKILL) during a workload: the workload gets EIO, no
# hang; the mount unmounts; a restarted server serves a new mount. A
# server that stalls: the caller can be killed, and timeout= turns the
# stall into EIO.
. "$(dirname "$0")/lib.sh"

start_server zufs_t_crash
check "mount" mount_zufs zufs_t_crash
(
	cd "$MNT" || exit 1
	i=0
	while :; do
		echo "$i" > "f$((i % 50))" || exit 3
		cat "f$((i % 50))" >/dev/null || exit 3
		i=$((i + 1))
	done
) 2>/tmp/zufs-load.err &
load=$!
sleep 2
stop_server
if timeout 30 sh -c "wait $load" 2>/dev/null; then :; fi
wait "$load"
rc=$?
check "workload stopped with an error (rc $rc)" test "$rc" = 3
check "workload saw EIO" grep -q "Input/output error" /tmp/zufs-load.err
fails_with "stat after death -> EIO" "Input/output error" stat "$MNT/f1"
fails_with "create after death -> EIO" "Input/output error" touch "$MNT/new"
check "umount after death" timeout 30 umount "$MNT"
rmdir "$MNT"; MNT=

start_server zufs_t_crash
check "mount after restart" mount_zufs zufs_t_crash
check "works after restart" sh -c "echo ok > $MNT/x && [ \"\$(cat $MNT/x)\" = ok ]"
check "umount" umount "$MNT"
rmdir "$MNT"; MNT=
stop_server

# stalls: killable, and timeout= gives EIO
start_server zufs_t_stall getattr-stall
MNT=$(mktemp -d /tmp/zufs-mnt.XXXXXX)
check "mount (stalling server)" mount -t zufs -o service=zufs_t_stall,fs=testfs,timeout=3 x "$MNT"
touch "$MNT/s" 2>/dev/null	# marks the dir stale: next stat GETATTRs
fails_with "stalled GETATTR -> EIO after timeout=3" "Input/output error" timeout 60 stat "$MNT"
check "umount (stalled server)" timeout 60 umount "$MNT"
rmdir "$MNT"; MNT=
stop_server
finish

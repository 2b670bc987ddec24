#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A server whose replies are fuzzed (zufs-testsrv fuzz:SEED:PERCENT: valid
# replies, some of them mutated) under a workload of every kind of
# operation (zufs-fuzz-load). Operations may fail; the kernel must not
# report anything (the VM runner checks its log), no process may hang or
# be unkillable, and umount must work at the end.
#
# Environment:
#   ZUFS_FUZZ_SEED     seed (default: the time; printed either way)
#   ZUFS_FUZZ_SECONDS  seconds of workload per round (default 60)
#   ZUFS_FUZZ_REPLIES  long form: rounds until this many fuzzed replies
#                      (default 0: one round)
#   ZUFS_FUZZ_PERCENT  share of replies fuzzed (default 10)
#   ZUFS_FUZZ_NPROC    workload processes (default 3)
. "$(dirname "$0")/lib.sh"

seed=${ZUFS_FUZZ_SEED:-$(date +%s)}
secs=${ZUFS_FUZZ_SECONDS:-60}
want=${ZUFS_FUZZ_REPLIES:-0}
pct=${ZUFS_FUZZ_PERCENT:-10}
nproc=${ZUFS_FUZZ_NPROC:-3}
load=${ZUFS_FUZZ_LOAD:-$(dirname "${ZUFS_TESTSRV:-.}")/zufs-fuzz-load}
[ -x "$load" ] || { echo "SKIP: no zufs-fuzz-load ($load)"; exit 77; }
echo "fuzz: seed=$seed percent=$pct seconds/round=$secs replies wanted=$want"

start_server zufs_t_fuzz "fuzz:$seed:$pct"
# nodev, nosuid: fuzzed attributes make any device number and mode
MNT=$(mktemp -d /tmp/zufs-mnt.XXXXXX)
mount -t zufs -o nodev,nosuid,service=zufs_t_fuzz,fs=testfs testsrc "$MNT" ||
	{ echo "FAIL: mount"; exit 1; }

fuzz_counts() {	# FUZZ_LINE: "fuzz seed=S replies=N fuzzed=M kinds=..."
	kill -USR2 "$SRV_PID" || return 1
	read -r -t 60 FUZZ_LINE <&"${SRV[0]}" || return 1
	FUZZED=${FUZZ_LINE#*fuzzed=}
	FUZZED=${FUZZED%% *}
}

round=0 hung=0 FUZZED=0 start=$(date +%s)
while :; do
	"$load" "$MNT" "$secs" "$nproc" "$((seed + round))" &
	lpid=$!
	# the load ends by itself after $secs; a syscall that never returns
	# is a hang (the runner's hung-task check sees the D state too)
	limit=$(( $(date +%s) + secs + 300 ))
	while kill -0 "$lpid" 2>/dev/null && [ "$(date +%s)" -lt "$limit" ]; do
		sleep 2
	done
	if kill -0 "$lpid" 2>/dev/null; then
		fail "round $round: the workload did not end"
		hung=1
		pkill -KILL -P "$lpid"
		kill -KILL "$lpid"
		sleep 30
		if kill -0 "$lpid" 2>/dev/null || pgrep -P "$lpid" >/dev/null; then
			fail "round $round: workload unkillable"
			ps -eo pid,stat,wchan:32,cmd | grep '[z]ufs-fuzz-load'
		fi
	fi
	wait "$lpid"
	rc=$?
	[ "$rc" = 0 ] || { echo "FAIL: round $round: workload exit $rc"; fails=$((fails + 1)); }
	fuzz_counts || { echo "FAIL: no counts from the server"; fails=$((fails + 1)); break; }
	echo "round $round: $FUZZ_LINE"
	round=$((round + 1))
	[ "$hung" = 0 ] || { fails=$((fails + 1)); break; }
	[ "$FUZZED" -ge "$want" ] && break
done
check "umount after fuzzing" umount "$MNT"
rmdir "$MNT"; MNT=
echo "fuzz: seed=$seed rounds=$round $FUZZ_LINE guest-seconds=$(( $(date +%s) - start ))"
stop_server
finish

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Guest side of bench-pmemfs.sh (root in the VM: ext4, dax_pmem,
# device_dax, ucchan.ko, zuf.ko loaded, the emulated pmem as
# namespace0.0). Usage: guest.sh BUILD_DIR ROUNDS; environment
# BENCH_PMEMFS_RUNTIME, _FILES, _SIZE, _FS (see bench-pmemfs.sh).
#
# Each round runs every file system in turn on a fresh file system: the
# one pmem region is switched between fsdax (ext4 -o dax on /dev/pmem0)
# and devdax (pmemfs on /dev/dax0.0) with ndctl; memfs needs no media.
# Every measured run appends one line to BUILD_DIR/bench-pmemfs.raw:
#   round=R fs=FS case=CASE jobs=J ops_s=X ops=N calls=K
# (ops_s: operations per second, all jobs together; ops: operations done;
# calls: ucchan calls of the zusd service during the run, "-" for ext4).
# The op-mix pass (pmemfs, zusd -v -v) writes BUILD_DIR/bench-pmemfs.mix:
#   case=CASE ops=N REQUEST=COUNT ...
# The events pass (BENCH_PMEMFS_EVENTS: zufs-fsbench options, "0": none)
# counts kernel events per operation (tests/bench/lib/events.py) on every
# file system: zufs-fsbench -f (4 KiB pread, pwrite, pwrite + fsync, ...;
# it marks each timed loop itself, which fio cannot) with one client on
# CPU 0 and two on CPUs 0 and 1 (label FS-2c); BUILD_DIR/bench-pmemfs.events
# (and bench-pmemfs-events.png with python3-matplotlib).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
B=$1
rounds=$2
runtime=${BENCH_PMEMFS_RUNTIME:-5}
files=${BENCH_PMEMFS_FILES:-500}
size=${BENCH_PMEMFS_SIZE:-32m}
fslist=${BENCH_PMEMFS_FS:-ext4-dax pmemfs memfs}
evargs=${BENCH_PMEMFS_EVENTS:--n 500 -d 20 -s 20}
EVENTS_PY=$here/../lib/events.py
FSBENCH=$B/tests/bench/zufs/zufs-fsbench
ZUSD=$B/lib/libzus/zusd
PMEMFS=$B/services/pmemfs/plugin/pmemfs.so
MKFS=$B/services/pmemfs/tools/mkfs.pmemfs
REPORT=$here/report.py
RAW=$B/bench-pmemfs.raw
MIX=$B/bench-pmemfs.mix
MNT=/tmp/pmb-mnt
ZPID=
SVC=
ZLOG=
NSMODE=raw
DEV=/dev/pmem0
rc=0

# The fio cases: name, rw, block size, fsync after every N writes.
FIO_CASES=(
	"randwrite4k_fsync randwrite 4k 1"
	"randread4k randread 4k 0"
	"seqread1m read 1m 0"
	"seqwrite1m write 1m 0"
)
# The fs_mark cases: name, file size, sync method (0 none, 1 fsync
# before close).
META_CASES=(
	"create_empty 0 0"
	"create4k_fsync 4096 1"
)

log() { echo "bench-pmemfs: $(date -u +%T) $*"; }

failed() {
	log "FAILED: $*"
	rc=1
}

# namespace MODE: reconfigure the one pmem namespace (fsdax or devdax),
# set DEV to its device node (/dev/pmemN or /dev/daxN.M).
namespace() {
	local mode=$1 key node try
	[ "$NSMODE" = "$mode" ] && return 0
	# A reconfiguration that fails is retried (logged): the namespace's
	# old device may still be going away. No --mode=raw fallback: a raw
	# namespace has no struct pages, so it gives neither ext4 -o dax nor
	# /dev/daxN.M, and a run on it would not measure what it says.
	for try in 1 2 3; do
		ndctl create-namespace --force --reconfig=namespace0.0 \
			--mode="$mode" --map=mem >/tmp/pmb-ns.json 2>/tmp/pmb-ns.err &&
			break
		log "ndctl --mode=$mode failed (try $try): $(tr '\n' ' ' </tmp/pmb-ns.err)" >&4
		[ "$try" = 3 ] && return 1
		sleep 2
	done
	case $mode in
	fsdax) key=blockdev ;;
	devdax) key=chardev ;;
	esac
	node=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d.get(sys.argv[2]) or d.get("daxregion", {}).get("devices", [{}])[0].get(sys.argv[2], ""))' \
		/tmp/pmb-ns.json "$key")
	[ -n "$node" ] || { echo "ndctl: no $key in:"; cat /tmp/pmb-ns.json; return 1; }
	DEV=/dev/$node
	for _ in $(seq 100); do
		[ -e "$DEV" ] && break
		sleep 0.1
	done
	[ -e "$DEV" ] || { echo "no $DEV after ndctl"; return 1; }
	NSMODE=$mode
	log "namespace0.0: $mode, $DEV" >&4
}

start_zusd() {	# start_zusd SERVICE PLUGIN [OPTIONS]
	local fifo=/tmp/pmb-ready
	SVC=$1
	ZLOG=/tmp/pmb-zusd-$1.log
	rm -f "$fifo"
	mkfifo "$fifo"
	"$ZUSD" --plugin "$2" --service "$1" --ready-fd 3 "${@:3}" \
		3>"$fifo" 2>"$ZLOG" &
	ZPID=$!
	if ! read -r -N 1 -t 60 _ <"$fifo"; then
		echo "zusd did not become ready:"
		cat "$ZLOG"
		return 1
	fi
	rm -f "$fifo"
}

stop_zusd() {
	[ -n "$ZPID" ] || return 0
	kill -TERM "$ZPID" 2>/dev/null || true
	for _ in $(seq 60); do
		kill -0 "$ZPID" 2>/dev/null || break
		sleep 0.5
	done
	kill -KILL "$ZPID" 2>/dev/null || true
	wait "$ZPID" 2>/dev/null || true
	ZPID=
}

setup_fs() {	# setup_fs FS [ZUSD OPTIONS]: a fresh FS mounted on $MNT
	mkdir -p "$MNT"
	case $1 in
	ext4-dax)
		namespace fsdax &&
		mkfs.ext4 -q -F -b 4096 "$DEV" &&
		mount -t ext4 -o dax "$DEV" "$MNT" &&
		grep -q " $MNT ext4 .*dax" /proc/mounts ;;
	pmemfs)
		namespace devdax &&
		"$MKFS" -f -q "$DEV" &&
		start_zusd pmb-pmemfs "$PMEMFS" "${@:2}" &&
		mount -t zufs -o "service=$SVC,fs=pmemfs" "$DEV" "$MNT" ;;
	memfs)
		start_zusd pmb-memfs memfs "${@:2}" &&
		mount -t zufs -o "service=$SVC,fs=memfs" memfs "$MNT" ;;
	*)
		echo "unknown file system $1"
		return 1 ;;
	esac
}

teardown_fs() {
	cd /
	if mountpoint -q "$MNT"; then
		umount "$MNT" || return 1
	fi
	stop_zusd
	SVC=
}

# ucchan calls of the current zusd service so far ("-" for ext4)
calls() {
	local st=/sys/kernel/debug/ucchan/$SVC/stats
	if [ -z "$SVC" ] || [ ! -r "$st" ]; then
		echo -
		return
	fi
	awk '$1 == "total" { print $2 }' "$st"
}

delta() {	# delta BEFORE AFTER
	if [ "$1" = - ] || [ "$2" = - ]; then echo -; else echo $(($2 - $1)); fi
}

fio_job() {	# fio_job JOBS RW BS FSYNC [FIO OPTIONS]: fio's JSON on stdout
	local jobs=$1 cpus=0
	[ "$jobs" -gt 1 ] && cpus=0-$((jobs - 1))
	# shellcheck disable=SC2016 # $jobnum is fio's, not the shell's
	fio --name=pmb --directory="$MNT" --filename_format='pmb.$jobnum' \
		--size="$size" --ioengine=psync --rw="$2" --bs="$3" \
		--fsync="$4" --numjobs="$jobs" --cpus_allowed="$cpus" \
		--cpus_allowed_policy=split --fallocate=none \
		--group_reporting --output-format=json "${@:5}"
}

# The files every fio case uses: one per job, written sequentially.
prefill() {
	fio_job 2 write 1m 0 --end_fsync=1 >/tmp/pmb-fio.json
}

run_fio() {	# run_fio ROUND FS CASE RW BS FSYNC JOBS
	local c0 c1 res
	c0=$(calls)
	fio_job "$7" "$4" "$5" "$6" --time_based --runtime="$runtime" \
		>/tmp/pmb-fio.json || { cat /tmp/pmb-fio.json; return 1; }
	c1=$(calls)
	res=$(python3 "$REPORT" fio /tmp/pmb-fio.json) || return 1
	echo "round=$1 fs=$2 case=$3 jobs=$7 $res calls=$(delta "$c0" "$c1")" |
		tee -a "$RAW"
}

fs_mark_job() {	# fs_mark_job NAME SIZE SYNC JOBS N: files/s on stdout
	local dirs=() cpus=0 j
	for j in $(seq "$4"); do dirs+=(-d "$MNT/$1.$j"); done
	[ "$4" -gt 1 ] && cpus=0-$(($4 - 1))
	(cd /tmp && taskset -c "$cpus" fs_mark "${dirs[@]}" -n "$5" -s "$2" \
		-S "$3" -t 1 -L 1) >/tmp/pmb-fsmark.out 2>&1 ||
		{ cat /tmp/pmb-fsmark.out; return 1; }
	awk 'f && NF >= 4 { print $4; exit } /Files\/sec/ { f = 1 }' \
		/tmp/pmb-fsmark.out
}

run_meta() {	# run_meta ROUND FS CASE SIZE SYNC JOBS
	local c0 c1 fps
	c0=$(calls)
	fps=$(fs_mark_job "$3" "$4" "$5" "$6" "$files") || { echo "$fps"; return 1; }
	c1=$(calls)
	[ -n "$fps" ] || { cat /tmp/pmb-fsmark.out; return 1; }
	echo "round=$1 fs=$2 case=$3 jobs=$6 ops_s=$fps ops=$(($6 * files)) calls=$(delta "$c0" "$c1")" |
		tee -a "$RAW"
	rm -rf "$MNT/$3".*
}

run_round() {	# run_round ROUND FS
	local r=$1 fs=$2 c name rw bs fsync sz sync jobs
	log "round $r: $fs"
	if ! setup_fs "$fs" >/tmp/pmb-setup.out 2>&1; then
		failed "round $r: $fs: setup: $(tr '\n' ' ' </tmp/pmb-setup.out)"
		teardown_fs || true
		return 0
	fi
	prefill || failed "round $r: $fs: prefill"
	for c in "${FIO_CASES[@]}"; do
		read -r name rw bs fsync <<<"$c"
		for jobs in 1 2; do
			run_fio "$r" "$fs" "$name" "$rw" "$bs" "$fsync" "$jobs" ||
				failed "round $r: $fs: $name jobs=$jobs"
		done
	done
	for c in "${META_CASES[@]}"; do
		read -r name sz sync <<<"$c"
		for jobs in 1 2; do
			run_meta "$r" "$fs" "$name" "$sz" "$sync" "$jobs" ||
				failed "round $r: $fs: $name jobs=$jobs"
		done
	done
	teardown_fs || failed "round $r: $fs: umount"
}

# zusd's debug log (-v -v: one -v is level info, which logs no request):
# one line per request, written by zus_dispatch() after the handler
# ("zusd: debug: WRITE sb 1 ino 5: 0", lib/libzus/src/dispatch.c); count
# them by type over an untimed, fixed-size run of each case.
mix_since() {	# mix_since LINE: requests logged after line LINE, by type
	tail -n +"$(($1 + 1))" "$ZLOG" |
		awk '$1 == "zusd:" && $2 == "debug:" && $4 == "sb" { n[$3]++ }
		END { for (k in n) printf " %s=%d", k, n[k] }'
}

mix_line() {	# mix_line CASE OPS LINE: one line of $MIX; none logged is a failure
	local m
	m=$(mix_since "$3")
	if [ -z "$m" ]; then
		echo "op mix: $1: zusd logged no request (log level?):"
		tail -5 "$ZLOG"
		return 1
	fi
	echo "case=$1 ops=$2$m" | tee -a "$MIX"
}

op_mix() {
	local c name rw bs fsync sz sync n l0
	log "op mix: pmemfs, zusd -v -v"
	setup_fs pmemfs -v -v >/tmp/pmb-setup.out 2>&1 ||
		{ cat /tmp/pmb-setup.out; return 1; }
	prefill || return 1
	for c in "${FIO_CASES[@]}"; do
		read -r name rw bs fsync <<<"$c"
		n=400
		[ "$bs" = 1m ] && n=32
		l0=$(wc -l <"$ZLOG")
		fio_job 1 "$rw" "$bs" "$fsync" --number_ios="$n" >/dev/null || return 1
		mix_line "$name" "$n" "$l0" || return 1
	done
	for c in "${META_CASES[@]}"; do
		read -r name sz sync <<<"$c"
		n=100
		l0=$(wc -l <"$ZLOG")
		fs_mark_job "$name" "$sz" "$sync" 1 "$n" >/dev/null || return 1
		mix_line "$name" "$n" "$l0" || return 1
	done
	teardown_fs
}

# two_clients LABEL [zufs-fsbench options]: two zufs-fsbench on CPUs 0 and
# 1 in $MNT, each op's timed loop started together (-B)
# shellcheck disable=SC2317 # run through bash -c (exported)
two_clients() {
	local label=$1 bar=/tmp/pmb-bar.$RANDOM r0 r1 p
	shift
	rm -f "$bar"
	"$FSBENCH" -l "$label" -c 0 -B "$bar:2" "$@" "$MNT" >/tmp/pmb-2c.0 2>&1 &
	p=$!
	"$FSBENCH" -l "$label" -c 1 -B "$bar:2" "$@" "$MNT" >/tmp/pmb-2c.1 2>&1
	r1=$?
	wait "$p"
	r0=$?
	cat /tmp/pmb-2c.0 /tmp/pmb-2c.1
	rm -f "$bar" /tmp/pmb-2c.0 /tmp/pmb-2c.1
	[ "$r0" = 0 ] && [ "$r1" = 0 ]
}

events_pass() {	# events_pass FS: one client, then two
	local fs=$1 cmd
	# shellcheck disable=SC2206 # options, split on purpose
	local ev=($evargs)
	log "events: $fs, zufs-fsbench -f ${ev[*]} (traced, untimed)"
	setup_fs "$fs" >/tmp/pmb-setup.out 2>&1 ||
		{ cat /tmp/pmb-setup.out; return 1; }
	for cmd in one two; do
		if [ $cmd = one ]; then
			set -- "$FSBENCH" -l "$fs" -c 0 -f "${ev[@]}" "$MNT"
		else
			set -- bash -c 'two_clients "$@"' two_clients "$fs-2c" -f "${ev[@]}"
		fi
		python3 "$EVENTS_PY" run --server '^zusd$' --out "$EVOUT" -- "$@" \
			>/tmp/pmb-ev.out 2>&1 || { cat /tmp/pmb-ev.out; return 1; }
		grep '^events ' /tmp/pmb-ev.out | sed 's/ sys_c=.* op=/ ... op=/'
	done
	teardown_fs
}

events_all() {
	local fs
	EVOUT=$B/bench-pmemfs.events
	: >"$EVOUT"
	export -f two_clients
	export FSBENCH MNT
	for fs in $fslist; do
		events_pass "$fs" || failed "events: $fs"
	done
	# a chart when python3-matplotlib is installed (says so otherwise)
	python3 "$EVENTS_PY" plot "$EVOUT" --png "$B/bench-pmemfs-events.png" || true
}

# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
	set +e
	teardown_fs
}
trap cleanup EXIT

main() {
	exec 4>&1	# the log, also from inside redirected set-ups
	: >"$MIX"
	echo "# bench-pmemfs $(date -u '+%F %H:%M UTC'): $(uname -r), $(nproc) vCPUs, $rounds rounds, fio runtime ${runtime} s, ${size} per fio file, fs_mark ${files} files per thread" >"$RAW"
	log "$(head -1 "$RAW")"
	log "$(fio --version), $(ndctl --version | sed 's/^/ndctl /'), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	for r in $(seq "$rounds"); do
		for fs in $fslist; do
			run_round "$r" "$fs"
		done
	done
	case " $fslist " in
	*" pmemfs "*) op_mix || failed "op mix" ;;
	esac
	rm -f "$B/bench-pmemfs.events"
	[ "$evargs" = 0 ] || events_all
	log "done, exit $rc"
	return $rc
}

# One compound command, read whole before it runs: editing this file while
# a benchmark runs cannot change what the running copy does.
{ main; exit $?; }

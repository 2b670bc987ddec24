#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Fault injection under a ucchan (and zufs) workload, in the VM.
#
# Needs a kernel with CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and
# CONFIG_FAULT_INJECTION_DEBUG_FS (scripts/debug-kernel builds one); on any
# other kernel (Debian's) it exits 77 and says why. With them:
#   - failslab and fail_page_alloc (and fail_usercopy when present) fail
#     allocations of the workload's processes only (task-filter +
#     /proc/PID/make-it-fail), GFP_KERNEL ones included, order 0 included;
#     a process becomes a target once it is loaded (LD_PRELOAD of
#     fault-self.so), never while exec reads it from the VM's 9p root: the
#     9p client does not survive a failed allocation (all later 9p requests
#     fail with EINVAL), and the guest's root is 9p;
#   - workload 1: ucchan-ping servers and clients (inline, mapped at odd
#     offsets, registered buffers), in rounds where the client fails, the
#     server fails, both fail;
#   - workload 2 (when zusd and zuf.ko are there): zusd + memfs mounted,
#     a file workload that fails, then zusd's own threads failing;
#   - then injection off, and the same operations must work again (the
#     kernel's state survived the failures), pinned pages are balanced,
#     kmemleak (when built in) finds no leak that involves ucchan or zuf,
#     every process that got a failure ended by itself or could be killed.
# The runner adds the rest: no kernel report (KASAN, lockdep, WARN, ...)
# in the log, and ucchan.ko/zuf.ko unload at the end.
#
# Environment: UCCHAN_PING, FAULT_SELF (required), UCCHAN_FUZZ (optional: the fuzzer,
# 30000 ioctls with failures), ZUSD, ZMFS_DIR (optional; the zufs part is
# skipped without them), ZUFS_FAULT_ROUNDS (default 2), ZUFS_FAULT_PROB
# (percent, default 5); ZUFS_* variables pass through vm-run.
set -u
PING=${UCCHAN_PING:?UCCHAN_PING not set}
FAULT_SELF=${FAULT_SELF:?FAULT_SELF not set}
DBG=/sys/kernel/debug
ROUNDS=${ZUFS_FAULT_ROUNDS:-2}
PROB=${ZUFS_FAULT_PROB:-5}
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
WORK=$(mktemp -d /tmp/ucchan-fault.XXXXXX)
PIDS=()


mountpoint -q $DBG || mount -t debugfs debugfs $DBG 2>/dev/null
for f in failslab fail_page_alloc; do
	if [ ! -d "$DBG/$f" ]; then
		echo "SKIP: no $DBG/$f: this kernel ($(uname -r)) has no fault injection" \
			"(CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS);" \
			"build one with scripts/debug-kernel"
		exit 77
	fi
done
ATTRS=(failslab fail_page_alloc)
[ -d "$DBG/fail_usercopy" ] && ATTRS+=(fail_usercopy)

inject_off() {
	local a
	for a in "${ATTRS[@]}"; do
		echo 0 >"$DBG/$a/probability"
	done
}

fi_cleanup() {
	local p
	inject_off
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap fi_cleanup EXIT

# Only tasks with make-it-fail set get failures. "times" counts down with
# every failure: that is the exact count (the log's "FAULT_INJECTION:
# forcing a failure" lines are rate-limited; verbose=1: no stack dump,
# which would flood the serial console).
TIMES=1000000
inject_on() {	# inject_on PERCENT
	local a
	for a in "${ATTRS[@]}"; do
		echo Y >"$DBG/$a/task-filter"
		echo 1 >"$DBG/$a/interval"
		echo $TIMES >"$DBG/$a/times"
		echo 0 >"$DBG/$a/space"
		echo 1 >"$DBG/$a/verbose"
		echo "$1" >"$DBG/$a/probability"
	done
	echo N >"$DBG/failslab/ignore-gfp-wait"
	echo N >"$DBG/fail_page_alloc/ignore-gfp-wait"
	echo N >"$DBG/fail_page_alloc/ignore-gfp-highmem"
	echo 0 >"$DBG/fail_page_alloc/min-order"
}

injected() {	# failures injected since inject_on, per attribute
	local a n out=()
	for a in "${ATTRS[@]}"; do
		n=$(cat "$DBG/$a/times")
		out+=("$a=$((TIMES - n))")
	done
	echo "${out[*]}"
}

injected_total() {
	local a n=0
	for a in "${ATTRS[@]}"; do
		n=$((n + TIMES - $(cat "$DBG/$a/times")))
	done
	echo $n
}

# Targets run from copies on tmpfs ($STAGE: the binary, every library it
# needs, the loader, fault-self.so), started through the copied loader from
# inside $STAGE: a target then holds no file of the VM's 9p root at all
# (besides demand paging, closing a 9p file at exit needs a 9p request,
# which an injected failure also breaks).
STAGE=$WORK/stage
mkdir -p "$STAGE/lib"
stage_bin() {	# stage_bin BIN: copy BIN and its libraries into $STAGE
	local l
	cp "$1" "$STAGE/" || return 1
	for l in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
				    $1 ~ /^\/.*ld-linux/ { print $1 }'); do
		[ -e "$STAGE/lib/${l##*/}" ] || cp "$l" "$STAGE/lib/"
	done
}
stage_bin "$PING" || { echo "cannot stage $PING"; exit 1; }
cp "$FAULT_SELF" "$STAGE/lib/fault-self.so"
LDSO=$(cd "$STAGE/lib" && ls ld-linux*.so.* | head -1)
# staged BIN ARGS...: (in a subshell) become the staged BIN as a target
staged() {
	local b=${1##*/}
	shift
	cd "$STAGE" && exec "./lib/$LDSO" --library-path ./lib \
		--preload ./lib/fault-self.so "./$b" "$@"
}

# failing CMD...: run CMD with make-it-fail set once it is loaded
# (inherited by its threads and children; CMD must not exec from 9p),
# SIGKILLed after 120 s; prints the exit status (output goes to
# $WORK/failing.log). A process the SIGKILL cannot end (stuck in the
# kernel) hangs the test, and the runner's timeout fails it.
failing() {
	( staged "$@" ) >>"$WORK/failing.log" 2>&1 &
	local pid=$! i
	for i in $(seq 1200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	echo $?
}

# start_server NAME FAIL(0|1) ARGS...: sets SRV (pid) or returns 1 when
# the server did not come up (a clean failure when FAIL=1)
start_server() {
	local name=$1 f=$2 log=$WORK/$1.log i
	shift 2
	if [ "$f" = 1 ]; then
		( staged "$PING" --serve "$name" "$@" ) >"$log" 2>&1 &
	else
		"$PING" --serve "$name" "$@" >"$log" 2>&1 &
	fi
	SRV=$!
	PIDS+=("$SRV")
	for i in $(seq 300); do
		grep -q '^serving' "$log" && return 0
		kill -0 "$SRV" 2>/dev/null || return 1
		sleep 0.1
	done
	kill -KILL "$SRV" 2>/dev/null
	return 1
}

alive() {	# alive PID: exists and is not a zombie
	[ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# stop_server: SIGTERM, then SIGKILL; the server must be gone afterwards
stop_server() {
	local i
	kill -TERM "$SRV" 2>/dev/null
	for i in $(seq 100); do
		alive "$SRV" || break
		sleep 0.1
	done
	kill -KILL "$SRV" 2>/dev/null
	for i in $(seq 100); do
		alive "$SRV" || break
		sleep 0.1
	done
	if alive "$SRV"; then
		fail "server $SRV cannot be killed: $(cat /proc/$SRV/stack 2>/dev/null | head -5)"
		return 1
	fi
	wait "$SRV" 2>/dev/null
	return 0
}

clients() {	# clients NAME FAIL: the client mix; prints the exit codes
	local name=$1 f=$2 out=()
	local -a runs=(
		"-c 20 -s 100 --inline"
		"-c 10 -s 1048576 --mapped --offset 1"
		"-c 10 -s 8193 --mapped --offset 4095"
		"-c 10 -s 65536 --registered --offset 5"
		"-c 5 -s 4194304 --registered"
	)
	local r rc
	for r in "${runs[@]}"; do
		# shellcheck disable=SC2086
		if [ "$f" = 1 ]; then
			rc=$(failing "$PING" "$name" -q $r)
		else
			timeout -k 5 120 "$PING" "$name" -q $r >>"$WORK/clients.log" 2>&1
			rc=$?
		fi
		out+=("$rc")
	done
	echo "${out[*]}"
}

pins_balanced() {
	local i a r
	for i in $(seq 50); do
		echo 1 >/proc/sys/vm/stat_refresh 2>/dev/null
		a=$(awk '$1 == "nr_foll_pin_acquired" { print $2 }' /proc/vmstat)
		r=$(awk '$1 == "nr_foll_pin_released" { print $2 }' /proc/vmstat)
		[ "$a" = "$r" ] && return 0
		sleep 0.1
	done
	echo "nr_foll_pin_acquired $a != nr_foll_pin_released $r"
	return 1
}

# A clean run: server and every client kind must work.
clean_round() {	# clean_round LABEL
	local rc
	if ! start_server "fi-clean-$1" 0 --regbuf $((64 << 20)); then
		fail "$1: clean server does not start"
		cat "$WORK/fi-clean-$1.log"
		return
	fi
	rc=$(clients "fi-clean-$1" 0)
	if [ "$rc" = "0 0 0 0 0" ]; then
		pass "$1: ucchan-ping without injection works (exit codes $rc)"
	else
		fail "$1: ucchan-ping without injection: exit codes $rc"
		tail -20 "$WORK/clients.log"
	fi
	stop_server && pass "$1: server stopped"
}

KMEMLEAK=$DBG/kmemleak
if [ -w "$KMEMLEAK" ]; then
	# everything allocated so far (boot) is not ours to judge
	echo scan >"$KMEMLEAK"
	echo clear >"$KMEMLEAK"
else
	echo "note: no $KMEMLEAK (CONFIG_DEBUG_KMEMLEAK): leak check skipped"
	KMEMLEAK=
fi

echo "fault injection: ${ATTRS[*]}, probability $PROB%, $ROUNDS round(s)"
clean_round before
inject_on "$PROB"
for round in $(seq "$ROUNDS"); do
	for mode in client server both; do
		sf=0; cf=0
		[ "$mode" = client ] || sf=1
		[ "$mode" = server ] || cf=1
		name=fi-$mode-$round
		if start_server "$name" "$sf" --regbuf $((64 << 20)); then
			rc=$(clients "$name" "$cf")
			echo "round $round, failing $mode: client exit codes $rc"
			stop_server
		else
			echo "round $round, failing $mode: server did not come up (clean failure):" \
				"$(tail -1 "$WORK/$name.log")"
			stop_server
		fi
	done
done
n=$(injected_total)
echo "ucchan workload: $n failures injected ($(injected))"
inject_off
if [ "$n" -gt 0 ]; then
	pass "faults were injected into the ucchan workload"
else
	fail "no fault was injected (task filter not effective?)"
fi
clean_round after

# The fuzzer with failures: its own oracles do not hold when any
# allocation may fail (its exit status is only shown); what counts is the
# kernel log, the unload and kmemleak.
if [ -n "${UCCHAN_FUZZ:-}" ] && [ -x "${UCCHAN_FUZZ:-}" ] &&
   stage_bin "$UCCHAN_FUZZ"; then
	inject_on "$PROB"
	rc=$(failing "$UCCHAN_FUZZ" --seed 0xfa17 --ops 30000 --seconds 60 --procs 3)
	echo "ucchan-fuzz with failures: exit $rc, $(injected_total) failures injected ($(injected))"
	inject_off
	grep -E '^ucchan-fuzz: [0-9]+ ioctls' "$WORK/failing.log" | tail -1
	clean_round after-fuzz
else
	echo "note: UCCHAN_FUZZ not set: the fuzzer part is skipped"
fi

if pins_balanced; then
	pass "pinned pages balanced after the failures"
else
	fail "pinned pages leaked"
fi

# ---- zufs: zusd + memfs ----
if [ -n "${ZUSD:-}" ] && [ -x "${ZUSD:-}" ] && [ -n "${ZMFS_DIR:-}" ] &&
   grep -q '^zuf ' /proc/modules; then
	# lib.sh installs its own EXIT trap (unmount, stop zusd): chain ours
	# shellcheck source=/dev/null
	. "$ZMFS_DIR/lib.sh"
	trap 'cleanup; fi_cleanup' EXIT
	start_zusd "fi-zusd-$$"
	if mount_memfs; then
		pass "zufs: memfs mounted"
		inject_on "$PROB"
		# one process that does all the file work itself (no exec
		# from 9p under injection): the random data workload
		if [ -x "${ZMFS_RANDIO:-}" ] && stage_bin "$ZMFS_RANDIO"; then
			rc=$(failing "$ZMFS_RANDIO" -s 0xfa17 -n 3000 -l 262144 -q "$MNT/rand")
		else
			rc="skipped (no ZMFS_RANDIO)"
		fi
		echo "zufs file workload with failures: exit $rc"
		# now zusd's own threads fail, while a clean client works
		for t in /proc/"$ZUSD_PID"/task/*; do
			{ echo 1 >"$t/make-it-fail"; } 2>/dev/null
		done
		# Each operation is bounded: an error is fine, a wait for
		# ever is not (it was: every libucchan worker had given up
		# binding after failed copies, the service looked alive and
		# its callers waited for a worker; the last worker now keeps
		# trying). A stall dumps the tasks and fails.
		stalled=0
		for i in $(seq 60); do
			f=$MNT/z$((i % 10))
			timeout -s KILL 120 sh -c 'echo "x $2" >"$1"' _ "$f" "$i" 2>/dev/null
			[ $? = 137 ] && stalled=$((stalled + 1))
			timeout -s KILL 120 cat "$f" >/dev/null 2>&1
			[ $? = 137 ] && stalled=$((stalled + 1))
			timeout -s KILL 120 ls "$MNT" >/dev/null 2>&1
			[ $? = 137 ] && stalled=$((stalled + 1))
			if [ "$stalled" -gt 0 ]; then
				echo "operation $i stalled for 120 s: the blocked tasks:"
				dmesg -n 8
				echo w >/proc/sysrq-trigger
				sleep 2
				dmesg -n 4
				break
			fi
		done
		if [ "$stalled" = 0 ]; then
			pass "zufs: no operation stalled while zusd's threads failed"
		else
			fail "zufs: $stalled operation(s) stalled while zusd's threads failed"
		fi
		for t in /proc/"$ZUSD_PID"/task/*; do
			{ echo 0 >"$t/make-it-fail"; } 2>/dev/null
		done
		echo "zufs workload: $(injected_total) failures injected ($(injected))"
		inject_off
		echo "libucchan's lines in zusd's log ($(grep -c libucchan "$ZUSD_LOG") in all), the last 12:"
		grep libucchan "$ZUSD_LOG" | tail -12 | sed 's/^/    /'
		if kill -0 "$ZUSD_PID" 2>/dev/null; then
			# zusd survived: the mount must work again
			if timeout 120 sh -c 'echo clean >"$1" && [ "$(cat "$1")" = clean ]' _ "$MNT/after"; then
				pass "zufs: mount works after the failures"
			else
				fail "zufs: zusd survived the failures but its mount does not work (zusd log below)"
				tail -5 "$ZUSD_LOG"
			fi
		else
			echo "note: zusd exited under failures; its log:"
			tail -5 "$ZUSD_LOG"
		fi
		cd / || :
		if timeout -s KILL 300 umount "$MNT"; then
			rmdir "$MNT"
			MNT=
			pass "zufs: umount after the failures"
		else
			fail "zufs: umount after the failures (within 300 s)"
			umount -l "$MNT" 2>/dev/null
		fi
	else
		fail "zufs: mount without injection"
	fi
	zpid=$ZUSD_PID
	stop_zusd TERM || stop_zusd KILL
	if alive "$zpid"; then
		fail "zusd cannot be killed"
	else
		pass "zusd stopped"
	fi
	ZUSD_PID=
else
	echo "note: zusd or zuf.ko missing: zufs part skipped"
fi

if [ -n "$KMEMLEAK" ]; then
	# two scans: an object must look unreferenced twice to be reported
	echo scan >"$KMEMLEAK"
	sleep 2
	echo scan >"$KMEMLEAK"
	cat "$KMEMLEAK" >"$WORK/leaks"
	if [ -s "$WORK/leaks" ]; then
		nl=$(grep -c '^unreferenced object' "$WORK/leaks")
		# any leak fails (the runner sees kmemleak's line in the log
		# anyway); say whether a backtrace runs through our modules
		if grep -q '\[ucchan\]\|\[zuf\]' "$WORK/leaks"; then
			fail "kmemleak: $nl suspected leak(s), some through ucchan/zuf:"
		else
			fail "kmemleak: $nl suspected leak(s), none through ucchan/zuf (kernel's own, or false positives):"
		fi
		head -60 "$WORK/leaks"
		echo clear >"$KMEMLEAK"
	else
		pass "kmemleak: no leak"
	fi
fi

tap_done

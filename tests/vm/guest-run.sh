#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Guest side of vm-run: runs inside the VM, chrooted into the read-only host
# root. The run directory (in the read-write build-dir share) holds what the
# host prepared:
#   config.sh   settings (MODE, TIMEOUT, RUN_UID, PMEM, KMODS, LOAD, ...)
#   env.sh      exported environment for the command/tests
#   argv        NUL-separated command (MODE=cmd) or test list (MODE=tests)
#   bad-kernel-log.txt / ok-kernel-log.txt  kernel log patterns (grep -E)
# and gets back:
#   status      the exit status of the run
#   results     MODE=tests: "<index> <ok|not ok|skip> <seconds> <reason>" lines
#   dmesg.txt   the whole kernel log at the end
# The exit status is also printed as "ZUFS-VM-EXIT: <n>" on the console.

set -u
RUN=$1
cd /
# shellcheck source=/dev/null
. "$RUN/config.sh"

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=${TERM_HOST:-linux}

finish() {
	local rc=$1

	dmesg >"$RUN/dmesg.txt" 2>/dev/null
	echo "$rc" >"$RUN/status"
	sync
	echo "ZUFS-VM-EXIT: $rc"
	echo o >/proc/sysrq-trigger
	sleep 60
	exit "$rc"
}

log() {
	echo "vm-run(guest): $*"
}

# Kernel log lines that report a kernel bug. Prints them, returns 0 if any.
kernel_log_bad() {
	grep -E -f "$RUN/bad-kernel-log.txt" | grep -v -E -f "$RUN/ok-kernel-log.txt"
}

# Check the kernel log from line $1 on; print offenders; return 1 if any.
check_kernel_log_since() {
	local bad

	bad=$(dmesg | tail -n "+$(($1 + 1))" | kernel_log_bad)
	[ -z "$bad" ] && return 0
	log "kernel log reports a problem:"
	printf '%s\n' "$bad" | head -20
	return 1
}

setup_fs() {
	mountpoint -q /sys/kernel/debug ||
		mount -t debugfs debugfs /sys/kernel/debug
	mountpoint -q /sys/kernel/tracing ||
		mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	ln -sf /proc/self/fd /dev/fd 2>/dev/null
	hostname zufs-vm 2>/dev/null
	ip link set lo up 2>/dev/null
	echo "$HUNG_TASK_SECS" >/proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
	return 0
}

# modprobe, except on a kernel without a modules directory here: a kernel
# with every driver the runner needs built in (scripts/debug-kernel) has
# nothing to load, and the checks that follow (/dev/pmem0, the tests
# themselves) still catch a driver that is missing.
kmod() {
	if [ ! -d "/lib/modules/$(uname -r)" ]; then
		log "no /lib/modules/$(uname -r): $* must be built in"
		return 0
	fi
	modprobe "$@"
}

# --devdax: the emulated pmem becomes a device-DAX namespace, /dev/dax0.0
# (ndctl is the host's, seen through the 9p root; no udev: the node is
# devtmpfs's).
setup_devdax() {
	command -v ndctl >/dev/null || {
		log "--devdax: no ndctl on the host (scripts/setup installs it)"
		return 1
	}
	kmod -a dax_pmem device_dax || return 1
	if ! ndctl create-namespace --force --reconfig=namespace0.0 \
		--mode=devdax --map=mem >/tmp/ndctl.out 2>&1; then
		log "--devdax: ndctl create-namespace failed:"
		sed "s/^/    /" /tmp/ndctl.out
		return 1
	fi
	for _ in $(seq 50); do
		[ -c /dev/dax0.0 ] && break
		sleep 0.1
	done
	[ -c /dev/dax0.0 ] || { log "--devdax: no /dev/dax0.0"; return 1; }
}

load_modules() {
	local m

	if [ "$PMEM" = 1 ]; then
		kmod -a libnvdimm nd_btt nd_e820 nd_pmem || return 1
		for _ in $(seq 50); do
			[ -b /dev/pmem0 ] && break
			sleep 0.1
		done
		[ -b /dev/pmem0 ] || { log "no /dev/pmem0"; return 1; }
	fi
	if [ "${DEVDAX:-0}" = 1 ]; then
		setup_devdax || return 1
	fi
	for m in $KMODS; do
		kmod "$m" || { log "modprobe $m failed"; return 1; }
	done
	# What udev would do (there is no udev in the guest).
	[ ! -c /dev/fuse ] || chmod 0666 /dev/fuse
	for m in $LOAD; do
		insmod "$m" || { log "insmod $m failed"; return 1; }
	done
	return 0
}

# Unload our modules in reverse order: a module that cannot be unloaded
# after the tests leaked a reference.
unload_modules() {
	local m names=() i rc=0

	for m in $LOAD; do
		m=${m##*/}
		names+=("${m%.ko}")
	done
	for ((i = ${#names[@]} - 1; i >= 0; i--)); do
		if ! rmmod "${names[i]}"; then
			log "rmmod ${names[i]} failed (leaked reference?)"
			lsmod | grep -E "^${names[i]} " || true
			rc=1
		fi
	done
	return $rc
}

# Run "$@" as the configured user with a timeout. Returns its status
# (124: timed out).
run_one() {
	local t=$1 rc

	shift
	local pre=()
	if [ -n "$RUN_UID" ]; then
		pre=(setpriv "--reuid=$RUN_UID" "--regid=$RUN_GID" --clear-groups
		     env HOME=/tmp USER="$RUN_USER" LOGNAME="$RUN_USER")
	fi
	if [ "$t" -gt 0 ]; then
		timeout -k 10 "$t" "${pre[@]}" "$@" </dev/null
		rc=$?
		[ $rc = 137 ] && rc=124
	else
		"${pre[@]}" "$@" </dev/null
		rc=$?
	fi
	return $rc
}

setup_fs
# shellcheck source=/dev/null
. "$RUN/env.sh"
if [ -d "$CWD" ]; then cd "$CWD" || true; fi

log "modules: ${KMODS:-} ${LOAD:-}"
if ! load_modules; then
	finish 1
fi

mapfile -d '' -t ARGV <"$RUN/argv"

case "$MODE" in
shell)
	log "interactive shell; exit it to power off the VM"
	setsid -w -c /bin/bash -l </dev/ttyS0 >/dev/ttyS0 2>&1
	finish 0
	;;
cmd)
	log "running as ${RUN_USER:-root}: ${ARGV[*]}"
	run_one "$TIMEOUT" "${ARGV[@]}"
	rc=$?
	if [ $rc = 124 ] && [ "$TIMEOUT" -gt 0 ]; then
		log "TIMEOUT: command did not finish within ${TIMEOUT}s"
	elif [ $rc != 0 ]; then
		log "command exited with status $rc"
	fi
	;;
tests)
	rc=0
	: >"$RUN/results"
	for i in "${!ARGV[@]}"; do
		t=${ARGV[i]}
		log "=== test $((i + 1))/${#ARGV[@]}: $t (timeout ${TIMEOUT}s)"
		base=$(dmesg | wc -l)
		start=$(date +%s)
		run_one "$TIMEOUT" "$t"
		trc=$?
		secs=$(($(date +%s) - start))
		res=ok
		why=
		case $trc in
		0) ;;
		77) res=skip ;;
		124) res="not ok"; why="TIMEOUT after ${TIMEOUT}s" ;;
		*) res="not ok"; why="exit status $trc" ;;
		esac
		if ! check_kernel_log_since "$base"; then
			res="not ok"
			why="${why:+$why, }kernel log reports a problem"
		fi
		[ "$res" = "not ok" ] && rc=1
		log "=== $res: $t${why:+ ($why)}"
		echo "$((i + 1)) $res $secs $why" >>"$RUN/results"
	done
	;;
esac

if [ "$UNLOAD" = 1 ] && ! unload_modules; then
	rc=1
fi
# The whole log once more: anything since boot (also module unload).
if ! check_kernel_log_since 0; then
	rc=1
fi
finish "$rc"

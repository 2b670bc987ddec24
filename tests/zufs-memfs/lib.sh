# SPDX-License-Identifier: BSD-2-Clause
# Shared by the zufs-memfs VM tests: start zusd with the memfs plugin, mount
# it, clean up (unmount, stop zusd) on every exit. Results are TAP lines of
# the project's one shell test helper, tests/lib/check.sh (check, shown,
# pass, fail, skip, why); finish prints the plan.
#
# Environment (set by meson through vm-run --env): ZUSD (the zusd binary),
# ZMFS_HELPER (zmfs-helper), ZMFS_DIR (this directory), ZMFS_TRANSPORT:
#   zufs (default)  zusd serves a ucchan service, mount -t zufs (zuf.ko)
#   fuse            zusd --transport fuse --mount DIR: the same plugin over
#                   libfuse on the stock kernel's fuse.ko (no zufs modules);
#                   zusd exits when DIR is unmounted
# ZMFS_PLUGIN: the file system under test:
#   memfs (default)  the example plugin, source "memfs"
#   memfs-oh         its test build with per-open handles (ZUS_CAP_OPEN) and
#                    notifications (ZUS_CAP_NOTIFY), tests/libzus: every op
#                    on an open checks its handle; finish checks through
#                    its trusted.memfs_oh.stats that every open was
#                    released and no op had a wrong handle (oh_reached:
#                    which per-open ops the plugin saw)
#   pmemfs           pmemfs.so ($PMEMFS_PLUGIN, a path) on fresh media made
#                    by $MKFS_PMEMFS: /dev/dax0.0 (vm-run --devdax), else a
#                    file on ext4 -o dax on /dev/pmem0 (--pmem), else a
#                    file in /tmp; the media is the mount's source. The
#                    memfs options of setup (size=) are dropped.
# ZMFS_FUSE_OPTS: more zusd -o options over FUSE (readdirplus, timeout=).
# ZMFS_LONG=1: the programs' long forms (suite 'long', by hand): every
#   stress-ng stressor, dbench 15 s, fs_mark 2 loops, fio on 4 MiB files,
#   SQLite with 20000 rows, untar and git on the whole uapi header tree
#   (954 entries); unset, the short forms CI runs (a dozen stressors, one
#   per kind of path, dbench 5 s, fs_mark 1 loop, fio on 2 MiB, 5000 rows,
#   7 nested uapi directories with 242 entries: tree_dirs). Both forms run
#   every program and every check.
# A check that differs by design on one transport says so with
# skip_on TRANSPORT NAME REASON (posix_cases.py reads ZMFS_TRANSPORT too).
# shellcheck shell=bash
set -u
# shellcheck source=../lib/check.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
ZMFS_TRANSPORT=${ZMFS_TRANSPORT:-zufs}
export ZMFS_TRANSPORT
ZMFS_PLUGIN=${ZMFS_PLUGIN:-memfs}
export ZMFS_PLUGIN
ZMFS_LONG=${ZMFS_LONG:-}
ZMFS_FUSE_OPTS=${ZMFS_FUSE_OPTS:-}
ZMFS_PLUGIN_SPEC=memfs	# what zusd --plugin gets
[ "$ZMFS_PLUGIN" != memfs-oh ] || ZMFS_PLUGIN_SPEC=memfs-oh
ZMFS_SOURCE=memfs	# the mount's source
ZMFS_DAXMNT=
ZUSD_PID=
ZUSD_LOG=
MNT=
SVC=

# skip_on TRANSPORT NAME REASON: true (and the skip is counted) when the
# test runs over TRANSPORT; use as: skip_on fuse NAME WHY || check NAME ...
skip_on() {
	[ "$ZMFS_TRANSPORT" = "$1" ] || return 1
	skip "$2" "$1: $3"
}

# need_zusd: exit 77 (skip) when zusd was not built, or (fuse) has no FUSE
# transport or the guest no /dev/fuse.
need_zusd() {
	if [ -z "${ZUSD:-}" ] || [ ! -x "$ZUSD" ]; then
		echo "SKIP: zusd is not built (${ZUSD:-ZUSD unset})"
		exit 77
	fi
	[ "$ZMFS_TRANSPORT" = fuse ] || return 0
	if "$ZUSD" --transport fuse --plugin memfs 2>&1 | grep -q "without libfuse"; then
		echo "SKIP: zusd was built without libfuse 3 (no --transport fuse; install libfuse3-dev)"
		exit 77
	fi
	if [ ! -c /dev/fuse ]; then
		echo "SKIP: no /dev/fuse in the guest (vm-run --kmod fuse)"
		exit 77
	fi
}

# pmemfs: make the media (once per script) and point the source at it.
pmemfs_media() {
	local f
	[ "$ZMFS_PLUGIN" = pmemfs ] || return 0
	if [ -n "${ZMFS_MEDIA:-}" ]; then	# made already: keep it
		ZMFS_PLUGIN_SPEC=$PMEMFS_PLUGIN
		ZMFS_SOURCE=$ZMFS_MEDIA
		return 0
	fi
	if [ -z "${PMEMFS_PLUGIN:-}" ] || [ ! -e "$PMEMFS_PLUGIN" ] ||
	   [ -z "${MKFS_PMEMFS:-}" ] || [ ! -x "$MKFS_PMEMFS" ]; then
		echo "SKIP: pmemfs is not built (PMEMFS_PLUGIN, MKFS_PMEMFS)"
		exit 77
	fi
	if [ -c /dev/dax0.0 ]; then
		ZMFS_MEDIA=/dev/dax0.0
		"$MKFS_PMEMFS" -f -q "$ZMFS_MEDIA" || exit 1
	elif [ -b /dev/pmem0 ]; then
		ZMFS_DAXMNT=$(mktemp -d /tmp/zmfs-dax.XXXXXX)
		mkfs.ext4 -q -F /dev/pmem0 &&
			mount -t ext4 -o dax /dev/pmem0 "$ZMFS_DAXMNT" || exit 1
		ZMFS_MEDIA=$ZMFS_DAXMNT/pmemfs.img
		"$MKFS_PMEMFS" -q -s 400m "$ZMFS_MEDIA" || exit 1
	else
		f=$(mktemp /tmp/zmfs-pmemfs.XXXXXX)
		ZMFS_MEDIA=$f
		"$MKFS_PMEMFS" -f -q -s 256m "$ZMFS_MEDIA" || exit 1
	fi
	echo "# pmemfs on $ZMFS_MEDIA"
	export ZMFS_MEDIA
	ZMFS_PLUGIN_SPEC=$PMEMFS_PLUGIN
	ZMFS_SOURCE=$ZMFS_MEDIA
}

start_zusd() {	# start_zusd SERVICE [ZUSD OPTIONS...]: start, wait until ready
	local svc=$1 fifo
	shift
	need_zusd
	pmemfs_media
	fifo=$(mktemp -u /tmp/zmfs-ready.XXXXXX)
	mkfifo "$fifo"
	ZUSD_LOG=/tmp/zusd-$svc.log
	"$ZUSD" --plugin "$ZMFS_PLUGIN_SPEC" --service "$svc" --ready-fd 3 "$@" \
		3>"$fifo" 2>>"$ZUSD_LOG" &
	ZUSD_PID=$!
	SVC=$svc
	if ! read -r -N 1 -t 60 _ <"$fifo"; then
		rm -f "$fifo"
		echo "FAIL: zusd did not become ready; its log:"
		sed 's/^/    /' "$ZUSD_LOG"
		exit 1
	fi
	rm -f "$fifo"
}

# stop_zusd [SIGNAL]: default TERM (zusd exits when nothing is mounted);
# fails when zusd does not exit within 30 s.
stop_zusd() {
	local sig=${1:-TERM}
	[ -n "$ZUSD_PID" ] || return 0
	kill "-$sig" "$ZUSD_PID" 2>/dev/null
	for _ in $(seq 1 60); do
		kill -0 "$ZUSD_PID" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$ZUSD_PID" 2>/dev/null; then
		echo "zusd (pid $ZUSD_PID) ignored SIG$sig for 30 s: SIGKILL"
		kill -KILL "$ZUSD_PID" 2>/dev/null
		wait "$ZUSD_PID" 2>/dev/null
		ZUSD_PID=
		return 1
	fi
	wait "$ZUSD_PID" 2>/dev/null
	ZUSD_PID=
	return 0
}

mount_memfs() {	# mount_memfs [EXTRA OPTIONS]: mount SVC's memfs on a new $MNT
	MNT=$(mktemp -d /tmp/zmfs-mnt.XXXXXX)
	chmod 755 "$MNT"
	mount -t zufs -o "service=$SVC,fs=$ZMFS_PLUGIN${1:+,$1}" "$ZMFS_SOURCE" "$MNT"
}

# fuse: zusd mounts memfs on a new $MNT itself and serves until unmounted.
start_fuse() {	# start_fuse NAME [OPTIONS]
	local fifo opts=${2:-}
	need_zusd
	[ -z "$ZMFS_FUSE_OPTS" ] || opts=${opts:+$opts,}$ZMFS_FUSE_OPTS
	pmemfs_media
	MNT=$(mktemp -d /tmp/zmfs-mnt.XXXXXX)
	chmod 755 "$MNT"
	fifo=$(mktemp -u /tmp/zmfs-ready.XXXXXX)
	mkfifo "$fifo"
	ZUSD_LOG=/tmp/zusd-$1.log
	"$ZUSD" --transport fuse --plugin "$ZMFS_PLUGIN_SPEC" --mount "$MNT" \
		--source "$ZMFS_SOURCE" \
		${opts:+-o "$opts"} --ready-fd 3 3>"$fifo" 2>>"$ZUSD_LOG" &
	ZUSD_PID=$!
	if ! read -r -N 1 -t 60 _ <"$fifo"; then
		rm -f "$fifo"
		echo "FAIL: zusd --transport fuse did not mount; its log:"
		sed 's/^/    /' "$ZUSD_LOG"
		exit 1
	fi
	rm -f "$fifo"
	# the first request waits for FUSE's INIT: make sure it is done
	stat "$MNT" >/dev/null
}

umount_memfs() {
	[ -n "$MNT" ] || return 0
	cd / || return 1
	umount "$MNT" || return 1
	rmdir "$MNT"
	MNT=
}

# fuse: zusd exits by itself once unmounted (within 30 s).
wait_zusd_exit() {
	for _ in $(seq 1 60); do
		kill -0 "$ZUSD_PID" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$ZUSD_PID" 2>/dev/null; then
		echo "zusd (pid $ZUSD_PID) still runs 30 s after the unmount"
		return 1
	fi
	wait "$ZUSD_PID"
	local rc=$?
	ZUSD_PID=
	[ "$rc" = 0 ] || echo "zusd exited with status $rc"
	[ "$rc" = 0 ]
}

# setup [EXTRA MOUNT OPTIONS]: zusd on a service named after the test, and
# a mount; exits 1 when either fails.
setup() {
	case $ZMFS_PLUGIN in		# size= is memfs's
	memfs | memfs-oh) ;;
	*) set -- "" ;;
	esac
	if [ "$ZMFS_TRANSPORT" = fuse ]; then
		start_fuse "zmfs-$(basename "$0" .sh)-$$" "${1:-}"
		return
	fi
	start_zusd "zmfs-$(basename "$0" .sh)-$$"
	if ! mount_memfs "${1:-}"; then
		echo "FAIL: mount -t zufs ($ZMFS_PLUGIN) failed; zusd log:"
		sed 's/^/    /' "$ZUSD_LOG"
		exit 1
	fi
}

cleanup() {
	cd / || :
	if [ -n "$MNT" ] && mountpoint -q "$MNT"; then
		umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
	fi
	[ -n "$MNT" ] && rmdir "$MNT" 2>/dev/null
	MNT=
	if [ -n "$ZUSD_PID" ]; then
		kill -TERM "$ZUSD_PID" 2>/dev/null
		sleep 1
		kill -KILL "$ZUSD_PID" 2>/dev/null
		wait "$ZUSD_PID" 2>/dev/null
		ZUSD_PID=
	fi
	if [ -n "$ZMFS_DAXMNT" ]; then
		umount "$ZMFS_DAXMNT" 2>/dev/null && rmdir "$ZMFS_DAXMNT"
		ZMFS_DAXMNT=
	fi
}
trap cleanup EXIT

# memfs-oh: its counters (trusted.memfs_oh.stats of any inode), one
# "name=N" a line.
oh_stats() {
	python3 -c 'import os, sys
print(os.getxattr(sys.argv[1], "trusted.memfs_oh.stats").decode())' "$MNT" |
		tr ' ' '\n'
}

oh_stat() {	# oh_stat NAME: one counter, as a number
	local v
	v=$(oh_stats | sed -n "s/^$1=//p")
	echo $((10#${v:-0}))
}

# oh_reached OP...: memfs-oh's per-open ops OP (open create opendir
# flush release releasedir fsyncdir, and fsync) each ran at least once.
oh_reached() {
	local op missing=
	oh_stats >"$CHECK_OUT.oh" 2>&1
	for op in "$@"; do
		[ "$(oh_stat "$op")" -gt 0 ] || missing="$missing $op"
	done
	if [ -z "$missing" ]; then
		pass "memfs-oh: the plugin saw $*"
	else
		fail "memfs-oh: the plugin never saw:$missing"
		sed 's/^/#   /' "$CHECK_OUT.oh"
	fi
	rm -f "$CHECK_OUT.oh"
}

# memfs-oh: every open released (FUSE sends RELEASE after close(2)
# returned: wait up to 20 s), and no op had a wrong handle.
oh_no_leaks() {
	for _ in $(seq 1 40); do
		[ "$(oh_stat live)" = 0 ] && break
		sleep 0.5
	done
	oh_stats
	[ "$(oh_stat live)" = 0 ] && [ "$(oh_stat bad)" = 0 ]
}

# finish: unmount and stop zusd (both must work), print the plan, exit
# 0 (all passed), 1 (a failure); skipped subtests are listed, not hidden.
finish() {
	if [ -n "$MNT" ] && [ "$ZMFS_PLUGIN" = memfs-oh ]; then
		check "memfs-oh: every open released, no wrong handle" oh_no_leaks
	fi
	if [ -n "$MNT" ]; then
		check "umount" umount_memfs
	fi
	if [ -n "$ZUSD_PID" ] && [ "$ZMFS_TRANSPORT" = fuse ]; then
		check "zusd (fuse) exits once unmounted" wait_zusd_exit
	elif [ -n "$ZUSD_PID" ]; then
		check "zusd exits on SIGTERM once unmounted" stop_zusd TERM
	fi
	if [ "$ZMFS_PLUGIN" = memfs-oh ] && [ -n "$ZUSD_LOG" ]; then
		check "memfs-oh: no handle left at its umount" \
			grep -q "memfs-oh: umount: .* bad=0* live=0* mount_flags=[0-9]*$" "$ZUSD_LOG"
		# the plugin's destroy ran once, after its umount
		check "memfs-oh: destroy once, after the umount" awk '
			/memfs-oh: umount:/ { u = 1 }
			/memfs-oh: destroy$/ { d++; if (!u) early = 1 }
			END { exit !(d == 1 && !early) }' "$ZUSD_LOG"
	fi
	# OH_UMOUNT_NOTIFY (notify.sh): memfs-oh notified in its umount
	if [ -n "${OH_UMOUNT_NOTIFY:-}" ] && [ -n "$ZUSD_LOG" ]; then
		check "memfs-oh: a notification in umount is -ESHUTDOWN (-108)" \
			grep -q "notify_inval_inode in umount: -108\$" "$ZUSD_LOG"
	fi
	if [ -n "$ZUSD_LOG" ] && grep -qi "error\|assert\|abort" "$ZUSD_LOG"; then
		echo "zusd log (errors):"
		grep -i "error\|assert\|abort" "$ZUSD_LOG" | head -20 | sed 's/^/    /'
	fi
	trap - EXIT
	cleanup
	tap_done
	exit $?
}

# tree_dirs: the directories of the kernel headers' tree (relative to
# /usr/src/linux-headers-*-common) that prog-untar and prog-git copy.
tree_dirs() {
	if [ -n "$ZMFS_LONG" ]; then
		echo include/uapi
	else
		echo include/uapi/asm-generic include/uapi/drm \
			include/uapi/linux/netfilter include/uapi/misc \
			include/uapi/rdma include/uapi/scsi include/uapi/sound
	fi
}

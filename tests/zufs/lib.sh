# SPDX-License-Identifier: BSD-2-Clause
# Shared by the zufs VM tests: start zufs-testsrv, mount, check, clean up.
# shellcheck shell=bash
set -u
# shellcheck source=../lib/check.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
SRV_PID=
MNT=

# check, fails_with, pass, fail, skip: tests/lib/check.sh

start_server() {	# start_server SERVICE [EVIL]
	[ -x "${ZUFS_TESTSRV:-}" ] || { echo "SKIP: no ZUFS_TESTSRV"; exit 77; }
	coproc SRV { exec "$ZUFS_TESTSRV" "$@"; }
	SRV_PID=$SRV_PID
	local line=
	read -r -t 20 line <&"${SRV[0]}" || true
	[ "$line" = ready ] || { echo "FAIL: zufs-testsrv did not start"; exit 1; }
}

srv_counts() {	# fill COUNTS[opcode] (requests so far) and OPEN_FH
	local line
	kill -USR1 "$SRV_PID" || return 1
	read -r -t 20 line <&"${SRV[0]}" || return 1
	# shellcheck disable=SC2086
	set -- $line
	[ "$1" = counts ] || return 1
	shift
	COUNTS=(0 "$@")
	OPEN_FH=${COUNTS[-1]#open=}
}

# python: linkat(fd, name) links an open (O_TMPFILE) file, following the
# /proc/self/fd magic link (os.link() calls link(2), which does not)
PY_LINKAT='import ctypes, os
def linkat(fd, name):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.linkat(-100, b"/proc/self/fd/%d" % fd, -100, name.encode(), 0x400):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
'

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

stop_server() {
	[ -n "${SRV_PID:-}" ] || return 0
	kill -9 "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=
}

mount_zufs() {	# mount_zufs SERVICE
	MNT=$(mktemp -d /tmp/zufs-mnt.XXXXXX)
	mount -t zufs -o "service=$1,fs=testfs" testsrc "$MNT"
}

cleanup() {
	if [ -n "$MNT" ]; then
		umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
		rmdir "$MNT" 2>/dev/null
	fi
	stop_server
}
trap cleanup EXIT

finish() {
	cleanup
	trap - EXIT
	tap_done
	exit $?
}

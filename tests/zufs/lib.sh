# SPDX-License-Identifier: BSD-2-Clause
# Shared by the zufs VM tests: start zufs-testsrv, mount, check, clean up.
# shellcheck shell=bash
set -u
fails=0
SRV_PID=
MNT=

check() {	# check NAME CMD...: CMD must succeed
	local name=$1
	shift
	if "$@" >/tmp/zufs-check.out 2>&1; then
		echo "ok: $name"
	else
		echo "FAIL: $name"
		sed 's/^/    /' /tmp/zufs-check.out | head -20
		fails=$((fails + 1))
	fi
}

fails_with() {	# fails_with NAME ERRTEXT CMD...: CMD must fail, saying ERRTEXT
	local name=$1 want=$2
	shift 2
	if "$@" >/tmp/zufs-check.out 2>&1; then
		echo "FAIL: $name (succeeded)"
		fails=$((fails + 1))
	elif grep -q -- "$want" /tmp/zufs-check.out; then
		echo "ok: $name"
	else
		echo "FAIL: $name (want '$want')"
		sed 's/^/    /' /tmp/zufs-check.out | head -20
		fails=$((fails + 1))
	fi
}

start_server() {	# start_server SERVICE [EVIL]
	[ -x "${ZUFS_TESTSRV:-}" ] || { echo "SKIP: no ZUFS_TESTSRV"; exit 77; }
	coproc SRV { exec "$ZUFS_TESTSRV" "$@"; }
	SRV_PID=$SRV_PID
	local line=
	read -r -t 20 line <&"${SRV[0]}" || true
	[ "$line" = ready ] || { echo "FAIL: zufs-testsrv did not start"; exit 1; }
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
	echo "$fails failure(s)"
	[ "$fails" = 0 ]
	exit $?
}

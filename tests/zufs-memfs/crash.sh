#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# zusd dies (SIGKILL) while applications work on its memfs mount:
#   - a create/write/read loop, a large write in flight, a process with an
#     open file, a process with a shared mapping: each gets EIO (SIGBUS for
#     a not yet faulted page), none hangs;
#   - stat/create/readdir on the dead mount: EIO; umount works;
#   - zusd --reattach cannot take over a memfs mount (no identity: its
#     files died with zusd): the mount stays dead, the log says why;
#   - zusd restarted on the same service: a new mount works;
#   - twice, then zusd refuses the first SIGTERM while mounted.
# The runner then unloads zuf.ko and ucchan.ko and checks the kernel log.
. "$(dirname "$0")/lib.sh"

need_zusd
svc=zmfs-crash-$$

kill_cycle() {	# kill_cycle N
	local n=$1 loop big holder rc
	start_zusd "$svc"
	check "[$n] mount" mount_memfs
	mkdir "$MNT/w"
	(
		cd "$MNT/w" || exit 2
		i=0
		while :; do
			echo "$i" > "f$((i % 50))" || exit 3
			cat "f$((i % 50))" >/dev/null || exit 3
			ls >/dev/null || exit 3
			i=$((i + 1))
		done
	) 2>/tmp/zmfs-loop.err &
	loop=$!
	(	# large writes, over and over (memfs is in RAM: no ENOSPC)
		while :; do
			dd if=/dev/zero of="$MNT/big" bs=4M count=16 \
				conv=notrunc status=none || exit 3
		done
	) 2>/tmp/zmfs-dd.err &
	big=$!
	# an open file and a mapping made before the death, used after it
	python3 - "$MNT" >/tmp/zmfs-holder.out 2>&1 <<'PY' &
import errno, mmap, os, signal, sys, time
d = sys.argv[1]
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
fd = os.open(d + "/held", os.O_CREAT | os.O_RDWR, 0o644)
os.pwrite(fd, b"h" * 3 * 4096, 0)
m = mmap.mmap(fd, 3 * 4096, mmap.MAP_SHARED)
# no read-ahead: page 2 must not be in the page cache when zusd dies
# (cached pages stay readable through the mapping; a page never read
# must fail with SIGBUS, not hang)
m.madvise(mmap.MADV_RANDOM)
_ = m[0]                         # page 0 faulted in now
print("ready", flush=True)
signal.sigwait([signal.SIGUSR1])
try:
    os.pread(fd, 10, 0)
    print("pread: succeeded")
except OSError as e:
    print("pread:", errno.errorcode[e.errno])
try:
    os.pwrite(fd, b"x", 0)
    print("pwrite: succeeded")
except OSError as e:
    print("pwrite:", errno.errorcode[e.errno])
sys.stdout.flush()
pid = os.fork()
if pid == 0:                     # a page never faulted: must be SIGBUS
    _ = m[2 * 4096]
    os._exit(0)
_, st = os.waitpid(pid, 0)
print("unfaulted page:", "SIGBUS" if os.WIFSIGNALED(st) and
      os.WTERMSIG(st) == signal.SIGBUS else "status %d" % st)
m.close()
os.close(fd)
print("closed", flush=True)
PY
	holder=$!
	for _ in $(seq 1 100); do
		grep -q ready /tmp/zmfs-holder.out && break
		sleep 0.2
	done
	check "[$n] holder ready" grep -q ready /tmp/zmfs-holder.out
	sleep 3
	check "[$n] workload still running before the kill" kill -0 "$loop"
	kill -KILL "$ZUSD_PID"
	wait "$ZUSD_PID" 2>/dev/null
	ZUSD_PID=
	# bounded waits: a hang is a failure, not a stuck test
	rc=0
	timeout 60 tail --pid="$loop" -f /dev/null || echo "loop still running after 60 s"
	wait "$loop" || rc=$?
	check "[$n] loop stopped with an error (exit $rc)" test "$rc" = 3
	check "[$n] loop saw EIO" grep -q "Input/output error" /tmp/zmfs-loop.err
	rc=0
	timeout 60 tail --pid="$big" -f /dev/null || echo "dd still running after 60 s"
	wait "$big" || rc=$?
	check "[$n] large writes stopped with an error (exit $rc)" test "$rc" = 3
	check "[$n] large write saw EIO" grep -q "Input/output error" /tmp/zmfs-dd.err
	kill -USR1 "$holder"
	timeout 60 tail --pid="$holder" -f /dev/null || echo "holder still running after 60 s"
	wait "$holder"
	sed 's/^/    holder: /' /tmp/zmfs-holder.out
	check "[$n] pread on an open file: EIO" grep -q "pread: EIO" /tmp/zmfs-holder.out
	check "[$n] pwrite on an open file: EIO" grep -q "pwrite: EIO" /tmp/zmfs-holder.out
	check "[$n] unfaulted mapped page: SIGBUS" grep -q "unfaulted page: SIGBUS" /tmp/zmfs-holder.out
	check "[$n] holder closed its file" grep -q closed /tmp/zmfs-holder.out
	fails_eio() { ! "$@" 2>/tmp/zmfs-eio.err && grep -q "Input/output error" /tmp/zmfs-eio.err; }
	check "[$n] stat after death: EIO" fails_eio stat "$MNT/w/f1"
	check "[$n] create after death: EIO" fails_eio touch "$MNT/new"
	check "[$n] readdir after death: EIO" fails_eio ls "$MNT/w"
	check "[$n] statfs after death: EIO" fails_eio stat -f "$MNT"
	if [ "$n" = 1 ]; then
		# memfs has no identity (its files died with zusd): a zusd
		# --reattach must leave the mount dead, and say why
		start_zusd "$svc" --reattach
		for _ in $(seq 1 60); do
			grep -q -- "--reattach: .* re-attached" "$ZUSD_LOG" && break
			sleep 0.5
		done
		check "[$n] zusd --reattach: memfs has no identity" \
			grep -q "cannot re-attach: Operation not supported (its file system has no identity" "$ZUSD_LOG"
		check "[$n] ... and re-attached none" grep -q -- "--reattach: 0 mount(s)" "$ZUSD_LOG"
		check "[$n] the mount stays dead: EIO" fails_eio stat -f "$MNT"
		kill -KILL "$ZUSD_PID"
		wait "$ZUSD_PID" 2>/dev/null
		ZUSD_PID=
	fi
	check "[$n] umount after death" timeout 60 umount "$MNT"
	rmdir "$MNT"
	MNT=
}

kill_cycle 1
kill_cycle 2

start_zusd "$svc"
check "mount after two restarts" mount_memfs
check "works after restart" sh -c "echo ok > $MNT/x && [ \"\$(cat $MNT/x)\" = ok ]"
check "new mount is empty (memfs state died with zusd)" sh -c "[ \"\$(ls $MNT)\" = x ]"
kill -TERM "$ZUSD_PID"
sleep 2
check "zusd refuses the first SIGTERM while mounted" kill -0 "$ZUSD_PID"
check "mount still works after the refused SIGTERM" cat "$MNT/x"
finish

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Compaction and reclaim never write back through the server: with dirty
# mmap pages of a memfs file and zusd stopped (SIGSTOP), compacting memory
# must finish (zuf's migrate_folio moves dirty pages; writepage redirties
# when called for reclaim). Before, compaction wrote each dirty page back
# through the stopped server (fallback_migrate_folio -> writeout ->
# writepage) and hung: the kernel's hung-task detector (20 s in the
# guest) reports it, and this script gives up after 300 s.
. "$(dirname "$0")/lib.sh"

[ -w /proc/sys/vm/compact_memory ] || {
	echo "SKIP: no /proc/sys/vm/compact_memory (CONFIG_COMPACTION)"
	exit 77
}
setup size=256m

# no periodic or age-based writeback while zusd is stopped: only
# compaction could call the server
old_wb=$(cat /proc/sys/vm/dirty_writeback_centisecs)
old_exp=$(cat /proc/sys/vm/dirty_expire_centisecs)
restore_vm() {
	echo "$old_wb" > /proc/sys/vm/dirty_writeback_centisecs
	echo "$old_exp" > /proc/sys/vm/dirty_expire_centisecs
}
echo 0 > /proc/sys/vm/dirty_writeback_centisecs
echo 360000 > /proc/sys/vm/dirty_expire_centisecs

# 16 MiB, every page dirtied through a shared mapping, mapping kept
rm -f /tmp/zmfs-compact.go
mkfifo /tmp/zmfs-compact.go
python3 - "$MNT/f" <<'PY' &
import mmap, os, sys, time
n = 16 << 20
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, n)
m = mmap.mmap(fd, n, mmap.MAP_SHARED)
for off in range(0, n, 4096):
    m[off:off + 8] = (off // 4096).to_bytes(8, "little")
print("dirty", flush=True)
sys.stdin = open("/tmp/zmfs-compact.go")
sys.stdin.read(1)
for off in range(0, n, 4096):
    assert m[off:off + 8] == (off // 4096).to_bytes(8, "little"), off
m.flush()
m.close()
os.close(fd)
print("verified", flush=True)
PY
mapper=$!
for _ in $(seq 1 600); do
	[ "$(awk '/^Dirty:/ {print $2}' /proc/meminfo)" -ge 12288 ] && break
	kill -0 "$mapper" 2>/dev/null || break
	sleep 0.5
done
grep -E '^(Dirty|Writeback):' /proc/meminfo

kill -STOP "$ZUSD_PID"
echo 1 > /proc/sys/vm/compact_memory &
compactor=$!
done_ok=0
for _ in $(seq 1 600); do
	if ! kill -0 "$compactor" 2>/dev/null; then
		done_ok=1
		break
	fi
	sleep 0.5
done
if [ "$done_ok" = 1 ]; then
	pass "compaction finished with zusd stopped"
else
	fail "compaction did not finish with zusd stopped"
fi
grep -E '^(Dirty|Writeback):' /proc/meminfo
grep -E '^(compact_(migrate_scanned|isolated|success|fail)|pgmigrate_(success|fail)) ' /proc/vmstat
kill -CONT "$ZUSD_PID"
wait "$compactor"
restore_vm
echo go > /tmp/zmfs-compact.go
check "mapped data intact after compaction" wait "$mapper"
check "file contents" python3 -c "
import sys
d = open('$MNT/f', 'rb').read()
assert len(d) == 16 << 20
for off in range(0, len(d), 4096):
    assert d[off:off + 8] == (off // 4096).to_bytes(8, 'little'), off
"
rm -f /tmp/zmfs-compact.go "$MNT/f"
finish

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# zufs-mixed-vm (suite vm): the short form of bench-mixed on zusd + memfs,
# asserting behaviour, never a time:
#   - four zufs-mixed processes, 300 operations each (metadata ops and
#     readv/writev/preadv/pwritev of 2..8 segments), all finish, data
#     verified, nothing left behind;
#   - a pwritev and a preadv of 8 segments of 100 bytes cost the zufs
#     calls of one 800-byte pwrite / pread (the service's ucchan
#     counters): the iovec fits in the copy area, so zuf does not split it
#     per segment.
# ZUFS_MIXED: the zufs-mixed binary; ZUSD, ZMFS_DIR as for tests/zufs-memfs.
. "${ZMFS_DIR:?}/lib.sh"

MIXED=${ZUFS_MIXED:-}
if [ -z "$MIXED" ] || [ ! -x "$MIXED" ]; then
	echo "SKIP: zufs-mixed is not built (${MIXED:-ZUFS_MIXED unset})"
	exit 77
fi
need_zusd
setup size=256m

out=/tmp/zufs-mixed-vm.out
mixed() {
	"$MIXED" -p 4 -n 300 -d 600 -s 13 -l memfs "$MNT" >"$out" 2>&1
	local rc=$?
	sed 's/^/#   /' "$out"
	return $rc
}
check "zufs-mixed: 4 processes x 300 ops exit 0" mixed
check "zufs-mixed: every process did its 300 ops without an error" \
	test "$(grep -Ec '^zufs-mixed label=memfs proc=[0-3] ops=300 .*errors=0' "$out")" = 4
check "zufs-mixed: data read back and verified" \
	grep -Eq '^zufs-mixed label=memfs total procs=4 ops=1200 .*verified=[1-9][0-9]* errors=0 ' "$out"
check "zufs-mixed: nothing left behind" test -z "$(ls -A "$MNT")"

# calls_of OP: zufs calls (the service's ucchan "total" calls) of one
# 800-byte pwrite or pread on an open file, then of the same as an
# 8-segment OP (pwritev or preadv): "ONE VEC". Not an absolute count: the
# first write to a file also costs a GETXATTR (security.capability, from
# file_remove_privs; an untimed write comes first) and a read may update
# the atime; the one-buffer call is the reference.
stats=/sys/kernel/debug/ucchan/$SVC/stats
calls_of() {
	python3 - "$1" "$MNT/vec" "$stats" <<'PY'
import os, sys
op, path, stats = sys.argv[1:4]
def calls():
    with open(stats) as f:
        for line in f:
            w = line.split()
            if w and w[0] == "total":
                return int(w[1])
    raise SystemExit("no total line in " + stats)
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
segs = [bytes([65 + i]) * 100 for i in range(8)]
data = b"".join(segs)
bufs = [bytearray(100) for _ in range(8)]
os.pwrite(fd, data, 0)	# the first write's GETXATTR, before counting
c0 = calls()
n1 = os.pwrite(fd, data, 0) if op == "pwritev" else len(os.pread(fd, 800, 0))
c1 = calls()
n8 = os.pwritev(fd, segs, 0) if op == "pwritev" else os.preadv(fd, bufs, 0)
c8 = calls()
os.close(fd)
if n1 != 800 or n8 != 800 or (op == "preadv" and [bytes(b) for b in bufs] != segs):
    raise SystemExit(op + ": " + str(n1) + ", " + str(n8) + " bytes or wrong data")
print(c1 - c0, c8 - c1)
PY
}
as_one_call() {	# as_one_call OP
	local one vec
	read -r one vec <<<"$(calls_of "$1")" || return 1
	echo "#   800 bytes in 1 buffer: $one zufs call(s), as $1 of 8 segments: $vec"
	[ -n "$one" ] && [ "$vec" = "$one" ]
}
if [ -r "$stats" ]; then
	check "pwritev of 8 segments: the zufs calls of one buffer" as_one_call pwritev
	check "preadv of 8 segments: the zufs calls of one buffer" as_one_call preadv
	rm -f "$MNT/vec"
else
	skip "8-segment iovecs: 1 zufs call" "no $stats"
fi
finish

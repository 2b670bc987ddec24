#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# events.py's trace parser on a hand-written trace (events-selftest.trace:
# one loop of 2 iterations, a FUSE-like pread): the counts per iteration,
# the client's marker writes left out; system calls by type.
#
#   events-selftest.sh EVENTS_PY TRACE
set -u
py=${1:?usage: events-selftest.sh EVENTS_PY TRACE}
trace=${2:?}
out=$(python3 "$py" parse --server '^zusd$' "$trace") || { echo "FAIL: parse exited $?"; exit 1; }
echo "$out"
want='events label=fuse n=2 sys=1.00 sys_c=0.50 sys_s=0.50 csw=0.50 as_sw=0.50 as_fl=0.00 wake=0.50 xwake=0.50 ipi_rs=0.00 ipi_cf=0.50 tlb_rx=0.50 tlb_tx=0.00 tlb_lo=0.00 pf=0.50 pf_c=0.00 pf_s=0.50 pf_k=0.00 io_c=2048 io_s=40.00 tick=0.00 op=pread_4k'
if [ "$(echo "$out" | head -1)" = "$want" ]; then
	echo "ok: counts per iteration"
else
	echo "FAIL: want: $want"
	exit 1
fi
want='events-sys label=fuse n=2 c:pread64=0.50 s:writev=0.50 op=pread_4k'
if [ "$(echo "$out" | sed -n 2p)" = "$want" ]; then
	echo "ok: system calls by type (the end marker's write left out)"
else
	echo "FAIL: want: $want"
	exit 1
fi
tab=$(echo "$out" | python3 "$py" table /dev/stdin) || { echo "FAIL: table"; exit 1; }
echo "$tab" | grep -q '^| pread_4k | fuse | pread64 0.50 | writev 0.50 | - |$' ||
	{ echo "FAIL: table of system calls: $tab"; exit 1; }
echo "ok: table"

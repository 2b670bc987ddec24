#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The ucchan benchmark in one command: boots the test VM (tests/vm/vm-run,
# ucchan.ko loaded) and runs ucchan-bench there; prints its table and
# keeps a copy in <build>/bench-ucchan.txt. Then, in the same boot, a
# traced pass (tests/bench/lib/events.py): kernel events per round trip of
# every case (system calls, context switches, wake-ups, IPIs, TLB flushes,
# page faults), counted system-wide; the table in
# <build>/bench-ucchan.events.md, the lines in bench-ucchan.events, a chart
# in bench-ucchan-events.png when python3-matplotlib is installed.
#
#   tests/bench/ucchan/bench-ucchan.sh [BUILD_DIR] [ucchan-bench options]
#   ninja -C BUILD_DIR bench-ucchan
#
# Defaults: 5 runs x up to 2000 round trips, <= 400 ms per run and case
# (about 2 minutes under TCG); the traced pass: ucchan-bench -r 1 -n 500
# -t 2000 (BENCH_UCCHAN_EVENTS="OPTIONS", "0": no traced pass).
set -eu
src=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-${ZUFS_BUILD_DIR:-$PWD}}
[ $# -gt 0 ] && shift
build=$(cd "$build" && pwd)
bench=$build/lib/libucchan/ucchan-bench
[ -x "$bench" ] || { echo "bench-ucchan: $bench not built" >&2; exit 1; }
[ $# -gt 0 ] || set -- -r 5 -n 2000 -t 400
events_py=$src/tests/bench/lib/events.py

if [ "${BENCH_UCCHAN_GUEST:-}" = 1 ]; then	# in the VM
	"$bench" "$@"
	evargs=${BENCH_UCCHAN_EVENTS:--r 1 -n 500 -t 2000}
	[ "$evargs" = 0 ] && exit 0
	out=$build/bench-ucchan.events
	: >"$out"
	echo
	echo "bench-ucchan: event counts, ucchan-bench $evargs (traced; its times are not the benchmark's)"
	# shellcheck disable=SC2086 # options, split on purpose
	python3 "$events_py" run --server '^ucchan-bench$' --out "$out" \
		-- "$bench" $evargs >"$build/bench-ucchan.events.log" 2>&1 ||
		{ cat "$build/bench-ucchan.events.log"; exit 1; }
	{
	echo "## bench-ucchan: kernel events per round trip, system-wide ($(date -u '+%F %H:%M UTC'), ucchan-bench $evargs, traced pass; tests/bench/lib/events.py)"
	echo
	python3 "$events_py" table --project "$out"
	echo
	grep '^events-fired' "$out" | sed 's/^/    /'
	} >"$build/bench-ucchan.events.md"
	python3 "$events_py" plot "$out" --png "$build/bench-ucchan-events.png"
	exit 0
fi

cd "$build"
set -o pipefail
"$src/tests/vm/vm-run" --quiet-boot --load ucchan --timeout 1500 \
	--build-dir "$build" --env BENCH_UCCHAN_GUEST=1 \
	--env "BENCH_UCCHAN_EVENTS=${BENCH_UCCHAN_EVENTS:-}" \
	-- "$src/tests/bench/ucchan/bench-ucchan.sh" "$build" "$@" |
	tee "$build/bench-ucchan.txt"
if [ -s "$build/bench-ucchan.events.md" ]; then
	echo
	cat "$build/bench-ucchan.events.md"
fi

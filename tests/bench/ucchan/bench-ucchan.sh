#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# The ucchan benchmark in one command: boots the test VM (tests/vm/vm-run,
# ucchan.ko loaded) and runs ucchan-bench there; prints its table and
# keeps a copy in <build>/bench-ucchan.txt.
#
#   tests/bench/ucchan/bench-ucchan.sh [BUILD_DIR] [ucchan-bench options]
#   ninja -C BUILD_DIR bench-ucchan
#
# Defaults: 5 runs x up to 2000 round trips, <= 400 ms per run and case
# (about 2 minutes under TCG).
set -eu
src=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-${ZUFS_BUILD_DIR:-$PWD}}
[ $# -gt 0 ] && shift
build=$(cd "$build" && pwd)
bench=$build/lib/libucchan/ucchan-bench
[ -x "$bench" ] || { echo "bench-ucchan: $bench not built" >&2; exit 1; }
[ $# -gt 0 ] || set -- -r 5 -n 2000 -t 400
cd "$build"
"$src/tests/vm/vm-run" --quiet-boot --load ucchan --timeout 900 \
	--build-dir "$build" -- "$bench" "$@" | tee "$build/bench-ucchan.txt"

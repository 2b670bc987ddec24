#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# bench-sqlproxy.sh BUILD_DIR [REPEATS]: in one VM boot, sqlproxy-bench
# against ucchan, the same server's Unix socket and in-process SQLite;
# REPEATS runs each (default 3); prints every run and the median of medians.
set -eu
build=$(cd "$1" && pwd)
reps=${2:-3}
if [ "${SQLPROXY_BENCH_GUEST:-}" != 1 ]; then
	exec "$(dirname "$0")/../../vm/vm-run" --build-dir "$build" --load ucchan \
		--timeout 600 --env SQLPROXY_BENCH_GUEST=1 -- "$0" "$build" "$reps"
fi
bin=$build/services/sqlproxy
dir=$(mktemp -d)
"$bin/sqlproxyd" -d "$dir/db" -s "$dir/sock" -n sqlpbench --require-ucchan 2>"$dir/log" &
pid=$!
trap 'kill $pid; wait $pid; rm -rf $dir' EXIT
while ! grep -q serving "$dir/log"; do sleep 0.1; done
for r in $(seq "$reps"); do
	"$bin/sqlproxy-bench" -m ucchan:sqlpbench -n 2000
	"$bin/sqlproxy-bench" -m "unix:$dir/sock" -n 2000
	"$bin/sqlproxy-bench" -m "inproc:$dir/inproc.db" -n 2000
done | tee "$dir/all"
echo "# median over $reps runs (p50 is the median of the runs' medians)"
awk '{ k = $1 " " $2; split($4, q, "="); split($5, l, "=");
       Q[k] = Q[k] " " q[2]; L[k] = L[k] " " l[2] }
     END { for (k in Q) print k, Q[k], "|", L[k] }' "$dir/all" |
while read -r mode wl rest; do
	q=$(echo "${rest%%|*}" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	l=$(echo "${rest#*|}" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	echo "median $mode $wl qps=$q p50_us=$l"
done | sort

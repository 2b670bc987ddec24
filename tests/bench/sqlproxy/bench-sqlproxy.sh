#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# bench-sqlproxy.sh BUILD_DIR [REPEATS]: the sqlproxy benchmark in one
# command. Boots the test VM once (ucchan.ko loaded) and, REPEATS times
# (default 5), runs sqlproxy-bench against
#   ucchan         sqlproxyd over ucchan (client not pinned)
#   unix           the same sqlproxyd's Unix socket (nothing pinned: the
#                  scheduler places the server thread, usually on the
#                  other, idle vCPU)
#   unix-1cpu      a second sqlproxyd (socket only) and the client both
#                  pinned to CPU 0: the socket's best case under TCG
#   inproc         SQLite in the client's process (the floor)
#   ucchan-thread  sqlproxyd's engine served over ucchan by threads of the
#                  client's own process (no address-space switch)
# plus ucchan-bench's null and registered-buffer round trips for scale.
# Prints every run, then per mode and workload the median of the runs'
# QPS, p50 (median of medians) and p99, and the ratios against the
# targets. A copy goes to BUILD_DIR/bench-sqlproxy.txt.
# SQLPROXY_BENCH_APPEND adds guest kernel arguments (an experiment such as
# "mitigations=off"; the header line shows what the guest ran with).
set -eu
build=$(cd "$1" && pwd)
reps=${2:-5}
if [ "${SQLPROXY_BENCH_GUEST:-}" != 1 ]; then
	"$(dirname "$0")/../../vm/vm-run" --quiet-boot --build-dir "$build" \
		--load ucchan --timeout 1500 --env SQLPROXY_BENCH_GUEST=1 \
		${SQLPROXY_BENCH_APPEND:+--append "$SQLPROXY_BENCH_APPEND"} \
		-- "$0" "$build" "$reps" | tee "$build/bench-sqlproxy.txt"
	exit 0
fi
bin=$build/services/sqlproxy
bench=$bin/sqlproxy-bench
dir=$(mktemp -d)
pids=
trap 'kill $pids 2>/dev/null; wait; rm -rf $dir' EXIT
"$bin/sqlproxyd" -d "$dir/db" -s "$dir/sock" -n sqlpbench --require-ucchan 2>"$dir/log" &
pids=$!
taskset -c 0 "$bin/sqlproxyd" -d "$dir/db1" -s "$dir/sock1" --no-ucchan 2>"$dir/log1" &
pids="$pids $!"
while ! grep -q serving "$dir/log" || ! grep -q serving "$dir/log1"; do
	sleep 0.1
done
echo "# $(uname -r), $(nproc) vCPUs, $reps repetitions, $(date -u +%FT%TZ)"
echo "# meltdown: $(cat /sys/devices/system/cpu/vulnerabilities/meltdown 2>/dev/null);" \
	"mitigations: $(grep -o "mitigations=[^ ]*" /proc/cmdline || echo default)"
echo "# ucchan-bench, for scale (median / p99 of 3 runs, µs):"
"$build/lib/libucchan/ucchan-bench" -r 3 -n 1000 -t 300 2>&1 |
	grep -E "^(ucchan null|ucchan 4 KiB registered|unix socket|futex) .* same" |
	sed 's/^/#   /'
opts="-n 2000 -t 3000"
for r in $(seq "$reps"); do
	echo "# repetition $r"
	"$bench" -m ucchan:sqlpbench $opts
	"$bench" -m "unix:$dir/sock" $opts
	taskset -c 0 "$bench" -l unix-1cpu -m "unix:$dir/sock1" $opts
	"$bench" -m "inproc:$dir/inproc.db" $opts
	"$bench" -m "ucchan-thread:$dir/self.db" $opts
done | tee "$dir/all"
echo "# median over $reps repetitions: qps, p50 = median of the medians, p99 = median of the p99s"
awk '
function med(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/^#/ { next }
{
	k = $1 " " $2
	if (!(k in Q)) order[++nk] = k
	for (i = 3; i <= NF; i++) {
		split($i, kv, "=")
		v[kv[1]] = kv[2]
	}
	Q[k] = Q[k] " " v["qps"]; P[k] = P[k] " " v["p50_us"]
	T[k] = T[k] " " v["p99_us"]
}
END {
	for (i = 1; i <= nk; i++) {
		k = order[i]
		q[k] = med(Q[k]); p[k] = med(P[k]); t[k] = med(T[k])
		printf "median %-32s qps=%.0f p50_us=%.1f p99_us=%.1f\n", k, q[k], p[k], t[k]
	}
	n = split("select_pk insert_autocommit insert_batched", w, " ")
	print "# ratios (targets: ucchan >= 3x the socket QPS; select_pk p50 within 1.5x of inproc);"
	print "# QPS counts every stall of a loaded host, p50 does not: both are given"
	for (i = 1; i <= n; i++) {
		u = "ucchan " w[i]
		printf "ratio %-18s ucchan/unix qps=%.1f p50=%.1f  ucchan/unix-1cpu qps=%.1f p50=%.1f  ucchan/inproc p50=%.1f  ucchan-thread/inproc p50=%.1f\n", \
			w[i], q[u] / q["unix " w[i]], p["unix " w[i]] / p[u], \
			q[u] / q["unix-1cpu " w[i]], p["unix-1cpu " w[i]] / p[u], \
			p[u] / p["inproc " w[i]], p["ucchan-thread " w[i]] / p["inproc " w[i]]
	}
}' "$dir/all"

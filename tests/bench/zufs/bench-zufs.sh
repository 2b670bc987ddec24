#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The zufs file system benchmark in one command: one VM boot
# (tests/vm/vm-run: fuse, ext4, ucchan.ko, zuf.ko, pmem), then in the guest
#   tmpfs      mount -t tmpfs
#   ext4-dax   mkfs.ext4 /dev/pmem0, mount -o dax (in-kernel fs on pmem)
#   fuse       zusd --transport fuse --plugin memfs -o direct_io: the very
#              same memfs.so over libfuse3's low-level API (fuse.ko), the
#              daemon pinned to the client's CPU (FUSE's best case)
#   fuse-mt    the same, as users run it: libfuse's multi-threaded loop,
#              nothing pinned
#   zufs       zusd --plugin memfs + mount -t zufs -o fs=memfs
# and ROUNDS rounds of zufs-fsbench on each (the file systems take turns
# inside a round, so slow phases of the host hit all of them), plus two
# clients at once on CPUs 0 and 1 (labels zufs-2c, fuse-mt-2c; each op's
# loop started together, zufs-fsbench -B). Then one more pass, traced, for
# the kernel event counts per operation (tests/bench/lib/events.py: system
# calls, context switches, wake-ups, IPIs, TLB flushes, page faults, bytes
# through /dev/fuse; fewer iterations, untimed). Prints every run, then the
# tables: per op and fs the median of the rounds' medians and the median of
# their p99s, the ratios zufs/FUSE and zufs/tmpfs, the throughput of two
# clients against one, and the event counts per operation.
# Copies: <build>/bench-zufs.txt (the VM's output), bench-zufs.raw (every
# result line), bench-zufs.table (the tables, Markdown), bench-zufs.events
# (the event counts, one line per fs and op), bench-zufs-events.png (a
# chart of them, when python3-matplotlib is installed).
#
#   tests/bench/zufs/bench-zufs.sh [BUILD_DIR [ROUNDS [zufs-fsbench options]]]
#   ninja -C BUILD_DIR bench-zufs
#
# Defaults: 5 rounds, zufs-fsbench -n 2000 -d 100 -s 100 -x (2000 stat, pread,
# pwrite, create+unlink, the latter also split into its three calls; 100
# readdirs of 1000 entries, 100 reads of 1 MiB in 128 KiB preads),
# client pinned to CPU 0 and the FUSE zusd too (FUSE's best case: no
# cross-CPU wake-up; zusd over zufs serves each CPU from a worker on that
# CPU). FUSE runs with direct_io (no page cache for file data, as zufs)
# and the FUSE transport's default caching of entries and attributes.
# zufs runs also read the service's ucchan counters (debugfs) around each
# op: the "zufs calls/op" column (requests zuf sent per timed iteration).
# BENCH_ZUFS_FS="tmpfs fuse zufs" picks file systems (default: all five),
# BENCH_ZUFS_2C="zufs fuse-mt" those also run with two clients ("" none),
# BENCH_ZUFS_EVENTS="-n 500 -d 20 -s 20" the traced pass's zufs-fsbench
# options ("0": no traced pass).
# BENCH_ZUFS_KO="A/ucchan.ko B/zuf.ko" loads these modules instead of the
# build's (experiments with a modified module; under the build dir, which
# the guest sees).
# Exit status: 0 when every file system ran every round, 1 otherwise (the
# table is still printed, a failed column says FAILED).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=${1:-${ZUFS_BUILD_DIR:-$PWD}}
build=$(cd "$build" && pwd)
rounds=${2:-5}
if [ $# -gt 2 ]; then shift 2; else set --; fi
[ $# -gt 0 ] || set -- -n 2000 -d 100 -s 100 -x

# ---- on the host: boot the VM, run this script in it -------------------------
host_main() {
	for f in tests/bench/zufs/zufs-fsbench kernel/ucchan/ucchan.ko \
		 kernel/zuf/zuf.ko; do
		[ -e "$build/$f" ] || { echo "bench-zufs: $build/$f not built" >&2; return 1; }
	done
	load=(--load 'ucchan,zuf')
	if [ -n "${BENCH_ZUFS_KO:-}" ]; then
		load=()
		for k in $BENCH_ZUFS_KO; do load+=(--load-ko "$k"); done
	fi
	cd "$build" || return 1
	rm -f "$build/bench-zufs.table"
	set -o pipefail
	"$src/tests/vm/vm-run" --quiet-boot --build-dir "$build" \
		--kmod fuse,ext4 "${load[@]}" --pmem --timeout 2400 \
		--env BENCH_ZUFS_GUEST=1 --env "BENCH_ZUFS_FS=${BENCH_ZUFS_FS:-}" \
		--env "BENCH_ZUFS_2C=${BENCH_ZUFS_2C-zufs fuse-mt}" \
		--env "BENCH_ZUFS_EVENTS=${BENCH_ZUFS_EVENTS:--n 500 -d 20 -s 20}" \
		-- "$here/$(basename "$0")" "$build" "$rounds" "$@" 2>&1 |
		tee "$build/bench-zufs.txt"
	rc=$?
	# The table again, without guest kernel messages in between.
	if [ -s "$build/bench-zufs.table" ]; then
		echo
		cat "$build/bench-zufs.table"
		[ -s "$build/bench-zufs.events.md" ] && cat "$build/bench-zufs.events.md"
	else
		echo "bench-zufs: no table (the VM run failed)" >&2
		rc=1
	fi
	return $rc
}

# ---- in the guest ------------------------------------------------------------
failed() {	# failed FS REASON
	why[$1]=$2
	echo "bench-zufs: $1: FAILED: $2" >&2
	rc=1
}

mount_tmpfs() {
	mount -t tmpfs -o size=512m tmpfs "$top/tmpfs"
}

mount_ext4_dax() {
	[ -b /dev/pmem0 ] || { echo "no /dev/pmem0"; return 1; }
	mkfs.ext4 -q -F -b 4096 /dev/pmem0 &&
		mount -t ext4 -o dax /dev/pmem0 "$top/ext4-dax"
}

mount_fuse() {	# mount_fuse DIR [taskset -c 0]
	local dir=$1
	shift
	[ -x "$zusd" ] || { echo "$zusd not built"; return 1; }
	[ -c /dev/fuse ] || { echo "no /dev/fuse"; return 1; }
	if "$zusd" --transport fuse --plugin memfs 2>&1 | grep -q "without libfuse"; then
		echo "zusd has no FUSE transport (built without libfuse3)"
		return 1
	fi
	# zusd mounts and serves until unmounted; for "fuse" pinned to CPU 0
	# like the client (all of libfuse's worker threads inherit it), for
	# "fuse-mt" not pinned (libfuse's default multi-threaded loop).
	mkfifo "$top/$dir.ready"
	"$@" "$zusd" --transport fuse --plugin memfs \
		--mount "$top/$dir" -o direct_io --ready-fd 3 \
		3>"$top/$dir.ready" >"$top/$dir.log" 2>&1 &
	FUSE_PIDS="$FUSE_PIDS $!"
	if ! read -r -t 60 -N 1 _ <"$top/$dir.ready"; then
		echo "zusd --transport fuse did not mount:"
		cat "$top/$dir.log"
		return 1
	fi
	stat "$top/$dir" >/dev/null	# FUSE's INIT done
}

mount_zufs() {
	[ -x "$zusd" ] || { echo "$zusd not built (lib/libzus/src/dispatch.c missing?)"; return 1; }
	coproc ZUSD { exec "$zusd" --plugin memfs --service zbench --ready-fd 3 \
		3>&1 >"$top/zusd.log" 2>&1; }
	if ! read -r -t 60 -N 1 _ <&"${ZUSD[0]}"; then
		echo "zusd did not become ready:"
		cat "$top/zusd.log"
		return 1
	fi
	mount -t zufs -o service=zbench,fs=memfs memfs "$top/zufs"
}

# run_two FS OUT [zufs-fsbench options]: two clients on CPUs 0 and 1 in FS's
# mount at once (label FS-2c), each op's timed loop started together.
run_two() {
	local fs=$1 out=$2 bar r0 r1
	shift 2
	bar=$top/barrier.$fs.$RANDOM
	rm -f "$bar"
	"$bench" -l "$fs-2c" -c 0 -B "$bar:2" "$@" "$top/$fs" >"$out.0" 2>&1 &
	local p=$!
	"$bench" -l "$fs-2c" -c 1 -B "$bar:2" "$@" "$top/$fs" >"$out.1" 2>&1
	r1=$?
	wait "$p"
	r0=$?
	cat "$out.0" "$out.1" >"$out"
	rm -f "$bar" "$out.0" "$out.1"
	[ "$r0" = 0 ] && [ "$r1" = 0 ]
}

cleanup() {
	for fs in zufs fuse fuse-mt ext4-dax tmpfs; do
		mountpoint -q "$top/$fs" 2>/dev/null && umount "$top/$fs"
	done
	if [ -n "$ZUSD_PID" ]; then
		kill "$ZUSD_PID" 2>/dev/null
		wait "$ZUSD_PID" 2>/dev/null
		ZUSD_PID=
	fi
	# the FUSE zusds exit when unmounted; wait for them (bounded)
	for p in $FUSE_PIDS; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null
	done
	FUSE_PIDS=
	rm -rf "$top"
}

guest_main() {
	bench=$build/tests/bench/zufs/zufs-fsbench
	zusd=$build/lib/libzus/zusd
	raw=$build/bench-zufs.raw
	top=$(mktemp -d /tmp/bench-zufs.XXXXXX)
	events_py=$src/tests/bench/lib/events.py
	evout=$build/bench-zufs.events
	all_fs=${BENCH_ZUFS_FS:-tmpfs ext4-dax fuse fuse-mt zufs}
	two_fs=
	for fs in ${BENCH_ZUFS_2C:-}; do
		case " $all_fs " in *" $fs "*) two_fs="$two_fs $fs" ;; esac
	done
	declare -gA why	# fs -> why it failed (unset: fine)
	ZUSD_PID=
	FUSE_PIDS=
	rc=0
	trap cleanup EXIT

	echo "bench-zufs: $(uname -r), $(nproc) CPUs, rounds=$rounds, zufs-fsbench $*"
	echo "bench-zufs: file systems: $all_fs"
	for fs in $all_fs; do
		mkdir -p "$top/$fs"
		case $fs in
		tmpfs) mount_tmpfs ;;
		ext4-dax) mount_ext4_dax ;;
		fuse) mount_fuse fuse taskset -c 0 ;;
		fuse-mt) mount_fuse fuse-mt ;;
		zufs) mount_zufs ;;
		*) echo "unknown file system"; false ;;
		esac >"$top/mount.out" 2>&1
		r=$?
		if [ "$r" != 0 ] || ! mountpoint -q "$top/$fs"; then
			failed "$fs" "mount: $(tr '\n' ' ' <"$top/mount.out")"
		fi
	done
	grep -E " $top/" /proc/mounts

	: >"$raw"
	for round in $(seq "$rounds"); do
		for fs in $all_fs; do
			[ -n "${why[$fs]:-}" ] && continue
			stats=()
			st=/sys/kernel/debug/ucchan/zbench/stats
			[ "$fs" = zufs ] && [ -r "$st" ] && stats=(-C "$st")
			if ! "$bench" -l "$fs" -c 0 "${stats[@]}" "$@" "$top/$fs" >"$top/run.out" 2>&1; then
				failed "$fs" "round $round: $(tail -3 "$top/run.out" | tr '\n' ' ')"
			fi
			sed "s/^zufs-fsbench /round=$round /" "$top/run.out" | grep '^round=' >>"$raw"
			cat "$top/run.out"
		done
		for fs in $two_fs; do
			[ -n "${why[$fs]:-}" ] && continue
			if ! run_two "$fs" "$top/run.out" "$@"; then
				failed "$fs-2c" "round $round: $(tail -3 "$top/run.out" | tr '\n' ' ')"
			fi
			sed "s/^zufs-fsbench /round=$round /" "$top/run.out" | grep '^round=' >>"$raw"
			cat "$top/run.out"
		done
	done

	# ---- the traced pass: kernel events per operation -------------------------------
	: >"$evout"
	export -f run_two
	export top bench
	if [ "${BENCH_ZUFS_EVENTS:-0}" != 0 ]; then
		# shellcheck disable=SC2206 # options, split on purpose
		evargs=($BENCH_ZUFS_EVENTS)
		echo "bench-zufs: event counts, zufs-fsbench ${evargs[*]} (traced, untimed)"
		for fs in $all_fs $(for f in $two_fs; do echo "$f-2c"; done); do
			base=${fs%-2c}
			[ -n "${why[$fs]:-}${why[$base]:-}" ] && continue
			if [ "$fs" != "$base" ]; then
				cmd=(bash -c 'run_two "$@"' run_two "$base" "$top/ev.out" "${evargs[@]}")
			else
				cmd=("$bench" -l "$fs" -c 0 "${evargs[@]}" "$top/$fs")
			fi
			if ! python3 "$events_py" run --server '^zusd$' --out "$evout" \
				-- "${cmd[@]}" >"$top/ev.txt" 2>&1; then
				failed "$fs" "events: $(tail -3 "$top/ev.txt" | tr '\n' ' ')"
			fi
			cat "$top/ev.txt"
		done
	fi

	# ---- the table ------------------------------------------------------------------
	failed_list=
	cols="$all_fs $(for f in $two_fs; do echo "$f-2c"; done)"
	for fs in $cols; do
		[ -n "${why[$fs]:-}" ] && failed_list="$failed_list $fs=FAILED"
	done
	{
	echo "bench-zufs $(date -u '+%F %H:%M UTC'): $(uname -r), $(nproc) vCPUs, $rounds rounds of zufs-fsbench $*"
	echo
	echo "## bench-zufs: µs, median of $rounds rounds' medians (in brackets: median of the rounds' p99)"
	awk -v fslist="$cols" -v failed="$failed_list" '
	function med(s,    a, n, i, j, t) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++)	# insertion sort, n is small
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		if (n == 0) return ""
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function cell(fs, op) {
		if (fs in bad) return "FAILED"
		if (!((fs, op) in M)) return "-"
		return sprintf("%.1f (%.1f)", med(M[fs, op]) / 1000, med(P[fs, op]) / 1000)
	}
	function ratio(a, b, op) {
		if ((a in bad) || (b in bad) || !((a, op) in M) || !((b, op) in M)) return "-"
		return sprintf("%.2f", med(M[a, op]) / med(M[b, op]))
	}
	BEGIN {
		nfs = split(fslist, fss, " ")
		nb = split(failed, fb, " ")
		for (i = 1; i <= nb; i++) { split(fb[i], kv, "="); bad[kv[1]] = 1 }
		nops = split("stat pread_4k pwrite_4k create_unlink create close unlink readdir_1000 seqread_1m", ops, " ")
	}
	{
		delete f
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		M[f["label"], f["op"]] = M[f["label"], f["op"]] " " f["median_ns"]
		P[f["label"], f["op"]] = P[f["label"], f["op"]] " " f["p99_ns"]
		if ("calls" in f)
			C[f["label"], f["op"]] = C[f["label"], f["op"]] " " f["calls"]
		if ("total_ns" in f) {	# throughput: per round, all clients
			k = f["label"] SUBSEP f["op"] SUBSEP f["round"]
			if (!(k in TN)) RL[f["label"], f["op"]] = RL[f["label"], f["op"]] " " f["round"]
			TN[k] += f["n"]
			if (f["total_ns"] + 0 > TT[k] + 0) TT[k] = f["total_ns"]
		}
	}
	function tput(fs, op,    rs, n, i, k, v) {	# median over rounds, ops/s
		if (!((fs, op) in RL)) return ""
		n = split(RL[fs, op], rs, " "); v = ""
		for (i = 1; i <= n; i++) {
			k = fs SUBSEP op SUBSEP rs[i]
			v = v " " TN[k] * 1e9 / TT[k]
		}
		return med(v)
	}
	END {
		hdr = "| op |"; sep = "|---|"
		for (i = 1; i <= nfs; i++) { hdr = hdr " " fss[i] " |"; sep = sep "---:|" }
		print hdr " zufs/fuse | zufs/fuse-mt | zufs/tmpfs | zufs calls/op |"
		print sep "---:|---:|---:|---:|"
		for (k = 1; k <= nops; k++) {
			line = "| " ops[k] " |"
			for (i = 1; i <= nfs; i++) line = line " " cell(fss[i], ops[k]) " |"
			calls = (("zufs", ops[k]) in C) ? sprintf("%.2f", med(C["zufs", ops[k]])) : "-"
			print line " " ratio("zufs", "fuse", ops[k]) " | " ratio("zufs", "fuse-mt", ops[k]) " | " ratio("zufs", "tmpfs", ops[k]) " | " calls " |"
		}
		# throughput: ops/s of one client (CPU 0) and of two (CPUs 0+1)
		two = ""
		for (i = 1; i <= nfs; i++)
			if (fss[i] ~ /-2c$/) two = two " " substr(fss[i], 1, length(fss[i]) - 3)
		nt = split(two, tf, " ")
		if (nt == 0) exit
		print ""
		print "## throughput, ops/s (median over rounds; 2 clients: the iterations of both / the longer of their two loops)"
		print ""
		hdr = "| op |"; sep = "|---|"
		for (i = 1; i <= nt; i++) {
			hdr = hdr " " tf[i] " 1 client | " tf[i] " 2 clients | 2/1 |"
			sep = sep "---:|---:|---:|"
		}
		print hdr; print sep
		for (k = 1; k <= nops; k++) {
			if (ops[k] == "create" || ops[k] == "close" || ops[k] == "unlink") continue
			line = "| " ops[k] " |"
			for (i = 1; i <= nt; i++) {
				a = tput(tf[i], ops[k]); b = tput(tf[i] "-2c", ops[k])
				line = line " " (a == "" ? "-" : sprintf("%.0f", a)) " | " (b == "" ? "-" : sprintf("%.0f", b)) " | " (a == "" || b == "" ? "-" : sprintf("%.2f", b / a)) " |"
			}
			print line
		}
	}' "$raw"
	for fs in $all_fs; do
		[ -n "${why[$fs]:-}" ] && echo "$fs: FAILED: ${why[$fs]}"
	done
	} >"$build/bench-zufs.table"
	if [ -s "$evout" ]; then
		{
		echo
		echo "## bench-zufs: kernel events per operation, system-wide (zufs-fsbench ${evargs[*]}, traced pass; tests/bench/lib/events.py)"
		python3 "$events_py" table --project "$evout"
		echo
		grep '^events-fired' "$evout" | sort | uniq -c | sed 's/^/    /'
		} >"$build/bench-zufs.events.md"
		python3 "$events_py" plot "$evout" --png "$build/bench-zufs-events.png"
	fi
	echo "bench-zufs: exit $rc"
	return $rc
}

# One compound command, read whole before it runs: editing this file while
# a benchmark runs cannot change what the running copy does.
if [ "${BENCH_ZUFS_GUEST:-}" != 1 ]; then
	host_main "$@"
else
	guest_main "$@"
fi
exit $?

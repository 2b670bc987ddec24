#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The zufs file system benchmark in one command: one VM boot
# (tests/vm/vm-run: fuse, ext4, ucchan.ko, zuf.ko, pmem), then in the guest
#   tmpfs      mount -t tmpfs
#   ext4-dax   mkfs.ext4 /dev/pmem0, mount -o dax (in-kernel fs on pmem)
#   fuse       zusd --transport fuse --plugin memfs -o direct_io: the very
#              same memfs.so over libfuse3's low-level API (fuse.ko)
#   zufs       zusd --plugin memfs + mount -t zufs -o fs=memfs
# and ROUNDS rounds of zufs-fsbench on each (the file systems take turns
# inside a round, so slow phases of the host hit all of them). Prints every
# run, then the table: per op and fs the median of the rounds' medians and
# the median of their p99s, and the ratios zufs/FUSE and zufs/tmpfs.
# Copies: <build>/bench-zufs.txt (the VM's output), bench-zufs.raw (every
# result line), bench-zufs.table (the table, Markdown).
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
# BENCH_ZUFS_FS="tmpfs fuse zufs" picks file systems (default: all four).
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
		-- "$here/$(basename "$0")" "$build" "$rounds" "$@" 2>&1 |
		tee "$build/bench-zufs.txt"
	rc=$?
	# The table again, without guest kernel messages in between.
	if [ -s "$build/bench-zufs.table" ]; then
		echo
		cat "$build/bench-zufs.table"
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

mount_fuse() {
	[ -x "$zusd" ] || { echo "$zusd not built"; return 1; }
	[ -c /dev/fuse ] || { echo "no /dev/fuse"; return 1; }
	if "$zusd" --transport fuse --plugin memfs 2>&1 | grep -q "without libfuse"; then
		echo "zusd has no FUSE transport (built without libfuse3)"
		return 1
	fi
	# zusd mounts and serves until unmounted; pinned to CPU 0 like the
	# client (all of libfuse's worker threads inherit it).
	mkfifo "$top/fuse.ready"
	taskset -c 0 "$zusd" --transport fuse --plugin memfs \
		--mount "$top/fuse" -o direct_io --ready-fd 3 \
		3>"$top/fuse.ready" >"$top/fuse.log" 2>&1 &
	FUSE_PID=$!
	if ! read -r -t 60 -N 1 _ <"$top/fuse.ready"; then
		echo "zusd --transport fuse did not mount:"
		cat "$top/fuse.log"
		return 1
	fi
	stat "$top/fuse" >/dev/null	# FUSE's INIT done
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

cleanup() {
	for fs in zufs fuse ext4-dax tmpfs; do
		mountpoint -q "$top/$fs" 2>/dev/null && umount "$top/$fs"
	done
	if [ -n "$ZUSD_PID" ]; then
		kill "$ZUSD_PID" 2>/dev/null
		wait "$ZUSD_PID" 2>/dev/null
		ZUSD_PID=
	fi
	# the FUSE zusd exits when unmounted; wait for it (bounded)
	for _ in $(seq 50); do
		[ -n "$FUSE_PID" ] && kill -0 "$FUSE_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$FUSE_PID" ] && kill -9 "$FUSE_PID" 2>/dev/null
	FUSE_PID=
	rm -rf "$top"
}

guest_main() {
	bench=$build/tests/bench/zufs/zufs-fsbench
	zusd=$build/lib/libzus/zusd
	raw=$build/bench-zufs.raw
	top=$(mktemp -d /tmp/bench-zufs.XXXXXX)
	all_fs=${BENCH_ZUFS_FS:-tmpfs ext4-dax fuse zufs}
	declare -gA why	# fs -> why it failed (unset: fine)
	ZUSD_PID=
	FUSE_PID=
	rc=0
	trap cleanup EXIT

	echo "bench-zufs: $(uname -r), $(nproc) CPUs, rounds=$rounds, zufs-fsbench $*"
	echo "bench-zufs: file systems: $all_fs"
	for fs in $all_fs; do
		mkdir -p "$top/$fs"
		case $fs in
		tmpfs) mount_tmpfs ;;
		ext4-dax) mount_ext4_dax ;;
		fuse) mount_fuse ;;
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
	done

	# ---- the table ------------------------------------------------------------------
	failed_list=
	for fs in $all_fs; do
		[ -n "${why[$fs]:-}" ] && failed_list="$failed_list $fs=FAILED"
	done
	{
	echo "bench-zufs $(date -u '+%F %H:%M UTC'): $(uname -r), $(nproc) vCPUs, $rounds rounds of zufs-fsbench $*"
	echo
	echo "## bench-zufs: µs, median of $rounds rounds' medians (in brackets: median of the rounds' p99)"
	awk -v fslist="$all_fs" -v failed="$failed_list" '
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
	}
	END {
		hdr = "| op |"; sep = "|---|"
		for (i = 1; i <= nfs; i++) { hdr = hdr " " fss[i] " |"; sep = sep "---:|" }
		print hdr " zufs/fuse | zufs/tmpfs | zufs calls/op |"
		print sep "---:|---:|---:|"
		for (k = 1; k <= nops; k++) {
			line = "| " ops[k] " |"
			for (i = 1; i <= nfs; i++) line = line " " cell(fss[i], ops[k]) " |"
			calls = (("zufs", ops[k]) in C) ? sprintf("%.2f", med(C["zufs", ops[k]])) : "-"
			print line " " ratio("zufs", "fuse", ops[k]) " | " ratio("zufs", "tmpfs", ops[k]) " | " calls " |"
		}
	}' "$raw"
	for fs in $all_fs; do
		[ -n "${why[$fs]:-}" ] && echo "$fs: FAILED: ${why[$fs]}"
	done
	} >"$build/bench-zufs.table"
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

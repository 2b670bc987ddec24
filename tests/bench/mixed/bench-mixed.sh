#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The concurrent mixed-I/O benchmark in one command: one VM boot
# (tests/vm/vm-run: fuse, ucchan.ko, zuf.ko, the emulated pmem as devdax),
# then in the guest, mounted once each:
#   tmpfs      mount -t tmpfs (the baseline)
#   memfs      zusd --plugin memfs + mount -t zufs -o fs=memfs
#   pmemfs     mkfs.pmemfs /dev/dax0.0, zusd --plugin pmemfs.so, mount -t
#              zufs -o fs=pmemfs (only when pmemfs is built)
#   fuse       zusd --transport fuse --plugin memfs -o direct_io (the same
#              memfs.so over fuse.ko, libfuse's multi-threaded loop)
# and ROUNDS rounds of zufs-mixed (PROCS processes, SECONDS each, the same
# seed on every file system; the file systems take turns inside a round,
# so slow phases of the host hit all of them). Prints every run, then the
# table: per fs the median over the rounds of the total ops/s, each
# round's value, and tmpfs's ops/s divided by the fs's (the slowdown);
# then the mean latency per op kind (µs, median over rounds). For the zufs
# file systems also, from the service's ucchan counters (debugfs) around
# each run: calls per operation, and KiB per operation of client buffers
# mapped into the server's window and copied through its copy area.
# Copies: <build>/bench-mixed.txt (the VM's output), bench-mixed.raw (every
# total line), bench-mixed.table (the tables, Markdown).
#
#   tests/bench/mixed/bench-mixed.sh [BUILD_DIR [ROUNDS [SECONDS [PROCS]]]]
#   ninja -C BUILD_DIR bench-mixed
#
# Defaults: 3 rounds of 10 s, 4 processes, seed 13.
# BENCH_MIXED_FS="tmpfs memfs" picks file systems (default: all four),
# BENCH_MIXED_SEED the seed, BENCH_MIXED_SAMPLE=1 samples the kernel
# stacks of the clients and of zusd's threads during one more memfs run
# after the rounds, not in the table (<build>/bench-mixed.stacks: each
# distinct stack with its count). BENCH_MIXED_KO="A/ucchan.ko B/zuf.ko" loads these modules
# instead of the build's.
# Exit status: 0 when every file system ran every round with its data
# verified, 1 otherwise (the table is still printed, FAILED in the row).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=${1:-${ZUFS_BUILD_DIR:-$PWD}}
build=$(cd "$build" && pwd)
rounds=${2:-3}
secs=${3:-10}
procs=${4:-4}

# ---- on the host: boot the VM, run this script in it -------------------------
host_main() {
	local f load rc
	for f in tests/bench/mixed/zufs-mixed kernel/ucchan/ucchan.ko \
		 kernel/zuf/zuf.ko lib/libzus/zusd; do
		[ -e "$build/$f" ] || { echo "bench-mixed: $build/$f not built" >&2; return 1; }
	done
	load=(--load 'ucchan,zuf')
	if [ -n "${BENCH_MIXED_KO:-}" ]; then
		load=()
		for k in $BENCH_MIXED_KO; do load+=(--load-ko "$k"); done
	fi
	cd "$build" || return 1
	rm -f "$build/bench-mixed.table"
	set -o pipefail
	"$src/tests/vm/vm-run" --quiet-boot --build-dir "$build" \
		--kmod fuse "${load[@]}" --devdax \
		--timeout $((rounds * secs * 8 + 600)) \
		--env BENCH_MIXED_GUEST=1 --env "BENCH_MIXED_FS=${BENCH_MIXED_FS:-}" \
		--env "BENCH_MIXED_SEED=${BENCH_MIXED_SEED:-13}" \
		--env "BENCH_MIXED_SAMPLE=${BENCH_MIXED_SAMPLE:-0}" \
		-- "$here/$(basename "$0")" "$build" "$rounds" "$secs" "$procs" 2>&1 |
		tee "$build/bench-mixed.txt"
	rc=$?
	if [ -s "$build/bench-mixed.table" ]; then
		echo
		cat "$build/bench-mixed.table"
	else
		echo "bench-mixed: no table (the VM run failed)" >&2
		rc=1
	fi
	return $rc
}

# ---- in the guest ------------------------------------------------------------
failed() {	# failed FS REASON
	why[$1]=$2
	echo "bench-mixed: $1: FAILED: $2" >&2
	rc=1
}

start_zusd() {	# start_zusd NAME [ZUSD OPTIONS]: zusd in the background
	local fifo=$top/$1.ready
	shift
	mkfifo "$fifo"
	"$zusd" "$@" --ready-fd 3 3>"$fifo" >"$fifo.log" 2>&1 &
	ZUSD_PIDS="$ZUSD_PIDS $!"
	if ! read -r -t 60 -N 1 _ <"$fifo"; then
		echo "zusd $* did not become ready:"
		cat "$fifo.log"
		return 1
	fi
}

mount_fs() {	# mount_fs FS: mount it on $top/FS
	local fs=$1 mnt=$top/$1
	case $fs in
	tmpfs)
		mount -t tmpfs -o size=512m tmpfs "$mnt" ;;
	memfs)
		start_zusd memfs --plugin memfs --service bmix-memfs &&
		mount -t zufs -o service=bmix-memfs,fs=memfs memfs "$mnt" ;;
	pmemfs)
		[ -x "$pmemfs_so" ] || [ -e "$pmemfs_so" ] || { echo "pmemfs not built"; return 1; }
		[ -c /dev/dax0.0 ] || { echo "no /dev/dax0.0"; return 1; }
		"$mkfs_pmemfs" -f -q /dev/dax0.0 &&
		start_zusd pmemfs --plugin "$pmemfs_so" --service bmix-pmemfs &&
		mount -t zufs -o service=bmix-pmemfs,fs=pmemfs /dev/dax0.0 "$mnt" ;;
	fuse)
		[ -c /dev/fuse ] || { echo "no /dev/fuse"; return 1; }
		if "$zusd" --transport fuse --plugin memfs 2>&1 | grep -q "without libfuse"; then
			echo "zusd has no FUSE transport (built without libfuse3)"
			return 1
		fi
		# zusd mounts and serves until unmounted
		start_zusd fuse --transport fuse --plugin memfs \
			--mount "$mnt" -o direct_io &&
		stat "$mnt" >/dev/null ;;
	*)
		echo "unknown file system $fs"
		return 1 ;;
	esac
}

cleanup() {
	local fs p
	for fs in memfs pmemfs fuse tmpfs; do
		mountpoint -q "$top/$fs" 2>/dev/null && umount "$top/$fs"
	done
	for p in $ZUSD_PIDS; do
		kill "$p" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ZUSD_PIDS=
	rm -rf "$top"
}

# sample_stacks OUT: every 0.1 s, the kernel stacks of zufs-mixed's and
# zusd's threads, until killed (bash builtins only: a fork per task would
# take the sampler seconds per sweep under TCG)
sample_stacks() {
	local out=$1 t comm st line
	while :; do
		for t in /proc/[0-9]*/task/[0-9]*; do
			read -r comm <"$t/comm" 2>/dev/null || continue
			case $comm in zufs-mixed|zusd*) ;; *) continue ;; esac
			read -r st <"$t/stat" 2>/dev/null || continue
			st=${st##*) }
			echo "== $comm ${st%% *}"
			while read -r line; do
				line=${line#* }
				echo "${line%%+*}"
			done <"$t/stack" 2>/dev/null
		done >>"$out"
		sleep 0.1
	done
}

# svc_stats FS: the ucchan counters of FS's service, "calls mapped bounced
# copied" (bytes; "0 0 0 0" when FS has none)
svc_stats() {
	local st=/sys/kernel/debug/ucchan/bmix-$1/stats
	[ -r "$st" ] || { echo "0 0 0 0"; return; }
	awk '$1 == "total" { print $2, $6, $7, ($9 == "" ? 0 : $9) }' "$st"
}

summarize_stacks() {	# the distinct stacks with their counts
	awk '/^== /{ if (s != "") c[s]++; s = $2 " " $3 ":"; next }
	     { s = s " <- " $1 } END { if (s != "") c[s]++;
	     for (k in c) printf "%6d %s\n", c[k], k }' "$1" | sort -rn
}

guest_main() {
	local fs round r stacks sampler
	bench=$build/tests/bench/mixed/zufs-mixed
	zusd=$build/lib/libzus/zusd
	pmemfs_so=$build/services/pmemfs/plugin/pmemfs.so
	mkfs_pmemfs=$build/services/pmemfs/tools/mkfs.pmemfs
	raw=$build/bench-mixed.raw
	seed=${BENCH_MIXED_SEED:-13}
	top=$(mktemp -d /tmp/bench-mixed.XXXXXX)
	all_fs=${BENCH_MIXED_FS:-tmpfs memfs pmemfs fuse}
	declare -gA why
	ZUSD_PIDS=
	rc=0
	trap cleanup EXIT

	echo "bench-mixed: $(uname -r), $(nproc) CPUs, rounds=$rounds, $procs processes x $secs s, seed $seed"
	echo "bench-mixed: file systems: $all_fs"
	for fs in $all_fs; do
		mkdir -p "$top/$fs"
		mount_fs "$fs" >"$top/mount.out" 2>&1
		r=$?
		if [ "$r" != 0 ] || ! mountpoint -q "$top/$fs"; then
			failed "$fs" "mount: $(tr '\n' ' ' <"$top/mount.out")"
		fi
	done
	grep -E " $top/" /proc/mounts

	: >"$raw"
	stacks=$build/bench-mixed.stacks
	rm -f "$stacks" "$stacks.raw"
	for round in $(seq "$rounds"); do
		for fs in $all_fs; do
			[ -n "${why[$fs]:-}" ] && continue
			read -r c0 m0 b0 k0 <<<"$(svc_stats "$fs")"
			"$bench" -p "$procs" -d "$secs" -s "$seed" -l "$fs" \
				"$top/$fs" >"$top/run.out" 2>&1
			r=$?
			read -r c1 m1 b1 k1 <<<"$(svc_stats "$fs")"
			cat "$top/run.out"
			if [ "$r" != 0 ]; then
				failed "$fs" "round $round: $(grep -v '^zufs-mixed label' "$top/run.out" | head -3 | tr '\n' ' ')"
				continue
			fi
			grep ' total ' "$top/run.out" |
				sed "s/^zufs-mixed /round=$round calls=$((c1 - c0)) mapped=$((m1 - m0)) bounced=$((b1 - b0)) copied=$((k1 - k0)) /" >>"$raw"
		done
	done
	# not measured: one more memfs run while the stacks are sampled
	if [ "${BENCH_MIXED_SAMPLE:-0}" = 1 ] && [ -z "${why[memfs]:-}" ] &&
	   mountpoint -q "$top/memfs"; then
		echo "bench-mixed: sampling kernel stacks during one more memfs run (not in the table)"
		sample_stacks "$stacks.raw" &
		sampler=$!
		"$bench" -q -p "$procs" -d "$secs" -s "$seed" -l memfs-sampled \
			"$top/memfs"
		kill "$sampler"
		wait "$sampler" 2>/dev/null
		echo "bench-mixed: $(grep -c '^== ' "$stacks.raw") stack samples"
		summarize_stacks "$stacks.raw" >"$stacks"
		echo "bench-mixed: kernel stacks of the clients and zusd (most frequent; <build>/bench-mixed.stacks):"
		head -30 "$stacks" | cut -c1-400
		rm -f "$stacks.raw"
	fi

	failed_list=
	for fs in $all_fs; do
		[ -n "${why[$fs]:-}" ] && failed_list="$failed_list $fs"
	done
	{
	echo "bench-mixed $(date -u '+%F %H:%M UTC'): $(uname -r), $(nproc) vCPUs, $rounds rounds of zufs-mixed -p $procs -d $secs -s $seed"
	echo
	awk -v fslist="$all_fs" -v failed="$failed_list" '
	function med(s,    a, n, i, j, t) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		if (n == 0) return ""
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	BEGIN {
		nfs = split(fslist, fss, " ")
		nb = split(failed, fb, " ")
		for (i = 1; i <= nb; i++) bad[fb[i]] = 1
		nops = split("create open stat rename unlink mkdir readdir writev pwritev readv preadv fsync", ops, " ")
	}
	{
		delete f
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		l = f["label"]
		S[l] = S[l] " " f["ops_s"]
		V[l] = V[l] " " f["verified"]
		C[l] = C[l] " " (f["ops"] ? f["calls"] / f["ops"] : 0)
		MB[l] = MB[l] " " (f["ops"] ? f["mapped"] / f["ops"] / 1024 : 0)
		KB[l] = KB[l] " " (f["ops"] ? f["copied"] / f["ops"] / 1024 : 0)
		for (k = 1; k <= nops; k++)
			U[l, ops[k]] = U[l, ops[k]] " " f["us_" ops[k]]
	}
	END {
		print "## bench-mixed: total ops/s of the processes (median of the rounds)"
		print ""
		print "| fs | ops/s | rounds | tmpfs / fs | bytes verified (median) | zufs calls/op | KiB mapped/op | KiB copied/op |"
		print "|---|---:|---|---:|---:|---:|---:|---:|"
		base = ("tmpfs" in S) && !("tmpfs" in bad) ? med(S["tmpfs"]) : ""
		for (i = 1; i <= nfs; i++) {
			fs = fss[i]
			if ((fs in bad) || !(fs in S)) {
				print "| " fs " | FAILED | | | | | | |"
				continue
			}
			m = med(S[fs])
			z = fs == "memfs" || fs == "pmemfs"
			printf "| %s | %.0f | %s | %s | %.0f | %s | %s | %s |\n", fs, m, S[fs],
				base == "" || m == 0 ? "-" : sprintf("%.1f", base / m),
				med(V[fs]), z ? sprintf("%.2f", med(C[fs])) : "-",
				z ? sprintf("%.1f", med(MB[fs])) : "-",
				z ? sprintf("%.1f", med(KB[fs])) : "-"
		}
		print ""
		print "## bench-mixed: mean latency per op kind, µs (median of the rounds)"
		print ""
		hdr = "| op |"; sep = "|---|"
		for (i = 1; i <= nfs; i++) { hdr = hdr " " fss[i] " |"; sep = sep "---:|" }
		print hdr; print sep
		for (k = 1; k <= nops; k++) {
			line = "| " ops[k] " |"
			for (i = 1; i <= nfs; i++)
				line = line " " (((fss[i], ops[k]) in U) ? sprintf("%.0f", med(U[fss[i], ops[k]])) : "-") " |"
			print line
		}
	}' "$raw"
	for fs in $all_fs; do
		[ -n "${why[$fs]:-}" ] && echo "$fs: FAILED: ${why[$fs]}"
	done
	} >"$build/bench-mixed.table"
	echo "bench-mixed: exit $rc"
	return $rc
}

if [ "${BENCH_MIXED_GUEST:-}" != 1 ]; then
	host_main "$@"
else
	guest_main "$@"
fi
exit $?

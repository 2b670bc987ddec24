#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# /init of the vm-run initramfs (busybox sh). Loads the 9p transport modules
# listed in /modules.order, mounts the host root read-only over 9p, the
# extra shares (build dir read-write, ...), a tmpfs /tmp and the API file
# systems, then chroots into the host root and runs the guest side of the
# runner (guest-run.sh, copied into the run directory by vm-run).
#
# Kernel command line keys (set by vm-run):
#   zufsvm.root=<9p tag>               host root, mounted read-only
#   zufsvm.shares=<tag>:<path>:<ro|rw>[,...]  mounted at <path> after /tmp
#   zufsvm.run=<dir>                   run directory (inside a share)

PATH=/bin
export PATH

fatal() {
	echo "vm-init: $*"
	echo "ZUFS-VM-EXIT: 125"
	echo o >/proc/sysrq-trigger
	sleep 60
}

# vm-run tells a crash of the kernel's own boot from one of the test's
echo "vm-init: started"
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

while read -r ko; do
	[ -n "$ko" ] || continue
	insmod "/modules/$ko" || fatal "insmod $ko failed"
done </modules.order

root_tag=
shares=
# The host root is read-only and does not change during a run: the guest
# may cache it (cache=loose: page cache and metadata; the second read of a
# tree costs ~5x less under TCG). zufsvm.rootcache=none turns it off. The
# shares (the build dir) stay uncached: results must reach the host.
root_cache=loose
run_dir=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	zufsvm.root=*) root_tag=${arg#zufsvm.root=} ;;
	zufsvm.shares=*) shares=${arg#zufsvm.shares=} ;;
	zufsvm.run=*) run_dir=${arg#zufsvm.run=} ;;
	zufsvm.rootcache=*) root_cache=${arg#zufsvm.rootcache=} ;;
	esac
done
[ -n "$root_tag" ] && [ -n "$run_dir" ] || fatal "missing zufsvm.root/zufsvm.run"

opts=trans=virtio,version=9p2000.L,msize=262144
R=/newroot
mkdir -p $R
mount -t 9p -o "$opts,ro,cache=$root_cache" "$root_tag" $R ||
	fatal "cannot mount host root"
mount -t proc proc $R/proc || fatal "no /proc in host root"
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm 2>/dev/null
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
mount -t tmpfs -o mode=1777 tmpfs $R/tmp
mount -t tmpfs -o mode=755 tmpfs $R/run
mount -t tmpfs -o mode=1777 tmpfs $R/var/tmp 2>/dev/null

# Shares are sorted by path length by vm-run, so parents come first.
IFS_SAVE=$IFS
IFS=,
for s in $shares; do
	IFS=$IFS_SAVE
	tag=${s%%:*}
	rest=${s#*:}
	path=${rest%:*}
	mode=${rest##*:}
	mkdir -p "$R$path" 2>/dev/null
	mount -t 9p -o "$opts,$mode" "$tag" "$R$path" ||
		fatal "cannot mount share $tag at $path"
	IFS=,
done
IFS=$IFS_SAVE

[ -r "$R$run_dir/guest-run.sh" ] || fatal "no $run_dir/guest-run.sh"
exec chroot $R /bin/bash "$run_dir/guest-run.sh" "$run_dir"

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Guest side of scripts/demo: runs as root in the VM with the modules that
# are built already loaded (ucchan, zuf), /dev/pmem0 and fuse available.
# $ZUFS_BUILD_DIR is the build dir (read-write), $ZUFS_SRC the source tree.
# Each step shows one thing working; a step whose parts are not built yet
# says so and is skipped. Later work adds steps here.
set -euo pipefail
B=$ZUFS_BUILD_DIR

step() {
	echo
	echo "==== $*"
}

loaded() {
	grep -q "^$1 " /proc/modules
}

step "kernel and modules"
uname -r
lsmod | grep -E '^(Module|ucchan|zuf|nd_pmem|fuse) ' || true
ls -l /dev/pmem0

step "ucchan: the channel device"
if loaded ucchan; then
	ls -l /dev/ucchan
	if [ -r /sys/kernel/debug/ucchan/services ]; then
		echo "services: $(wc -l </sys/kernel/debug/ucchan/services)"
	fi
else
	echo "(ucchan.ko is not built yet)"
fi

step "ucchan: a ping round trip through a worker on the same CPU"
ping=$B/lib/libucchan/tools/ucchan-ping
if loaded ucchan && [ -x "$ping" ]; then
	"$ping"
else
	echo "(ucchan-ping is not built yet)"
fi

step "zufs: mount a pmem file system served from user space"
# ==== ZUFS-DEMO: the zufs steps (zusd + mount) go here ====
if loaded zuf && grep -qw zufs /proc/filesystems; then
	grep -w zufs /proc/filesystems
	echo "(the zusd/mount steps are added with the server)"
else
	echo "(zuf.ko is not built yet)"
fi

step "kernel log (last lines)"
dmesg | tail -n 5
echo
echo "demo: done"

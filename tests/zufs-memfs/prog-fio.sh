#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# fio writes with crc32c verification on zusd + memfs: random 4 KiB writes
# (psync, two jobs), sequential 64 KiB O_DIRECT writes (psync), random
# writes through shared mappings (mmap engine). Every block is read back
# and checked (verify_fatal).
. "$(dirname "$0")/lib.sh"

setup
size=2m
[ -z "$ZMFS_LONG" ] || size=4m
fio_run() {	# fio_run NAME FIO-OPTIONS...
	local name=$1
	shift
	if fio --name="$name" --directory="$MNT" --size="$size" --verify=crc32c \
		--do_verify=1 --verify_fatal=1 --group_reporting "$@" \
		>"/tmp/fio-$name.out" 2>&1 &&
		! grep -qi "verify.*fail\|bad magic\|crc32c.*mismatch" "/tmp/fio-$name.out"; then
		grep -E "^ +(WRITE|READ):" "/tmp/fio-$name.out" | sed 's/^ */#   /'
		pass "fio $name"
	else
		fail "fio $name"
		tail -30 "/tmp/fio-$name.out" | sed 's/^/#   /'
	fi
}
fio_run psync-randwrite --ioengine=psync --rw=randwrite --bs=4k --numjobs=2
fio_run psync-direct-seq --ioengine=psync --rw=write --bs=64k --direct=1
fio_run mmap-randwrite --ioengine=mmap --rw=randwrite --bs=4k
fio_run psync-randrw-odd --ioengine=psync --rw=randwrite --bsrange=512-12k \
	--verify=crc32c --verify_interval=512
finish

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# pmemfs over zusd (ZMFS_TRANSPORT zufs or fuse), in the VM: what is
# written survives umount + zusd restart (a checksum of the whole tree,
# content, types, modes, sizes, link counts, xattrs), fsck.pmemfs is clean
# and pmemfs-stat reads it; then ENOSPC: fill the file system, get ENOSPC
# cleanly, delete, reuse the space; fsck.pmemfs clean after.
#
# Environment: as tests/zufs-memfs/lib.sh (ZUSD, ZMFS_DIR, PMEMFS_PLUGIN,
# MKFS_PMEMFS) plus FSCK_PMEMFS and PMEMFS_STAT.
# shellcheck shell=bash
export ZMFS_PLUGIN=pmemfs
# shellcheck source=../zufs-memfs/lib.sh
. "$ZMFS_DIR/lib.sh"

# A tree with files of many sizes (some sparse), directories, symlinks,
# hard links, a fifo and xattrs.
make_tree() {
	local d=$1 i
	mkdir -p "$d/a/b/c" "$d/empty" "$d/many"
	for i in 0 1 100 4095 4096 4097 65536 1000000; do
		head -c "$i" /dev/urandom >"$d/a/f$i"
	done
	for i in $(seq 1 300); do
		echo "file $i" >"$d/many/n$i"
	done
	dd if=/dev/urandom of="$d/a/b/sparse" bs=4k count=3 seek=1000 \
		status=none
	truncate -s 50M "$d/a/b/c/hole"
	echo end >>"$d/a/b/c/hole"
	ln -s ../f100 "$d/a/b/link"
	ln -s /nonexistent/target "$d/dangling"
	ln "$d/a/f4096" "$d/a/b/hard"
	mkfifo "$d/a/fifo"
	chmod 0751 "$d/a/b"
	chmod 0600 "$d/a/f1"
	setfattr -n user.colour -v blue "$d/a/f100"
	setfattr -n user.big -v "$(head -c 3000 /dev/zero | tr '\0' x)" \
		"$d/a/b"
	# a file renamed over another one, and one removed
	echo old >"$d/old"
	echo new >"$d/new"
	mv "$d/new" "$d/old"
	echo gone >"$d/gone"
	rm "$d/gone"
}

# What must survive: names, types, modes, sizes, link counts, symlink
# targets, contents, xattrs.
tree_sum() {
	(
		cd "$1" || exit 1
		find . -printf '%p %y %m %s %n %l\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
		getfattr -R -d -m '^user\.' . 2>/dev/null
	) | sha256sum | cut -d' ' -f1
}

# umount and stop zusd (both transports), then start and mount again.
remount() {
	umount_memfs || return 1
	if [ "$ZMFS_TRANSPORT" = fuse ]; then
		wait_zusd_exit || return 1
	else
		stop_zusd TERM || return 1
	fi
	"$FSCK_PMEMFS" -n "$ZMFS_MEDIA" || return 1
	setup
}

fsck_clean() {
	"$FSCK_PMEMFS" -n "$ZMFS_MEDIA"
}

stat_reads() {
	"$PMEMFS_STAT" "$ZMFS_MEDIA" &&
		"$PMEMFS_STAT" --json "$ZMFS_MEDIA" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["journal"]["state"] == "clean", d; assert d["blocks"] >= d["bfree"]; print("json ok:", d["kind"], d["bfree"], "free blocks")'
}

fsck_refuses_mounted() {
	"$FSCK_PMEMFS" -n "$ZMFS_MEDIA"
	[ $? = 8 ]
}

fill() {	# fill: write until ENOSPC; the error must be ENOSPC
	local i=0
	while [ $i -lt 100000 ]; do
		if ! dd if=/dev/zero of="$MNT/fill/f$i" bs=1M count=16 \
			status=none 2>/tmp/pmemfs-dd.err; then
			grep -q "No space left" /tmp/pmemfs-dd.err || {
				cat /tmp/pmemfs-dd.err
				return 1
			}
			echo "ENOSPC after $i files"
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}

nearly_full() {
	local avail
	avail=$(stat -f -c %a "$MNT")
	echo "free blocks: $avail"
	[ "$avail" -lt 4096 ]
}

reuse() {
	rm -rf "$MNT/fill" && mkdir "$MNT/fill" &&
		dd if=/dev/urandom of="$MNT/fill/again" bs=1M count=64 \
			status=none &&
		sync "$MNT/fill/again"
}

setup
say "# pmemfs media $ZMFS_MEDIA, transport $ZMFS_TRANSPORT"
check "write a tree" make_tree "$MNT/t"
before=$(tree_sum "$MNT/t")
check "fsck.pmemfs refuses a mounted fs (exit 8)" fsck_refuses_mounted
check "umount, restart zusd, mount" remount
after=$(tree_sum "$MNT/t")
check "the tree is unchanged after the restart" [ "$before" = "$after" ]
check "a second restart" remount
check "still unchanged" [ "$before" = "$(tree_sum "$MNT/t")" ]

mkdir -p "$MNT/fill"
check "fill until ENOSPC" fill
check "statfs says full" nearly_full
check "delete, reuse the space" reuse
check "the tree is intact after ENOSPC" [ "$before" = "$(tree_sum "$MNT/t")" ]
umount_memfs
if [ "$ZMFS_TRANSPORT" = fuse ]; then
	check "zusd (fuse) exits once unmounted" wait_zusd_exit
else
	check "zusd exits on SIGTERM" stop_zusd TERM
fi
check "fsck.pmemfs clean after ENOSPC" fsck_clean
check "pmemfs-stat (text and --json)" stat_reads
finish

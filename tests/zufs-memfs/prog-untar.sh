#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A real source tree (from the host's kernel headers: 7 nested uapi
# directories, 242 entries; ZMFS_LONG=1: the whole include/uapi, 954
# entries, 8 MB; lib.sh tree_dirs) as a tarball: extracted onto zusd +
# memfs, then diff -r against the original and tar --compare (modes,
# owners, mtimes, sizes, contents); the tree copied within the mount with
# cp -a (coreutils tries copy_file_range first) and compared again;
# everything removed.
. "$(dirname "$0")/lib.sh"

src=$(ls -d /usr/src/linux-headers-*-common 2>/dev/null | head -1)
[ -n "$src" ] || { echo "SKIP: no /usr/src/linux-headers-*-common"; exit 77; }
setup
dirs=$(tree_dirs)
check "tar the host tree" tar -C "$src" -cf /tmp/tree.tar $dirs
check "untar onto zufs" tar -C "$MNT" -xf /tmp/tree.tar
check "diff -r against the original" sh -c \
	"for d in $dirs; do diff -r \"$src/\$d\" \"$MNT/\$d\" || exit 1; done"
check "tar --compare (metadata + data)" tar -C "$MNT" --compare -f /tmp/tree.tar
check "same number of entries" sh -c "[ \$(cd $MNT && find $dirs | wc -l) = \$(tar -tf /tmp/tree.tar | wc -l) ]"
check "cp -a within the mount" cp -a "$MNT/include" "$MNT/copy"
check "diff -r of the copy" diff -r "$MNT/include" "$MNT/copy"
check "rm -rf" rm -rf "$MNT/include" "$MNT/copy"
check "empty after rm" sh -c "[ -z \"\$(ls -A $MNT)\" ]"
finish

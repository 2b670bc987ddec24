#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A real source tree (the kernel headers' include/uapi from the host, ~950
# files, 8 MB) as a tarball: extracted onto zusd + memfs, then diff -r
# against the original and tar --compare (modes, owners, mtimes, sizes,
# contents); a subtree copied within the mount with cp -a (coreutils
# tries copy_file_range first) and compared again; everything removed.
. "$(dirname "$0")/lib.sh"

src=$(ls -d /usr/src/linux-headers-*-common 2>/dev/null | head -1)
[ -n "$src" ] || { echo "SKIP: no /usr/src/linux-headers-*-common"; exit 77; }
setup
check "tar the host tree" tar -C "$src" -cf /tmp/tree.tar include/uapi
check "untar onto zufs" tar -C "$MNT" -xf /tmp/tree.tar
check "diff -r against the original" diff -r "$src/include/uapi" "$MNT/include/uapi"
check "tar --compare (metadata + data)" tar -C "$MNT" --compare -f /tmp/tree.tar
check "same number of entries" sh -c "[ \$(find $MNT/include/uapi | wc -l) = \$(tar -tf /tmp/tree.tar | wc -l) ]"
check "cp -a within the mount" cp -a "$MNT/include/uapi/linux" "$MNT/copy"
check "diff -r of the copy" diff -r "$MNT/include/uapi/linux" "$MNT/copy"
check "rm -rf" rm -rf "$MNT/include" "$MNT/copy"
check "empty after rm" sh -c "[ -z \"\$(ls -A $MNT)\" ]"
finish

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# git on zusd + memfs: init, add a real tree (kernel uapi headers, lib.sh
# tree_dirs), commit, status clean, a change shows in diff and status,
# second commit, fsck --full, repack + gc, a local clone (hard links
# objects) on the same mount, and the clone's checkout equals the original
# tree.
. "$(dirname "$0")/lib.sh"

src=$(ls -d /usr/src/linux-headers-*-common 2>/dev/null | head -1)
[ -n "$src" ] || { echo "SKIP: no /usr/src/linux-headers-*-common"; exit 77; }
setup
export HOME=/tmp GIT_CONFIG_NOSYSTEM=1
g() { git -c user.name=zmfs -c user.email=zmfs@example.org -c init.defaultBranch=main "$@"; }
check "git init" g init -q "$MNT/repo"
check "copy a tree" sh -c "tar -C $src -cf - $(tree_dirs) | tar -C $MNT/repo -xf -"
cd "$MNT/repo" || exit 1
check "git add" g add -A
check "git commit" g commit -q -m "uapi headers"
check "git status clean" sh -c '[ -z "$(git status --porcelain)" ]'
echo "/* zmfs */" >> include/uapi/asm-generic/errno.h
check "git status sees the change" sh -c '[ "$(git status --porcelain)" = " M include/uapi/asm-generic/errno.h" ]'
check "git diff" sh -c 'git diff | grep -q "^+/\* zmfs \*/"'
check "git commit -a" g commit -q -a -m change
check "git fsck --full" g fsck --full --no-progress
check "git gc" g gc -q
check "git fsck after gc" g fsck --full --no-progress
check "git clone (local, hard links)" g clone -q "$MNT/repo" "$MNT/clone"
check "clone matches" diff -r -x .git "$MNT/repo" "$MNT/clone"
# (on failure: what git said). The subjects are those committed: FUSE
# once showed "change\naders" here, COMMIT_EDITMSG not truncated by
# open(O_TRUNC) (posix_cases.py o_trunc).
check "clone log" sh -c "out=\$(git -C $MNT/clone log --format=%s 2>&1 | tr '\n' ' '); echo \"\$out\"; [ \"\$out\" = 'change uapi headers ' ] || { git -C $MNT/clone fsck --full 2>&1 | head; ls -li $MNT/clone/.git $MNT/clone/.git/objects/pack; false; }"
cd / || exit 1
finish

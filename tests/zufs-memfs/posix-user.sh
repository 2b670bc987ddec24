#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# POSIX semantics on zusd + memfs as an unprivileged user (uid/gid 65534):
# every case in a directory the user owns (root-only operations must fail
# with EPERM), then permission checks against root's files (EACCES, EPERM,
# sticky directory, setgid inheritance, trusted./security. xattrs).
. "$(dirname "$0")/lib.sh"

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

setup size=256m
mkdir "$MNT/user"
chown 65534:65534 "$MNT/user"
shown "POSIX cases as uid 65534" as_nobody env ZMFS_SIZE_BLOCKS=65536 \
	python3 "$ZMFS_DIR/posix_cases.py" cases "$MNT/user"
mkdir "$MNT/x"
check "prepare root's objects" python3 "$ZMFS_DIR/posix_cases.py" prepare "$MNT/x"
shown "uid 65534 on root's objects" as_nobody \
	python3 "$ZMFS_DIR/posix_cases.py" other "$MNT/x"
[ "$ZMFS_PLUGIN" != memfs-oh ] ||
	oh_reached open create opendir flush release releasedir fsyncdir fsync
finish

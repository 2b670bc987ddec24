#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# POSIX semantics on zusd + memfs, as root (posix_cases.py cases).
. "$(dirname "$0")/lib.sh"

setup size=256m
mkdir "$MNT/root"
shown "POSIX cases as root" env ZMFS_SIZE_BLOCKS=65536 \
	python3 "$ZMFS_DIR/posix_cases.py" cases "$MNT/root"
[ "$ZMFS_PLUGIN" != memfs-oh ] ||
	oh_reached open create opendir flush release releasedir fsyncdir fsync
finish

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# mkfs.pmemfs, fsck.pmemfs and pmemfs-stat on the host, on ordinary files
# (media kind "file": libpmem2 falls back to msync): options, refusals,
# exit codes, the JSON output, a damaged primary superblock.
#
#   tools.sh MKFS FSCK STAT
set -u
MKFS=$1
FSCK=$2
STAT=$3
T=$(mktemp -d /tmp/pmemfs-tools.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
fails=0

t() {	# t NAME EXPECTED_RC CMD...
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$T/out" 2>&1
	rc=$?
	n=$((n + 1))
	if [ "$rc" = "$want" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $rc, expected $want)"
		sed 's/^/# /' "$T/out"
		fails=$((fails + 1))
	fi
}

has() {	# has NAME PATTERN: the last command's output matches
	n=$((n + 1))
	if grep -qE -- "$2" "$T/out"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1 (no '$2')"
		sed 's/^/# /' "$T/out"
		fails=$((fails + 1))
	fi
}

img=$T/img
uuid=0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9
t "mkfs: usage error" 8 "$MKFS"
t "mkfs: missing file without -s" 1 "$MKFS" "$T/none"
t "mkfs: bad size" 8 "$MKFS" -s 12q "$img"
t "mkfs: bad uuid" 8 "$MKFS" -U nope -s 32m "$img"
t "mkfs: label too long" 8 "$MKFS" -L 0123456789012345678901234567890123 -s 32m "$img"
t "mkfs: create a 32 MiB file" 0 "$MKFS" -s 32m -N 2000 -l 4 -L test \
	-U "$uuid" "$img"
has "mkfs: says what it made" "uuid $uuid, label 'test'"
t "mkfs: the file has the size" 0 [ "$(stat -c %s "$img")" = $((32 << 20)) ]
t "mkfs: refuses a pmemfs without -f" 1 "$MKFS" "$img"
has "mkfs: says why" "holds a pmemfs"
t "mkfs: -f overwrites" 0 "$MKFS" -f -q -l 4 -U "$uuid" -L test "$img"
t "fsck: clean (0)" 0 "$FSCK" "$img"
has "fsck: says clean" "clean"
t "fsck: -n clean (0)" 0 "$FSCK" -n -v "$img"
t "fsck: -y clean (0)" 0 "$FSCK" -y "$img"
t "fsck: -n and -y (8)" 8 "$FSCK" -n -y "$img"
t "fsck: no such file (8)" 8 "$FSCK" "$T/none"
t "stat: text" 0 "$STAT" "$img"
has "stat: uuid" "uuid: +$uuid"
has "stat: label" "label: +'test'"
has "stat: kind" "media: .*\\(file"
has "stat: lanes" "lanes: +4"
has "stat: journal" "journal: +clean"
t "stat: --json" 0 "$STAT" --json "$img"
cp "$T/out" "$T/json"
t "stat: --json parses" 0 python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["uuid"] == sys.argv[2], d
assert d["label"] == "test" and d["kind"] == "file", d
assert d["lanes"] == 4 and len(d["lane_free"]) == 4, d
assert d["bfree"] <= d["blocks"] and d["ifree"] <= d["inodes"], d
assert sum(d["lane_free"]) == d["bfree"], d
assert d["journal"]["state"] == "clean", d
' "$T/json" "$uuid"

# The media lock: a tool holding it makes the others refuse.
exec 9<"$img"
flock -x 9
t "fsck: in use (8)" 8 "$FSCK" "$img"
has "fsck: says in use" "in use"
t "mkfs: in use (1)" 1 "$MKFS" -f "$img"
t "stat: in use (1)" 1 "$STAT" "$img"
flock -u 9
exec 9<&-

# Not a pmemfs.
head -c $((8 << 20)) /dev/zero >"$T/zero"
t "fsck: not a pmemfs (8)" 8 "$FSCK" "$T/zero"
t "stat: not a pmemfs (1)" 1 "$STAT" "$T/zero"
t "mkfs: a zero file needs no -f" 0 "$MKFS" -q "$T/zero"
t "fsck: the new one is clean" 0 "$FSCK" "$T/zero"

# A damaged primary superblock (the first 4 KiB): the copy saves it.
"$MKFS" -f -q "$img" >/dev/null
dd if=/dev/urandom of="$img" bs=4096 count=1 conv=notrunc status=none
t "fsck -n: finds the damage (4)" 4 "$FSCK" -n "$img"
t "fsck -y: repairs it (1)" 1 "$FSCK" -y "$img"
t "fsck: clean afterwards (0)" 0 "$FSCK" "$img"

echo "1..$n"
[ "$fails" = 0 ]

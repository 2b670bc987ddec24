#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# checkpatch --strict on every kernel source and UAPI header of the tree:
# kernel/**/*.[ch], include/uapi/**/*.h and the test-only module under
# tests/vm/. Any ERROR, WARNING or CHECK fails. Exit 77 if checkpatch.pl is
# missing (scripts/setup extracts it from linux-source-6.1).
#
#   checkpatch.sh SOURCE_ROOT
# $CHECKPATCH overrides the checkpatch.pl to use.
set -u
src=${1:?usage: checkpatch.sh SOURCE_ROOT}

cp=${CHECKPATCH:-}
if [ -z "$cp" ]; then
	cp=$(ls -d /usr/src/linux-source-*/scripts/checkpatch.pl 2>/dev/null |
		sort -V | tail -1)
fi
if [ -z "$cp" ] || [ ! -r "$cp" ]; then
	echo "SKIP: checkpatch.pl not found (run scripts/setup, or set CHECKPATCH)"
	exit 77
fi

mapfile -t files < <(cd "$src" && find kernel include/uapi tests/vm/warnmod \
	-type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort)
if [ ${#files[@]} = 0 ]; then
	echo "SKIP: no kernel sources yet"
	exit 77
fi

bad=0
for f in "${files[@]}"; do
	out=$(cd "$src" && perl "$cp" --no-tree --strict --terse --show-types -f "$f" 2>&1)
	if printf '%s\n' "$out" | grep -q -E '(ERROR|WARNING|CHECK):'; then
		printf '%s\n' "$out" | grep -E '(ERROR|WARNING|CHECK):'
		bad=$((bad + 1))
	fi
done
echo "checkpatch --strict: ${#files[@]} files, $bad with problems"
[ $bad = 0 ]

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Not root: a clear error and a non-zero exit (the module is loaded).
. "$(dirname "$0")/lib.sh"

[ -e /dev/ucchan ] || fail "/dev/ucchan missing: the module should be loaded"
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$UCCHAN_TOP" -c 1 >"$T/out" 2>"$T/err" || rc=$?
cat "$T/err"
[ "$rc" != 0 ] || fail "ucchan-top ran as nobody"
grep -q "must be run as root" "$T/err" || fail "unclear error"
exit 0

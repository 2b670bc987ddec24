#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ucchan.ko not loaded: a clear error and a non-zero exit.
. "$(dirname "$0")/lib.sh"

[ ! -e /dev/ucchan ] || fail "/dev/ucchan exists: run this without the module"
rc=0
"$UCCHAN_TOP" -c 1 >"$T/out" 2>"$T/err" || rc=$?
cat "$T/err"
[ "$rc" != 0 ] || fail "ucchan-top ran without ucchan.ko"
grep -q "ucchan.ko is not loaded" "$T/err" || fail "unclear error"
exit 0

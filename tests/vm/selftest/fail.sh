#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# vm-run self-test guest program: one failed TAP check (with the line
# saying why, which vm-run repeats on stderr), then exits 1.
echo "fail.sh running in the guest"
echo "not ok 1 - the failing check"
echo "#   the reason it failed"
exit 1

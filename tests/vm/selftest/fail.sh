#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# vm-run self-test guest program: exits 1.
echo "fail.sh running in the guest"
exit 1

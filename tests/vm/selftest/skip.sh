#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# vm-run self-test guest program: exits 77.
echo "skip.sh running in the guest"
exit 77

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# vm-run self-test guest program: never finishes on its own.
echo "hang.sh running in the guest"
exec sleep 600

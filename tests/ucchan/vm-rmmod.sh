#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Last check: nothing holds the module; rmmod ucchan succeeds.
. "$(dirname "$0")/vm-lib.sh"
check "ucchan refcount is 0" test "$(cat /sys/module/ucchan/refcnt)" -eq 0
check "rmmod ucchan" rmmod ucchan
check "insmod again" insmod "${UCCHAN_KO:?}"
finish

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Permissions: an unprivileged client is refused by a 0600 service and
# allowed once the server changes the mode.
. "$(dirname "$0")/vm-lib.sh"

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
serve perm --mode 0600 --hup-mode 0666 || finish
check "root connects" "$PING" perm -c 3 -s 16
out=$("${NOBODY[@]}" "$PING" perm -c 1 2>&1)
rc=$?
echo "$out"
check "nobody refused (EACCES) at mode 0600" test $rc -ne 0 -a -n "$(echo "$out" | grep -i 'permission denied')"
kill -HUP "$SRV_PID"
for i in $(seq 50); do grep -q '^mode 0666: ok' "$WORK/perm.log" && break; sleep 0.1; done
check "mode changed to 0666" grep -q '^mode 0666: ok' "$WORK/perm.log"
check "nobody connects at mode 0666" "${NOBODY[@]}" "$PING" perm -c 3 -s 4097 --mapped --offset 1
unserve "$SRV_PID"
finish

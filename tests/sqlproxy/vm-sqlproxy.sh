#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# In the VM: sqlproxyd over ucchan (100 000 rows in one transaction, point
# queries, cursor, concurrent clients on both CPUs, killed client, restart)
# and over the same server's Unix socket.
exec "$(dirname "$0")/sqlproxy-test.sh" ucchan 100000

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# SQLite on zusd + memfs: a rollback-journal database and a WAL database
# (its -shm file is a shared mapping), 5000 rows (ZMFS_LONG=1: 20000), an
# index, updates and deletes in transactions, a second process reading,
# VACUUM; PRAGMA integrity_check must say ok and the row counts must match.
. "$(dirname "$0")/lib.sh"

setup
rows=5000
[ -z "$ZMFS_LONG" ] || rows=20000
fill="CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $rows)
INSERT INTO t(v, n) SELECT hex(randomblob(40)), x FROM c;
CREATE INDEX tv ON t(v);
BEGIN; UPDATE t SET v = hex(randomblob(60)) WHERE n % 3 = 0; COMMIT;
BEGIN; DELETE FROM t WHERE n % 7 = 0; COMMIT;"
want=$((rows - rows / 7))
for mode in delete wal; do
	db=$MNT/$mode.db
	check "sqlite $mode: build" sqlite3 "$db" "PRAGMA journal_mode=$mode;" "$fill"
	check "sqlite $mode: journal mode" sh -c "[ \"\$(sqlite3 $db 'PRAGMA journal_mode;')\" = $mode ]"
	check "sqlite $mode: count from another process" sh -c \
		"[ \"\$(sqlite3 $db 'SELECT count(*) FROM t;')\" = $want ]"
	check "sqlite $mode: VACUUM" sqlite3 "$db" "VACUUM;"
	check "sqlite $mode: integrity_check" sh -c \
		"[ \"\$(sqlite3 $db 'PRAGMA integrity_check;')\" = ok ]"
	check "sqlite $mode: index used and consistent" sh -c \
		"[ \"\$(sqlite3 $db 'SELECT count(*) FROM t INDEXED BY tv WHERE v > \"\";')\" = $want ]"
done
check "sqlite wal: checkpoint" sqlite3 "$MNT/wal.db" "PRAGMA wal_checkpoint(TRUNCATE);"
finish

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# sqlproxy-test.sh socket|ucchan [ROWS]: start sqlproxyd in a temp dir,
# run sqlproxy-functional and the CLI checks against it, stop and restart
# the server (clients get a clear error, then reconnect), kill it under
# connected clients (idle and in a call), restart it, stop it.
# Exit 0 pass, 1 fail, 77 skip.
# Needs SQLPROXYD, SQLPROXY_CLI, SQLPROXY_FUNCTIONAL in the environment.
set -u
mode=${1:-socket}
rows=${2:-2000}
dir=$(mktemp -d /tmp/sqlproxy-test.XXXXXX) || exit 1
sock=$dir/sock
name=sqlp-test-$$
pid=
fail() { echo "FAIL: $*"; exit 1; }
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

start() {
	: >"$dir/log"
	if [ "$mode" = ucchan ]; then
		"$SQLPROXYD" -d "$dir/db" -s "$sock" -n "$name" --require-ucchan \
			2>>"$dir/log" &
	else
		"$SQLPROXYD" -d "$dir/db" -s "$sock" --no-ucchan 2>>"$dir/log" &
	fi
	pid=$!
	i=0
	while ! grep -q serving "$dir/log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 $pid 2>/dev/null; then
			cat "$dir/log"
			grep -q "not available" "$dir/log" && exit 77
			fail "sqlproxyd did not start"
		fi
		sleep 0.1
	done
}

start
if [ "$mode" = ucchan ]; then
	target=ucchan:$name
else
	target=unix:$sock
fi
cli() { "$SQLPROXY_CLI" -t "$target" "$@"; }

echo "# functional, $target, $rows rows"
"$SQLPROXY_FUNCTIONAL" "$target" "$rows" || fail "functional ($target)"
if [ "$mode" = ucchan ]; then
	# every CPU served calls on its own worker (same_cpu > 0 on each)
	stats=/sys/kernel/debug/ucchan/$name/stats
	if [ -r "$stats" ]; then
		sed 's/^/#   /' "$stats"
		ncpu=$(getconf _NPROCESSORS_ONLN)
		busy=$(awk '$1 ~ /^[0-9]+$/ && $3 > 0 { n++ } END { print n + 0 }' "$stats")
		[ "$busy" -ge "$ncpu" ] || fail "only $busy of $ncpu CPUs served same-CPU calls"
	fi
	echo "# functional, the same server's Unix socket"
	"$SQLPROXY_FUNCTIONAL" "unix:$sock" 1000 || fail "functional (socket)"
fi

echo "# CLI"
out=$(cli -c "CREATE TABLE cli(a INTEGER, b TEXT); INSERT INTO cli VALUES (1, 'one'), (2, NULL); SELECT * FROM cli ORDER BY a") ||
	fail "cli"
expect=$(printf 'a  b\n-  ---\n1  one\n2  ')
[ "$out" = "$expect" ] || fail "cli output: [$out]"
cli -c "SELECT nosuch FROM cli" 2>"$dir/err" && fail "cli error exit status"
grep -q "no such column" "$dir/err" || fail "cli error message"
cli -c .tables | grep -qx "cli" || fail ".tables"
cli -c ".schema cli" | grep -q "CREATE TABLE cli" || fail ".schema"
printf 'BEGIN;\nINSERT INTO cli VALUES (3, %s);\nCOMMIT;\nSELECT count(*) AS n FROM cli;\n' "'x'" |
	cli -H | tail -1 | grep -qx 3 || fail "cli script from stdin"

echo "# CLI: a statement over the size limit is a clear error, no crash"
# (1 MiB + the quotes: over SQLP_MAX_SQL; only stdin can carry it, an
# argument is limited to 128 KiB). Under valgrind when there is one, so
# that using an uninitialised statement fails the test even when it would
# not crash. Over the socket only: valgrind does not know what ucchan's
# ioctls write, so over ucchan it would report the replies the kernel
# wrote as uninitialised.
vg=
if [ "$mode" = ucchan ]; then
	echo "#   (over ucchan: no valgrind; checking the exit status and message)"
elif command -v valgrind >/dev/null 2>&1; then
	vg="valgrind -q --error-exitcode=99"
else
	echo "#   (no valgrind: checking the exit status and message only)"
fi
{ printf "SELECT '"; head -c 1048576 /dev/zero | tr '\0' a
  printf "';\nSELECT 'after';\n"; } >"$dir/big.sql"
$vg "$SQLPROXY_CLI" -t "$target" -H <"$dir/big.sql" >"$dir/big.out" 2>"$dir/big.err"
st=$?
sed 's/^/#   /' "$dir/big.err"
[ $st = 1 ] || fail "over-limit SQL: exit status $st (1 expected)"
grep -q "^Error: the statement is 1048586 bytes, over the limit of 1048576 bytes" "$dir/big.err" ||
	fail "over-limit SQL: no clear error"
grep -qx after "$dir/big.out" || fail "over-limit SQL: the next statement did not run"

echo "# restart: clients get a clear error while it is down, then reconnect"
# a runaway query must not keep the server from stopping: a client marks
# a row, then starts a query that never ends; once the mark is visible the
# query is (about to be) running, and the server gets SIGTERM
cli -c "CREATE TABLE runaway(x)" || fail "runaway table"
printf '%s\n' "INSERT INTO runaway VALUES (1);" \
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;" |
	cli >/dev/null 2>"$dir/runaway" &
rpid=$!
i=0
until [ "$(cli -H -c "SELECT count(*) FROM runaway")" = 1 ]; do
	i=$((i + 1))
	[ $i -gt 600 ] && fail "runaway client did not start"
	sleep 0.1
done
sleep 0.5
kill "$pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 600 ] && fail "sqlproxyd does not stop under a running query"
	sleep 0.1
done
wait "$pid"; pid=
wait "$rpid" && fail "the runaway query succeeded"
echo "#   runaway query: $(cat "$dir/runaway")"
grep -q "cannot connect" "$dir/runaway" && fail "the runaway query never ran"
grep -q "shutting down" "$dir/log" || fail "no clean shutdown"
cli -c "SELECT 1" 2>"$dir/err" && fail "connected to a stopped server"
grep -q "cannot connect" "$dir/err" || fail "no clear error: $(cat "$dir/err")"
start
cli -H -c "SELECT count(*) FROM cli" | grep -qx 3 || fail "reconnect after restart"

echo "# restart under connected clients: the server is SIGKILLed"
# The client runs in the background with its output in a file; every
# server started after it inherits nothing of it (no pipe to keep open).
"$SQLPROXY_FUNCTIONAL" "$target" --restart-client >"$dir/rc.out" 2>&1 </dev/null &
cpid=$!
wait_for() {
	i=0
	while ! grep -qx "$1" "$dir/rc.out"; do
		i=$((i + 1))
		if [ $i -gt 1200 ] || ! kill -0 $cpid 2>/dev/null; then
			sed 's/^/#   /' "$dir/rc.out"
			fail "restart client: no '$1'"
		fi
		sleep 0.1
	done
}
wait_for ready
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=
kill -USR1 $cpid
wait_for down
start
kill -USR1 $cpid
if ! wait $cpid; then
	sed 's/^/#   /' "$dir/rc.out"
	fail "restart client"
fi
sed 's/^/#   /' "$dir/rc.out"

echo "# the shell connects again after the server died and came back"
wait_grep() {
	i=0
	while ! grep -q "$2" "$1"; do
		i=$((i + 1))
		if [ $i -gt 1200 ]; then
			sed 's/^/#   /' "$1"
			fail "no '$2' in $1"
		fi
		sleep 0.1
	done
}
mkfifo "$dir/fifo"
cli -H <"$dir/fifo" >"$dir/shell.out" 2>&1 &
spid=$!
exec 3>"$dir/fifo"
echo "SELECT 'one';" >&3
wait_grep "$dir/shell.out" '^one$'
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=
echo "SELECT 'two';" >&3
wait_grep "$dir/shell.out" "the server went away"
start 3>&-	# the server must not hold the shell's input open
echo "SELECT 'three';" >&3
exec 3>&-
wait $spid && fail "shell exit status 0 after a failed statement"
sed 's/^/#   /' "$dir/shell.out"
grep -q '^two$' "$dir/shell.out" && fail "ran against a dead server"
grep -q '^sqlproxy: reconnected' "$dir/shell.out" || fail "no reconnect"
grep -q '^three$' "$dir/shell.out" || fail "no result after reconnecting"
echo "# ok"
exit 0

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# sqlproxy-test.sh socket|ucchan [ROWS]: start sqlproxyd in a temp dir,
# run sqlproxy-functional and the CLI checks against it, restart the
# server under a connected client, stop it. Exit 0 pass, 1 fail, 77 skip.
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

echo "# restart: clients get a clear error while it is down, then reconnect"
kill "$pid"; wait "$pid"; pid=
grep -q "shutting down" "$dir/log" || fail "no clean shutdown"
cli -c "SELECT 1" 2>"$dir/err" && fail "connected to a stopped server"
grep -q "cannot connect" "$dir/err" || fail "no clear error: $(cat "$dir/err")"
start
cli -H -c "SELECT count(*) FROM cli" | grep -qx 3 || fail "reconnect after restart"
echo "# ok"
exit 0

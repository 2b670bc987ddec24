#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# In the VM: the tutorial service of docs/sqlproxy.md ("another ucchan
# service in under 100 lines", services/sqlproxy/example/upcase.c) works
# as documented: serve, call, disconnect event, and a clear error once the
# server is gone. Needs UCCHAN_UPCASE. Exit 0 pass, 1 fail, 77 skip.
set -u
[ -e /dev/ucchan ] || { echo "SKIP: no /dev/ucchan"; exit 77; }
dir=$(mktemp -d /tmp/upcase-test.XXXXXX) || exit 1
name=upcase-test-$$
pid=
fail() { echo "FAIL: $*"; [ -f "$dir/log" ] && sed 's/^/#   /' "$dir/log"; exit 1; }
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"$UCCHAN_UPCASE" serve "$name" >"$dir/out" 2>"$dir/log" &
pid=$!
i=0
while ! grep -qx "serving '$name'" "$dir/out"; do
	i=$((i + 1))
	{ [ $i -gt 300 ] || ! kill -0 $pid 2>/dev/null; } && fail "no server"
	sleep 0.1
done

out=$("$UCCHAN_UPCASE" call "$name" hello "wOrLd 42") || fail "call"
[ "$out" = "$(printf 'HELLO\nWORLD 42')" ] || fail "reply: [$out]"
echo "# call: $(echo $out)"
# one argument per call: 4096 bytes fit the inline areas, 4097 do not
# (more than max_inline: the call is refused)
big=$(head -c 4096 /dev/zero | tr '\0' 'q')
out=$("$UCCHAN_UPCASE" call "$name" "$big") || fail "4096-byte call"
[ "$out" = "$(echo "$big" | tr q Q)" ] || fail "4096-byte reply"
"$UCCHAN_UPCASE" call "$name" "${big}q" 2>"$dir/err" && fail "4097 bytes accepted"
echo "# 4097 bytes: $(cat "$dir/err")"
# the client went away: the server heard about it
i=0
while [ "$(grep -c 'disconnected' "$dir/log")" -lt 3 ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && fail "no disconnect events"
	sleep 0.1
done

kill "$pid"; wait "$pid" 2>/dev/null; pid=
"$UCCHAN_UPCASE" call "$name" x 2>"$dir/err" && fail "call without a server"
grep -q "No such file or directory" "$dir/err" || fail "error: $(cat "$dir/err")"
echo "# ok"
exit 0

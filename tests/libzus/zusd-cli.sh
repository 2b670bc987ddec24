#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# zusd's command line without a kernel: help, usage errors, plugin loading
# errors, and a clear failure when the service cannot be created.
# Usage: zusd-cli.sh ZUSD PLUGIN_DIR
set -u
zusd=$1
dir=$2
fail=0

check() {	# check WANT_STATUS DESCRIPTION CMD...
	want=$1; what=$2; shift 2
	out=$("$@" 2>&1); st=$?
	if [ "$st" != "$want" ]; then
		echo "FAIL: $what: exit $st, want $want"; echo "$out" | sed 's/^/  | /'
		fail=1
	else
		echo "ok: $what"
	fi
}

check 0 "--help" "$zusd" --help
check 0 "--version" "$zusd" --version
check 2 "no plugin" "$zusd"
check 2 "unknown option" "$zusd" --plugin memfs --bogus
check 2 "bad --mode" "$zusd" --plugin memfs --mode 999
check 2 "stray argument" "$zusd" --plugin memfs extra
check 2 "bad --slots" "$zusd" --plugin memfs --slots 0
check 2 "bad --ready-fd" "$zusd" --plugin memfs --ready-fd x
check 2 "bad --stop-timeout" "$zusd" --plugin memfs --stop-timeout -1
check 2 "non-numeric --stop-timeout" "$zusd" --plugin memfs --stop-timeout 5s
check 1 "invalid plugin name" "$zusd" --plugin 'Bad Name'
if "$zusd" --version | grep -q "plugin ABI"; then
	echo "ok: --version names the plugin ABI"
else
	echo "FAIL: --version does not name the plugin ABI"; fail=1
fi
if "$zusd" --help | grep -q -- "--ready-fd"; then
	echo "ok: --help documents --ready-fd"
else
	echo "FAIL: --help lacks --ready-fd"; fail=1
fi
for w in --stop-timeout SIGHUP; do
	if "$zusd" --help | grep -q -- "$w"; then
		echo "ok: --help documents $w"
	else
		echo "FAIL: --help lacks $w"; fail=1
	fi
done
check 1 "unknown plugin" "$zusd" --plugin nosuchplugin
check 1 "wrong ABI plugin" "$zusd" --plugin "$dir/pv_badabi.so"
check 1 "plugin without entry point" "$zusd" --plugin "$dir/pv_noentry.so"
check 1 "plugin without mount op" "$zusd" --plugin "$dir/pv_nomount.so"
check 1 "plugin with a bad fs name" "$zusd" --plugin "$dir/pv_badname.so"
check 1 "entry point returning NULL" "$zusd" --plugin "$dir/pv_null.so"
check 1 "same fs twice" "$zusd" --plugin "$dir/pv_good.so" --plugin "$dir/pv_good.so"
# A thread a plugin starts when loaded must not take zusd's signals: they
# are blocked before the plugins are loaded (whether zusd then serves or
# not does not matter here).
mask=$(mktemp /tmp/zusd-cli-mask.XXXXXX)
PV_SIGMASK_FILE=$mask "$zusd" --plugin "$dir/pv_sigmask.so" \
	--service zusd-cli-mask >/dev/null 2>&1 &
mpid=$!
for _ in $(seq 1 100); do [ -s "$mask" ] && break; sleep 0.1; done
kill -KILL $mpid 2>/dev/null; wait $mpid 2>/dev/null
if grep -qx "TERM=1 INT=1 HUP=1" "$mask"; then
	echo "ok: a plugin's thread has SIGTERM, SIGINT, SIGHUP blocked"
else
	echo "FAIL: a plugin's thread signal mask: $(cat "$mask")"; fail=1
fi
rm -f "$mask"
# No /dev/ucchan here (or no permission to the service): a clear error.
if [ ! -e /dev/ucchan ]; then
	out=$("$zusd" --plugin memfs --service zusd-cli-test 2>&1); st=$?
	if [ $st = 1 ] && echo "$out" | grep -q "ucchan"; then
		echo "ok: no /dev/ucchan -> exit 1 with a hint"
	else
		echo "FAIL: no /dev/ucchan: exit $st: $out"; fail=1
	fi
fi
exit $fail

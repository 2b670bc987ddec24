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
check 1 "unknown plugin" "$zusd" --plugin nosuchplugin
check 1 "wrong ABI plugin" "$zusd" --plugin "$dir/pv_badabi.so"
check 1 "plugin without entry point" "$zusd" --plugin "$dir/pv_noentry.so"
check 1 "same fs twice" "$zusd" --plugin "$dir/pv_good.so" --plugin "$dir/pv_good.so"
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

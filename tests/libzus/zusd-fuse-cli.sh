#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# zusd --transport fuse on the command line, nothing mounted (suite unit):
# bad --mount directories, options that need --transport fuse, an unknown
# transport, bad transport options, and, in a zusd built without libfuse 3,
# the message that says so.
# Usage: zusd-fuse-cli.sh ZUSD HAVE_FUSE(true|false)
set -u
zusd=$1
have_fuse=$2
fail=0

check() {	# check WANT_STATUS WANT_TEXT DESCRIPTION CMD...
	want=$1; text=$2; what=$3; shift 3
	out=$("$@" 2>&1); st=$?
	if [ "$st" != "$want" ] || ! printf '%s' "$out" | grep -q -- "$text"; then
		echo "FAIL: $what: exit $st (want $want), output:"
		echo "$out" | sed 's/^/  | /'
		echo "  (wanted it to say: $text)"
		fail=1
	else
		echo "ok: $what"
	fi
}

check 2 "not a transport" "unknown transport" "$zusd" --transport bogus --plugin memfs
check 2 "for --transport fuse" "--mount without --transport fuse" \
	"$zusd" --plugin memfs --mount /tmp
check 2 "for --transport fuse" "-o without --transport fuse" \
	"$zusd" --plugin memfs -o size=1m
if [ "$have_fuse" != true ]; then
	check 2 "built without libfuse" "--transport fuse without libfuse" \
		"$zusd" --transport fuse --plugin memfs --mount /tmp
	[ "$fail" = 0 ] && echo "SKIP: the rest needs the FUSE transport (libfuse3-dev missing at build time)"
	exit $fail
fi
check 2 "give --mount DIR" "--transport fuse without --mount" \
	"$zusd" --transport fuse --plugin memfs
check 2 "No such file or directory" "--mount of a missing directory" \
	"$zusd" --transport fuse --plugin memfs --mount /nonexistent/zusd-fuse-cli
check 2 "not a directory" "--mount of a file" \
	"$zusd" --transport fuse --plugin memfs --mount /etc/passwd
check 1 "not found" "--transport fuse, unknown plugin" \
	"$zusd" --transport fuse --plugin nosuchplugin --mount /tmp
check 1 "timeout=" "-o timeout=abc" \
	"$zusd" --transport fuse --plugin memfs --mount /tmp -o timeout=abc
check 1 "max_threads=" "-o max_threads=x" \
	"$zusd" --transport fuse --plugin memfs --mount /tmp -o max_threads=x
check 1 "no such plugin" "-o fs= of a plugin not loaded" \
	"$zusd" --transport fuse --plugin memfs --mount /tmp -o fs=other
if "$zusd" --help | grep -q -- "--transport fuse"; then
	echo "ok: --help documents --transport fuse"
else
	echo "FAIL: --help lacks --transport fuse"; fail=1
fi
exit $fail

# SPDX-License-Identifier: BSD-2-Clause
# check.sh - the one shell test helper of the project (sourced by the VM
# test scripts and their own lib.sh files). Every result is a TAP line:
#   ok N - NAME
#   not ok N - NAME            (followed by "#   " lines saying why)
#   ok N - NAME # SKIP REASON
# and tap_done prints the plan "1..N" last and returns 0 when nothing
# failed. A script whose meson test uses `protocol: 'tap'` through vm-run
# --tests shows them as comment lines of its own subtest; run by hand, the
# output is TAP.
#
#   check NAME CMD...            CMD must succeed
#   shown NAME CMD...            CMD must succeed; its output is shown
#                                (as comments) either way
#   check_fails NAME CMD...      CMD must fail
#   fails_with NAME TEXT CMD...  CMD must fail and print TEXT (any case)
#   pass NAME / fail NAME        a result decided by the caller
#   skip NAME REASON             a check that cannot run here, and why
#   tap_done                     the plan; status 0 (all passed) or 1
# Counters: fails, skips, TAP_N. CHECK_OUT is the file CMD's output
# goes to.
# shellcheck shell=bash
fails=${fails:-0}
skips=${skips:-0}
TAP_N=${TAP_N:-0}
CHECK_OUT=${CHECK_OUT:-$(mktemp /tmp/check-out.XXXXXX)}

pass() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

fail() {
	TAP_N=$((TAP_N + 1))
	fails=$((fails + 1))
	echo "not ok $TAP_N - $*"
}

skip() {	# skip NAME REASON
	TAP_N=$((TAP_N + 1))
	skips=$((skips + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

# why: the last command's output, indented as TAP diagnostics
why() {
	head -"${1:-20}" "$CHECK_OUT" | sed 's/^/#   /'
}

check() {
	local name=$1
	shift
	if "$@" >"$CHECK_OUT" 2>&1; then
		pass "$name"
	else
		fail "$name"
		why 30
	fi
}

# shown NAME CMD...: like check, and all of CMD's output is shown (as TAP
# comments) whether it passes or not: a program that reports its own
# cases, figures or skips.
shown() {
	local name=$1 rc=0
	shift
	"$@" >"$CHECK_OUT" 2>&1 || rc=$?
	sed 's/^/#   /' "$CHECK_OUT"
	if [ "$rc" = 0 ]; then
		pass "$name"
	else
		fail "$name (exit $rc)"
	fi
}

check_fails() {
	local name=$1
	shift
	if "$@" >"$CHECK_OUT" 2>&1; then
		fail "$name (succeeded)"
	else
		pass "$name"
	fi
}

fails_with() {
	local name=$1 want=$2
	shift 2
	if "$@" >"$CHECK_OUT" 2>&1; then
		fail "$name (succeeded)"
	elif grep -qi -- "$want" "$CHECK_OUT"; then
		pass "$name"
	else
		fail "$name (want '$want')"
		why 20
	fi
}

tap_done() {
	echo "1..$TAP_N"
	echo "# $fails failure(s), $skips skipped"
	rm -f "$CHECK_OUT"
	[ "$fails" = 0 ]
}

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Self-tests of vm-run: each case runs the runner once and asserts how it
# ends (exit status and the message that explains it). The negative cases
# pass only if the runner reports the failure they provoke.
#
#   selftest.sh CASE VM_RUN WARN_KO BUILD_DIR
set -u
[ $# = 4 ] || { echo "usage: selftest.sh CASE VM_RUN WARN_KO BUILD_DIR"; exit 1; }
case_=$1
BUILD=$4
VM_RUN=("$2" --build-dir "$BUILD")
WARN_KO=$3
HERE=$(dirname "$(readlink -f "$0")")
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Run vm-run with "$@", keep its output in $out, print it, return its status.
vm() {
	local rc

	"${VM_RUN[@]}" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	echo "selftest: vm-run exited with $rc"
	# No VM possible here (no QEMU, no kernel image, VM tests disabled):
	# the runner itself says so; nothing to test.
	if [ $rc = 77 ] && grep -q '^vm-run: SKIP:' "$out"; then
		exit 77
	fi
	return $rc
}

fail() {
	echo "selftest: FAIL: $*"
	exit 1
}

expect_rc() {
	[ "$1" = "$2" ] || fail "vm-run returned $1, expected $2"
}

expect_failure() {
	[ "$1" != 0 ] && [ "$1" != 77 ] || fail "vm-run returned $1, expected a failure"
}

expect_output() {
	grep -q -E -- "$1" "$out" || fail "no line matching '$1' in the output"
}

case $case_ in
devdax)
	# --devdax: the pmem as a device-DAX namespace (ndctl), /dev/dax0.0
	# mapped and written from user space.
	if ! command -v ndctl >/dev/null; then
		echo "selftest: SKIP: no ndctl on the host (scripts/setup)"
		exit 77
	fi
	vm --devdax --timeout 120 -- "$HERE/devdax.sh"
	expect_rc $? 0
	expect_output 'devdax.sh: ok'
	;;
pmem)
	# Load modules (distro + ours when built), write and read back a
	# pattern on /dev/pmem0, and bring a result file back through the
	# build-dir share.
	load=()
	if [ -e "$BUILD/kernel/ucchan/ucchan.ko" ]; then
		load=(--load ucchan --env ZUFS_SELFTEST_UCCHAN=1)
	fi
	result=$BUILD/tests/vm/selftest-pmem.result
	rm -f "$result"
	vm --pmem --kmod fuse "${load[@]}" \
		--env "ZUFS_SELFTEST_RESULT=$result" -- "$HERE/pmem.sh"
	expect_rc $? 0
	[ "$(cat "$result" 2>/dev/null)" = "pmem pattern ok" ] ||
		fail "the guest's result file did not come back"
	rm -f "$result"
	;;
user-env)
	# Runs as nobody, sees the variable exactly, and 77 comes back as 77.
	vm --user nobody --env 'ZUFS_SELFTEST_VAR=a b $c "d"' -- sh -c '
		test "$(id -u):$(id -g)" = 65534:65534 || exit 1
		test "$ZUFS_SELFTEST_VAR" = "a b \$c \"d\"" || exit 2
		touch /root/.vm-run-selftest 2>/dev/null && exit 3
		echo "unprivileged and environment ok"
		exit 77'
	expect_rc $? 77
	expect_output '^unprivileged and environment ok'
	;;
fail)
	vm -- sh -c 'exit 3'
	expect_rc $? 3
	expect_output 'command exited with status 3'
	;;
hang)
	vm --timeout 5 -- sleep 600
	expect_failure $?
	expect_output 'TIMEOUT: command did not finish within [0-9]*s'
	;;
warn)
	[ -e "$WARN_KO" ] || fail "$WARN_KO is not built"
	vm --load-ko "$WARN_KO" -- true
	expect_failure $?
	expect_output 'FAIL: the guest kernel log reports a problem'
	expect_output 'WARNING: .*zufs_vm_warn'
	;;
vm-timeout)
	# No per-command timeout: only the whole-VM timeout can end this.
	vm --timeout 0 --vm-timeout 30 -- sleep 600
	expect_failure $?
	expect_output 'FAIL: VM TIMEOUT: killed QEMU after [0-9]*s'
	;;
tap)
	vm --timeout 5 --tests "$HERE/pass.sh" "$HERE/skip.sh" \
		"$HERE/fail.sh" "$HERE/hang.sh"
	expect_rc $? 1
	expect_output '^1\.\.5$'
	expect_output '^ok 1 - pass\.sh'
	expect_output '^ok 2 - skip\.sh # SKIP'
	expect_output '^not ok 3 - fail\.sh .*exit status 1'
	# the failed check and its reason, on stderr (meson shows that)
	expect_output '^vm-run: fail\.sh failed:$'
	expect_output '^  not ok 1 - the failing check$'
	expect_output '^  #   the reason it failed$'
	expect_output '^not ok 4 - hang\.sh .*TIMEOUT after [0-9]*s'
	expect_output '^ok 5 - guest kernel log clean'
	;;
boot-crash)
	# The kernel panics before it runs our /init (no such rdinit, no
	# root): vm-run boots once more (a boot-time crash of the stock
	# kernel is the emulator's, not the test's), then fails.
	vm --append rdinit=/nonexistent -- true
	expect_failure $?
	expect_output 'crashed before it ran /init .*booting again'
	expect_output 'FAIL: the guest kernel log reports a problem'
	[ "$(grep -c 'booting again' "$out")" = 1 ] ||
		fail "booted more than twice"
	;;
other-kernel)
	# Another kernel than the default one boots too (its own 9p/pmem
	# modules, some built in, some xz-compressed): 6.12 when installed.
	img=$(ls -d /boot/vmlinuz-6.12* 2>/dev/null | sort -V | tail -1)
	if [ -z "$img" ]; then
		echo "SKIP: no /boot/vmlinuz-6.12* installed"
		exit 77
	fi
	rel=${img#/boot/vmlinuz-}
	vm --kernel "$img" --pmem --kmod fuse -- sh -c \
		"test \"\$(uname -r)\" = '$rel' && test -b /dev/pmem0 && test -c /dev/fuse"
	expect_rc $? 0
	;;
*)
	fail "unknown case $case_"
	;;
esac
echo "selftest: $case_ ok"

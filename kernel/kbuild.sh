#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Kbuild wrapper used by meson (and by hand).
#
#   kbuild.sh default-kdir
#	Print the default kernel build tree: /lib/modules/$(uname -r)/build if
#	it exists, else the headers of Debian's default kernel (the ones the
#	linux-headers-amd64 package depends on), else the newest installed
#	/usr/src/linux-headers-*-amd64. Prints nothing if there is none.
#
#   kbuild.sh release KDIR
#	Print the kernel release KDIR builds for (UTS_RELEASE).
#
#   kbuild.sh build --kdir KDIR --src-root SRC --out OUT [--symvers FILE]...
#		    [--stamp FILE] MODDIR
#	Build the out-of-tree module in MODDIR (a directory with a Kbuild
#	file) in OUT: the sources are mirrored into OUT as symlinks (refreshed
#	on every call; Kbuild decides what to rebuild), then
#	make -C KDIR M=OUT ZUFS_SRC=SRC KBUILD_EXTRA_SYMBOLS=... modules.
#	Warnings are errors: KCFLAGS=-Werror, and any "warning:"/"WARNING:"
#	line in the output (modpost included) fails the build. A MODDIR
#	without a Kbuild file is skipped (the stamp is still written).
#
#   kbuild.sh modules --kdir KDIR --src-root SRC --out OUT [--stamp FILE]
#	Build every module of the tree (ucchan, then zuf against ucchan's
#	Module.symvers) into OUT/<mod>/: what the meson build does.
#
#   kbuild.sh check GLOB SRC
#	Build every module of the tree SRC against the newest kernel build
#	tree matching GLOB (e.g. '/usr/src/linux-headers-6.12*-amd64') in a
#	temporary directory, warnings as errors. Exit 77 if none matches.
#	The 'build' test suite uses it to keep the modules building on a
#	second kernel.
set -euo pipefail

die() {
	echo "kbuild.sh: $*" >&2
	exit 1
}

default_kdir() {
	local b dep h

	b=/lib/modules/$(uname -r)/build
	if [ -e "$b/Makefile" ]; then
		readlink -f "$b"
		return
	fi
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
		grep -o 'linux-headers-[^ ,]*-amd64' | head -1 || true)
	if [ -n "$dep" ] && [ -e "/usr/src/$dep/Makefile" ]; then
		echo "/usr/src/$dep"
		return
	fi
	h=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-amd64' 2>/dev/null |
		sort -V | tail -1)
	[ -n "$h" ] && echo "$h"
	return 0
}

# The release modules built in KDIR are for (their vermagic): UTS_RELEASE.
# Debian 6.1's include/config/kernel.release holds the upstream version
# (6.1.x), not the package release (6.1.0-NN-amd64), so it is the fallback.
release() {
	local u=$1/include/generated/utsrelease.h f=$1/include/config/kernel.release

	if [ -r "$u" ]; then
		sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$u"
		return
	fi
	[ -r "$f" ] || die "$1: no kernel release (not a kernel build tree?)"
	cat "$f"
}

# Mirror the sources of MODDIR (Kbuild, Makefile, *.c, *.h, *.S) into OUT
# as symlinks; drop links whose source went away. Build products that a
# by-hand build may have left in MODDIR are not mirrored.
mirror() {
	local src=$1 out=$2 f

	mkdir -p "$out"
	(cd "$src" && find . -type f \( -name Kbuild -o -name Makefile \
		-o -name '*.[chS]' \) ! -name '*.mod.c' -print0) |
	while IFS= read -r -d '' f; do
		mkdir -p "$out/$(dirname "$f")"
		ln -sfn "$src/${f#./}" "$out/$f"
	done
	find "$out" -xtype l -delete
}

build() {
	local kdir='' src='' out='' stamp='' moddir symvers=() log rc

	while [ $# -gt 0 ]; do
		case $1 in
		--kdir) kdir=$2; shift 2 ;;
		--src-root) src=$2; shift 2 ;;
		--out) out=$2; shift 2 ;;
		--symvers) symvers+=("$2"); shift 2 ;;
		--stamp) stamp=$2; shift 2 ;;
		*) break ;;
		esac
	done
	[ $# = 1 ] || die "build: want one module directory"
	moddir=$(readlink -f "$1")
	[ -n "$kdir" ] && [ -n "$src" ] && [ -n "$out" ] || die "build: --kdir, --src-root and --out are required"
	[ -e "$kdir/Makefile" ] || die "$kdir is not a kernel build tree"

	if [ ! -e "$moddir/Kbuild" ]; then
		echo "kbuild.sh: $moddir has no Kbuild file yet: skipped"
		[ -z "$stamp" ] || touch "$stamp"
		return 0
	fi
	mirror "$moddir" "$out"
	# A Module.symvers left from a build against other symbols (an older
	# ucchan.ko) would make modpost keep stale CRCs: start from scratch.
	[ ${#symvers[@]} = 0 ] || rm -f "$out/Module.symvers"
	log=$(mktemp)
	rc=0
	make -C "$kdir" M="$(readlink -f "$out")" ZUFS_SRC="$(readlink -f "$src")" \
		KBUILD_EXTRA_SYMBOLS="${symvers[*]}" KCFLAGS=-Werror \
		-j"$(nproc)" modules >"$log" 2>&1 || rc=$?
	cat "$log"
	if [ $rc = 0 ] && grep -v 'Skipping BTF generation' "$log" |
		grep -q -E 'warning:|WARNING:'; then
		echo "kbuild.sh: $moddir: warnings are errors" >&2
		rc=1
	fi
	rm -f "$log"
	[ $rc = 0 ] || return $rc
	[ -z "$stamp" ] || touch "$stamp"
}

modules() {
	local kdir='' src='' out='' stamp=''

	while [ $# -gt 0 ]; do
		case $1 in
		--kdir) kdir=$2; shift 2 ;;
		--src-root) src=$2; shift 2 ;;
		--out) out=$2; shift 2 ;;
		--stamp) stamp=$2; shift 2 ;;
		*) die "modules: unknown argument $1" ;;
		esac
	done
	[ -n "$kdir" ] && [ -n "$src" ] && [ -n "$out" ] || die "modules: --kdir, --src-root and --out are required"
	build --kdir "$kdir" --src-root "$src" --out "$out/ucchan" \
		"$src/kernel/ucchan"
	local sym=()
	[ ! -e "$out/ucchan/Module.symvers" ] ||
		sym=(--symvers "$(readlink -f "$out/ucchan/Module.symvers")")
	build --kdir "$kdir" --src-root "$src" --out "$out/zuf" "${sym[@]}" \
		"$src/kernel/zuf"
	[ -z "$stamp" ] || touch "$stamp"
}

check() {
	local glob=$1 src=$2 kdir tmp rc=0

	# shellcheck disable=SC2086 # GLOB is meant to expand
	kdir=$(ls -d $glob 2>/dev/null | sort -V | tail -1 || true)
	if [ -z "$kdir" ] || [ ! -e "$kdir/Makefile" ]; then
		echo "SKIP: no kernel build tree matches $glob"
		exit 77
	fi
	if [ ! -e "$src/kernel/ucchan/Kbuild" ] && [ ! -e "$src/kernel/zuf/Kbuild" ]; then
		echo "SKIP: no module under $src/kernel has a Kbuild file yet"
		exit 77
	fi
	tmp=$(mktemp -d)
	echo "kbuild.sh: building $src/kernel against $kdir ($(release "$kdir")) in $tmp"
	modules --kdir "$kdir" --src-root "$src" --out "$tmp" || rc=$?
	for m in ucchan zuf; do
		if [ $rc = 0 ] && [ -e "$src/kernel/$m/Kbuild" ] &&
			[ ! -e "$tmp/$m/$m.ko" ]; then
			echo "kbuild.sh: $m.ko was not built" >&2
			rc=1
		fi
	done
	rm -rf "$tmp"
	return $rc
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
default-kdir) default_kdir ;;
release) [ $# = 1 ] || die "release KDIR"; release "$1" ;;
build) build "$@" ;;
modules) modules "$@" ;;
check) [ $# = 2 ] || die "check GLOB SRC"; check "$@" ;;
*) die "usage: kbuild.sh default-kdir | release KDIR | build ... MODDIR | modules ..." ;;
esac

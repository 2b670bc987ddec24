#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# libucchan packaging: the shared library exports exactly the public API
# (version script LIBUCCHAN_1 and later nodes, ucchan_* only, each named
# in libucchan.map), every exported function has
# a man page in lib/libucchan/man and every section-3 page names an
# exported function, every page renders without groff warnings (the two
# tools' pages included), and libucchan.pc is valid.
#
#   check-lib.sh SRC_ROOT BUILD_ROOT
set -u
src=$1 build=$2
so=$build/lib/libucchan/libucchan.so
man=$src/lib/libucchan/man
fails=0
bad() { echo "not ok: $*"; fails=$((fails + 1)); }

[ -f "$so" ] || { echo "not ok: $so not built"; exit 1; }
syms=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }')
[ -n "$syms" ] || bad "no exported functions in $so"
for s in $syms; do
	name=${s%@@*} ver=${s#*@@}
	case $name in
	ucchan__*) bad "internal symbol $name exported" ;;
	ucchan_*) ;;
	*) bad "symbol $name outside the ucchan_ namespace exported" ;;
	esac
	case $ver in
	LIBUCCHAN_1|LIBUCCHAN_1.[0-9]*) ;;
	*) bad "$name has version '$ver', not LIBUCCHAN_1[.N]" ;;
	esac
	grep -qw "$name;" "$src/lib/libucchan/libucchan.map" ||
		bad "$name is not named in libucchan.map"
	[ -f "$man/$name.3" ] || bad "$name has no man page $man/$name.3"
done
exported=$(echo "$syms" | sed 's/@@.*//')
for p in "$man"/*.3; do
	n=$(basename "$p" .3)
	echo "$exported" | grep -qx "$n" || bad "man page $n.3 names no exported function"
done
for t in ucchan-ping ucchan-bench; do
	[ -f "$man/$t.1" ] || bad "tool $t has no man page $t.1"
done
for p in "$man"/*.[13]; do
	head -1 "$p" | grep -q 'SPDX-License-Identifier: BSD-2-Clause' ||
		bad "$(basename "$p"): no SPDX line"
	# a link page (.so man3/OTHER.3, as installed) must name a page here
	so=$(sed -n 's/^\.so man[13]\///p' "$p")
	if [ -n "$so" ]; then
		[ -f "$man/$so" ] || bad "$(basename "$p"): links to missing $so"
		continue
	fi
	w=$(groff -man -Tutf8 -ww -z "$p" 2>&1)
	[ -z "$w" ] || bad "$(basename "$p"): $w"
done
pc=$build/meson-private
if PKG_CONFIG_PATH=$pc pkg-config --validate libucchan; then
	libs=$(PKG_CONFIG_PATH=$pc pkg-config --libs libucchan)
	case " $libs " in *" -lucchan "*) ;; *) bad "libucchan.pc --libs: $libs" ;; esac
else
	bad "libucchan.pc missing or invalid in $pc"
fi
n=$(echo "$syms" | wc -w)
[ $fails -eq 0 ] || { echo "$fails problem(s)"; exit 1; }
echo "ok: $n exported functions, each with a man page; pc valid"

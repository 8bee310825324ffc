#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The checks a kernel reviewer runs first, as TAP results: the module
# builds with W=1 and sparse (C=2) without a single warning, and every
# kernel source file is checkpatch --strict clean.  Writes "P F S" to
# build/static/counts.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=$top/build/static
rm -rf "$out"
mkdir -p "$out"
n=0 p=0 f=0 s=0

result() {	# result STATUS NAME [LOGFILE]: 0 ok, 1 not ok, 2 skip
	n=$((n + 1))
	case $1 in
	0) echo "ok $n $2"; p=$((p + 1)) ;;
	2) echo "ok $n $2 # SKIP ${3:-}"; s=$((s + 1)) ;;
	*) echo "not ok $n $2"; f=$((f + 1))
	   [ -z "${3:-}" ] || sed 's/^/# /' "$3" | head -n 40 ;;
	esac
}

echo "TAP version 13"

# One build does both: W=1 warnings and sparse's, in a private copy.
if command -v sparse >/dev/null; then
	build_module_copy "$(stock_kdir)" "$out/mod" >/dev/null 2>&1
	make -C "$(stock_kdir)" M="$out/mod" W=1 C=2 modules >"$out/build.log" 2>&1
	rc=$?
	grep -E 'warning:|error:' "$out/build.log" >"$out/warnings.log"
	st=0; [ $rc -eq 0 ] && [ ! -s "$out/warnings.log" ] || st=1
	result $st "module builds with W=1 and sparse (C=2), no warnings" "$out/warnings.log"
else
	result 1 "sparse is installed (apt-get install sparse)"
fi

checkpatch=""
if cache=$("$top/selftests/vm/debug-kernel.sh" --cached-only 2>/dev/null); then
	checkpatch=$cache/checkpatch/checkpatch.pl
fi
if [ -n "$checkpatch" ] && [ -r "$checkpatch" ]; then
	files=$(cd "$top" && ls kmod/*.[ch] kmod/tests/*.[ch] uapi/linux/*.h 2>/dev/null | grep -v '\.mod\.c$')
	(cd "$top" && perl "$checkpatch" --no-tree --strict --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f $files) >"$out/checkpatch.log" 2>&1
	st=0; grep -qE 'ERROR|WARNING|CHECK' "$out/checkpatch.log" && st=1
	result $st "checkpatch --strict: kernel sources clean" "$out/checkpatch.log"
else
	result 2 "checkpatch --strict: kernel sources clean" "no checkpatch.pl (the debug-kernel cache provides it)"
fi

make -s -C "$top/man" check >"$out/man.log" 2>&1
result $? "man pages format without a groff warning" "$out/man.log"

# The reStructuredText builds with Sphinx without a single warning.
mkdir -p "$out/sphinx"
printf "project = 'xsession'\nmaster_doc = 'index'\n" >"$out/sphinx/conf.py"
/usr/bin/python3 -m sphinx -q -W -n -c "$out/sphinx" "$top/Documentation" \
	"$out/sphinx/html" >"$out/sphinx.log" 2>&1
result $? "Documentation/ builds with Sphinx without warnings" "$out/sphinx.log"

echo "1..$n"
echo "$p $f $s" >"$out/counts"
echo "static: $p passed, $f failed, $s skipped"
[ $f -eq 0 ]

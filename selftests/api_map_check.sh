#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Documentation/api-map.rst promises a test for every XPCSession
# operation.  Check that every test it cites exists (an XS_TEST of that
# name in selftests/lib_api/<program>.c) and that no row says TODO.
# TAP on stdout.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
map=$top/Documentation/api-map.rst

n=0 fail=0
echo "TAP version 13"
while read -r prog name; do
	n=$((n + 1))
	if grep -q "^XS_TEST\(_TIMEOUT\)\?($name\b" "$top/selftests/lib_api/$prog.c" 2>/dev/null; then
		echo "ok $n api-map cites $prog: $name"
	else
		echo "not ok $n api-map cites $prog: $name, which does not exist"
		fail=1
	fi
done < <(grep -oE '(conformance_test|lifecycle_test|ool_test): ``[A-Za-z0-9_]+``' "$map" |
	 sed 's/: ``/ /; s/``$//' | sort -u)
n=$((n + 1))
if [ "$n" -gt 1 ] && ! grep -q 'TODO' "$map"; then
	echo "ok $n every api-map row names a test"
else
	echo "not ok $n api-map has rows without a test (TODO) or cites none"
	fail=1
fi
echo "1..$n"
exit $fail

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The XS_FIELD_* macros must refuse, at compile time, a member whose C
# type does not match the field type: compiling codable_test.c with
# XT_WRONG_MEMBER_TYPE (an XS_FIELD_INT64 on an int32_t) must fail, and
# say why.  Prints TAP.   typecheck.sh [CC]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cc=${1:-${CC:-cc}}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

fail=0
echo "1..2"
if "$cc" -std=gnu11 -fsyntax-only -I"$here/.." -I"$here/../../selftests/lib" \
	"$here/codable_test.c" >"$log" 2>&1; then
	echo "ok 1 - codable_test.c compiles as it is"
else
	echo "not ok 1 - codable_test.c compiles as it is"
	fail=1
	sed 's/^/# /' "$log"
fi
if "$cc" -std=gnu11 -fsyntax-only -I"$here/.." -I"$here/../../selftests/lib" \
	-DXT_WRONG_MEMBER_TYPE "$here/codable_test.c" >"$log" 2>&1; then
	echo "not ok 2 - XS_FIELD_INT64 on an int32_t member compiled"
	fail=1
elif grep -q "is not the C type XS_FIELD_TYPE_INT64 takes" "$log"; then
	echo "ok 2 - XS_FIELD_INT64 on an int32_t member is a compile error"
else
	echo "not ok 2 - the wrong member type failed, but not with our message"
	fail=1
	sed 's/^/# /' "$log"
fi
exit $fail

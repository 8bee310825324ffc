#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The fuzz part of `make check`: replay the seed corpus, then fuzz for a
# while.  Prints TAP; a crash, a leak, a timeout or an out-of-memory is a
# failure, and the input that caused it is kept in WORKDIR/artifacts/.
#
#   fuzz-check.sh FUZZER [SECONDS [WORKDIR]]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fuzzer=$1
secs=${2:-30}
work=${3:-$(dirname "$fuzzer")}
mkdir -p "$work/corpus" "$work/artifacts"

fail=0
echo "1..2"
if [ ! -x "$fuzzer" ]; then
	echo "not ok 1 - $fuzzer is missing (make -C libuser/fuzz; needs clang libclang-rt-14-dev)"
	echo "not ok 2 - fuzzing not run"
	exit 1
fi

if "$fuzzer" -rss_limit_mb=2048 "$here"/corpus/* >"$work/regress.log" 2>&1; then
	echo "ok 1 - seed corpus replays cleanly"
else
	echo "not ok 1 - seed corpus replay failed"
	fail=1
	tail -n 60 "$work/regress.log" | sed 's/^/# /'
fi

if "$fuzzer" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=8192 \
	-timeout=10 -dict="$here/cbor.dict" -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "$work/corpus" "$here/corpus" \
	>"$work/fuzz.log" 2>&1; then
	runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$work/fuzz.log")
	rate=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$work/fuzz.log")
	echo "ok 2 - fuzzed ${secs}s: ${runs:-?} inputs (${rate:-?}/s), no crash"
else
	echo "not ok 2 - the fuzzer failed (input kept in $work/artifacts/)"
	fail=1
	grep -E "ERROR|SUMMARY|Test unit written" "$work/fuzz.log" | sed 's/^/# /'
	tail -n 60 "$work/fuzz.log" | sed 's/^/# /'
fi
exit $fail

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that the xs_test harness reports what really happened: runs
# harness_selftest (whose tests fail, crash, hang and skip on purpose) and
# compares its TAP output and exit status line by line.  Prints its own
# TAP; exits non-zero if the harness misbehaves.
#
#   harness_selftest.sh [BINARY]   (default: build/selftests/harness_selftest)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/selftests/harness_selftest}
src=$here/harness_selftest.c
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

n=0
failed=0
check() {	# check DESCRIPTION COMMAND...: one TAP line
	local desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $desc"
	else
		echo "not ok $n $desc"
		failed=$((failed + 1))
	fi
}

# run NAME ARGS...: output to $out/NAME.out, exit status to $out/NAME.rc.
# The timeout catches a harness that hangs.  Processes the tests leave
# behind note their pids in $out/pids (see spawn_sleeper()).
run() {
	local name=$1
	shift
	XS_SELFTEST_PIDS=$out/pids timeout -k 5 60 "$bin" "$@" \
		>"$out/$name.out" 2>"$out/$name.err"
	echo $? >"$out/$name.rc"
}

rc_is() { [ "$(cat "$out/$1.rc")" = "$2" ] || { echo "# $1: exit status $(cat "$out/$1.rc"), want $2"; false; }; }

# same FILE EXPECTED-TEXT: compare, and show the difference as diagnostics.
same() {
	diff -u <(printf '%s\n' "$2") "$1" >"$out/diff" && return 0
	sed 's/^/# /' "$out/diff"
	false
}

has_line() {	# has_line NAME LINE: LINE appears exactly, once
	[ "$(grep -cFx -- "$2" "$out/$1.out")" = 1 ] || { echo "# missing: $2"; false; }
}

# Where the assertion tagged L:TAG sits in the source.
at() { echo "harness_selftest.c:$(grep -n "L:$1 \*/" "$src" | cut -d: -f1)"; }

echo "TAP version 13"
if [ ! -x "$bin" ]; then
	echo "not ok 1 harness_selftest binary exists ($bin; run make -C selftests)"
	echo "1..1"
	exit 1
fi

start=$(date +%s)
run all
elapsed=$(($(date +%s) - start))

check "a run with failures exits 1" rc_is all 1
check "the run ends well before the outer timeout ($elapsed s)" test "$elapsed" -lt 30
check "TAP header and plan" same <(head -n 2 "$out/all.out") "TAP version 13
1..22"
check "result lines" same <(grep -E '^(not )?ok ' "$out/all.out") "ok 1 pass_plain
not ok 2 fail_eq
not ok 3 fail_signed_unsigned
not ok 4 fail_ptr
not ok 5 fail_eq_errno
not ok 6 expect_continues
not ok 7 fail_errno_wrong
not ok 8 fail_errno_success
not ok 9 fail_ok
not ok 10 fail_streq
not ok 11 fail_memeq
not ok 12 fail_true
not ok 13 fail_explicit
not ok 14 fail_in_grandchild
not ok 15 crash_segv # killed by signal SIGSEGV
not ok 16 crash_abort # killed by signal SIGABRT
not ok 17 timeout_short # TIMEOUT
not ok 18 exit_early
not ok 19 exit_status
ok 20 skip_reason # SKIP no frobnicator 42
ok 21 pass_orphan
ok 22 pass_last"
check "totals line is last" same <(tail -n 1 "$out/all.out") "# Totals: pass:3 fail:18 skip:1"
check "every other line is a diagnostic" \
	test -z "$(grep -vE '^(TAP version 13|1\.\.[0-9]+|(not )?ok [0-9]+ .*|# .*)$' "$out/all.out")"
check "nothing on stderr" test ! -s "$out/all.err"

check "EQ diagnostic" has_line all "# $(at eq): expected a (2) == 3 (3)"
check "a failed ASSERT ends the test" test -z "$(grep -F 'not reached' "$out/all.out")"
check "signed/unsigned 64-bit values printed exactly" has_line all \
	"# $(at sign): expected (int64_t)-1 (-1) == UINT64_MAX (18446744073709551615 = 0xffffffffffffffff)"
check "pointer diagnostic" has_line all "# $(at ptr): expected p (0x1000) == NULL (0x0)"
check "EQ diagnostic of a failed syscall" has_line all \
	"# $(at eqerrno): expected close(-1) (-1) == 0 (0), errno=9 (EBADF: Bad file descriptor)"
check "EXPECT diagnostic" has_line all "# $(at expect): expected 1 (1) > 2 (2)"
check "a failed EXPECT lets the test go on" has_line all "# after expect"
check "ERRNO diagnostic (wrong errno)" has_line all \
	"# $(at errno): expected close(-1) to fail with EINVAL (22); it failed with errno=9 (EBADF: Bad file descriptor)"
check "ERRNO diagnostic (no failure)" has_line all \
	"# $(at errno0): expected dup(0) * 0 to fail with ENOENT (2); it returned 0"
check "OK diagnostic" has_line all \
	"# $(at ok): expected open(\"/nonexistent/xs\", O_RDONLY) to succeed; it returned -1, errno=2 (ENOENT: No such file or directory)"
check "STREQ diagnostic" has_line all "# $(at str): expected \"abc\" (\"abc\") == \"abd\" (\"abd\")"
check "MEMEQ diagnostic" has_line all \
	"# $(at mem): expected \"abcd\" == \"abXd\" over 4 (4) bytes; byte 2 differs: 0x63 != 0x58"
check "TRUE diagnostic" has_line all "# $(at true): expected 1 == 2 to be true"
check "XS_FAIL diagnostic" has_line all "# explicit failure"
check "timeout diagnostic" has_line all "# timeout_short: timed out after 1 s, killed"
check "early exit diagnostic" has_line all "# exit_early: exited with status 0 before the test ended"
check "exit status diagnostic" has_line all "# exit_status: exited with status 3"

# The harness kills a test's whole process group when the test ends; give
# the kernel a moment to finish them off, then kill any survivor ourselves.
no_survivors() {
	local pid tries alive=""
	for pid in $(cat "$out/pids" 2>/dev/null); do
		for tries in $(seq 20); do
			alive_now "$pid" || break
			sleep 0.1
		done
		alive_now "$pid" && alive="$alive $pid" && kill -9 "$pid"
	done
	[ -z "$alive" ] || { echo "# left running:$alive"; false; }
}
alive_now() {	# a zombie counts as dead
	[ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]
}
check "processes left behind by tests were recorded" test "$(wc -l <"$out/pids" 2>/dev/null)" = 2
check "processes left behind by tests are killed" no_survivors

run list -l
check "-l lists every test in order" same "$out/list.out" "$(grep -oE '^XS_TEST(_TIMEOUT)?\([a-z_0-9]+' "$src" | sed 's/.*(//')"
check "-l exits 0" rc_is list 0

run some -t skip_reason -t pass_plain
check "-t runs only the named tests, in file order" same "$out/some.out" "TAP version 13
1..2
# RUN pass_plain
ok 1 pass_plain
# RUN skip_reason
ok 2 skip_reason # SKIP no frobnicator 42
# Totals: pass:1 fail:0 skip:1"
check "a run without failures exits 0" rc_is some 0

run one -t crash_segv
check "a single crashing test exits 1" rc_is one 1

run bad -t no_such_test
check "-t with an unknown name exits 2" rc_is bad 2
check "-t with an unknown name prints no TAP" test ! -s "$out/bad.out"

echo "1..$n"
if [ "$failed" -ne 0 ]; then
	echo "# harness output of the full run:"
	sed 's/^/#   /' "$out/all.out"
	exit 1
fi
exit 0

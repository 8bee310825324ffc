#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: build everything and run every test, in this order:
#   1. static   W=1 build without warnings, sparse, checkpatch --strict
#   2. host     tests that need no module (the harness itself, ...)
#   3. debug    the debug kernel (KASAN, lockdep, kmemleak, UBSAN): KUnit
#               suites, every selftest, rmmod and a kmemleak scan
#   4. stock    Debian's own 6.12 kernel: every selftest
# and end with one line, "N passed, N failed[, N skipped]", counting the
# cases of every pass.  Exits non-zero when anything failed.
#
# XS_SKIP_DEBUG=1 skips pass 3 (for a quick local loop; CI never sets it).
set -uo pipefail

. "$(dirname "$0")/lib.sh"
cd "$top"
mkdir -p build
total_p=0 total_f=0 total_s=0
failed_passes=()

add_counts() {	# add_counts PASS "P F S"
	local p f s
	read -r p f s <<<"$2"
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
	[ "$f" -eq 0 ] || failed_passes+=("$1")
}

banner() { printf '\n==== %s ====\n' "$*"; }

banner "build"
if ! make -s all examples selftests W=1 >build/build.log 2>&1; then
	cat build/build.log
	echo "xsession: the build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

# The debug kernel first (cached after the first run): the static checks
# take checkpatch from it, and pass 3 boots it.
if [ "${XS_SKIP_DEBUG:-0}" != 1 ]; then
	banner "debug kernel"
	selftests/vm/debug-kernel.sh >/dev/null ||
		echo "xsession: the debug kernel did not build (pass 3 will fail)"
fi

banner "static checks"
selftests/static-checks.sh
add_counts static "$(cat build/static/counts)"

banner "host tests"
selftests/host-tests.sh
add_counts host "$(cat build/host/counts)"

if [ "${XS_SKIP_DEBUG:-0}" != 1 ]; then
	banner "debug kernel: KUnit, selftests, kmemleak"
	selftests/vm/debug-pass.sh
	add_counts debug "$(cat build/vm/debug/counts 2>/dev/null || echo '0 1 0')"
fi

banner "stock kernel $(stock_release): selftests"
bins=$(make -s -C selftests list)
selftests/vm/run.sh --name stock --kernel "$(stock_kernel)" \
	--module kmod/xsession.ko --tests "$bins" --test-dir build/selftests
add_counts stock "$(cat build/vm/stock/counts 2>/dev/null || echo '0 1 0')"

echo
[ ${#failed_passes[@]} -eq 0 ] || echo "xsession: failures in: ${failed_passes[*]}"
summary="$total_p passed, $total_f failed"
[ "$total_s" -eq 0 ] || summary="$summary, $total_s skipped"
echo "$summary"
[ "$total_f" -eq 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug-kernel pass of `make check`: one VM boot of the project's own
# KASAN + lockdep + kmemleak + UBSAN kernel that runs the KUnit suites,
# every selftest, rmmod, and a kmemleak scan.  The KUnit cases are parsed
# from the console with the kernel's kunit.py and counted with the rest.
# Writes "P F S" to build/vm/debug/counts.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
cd "$top"

fail() {
	echo "not ok - debug pass: $*"
	mkdir -p build/vm/debug
	echo "0 1 0" >build/vm/debug/counts
	exit 1
}

cache=$(selftests/vm/debug-kernel.sh) || fail "the debug kernel did not build"
modcopy=$top/build/kmod-debug
# -g: the debug kernel has no DWARF, but addr2line on our module should
# name a file and line.
build_module_copy "$cache/extmod" "$modcopy" KCFLAGS=-g || fail "the module did not build for the debug kernel"
[ -r "$modcopy/kmod/tests/xsession_kunit.ko" ] || fail "no KUnit module was built"

bins=$(make -s -C selftests list)
selftests/vm/run.sh --name debug --kernel "$cache/bzImage" \
	--module "$modcopy/kmod/xsession.ko" \
	--kunit-module "$modcopy/kmod/tests/xsession_kunit.ko" \
	--tests "$bins" --test-dir build/selftests --kmemleak
vm_rc=$?
read -r p f s <build/vm/debug/counts

# KUnit: the KTAP between the guest's markers, judged by kunit.py.
out=build/vm/debug
sed -n '/xsession-vm: kunit start/,/xsession-vm: kunit end/p' "$out/console.log" >"$out/kunit.ktap"
python3 "$cache/tools/testing/kunit/kunit.py" parse <"$out/kunit.ktap" >"$out/kunit.log" 2>&1
kunit_rc=$?
sed 's/^/# kunit: /' "$out/kunit.log"
line=$(grep -E 'Ran [0-9]+ tests' "$out/kunit.log" | tail -n 1)
kp=$(grep -oE 'passed: [0-9]+' <<<"$line" | grep -oE '[0-9]+' || echo 0)
kf=$(grep -oE 'failed: [0-9]+' <<<"$line" | grep -oE '[0-9]+' || echo 0)
ks=$(grep -oE 'skipped: [0-9]+' <<<"$line" | grep -oE '[0-9]+' || echo 0)
if [ "$kunit_rc" -ne 0 ] && [ "$kf" -eq 0 ]; then
	echo "not ok - kunit.py parse failed (exit $kunit_rc) with no failed case"
	kf=1
fi
if [ $((kp + kf + ks)) -eq 0 ]; then
	echo "not ok - no KUnit case ran"
	kf=$((kf + 1))
fi
echo "debug: KUnit $kp passed, $kf failed, $ks skipped"

p=$((p + kp)) f=$((f + kf)) s=$((s + ks))
echo "$p $f $s" >"$out/counts"
echo "debug (KUnit + selftests): $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ] && [ "$vm_rc" -eq 0 ]

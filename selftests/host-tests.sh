#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests that run on the host, without the module: the harness checks
# itself (so a broken harness cannot hide failures); `make install` and a
# program built against the installed files with pkg-config; libxsession's object
# model, CBOR codec, codables and queues under ASan/UBSan (and the queues
# under TSan); Python's cbor2 reads our messages and we read its; and a
# short libFuzzer run of the decoder.  Output is counted like the VM's
# (tap-count.awk); writes "P F S" to build/host/counts.
#
# XS_FUZZ_SECONDS sets the fuzzing time (default 30).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=$top/build/host
rm -rf "$out"
mkdir -p "$out"

run_prog() {	# run_prog NAME CMD...
	local name=$1 rc
	shift
	echo "# selftest: $name"
	"$@" 2>&1
	rc=$?
	echo "XS-BIN $name rc=$rc"
}

lt=$top/build/libuser-object-tests
qt=$top/build/libuser-tests
ft=$top/build/libuser-fuzz
# Build failures show up below as programs that never finished.
make -s -C "$top/libuser/tests" all >"$out/build.log" 2>&1
make -s -C "$top/libuser/tests" -f queue_test.mk queue-tests >>"$out/build.log" 2>&1
make -s -C "$top/libuser/fuzz" all >>"$out/build.log" 2>&1 ||
	sed 's/^/# /' "$out/build.log"

{
	run_prog harness "$top/selftests/lib/harness_selftest.sh"
	run_prog install "$top/selftests/install_test.sh"
	run_prog api-map "$top/selftests/api_map_check.sh"
	run_prog libuser-object "$lt/object_test"
	run_prog libuser-codec "$lt/codec_test"
	run_prog libuser-codable "$lt/codable_test"
	run_prog libuser-typecheck "$top/libuser/tests/typecheck.sh" cc
	run_prog libuser-cbor2 /usr/bin/python3 "$top/libuser/tests/cbor_interop.py" "$lt/cbor_interop" "$lt"
	run_prog libuser-wire-tsan "$lt/wire_test-tsan"
	for v in queue_test queue_test-asan queue_test-tsan; do
		run_prog "libuser-$v" "$qt/$v"
	done
	run_prog libuser-fuzz "$top/libuser/fuzz/fuzz-check.sh" "$ft/fuzz_decode" "${XS_FUZZ_SECONDS:-30}"
} | tee "$out/results.log"

awk -v countfile="$out/counts" -f "$top/selftests/tap-count.awk" "$out/results.log"
read -r p f s <"$out/counts"
echo "host: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]

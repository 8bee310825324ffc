#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests that run on the host, without the module: the harness checks
# itself (so a broken harness cannot hide failures).  Output is counted
# like the VM's (tap-count.awk); writes "P F S" to build/host/counts.
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

{
	run_prog harness "$top/selftests/lib/harness_selftest.sh"
} | tee "$out/results.log"

awk -v countfile="$out/counts" -f "$top/selftests/tap-count.awk" "$out/results.log"
read -r p f s <"$out/counts"
echo "host: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]

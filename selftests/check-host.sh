#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-host`: run the selftests on this machine, against the module
# loaded here (sudo insmod kmod/xsession.ko), for a machine that can load
# modules.  Needs root: the module tests unload and reload it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$top"

[ -c /dev/xsession ] || { echo "xsession: /dev/xsession missing: sudo insmod kmod/xsession.ko" >&2; exit 1; }
export XS_MODULE=$top/kmod/xsession.ko
out=build/check-host
mkdir -p "$out"
for t in $(make -s -C selftests list); do
	echo "# selftest: $t"
	"build/selftests/$t" 2>&1
	echo "XS-BIN $t rc=$?"
done | tee "$out/results.log"

awk -v countfile="$out/counts" -f selftests/tap-count.awk "$out/results.log"
read -r p f s <"$out/counts"
summary="$p passed, $f failed"
[ "$s" -eq 0 ] || summary="$summary, $s skipped"
echo "$summary"
[ "$f" -eq 0 ]

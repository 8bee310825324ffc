#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where does the time go?  Runs xs-bench for some workloads and
# mechanisms in one VM boot (as `make bench` does) under `perf record -a`
# (the cpu-clock software event: TCG has no PMU), and prints the
# hottest kernel and user symbols.  A developer's tool, not a test.
#
#   selftests/bench/profile.sh [WORKLOADS [MECHS [XS-BENCH OPTIONS]]]
#   e.g. selftests/bench/profile.sh loop_16 xsession "-t 0.5 -r 1"
#
# The host's perf (linux-perf) runs inside the guest with its shared
# libraries beside it, through the dynamic loader, so the initramfs needs
# no libc of its own.  Output: build/bench/profile.txt.
set -uo pipefail

. "$(dirname "$0")/../lib.sh"
cd "$top"

wl=${1:-loop_16}
mech=${2:-xsession}
opts=${3:--t 0.5 -r 1}
out=$top/build/bench
bin=$out/profile-bin
mkdir -p "$bin"

command -v perf >/dev/null || {
	echo "profile: needs perf (apt-get install linux-perf)" >&2
	exit 1
}
make -s module W=1 >/dev/null && make -s -C selftests/bench O="$bin" >/dev/null || exit 1

# perf and every library it loads, flat, beside the loader.
perf_bin=$(readlink -f "$(command -v perf)")
cp "$perf_bin" "$bin/perf"
for lib in $(ldd "$perf_bin" | grep -oE '/[^ ]+\.so[^ ]*'); do
	cp -L "$lib" "$bin/"
done

run="/lib/xsession/bin/ld-linux-x86-64.so.2 --library-path /lib/xsession/bin /lib/xsession/bin/perf"
demo="echo 0 >/proc/sys/kernel/kptr_restrict; echo -1 >/proc/sys/kernel/perf_event_paranoid;
$run record -q -a -g -e cpu-clock -F 2000 -o /tmp/perf.data -- /lib/xsession/bin/xs-bench $opts -w $wl -m $mech all >/tmp/bench.out 2>&1;
grep -v '^XS-BENCH' /tmp/bench.out | grep -E '^# (loop|rt|ow|conn|mem)' ;
echo '==== kernel and user symbols, self time ====';
$run report -q -i /tmp/perf.data --no-children --sort sym --stdio -g none --percent-limit 0.7 2>/dev/null | head -n 70;
echo '==== callers of the hottest ====';
$run report -q -i /tmp/perf.data --no-children --sort sym --stdio -g caller,0.5,callee --percent-limit 4 2>/dev/null | head -n 150"

XS_VM_TCG_THREAD=single XS_VM_SMP=2 XS_VM_TIMEOUT=${XS_VM_TIMEOUT:-900} \
	selftests/vm/run.sh --name profile --kernel "$(stock_kernel)" \
	--module kmod/xsession.ko --bin-dir "$bin" --demo "$demo" \
	>"$out/profile-vm.log" 2>&1
rc=$?
sed -n '/# selftest: demo/,/^XS-BIN demo/p' build/vm/profile/results.log >"$out/profile.txt"
cat "$out/profile.txt"
exit $rc

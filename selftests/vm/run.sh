#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one test VM and judge it.
#
#   run.sh --name NAME --kernel BZIMAGE --module XSESSION_KO
#          [--tests "bin ..." --test-dir DIR] [--demo "CMD" --bin-dir DIR]
#          [--kunit-module KO] [--kmemleak] [--timeout SECONDS]
#
# Builds a gzip cpio initramfs (busybox-static, the module, the test or
# demo programs, guest-init.sh as /init), boots it under QEMU TCG with two
# serial ports (console.log: kernel messages; results.log: test output),
# and fails when a test fails, results are missing or cut short, the VM
# timed out, or the console shows a kernel bug.  Output goes to
# build/vm/NAME/; build/vm/console.log is always the last run's console.
# Prints the TAP it got, then "NAME: P passed, F failed[, S skipped]", and
# writes "P F S" to build/vm/NAME/counts.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
name="" kernel="" module="" tests="" test_dir="" demo="" bin_dir="" kunit_module=""
kmemleak=0
timeout=${XS_VM_TIMEOUT:-900}
smp=${XS_VM_SMP:-2}
tcg_thread=${XS_VM_TCG_THREAD:-multi}

while [ $# -gt 0 ]; do
	case $1 in
	--name) name=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--module) module=$2; shift ;;
	--tests) tests=$2; shift ;;
	--test-dir) test_dir=$2; shift ;;
	--demo) demo=$2; shift ;;
	--bin-dir) bin_dir=$2; shift ;;
	--kunit-module) kunit_module=$2; shift ;;
	--kmemleak) kmemleak=1 ;;
	--timeout) timeout=$2; shift ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$name" ] && [ -r "$kernel" ] && [ -r "$module" ] || {
	echo "run.sh: need --name, a readable --kernel and --module" >&2
	exit 2
}

out=$top/build/vm/$name
root=$out/root
rm -rf "$out"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,lib/xsession/tests,lib/xsession/bin}

# The guest's userland: busybox with its applets as symlinks made here,
# which is cheaper than `busybox --install` in a slow KASAN guest.
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
cp "$top/selftests/vm/guest-init.sh" "$root/init"
cp "$module" "$root/lib/xsession/xsession.ko"
[ -z "$kunit_module" ] || cp "$kunit_module" "$root/lib/xsession/xsession_kunit.ko"
for t in $tests; do
	cp "$test_dir/$t" "$root/lib/xsession/tests/$t"
done
[ -z "$bin_dir" ] || cp "$bin_dir"/* "$root/lib/xsession/bin/"
cat >"$root/etc/xs.conf" <<CONF
XS_MODE=$([ -n "$demo" ] && echo demo || echo test)
XS_TESTS="$tests"
XS_DEMO="$demo"
XS_KMEMLEAK=$kmemleak
PATH=/bin:/sbin:/lib/xsession/bin
CONF
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out/initramfs.cpio.gz"

# qboot instead of SeaBIOS: a kernel without ACPI sees both CPUs with it.
bios=()
[ -r /usr/share/qemu/qboot.rom ] && bios=(-bios /usr/share/qemu/qboot.rom)

# What the kernel prints when it finds a bug in itself or in us.
splat='BUG:|WARNING:|Oops|KASAN|UBSAN|general protection|Kernel panic|Call Trace:|kmemleak: [0-9]+ new suspected|possible (circular|recursive) locking|INFO: task .* blocked|sleeping function called|scheduling while atomic|soft lockup|hard LOCKUP|detected stalls'

boot() {
	rm -f "$out/console.log" "$out/results.log"
	set +e
	timeout -k 5 "$timeout" qemu-system-x86_64 \
		-accel tcg,thread="$tcg_thread" -cpu max -smp "$smp" -m 1024 \
		-display none -monitor none -no-reboot -nodefaults "${bios[@]}" \
		-kernel "$kernel" -initrd "$out/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 oops=panic rcupdate.rcu_cpu_stall_timeout=60" \
		-serial file:"$out/console.log" -serial file:"$out/results.log" \
		</dev/null >"$out/qemu.log" 2>&1
	qemu_rc=$?
	set -e
}

# Multi-threaded TCG sometimes runs a stale translation of kernel text
# that another vCPU has just patched back from a breakpoint (the kernel's
# INT3-based text_poke): the guest dies of "Oops: int3" in code that
# never had one, typically in early boot, about once in 25 boots here.
# No bug of ours looks like that (BUG and WARN are ud2), so a run whose
# first kernel report is exactly that is booted once more, and says so.
start=$(date +%s)
boot
if grep -E -m 1 "$splat" "$out/console.log" 2>/dev/null | grep -q 'Oops: int3'; then
	cp "$out/console.log" "$out/console-int3.log"
	echo "# $name: the guest died of a QEMU TCG text-patching fault (Oops: int3; console kept in $out/console-int3.log); booting it again"
	boot
fi
elapsed=$(($(date +%s) - start))
cp "$out/console.log" "$top/build/vm/console.log"
touch "$out/results.log"

cat "$out/results.log"
# kmemleak prints its backtraces after rmmod, when the module's symbols
# are gone: resolve our addresses with the .text base the guest printed.
base=$(sed -n 's/^# xsession \.text \(0x[0-9a-f]*\)$/\1/p' "$out/results.log" | tail -n 1)
if [ -n "$base" ] && grep -q '^unreferenced object\|^# unreferenced object' "$out/results.log"; then
	size=$((0x$(objdump -h "$module" | awk '$2 == ".text" { print $3 }')))
	for a in $(grep -v '^# xsession \.text' "$out/results.log" | grep -oE '0xffffffff[0-9a-f]{8}\b' | sort -u); do
		off=$((a - base))
		[ "$off" -gt 0 ] && [ "$off" -lt "$size" ] || continue
		printf '# %s = %s\n' "$a" "$(addr2line -f -i -p -e "$module" -j .text \
			"$(printf '0x%x' $((off - 1)))" | tr '\n' ' ')"
	done
fi
echo "# $name: VM ran ${elapsed}s, qemu exit $qemu_rc"

# Host-side checks, numbered after the guest's, in the same TAP style.
host_fail=0
host_n=0
host_check() {	# host_check NAME STATUS [DETAIL]
	host_n=$((host_n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $host_n host: $1"
	else
		echo "not ok $host_n host: $1"
		[ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/^/# /'
		host_fail=$((host_fail + 1))
	fi
}
echo "# selftest: host"
s=0; [ "$qemu_rc" -ne 124 ] && [ "$qemu_rc" -ne 137 ] || s=1
host_check "VM finished within ${timeout}s" $s "qemu exit $qemu_rc (124: killed by the host timeout)"
s=0; grep -q '^XS-RESULT rc=0$' "$out/results.log" || s=1
host_check "guest reported success" $s "$(grep '^XS-RESULT' "$out/results.log" || echo 'no XS-RESULT line: the guest died or hung')"
bad=$(grep -E -n "$splat" "$out/console.log" | head -n 60 || true)
s=0; [ -z "$bad" ] || s=1
host_check "console shows no kernel bug" $s "$bad"
echo "1..$host_n"
if [ -n "$bad" ]; then
	# The first report whole: its headline, the locks or the access, and
	# the stacks that name our code.  Later reports are often its echoes.
	first=$(head -n 1 <<<"$bad" | cut -d: -f1)
	from=$((first > 3 ? first - 3 : 1))
	echo "# ---- first report: console lines $from-$((first + 70)) ($out/console.log) ----"
	sed -n "${from},$((first + 70))p" "$out/console.log" | sed 's/^/# /'
fi
if [ -n "$bad" ] || [ "$qemu_rc" -ne 0 ]; then
	echo "# ---- last 15 console lines ----"
	tail -n 15 "$out/console.log" | sed 's/^/# /'
fi

# Count the guest's TAP per program: a program that dies, or prints fewer
# results than its plan announced, counts its missing tests as failures.
awk -v countfile="$out/tap-counts" -f "$top/selftests/tap-count.awk" "$out/results.log"
read -r passed failed skipped <"$out/tap-counts"
passed=$((passed + host_n - host_fail))
failed=$((failed + host_fail))

echo "$passed $failed $skipped" >"$out/counts"
summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary="$summary, $skipped skipped"
echo "$name: $summary"
[ "$failed" -eq 0 ]

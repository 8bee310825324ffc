#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test VM (busybox sh).  It loads the module, runs what
# /etc/xs.conf asks for, unloads the module, checks the kernel's health
# and powers off.  Test output goes to the second serial port (the host's
# results.log), kernel messages stay on the console (console.log).  The
# infrastructure checks below are TAP lines too, so the host counts them.
#
# /etc/xs.conf sets: XS_MODE (test|demo), XS_TESTS (binaries in
# /lib/xsession/tests, in order), XS_DEMO (command line), XS_KMEMLEAK (0|1).

export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
. /etc/xs.conf

stty -F /dev/ttyS1 raw -echo
exec 3>/dev/ttyS1

XS_MODULE=/lib/xsession/xsession.ko
export XS_MODULE

vm_n=0
vm_failed=0
vm_check() {	# vm_check NAME STATUS [DETAIL...]: one TAP line
	vm_n=$((vm_n + 1))
	name=$1
	status=$2
	shift 2
	if [ "$status" -eq 0 ]; then
		echo "ok $vm_n vm: $name" >&3
	else
		echo "not ok $vm_n vm: $name" >&3
		for d in "$@"; do printf '%s\n' "$d" | sed 's/^/# /' >&3; done
		vm_failed=1
	fi
}

echo "# kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus" >&3

echo "# selftest: vm" >&3
echo "TAP version 13" >&3
msg=$(insmod "$XS_MODULE" 2>&1)
vm_check "insmod xsession.ko" $? "$msg"
[ -c /dev/xsession ]
vm_check "/dev/xsession exists" $?
if [ -e /lib/xsession/xsession_kunit.ko ]; then
	# The KUnit suites run while this module loads and print KTAP on the
	# console; the host parses it from the marker on.
	echo "xsession-vm: kunit start" >/dev/kmsg
	msg=$(insmod /lib/xsession/xsession_kunit.ko 2>&1)
	vm_check "insmod xsession_kunit.ko" $? "$msg"
	echo "xsession-vm: kunit end" >/dev/kmsg
	msg=$(rmmod xsession_kunit 2>&1)
	vm_check "rmmod xsession_kunit" $? "$msg"
fi
taint_before=$(cat /proc/sys/kernel/tainted)
echo "# taint after insmod: $taint_before" >&3
echo "1..$vm_n" >&3

run_rc=0
if [ "$XS_MODE" = demo ]; then
	# The demo is one TAP result: it ran and exited 0.
	echo "# selftest: demo" >&3
	sh -c "$XS_DEMO" >&3 2>&1
	run_rc=$?
	[ $run_rc -eq 0 ] && echo "ok 1 demo: $XS_DEMO" >&3 ||
		echo "not ok 1 demo: $XS_DEMO (exit $run_rc)" >&3
	echo "1..1" >&3
	echo "XS-BIN demo rc=$run_rc" >&3
else
	for t in $XS_TESTS; do
		echo "# selftest: $t" >&3
		/lib/xsession/tests/$t >&3 2>&1
		rc=$?
		echo "XS-BIN $t rc=$rc" >&3
		[ $rc -eq 0 ] || run_rc=1
	done
fi

echo "# selftest: vm-after" >&3
echo "TAP version 13" >&3
vm_n=0
if grep -q '^xsession ' /proc/modules; then
	# Where the module sat, so kmemleak backtraces can be resolved later.
	echo "# xsession .text $(cat /sys/module/xsession/sections/.text 2>/dev/null)" >&3
	msg=$(rmmod xsession 2>&1)
	vm_check "rmmod xsession" $? "$msg"
else
	vm_check "module still loaded after the tests" 1
fi
taint_after=$(cat /proc/sys/kernel/tainted)
[ "$taint_after" = "$taint_before" ]
vm_check "kernel not tainted by the run" $? "taint $taint_before -> $taint_after"
if [ -r /proc/lockdep_stats ]; then
	! grep -q 'debug_locks: *0' /proc/lockdep_stats
	vm_check "lockdep still enabled (no lockdep report)" $?
fi
if [ "$XS_KMEMLEAK" = 1 ]; then
	km=/sys/kernel/debug/kmemleak
	if [ -w $km ]; then
		# kmemleak ignores objects younger than 5 s and often needs
		# a second scan to be sure an object is unreferenced.
		sleep 5
		echo scan >$km
		echo scan >$km
		leaks=$(cat $km)
		[ -z "$leaks" ]
		vm_check "kmemleak: no leaks" $? \
			"$(printf '%s\n' "$leaks" | grep -c '^unreferenced object') unreferenced objects, the first ones:" \
			"$(printf '%s\n' "$leaks" | head -n 40)"
	else
		vm_check "kmemleak available" 1 "no $km"
	fi
fi
echo "1..$vm_n" >&3

echo "XS-RESULT rc=$((run_rc | vm_failed))" >&3
sync
reboot -f

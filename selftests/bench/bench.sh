#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: xsession against AF_UNIX SOCK_SEQPACKET, pipes, a futex
# ping-pong and Android binder, in ONE boot of Debian's stock kernel.
#
#   selftests/bench/bench.sh
#
# Builds the module, xs-bench (static) and a decompressed binder_linux.ko
# (busybox insmod cannot read .xz), boots the VM with single-threaded TCG
# (multi-threaded TCG makes cross-CPU wake-ups noisy) and two vCPUs, runs
# `xs-bench all` there, and writes into build/bench/:
#   results.tsv   workload, mechanism, value, unit (from the guest)
#   table.txt     ratios to AF_UNIX per workload, with xsession's targets
#   bench.svg, bench.png   the ratios as grouped bars
#   vm.log        what the VM rig printed (build/vm/bench/ has its logs)
# Exits non-zero when a message failed verification, a mechanism broke
# mid-run, the results are missing, or the VM run failed.
#
# Environment: XS_VM_TIMEOUT (seconds, default 1800); XS_BENCH_ARGS
# (extra xs-bench options, e.g. "-t 0.1 -r 3" for a quick look, or
# "-m xsession,af_unix"); XS_BENCH_NO_BUILD=1 reuses the last build;
# XS_BENCH_CHART_ONLY=1 only redraws table and chart from the last
# build/vm/bench/results.log.
set -uo pipefail

. "$(dirname "$0")/../lib.sh"
cd "$top"

start=$(date +%s)
out=$top/build/bench
bin=$out/bin
log=$top/build/vm/bench/results.log
tsv=$out/results.tsv
mkdir -p "$bin"

say() { printf 'bench: %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }

need_gnuplot() {
	command -v gnuplot >/dev/null && return
	say "installing gnuplot-nox"
	[ "$(id -u)" -eq 0 ] || die "run as root, or: apt-get install gnuplot-nox"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends gnuplot-nox >&2 ||
		die "cannot install gnuplot-nox"
}

build() {
	say "building the module, the library and xs-bench"
	make -s module lib W=1 >"$out/build.log" 2>&1 &&
		make -s -C selftests/bench O="$bin" >>"$out/build.log" 2>&1 || {
		cat "$out/build.log"
		die "the build failed"
	}
}

# Binder: Debian builds it as a module of linux-image-6.12-amd64, without
# binderfs, so devices=binder makes /dev/binder.  busybox insmod cannot
# read .xz.  Without the module the binder column says n/a, and why.
stage_binder() {
	local xz_ko=/lib/modules/$release/kernel/drivers/android/binder_linux.ko.xz

	rm -f "$bin/binder_linux.ko"
	if [ -r "$xz_ko" ]; then
		xz -dc "$xz_ko" >"$bin/binder_linux.ko" || die "cannot decompress $xz_ko"
	else
		say "no $xz_ko in linux-image-$release: binder will be n/a"
	fi
}

# One boot: load binder quietly (its default debug_mask logs every refused
# oneway transaction on the console), then measure.  The command lands in
# the guest's /etc/xs.conf inside double quotes: no double quotes or $ here.
run_vm() {
	local demo="if [ -e /lib/xsession/bin/binder_linux.ko ]; then
	insmod /lib/xsession/bin/binder_linux.ko devices=binder debug_mask=0 alloc_debug_mask=0 ||
		echo '# binder_linux.ko did not load';
	[ -e /dev/binder ] || { mkdir -p /dev/binderfs; mount -t binder binder /dev/binderfs; };
fi;
xs-bench ${XS_BENCH_ARGS:-} all"

	[ -x "$bin/xs-bench" ] && [ -r kmod/xsession.ko ] || die "nothing built yet"
	say "booting $release (TCG, one thread, 2 vCPUs); this takes a few minutes"
	XS_VM_TCG_THREAD=single XS_VM_SMP=2 XS_VM_TIMEOUT=${XS_VM_TIMEOUT:-1800} \
		selftests/vm/run.sh --name bench --kernel "$(stock_kernel)" \
		--module kmod/xsession.ko --bin-dir "$bin" --demo "$demo" \
		>"$out/vm.log" 2>&1
}

# The TSV and the table from the guest's log; what it noted on the way
# (spreads, n/a reasons, verification failures), then the table.
extract() {
	sed -n '/^XS-BENCH-TSV-BEGIN$/,/^XS-BENCH-TSV-END$/p' "$log" 2>/dev/null |
		sed '1d;$d' >"$tsv"
	sed -n '/^XS-BENCH-TABLE-BEGIN$/,/^XS-BENCH-TABLE-END$/p' "$log" 2>/dev/null |
		sed '1d;$d' >"$out/table.txt"
	if [ ! -s "$tsv" ] || [ ! -s "$out/table.txt" ]; then
		tail -n 40 "$out/vm.log" 2>/dev/null
		die "no results from the VM (see $out/vm.log and build/vm/bench/)"
	fi
	grep '^# ' "$log" | grep -v '^# selftest\|^# taint\|^# xsession \.text' || true
	echo
	cat "$out/table.txt"
	echo
}

# Ratios to AF_UNIX for one chart panel, a row per workload and a
# column per mechanism ("-": no value), then xsession's target.
# SPEC is "WORKLOAD:LABEL:TARGET ...", with ~ for spaces in LABEL;
# TARGET "B4096" is the absolute 4096 bytes of mem_idle.
chart_mechs="xsession xsession-batch xsession-async pipe futex binder"
chart_data() {	# chart_data SPEC > file
	awk -F'\t' -v spec="$1" -v mechs="$chart_mechs" '
	NR > 1 { v[$1, $2] = $3 }
	END {
		nm = split(mechs, m, " ")
		# A comment, not a row: a histogram counts every row.
		printf "# label"
		for (j = 1; j <= nm; j++)
			printf "\t%s", m[j]
		printf "\ttarget\n"
		nw = split(spec, ws, " ")
		for (i = 1; i <= nw; i++) {
			split(ws[i], f, ":")
			ref = v[f[1], "af_unix"]
			label = f[2]
			gsub("~", " ", label)
			printf "%s", label
			for (j = 1; j <= nm; j++) {
				x = v[f[1], m[j]]
				if (x == "" || x == "n/a" || x == "fail" || ref + 0 <= 0)
					printf "\t-"
				else
					printf "\t%.4g", x / ref
			}
			t = f[3]
			if (t == "B4096")
				t = ref + 0 > 0 ? 4096 / ref : ""
			printf "\t%s\n", t == "" ? "-" : t
		}
	}' "$tsv"
}

# The plot command of one panel: a bar series per column that has a
# value (an all-empty series would make gnuplot complain); the first
# one also labels the x axis.
plot_cmd() {	# plot_cmd DATAFILE
	local file=$1 col=2 i=0 m cmd="" xtic=":xtic(1)"
	local colors=("#1f77b4" "#aec7e8" "#17becf" "#2ca02c" "#9467bd" "#d62728")

	for m in $chart_mechs target; do
		if awk -F'\t' -v c=$col '!/^#/ && $c != "-" { ok = 1 } END { exit !ok }' "$file"; then
			[ -z "$cmd" ] || cmd="$cmd, "
			if [ "$m" = target ]; then
				cmd="$cmd'$file' using $col$xtic title 'xsession target' lc rgb '#1f77b4' lw 2 fs empty"
			else
				cmd="$cmd'$file' using $col$xtic title '$m' lc rgb '${colors[$i]}'"
			fi
			xtic=""
		fi
		col=$((col + 1))
		i=$((i + 1))
	done
	echo "$cmd"
}

# Two panels, because the ratios point different ways: times and bytes
# (lower is better) and rates (higher is better).  AF_UNIX is the dashed
# line at 1; xsession's target is an outlined bar.  Log scale: the
# ratios span two orders of magnitude.
chart() {
	local lower=$out/chart-lower.dat higher=$out/chart-higher.dat term

	chart_data "rt_16:rt~16~B:0.65 rt_1K:rt~1~KiB: rt_64K:rt~64~KiB:0.45 mem_idle:idle~session~memory:B4096" >"$lower"
	chart_data "ow_64:one-way~64~B:3 ow_4K:one-way~4~KiB: ow_64K:one-way~64~KiB:2.5 ow_1M:one-way~1~MiB:2.5 conn:connect+accept+close:1" >"$higher"
	cat >"$out/bench.gp" <<EOF
set datafile separator "\t"
set datafile missing "-"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border rgb "#404040"
set boxwidth 0.9
set logscale y 10
set yrange [0.01:20]
set ytics ("0.01" 0.01, "0.02" 0.02, "0.05" 0.05, "0.1" 0.1, "0.2" 0.2, "0.5" 0.5, "1" 1, "2" 2, "5" 5, "10" 10, "20" 20)
set grid ytics lc rgb "#dddddd"
set key outside right top vertical
set xtics noenhanced nomirror
set ylabel "ratio to AF_UNIX (log scale)" noenhanced
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb "#000000" front
set multiplot layout 2,1 title "xsession vs. other Linux IPC: ratio to AF_UNIX SOCK_SEQPACKET (dashed line = 1)\\nDebian $release, one VM boot, QEMU TCG single-thread, 2 vCPUs; medians of rounds that alternate the mechanisms" noenhanced
set title "time per round trip, kernel memory per idle session: lower is better" noenhanced
plot $(plot_cmd "$lower")
set title "one-way throughput, connection rate: higher is better" noenhanced
plot $(plot_cmd "$higher")
unset multiplot
EOF
	for term in "svg size 1200,900 dynamic font 'sans,12' background rgb 'white'|svg" \
		    "pngcairo size 1200,900 font 'sans,10' background rgb 'white'|png"; do
		printf 'set terminal %s\nset output "%s"\n' "${term%|*}" "$out/bench.${term#*|}"
		cat "$out/bench.gp"
	done | gnuplot 2>"$out/gnuplot.log" || {
		cat "$out/gnuplot.log"
		say "gnuplot failed; the table above stands"
		return
	}
	say "chart: $out/bench.svg $out/bench.png"
}

# Non-zero when a message failed verification, a mechanism broke, or the
# VM run failed (a kernel splat, a taint, a timeout: run.sh judges).
verdict() {	# verdict VM_RC
	local failures broken rc=0

	failures=$(awk -F'\t' '$1 == "verify" { print $3 }' "$tsv")
	broken=$(awk -F'\t' '$3 == "fail" { printf " %s/%s", $1, $2 }' "$tsv")
	say "results: $tsv"
	say "wall time $(($(date +%s) - start)) s ($(grep -o 'VM ran [0-9]*s' "$out/vm.log" 2>/dev/null || echo 'no VM run'))"
	if [ "${failures:-x}" != 0 ]; then
		say "${failures:-an unknown number of} messages failed verification"
		rc=1
	fi
	if [ -n "$broken" ]; then
		say "mechanisms that failed mid-run:$broken"
		rc=1
	fi
	if [ "$1" -ne 0 ]; then
		say "the VM run failed: $(tail -n 1 "$out/vm.log") (see $out/vm.log)"
		rc=1
	fi
	return $rc
}

need_gnuplot
release=$(stock_release) || exit 1
vm_rc=0
if [ "${XS_BENCH_CHART_ONLY:-0}" != 1 ]; then
	[ "${XS_BENCH_NO_BUILD:-0}" = 1 ] || build
	stage_binder
	run_vm
	vm_rc=$?
fi
extract
chart
verdict $vm_rc

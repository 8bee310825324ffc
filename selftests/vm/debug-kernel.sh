#!/usr/bin/env bash
# Build, or fetch from the cache, the small debug kernel used for the QEMU TCG
# tests: KASAN, lockdep, kmemleak, UBSAN, KUnit (shared/spec/vm-rig.md §2-3).
#
# Usage: debug-kernel.sh [--print-key] [--force] [--cached-only]
#
# --cached-only prints the cache directory when it is complete and otherwise
# exits 1 without building (for checks that can do without it).
#
# On success the only line on stdout is the cache directory, so callers can do
#   KCACHE=$(selftests/vm/debug-kernel.sh)
# Progress and errors go to stderr. The cache directory holds:
#   bzImage                 the kernel to boot
#   kernel.version          its kernelrelease
#   extmod/                 self-contained tree for `make -C extmod M=dir modules`
#                           (with extmod/.config)
#   tools/testing/kunit/    kunit.py; the path is kept because kunit.py
#                           refuses to run from anywhere else
#   checkpatch/             checkpatch.pl and its data files, for --no-tree
#   build.log               the full build log
#   stamp                   written last; its presence means "complete"
#
# The cache key covers everything that changes the result: the config
# fragment, the linux-source package version, the compiler version and
# RECIPE_VERSION. A cold build takes 5-7 minutes on 2 cores, needs about
# 2.1 GB of scratch space next to the cache, and leaves about 70 MB behind.
# Build host needs: gcc make flex bison bc perl xz-utils zstd libelf-dev and
# the linux-source-6.12 package.
#
# Environment:
#   XS_KERNEL_CACHE  cache root (default ${XDG_CACHE_HOME:-~/.cache}/xsession-kernel)
set -euo pipefail

# Bump whenever this script changes what ends up in the cache.
RECIPE_VERSION=1

SRC_PKG=linux-source-6.12
SRC_TARBALL=/usr/src/$SRC_PKG.tar.xz
KARCH=x86_64
SRCARCH=x86

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRAGMENT=$HERE/debug-kernel.config
CACHE_ROOT=${XS_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xsession-kernel}
# The printed path must stay valid after the caller changes directory.
[[ $CACHE_ROOT == /* ]] || CACHE_ROOT=$PWD/$CACHE_ROOT

log() { printf 'debug-kernel: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# usage EXIT_CODE: the header comment above is the help text.
usage() {
	local text
	text=$(sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}")
	if (($1)); then printf '%s\n' "$text" >&2; else printf '%s\n' "$text"; fi
	exit "$1"
}

print_key=0
force=0
cached_only=0
for arg in "$@"; do
	case $arg in
	--print-key) print_key=1 ;;
	--cached-only) cached_only=1 ;;
	--force) force=1 ;;
	-h|--help) usage 0 ;;
	*) log "unknown argument: $arg"; usage 2 ;;
	esac
done

[[ -r $FRAGMENT ]] || die "config fragment not found: $FRAGMENT"

# Separate assignments so that a failing dpkg-query or gcc stops the script
# instead of silently hashing an empty string.
src_version=$(dpkg-query -W -f='${Version}' "$SRC_PKG" 2>/dev/null) ||
	die "package $SRC_PKG is not installed"
gcc_version=$(gcc -dumpfullversion) || die "gcc not found"

key=$(
	{
		printf 'recipe=%s\nsource=%s\ngcc=%s\n' \
			"$RECIPE_VERSION" "$src_version" "$gcc_version"
		cat "$FRAGMENT"
	} | sha256sum
)
key=${key%% *}

if ((print_key)); then
	printf '%s\n' "$key"
	exit 0
fi

cache=$CACHE_ROOT/$key

# The fast path: no lock, no tools beyond the key computation above.
if ((!force)) && [[ -f $cache/stamp ]]; then
	printf '%s\n' "$cache"
	exit 0
fi
((!cached_only)) || exit 1

# Fail now with a useful message rather than minutes into the build.
missing=()
for tool in make gcc flex bison bc perl xz zstd flock; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
[[ -f /usr/include/gelf.h ]] || missing+=("libelf-dev")
[[ -r $SRC_TARBALL ]] || missing+=("$SRC_TARBALL")
((${#missing[@]} == 0)) || die "missing build prerequisites: ${missing[*]}"

mkdir -p "$CACHE_ROOT"

# One lock per key: a second caller waits for the first build and then takes
# the fast path below, instead of spending another 5 minutes and 2 GB.
exec 9>"$CACHE_ROOT/$key.lock"
if ! flock -n 9; then
	log "another build of $key is running; waiting for it"
	flock 9
fi
if ((!force)) && [[ -f $cache/stamp ]]; then
	printf '%s\n' "$cache"
	exit 0
fi

# We hold the lock, so any staging directory for this key is left over from a
# build that was killed; each one can hold 2 GB of source and objects.
rm -rf "$CACHE_ROOT/$key".tmp.* "$CACHE_ROOT/$key".old.*

# Stage next to the cache so the final mv is a rename on the same filesystem.
work=$CACHE_ROOT/$key.tmp.$$
src=$work/src
build=$work/build
LOG=$work/build.log
mkdir -p "$work" "$src" "$build"
: >"$LOG"

# On any failure keep only the log: the source and objects are too big to
# leave lying around, and the next run deletes the whole staging directory.
cleanup() {
	local rc=$?
	if ((rc != 0)); then
		rm -rf "$src" "$build"
		[[ -f $LOG ]] && log "build log kept at $LOG"
	fi
}
trap cleanup EXIT

# Keep the caller's environment out of the kernel build: Kbuild and Kconfig
# read all of these from the environment, yet none is in the cache key.
# MAKEFLAGS in particular leaks in when this script runs from a make recipe
# (jobserver fds, -s, -n); KCONFIG_ALLCONFIG would change what tinyconfig
# produces, LOCALVERSION the kernelrelease.
unset MAKEFLAGS MFLAGS MAKELEVEL CROSS_COMPILE LLVM KBUILD_OUTPUT \
	KBUILD_EXTMOD KCONFIG_CONFIG KCONFIG_ALLCONFIG LOCALVERSION \
	KCFLAGS KCPPFLAGS KAFLAGS KRUSTFLAGS HOSTCFLAGS HOSTLDFLAGS

# run DESCRIPTION COMMAND...: run a step with its output in the log; on
# failure show the end of the log, which is where the compiler error is.
run() {
	local what=$1 t0=$SECONDS
	shift
	log "$what"
	printf '\n### %s\n### %s\n' "$what" "$*" >>"$LOG"
	if ! "$@" >>"$LOG" 2>&1; then
		log "$what failed; last 60 lines of $LOG:"
		tail -n 60 "$LOG" >&2
		die "$what failed"
	fi
	log "$what: done in $((SECONDS - t0)) s"
}

kmake() { make -C "$src" O="$build" ARCH="$KARCH" "$@"; }

# merge_config.sh writes its temporary files into the current directory, so
# run it in the build dir to keep the source tree clean for O= builds.
merge_fragment() {
	(cd "$build" && "$src/scripts/kconfig/merge_config.sh" -m -O . .config "$FRAGMENT")
}

# The kernel's own packaging helper picks exactly the headers, scripts and
# generated files an external module build needs, so the 2 GB of source and
# objects can go. It reads the build's auto.conf, hence run from $build.
install_extmod() {
	(cd "$build" && srctree=$src SRCARCH=$SRCARCH CC=gcc HOSTCC=gcc MAKE=make \
		sh "$src/scripts/package/install-extmod-build" "$work/extmod")
}

# olddefconfig drops any option whose dependencies are unmet, without a word.
# Check every CONFIG_ line of the fragment (and any "# CONFIG_X is not set")
# against the final .config and list every mismatch at once.
verify_config() {
	local config=$build/.config line sym val bad=()
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			sym=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set ]]; then
			sym=${BASH_REMATCH[1]} val=n
		else
			continue
		fi
		if [[ $val == n ]]; then
			# "=n" means absent or "is not set": anything "=..." is wrong.
			if grep -q "^$sym=" "$config"; then
				bad+=("$sym=n (got: $(grep "^$sym=" "$config"))")
			fi
		elif ! grep -Fqx "$sym=$val" "$config"; then
			bad+=("$sym=$val (got: $(grep -E "^$sym=|^# $sym is not set" "$config" || echo absent))")
		fi
	done <"$FRAGMENT"
	if ((${#bad[@]})); then
		log "these fragment options did not survive olddefconfig (unmet dependencies?):"
		printf '  %s\n' "${bad[@]}" >&2
		die "config check failed for $FRAGMENT"
	fi
	log "config check: all fragment options present"
}

t_start=$SECONDS
log "cache miss; building kernel $key"
log "staging in $work"

# Always from the tarball, never from an unpacked tree on the machine: CI
# starts from a clean machine, and this way both paths do the same thing.
run "extract $SRC_TARBALL" tar -xf "$SRC_TARBALL" -C "$src" --strip-components=1

# Without ARCH=x86_64, tinyconfig produces a 32-bit kernel.
run "tinyconfig" kmake tinyconfig
run "merge $FRAGMENT" merge_fragment
run "olddefconfig" kmake olddefconfig
verify_config

# `modules` is only there to write Module.symvers, which external modules
# need; the fragment builds nothing as =m.
run "build bzImage modules (-j$(nproc), about 8 minutes on 2 cores)" \
	kmake -j"$(nproc)" bzImage modules

release=$(<"$build/include/config/kernel.release")

run "external-module tree" install_extmod
cp "$build/.config" "$work/extmod/.config"

cp "$build/arch/$SRCARCH/boot/bzImage" "$work/bzImage"
printf '%s\n' "$release" >"$work/kernel.version"

mkdir -p "$work/tools/testing"
cp -a "$src/tools/testing/kunit" "$work/tools/testing/kunit"

# checkpatch.pl looks for its data files next to itself, and for its
# documentation (only for --verbose) at ../Documentation/dev-tools.
mkdir -p "$work/checkpatch" "$work/Documentation/dev-tools"
cp "$src/scripts/checkpatch.pl" "$src/scripts/spelling.txt" \
	"$src/scripts/const_structs.checkpatch" "$work/checkpatch/"
cp "$src/Documentation/dev-tools/checkpatch.rst" "$work/Documentation/dev-tools/"

rm -rf "$src" "$build"

# Replace an existing entry (--force, or a directory left without a stamp by
# a run killed between mv and stamp) only now that the new one is complete.
if [[ -e $cache ]]; then
	mv "$cache" "$CACHE_ROOT/$key.old.$$"
fi
mv "$work" "$cache"
LOG=$cache/build.log
rm -rf "$CACHE_ROOT/$key.old.$$"

{
	printf 'key=%s\nrecipe=%s\nsource=%s\ngcc=%s\nrelease=%s\n' \
		"$key" "$RECIPE_VERSION" "$src_version" "$gcc_version" "$release"
	printf 'built=%s\nbuild_seconds=%s\n' "$(date -u +%FT%TZ)" "$((SECONDS - t_start))"
} >"$cache/stamp.tmp"
mv "$cache/stamp.tmp" "$cache/stamp"

log "kernel $release ready in $((SECONDS - t_start)) s: $cache"
printf '%s\n' "$cache"

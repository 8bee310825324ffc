#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make install` into a scratch DESTDIR, then build a program the way a
# user would: pkg-config for the flags, the installed headers and
# library.  TAP on stdout.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

n=0 fail=0
check() {	# check NAME COMMAND...
	n=$((n + 1))
	if "${@:2}" >"$dest/.log" 2>&1; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		sed 's/^/# /' "$dest/.log" | tail -n 20
		fail=1
	fi
}

echo "TAP version 13"
check "make install DESTDIR=..." make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr
check "the module and its depmod data are installed" \
	sh -c "ls $dest/lib/modules/*/updates/kmod/xsession.ko* && ls $dest/lib/modules/*/modules.dep"
check "the shared library carries its soname" \
	sh -c "objdump -p $dest/usr/lib/libxsession.so.0.*.* | grep -q 'SONAME *libxsession.so.0$' && test -L $dest/usr/lib/libxsession.so.0"
export PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
check "a program builds with pkg-config against the installed files" \
	sh -c "cc -Wall -Werror -o $dest/kv-client $top/examples/kv-client.c -I$dest/usr/include \$(pkg-config --cflags --libs xsession) -Wl,-rpath,$dest/usr/lib"
check "it links the installed shared library" \
	sh -c "ldd $dest/kv-client | grep -q '$dest/usr/lib/libxsession.so.0'"
echo "1..$n"
exit $fail

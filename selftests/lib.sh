# SPDX-License-Identifier: GPL-2.0
# Shared by the host-side scripts: where things are and how to find them.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian's stock 6.12 kernel: the version moves with bookworm-security, so
# find it instead of naming it.
stock_release() {
	local d
	d=$(ls -d /lib/modules/6.12.*-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || { echo "xsession: linux-image-6.12-amd64 is not installed" >&2; return 1; }
	basename "$d"
}

stock_kernel() { echo "/boot/vmlinuz-$(stock_release)"; }
stock_kdir() { echo "/lib/modules/$(stock_release)/build"; }

# Build the module against KDIR in a private copy of the sources, so builds
# for different kernels never overwrite each other's objects.
build_module_copy() {	# build_module_copy KDIR DIR [MAKE-ARGS...] -> DIR/kmod/xsession.ko
	local kdir=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	cp "$top/Kbuild" "$top/VERSION" "$dir/"
	rm -rf "$dir/kmod" "$dir/uapi"
	cp -r "$top/kmod" "$top/uapi" "$dir/"
	find "$dir/kmod" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \) -delete
	make -s -C "$kdir" M="$dir" W=1 "$@" modules
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages the build, the VM rig and the tests need,
# and only those that are missing, so a warm machine pays nothing.
set -euo pipefail

PACKAGES=(
	gcc make libc6-dev gcc-multilib pkg-config
	bc bison flex libelf-dev libssl-dev zstd xz-utils	# kernel builds
	linux-headers-6.12-amd64		# stock-kernel module build
	linux-image-6.12-amd64			# stock kernel booted in the VM
	linux-source-6.12			# debug kernel, checkpatch, kunit.py
	qemu-system-x86 qemu-system-data	# the VM and qboot.rom
	busybox-static cpio			# the guest's userland
	liburing-dev				# io_uring tests
	sparse python3 groff-base python3-sphinx
	clang libclang-rt-14-dev		# libFuzzer, sanitizers for the codec
	python3-cbor2				# wire-format interop test
)

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "xsession: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "xsession: run as root, or: apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2

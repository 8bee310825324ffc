#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: build, boot Debian's stock kernel in a VM, load the module
# and run the demo programs there.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
cd "$top"

make -s all examples W=1 || exit 1
selftests/vm/run.sh --name demo --kernel "$(stock_kernel)" \
	--module kmod/xsession.ko --bin-dir build/examples \
	--demo "xs-info && { kv-service --once & sleep 1; kv-client && wait; }"

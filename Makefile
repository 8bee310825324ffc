# SPDX-License-Identifier: GPL-2.0
#
# Top-level build of xsession: the kernel module (kbuild, out of tree), the
# userspace library and, on demand, the tests and the VM they run in.
#
#   make              module + library
#   make demo         build, boot a VM, load the module, run the demo
#   make check        build and run every test (VM, debug kernel, host)
#   make check-host   run the selftests against the module loaded here
#   make bench        xsession against AF_UNIX, pipes, binder, futex (a VM)
#   make install      module (+ depmod), library, headers, pkg-config file

VERSION := $(shell cat VERSION)

# KDIR: the running kernel's build tree when it has one; otherwise (as on
# the CI machines, whose own kernel cannot load modules) the newest
# installed Debian linux-headers-6.12-amd64.
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
ifeq ($(origin KDIR),undefined)
  ifneq ($(wildcard $(RUNNING_KDIR)/Makefile),)
    KDIR := $(RUNNING_KDIR)
    KDIR_WHY := the running kernel
  else
    KDIR := $(lastword $(sort $(wildcard /lib/modules/6.12.*-amd64/build)))
    KDIR_WHY := installed linux-headers-6.12-amd64 (no headers for $(shell uname -r))
  endif
else
  KDIR_WHY := set by the caller
endif

W ?= 1
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR ?=

.PHONY: all module lib examples selftests install demo check check-host \
	deps clean kdir fuzz bench

all: module lib

kdir:
	@echo "xsession: building against KDIR=$(KDIR) ($(KDIR_WHY))"

module: kdir
	@test -n "$(KDIR)" || { echo "xsession: no kernel headers found; apt-get install linux-headers-6.12-amd64" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) modules

lib:
	$(MAKE) -C libuser

examples: lib
	$(MAKE) -C examples

selftests: lib
	$(MAKE) -C selftests

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install
	depmod -a $(if $(DESTDIR),-b $(DESTDIR)) $$($(MAKE) -s -C $(KDIR) kernelrelease)
	$(MAKE) -C libuser install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) \
		LIBDIR=$(LIBDIR) INCLUDEDIR=$(INCLUDEDIR)
	install -D -m 0644 uapi/linux/xsession.h \
		$(DESTDIR)$(INCLUDEDIR)/linux/xsession.h
	$(MAKE) -C man install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

deps:
	selftests/vm/install-deps.sh

demo: deps
	selftests/vm/demo.sh

check: deps
	selftests/check.sh

# Fuzz the message decoder (FUZZ_TIME seconds, default 30).
fuzz: deps
	$(MAKE) -C libuser/fuzz run FUZZ_TIME=$(or $(FUZZ_TIME),30)

# Not a test: measures, in one VM boot, and writes build/bench/.
bench: deps
	selftests/bench/bench.sh

check-host: selftests
	selftests/check-host.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C libuser clean
	-$(MAKE) -C examples clean
	-$(MAKE) -C selftests clean
	rm -rf build

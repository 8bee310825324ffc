# SPDX-License-Identifier: GPL-2.0
#
# Host tests of the target queues (libuser/xs_queue.c), with the xs_test
# harness, built three ways: plain, ASan+UBSan (with a LeakSanitizer check
# inside the leak test) and TSan.  Needs no module.  Usable on its own:
#
#   make -f libuser/tests/queue_test.mk queue-check
#
# or included from another Makefile (the paths follow this file).
# Binaries go to $(QT_O), outside build/host, which host-tests.sh wipes.

QT_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
QT_TOP := $(QT_DIR)/../..
QT_O ?= $(QT_TOP)/build/libuser-tests

QT_SRCS := $(QT_DIR)/queue_test.c $(QT_DIR)/../xs_queue.c \
	$(QT_TOP)/selftests/lib/xs_test.c $(QT_TOP)/selftests/lib/xs_check.c
QT_DEPS := $(QT_SRCS) $(QT_DIR)/../xs_queue.h \
	$(QT_TOP)/selftests/lib/xs_test.h
QT_CC ?= $(CC)
QT_CFLAGS := -std=gnu11 -g -Wall -Wextra -Werror -pthread \
	-I$(QT_DIR)/.. -I$(QT_TOP)/selftests/lib
QT_ASAN := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
QT_TSAN := -O1 -fsanitize=thread
# The tests make thread creation fail on purpose (see queue_test.c).
QT_LDFLAGS := -Wl,--wrap=pthread_create

QT_BINS := $(QT_O)/queue_test $(QT_O)/queue_test-asan $(QT_O)/queue_test-tsan

.PHONY: queue-tests queue-check
queue-tests: $(QT_BINS)

$(QT_O)/queue_test: $(QT_DEPS)
	@mkdir -p $(@D)
	$(QT_CC) $(QT_CFLAGS) -O2 -o $@ $(QT_SRCS) $(QT_LDFLAGS)

$(QT_O)/queue_test-asan: $(QT_DEPS)
	@mkdir -p $(@D)
	$(QT_CC) $(QT_CFLAGS) $(QT_ASAN) -o $@ $(QT_SRCS) $(QT_LDFLAGS)

$(QT_O)/queue_test-tsan: $(QT_DEPS)
	@mkdir -p $(@D)
	$(QT_CC) $(QT_CFLAGS) $(QT_TSAN) -o $@ $(QT_SRCS) $(QT_LDFLAGS)

# Each binary prints TAP and exits non-zero when a test failed.
queue-check: $(QT_BINS)
	@rc=0; for t in $(QT_BINS); do \
		echo "# $$(basename $$t)"; $$t || rc=1; \
	done; exit $$rc

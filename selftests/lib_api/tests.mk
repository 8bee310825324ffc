# SPDX-License-Identifier: GPL-2.0
#
# selftests/lib_api: libxsession's session API, driven the way programs
# use it (listeners, sessions, handlers, queues), in the VM.
#   conformance_test  one test per XPCSession seed operation, named after
#                     it (Documentation/api-map.rst cites them), plus
#                     listeners, requests, received messages, rich errors
#   lifecycle_test    peer death, cancel races, 1 000 sessions without
#                     leaks, release without cancel, ordering
#   ool_test          fd and shmem objects both ways, 4 MiB dictionaries
#                     through sealed memfds, hostile body references,
#                     running out of descriptors
# Both link libxsession.a (built by the top-level `make lib`, which
# `make selftests` depends on) and the shared helpers in xla_util.c.
lib_api_TESTS := conformance_test lifecycle_test ool_test

XLA_LIBXSESSION := ../libuser/libxsession.a
$(foreach t,$(lib_api_TESTS),$(eval $(t)_SRCS := lib_api/$(t).c lib_api/xla_util.c))
$(foreach t,$(lib_api_TESTS),$(eval $(t)_LDLIBS := $(XLA_LIBXSESSION)))

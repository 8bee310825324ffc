# SPDX-License-Identifier: GPL-2.0
#
# selftests/session: the core IPC of /dev/xsession (names, sessions,
# messages, replies, cancel, peer death, poll, credentials, backpressure,
# introspection, load).  Run order: cheap and basic first, the long load
# tests last.  Every program links the shared helpers in xs_util.c.
session_TESTS := names_test connect_test message_test reply_test sync_test \
	cancel_test death_test poll_test creds_test backpressure_test \
	introspect_test batch_test ring_test items_test sendwait_test uring_cmd_test stress_test

$(foreach t,$(session_TESTS),$(eval $(t)_SRCS := session/$(t).c session/xs_util.c))
uring_cmd_test_LDLIBS := -luring

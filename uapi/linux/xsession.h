/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xsession: XPC-style sessions for Linux.
 *
 * This header is the whole contract between the xsession kernel module and
 * userspace.  Every struct uses fixed-width types with explicit padding; a
 * reserved field or flag bit that is not zero is refused with -EINVAL so it
 * can gain a meaning later.  Fields marked "out" are ignored on input, so
 * a struct can be reused across calls; a refused call writes nothing back.
 *
 * Every struct starts with its size (the openat2/clone3 pattern): the
 * kernel accepts a smaller, older struct, and a larger one only when the
 * bytes it does not know are zero (-E2BIG otherwise, or above
 * XS_STRUCT_SIZE_MAX).  That field, not the size encoded in the ioctl
 * command, versions the struct: the kernel ignores the command's size
 * bits, so a command number never changes when its struct grows.
 *
 * A freshly opened /dev/xsession is an unbound endpoint: it is never
 * ready for poll, and read()/write() fail with -ENOTCONN unless it is a
 * session (after XS_IOC_CONNECT, or a server session from XS_IOC_ACCEPT).
 * Calls that would wait (XS_NONBLOCK, O_NONBLOCK, io_uring's no-wait
 * attempts) return -EAGAIN instead, including when another thread holds
 * the ring they need.
 */
#ifndef _UAPI_LINUX_XSESSION_H
#define _UAPI_LINUX_XSESSION_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* The largest size field any struct may carry (-E2BIG beyond). */
#define XS_STRUCT_SIZE_MAX	4096

/* Path of the misc device. */
#define XS_DEVICE_PATH		"/dev/xsession"

/*
 * Bumped on any incompatible change to this header.  Compatible growth is
 * announced through feature bits and struct sizes instead.
 */
#define XS_UAPI_VERSION		1

/* Feature bits reported in xs_info.features. */
#define XS_FEATURE_INFO		_BITULL(0)	/* XS_IOC_INFO */
#define XS_FEATURE_SESSIONS	_BITULL(1)	/* listeners, sessions, messages */
#define XS_FEATURE_BATCH	_BITULL(2)	/* XS_IOC_SEND_BATCH */
#define XS_FEATURE_URING_CMD	_BITULL(3)	/* io_uring: struct xs_uring_cmd */
#define XS_FEATURE_RING_MMAP	_BITULL(4)	/* mmap'd receive rings, XS_IOC_RING_WAIT */
#define XS_FEATURE_ITEMS	_BITULL(5)	/* messages carry fds and sealed memfds */

/*
 * Names are reverse-DNS style: 1 to XS_NAME_MAX - 1 bytes of [a-zA-Z0-9-_.],
 * made of dot-separated labels that are not empty, where the first label
 * starts with a letter ("com.example.kv", "org.example.kv-2").
 */
#define XS_NAME_MAX		128	/* bytes including the terminating NUL */
#define XS_REASON_MAX		256	/* cancel and reject reasons, bytes */
#define XS_VERSION_LEN		32

/*
 * Indices into xs_info.struct_size[]: the size the module uses for each
 * struct, so userspace can probe before it relies on a layout.
 */
enum xs_struct_index {
	XS_STRUCT_INFO = 0,
	XS_STRUCT_LISTEN,
	XS_STRUCT_CONNECT,
	XS_STRUCT_ACCEPT,
	XS_STRUCT_SEND,
	XS_STRUCT_SEND_SYNC,
	XS_STRUCT_RECV,
	XS_STRUCT_CANCEL,
	XS_STRUCT_PEER_CREDS,
	XS_STRUCT_MSG_HDR,
	XS_STRUCT_SEND_BATCH,
	XS_STRUCT_SEND_DESC,
	XS_STRUCT_RING_CTL,
	XS_STRUCT_RING_WAIT,
	XS_STRUCT_ITEM,
	XS_STRUCT_COUNT,
};

#define XS_INFO_MAX_STRUCTS	16

/**
 * struct xs_info - what the module reports about itself (XS_IOC_INFO)
 * @size:	in: sizeof(struct xs_info) as the caller knows it; at least
 *		XS_INFO_SIZE_VER0.  out: the number of bytes the kernel wrote.
 * @flags:	in: must be zero.
 * @uapi_version: out: XS_UAPI_VERSION of the module.
 * @nr_structs:	out: number of valid entries in @struct_size.
 * @features:	out: XS_FEATURE_* bits the module supports.
 * @struct_size: out: the module's sizeof() for each enum xs_struct_index.
 * @version:	out: the module's version string, NUL terminated.
 * @max_msg_size: out: largest payload of one message, in bytes.
 * @ring_size_default: out: receive ring bytes when a caller asks for 0.
 * @ring_size_max: out: largest receive ring a caller may ask for.
 * @backlog_default: out: pending connect requests a listener queues.
 * @backlog_max: out: the largest backlog a listener may ask for.
 * @max_outstanding: out: requests one session end may have awaiting
 *		replies (-ENOBUFS beyond).
 * @reserved:	in: must be zero; out: zero.
 */
struct xs_info {
	__u32 size;
	__u32 flags;
	__u32 uapi_version;
	__u32 nr_structs;
	__u64 features;
	__u32 struct_size[XS_INFO_MAX_STRUCTS];
	char version[XS_VERSION_LEN];
	__u32 max_msg_size;
	__u32 ring_size_default;
	__u32 ring_size_max;
	__u32 backlog_default;
	__u32 backlog_max;
	__u32 max_outstanding;
	__u64 reserved[4];
};

#define XS_INFO_SIZE_VER0	176	/* sizeof first published struct xs_info */

/* xs_listen.flags */
#define XS_LISTEN_SYSTEM	_BITUL(0)	/* system domain: CAP_SYS_ADMIN */
#define XS_LISTEN_INACTIVE	_BITUL(1)	/* queue requests until XS_IOC_ACTIVATE */
#define XS_LISTEN_RING_MMAP	_BITUL(2)	/* accepted sessions' rings can be mmap'd */

/* xs_listen.req_kind: who may connect, checked before the server sees it */
enum xs_requirement {
	XS_REQ_NONE = 0,
	XS_REQ_SAME_UID,	/* the client's euid equals the listener's */
	XS_REQ_UID,		/* the client's euid equals req_id */
	XS_REQ_GID,		/* req_id is the client's egid or a supplementary group */
};

/**
 * struct xs_listen - turn an unbound endpoint into a listener (XS_IOC_LISTEN)
 * @size:	sizeof(struct xs_listen).
 * @flags:	XS_LISTEN_*.
 * @name:	user pointer to the NUL-terminated service name.
 * @req_kind:	enum xs_requirement.
 * @req_id:	uid or gid for XS_REQ_UID/XS_REQ_GID, in the caller's user
 *		namespace; must be zero otherwise.
 * @ring_size:	receive ring bytes of each accepted session (0: default);
 *		a power of two of pages, at most xs_info.ring_size_max.
 * @backlog:	requests queued before connects fail with -ECONNREFUSED
 *		(0: default).
 * @reserved:	must be zero.
 *
 * The name lives in the caller's IPC namespace, in the domain of its
 * effective uid, or in the system domain with XS_LISTEN_SYSTEM.
 */
struct xs_listen {
	__u32 size;
	__u32 flags;
	__u64 name;
	__u32 req_kind;
	__u32 req_id;
	__u32 ring_size;
	__u32 backlog;
	__u64 reserved[2];
};

/* xs_connect.flags */
#define XS_CONNECT_PRIVILEGED	_BITUL(0)	/* look only in the system domain */
#define XS_CONNECT_WAIT		_BITUL(1)	/* return once the server decided */
#define XS_CONNECT_RING_MMAP	_BITUL(2)	/* this end's ring can be mmap'd */

/**
 * struct xs_connect - connect an unbound endpoint by name (XS_IOC_CONNECT)
 * @size:	sizeof(struct xs_connect).
 * @flags:	XS_CONNECT_*.
 * @name:	user pointer to the NUL-terminated service name.
 * @timeout_ns:	with XS_CONNECT_WAIT: relative deadline, 0 for none.
 * @ring_size:	receive ring bytes of this end (0: default).
 * @__pad:	must be zero.
 * @reserved:	must be zero.
 *
 * Without XS_CONNECT_WAIT the call returns as soon as the request is queued
 * at a live listener; the endpoint can send at once and learns a rejection
 * as the session's end.  With it, the call then sleeps until the server
 * activates (0) or rejects (-ECONNREFUSED) the session, the session ends
 * otherwise (-ECONNRESET), the deadline passes (-ETIMEDOUT) or a signal
 * arrives (-EINTR); in each of these cases the endpoint is already a
 * session.  On an O_NONBLOCK file XS_CONNECT_WAIT returns -EINPROGRESS
 * instead of sleeping: the endpoint is a session already, and a refusal
 * arrives as its END item (with POLLERR).  -ENOENT (no such name), -EPERM
 * (requirement not met) and -ECONNREFUSED from a full backlog leave the
 * endpoint unbound.
 */
struct xs_connect {
	__u32 size;
	__u32 flags;
	__u64 name;
	__u64 timeout_ns;
	__u32 ring_size;
	__u32 __pad;
	__u64 reserved[2];
};

/**
 * struct xs_accept - take the next request from a listener (XS_IOC_ACCEPT)
 * @size:	sizeof(struct xs_accept).
 * @flags:	must be zero (O_NONBLOCK on the listener makes it not wait).
 * @fd:		out: the server side of the session, O_CLOEXEC.  The same
 *		number is the ioctl's return value.
 * @__pad:	must be zero.
 * @reserved:	must be zero.
 *
 * The new session is undecided: the server reads the client's credentials
 * (XS_IOC_PEER_CREDS), then XS_IOC_ACTIVATE or XS_IOC_REJECT.
 */
struct xs_accept {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 __pad;
	__u64 reserved[2];
};

/* Kinds of items a session receives (xs_msg_hdr.kind). */
enum xs_msg_kind {
	XS_MSG_ONEWAY = 1,	/* no reply expected */
	XS_MSG_REQUEST,		/* the receiver owes exactly one reply */
	XS_MSG_REPLY,		/* answers reply_to */
	XS_MSG_ERROR_REPLY,	/* answers reply_to with an error in status */
	/* The last item: status is an enum xs_end_reason, the payload the
	 * reason (not NUL terminated).
	 */
	XS_MSG_END,
};

/* xs_msg_hdr.flags */
#define XS_MSGF_SYNC		_BITUL(0)	/* request from a synchronous sender */
/* Made by the kernel: an error reply for a request the session's end left
 * unanswered.
 */
#define XS_MSGF_KERNEL		_BITUL(1)

/* Why a session ended (XS_MSG_END status; kernel error replies' status). */
enum xs_end_reason {
	XS_END_NONE = 0,
	XS_END_CANCELED,	/* this end cancelled */
	XS_END_INVALIDATED,	/* the peer cancelled or closed it */
	XS_END_INTERRUPTED,	/* the peer's process exited without cancelling */
	XS_END_REJECTED,	/* the listener rejected the connect */
	XS_END_LISTENER_GONE,	/* the listener went away before accepting */
};

/**
 * struct xs_msg_hdr - header of every received item
 * @kind:	enum xs_msg_kind.
 * @flags:	XS_MSGF_*.
 * @payload_len: bytes of payload that follow the header.
 * @status:	XS_MSG_ERROR_REPLY: the sender's error code (or, with
 *		XS_MSGF_KERNEL, an enum xs_end_reason); XS_MSG_END: an enum xs_end_reason.
 *
 * Ids: requests have odd ids, other messages even ones, each kind
 * numbered upwards on its own; 0 for items the kernel made.
 *
 * @nr_items:	out-of-line items (struct xs_item) the message carries:
 *		XS_IOC_RECV installs them (see struct xs_recv).
 * @id:		the kernel's id of this message, unique per session and
 *		direction (see above).
 * @reply_to:	XS_MSG_REPLY and XS_MSG_ERROR_REPLY: the request's id.
 *
 * read() returns one header followed by its payload; write() takes the
 * same layout with @id and @nr_items zero (the kernel assigns the id;
 * items need XS_IOC_SEND).  read() has nowhere to put items: like read()
 * on an AF_UNIX socket, it delivers the message and closes its items,
 * and @nr_items says how many there were.
 */
struct xs_msg_hdr {
	__u16 kind;
	__u16 flags;
	__u32 payload_len;
	__u32 status;
	__u32 nr_items;
	__u64 id;
	__u64 reply_to;
};

/* Kinds of out-of-line items (struct xs_item.type). */
enum xs_item_type {
	/*
	 * Any open file but a /dev/xsession endpoint, an AF_UNIX socket or
	 * an io_uring: the files that can hold other files in flight, and so
	 * build a reference cycle nothing would collect.
	 */
	XS_ITEM_FD = 1,
	/*
	 * A memfd sealed with at least F_SEAL_WRITE | F_SEAL_SHRINK |
	 * F_SEAL_GROW (XS_MEMFD_SEALS): the receiver can map and parse it
	 * in place, knowing that its content and size cannot change.
	 */
	XS_ITEM_MEMFD,
};

#define XS_MEMFD_SEALS		0x000e	/* F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE */
#define XS_ITEMS_MAX		64	/* items per message */

/**
 * struct xs_item - one out-of-line item of a message
 * @type:	enum xs_item_type.
 * @fd:		sending: the descriptor to pass (taken at send time: the
 *		sender may close it right after).  Receiving: the new
 *		descriptor, O_CLOEXEC; -1 with XS_RECV_PEEK.
 * @size:	out: for XS_ITEM_MEMFD its size in bytes (fixed by its
 *		seals), else 0.  Must be zero when sending.
 * @reserved:	must be zero when sending; zero when received.
 */
struct xs_item {
	__u32 type;
	__s32 fd;
	__u64 size;
	__u64 reserved;
};

/* xs_send.flags, xs_send_sync.flags, xs_recv.flags */
#define XS_NONBLOCK		_BITUL(0)	/* -EAGAIN instead of waiting */
#define XS_RECV_PEEK		_BITUL(1)	/* leave the item queued */

/**
 * struct xs_send - queue one message to the peer (XS_IOC_SEND)
 * @size:	sizeof(struct xs_send).
 * @flags:	XS_NONBLOCK.
 * @kind:	XS_MSG_ONEWAY, XS_MSG_REQUEST, XS_MSG_REPLY or
 *		XS_MSG_ERROR_REPLY.
 * @status:	XS_MSG_ERROR_REPLY: the error code to deliver; else zero.
 * @reply_to:	replies: the id of the request answered; else zero.
 * @payload:	user pointer to the payload.
 * @payload_len: payload bytes, at most xs_info.max_msg_size; the record
 *		(32-byte header + payload, rounded up to 8) must also fit in
 *		the receiver's ring, else -EMSGSIZE.
 * @__pad:	must be zero.
 * @id:		out: the message's id.
 * @items:	user pointer to @nr_items struct xs_item (0 for none).
 * @nr_items:	out-of-line items, at most XS_ITEMS_MAX.
 * @__pad2:	must be zero.
 *
 * Every item is checked and its file taken before anything is queued: a
 * bad item (-EBADF for a closed fd, -EINVAL for a refused file or an
 * unsealed memfd) queues nothing.  The files travel with the message and
 * are closed if it is never received.
 */
struct xs_send {
	__u32 size;
	__u32 flags;
	__u32 kind;
	__u32 status;
	__u64 reply_to;
	__u64 payload;
	__u32 payload_len;
	__u32 __pad;
	__u64 id;
	__u64 items;
	__u32 nr_items;
	__u32 __pad2;
};

/**
 * struct xs_send_desc - one message of a batch (see struct xs_send_batch)
 * @kind:	as xs_send.kind.
 * @status:	as xs_send.status.
 * @reply_to:	as xs_send.reply_to.
 * @payload:	user pointer to the payload.
 * @payload_len: payload bytes.
 * @__pad:	must be zero.
 * @id:		out: the message's id, once it is queued.
 * @items:	as xs_send.items (this field and the next are absent from a
 *		descriptor of XS_SEND_DESC_SIZE_VER0 bytes).
 * @nr_items:	as xs_send.nr_items.
 * @__pad2:	must be zero.
 */
struct xs_send_desc {
	__u32 kind;
	__u32 status;
	__u64 reply_to;
	__u64 payload;
	__u32 payload_len;
	__u32 __pad;
	__u64 id;
	__u64 items;
	__u32 nr_items;
	__u32 __pad2;
};

#define XS_SEND_DESC_SIZE_VER0	40	/* sizeof first published struct xs_send_desc */

#define XS_BATCH_MAX		1024	/* descriptors in one XS_IOC_SEND_BATCH */

/**
 * struct xs_send_batch - queue many messages in one call (XS_IOC_SEND_BATCH)
 * @size:	sizeof(struct xs_send_batch).
 * @flags:	XS_NONBLOCK.
 * @descs:	user pointer to @count descriptors, @desc_size bytes apart.
 * @count:	descriptors, at most XS_BATCH_MAX.
 * @desc_size:	sizeof(struct xs_send_desc) as the caller knows it (the
 *		descriptor may grow like any struct: unknown bytes must be
 *		zero).
 * @queued:	out: how many messages were queued: always the first
 *		@queued descriptors, in order.
 * @error:	out: why the batch stopped before the end (a negative errno,
 *		the one XS_IOC_SEND would have returned for that
 *		descriptor: -EAGAIN for a full ring with XS_NONBLOCK, -EINTR
 *		for a signal while blocked, -EINVAL for a bad descriptor,
 *		...), 0 when all were queued.
 * @reserved:	must be zero.
 *
 * Messages are queued exactly as by XS_IOC_SEND, one after the other.
 * Returns the number queued when it is not zero, else the error that
 * stopped the first descriptor; the struct is written back either way.
 */
struct xs_send_batch {
	__u32 size;
	__u32 flags;
	__u64 descs;
	__u32 count;
	__u32 desc_size;
	__u32 queued;
	__s32 error;
	__u64 reserved[2];
};

/**
 * struct xs_send_sync - send a request and wait for its reply (XS_IOC_SEND_SYNC)
 * @size:	sizeof(struct xs_send_sync).
 * @flags:	XS_NONBLOCK applies to queueing the request only.
 * @payload:	user pointer to the request's payload.
 * @payload_len: request bytes.
 * @reply_cap:	bytes available at @reply_buf.
 * @reply_buf:	user pointer where the reply's payload is copied.
 * @timeout_ns:	relative deadline, 0 for none (-ETIMEDOUT; a late reply is
 *		then dropped).
 * @id:		out: the request's id.
 * @reply_kind:	out: XS_MSG_REPLY or XS_MSG_ERROR_REPLY.
 * @reply_status: out: the error reply's status.
 * @reply_len:	out: the reply's payload length.  When it exceeds
 *		@reply_cap the call fails with -EMSGSIZE and the reply is
 *		dropped: size the buffer for the largest reply.
 * @reply_flags: out: XS_MSGF_* of the reply.
 * @items:	user pointer to the request's items (as xs_send.items).
 * @nr_items:	the request's items, at most XS_ITEMS_MAX.
 * @reply_items_cap: struct xs_item slots at @reply_items.
 * @reply_items: user pointer where the reply's items are installed (as
 *		xs_recv.items); when the reply carries more than
 *		@reply_items_cap the call fails with -EMSGSIZE, as for a
 *		payload that does not fit.
 * @reply_nr_items: out: the reply's items.
 * @__pad:	must be zero.
 *
 * A signal that arrives after the request was queued ends the call with
 * -EINTR (never a restart, which would send it twice).  When the session
 * ends while the caller waits, the call fails with -ESHUTDOWN and reports
 * a kernel error reply (XS_MSGF_KERNEL, status an enum xs_end_reason).
 * The struct is written back (with @id) on success and on -EMSGSIZE,
 * -ESHUTDOWN, -ETIMEDOUT and -EINTR after the request was sent.
 */
struct xs_send_sync {
	__u32 size;
	__u32 flags;
	__u64 payload;
	__u32 payload_len;
	__u32 reply_cap;
	__u64 reply_buf;
	__u64 timeout_ns;
	__u64 id;
	__u32 reply_kind;
	__u32 reply_status;
	__u32 reply_len;
	__u32 reply_flags;
	__u64 items;
	__u32 nr_items;
	__u32 reply_items_cap;
	__u64 reply_items;
	__u32 reply_nr_items;
	__u32 __pad;
};

#define XS_SEND_SYNC_SIZE_VER0	80	/* sizeof first published struct xs_send_sync */

/**
 * struct xs_recv - take the next item (XS_IOC_RECV)
 * @size:	sizeof(struct xs_recv).
 * @flags:	XS_NONBLOCK, XS_RECV_PEEK.
 * @buf:	user pointer for the payload.
 * @buf_len:	bytes available at @buf.  When the payload does not fit the
 *		call fails with -EMSGSIZE, @hdr says the size needed and the
 *		item stays queued.
 * @__pad:	must be zero.
 * @hdr:	out: the item's header; hdr.nr_items says how many
 *		out-of-line items came with it.
 * @items:	user pointer to @items_cap struct xs_item, where the
 *		message's items are written: each file is installed as a
 *		new descriptor (O_CLOEXEC).  A message with more items than
 *		@items_cap fails with -EMSGSIZE and stays queued, as for a
 *		payload that does not fit.  So does one whose descriptors
 *		cannot all be installed (-EMFILE at RLIMIT_NOFILE, or the
 *		LSM's refusal): none of them is then left installed.
 * @items_cap:	struct xs_item slots at @items.
 * @__pad2:	must be zero.
 * @send:	user pointer to a struct xs_send to send first, or 0: a
 *		server replies and waits for the next request in one call.
 *		The message is sent exactly as by XS_IOC_SEND (its id is
 *		written back into that struct); when the send fails, its
 *		error is returned and nothing is received.  Once it went
 *		out, a signal while waiting gives -EINTR, never a restart
 *		(set xs_send.id to 0 first to tell the cases apart).
 */
struct xs_recv {
	__u32 size;
	__u32 flags;
	__u64 buf;
	__u32 buf_len;
	__u32 __pad;
	struct xs_msg_hdr hdr;
	__u64 items;
	__u32 items_cap;
	__u32 __pad2;
	__u64 send;
};

#define XS_RECV_SIZE_VER0	72	/* struct xs_recv without @send */

/**
 * struct xs_cancel - end a session or listener (XS_IOC_CANCEL, XS_IOC_REJECT)
 * @size:	sizeof(struct xs_cancel).
 * @flags:	must be zero.
 * @reason:	user pointer to the reason text (need not be NUL terminated).
 * @reason_len:	bytes of reason, at most XS_REASON_MAX.
 * @__pad:	must be zero.
 * @reserved:	must be zero.
 *
 * The peer receives the reason in its XS_MSG_END item, after everything
 * that was already queued to it.
 */
struct xs_cancel {
	__u32 size;
	__u32 flags;
	__u64 reason;
	__u32 reason_len;
	__u32 __pad;
	__u64 reserved[2];
};

/**
 * struct xs_peer_creds - who is on the other end (XS_IOC_PEER_CREDS)
 * @size:	sizeof(struct xs_peer_creds).
 * @flags:	must be zero.
 * @pid:	out: the peer's process id in the caller's pid namespace, 0
 *		when the peer is not visible there.
 * @uid:	out: the peer's euid in the caller's user namespace
 *		(the overflow uid when unmapped).
 * @gid:	out: the peer's egid, likewise.
 * @alive:	out: 1 until the peer process has exited and been reaped
 *		(a zombie still counts).  To get a race-free pidfd:
 *		pidfd_open(@pid), then call again; alive == 1 proves the
 *		pidfd is the peer's.  After the peer is gone, @pid still
 *		reports its old number.
 * @label:	user pointer for the peer's LSM context (may be 0).
 * @label_cap:	bytes at @label.
 * @label_len:	out: the context's length (0 without an LSM); a context
 *		longer than @label_cap is not copied.
 * @reserved:	must be zero.
 *
 * Captured when the client connected (its credentials) and when the
 * server accepted (the server's); a client asking before any server
 * accepted gets -ENOTCONN.
 */
struct xs_peer_creds {
	__u32 size;
	__u32 flags;
	__s32 pid;
	__u32 uid;
	__u32 gid;
	__u32 alive;
	__u64 label;
	__u32 label_cap;
	__u32 label_len;
	__u64 reserved[2];
};

/*
 * Mapped receive rings.
 *
 * Every session end receives into a ring of variable-size records.  An
 * end created with XS_CONNECT_RING_MMAP (client) or accepted from a
 * listener with XS_LISTEN_RING_MMAP (server) can map that ring and read
 * its messages in place, with no system call per message:
 *
 *	ctl  = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
 *		    fd, XS_RING_OFF_CTL);
 *	data = mmap(NULL, 2 * ctl->size, PROT_READ, MAP_SHARED,
 *		    fd, XS_RING_OFF_DATA);
 *
 * The data area is ctl->size bytes (a power of two of pages) mapped twice
 * in a row, so every record is contiguous even where it wraps.  It is
 * read-only: a mapping asking for write access is refused (-EACCES) and
 * mprotect() cannot add it.  A record is a struct xs_msg_hdr followed by
 * hdr.payload_len bytes of payload, padded with zeroes to a multiple of
 * 8 bytes: XS_RING_RECORD_SIZE(hdr.payload_len) bytes at offset
 * (index & (size - 1)).
 *
 * Indices.  head and tail are free-running __u32 byte counters that wrap
 * at 2^32; tail - head (in __u32 arithmetic) is the number of bytes
 * queued, head == tail means empty.  The kernel alone moves tail; the
 * receiver alone moves head, one whole record at a time.
 *
 * Memory ordering, in pairs:
 *  (A) The kernel writes a whole record, then stores tail with release
 *	semantics.  The receiver loads tail with acquire semantics
 *	(__atomic_load_n(&ctl->tail, __ATOMIC_ACQUIRE)) before it reads
 *	any record below it.
 *  (B) The receiver finishes reading a record, then stores head with
 *	release semantics (__atomic_store_n(&ctl->head, head,
 *	__ATOMIC_RELEASE)).  The kernel loads head with acquire semantics
 *	before it reuses those bytes.
 *  (C) A sender that finds the ring full sets need_wakeup, issues a full
 *	barrier, and checks head again before it sleeps.  The receiver
 *	stores head, issues a full barrier (__atomic_thread_fence(
 *	__ATOMIC_SEQ_CST)), then loads need_wakeup; when it is set, it
 *	calls XS_IOC_RING_WAIT (XS_NONBLOCK will do) to wake the sender.
 *
 * Trust.  The kernel never reads anything from the control page but head,
 * and checks it before use: a head that is misaligned or more than size
 * bytes behind tail only makes the ring look full to senders (who then
 * wait, interruptibly, as for a receiver that does not read), and, for
 * XS_IOC_RECV, makes the ring report -EIO.  A receiver that scribbles on
 * its control page corrupts its own view and nothing else.
 *
 * The end.  When the session ends the kernel sets ended.  Records already
 * in the ring stay readable in place; what the kernel makes itself (an
 * error reply for each request still awaiting a reply, then the END
 * item) is taken with XS_IOC_RECV once the ring is empty, as is
 * everything after this end's own cancel (XS_IOC_RECV then turns replies
 * still queued into error replies, as without a mapping).  The simplest
 * correct receiver switches to XS_IOC_RECV as soon as it sees ended.
 * XS_IOC_RECV and read() keep working on a mapped ring, consuming from
 * the same head; do not mix them with reading in place concurrently.
 */
#define XS_RING_OFF_CTL		0x00000000ULL
#define XS_RING_OFF_DATA	0x10000000ULL

/* Bytes a record with @len bytes of payload takes in a ring. */
#define XS_RING_RECORD_SIZE(len) \
	((__u32)sizeof(struct xs_msg_hdr) + (((__u32)(len) + 7) & ~7U))

/**
 * struct xs_ring_ctl - the control page of a mapped receive ring
 * @head:	the receiver's consumer index (see above).
 * @__pad0:	keeps @head on a cache line of its own.
 * @tail:	the kernel's producer index.
 * @size:	data bytes of the ring.
 * @need_wakeup: non-zero while a sender waits for room (pair C).
 * @ended:	non-zero once the session has ended.
 * @__pad1:	unused, zero.
 *
 * Only @head is the receiver's to write.
 */
struct xs_ring_ctl {
	__u32 head;
	__u32 __pad0[15];
	__u32 tail;
	__u32 size;
	__u32 need_wakeup;
	__u32 ended;
	__u32 __pad1[12];
};

/**
 * struct xs_ring_wait - wake senders, wait for records (XS_IOC_RING_WAIT)
 * @size:	sizeof(struct xs_ring_wait).
 * @flags:	XS_NONBLOCK: do not sleep.
 * @timeout_ns:	relative deadline, 0 for none (-ETIMEDOUT).
 * @send:	user pointer to a struct xs_send to send first, or 0, as for
 *		xs_recv.send: a server replies and waits for the next
 *		request, or a client sends a request and waits for its
 *		reply, in one call.
 * @reserved:	must be zero.
 *
 * First sends @send, if any (its error is returned when that fails, and
 * nothing else happens), then wakes every sender that waits for room in
 * this end's ring (the caller has moved head), then returns 0 as soon as
 * there is something to receive: a record in the ring, or, once the
 * session ended, the kernel's own items (take those with XS_IOC_RECV).
 * -EAGAIN with XS_NONBLOCK or O_NONBLOCK when there is nothing yet;
 * -EINTR on a signal (never a restart once @send went out).  Works on any
 * session end, mapped or not.
 */
struct xs_ring_wait {
	__u32 size;
	__u32 flags;
	__u64 timeout_ns;
	__u64 send;
	__u64 reserved;
};

/**
 * struct xs_uring_cmd - a session call submitted through io_uring
 * @arg:	user pointer to the call's struct, as for the ioctl.
 * @reserved:	must be zero.
 *
 * An IORING_OP_URING_CMD on a session fd, with cmd_op XS_IOC_SEND,
 * XS_IOC_RECV, XS_IOC_SEND_SYNC, XS_IOC_SEND_BATCH or XS_IOC_RING_WAIT and
 * this struct in the SQE's command area, does what the ioctl does, with
 * the same checks, and completes when the ioctl would return: the CQE's res
 * is its return value, and the struct at @arg is written back as by the
 * ioctl.  A call that has to wait (a receive on an empty session, a send
 * to a full ring, a synchronous send) completes later, so one program can
 * drive many sessions through one ring.  When the session ends, waiting
 * calls complete as the ioctls would (-ESHUTDOWN, the END item); a call
 * cancelled through io_uring completes with -EINTR or -ECANCELED.
 */
struct xs_uring_cmd {
	__u64 arg;
	__u64 reserved;
};

#define XS_IOC_MAGIC		0xB9

/* Report the module's version, features, limits and struct sizes. */
#define XS_IOC_INFO		_IOWR(XS_IOC_MAGIC, 0x00, struct xs_info)
/* Unbound endpoint -> listener for a name. */
#define XS_IOC_LISTEN		_IOW(XS_IOC_MAGIC, 0x01, struct xs_listen)
/* Inactive listener: start offering requests; undecided server session: accept it. */
#define XS_IOC_ACTIVATE		_IO(XS_IOC_MAGIC, 0x02)
/* Unbound endpoint -> client session. */
#define XS_IOC_CONNECT		_IOW(XS_IOC_MAGIC, 0x03, struct xs_connect)
/* Listener: next request -> new server session fd. */
#define XS_IOC_ACCEPT		_IOWR(XS_IOC_MAGIC, 0x04, struct xs_accept)
/* Undecided server session: end it; the client gets XS_END_REJECTED. */
#define XS_IOC_REJECT		_IOW(XS_IOC_MAGIC, 0x05, struct xs_cancel)
/* Session or listener: end it with a reason. */
#define XS_IOC_CANCEL		_IOW(XS_IOC_MAGIC, 0x06, struct xs_cancel)
#define XS_IOC_SEND		_IOWR(XS_IOC_MAGIC, 0x07, struct xs_send)
#define XS_IOC_SEND_SYNC	_IOWR(XS_IOC_MAGIC, 0x08, struct xs_send_sync)
#define XS_IOC_RECV		_IOWR(XS_IOC_MAGIC, 0x09, struct xs_recv)
#define XS_IOC_PEER_CREDS	_IOWR(XS_IOC_MAGIC, 0x0a, struct xs_peer_creds)
#define XS_IOC_SEND_BATCH	_IOWR(XS_IOC_MAGIC, 0x0b, struct xs_send_batch)
/* Mapped ring: wake senders waiting for room, wait for something to receive. */
#define XS_IOC_RING_WAIT	_IOW(XS_IOC_MAGIC, 0x0c, struct xs_ring_wait)

#endif /* _UAPI_LINUX_XSESSION_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/xsession misc device and the session fds accept() creates:
 * one set of file operations, dispatching on what the endpoint became.
 *
 * The file_operations' owner pins the module for as long as any file is
 * open (anon_inode_getfile takes the same reference for server session
 * fds), so rmmod is refused while an endpoint exists and no code of ours
 * can run after unload.
 */
#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/io_uring/cmd.h>
#include <linux/uio.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "xs_internal.h"
#include "xs_listener.h"
#include "xs_session.h"

static const struct file_operations xs_fops;

static struct xs_endpoint *xs_endpoint_alloc(void)
{
	struct xs_endpoint *ep;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return NULL;
	mutex_init(&ep->lock);
	init_waitqueue_head(&ep->wait);
	return ep;
}

static int xs_open(struct inode *inode, struct file *file)
{
	struct xs_endpoint *ep;
	int ret;

	ret = stream_open(inode, file);
	if (ret)
		return ret;
	ep = xs_endpoint_alloc();
	if (!ep)
		return -ENOMEM;
	file->private_data = ep;
	file->f_mode |= FMODE_NOWAIT;
	return 0;
}

/**
 * xs_endpoint_file_create() - a new file for the server end of a session
 * @end:	the end; the caller's reference on its conn moves to the file
 * @flags:	open flags (O_RDWR)
 *
 * Return: the file, or an ERR_PTR (the reference is then still the
 * caller's).
 */
struct file *xs_endpoint_file_create(struct xs_end *end, int flags)
{
	struct xs_endpoint *ep;
	struct file *file;

	ep = xs_endpoint_alloc();
	if (!ep)
		return ERR_PTR(-ENOMEM);
	ep->end = end;
	ep->kind = XS_EP_SESSION;

	file = anon_inode_getfile("[xsession]", &xs_fops, ep, flags);
	if (IS_ERR(file)) {
		kfree(ep);
		return file;
	}
	/* Like stream_open(): a session has no file position. */
	file->f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE);
	file->f_mode |= FMODE_STREAM | FMODE_NOWAIT;
	return file;
}

/* Every endpoint, /dev/xsession or a server session, has our fops. */
bool xs_file_is_endpoint(const struct file *file)
{
	return file->f_op == &xs_fops;
}

static int xs_release(struct inode *inode, struct file *file)
{
	struct xs_endpoint *ep = file->private_data;

	switch (xs_ep_kind(ep)) {
	case XS_EP_LISTENER:
		xs_listener_release(ep->listener);
		break;
	case XS_EP_SESSION:
		xs_end_release(ep->end);
		break;
	}
	kfree(ep);
	return 0;
}

static int xs_flush(struct file *file, fl_owner_t id)
{
	struct xs_endpoint *ep = file->private_data;

	if (xs_ep_kind(ep) == XS_EP_SESSION)
		xs_end_flush(ep->end);
	return 0;
}

static long xs_unbound_ioctl(struct file *file, struct xs_endpoint *ep,
			     unsigned int cmd, void __user *uarg)
{
	switch (cmd) {
	case XS_IOC_LISTEN:
		return xs_ioctl_listen(ep, uarg);
	case XS_IOC_CONNECT:
		return xs_ioctl_connect(file, ep, uarg);
	case XS_IOC_ACTIVATE:
	case XS_IOC_ACCEPT:
	case XS_IOC_REJECT:
	case XS_IOC_CANCEL:
	case XS_IOC_SEND:
	case XS_IOC_SEND_SYNC:
	case XS_IOC_RECV:
	case XS_IOC_PEER_CREDS:
	case XS_IOC_SEND_BATCH:
	case XS_IOC_RING_WAIT:
		return -ENOTCONN;
	default:
		return -ENOTTY;
	}
}

/* The command numbers we answer, by _IOC_NR. */
static const unsigned int xs_ioc_cmds[] = {
	[_IOC_NR(XS_IOC_INFO)] = XS_IOC_INFO,
	[_IOC_NR(XS_IOC_LISTEN)] = XS_IOC_LISTEN,
	[_IOC_NR(XS_IOC_ACTIVATE)] = XS_IOC_ACTIVATE,
	[_IOC_NR(XS_IOC_CONNECT)] = XS_IOC_CONNECT,
	[_IOC_NR(XS_IOC_ACCEPT)] = XS_IOC_ACCEPT,
	[_IOC_NR(XS_IOC_REJECT)] = XS_IOC_REJECT,
	[_IOC_NR(XS_IOC_CANCEL)] = XS_IOC_CANCEL,
	[_IOC_NR(XS_IOC_SEND)] = XS_IOC_SEND,
	[_IOC_NR(XS_IOC_SEND_SYNC)] = XS_IOC_SEND_SYNC,
	[_IOC_NR(XS_IOC_RECV)] = XS_IOC_RECV,
	[_IOC_NR(XS_IOC_PEER_CREDS)] = XS_IOC_PEER_CREDS,
	[_IOC_NR(XS_IOC_SEND_BATCH)] = XS_IOC_SEND_BATCH,
	[_IOC_NR(XS_IOC_RING_WAIT)] = XS_IOC_RING_WAIT,
};

#define XS_IOC_SIZE_BITS	(_IOC_SIZEMASK << _IOC_SIZESHIFT)

/*
 * Map @cmd to our canonical command when only its size bits differ: each
 * struct carries its own size, so a binary built against an older or
 * newer struct still reaches the same ioctl.  Type, number and direction
 * must match exactly.
 */
static unsigned int xs_ioc_canonical(unsigned int cmd)
{
	unsigned int nr = _IOC_NR(cmd);

	if (_IOC_TYPE(cmd) != XS_IOC_MAGIC || nr >= ARRAY_SIZE(xs_ioc_cmds))
		return cmd;
	if (!xs_ioc_cmds[nr] ||
	    (cmd & ~XS_IOC_SIZE_BITS) != (xs_ioc_cmds[nr] & ~XS_IOC_SIZE_BITS))
		return cmd;
	return xs_ioc_cmds[nr];
}

static long xs_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct xs_endpoint *ep = file->private_data;
	void __user *uarg = (void __user *)arg;

	cmd = xs_ioc_canonical(cmd);
	if (cmd == XS_IOC_INFO)
		return xs_ioctl_info(uarg);

	switch (xs_ep_kind(ep)) {
	case XS_EP_LISTENER:
		return xs_listener_ioctl(file, ep->listener, cmd, uarg);
	case XS_EP_SESSION:
		return xs_session_ioctl(file, ep->end, cmd, uarg);
	default:
		return xs_unbound_ioctl(file, ep, cmd, uarg);
	}
}

static __poll_t xs_poll(struct file *file, poll_table *pt)
{
	struct xs_endpoint *ep = file->private_data;

	switch (xs_ep_kind(ep)) {
	case XS_EP_LISTENER:
		return xs_listener_poll(file, ep->listener, pt);
	case XS_EP_SESSION:
		return xs_session_poll(file, ep->end, pt);
	default:
		/* Unbound: nothing to receive and nowhere to send. */
		poll_wait(file, &ep->wait, pt);
		return 0;
	}
}

/*
 * One message per read or write, into or from one contiguous user buffer:
 * a vector of several buffers is refused rather than split.  read_iter
 * and write_iter (rather than read/write) let io_uring ask without
 * blocking (IOCB_NOWAIT) and arm a poll when the answer is -EAGAIN.
 */
static int xs_iter_ubuf(struct iov_iter *iter, void __user **buf,
			size_t *len)
{
	if (!user_backed_iter(iter) || iter->nr_segs > 1)
		return -EINVAL;
	*len = iov_iter_count(iter);
	*buf = iter_iov_addr(iter);	/* a bad address faults in the copy */
	return 0;
}

static bool xs_iocb_nonblock(struct kiocb *iocb)
{
	return (iocb->ki_flags & IOCB_NOWAIT) ||
	       (iocb->ki_filp->f_flags & O_NONBLOCK);
}

static ssize_t xs_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct xs_endpoint *ep = iocb->ki_filp->private_data;
	void __user *buf;
	ssize_t ret;
	size_t len;

	if (xs_ep_kind(ep) != XS_EP_SESSION)
		return -ENOTCONN;	/* only a session moves messages */
	ret = xs_iter_ubuf(to, &buf, &len);
	if (ret)
		return ret;
	ret = xs_session_read(ep->end, buf, len, xs_iocb_nonblock(iocb));
	if (ret > 0)
		iov_iter_advance(to, ret);
	return ret;
}

static ssize_t xs_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct xs_endpoint *ep = iocb->ki_filp->private_data;
	void __user *buf;
	ssize_t ret;
	size_t len;

	if (xs_ep_kind(ep) != XS_EP_SESSION)
		return -ENOTCONN;
	ret = xs_iter_ubuf(from, &buf, &len);
	if (ret)
		return ret;
	ret = xs_session_write(ep->end, buf, len, xs_iocb_nonblock(iocb));
	if (ret > 0)
		iov_iter_advance(from, ret);
	return ret;
}

/*
 * io_uring: IORING_OP_URING_CMD with cmd_op one of the session ioctls;
 * the SQE's command area holds struct xs_uring_cmd.
 */
static int xs_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	const struct xs_uring_cmd *c = io_uring_sqe_cmd(ioucmd->sqe);
	struct xs_endpoint *ep = ioucmd->file->private_data;
	u64 arg = READ_ONCE(c->arg);

	if (READ_ONCE(c->reserved))
		return -EINVAL;
	if (xs_ep_kind(ep) != XS_EP_SESSION)
		return -ENOTCONN;
	return xs_session_uring_cmd(ep->end, xs_ioc_canonical(ioucmd->cmd_op),
				    u64_to_user_ptr(arg),
				    issue_flags & IO_URING_F_NONBLOCK);
}

/* Only a session end has something to map: its receive ring. */
static int xs_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct xs_endpoint *ep = file->private_data;

	if (xs_ep_kind(ep) != XS_EP_SESSION)
		return -ENODEV;
	return xs_session_mmap(ep->end, vma);
}

static void xs_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct xs_endpoint *ep = file->private_data;

	switch (xs_ep_kind(ep)) {
	case XS_EP_LISTENER:
		xs_listener_show_fdinfo(m, ep->listener);
		break;
	case XS_EP_SESSION:
		xs_session_show_fdinfo(m, ep->end);
		break;
	default:
		seq_puts(m, "xs-kind:\tunbound\n");
		break;
	}
}

static const struct file_operations xs_fops = {
	.owner		= THIS_MODULE,
	.open		= xs_open,
	.release	= xs_release,
	.flush		= xs_flush,
	.read_iter	= xs_read_iter,
	.write_iter	= xs_write_iter,
	.poll		= xs_poll,
	.unlocked_ioctl	= xs_ioctl,
	/* Every struct is fixed-width and carries pointers as __u64. */
	.compat_ioctl	= compat_ptr_ioctl,
	.uring_cmd	= xs_uring_cmd,
	.mmap		= xs_mmap,
	.show_fdinfo	= xs_show_fdinfo,
};

static struct miscdevice xs_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "xsession",
	.fops	= &xs_fops,
	.mode	= 0666,
};

int xs_device_register(void)
{
	return misc_register(&xs_miscdev);
}

void xs_device_unregister(void)
{
	misc_deregister(&xs_miscdev);
}

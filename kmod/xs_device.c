// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/xsession misc device: every open() is a new endpoint.
 *
 * The file_operations' owner pins the module for as long as any file is
 * open, so rmmod is refused while an endpoint exists and no code of ours
 * can run after unload.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "xs_internal.h"

static int xs_open(struct inode *inode, struct file *file)
{
	struct xs_endpoint *ep;
	int ret;

	ret = stream_open(inode, file);
	if (ret)
		return ret;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return -ENOMEM;

	ep->state = XS_EP_UNBOUND;
	init_waitqueue_head(&ep->wait);
	file->private_data = ep;
	return 0;
}

static int xs_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static long xs_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case XS_IOC_INFO:
		return xs_ioctl_info(uarg);
	default:
		return -ENOTTY;
	}
}

static __poll_t xs_poll(struct file *file, poll_table *pt)
{
	struct xs_endpoint *ep = file->private_data;

	poll_wait(file, &ep->wait, pt);

	/* An unbound endpoint has nothing to receive and nowhere to send. */
	return 0;
}

static ssize_t xs_read(struct file *file, char __user *buf, size_t len,
		       loff_t *ppos)
{
	/* Only a connected session moves messages. */
	return -ENOTCONN;
}

static ssize_t xs_write(struct file *file, const char __user *buf,
			size_t len, loff_t *ppos)
{
	return -ENOTCONN;
}

static const struct file_operations xs_fops = {
	.owner		= THIS_MODULE,
	.open		= xs_open,
	.release	= xs_release,
	.read		= xs_read,
	.write		= xs_write,
	.poll		= xs_poll,
	.unlocked_ioctl	= xs_ioctl,
	/* Every struct is fixed-width and carries pointers as __u64. */
	.compat_ioctl	= compat_ptr_ioctl,
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

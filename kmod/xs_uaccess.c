// SPDX-License-Identifier: GPL-2.0
/*
 * Copying size-versioned ioctl structs between the kernel and userspace.
 *
 * Every growable struct in the uapi starts with a __u32 size.  An older
 * caller passes a smaller struct, a newer one a larger struct whose tail
 * this module does not know; that tail must be zero, or the caller is
 * asking for something we would silently ignore.
 */
#include <kunit/visibility.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "xs_internal.h"

/*
 * No struct will ever grow past XS_STRUCT_SIZE_MAX; capping it bounds the
 * zero-tail scan a caller can make us do.
 */

/**
 * xs_copy_struct_in() - copy a size-prefixed struct from userspace
 * @dst:	kernel copy, @ksize bytes
 * @ksize:	sizeof the kernel's struct
 * @min_size:	the smallest size ever published for this struct
 * @uarg:	user pointer to the struct, whose first __u32 is its size
 * @usize:	out: the size the caller declared
 *
 * Return: 0; -EFAULT for a bad pointer; -EINVAL for a size below
 * @min_size; -E2BIG for an oversized struct or a non-zero unknown tail.
 */
int xs_copy_struct_in(void *dst, size_t ksize, size_t min_size,
		      const void __user *uarg, u32 *usize)
{
	u32 size;
	int ret;

	if (get_user(size, (const u32 __user *)uarg))
		return -EFAULT;
	if (size < min_size)
		return -EINVAL;
	if (size > XS_STRUCT_SIZE_MAX)
		return -E2BIG;

	ret = copy_struct_from_user(dst, ksize, uarg, size);
	if (ret)
		return ret;

	*usize = size;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xs_copy_struct_in);

/**
 * xs_copy_struct_out() - copy a struct back to the caller's buffer
 * @uarg:	user pointer the struct came from
 * @src:	kernel copy
 * @ksize:	sizeof the kernel's struct
 * @usize:	the size the caller declared (at least the minimum size)
 *
 * Writes min(@ksize, @usize) bytes: an older caller gets the fields it
 * knows, a newer one keeps its zeroed tail.
 *
 * Return: 0 or -EFAULT.
 */
int xs_copy_struct_out(void __user *uarg, const void *src, size_t ksize,
		       u32 usize)
{
	if (copy_to_user(uarg, src, min_t(size_t, ksize, usize)))
		return -EFAULT;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xs_copy_struct_out);

/* True when all @len bytes at @p are zero (reserved fields, padding). */
bool xs_mem_is_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

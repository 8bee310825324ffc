// SPDX-License-Identifier: GPL-2.0
/*
 * XS_IOC_INFO: the size-versioned struct protocol every later ioctl
 * follows.  Linked into device_test (native) and compat_test (32-bit), so
 * both the native and the compat ioctl path must give the same answers.
 *
 * On every refused request the caller's struct must come back untouched:
 * the kernel validates completely before it writes anything.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "xs_dev.h"

/*
 * i386 aligns __u64 to 4 bytes, x86_64 to 8: the layouts agree only while
 * every __u64 sits at a multiple of 8 and the size is one too.  This file
 * is also built -m32, so both builds check the same rules.
 */
XS_TEST(info_layout_is_abi_independent)
{
	XS_EXPECT_GE(sizeof(struct xs_info), XS_INFO_SIZE_VER0);
	XS_EXPECT_EQ(sizeof(struct xs_info) % 8, 0);
	XS_EXPECT_EQ(offsetof(struct xs_info, features) % 8, 0);
	XS_EXPECT_EQ(offsetof(struct xs_info, reserved) % 8, 0);
	XS_EXPECT_EQ(_IOC_SIZE(XS_IOC_INFO), sizeof(struct xs_info));
}

/*
 * The module reports its sizeof() of every uapi struct; ours must match,
 * which in the -m32 build proves the 32-bit layout is the kernel's.
 */
XS_TEST(struct_sizes_match_module)
{
	static const struct {
		unsigned int index;
		size_t size;
		const char *name;
	} structs[] = {
#define XS_STRUCT(idx, type) { idx, sizeof(struct type), #type }
		XS_STRUCT(XS_STRUCT_INFO, xs_info),
		XS_STRUCT(XS_STRUCT_LISTEN, xs_listen),
		XS_STRUCT(XS_STRUCT_CONNECT, xs_connect),
		XS_STRUCT(XS_STRUCT_ACCEPT, xs_accept),
		XS_STRUCT(XS_STRUCT_SEND, xs_send),
		XS_STRUCT(XS_STRUCT_SEND_SYNC, xs_send_sync),
		XS_STRUCT(XS_STRUCT_RECV, xs_recv),
		XS_STRUCT(XS_STRUCT_CANCEL, xs_cancel),
		XS_STRUCT(XS_STRUCT_PEER_CREDS, xs_peer_creds),
		XS_STRUCT(XS_STRUCT_MSG_HDR, xs_msg_hdr),
		XS_STRUCT(XS_STRUCT_SEND_BATCH, xs_send_batch),
		XS_STRUCT(XS_STRUCT_SEND_DESC, xs_send_desc),
		XS_STRUCT(XS_STRUCT_RING_CTL, xs_ring_ctl),
		XS_STRUCT(XS_STRUCT_RING_WAIT, xs_ring_wait),
		XS_STRUCT(XS_STRUCT_ITEM, xs_item),
#undef XS_STRUCT
	};
	unsigned int n = sizeof(structs) / sizeof(structs[0]), i;
	struct xs_info info;
	int fd = xs_dev_open(O_RDWR);

	xs_info_get(fd, &info);
	close(fd);
	XS_ASSERT_EQ(info.nr_structs, XS_STRUCT_COUNT);
	/* A struct added to the header needs a line above. */
	XS_EXPECT_EQ(n, XS_STRUCT_COUNT);
	for (i = 0; i < n; i++) {
		if (info.struct_size[structs[i].index] != structs[i].size)
			xs_diag("struct %s:", structs[i].name);
		XS_EXPECT_EQ(info.struct_size[structs[i].index], structs[i].size);
		XS_EXPECT_EQ(structs[i].size % 8, 0);
	}
}

XS_TEST(info_reports_module)
{
	struct xs_info info;
	size_t len;
	int fd = xs_dev_open(O_RDWR);
	unsigned int i;

	xs_info_get(fd, &info);
	XS_EXPECT_EQ(info.size, sizeof(struct xs_info));
	XS_EXPECT_EQ(info.flags, 0);
	XS_EXPECT_EQ(info.uapi_version, XS_UAPI_VERSION);
	XS_EXPECT_TRUE(info.features & XS_FEATURE_INFO);
	XS_EXPECT_EQ(info.nr_structs, XS_STRUCT_COUNT);
	XS_EXPECT_EQ(info.struct_size[XS_STRUCT_INFO], sizeof(struct xs_info));
	/* Entries past nr_structs are zero, not stale kernel memory. */
	for (i = XS_STRUCT_COUNT; i < XS_INFO_MAX_STRUCTS; i++)
		XS_EXPECT_EQ(info.struct_size[i], 0);
	for (i = 0; i < 4; i++)
		XS_EXPECT_EQ(info.reserved[i], 0);

	len = strnlen(info.version, sizeof(info.version));
	XS_EXPECT_GT(len, 0);
	XS_ASSERT_LT(len, sizeof(info.version));
	/* The rest of the string buffer is zeroed too. */
	for (i = len; i < sizeof(info.version); i++)
		XS_EXPECT_EQ(info.version[i], 0);
	xs_diag("module version %s, uapi %u", info.version, info.uapi_version);
	close(fd);
}

/*
 * The struct's own size field versions it, not the size bits of the
 * command: a binary built against a smaller or larger struct keeps
 * reaching the same ioctl.
 */
XS_TEST(command_size_bits_are_ignored)
{
	static const unsigned long cmds[] = {
		_IOWR(XS_IOC_MAGIC, 0x00, __u64),
		_IOWR(XS_IOC_MAGIC, 0x00, __u8[sizeof(struct xs_info) + 8]),
	};
	struct xs_info info;
	int fd = xs_dev_open(O_RDWR);
	unsigned int i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		xs_info_init(&info);
		XS_EXPECT_EQ(ioctl(fd, cmds[i], &info), 0);
		XS_EXPECT_EQ(info.uapi_version, XS_UAPI_VERSION);
	}
	close(fd);
}

/* The out fields are outputs only: garbage in them is overwritten. */
XS_TEST(info_ignores_output_fields_on_input)
{
	struct xs_info info, want;
	int fd = xs_dev_open(O_RDWR);

	xs_info_get(fd, &want);
	memset(&info, 0xa5, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0;
	memset(info.reserved, 0, sizeof(info.reserved));
	XS_ASSERT_EQ(ioctl(fd, XS_IOC_INFO, &info), 0);
	XS_ASSERT_MEMEQ(&info, &want, sizeof(info));
	close(fd);
}

/* Issue @info as is; expect @err and the struct left exactly as it was. */
static void xs_info_refused(int fd, struct xs_info *info, int err)
{
	struct xs_info before = *info;

	XS_ASSERT_ERRNO(ioctl(fd, XS_IOC_INFO, info), err);
	XS_ASSERT_MEMEQ(info, &before, sizeof(before));
}

XS_TEST(info_rejects_small_size)
{
	static const __u32 sizes[] = {
		0, 1, 4, XS_INFO_SIZE_VER0 - 8, XS_INFO_SIZE_VER0 - 4,
		XS_INFO_SIZE_VER0 - 1,
	};
	struct xs_info info;
	int fd = xs_dev_open(O_RDWR);
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		xs_info_init(&info);
		info.size = sizes[i];
		xs_info_refused(fd, &info, EINVAL);
	}
	close(fd);
}

XS_TEST(info_rejects_flags)
{
	struct xs_info info;
	int fd = xs_dev_open(O_RDWR);
	int bit;

	for (bit = 0; bit < 32; bit++) {
		xs_info_init(&info);
		info.flags = 1u << bit;
		xs_info_refused(fd, &info, EINVAL);
	}
	close(fd);
}

XS_TEST(info_rejects_reserved)
{
	struct xs_info info;
	int fd = xs_dev_open(O_RDWR);
	unsigned int i;

	for (i = 0; i < 4; i++) {
		xs_info_init(&info);
		info.reserved[i] = 1;
		xs_info_refused(fd, &info, EINVAL);
		info.reserved[i] = 1ULL << 63;
		xs_info_refused(fd, &info, EINVAL);
	}
	close(fd);
}

/* A newer caller's larger struct: accepted while the tail is zero. */
XS_TEST(info_accepts_larger_zero_tail)
{
	size_t big = sizeof(struct xs_info) + 64;
	char *buf = calloc(1, big);
	struct xs_info *info = (struct xs_info *)buf;
	struct xs_info want;
	int fd = xs_dev_open(O_RDWR);
	size_t i;

	XS_ASSERT_NE(buf, NULL);
	xs_info_get(fd, &want);
	info->size = big;
	XS_ASSERT_EQ(ioctl(fd, XS_IOC_INFO, info), 0);
	/* size now says how much the kernel wrote, and it wrote no more. */
	XS_EXPECT_EQ(info->size, sizeof(struct xs_info));
	XS_EXPECT_MEMEQ(info, &want, sizeof(want));
	for (i = sizeof(struct xs_info); i < big; i++)
		XS_EXPECT_EQ(buf[i], 0);
	close(fd);
}

/* ... and refused with E2BIG when the tail holds anything the module
 * does not know, wherever in the tail it is. */
XS_TEST(info_rejects_nonzero_tail)
{
	size_t big = sizeof(struct xs_info) + 64;
	size_t at[] = { sizeof(struct xs_info), sizeof(struct xs_info) + 31,
			big - 1 };
	char *buf = calloc(1, big);
	int fd = xs_dev_open(O_RDWR);
	unsigned int i;

	XS_ASSERT_NE(buf, NULL);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		memset(buf, 0, big);
		((struct xs_info *)buf)->size = big;
		buf[at[i]] = 1;
		XS_ASSERT_ERRNO(ioctl(fd, XS_IOC_INFO, buf), E2BIG);
		XS_EXPECT_EQ(((struct xs_info *)buf)->size, big);
	}
	close(fd);
}

/*
 * No future struct exceeds a page; the module refuses larger sizes even
 * with a zero tail, so a caller cannot make it scan megabytes.  A full
 * page is still fine.
 */
XS_TEST(info_size_limit_is_page_size)
{
	size_t ps = xs_page_size(), mib = 1 << 20;
	char *buf = xs_map_guarded(mib / ps);	/* zero-filled */
	struct xs_info *info = (struct xs_info *)buf;
	int fd = xs_dev_open(O_RDWR);

	info->size = mib;
	XS_ASSERT_ERRNO(ioctl(fd, XS_IOC_INFO, info), E2BIG);
	info->size = ps + 1;
	XS_ASSERT_ERRNO(ioctl(fd, XS_IOC_INFO, info), E2BIG);
	info->size = ps;
	XS_ASSERT_EQ(ioctl(fd, XS_IOC_INFO, info), 0);
	XS_EXPECT_EQ(info->size, sizeof(struct xs_info));
	close(fd);
}

XS_TEST(info_bad_pointers_fault)
{
	size_t ps = xs_page_size();
	char *page = xs_map_guarded(1);
	struct xs_info *info;
	int fd = xs_dev_open(O_RDWR);

	XS_ASSERT_ERRNO(ioctl(fd, XS_IOC_INFO, NULL), EFAULT);

	/* Wholly unmapped. */
	XS_ASSERT_ERRNO(ioctl(fd, XS_IOC_INFO, page + ps), EFAULT);

	/* The size is readable, the rest of the struct is not. */
	info = (struct xs_info *)(page + ps - sizeof(__u32));
	info->size = sizeof(*info);
	XS_ASSERT_ERRNO(ioctl(fd, XS_IOC_INFO, info), EFAULT);

	/* A known-size struct that fits, with its unknown tail unmapped. */
	info = (struct xs_info *)(page + ps - sizeof(*info));
	xs_info_init(info);
	info->size = sizeof(*info) + 64;
	XS_ASSERT_ERRNO(ioctl(fd, XS_IOC_INFO, info), EFAULT);
	close(fd);
}

/* A valid request the kernel can read but not answer into. */
XS_TEST(info_readonly_buffer_faults)
{
	size_t ps = xs_page_size();
	struct xs_info *info;
	int fd = xs_dev_open(O_RDWR);

	info = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	XS_ASSERT_NE(info, MAP_FAILED);
	xs_info_init(info);
	XS_ASSERT_OK(mprotect(info, ps, PROT_READ));
	XS_ASSERT_ERRNO(ioctl(fd, XS_IOC_INFO, info), EFAULT);
	XS_EXPECT_EQ(info->size, sizeof(*info));
	XS_EXPECT_EQ(info->uapi_version, 0);
	close(fd);
}

XS_TEST(info_works_on_every_open_mode)
{
	static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	struct xs_info info;
	unsigned int i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		int fd = xs_dev_open(modes[i]);

		xs_info_get(fd, &info);
		XS_EXPECT_EQ(info.uapi_version, XS_UAPI_VERSION);
		close(fd);
	}
}

/*
 * Only our command numbers are ours: a neighbour's number, another
 * driver's magic, or XS_IOC_INFO with a different direction encoded is
 * "no such ioctl", never a mis-parsed struct.
 */
XS_TEST(unknown_ioctls_are_enotty)
{
	static const unsigned long cmds[] = {
		_IOWR(XS_IOC_MAGIC, 0x01, struct xs_info),
		_IOWR(XS_IOC_MAGIC, 0xff, struct xs_info),
		_IOWR(XS_IOC_MAGIC - 1, 0x00, struct xs_info),
		_IOWR(XS_IOC_MAGIC + 1, 0x00, struct xs_info),
		_IOR(XS_IOC_MAGIC, 0x00, struct xs_info),
		_IOW(XS_IOC_MAGIC, 0x00, struct xs_info),
		_IO(XS_IOC_MAGIC, 0x00),
		0,
		TCGETS,
	};
	struct xs_info info;
	int fd = xs_dev_open(O_RDWR);
	unsigned int i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		xs_info_init(&info);
		if (ioctl(fd, cmds[i], &info) == -1 && errno == ENOTTY)
			continue;
		/* Say which command, then let the check say how. */
		xs_diag("ioctl command %#lx:", cmds[i]);
		XS_EXPECT_ERRNO(ioctl(fd, cmds[i], &info), ENOTTY);
	}
	close(fd);
}

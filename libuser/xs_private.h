/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxsession internals: not installed, not part of the API. */
#ifndef XS_PRIVATE_H
#define XS_PRIVATE_H

#include <stddef.h>

struct xs_info;

/*
 * Open /dev/xsession and verify the module matches this library.
 * Return: the fd (O_CLOEXEC) or a negative errno, with @err explaining.
 */
int xs_device_open_checked(char *err, size_t errlen, struct xs_info *out);

#endif /* XS_PRIVATE_H */

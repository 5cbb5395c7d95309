/* User modules: source files under a directory the host grants. */
#ifndef MICA_HOST_MODULES_H
#define MICA_HOST_MODULES_H

#include <stddef.h>

#include "error.h"

/* Opens dir as a module root; *fd is a directory handle. */
int mica_modules_open(const char *dir, int *fd, mica_error *err);

/* Opens `name` (relative) under root_fd for reading, never blocking (a
 * FIFO opens and is then refused as not a regular file): with openat2's
 * RESOLVE_BENEATH, or, where the kernel lacks it or no_openat2 is set (the
 * tests force it), one component at a time refusing `..` and every
 * symlink. -1 with errno (EXDEV or ELOOP: it would leave the root). */
int mica_modules_open_file(int root_fd, const char *name, int no_openat2);

/* Reads module `name` (a relative path, as the guest normalized it) from
 * under root_fd into a malloc'd buffer of at most max bytes. Nothing outside
 * the root can be read: absolute paths, `..` escapes and symlinks that lead
 * out are refused. On failure returns -1 and writes the reason to why. */
int mica_modules_read(int root_fd, const char *name, size_t max, char **src, size_t *len, char *why,
		      size_t why_size);

#endif

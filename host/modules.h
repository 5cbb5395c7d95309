/* User modules: source files under a directory the host grants. */
#ifndef MICA_HOST_MODULES_H
#define MICA_HOST_MODULES_H

#include <stddef.h>

#include "error.h"

/* Opens dir as a module root; *fd is a directory handle. */
int mica_modules_open(const char *dir, int *fd, mica_error *err);

/* Reads module `name` (a relative path, as the guest normalized it) from
 * under root_fd into a malloc'd buffer of at most max bytes. Nothing outside
 * the root can be read: absolute paths, `..` escapes and symlinks that lead
 * out are refused. On failure returns -1 and writes the reason to why. */
int mica_modules_read(int root_fd, const char *name, size_t max, char **src, size_t *len, char *why,
		      size_t why_size);

#endif

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hypercall.h"
#include "modules.h"

int mica_modules_open(const char *dir, int *fd, mica_error *err)
{
	*fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return mica_err_errno(err, MICA_ERR_INVALID, "cannot use '%s' as the module root",
				      dir);
	return 0;
}

/* O_NONBLOCK: a FIFO (or a device) under the root must not block the
 * guest's thread past its deadline; only regular files are read anyway. */
#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

/* Without openat2 (Linux < 5.6): one component at a time, refusing `..`
 * and every symlink on the way, so that nothing can lead out of the root. */
static int open_by_components(int root_fd, const char *name)
{
	int dir = root_fd;
	const char *p = name;
	for (;;) {
		size_t n = strcspn(p, "/");
		char part[256];
		if (n >= sizeof(part)) {
			errno = ENAMETOOLONG;
			break;
		}
		memcpy(part, p, n);
		part[n] = 0;
		int last = p[n] == 0;
		if (!strcmp(part, "..")) {
			errno = EXDEV;
			break;
		}
		if (n == 0 || !strcmp(part, ".")) { /* "a//b", "./a" */
			if (last) {
				errno = EISDIR;
				break;
			}
			p += n + 1;
			continue;
		}
		int fd = openat(dir, part,
				last ? OPEN_FLAGS | O_NOFOLLOW
				     : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int saved = errno;
		if (dir != root_fd)
			close(dir);
		if (fd < 0) {
			/* a symlink: ELOOP as the last component, ENOTDIR before */
			errno = saved == ELOOP || saved == ENOTDIR ? ELOOP : saved;
			return -1;
		}
		if (last)
			return fd;
		dir = fd;
		p += n + 1;
	}
	if (dir != root_fd) {
		int saved = errno;
		close(dir);
		errno = saved;
	}
	return -1;
}

int mica_modules_open_file(int root_fd, const char *name, int no_openat2)
{
	if (!no_openat2) {
		struct open_how how = {.flags = OPEN_FLAGS,
				       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
		int fd = (int)syscall(SYS_openat2, root_fd, name, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd;
	}
	return open_by_components(root_fd, name);
}

int mica_modules_read(int root_fd, const char *name, size_t max, char **src, size_t *len, char *why,
		      size_t why_size)
{
	*src = NULL;
	if (root_fd < 0) {
		snprintf(why, why_size, "no module root was granted (mica run --modules DIR)");
		return -1;
	}
	if (name[0] == '/' || name[0] == 0) {
		snprintf(why, why_size,
			 "module names must be relative paths inside the module root");
		return -1;
	}
	int fd = mica_modules_open_file(root_fd, name, 0);
	if (fd < 0) {
		snprintf(why, why_size, "%s",
			 errno == EXDEV || errno == ELOOP ? "outside the module root"
							  : strerror(errno));
		return -1;
	}
	struct stat st;
	int rc = -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, why_size, "not a regular file");
	} else if ((size_t)st.st_size > max) {
		snprintf(why, why_size, "larger than the %zu-byte limit", max);
	} else if (!(*src = malloc((size_t)st.st_size + 1))) {
		snprintf(why, why_size, "out of memory");
	} else {
		ssize_t n = pread(fd, *src, (size_t)st.st_size, 0);
		if (n == st.st_size) {
			*len = (size_t)n;
			rc = 0;
		} else {
			snprintf(why, why_size, "read failed");
			free(*src);
			*src = NULL;
		}
	}
	close(fd);
	return rc;
}

/* ---- MICA_HC_MODULE ------------------------------------------------------ */

int mica_hc_module(mica_sandbox *sb, uint64_t gpa, int64_t deadline, mica_error *err)
{
	(void)deadline;
	struct mica_hc_module req;
	char path[4097], why[256];
	if (!mica_guest_writable(sb, gpa, sizeof(req)) ||
	    mica_mem_read(&sb->mem, gpa, &req, sizeof(req)) || req.name_len == 0 ||
	    req.name_len > 4096 || mica_mem_read(&sb->mem, req.name, path, req.name_len) ||
	    memchr(path, 0, req.name_len))
		return mica_abi_violation(sb, err, "module request", gpa);
	path[req.name_len] = 0;
	char *src;
	size_t len;
	int found = mica_modules_read(sb->module_root, path, MICA_IN_SIZE - 1, &src, &len, why,
				      sizeof(why)) == 0;
	const char *text = found ? src : why;
	size_t n = found ? len : strlen(why);
	static const char nul = 0;
	int bad = mica_mem_write(&sb->mem, MICA_GPA_IN, text, n) ||
		  mica_mem_write(&sb->mem, MICA_GPA_IN + n, &nul, 1);
	if (found)
		free(src);
	req.failed = !found;
	req.result_len = n;
	if (bad || mica_mem_write(&sb->mem, gpa, &req, sizeof(req)))
		return mica_abi_violation(sb, err, "module request", gpa);
	return 0;
}

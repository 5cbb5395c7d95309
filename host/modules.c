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

/* openat2(RESOLVE_BENEATH) lets the kernel refuse `..` and symlinks that
 * leave the root, atomically; without it (Linux < 5.6) refuse any `..` and
 * any symlink on the way. */
static int open_beneath(int root_fd, const char *name)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, root_fd, name, &how, sizeof(how));
	if (fd >= 0 || errno != ENOSYS)
		return fd;
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			errno = EXDEV;
			return -1;
		}
		p += n + (p[n] == '/');
	}
	return openat(root_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
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
	int fd = open_beneath(root_fd, name);
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

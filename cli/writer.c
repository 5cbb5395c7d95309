#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_SYSTEM 6

/* Writes data to path through a temporary file beside it, fsync and
 * rename: readers see the old file or the new one. 0 or EXIT_SYSTEM. */
static int write_atomically(const char *path, const void *data, size_t len, mode_t mode)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 8);
	if (!tmp)
		return EXIT_SYSTEM;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".XXXXXX", 8);
	int fd = mkostemp(tmp, O_CLOEXEC), rc = 0;
	const char *what = "create";
	if (fd < 0) {
		fprintf(stderr, "mica: cannot create '%s': %s\n", tmp, strerror(errno));
		free(tmp);
		return EXIT_SYSTEM;
	}
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, mode & ~mask))
		rc = -1;
	const char *p = data;
	for (size_t done = 0; done < len && !rc;) {
		ssize_t k = write(fd, p + done, len - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			rc = -1, errno = k ? errno : EIO, what = "write";
		else
			done += (size_t)k;
	}
	if (!rc && fsync(fd))
		rc = -1, what = "write";
	if (close(fd) < 0 && !rc)
		rc = -1, what = "write";
	if (!rc && rename(tmp, path))
		rc = -1, what = "rename";
	if (rc) {
		fprintf(stderr, "mica: cannot %s '%s': %s\n", what,
			!strcmp(what, "rename") ? path : tmp, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc ? EXIT_SYSTEM : 0;
}

const char *mica_cli_writer_refusal(const char *path)
{
	struct stat st;
	if (lstat(path, &st))
		return errno == ENOENT ? NULL : strerror(errno);
	if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
		return NULL;
	return S_ISDIR(st.st_mode) ? "it is a directory"
				   : "it is not a regular file (a device, FIFO or socket)";
}

/* The writer: everything from data until EOF, then the file if ctl says. */
static _Noreturn void writer_main(int data, int ctl, const char *path, mode_t mode)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			_exit(EXIT_SYSTEM);
		if (n == cap) {
			char *more = realloc(buf, cap *= 2);
			if (!more)
				free(buf);
			buf = more;
			continue;
		}
		ssize_t k = read(data, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	char c = 0;
	while (read(ctl, &c, 1) < 0 && errno == EINTR)
		;
	if (c != 'C')
		_exit(0);
	/* Again now: something else may have taken the name since the check. */
	const char *why = mica_cli_writer_refusal(path);
	if (why) {
		fprintf(stderr, "mica: cannot write '%s': %s\n", path, why);
		_exit(EXIT_SYSTEM);
	}
	_exit(write_atomically(path, buf, n, mode));
}

int mica_cli_writer_start(struct mica_cli_writer *w, const char *path, mode_t mode)
{
	int data[2], ctl[2];
	if (pipe2(data, O_CLOEXEC))
		goto fail;
	if (pipe2(ctl, O_CLOEXEC)) {
		close(data[0]);
		close(data[1]);
		goto fail;
	}
	fflush(NULL); /* nothing buffered is written twice */
	w->pid = fork();
	if (w->pid == 0) {
		close(data[1]);
		close(ctl[1]);
		writer_main(data[0], ctl[0], path, mode);
	}
	close(data[0]);
	close(ctl[0]);
	if (w->pid < 0) {
		close(data[1]);
		close(ctl[1]);
		goto fail;
	}
	w->data = data[1];
	w->ctl = ctl[1];
	return 0;
fail:
	fprintf(stderr, "mica: cannot start the writer of '%s': %s\n", path, strerror(errno));
	return -1;
}

int mica_cli_writer_finish(struct mica_cli_writer *w, int commit)
{
	close(w->data);
	if (commit && write(w->ctl, "C", 1) != 1)
		commit = 0;
	close(w->ctl);
	int st = 0;
	while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return EXIT_SYSTEM;
	return 0;
}

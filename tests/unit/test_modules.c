/*
 * test_modules: module files under a root (host/modules.c), on both paths:
 * openat2(RESOLVE_BENEATH) and the component-by-component fallback for
 * kernels without it (forced here, so that it is tested on every kernel).
 * Nothing may lead out of the root, and nothing may block: a FIFO, a
 * socket, a device or a huge file is refused at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "modules.h"

static char root[64];
static int root_fd = -1;

static void put(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", root, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void at(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", root, name);
}

/* The tree: ok.js, sub/inner.js, links out and in, a FIFO, a socket and a
 * 1 GiB sparse file. */
static int make_root(void)
{
	char p[128], q[128];
	snprintf(root, sizeof(root), "/tmp/mica-modules-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	put("ok.js", "export const ok = 1;\n");
	at("sub", p, sizeof(p));
	mkdir(p, 0755);
	put("sub/inner.js", "export const inner = 1;\n");
	at("dir_out", p, sizeof(p));
	if (symlink("/etc", p))
		return -1;
	at("file_out", p, sizeof(p));
	if (symlink("/etc/passwd", p))
		return -1;
	at("zero", p, sizeof(p));
	if (symlink("/dev/zero", p))
		return -1;
	at("dir_in", p, sizeof(p));
	if (symlink("sub", p))
		return -1;
	at("fifo", p, sizeof(p));
	if (mkfifo(p, 0644))
		return -1;
	at("big.js", p, sizeof(p));
	int fd = open(p, O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || ftruncate(fd, 1ll << 30) < 0)
		return -1;
	close(fd);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	at("sock", q, sizeof(q));
	if (strlen(q) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, q, strlen(q) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	close(fd);
	mica_error err;
	return mica_modules_open(root, &root_fd, &err);
}

static void remove_root(void)
{
	static const char *names[] = {"ok.js",	"sub/inner.js", "dir_out", "file_out", "zero",
				      "dir_in", "fifo",		"big.js",  "sock",     "sub"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[128];
		at(names[i], p, sizeof(p));
		if (unlink(p) && errno == EISDIR)
			rmdir(p);
		rmdir(p);
	}
	rmdir(root);
	if (root_fd >= 0)
		close(root_fd);
}

/* Opening name on one path: the fd's type (S_IF*), or -errno. */
static int opened(const char *name, int fallback)
{
	int fd = mica_modules_open_file(root_fd, name, fallback);
	if (fd < 0)
		return -errno;
	struct stat st;
	int type = fstat(fd, &st) == 0 ? (int)(st.st_mode & S_IFMT) : -EIO;
	close(fd);
	return type;
}

static void both(const char *name, int want_openat2, int want_fallback)
{
	int a = opened(name, 0), b = opened(name, 1);
	CHECK(a == want_openat2, "%s with openat2: %d, want %d", name, a, want_openat2);
	CHECK(b == want_fallback, "%s without openat2: %d, want %d", name, b, want_fallback);
}

TEST(inside_the_root)
{
	both("ok.js", S_IFREG, S_IFREG);
	both("sub/inner.js", S_IFREG, S_IFREG);
	both("./sub//inner.js", S_IFREG, S_IFREG);
}

TEST(nothing_leads_out)
{
	both("../etc/passwd", -EXDEV, -EXDEV);
	both("sub/../../etc/passwd", -EXDEV, -EXDEV);
	/* a directory symlink in the middle (the fallback followed it: issue 10) */
	both("dir_out/passwd", -EXDEV, -ELOOP);
	both("file_out", -EXDEV, -ELOOP);
	both("zero", -EXDEV, -ELOOP);
	/* a symlink that stays inside: openat2 allows it, the fallback refuses
	 * every symlink */
	both("dir_in/inner.js", S_IFREG, -ELOOP);
}

/* Opening never blocks (a FIFO without a writer blocked the guest's thread
 * past its deadline: issue 10); the reader then refuses what is not a
 * regular file, and what is too large. alarm() turns a hang into a death. */
TEST(nothing_blocks)
{
	alarm(10);
	both("fifo", S_IFIFO, S_IFIFO);
	both("sock", -ENXIO, -ENXIO);
	both("sub", S_IFDIR, S_IFDIR);
	static const struct {
		const char *name, *why;
	} refused[] = {{"fifo", "not a regular file"},
		       {"sub", "not a regular file"},
		       {"sock", "No such device or address"},
		       {"zero", "outside the module root"},
		       {"big.js", "larger than the 3145727-byte limit"},
		       {"dir_out/passwd", "outside the module root"}};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char *src = NULL, why[256] = "";
		size_t len;
		int rc = mica_modules_read(root_fd, refused[i].name, 3145727, &src, &len, why,
					   sizeof(why));
		CHECK(rc == -1 && !src && strstr(why, refused[i].why), "%s: rc %d, '%s', want '%s'",
		      refused[i].name, rc, why, refused[i].why);
		free(src);
	}
	alarm(0);
}

int main(void)
{
	if (make_root()) {
		printf("cannot make the test tree under /tmp: %s\n", strerror(errno));
		remove_root();
		printf("0 passed, 1 failed\n");
		return 1;
	}
	RUN(inside_the_root);
	RUN(nothing_leads_out);
	RUN(nothing_blocks);
	remove_root();
	return harness_report();
}

/*
 * fuzz_modules: module path resolution (host/modules.c). The input is a
 * module name, as a guest may send it (any bytes up to a NUL, at most 4096
 * of them, as MICA_HC_MODULE allows). It is opened under a small tree,
 * made once per process, on both paths (openat2 RESOLVE_BENEATH, and the
 * component-by-component fallback), and read with mica_modules_read.
 *
 * Nothing outside the root may ever be opened: every descriptor the
 * resolver returns must be the root or lie under it, by its path in
 * /proc/self/fd and by its inode (each file in the tree is known); what the
 * fallback opens, openat2 opens too, the same file; what is read is a file
 * of the tree, never the one beside it.
 *
 * The tree (ROOT = a temporary directory; OUT beside it holds secret.js):
 *   a.js, b.mjs, sub/c.js, sub/deep/d.js     modules
 *   in_file -> a.js, in_dir -> sub, in_abs -> ROOT/a.js
 *   up -> .., out_file -> ../OUT/secret.js, out_dir -> ../OUT,
 *   abs_file -> OUT/secret.js, abs_dir -> /etc, loop -> loop, dev -> /dev/null
 *   sub/up2 -> ../.., sub/back -> ../a.js
 *   fifo (a FIFO), empty.js (empty), sub/sock (a Unix socket)
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz.h"
#include "modules.h"

#define INSIDE_MARK "inside-the-root"
#define SECRET_MARK "SECRET-outside-the-root"

static char top[64], root[96], out[96];
static int root_fd = -1;
static struct stat root_st;

static int put(const char *dir, const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int link_at(const char *target, const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, name);
	return symlink(target, p);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void remove_tree(void)
{
	if (root_fd >= 0)
		close(root_fd);
	if (top[0])
		nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	snprintf(top, sizeof(top), "/tmp/mica-fuzz-modules-XXXXXX");
	if (!mkdtemp(top)) {
		top[0] = 0;
		FUZZ_SETUP_FAILED("mkdtemp: %s", strerror(errno));
	}
	atexit(remove_tree);
	snprintf(root, sizeof(root), "%s/root", top);
	snprintf(out, sizeof(out), "%s/OUT", top);
	char p[256], q[256];
	int bad = mkdir(root, 0755) || mkdir(out, 0755);
	snprintf(p, sizeof(p), "%s/sub", root);
	bad = bad || mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sub/deep", root);
	bad = bad || mkdir(p, 0755);
	bad = bad || put(root, "a.js", "export const a = '" INSIDE_MARK "';\n") ||
	      put(root, "b.mjs", "export const b = '" INSIDE_MARK "';\n") ||
	      put(root, "sub/c.js", "export const c = '" INSIDE_MARK "';\n") ||
	      put(root, "sub/deep/d.js", "export const d = '" INSIDE_MARK "';\n") ||
	      put(root, "empty.js", "") || put(out, "secret.js", SECRET_MARK "\n");
	snprintf(p, sizeof(p), "%s/a.js", root);
	snprintf(q, sizeof(q), "%s/secret.js", out);
	bad = bad || link_at("a.js", "in_file") || link_at("sub", "in_dir") ||
	      link_at(p, "in_abs") || link_at("..", "up") ||
	      link_at("../OUT/secret.js", "out_file") || link_at("../OUT", "out_dir") ||
	      link_at(q, "abs_file") || link_at("/etc", "abs_dir") || link_at("loop", "loop") ||
	      link_at("/dev/null", "dev") || link_at("../..", "sub/up2") ||
	      link_at("../a.js", "sub/back");
	snprintf(p, sizeof(p), "%s/fifo", root);
	bad = bad || mkfifo(p, 0644);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sub/sock", root);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bad = bad || s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa));
	if (s >= 0)
		close(s);
	mica_error err;
	if (bad || mica_modules_open(root, &root_fd, &err) || stat(root, &root_st))
		FUZZ_SETUP_FAILED("cannot make the tree under %s: %s", top, strerror(errno));
}

/* fd, as the resolver returned it, must be the root or under it. */
static void check_inside(int fd, const char *name, int fallback)
{
	char link[64], target[PATH_MAX + 1];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	FUZZ_CHECK(n > 0, "readlink %s: %s", link, strerror(errno));
	target[n] = 0;
	size_t rl = strlen(root);
	FUZZ_CHECK(!strncmp(target, root, rl) && (target[rl] == 0 || target[rl] == '/'),
		   "'%s' (%s) opened %s, outside %s", name, fallback ? "fallback" : "openat2",
		   target, root);
	/* and by inode: the path of a file can be renamed, its inode cannot */
	struct stat st, at;
	FUZZ_CHECK(fstat(fd, &st) == 0, "fstat");
	FUZZ_CHECK(st.st_dev == root_st.st_dev, "'%s' opened a file on another device", name);
	FUZZ_CHECK(stat(target, &at) == 0 && at.st_ino == st.st_ino,
		   "'%s': %s is not what was opened", name, target);
}

FUZZ_TARGET(modules)
{
	if (root_fd < 0)
		setup();
	char name[4097];
	size_t n = size < 4096 ? size : 4096;
	memcpy(name, data, n);
	name[n] = 0; /* the guest's names hold no NUL: cut at the first */

	struct stat st[2];
	int ok[2] = {0, 0};
	for (int fallback = 0; fallback < 2; fallback++) {
		errno = 0;
		int fd = mica_modules_open_file(root_fd, name, fallback);
		if (fd < 0) {
			FUZZ_CHECK(errno != 0, "-1 without errno");
			continue;
		}
		check_inside(fd, name, fallback);
		FUZZ_CHECK(fstat(fd, &st[fallback]) == 0, "fstat");
		ok[fallback] = 1;
		close(fd);
	}
	/* The fallback is stricter (no `..`, no symlink at all): what it opens,
	 * openat2 opens too, and the same file (names within PATH_MAX). But
	 * for absolute names, which openat2 refuses and the fallback reads
	 * under the root, leading '/' and all (mica_modules_read refuses them
	 * before either). */
	if (ok[1] && strlen(name) < PATH_MAX && name[0] != '/')
		FUZZ_CHECK(ok[0] && st[0].st_ino == st[1].st_ino,
			   "'%s': the fallback opened inode %llu, openat2 %s", name,
			   (unsigned long long)st[1].st_ino, ok[0] ? "another" : "nothing");

	char *src = NULL, why[256] = "";
	size_t len = 0;
	int rc = mica_modules_read(root_fd, name, 1 << 20, &src, &len, why, sizeof(why));
	FUZZ_LOG("modules: '%s': openat2 %s, fallback %s, read: %s\n", name,
		 ok[0] ? "opens" : "refuses", ok[1] ? "opens" : "refuses", rc ? why : "ok");
	if (rc == 0) {
		FUZZ_CHECK(src && len < (1 << 20), "read %zu bytes", len);
		FUZZ_CHECK(!memmem(src, len, SECRET_MARK, sizeof(SECRET_MARK) - 1),
			   "'%s' read the file outside the root", name);
		FUZZ_CHECK(len == 0 || memmem(src, len, INSIDE_MARK, sizeof(INSIDE_MARK) - 1),
			   "'%s' read something not in the tree", name);
		free(src);
	} else {
		FUZZ_CHECK(rc == -1 && !src && why[0], "rc %d, why '%s'", rc, why);
	}
	return 0;
}

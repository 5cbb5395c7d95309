/*
 * Starting and talking to the zygote. It is this runtime's child, cloned
 * into new namespaces and exec'd from a memfd holding the loader: nothing of
 * the host's memory or descriptors reaches it but its control socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zygote.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x10u
#endif

extern const uint8_t mica_loader_image[];
extern const uint8_t mica_loader_image_end[];

#define REPORT_TIMEOUT_MS 10000

static const struct {
	unsigned flag;
	const char *name;
} namespaces[] = {{CLONE_NEWUSER, "user"},    {CLONE_NEWPID, "pid"}, {CLONE_NEWNET, "net"},
		  {CLONE_NEWIPC, "ipc"},      {CLONE_NEWUTS, "uts"}, {CLONE_NEWNS, "mount"},
		  {CLONE_NEWCGROUP, "cgroup"}};
#define NNS (sizeof(namespaces) / sizeof(namespaces[0]))

void mica_zygote_ns_names(unsigned ns, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < NNS; i++)
		if ((ns & namespaces[i].flag) && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "",
					      namespaces[i].name);
}

static void reap(int pidfd)
{
	siginfo_t si;
	while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
		;
	close(pidfd);
}

/* Ends a zygote that may be waiting (for its id maps, or to start). */
static void kill_reap(int pidfd)
{
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	reap(pidfd);
}

/* What the child of clone() needs, prepared before it: it is a copy of a
 * process that may have other threads, so it makes only raw system calls,
 * with every signal blocked (the host's handlers are still installed). */
struct start {
	unsigned ns;
	int probe; /* only try the namespaces: exit at once */
	int sock, image;
	int gate[2]; /* a pipe: one byte from the host, 'G' once the id maps are written */
	int nobody;  /* out: the maps hold nobody too, as id 1 */
};

static int put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static int start_child(void *arg)
{
	struct start *s = arg;
	if (s->probe)
		syscall(SYS_exit, 0);
	/* Root in its own user namespace, so that it keeps its capabilities
	 * there across exec, until it drops them: the host maps that root to
	 * itself, and only a process outside the namespace may add nobody. A
	 * byte, not EOF: a process forked meanwhile elsewhere in the host may
	 * hold a copy of the gate's write end. */
	char go = 0;
	syscall(SYS_close, s->gate[1]);
	while (syscall(SYS_read, s->gate[0], &go, 1) < 0 && errno == EINTR)
		;
	if (go != 'G')
		syscall(SYS_exit, 126);
	/* the socket to 3, the loader to 4, whatever numbers they had */
	int sock = (int)syscall(SYS_fcntl, s->sock, F_DUPFD, 5),
	    image = (int)syscall(SYS_fcntl, s->image, F_DUPFD_CLOEXEC, 5);
	if (sock < 0 || image < 0 || syscall(SYS_dup3, sock, 3, 0) < 0 ||
	    syscall(SYS_dup3, image, 4, O_CLOEXEC) < 0)
		syscall(SYS_exit, 127);
	syscall(SYS_close_range, 0, 2, 0);
	syscall(SYS_close_range, 5, ~0u, 0);
	char *argv[] = {"mica-zygote", NULL}, *envp[] = {NULL};
	syscall(SYS_execveat, 4, "", argv, envp, AT_EMPTY_PATH);
	syscall(SYS_exit, 127);
	return 0;
}

/* The child's pid as this /proc numbers it (its pidfd's fdinfo): the pid
 * clone() returned is in our pid namespace, which /proc may not be. */
static pid_t proc_pid(int pidfd, pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	const char *at = strstr(buf, "\nPid:");
	return at ? (pid_t)atoi(at + 5) : pid;
}

/* 1 if our user namespace maps id (file: uid_map or gid_map). */
static int id_mapped(const char *file, unsigned id)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/%s", file);
	FILE *f = fopen(path, "re");
	unsigned inside, outside, count;
	int found = 0;
	while (f && !found && fscanf(f, "%u %u %u", &inside, &outside, &count) == 3)
		found = id >= inside && id - inside < count;
	if (f)
		fclose(f);
	return found;
}

/* Writes one of the child's id maps: 0 or -1. */
static int map_write(pid_t pid, const char *file, const char *map)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return put(path, map);
}

/* The child's user namespace: its root is us, and where we may map another
 * user (root may), id 1 is nobody, which every sandbox becomes before it
 * runs anything (loader.c child()), so that one that got past its filter
 * would own no file of the host's and could signal nothing of ours. The
 * zygote stays us: it removes the runtime's cgroups when it ends. 0, or -1
 * if not even our own ids could be mapped. */
static int map_ids(struct start *s, pid_t pid)
{
	char uid[64], gid[64], path[64];
	snprintf(uid, sizeof(uid), "0 %u 1\n1 %u 1\n", (unsigned)geteuid(), MICA_ZY_NOBODY);
	snprintf(gid, sizeof(gid), "0 %u 1\n1 %u 1\n", (unsigned)getegid(), MICA_ZY_NOBODY);
	int uid2 = !map_write(pid, "uid_map", uid);
	s->nobody = uid2 && !map_write(pid, "gid_map", gid);
	if (s->nobody)
		return 0;
	/* only ourselves (a map is written once: the uid map may be done) */
	snprintf(uid, sizeof(uid), "0 %u 1\n", (unsigned)geteuid());
	snprintf(gid, sizeof(gid), "0 %u 1\n", (unsigned)getegid());
	if (!uid2 && map_write(pid, "uid_map", uid))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	put(path, "deny"); /* mapping our own group needs it */
	return map_write(pid, "gid_map", gid) ? -1 : 0;
}

/* clone() into ns; the zygote's pidfd, or -1 with errno. Not CLONE_VM |
 * CLONE_VFORK: we write the child's id maps while it waits. */
static int clone_into(struct start *s, unsigned ns, int probe)
{
	enum { STACK = 64 << 10 };
	if (pipe2(s->gate, O_CLOEXEC))
		return -1;
	char *stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	int pid = -1, pidfd = -1, e = errno;
	s->nobody = 0;
	if (stack != MAP_FAILED) {
		s->ns = ns;
		s->probe = probe;
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		/* No exit signal: the application's SIGCHLD handling never sees it. */
		pid = clone(start_child, stack + STACK, (int)(CLONE_PIDFD | ns), s, &pidfd);
		e = errno;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		munmap(stack, STACK); /* the child has its own copy */
	}
	char go = 'G';
	if (pid > 0 && !probe && (ns & CLONE_NEWUSER) && map_ids(s, proc_pid(pidfd, pid))) {
		go = 'X';
		e = EPERM;
	}
	if (pid > 0 && !probe && write(s->gate[1], &go, 1) != 1)
		go = 'X'; /* it reads EOF and exits */
	close(s->gate[0]);
	close(s->gate[1]);
	if (pid > 0 && go != 'G') {
		kill_reap(pidfd);
		pid = -1;
	}
	errno = e;
	return pid > 0 ? pidfd : -1;
}

/* The namespaces the kernel allows, each tried alone (with a user
 * namespace if that works: the others need it when we are not root). */
static unsigned choose_ns(struct start *s, unsigned *refused)
{
	unsigned all = 0, got = 0;
	int fd;
	for (size_t i = 0; i < NNS; i++)
		all |= namespaces[i].flag;
	for (size_t i = 0; i < NNS; i++) {
		unsigned want = namespaces[i].flag |
				(namespaces[i].flag != CLONE_NEWUSER ? got & CLONE_NEWUSER : 0);
		if ((fd = clone_into(s, want, 1)) >= 0) {
			reap(fd);
			got |= namespaces[i].flag;
		}
	}
	if (got && (fd = clone_into(s, got, 1)) >= 0)
		reap(fd);
	else
		got = 0;
	*refused = all & ~got;
	return got;
}

int mica_zygote_start(struct mica_zygote *z, mica_error *err)
{
	memset(z, 0, sizeof(*z));
	z->sock = z->pidfd = -1;
	int sv[2] = {-1, -1}, rc;
	struct start s = {.image = -1};
	s.image = memfd_create("mica-loader", MFD_CLOEXEC | MFD_EXEC);
	if (s.image < 0 && errno == EINVAL)
		s.image = memfd_create("mica-loader", MFD_CLOEXEC);
	size_t len = (size_t)(mica_loader_image_end - mica_loader_image);
	if (s.image < 0 || write(s.image, mica_loader_image, len) != (ssize_t)len) {
		rc = mica_err_errno(err, MICA_ERR_SYSTEM,
				    "process backend unavailable: cannot make the loader");
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc =
		    mica_err_errno(err, MICA_ERR_SYSTEM, "process backend unavailable: socketpair");
		goto fail;
	}
	s.sock = sv[1];
	/* All of them, else (rarely) those the kernel allows one by one. */
	for (size_t i = 0; i < NNS; i++)
		z->ns |= namespaces[i].flag;
	z->pidfd = clone_into(&s, z->ns, 0);
	if (z->pidfd < 0) {
		z->ns = choose_ns(&s, &z->refused);
		z->pidfd = clone_into(&s, z->ns, 0);
	}
	if (z->pidfd < 0) {
		rc = mica_err_errno(err, MICA_ERR_SYSTEM,
				    "process backend unavailable: cannot start the zygote");
		goto fail;
	}
	close(sv[1]);
	sv[1] = -1;
	z->sock = sv[0];
	sv[0] = -1;
	/* It says "R" once running ("r": it may not change its children's ids);
	 * EOF means it died (the exec failed). */
	struct pollfd p = {.fd = z->sock, .events = POLLIN};
	char c = 0;
	if (poll(&p, 1, REPORT_TIMEOUT_MS) != 1 || read(z->sock, &c, 1) != 1 ||
	    (c != 'R' && c != 'r')) {
		rc = mica_err(err, MICA_ERR_SYSTEM,
			      "process backend unavailable: the zygote did not start");
		goto fail;
	}
	/* What each sandbox becomes: nobody, as id 1 of its user namespace,
	 * or as itself where there is none and we are root; else us (and
	 * describe says why). */
	int userns = (z->ns & CLONE_NEWUSER) != 0;
	int nobody_here = geteuid() == 0 && id_mapped("uid_map", MICA_ZY_NOBODY) &&
			  id_mapped("gid_map", MICA_ZY_NOBODY);
	z->kid_id = MICA_ZY_SAME_ID;
	if (c == 'R' && (userns ? s.nobody : nobody_here))
		z->kid_id = userns ? 1 : MICA_ZY_NOBODY;

	close(s.image);
	pthread_mutex_init(&z->lock, NULL);
	return 0;
fail:
	if (s.image >= 0)
		close(s.image);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (z->sock >= 0)
		close(z->sock);
	if (z->pidfd >= 0)
		kill_reap(z->pidfd);
	z->sock = z->pidfd = -1;
	return rc;
}

void mica_zygote_stop(struct mica_zygote *z)
{
	if (z->pidfd < 0)
		return;
	close(z->sock); /* EOF: it exits, and its pid namespace with it */
	/* after its children and the cgroups: killed if that hangs */
	struct pollfd p = {.fd = z->pidfd, .events = POLLIN};
	if (poll(&p, 1, REPORT_TIMEOUT_MS) != 1)
		syscall(SYS_pidfd_send_signal, z->pidfd, SIGKILL, NULL, 0);
	reap(z->pidfd);
	pthread_mutex_destroy(&z->lock);
	z->sock = z->pidfd = -1;
}

static int send_locked(struct mica_zygote *z, const void *m, size_t len, const int *fds, int nfds)
{
	struct iovec iov = {.iov_base = (void *)m, .iov_len = len};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * (5 + MICA_ZY_MAX_CGROUPS))];
	} c;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		memset(&c, 0, sizeof(c));
		msg.msg_control = c.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(h), fds, sizeof(int) * (size_t)nfds);
	}
	pthread_mutex_lock(&z->lock);
	ssize_t n;
	while ((n = sendmsg(z->sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	pthread_mutex_unlock(&z->lock);
	return n == (ssize_t)len ? 0 : -1;
}

void mica_zygote_own_cgroups(struct mica_zygote *z, const char *const *dirs, int n)
{
	struct mica_zy_cgroups m = {.op = MICA_ZY_CGROUPS};
	int fds[MICA_ZY_MAX_CGROUPS];
	for (int i = 0; i < n && i < MICA_ZY_MAX_CGROUPS; i++) {
		const char *slash = strrchr(dirs[i], '/');
		size_t plen = slash ? (size_t)(slash - dirs[i]) : 0;
		char parent[PATH_MAX];
		if (!slash || plen >= sizeof(parent) || strlen(slash + 1) >= MICA_ZY_NAME_MAX)
			break;
		memcpy(parent, dirs[i], plen);
		parent[plen] = 0;
		if ((fds[m.n] = open(plen ? parent : "/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			break;
		strcpy(m.name[m.n++], slash + 1);
	}
	if (m.n)
		send_locked(z, &m, sizeof(m), fds, (int)m.n);
	for (uint32_t i = 0; i < m.n; i++)
		close(fds[i]);
}

void mica_zygote_kill(struct mica_zygote *z, uint32_t id)
{
	struct mica_zy_kill k = {.op = MICA_ZY_KILL, .id = id};
	send_locked(z, &k, sizeof(k), NULL, 0);
}

/* One report from the spawn's socket, with its descriptor and sender. */
static int read_report(int fd, struct mica_zy_report *r, int *passed, pid_t *pid)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, REPORT_TIMEOUT_MS) != 1)
		return -1;
	struct iovec iov = {.iov_base = r, .iov_len = sizeof(*r)};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
	} c;
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof(c)};
	ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	if (n != (ssize_t)sizeof(*r))
		return -1;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
		if (h->cmsg_level != SOL_SOCKET)
			continue;
		if (h->cmsg_type == SCM_RIGHTS && h->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(passed, CMSG_DATA(h), sizeof(int));
		else if (h->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cred;
			memcpy(&cred, CMSG_DATA(h), sizeof(cred));
			*pid = cred.pid;
		}
	}
	return 0;
}

int mica_zygote_spawn(struct mica_zygote *z, const struct mica_zy_spawn *m, const int *fds,
		      struct mica_zy_child *child, mica_error *err)
{
	child->mem = -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return mica_err_errno(err, MICA_ERR_SYSTEM,
				      "cannot start a sandbox process: socketpair");
	int one = 1;
	setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	int all[5 + MICA_ZY_MAX_CGROUPS];
	memcpy(all, fds, 4 * sizeof(int));
	all[4] = sv[1];
	memcpy(all + 5, fds + 4, m->ncgroups * sizeof(int));
	int rc = send_locked(z, m, sizeof(*m), all, 5 + (int)m->ncgroups);
	close(sv[1]);
	if (rc) {
		close(sv[0]);
		return mica_err_errno(err, MICA_ERR_SYSTEM,
				      "cannot start a sandbox process: the zygote is gone");
	}
	int have_id = 0, ready = 0;
	rc = MICA_OK;
	while (rc == MICA_OK && !(have_id && ready)) {
		struct mica_zy_report r;
		int passed = -1;
		pid_t pid = 0;
		if (read_report(sv[0], &r, &passed, &pid)) {
			rc = mica_err(err, MICA_ERR_SYSTEM,
				      "cannot start a sandbox process: it did not report");
		} else if (r.err) {
			r.why[sizeof(r.why) - 1] = 0;
			errno = r.err;
			rc = mica_err_errno(err, MICA_ERR_SYSTEM,
					    "cannot start a sandbox process: %s",
					    r.kind == MICA_ZY_ID ? "fork" : r.why);
		} else if (r.kind == MICA_ZY_ID && !have_id) {
			child->id = r.id;
			have_id = 1;
		} else if (r.kind == MICA_ZY_READY && !ready && passed >= 0 && pid > 0) {
			child->mem = passed;
			child->pid = pid;
			ready = 1;
			passed = -1;
		} else {
			rc = mica_err(err, MICA_ERR_SYSTEM,
				      "cannot start a sandbox process: a bad report");
		}
		if (passed >= 0)
			close(passed);
	}
	close(sv[0]);
	if (rc) {
		if (have_id)
			mica_zygote_kill(z, child->id);
		if (child->mem >= 0)
			close(child->mem);
		child->mem = -1;
	}
	return rc;
}

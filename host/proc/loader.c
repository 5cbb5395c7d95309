/*
 * The process backend's zygote and loader: a freestanding static program,
 * built into libmica and started once per runtime (host/proc/zygote.c) in
 * new namespaces, as the init of its pid namespace. No libc: nothing of the
 * host's memory or libraries reaches a sandbox.
 *
 * The zygote serves its control socket (fd 3): MICA_ZY_SPAWN forks a child
 * that maps the guest and confines itself, MICA_ZY_KILL kills one. It reaps
 * its children and adds MICA_PROC_DEATH (and the wait status) to a dead
 * child's notify eventfd, which wakes the host. When the host goes away
 * (EOF on the socket), it exits, and the kernel kills every child with it.
 *
 * The child, after fork: joins its cgroups, maps the guest memory at the
 * guest's own addresses, reports /proc/self/mem to the host, installs the
 * guest's signal handlers, sets no_new_privs and its rlimits, keeps only
 * the transport's descriptors (0 answer, 1 notify, 2 pagemap) and jumps to
 * the guest's proc_enter stub, which unmaps what is left of this program,
 * installs the seccomp filter and parks. See docs/process-backend.md.
 */
#include <stddef.h>
#include <stdint.h>

#include "mica_abi.h"
#include "proc.h"

/* ---- system calls ------------------------------------------------------------ */

#define SYS_read	   0
#define SYS_write	   1
#define SYS_open	   2
#define SYS_close	   3
#define SYS_poll	   7
#define SYS_lseek	   8
#define SYS_mmap	   9
#define SYS_munmap	   11
#define SYS_rt_sigaction   13
#define SYS_rt_sigprocmask 14
#define SYS_madvise	   28
#define SYS_dup		   32
#define SYS_dup2	   33
#define SYS_getpid	   39
#define SYS_sendmsg	   46
#define SYS_recvmsg	   47
#define SYS_fork	   57
#define SYS_exit	   60
#define SYS_wait4	   61
#define SYS_kill	   62
#define SYS_fcntl	   72
#define SYS_setgroups	   116
#define SYS_setresuid	   117
#define SYS_setresgid	   119
#define SYS_capget	   125
#define SYS_capset	   126
#define SYS_sigaltstack	   131
#define SYS_prctl	   157
#define SYS_setrlimit	   160
#define SYS_mount	   165
#define SYS_sethostname	   170
#define SYS_exit_group	   231
#define SYS_openat	   257
#define SYS_unlinkat	   263
#define SYS_signalfd4	   289
#define SYS_prlimit64	   302
#define SYS_close_range	   436

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}
#define sys(n, ...) sys_(n, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define sys_(n, a, b, c, d, e, f, ...)                                                             \
	sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* gcc may emit calls to these even when freestanding. */
void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

static size_t slen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* ---- kernel structures (x86-64 UAPI) ------------------------------------- */

struct iovec {
	void *base;
	size_t len;
};

struct msghdr {
	void *name;
	uint32_t namelen;
	struct iovec *iov;
	size_t iovlen;
	void *control;
	size_t controllen;
	int flags;
};

struct cmsghdr {
	size_t len;
	int level, type;
};

#define SOL_SOCKET	 1
#define SCM_RIGHTS	 1
#define MSG_CMSG_CLOEXEC 0x40000000
#define MAX_FDS		 (5 + MICA_ZY_MAX_CGROUPS)

struct kernel_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct pollfd {
	int fd;
	short events, revents;
};

#define SA_SIGINFO		 4
#define SA_ONSTACK		 0x08000000
#define SA_RESTORER		 0x04000000
#define SA_NODEFER		 0x40000000
#define SIGTRAP			 5
#define SIGBUS			 7
#define SIGFPE			 8
#define SIGKILL			 9
#define SIGSEGV			 11
#define SIGCHLD			 17
#define SIGSYS			 31
#define SIG_BLOCK		 0
#define SIG_SETMASK		 2
#define CAP_VERSION_3		 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */
#define CAP_KILL		 5
#define CAP_SETGID		 6
#define CAP_SETUID		 7
#define PROT_READ		 1
#define PROT_WRITE		 2
#define PROT_EXEC		 4
#define MAP_SHARED		 1
#define MAP_PRIVATE		 2
#define MAP_ANONYMOUS		 0x20
#define MAP_FIXED_NOREPLACE	 0x100000
#define MADV_POPULATE_READ	 22
#define O_RDONLY		 0
#define O_RDWR			 2
#define O_CLOEXEC		 02000000
#define O_DIRECTORY		 0200000
#define O_PATH			 010000000
#define AT_REMOVEDIR		 0x200
#define ENOENT			 2
#define F_DUPFD_CLOEXEC		 1030
#define WNOHANG			 1
#define WALL			 0x40000000
#define POLLIN			 1
#define MS_REC			 16384
#define MS_PRIVATE		 (1 << 18)
#define PR_SET_PDEATHSIG	 1
#define PR_CAPBSET_DROP		 24
#define PR_SET_NO_NEW_PRIVS	 38
#define PR_CAP_AMBIENT		 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#define RLIMIT_FSIZE		 1
#define RLIMIT_CORE		 4
#define RLIMIT_NPROC		 6
#define RLIMIT_NOFILE		 7
#define RLIMIT_MEMLOCK		 8
#define RLIMIT_AS		 9
#define RLIMIT_LOCKS		 10
#define RLIMIT_SIGPENDING	 11
#define RLIMIT_MSGQUEUE		 12
#define RLIMIT_NICE		 13
#define RLIMIT_RTPRIO		 14

static void die(int code)
{
	for (;;)
		sys(SYS_exit_group, code);
}

/* Drops every capability but those in keep (CAP_* bits below 32), from
 * the bounding set too; 0 or what capset failed with. */
static long drop_capabilities(uint32_t keep)
{
	for (int cap = 0; cap < 64; cap++)
		sys(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
	sys(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	uint32_t hdr[2] = {CAP_VERSION_3, 0};
	uint32_t data[6] = {keep, keep, 0}; /* effective, permitted, inheritable */
	return sys(SYS_capset, hdr, data);
}

/* ---- the child --------------------------------------------------------------- */

static int report_fd = -1;

/* Tells the host why the child cannot become a sandbox, and exits. */
static void fail(const char *what, long rc)
{
	struct mica_zy_report r;
	memset(&r, 0, sizeof(r));
	r.kind = MICA_ZY_READY;
	r.err = rc < 0 ? (int32_t)-rc : 1;
	size_t n = slen(what);
	memcpy(r.why, what, n < sizeof(r.why) - 1 ? n : sizeof(r.why) - 1);
	struct iovec iov = {&r, sizeof(r)};
	struct msghdr m = {.iov = &iov, .iovlen = 1};
	if (report_fd >= 0)
		sys(SYS_sendmsg, report_fd, &m, 0);
	die(125);
}

/* Keeps fds[0..n) and closes every other descriptor. */
static void keep_only(const int *fds, int n)
{
	int sorted[MAX_FDS];
	for (int i = 0; i < n; i++) {
		int j = i;
		for (; j > 0 && sorted[j - 1] > fds[i]; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = fds[i];
	}
	int next = 0;
	for (int i = 0; i < n; i++) {
		if (sorted[i] > next && sys(SYS_close_range, next, sorted[i] - 1, 0) < 0)
			fail("close_range", -1);
		next = sorted[i] + 1;
	}
	if (sys(SYS_close_range, next, ~0u, 0) < 0)
		fail("close_range", -1);
}

static uint64_t hex(const char **p)
{
	uint64_t v = 0;
	for (;; (*p)++) {
		char c = **p;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return v;
		v = v * 16 + (uint64_t)d;
	}
}

static char maps[1 << 16];

/* Every mapping of this process outside the guest's memory and the
 * snapshot view: what proc_enter unmaps (this program, its stack, the
 * vDSO). Written to out as (addr, len) pairs; returns the count. */
static unsigned foreign_mappings(const struct mica_zy_spawn *m, uint64_t *out, unsigned max)
{
	long fd = sys(SYS_open, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		fail("open /proc/self/maps", fd);
	long n = 0, k;
	while (n < (long)sizeof(maps) - 1 &&
	       (k = sys(SYS_read, fd, maps + n, sizeof(maps) - 1 - n)) > 0)
		n += k;
	sys(SYS_close, fd);
	maps[n] = 0;
	unsigned count = 0;
	for (const char *p = maps; *p;) {
		uint64_t lo = hex(&p);
		p++; /* '-' */
		uint64_t hi = hex(&p);
		int guest = lo >= MICA_GPA_WINDOW && hi <= m->mem_size;
		int ref =
		    m->ref && lo >= MICA_PROC_REF_BASE && hi <= MICA_PROC_REF_BASE + m->mem_size;
		int vsyscall = lo >= 0xffffffffff600000ull; /* cannot be unmapped */
		if (!guest && !ref && !vsyscall) {
			if (count == max)
				fail("too many mappings", -1);
			out[2 * count] = lo;
			out[2 * count + 1] = hi - lo;
			count++;
		}
		while (*p && *p != '\n')
			p++;
		if (*p)
			p++;
	}
	return count;
}

static void map_guest(const struct mica_zy_spawn *m, int base, int window)
{
	for (uint32_t i = 0; i < m->nmaps; i++) {
		const struct mica_zy_map *r = &m->map[i];
		long at;
		if (r->kind == MICA_ZY_SHARED)
			at =
			    sys(SYS_mmap, r->gpa, r->len, r->prot, MAP_SHARED | MAP_FIXED_NOREPLACE,
				window, r->gpa - MICA_GPA_WINDOW);
		else if (r->kind == MICA_ZY_FILE)
			at = sys(SYS_mmap, r->gpa, r->len, r->prot,
				 MAP_PRIVATE | MAP_FIXED_NOREPLACE, base, r->gpa);
		else
			at = sys(SYS_mmap, r->gpa, r->len, r->prot,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (at != (long)r->gpa)
			fail("mmap of the guest memory", at < 0 ? at : -1);
		/* Map in what the base holds now, in the kernel: a fault per page
		 * costs ~14 us on nested paging. Only an optimisation. */
		if (r->kind == MICA_ZY_FILE)
			sys(SYS_madvise, r->gpa, r->len, MADV_POPULATE_READ);
	}
	/* The snapshot view, over what the snapshot holds only (the extents the
	 * host wrote to the control page): a hole mapped would let the guest
	 * allocate pages in the snapshot by reading it. */
	const volatile struct mica_proc_ctrl *c =
	    (const volatile struct mica_proc_ctrl *)MICA_GPA_CTRL;
	uint64_t n = c->nextents < MICA_PROC_MAX_EXTENTS ? c->nextents : MICA_PROC_MAX_EXTENTS;
	for (uint64_t i = 0; m->ref && i < n; i++) {
		uint64_t lo = c->extent[i][0], len = c->extent[i][1] - lo;
		if (lo >= m->mem_size || len > m->mem_size - lo ||
		    sys(SYS_mmap, MICA_PROC_REF_BASE + lo, len, PROT_READ,
			MAP_SHARED | MAP_FIXED_NOREPLACE, base,
			lo) != (long)(MICA_PROC_REF_BASE + lo))
			fail("mmap of the snapshot view", -1);
	}
}

static void report_ready(int mem)
{
	struct mica_zy_report r;
	memset(&r, 0, sizeof(r));
	r.kind = MICA_ZY_READY;
	struct iovec iov = {&r, sizeof(r)};
	union {
		struct cmsghdr h;
		char buf[sizeof(struct cmsghdr) + 8];
	} c;
	memset(&c, 0, sizeof(c));
	c.h.len = sizeof(struct cmsghdr) + sizeof(int);
	c.h.level = SOL_SOCKET;
	c.h.type = SCM_RIGHTS;
	memcpy(c.buf + sizeof(struct cmsghdr), &mem, sizeof(int));
	struct msghdr msg = {.iov = &iov, .iovlen = 1, .control = &c, .controllen = sizeof(c)};
	long rc = sys(SYS_sendmsg, report_fd, &msg, 0);
	if (rc < 0)
		fail("report", rc);
}

static void set_limit(int res, uint64_t v)
{
	uint64_t lim[2] = {v, v};
	long rc = sys(SYS_prlimit64, 0, res, lim, 0);
	if (rc < 0)
		fail("setrlimit", rc);
}

/* The enter block proc_enter reads, in the scratch area: the ranges to
 * unmap, then the filter program (struct sock_fprog) at a fixed offset. */
struct enter {
	uint64_t count;
	uint64_t range[MICA_PROC_ENTER_RANGES][2];
	struct {
		uint16_t len;
		uint16_t pad[3];
		const struct sock_filter *filter;
	} prog;
	struct sock_filter filter[MICA_ZY_MAX_FILTER];
};
_Static_assert(offsetof(struct enter, prog) == MICA_PROC_ENTER_PROG, "mica_abi.h's enter block");
_Static_assert(sizeof(struct enter) <= MICA_SCRATCH_SIZE - 256,
	       "enter block fits the scratch area");

/* Takes the ids the host asked for and drops every capability. mem and
 * pagemap must be open by then: the change makes us undumpable, so /proc
 * no longer lets us open our own. */
static void become(const struct mica_zy_spawn *m)
{
	if (m->uid != MICA_ZY_SAME_ID) {
		long rc = sys(SYS_setgroups, 0, 0);
		if (!rc)
			rc = sys(SYS_setresgid, m->gid, m->gid, m->gid);
		if (!rc)
			rc = sys(SYS_setresuid, m->uid, m->uid, m->uid);
		if (rc)
			fail("becoming nobody", rc);
	}
	long rc = drop_capabilities(0);
	if (rc)
		fail("dropping capabilities", rc);
}

static void child(const struct mica_zy_spawn *m, int *fds, int nfds)
{
	/* fds: base, window, answer, notify, report, cgroups... */
	report_fd = fds[4];
	uint64_t none = 0;
	sys(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0, 8); /* the zygote blocks SIGCHLD */
	keep_only(fds, nfds);
	/* before become(): kernels before 5.16 check a cgroup.procs write
	 * against the writer, not the opener */
	for (uint32_t i = 0; i < m->ncgroups; i++) {
		long rc = sys(SYS_write, fds[5 + i], "0", 1);
		if (rc < 0)
			fail("joining the sandbox's cgroup", rc);
		sys(SYS_close, fds[5 + i]);
	}
	long mem = sys(SYS_open, "/proc/self/mem", O_RDWR | O_CLOEXEC, 0);
	if (mem < 0)
		fail("open /proc/self/mem", mem);
	long pagemap = sys(SYS_open, "/proc/self/pagemap", O_RDONLY | O_CLOEXEC, 0);
	if (pagemap < 0)
		fail("open /proc/self/pagemap", pagemap);
	become(m);
	sys(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); /* after: a change of ids clears it */
	map_guest(m, fds[0], fds[1]);
	sys(SYS_close, fds[0]); /* the mappings keep them */
	sys(SYS_close, fds[1]);

	/* The guest's handlers: system calls the filter traps, and faults (on
	 * their own stack, so that a stack overflow is reported too). */
	uint64_t ss[3] = {MICA_GPA_SIGSTACK, 0, MICA_SIGSTACK_SIZE};
	if (sys(SYS_sigaltstack, ss, 0) < 0)
		fail("sigaltstack", -1);
	struct kernel_sigaction sa = {.handler = m->sigsys,
				      .flags = SA_SIGINFO | SA_NODEFER | SA_RESTORER,
				      .restorer = m->restorer};
	if (sys(SYS_rt_sigaction, SIGSYS, &sa, 0, 8) < 0)
		fail("sigaction", -1);
	static const int faults[] = {SIGSEGV, SIGBUS, 4 /* SIGILL */, SIGFPE, SIGTRAP};
	sa = (struct kernel_sigaction){.handler = m->fault,
				       .flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | SA_RESTORER,
				       .restorer = m->restorer};
	for (unsigned i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		if (sys(SYS_rt_sigaction, faults[i], &sa, 0, 8) < 0)
			fail("sigaction", -1);

	/* What proc_enter does last: unmap us, filter, park. */
	struct enter *e = (struct enter *)MICA_GPA_SCRATCH;
	e->count = foreign_mappings(m, &e->range[0][0], MICA_PROC_ENTER_RANGES);
	e->prog.len = (uint16_t)m->nfilter;
	e->prog.filter = e->filter;
	memcpy(e->filter, m->filter, m->nfilter * sizeof(struct sock_filter));

	report_ready((int)mem);
	sys(SYS_close, mem);
	sys(SYS_close, fds[4]);
	report_fd = -1;

	if (sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(125);
	set_limit(RLIMIT_CORE, 0);
	set_limit(RLIMIT_FSIZE, 0);
	set_limit(RLIMIT_NPROC, 0);
	set_limit(RLIMIT_MEMLOCK, 0);
	set_limit(RLIMIT_LOCKS, 0);
	set_limit(RLIMIT_MSGQUEUE, 0);
	set_limit(RLIMIT_SIGPENDING, 16);
	set_limit(RLIMIT_NICE, 0);
	set_limit(RLIMIT_RTPRIO, 0);
	set_limit(RLIMIT_AS, m->rlimit_as);

	/* The transport's descriptors, and nothing else. */
	int want[3] = {fds[2], fds[3], (int)pagemap};
	for (int i = 0; i < 3; i++) {
		long fd = sys(SYS_fcntl, want[i], F_DUPFD_CLOEXEC, 100 + i);
		if (fd < 0)
			die(125);
		want[i] = (int)fd;
	}
	for (int i = 0; i < 3; i++)
		if (sys(SYS_dup2, want[i], i) != i)
			die(125);
	sys(SYS_close_range, 3, ~0u, 0);
	set_limit(RLIMIT_NOFILE, 3);

	__asm__ volatile("mov %0, %%rsp\n\t"
			 "jmp *%1"
			 :
			 : "r"(MICA_GPA_SCRATCH + MICA_SCRATCH_SIZE), "r"(m->enter), "D"(e)
			 : "memory");
	__builtin_unreachable();
}

/* ---- the zygote ------------------------------------------------------------- */

struct kid {
	int pid; /* 0: free */
	int efd; /* the child's notify eventfd */
	uint32_t gen;
};

static struct kid kids[MICA_ZY_MAX_KIDS];
static uint32_t free_slots[MICA_ZY_MAX_KIDS];
static uint32_t nfree;

static union {
	struct mica_zy_spawn spawn;
	struct mica_zy_kill kill;
	struct mica_zy_cgroups cgroups;
	uint32_t op;
} msg;

/* The runtime's cgroup directories (MICA_ZY_CGROUPS): where they are. */
static int cg_parent[MICA_ZY_MAX_CGROUPS] = {-1, -1};
static char cg_name[MICA_ZY_MAX_CGROUPS][MICA_ZY_NAME_MAX];

static void keep_cgroups(int *fds, int nfds)
{
	uint32_t n = msg.cgroups.n;
	for (uint32_t i = 0; i < n && i < MICA_ZY_MAX_CGROUPS && (int)i < nfds; i++) {
		const char *name = msg.cgroups.name[i];
		size_t len = 0;
		while (len < MICA_ZY_NAME_MAX && name[len] && name[len] != '/')
			len++;
		if (len == 0 || len == MICA_ZY_NAME_MAX || name[len] || cg_parent[i] >= 0)
			continue;
		memcpy(cg_name[i], name, len + 1);
		cg_parent[i] = fds[i];
		fds[i] = -1; /* kept */
	}
}

/* The host is gone: every child goes, then the cgroup directories they
 * were in, so that nothing of the runtime is left. */
static void end(void)
{
	for (uint32_t i = 0; i < MICA_ZY_MAX_KIDS; i++)
		if (kids[i].pid)
			sys(SYS_kill, kids[i].pid, SIGKILL);
	for (long r = 1; r > 0 || r == -4 /* EINTR */;)
		r = sys(SYS_wait4, -1, 0, WALL, 0);
	for (int h = 0; h < MICA_ZY_MAX_CGROUPS; h++) {
		if (cg_parent[h] < 0)
			continue;
		long dir =
		    sys(SYS_openat, cg_parent[h], cg_name[h], O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
		for (unsigned k = 0; dir >= 0; k++) { /* sb0, sb1, ... up to the first missing */
			char slot[16] = "sb", digits[12];
			int nd = 0;
			for (unsigned v = k; !nd || v; v /= 10)
				digits[nd++] = (char)('0' + v % 10);
			for (int i = 0; i < nd; i++)
				slot[2 + i] = digits[nd - 1 - i];
			slot[2 + nd] = 0;
			if (sys(SYS_unlinkat, dir, slot, AT_REMOVEDIR, 0) == -ENOENT)
				break;
		}
		if (dir >= 0)
			sys(SYS_close, dir);
		sys(SYS_unlinkat, cg_parent[h], cg_name[h], AT_REMOVEDIR, 0);
	}
	die(0);
}

static void spawn(int *fds, int nfds)
{
	struct mica_zy_report r;
	memset(&r, 0, sizeof(r));
	r.kind = MICA_ZY_ID;
	if (nfds != 5 + (int)msg.spawn.ncgroups || msg.spawn.nmaps > MICA_ZY_MAX_MAPS ||
	    msg.spawn.nfilter > MICA_ZY_MAX_FILTER || nfree == 0) {
		r.err = nfree == 0 ? 11 /* EAGAIN */ : 22 /* EINVAL */;
	} else {
		uint32_t slot = free_slots[--nfree];
		long pid = sys(SYS_fork, 0);
		if (pid == 0)
			child(&msg.spawn, fds, nfds);
		if (pid < 0) {
			free_slots[nfree++] = slot;
			r.err = (int32_t)-pid;
		} else {
			struct kid *k = &kids[slot];
			k->pid = (int)pid;
			k->efd = fds[3];
			k->gen = (k->gen + 1) & 0xffff;
			r.id = k->gen << 16 | slot;
			fds[3] = -1; /* kept */
		}
	}
	struct iovec iov = {&r, sizeof(r)};
	struct msghdr m = {.iov = &iov, .iovlen = 1};
	if (nfds >= 5)
		sys(SYS_sendmsg, fds[4], &m, 0);
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			sys(SYS_close, fds[i]);
}

static void reap(void)
{
	for (;;) {
		int status = 0;
		long pid = sys(SYS_wait4, -1, &status, WNOHANG | WALL, 0);
		if (pid <= 0)
			return;
		for (uint32_t i = 0; i < MICA_ZY_MAX_KIDS; i++) {
			if (kids[i].pid != pid)
				continue;
			uint64_t mark = MICA_PROC_DEATH | (uint64_t)(status & 0xffff) << 32;
			sys(SYS_write, kids[i].efd, &mark, 8);
			sys(SYS_close, kids[i].efd);
			kids[i].pid = 0;
			free_slots[nfree++] = i;
			break;
		}
	}
}

/* Receives one control message and its descriptors; 0 on EOF. */
static long receive(int sock, int *fds, int *nfds)
{
	struct iovec iov = {&msg, sizeof(msg)};
	union {
		struct cmsghdr h;
		char buf[sizeof(struct cmsghdr) + 4 * MAX_FDS];
	} c;
	struct msghdr m = {.iov = &iov, .iovlen = 1, .control = &c, .controllen = sizeof(c)};
	long n = sys(SYS_recvmsg, sock, &m, MSG_CMSG_CLOEXEC);
	*nfds = 0;
	if (n > 0 && m.controllen >= sizeof(struct cmsghdr) && c.h.level == SOL_SOCKET &&
	    c.h.type == SCM_RIGHTS) {
		*nfds = (int)((c.h.len - sizeof(struct cmsghdr)) / sizeof(int));
		memcpy(fds, c.buf + sizeof(struct cmsghdr), (size_t)*nfds * sizeof(int));
	}
	return n;
}

void zygote_main(void);
void zygote_main(void)
{
	const int sock = 3;
	uint64_t lim[2];
	if (sys(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, lim) == 0) { /* a descriptor per child */
		lim[0] = lim[1];
		sys(SYS_prlimit64, 0, RLIMIT_NOFILE, lim, 0);
	}
	/* Best effort, each where the namespaces allow it. */
	sys(SYS_mount, 0, "/", 0, MS_REC | MS_PRIVATE, 0);
	sys(SYS_sethostname, "mica", 4);
	/* Only what a child needs to become nobody (become()), and what we
	 * need to kill it then, in our own user namespace where we have one;
	 * none where we lack any of them (a host without them and no user
	 * namespace): the children then stay us, and the host is told. */
	uint32_t want = 1u << CAP_KILL | 1u << CAP_SETGID | 1u << CAP_SETUID;
	uint32_t hdr[2] = {CAP_VERSION_3, 0}, held[6] = {0};
	int can = sys(SYS_capget, hdr, held) == 0 && (held[1] & want) == want;
	if (drop_capabilities(can ? want : 0))
		die(124);
	/* and every signal's default: an ignored one (SIGCHLD) survives exec */
	for (int sig = 1; sig <= 64; sig++) {
		struct kernel_sigaction dfl = {0};
		sys(SYS_rt_sigaction, sig, &dfl, 0, 8);
	}
	for (uint32_t i = 0; i < MICA_ZY_MAX_KIDS; i++)
		free_slots[nfree++] = MICA_ZY_MAX_KIDS - 1 - i;

	uint64_t chld = 1ull << (SIGCHLD - 1); /* the host started us with all blocked */
	sys(SYS_rt_sigprocmask, SIG_SETMASK, &chld, 0, 8);
	long sfd = sys(SYS_signalfd4, -1, &chld, 8, O_CLOEXEC);
	if (sfd < 0)
		die(124);
	sys(SYS_write, sock, can ? "R" : "r", 1); /* running (r: children stay us) */

	for (;;) {
		struct pollfd p[2] = {{sock, POLLIN, 0}, {(int)sfd, POLLIN, 0}};
		if (sys(SYS_poll, p, 2, -1) < 0)
			continue;
		if (p[1].revents) {
			char info[128 * 4];
			sys(SYS_read, sfd, info, sizeof(info));
			reap();
		}
		if (!p[0].revents)
			continue;
		int fds[MAX_FDS], nfds;
		long n = receive(sock, fds, &nfds);
		if (n == 0 || (n < 0 && n != -4 /* EINTR */))
			end(); /* the host is gone: so are we, and every child */
		if (n == (long)sizeof(msg.spawn) && msg.op == MICA_ZY_SPAWN) {
			spawn(fds, nfds);
			continue;
		}
		if (n == (long)sizeof(msg.cgroups) && msg.op == MICA_ZY_CGROUPS)
			keep_cgroups(fds, nfds);
		for (int i = 0; i < nfds; i++)
			sys(SYS_close, fds[i]);
		if (n == (long)sizeof(msg.kill) && msg.op == MICA_ZY_KILL) {
			uint32_t slot = msg.kill.id & 0xffff;
			if (kids[slot].pid && kids[slot].gen == msg.kill.id >> 16)
				sys(SYS_kill, kids[slot].pid, SIGKILL);
		}
	}
}

__asm__(".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	call zygote_main\n"
	"	ud2\n");

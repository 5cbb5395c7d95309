/*
 * The process backend: struct mica_backend_ops over a zygote's children
 * (docs/process-backend.md).
 *
 * A sandbox's memory is two memfds. The window (struct mica_mailbox, the
 * inline area, the console buffer, the boot info and the control page) is
 * shared: host and child map it, and the host reads and writes it in place.
 * The rest is the child's private copy-on-write view of a base memfd (the
 * boot image, or the snapshot shared by all its clones): the host reaches
 * it through the child's /proc/<pid>/mem.
 *
 * Each hypercall parks the child in the guest's trusted stub, which adds 1
 * to the notify eventfd and reads the answer eventfd; the host handles the
 * call and writes the answer, with struct mica_proc_ctrl saying what the
 * stub does next (go on, load registers, or reset and load registers).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

#include "cgroup.h"
#include "filter.h"
#include "hypercall.h"
#include "sandbox.h"
#include "sys.h"
#include "zygote.h"

#define PAGE	    MICA_PAGE_SIZE
#define WINDOW_SIZE (MICA_SHARED_END - MICA_GPA_WINDOW)
/* Pages a reset copies back before it drops the rest (then they fault in). */
#define COPY_MAX 512
/* How long a new child may take to park for the first time (and a spare
 * to finish its reset). */
#define READY_TIMEOUT_MS 10000
/* How long a spare may take to finish its reset before it is given up. */
#define SPARE_TIMEOUT_MS 1000
/* Spares kept when mica_runtime_options.spares is 0. */
#define SPARES_DEFAULT 16
/* rflags bits the guest owns (as on KVM); a CPL3 process adds IF. */
#define RFLAGS_USER 0x254dd5ull
#define RFLAGS_PROC 0x202ull

struct mica_proc {
	struct mica_zygote zy;
	struct mica_cgroups cg;
	int xsave;	     /* the CPU and kernel have XSAVE: the stub uses xrstor */
	uint16_t user_ds;    /* the kernel's flat user data selector (our %ss) */
	uint32_t mxcsr_mask; /* what MXCSR may hold (xrstor faults on more) */
	uint64_t tsc0;	     /* TSC and CLOCK_MONOTONIC at open: the TSC's rate */
	int64_t ns0;
	_Atomic uint64_t tsc_khz;
	/* Idle children of freed clones, oldest first, each resetting (or
	 * reset) to its snapshot: for the next clone of the same snapshot. */
	pthread_mutex_t spare_lock;
	struct proc_sb **spare;
	int nspare, spare_max;
};

struct proc_sb {
	struct mica_proc *p;
	int go, notify;	 /* the answer and notify eventfds */
	int mem;	 /* the child's /proc/<pid>/mem */
	int winfd;	 /* the window memfd, until the child maps it */
	uint8_t *window; /* host view of [MICA_GPA_WINDOW, MICA_SHARED_END) */
	uint8_t *full;	 /* a new guest: all of its memory, until start */
	int base;	 /* the memory image the child maps privately */
	int base_owned;
	int resettable;
	uint32_t id; /* the zygote's name for the child */
	pid_t pid;
	int alive;		 /* the child exists and has not been killed */
	int parked;		 /* its last park has not been answered */
	uint32_t mode;		 /* MICA_PROC_*: what the next answer says */
	struct mica_cpu pending; /* the registers RESTORE and RESET load */
	int cg;			 /* cgroup slot, or -1 */
	uint64_t mem_size;
	dev_t key_dev; /* a spare: the inode of its snapshot's memfd (base) */
	ino_t key_ino;
	pthread_t caller; /* the thread whose CPUs the child was last given */
	int has_caller;
	int cpus_given; /* cpus holds what the child was given */
	cpu_set_t cpus;
};

static void *in_window(const struct proc_sb *s, uint64_t gpa)
{
	return s->window + (gpa - MICA_GPA_WINDOW);
}

/* ---- the runtime ------------------------------------------------------------ */

static uint64_t tsc_khz_since(const struct mica_proc *p)
{
	int64_t dns = mica_now_ns() - p->ns0;
	return dns > 0
		   ? (uint64_t)((unsigned __int128)(__rdtsc() - p->tsc0) * 1000000 / (uint64_t)dns)
		   : 0;
}

static void cpu_features(struct mica_proc *p)
{
	unsigned a, b, c, d;
	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	p->xsave = (c >> 27) & 1; /* OSXSAVE */
	uint8_t area[512] __attribute__((aligned(16)));
	memset(area, 0, sizeof(area));
	__asm__ volatile("fxsave64 %0" : "=m"(area));
	memcpy(&p->mxcsr_mask, area + 28, 4);
	if (!p->mxcsr_mask)
		p->mxcsr_mask = 0xffbf;
	__asm__("mov %%ss, %0" : "=r"(p->user_ds));
}

static void release(struct proc_sb *s);

static int proc_open(const mica_runtime_options *opts, void **state, mica_error *err)
{
	struct mica_proc *p = calloc(1, sizeof(*p));
	if (!p)
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	int spares = opts ? opts->spares : 0;
	p->spare_max = spares < 0 ? 0 : spares ? spares : SPARES_DEFAULT;
	p->spare = calloc((size_t)p->spare_max + 1, sizeof(*p->spare));
	if (!p->spare) {
		free(p);
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	}
	pthread_mutex_init(&p->spare_lock, NULL);
	p->tsc0 = __rdtsc();
	p->ns0 = mica_now_ns();
	cpu_features(p);
	int rc = mica_zygote_start(&p->zy, err);
	if (rc) {
		pthread_mutex_destroy(&p->spare_lock);
		free(p->spare);
		free(p);
		return rc;
	}
	mica_cgroups_open(&p->cg);
	const char *dirs[2] = {p->cg.dir[0], p->cg.dir[1]};
	mica_zygote_own_cgroups(&p->zy, dirs, p->cg.version == 1 ? 2 : p->cg.version);
	/* The guest's clock runs on the TSC: measure its rate over the start
	 * (at least 1 ms; refined as the runtime lives, see proc_clock). */
	while (mica_now_ns() - p->ns0 < 1000000)
		;
	atomic_store(&p->tsc_khz, tsc_khz_since(p));
	*state = p;
	return 0;
}

static void proc_close(void *state)
{
	struct mica_proc *p = state;
	for (int i = 0; i < p->nspare; i++)
		release(p->spare[i]);
	mica_zygote_stop(&p->zy); /* every child dies with it */
	mica_cgroups_close(&p->cg);
	pthread_mutex_destroy(&p->spare_lock);
	free(p->spare);
	free(p);
}

static void proc_describe(void *state, char *buf, size_t len)
{
	const struct mica_proc *p = state;
	char got[128], refused[128], cg[320];
	int nobody = p->zy.kid_id != MICA_ZY_SAME_ID;
	const char *who = nobody      ? " (nobody)"
			  : geteuid() ? " (ours: only root may map another user)"
				      : " (ours, root: nobody could not be mapped, or the zygote "
					"may not change ids)";
	mica_zygote_ns_names(p->zy.ns, got, sizeof(got));
	mica_zygote_ns_names(p->zy.refused, refused, sizeof(refused));
	if (p->cg.version)
		snprintf(cg, sizeof(cg),
			 "cgroup: v%d, one per sandbox: memory limit, one process (%.200s)",
			 p->cg.version, p->cg.dir[0]);
	else
		snprintf(cg, sizeof(cg), "cgroup: none: %.250s", p->cg.why);
	snprintf(
	    buf, len,
	    "sandbox: a child process per sandbox, forked from one zygote per runtime\n"
	    "seccomp: only the trusted stub's read and write of the transport's eventfds, and its "
	    "pagemap scan and madvise(DONTNEED) for resets, each at one instruction with its "
	    "descriptor and request pinned; arch_prctl(SET_FS/SET_GS); exit_group; every other "
	    "system call is served inside the guest\n"
	    "capabilities: none, no_new_privs\n"
	    "identity: uid %u, gid %u as the host sees them%s\n"
	    "namespaces: %s%s%s%s\n"
	    "%s\n"
	    "rlimits: no core dumps, 3 descriptors, no processes, address space = the guest's "
	    "memory, its snapshot's data and 1 MiB\n"
	    "spares: %d idle processes kept for clones of the same snapshot, reset before reuse\n",
	    nobody ? MICA_ZY_NOBODY : (unsigned)geteuid(),
	    nobody ? MICA_ZY_NOBODY : (unsigned)getegid(), who, *got ? got : "none",
	    *refused ? " (refused: " : "", refused, *refused ? ")" : "", cg, p->spare_max);
}

/* ---- guest memory outside the window ---------------------------------------- */

static int slow_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	struct proc_sb *s = ctx;
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(s->mem, (uint8_t *)dst + done, len - done, (off_t)(gpa + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* 1 if [gpa, gpa + len) lies in the guest's private writable ranges:
 * /proc/<pid>/mem writes through page protections, and a host write into
 * the guest's code or constants would be a page no reset could restore. */
static int writable(const struct proc_sb *s, uint64_t gpa, size_t len)
{
	const struct mica_proc_ctrl *c = in_window(s, MICA_GPA_CTRL);
	uint64_t end = gpa + len;
	for (uint64_t i = 0; i < c->nwritable && i < MICA_PROC_MAX_WRITABLE && gpa < end; i++)
		if (c->writable[i][0] <= gpa && gpa < c->writable[i][1])
			gpa = c->writable[i][1]; /* ranges are sorted and merged */
	return gpa >= end;
}

static int slow_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct proc_sb *s = ctx;
	if (!writable(s, gpa, len))
		return -1;
	for (size_t done = 0; done < len;) {
		ssize_t n =
		    pwrite(s->mem, (const uint8_t *)src + done, len - done, (off_t)(gpa + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* ---- the child ---------------------------------------------------------------- */

static void kill_child(struct proc_sb *s)
{
	if (s->alive)
		mica_zygote_kill(&s->p->zy, s->id);
	s->alive = 0;
	s->parked = 0;
}

/* A child died: FAULTED when its fault handler reported a fault in the
 * mailbox, else an error that says how it died. */
#define FAULTED 2
static int death(struct proc_sb *s, int status, mica_error *err)
{
	s->alive = 0;
	s->parked = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == MICA_PROC_EXIT_FAULT)
		return FAULTED;
	if (WIFEXITED(status))
		return mica_err(err, MICA_ERR_FAULT,
				"guest exited with code %d: guest runtime exited",
				WEXITSTATUS(status));
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	if (sig == SIGSYS)
		return mica_err(
		    err, MICA_ERR_FAULT,
		    "guest fault: the guest process made a system call the sandbox forbids (killed "
		    "by SIGSYS)");
	const char *name = sigdescr_np(sig);
	return mica_err(err, MICA_ERR_FAULT,
			"guest fault: the guest process was killed by signal %d (%s)", sig,
			name ? name : "unknown");
}

/* Whether a fault signal came from the CPU exception its trap number says:
 * the kernel also sends SIGSEGV itself, e.g. when it cannot push a signal
 * frame, and the trap number is then whatever trapped last. */
static int from_exception(const struct mica_fault *f, int64_t si_code)
{
	if (si_code != SI_KERNEL)
		return 1; /* the kernel says which fault */
	switch (f->signal) {
	case SIGSEGV: return f->vector == 13 || f->vector == 14;
	case SIGBUS: return f->vector == 12 || f->vector == 17;
	case SIGTRAP: return f->vector == 1 || f->vector == 3;
	default: return 1;
	}
}

/* The facts the child's fault handler wrote before it exited, read once. */
static void fault_of(const struct proc_sb *s, struct mica_fault *out)
{
	const struct mica_mailbox *mb = in_window(s, MICA_GPA_MAILBOX);
	struct mica_proc_fault f;
	memcpy(&f, (const void *)&mb->fault, sizeof(f));
	*out = (struct mica_fault){.vector = f.vector,
				   .error = f.error,
				   .rip = f.rip,
				   .addr = f.addr,
				   .rsp = f.rsp,
				   .signal = f.signal < 65 ? (int)f.signal : -1};
	out->kernel = !from_exception(out, f.code);
}

/* Waits for the next notification: 1 when the child parked, 0 on timeout,
 * FAULTED, else an error (the child died, was interrupted). */
static int wait_notify(mica_sandbox *sb, struct proc_sb *s, int64_t deadline, mica_error *err)
{
	for (;;) {
		struct pollfd pf[2] = {{.fd = s->notify, .events = POLLIN},
				       {.fd = s->p->zy.pidfd, .events = POLLIN}};
		struct timespec ts, *t = NULL;
		if (deadline) {
			int64_t left = deadline - mica_now_ns();
			if (left <= 0)
				return 0;
			ts.tv_sec = left / 1000000000;
			ts.tv_nsec = left % 1000000000;
			t = &ts;
		}
		int n = ppoll(pf, 2, t, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mica_err_errno(err, MICA_ERR_SYSTEM, "ppoll");
		if (n == 0)
			return 0;
		uint64_t v = 0;
		if (read(s->notify, &v, sizeof(v)) != sizeof(v)) {
			if (pf[1].revents) {
				s->alive = s->parked = 0;
				return mica_err(err, MICA_ERR_SYSTEM,
						"the process backend's zygote died");
			}
			continue;
		}
		if (v & MICA_PROC_DEATH)
			return death(s, MICA_PROC_STATUS(v), err);
		if (MICA_PROC_KICKS(v) && atomic_load(&sb->interrupt)) {
			kill_child(s);
			return MICA_ERR_INTERRUPTED;
		}
		uint64_t parks = MICA_PROC_PARKS(v);
		if (parks > 1) {
			kill_child(s);
			return mica_err(err, MICA_ERR_FAULT,
					"guest broke the protocol: it parked twice");
		}
		if (parks == 1) {
			s->parked = 1;
			return 1;
		}
	}
}

/* What the stub's next answer says. */
static void set_ctrl(mica_sandbox *sb, struct proc_sb *s)
{
	struct mica_proc_ctrl *c = in_window(s, MICA_GPA_CTRL);
	c->mode = s->mode;
	if (s->mode == MICA_PROC_CONTINUE)
		return;
	int spare = s->mode == MICA_PROC_RESET_PARK; /* no registers, no request */
	c->priv_lo = MICA_SHARED_END;
	c->priv_hi = sb->layout.stack_top;
	c->copy_max = COPY_MAX;
	c->keep_inline = spare ? 0 : sb->keep_inline;
	c->keep_in = spare ? 0 : sb->keep_in;
	c->post_len = 0;
	if (spare)
		return;
	const struct mica_cpu *cpu = &s->pending;
	memcpy(c->cpu.gpr, cpu->gpr, sizeof(c->cpu.gpr));
	c->cpu.rip = cpu->rip;
	c->cpu.rflags = (cpu->rflags & RFLAGS_USER) | RFLAGS_PROC;
	c->cpu.fs_base = cpu->fs_base;
	c->cpu.gs_base = cpu->gs_base;
	memset(c->xsave, 0, sizeof(c->xsave));
	memcpy(c->xsave, cpu->fxsave, sizeof(cpu->fxsave));
	uint32_t mxcsr;
	memcpy(&mxcsr, c->xsave + 24, 4);
	mxcsr &= s->p->mxcsr_mask;
	memcpy(c->xsave + 24, &mxcsr, 4);
	c->xsave[512] = 3; /* XSTATE_BV: x87 | SSE; every other component to its initial state */
	/* The request's WAIT structure: where the guest keeps it, the reset
	 * would put back what the snapshot had there. */
	if (s->mode == MICA_PROC_RESET &&
	    mica_guest_writable(sb, sb->wait_gpa, sizeof(struct mica_hc_wait)) &&
	    !mica_mem_read(&sb->mem, sb->wait_gpa, c->post, sizeof(struct mica_hc_wait))) {
		c->post_gpa = sb->wait_gpa;
		c->post_len = sizeof(struct mica_hc_wait);
	}
}

/* The base's data in [lo, hi), page-aligned and sorted, into ext (at most
 * max ranges: the smallest gaps are merged away, and then filled in the base
 * so that no hole is ever mapped: reading a hole of a memfd through a
 * mapping allocates a page, charged to whoever reads). Returns the count,
 * or -1 if the gaps cannot be filled. */
static int data_extents(int base, uint64_t lo, uint64_t hi, uint64_t (*ext)[2], unsigned max)
{
	unsigned n = 0, merged = 0;
	for (off_t pos = (off_t)lo; pos < (off_t)hi;) {
		off_t data = lseek(base, pos, SEEK_DATA);
		if (data < 0 || data >= (off_t)hi)
			break;
		off_t hole = lseek(base, data, SEEK_HOLE);
		if (hole < 0 || hole > (off_t)hi)
			hole = (off_t)hi;
		if (n == max) { /* merge the smallest gap to make room */
			merged = 1;
			unsigned k = 1;
			for (unsigned i = 2; i < n; i++)
				if (ext[i][0] - ext[i - 1][1] < ext[k][0] - ext[k - 1][1])
					k = i;
			if ((uint64_t)data - ext[n - 1][1] < ext[k][0] - ext[k - 1][1]) {
				ext[n - 1][1] = (uint64_t)hole; /* the new gap is the smallest */
				pos = hole;
				continue;
			}
			ext[k - 1][1] = ext[k][1];
			memmove(ext[k], ext[k + 1], (n - k - 1) * sizeof(ext[0]));
			n--;
		}
		ext[n][0] = (uint64_t)data & ~(PAGE - 1);
		ext[n][1] = ((uint64_t)hole + PAGE - 1) & ~(PAGE - 1);
		n++;
		pos = hole;
	}
	for (unsigned i = 0; merged && i < n; i++) /* zeroes where the holes were */
		if (fallocate(base, 0, (off_t)ext[i][0], (off_t)(ext[i][1] - ext[i][0])) < 0)
			return -1;
	return (int)n;
}

/* The guest's private writable ranges, sorted and merged: where a reset may
 * write, and where the host's slow writes may go. Returns the count. */
static unsigned writable_ranges(mica_sandbox *sb, uint64_t (*w)[2], unsigned max)
{
	struct mica_region r[MICA_MAX_REGIONS];
	int nr = mica_layout_regions(&sb->layout, &sb->rt->image, r);
	unsigned n = 0;
	for (int i = 0; i < nr; i++) {
		if (!(r[i].flags & MICA_REGION_W) || (r[i].flags & MICA_REGION_SHARED))
			continue;
		if (n && w[n - 1][1] == r[i].gpa)
			w[n - 1][1] += r[i].len;
		else if (n < max)
			w[n][0] = r[i].gpa, w[n][1] = r[i].gpa + r[i].len, n++;
	}
	return n;
}

/* The child's mappings: the window shared, the rest private, from the base
 * where it has data and zeroes elsewhere (struct mica_zy_map). */
static unsigned guest_maps(mica_sandbox *sb, const uint64_t (*ext)[2], unsigned next,
			   struct mica_zy_map *m, uint64_t *mapped)
{
	struct mica_region r[MICA_MAX_REGIONS];
	int nr = mica_layout_regions(&sb->layout, &sb->rt->image, r);
	unsigned n = 0;
	*mapped = 0;
	for (int i = 0; i < nr; i++) {
		uint32_t prot = ((r[i].flags & MICA_REGION_R) ? PROT_READ : 0) |
				((r[i].flags & MICA_REGION_W) ? PROT_WRITE : 0) |
				((r[i].flags & MICA_REGION_X) ? PROT_EXEC : 0);
		uint64_t at = r[i].gpa, end = r[i].gpa + r[i].len;
		*mapped += r[i].len;
		if (r[i].flags & MICA_REGION_SHARED) {
			m[n++] = (struct mica_zy_map){
			    .gpa = at, .len = end - at, .prot = prot, .kind = MICA_ZY_SHARED};
			continue;
		}
		for (unsigned k = 0; k < next && at < end && n + 2 <= MICA_ZY_MAX_MAPS; k++) {
			uint64_t lo = ext[k][0] > at ? ext[k][0] : at,
				 hi = ext[k][1] < end ? ext[k][1] : end;
			if (lo >= hi)
				continue;
			if (lo > at)
				m[n++] = (struct mica_zy_map){
				    .gpa = at, .len = lo - at, .prot = prot, .kind = MICA_ZY_ANON};
			m[n++] = (struct mica_zy_map){
			    .gpa = lo, .len = hi - lo, .prot = prot, .kind = MICA_ZY_FILE};
			at = hi;
		}
		if (at < end && n < MICA_ZY_MAX_MAPS)
			m[n++] = (struct mica_zy_map){
			    .gpa = at, .len = end - at, .prot = prot, .kind = MICA_ZY_ANON};
	}
	return n;
}

static int spawn(mica_sandbox *sb, struct proc_sb *s, mica_error *err)
{
	const struct mica_image *img = &sb->rt->image;
	struct mica_zy_spawn *m = calloc(1, sizeof(*m));
	if (!m)
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	/* What the base holds: mapped from it, and what a reset copies back. */
	struct mica_proc_ctrl *c = in_window(s, MICA_GPA_CTRL);
	int next = data_extents(s->base, MICA_SHARED_END, sb->layout.stack_top, c->extent,
				MICA_PROC_MAX_EXTENTS);
	if (next < 0) {
		free(m);
		return mica_err_errno(err, MICA_ERR_SYSTEM,
				      "cannot fill the gaps of the memory image");
	}
	c->nextents = (uint64_t)next;
	c->nwritable = writable_ranges(sb, c->writable, MICA_PROC_MAX_WRITABLE);
	uint64_t mapped, ref = 0;
	for (uint64_t i = 0; i < c->nextents; i++)
		ref += c->extent[i][1] - c->extent[i][0];
	m->nmaps =
	    guest_maps(sb, (const uint64_t(*)[2])c->extent, (unsigned)c->nextents, m->map, &mapped);
	m->op = MICA_ZY_SPAWN;
	m->uid = m->gid = s->p->zy.kid_id;
	m->mem_size = sb->limits.memory_bytes;
	m->ref = (uint32_t)s->resettable;
	m->enter = img->hdr.proc_enter;
	m->sigsys = img->hdr.proc_sigsys;
	m->fault = img->hdr.proc_fault;
	m->restorer = img->hdr.proc_restorer;
	m->rlimit_as = mapped + (s->resettable ? ref : 0) + (1 << 20);
	m->nfilter = mica_proc_filter(&img->hdr, m->filter, MICA_ZY_MAX_FILTER);
	int fds[4 + MICA_ZY_MAX_CGROUPS] = {s->base, s->winfd, s->go, s->notify};
	int ncg = mica_cgroups_get(&s->p->cg, m->mem_size + (16 << 20), fds + 4, &s->cg);
	if (ncg < 0) {
		free(m);
		return mica_err_errno(
		    err, MICA_ERR_SYSTEM,
		    "cannot put a sandbox process in its cgroup (its memory limit)");
	}
	m->ncgroups = (uint32_t)ncg;
	struct mica_zy_child child;
	int rc = m->nfilter ? mica_zygote_spawn(&s->p->zy, m, fds, &child, err)
			    : mica_err(err, MICA_ERR_SYSTEM, "the seccomp filter does not fit");
	for (uint32_t i = 0; i < m->ncgroups; i++)
		close(fds[4 + i]);
	free(m);
	if (rc)
		return rc;
	s->id = child.id;
	s->pid = child.pid;
	s->mem = child.mem;
	s->alive = 1;
	/* It parks once ready (proc_enter): from then on it runs only the stub. */
	rc = wait_notify(sb, s, mica_now_ns() + (int64_t)READY_TIMEOUT_MS * 1000000, err);
	if (rc == 1)
		return 0;
	kill_child(s);
	if (rc == FAULTED) { /* in the guest image's own stubs */
		struct mica_fault f;
		fault_of(s, &f);
		return mica_fault_report(sb, &f, err);
	}
	return rc ? rc
		  : mica_err(err, MICA_ERR_SYSTEM, "the sandbox process did not start within %d ms",
			     READY_TIMEOUT_MS);
}

/* ---- the operations ---------------------------------------------------------- */

/* The child killed and everything of it freed. */
static void release(struct proc_sb *s)
{
	kill_child(s);
	int fds[] = {s->go, s->notify, s->mem, s->winfd, s->base_owned ? s->base : -1};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (s->full)
		munmap(s->full, s->mem_size);
	else if (s->window)
		munmap(s->window, WINDOW_SIZE);
	mica_cgroups_put(&s->p->cg, s->cg);
	free(s);
}

/* Keeps sb's child as a spare if it can serve another clone of the same
 * snapshot: parked in the stub, with the snapshot's view to reset from.
 * It resets now, in the background (MICA_PROC_RESET_PARK), and parks again:
 * its memory is the snapshot's before it is kept waiting. */
static int keep_spare(mica_sandbox *sb, struct proc_sb *s)
{
	struct mica_proc *p = s->p;
	struct stat st;
	int from_snapshot = !s->base_owned || s->key_ino; /* a clone, or a spare's again */
	if (!p->spare_max || !s->alive || !s->parked || !s->resettable || !from_snapshot || s->full)
		return 0;
	if (!s->key_ino) {
		/* its own reference to the snapshot's memfd: the key stays unique */
		int base = fcntl(s->base, F_DUPFD_CLOEXEC, 3);
		if (base < 0 || fstat(base, &st) < 0) {
			if (base >= 0)
				close(base);
			return 0;
		}
		s->base = base;
		s->base_owned = 1;
		s->key_dev = st.st_dev;
		s->key_ino = st.st_ino;
	}
	s->mode = MICA_PROC_RESET_PARK;
	set_ctrl(sb, s);
	s->mode = MICA_PROC_CONTINUE;
	s->parked = 0;
	uint64_t one = 1;
	if (write(s->go, &one, sizeof(one)) != sizeof(one))
		return 0;
	struct proc_sb *evicted = NULL;
	pthread_mutex_lock(&p->spare_lock);
	if (p->nspare == p->spare_max) {
		evicted = p->spare[0];
		memmove(p->spare, p->spare + 1, (size_t)--p->nspare * sizeof(*p->spare));
	}
	p->spare[p->nspare++] = s;
	pthread_mutex_unlock(&p->spare_lock);
	if (evicted)
		release(evicted);
	return 1;
}

/* The newest spare of the snapshot whose memfd is memfd, parked after its
 * reset; NULL if there is none. */
static struct proc_sb *take_spare(mica_sandbox *sb, struct mica_proc *p, int memfd)
{
	struct stat st;
	if (!p->spare_max || fstat(memfd, &st) < 0)
		return NULL;
	for (;;) {
		struct proc_sb *s = NULL;
		pthread_mutex_lock(&p->spare_lock);
		for (int i = p->nspare - 1; i >= 0 && !s; i--)
			if (p->spare[i]->key_dev == st.st_dev &&
			    p->spare[i]->key_ino == st.st_ino &&
			    p->spare[i]->mem_size == sb->limits.memory_bytes) {
				s = p->spare[i];
				memmove(p->spare + i, p->spare + i + 1,
					(size_t)(p->nspare - i - 1) * sizeof(*p->spare));
				p->nspare--;
			}
		pthread_mutex_unlock(&p->spare_lock);
		if (!s)
			return NULL;
		mica_error ignored;
		if (!s->parked &&
		    wait_notify(sb, s, mica_now_ns() + (int64_t)SPARE_TIMEOUT_MS * 1000000,
				&ignored) != 1) {
			release(s); /* died or hung in its reset: try the next */
			continue;
		}
		/* the stub's park after a whole reset leaves the mailbox clear */
		const struct mica_mailbox *mb = in_window(s, MICA_GPA_MAILBOX);
		if (*(const volatile uint32_t *)&mb->nr == 0)
			return s;
		release(s);
	}
}

static void proc_destroy(mica_sandbox *sb)
{
	struct proc_sb *s = sb->bk;
	if (!keep_spare(sb, s))
		release(s);
	sb->bk = NULL;
	memset(&sb->mem, 0, sizeof(sb->mem));
}

/* A sandbox's view of a live child: the window in place, the rest through
 * its /proc/<pid>/mem. */
static void attach(mica_sandbox *sb, struct proc_sb *s)
{
	sb->bk = s;
	sb->mem = (struct mica_guestmem){.size = s->mem_size,
					 .direct = s->window,
					 .direct_lo = MICA_GPA_WINDOW,
					 .direct_hi = MICA_SHARED_END,
					 .slow_read = slow_read,
					 .slow_write = slow_write,
					 .slow_ctx = s};
}

static int proc_create(mica_sandbox *sb, int memfd, int resettable, mica_error *err)
{
	uint64_t size = sb->limits.memory_bytes;
	struct proc_sb *s = memfd >= 0 ? take_spare(sb, sb->rt->bk, memfd) : NULL;
	if (s) { /* start() loads the registers: its memory is the snapshot's */
		attach(sb, s);
		if (pread(memfd, in_window(s, MICA_GPA_INFO), PAGE, MICA_GPA_INFO) == PAGE)
			return 0;
		mica_err_errno(err, MICA_ERR_SYSTEM, "cannot read the snapshot");
		proc_destroy(sb);
		return MICA_ERR_SYSTEM;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	*s = (struct proc_sb){.p = sb->rt->bk,
			      .go = -1,
			      .notify = -1,
			      .mem = -1,
			      .winfd = -1,
			      .base = -1,
			      .cg = -1,
			      .resettable = resettable,
			      .mem_size = size};
	sb->bk = s;
	s->go = eventfd(0, EFD_CLOEXEC);
	s->notify = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->winfd = memfd_create("mica-window", MFD_CLOEXEC);
	if (s->go < 0 || s->notify < 0 || s->winfd < 0 || ftruncate(s->winfd, WINDOW_SIZE) < 0)
		goto sys_fail;
	if (memfd < 0) {
		/* A new guest: one view of all of its memory for the host to write
		 * the boot image, the window mapped over its part. */
		s->base = memfd_create("mica-guest", MFD_CLOEXEC);
		s->base_owned = 1;
		if (s->base < 0 || ftruncate(s->base, (off_t)size) < 0)
			goto sys_fail;
		s->full = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
			       s->base, 0);
		if (s->full == MAP_FAILED) {
			s->full = NULL;
			goto sys_fail;
		}
		s->window = mmap(s->full + MICA_GPA_WINDOW, WINDOW_SIZE, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED, s->winfd, 0);
		if (s->window == MAP_FAILED) {
			s->window = NULL;
			goto sys_fail;
		}
		sb->mem = (struct mica_guestmem){
		    .size = size, .direct = s->full, .direct_lo = 0, .direct_hi = size};
	} else {
		s->base = memfd;
		s->window =
		    mmap(NULL, WINDOW_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, s->winfd, 0);
		if (s->window == MAP_FAILED) {
			s->window = NULL;
			goto sys_fail;
		}
		/* The snapshot's boot info; the rest of the window starts empty. */
		if (pread(memfd, in_window(s, MICA_GPA_INFO), PAGE, MICA_GPA_INFO) < 0)
			goto sys_fail;
		sb->mem = (struct mica_guestmem){.size = size,
						 .direct = s->window,
						 .direct_lo = MICA_GPA_WINDOW,
						 .direct_hi = MICA_SHARED_END};
	}
	struct mica_proc_ctrl *c = in_window(s, MICA_GPA_CTRL);
	c->one = 1;
	c->flags = s->p->xsave ? MICA_PROC_XSAVE : 0;
	c->user_ds = s->p->user_ds;
	return 0;
sys_fail:
	mica_err_errno(err, MICA_ERR_SYSTEM, "cannot make the memory of a sandbox process");
	proc_destroy(sb);
	return MICA_ERR_SYSTEM;
}

static int proc_start(mica_sandbox *sb, const struct mica_cpu *cpu, mica_error *err)
{
	struct proc_sb *s = sb->bk;
	s->pending = *cpu;
	s->mode = MICA_PROC_RESTORE;
	if (s->alive) /* a spare */
		return 0;
	int rc = spawn(sb, s, err);
	if (rc)
		return rc;
	if (s->full) { /* the child has the boot image: keep only the window */
		uint8_t *w =
		    mmap(NULL, WINDOW_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, s->winfd, 0);
		if (w == MAP_FAILED)
			return mica_err_errno(err, MICA_ERR_SYSTEM,
					      "cannot map a sandbox's window");
		munmap(s->full, sb->limits.memory_bytes);
		s->full = NULL;
		s->window = w;
	}
	close(s->winfd);
	s->winfd = -1;
	attach(sb, s);
	return 0;
}

/* The child runs on the CPUs of the thread that calls it, as a vCPU runs on
 * its caller's thread: a caller pinned to one CPU then wakes its child on
 * that CPU and is woken there, with no cross-CPU wakeups (each an IPI, dear
 * under a hypervisor). The caller's set is read when another thread calls
 * (a thread that changes its CPUs between calls is seen at the next change
 * of caller); failures are ignored: this is only where the child runs. */
static void follow_caller_cpus(struct proc_sb *s)
{
	pthread_t self = pthread_self(); /* not gettid(): a system call per call */
	if (s->has_caller && pthread_equal(s->caller, self))
		return;
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	s->caller = self;
	s->has_caller = 1;
	if (s->cpus_given && CPU_EQUAL(&set, &s->cpus))
		return;
	s->cpus_given = !sched_setaffinity(s->pid, sizeof(set), &set);
	if (s->cpus_given)
		s->cpus = set;
}

static int proc_begin(mica_sandbox *sb, int64_t deadline, mica_error *err)
{
	(void)deadline, (void)err;
	struct proc_sb *s = sb->bk;
	if (s->alive)
		follow_caller_cpus(s);
	return 0;
}

static void proc_end(mica_sandbox *sb)
{
	(void)sb;
}

static void proc_kick(mica_sandbox *sb)
{
	struct proc_sb *s = sb->bk;
	uint64_t v = MICA_PROC_KICK;
	ssize_t r = write(s->notify, &v, sizeof(v));
	(void)r;
}

static int proc_run(mica_sandbox *sb, int64_t deadline, struct mica_exit *ex, mica_error *err)
{
	struct proc_sb *s = sb->bk;
	if (!s->alive)
		return mica_err(err, MICA_ERR_FAULT, "the guest process is gone");
	if (s->parked) {
		set_ctrl(sb, s);
		s->parked = 0;
		s->mode = MICA_PROC_CONTINUE;
		uint64_t one = 1;
		if (write(s->go, &one, sizeof(one)) != sizeof(one)) {
			kill_child(s);
			return mica_err_errno(err, MICA_ERR_SYSTEM,
					      "cannot answer the guest process");
		}
	}
	int rc = wait_notify(sb, s, deadline, err);
	if (rc == 0) {
		kill_child(s);
		return MICA_ERR_TIMEOUT;
	}
	if (rc != 1 && rc != FAULTED)
		return rc;
	const struct mica_mailbox *mb = in_window(s, MICA_GPA_MAILBOX);
	memset(ex, 0, sizeof(*ex));
	if (rc == FAULTED) {
		ex->kind = MICA_EXIT_FAULT;
		fault_of(s, &ex->fault);
		return 0;
	}
	ex->kind = MICA_EXIT_CALL;
	ex->nr = *(const volatile uint32_t *)&mb->nr;
	ex->arg = *(const volatile uint64_t *)&mb->arg;
	return 0;
}

/* Copies [off, off + len) of base into fd where base holds data; returns pages. */
static int copy_data(int base, int fd, uint64_t size, uint64_t *pages)
{
	for (off_t pos = 0; pos < (off_t)size;) {
		off_t data = lseek(base, pos, SEEK_DATA);
		if (data < 0)
			return errno == ENXIO ? 0 : -1;
		off_t hole = lseek(base, data, SEEK_HOLE);
		if (hole < 0 || hole > (off_t)size)
			hole = (off_t)size;
		for (off_t at = data; at < hole;) {
			loff_t in = at, out = at;
			ssize_t n = copy_file_range(base, &in, fd, &out, (size_t)(hole - at), 0);
			if (n <= 0)
				return -1;
			at += n;
		}
		*pages += (uint64_t)(hole - data) / PAGE;
		pos = hole;
	}
	return 0;
}

/* Copies the private pages listed in [lo, hi) of a pagemap-style list over
 * fd, reading them from the child. */
static int copy_pages(struct proc_sb *s, int fd, uint64_t lo, uint64_t hi, uint64_t *pages)
{
	uint8_t page[PAGE];
	for (uint64_t gpa = lo; gpa < hi; gpa += PAGE) {
		if (slow_read(s, gpa, page, PAGE) ||
		    pwrite(fd, page, PAGE, (off_t)gpa) != (ssize_t)PAGE)
			return -1;
		(*pages)++;
	}
	return 0;
}

/* Without PAGEMAP_SCAN (Linux < 6.7): the child's pagemap, read here. */
static int copy_private_pagemap(struct proc_sb *s, int fd, uint64_t lo, uint64_t hi,
				uint64_t *pages)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)s->pid);
	int pm = open(path, O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return -1;
	uint64_t e[512];
	int rc = 0;
	for (uint64_t i = lo / PAGE; i < hi / PAGE && !rc; i += 512) {
		uint64_t k = hi / PAGE - i < 512 ? hi / PAGE - i : 512;
		if (pread(pm, e, k * 8, (off_t)(i * 8)) != (ssize_t)(k * 8)) {
			rc = -1;
			break;
		}
		for (uint64_t j = 0; j < k && !rc; j++) {
			int present = (e[j] >> 63) & 1, swapped = (e[j] >> 62) & 1,
			    file = (e[j] >> 61) & 1;
			if ((present || swapped) && !file)
				rc = copy_pages(s, fd, (i + j) * PAGE, (i + j + 1) * PAGE, pages);
		}
	}
	close(pm);
	return rc;
}

/* Copies the pages the child wrote (no longer the base's file pages, nor
 * the zero page) over fd. The parked child lists them itself (the trusted
 * stub's MICA_PROC_SCAN, round after round), so that the host opens
 * nothing of it. */
static int copy_private(mica_sandbox *sb, struct proc_sb *s, int fd, uint64_t *pages)
{
	struct mica_proc_ctrl *c = in_window(s, MICA_GPA_CTRL);
	const struct mica_proc_scan *r = in_window(s, MICA_GPA_SCRATCH);
	uint64_t lo = MICA_SHARED_END, hi = sb->layout.stack_top;
	while (lo < hi) {
		c->scan_from = lo;
		c->priv_hi = hi;
		c->mode = MICA_PROC_SCAN;
		s->parked = 0;
		uint64_t one = 1;
		mica_error ignored;
		if (write(s->go, &one, sizeof(one)) != sizeof(one) ||
		    wait_notify(sb, s, mica_now_ns() + (int64_t)READY_TIMEOUT_MS * 1000000,
				&ignored) != 1) {
			kill_child(s);
			return -1;
		}
		int64_t n = *(const volatile int64_t *)&r->count;
		uint64_t end = *(const volatile uint64_t *)&r->walk_end;
		if (n < 0)
			return copy_private_pagemap(s, fd, lo, hi, pages);
		for (int64_t i = 0; i < n && i < (int64_t)MICA_PROC_SCAN_MAX; i++) {
			uint64_t a = r->region[i].start, b = r->region[i].end;
			if (a < lo || b > hi || a >= b || (a | b) % PAGE)
				return -1; /* never: the stub asked for exactly this */
			if (copy_pages(s, fd, a, b, pages))
				return -1;
		}
		if (end <= lo || end > hi)
			break;
		lo = end;
	}
	return 0;
}

/* The window's guest pages (boot info, mailbox, inline area, console) over
 * fd, where they hold anything; the control page and the scratch area are
 * the transport's, not the guest's. */
static int copy_window(struct proc_sb *s, int fd, uint64_t *pages)
{
	static const uint8_t zero[PAGE];
	for (uint64_t gpa = MICA_GPA_WINDOW; gpa < MICA_SHARED_END; gpa += PAGE) {
		const uint8_t *p = in_window(s, gpa);
		int transport =
		    (gpa >= MICA_GPA_CTRL && gpa < MICA_GPA_CTRL + MICA_CTRL_SIZE) ||
		    (gpa >= MICA_GPA_SCRATCH && gpa < MICA_GPA_SCRATCH + MICA_SCRATCH_SIZE);
		if (transport || (gpa != MICA_GPA_INFO && !memcmp(p, zero, PAGE)))
			continue;
		if (pwrite(fd, p, PAGE, (off_t)gpa) != (ssize_t)PAGE)
			return -1;
		(*pages)++;
	}
	return 0;
}

static int proc_capture(mica_sandbox *sb, int fd, uint64_t *pages, struct mica_cpu *cpu,
			mica_error *err)
{
	struct proc_sb *s = sb->bk;
	if (!s->alive || !s->parked)
		return mica_err(err, MICA_ERR_INVALID, "only a parked sandbox can be snapshotted");
	*pages = 0;
	/* Not started yet, or reset and not run since: it is what it will load. */
	int pending = s->mode != MICA_PROC_CONTINUE;
	if (copy_data(s->base, fd, sb->limits.memory_bytes, pages) ||
	    (!pending && copy_private(sb, s, fd, pages)) || copy_window(s, fd, pages))
		return mica_err_errno(err, MICA_ERR_SYSTEM,
				      "cannot copy the guest process's memory");
	if (pending) {
		*cpu = s->pending;
		return 0;
	}
	const struct mica_proc_saved *w =
	    &((const struct mica_mailbox *)in_window(s, MICA_GPA_MAILBOX))->saved;
	memset(cpu, 0, sizeof(*cpu));
	cpu->rip = w->rip;
	cpu->gpr[MICA_CPU_RSP_INDEX] = w->rsp;
	cpu->gpr[3] = w->rbx;
	cpu->gpr[5] = w->rbp;
	cpu->gpr[12] = w->r12;
	cpu->gpr[13] = w->r13;
	cpu->gpr[14] = w->r14;
	cpu->gpr[15] = w->r15;
	cpu->rflags = 0x2;
	cpu->fs_base = w->fs_base;
	memcpy(cpu->fxsave, w->fxsave, sizeof(cpu->fxsave));
	return 0;
}

static int proc_reset(mica_sandbox *sb, const struct mica_snap_mem *snap, mica_error *err)
{
	struct proc_sb *s = sb->bk;
	if (!s->alive || !s->parked) {
		/* Gone, or stopped anywhere but in the stub: a new child. */
		proc_destroy(sb);
		int rc = proc_create(sb, snap->memfd, 1, err);
		return rc ? rc : proc_start(sb, snap->cpu, err);
	}
	/* Parked: the stub puts memory and registers back when it next runs. */
	s->pending = *snap->cpu;
	s->mode = MICA_PROC_RESET;
	memcpy(in_window(s, MICA_GPA_INFO), snap->ref + MICA_GPA_INFO, PAGE);
	return 0;
}

static int proc_clock(mica_sandbox *sb, uint64_t *tsc_khz, uint64_t *tsc, mica_error *err)
{
	(void)err;
	struct mica_proc *p = ((struct proc_sb *)sb->bk)->p;
	/* The longer the runtime has run, the better the rate's measure. */
	if (mica_now_ns() - p->ns0 > 1000000000)
		atomic_store(&p->tsc_khz, tsc_khz_since(p));
	*tsc_khz = atomic_load(&p->tsc_khz);
	*tsc = __rdtsc();
	return 0;
}

/* The zygote's socket (new children: a socket pair each, their descriptors
 * passed), and pidfd signals none: kills go through the zygote. The
 * affinity calls: children follow their callers' CPUs. The cgroup slots
 * open their files now, while they still can. */
static int proc_lockdown(void *state, void *ctx)
{
	struct mica_proc *p = state;
	mica_cgroups_keep(&p->cg);
	static const int calls[] = {SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(setsockopt),
				    SCMP_SYS(sched_getaffinity), SCMP_SYS(sched_setaffinity)};
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof(calls) / sizeof(calls[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
				      SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	return rc;
}

const struct mica_backend_ops mica_proc_ops = {
    .name = "process",
    .open = proc_open,
    .close = proc_close,
    .describe = proc_describe,
    .create = proc_create,
    .start = proc_start,
    .destroy = proc_destroy,
    .begin = proc_begin,
    .end = proc_end,
    .run = proc_run,
    .kick = proc_kick,
    .capture = proc_capture,
    .reset = proc_reset,
    .clock = proc_clock,
    .lockdown = proc_lockdown,
};

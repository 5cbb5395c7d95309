/*
 * mica benchmark: what isolation costs, measured against its floors.
 *
 *   1. bare VM create: raw KVM ioctls, the least any micro-VM must pay;
 *   2. bare exit round trip: KVM_RUN -> `out` exit -> KVM_RUN on a guest
 *      that only loops on `out`, the least any hypercall must pay;
 *   3. sandbox create-to-ready (and free), against 1;
 *   4. a trivial handler call, against 2;
 *   5. fib(27) in mica, against the same QuickJS built natively;
 *   6. restore-to-ready of a snapshot clone, against 1, and its first call;
 *   7. reset to the snapshot plus a trivial call, against 2;
 *   8. warm pool acquire + call + release, on one and on two threads;
 *   9. private memory an idle snapshot clone adds;
 *  10. how many clones of one snapshot can live at once (goal 5000);
 *  11. calls/s on 2 cores with a fresh clone per call, and with a reset
 *      per call;
 *  12. start-up of a 2000-line module from source (mica_sandbox_load: parse
 *      and evaluate) against from precompiled bytecode
 *      (mica_sandbox_load_bytecode). MICA_BENCH_ONLY=bytecode runs only this.
 *
 * Everything the ratios use is measured in this one run. Times are
 * CLOCK_MONOTONIC around each single operation; medians and tail
 * percentiles, after warm-up, keep a shared noisy machine from deciding
 * the outcome. A missed goal is reported, never an error: only a failure
 * to run a benchmark exits non-zero.
 *
 * Uses libmica's internal headers (vm.h, boot.h, image.h) to boot the
 * exit-loop guest exactly the way a sandbox boots, minus QuickJS, and
 * sandbox.h to take a reset apart into its steps (row 7's breakdown).
 */
#include <dirent.h>
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "image.h"
#include "mica.h"
#include "quickjs.h"
#include "sandbox.h"
#include "vm.h"

#define MIB    (1ull << 20)
#define VM_MEM (64 * MIB)
/* bench/guests/exitloop.S */
#define EXITLOOP_PORT 0xf0 /* BENCH_PORT: outside the hypercall ports */

/* The exit-loop guest, linked in so the binary runs from any directory. */
__asm__(".section .rodata\n"
	".balign 16\n"
	".globl exitloop_image, exitloop_image_end\n"
	".hidden exitloop_image, exitloop_image_end\n"
	"exitloop_image:\n"
	".incbin \"" BENCH_EXITLOOP_ELF "\"\n"
	"exitloop_image_end:\n"
	".previous\n");
extern const uint8_t exitloop_image[], exitloop_image_end[];

static const char TRIVIAL_JS[] = "export function h(e){ return e }\n";
static const char FIB_JS[] = "export function fib(n){ return n < 2 ? n : fib(n-1) + fib(n-2) }\n";
#define FIB_N	   27
#define FIB_RESULT "196418"
#define FIB_VMS	   9 /* sandboxes that share the mica runs */
#define FIB_ROUNDS 4 /* runs per sandbox: 36 mica runs, 36 native runs */

/* ---- helpers ------------------------------------------------------------- */

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct samples {
	const char *name;
	double *v; /* ns per operation */
	size_t n, cap;
	double median, p90, p99;
};

static void add(struct samples *s, double ns)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("out of memory");
	}
	s->v[s->n++] = ns;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples. */
static double pct(const struct samples *s, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)s->n + 0.5);
	if (i > 0)
		i--;
	return s->v[i < s->n ? i : s->n - 1];
}

static void finish(struct samples *s)
{
	if (s->n == 0)
		die("%s: no samples", s->name);
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	s->median = s->n % 2 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
	s->p90 = pct(s, 90);
	s->p99 = pct(s, 99);
}

static const char *fmt_time(char *buf, size_t len, double ns)
{
	if (ns < 1e4)
		snprintf(buf, len, "%7.0f ns", ns);
	else if (ns < 1e7)
		snprintf(buf, len, "%7.1f us", ns / 1e3);
	else
		snprintf(buf, len, "%7.2f ms", ns / 1e6);
	return buf;
}

static void row(const struct samples *s)
{
	char a[32], b[32], c[32];
	printf("  %-44s %7zu  %s  %s  %s\n", s->name, s->n, fmt_time(a, sizeof(a), s->median),
	       fmt_time(b, sizeof(b), s->p90), fmt_time(c, sizeof(c), s->p99));
}

static void ratio(const char *name, double value, const char *unit, const char *goal, int met)
{
	char v[32];
	snprintf(v, sizeof(v), "%.3f%s", value, unit);
	printf("  %-44s %10s  %-9s %s\n", name, v, goal, met < 0 ? "" : met ? "MET" : "MISSED");
}

static void check(int rc, const mica_error *err, const char *what)
{
	if (rc)
		die("%s: %s (%s)", what, err->message, mica_code_name((mica_code)rc));
}

/* ---- 1. bare VM create --------------------------------------------------- */

/* The least a micro-VM needs, in raw ioctls: VM, one 64 MiB slot, one vCPU
 * and its kvm_run mapping; no CPUID, signal mask or registers, memory never
 * touched. Teardown is timed apart: closing the last fd destroys the VM. */
static void raw_vm_cycle(int kvm_fd, size_t run_size, struct samples *create,
			 struct samples *destroy)
{
	int64_t t0 = now_ns();
	int vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	void *mem = mmap(NULL, VM_MEM, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap guest memory: %s", strerror(errno));
	struct kvm_userspace_memory_region region = {.slot = 0,
						     .guest_phys_addr = 0,
						     .memory_size = VM_MEM,
						     .userspace_addr = (uintptr_t)mem};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU: %s", strerror(errno));
	void *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
	int64_t t1 = now_ns();
	munmap(run, run_size);
	close(vcpu);
	munmap(mem, VM_MEM);
	close(vm);
	int64_t t2 = now_ns();
	if (create) {
		add(create, (double)(t1 - t0));
		add(destroy, (double)(t2 - t1));
	}
}

/* The same through libmica's own mica_vm_create(), which also sets the TSS
 * address, CPUID and the KVM_RUN signal mask: what a sandbox really pays. */
static void lib_vm_cycle(const struct mica_kvm *kvm, struct samples *s)
{
	struct mica_vm vm;
	mica_error err;
	int64_t t0 = now_ns();
	check(mica_vm_create(&vm, kvm, VM_MEM, &err), &err, "mica_vm_create");
	mica_vm_destroy(&vm);
	int64_t t1 = now_ns();
	if (s)
		add(s, (double)(t1 - t0));
}

/* ---- 2. bare exit round trip -------------------------------------------- */

static void boot_exitloop(const struct mica_kvm *kvm, struct mica_vm *vm)
{
	mica_error err;
	struct mica_image img;
	struct mica_layout layout;
	struct mica_boot_params bp = {
	    .mem_size = VM_MEM, .stack_size = 1 * MIB, .output_limit = MIB};
	check(mica_image_parse(&img, exitloop_image, (size_t)(exitloop_image_end - exitloop_image),
			       &err),
	      &err, "exit-loop image");
	check(mica_layout_compute(&layout, &img, &bp, &err), &err, "exit-loop layout");
	check(mica_vm_create(vm, kvm, VM_MEM, &err), &err, "exit-loop VM");
	check(mica_boot_prepare(vm, &layout, &img, &bp, &err), &err, "exit-loop boot");
}

/* One KVM_RUN that must come back as the loop's next `out`. */
static void exitloop_step(struct mica_vm *vm, uint32_t *expect)
{
	while (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0)
		if (errno != EINTR && errno != EAGAIN)
			die("KVM_RUN: %s", strerror(errno));
	struct kvm_run *run = vm->run;
	uint32_t v;
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != EXITLOOP_PORT)
		die("exit-loop guest: unexpected exit %u (port 0x%x)", run->exit_reason,
		    run->exit_reason == KVM_EXIT_IO ? run->io.port : 0);
	memcpy(&v, (uint8_t *)run + run->io.data_offset, 4);
	if (v != *expect)
		die("exit-loop guest: counter %u, expected %u", v, *expect);
	(*expect)++;
}

/* ---- 5. native QuickJS peer ---------------------------------------------- */

struct native {
	JSRuntime *rt;
	JSContext *ctx;
	JSValue fib;
};

/* The guest's runtime setup (guest/main.c init_js) minus its I/O glue. */
static void native_init(struct native *n)
{
	n->rt = JS_NewRuntime();
	n->ctx = n->rt ? JS_NewContext(n->rt) : NULL;
	if (!n->ctx)
		die("native QuickJS: cannot create runtime");
	JSContext *ctx = n->ctx;
	JS_AddIntrinsicBigFloat(ctx);
	JS_AddIntrinsicBigDecimal(ctx);
	JS_AddIntrinsicOperators(ctx);
	JS_EnableBignumExt(ctx, 1);
	/* Loaded as the guest loads a module (guest/main.c do_load). */
	JSValue m =
	    JS_Eval(ctx, FIB_JS, strlen(FIB_JS), "fib.js",
		    JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY | JS_EVAL_FLAG_ASYNC_MODULE);
	if (JS_IsException(m))
		die("native QuickJS: fib.js does not compile");
	JSModuleDef *md = JS_VALUE_GET_PTR(m);
	JSValue v = JS_EvalFunction(ctx, m);
	if (JS_IsException(v))
		die("native QuickJS: fib.js threw");
	JS_FreeValue(ctx, v);
	JSValue ns = JS_GetModuleNamespace(ctx, md);
	n->fib = JS_GetPropertyStr(ctx, ns, "fib");
	JS_FreeValue(ctx, ns);
	if (!JS_IsFunction(ctx, n->fib))
		die("native QuickJS: fib.js exports no fib");
}

static double native_fib(struct native *n)
{
	JSValue arg = JS_NewInt32(n->ctx, FIB_N);
	int64_t t0 = now_ns();
	JSValue r = JS_Call(n->ctx, n->fib, JS_UNDEFINED, 1, &arg);
	int64_t t1 = now_ns();
	int32_t got = 0;
	if (JS_IsException(r) || JS_ToInt32(n->ctx, &got, r) < 0 || got != atoi(FIB_RESULT))
		die("native fib(%d) = %d, expected %s", FIB_N, got, FIB_RESULT);
	JS_FreeValue(n->ctx, r);
	return (double)(t1 - t0);
}

static void native_free(struct native *n)
{
	JS_FreeValue(n->ctx, n->fib);
	JS_FreeContext(n->ctx);
	JS_FreeRuntime(n->rt);
}

/* ---- mica ---------------------------------------------------------------- */

static mica_sandbox *sandbox_with(mica_runtime *rt, const char *src)
{
	mica_error err;
	mica_sandbox *sb = mica_sandbox_new(rt, NULL, &err);
	if (!sb)
		die("mica_sandbox_new: %s", err.message);
	check(mica_sandbox_load(sb, "bench.js", src, strlen(src), &err), &err, "mica_sandbox_load");
	return sb;
}

/* One call, timed on the host around the whole API call. */
static double timed_call(mica_sandbox *sb, const char *handler, const char *event,
			 const char *expect)
{
	mica_error err;
	char *res;
	size_t len;
	int64_t t0 = now_ns();
	int rc = mica_sandbox_call(sb, handler, event, strlen(event), &res, &len, &err);
	int64_t t1 = now_ns();
	check(rc, &err, "mica_sandbox_call");
	if (strcmp(res, expect) != 0)
		die("%s(%s) returned %s, expected %s", handler, event, res, expect);
	free(res);
	return (double)(t1 - t0);
}

/* ---- 6-11. snapshot clones ---------------------------------------------- */

#define CLONES_MEM	  200		      /* row 9: clones measured together */
#define LIVE_MAX	  5000		      /* row 10: the goal, and where it stops */
#define LIVE_BUDGET_NS	  (60ll * 1000000000) /* row 10 stops creating after this... */
#define LIVE_MIN_AVAIL_KB (2ll * 1024 * 1024) /* ...or with less than 2 GiB left */
#define THRU_NS		  (2ll * 1000000000)  /* rows 8 and 11: per configuration */
#define POOL_SIZE	  4

static mica_sandbox *clone_of(mica_runtime *rt, mica_snapshot *snap)
{
	mica_error err;
	mica_sandbox *sb = mica_sandbox_from_snapshot(rt, snap, &err);
	if (!sb)
		die("mica_sandbox_from_snapshot: %s", err.message);
	return sb;
}

static void reset(mica_sandbox *sb)
{
	mica_error err;
	check(mica_sandbox_reset(sb, &err), &err, "mica_sandbox_reset");
}

/* A "Key:   123 kB" line of a /proc file, in KiB; 0 if absent. */
static long proc_kb(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("%s: %s", path, strerror(errno));
	char line[512];
	size_t klen = strlen(key);
	long v = 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

struct mem {
	long rss, priv; /* this process (smaps_rollup): Rss, Private_Clean + Private_Dirty */
	long anon;	/* this process (status): RssAnon */
	long avail;	/* the host: MemAvailable */
	long kernel;	/* the host: Slab + KernelStack + PageTables + SecPageTables */
};

static struct mem mem_now(void)
{
	const char *sr = "/proc/self/smaps_rollup", *mi = "/proc/meminfo";
	struct mem m = {
	    .rss = proc_kb(sr, "Rss"),
	    .priv = proc_kb(sr, "Private_Clean") + proc_kb(sr, "Private_Dirty"),
	    .anon = proc_kb("/proc/self/status", "RssAnon"),
	    .avail = proc_kb(mi, "MemAvailable"),
	    .kernel = proc_kb(mi, "Slab") + proc_kb(mi, "KernelStack") + proc_kb(mi, "PageTables") +
		      proc_kb(mi, "SecPageTables"),
	};
	return m;
}

static long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2; /* . and .. (the DIR's own fd is counted: close enough) */
}

static long count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;
	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* KVM's own counters for one vCPU (KVM_GET_STATS_FD): how many exits and
 * page faults an operation cost, to show where its time goes. Optional:
 * fd is -1 when the kernel lacks them. */
struct vcpu_stats {
	int fd;
	off_t exits, pf; /* offsets of "exits" and "pf_taken" in the stats fd */
};

struct vcpu_count {
	uint64_t exits, pf;
};

static void vcpu_stats_open(struct vcpu_stats *vs, int vcpu_fd)
{
	vs->fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	vs->exits = vs->pf = -1;
	struct kvm_stats_header h;
	if (vs->fd < 0 || pread(vs->fd, &h, sizeof(h), 0) != sizeof(h))
		goto none;
	size_t dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	char *buf = malloc(dsz * h.num_desc);
	if (!buf ||
	    pread(vs->fd, buf, dsz * h.num_desc, h.desc_offset) != (ssize_t)(dsz * h.num_desc)) {
		free(buf);
		goto none;
	}
	for (uint32_t i = 0; i < h.num_desc; i++) {
		const struct kvm_stats_desc *d = (const void *)(buf + i * dsz);
		if (d->size != 1)
			continue;
		if (!strcmp(d->name, "exits"))
			vs->exits = (off_t)(h.data_offset + d->offset);
		else if (!strcmp(d->name, "pf_taken"))
			vs->pf = (off_t)(h.data_offset + d->offset);
	}
	free(buf);
	if (vs->exits >= 0 && vs->pf >= 0)
		return;
none:
	if (vs->fd >= 0)
		close(vs->fd);
	vs->fd = -1;
}

static struct vcpu_count vcpu_stats_read(const struct vcpu_stats *vs)
{
	struct vcpu_count c = {0, 0};
	if (vs->fd >= 0 &&
	    (pread(vs->fd, &c.exits, 8, vs->exits) != 8 || pread(vs->fd, &c.pf, 8, vs->pf) != 8))
		c.exits = c.pf = 0;
	return c;
}

/* Accumulates what happened between two reads. */
static void vcpu_count_add(struct vcpu_count *sum, struct vcpu_count a, struct vcpu_count b)
{
	sum->exits += b.exits - a.exits;
	sum->pf += b.pf - a.pf;
}

/* mica_sandbox_reset() taken apart: resume_snapshot(sb, 0) in host/snapshot.c
 * (mica_vm_dirty_restore, mica_vm_restore, mica_boot_refresh) step by step,
 * each step timed. Keep it in step with that function. */
struct reset_parts {
	struct samples log, copy, sregs, msrs, fpu, regs, refresh, after, again;
	uint64_t guest_pages, host_pages, resets;
	struct vcpu_count after_kc, again_kc; /* KVM exits and faults of those calls */
};

static void reset_by_parts(mica_sandbox *sb, struct reset_parts *rp, int keep)
{
	struct mica_vm *vm = &sb->vm;
	const mica_snapshot *s = sb->snap;
	mica_error err;
	size_t words = (vm->mem_size / MICA_PAGE_SIZE + 63) / 64;

	int64_t t0 = now_ns();
	struct kvm_dirty_log log = {.slot = 0, .dirty_bitmap = vm->dirty};
	if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
		die("KVM_GET_DIRTY_LOG: %s", strerror(errno));
	int64_t t1 = now_ns();
	uint64_t guest = 0, host = 0;
	for (size_t w = 0; w < words; w++) {
		uint64_t bits = vm->dirty[w] | vm->host_dirty[w];
		guest += (uint64_t)__builtin_popcountll(vm->dirty[w]);
		host += (uint64_t)__builtin_popcountll(vm->host_dirty[w] & ~vm->dirty[w]);
		vm->host_dirty[w] = 0;
		while (bits) {
			uint64_t off = (w * 64 + (uint64_t)__builtin_ctzll(bits)) * MICA_PAGE_SIZE;
			memcpy(vm->mem + off, s->ref + off, MICA_PAGE_SIZE);
			bits &= bits - 1;
		}
	}
	int64_t t2 = now_ns();
	/* mica_vm_restore, one ioctl at a time */
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[MICA_VM_NMSRS];
	} m;
	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = MICA_VM_NMSRS;
	memcpy(m.e, s->cpu.msrs, sizeof(m.e));
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s->cpu.sregs) < 0)
		die("KVM_SET_SREGS: %s", strerror(errno));
	int64_t t3 = now_ns();
	if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &m) != MICA_VM_NMSRS)
		die("KVM_SET_MSRS: %s", strerror(errno));
	int64_t t4 = now_ns();
	if (ioctl(vm->vcpu_fd, KVM_SET_XSAVE, &s->cpu.xsave) < 0)
		die("KVM_SET_XSAVE: %s", strerror(errno));
	int64_t t5 = now_ns();
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &s->cpu.regs) < 0)
		die("KVM_SET_REGS: %s", strerror(errno));
	int64_t t6 = now_ns();
	check(mica_boot_refresh(vm, &err), &err, "mica_boot_refresh");
	int64_t t7 = now_ns();
	sb->limits = s->limits;
	sb->wait_gpa = s->wait_gpa;
	sb->dead = MICA_OK;
	atomic_store(&sb->interrupt, 0);
	if (!keep)
		return;
	add(&rp->log, (double)(t1 - t0));
	add(&rp->copy, (double)(t2 - t1));
	add(&rp->sregs, (double)(t3 - t2));
	add(&rp->msrs, (double)(t4 - t3));
	add(&rp->fpu, (double)(t5 - t4));
	add(&rp->regs, (double)(t6 - t5));
	add(&rp->refresh, (double)(t7 - t6));
	rp->guest_pages += guest;
	rp->host_pages += host;
	rp->resets++;
}

/* Rows 8 and 11: threads looping on one kind of operation for a while. */
enum loop_kind { LOOP_POOL, LOOP_FRESH, LOOP_RESET };

struct looper {
	pthread_t thread;
	enum loop_kind kind;
	mica_runtime *rt;
	mica_snapshot *snap;
	mica_pool *pool;
	mica_sandbox *sb; /* LOOP_RESET: this thread's own clone */
	int64_t duration;
	pthread_barrier_t *go;
	struct samples *lat; /* NULL: warm-up */
	long ops;
	int64_t elapsed;
};

static void *looper_main(void *arg)
{
	struct looper *l = arg;
	mica_error err;
	pthread_barrier_wait(l->go);
	int64_t begin = now_ns(), t0;
	while ((t0 = now_ns()) < begin + l->duration) {
		mica_sandbox *sb;
		switch (l->kind) {
		case LOOP_POOL:
			sb = mica_pool_acquire(l->pool, 10000, &err);
			if (!sb)
				die("mica_pool_acquire: %s", err.message);
			timed_call(sb, "h", "{}", "{}");
			mica_pool_release(l->pool, sb);
			break;
		case LOOP_FRESH:
			sb = clone_of(l->rt, l->snap);
			timed_call(sb, "h", "{}", "{}");
			mica_sandbox_free(sb);
			break;
		case LOOP_RESET:
			reset(l->sb);
			timed_call(l->sb, "h", "{}", "{}");
			break;
		}
		if (l->lat)
			add(l->lat, (double)(now_ns() - t0));
		l->ops++;
	}
	l->elapsed = now_ns() - begin;
	return NULL;
}

/* Runs nthreads loopers of one kind for duration; returns calls/s (the sum
 * of each thread's rate) and adds every operation's latency to lat. */
static double run_loopers(enum loop_kind kind, int nthreads, int64_t duration, mica_runtime *rt,
			  mica_snapshot *snap, mica_pool *pool, struct samples *lat)
{
	struct looper l[2];
	pthread_barrier_t go;
	if (nthreads > 2)
		die("run_loopers: at most 2 threads");
	pthread_barrier_init(&go, NULL, (unsigned)nthreads);
	for (int i = 0; i < nthreads; i++) {
		l[i] = (struct looper){.kind = kind,
				       .rt = rt,
				       .snap = snap,
				       .pool = pool,
				       .duration = duration,
				       .go = &go};
		if (lat)
			l[i].lat = calloc(1, sizeof(struct samples));
		if (kind == LOOP_RESET)
			l[i].sb = clone_of(rt, snap);
		if (pthread_create(&l[i].thread, NULL, looper_main, &l[i]))
			die("pthread_create");
	}
	double rate = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(l[i].thread, NULL);
		rate += (double)l[i].ops / ((double)l[i].elapsed / 1e9);
		if (l[i].lat) {
			for (size_t k = 0; k < l[i].lat->n; k++)
				add(lat, l[i].lat->v[k]);
			free(l[i].lat->v);
			free(l[i].lat);
		}
		if (l[i].sb)
			mica_sandbox_free(l[i].sb);
	}
	pthread_barrier_destroy(&go);
	return rate;
}

/* ---- main ---------------------------------------------------------------- */

/* ---- 12. start-up from source vs bytecode -------------------------------- */

#define GEN_FUNCS 400 /* 5 lines each: a 2000-line module */

static char *generated_module(void)
{
	size_t cap = (size_t)GEN_FUNCS * 256 + 256, n = 0;
	char *s = malloc(cap);
	if (!s)
		die("out of memory");
	for (int i = 0; i < GEN_FUNCS; i++)
		n += (size_t)snprintf(s + n, cap - n,
				      "function f%d(a, b) {\n"
				      "  const o = { k: a, v: [b, %d, 'n%d'], w: (x) => x * %d + a };\n"
				      "  if (a > b) return o.v.length + o.w(%d) + f%d(b, a);\n"
				      "  return `f%d:${a}:${b}:${o.k}:${o.v.join('-')}`;\n"
				      "}\n",
				      i, i, i, i % 13 + 1, i, i ? i - 1 : 0, i);
	snprintf(s + n, cap - n, "export function h(e) { return [f0(1, 2), f%d(2, 3)]; }\n",
		 GEN_FUNCS - 1);
	return s;
}

struct bc_bench {
	struct samples src, bc, compile;
	size_t src_len, file_len;
};

/* Fresh sandboxes (made and freed untimed); the load alone is timed,
 * source and bytecode alternating. */
static void bench_bytecode(mica_runtime *rt, struct bc_bench *b)
{
	mica_error err;
	char *src = generated_module();
	b->src_len = strlen(src);
	b->src.name = "12. load 2000-line module from source";
	b->bc.name = "    load it from bytecode (.mbc)";
	b->compile.name = "    compile it (in a sandbox)";
	void *file = NULL;
	for (int i = 0; i < 23; i++) {
		mica_sandbox *sb = mica_sandbox_new(rt, NULL, &err);
		if (!sb)
			die("mica_sandbox_new: %s", err.message);
		free(file);
		int64_t t0 = now_ns();
		check(mica_sandbox_compile(sb, "gen.js", src, b->src_len, &file, &b->file_len, &err), &err,
		      "mica_sandbox_compile");
		if (i >= 3)
			add(&b->compile, (double)(now_ns() - t0));
		mica_sandbox_free(sb);
	}
	char *want = NULL;
	for (int i = 0; i < 105; i++) {
		for (int k = 0; k < 2; k++) {
			mica_sandbox *sb = mica_sandbox_new(rt, NULL, &err);
			if (!sb)
				die("mica_sandbox_new: %s", err.message);
			int64_t t0 = now_ns();
			if (k == 0)
				check(mica_sandbox_load(sb, "gen.js", src, b->src_len, &err), &err, "mica_sandbox_load");
			else
				check(mica_sandbox_load_bytecode(sb, file, b->file_len, &err), &err,
				      "mica_sandbox_load_bytecode");
			double ns = (double)(now_ns() - t0);
			if (i >= 5)
				add(k ? &b->bc : &b->src, ns);
			if (i == 0) {
				char *res = NULL;
				size_t len;
				check(mica_sandbox_call(sb, "h", "null", 4, &res, &len, &err), &err, "h");
				if (k && strcmp(res, want))
					die("bytecode gave %s, source %s", res, want);
				if (k)
					free(res);
				else
					want = res;
			}
			mica_sandbox_free(sb);
		}
	}
	free(want);
	free(file);
	free(src);
	finish(&b->src);
	finish(&b->bc);
	finish(&b->compile);
}

static void print_bytecode(const struct bc_bench *b)
{
	printf("\n  %-44s %7s  %10s  %10s  %10s\n", "12. start-up: source vs bytecode", "runs", "median", "p90",
	       "p99");
	row(&b->src);
	row(&b->bc);
	row(&b->compile);
	ratio("source load / bytecode load", b->src.median / b->bc.median, "x", "-", -1);
	printf("  %-44s %zu bytes of source, %zu of .mbc\n", "sizes", b->src_len, b->file_len);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	mica_error err;
	int64_t start = now_ns();

	struct mica_kvm kvm;
	check(mica_kvm_open(&kvm, "/dev/kvm", &err), &err, "/dev/kvm");

	/* 2. Exit round trips. The first KVM_RUN enters the guest for the
	 * first time (page-table walks, shadow faults): warm-up. */
	struct samples exits = {.name = "2. bare exit round trip (KVM_RUN+out)"};
	{
		struct mica_vm vm;
		uint32_t expect = 0;
		boot_exitloop(&kvm, &vm);
		for (int i = 0; i < 20000; i++)
			exitloop_step(&vm, &expect);
		for (int i = 0; i < 200000; i++) {
			int64_t t0 = now_ns();
			exitloop_step(&vm, &expect);
			add(&exits, (double)(now_ns() - t0));
		}
		mica_vm_destroy(&vm);
	}

	mica_runtime *rt = mica_runtime_new(NULL, &err);
	if (!rt)
		die("mica_runtime_new: %s", err.message);
	struct bc_bench bcb = {0};
	if (getenv("MICA_BENCH_ONLY") && !strcmp(getenv("MICA_BENCH_ONLY"), "bytecode")) {
		bench_bytecode(rt, &bcb);
		print_bytecode(&bcb);
		return 0;
	}

	/* The snapshot of rows 6-11: a sandbox right after loading the
	 * trivial module, parked waiting for its first call. */
	mica_snapshot *snap;
	{
		mica_sandbox *sb = sandbox_with(rt, TRIVIAL_JS);
		snap = mica_snapshot_take(sb, &err);
		if (!snap)
			die("mica_snapshot_take: %s", err.message);
		mica_sandbox_free(sb);
	}

	/* 1, 3 and 6 interleaved, so that their ratios compare like with like
	 * when the shared machine changes pace in the middle of the run. */
	struct samples vm_create = {.name = "1. bare VM create (raw ioctls)"};
	struct samples vm_destroy = {.name = "   bare VM teardown (raw ioctls)"};
	struct samples vm_lib = {.name = "   mica_vm_create + mica_vm_destroy"};
	struct samples sb_new = {.name = "3. sandbox create-to-ready (sandbox_new)"};
	struct samples sb_free = {.name = "   mica_sandbox_free"};
	struct samples cl_new = {.name = "6. restore-to-ready (from_snapshot)"};
	struct samples cl_first = {.name = "   first call in a fresh clone"};
	struct samples cl_second = {.name = "   second call in that clone"};
	struct samples cl_free = {.name = "   mica_sandbox_free (clone)"};
	for (int i = 0; i < 10 + 150; i++) {
		int keep = i >= 10;
		raw_vm_cycle(kvm.fd, kvm.run_size, keep ? &vm_create : NULL,
			     keep ? &vm_destroy : NULL);
		lib_vm_cycle(&kvm, keep ? &vm_lib : NULL);
		int64_t t0 = now_ns();
		mica_sandbox *sb = mica_sandbox_new(rt, NULL, &err);
		int64_t t1 = now_ns();
		if (!sb)
			die("mica_sandbox_new: %s", err.message);
		mica_sandbox_free(sb);
		int64_t t2 = now_ns();
		if (keep) {
			add(&sb_new, (double)(t1 - t0));
			add(&sb_free, (double)(t2 - t1));
		}
		t0 = now_ns();
		sb = clone_of(rt, snap);
		t1 = now_ns();
		double first = timed_call(sb, "h", "{}", "{}");
		double second = timed_call(sb, "h", "{}", "{}");
		t2 = now_ns();
		mica_sandbox_free(sb);
		int64_t t3 = now_ns();
		if (keep) {
			add(&cl_new, (double)(t1 - t0));
			add(&cl_first, first);
			add(&cl_second, second);
			add(&cl_free, (double)(t3 - t2));
		}
	}

	/* 6, counted: KVM exits and page faults of a clone's first call, and
	 * of its second. */
	struct vcpu_count first_kc = {0, 0}, second_kc = {0, 0};
	int kstats = 0;
	for (int i = 0; i < 20; i++) {
		mica_sandbox *sb = clone_of(rt, snap);
		struct vcpu_stats vs;
		vcpu_stats_open(&vs, sb->vm.vcpu_fd);
		kstats = vs.fd >= 0;
		struct vcpu_count a = vcpu_stats_read(&vs);
		timed_call(sb, "h", "{}", "{}");
		struct vcpu_count b = vcpu_stats_read(&vs);
		timed_call(sb, "h", "{}", "{}");
		struct vcpu_count c = vcpu_stats_read(&vs);
		vcpu_count_add(&first_kc, a, b);
		vcpu_count_add(&second_kc, b, c);
		if (vs.fd >= 0)
			close(vs.fd);
		mica_sandbox_free(sb);
	}

	/* 4. Trivial handler calls. */
	struct samples calls = {.name = "4. trivial handler call (sandbox_call)"};
	{
		mica_sandbox *sb = sandbox_with(rt, TRIVIAL_JS);
		for (int i = 0; i < 2000; i++)
			timed_call(sb, "h", "{}", "{}");
		for (int i = 0; i < 50000; i++)
			add(&calls, timed_call(sb, "h", "{}", "{}"));
		mica_sandbox_free(sb);
	}

	/* 7. Reset + call on one clone, then the same reset taken apart into
	 * its steps, with the call right after it and a call after that one
	 * (no reset in between) in the same clone. */
	struct samples rs_call = {.name = "7. reset + trivial call"};
	struct samples rs_only = {.name = "   mica_sandbox_reset alone"};
	struct samples rs_after = {.name = "   call right after a reset"};
	struct reset_parts rp = {
	    .log = {.name = "   reset: KVM_GET_DIRTY_LOG"},
	    .copy = {.name = "   reset: copy dirty pages back"},
	    .sregs = {.name = "   reset: KVM_SET_SREGS"},
	    .msrs = {.name = "   reset: KVM_SET_MSRS"},
	    .fpu = {.name = "   reset: KVM_SET_XSAVE"},
	    .regs = {.name = "   reset: KVM_SET_REGS"},
	    .refresh = {.name = "   reset: boot_refresh (TSC ioctls, random)"},
	    .after = {.name = "   reset by parts: call right after"},
	    .again = {.name = "   reset by parts: 2nd call, no reset between"},
	};
	{
		mica_sandbox *sb = clone_of(rt, snap);
		for (int i = 0; i < 200 + 5000; i++) {
			int64_t t0 = now_ns();
			reset(sb);
			int64_t t1 = now_ns();
			double c = timed_call(sb, "h", "{}", "{}");
			if (i >= 200) {
				add(&rs_only, (double)(t1 - t0));
				add(&rs_after, c);
				add(&rs_call, (double)(t1 - t0) + c);
			}
		}
		struct vcpu_stats vs;
		vcpu_stats_open(&vs, sb->vm.vcpu_fd);
		for (int i = 0; i < 100 + 2000; i++) {
			int keep = i >= 100;
			reset_by_parts(sb, &rp, keep);
			struct vcpu_count a = vcpu_stats_read(&vs);
			double c1 = timed_call(sb, "h", "{}", "{}");
			struct vcpu_count b = vcpu_stats_read(&vs);
			double c2 = timed_call(sb, "h", "{}", "{}");
			struct vcpu_count c = vcpu_stats_read(&vs);
			if (keep) {
				add(&rp.after, c1);
				add(&rp.again, c2);
				vcpu_count_add(&rp.after_kc, a, b);
				vcpu_count_add(&rp.again_kc, b, c);
			}
		}
		if (vs.fd >= 0)
			close(vs.fd);
		mica_sandbox_free(sb);
	}

	/* 5. fib(27). A sandbox keeps one speed for its life, but two can be
	 * ~15% apart: it follows which host pages received the guest's copy
	 * of its code (moving only those pages moves it). So mica's runs are
	 * spread over several sandboxes rather than letting one draw decide.
	 * mica and native alternate, each going first half the time, so that
	 * slow phases of the machine hit both alike. */
	struct samples fib_mica = {.name = "5. fib(27) in mica (one sandbox_call)"};
	struct samples fib_native = {.name = "   fib(27) native QuickJS (JS_Call)"};
	double fib_per_vm[FIB_VMS];
	{
		mica_sandbox *sb[FIB_VMS];
		struct samples per_vm[FIB_VMS];
		struct native nat;
		native_init(&nat);
		char ev[16];
		snprintf(ev, sizeof(ev), "%d", FIB_N);
		for (int k = 0; k < FIB_VMS; k++) {
			sb[k] = sandbox_with(rt, FIB_JS);
			per_vm[k] = (struct samples){.name = "fib per VM"};
			for (int i = 0; i < 2; i++) {
				timed_call(sb[k], "fib", ev, FIB_RESULT);
				native_fib(&nat);
			}
		}
		for (int i = 0; i < FIB_ROUNDS; i++) {
			for (int k = 0; k < FIB_VMS; k++) {
				double t;
				if ((i + k) % 2) {
					t = timed_call(sb[k], "fib", ev, FIB_RESULT);
					add(&fib_native, native_fib(&nat));
				} else {
					add(&fib_native, native_fib(&nat));
					t = timed_call(sb[k], "fib", ev, FIB_RESULT);
				}
				add(&fib_mica, t);
				add(&per_vm[k], t);
			}
		}
		for (int k = 0; k < FIB_VMS; k++) {
			finish(&per_vm[k]);
			fib_per_vm[k] = per_vm[k].median;
			free(per_vm[k].v);
			mica_sandbox_free(sb[k]);
		}
		native_free(&nat);
	}

	/* 8. Warm pool: acquire + call + release, on 1 and on 2 threads; the
	 * pool's own thread resets released sandboxes meanwhile. */
	struct samples pool1 = {.name = "8. pool acquire+call+release, 1 thread"};
	struct samples pool2 = {.name = "   pool acquire+call+release, 2 threads"};
	double pool1_rate, pool2_rate;
	{
		mica_pool *pool = mica_pool_new(rt, snap, POOL_SIZE, &err);
		if (!pool)
			die("mica_pool_new: %s", err.message);
		run_loopers(LOOP_POOL, 2, THRU_NS / 10, rt, snap, pool, NULL);
		pool1_rate = run_loopers(LOOP_POOL, 1, THRU_NS, rt, snap, pool, &pool1);
		pool2_rate = run_loopers(LOOP_POOL, 2, THRU_NS, rt, snap, pool, &pool2);
		mica_pool_free(pool);
	}

	/* 11. Calls/s on both cores: a fresh clone per call, and a reset per
	 * call (one clone per thread). One thread too, for the scaling. */
	struct samples fresh1 = {.name = "11. clone+call+free per call, 1 thread"};
	struct samples fresh2 = {.name = "    clone+call+free per call, 2 threads"};
	struct samples reset1 = {.name = "    reset+call per call, 1 thread"};
	struct samples reset2 = {.name = "    reset+call per call, 2 threads"};
	run_loopers(LOOP_FRESH, 2, THRU_NS / 10, rt, snap, NULL, NULL);
	double fresh1_rate = run_loopers(LOOP_FRESH, 1, THRU_NS / 2, rt, snap, NULL, &fresh1);
	double fresh2_rate = run_loopers(LOOP_FRESH, 2, THRU_NS, rt, snap, NULL, &fresh2);
	run_loopers(LOOP_RESET, 2, THRU_NS / 10, rt, snap, NULL, NULL);
	double reset1_rate = run_loopers(LOOP_RESET, 1, THRU_NS / 2, rt, snap, NULL, &reset1);
	double reset2_rate = run_loopers(LOOP_RESET, 2, THRU_NS, rt, snap, NULL, &reset2);

	/* 9. What an idle clone adds to this process's private memory, and
	 * after one call. The host side (MemAvailable, kernel memory) is
	 * shown too: KVM's own per-VM memory is not in any RSS, and the
	 * machine is shared, so those are indicative only. */
	struct mem m0, m1, m2, m3;
	{
		mica_sandbox **sb = calloc(CLONES_MEM, sizeof(*sb));
		if (!sb)
			die("out of memory");
		/* Warm the allocator and the snapshot's shared pages. */
		for (int i = 0; i < 10; i++)
			mica_sandbox_free(clone_of(rt, snap));
		m0 = mem_now();
		for (int i = 0; i < CLONES_MEM; i++)
			sb[i] = clone_of(rt, snap);
		m1 = mem_now();
		for (int i = 0; i < CLONES_MEM; i++)
			timed_call(sb[i], "h", "{}", "{}");
		m2 = mem_now();
		for (int i = 0; i < CLONES_MEM; i++)
			mica_sandbox_free(sb[i]);
		m3 = mem_now();
		free(sb);
	}

	/* 10. As many live clones of the snapshot as the host allows, up to
	 * LIVE_MAX; each holds a VM fd and a vCPU fd, so the fd limit goes up
	 * to its hard limit first. Stops early (and says so) when time or the
	 * host's memory runs short. Every 50th clone answers a call while all
	 * are alive; then all are freed. */
	struct samples live_new = {.name = "10. from_snapshot while up to 5000 live"};
	struct samples live_free = {.name = "    mica_sandbox_free of those"};
	int live = 0, live_checked = 0;
	char live_stop[1200] = "";
	struct mem l0, l1;
	long live_fds, live_maps;
	double live_create_s, live_free_s, live_first500 = 0, live_last500 = 0;
	struct rlimit nofile;
	{
		getrlimit(RLIMIT_NOFILE, &nofile);
		nofile.rlim_cur = nofile.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
			die("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		mica_sandbox **sb = calloc(LIVE_MAX, sizeof(*sb));
		if (!sb)
			die("out of memory");
		l0 = mem_now();
		int64_t t_begin = now_ns();
		while (live < LIVE_MAX) {
			if (live % 100 == 0 && live) {
				if (now_ns() - t_begin > LIVE_BUDGET_NS) {
					snprintf(live_stop, sizeof(live_stop),
						 "time budget (%lld s) spent",
						 LIVE_BUDGET_NS / 1000000000);
					break;
				}
				long avail = proc_kb("/proc/meminfo", "MemAvailable");
				if (avail < LIVE_MIN_AVAIL_KB) {
					snprintf(live_stop, sizeof(live_stop),
						 "host MemAvailable down to %ld MiB", avail / 1024);
					break;
				}
			}
			int64_t t0 = now_ns();
			sb[live] = mica_sandbox_from_snapshot(rt, snap, &err);
			if (!sb[live]) {
				snprintf(live_stop, sizeof(live_stop), "%s", err.message);
				break;
			}
			add(&live_new, (double)(now_ns() - t0));
			live++;
		}
		live_create_s = (double)(now_ns() - t_begin) / 1e9;
		for (int i = 0; live >= 1000 && i < 500; i++) { /* in creation order */
			live_first500 += live_new.v[i];
			live_last500 += live_new.v[live - 500 + i];
		}
		live_fds = count_fds();
		live_maps = count_maps();
		l1 = mem_now();
		for (int i = 0; i < live; i += 50, live_checked++)
			timed_call(sb[i], "h", "{}", "{}");
		int64_t t1 = now_ns();
		for (int i = 0; i < live; i++) {
			int64_t t0 = now_ns();
			mica_sandbox_free(sb[i]);
			add(&live_free, (double)(now_ns() - t0));
		}
		live_free_s = (double)(now_ns() - t1) / 1e9;
		free(sb);
		if (live == 0)
			die("no clone could be made: %s", live_stop);
	}

	/* 12. Start-up from source vs bytecode. */
	bench_bytecode(rt, &bcb);

	mica_snapshot_free(snap);
	mica_runtime_free(rt);
	mica_kvm_close(&kvm);

	struct samples *all[] = {
	    &vm_create, &vm_destroy, &vm_lib,	&exits,	   &sb_new,    &sb_free, &calls,
	    &fib_mica,	&fib_native, &cl_new,	&cl_first, &cl_second, &cl_free, &rs_call,
	    &rs_only,	&rs_after,   &rp.log,	&rp.copy,  &rp.sregs,  &rp.msrs, &rp.fpu,
	    &rp.regs,	&rp.refresh, &rp.after, &rp.again, &pool1,     &pool2,	 &fresh1,
	    &fresh2,	&reset1,     &reset2,	&live_new, &live_free};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		finish(all[i]);

	printf("\nmica benchmark (times per operation, after warm-up; total %.1f s)\n\n",
	       (double)(now_ns() - start) / 1e9);
	printf("  %-44s %7s  %10s  %10s  %10s\n", "", "runs", "median", "p90", "p99");
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		row(all[i]);

	double r_create = sb_new.median / vm_create.median;
	double r_free = sb_free.median / vm_destroy.median;
	double r_call = calls.median / exits.median;
	double r_fib = fib_native.median / fib_mica.median;
	double r_restore = cl_new.median / vm_create.median;
	double r_reset = rs_call.median / exits.median;
	printf("\n  %-44s %10s  %-9s %s\n", "ratio (of medians)", "value", "goal", "this run");
	ratio("sandbox create-to-ready / bare VM create", r_create, "x", "-", -1);
	ratio("sandbox free / bare VM teardown", r_free, "x", "-", -1);
	ratio("trivial handler call / bare exit round trip", r_call, "x", "<= 1.3x", r_call <= 1.3);
	ratio("fib(27) native / fib(27) mica", r_fib, "", ">= 0.97", r_fib >= 0.97);
	ratio("6. restore-to-ready / bare VM create", r_restore, "x", "<= 1.5x", r_restore <= 1.5);
	ratio("   first call in clone / trivial call", cl_first.median / calls.median, "x", "-",
	      -1);
	ratio("7. reset + call / bare exit round trip", r_reset, "x", "<= 4x", r_reset <= 4);
	ratio("   reset alone / bare exit round trip", rs_only.median / exits.median, "x", "-", -1);
	ratio("   call after reset / trivial call", rs_after.median / calls.median, "x", "-", -1);

	printf("\n  fib(27) median per sandbox:");
	for (int k = 0; k < FIB_VMS; k++)
		printf(" %.2f", fib_per_vm[k] / 1e6);
	printf(" ms\n");
	printf("  7. pages a reset copies back: %.1f written by the guest + %.1f by the host"
	       " (mean of %llu)\n",
	       (double)rp.guest_pages / (double)rp.resets,
	       (double)rp.host_pages / (double)rp.resets, (unsigned long long)rp.resets);
	if (kstats) {
		printf("  KVM exits / page faults (pf_taken) per call, from the vCPU's stats:\n");
		printf("     6. first call in a fresh clone %7.1f / %5.1f, its second call %5.1f / "
		       "%5.1f\n",
		       first_kc.exits / 20.0, first_kc.pf / 20.0, second_kc.exits / 20.0,
		       second_kc.pf / 20.0);
		double nr = (double)rp.resets;
		printf("     7. call right after a reset    %7.1f / %5.1f, the call after it %5.1f "
		       "/ %5.1f\n",
		       rp.after_kc.exits / nr, rp.after_kc.pf / nr, rp.again_kc.exits / nr,
		       rp.again_kc.pf / nr);
	}

	printf("\n  %-44s %10s  %10s  %10s\n", "throughput (~2 s each, 2 cores)", "calls/s", "p50",
	       "p99");
	struct {
		const char *name;
		double rate;
		struct samples *s;
	} thr[] = {{"8. pool acquire+call+release, 1 thread", pool1_rate, &pool1},
		   {"   pool acquire+call+release, 2 threads", pool2_rate, &pool2},
		   {"11. clone+call+free per call, 1 thread", fresh1_rate, &fresh1},
		   {"    clone+call+free per call, 2 threads", fresh2_rate, &fresh2},
		   {"    reset+call per call, 1 thread", reset1_rate, &reset1},
		   {"    reset+call per call, 2 threads", reset2_rate, &reset2}};
	for (size_t i = 0; i < sizeof(thr) / sizeof(thr[0]); i++) {
		char a[32], b[32];
		printf("  %-44s %10.0f  %s  %s\n", thr[i].name, thr[i].rate,
		       fmt_time(a, sizeof(a), thr[i].s->median),
		       fmt_time(b, sizeof(b), thr[i].s->p99));
	}

	double n9 = CLONES_MEM;
	double idle_mib = (double)(m1.priv - m0.priv) / n9 / 1024;
	double used_mib = (double)(m2.priv - m0.priv) / n9 / 1024;
	printf("\n  %-44s %10s  %-9s %s\n",
	       "9. memory per clone (of "
	       "200"
	       ")",
	       "value", "goal", "this run");
	ratio("private (smaps Private_*), idle clone", idle_mib, " MiB", "<= 2 MiB", idle_mib <= 2);
	ratio("private (smaps Private_*), after one call", used_mib, " MiB", "<= 2 MiB",
	      used_mib <= 2);
	ratio("RssAnon, idle clone", (double)(m1.anon - m0.anon) / n9 / 1024, " MiB", "-", -1);
	ratio("RssAnon, after one call", (double)(m2.anon - m0.anon) / n9 / 1024, " MiB", "-", -1);
	ratio("host MemAvailable drop, idle clone", (double)(m0.avail - m1.avail) / n9 / 1024,
	      " MiB", "-", -1);
	ratio("host MemAvailable drop, after one call", (double)(m0.avail - m2.avail) / n9 / 1024,
	      " MiB", "-", -1);
	ratio("host kernel memory (slab+page tables), idle",
	      (double)(m1.kernel - m0.kernel) / n9 / 1024, " MiB", "-", -1);
	ratio("private left after freeing all (total)", (double)(m3.priv - m0.priv) / 1024, " MiB",
	      "-", -1);

	printf("\n  %-44s %10s  %-9s %s\n", "10. live clones of one snapshot", "value", "goal",
	       "this run");
	printf("  %-44s %10d  %-9s %s\n", "alive at once", live, ">= 5000",
	       live >= LIVE_MAX ? "MET" : "MISSED");
	if (live < LIVE_MAX)
		printf("  %-44s %s\n", "stopped by", live_stop);
	printf("  %-44s %9.2fs\n", "time to create them", live_create_s);
	if (live >= 1000) {
		char a[32], b[32];
		printf("  %-44s %s / %s\n", "create, mean of the first / last 500",
		       fmt_time(a, sizeof(a), live_first500 / 500),
		       fmt_time(b, sizeof(b), live_last500 / 500));
	}
	printf("  %-44s %9.2fs\n", "time to free them", live_free_s);
	printf("  %-44s %9.1f MiB  (%.1f KiB per clone)\n", "process Rss, all alive",
	       l1.rss / 1024.0, (double)(l1.rss - l0.rss) / live);
	printf("  %-44s %9.1f MiB  (%.1f KiB per clone)\n", "process Private, all alive",
	       l1.priv / 1024.0, (double)(l1.priv - l0.priv) / live);
	printf("  %-44s %9.1f MiB  (%.1f KiB per clone)\n", "host MemAvailable drop",
	       (double)(l0.avail - l1.avail) / 1024.0, (double)(l0.avail - l1.avail) / live);
	printf("  %-44s %9.1f MiB  (%.1f KiB per clone)\n", "host kernel memory (slab+page tables)",
	       (double)(l1.kernel - l0.kernel) / 1024.0, (double)(l1.kernel - l0.kernel) / live);
	printf("  %-44s %ld fds (limit %llu), %ld maps (vm.max_map_count applies)\n", "in use",
	       live_fds, (unsigned long long)nofile.rlim_cur, live_maps);
	printf("  %-44s %d of %d answered\n", "a call in every 50th, all alive", live_checked,
	       live_checked);

	print_bytecode(&bcb);
	return 0;
}

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
 *      per call.
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

/* ---- main ---------------------------------------------------------------- */

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

	/* 1 and 3 interleaved, so that their ratio compares like with like
	 * when the shared machine changes pace in the middle of the run. */
	struct samples vm_create = {.name = "1. bare VM create (raw ioctls)"};
	struct samples vm_destroy = {.name = "   bare VM teardown (raw ioctls)"};
	struct samples vm_lib = {.name = "   mica_vm_create + mica_vm_destroy"};
	struct samples sb_new = {.name = "3. sandbox create-to-ready (sandbox_new)"};
	struct samples sb_free = {.name = "   mica_sandbox_free"};
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
	mica_runtime_free(rt);
	mica_kvm_close(&kvm);

	struct samples *all[] = {&vm_create, &vm_destroy, &vm_lib,   &exits,	 &sb_new,
				 &sb_free,   &calls,	  &fib_mica, &fib_native};
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
	printf("\n  %-44s %10s  %-9s %s\n", "ratio (of medians)", "value", "goal", "this run");
	ratio("sandbox create-to-ready / bare VM create", r_create, "x", "-", -1);
	ratio("sandbox free / bare VM teardown", r_free, "x", "-", -1);
	ratio("trivial handler call / bare exit round trip", r_call, "x", "<= 1.3x", r_call <= 1.3);
	ratio("fib(27) native / fib(27) mica", r_fib, "", ">= 0.97", r_fib >= 0.97);
	printf("\n  fib(27) median per sandbox:");
	for (int k = 0; k < FIB_VMS; k++)
		printf(" %.2f", fib_per_vm[k] / 1e6);
	printf(" ms\n");
	return 0;
}

/*
 * mica benchmark: what isolation costs on each backend, measured against
 * its floors in the same run (bench/floors.c):
 *
 *   floors: a bare KVM VM create and exit round trip (where /dev/kvm
 *           opens); an eventfd round trip between two processes and
 *           fork() of a process of a sandbox's size (everywhere);
 *   then, for each backend that works here:
 *   1. sandbox create-to-ready and free;
 *   2. a trivial handler call, against the backend's bare round trip;
 *   3. fib(27) in mica, against the same QuickJS built natively;
 *   4. restore-to-ready of a snapshot clone, its first and second call
 *      (in a spare, the default, and in a new VM or process, with
 *      mica_runtime_options.spares < 0);
 *   5. reset to the snapshot plus a trivial call;
 *   6. warm pool acquire + call + release, on one and on two threads;
 *   7. calls/s with a fresh clone per call (spares, and new VMs or
 *      processes) and with a reset per call;
 *   8. kernel + private memory an idle clone adds (bench/memory.c), in new
 *      VMs or processes;
 *   9. how many clones of one snapshot can live at once (goal 5000), in
 *      new VMs or processes;
 *  and once: start-up of a 2000-line module from source against from
 *  bytecode. MICA_BENCH_ONLY=bytecode runs only that; MICA_BENCH_BACKENDS
 *  ("kvm", "process" or "kvm process", the default) picks the backends.
 *
 * Times are CLOCK_MONOTONIC around each single operation; medians and
 * tail percentiles, after warm-up, keep a shared noisy machine from
 * deciding the outcome. A missed goal is reported, never an error: only a
 * failure to run a benchmark exits non-zero.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "floors.h"
#include "memory.h"
#include "mica.h"
#include "native.h"
#include "stats.h"

static const char TRIVIAL_JS[] = "export function h(e){ return e }\n";
static const char FIB_JS[] = "export function fib(n){ return n < 2 ? n : fib(n-1) + fib(n-2) }\n";
#define FIB_N	   27
#define FIB_RESULT 196418
#define FIB_SBS	   9 /* sandboxes that share the mica runs */
#define FIB_ROUNDS 4 /* runs per sandbox: 36 mica runs, 36 native runs */

#define CLONES_MEM	  200		      /* row 8: clones measured together */
#define LIVE_MAX	  5000		      /* row 9: the goal, and where it stops */
#define LIVE_BUDGET_NS	  (60ll * 1000000000) /* row 9 stops creating after this... */
#define LIVE_MIN_AVAIL_KB (2ll * 1024 * 1024) /* ...or with less than 2 GiB left */
#define THRU_NS		  (2ll * 1000000000)  /* rows 6 and 7: per configuration */
#define POOL_SIZE	  4

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

/* Rows 6 and 7: threads looping on one kind of operation for a while. */
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
	struct samples lat;
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
		add(&l->lat, (double)(now_ns() - t0));
		l->ops++;
	}
	l->elapsed = now_ns() - begin;
	return NULL;
}

/* Runs nthreads loopers of one kind for duration; returns calls/s (the sum
 * of each thread's rate) and adds every operation's latency to lat (NULL:
 * a warm-up). */
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
		if (kind == LOOP_RESET)
			l[i].sb = clone_of(rt, snap);
		if (pthread_create(&l[i].thread, NULL, looper_main, &l[i]))
			die("pthread_create");
	}
	double rate = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(l[i].thread, NULL);
		rate += (double)l[i].ops / ((double)l[i].elapsed / 1e9);
		for (size_t k = 0; lat && k < l[i].lat.n; k++)
			add(lat, l[i].lat.v[k]);
		samples_free(&l[i].lat);
		if (l[i].sb)
			mica_sandbox_free(l[i].sb);
	}
	pthread_barrier_destroy(&go);
	return rate;
}

/* ---- one backend ----------------------------------------------------------- */

/* Lets the machine finish what freed sandboxes left it (a process's exit). */
static void settle(void)
{
	struct timespec ts = {0, 20 * 1000000};
	nanosleep(&ts, NULL);
}

struct thru {
	const char *name;
	double rate;
	struct samples lat;
};

struct run {
	mica_backend backend;
	const char *name;
	int ok;
	char why[1024];
	/* its floor: a bare round trip, and a bare create */
	const char *rt_name, *create_name;
	double rt_floor, create_floor;
	struct samples sb_new, sb_free, calls, fib_mica, fib_native, cl_new, cl_first, cl_second,
	    cl_free, rs_call, rs_only, rs_after, live_new, live_free, np_new, np_first;
	int spares; /* process backend: rows 4 and 7 also in new processes */
	struct thru
	    thr[8]; /* pool 1, 2; fresh 1, 2; reset 1, 2 threads; fresh, new processes 1, 2 */
	double fib_per_sb[FIB_SBS];
	struct mem m0, m1, m2, m3; /* row 8: before, idle, after a call, freed */
	int live, live_checked;
	char live_stop[1024];
	struct mem l0, l1;
	long live_fds, live_maps;
	double live_create_s, live_free_s;
	size_t clone_rss; /* process backend: a clone's resident KiB, for the fork floor */
};

static void name_samples(struct run *r)
{
	r->sb_new.name = "1. sandbox create-to-ready (sandbox_new)";
	r->sb_free.name = "   mica_sandbox_free";
	r->calls.name = "2. trivial handler call (sandbox_call)";
	r->fib_mica.name = "3. fib(27) in mica (one sandbox_call)";
	r->fib_native.name = "   fib(27) native QuickJS (JS_Call)";
	r->cl_new.name = r->spares ? "4. restore-to-ready (from_snapshot), spare"
				   : "4. restore-to-ready (from_snapshot)";
	int kvm = r->backend == MICA_BACKEND_KVM;
	r->np_new.name = kvm ? "   restore-to-ready, new VM" : "   restore-to-ready, new process";
	r->np_first.name = "   first call in it";
	r->cl_first.name = "   first call in a fresh clone";
	r->cl_second.name = "   second call in that clone";
	r->cl_free.name = "   mica_sandbox_free (clone)";
	r->rs_call.name = "5. reset + trivial call";
	r->rs_only.name = "   mica_sandbox_reset alone";
	r->rs_after.name = "   call right after a reset";
	r->live_new.name = "9. from_snapshot while up to 5000 live";
	r->live_free.name = "   mica_sandbox_free of those";
	const char *t[8] = {"6. pool acquire+call+release, 1 thread",
			    "   pool acquire+call+release, 2 threads",
			    "7. clone+call+free per call, 1 thread",
			    "   clone+call+free per call, 2 threads",
			    "   reset+call per call, 1 thread",
			    "   reset+call per call, 2 threads",
			    kvm ? "   clone+call+free, new VMs, 1 thread"
				: "   clone+call+free, new processes, 1 thread",
			    kvm ? "   clone+call+free, new VMs, 2 threads"
				: "   clone+call+free, new processes, 2 threads"};
	for (int i = 0; i < 8; i++)
		r->thr[i].name = t[i];
}

static void bench_fib(mica_runtime *rt, struct run *r)
{
	/* A sandbox keeps one speed for its life, but two can be ~15% apart
	 * (which host pages its code landed on), so mica's runs are spread
	 * over several sandboxes. mica and native alternate, each going first
	 * half the time, so that slow phases of the machine hit both alike. */
	mica_sandbox *sb[FIB_SBS];
	struct samples per[FIB_SBS];
	struct native *nat = native_new(FIB_JS, "fib");
	char ev[16], want[16];
	snprintf(ev, sizeof(ev), "%d", FIB_N);
	snprintf(want, sizeof(want), "%d", FIB_RESULT);
	for (int k = 0; k < FIB_SBS; k++) {
		sb[k] = sandbox_with(rt, FIB_JS);
		per[k] = (struct samples){.name = "fib per sandbox"};
		for (int i = 0; i < 2; i++) {
			timed_call(sb[k], "fib", ev, want);
			native_call(nat, FIB_N, FIB_RESULT);
		}
	}
	for (int i = 0; i < FIB_ROUNDS; i++)
		for (int k = 0; k < FIB_SBS; k++) {
			double t;
			if ((i + k) % 2) {
				t = timed_call(sb[k], "fib", ev, want);
				add(&r->fib_native, native_call(nat, FIB_N, FIB_RESULT));
			} else {
				add(&r->fib_native, native_call(nat, FIB_N, FIB_RESULT));
				t = timed_call(sb[k], "fib", ev, want);
			}
			add(&r->fib_mica, t);
			add(&per[k], t);
		}
	for (int k = 0; k < FIB_SBS; k++) {
		finish(&per[k]);
		r->fib_per_sb[k] = per[k].median;
		samples_free(&per[k]);
		mica_sandbox_free(sb[k]);
	}
	native_free(nat);
}

/* Row 9: as many live clones as the host allows, up to LIVE_MAX, with the
 * fd limit raised to its hard limit first. Stops early (and says so) when
 * time or the host's memory runs short. Every 50th clone answers a call
 * while all are alive; then all are freed. */
static void bench_live(mica_runtime *rt, mica_snapshot *snap, struct run *r)
{
	mica_error err;
	struct rlimit nofile;
	getrlimit(RLIMIT_NOFILE, &nofile);
	nofile.rlim_cur = nofile.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		die("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	mica_sandbox **sb = calloc(LIVE_MAX, sizeof(*sb));
	if (!sb)
		die("out of memory");
	r->l0 = mem_now();
	int64_t begin = now_ns();
	while (r->live < LIVE_MAX) {
		if (r->live % 100 == 0 && r->live) {
			if (now_ns() - begin > LIVE_BUDGET_NS) {
				snprintf(r->live_stop, sizeof(r->live_stop),
					 "time budget (%lld s) spent", LIVE_BUDGET_NS / 1000000000);
				break;
			}
			/* the calls below take a descriptor each (their async queue) */
			long fds = count_fds();
			if ((long)nofile.rlim_cur - fds < LIVE_MAX / 50 + 100) {
				snprintf(r->live_stop, sizeof(r->live_stop),
					 "descriptor limit (%ld open of %ld)", fds,
					 (long)nofile.rlim_cur);
				break;
			}
			long avail = proc_kb("/proc/meminfo", "MemAvailable");
			if (avail < LIVE_MIN_AVAIL_KB) {
				snprintf(r->live_stop, sizeof(r->live_stop),
					 "host MemAvailable down to %ld MiB", avail / 1024);
				break;
			}
		}
		int64_t t0 = now_ns();
		sb[r->live] = mica_sandbox_from_snapshot(rt, snap, &err);
		if (!sb[r->live]) {
			snprintf(r->live_stop, sizeof(r->live_stop), "%s", err.message);
			break;
		}
		add(&r->live_new, (double)(now_ns() - t0));
		r->live++;
	}
	r->live_create_s = (double)(now_ns() - begin) / 1e9;
	r->live_fds = count_fds();
	r->live_maps = count_maps();
	r->l1 = mem_now();
	for (int i = 0; i < r->live; i += 50, r->live_checked++)
		timed_call(sb[i], "h", "{}", "{}");
	int64_t t1 = now_ns();
	for (int i = 0; i < r->live; i++) {
		int64_t t0 = now_ns();
		mica_sandbox_free(sb[i]);
		add(&r->live_free, (double)(now_ns() - t0));
	}
	r->live_free_s = (double)(now_ns() - t1) / 1e9;
	free(sb);
	if (r->live == 0)
		die("no clone could be made: %s", r->live_stop);
}

static void bench_backend(struct run *r)
{
	mica_error err;
	mica_runtime_options o = {.backend = r->backend};
	mica_runtime *rt = mica_runtime_new(&o, &err);
	if (!rt) {
		snprintf(r->why, sizeof(r->why), "%s", err.message);
		return;
	}
	r->ok = 1;
	/* rt keeps freed clones as spares for the next; rt_new has none, so
	 * that each of its clones is a new VM or process. */
	mica_runtime_options on = {.backend = r->backend, .spares = -1};
	mica_runtime *rt_new = mica_runtime_new(&on, &err);
	if (!rt_new)
		die("mica_runtime_new: %s", err.message);
	r->spares = 1;
	name_samples(r);

	/* The snapshot of rows 4-9: a sandbox right after loading the trivial
	 * module, parked waiting for its first call. */
	mica_snapshot *snap;
	{
		mica_sandbox *sb = sandbox_with(rt, TRIVIAL_JS);
		snap = mica_snapshot_take(sb, &err);
		if (!snap)
			die("mica_snapshot_take: %s", err.message);
		mica_sandbox_free(sb);
	}

	/* 1, then 4: apart, because freeing a sandbox (the process backend's
	 * exit of a child, in the background) would slow the calls next to it. */
	for (int i = 0; i < 10 + 150; i++) {
		int64_t t0 = now_ns();
		mica_sandbox *sb = mica_sandbox_new(rt, NULL, &err);
		int64_t t1 = now_ns();
		if (!sb)
			die("mica_sandbox_new: %s", err.message);
		mica_sandbox_free(sb);
		if (i >= 10) {
			add(&r->sb_new, (double)(t1 - t0));
			add(&r->sb_free, (double)(now_ns() - t1));
		}
	}
	settle();
	for (int i = 0; i < 10 + 150; i++) {
		long rss0 = i == 0 && r->spares ? mem_now().kids_rss : 0;
		int64_t t0 = now_ns();
		mica_sandbox *sb = clone_of(rt, snap);
		int64_t t1 = now_ns();
		double first = timed_call(sb, "h", "{}", "{}");
		double second = timed_call(sb, "h", "{}", "{}");
		if (i == 0 && r->spares) /* what the clone's process holds */
			r->clone_rss = (size_t)(mem_now().kids_rss - rss0);
		int64_t t2 = now_ns();
		mica_sandbox_free(sb);
		if (i >= 10) {
			add(&r->cl_new, (double)(t1 - t0));
			add(&r->cl_first, first);
			add(&r->cl_second, second);
			add(&r->cl_free, (double)(now_ns() - t2));
		}
	}
	for (int i = 0; r->spares && i < 10 + 150; i++) {
		settle();
		int64_t t0 = now_ns();
		mica_sandbox *sb = clone_of(rt_new, snap);
		int64_t t1 = now_ns();
		double first = timed_call(sb, "h", "{}", "{}");
		mica_sandbox_free(sb);
		if (i >= 10) {
			add(&r->np_new, (double)(t1 - t0));
			add(&r->np_first, first);
		}
	}
	settle();

	/* 2. Trivial handler calls. */
	{
		mica_sandbox *sb = sandbox_with(rt, TRIVIAL_JS);
		for (int i = 0; i < 2000 + 50000; i++) {
			double t = timed_call(sb, "h", "{}", "{}");
			if (i >= 2000)
				add(&r->calls, t);
		}
		mica_sandbox_free(sb);
	}

	/* 5. Reset + call on one clone. */
	{
		mica_sandbox *sb = clone_of(rt, snap);
		for (int i = 0; i < 200 + 5000; i++) {
			int64_t t0 = now_ns();
			reset(sb);
			int64_t t1 = now_ns();
			double c = timed_call(sb, "h", "{}", "{}");
			if (i >= 200) {
				add(&r->rs_only, (double)(t1 - t0));
				add(&r->rs_after, c);
				add(&r->rs_call, (double)(t1 - t0) + c);
			}
		}
		mica_sandbox_free(sb);
	}

	bench_fib(rt, r);

	/* 6. Warm pool: the pool's own thread resets released sandboxes. */
	{
		mica_pool *pool = mica_pool_new(rt, snap, POOL_SIZE, &err);
		if (!pool)
			die("mica_pool_new: %s", err.message);
		run_loopers(LOOP_POOL, 2, THRU_NS / 10, rt, snap, pool, NULL);
		for (int t = 1; t <= 2; t++)
			r->thr[t - 1].rate =
			    run_loopers(LOOP_POOL, t, THRU_NS, rt, snap, pool, &r->thr[t - 1].lat);
		mica_pool_free(pool);
	}

	/* 7. Calls/s on both cores: a fresh clone per call, and a reset per
	 * call (one clone per thread); one thread too, for the scaling. */
	run_loopers(LOOP_FRESH, 2, THRU_NS / 10, rt, snap, NULL, NULL);
	for (int t = 1; t <= 2; t++)
		r->thr[1 + t].rate =
		    run_loopers(LOOP_FRESH, t, THRU_NS, rt, snap, NULL, &r->thr[1 + t].lat);
	run_loopers(LOOP_RESET, 2, THRU_NS / 10, rt, snap, NULL, NULL);
	for (int t = 1; t <= 2; t++)
		r->thr[3 + t].rate =
		    run_loopers(LOOP_RESET, t, THRU_NS, rt, snap, NULL, &r->thr[3 + t].lat);
	for (int t = 1; t <= 2 && r->spares; t++)
		r->thr[5 + t].rate =
		    run_loopers(LOOP_FRESH, t, THRU_NS, rt_new, snap, NULL, &r->thr[5 + t].lat);

	/* 8. What idle clones add, and after one call each. */
	{
		mica_sandbox **sb = calloc(CLONES_MEM, sizeof(*sb));
		if (!sb)
			die("out of memory");
		for (int i = 0; i < 10; i++) /* warm the allocator and the snapshot's pages */
			mica_sandbox_free(clone_of(rt_new, snap));
		r->m0 = mem_now();
		for (int i = 0; i < CLONES_MEM; i++)
			sb[i] = clone_of(rt_new, snap);
		r->m1 = mem_now();
		for (int i = 0; i < CLONES_MEM; i++)
			timed_call(sb[i], "h", "{}", "{}");
		r->m2 = mem_now();
		for (int i = 0; i < CLONES_MEM; i++)
			mica_sandbox_free(sb[i]);
		r->m3 = mem_now();
		free(sb);
	}

	bench_live(rt_new, snap, r);

	mica_snapshot_free(snap);
	if (rt_new != rt)
		mica_runtime_free(rt_new);
	mica_runtime_free(rt);

	struct samples *all[] = {&r->sb_new,	 &r->sb_free,  &r->calls,    &r->fib_mica,
				 &r->fib_native, &r->cl_new,   &r->cl_first, &r->cl_second,
				 &r->cl_free,	 &r->rs_call,  &r->rs_only,  &r->rs_after,
				 &r->live_new,	 &r->live_free};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		finish(all[i]);
	for (int i = 0; i < (r->spares ? 8 : 6); i++)
		finish(&r->thr[i].lat);
	if (r->spares) {
		finish(&r->np_new);
		finish(&r->np_first);
	}
}

static void print_backend(const struct run *r, const struct run *kvm)
{
	printf("\n== backend: %s\n", r->name);
	if (!r->ok) {
		printf("  not measured: %s\n", r->why);
		return;
	}
	printf("\n  %-48s %7s  %10s  %10s  %10s\n", "", "runs", "median", "p90", "p99");
	const struct samples *all[] = {&r->sb_new,     &r->sb_free, &r->calls,	  &r->fib_mica,
				       &r->fib_native, &r->cl_new,  &r->cl_first, &r->cl_second,
				       &r->cl_free,    &r->rs_call, &r->rs_only,  &r->rs_after};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		row(all[i]);
		if (all[i] == &r->cl_free && r->spares) {
			row(&r->np_new);
			row(&r->np_first);
		}
	}

	char g[64], n[96];
	heading("ratio (of medians)", "value", "goal", "this run");
	double r_call = r->calls.median / r->rt_floor;
	snprintf(n, sizeof(n), "trivial call / %s", r->rt_name);
	ratio(n, r_call, "x", "<= 1.3x", r_call <= 1.3);
	double r_fib = r->fib_native.median / r->fib_mica.median;
	ratio("fib(27) native / fib(27) mica", r_fib, "", ">= 0.97", r_fib >= 0.97);
	snprintf(n, sizeof(n), "sandbox create-to-ready / %s", r->create_name);
	ratio(n, r->sb_new.median / r->create_floor, "x", "-", -1);
	snprintf(n, sizeof(n), "4. restore-to-ready / %s", r->create_name);
	ratio(n, r->cl_new.median / r->create_floor, "x", "-", -1);
	if (r->spares) {
		int kvm = r->backend == MICA_BACKEND_KVM;
		double r_new = r->np_new.median / r->create_floor;
		snprintf(n, sizeof(n), "   restore-to-ready, new %s / %s", kvm ? "VM" : "process",
			 r->create_name);
		if (kvm)
			ratio(n, r_new, "x", "<= 1.5x", r_new <= 1.5);
		else
			ratio(n, r_new, "x", "-", -1);
	}
	ratio("   first call in a clone / trivial call", r->cl_first.median / r->calls.median, "x",
	      "-", -1);
	ratio("5. reset + call", r->rs_call.median / 1e3, " us", "<= 300 us",
	      r->rs_call.median <= 300e3);
	snprintf(n, sizeof(n), "   reset + call / %s", r->rt_name);
	ratio(n, r->rs_call.median / r->rt_floor, "x", "-", -1);
	if (kvm && kvm->ok && kvm != r) {
		double x = r->rs_call.median / kvm->rs_call.median;
		ratio("   reset + call / the KVM backend's", x, "x", "<= 2x", x <= 2);
	}
	ratio("   call after a reset / trivial call", r->rs_after.median / r->calls.median, "x",
	      "-", -1);
	printf("  fib(27) median per sandbox:");
	for (int k = 0; k < FIB_SBS; k++)
		printf(" %.2f", r->fib_per_sb[k] / 1e6);
	printf(" ms\n");

	heading("throughput (~2 s each, 2 cores)", "calls/s", "goal", "p50 / p99");
	for (int i = 0; i < (r->spares ? 8 : 6); i++) {
		char a[32], b[32];
		int fresh2 = i == 3;
		printf("  %-48s %12.0f  %-10s %s / %s %s\n", r->thr[i].name, r->thr[i].rate,
		       fresh2 ? ">= 1000" : "-", fmt_time(a, sizeof(a), r->thr[i].lat.median),
		       fmt_time(b, sizeof(b), r->thr[i].lat.p99),
		       fresh2 ? (r->thr[i].rate >= 1000 ? "MET" : "MISSED") : "");
	}

	double nm = CLONES_MEM;
	snprintf(n, sizeof(n), "8. memory per clone (of %d%s)", CLONES_MEM,
		 !r->spares			  ? ""
		 : r->backend == MICA_BACKEND_KVM ? ", new VMs"
						  : ", new processes");
	heading(n, "value", "goal", "this run");
	double idle = mem_per(&r->m0, &r->m1, CLONES_MEM),
	       used = mem_per(&r->m0, &r->m2, CLONES_MEM);
	ratio("kernel + private, idle clone", idle, " KiB", "<= 200 KiB", idle <= 200);
	ratio("kernel + private, after one call", used, " KiB", "-", -1);
	ratio("   of which host process private, idle",
	      (double)(r->m1.self_priv - r->m0.self_priv) / nm, " KiB", "-", -1);
	ratio("   of which children private, idle",
	      (double)(r->m1.kids_priv - r->m0.kids_priv) / nm, " KiB", "-", -1);
	ratio("   of which shmem (memfds), idle", (double)(r->m1.shmem - r->m0.shmem) / nm, " KiB",
	      "-", -1);
	ratio("   of which kernel (slab, stacks, page tables)",
	      (double)(r->m1.kernel - r->m0.kernel) / nm, " KiB", "-", -1);
	ratio("host MemAvailable drop, idle clone", (double)(r->m0.avail - r->m1.avail) / nm,
	      " KiB", "-", -1);
	ratio("left after freeing all (total)", mem_per(&r->m0, &r->m3, 1) / 1024, " MiB", "-", -1);

	heading("9. live clones of one snapshot", "value", "goal", "this run");
	snprintf(g, sizeof(g), "%d", r->live);
	printf("  %-48s %12s  %-10s %s\n", "alive at once", g, ">= 5000",
	       r->live >= LIVE_MAX ? "MET" : "MISSED");
	if (r->live < LIVE_MAX)
		printf("  %-48s %s\n", "stopped by", r->live_stop);
	row(&r->live_new);
	row(&r->live_free);
	printf("  %-48s %9.2f s to create, %.2f s to free\n", "all of them", r->live_create_s,
	       r->live_free_s);
	printf("  %-48s %9.1f KiB per clone\n", "kernel + private, all alive",
	       mem_per(&r->l0, &r->l1, r->live));
	printf("  %-48s %9.1f KiB per clone\n", "host MemAvailable drop",
	       (double)(r->l0.avail - r->l1.avail) / r->live);
	printf("  %-48s %ld fds, %ld maps, %ld processes\n", "this process, all alive", r->live_fds,
	       r->live_maps, r->l1.kids);
	printf("  %-48s %d of %d answered\n", "a call in every 50th, all alive", r->live_checked,
	       r->live_checked);
}

/* ---- start-up from source vs bytecode -------------------------------------- */

#define GEN_FUNCS 400 /* 5 lines each: a 2000-line module */

static char *generated_module(void)
{
	size_t cap = (size_t)GEN_FUNCS * 256 + 256, n = 0;
	char *s = malloc(cap);
	if (!s)
		die("out of memory");
	for (int i = 0; i < GEN_FUNCS; i++)
		n += (size_t)snprintf(
		    s + n, cap - n,
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

/* Fresh sandboxes (made and freed untimed); the load alone is timed,
 * source and bytecode alternating. */
static void bench_bytecode(mica_runtime *rt)
{
	mica_error err;
	struct samples src_s = {.name = "load 2000-line module from source"};
	struct samples bc_s = {.name = "load it from bytecode (.mbc)"};
	struct samples compile_s = {.name = "compile it (in a sandbox)"};
	char *src = generated_module();
	size_t src_len = strlen(src), file_len = 0;
	void *file = NULL;
	for (int i = 0; i < 23; i++) {
		mica_sandbox *sb = mica_sandbox_new(rt, NULL, &err);
		if (!sb)
			die("mica_sandbox_new: %s", err.message);
		free(file);
		int64_t t0 = now_ns();
		check(mica_sandbox_compile(sb, "gen.js", src, src_len, &file, &file_len, &err),
		      &err, "mica_sandbox_compile");
		if (i >= 3)
			add(&compile_s, (double)(now_ns() - t0));
		mica_sandbox_free(sb);
	}
	char *want = NULL;
	for (int i = 0; i < 105; i++)
		for (int k = 0; k < 2; k++) {
			mica_sandbox *sb = mica_sandbox_new(rt, NULL, &err);
			if (!sb)
				die("mica_sandbox_new: %s", err.message);
			int64_t t0 = now_ns();
			if (k == 0)
				check(mica_sandbox_load(sb, "gen.js", src, src_len, &err), &err,
				      "mica_sandbox_load");
			else
				check(mica_sandbox_load_bytecode(sb, file, file_len, &err), &err,
				      "mica_sandbox_load_bytecode");
			double ns = (double)(now_ns() - t0);
			if (i >= 5)
				add(k ? &bc_s : &src_s, ns);
			if (i == 0) {
				char *res = NULL;
				size_t len;
				check(mica_sandbox_call(sb, "h", "null", 4, &res, &len, &err), &err,
				      "h");
				if (k && strcmp(res, want))
					die("bytecode gave %s, source %s", res, want);
				if (k)
					free(res);
				else
					want = res;
			}
			mica_sandbox_free(sb);
		}
	free(want);
	free(file);
	free(src);
	finish(&src_s);
	finish(&bc_s);
	finish(&compile_s);
	char title[96];
	snprintf(title, sizeof(title), "== start-up: source vs bytecode (%s backend)",
		 mica_backend_name(mica_runtime_backend(rt)));
	printf("\n%s\n\n  %-48s %7s  %10s  %10s  %10s\n", title, "", "runs", "median", "p90",
	       "p99");
	row(&src_s);
	row(&bc_s);
	row(&compile_s);
	ratio("source load / bytecode load", src_s.median / bc_s.median, "x", "-", -1);
	printf("  %-48s %zu bytes of source, %zu of .mbc\n", "sizes", src_len, file_len);
	samples_free(&src_s);
	samples_free(&bc_s);
	samples_free(&compile_s);
}

/* The bytecode rows on the default backend. */
static void bench_bytecode_default(void)
{
	mica_error err;
	mica_runtime *rt = mica_runtime_new(NULL, &err);
	if (!rt)
		die("mica_runtime_new: %s", err.message);
	bench_bytecode(rt);
	mica_runtime_free(rt);
}

/* ---- main ------------------------------------------------------------------ */

static int wanted(const char *name)
{
	const char *list = getenv("MICA_BENCH_BACKENDS");
	return !list || !*list || strstr(list, name);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int64_t start = now_ns();
	const char *only = getenv("MICA_BENCH_ONLY");
	if (only && !strcmp(only, "bytecode")) {
		bench_bytecode_default();
		return 0;
	}

	struct run kvm = {.backend = MICA_BACKEND_KVM, .name = "kvm"};
	struct run proc = {.backend = MICA_BACKEND_PROCESS, .name = "process"};
	struct kvm_floors kf = {.create = {.name = "bare VM create (raw ioctls)"},
				.destroy = {.name = "bare VM teardown (raw ioctls)"},
				.exit = {.name = "bare KVM exit round trip (KVM_RUN+out)"}};
	struct samples rtt = {.name = "eventfd round trip between two processes"};
	struct samples fork_only = {.name = "fork() of a sandbox-sized process"};
	struct samples fork_cycle = {.name = "   fork + _exit + waitpid"};
	char kvm_why[1024] = "";
	const char *path = getenv("MICA_KVM_DEVICE") ? getenv("MICA_KVM_DEVICE") : "/dev/kvm";

	int have_kvm = wanted("kvm") && floor_kvm(&kf, path, kvm_why, sizeof(kvm_why)) == 0;
	if (have_kvm) {
		finish(&kf.create);
		finish(&kf.destroy);
		finish(&kf.exit);
		kvm.rt_name = "bare KVM exit";
		kvm.rt_floor = kf.exit.median;
		kvm.create_name = "bare VM create";
		kvm.create_floor = kf.create.median;
		bench_backend(&kvm);
	} else {
		snprintf(kvm.why, sizeof(kvm.why), "%s",
			 wanted("kvm") ? kvm_why : "not in MICA_BENCH_BACKENDS");
	}
	mica_limits lim;
	mica_limits_default(&lim);
	if (wanted("process")) {
		floor_eventfd_rtt(&rtt, 50000);
		finish(&rtt);
		proc.rt_name = "eventfd round trip";
		proc.rt_floor = rtt.median;
		/* the fork floor needs a clone's size: measured in bench_backend,
		 * the floor right after, on the same machine */
		proc.create_name = "fork cycle";
		proc.create_floor = 1;
		bench_backend(&proc);
		if (proc.ok) {
			floor_fork(&fork_only, &fork_cycle, lim.memory_bytes, proc.clone_rss * 1024,
				   300);
			finish(&fork_only);
			finish(&fork_cycle);
			proc.create_floor = fork_cycle.median;
		}
	} else {
		snprintf(proc.why, sizeof(proc.why), "not in MICA_BENCH_BACKENDS");
	}

	printf("\nmica benchmark (times per operation, after warm-up)\n");
	printf("\n== floors, measured in this run\n\n  %-48s %7s  %10s  %10s  %10s\n", "", "runs",
	       "median", "p90", "p99");
	if (have_kvm) {
		row(&kf.create);
		row(&kf.destroy);
		row(&kf.exit);
	} else {
		printf("  %-48s %s\n", "KVM floors: not measured", kvm.why);
	}
	if (proc.ok) {
		row(&rtt);
		row(&fork_only);
		row(&fork_cycle);
		printf("  (the forked process: %zu MiB mapped, %zu KiB resident: a clone's)\n",
		       lim.memory_bytes >> 20, proc.clone_rss);
	}
	print_backend(&kvm, &kvm);
	print_backend(&proc, &kvm);

	if (kvm.ok && proc.ok) {
		printf("\n== side by side (medians)\n\n  %-48s %10s  %10s  %s\n", "", "kvm",
		       "process", "process / kvm");
		struct {
			const char *name;
			const struct samples *k, *p;
		} cmp[] = {{"sandbox create-to-ready", &kvm.sb_new, &proc.sb_new},
			   {"trivial call", &kvm.calls, &proc.calls},
			   {"fib(27)", &kvm.fib_mica, &proc.fib_mica},
			   {"restore-to-ready", &kvm.cl_new, &proc.cl_new},
			   {"reset + call", &kvm.rs_call, &proc.rs_call}};
		for (size_t i = 0; i < sizeof(cmp) / sizeof(cmp[0]); i++) {
			char a[32], b[32];
			printf("  %-48s %s  %s  %.2fx\n", cmp[i].name,
			       fmt_time(a, sizeof(a), cmp[i].k->median),
			       fmt_time(b, sizeof(b), cmp[i].p->median),
			       cmp[i].p->median / cmp[i].k->median);
		}
	}

	bench_bytecode_default();
	printf("\ntotal %.1f s\n", (double)(now_ns() - start) / 1e9);
	return 0;
}

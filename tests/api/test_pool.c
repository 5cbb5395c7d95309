/*
 * test_pool: the warm pool (include/mica.h, "warm pool"): sandboxes made
 * from one snapshot, handed out to any thread, reset between uses.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

#include "harness.h"
#include "mica.h"
#include "support.h"

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Each call reports what it found and leaves traces: a module counter, a
 * global and a prototype property. Fresh state answers [1,0,false]. */
static const char module[] = "let n = 0;\n"
			     "export function use() {\n"
			     "  const r = [++n, globalThis.seen | 0, 'dirty' in {}];\n"
			     "  globalThis.seen = (globalThis.seen | 0) + 1;\n"
			     "  Object.prototype.dirty = true;\n"
			     "  return r;\n"
			     "}\n"
			     "export function spin() { for (;;) {} }\n"
			     "export function hello() { console.log('hello'); return 1; }\n";
#define FRESH "[1,0,false]"

static int call(mica_sandbox *sb, const char *h, char **out, mica_error *err)
{
	size_t n;
	*out = NULL;
	memset(err, 0, sizeof(*err));
	return mica_sandbox_call(sb, h, "null", 4, out, &n, err);
}

#define CHECK_CALL(sb, h, want)                                                                    \
	do {                                                                                       \
		char *r_;                                                                          \
		mica_error e_;                                                                     \
		int rc_ = call(sb, h, &r_, &e_);                                                   \
		CHECK(rc_ == MICA_OK && r_ && !strcmp(r_, want),                                   \
		      "%s: rc %d (%s) result '%s', want '%s'", h, rc_, e_.message,                 \
		      r_ ? r_ : "(null)", want);                                                   \
		free(r_);                                                                          \
	} while (0)

/* A runtime and a snapshot of a sandbox that loaded `module`. */
struct fx {
	mica_runtime *rt;
	mica_snapshot *snap;
	mica_pool *pool;
	mica_error err;
};

static void fx_close(struct fx *f)
{
	mica_pool_free(f->pool);
	mica_snapshot_free(f->snap);
	mica_runtime_free(f->rt);
	memset(f, 0, sizeof(*f));
}

static int fx_open(struct fx *f, unsigned pool_size)
{
	memset(f, 0, sizeof(*f));
	f->rt = mica_runtime_new(harness_opts(), &f->err);
	CHECK(f->rt, "mica_runtime_new: %s", f->err.message);
	if (!f->rt)
		return -1;
	mica_sandbox *sb = mica_sandbox_new(f->rt, NULL, &f->err);
	CHECK(sb, "mica_sandbox_new: %s", f->err.message);
	if (!sb)
		goto fail;
	int rc = mica_sandbox_load(sb, "m.js", module, strlen(module), &f->err);
	CHECK(rc == MICA_OK, "load: %s", f->err.message);
	if (rc == MICA_OK) {
		f->snap = mica_snapshot_take(sb, &f->err);
		CHECK(f->snap, "mica_snapshot_take: %s", f->err.message);
	}
	mica_sandbox_free(sb);
	if (!f->snap)
		goto fail;
	if (pool_size) {
		f->pool = mica_pool_new(f->rt, f->snap, pool_size, &f->err);
		CHECK(f->pool, "mica_pool_new: %s", f->err.message);
		if (!f->pool)
			goto fail;
	}
	return 0;
fail:
	fx_close(f);
	return -1;
}

#define OPEN(f, size)                                                                              \
	do {                                                                                       \
		NEED_BACKEND();                                                                    \
		if (fx_open(f, size))                                                              \
			return;                                                                    \
	} while (0)

static mica_sandbox *acquire(struct fx *f, uint32_t timeout_ms)
{
	memset(&f->err, 0, sizeof(f->err));
	mica_sandbox *sb = mica_pool_acquire(f->pool, timeout_ms, &f->err);
	CHECK(sb, "mica_pool_acquire: %d %s", f->err.code, f->err.message);
	return sb;
}

/* ---- basics ------------------------------------------------------------------ */

TEST(pool_basic)
{
	struct fx f;
	OPEN(&f, 2);
	for (int i = 0; i < 10; i++) {
		mica_sandbox *sb = acquire(&f, 1000);
		if (!sb)
			break;
		CHECK_CALL(sb, "use", FRESH);
		mica_pool_release(f.pool, sb);
	}
	/* The pool holds its own reference: the caller's may go first. */
	mica_snapshot_free(f.snap);
	f.snap = NULL;
	mica_sandbox *sb = acquire(&f, 1000);
	if (sb) {
		CHECK_CALL(sb, "use", FRESH);
		CHECK_CALL(sb, "use", "[2,1,true]"); /* no reset within one use */
		mica_pool_release(f.pool, sb);
	}
	fx_close(&f);
}

TEST(pool_new_invalid)
{
	struct fx f;
	OPEN(&f, 0);
	mica_error e;
	memset(&e, 0, sizeof(e));
	mica_pool *p = mica_pool_new(f.rt, f.snap, 0, &e);
	CHECK(!p && e.code == MICA_ERR_INVALID, "size 0: %p %d", (void *)p, e.code);
	mica_pool_free(p);
	memset(&e, 0, sizeof(e));
	p = mica_pool_new(f.rt, NULL, 2, &e);
	CHECK(!p && e.code == MICA_ERR_INVALID, "no snapshot: %p %d", (void *)p, e.code);
	mica_pool_free(p);
	mica_pool_free(NULL);
	CHECK(mica_pool_acquire(NULL, 0, &e) == NULL && e.code == MICA_ERR_INVALID,
	      "acquire(NULL)");
	mica_pool_release(NULL, NULL);
	fx_close(&f);
}

static void host_noop(mica_hostcall *call, void *userdata)
{
	(void)call;
	(void)userdata;
}

/* A snapshot that uses host functions the pool's runtime lacks. */
TEST(pool_new_missing_host_function)
{
	NEED_BACKEND();
	mica_error e;
	mica_runtime *rt = mica_runtime_new(harness_opts(), &e),
		     *rt2 = mica_runtime_new(harness_opts(), &e);
	CHECK(rt && rt2, "mica_runtime_new: %s", e.message);
	mica_sandbox *sb = NULL;
	mica_snapshot *snap = NULL;
	if (!rt || !rt2)
		goto out;
	mica_runtime_register(rt, "h", "f", host_noop, NULL);
	sb = mica_sandbox_new(rt, NULL, &e);
	CHECK(sb, "%s", e.message);
	if (!sb)
		goto out;
	const char *src = "import { f } from 'host:h'; export const g = () => f();";
	CHECK(mica_sandbox_load(sb, "m.js", src, strlen(src), &e) == MICA_OK, "%s", e.message);
	snap = mica_snapshot_take(sb, &e);
	CHECK(snap, "%s", e.message);
	if (!snap)
		goto out;
	memset(&e, 0, sizeof(e));
	mica_pool *p = mica_pool_new(rt2, snap, 3, &e);
	CHECK(!p && e.code == MICA_ERR_INVALID && strstr(e.message, "h.f"), "pool: %p %d %s",
	      (void *)p, e.code, e.message);
	mica_pool_free(p);
out:
	mica_snapshot_free(snap);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
	mica_runtime_free(rt2);
}

/* ---- many threads -------------------------------------------------------------- */

#define NTHREADS 4
#define NCYCLES	 200

/* Who holds each sandbox: 0 or the holding thread's number + 1. */
static struct owner {
	mica_sandbox *sb;
	atomic_int holder;
} owners[64];
static pthread_mutex_t owners_lock = PTHREAD_MUTEX_INITIALIZER;
static int nowners;

static struct owner *owner_of(mica_sandbox *sb)
{
	pthread_mutex_lock(&owners_lock);
	struct owner *o = NULL;
	for (int i = 0; i < nowners && !o; i++)
		if (owners[i].sb == sb)
			o = &owners[i];
	if (!o && nowners < 64) {
		o = &owners[nowners++];
		o->sb = sb;
		atomic_store(&o->holder, 0);
	}
	pthread_mutex_unlock(&owners_lock);
	return o;
}

struct worker {
	mica_pool *pool;
	int id;
	int acquired, fresh, overlaps, other_failures;
	char first_bad[1200];
	int64_t us;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int64_t t0 = now_us();
	for (int i = 0; i < NCYCLES; i++) {
		mica_error e;
		mica_sandbox *sb = mica_pool_acquire(w->pool, 5000, &e);
		if (!sb) {
			w->other_failures++;
			if (!w->first_bad[0])
				snprintf(w->first_bad, sizeof(w->first_bad), "acquire: %s",
					 e.message);
			continue;
		}
		w->acquired++;
		struct owner *o = owner_of(sb);
		int expected = 0;
		if (!o || !atomic_compare_exchange_strong(&o->holder, &expected, w->id + 1))
			w->overlaps++;
		char *r;
		if (call(sb, "use", &r, &e) == MICA_OK && r && !strcmp(r, FRESH))
			w->fresh++;
		else if (!w->first_bad[0])
			snprintf(w->first_bad, sizeof(w->first_bad), "call: %s %s", r ? r : "",
				 e.message);
		free(r);
		expected = w->id + 1;
		if (o && !atomic_compare_exchange_strong(&o->holder, &expected, 0))
			w->overlaps++;
		mica_pool_release(w->pool, sb);
	}
	w->us = now_us() - t0;
	return NULL;
}

/* 4 threads, 200 acquire-call-release cycles each, on a pool of 4: every
 * call sees fresh state and no sandbox is held by two threads at once. */
TEST(pool_threads)
{
	struct fx f;
	OPEN(&f, NTHREADS);
	nowners = 0;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	int started = 0;
	int64_t t0 = now_us();
	for (int i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].pool = f.pool;
		w[i].id = i;
		if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0)
			break;
		started++;
	}
	CHECK(started == NTHREADS, "started %d threads", started);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	int64_t total = now_us() - t0;
	int cycles = 0;
	for (int i = 0; i < started; i++) {
		CHECK(w[i].acquired == NCYCLES, "thread %d acquired %d times (%s)", i,
		      w[i].acquired, w[i].first_bad);
		CHECK(w[i].fresh == w[i].acquired, "thread %d: %d of %d calls saw fresh state (%s)",
		      i, w[i].fresh, w[i].acquired, w[i].first_bad);
		CHECK(w[i].overlaps == 0, "thread %d: %d times a sandbox was held twice", i,
		      w[i].overlaps);
		cycles += w[i].acquired;
	}
	CHECK(nowners <= NTHREADS, "%d distinct sandboxes for a pool of %d", nowners, NTHREADS);
	printf("  %d cycles on %d threads: %.1f us per acquire+call+release, %.0f cycles/s\n",
	       cycles, started, cycles ? (double)total * started / cycles : 0.0,
	       total ? cycles * 1e6 / (double)total : 0.0);
	fx_close(&f);
}

/* One thread, acquire-call-release in a loop: the latency a caller sees. */
TEST(pool_cycle_timing)
{
	struct fx f;
	OPEN(&f, 2);
	enum { N = 300 };
	int64_t acq = 0, use = 0, rel = 0;
	for (int i = 0; i < N; i++) {
		int64_t t0 = now_us();
		mica_sandbox *sb = acquire(&f, 1000);
		int64_t t1 = now_us();
		if (!sb)
			break;
		CHECK_CALL(sb, "use", FRESH);
		int64_t t2 = now_us();
		mica_pool_release(f.pool, sb);
		int64_t t3 = now_us();
		acq += t1 - t0;
		use += t2 - t1;
		rel += t3 - t2;
	}
	printf("  acquire %.1f us, call %.1f us, release %.1f us (mean of %d)\n", (double)acq / N,
	       (double)use / N, (double)rel / N, N);
	fx_close(&f);
}

/* ---- waiting --------------------------------------------------------------------- */

TEST(pool_acquire_timeout)
{
	struct fx f;
	OPEN(&f, 2);
	mica_sandbox *a = acquire(&f, 0), *b = acquire(&f, 0);
	CHECK(a && b && a != b, "two distinct sandboxes");
	mica_error e;
	memset(&e, 0, sizeof(e));
	int64_t t0 = now_ms();
	mica_sandbox *c = mica_pool_acquire(f.pool, 0, &e);
	int64_t dt = now_ms() - t0;
	CHECK(!c && e.code == MICA_ERR_TIMEOUT && e.message[0],
	      "acquire(0) when all are out: %p %d", (void *)c, e.code);
	CHECK(dt < 50, "acquire(0) took %lld ms", (long long)dt);
	memset(&e, 0, sizeof(e));
	t0 = now_ms();
	c = mica_pool_acquire(f.pool, 200, &e);
	dt = now_ms() - t0;
	CHECK(!c && e.code == MICA_ERR_TIMEOUT, "acquire(200) when all are out: %p %d", (void *)c,
	      e.code);
	CHECK(dt >= 199 && dt < 1000, "acquire(200) gave up after %lld ms", (long long)dt);
	/* A released one is available again, even without waiting. */
	if (a)
		mica_pool_release(f.pool, a);
	c = acquire(&f, 0);
	if (c) {
		CHECK_CALL(c, "use", FRESH);
		mica_pool_release(f.pool, c);
	}
	if (b)
		mica_pool_release(f.pool, b);
	fx_close(&f);
}

struct waiter {
	struct fx *f;
	mica_sandbox *got;
	int64_t waited_ms;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	mica_error e;
	int64_t t0 = now_ms();
	w->got = mica_pool_acquire(w->f->pool, 5000, &e);
	w->waited_ms = now_ms() - t0;
	return NULL;
}

/* A waiting acquire wakes when another thread releases. */
TEST(pool_release_wakes_waiter)
{
	struct fx f;
	OPEN(&f, 1);
	mica_sandbox *sb = acquire(&f, 0);
	if (!sb) {
		fx_close(&f);
		return;
	}
	CHECK_CALL(sb, "use", FRESH);
	struct waiter w = {&f, NULL, 0};
	pthread_t th;
	if (pthread_create(&th, NULL, waiter_main, &w) != 0) {
		CHECK(0, "pthread_create");
		mica_pool_release(f.pool, sb);
		fx_close(&f);
		return;
	}
	sleep_ms(150);
	mica_pool_release(f.pool, sb);
	pthread_join(th, NULL);
	CHECK(w.got == sb, "the waiter got %p, want %p", (void *)w.got, (void *)sb);
	CHECK(w.waited_ms >= 140 && w.waited_ms < 2000, "waited %lld ms", (long long)w.waited_ms);
	if (w.got) {
		CHECK_CALL(w.got, "use", FRESH);
		mica_pool_release(f.pool, w.got);
	}
	fx_close(&f);
}

/* ---- dead sandboxes come back ------------------------------------------------------ */

TEST(pool_timed_out_sandbox_reused)
{
	struct fx f;
	OPEN(&f, 1);
	mica_sandbox *sb = acquire(&f, 0);
	if (sb) {
		mica_sandbox_set_timeout(sb, 100);
		char *r;
		mica_error e;
		int rc = call(sb, "spin", &r, &e);
		CHECK(rc == MICA_ERR_TIMEOUT, "spin: %d %s", rc, e.message);
		free(r);
		mica_pool_release(f.pool, sb);
		mica_sandbox *again = acquire(&f, 1000);
		CHECK(again == sb, "pool of 1 handed out %p, want the reset %p", (void *)again,
		      (void *)sb);
		if (again) {
			CHECK_CALL(again, "use", FRESH);
			CHECK_CALL(again, "use", "[2,1,true]");
			mica_pool_release(f.pool, again);
		}
	}
	fx_close(&f);
}

TEST(pool_interrupted_sandbox_reused)
{
	struct fx f;
	OPEN(&f, 1);
	mica_sandbox *sb = acquire(&f, 0);
	if (sb) {
		struct kicker k = {sb, 50};
		pthread_t th;
		if (thread_start(&th, kick_later, &k) == 0) {
			char *r;
			mica_error e;
			int rc = call(sb, "spin", &r, &e);
			CHECK(rc == MICA_ERR_INTERRUPTED, "spin: %d %s", rc, e.message);
			free(r);
			pthread_join(th, NULL);
		}
		mica_pool_release(f.pool, sb);
		sb = acquire(&f, 1000);
		if (sb) {
			CHECK_CALL(sb, "use", FRESH);
			mica_pool_release(f.pool, sb);
		}
	}
	fx_close(&f);
}

struct spinner {
	struct fx *f;
	int rc;
	int64_t ms;
	mica_sandbox *sb;
};

static void *spinner_main(void *arg)
{
	struct spinner *s = arg;
	mica_error e;
	s->sb = mica_pool_acquire(s->f->pool, 2000, &e);
	if (!s->sb) {
		s->rc = -1;
		return NULL;
	}
	mica_sandbox_set_timeout(s->sb, 200);
	char *r;
	int64_t t0 = now_ms();
	s->rc = call(s->sb, "spin", &r, &e);
	s->ms = now_ms() - t0;
	free(r);
	mica_pool_release(s->f->pool, s->sb);
	return NULL;
}

/* The sandbox is used on this thread, reset on the pool's thread, then runs
 * into its time limit on another: the limit's timer must follow it. */
TEST(pool_timeout_on_another_thread)
{
	struct fx f;
	OPEN(&f, 1);
	mica_sandbox *sb = acquire(&f, 0);
	if (sb) {
		CHECK_CALL(sb, "use", FRESH); /* arms a timer for this thread */
		mica_pool_release(f.pool, sb);
		sleep_ms(20); /* let the pool's thread do the reset */
		for (int i = 0; i < 2; i++) {
			struct spinner s = {&f, 0, 0, NULL};
			pthread_t th;
			if (pthread_create(&th, NULL, spinner_main, &s) != 0) {
				CHECK(0, "pthread_create");
				break;
			}
			pthread_join(th, NULL);
			CHECK(s.sb == sb, "got %p, want %p", (void *)s.sb, (void *)sb);
			CHECK(s.rc == MICA_ERR_TIMEOUT, "spin on thread %d: %d", i, s.rc);
			CHECK(s.ms >= 195 && s.ms < 3000, "timed out after %lld ms",
			      (long long)s.ms);
		}
		sb = acquire(&f, 1000);
		if (sb) {
			CHECK_CALL(sb, "use", FRESH);
			mica_pool_release(f.pool, sb);
		}
	}
	fx_close(&f);
}

/* A thread uses a sandbox and exits; later a new thread gets the same tid
 * (the kernel reuses them) and runs into the time limit. The limit's timer
 * must have been remade for the new thread: one made for the old one
 * signals nobody. */
struct tid_job {
	struct fx *f;
	pid_t want; /* run only on a thread with this tid */
	atomic_int matched;
	int rc;
	int64_t ms;
	_Atomic(mica_sandbox *) sb;
};

static void *tid_first(void *arg)
{
	struct tid_job *j = arg;
	mica_error e;
	mica_sandbox *sb = mica_pool_acquire(j->f->pool, 1000, &e);
	if (sb) {
		char *r;
		j->rc = call(sb, "use", &r, &e); /* arms a timer for this thread */
		free(r);
		mica_pool_release(j->f->pool, sb);
	}
	j->want = (pid_t)syscall(SYS_gettid);
	return NULL;
}

static void *tid_probe(void *arg)
{
	struct tid_job *j = arg;
	if ((pid_t)syscall(SYS_gettid) != j->want)
		return NULL;
	atomic_store(&j->matched, 1);
	mica_error e;
	mica_sandbox *sb = mica_pool_acquire(j->f->pool, 1000, &e);
	if (!sb) {
		j->rc = -1;
		return NULL;
	}
	atomic_store(&j->sb, sb);
	mica_sandbox_set_timeout(sb, 200);
	char *r;
	int64_t t0 = now_ms();
	j->rc = call(sb, "spin", &r, &e);
	j->ms = now_ms() - t0;
	free(r);
	mica_pool_release(j->f->pool, sb);
	return NULL;
}

TEST(pool_timeout_on_reused_tid)
{
	/* Tids come back once the kernel's counter wraps at pid_max: cheap to
	 * reach with the usual 32768, not with 4 M. */
	long pid_max = 0;
	FILE *pm = fopen("/proc/sys/kernel/pid_max", "r");
	if (pm) {
		if (fscanf(pm, "%ld", &pid_max) != 1)
			pid_max = 0;
		fclose(pm);
	}
	if (pid_max <= 0 || pid_max > 100000) {
		printf("  pid_max %ld: tids too slow to come back, not tested\n", pid_max);
		return;
	}
	struct fx f;
	OPEN(&f, 1);
	struct tid_job j;
	memset(&j, 0, sizeof(j));
	j.f = &f;
	pthread_t th;
	if (pthread_create(&th, NULL, tid_first, &j) != 0) {
		CHECK(0, "pthread_create");
		fx_close(&f);
		return;
	}
	pthread_join(th, NULL);
	CHECK(j.rc == MICA_OK, "first use: %d", j.rc);
	int64_t t0 = now_ms();
	int threads = 0;
	while (!atomic_load(&j.matched) && now_ms() - t0 < 5000) {
		if (pthread_create(&th, NULL, tid_probe, &j) != 0)
			break;
		threads++;
		/* Without a working timer the probe would spin forever: stop it. */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 3;
		if (pthread_timedjoin_np(th, NULL, &until) != 0) {
			mica_sandbox *sb = atomic_load(&j.sb);
			if (sb)
				mica_sandbox_interrupt(sb);
			pthread_join(th, NULL);
			CHECK(0, "the time limit did not fire on a thread that reused tid %d",
			      (int)j.want);
		}
	}
	if (j.matched) {
		CHECK(j.rc == MICA_ERR_TIMEOUT, "spin: %d", j.rc);
		CHECK(j.ms >= 195 && j.ms < 3000, "timed out after %lld ms", (long long)j.ms);
		printf("  tid %d came back after %d threads\n", (int)j.want, threads);
		fx_close(&f);
	} else {
		fx_close(&f);
		SKIP("tid %d did not come back within %d threads: the reused tid was not reached",
		     (int)j.want, threads);
	}
}

/* ---- hygiene ------------------------------------------------------------------------ */

static void count_console(void *userdata, int stream, const char *data, size_t len)
{
	(void)stream;
	(void)data;
	*(size_t *)userdata += len;
}

/* The pool drops the console callback of a released sandbox: the next user
 * never writes into the previous one's. */
TEST(pool_release_drops_console)
{
	struct fx f;
	OPEN(&f, 1);
	size_t bytes = 0;
	mica_sandbox *sb = acquire(&f, 0);
	if (sb) {
		mica_sandbox_set_console(sb, count_console, &bytes);
		CHECK_CALL(sb, "hello", "1");
		CHECK(bytes == 6, "%zu console bytes", bytes);
		mica_pool_release(f.pool, sb);
		sb = acquire(&f, 1000);
		if (sb) {
			CHECK_CALL(sb, "hello", "1");
			CHECK(bytes == 6, "the previous user's callback got output: %zu bytes",
			      bytes);
			mica_pool_release(f.pool, sb);
		}
	}
	fx_close(&f);
}

/* The pool drops the module root of a released sandbox at once: the next
 * user cannot import the previous one's files (it could). */
TEST(pool_release_drops_module_root)
{
	NEED_BACKEND();
	mica_error err;
	struct tenant t;
	if (tenant_open(&t)) {
		CHECK(0, "tenant dir: %s", strerror(errno));
		return;
	}
	mica_runtime *rt = mica_runtime_new(harness_opts(), &err);
	mica_sandbox *boot = rt ? mica_sandbox_new(rt, NULL, &err) : NULL;
	int rc = boot ? mica_sandbox_load(boot, "t.js", tenant_module, strlen(tenant_module), &err)
		      : MICA_ERR_SYSTEM;
	mica_snapshot *snap = rc == MICA_OK ? mica_snapshot_take(boot, &err) : NULL;
	mica_sandbox_free(boot);
	mica_pool *pool = snap ? mica_pool_new(rt, snap, 1, &err) : NULL;
	CHECK(pool, "pool: %s", err.message);
	mica_sandbox *sb = pool ? mica_pool_acquire(pool, 1000, &err) : NULL;
	if (sb) {
		CHECK(tenant_give(sb, &t) == MICA_OK, "set_modules");
		CHECK_CALL(sb, "imp", "\"the tenant's file\"");
		mica_pool_release(pool, sb);
		mica_sandbox *again = mica_pool_acquire(pool, 1000, &err);
		CHECK(again == sb, "a pool of one gave another sandbox");
		if (again) {
			char *r;
			rc = call(again, "imp", &r, &err);
			CHECK(rc != MICA_OK && strstr(err.message, "no module root was granted"),
			      "the next user: rc %d %s (%s)", rc, r ? r : "", err.message);
			free(r);
			CHECK(t.lines == 0, "console lines %d", t.lines);
			mica_pool_release(pool, again);
		}
	}
	mica_pool_free(pool);
	mica_snapshot_free(snap);
	mica_runtime_free(rt);
	tenant_close(&t);
}

/* Releasing something that is not out of this pool changes nothing. */
TEST(pool_release_foreign_ignored)
{
	struct fx f;
	OPEN(&f, 1);
	mica_error e;
	mica_sandbox *other = mica_sandbox_from_snapshot(f.rt, f.snap, &e);
	CHECK(other, "%s", e.message);
	mica_pool_release(f.pool, other); /* not the pool's */
	mica_sandbox *sb = acquire(&f, 0);
	if (sb) {
		mica_pool_release(f.pool, sb);
		mica_pool_release(f.pool, sb); /* twice */
		mica_sandbox *a = acquire(&f, 1000);
		memset(&e, 0, sizeof(e));
		mica_sandbox *b = mica_pool_acquire(f.pool, 0, &e);
		CHECK(a && !b && e.code == MICA_ERR_TIMEOUT, "a double release made two: %p %p",
		      (void *)a, (void *)b);
		if (a)
			mica_pool_release(f.pool, a);
	}
	if (other) {
		CHECK_CALL(other, "use", FRESH);
		mica_sandbox_free(other);
	}
	fx_close(&f);
}

/* mica_pool_free with a sandbox still out leaves that one to the caller,
 * who may go on using it and frees it with mica_sandbox_free. */
TEST(pool_free_with_sandbox_out)
{
	struct fx f;
	OPEN(&f, 3);
	mica_sandbox *sb = acquire(&f, 0), *dirty = acquire(&f, 0);
	if (dirty) {
		CHECK_CALL(dirty, "use", FRESH);
		mica_pool_release(f.pool, dirty); /* maybe mid-reset when the pool goes */
	}
	mica_pool_free(f.pool);
	f.pool = NULL;
	mica_snapshot_free(f.snap);
	f.snap = NULL;
	if (sb) {
		CHECK_CALL(sb, "use", FRESH);
		mica_error e;
		CHECK(mica_sandbox_reset(sb, &e) == MICA_OK, "reset: %s", e.message);
		CHECK_CALL(sb, "use", FRESH);
		mica_sandbox_free(sb);
	}
	fx_close(&f);
}

/* Pools come and go while their sandboxes are busy being reset. */
TEST(pool_free_churn)
{
	struct fx f;
	OPEN(&f, 0);
	for (int i = 0; i < 20; i++) {
		mica_error e;
		mica_pool *p = mica_pool_new(f.rt, f.snap, 2, &e);
		CHECK(p, "%s", e.message);
		if (!p)
			break;
		mica_sandbox *a = mica_pool_acquire(p, 1000, &e),
			     *b = mica_pool_acquire(p, 1000, &e);
		CHECK(a && b, "%s", e.message);
		if (a) {
			CHECK_CALL(a, "use", FRESH);
			mica_pool_release(p, a);
		}
		if (b) {
			CHECK_CALL(b, "use", FRESH);
			mica_pool_release(p, b);
		}
		mica_pool_free(p);
	}
	fx_close(&f);
}

int main(void)
{
	alarm(120); /* a hang (e.g. a lost wakeup) fails the suite */
	RUN(pool_basic);
	RUN(pool_new_invalid);
	RUN(pool_new_missing_host_function);
	RUN(pool_threads);
	RUN(pool_cycle_timing);
	RUN(pool_acquire_timeout);
	RUN(pool_release_wakes_waiter);
	RUN(pool_timed_out_sandbox_reused);
	RUN(pool_interrupted_sandbox_reused);
	RUN(pool_timeout_on_another_thread);
	RUN(pool_timeout_on_reused_tid);
	RUN(pool_release_drops_console);
	RUN(pool_release_drops_module_root);
	RUN(pool_release_foreign_ignored);
	RUN(pool_free_with_sandbox_out);
	RUN(pool_free_churn);
	return harness_report();
}

/*
 * test_async: the event loop of a request (setTimeout, setInterval), async
 * host functions completed from other threads, and deterministic mode.
 * Every test boots real micro-VMs.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <time.h>

#include "harness.h"
#include "mica.h"
#include "support.h"

static int64_t cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* Console output, stdout only, appended. */
struct out {
	char buf[16384];
	size_t len;
};

static void on_console(void *userdata, int stream, const char *data, size_t len)
{
	struct out *o = userdata;
	if (stream != 1)
		return;
	if (len > sizeof(o->buf) - 1 - o->len)
		len = sizeof(o->buf) - 1 - o->len;
	memcpy(o->buf + o->len, data, len);
	o->len += len;
	o->buf[o->len] = 0;
}

/* ---- async host functions used by the tests ------------------------------ */

/* Completes after 50 ms from its own thread, with its first argument * 2. */
static void *later_thread(void *arg)
{
	mica_async_call *call = arg;
	sleep_ms(50);
	size_t len;
	const char *a = mica_async_args(call, &len);
	int v = atoi(a + 1); /* "[21]" */
	char json[32];
	int n = snprintf(json, sizeof(json), "%d", v * 2);
	/* MICA_OK even when its request or its sandbox is gone: the call keeps
	 * the queue alive (the queue's canary catches it otherwise) */
	int rc = mica_async_complete(call, json, (size_t)n);
	CHECK(rc == MICA_OK, "a completion from another thread: %d", rc);
	return NULL;
}

static void later(mica_async_call *call, void *userdata)
{
	(void)userdata;
	pthread_t t;
	if (pthread_create(&t, NULL, later_thread, call) == 0)
		pthread_detach(t);
	else
		mica_async_fail(call, "no thread");
}

/* Fails at once, from the callback itself. */
static void refuse(mica_async_call *call, void *userdata)
{
	(void)userdata;
	mica_async_fail(call, "refused by the host");
}

/* Keeps the calls: the test completes them (or not) itself. */
#define MAX_KEPT 128
static mica_async_call *kept[MAX_KEPT];
static atomic_int nkept;

static void keep(mica_async_call *call, void *userdata)
{
	(void)userdata;
	int i = atomic_load(&nkept);
	if (i >= MAX_KEPT) {
		mica_async_fail(call, "too many");
		return;
	}
	kept[i] = call;
	atomic_store(&nkept, i + 1);
}

/* Waits for 100 kept calls, then completes them in a shuffled order, each
 * with its argument + 1000. */
static void *complete_shuffled(void *arg)
{
	(void)arg;
	while (atomic_load(&nkept) < 100)
		sleep_ms(1);
	sleep_ms(30); /* the guest waits meanwhile: its timers must go on */
	int order[100];
	for (int i = 0; i < 100; i++)
		order[i] = i;
	unsigned seed = 12345;
	for (int i = 99; i > 0; i--) {
		int j = (int)(rand_r(&seed) % (unsigned)(i + 1));
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int k = 0; k < 100; k++) {
		mica_async_call *c = kept[order[k]];
		size_t len;
		const char *a = mica_async_args(c, &len);
		char json[32];
		int n = snprintf(json, sizeof(json), "%d", atoi(a + 1) + 1000);
		mica_async_complete(c, json, (size_t)n);
		if (k % 10 == 0)
			sleep_ms(1);
	}
	return NULL;
}

/* A sync host function with a large answer: it overwrites the request
 * buffer, where a batch of async completions arrives. */
static void big_answer(mica_hostcall *call, void *userdata)
{
	(void)userdata;
	static char json[200002];
	memset(json, 'x', sizeof(json) - 1);
	json[0] = json[sizeof(json) - 2] = '"';
	mica_hostcall_return(call, json, sizeof(json) - 1);
}

/* Completes every second call together with the one before it, before the
 * guest next sleeps: the two arrive in one batch. */
static void pair(mica_async_call *call, void *userdata)
{
	(void)userdata;
	static mica_async_call *first;
	if (!first) {
		first = call;
		return;
	}
	mica_async_complete(first, "{\"v\":1}", 7);
	mica_async_complete(call, "{\"v\":2}", 7);
	first = NULL;
}

/* Completes at once with a 1 MiB result: the result waits in the host's
 * queue until the guest next sleeps. */
static void mib_now(mica_async_call *call, void *ud)
{
	(void)ud;
	static uint8_t mib[1 << 20];
	mica_async_complete_bytes(call, mib, sizeof(mib));
}

/* "reset": restarts this process's peak RSS (/proc/self/clear_refs) and
 * answers the current RSS; "read": the peak since. In KiB. */
static void rss_kb(mica_hostcall *call, void *ud)
{
	(void)ud;
	size_t len;
	const char *a = mica_hostcall_args(call, &len);
	int reset = len >= 7 && !strncmp(a, "[\"reset", 7);
	FILE *f = reset ? fopen("/proc/self/clear_refs", "w") : NULL;
	if (f) {
		fputs("5", f);
		fclose(f);
	}
	f = fopen("/proc/self/status", "r");
	char line[256], out[32] = "null";
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, reset ? "VmRSS:" : "VmHWM:", 6))
			snprintf(out, sizeof(out), "%ld", strtol(line + 6, NULL, 10));
	if (f)
		fclose(f);
	mica_hostcall_return(call, out, strlen(out));
}

static mica_runtime *runtime(void)
{
	mica_runtime *rt = test_runtime();
	if (!rt)
		return NULL;
	CHECK(mica_runtime_register_async(rt, "async", "later", later, NULL) == MICA_OK,
	      "register later");
	CHECK(mica_runtime_register_async(rt, "async", "refuse", refuse, NULL) == MICA_OK,
	      "register refuse");
	CHECK(mica_runtime_register_async(rt, "async", "keep", keep, NULL) == MICA_OK,
	      "register keep");
	CHECK(mica_runtime_register(rt, "sync", "big", big_answer, NULL) == MICA_OK,
	      "register big");
	CHECK(mica_runtime_register_async(rt, "async", "pair", pair, NULL) == MICA_OK,
	      "register pair");
	CHECK(mica_runtime_register_async(rt, "async", "mib", mib_now, NULL) == MICA_OK,
	      "register mib");
	CHECK(mica_runtime_register(rt, "sync", "rss", rss_kb, NULL) == MICA_OK, "register rss");
	CHECK(mica_runtime_register_async(rt, "async", "keep", keep, NULL) == MICA_ERR_INVALID,
	      "duplicate");
	CHECK(mica_runtime_register_async(rt, "async", "bad name", keep, NULL) == MICA_ERR_INVALID,
	      "bad name");
	return rt;
}

/* Evaluates code in a fresh sandbox; returns the code, output in o. */
static int eval_in(mica_runtime *rt, const mica_limits *lim, const char *code, struct out *o,
		   char **res, mica_error *err)
{
	mica_sandbox *sb = mica_sandbox_new(rt, lim, err);
	if (!sb)
		return err->code;
	mica_sandbox_set_console(sb, on_console, o);
	size_t len;
	int rc = mica_sandbox_eval(sb, "t.js", code, strlen(code), res, &len, err);
	mica_sandbox_free(sb);
	return rc;
}

/* ---- tests --------------------------------------------------------------- */

TEST(timers_order_and_args)
{
	NEED_BACKEND();
	mica_runtime *rt = runtime();
	if (!rt)
		return;
	struct out o = {0};
	mica_error err;
	char *res = NULL;
	int rc = eval_in(rt, NULL,
			 "setTimeout((a, b) => console.log('c', a, b), 30, 'x', 2);\n"
			 "setTimeout(() => console.log('b'), 10);\n"
			 "setTimeout(() => console.log('a1'), 0);\n"
			 "setTimeout(() => { console.log('a2'); Promise.resolve().then(() => "
			 "console.log('a2 micro')) }, 0);\n"
			 "setTimeout(() => console.log('a3'), -5);\n"
			 "Promise.resolve().then(() => console.log('micro'));\n"
			 "console.log('sync', typeof setTimeout(() => {}, 1));\n"
			 "'done'",
			 &o, &res, &err);
	CHECK(rc == MICA_OK, "eval: %d %s", rc, err.message);
	CHECK(res && !strcmp(res, "done"), "result %s", res ? res : "(null)");
	CHECK(!strcmp(o.buf, "sync number\nmicro\na1\na2\na2 micro\na3\nb\nc x 2\n"), "output:\n%s",
	      o.buf);
	free(res);

	o.len = 0;
	o.buf[0] = 0;
	rc = eval_in(rt, NULL, "setTimeout('code', 1)", &o, NULL, &err);
	CHECK(rc == MICA_ERR_JS && strstr(err.message, "TypeError") &&
		  strstr(err.message, "must be a function"),
	      "non-function: %d %s", rc, err.message);
	mica_runtime_free(rt);
}

TEST(clear_timeout_and_interval)
{
	NEED_BACKEND();
	mica_runtime *rt = runtime();
	if (!rt)
		return;
	struct out o = {0};
	mica_error err;
	int rc = eval_in(
	    rt, NULL,
	    "const t = setTimeout(() => console.log('never'), 5); clearTimeout(t);\n"
	    "clearTimeout(12345); clearTimeout('x'); clearInterval(undefined);\n"
	    "let n = 0; const i = setInterval(() => { console.log('tick', ++n); if (n === 3) "
	    "clearInterval(i) }, 2);\n"
	    "const j = setInterval(() => console.log('never either'), 1000); clearInterval(j);\n"
	    "const k = setTimeout(() => console.log('cleared by a timer'), 20);\n"
	    "setTimeout(() => clearTimeout(k), 1);\n",
	    &o, NULL, &err);
	CHECK(rc == MICA_OK, "eval: %d %s", rc, err.message);
	CHECK(!strcmp(o.buf, "tick 1\ntick 2\ntick 3\n"), "output:\n%s", o.buf);
	mica_runtime_free(rt);
}

TEST(request_rules)
{
	struct fixture f;
	FIXTURE_OPEN(&f, runtime(), NULL);
	mica_runtime *rt = f.rt;
	mica_sandbox *sb = f.sb;
	mica_error err;
	struct out o = {0};
	mica_sandbox_set_console(sb, on_console, &o);
	/* load waits for its timers; a call ends when its result settles and
	 * cancels the timers still pending */
	const char *src =
	    "setTimeout(() => console.log('load timer'), 5);\n"
	    "export function h() { setTimeout(() => console.log('cancelled'), 1); return 1 }\n"
	    "export async function w() { await new Promise(r => setTimeout(r, 5)); return 2 }\n"
	    "export function never() { return new Promise(() => {}) }\n";
	int rc = mica_sandbox_load(sb, "m.js", src, strlen(src), &err);
	CHECK(rc == MICA_OK, "load: %s", err.message);
	char *res = NULL;
	size_t len;
	rc = mica_sandbox_call(sb, "h", "null", 4, &res, &len, &err);
	CHECK(rc == MICA_OK && res && !strcmp(res, "1"), "h: %d %s", rc, err.message);
	free(res);
	rc = mica_sandbox_call(sb, "w", "null", 4, &res, &len, &err);
	CHECK(rc == MICA_OK && res && !strcmp(res, "2"), "w: %d %s", rc, err.message);
	free(res);
	rc = mica_sandbox_call(sb, "never", "null", 4, &res, &len, &err);
	CHECK(rc == MICA_ERR_JS && strstr(err.message, "promise never settled"), "never: %d %s", rc,
	      err.message);
	CHECK(!strcmp(o.buf, "load timer\n"), "output:\n%s", o.buf);
	/* a throwing timer fails its request */
	rc = mica_sandbox_eval(sb, "e.js", "setTimeout(() => { throw new Error('boom') }, 1)", 48,
			       &res, &len, &err);
	CHECK(rc == MICA_ERR_JS && strstr(err.message, "Error: boom"), "throwing timer: %d %s", rc,
	      err.message);
	free(res);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
}

TEST(sleep_takes_wall_time_not_cpu)
{
	struct fixture f;
	FIXTURE_OPEN(&f, runtime(), NULL);
	mica_runtime *rt = f.rt;
	mica_sandbox *sb = f.sb;
	mica_error err;
	const char *code =
	    "const t0 = Date.now(); new Promise(r => setTimeout(() => r(Date.now() - t0), 200))";
	int64_t t0 = now_ms(), c0 = cpu_ms();
	char *res = NULL;
	size_t len;
	int rc = mica_sandbox_eval(sb, "s.js", code, strlen(code), &res, &len, &err);
	int64_t wall = now_ms() - t0, cpu = cpu_ms() - c0;
	CHECK(rc == MICA_OK, "eval: %s", err.message);
	CHECK(wall >= 200, "took %lld ms", (long long)wall);
	CHECK(res && atoi(res) >= 200, "guest saw %s ms", res ? res : "?");
	CHECK(cpu < 60, "the sleep burnt %lld ms of CPU", (long long)cpu);
	free(res);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
}

struct interrupter {
	mica_sandbox *sb;
	unsigned after_ms;
};

static void *interrupt_later(void *arg)
{
	struct interrupter *i = arg;
	sleep_ms(i->after_ms);
	mica_sandbox_interrupt(i->sb);
	return NULL;
}

TEST(interrupt_during_sleep)
{
	struct fixture f;
	FIXTURE_OPEN(&f, runtime(), NULL);
	mica_runtime *rt = f.rt;
	mica_sandbox *sb = f.sb;
	mica_error err;
	struct interrupter in = {sb, 100};
	pthread_t t;
	if (thread_start(&t, interrupt_later, &in)) {
		mica_sandbox_free(sb);
		mica_runtime_free(rt);
		return;
	}
	const char *code = "new Promise(r => setTimeout(r, 5000))";
	int64_t t0 = now_ms();
	size_t len;
	char *res = NULL;
	int rc = mica_sandbox_eval(sb, "s.js", code, strlen(code), &res, &len, &err);
	int64_t wall = now_ms() - t0;
	pthread_join(t, NULL);
	CHECK(rc == MICA_ERR_INTERRUPTED, "eval: %d %s", rc, err.message);
	CHECK(wall >= 90 && wall < 1000, "took %lld ms", (long long)wall);
	free(res);

	/* the same while waiting for a host call that never completes */
	mica_sandbox *sb2 = mica_sandbox_new(rt, NULL, &err);
	CHECK(sb2, "sandbox: %s", err.message);
	if (sb2) {
		atomic_store(&nkept, 0);
		in.sb = sb2;
		int started = thread_start(&t, interrupt_later, &in) == 0;
		const char *src = "import { keep } from 'host:async'; await keep(1);";
		t0 = now_ms();
		rc = started ? mica_sandbox_load(sb2, "k.js", src, strlen(src), &err)
			     : MICA_ERR_SYSTEM;
		wall = now_ms() - t0;
		if (started)
			pthread_join(t, NULL);
		CHECK(rc == MICA_ERR_INTERRUPTED, "load: %d %s", rc, err.message);
		CHECK(wall < 1000, "took %lld ms", (long long)wall);
		mica_sandbox_free(sb2);
		/* the kept call outlives its sandbox: completing it is harmless */
		for (int i = 0; i < atomic_load(&nkept); i++)
			CHECK(mica_async_complete(kept[i], "1", 1) == MICA_OK, "late completion");
		atomic_store(&nkept, 0);
	}
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
}

TEST(timeout_during_sleep)
{
	struct fixture f;
	FIXTURE_OPEN(&f, runtime(), NULL);
	mica_runtime *rt = f.rt;
	mica_sandbox *sb = f.sb;
	mica_error err;
	/* the boot (slow when KVM is emulated) is not what is measured */
	mica_sandbox_set_timeout(sb, 200);
	const char *code = "setInterval(() => {}, 1000); new Promise(r => setTimeout(r, 5000))";
	char *res = NULL;
	size_t len;
	int64_t t0 = now_ms(), c0 = cpu_ms();
	int rc = mica_sandbox_eval(sb, "t.js", code, strlen(code), &res, &len, &err);
	int64_t wall = now_ms() - t0, cpu = cpu_ms() - c0;
	free(res);
	mica_sandbox_free(sb);
	CHECK(rc == MICA_ERR_TIMEOUT && strstr(err.message, "time limit"), "eval: %d %s", rc,
	      err.message);
	CHECK(wall >= 190 && wall < 1500, "took %lld ms", (long long)wall);
	CHECK(cpu < 150, "burnt %lld ms of CPU", (long long)cpu);
	mica_runtime_free(rt);
}

TEST(async_host_fn_from_thread)
{
	struct fixture f;
	FIXTURE_OPEN(&f, runtime(), NULL);
	mica_runtime *rt = f.rt;
	mica_sandbox *sb = f.sb;
	mica_error err;
	struct out o = {0};
	mica_sandbox_set_console(sb, on_console, &o);
	const char *src = "import { later, refuse } from 'host:async';\n"
			  "export async function h(e) {\n"
			  "  let ticks = 0; const i = setInterval(() => ticks++, 5);\n"
			  "  const p = later(e.x); console.log(p instanceof Promise);\n"
			  "  const v = await p; clearInterval(i);\n"
			  "  return { v, ticked: ticks > 0 };\n"
			  "}\n"
			  "export async function r() {\n"
			  "  try { await refuse(); return 'no' } catch (e) { return [e instanceof "
			  "Error, e.message] }\n"
			  "}\n"
			  "export function unhandled() { refuse(); return 1 }\n";
	int rc = mica_sandbox_load(sb, "a.js", src, strlen(src), &err);
	CHECK(rc == MICA_OK, "load: %s", err.message);
	char *res = NULL;
	size_t len;
	int64_t t0 = now_ms();
	rc = mica_sandbox_call(sb, "h", "{\"x\":21}", 8, &res, &len, &err);
	int64_t wall = now_ms() - t0;
	CHECK(rc == MICA_OK && res && !strcmp(res, "{\"v\":42,\"ticked\":true}"), "h: %d %s %s", rc,
	      err.message, res ? res : "");
	CHECK(wall >= 50, "took %lld ms", (long long)wall);
	CHECK(!strcmp(o.buf, "true\n"), "output %s", o.buf);
	free(res);
	rc = mica_sandbox_call(sb, "r", "null", 4, &res, &len, &err);
	CHECK(rc == MICA_OK && res && !strcmp(res, "[true,\"refused by the host\"]"), "r: %d %s %s",
	      rc, err.message, res ? res : "");
	free(res);
	/* the call ends before the failure arrives: it is dropped, not an error */
	rc = mica_sandbox_call(sb, "unhandled", "null", 4, &res, &len, &err);
	CHECK(rc == MICA_OK, "unhandled: %d %s", rc, err.message);
	free(res);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
}

TEST(hundred_in_flight)
{
	struct fixture f;
	FIXTURE_OPEN(&f, runtime(), NULL);
	mica_runtime *rt = f.rt;
	mica_sandbox *sb = f.sb;
	mica_error err;
	atomic_store(&nkept, 0);
	pthread_t t;
	if (thread_start(&t, complete_shuffled, NULL)) {
		mica_sandbox_free(sb);
		mica_runtime_free(rt);
		return;
	}
	const char *code = "import { keep } from 'host:async';\n"
			   "let ticks = 0; const i = setInterval(() => ticks++, 1);\n"
			   "const order = [];\n"
			   "const all = await Promise.all(Array.from({ length: 100 }, (_, k) =>\n"
			   "  keep(k).then(v => { order.push(k); return v })));\n"
			   "clearInterval(i);\n"
			   "globalThis.ok = all.every((v, k) => v === k + 1000);\n"
			   "globalThis.shuffled = order.some((k, j) => k !== j);\n"
			   "globalThis.ticks = ticks;\n";
	int rc = mica_sandbox_load(sb, "h.js", code, strlen(code), &err);
	pthread_join(t, NULL);
	CHECK(rc == MICA_OK, "load: %d %s", rc, err.message);
	char *res = NULL;
	size_t len;
	rc = mica_sandbox_eval(sb, "c.js", "[ok, shuffled].join()", 21, &res, &len, &err);
	CHECK(rc == MICA_OK && res && !strcmp(res, "true,true"), "result %s %s", res ? res : "",
	      err.message);
	free(res);
	res = NULL;
	/* 30 ms of waiting for the host, an interval of 1 ms: it ran meanwhile */
	rc = mica_sandbox_eval(sb, "t.js", "ticks", 5, &res, &len, &err);
	int ticks = rc == MICA_OK && res ? atoi(res) : -1;
	CHECK(ticks >= 5, "the interval ticked %d times while the calls were in flight", ticks);
	free(res);
	atomic_store(&nkept, 0);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
}

TEST(late_completions_are_harmless)
{
	struct fixture f;
	FIXTURE_OPEN(&f, runtime(), NULL);
	mica_runtime *rt = f.rt;
	mica_sandbox *sb = f.sb;
	mica_error err;
	atomic_store(&nkept, 0);
	const char *src = "import { keep } from 'host:async';\n"
			  "let got = 'none';\n"
			  "export function start() { keep(1).then(v => got = v, e => got = "
			  "e.message); return 1 }\n"
			  "export function read() { return got }\n";
	int rc = mica_sandbox_load(sb, "l.js", src, strlen(src), &err);
	CHECK(rc == MICA_OK, "load: %s", err.message);
	char *res = NULL;
	size_t len;
	rc = mica_sandbox_call(sb, "start", "null", 4, &res, &len, &err);
	CHECK(rc == MICA_OK, "start: %s", err.message);
	free(res);
	CHECK(atomic_load(&nkept) == 1, "kept %d", atomic_load(&nkept));
	/* after its request ended: dropped */
	CHECK(mica_async_complete(kept[0], "\"late\"", 6) == MICA_OK, "complete");
	rc = mica_sandbox_call(sb, "read", "null", 4, &res, &len, &err);
	CHECK(rc == MICA_OK && res && !strcmp(res, "\"none\""), "read: %s %s", res ? res : "",
	      err.message);
	free(res);
	/* after the sandbox was freed: dropped, from another thread too */
	atomic_store(&nkept, 0);
	rc = mica_sandbox_call(sb, "start", "null", 4, &res, &len, &err);
	free(res);
	rc |= mica_sandbox_call(sb, "start", "null", 4, &res, &len, &err);
	free(res);
	CHECK(rc == MICA_OK && atomic_load(&nkept) == 2, "two more kept: %d", atomic_load(&nkept));
	mica_sandbox_free(sb);
	CHECK(mica_async_fail(kept[0], "too late") == MICA_OK, "fail after free");
	pthread_t t;
	mica_async_call *c = kept[1];
	if (thread_start(&t, later_thread, c) == 0)
		pthread_join(t, NULL);
	else
		mica_async_fail(c, "no thread");
	atomic_store(&nkept, 0);
	mica_runtime_free(rt);
}

/* A completion that arrives after the request that started it is dropped,
 * wherever that request went: the sandbox was reset, it went back to a
 * pool, the call was in flight when the snapshot was taken, or the runtime
 * is gone. Nothing of it reaches the next request. */
TEST(late_completions_everywhere)
{
	NEED_BACKEND();
	mica_runtime *rt = runtime();
	if (!rt)
		return;
	mica_error err;
	const char *src =
	    "import { keep } from 'host:async';\n"
	    "export function start() { keep(1).then(v => { globalThis.got = v; }); return 1; }\n"
	    "export function read() { return globalThis.got ?? 'none'; }\n";
	mica_sandbox *boot = mica_sandbox_new(rt, NULL, &err);
	int rc = boot ? mica_sandbox_load(boot, "l.js", src, strlen(src), &err) : MICA_ERR_SYSTEM;
	CHECK(rc == MICA_OK, "load: %s", err.message);
	char *res = NULL;
	size_t len;
	atomic_store(&nkept, 0);
	/* in flight when the snapshot is taken */
	rc = boot ? mica_sandbox_call(boot, "start", "null", 4, &res, &len, &err) : rc;
	free(res);
	mica_snapshot *snap = rc == MICA_OK ? mica_snapshot_take(boot, &err) : NULL;
	CHECK(snap, "snapshot: %s", err.message);
	mica_sandbox *a = snap ? mica_sandbox_from_snapshot(rt, snap, &err) : NULL;
	mica_pool *pool = snap ? mica_pool_new(rt, snap, 1, &err) : NULL;
	CHECK(a && pool, "clone and pool: %s", err.message);
	if (a && pool) {
		/* started in a clone that is then reset */
		mica_sandbox_call(a, "start", "null", 4, &res, &len, &err);
		free(res);
		CHECK(mica_sandbox_reset(a, &err) == MICA_OK, "reset: %s", err.message);
		/* started in a pooled sandbox that goes back */
		mica_sandbox *p = mica_pool_acquire(pool, 1000, &err);
		if (p) {
			mica_sandbox_call(p, "start", "null", 4, &res, &len, &err);
			free(res);
			mica_pool_release(pool, p);
		}
		CHECK(atomic_load(&nkept) == 3, "kept %d calls", atomic_load(&nkept));
		for (int i = 0; i < atomic_load(&nkept); i++)
			CHECK(mica_async_complete(kept[i], "\"late\"", 6) == MICA_OK, "complete %d",
			      i);
		mica_sandbox *q = mica_pool_acquire(pool, 1000, &err);
		mica_sandbox *sbs[3] = {a, boot, q};
		for (int i = 0; i < 3; i++) {
			res = NULL;
			rc = sbs[i] ? mica_sandbox_call(sbs[i], "read", "null", 4, &res, &len, &err)
				    : -1;
			CHECK(rc == MICA_OK && res && !strcmp(res, "\"none\""),
			      "sandbox %d read %s %s", i, res ? res : "", err.message);
			free(res);
		}
		if (q)
			mica_pool_release(pool, q);
	}
	/* and one more, still in flight when everything is freed */
	atomic_store(&nkept, 0);
	if (a) {
		mica_sandbox_call(a, "start", "null", 4, &res, &len, &err);
		free(res);
	}
	mica_pool_free(pool);
	mica_sandbox_free(a);
	mica_sandbox_free(boot);
	mica_snapshot_free(snap);
	mica_runtime_free(rt);
	CHECK(atomic_load(&nkept) == 1, "kept %d", atomic_load(&nkept));
	if (atomic_load(&nkept) == 1)
		CHECK(mica_async_complete(kept[0], "1", 1) == MICA_OK, "after mica_runtime_free");
	atomic_store(&nkept, 0);
}

/* Untrusted JS decides how much the host holds for calls in flight: the
 * host bounds it (64 MiB of arguments, 4096 calls) and rejects the rest. */
TEST(held_arguments_are_bounded)
{
	NEED_BACKEND();
	mica_runtime *rt = runtime();
	if (!rt)
		return;
	mica_error err;
	char *res = NULL;
	size_t len;
	atomic_store(&nkept, 0);
	mica_limits lim;
	mica_limits_default(&lim);
	lim.memory_bytes = 256u << 20;
	mica_sandbox *sb = mica_sandbox_new(rt, &lim, &err);
	CHECK(sb, "sandbox: %s", err.message);
	const char *src =
	    "import { keep } from 'host:async';\n"
	    "export function start() {\n"
	    "  const r = [];\n"
	    "  for (let i = 0; i < 10; i++)\n"
	    "    r.push(keep(new Uint8Array(8 << 20)).catch(e => i + ': ' + e.message));\n"
	    "  return Promise.all(r.slice(8));\n"
	    "}\n";
	int rc = sb ? mica_sandbox_load(sb, "h.js", src, strlen(src), &err) : MICA_ERR_SYSTEM;
	if (rc == MICA_OK)
		rc = mica_sandbox_call(sb, "start", "null", 4, &res, &len, &err);
	CHECK(rc == MICA_OK && res && strstr(res, "8: too many async host calls in flight") &&
		  strstr(res, "9: too many"),
	      "rc %d: %s %s", rc, res ? res : "", err.message);
	CHECK(atomic_load(&nkept) == 8, "held %d", atomic_load(&nkept));
	free(res);
	mica_sandbox_free(sb);
	for (int i = 0; i < atomic_load(&nkept); i++)
		mica_async_fail(kept[i], "done");
	atomic_store(&nkept, 0);
	mica_runtime_free(rt);
}

/* A call past the budget is refused before the host copies its
 * arguments: 32 MiB of them do not raise the host's peak memory (they did,
 * copied and then refused). */
TEST(refused_calls_copy_nothing)
{
	NEED_BACKEND();
	mica_runtime *rt = runtime();
	if (!rt)
		return;
	mica_error err;
	char *res = NULL;
	size_t len;
	atomic_store(&nkept, 0);
	mica_limits lim;
	mica_limits_default(&lim);
	lim.memory_bytes = 256u << 20;
	mica_sandbox *sb = mica_sandbox_new(rt, &lim, &err);
	CHECK(sb, "sandbox: %s", err.message);
	const char *src =
	    "import { keep } from 'host:async';\n"
	    "import { rss } from 'host:sync';\n"
	    "export function start() {\n"
	    "  const big = new Uint8Array(32 << 20).fill(1);\n"
	    "  for (let i = 0; i < 8; i++) keep(new Uint8Array(8 << 20)).catch(() => 0);\n"
	    "  const base = rss('reset');\n"
	    "  const p = keep(big).catch(e => e.message);\n"
	    "  const peak = rss('read');\n"
	    "  return p.then(why => [peak - base, why]);\n"
	    "}\n";
	int rc = sb ? mica_sandbox_load(sb, "h.js", src, strlen(src), &err) : MICA_ERR_SYSTEM;
	if (rc == MICA_OK)
		rc = mica_sandbox_call(sb, "start", "null", 4, &res, &len, &err);
	long grew = -1;
	CHECK(rc == MICA_OK && res && sscanf(res, "[%ld,", &grew) == 1, "rc %d: %s %s", rc,
	      res ? res : "", err.message);
	CHECK(res && strstr(res, "too many async host calls"), "not refused: %s", res ? res : "");
	CHECK(grew >= 0 && grew < 8192, "the host's peak grew by %ld KiB for a refused call", grew);
	free(res);
	mica_sandbox_free(sb);
	for (int i = 0; i < atomic_load(&nkept); i++)
		mica_async_fail(kept[i], "done");
	atomic_store(&nkept, 0);
	mica_runtime_free(rt);
}

/* Results that completed but wait for the guest count against the budget
 * too: a guest that starts calls and never sleeps cannot make the host
 * queue 100 MiB of them (it got all 100 before: the budget was released
 * when a call finished, not when its result was delivered). */
TEST(queued_results_are_bounded)
{
	NEED_BACKEND();
	mica_runtime *rt = runtime();
	if (!rt)
		return;
	mica_error err;
	char *res = NULL;
	size_t len;
	mica_limits lim;
	mica_limits_default(&lim);
	lim.memory_bytes = 256u << 20;
	mica_sandbox *sb = mica_sandbox_new(rt, &lim, &err);
	CHECK(sb, "sandbox: %s", err.message);
	const char *src =
	    "import { mib } from 'host:async';\n"
	    "export async function start() {\n"
	    "  const r = [];\n"
	    "  for (let i = 0; i < 100; i++) r.push(mib().then(b => b.length));\n"
	    "  const s = await Promise.allSettled(r);\n"
	    "  const ok = s.filter(x => x.status === 'fulfilled' && x.value === 1 << 20).length;\n"
	    "  const why = s.find(x => x.status === 'rejected');\n"
	    "  return [ok, why ? why.reason.message : ''];\n"
	    "}\n";
	int rc = sb ? mica_sandbox_load(sb, "h.js", src, strlen(src), &err) : MICA_ERR_SYSTEM;
	if (rc == MICA_OK)
		rc = mica_sandbox_call(sb, "start", "null", 4, &res, &len, &err);
	int ok = -1;
	CHECK(rc == MICA_OK && res && sscanf(res, "[%d,", &ok) == 1, "rc %d: %s %s", rc,
	      res ? res : "", err.message);
	CHECK(ok >= 50 && ok <= 64, "%d of 100 results of 1 MiB were queued, want at most 64", ok);
	/* refused at the start, or completed with an error: the budget says why */
	CHECK(res && strstr(res, "64 MiB"), "why: %s", res ? res : "");
	free(res);
	/* and the next request may use the whole budget again */
	res = NULL;
	rc = sb ? mica_sandbox_call(sb, "start", "null", 4, &res, &len, &err) : MICA_ERR_SYSTEM;
	int again = -1;
	CHECK(rc == MICA_OK && res && sscanf(res, "[%d,", &again) == 1 && again == ok,
	      "again: %s %s", res ? res : "", err.message);
	free(res);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
}

/* Resolving with an object reads its `then`; a getter there may make a sync
 * host call, which overwrites the request buffer: the rest of the batch
 * must survive it. */
TEST(then_getter_during_a_batch)
{
	NEED_BACKEND();
	mica_runtime *rt = runtime();
	if (!rt)
		return;
	mica_error err;
	char *res = NULL;
	size_t len;
	atomic_store(&nkept, 0);
	mica_sandbox *sb = mica_sandbox_new(rt, NULL, &err);
	CHECK(sb, "sandbox: %s", err.message);
	const char *src =
	    "import { pair } from 'host:async';\n"
	    "import { big } from 'host:sync';\n"
	    "let n = 0;\n"
	    "Object.defineProperty(Object.prototype, 'then', { get() { n += big().length; },\n"
	    "  configurable: true });\n"
	    "export async function start() {\n"
	    "  const r = await Promise.all([pair(1), pair(2)]);\n"
	    "  delete Object.prototype.then;\n"
	    "  return [r[0].v, r[1].v, n > 0];\n"
	    "}\n";
	int rc = sb ? mica_sandbox_load(sb, "t.js", src, strlen(src), &err) : MICA_ERR_SYSTEM;
	if (rc == MICA_OK)
		rc = mica_sandbox_call(sb, "start", "null", 4, &res, &len, &err);
	CHECK(rc == MICA_OK && res && !strcmp(res, "[1,2,true]"), "rc %d: %s %s", rc,
	      res ? res : "", err.message);
	free(res);
	mica_sandbox_free(sb);
	atomic_store(&nkept, 0);
	mica_runtime_free(rt);
}

TEST(deterministic_replay)
{
	NEED_BACKEND();
	mica_runtime *rt = runtime();
	if (!rt)
		return;
	mica_limits lim;
	mica_limits_default(&lim);
	lim.deterministic = 1;
	const char *code =
	    "const t0 = Date.now();\n"
	    "console.log(t0, new Date(t0).toISOString(), Math.random());\n"
	    "setTimeout(() => console.log('b', Date.now() - t0, Math.random()), 3000);\n"
	    "let n = 0; const i = setInterval(() => { console.log('i', Date.now() - t0); if (++n "
	    "=== 3) clearInterval(i) }, 1000);\n"
	    "setTimeout(() => console.log('a', performance.now() >= 0), 10);\n"
	    "new Promise(r => setTimeout(() => r(Math.random()), 60000))\n";
	struct out o1 = {0}, o2 = {0};
	char *r1 = NULL, *r2 = NULL;
	mica_error err;
	int64_t t0 = now_ms();
	int rc1 = eval_in(rt, &lim, code, &o1, &r1, &err);
	int rc2 = eval_in(rt, &lim, code, &o2, &r2, &err);
	int64_t wall = now_ms() - t0;
	CHECK(rc1 == MICA_OK && rc2 == MICA_OK, "evals: %d %d %s", rc1, rc2, err.message);
	CHECK(wall < 2000, "virtual time slept for real: %lld ms", (long long)wall);
	CHECK(!strcmp(o1.buf, o2.buf), "outputs differ:\n%s\n---\n%s", o1.buf, o2.buf);
	CHECK(r1 && r2 && !strcmp(r1, r2), "results differ: %s %s", r1 ? r1 : "", r2 ? r2 : "");
	CHECK(strstr(o1.buf, "2024-01-01T00:00:00.000Z") && strstr(o1.buf, "\ni 1000\ni 2000\n") &&
		  strstr(o1.buf, "\nb 3000 "),
	      "output:\n%s", o1.buf);
	free(r1);
	free(r2);
	/* and not deterministic by default */
	struct out o3 = {0}, o4 = {0};
	eval_in(rt, NULL, "Math.random()", &o3, &r1, &err);
	eval_in(rt, NULL, "Math.random()", &o4, &r2, &err);
	CHECK(r1 && r2 && strcmp(r1, r2), "random repeats: %s %s", r1 ? r1 : "", r2 ? r2 : "");
	free(r1);
	free(r2);
	mica_runtime_free(rt);
}

int main(void)
{
	RUN(timers_order_and_args);
	RUN(clear_timeout_and_interval);
	RUN(request_rules);
	RUN(sleep_takes_wall_time_not_cpu);
	RUN(interrupt_during_sleep);
	RUN(timeout_during_sleep);
	RUN(async_host_fn_from_thread);
	RUN(hundred_in_flight);
	RUN(late_completions_are_harmless);
	RUN(late_completions_everywhere);
	RUN(held_arguments_are_bounded);
	RUN(queued_results_are_bounded);
	RUN(refused_calls_copy_nothing);
	RUN(then_getter_during_a_batch);
	RUN(deterministic_replay);
	return harness_report();
}

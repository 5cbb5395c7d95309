/*
 * The event loop of a request: timers (setTimeout, setInterval), async host
 * calls in flight, and the deterministic mode's virtual clock.
 *
 * main.c's settle() runs microtasks, then one turn of mica_loop_step() (the
 * earliest due timer, or the completions of host calls, or a sleep in the
 * host until one of those is due), then microtasks again, and so on. What
 * is still pending when a request ends is cancelled (mica_loop_reset).
 */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define MAX_TIMERS   100000
#define MAX_INFLIGHT 100000
#define POLL_EVERY   16 /* timers fired between polls for completions */

struct timer {
	int32_t id;
	int64_t when;	  /* due, in loop_now() nanoseconds */
	int64_t interval; /* ns, or -1 for a timeout */
	uint64_t seq;	  /* equal due times fire in the order they were set */
	JSValue fn;
	int argc;
	JSValue *argv;
};

struct inflight {
	uint64_t id;
	JSValue resolve, reject;
};

static struct timer *timers; /* sorted by (when, seq) */
static int ntimers, cap_timers;
static int32_t last_id;
static uint64_t next_seq;
static int32_t firing_id; /* the timer whose callback runs, 0 if none */
static int firing_cleared;

static struct inflight *calls;
static int ncalls, cap_calls;
static uint64_t last_call;
static int fired_since_poll;
static int poll_now; /* the host said more completions are queued */

/* ---- clock --------------------------------------------------------------- */

#define VCLOCK_EPOCH 1704067200000000000ll /* 2024-01-01T00:00:00Z */
#define VCLOCK_STEP  1000		   /* ns per read */
static int64_t vclock = VCLOCK_EPOCH;

static int deterministic(void)
{
	return (MICA_INFO->flags & MICA_BOOT_DETERMINISTIC) != 0;
}

int64_t mica_vclock_tick(void)
{
	vclock += VCLOCK_STEP;
	return vclock;
}

static int64_t loop_now(void)
{
	return deterministic() ? vclock : mica_clock_wall_ns();
}

/* ---- timers -------------------------------------------------------------- */

static void timer_free(struct timer *t)
{
	JS_FreeValue(ctx, t->fn);
	for (int i = 0; i < t->argc; i++)
		JS_FreeValue(ctx, t->argv[i]);
	free(t->argv);
}

static int timer_insert(const struct timer *t)
{
	if (ntimers == cap_timers) {
		int n = cap_timers ? cap_timers * 2 : 16;
		struct timer *p = realloc(timers, (size_t)n * sizeof(*p));
		if (!p)
			return -1;
		timers = p;
		cap_timers = n;
	}
	int i = ntimers;
	while (i > 0 && (timers[i - 1].when > t->when ||
			 (timers[i - 1].when == t->when && timers[i - 1].seq > t->seq)))
		i--;
	memmove(&timers[i + 1], &timers[i], (size_t)(ntimers - i) * sizeof(*timers));
	timers[i] = *t;
	ntimers++;
	return 0;
}

/* setTimeout(fn, ms, ...args) and setInterval (magic 1). */
static JSValue js_set_timer(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv,
			    int repeat)
{
	(void)this_val;
	const char *what = repeat ? "setInterval" : "setTimeout";
	if (argc < 1 || !JS_IsFunction(c, argv[0]))
		return JS_ThrowTypeError(c, "%s: the callback must be a function", what);
	double ms = 0;
	if (argc >= 2 && JS_ToFloat64(c, &ms, argv[1]) < 0)
		return JS_EXCEPTION;
	if (!(ms >= 0)) /* negative and NaN */
		ms = 0;
	if (ms > 2147483647.0)
		ms = 2147483647.0;
	if (ntimers >= MAX_TIMERS)
		return JS_ThrowRangeError(c, "%s: too many timers (%d pending)", what, ntimers);
	struct timer t = {.interval = -1, .seq = next_seq++, .fn = JS_DupValue(c, argv[0])};
	int64_t delay = (int64_t)ms * 1000000;
	t.when = loop_now() + delay;
	if (repeat)
		t.interval = delay;
	if (argc > 2) {
		t.argc = argc - 2;
		t.argv = malloc((size_t)t.argc * sizeof(JSValue));
		if (!t.argv) {
			JS_FreeValue(c, t.fn);
			return JS_ThrowOutOfMemory(c);
		}
		for (int i = 0; i < t.argc; i++)
			t.argv[i] = JS_DupValue(c, argv[i + 2]);
	}
	last_id = last_id == INT32_MAX ? 1 : last_id + 1;
	t.id = last_id;
	if (timer_insert(&t) < 0) {
		timer_free(&t);
		return JS_ThrowOutOfMemory(c);
	}
	return JS_NewInt32(c, t.id);
}

/* clearTimeout(id) and clearInterval(id): unknown ids do nothing. */
static JSValue js_clear_timer(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val;
	if (argc < 1 || !JS_IsNumber(argv[0]))
		return JS_UNDEFINED;
	double d;
	if (JS_ToFloat64(c, &d, argv[0]) < 0)
		return JS_EXCEPTION;
	if (!(d >= 1 && d <= INT32_MAX))
		return JS_UNDEFINED;
	int32_t id = (int32_t)d;
	if ((double)id != d)
		return JS_UNDEFINED;
	if (id == firing_id)
		firing_cleared = 1;
	for (int i = 0; i < ntimers; i++) {
		if (timers[i].id != id)
			continue;
		struct timer t = timers[i];
		memmove(&timers[i], &timers[i + 1], (size_t)(ntimers - i - 1) * sizeof(*timers));
		ntimers--;
		timer_free(&t);
		break;
	}
	return JS_UNDEFINED;
}

/* Runs the first timer. -1 with the exception pending if its callback threw. */
static int fire_first(void)
{
	struct timer t = timers[0];
	memmove(&timers[0], &timers[1], (size_t)(ntimers - 1) * sizeof(*timers));
	ntimers--;
	firing_id = t.id;
	firing_cleared = 0;
	fired_since_poll++;
	JSValue global = JS_GetGlobalObject(ctx);
	JSValue r = JS_Call(ctx, t.fn, global, t.argc, t.argv);
	JS_FreeValue(ctx, global);
	firing_id = 0;
	int failed = JS_IsException(r);
	JS_FreeValue(ctx, r);
	if (t.interval >= 0 && !firing_cleared && !failed) {
		t.when = loop_now() + t.interval;
		t.seq = next_seq++;
		if (timer_insert(&t) == 0)
			return 0;
	}
	timer_free(&t);
	return failed ? -1 : 0;
}

/* ---- async host calls ---------------------------------------------------- */

static void settle_call(const struct mica_completion *h, const char *data);

JSValue mica_async_start(JSContext *c, int fn, const char *args, size_t len, uint32_t args_kind)
{
	if (ncalls >= MAX_INFLIGHT)
		return JS_ThrowRangeError(c, "too many host calls in flight (%d)", ncalls);
	if (ncalls == cap_calls) {
		int n = cap_calls ? cap_calls * 2 : 16;
		struct inflight *p = realloc(calls, (size_t)n * sizeof(*p));
		if (!p)
			return JS_ThrowOutOfMemory(c);
		calls = p;
		cap_calls = n;
	}
	JSValue funcs[2];
	JSValue promise = JS_NewPromiseCapability(c, funcs);
	if (JS_IsException(promise))
		return promise;
	struct inflight *f = &calls[ncalls++];
	f->id = ++last_call;
	f->resolve = funcs[0];
	f->reject = funcs[1];
	struct mica_hc_async hc = {.fn = (uint32_t)fn,
				   .args_kind = args_kind,
				   .id = f->id,
				   .args = (uint64_t)(uintptr_t)args,
				   .args_len = len};
	mica_console_flush(); /* keep output ordered around the host's side effects */
	mica_hypercall(MICA_HC_ASYNC, &hc, sizeof(hc));
	if (hc.refused) { /* the host holds too much for this sandbox already */
		static const char why[] =
		    "too many async host calls in flight (at most 4096 started "
		    "and not yet delivered, with 64 MiB of arguments and results)";
		struct mica_completion h = {
		    .id = f->id, .kind = MICA_COMPLETION_ERROR, .len = sizeof(why) - 1};
		settle_call(&h, why);
	}
	return promise;
}

static void settle_call(const struct mica_completion *h, const char *data)
{
	int i = 0;
	while (i < ncalls && calls[i].id != h->id)
		i++;
	if (i == ncalls)
		return; /* not ours (the host only echoes ids): ignore */
	struct inflight f = calls[i];
	calls[i] = calls[--ncalls];
	JSValue v, fn = f.resolve;
	if (h->kind == MICA_COMPLETION_ERROR) {
		JSValue msg = JS_NewStringLen(ctx, data, h->len);
		v = JS_CallConstructor(ctx, error_ctor, 1, &msg);
		JS_FreeValue(ctx, msg);
		fn = f.reject;
	} else if (h->kind == MICA_COMPLETION_BYTES) {
		v = mica_new_bytes(ctx, data, h->len); /* one copy: the buffer is reused */
	} else if (h->len == 0) {
		v = JS_UNDEFINED;
	} else {
		v = JS_ParseJSON(ctx, data, h->len, "<host function result>");
	}
	if (JS_IsException(v)) { /* reject with what went wrong instead */
		v = JS_GetException(ctx);
		fn = f.reject;
	}
	JSValue r = JS_Call(ctx, fn, JS_UNDEFINED, 1, &v);
	JS_FreeValue(ctx, r);
	JS_FreeValue(ctx, v);
	JS_FreeValue(ctx, f.resolve);
	JS_FreeValue(ctx, f.reject);
}

/* One MICA_HC_SLEEP: waits up to timeout_ns (UINT64_MAX: no limit) for a
 * completion, then settles the promises of what completed. */
static void sleep_for(uint64_t timeout_ns)
{
	struct mica_hc_sleep hc = {.timeout_ns = timeout_ns};
	mica_console_flush();
	mica_hypercall(MICA_HC_SLEEP, &hc, sizeof(hc));
	fired_since_poll = 0;
	poll_now = hc.more != 0;
	/* Settling runs JS (a `then` getter may make a host call, which reuses
	 * the request buffer), so take the batch out of it first. */
	size_t len = hc.len < MICA_IN_SIZE ? hc.len : 0;
	char *batch = malloc(len ? len : 1);
	if (!batch)
		return; /* the calls stay in flight; the time limit ends the request */
	memcpy(batch, (const char *)MICA_GPA_IN, len);
	const char *p = batch, *end = batch + len;
	for (uint32_t i = 0; i < hc.count; i++) {
		struct mica_completion h;
		if ((size_t)(end - p) < sizeof(h))
			break;
		memcpy(&h, p, sizeof(h));
		p += sizeof(h);
		if (h.len >= (size_t)(end - p))
			break;
		settle_call(&h, p);
		p += (h.len + 8u) & ~7u; /* NUL-terminated, padded to 8 */
		if (p > end)
			break;
	}
	free(batch);
}

/* ---- the loop ------------------------------------------------------------ */

int mica_loop_pending(void)
{
	return ntimers > 0 || ncalls > 0;
}

int mica_loop_step(void)
{
	if (ncalls && (poll_now || fired_since_poll >= POLL_EVERY)) {
		sleep_for(0);
		return 0;
	}
	int64_t now = loop_now();
	if (ntimers && timers[0].when <= now)
		return fire_first();
	if (deterministic() && ntimers && !ncalls) {
		/* virtual time jumps to the next timer: no real waiting */
		vclock = timers[0].when;
		return fire_first();
	}
	if (!ncalls && !ntimers)
		return 0;
	/* In deterministic mode host calls complete before time moves on. */
	uint64_t timeout =
	    ntimers && !deterministic() ? (uint64_t)(timers[0].when - now) : UINT64_MAX;
	mica_dispatch_idle(); /* the guest waits for the host now */
	sleep_for(timeout);
	return 0;
}

void mica_loop_reset(void)
{
	while (ntimers > 0)
		timer_free(&timers[--ntimers]);
	while (ncalls > 0) {
		ncalls--;
		JS_FreeValue(ctx, calls[ncalls].resolve);
		JS_FreeValue(ctx, calls[ncalls].reject);
	}
	firing_id = 0;
	poll_now = 0;
	fired_since_poll = 0;
}

void mica_timers_init(JSValueConst global)
{
	JS_SetPropertyStr(
	    ctx, global, "setTimeout",
	    JS_NewCFunctionMagic(ctx, js_set_timer, "setTimeout", 2, JS_CFUNC_generic_magic, 0));
	JS_SetPropertyStr(
	    ctx, global, "setInterval",
	    JS_NewCFunctionMagic(ctx, js_set_timer, "setInterval", 2, JS_CFUNC_generic_magic, 1));
	JS_SetPropertyStr(ctx, global, "clearTimeout",
			  JS_NewCFunction(ctx, js_clear_timer, "clearTimeout", 1));
	JS_SetPropertyStr(ctx, global, "clearInterval",
			  JS_NewCFunction(ctx, js_clear_timer, "clearInterval", 1));
}

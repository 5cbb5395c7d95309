/*
 * test_snapshot: mica_snapshot_take, mica_sandbox_from_snapshot and
 * mica_sandbox_reset (include/mica.h, "snapshots"). Every test boots real
 * micro-VMs.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <time.h>

#include "harness.h"
#include "mica.h"
#include "snapshot.h" /* host/: the memory of a snapshot, to compare */
#include "support.h"

#define MIB ((size_t)1 << 20)

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- console capture ----------------------------------------------------- */

/* What the console callback received, with "[1]" / "[2]" where the stream
 * changes. */
struct capture {
	char buf[8192];
	size_t len;
	int last;
};

static void capture_put(struct capture *c, const char *data, size_t len)
{
	for (size_t i = 0; i < len && c->len < sizeof(c->buf) - 1; i++)
		c->buf[c->len++] = data[i];
	c->buf[c->len] = 0;
}

static void on_console(void *userdata, int stream, const char *data, size_t len)
{
	struct capture *c = userdata;
	if (stream != c->last)
		capture_put(c, stream == 1 ? "[1]" : "[2]", 3);
	c->last = stream;
	capture_put(c, data, len);
}

static void capture_clear(struct capture *c)
{
	memset(c, 0, sizeof(*c));
}

/* ---- helpers --------------------------------------------------------------- */

/* Calls handler h with event ev; *out gets the result (or NULL). */
static int call(mica_sandbox *sb, const char *h, const char *ev, char **out, mica_error *err)
{
	size_t n;
	*out = NULL;
	memset(err, 0, sizeof(*err));
	return mica_sandbox_call(sb, h, ev, strlen(ev), out, &n, err);
}

/* The call succeeds with exactly `want`. */
#define CHECK_CALL(sb, h, ev, want)                                                                \
	do {                                                                                       \
		char *r_;                                                                          \
		mica_error e_;                                                                     \
		int rc_ = call(sb, h, ev, &r_, &e_);                                               \
		CHECK(rc_ == MICA_OK && r_ && !strcmp(r_, want),                                   \
		      "%s(%s): rc %d (%s) result '%s', want '%s'", h, ev, rc_, e_.message,         \
		      r_ ? r_ : "(null)", want);                                                   \
		free(r_);                                                                          \
	} while (0)

/* The call fails with `want`. */
#define CHECK_CALL_FAILS(sb, h, ev, want)                                                          \
	do {                                                                                       \
		char *r_;                                                                          \
		mica_error e_;                                                                     \
		int rc_ = call(sb, h, ev, &r_, &e_);                                               \
		CHECK(rc_ == (int)(want) && e_.code == (mica_code)(want) && !r_,                   \
		      "%s(%s): rc %d (%s), want %d", h, ev, rc_, e_.message, want);                \
		free(r_);                                                                          \
	} while (0)

#define CHECK_RESET(sb)                                                                            \
	do {                                                                                       \
		mica_error e_;                                                                     \
		memset(&e_, 0, sizeof(e_));                                                        \
		int rc_ = mica_sandbox_reset(sb, &e_);                                             \
		CHECK(rc_ == MICA_OK, "reset: rc %d (%s)", rc_, e_.message);                       \
	} while (0)

/* A runtime, the booted sandbox a module was loaded into, and the snapshot
 * taken right after the load. */
struct snapfx {
	mica_runtime *rt;
	mica_sandbox *base;
	mica_snapshot *snap;
	mica_error err;
};

static void snapfx_close(struct snapfx *s)
{
	mica_snapshot_free(s->snap);
	mica_sandbox_free(s->base);
	mica_runtime_free(s->rt);
	memset(s, 0, sizeof(*s));
}

/* Boots a sandbox in s->rt (made here unless already there), loads module
 * and takes the snapshot. */
static int snapfx_open(struct snapfx *s, const mica_limits *limits, const char *module)
{
	if (!s->rt) {
		memset(s, 0, sizeof(*s));
		s->rt = mica_runtime_new(harness_opts(), &s->err);
		CHECK(s->rt, "mica_runtime_new: %s", s->err.message);
		if (!s->rt)
			return -1;
	}
	/* The boot and the load run under the default time limit (they are
	 * slow where KVM is emulated); the snapshot keeps the one asked for. */
	mica_limits boot;
	if (limits) {
		boot = *limits;
		mica_limits def;
		mica_limits_default(&def);
		boot.timeout_ms = def.timeout_ms;
	}
	s->base = mica_sandbox_new(s->rt, limits ? &boot : NULL, &s->err);
	CHECK(s->base, "mica_sandbox_new: %s", s->err.message);
	if (!s->base)
		goto fail;
	int rc = mica_sandbox_load(s->base, "m.js", module, strlen(module), &s->err);
	CHECK(rc == MICA_OK, "load: %d %s", rc, s->err.message);
	if (rc)
		goto fail;
	if (limits)
		mica_sandbox_set_timeout(s->base, limits->timeout_ms);
	s->snap = mica_snapshot_take(s->base, &s->err);
	CHECK(s->snap, "mica_snapshot_take: %s", s->err.message);
	if (!s->snap)
		goto fail;
	return 0;
fail:
	snapfx_close(s);
	return -1;
}

#define OPEN_SNAP(s, limits, module)                                                               \
	do {                                                                                       \
		NEED_BACKEND();                                                                    \
		memset(s, 0, sizeof(*(s)));                                                        \
		if (snapfx_open(s, limits, module))                                                \
			return;                                                                    \
	} while (0)

static mica_sandbox *clone_of(struct snapfx *s)
{
	mica_sandbox *sb = mica_sandbox_from_snapshot(s->rt, s->snap, &s->err);
	CHECK(sb, "mica_sandbox_from_snapshot: %s", s->err.message);
	return sb;
}

/* The module most tests snapshot. Every export reports the state it found
 * and then changes it. */
static const char state_module[] =
    "let n = 0;\n"
    "const m = new Map([['boot', 1]]);\n"
    "let big = [];\n"
    "export const loadedAt = Date.now();\n"
    "const atLoad = 6 * 7;\n"
    "export function loaded() { return atLoad; }\n"
    "export function count() { return ++n; }\n"
    "export function setGlobal() {\n"
    "  const had = typeof globalThis.leak;\n"
    "  globalThis.leak = 42; globalThis.fn = () => 1;\n"
    "  return had;\n"
    "}\n"
    "export function mapAdd(k) { const had = [...m.keys()].join(); m.set(k, n); return had; }\n"
    "export function grow(len) {\n"
    "  const had = big.length;\n"
    "  const a = [];\n"
    "  for (let i = 0; i < len; i++) a.push(i);\n"
    "  big = a;\n"
    "  return had;\n"
    "}\n"
    "export function pollute() {\n"
    "  const had = [('polluted' in {}), typeof [].extra, typeof ''.shout,\n"
    "               typeof JSON.leak, Object.isFrozen(Math)];\n"
    "  Object.prototype.polluted = 1;\n"
    "  Array.prototype.extra = () => 1;\n"
    "  String.prototype.shout = function () { return this.toUpperCase(); };\n"
    "  JSON.leak = true;\n"
    "  Object.freeze(Math);\n"
    "  return had;\n"
    "}\n"
    "export function consoleState() {\n"
    "  console.count('c'); console.group('g'); console.log('in'); console.time('t');\n"
    "  return 0;\n"
    "}\n"
    "export function rnd() { return Array.from({ length: 4 }, Math.random).join(); }\n"
    "export function now() { return Date.now(); }\n"
    "export function spin() { for (;;) {} }\n";

/* ---- snapshot and clone ---------------------------------------------------- */

TEST(clone_runs_post_load_state)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	/* The original goes on; its later changes are not in the snapshot. */
	CHECK_CALL(s.base, "count", "null", "1");
	CHECK_CALL(s.base, "count", "null", "2");
	mica_sandbox *a = clone_of(&s), *b = clone_of(&s);
	if (a && b) {
		CHECK_CALL(a, "loaded", "null", "42");
		CHECK_CALL(a, "count", "null", "1");
		CHECK_CALL(a, "count", "null", "2");
		CHECK_CALL(b, "count", "null", "1"); /* clones are independent */
		CHECK_CALL(s.base, "count", "null", "3");
	}
	mica_sandbox_free(a);
	mica_sandbox_free(b);
	snapfx_close(&s);
}

TEST(clone_eval_and_load)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, "globalThis.fromLoad = 'yes';\nexport const h = () => 7;\n");
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		char *r = NULL;
		size_t n;
		int rc = mica_sandbox_eval(sb, "e.js", "fromLoad + 1", 12, &r, &n, &s.err);
		CHECK(rc == MICA_OK && r && !strcmp(r, "yes1"), "eval: %d %s '%s'", rc,
		      s.err.message, r ? r : "");
		free(r);
		/* A clone may load another module, which replaces the handlers. */
		const char *src = "export const h = () => 8;";
		rc = mica_sandbox_load(sb, "n.js", src, strlen(src), &s.err);
		CHECK(rc == MICA_OK, "load: %d %s", rc, s.err.message);
		CHECK_CALL(sb, "h", "null", "8");
		CHECK_RESET(sb);
		CHECK_CALL(sb, "h", "null", "7");
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

TEST(snapshot_refused_for_dead_sandbox)
{
	struct fixture f;
	FIXTURE_OPEN(&f, NULL, NULL);
	mica_sandbox_set_timeout(f.sb, 50);
	char *r = NULL;
	size_t n;
	int rc = mica_sandbox_eval(f.sb, "e.js", "for (;;) {}", 11, &r, &n, &f.err);
	CHECK(rc == MICA_ERR_TIMEOUT, "eval: %d %s", rc, f.err.message);
	memset(&f.err, 0, sizeof(f.err));
	mica_snapshot *snap = mica_snapshot_take(f.sb, &f.err);
	CHECK(!snap && f.err.code == MICA_ERR_INVALID, "snapshot of a dead sandbox: %p %d",
	      (void *)snap, f.err.code);
	mica_snapshot_free(snap);
	fixture_close(&f);
}

/* A clone can itself be snapshotted after it changed, and that snapshot's
 * clones start from the clone's state. */
TEST(snapshot_of_clone)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *a = clone_of(&s), *b = NULL;
	mica_snapshot *snap2 = NULL;
	if (!a)
		goto out;
	CHECK_CALL(a, "count", "null", "1");
	CHECK_CALL(a, "mapAdd", "\"x\"", "\"boot\"");
	snap2 = mica_snapshot_take(a, &s.err);
	CHECK(snap2, "snapshot of a clone: %s", s.err.message);
	if (!snap2)
		goto out;
	b = mica_sandbox_from_snapshot(s.rt, snap2, &s.err);
	CHECK(b, "clone of the clone's snapshot: %s", s.err.message);
	if (!b)
		goto out;
	CHECK_CALL(b, "count", "null", "2");
	CHECK_CALL(b, "mapAdd", "\"y\"", "\"boot,x\"");
	CHECK_RESET(b);
	CHECK_CALL(b, "count", "null", "2");
	/* The first clone resets to the first snapshot, not to its own. */
	CHECK_CALL(a, "count", "null", "2");
	CHECK_RESET(a);
	CHECK_CALL(a, "count", "null", "1");
out:
	mica_sandbox_free(a);
	mica_sandbox_free(b);
	mica_snapshot_free(snap2);
	snapfx_close(&s);
}

/* ---- reset leaves no trace ------------------------------------------------- */

TEST(reset_module_let_state)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		CHECK_CALL(sb, "count", "null", "1");
		CHECK_CALL(sb, "count", "null", "2"); /* without a reset, state persists */
		for (int i = 0; i < 5; i++) {
			CHECK_RESET(sb);
			CHECK_CALL(sb, "count", "null", "1");
		}
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

TEST(reset_globals)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		CHECK_CALL(sb, "setGlobal", "null", "\"undefined\"");
		CHECK_CALL(sb, "setGlobal", "null", "\"number\"");
		CHECK_RESET(sb);
		CHECK_CALL(sb, "setGlobal", "null", "\"undefined\"");
		/* A global made by eval is gone too. */
		char *r = NULL;
		size_t n;
		const char *code = "var evalVar = 1; typeof fn";
		int rc = mica_sandbox_eval(sb, "e.js", code, strlen(code), &r, &n, &s.err);
		CHECK(rc == MICA_OK && r && !strcmp(r, "function"), "eval %d '%s'", rc, r ? r : "");
		free(r);
		CHECK_RESET(sb);
		code = "[typeof evalVar, typeof fn, typeof leak].join()";
		rc = mica_sandbox_eval(sb, "e.js", code, strlen(code), &r, &n, &s.err);
		CHECK(rc == MICA_OK && r && !strcmp(r, "undefined,undefined,undefined"),
		      "eval %d '%s'", rc, r ? r : "");
		free(r);
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

TEST(reset_map_in_module_state)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		CHECK_CALL(sb, "mapAdd", "\"a\"", "\"boot\"");
		CHECK_CALL(sb, "mapAdd", "\"b\"", "\"boot,a\"");
		CHECK_RESET(sb);
		CHECK_CALL(sb, "mapAdd", "\"c\"", "\"boot\"");
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

TEST(reset_prototypes)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		const char *fresh = "[false,\"undefined\",\"undefined\",\"undefined\",false]";
		CHECK_CALL(sb, "pollute", "null", fresh);
		CHECK_CALL(sb, "pollute", "null",
			   "[true,\"function\",\"function\",\"boolean\",true]");
		CHECK_RESET(sb);
		CHECK_CALL(sb, "pollute", "null", fresh);
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

/* A call that keeps over a third of the heap in module state: without a
 * reset the next one would hold two copies and runs out of memory; after a
 * reset the next call sees the initial (empty) array and has all the heap
 * again. */
TEST(reset_heap)
{
	mica_limits l;
	mica_limits_default(&l);
	l.memory_bytes = 64 * MIB;
	/* not the default 10 s: under QEMU's emulation a grow took past 10 s once */
	l.timeout_ms = 60 * 1000;
	struct snapfx s;
	OPEN_SNAP(&s, &l, state_module);
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		/* Measured with 64 MiB: 2.5 M numbers fit once, 2 M do not fit twice. */
		const char *len = "2200000";
		CHECK_CALL(sb, "grow", len, "0");
		CHECK_CALL_FAILS(sb, "grow", len, MICA_ERR_MEMORY);
		for (int i = 0; i < 4; i++) {
			CHECK_RESET(sb);
			CHECK_CALL(sb, "grow", len, "0");
		}
		CHECK_RESET(sb);
		CHECK_CALL(sb, "grow", "0", "0");
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

/* console.count, console.group and console.time keep state in the guest's
 * console.js; a reset forgets it. (Timers -- setTimeout and friends -- do
 * not exist yet; when they do, pending ones must not survive a reset.) */
TEST(reset_console_state)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *sb = clone_of(&s);
	struct capture first, second, again;
	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	memset(&again, 0, sizeof(again));
	if (sb) {
		mica_sandbox_set_console(sb, on_console, &first);
		CHECK_CALL(sb, "consoleState", "null", "0");
		mica_sandbox_set_console(sb, on_console, &second);
		CHECK_CALL(sb, "consoleState", "null", "0");
		CHECK_RESET(sb);
		/* The callback stays across a reset. */
		mica_sandbox_set_console(sb, on_console, &again);
		capture_clear(&again);
		CHECK_CALL(sb, "consoleState", "null", "0");
		CHECK(!strcmp(first.buf, "[1]c: 1\ng\n  in\n"), "first: '%s'", first.buf);
		CHECK(strstr(second.buf, "c: 2") && strstr(second.buf, "already exists"),
		      "second (no reset): '%s'", second.buf);
		CHECK(!strcmp(again.buf, first.buf), "after reset: '%s', want '%s'", again.buf,
		      first.buf);
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

/* ---- entropy and time ------------------------------------------------------ */

TEST(random_differs_between_clones)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *a = clone_of(&s), *b = clone_of(&s);
	char *ra = NULL, *rb = NULL, *rbase = NULL;
	mica_error e;
	if (a && b) {
		CHECK(call(a, "rnd", "null", &ra, &e) == MICA_OK, "%s", e.message);
		CHECK(call(b, "rnd", "null", &rb, &e) == MICA_OK, "%s", e.message);
		CHECK(call(s.base, "rnd", "null", &rbase, &e) == MICA_OK, "%s", e.message);
		CHECK(ra && rb && strcmp(ra, rb), "two clones drew the same numbers: %s",
		      ra ? ra : "");
		CHECK(ra && rbase && strcmp(ra, rbase),
		      "clone and original drew the same numbers: %s", ra ? ra : "");
	}
	free(ra);
	free(rb);
	free(rbase);
	mica_sandbox_free(a);
	mica_sandbox_free(b);
	snapfx_close(&s);
}

TEST(random_differs_after_reset)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *sb = clone_of(&s);
	char *r[3] = {NULL, NULL, NULL};
	mica_error e;
	if (sb) {
		for (int i = 0; i < 3; i++) {
			if (i)
				CHECK_RESET(sb);
			CHECK(call(sb, "rnd", "null", &r[i], &e) == MICA_OK, "%s", e.message);
		}
		for (int i = 0; i < 3; i++)
			for (int j = i + 1; j < 3; j++)
				CHECK(r[i] && r[j] && strcmp(r[i], r[j]),
				      "draws %d and %d equal: %s", i, j, r[i] ? r[i] : "");
	}
	for (int i = 0; i < 3; i++)
		free(r[i]);
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

static long long guest_now(mica_sandbox *sb)
{
	char *r;
	mica_error e;
	int rc = call(sb, "now", "null", &r, &e);
	CHECK(rc == MICA_OK, "now: %d %s", rc, e.message);
	long long v = r ? strtoll(r, NULL, 10) : 0;
	free(r);
	return v;
}

/* A clone made (or a sandbox reset) 1.2 s after the snapshot tells the
 * current time, not the snapshot's. */
TEST(clone_time_is_current)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *early = clone_of(&s), *late = NULL;
	if (!early)
		goto out;
	CHECK_CALL(early, "count", "null", "1");
	sleep_ms(1200);
	late = clone_of(&s);
	CHECK_RESET(early);
	if (!late)
		goto out;
	mica_sandbox *sbs[2] = {late, early};
	for (int i = 0; i < 2; i++) {
		int64_t before = clock_ms(CLOCK_REALTIME);
		long long g = guest_now(sbs[i]);
		int64_t after = clock_ms(CLOCK_REALTIME);
		CHECK(g > before - 1000 && g < after + 1000, "%s: guest %lld, host %lld..%lld",
		      i ? "reset" : "clone", g, (long long)before, (long long)after);
	}
out:
	mica_sandbox_free(early);
	mica_sandbox_free(late);
	snapfx_close(&s);
}

/* A deterministic snapshot keeps its mode through clones, resets and a
 * file: each gives the same Math.random, clock and crypto.getRandomValues
 * as the others; a snapshot of a normal sandbox does not. */
TEST(deterministic_snapshot_keeps_its_mode)
{
	static const char js[] =
	    "export function r() {\n"
	    "  return [Math.random(), Date.now(),\n"
	    "          Array.from(crypto.getRandomValues(new Uint8Array(8)))];\n"
	    "}\n";
	for (int det = 1; det >= 0; det--) {
		mica_limits l;
		mica_limits_default(&l);
		l.deterministic = det;
		struct snapfx s;
		OPEN_SNAP(&s, &l, js);
		char path[64];
		snprintf(path, sizeof(path), "/tmp/mica-det-%d.msnap", (int)getpid());
		mica_snapshot *loaded = NULL;
		if (mica_snapshot_save(s.snap, path, &s.err) == MICA_OK)
			loaded = mica_snapshot_load(s.rt, path, &s.err);
		unlink(path);
		CHECK(loaded, "file: %s", s.err.message);
		mica_sandbox *a = clone_of(&s), *b = clone_of(&s);
		mica_sandbox *c = loaded ? mica_sandbox_from_snapshot(s.rt, loaded, &s.err) : NULL;
		char *ra = NULL, *rb = NULL, *rr = NULL, *rc = NULL;
		mica_error e;
		if (a && b && c) {
			call(a, "r", "null", &ra, &e);
			call(b, "r", "null", &rb, &e);
			CHECK_RESET(a);
			call(a, "r", "null", &rr, &e);
			call(c, "r", "null", &rc, &e);
		}
		CHECK(ra && rb && rr && rc, "calls failed: %s", e.message);
		if (ra && rb && rr && rc && det)
			CHECK(!strcmp(ra, rb) && !strcmp(ra, rr) && !strcmp(ra, rc),
			      "deterministic: clone %s, clone %s, reset %s, file %s", ra, rb, rr,
			      rc);
		if (ra && rb && rr && rc && !det)
			CHECK(strcmp(ra, rb) && strcmp(ra, rr) && strcmp(ra, rc),
			      "normal: the same values twice: %s %s %s %s", ra, rb, rr, rc);
		free(ra);
		free(rb);
		free(rr);
		free(rc);
		mica_sandbox_free(a);
		mica_sandbox_free(b);
		mica_sandbox_free(c);
		mica_snapshot_free(loaded);
		snapfx_close(&s);
	}
}

/* ---- lifetime ---------------------------------------------------------------- */

TEST(snapshot_free_while_clones_live)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *a = clone_of(&s), *b = clone_of(&s);
	mica_snapshot_free(s.snap);
	s.snap = NULL;
	mica_sandbox_free(s.base); /* the original goes too */
	s.base = NULL;
	if (a && b) {
		CHECK_CALL(a, "count", "null", "1");
		CHECK_CALL(a, "count", "null", "2");
		CHECK_RESET(a);
		CHECK_CALL(a, "count", "null", "1");
		CHECK_CALL(b, "mapAdd", "\"q\"", "\"boot\"");
	}
	mica_sandbox_free(a);
	if (b) {
		CHECK_RESET(b);
		CHECK_CALL(b, "count", "null", "1");
	}
	mica_sandbox_free(b);
	snapfx_close(&s);
	mica_snapshot_free(NULL); /* ignored */
}

/* ---- reset revives dead sandboxes ---------------------------------------------- */

TEST(reset_revives_timeout)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		CHECK_CALL(sb, "count", "null", "1");
		mica_sandbox_set_timeout(sb, 100);
		int64_t t0 = clock_ms(CLOCK_MONOTONIC);
		CHECK_CALL_FAILS(sb, "spin", "null", MICA_ERR_TIMEOUT);
		int64_t dt = clock_ms(CLOCK_MONOTONIC) - t0;
		CHECK(dt >= 95 && dt < 2000, "timed out after %lld ms", (long long)dt);
		CHECK_CALL_FAILS(sb, "count", "null", MICA_ERR_TIMEOUT); /* dead */
		CHECK_RESET(sb);
		CHECK_CALL(sb, "count", "null", "1");
		CHECK_CALL(sb, "count", "null", "2");
		/* Dies and revives again. */
		mica_sandbox_set_timeout(sb, 50);
		CHECK_CALL_FAILS(sb, "spin", "null", MICA_ERR_TIMEOUT);
		CHECK_RESET(sb);
		CHECK_CALL(sb, "count", "null", "1");
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

/* The limits are the snapshot's again after a reset: here its 300 ms
 * timeout replaces the 10 s set on the clone. */
TEST(reset_restores_limits)
{
	mica_limits l;
	mica_limits_default(&l);
	l.timeout_ms = 300;
	struct snapfx s;
	OPEN_SNAP(&s, &l, state_module);
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		mica_sandbox_set_timeout(sb, 10000);
		CHECK_RESET(sb);
		int64_t t0 = clock_ms(CLOCK_MONOTONIC);
		CHECK_CALL_FAILS(sb, "spin", "null", MICA_ERR_TIMEOUT);
		int64_t dt = clock_ms(CLOCK_MONOTONIC) - t0;
		CHECK(dt >= 295 && dt < 3000, "timed out after %lld ms, want about 300",
		      (long long)dt);
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

TEST(reset_revives_interrupted)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		struct kicker k = {sb, 100};
		pthread_t th;
		if (pthread_create(&th, NULL, kick_later, &k) == 0) {
			CHECK_CALL_FAILS(sb, "spin", "null", MICA_ERR_INTERRUPTED);
			pthread_join(th, NULL);
			CHECK_CALL_FAILS(sb, "count", "null", MICA_ERR_INTERRUPTED); /* dead */
			CHECK_RESET(sb);
			CHECK_CALL(sb, "count", "null", "1");
		} else {
			CHECK(0, "pthread_create");
		}
		/* An interrupt aimed at an idle sandbox does not survive a reset. */
		mica_sandbox_interrupt(sb);
		CHECK_RESET(sb);
		CHECK_CALL(sb, "count", "null", "1");
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

/* A snapshot of a booted proto.elf (tests/hostile/proto.c) in s. */
static int proto_snapshot(struct snapfx *s)
{
	memset(s, 0, sizeof(*s));
	struct image img;
	if (!image_load("proto", &img))
		return -1;
	s->rt = image_runtime(&img, &s->err);
	free(img.data);
	CHECK(s->rt, "proto runtime: %s", s->err.message);
	if (!s->rt)
		return -1;
	s->base = mica_sandbox_new(s->rt, NULL, &s->err);
	CHECK(s->base, "proto sandbox: %s", s->err.message);
	if (s->base)
		s->snap = mica_snapshot_take(s->base, &s->err);
	CHECK(s->snap, "snapshot: %s", s->err.message);
	return s->snap ? 0 : -1;
}

/* A guest that owns its sandbox hides a value wherever it can write (its
 * memory, the shared window, the request buffer, the signal stack, the
 * thread pointer, a vector register) and answers as if nothing happened:
 * a reset must leave none of it for the next call. Without a reset (the
 * same sandbox, reused) it is all there: the test can tell. */
TEST(reset_forgets_what_the_guest_hid)
{
	NEED_BACKEND();
	struct snapfx s;
	if (proto_snapshot(&s)) {
		snapfx_close(&s);
		return;
	}
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		const char *clean = "[0,0,0,0,0,0,0,0,0,0]";
		int proc = mica_runtime_backend(s.rt) == MICA_BACKEND_PROCESS;
		/* the signal stack and the scratch area are the process backend's alone */
		const char *stashed = proc ? "[4242,4242,4242,4242,4242,4242,1,4242,4242,4242]"
					   : "[4242,4242,4242,4242,4242,0,1,4242,4242,0]";
		CHECK_CALL(sb, "peek", "0", clean);
		CHECK_CALL(sb, "stash", "4242", "4242");
		CHECK_CALL(sb, "peek", "0", stashed);
		CHECK_RESET(sb);
		CHECK_CALL(sb, "peek", "0", clean);
		for (int i = 0; i < 3; i++) { /* and again: the pages it wrote stay mapped */
			CHECK_CALL(sb, "stash", "4242", "4242");
			CHECK_RESET(sb);
			CHECK_CALL(sb, "peek", "0", clean);
		}
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

/* A reset drops what the last tenant was given: its module root (the next
 * one could import its files: it could before) and its console callback. */
TEST(reset_forgets_the_tenant)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, tenant_module);
	struct tenant t;
	mica_sandbox *sb = tenant_open(&t) == 0 ? clone_of(&s) : NULL;
	CHECK(sb, "tenant: %s", strerror(errno));
	if (sb) {
		CHECK(tenant_give(sb, &t) == MICA_OK, "set_modules");
		CHECK_CALL(sb, "imp", "null", "\"the tenant's file\"");
		CHECK_CALL(sb, "log", "null", "1");
		CHECK(t.lines == 1, "the console saw %d lines", t.lines);
		CHECK_RESET(sb);
		char *r;
		mica_error e;
		int rc = call(sb, "imp", "null", &r, &e);
		CHECK(rc != MICA_OK && strstr(e.message, "no module root was granted"),
		      "after a reset: rc %d %s (%s)", rc, r ? r : "", e.message);
		free(r);
		CHECK_CALL(sb, "log", "null", "1");
		CHECK(t.lines == 1, "the last tenant's console saw the next one's output");
	}
	mica_sandbox_free(sb);
	tenant_close(&t);
	snapfx_close(&s);
}

/* ---- every byte ------------------------------------------------------------- */

static void echo_fn(mica_hostcall *call, void *ud)
{
	(void)ud;
	size_t len;
	const char *a = mica_hostcall_args(call, &len);
	mica_hostcall_return(call, a, len);
}

static void now_fn(mica_async_call *call, void *ud)
{
	(void)ud;
	mica_async_complete(call, "\"done\"", 6);
}

/* Every way the host writes into a guest (the request, sync and async host
 * call answers, module sources, the WAIT structure, boot info) and the
 * guest's own writes (heap, console, timers, a bytes result), then a reset:
 * after the same call, the reset clone's memory equals a new clone's, byte
 * for byte, but the boot info (new entropy and clock). Deterministic mode
 * makes the two runs the same. */
static const char every_byte_js[] = "import { echo } from 'host:t';\n"
				    "import { now } from 'host:a';\n"
				    "const junk = [];\n"
				    "export async function dirty(e) {\n"
				    "  junk.push('x'.repeat(100000) + e.length);\n"
				    "  console.log('dirty '.repeat(2000));\n"
				    "  echo('y'.repeat(200000));\n"
				    "  await now();\n"
				    "  const m = await import('./a.js');\n"
				    "  setTimeout(() => {}, 5);\n"
				    "  return new Uint8Array(50000).fill(m.v.length);\n"
				    "}\n"
				    "export function same(e) { return [e, junk.length]; }\n";

/* The guest memory of a parked sandbox: a snapshot of it (internal). */
static mica_snapshot *memory_of(mica_sandbox *sb)
{
	mica_error err;
	mica_snapshot *m = mica_snapshot_take(sb, &err);
	CHECK(m, "snapshot: %s", err.message);
	return m;
}

/* KVM's page tables (supervisor only, never seen by the guest) get their
 * Accessed and Dirty bits from the CPU as it walks them, and a reset clone
 * that still holds the translations in its TLB sets fewer of them. */
static int pages_equal(const uint8_t *a, const uint8_t *b, int page_tables)
{
	if (!page_tables)
		return !memcmp(a, b, 4096);
	const uint64_t ad = 0x60; /* PTE bits 5 and 6 */
	for (int i = 0; i < 4096; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if ((x & ~ad) != (y & ~ad))
			return 0;
	}
	return 1;
}

/* by_spare: instead of a reset, the dirty clone is freed and a new one
 * made, which takes over its VM or process (a spare, mica_runtime_options). */
static void every_byte(int by_spare)
{
	struct snapfx s;
	memset(&s, 0, sizeof(s));
	s.rt = mica_runtime_new(harness_opts(), &s.err);
	CHECK(s.rt, "runtime: %s", s.err.message);
	if (!s.rt)
		return;
	mica_runtime_register(s.rt, "t", "echo", echo_fn, NULL);
	mica_runtime_register_async(s.rt, "a", "now", now_fn, NULL);
	mica_limits l;
	mica_limits_default(&l);
	l.deterministic = 1;
	struct tenant t;
	if (tenant_open(&t) || snapfx_open(&s, &l, every_byte_js)) {
		snapfx_close(&s);
		tenant_close(&t);
		return;
	}
	mica_sandbox *a = clone_of(&s), *b = clone_of(&s);
	mica_snapshot *ma = NULL, *mb = NULL;
	char *big = a && b ? test_alloc(1 << 20) : NULL;
	if (big) {
		memset(big, 'e', 1 << 20);
		big[0] = big[(1 << 20) - 1] = '"';
		mica_sandbox_set_modules(a, t.dir, NULL);
		char *r = NULL;
		size_t len;
		mica_error err;
		int rc = mica_sandbox_call(a, "dirty", big, 1 << 20, &r, &len, &err);
		CHECK(rc == MICA_OK && len == 50000, "dirty: %d %s", rc, err.message);
		free(r);
		free(big);
		if (by_spare) {
			mica_sandbox_free(a);
			a = clone_of(&s);
		} else {
			CHECK_RESET(a);
		}
		if (a)
			CHECK_CALL(a, "same", "7", "[7,0]");
		CHECK_CALL(b, "same", "7", "[7,0]");
		ma = a ? memory_of(a) : NULL;
		mb = memory_of(b);
	}
	if (ma && mb) {
		CHECK(ma->limits.memory_bytes == mb->limits.memory_bytes, "sizes");
		uint64_t diff = 0, first = 0;
		const struct mica_layout *l = &ma->layout;
		for (uint64_t off = 0; off < ma->limits.memory_bytes; off += 4096) {
			if (off == MICA_GPA_INFO)
				continue; /* new entropy and clock: meant to differ */
			if (!pages_equal(ma->ref + off, mb->ref + off,
					 off >= l->pt_base && off < l->pt_base + l->pt_size) &&
			    !diff++)
				first = off;
		}
		CHECK(diff == 0, "%llu pages differ after the reset, the first at 0x%llx",
		      (unsigned long long)diff, (unsigned long long)first);
	}
	mica_snapshot_free(ma);
	mica_snapshot_free(mb);
	mica_sandbox_free(a);
	mica_sandbox_free(b);
	tenant_close(&t);
	snapfx_close(&s);
}

TEST(reset_restores_every_byte)
{
	NEED_BACKEND();
	every_byte(0);
}

/* A spare (a freed clone's VM or process) is as clean as a reset. */
TEST(spare_restores_every_byte)
{
	NEED_BACKEND();
	every_byte(1);
}

/* A guest that faults or breaks the ABI on request (tests/hostile/proto.c):
 * each kind of death, then a reset, then it answers again. */
TEST(reset_revives_faulted)
{
	NEED_BACKEND();
	struct snapfx s;
	if (proto_snapshot(&s)) {
		snapfx_close(&s);
		return;
	}
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		static const struct {
			const char *handler;
			mica_code code;
		} deaths[] = {
		    {"ud2", MICA_ERR_FAULT},	     {"exit", MICA_ERR_FAULT},
		    {"status", MICA_ERR_FAULT},	     {"ready_again", MICA_ERR_FAULT},
		    {"wait_wild", MICA_ERR_FAULT},   {"console_wild", MICA_ERR_FAULT},
		    {"result_wild", MICA_ERR_FAULT}, {"hostcall_args_wild", MICA_ERR_FAULT},
		    {"spin", MICA_ERR_TIMEOUT},
		};
		CHECK_CALL(sb, "echo", "[1]", "[1]");
		for (size_t i = 0; i < sizeof(deaths) / sizeof(deaths[0]); i++) {
			/* short for spin alone: a stalled machine must not fail the rest */
			mica_sandbox_set_timeout(sb, 200);
			CHECK_CALL_FAILS(sb, deaths[i].handler, "\"x\"", deaths[i].code);
			CHECK_CALL_FAILS(sb, "echo", "[2]", deaths[i].code); /* dead */
			CHECK_RESET(sb);
			CHECK_CALL(sb, "echo", "[3]", "[3]");
			CHECK_CALL(sb, "echo", "[4]", "[4]");
		}
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

TEST(reset_booted_sandbox_invalid)
{
	struct fixture f;
	FIXTURE_OPEN(&f, NULL, NULL);
	if (fixture_load(&f, "m.js", "let n = 0; export const h = () => ++n;") == MICA_OK) {
		CHECK_CALL(f.sb, "h", "null", "1");
		memset(&f.err, 0, sizeof(f.err));
		int rc = mica_sandbox_reset(f.sb, &f.err);
		CHECK(rc == MICA_ERR_INVALID && f.err.code == MICA_ERR_INVALID && f.err.message[0],
		      "reset of a booted sandbox: %d %s", rc, f.err.message);
		CHECK_CALL(f.sb, "h", "null", "2"); /* untouched */
	}
	fixture_close(&f);
}

/* ---- threads ------------------------------------------------------------------ */

struct thread_job {
	mica_sandbox *sb;
	int op; /* 0: reset, 1: spin with a 200 ms timeout, 2: count */
	int rc;
	int64_t ms;
	char *res;
};

static void *thread_job_main(void *arg)
{
	struct thread_job *j = arg;
	mica_error e;
	int64_t t0 = clock_ms(CLOCK_MONOTONIC);
	if (j->op == 0) {
		j->rc = mica_sandbox_reset(j->sb, &e);
	} else if (j->op == 1) {
		mica_sandbox_set_timeout(j->sb, 200);
		j->rc = call(j->sb, "spin", "null", &j->res, &e);
	} else {
		j->rc = call(j->sb, "count", "null", &j->res, &e);
	}
	j->ms = clock_ms(CLOCK_MONOTONIC) - t0;
	return NULL;
}

static int run_on_thread(struct thread_job *j)
{
	pthread_t th;
	if (pthread_create(&th, NULL, thread_job_main, j) != 0)
		return -1;
	pthread_join(th, NULL);
	return 0;
}

/* A sandbox moves between threads: used on this one, reset on a second,
 * timed out on a third (its timer must signal that thread), reset and used
 * on a fourth. */
TEST(reset_and_call_across_threads)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		mica_sandbox_set_timeout(sb, 5000);
		CHECK_CALL(sb, "count", "null", "1");
		struct thread_job reset = {.sb = sb, .op = 0}, spin = {.sb = sb, .op = 1},
				  reset2 = {.sb = sb, .op = 0}, count = {.sb = sb, .op = 2};
		CHECK(!run_on_thread(&reset) && reset.rc == MICA_OK, "reset on a thread: %d",
		      reset.rc);
		CHECK(!run_on_thread(&spin) && spin.rc == MICA_ERR_TIMEOUT, "spin on a thread: %d",
		      spin.rc);
		CHECK(spin.ms >= 195 && spin.ms < 3000, "timed out after %lld ms, want about 200",
		      (long long)spin.ms);
		CHECK(!run_on_thread(&reset2) && reset2.rc == MICA_OK, "reset: %d", reset2.rc);
		CHECK(!run_on_thread(&count) && count.rc == MICA_OK && count.res &&
			  !strcmp(count.res, "1"),
		      "count on a thread: %d %s", count.rc, count.res ? count.res : "");
		free(spin.res);
		free(count.res);
		/* And back on the first thread, whose timer must be remade. */
		CHECK_RESET(sb);
		mica_sandbox_set_timeout(sb, 100);
		CHECK_CALL_FAILS(sb, "spin", "null", MICA_ERR_TIMEOUT);
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

/* ---- host functions ------------------------------------------------------------ */

static void host_add(mica_hostcall *call, void *userdata)
{
	size_t len;
	const char *args = mica_hostcall_args(call, &len);
	long a = 0, b = 0;
	sscanf(args, "[%ld,%ld]", &a, &b);
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%ld", a + b + (long)(intptr_t)userdata);
	mica_hostcall_return(call, buf, (size_t)n);
}

static const char host_module[] = "import { add } from 'host:math';\n"
				  "const atLoad = add(1, 2);\n"
				  "export function h(e) { return [atLoad, add(e, 10)]; }\n";

TEST(hostfn_in_clones)
{
	NEED_BACKEND();
	struct snapfx s;
	memset(&s, 0, sizeof(s));
	s.rt = mica_runtime_new(harness_opts(), &s.err);
	CHECK(s.rt, "%s", s.err.message);
	if (!s.rt)
		return;
	CHECK(mica_runtime_register(s.rt, "math", "add", host_add, NULL) == MICA_OK, "register");
	if (snapfx_open(&s, NULL, host_module))
		return;
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		CHECK_CALL(sb, "h", "5", "[3,15]");
		CHECK_RESET(sb);
		CHECK_CALL(sb, "h", "6", "[3,16]");
	}
	mica_sandbox_free(sb);

	/* Another runtime binds the functions by name to its own callbacks... */
	mica_runtime *rt2 = mica_runtime_new(harness_opts(), &s.err);
	CHECK(rt2, "%s", s.err.message);
	if (rt2) {
		mica_error e;
		memset(&e, 0, sizeof(e));
		mica_sandbox *none = mica_sandbox_from_snapshot(rt2, s.snap, &e);
		/* ...and refuses to make a clone without them. */
		CHECK(!none && e.code == MICA_ERR_INVALID && strstr(e.message, "math.add"),
		      "clone without the host function: %d %s", e.code, e.message);
		mica_sandbox_free(none);
		CHECK(mica_runtime_register(rt2, "math", "add", host_add, (void *)(intptr_t)100) ==
			  MICA_OK,
		      "register");
		mica_sandbox *sb2 = mica_sandbox_from_snapshot(rt2, s.snap, &e);
		CHECK(sb2, "clone in another runtime: %s", e.message);
		if (sb2)
			CHECK_CALL(sb2, "h", "5", "[3,115]");
		mica_sandbox_free(sb2);
		mica_runtime_free(rt2);
	}
	snapfx_close(&s);
}

/* ---- many clones ---------------------------------------------------------------- */

/* kB of the named line ("VmRSS", "RssAnon", ...) of /proc/self/status. */
static long status_kb(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long v = -1;
	size_t n = strlen(name);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

#define NCLONES 500

/* 500 clones of one snapshot alive at once, each costing little memory: the
 * snapshot's pages are shared until written. */
TEST(many_clones)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	/* Each VM holds ~3 descriptors (VM, vCPU, timer when used). */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	mica_sandbox **sbs = test_alloc(NCLONES * sizeof(*sbs));
	if (!sbs) {
		CHECK(0, "calloc");
		snapfx_close(&s);
		return;
	}
	/* Warm up: the first clone faults in the snapshot's page cache. */
	mica_sandbox *warm = clone_of(&s);
	if (warm)
		CHECK_CALL(warm, "count", "null", "1");
	mica_sandbox_free(warm);

	long rss0 = status_kb("VmRSS"), anon0 = status_kb("RssAnon");
	int64_t t0 = now_us();
	int made = 0;
	for (; made < NCLONES; made++) {
		sbs[made] = mica_sandbox_from_snapshot(s.rt, s.snap, &s.err);
		if (!sbs[made]) {
			CHECK(0, "clone %d of %d: %s", made + 1, NCLONES, s.err.message);
			break;
		}
	}
	int64_t t1 = now_us();
	long rss1 = status_kb("VmRSS"), anon1 = status_kb("RssAnon");
	int ok = 0;
	for (int i = 0; i < made; i++) {
		char *r;
		mica_error e;
		if (call(sbs[i], "count", "null", &r, &e) == MICA_OK && r && !strcmp(r, "1"))
			ok++;
		free(r);
	}
	int64_t t2 = now_us();
	long rss2 = status_kb("VmRSS"), anon2 = status_kb("RssAnon");
	CHECK(ok == made, "%d of %d clones answered", ok, made);
	if (made) {
		double per_new = (double)(rss1 - rss0) / made,
		       per_used = (double)(rss2 - rss0) / made;
		double anon_new = (double)(anon1 - anon0) / made,
		       anon_used = (double)(anon2 - anon0) / made;
		printf("  %d clones: create %.0f us each, first call %.0f us each\n", made,
		       (double)(t1 - t0) / made, (double)(t2 - t1) / made);
		printf("  RSS per clone: %.0f KiB new (%.0f KiB private), %.0f KiB after a call "
		       "(%.0f KiB private)\n",
		       per_new, anon_new, per_used, anon_used);
		/* Loose bounds: catch regressions (e.g. copying the whole
		 * snapshot per clone), not noise. VmRSS counts shared pages
		 * once per mapping, so it is the larger number. */
		CHECK(per_new < 4096, "%.0f KiB RSS per new clone", per_new);
		CHECK(per_used < 4096, "%.0f KiB RSS per used clone", per_used);
	}
	int64_t t3 = now_us();
	for (int i = 0; i < made; i++)
		mica_sandbox_free(sbs[i]);
	printf("  free %.0f us each\n", made ? (double)(now_us() - t3) / made : 0.0);
	free(sbs);
	snapfx_close(&s);
}

/* Reset plus a call, the cost a pool pays per use. */
TEST(reset_call_timing)
{
	struct snapfx s;
	OPEN_SNAP(&s, NULL, state_module);
	mica_sandbox *sb = clone_of(&s);
	if (sb) {
		enum { N = 200 };
		int64_t reset_us = 0, call_us = 0;
		for (int i = 0; i < N; i++) {
			int64_t t0 = now_us();
			CHECK_RESET(sb);
			int64_t t1 = now_us();
			CHECK_CALL(sb, "count", "null", "1");
			reset_us += t1 - t0;
			call_us += now_us() - t1;
		}
		printf("  reset %.1f us, then call %.1f us (mean of %d)\n", (double)reset_us / N,
		       (double)call_us / N, N);
	}
	mica_sandbox_free(sb);
	snapfx_close(&s);
}

int main(void)
{
	alarm(120); /* a hang (e.g. a timer that never fires) fails the suite */
	RUN(clone_runs_post_load_state);
	RUN(clone_eval_and_load);
	RUN(snapshot_refused_for_dead_sandbox);
	RUN(snapshot_of_clone);
	RUN(reset_module_let_state);
	RUN(reset_globals);
	RUN(reset_map_in_module_state);
	RUN(reset_prototypes);
	RUN(reset_heap);
	RUN(reset_console_state);
	RUN(random_differs_between_clones);
	RUN(random_differs_after_reset);
	RUN(clone_time_is_current);
	RUN(snapshot_free_while_clones_live);
	RUN(reset_revives_timeout);
	RUN(reset_restores_limits);
	RUN(reset_revives_interrupted);
	RUN(reset_forgets_what_the_guest_hid);
	RUN(reset_forgets_the_tenant);
	RUN(deterministic_snapshot_keeps_its_mode);
	RUN(reset_restores_every_byte);
	RUN(spare_restores_every_byte);
	RUN(reset_revives_faulted);
	RUN(reset_booted_sandbox_invalid);
	RUN(reset_and_call_across_threads);
	RUN(hostfn_in_clones);
	RUN(many_clones);
	RUN(reset_call_timing);
	return harness_report();
}

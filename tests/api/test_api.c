/*
 * test_api: the public C API of libmica (include/mica.h), one test per
 * behaviour. Every test boots real micro-VMs.
 */
#include <pthread.h>
#include <time.h>

#include "harness.h"
#include "mica.h"
#include "support.h"

#define MIB ((size_t)1 << 20)

/* ---- console transcript -------------------------------------------------- */

/* Everything the console callback received, with "[1]" / "[2]" wherever the
 * stream changes, and the bytes per stream (index 0: invalid streams). */
struct transcript {
	char *buf;
	size_t len, cap;
	int last;
	size_t bytes[3];
};

static void tr_append(struct transcript *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *b = realloc(t->buf, cap);
		if (!b) {
			perror("realloc");
			exit(1);
		}
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = 0;
}

static void on_console(void *userdata, int stream, const char *data, size_t len)
{
	struct transcript *t = userdata;
	int s = stream == 1 || stream == 2 ? stream : 0;
	if (s != t->last) {
		tr_append(t, s == 1 ? "[1]" : s == 2 ? "[2]" : "[?]", 3);
		t->last = s;
	}
	tr_append(t, data, len);
	t->bytes[s] += len;
}

/* Host-side events go into the transcript too, so that ordering shows. */
static void tr_mark(struct transcript *t, const char *mark)
{
	tr_append(t, mark, strlen(mark));
	t->last = -1;
}

static const char *tr_text(const struct transcript *t)
{
	return t->buf ? t->buf : "";
}

static void tr_clear(struct transcript *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

/* ---- fixture: a runtime, a sandbox, its console and the last result ------ */

struct fx {
	mica_runtime *rt;
	mica_sandbox *sb;
	struct transcript out;
	mica_error err;
	char *res;
	size_t res_len;
};

static int fx_runtime(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->rt = test_runtime();
	return f->rt ? 0 : -1;
}

static int fx_sandbox(struct fx *f, const mica_limits *limits)
{
	f->sb = mica_sandbox_new(f->rt, limits, &f->err);
	CHECK(f->sb, "mica_sandbox_new: %s", f->err.message);
	if (!f->sb)
		return -1;
	mica_sandbox_set_console(f->sb, on_console, &f->out);
	return 0;
}

static void fx_close(struct fx *f)
{
	free(f->res);
	mica_sandbox_free(f->sb);
	mica_runtime_free(f->rt);
	tr_clear(&f->out);
	memset(f, 0, sizeof(*f));
}

static int fx_open(struct fx *f, const mica_limits *limits)
{
	if (fx_runtime(f))
		return -1;
	if (fx_sandbox(f, limits)) {
		fx_close(f);
		return -1;
	}
	return 0;
}

static void fx_reset(struct fx *f)
{
	free(f->res);
	f->res = NULL;
	f->res_len = 0;
	memset(&f->err, 0, sizeof(f->err));
}

static int fx_eval(struct fx *f, const char *code)
{
	fx_reset(f);
	return mica_sandbox_eval(f->sb, "test.js", code, strlen(code), &f->res, &f->res_len,
				 &f->err);
}

static int fx_load(struct fx *f, const char *name, const char *source)
{
	fx_reset(f);
	return mica_sandbox_load(f->sb, name, source, strlen(source), &f->err);
}

static int fx_call(struct fx *f, const char *handler, const char *event)
{
	fx_reset(f);
	return mica_sandbox_call(f->sb, handler, event, strlen(event), &f->res, &f->res_len,
				 &f->err);
}

/* Opens the fixture or ends the test. */
#define OPEN(f, limits)                                                                            \
	do {                                                                                       \
		NEED_BACKEND();                                                                    \
		if (fx_open(f, limits))                                                            \
			return;                                                                    \
	} while (0)

#define CHECK_RC(f, rc, want)                                                                      \
	CHECK((rc) == (want), "got %d (%s), want %d (%s): %s", (rc), mica_code_name(rc), (want),   \
	      mica_code_name(want), (f)->err.message)

/* The operation succeeded with exactly this result. */
#define CHECK_OK(f, rc, want)                                                                      \
	do {                                                                                       \
		CHECK_RC(f, rc, MICA_OK);                                                          \
		CHECK((f)->res && !strcmp((f)->res, want), "result '%s', want '%s'",               \
		      (f)->res ? (f)->res : "(null)", want);                                       \
	} while (0)

#define CHECK_MSG(f, needle)                                                                       \
	CHECK(strstr((f)->err.message, needle), "message '%s' lacks '%s'", (f)->err.message, needle)

static void limits_small(mica_limits *l)
{
	mica_limits_default(l);
	l->memory_bytes = 32 * MIB;
	l->heap_bytes = 12 * MIB;
}

/* ---- runtime and sandbox lifecycle --------------------------------------- */

TEST(lifecycle)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_OK(&f, fx_eval(&f, "1 + 1"), "2");
	fx_close(&f);
}

TEST(runtime_bad_kvm_path)
{
	mica_error err = {0};
	mica_runtime_options o = {.kvm_path = "/nonexistent/kvm", .backend = MICA_BACKEND_KVM};
	mica_runtime *rt = mica_runtime_new(&o, &err);
	CHECK(!rt, "runtime created without KVM");
	CHECK(err.code == MICA_ERR_SYSTEM, "code %d", err.code);
	CHECK(strstr(err.message, "/nonexistent/kvm"), "message '%s'", err.message);
	mica_runtime_free(rt);
}

TEST(runtime_bad_image)
{
	static const char junk[] = "this is not an ELF image";
	mica_error err = {0};
	mica_runtime_options o = {.guest_image = junk, .guest_image_len = sizeof(junk)};
	mica_runtime *rt = mica_runtime_new(&o, &err);
	CHECK(!rt, "runtime created with a junk image");
	CHECK(err.code != MICA_OK && err.message[0], "code %d, message '%s'", err.code,
	      err.message);
	mica_runtime_free(rt);
}

#define MANY 50

/* Many sandboxes alive at once in one runtime, each with its own globals. */
TEST(many_sandboxes)
{
	NEED_BACKEND();
	struct fx f;
	if (fx_runtime(&f))
		return;
	mica_limits l;
	mica_limits_default(&l);
	l.memory_bytes = 16 * MIB;
	mica_sandbox *sbs[MANY] = {0};
	char code[64], want[16];
	for (int i = 0; i < MANY; i++) {
		sbs[i] = mica_sandbox_new(f.rt, &l, &f.err);
		CHECK(sbs[i], "sandbox %d: %s", i, f.err.message);
		if (!sbs[i])
			break;
		f.sb = sbs[i];
		snprintf(code, sizeof(code), "globalThis.id = %d; id", i);
		snprintf(want, sizeof(want), "%d", i);
		CHECK_OK(&f, fx_eval(&f, code), want);
	}
	for (int i = 0; i < MANY && sbs[i]; i++) {
		f.sb = sbs[i];
		snprintf(want, sizeof(want), "%d", i * 2);
		CHECK_OK(&f, fx_eval(&f, "id * 2"), want);
	}
	for (int i = 0; i < MANY; i++)
		mica_sandbox_free(sbs[i]);
	f.sb = NULL;
	fx_close(&f);
}

/* ---- load and call ------------------------------------------------------- */

TEST(call_export)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f, fx_load(&f, "m.js", "export function add(e) { return { sum: e.a + e.b }; }"),
		 MICA_OK);
	CHECK_OK(&f, fx_call(&f, "add", "{\"a\": 2, \"b\": 3}"), "{\"sum\":5}");
	CHECK_OK(&f, fx_call(&f, "add", "{\"a\": \"x\", \"b\": \"y\"}"), "{\"sum\":\"xy\"}");
	fx_close(&f);
}

TEST(call_global_function)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f, fx_eval(&f, "function twice(e) { return e * 2; }"), MICA_OK);
	CHECK_OK(&f, fx_call(&f, "twice", "21"), "42");
	/* a module without that export: the global is still found */
	CHECK_RC(&f, fx_load(&f, "m.js", "globalThis.neg = (e) => -e; export const x = 1;"),
		 MICA_OK);
	CHECK_OK(&f, fx_call(&f, "neg", "5"), "-5");
	CHECK_OK(&f, fx_call(&f, "twice", "4"), "8");
	fx_close(&f);
}

TEST(export_before_global)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f, fx_eval(&f, "function h() { return 'global'; }"), MICA_OK);
	CHECK_RC(&f, fx_load(&f, "m.js", "export function h() { return 'export'; }"), MICA_OK);
	CHECK_OK(&f, fx_call(&f, "h", "null"), "\"export\"");
	fx_close(&f);
}

TEST(top_level_await)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(
	    &f,
	    fx_load(&f, "tla.js",
		    "const base = await Promise.resolve(40);\n"
		    "const more = await new Promise((r) => Promise.resolve().then(() => r(2)));\n"
		    "export function get() { return base + more; }\n"),
	    MICA_OK);
	CHECK_OK(&f, fx_call(&f, "get", "null"), "42");
	/* a rejected top-level await fails the load */
	CHECK_RC(&f, fx_load(&f, "rej.js", "await Promise.reject(new Error('nope'));"),
		 MICA_ERR_JS);
	CHECK_MSG(&f, "nope");
	fx_close(&f);
}

TEST(promise_result_awaited)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(
	    &f,
	    fx_load(&f, "p.js",
		    "const tick = (v) => new Promise((r) => Promise.resolve().then(() => r(v)));\n"
		    "export async function h(e) { const a = await tick(e.n); return [a, await "
		    "tick(a + 1)]; }\n"
		    "export function p() { return Promise.resolve('plain'); }\n"
		    "export async function bad() { await null; throw new RangeError('late'); }\n"),
	    MICA_OK);
	CHECK_OK(&f, fx_call(&f, "h", "{\"n\": 1}"), "[1,2]");
	CHECK_OK(&f, fx_call(&f, "p", "null"), "\"plain\"");
	CHECK_RC(&f, fx_call(&f, "bad", "null"), MICA_ERR_JS);
	CHECK_MSG(&f, "RangeError: late");
	fx_close(&f);
}

TEST(undefined_result_is_null)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f, fx_load(&f, "u.js", "export function u() {}\nexport const n = () => null;"),
		 MICA_OK);
	CHECK_OK(&f, fx_call(&f, "u", "null"), "null");
	CHECK(f.res_len == 4, "result_len %zu", f.res_len);
	CHECK_OK(&f, fx_call(&f, "n", "null"), "null");
	fx_close(&f);
}

TEST(result_terminated_and_sized)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f, fx_load(&f, "r.js", "export const s = (e) => e.s + '\\u00e9\\u{1F600}';"),
		 MICA_OK);
	CHECK_OK(&f, fx_call(&f, "s", "{\"s\": \"caf\"}"), "\"caf\xc3\xa9\xf0\x9f\x98\x80\"");
	CHECK(f.res && f.res_len == strlen(f.res) && f.res_len == 11, "result_len %zu", f.res_len);
	/* a large result */
	CHECK_RC(&f, fx_eval(&f, "'ab'.repeat(500000)"), MICA_OK);
	CHECK(f.res && f.res_len == 1000000 && strlen(f.res) == f.res_len, "result_len %zu",
	      f.res_len);
	fx_close(&f);
}

/* ---- console ------------------------------------------------------------- */

TEST(console_streams)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f,
		 fx_eval(&f, "console.log('a'); console.info('b'); console.debug('c');"
			     "console.error('d'); console.warn('e'); console.log('f');"),
		 MICA_OK);
	const char *want = "[1]a\nb\nc\n[2]d\ne\n[1]f\n";
	CHECK(!strcmp(tr_text(&f.out), want), "transcript '%s', want '%s'", tr_text(&f.out), want);
	CHECK(f.out.bytes[0] == 0, "%zu bytes on invalid streams", f.out.bytes[0]);
	fx_close(&f);
}

TEST(console_formatting)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f,
		 fx_eval(&f, "console.log('as is', \"'q'\", 1, true, null, undefined);"
			     "console.log({ a: 1 }); console.log([1, 'x', { b: [2] }]);"
			     "console.log('%s=%d', 'n', 42);"),
		 MICA_OK);
	const char *want =
	    "[1]as is 'q' 1 true null undefined\n{ a: 1 }\n[ 1, 'x', { b: [ 2 ] } ]\nn=42\n";
	CHECK(!strcmp(tr_text(&f.out), want), "transcript '%s', want '%s'", tr_text(&f.out), want);
	fx_close(&f);
}

TEST(console_null_callback)
{
	struct fx f;
	OPEN(&f, NULL);
	mica_sandbox_set_console(f.sb, NULL, NULL);
	CHECK_OK(&f, fx_eval(&f, "console.log('dropped'); 7"), "7");
	CHECK(f.out.len == 0, "transcript '%s'", tr_text(&f.out));
	mica_sandbox_set_console(f.sb, on_console, &f.out);
	CHECK_RC(&f, fx_eval(&f, "console.log('kept')"), MICA_OK);
	CHECK(!strcmp(tr_text(&f.out), "[1]kept\n"), "transcript '%s'", tr_text(&f.out));
	fx_close(&f);
}

/* ---- eval ---------------------------------------------------------------- */

TEST(eval_completion_value)
{
	static const char *const cases[][2] = {
	    {"1 + 2", "3"},
	    {"'x'", "x"},
	    {"({ a: 1 })", "{ a: 1 }"},
	    {"[1, 'two']", "[ 1, 'two' ]"},
	    {"null", "null"},
	    {"var v = 5; v * 2", "10"},
	    {"10n ** 20n", "100000000000000000000n"},
	};
	struct fx f;
	OPEN(&f, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = fx_eval(&f, cases[i][0]);
		CHECK(rc == MICA_OK && f.res && !strcmp(f.res, cases[i][1]),
		      "eval(%s): rc %d, result '%s', want '%s' (%s)", cases[i][0], rc,
		      f.res ? f.res : "(null)", cases[i][1], f.err.message);
	}
	fx_close(&f);
}

TEST(eval_undefined_is_empty)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_OK(&f, fx_eval(&f, "undefined"), "");
	CHECK(f.res_len == 0, "result_len %zu", f.res_len);
	CHECK_OK(&f, fx_eval(&f, "let quiet = 1;"), "");
	fx_close(&f);
}

TEST(eval_state_persists)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f, fx_eval(&f, "var counter = 0; function bump() { return ++counter; }"),
		 MICA_OK);
	CHECK_OK(&f, fx_eval(&f, "bump(); bump()"), "2");
	CHECK_OK(&f, fx_call(&f, "bump", "null"), "3");
	fx_close(&f);
}

/* A promise completion value is awaited, as a REPL with top-level await would. */
TEST(eval_awaits_promise)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_OK(&f, fx_eval(&f, "Promise.resolve(5)"), "5");
	CHECK_OK(&f, fx_eval(&f, "(async () => { await null; return { v: 'w' }; })()"),
		 "{ v: 'w' }");
	CHECK_RC(&f, fx_eval(&f, "Promise.reject(new TypeError('rejected'))"), MICA_ERR_JS);
	CHECK_MSG(&f, "TypeError: rejected");
	fx_close(&f);
}

/* A rejection nobody handles fails the operation like an uncaught exception. */
TEST(unhandled_rejection)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(
	    &f,
	    fx_load(&f, "m.js",
		    "export function lost() { Promise.reject(new Error('lost it')); return 1; }\n"
		    "export function handled() {\n"
		    "\tconst p = Promise.reject(new Error('x'));\n"
		    "\tp.catch(() => {});\n"
		    "\treturn 2;\n"
		    "}\n"),
	    MICA_OK);
	CHECK_RC(&f, fx_call(&f, "lost", "null"), MICA_ERR_JS);
	CHECK_MSG(&f, "lost it");
	CHECK_OK(&f, fx_call(&f, "handled", "null"), "2");
	CHECK_RC(&f, fx_load(&f, "m2.js", "Promise.reject(new Error('at load'));"), MICA_ERR_JS);
	CHECK_MSG(&f, "at load");
	fx_close(&f);
}

/* mica_limits.unhandled_rejections and its setter: strict fails, warn
 * writes the rejection to stderr and goes on, none ignores it; anything
 * else is refused. */
TEST(unhandled_rejection_modes)
{
	mica_limits l;
	mica_limits_default(&l);
	l.unhandled_rejections = 3;
	struct fx f;
	OPEN(&f, NULL);
	mica_error err;
	CHECK(!mica_sandbox_new(f.rt, &l, &err) && err.code == MICA_ERR_INVALID &&
		  strstr(err.message, "unhandled_rejections"),
	      "mode 3 accepted: %s", err.message);
	CHECK(mica_sandbox_set_unhandled_rejections(f.sb, -1) == MICA_ERR_INVALID, "mode -1");
	const char *code = "Promise.reject(new Error('nobody')); 42";
	CHECK_RC(&f, fx_eval(&f, code), MICA_ERR_JS);
	CHECK(mica_sandbox_set_unhandled_rejections(f.sb, MICA_REJECTIONS_WARN) == MICA_OK, "warn");
	CHECK_OK(&f, fx_eval(&f, code), "42");
	CHECK(f.out.buf && strstr(f.out.buf, "[2]Uncaught (in promise) Error: nobody"),
	      "stderr: %s", f.out.buf ? f.out.buf : "");
	tr_clear(&f.out);
	CHECK(mica_sandbox_set_unhandled_rejections(f.sb, MICA_REJECTIONS_NONE) == MICA_OK, "none");
	CHECK_OK(&f, fx_eval(&f, code), "42");
	CHECK(!f.out.len, "none wrote: %s", f.out.buf ? f.out.buf : "");
	fx_close(&f);
}

/* ---- errors -------------------------------------------------------------- */

TEST(syntax_error)
{
	struct fx f;
	OPEN(&f, NULL);
	fx_reset(&f);
	const char *src = "let a = 1;\nlet b = ;\n";
	int rc =
	    mica_sandbox_eval(f.sb, "bad_script.js", src, strlen(src), &f.res, &f.res_len, &f.err);
	CHECK_RC(&f, rc, MICA_ERR_INVALID);
	CHECK(f.err.code == MICA_ERR_INVALID, "err.code %d", f.err.code);
	CHECK_MSG(&f, "SyntaxError");
	CHECK_MSG(&f, "bad_script.js:2");
	CHECK_RC(&f, fx_load(&f, "bad_module.js", "export const a = 1;\n\nexport function (\n"),
		 MICA_ERR_INVALID);
	CHECK_MSG(&f, "SyntaxError");
	CHECK_MSG(&f, "bad_module.js:3");
	CHECK_OK(&f, fx_eval(&f, "'still alive'"), "still alive");
	fx_close(&f);
}

TEST(thrown_error)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f,
		 fx_load(&f, "thrower.js",
			 "export function h(e) {\n"
			 "\tconst x = e.n;\n"
			 "\tthrow new TypeError('msg ' + x);\n"
			 "}\n"),
		 MICA_OK);
	CHECK_RC(&f, fx_call(&f, "h", "{\"n\": 7}"), MICA_ERR_JS);
	CHECK(f.err.code == MICA_ERR_JS, "err.code %d", f.err.code);
	CHECK(!strncmp(f.err.message, "TypeError: msg 7", 16), "message '%s'", f.err.message);
	CHECK_MSG(&f, "thrower.js:3");
	CHECK(!f.res, "result set on error");
	fx_close(&f);
}

TEST(thrown_non_error)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f, fx_eval(&f, "throw 42"), MICA_ERR_JS);
	CHECK_MSG(&f, "42");
	CHECK_RC(&f, fx_eval(&f, "throw { code: 'E1' }"), MICA_ERR_JS);
	CHECK_MSG(&f, "E1");
	fx_close(&f);
}

TEST(invalid_event_json)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f, fx_load(&f, "m.js", "export const h = (e) => e;"), MICA_OK);
	CHECK_RC(&f, fx_call(&f, "h", "{\"a\": "), MICA_ERR_INVALID);
	CHECK_MSG(&f, "invalid event JSON");
	CHECK_RC(&f, fx_call(&f, "h", ""), MICA_ERR_INVALID);
	CHECK_MSG(&f, "invalid event JSON");
	CHECK_OK(&f, fx_call(&f, "h", " [1, {\"b\": null}] "), "[1,{\"b\":null}]");
	fx_close(&f);
}

TEST(unknown_handler)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f, fx_call(&f, "nothing", "null"), MICA_ERR_INVALID);
	CHECK_MSG(&f, "nothing");
	CHECK_RC(&f, fx_load(&f, "m.js", "export const notfn = 3;"), MICA_OK);
	CHECK_RC(&f, fx_call(&f, "notfn", "null"), MICA_ERR_INVALID);
	CHECK_RC(&f, fx_call(&f, "missing", "null"), MICA_ERR_INVALID);
	fx_close(&f);
}

TEST(import_non_host_module)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f, fx_load(&f, "m.js", "import { readFile } from 'fs';\nexport const x = 1;"),
		 MICA_ERR_INVALID);
	CHECK_MSG(&f, "fs");
	CHECK_RC(&f, fx_load(&f, "m.js", "import * as o from './other.js';"), MICA_ERR_INVALID);
	CHECK_RC(&f, fx_load(&f, "m.js", "import x from 'host:none';"), MICA_ERR_INVALID);
	fx_close(&f);
}

/* ---- limits -------------------------------------------------------------- */

/* Milliseconds `code` ran before failing with `want`, or -1 on another outcome. */
static int64_t timed_failure(struct fx *f, const char *code, int want)
{
	int64_t t0 = clock_ms(CLOCK_MONOTONIC);
	int rc = fx_eval(f, code);
	int64_t dt = clock_ms(CLOCK_MONOTONIC) - t0;
	CHECK_RC(f, rc, want);
	return rc == want ? dt : -1;
}

TEST(timeout)
{
	NEED_BACKEND();
	int64_t dt = -1;
	/* Machines are noisy: the bound must hold in one of three tries. The
	 * limit is set after the boot, which may be slow (emulated KVM). */
	for (int i = 0; i < 3; i++) {
		struct fx f;
		if (fx_open(&f, NULL))
			return;
		mica_sandbox_set_timeout(f.sb, 200);
		dt = timed_failure(&f, "while (1) {}", MICA_ERR_TIMEOUT);
		CHECK(f.err.code == MICA_ERR_TIMEOUT, "err.code %d", f.err.code);
		fx_close(&f);
		if (dt < 0 || (dt >= 200 - 5 && dt < 300))
			break;
	}
	CHECK(dt >= 195 && dt < 300, "timed out after %lld ms, want 200..300", (long long)dt);
}

TEST(timeout_kills_sandbox)
{
	struct fx f;
	OPEN(&f, NULL);
	mica_sandbox_set_timeout(f.sb, 100);
	CHECK_RC(&f, fx_eval(&f, "for (;;) {}"), MICA_ERR_TIMEOUT);
	int rc = fx_eval(&f, "1");
	CHECK(rc == MICA_ERR_TIMEOUT && f.err.code == MICA_ERR_TIMEOUT,
	      "a timed-out sandbox ran code again: %d", rc);
	CHECK(strstr(f.err.message, "sandbox unusable") && strstr(f.err.message, "time limit"),
	      "message: %s", f.err.message);
	CHECK(!f.res, "result set on error");
	rc = fx_call(&f, "f", "null");
	CHECK(rc == MICA_ERR_TIMEOUT, "a timed-out sandbox accepted a call: %d", rc);
	fx_close(&f);
}

TEST(set_timeout)
{
	struct fx f;
	OPEN(&f, NULL);
	mica_sandbox_set_timeout(f.sb, 0);
	CHECK_OK(&f, fx_eval(&f, "const t = Date.now(); while (Date.now() - t < 150) {} 'done'"),
		 "done");
	mica_sandbox_set_timeout(f.sb, 100);
	int64_t dt = timed_failure(&f, "while (1) {}", MICA_ERR_TIMEOUT);
	CHECK(dt >= 95 && dt < 2000, "timed out after %lld ms, want about 100", (long long)dt);
	fx_close(&f);
}

/* A memory bomb fails with MICA_ERR_MEMORY and the sandbox stays usable,
 * both with the default limits and with an explicit heap limit. */
static void memory_bomb(const char *code)
{
	NEED_BACKEND();
	mica_limits small;
	limits_small(&small);
	const mica_limits *limits[] = {NULL, &small};
	for (int i = 0; i < 2; i++) {
		struct fx f;
		if (fx_open(&f, limits[i]))
			return;
		CHECK_RC(&f, fx_eval(&f, code), MICA_ERR_MEMORY);
		CHECK(f.err.code == MICA_ERR_MEMORY, "err.code %d", f.err.code);
		CHECK_OK(&f, fx_eval(&f, "'y'.repeat(1 << 20).length"), "1048576");
		CHECK_RC(&f,
			 fx_load(&f, "after.js", "export const f = (e) => e.map((x) => x * 2);"),
			 MICA_OK);
		CHECK_OK(&f, fx_call(&f, "f", "[1, 2, 3]"), "[2,4,6]");
		fx_close(&f);
	}
}

TEST(memory_bomb_arrays)
{
	memory_bomb(
	    "(function () { const a = []; for (;;) a.push(new Array(1000).fill(a.length)); })()");
}

TEST(memory_bomb_strings)
{
	memory_bomb("(function () { let s = 'x'; const keep = []; for (;;) { s += s; keep.push(s + "
		    "'!'); } })()");
}

TEST(memory_bomb_in_call)
{
	mica_limits l;
	limits_small(&l);
	struct fx f;
	OPEN(&f, &l);
	CHECK_RC(&f,
		 fx_load(&f, "m.js",
			 "export function bomb() { const m = new Map(); for (let i = 0;; i++) "
			 "m.set(i, {i}); }"),
		 MICA_OK);
	CHECK_RC(&f, fx_call(&f, "bomb", "null"), MICA_ERR_MEMORY);
	CHECK_RC(&f, fx_call(&f, "bomb", "null"), MICA_ERR_MEMORY);
	CHECK_OK(&f, fx_eval(&f, "[...'abc'].reverse().join('')"), "cba");
	fx_close(&f);
}

TEST(unbounded_recursion)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f, fx_eval(&f, "function r(n) { return r(n + 1) + 1; } r(0)"), MICA_ERR_JS);
	CHECK_MSG(&f, "RangeError");
	CHECK_OK(&f, fx_eval(&f, "function d(n) { return n ? d(n - 1) + 1 : 0; } d(1000)"), "1000");
	fx_close(&f);
}

TEST(console_flood_truncated)
{
	mica_limits l;
	mica_limits_default(&l);
	l.output_bytes = 4096;
	struct fx f;
	OPEN(&f, &l);
	CHECK_OK(
	    &f,
	    fx_eval(&f,
		    "for (let i = 0; i < 10000; i++) console.log('0123456789'.repeat(10)); 'end'"),
	    "end");
	CHECK(f.out.bytes[1] == 4096, "%zu bytes on stdout, want 4096", f.out.bytes[1]);
	const char *note = strstr(tr_text(&f.out), "[2]");
	CHECK(note && strstr(note, "truncated"), "no truncation note on stderr");
	/* the limit is per operation */
	tr_clear(&f.out);
	CHECK_RC(&f, fx_eval(&f, "console.log('again')"), MICA_OK);
	CHECK(!strcmp(tr_text(&f.out), "[1]again\n"), "transcript '%s'", tr_text(&f.out));
	fx_close(&f);
}

/* mica_sandbox_new refuses l with MICA_ERR_INVALID and a message. */
static void check_bad_limits(mica_runtime *rt, const mica_limits *l, const char *what)
{
	mica_error err = {0};
	mica_sandbox *sb = mica_sandbox_new(rt, l, &err);
	CHECK(!sb, "%s: sandbox created", what);
	CHECK(err.code == MICA_ERR_INVALID && err.message[0], "%s: code %d, message '%s'", what,
	      err.code, err.message);
	mica_sandbox_free(sb);
}

TEST(bad_limits)
{
	NEED_BACKEND();
	struct fx f;
	if (fx_runtime(&f))
		return;
	mica_limits l;
	mica_limits_default(&l);
	l.memory_bytes = 1 * MIB;
	check_bad_limits(f.rt, &l, "1 MiB memory");
	l.memory_bytes = 4096 * MIB;
	check_bad_limits(f.rt, &l, "4 GiB memory");
	mica_limits_default(&l);
	l.stack_bytes = l.memory_bytes / 2;
	check_bad_limits(f.rt, &l, "stack of half the memory");
	l.stack_bytes = 4096;
	check_bad_limits(f.rt, &l, "4 KiB stack");
	mica_limits_default(&l);
	l.heap_bytes = l.memory_bytes * 2;
	check_bad_limits(f.rt, &l, "heap larger than memory");
	fx_close(&f);
}

TEST(request_too_large)
{
	struct fx f;
	OPEN(&f, NULL);
	size_t n = 4 * MIB;
	char *big = test_alloc(n);
	if (!big) {
		fx_close(&f);
		return;
	}
	memset(big, 'a', n);
	big[0] = big[n - 1] = '"';
	CHECK_RC(&f, fx_load(&f, "m.js", "export const len = (e) => e.length;"), MICA_OK);
	fx_reset(&f);
	int rc = mica_sandbox_call(f.sb, "len", big, n, &f.res, &f.res_len, &f.err);
	CHECK_RC(&f, rc, MICA_ERR_INVALID);
	fx_reset(&f);
	rc = mica_sandbox_eval(f.sb, "big.js", big, n, &f.res, &f.res_len, &f.err);
	CHECK_RC(&f, rc, MICA_ERR_INVALID);
	/* a large event that fits */
	n = 2 * MIB;
	big[n - 1] = '"';
	fx_reset(&f);
	rc = mica_sandbox_call(f.sb, "len", big, n, &f.res, &f.res_len, &f.err);
	CHECK_OK(&f, rc, "2097150");
	free(big);
	fx_close(&f);
}

/* ---- host functions ------------------------------------------------------ */

struct host_state {
	struct transcript *out;
	char args[256];
	int calls;
	int answer_rc;
};

static void record_args(mica_hostcall *call, struct host_state *st)
{
	size_t len;
	const char *args = mica_hostcall_args(call, &len);
	snprintf(st->args, sizeof(st->args), "%.*s", (int)len, args);
	st->calls++;
}

static void hf_record(mica_hostcall *call, void *userdata)
{
	record_args(call, userdata);
}

static void hf_value(mica_hostcall *call, void *userdata)
{
	struct host_state *st = userdata;
	record_args(call, st);
	static const char json[] =
	    "{\"x\": [1, 2, {\"y\": \"z\"}], \"n\": null, \"s\": \"\\u00e9\"}";
	st->answer_rc = mica_hostcall_return(call, json, strlen(json));
}

static void hf_fail(mica_hostcall *call, void *userdata)
{
	struct host_state *st = userdata;
	record_args(call, st);
	st->answer_rc = mica_hostcall_fail(call, "disk on fire: code 17");
}

/* Echoes its first argument: the arguments array minus the brackets. */
static void hf_echo(mica_hostcall *call, void *userdata)
{
	struct host_state *st = userdata;
	size_t len;
	const char *args = mica_hostcall_args(call, &len);
	st->calls++;
	if (len > 2)
		st->answer_rc = mica_hostcall_return(call, args + 1, len - 2);
}

static void hf_mark(mica_hostcall *call, void *userdata)
{
	struct host_state *st = userdata;
	(void)call;
	tr_mark(st->out, "<host>");
	st->calls++;
}

static void hf_too_big(mica_hostcall *call, void *userdata)
{
	struct host_state *st = userdata;
	size_t n = 4 * MIB;
	char *big = test_alloc(n);
	if (!big)
		return;
	memset(big, ' ', n);
	memcpy(big, "1", 1);
	st->answer_rc = mica_hostcall_return(call, big, n);
	free(big);
}

static const struct {
	const char *module, *name;
	mica_host_fn fn;
} host_fns[] = {
    {"log", "record", hf_record}, {"data", "value", hf_value}, {"data", "fail", hf_fail},
    {"data", "echo", hf_echo},	  {"log", "mark", hf_mark},    {"data", "too_big", hf_too_big},
};

/* A fixture whose runtime has host_fns registered, all with userdata st. */
static int fx_open_host(struct fx *f, struct host_state *st)
{
	memset(st, 0, sizeof(*st));
	if (fx_runtime(f))
		return -1;
	st->out = &f->out;
	for (size_t i = 0; i < sizeof(host_fns) / sizeof(host_fns[0]); i++) {
		int rc = mica_runtime_register(f->rt, host_fns[i].module, host_fns[i].name,
					       host_fns[i].fn, st);
		CHECK(rc == MICA_OK, "register %s.%s: %d", host_fns[i].module, host_fns[i].name,
		      rc);
	}
	if (fx_sandbox(f, NULL)) {
		fx_close(f);
		return -1;
	}
	return 0;
}

#define OPEN_HOST(f, st)                                                                           \
	do {                                                                                       \
		NEED_BACKEND();                                                                    \
		if (fx_open_host(f, st))                                                           \
			return;                                                                    \
	} while (0)

TEST(hostfn_args_json)
{
	struct fx f;
	struct host_state st;
	OPEN_HOST(&f, &st);
	CHECK_RC(
	    &f,
	    fx_load(
		&f, "m.js",
		"import { record } from 'host:log';\n"
		"export function h(e) { return record(1, 'a', { b: true }); }\n"
		"export function odd() { record(undefined, () => 1, 'q\"\\n', -0, [], 1e21); }\n"),
	    MICA_OK);
	CHECK_OK(&f, fx_call(&f, "h", "null"), "null");
	CHECK(!strcmp(st.args, "[1,\"a\",{\"b\":true}]"), "args '%s'", st.args);
	CHECK_RC(&f, fx_call(&f, "odd", "null"), MICA_OK);
	CHECK(!strcmp(st.args, "[null,null,\"q\\\"\\n\",0,[],1e+21]"), "args '%s'", st.args);
	CHECK(st.calls == 2, "%d calls", st.calls);
	fx_close(&f);
}

TEST(hostfn_return_value)
{
	struct fx f;
	struct host_state st;
	OPEN_HOST(&f, &st);
	CHECK_RC(&f,
		 fx_load(&f, "m.js",
			 "import { value, echo } from 'host:data';\n"
			 "export function h() { const v = value(); return [v.x[2].y, v.n, v.s, "
			 "v.x.length]; }\n"
			 "export function e(x) { return echo(x); }\n"),
		 MICA_OK);
	CHECK_OK(&f, fx_call(&f, "h", "null"), "[\"z\",null,\"\xc3\xa9\",3]");
	CHECK(st.answer_rc == MICA_OK, "mica_hostcall_return: %d", st.answer_rc);
	CHECK_OK(&f, fx_call(&f, "e", "{\"deep\": [1, [2, [3]]], \"t\": \"x\"}"),
		 "{\"deep\":[1,[2,[3]]],\"t\":\"x\"}");
	CHECK_OK(&f, fx_call(&f, "e", "\"str\""), "\"str\"");
	fx_close(&f);
}

TEST(hostfn_fail)
{
	struct fx f;
	struct host_state st;
	OPEN_HOST(&f, &st);
	CHECK_RC(&f,
		 fx_load(&f, "m.js",
			 "import { fail } from 'host:data';\n"
			 "export function h() {\n"
			 "\ttry { fail(); return 'no throw'; }\n"
			 "\tcatch (e) { return [e instanceof Error, e.message]; }\n"
			 "}\n"
			 "export function uncaught() { fail(); }\n"),
		 MICA_OK);
	CHECK_OK(&f, fx_call(&f, "h", "null"), "[true,\"disk on fire: code 17\"]");
	CHECK(st.answer_rc == MICA_OK, "mica_hostcall_fail: %d", st.answer_rc);
	CHECK_RC(&f, fx_call(&f, "uncaught", "null"), MICA_ERR_JS);
	CHECK_MSG(&f, "disk on fire: code 17");
	fx_close(&f);
}

TEST(hostfn_no_answer_is_undefined)
{
	struct fx f;
	struct host_state st;
	OPEN_HOST(&f, &st);
	CHECK_RC(&f,
		 fx_load(&f, "m.js",
			 "import { record } from 'host:log';\n"
			 "export const h = () => typeof record('x');\n"),
		 MICA_OK);
	CHECK_OK(&f, fx_call(&f, "h", "null"), "\"undefined\"");
	CHECK(st.calls == 1, "%d calls", st.calls);
	fx_close(&f);
}

TEST(hostfn_return_too_large)
{
	struct fx f;
	struct host_state st;
	OPEN_HOST(&f, &st);
	CHECK_RC(
	    &f,
	    fx_load(
		&f, "m.js",
		"import { too_big } from 'host:data';\nexport const h = () => typeof too_big();\n"),
	    MICA_OK);
	CHECK_OK(&f, fx_call(&f, "h", "null"), "\"undefined\"");
	CHECK(st.answer_rc == MICA_ERR_INVALID, "mica_hostcall_return of 4 MiB: %d", st.answer_rc);
	fx_close(&f);
}

TEST(hostfn_two_modules)
{
	struct fx f;
	struct host_state st;
	OPEN_HOST(&f, &st);
	CHECK_RC(
	    &f,
	    fx_load(
		&f, "m.js",
		"import { record, mark } from 'host:log';\n"
		"import * as data from 'host:data';\n"
		"export const h = () => [typeof record, typeof mark, Object.keys(data).sort()];\n"),
	    MICA_OK);
	CHECK_OK(&f, fx_call(&f, "h", "null"),
		 "[\"function\",\"function\",[\"echo\",\"fail\",\"too_big\",\"value\"]]");
	fx_close(&f);
}

TEST(hostfn_unregistered_import)
{
	struct fx f;
	struct host_state st;
	OPEN_HOST(&f, &st);
	CHECK_RC(&f, fx_load(&f, "m.js", "import { nope } from 'host:data';\nexport const x = 1;"),
		 MICA_ERR_INVALID);
	CHECK_MSG(&f, "nope");
	CHECK_RC(&f, fx_load(&f, "m.js", "import { record } from 'host:data';"), MICA_ERR_INVALID);
	CHECK_RC(&f, fx_load(&f, "m.js", "import { record } from 'host:nomod';"), MICA_ERR_INVALID);
	CHECK_RC(&f, fx_load(&f, "m.js", "import { record } from 'host:log';"), MICA_OK);
	fx_close(&f);
}

static int noop_calls;
static void hf_noop(mica_hostcall *call, void *userdata)
{
	(void)call;
	(void)userdata;
	noop_calls++;
}

TEST(hostfn_register_validation)
{
	NEED_BACKEND();
	struct fx f;
	if (fx_runtime(&f))
		return;
	char longest[66];
	memset(longest, 'n', 65);
	longest[65] = 0;
	static const char *const bad[][2] = {
	    {"", "f"},	  {"m", ""},	{"1m", "f"},  {"m", "1f"},  {"m", "f g"}, {"m", "f-g"},
	    {"m", "f.g"}, {"m/x", "f"}, {"m", "f\n"}, {"m:x", "f"}, {NULL, "f"},  {"m", NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = mica_runtime_register(f.rt, bad[i][0], bad[i][1], hf_noop, NULL);
		CHECK(rc == MICA_ERR_INVALID, "register('%s', '%s'): %d",
		      bad[i][0] ? bad[i][0] : "NULL", bad[i][1] ? bad[i][1] : "NULL", rc);
	}
	CHECK(mica_runtime_register(f.rt, "m", "f", NULL, NULL) == MICA_ERR_INVALID,
	      "NULL fn accepted");
	CHECK(mica_runtime_register(f.rt, "m", longest, hf_noop, NULL) == MICA_ERR_INVALID,
	      "65-char name accepted");
	CHECK(mica_runtime_register(f.rt, longest, "f", hf_noop, NULL) == MICA_ERR_INVALID,
	      "65-char module accepted");
	longest[64] = 0;
	CHECK(mica_runtime_register(f.rt, "m", longest, hf_noop, NULL) == MICA_OK,
	      "64-char name refused");
	CHECK(mica_runtime_register(f.rt, "m", "f", hf_noop, NULL) == MICA_OK, "m.f refused");
	CHECK(mica_runtime_register(f.rt, "m", "f", hf_noop, NULL) == MICA_ERR_INVALID,
	      "duplicate accepted");
	CHECK(mica_runtime_register(f.rt, "m2", "f", hf_noop, NULL) == MICA_OK, "m2.f refused");
	CHECK(mica_runtime_register(f.rt, "_$m", "$f_1", hf_noop, NULL) == MICA_OK,
	      "_$m.$f_1 refused");
	if (fx_sandbox(&f, NULL)) {
		fx_close(&f);
		return;
	}
	char src[256];
	snprintf(src, sizeof(src),
		 "import { f, %s } from 'host:m';\nimport { f as g } from 'host:m2';\n"
		 "import { $f_1 } from 'host:_$m';\nf(); %s(); g(); $f_1();\n",
		 longest, longest);
	noop_calls = 0;
	CHECK_RC(&f, fx_load(&f, "m.js", src), MICA_OK);
	CHECK(noop_calls == 4, "%d calls", noop_calls);
	fx_close(&f);
}

static void hf_count(mica_hostcall *call, void *userdata)
{
	(void)call;
	++*(int *)userdata;
}

TEST(hostfn_userdata)
{
	NEED_BACKEND();
	struct fx f;
	if (fx_runtime(&f))
		return;
	int a = 0, b = 0;
	CHECK(mica_runtime_register(f.rt, "count", "a", hf_count, &a) == MICA_OK, "register a");
	CHECK(mica_runtime_register(f.rt, "count", "b", hf_count, &b) == MICA_OK, "register b");
	if (fx_sandbox(&f, NULL)) {
		fx_close(&f);
		return;
	}
	CHECK_RC(&f, fx_load(&f, "m.js", "import { a, b } from 'host:count';\na(); a(); b(); a();"),
		 MICA_OK);
	CHECK(a == 3 && b == 1, "a %d, b %d", a, b);
	fx_close(&f);
}

TEST(hostfn_registered_later)
{
	NEED_BACKEND();
	struct fx f;
	if (fx_runtime(&f) || fx_sandbox(&f, NULL)) {
		fx_close(&f);
		return;
	}
	int n = 0;
	CHECK(mica_runtime_register(f.rt, "late", "f", hf_count, &n) == MICA_OK, "register");
	CHECK_RC(&f, fx_load(&f, "m.js", "import { f } from 'host:late'; f();"), MICA_ERR_INVALID);
	mica_sandbox *old = f.sb;
	if (fx_sandbox(&f, NULL)) {
		mica_sandbox_free(old);
		fx_close(&f);
		return;
	}
	CHECK_RC(&f, fx_load(&f, "m.js", "import { f } from 'host:late'; f();"), MICA_OK);
	CHECK(n == 1, "%d calls", n);
	mica_sandbox_free(old);
	fx_close(&f);
}

TEST(hostfn_console_order)
{
	struct fx f;
	struct host_state st;
	OPEN_HOST(&f, &st);
	CHECK_RC(&f,
		 fx_load(&f, "m.js",
			 "import { mark } from 'host:log';\n"
			 "export function h() {\n"
			 "\tconsole.log('before'); mark();\n"
			 "\tconsole.error('middle'); console.log('x'); mark(); mark();\n"
			 "\tconsole.log('after');\n"
			 "}\n"),
		 MICA_OK);
	CHECK_RC(&f, fx_call(&f, "h", "null"), MICA_OK);
	const char *want = "[1]before\n<host>[2]middle\n[1]x\n<host><host>[1]after\n";
	CHECK(!strcmp(tr_text(&f.out), want), "transcript '%s', want '%s'", tr_text(&f.out), want);
	fx_close(&f);
}

/* ---- interrupt ----------------------------------------------------------- */

TEST(interrupt_running)
{
	struct fx f;
	OPEN(&f, NULL);
	mica_sandbox_set_timeout(f.sb, 10000);
	struct kicker k = {f.sb, 100};
	pthread_t th;
	if (pthread_create(&th, NULL, kick_later, &k) != 0) {
		CHECK(0, "pthread_create");
		fx_close(&f);
		return;
	}
	int64_t dt = timed_failure(&f, "while (1) {}", MICA_ERR_INTERRUPTED);
	pthread_join(th, NULL);
	CHECK(f.err.code == MICA_ERR_INTERRUPTED, "err.code %d", f.err.code);
	CHECK(dt >= 90 && dt < 1000, "interrupted after %lld ms, want about 100", (long long)dt);
	fx_close(&f);
}

/* "Stops the running (or next) operation": an interrupt while idle. */
TEST(interrupt_idle)
{
	struct fx f;
	OPEN(&f, NULL);
	CHECK_RC(&f, fx_load(&f, "m.js", "export const h = () => 1;"), MICA_OK);
	mica_sandbox_interrupt(f.sb);
	CHECK_RC(&f, fx_call(&f, "h", "null"), MICA_ERR_INTERRUPTED);
	CHECK(f.err.code == MICA_ERR_INTERRUPTED, "err.code %d", f.err.code);
	CHECK(!f.res, "result set on error");
	fx_close(&f);
}

/* ---- time and randomness ------------------------------------------------- */

TEST(date_now_matches_host)
{
	struct fx f;
	OPEN(&f, NULL);
	for (int i = 0; i < 3; i++) {
		int64_t before = clock_ms(CLOCK_REALTIME);
		CHECK_RC(&f, fx_eval(&f, "Date.now()"), MICA_OK);
		int64_t after = clock_ms(CLOCK_REALTIME);
		long long guest = f.res ? strtoll(f.res, NULL, 10) : 0;
		CHECK(guest > before - 1000 && guest < after + 1000, "guest %lld, host %lld..%lld",
		      guest, (long long)before, (long long)after);
		sleep_ms(20);
	}
	CHECK_OK(
	    &f,
	    fx_eval(
		&f,
		"const a = Date.now(); let b; while ((b = Date.now()) < a + 30) {} b - a >= 30"),
	    "true");
	fx_close(&f);
}

TEST(math_random_differs)
{
	struct fx a, b;
	OPEN(&a, NULL);
	if (fx_open(&b, NULL)) {
		fx_close(&a);
		return;
	}
	const char *code = "Array.from({ length: 4 }, Math.random).join()";
	CHECK_RC(&a, fx_eval(&a, code), MICA_OK);
	CHECK_RC(&b, fx_eval(&b, code), MICA_OK);
	CHECK(a.res && b.res && strcmp(a.res, b.res), "same random numbers: %s",
	      a.res ? a.res : "");
	fx_close(&a);
	fx_close(&b);
}

TEST(code_names)
{
	CHECK(!strcmp(mica_code_name(MICA_ERR_TIMEOUT), "time limit exceeded"), "%s",
	      mica_code_name(MICA_ERR_TIMEOUT));
	for (int c = MICA_OK; c <= MICA_ERR_INTERRUPTED; c++) {
		CHECK(mica_code_name((mica_code)c) && mica_code_name((mica_code)c)[0], "code %d",
		      c);
		for (int d = MICA_OK; d < c; d++)
			CHECK(strcmp(mica_code_name((mica_code)c), mica_code_name((mica_code)d)),
			      "codes %d and %d share a name", c, d);
	}
}

int main(void)
{
	RUN(lifecycle);
	RUN(runtime_bad_kvm_path);
	RUN(runtime_bad_image);
	RUN(many_sandboxes);
	RUN(call_export);
	RUN(call_global_function);
	RUN(export_before_global);
	RUN(top_level_await);
	RUN(promise_result_awaited);
	RUN(undefined_result_is_null);
	RUN(result_terminated_and_sized);
	RUN(console_streams);
	RUN(console_formatting);
	RUN(console_null_callback);
	RUN(eval_completion_value);
	RUN(eval_undefined_is_empty);
	RUN(eval_state_persists);
	RUN(eval_awaits_promise);
	RUN(unhandled_rejection);
	RUN(unhandled_rejection_modes);
	RUN(syntax_error);
	RUN(thrown_error);
	RUN(thrown_non_error);
	RUN(invalid_event_json);
	RUN(unknown_handler);
	RUN(import_non_host_module);
	RUN(timeout);
	RUN(timeout_kills_sandbox);
	RUN(set_timeout);
	RUN(memory_bomb_arrays);
	RUN(memory_bomb_strings);
	RUN(memory_bomb_in_call);
	RUN(unbounded_recursion);
	RUN(console_flood_truncated);
	RUN(bad_limits);
	RUN(request_too_large);
	RUN(hostfn_args_json);
	RUN(hostfn_return_value);
	RUN(hostfn_fail);
	RUN(hostfn_no_answer_is_undefined);
	RUN(hostfn_return_too_large);
	RUN(hostfn_two_modules);
	RUN(hostfn_unregistered_import);
	RUN(hostfn_register_validation);
	RUN(hostfn_userdata);
	RUN(hostfn_registered_later);
	RUN(hostfn_console_order);
	RUN(interrupt_running);
	RUN(interrupt_idle);
	RUN(date_now_matches_host);
	RUN(math_random_differs);
	RUN(code_names);
	return harness_report();
}

/*
 * The guest program: initialise QuickJS once, then serve the host's
 * requests (load a module, call a handler, evaluate a script) forever.
 * Each request ends with one MICA_HC_WAIT, which also waits for the next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "guest.h"
#include "quickjs.h"

extern const uint8_t mica_js_console[], mica_js_web[];
extern const uint32_t mica_js_console_size, mica_js_web_size;

static JSRuntime *rt;
static JSContext *ctx;
static JSValue inspect_fn;           /* console.js's formatter for values */
static JSValue error_ctor;           /* the original Error: user code may replace the global */
static JSValue user_ns;              /* namespace of the loaded module */
static int oom;                      /* the JS heap limit was hit in this request */
static JSValue unhandled;            /* first rejected promise nobody handled */
static JSValue unhandled_reason;

struct hostfn {
	const char *module;
	const char *name;
};
static struct hostfn *hostfns;
static uint32_t hostfn_count;

struct reply {
	uint32_t status;
	char *text; /* malloc'd, or NULL */
	size_t len;
};

/* ---- QuickJS allocator: the arena, with the JS heap limit ---------------- */

/* Once the limit is hit, QuickJS still needs memory to build and throw
 * the error; its double-failure paths are fragile, so those allocations
 * may use a little headroom. The request still ends as out of memory. */
#define OOM_HEADROOM (256u << 10)

static size_t heap_limit(const JSMallocState *s)
{
	return oom ? s->malloc_limit + OOM_HEADROOM : s->malloc_limit;
}

static void *qjs_malloc(JSMallocState *s, size_t size)
{
	void *p = NULL;
	if (s->malloc_size + size <= heap_limit(s))
		p = mica_arena_alloc(size);
	if (!p) {
		oom = 1;
		return NULL;
	}
	s->malloc_count++;
	s->malloc_size += mica_arena_usable_size(p);
	return p;
}

static void qjs_free(JSMallocState *s, void *p)
{
	if (!p)
		return;
	s->malloc_count--;
	s->malloc_size -= mica_arena_usable_size(p);
	mica_arena_free(p);
}

static void *qjs_realloc(JSMallocState *s, void *p, size_t size)
{
	if (!p)
		return size ? qjs_malloc(s, size) : NULL;
	if (size == 0) {
		qjs_free(s, p);
		return NULL;
	}
	size_t old = mica_arena_usable_size(p);
	void *q = NULL;
	if (s->malloc_size - old + size <= heap_limit(s))
		q = mica_arena_realloc(p, size);
	if (!q) {
		oom = 1;
		return NULL;
	}
	s->malloc_size = s->malloc_size - old + mica_arena_usable_size(q);
	return q;
}

static size_t qjs_usable_size(const void *p)
{
	return mica_arena_usable_size(p);
}

static const JSMallocFunctions qjs_mf = {qjs_malloc, qjs_free, qjs_realloc, qjs_usable_size};

/* ---- replies ------------------------------------------------------------- */

static void reply_set(struct reply *r, uint32_t status, const char *prefix, const char *s, size_t len)
{
	size_t plen = prefix ? strlen(prefix) : 0;
	r->status = status;
	r->len = 0;
	r->text = malloc(plen + len + 1);
	if (!r->text)
		return;
	if (plen)
		memcpy(r->text, prefix, plen);
	memcpy(r->text + plen, s, len);
	r->len = plen + len;
}

/* Consumes v, which should be a string. */
static void reply_value(struct reply *r, uint32_t status, const char *prefix, JSValue v)
{
	size_t len;
	const char *s = JS_ToCStringLen(ctx, &len, v);
	JS_FreeValue(ctx, v);
	if (!s) {
		JS_FreeValue(ctx, JS_GetException(ctx));
		if (oom)
			reply_set(r, MICA_GS_OOM, NULL, "out of memory", 13);
		else
			reply_set(r, status == MICA_GS_OK ? MICA_GS_EXCEPTION : status, prefix,
				  "<unprintable value>", 19);
		return;
	}
	reply_set(r, status, prefix, s, len);
	JS_FreeCString(ctx, s);
}

static JSValue inspect(JSValueConst v)
{
	return JS_Call(ctx, inspect_fn, JS_UNDEFINED, 1, &v);
}

static JSValue inspect_consume(JSValue v)
{
	JSValue s = inspect(v);
	JS_FreeValue(ctx, v);
	return s;
}

/* "Name: message\n<stack>" for errors, inspect() for other thrown values. */
static JSValue format_exception(JSValueConst e)
{
	if (!JS_IsError(ctx, e))
		return inspect(e);
	JSValue name = JS_GetPropertyStr(ctx, e, "name");
	JSValue msg = JS_GetPropertyStr(ctx, e, "message");
	JSValue stack = JS_GetPropertyStr(ctx, e, "stack");
	const char *n = JS_ToCString(ctx, name), *m = JS_ToCString(ctx, msg);
	const char *st = JS_IsString(stack) ? JS_ToCString(ctx, stack) : NULL;
	JSValue out = JS_EXCEPTION;
	if (n && m) {
		size_t len = strlen(n) + strlen(m) + (st ? strlen(st) : 0) + 4;
		char *buf = malloc(len);
		if (buf) {
			int k = snprintf(buf, len, "%s%s%s%s%s", n, *m ? ": " : "", m,
					 st && *st ? "\n" : "", st ? st : "");
			/* QuickJS ends stacks with a newline; the host adds its own. */
			while (k > 0 && buf[k - 1] == '\n')
				k--;
			out = JS_NewStringLen(ctx, buf, (size_t)k);
			free(buf);
		}
	}
	JS_FreeCString(ctx, n);
	JS_FreeCString(ctx, m);
	JS_FreeCString(ctx, st);
	JS_FreeValue(ctx, name);
	JS_FreeValue(ctx, msg);
	JS_FreeValue(ctx, stack);
	return out;
}

static void reply_exception(struct reply *r, uint32_t status, const char *prefix)
{
	JSValue e = JS_GetException(ctx);
	if (oom) {
		JS_FreeValue(ctx, e);
		reply_set(r, MICA_GS_OOM, NULL, "out of memory", 13);
		return;
	}
	JSValue text = format_exception(e);
	JS_FreeValue(ctx, e);
	if (JS_IsException(text)) {
		JS_FreeValue(ctx, JS_GetException(ctx));
		reply_set(r, oom ? MICA_GS_OOM : status, NULL, "exception (could not be formatted)", 34);
		return;
	}
	reply_value(r, status, prefix, text);
}

/* ---- promises ------------------------------------------------------------ */

static int run_jobs(void)
{
	JSContext *c;
	int ret;
	while ((ret = JS_ExecutePendingJob(rt, &c)) > 0)
		;
	return ret;
}

/* Consumes v. A promise is run to completion (pending jobs drained) and
 * replaced by its value; a rejection becomes the pending exception. */
static JSValue settle(JSValue v)
{
	if (JS_IsException(v))
		return v;
	/* Jobs run even after a synchronous result: a request's microtasks
	 * (and their failures) belong to that request, not to the next. */
	if (run_jobs() < 0) {
		JS_FreeValue(ctx, v);
		return JS_EXCEPTION;
	}
	if (JS_PromiseState(ctx, v) < 0)
		return v;
	int state = JS_PromiseState(ctx, v);
	JSValue res = JS_PromiseResult(ctx, v);
	JS_FreeValue(ctx, v);
	if (state == 1)
		return res;
	if (state == 2)
		return JS_Throw(ctx, res);
	JS_FreeValue(ctx, res);
	return JS_ThrowInternalError(ctx, "promise never settled: no pending work is left "
					  "that could settle it");
}

/* ---- host functions ------------------------------------------------------ */

static JSValue js_hostcall(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv, int fn)
{
	(void)this_val;
	JSValue arr = JS_NewArray(c);
	for (int i = 0; i < argc; i++)
		JS_SetPropertyUint32(c, arr, (uint32_t)i, JS_DupValue(c, argv[i]));
	JSValue json = JS_JSONStringify(c, arr, JS_UNDEFINED, JS_UNDEFINED);
	JS_FreeValue(c, arr);
	if (JS_IsException(json))
		return json;
	size_t len;
	const char *args = JS_ToCStringLen(c, &len, json);
	JS_FreeValue(c, json);
	if (!args)
		return JS_EXCEPTION;

	struct mica_hc_hostcall hc = {.fn = (uint32_t)fn, .args = (uint64_t)(uintptr_t)args, .args_len = len};
	mica_console_flush(); /* keep output ordered around the host's side effects */
	mica_hypercall(MICA_HC_HOSTCALL, &hc);
	JS_FreeCString(c, args);

	const char *res = (const char *)MICA_GPA_IN;
	size_t rlen = hc.result_len < MICA_IN_SIZE ? hc.result_len : 0;
	if (hc.failed) {
		JSValue msg = JS_NewStringLen(c, res, rlen);
		JSValue err = JS_CallConstructor(c, error_ctor, 1, &msg);
		JS_FreeValue(c, msg);
		return JS_IsException(err) ? err : JS_Throw(c, err);
	}
	if (rlen == 0)
		return JS_UNDEFINED;
	return JS_ParseJSON(c, res, rlen, "<host function result>");
}

static int host_module_init(JSContext *c, JSModuleDef *m)
{
	JSAtom atom = JS_GetModuleName(c, m);
	const char *mname = JS_AtomToCString(c, atom);
	JS_FreeAtom(c, atom);
	if (!mname)
		return -1;
	int ret = 0;
	for (uint32_t i = 0; i < hostfn_count && ret == 0; i++) {
		if (strcmp(hostfns[i].module, mname + 5) != 0)
			continue;
		JSValue f = JS_NewCFunctionMagic(c, js_hostcall, hostfns[i].name, 0, JS_CFUNC_generic_magic,
						 (int)i);
		ret = JS_SetModuleExport(c, m, hostfns[i].name, f);
	}
	JS_FreeCString(c, mname);
	return ret;
}

/* ---- user modules ---------------------------------------------------------- */

/* Sources of the modules compiled during the current load, kept so that a
 * failed import can name the importing file and line. */
#define MAX_SOURCES 64
static struct {
	char *name, *src;
} sources[MAX_SOURCES];
static int nsources;
static char *importer, *specifier; /* of the import being resolved */

static char *dup_str(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

static void sources_add(const char *name, const char *src, size_t len)
{
	if (nsources == MAX_SOURCES)
		return;
	sources[nsources].name = dup_str(name, strlen(name));
	sources[nsources].src = dup_str(src, len);
	nsources++;
}

static void sources_clear(void)
{
	for (int i = 0; i < nsources; i++) {
		free(sources[i].name);
		free(sources[i].src);
	}
	nsources = 0;
}

/* Line of the first quoted occurrence of spec in module `name`, or 0. */
static int import_line(const char *name, const char *spec)
{
	size_t n = strlen(spec);
	for (int i = 0; name && i < nsources; i++) {
		if (strcmp(sources[i].name, name) != 0)
			continue;
		int line = 1;
		for (const char *p = sources[i].src; *p; p++) {
			if (*p == '\n')
				line++;
			else if ((*p == '"' || *p == '\'') && !strncmp(p + 1, spec, n) && p[n + 1] == *p)
				return line;
		}
	}
	return 0;
}

/* "./x.js" and "../x.js" resolve against the importer's directory; other
 * names (host:..., bare names) stay as they are. */
static char *normalize(JSContext *c, const char *base, const char *name, void *opaque)
{
	(void)opaque;
	free(importer);
	free(specifier);
	importer = dup_str(base, strlen(base));
	specifier = dup_str(name, strlen(name));
	if (name[0] != '.')
		return js_strdup(c, name);
	const char *slash = strrchr(base, '/');
	size_t dir = slash ? (size_t)(slash - base + 1) : 0;
	char *path = js_malloc(c, dir + strlen(name) + 1);
	if (!path)
		return NULL;
	memcpy(path, base, dir);
	strcpy(path + dir, name);
	/* Collapse "." and ".." segments in place; a ".." that would climb
	 * above the root stays, and the host refuses it. */
	char *out = path;
	for (char *p = path; *p;) {
		size_t k = strcspn(p, "/");
		int last = p[k] == 0;
		if (k == 1 && p[0] == '.') {
		} else if (k == 2 && p[0] == '.' && p[1] == '.' && out > path &&
			   !(out - path >= 3 && !strncmp(out - 3, "../", 3))) {
			out--;
			while (out > path && out[-1] != '/')
				out--;
		} else {
			memmove(out, p, k);
			out += k;
			if (!last)
				*out++ = '/';
		}
		p += k + !last;
	}
	*out = 0;
	return path;
}

static JSModuleDef *load_user_module(JSContext *c, const char *name)
{
	struct mica_hc_module hc = {.name = (uint64_t)(uintptr_t)name, .name_len = strlen(name)};
	mica_console_flush();
	mica_hypercall(MICA_HC_MODULE, &hc);
	const char *src = (const char *)MICA_GPA_IN;
	size_t len = hc.result_len < MICA_IN_SIZE ? hc.result_len : 0;
	if (hc.failed) {
		int line = import_line(importer, specifier);
		char where[256] = "";
		if (importer)
			snprintf(where, sizeof(where), line ? " (imported at %.200s:%d)" : " (imported by %.200s)",
				 importer, line);
		JS_ThrowReferenceError(c, "could not load module '%s'%s: %.*s", specifier ? specifier : name,
				       where, (int)len, src);
		return NULL;
	}
	sources_add(name, src, len);
	JSValue m = JS_Eval(c, src, len, name, JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
	if (JS_IsException(m))
		return NULL;
	JSModuleDef *md = JS_VALUE_GET_PTR(m);
	JS_FreeValue(c, m);
	return md;
}

static JSModuleDef *module_loader(JSContext *c, const char *name, void *opaque)
{
	(void)opaque;
	if (strncmp(name, "host:", 5) != 0)
		return load_user_module(c, name);
	JSModuleDef *m = NULL;
	for (uint32_t i = 0; i < hostfn_count; i++) {
		if (strcmp(hostfns[i].module, name + 5) != 0)
			continue;
		if (!m && !(m = JS_NewCModule(c, name, host_module_init)))
			return NULL;
		if (JS_AddModuleExport(c, m, hostfns[i].name) < 0)
			return NULL;
	}
	if (!m)
		JS_ThrowReferenceError(c, "could not load module '%s': the host registered no functions "
					  "in module '%s'",
				       name, name + 5);
	return m;
}

/* The table arrives in MICA_GPA_IN at boot: "module\0name\0" per function. */
static void hostfns_init(const struct mica_boot_info *bi)
{
	if (bi->hostfn_count == 0)
		return;
	if (bi->hostfn_table_len > MICA_IN_SIZE)
		mica_guest_exit(2, "host function table too large");
	char *tab = malloc(bi->hostfn_table_len);
	hostfns = calloc(bi->hostfn_count, sizeof(*hostfns));
	if (!tab || !hostfns)
		mica_guest_exit(2, "out of memory at boot");
	memcpy(tab, (const void *)MICA_GPA_IN, bi->hostfn_table_len);
	const char *p = tab, *end = tab + bi->hostfn_table_len;
	for (uint32_t i = 0; i < bi->hostfn_count; i++) {
		for (int k = 0; k < 2; k++) {
			const char *z = memchr(p, 0, (size_t)(end - p));
			if (!z)
				mica_guest_exit(2, "malformed host function table");
			if (k == 0)
				hostfns[i].module = p;
			else
				hostfns[i].name = p;
			p = z + 1;
		}
	}
	hostfn_count = bi->hostfn_count;
}

/* ---- console ------------------------------------------------------------- */

static JSValue js_write(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val;
	int32_t stream = 1;
	if (argc < 2 || JS_ToInt32(c, &stream, argv[0]) < 0)
		return JS_EXCEPTION;
	size_t len;
	const char *s = JS_ToCStringLen(c, &len, argv[1]);
	if (!s)
		return JS_EXCEPTION;
	mica_console_write(stream == 2 ? 2 : 1, s, len);
	JS_FreeCString(c, s);
	return JS_UNDEFINED;
}

/* ---- unhandled rejections ------------------------------------------------ */

static void forget_rejection(void)
{
	JS_FreeValue(ctx, unhandled);
	JS_FreeValue(ctx, unhandled_reason);
	unhandled = unhandled_reason = JS_UNDEFINED;
}

static void on_rejection(JSContext *c, JSValueConst promise, JSValueConst reason, JS_BOOL is_handled,
			 void *opaque)
{
	(void)opaque;
	if (!is_handled && JS_IsUndefined(unhandled)) {
		unhandled = JS_DupValue(c, promise);
		unhandled_reason = JS_DupValue(c, reason);
	} else if (is_handled && JS_VALUE_GET_PTR(promise) == JS_VALUE_GET_PTR(unhandled)) {
		forget_rejection();
	}
}

/* Consumes v. A rejection that no code handled fails the request the way
 * an uncaught exception does. */
static JSValue check_rejections(JSValue v)
{
	if (JS_IsException(v) || JS_IsUndefined(unhandled)) {
		forget_rejection();
		return v;
	}
	JS_FreeValue(ctx, v);
	JSValue reason = JS_DupValue(ctx, unhandled_reason);
	forget_rejection();
	return JS_Throw(ctx, reason);
}

/* ---- fresh entropy ------------------------------------------------------- */

static uint64_t seen_generation;

/* A restored snapshot must not replay the random stream of its siblings:
 * the host renews the seed and bumps the generation; reseed on change. */
static void reseed_if_renewed(void)
{
	const struct mica_boot_info *bi = MICA_INFO;
	if (bi->generation == seen_generation)
		return;
	seen_generation = bi->generation;
	JS_SetRandomSeed(ctx, bi->random[0]);
}

/* ---- requests ------------------------------------------------------------ */

static void do_load_module(const char *name, const char *src, size_t len, struct reply *r);

static void do_load(const char *name, const char *src, size_t len, struct reply *r)
{
	/* Compile from a copy: imports reuse the request buffer. */
	sources_add(name, src, len);
	const char *copy = nsources ? sources[nsources - 1].src : NULL;
	do_load_module(name, copy ? copy : src, len, r);
	sources_clear();
}

static void do_load_module(const char *name, const char *src, size_t len, struct reply *r)
{
	JSValue m = JS_Eval(ctx, src, len, name,
			    JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY | JS_EVAL_FLAG_ASYNC_MODULE);
	if (JS_IsException(m)) {
		reply_exception(r, MICA_GS_SYNTAX, NULL);
		return;
	}
	JSModuleDef *md = JS_VALUE_GET_PTR(m);
	/* Imports of names a module does not export are input errors too. */
	if (JS_LinkModule(ctx, m) < 0) {
		JS_FreeValue(ctx, m);
		reply_exception(r, MICA_GS_SYNTAX, NULL);
		return;
	}
	JSValue v = check_rejections(settle(JS_EvalFunction(ctx, m)));
	if (JS_IsException(v)) {
		reply_exception(r, MICA_GS_EXCEPTION, NULL);
		return;
	}
	JS_FreeValue(ctx, v);
	JS_FreeValue(ctx, user_ns);
	user_ns = JS_GetModuleNamespace(ctx, md);
	if (JS_IsException(user_ns)) {
		user_ns = JS_UNDEFINED;
		reply_exception(r, MICA_GS_EXCEPTION, NULL);
		return;
	}
	r->status = MICA_GS_OK;
}

static JSValue find_handler(const char *name)
{
	JSValue fn = JS_UNDEFINED;
	if (!JS_IsUndefined(user_ns)) {
		fn = JS_GetPropertyStr(ctx, user_ns, name);
		if (JS_IsException(fn) || JS_IsFunction(ctx, fn))
			return fn;
		JS_FreeValue(ctx, fn);
	}
	JSValue global = JS_GetGlobalObject(ctx);
	fn = JS_GetPropertyStr(ctx, global, name);
	JS_FreeValue(ctx, global);
	return fn;
}

static void do_call(const char *name, const char *event, size_t len, struct reply *r)
{
	JSValue ev = JS_ParseJSON(ctx, event, len, "<event>");
	if (JS_IsException(ev)) {
		reply_exception(r, MICA_GS_BAD_INPUT, "invalid event JSON: ");
		return;
	}
	JSValue fn = find_handler(name);
	if (JS_IsException(fn)) {
		JS_FreeValue(ctx, ev);
		reply_exception(r, MICA_GS_EXCEPTION, NULL);
		return;
	}
	if (!JS_IsFunction(ctx, fn)) {
		JS_FreeValue(ctx, ev);
		JS_FreeValue(ctx, fn);
		char msg[320];
		int n = snprintf(msg, sizeof(msg),
				 "no handler named '%.200s': the module exports no such function and "
				 "there is no such global function",
				 name);
		reply_set(r, MICA_GS_BAD_INPUT, NULL, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
		return;
	}
	JSValue res = check_rejections(settle(JS_Call(ctx, fn, JS_UNDEFINED, 1, &ev)));
	JS_FreeValue(ctx, fn);
	JS_FreeValue(ctx, ev);
	if (JS_IsException(res)) {
		reply_exception(r, MICA_GS_EXCEPTION, NULL);
		return;
	}
	JSValue json = JS_JSONStringify(ctx, res, JS_UNDEFINED, JS_UNDEFINED);
	JS_FreeValue(ctx, res);
	if (JS_IsException(json)) {
		reply_exception(r, MICA_GS_EXCEPTION, NULL);
		return;
	}
	if (JS_IsUndefined(json)) {
		reply_set(r, MICA_GS_OK, NULL, "null", 4);
		return;
	}
	reply_value(r, MICA_GS_OK, NULL, json);
}

static void do_eval(const char *name, const char *src, size_t len, struct reply *r)
{
	JSValue f = JS_Eval(ctx, src, len, name, JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
	if (JS_IsException(f)) {
		reply_exception(r, MICA_GS_SYNTAX, NULL);
		return;
	}
	/* A promise completion is awaited, as a REPL with top-level await would. */
	JSValue v = check_rejections(settle(JS_EvalFunction(ctx, f)));
	if (JS_IsException(v)) {
		reply_exception(r, MICA_GS_EXCEPTION, NULL);
		return;
	}
	if (JS_IsUndefined(v)) {
		r->status = MICA_GS_OK;
		return;
	}
	/* Strings print as-is, everything else as console.log shows it. */
	reply_value(r, MICA_GS_OK, NULL, JS_IsString(v) ? v : inspect_consume(v));
}

/* Evaluates one of the runtime's precompiled scripts; they must not fail. */
static void run_bytecode(const uint8_t *code, uint32_t size, const char *failure)
{
	JSValue fn = JS_ReadObject(ctx, code, size, JS_READ_OBJ_BYTECODE);
	JSValue v = JS_IsException(fn) ? fn : JS_EvalFunction(ctx, fn);
	if (JS_IsException(v))
		mica_guest_exit(2, failure);
	JS_FreeValue(ctx, v);
}

/* For performance.now(): nanoseconds from the TSC, no exit. */
static JSValue js_hrtime(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)c, (void)this_val, (void)argc, (void)argv;
	return JS_NewFloat64(c, (double)mica_clock_wall_ns());
}

/* web.js is evaluated on first use of one of its globals: it doubled the
 * time from boot to ready (1 ms more), and most handlers never touch it. */
static const char *const web_globals[] = {
	"DOMException", "TextEncoder",	   "TextDecoder",     "atob",	       "btoa",
	"URL",		"URLSearchParams", "structuredClone", "queueMicrotask", "performance"};
#define N_WEB_GLOBALS (int)(sizeof(web_globals) / sizeof(web_globals[0]))

static int load_web(JSContext *c)
{
	static int loaded;
	if (loaded)
		return 0;
	loaded = 1;
	JSValue global = JS_GetGlobalObject(c);
	for (int i = 0; i < N_WEB_GLOBALS; i++) {
		JSAtom a = JS_NewAtom(c, web_globals[i]);
		JS_DeleteProperty(c, global, a, 0);
		JS_FreeAtom(c, a);
	}
	/* web.js takes it for performance.now() and deletes it */
	JS_SetPropertyStr(c, global, "__mica_hrtime", JS_NewCFunction(c, js_hrtime, "__mica_hrtime", 0));
	JS_FreeValue(c, global);
	JSValue fn = JS_ReadObject(c, mica_js_web, mica_js_web_size, JS_READ_OBJ_BYTECODE);
	JSValue v = JS_IsException(fn) ? fn : JS_EvalFunction(c, fn);
	if (JS_IsException(v))
		return -1;
	JS_FreeValue(c, v);
	return 0;
}

static JSValue js_web_get(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv, int i)
{
	(void)this_val, (void)argc, (void)argv;
	if (load_web(c) < 0)
		return JS_EXCEPTION;
	JSValue global = JS_GetGlobalObject(c);
	JSValue v = JS_GetPropertyStr(c, global, web_globals[i]);
	JS_FreeValue(c, global);
	return v;
}

static JSValue js_web_set(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv, int i)
{
	(void)this_val;
	if (load_web(c) < 0)
		return JS_EXCEPTION;
	JSValue global = JS_GetGlobalObject(c);
	int r = JS_SetPropertyStr(c, global, web_globals[i], JS_DupValue(c, argc ? argv[0] : JS_UNDEFINED));
	JS_FreeValue(c, global);
	return r < 0 ? JS_EXCEPTION : JS_UNDEFINED;
}

static void define_web_globals(JSValueConst global)
{
	for (int i = 0; i < N_WEB_GLOBALS; i++) {
		JSAtom a = JS_NewAtom(ctx, web_globals[i]);
		JS_DefinePropertyGetSet(
			ctx, global, a,
			JS_NewCFunctionMagic(ctx, js_web_get, web_globals[i], 0, JS_CFUNC_generic_magic, i),
			JS_NewCFunctionMagic(ctx, js_web_set, web_globals[i], 1, JS_CFUNC_generic_magic, i),
			JS_PROP_CONFIGURABLE);
		JS_FreeAtom(ctx, a);
	}
}

static void init_js(const struct mica_boot_info *bi)
{
	rt = JS_NewRuntime2(&qjs_mf, NULL);
	if (!rt)
		mica_guest_exit(4, "out of memory creating the JS runtime");
	JS_SetMemoryLimit(rt, bi->js_heap_limit);
	JS_SetMaxStackSize(rt, bi->stack_size / 4 * 3);
	JS_SetModuleLoaderFunc(rt, normalize, module_loader, NULL);
	JS_SetHostPromiseRejectionTracker(rt, on_rejection, NULL);
	unhandled = unhandled_reason = JS_UNDEFINED;
	ctx = JS_NewContext(rt);
	if (!ctx)
		mica_guest_exit(4, "out of memory creating the JS context");
	JS_AddIntrinsicBigFloat(ctx);
	JS_AddIntrinsicBigDecimal(ctx);
	JS_AddIntrinsicOperators(ctx);
	JS_EnableBignumExt(ctx, 1);

	JSValue global = JS_GetGlobalObject(ctx);
	JS_SetPropertyStr(ctx, global, "__mica_write", JS_NewCFunction(ctx, js_write, "__mica_write", 2));
	run_bytecode(mica_js_console, mica_js_console_size, "the runtime's console.js failed to evaluate");
	define_web_globals(global);
	error_ctor = JS_GetPropertyStr(ctx, global, "Error");
	inspect_fn = JS_GetPropertyStr(ctx, global, "__mica_inspect");
	if (!JS_IsFunction(ctx, inspect_fn))
		mica_guest_exit(2, "console.js defines no __mica_inspect");
	JSAtom a = JS_NewAtom(ctx, "__mica_inspect");
	JS_DeleteProperty(ctx, global, a, 0);
	JS_FreeAtom(ctx, a);
	JS_FreeValue(ctx, global);
	user_ns = JS_UNDEFINED;
	reseed_if_renewed();
}

int main(void)
{
	const struct mica_boot_info *bi = MICA_INFO;
	if (bi->magic != MICA_BOOT_MAGIC || bi->abi_version != MICA_ABI_VERSION)
		mica_guest_exit(2, "boot info: bad magic or ABI version");
	mica_arena_init((void *)bi->heap_start, bi->heap_end - bi->heap_start);
	hostfns_init(bi);
	init_js(bi);

	struct mica_hc_wait w = {.status = MICA_GS_READY};
	struct reply r = {0};
	for (;;) {
		mica_console_flush();
		w.result = (uint64_t)(uintptr_t)r.text;
		w.result_len = r.len;
		w.status = r.status;
		mica_hypercall(MICA_HC_WAIT, &w);

		free(r.text);
		memset(&r, 0, sizeof(r));
		mica_console_reset();
		reseed_if_renewed();
		forget_rejection();
		oom = 0;
		if (w.name_len + w.data_len + 2 > MICA_IN_SIZE) {
			reply_set(&r, MICA_GS_BAD_INPUT, NULL, "request too large", 17);
			continue;
		}
		const char *name = (const char *)MICA_GPA_IN;
		const char *data = name + w.name_len + 1;
		switch (w.op) {
		case MICA_OP_LOAD:
			do_load(name, data, w.data_len, &r);
			break;
		case MICA_OP_CALL:
			do_call(name, data, w.data_len, &r);
			break;
		case MICA_OP_EVAL:
			do_eval(name, data, w.data_len, &r);
			break;
		default:
			reply_set(&r, MICA_GS_BAD_INPUT, NULL, "unknown request", 15);
		}
	}
}

/*
 * The guest program: initialise QuickJS once, then serve the host's
 * requests (load a module, call a handler, evaluate a script) forever.
 * Each request ends with one MICA_HC_WAIT, which also waits for the next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "runtime.h"

JSRuntime *rt;
JSContext *ctx;
static JSValue user_ns;	    /* namespace of the loaded module */
static JSValue unhandled;   /* first rejected promise nobody handled */
static uint32_t rejections; /* the request's MICA_REQ_REJECTIONS_* flags */
static JSValue unhandled_reason;

struct reply {
	uint32_t status;
	uint32_t kind; /* enum mica_kind */
	char *text;    /* malloc'd, or NULL; or, when borrowed, the bytes of keep */
	size_t len;
	int borrowed;
	JSValue keep; /* the ArrayBuffer, typed array or DataView text points into */
};

/* Ends r: frees what it owns and clears it. */
static void reply_free(struct reply *r)
{
	if (r->borrowed)
		JS_FreeValue(ctx, r->keep);
	else
		free(r->text);
	memset(r, 0, sizeof(*r));
}

/* ---- replies ------------------------------------------------------------- */

static void reply_set(struct reply *r, uint32_t status, const char *prefix, const char *s,
		      size_t len)
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
	return mica_inspect(v);
}

static JSValue inspect_consume(JSValue v)
{
	JSValue s = inspect(v);
	JS_FreeValue(ctx, v);
	return s;
}

JSValue mica_format_exception(JSValueConst e)
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
	JSValue text = mica_format_exception(e);
	JS_FreeValue(ctx, e);
	if (JS_IsException(text)) {
		JS_FreeValue(ctx, JS_GetException(ctx));
		reply_set(r, oom ? MICA_GS_OOM : status, NULL, "exception (could not be formatted)",
			  34);
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

/* Whether the request waits for every timer and host call (load, eval: a
 * script, as in Node) or only for its result (call). Set per request. */
static int drain_loop;

/* Consumes v. A promise is run to completion (pending jobs drained) and
 * replaced by its value; a rejection becomes the pending exception. The
 * event loop turns meanwhile: microtasks, then a due timer or host call
 * completions (or a sleep until one is due), then microtasks... It stops
 * when v has settled and, for load and eval, nothing is pending; or at a
 * rejection of v, an unhandled rejection or a throwing timer callback. */
static void warn_rejection(void);

static JSValue settle(JSValue v)
{
	if (JS_IsException(v))
		return v;
	for (;;) {
		/* Jobs run even after a synchronous result: a request's microtasks
		 * (and their failures) belong to that request, not to the next. */
		if (run_jobs() < 0) {
			JS_FreeValue(ctx, v);
			return JS_EXCEPTION;
		}
		if (mica_dispatch_drained())
			continue; /* the dispatcher waited for no job to be left */
		warn_rejection();
		int state = JS_PromiseState(ctx, v); /* -1: not a promise */
		/* a batch's dispatcher takes its requests' rejections itself */
		if (state == 2 || (!JS_IsUndefined(unhandled) && !mica_dispatch_batching) ||
		    !mica_loop_pending())
			break;
		if (state != 0 && !drain_loop)
			break;
		if (mica_loop_step() < 0) {
			JS_FreeValue(ctx, v);
			return JS_EXCEPTION;
		}
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
	if (!JS_IsUndefined(unhandled))
		return JS_UNDEFINED; /* stopped by a rejection: check_rejections throws it */
	return JS_ThrowInternalError(ctx, "promise never settled: no pending work is left "
					  "that could settle it");
}

/* ---- unhandled rejections ------------------------------------------------ */

static void forget_rejection(void)
{
	JS_FreeValue(ctx, unhandled);
	JS_FreeValue(ctx, unhandled_reason);
	unhandled = unhandled_reason = JS_UNDEFINED;
}

static void on_rejection(JSContext *c, JSValueConst promise, JSValueConst reason,
			 JS_BOOL is_handled, void *opaque)
{
	(void)opaque;
	if (rejections & MICA_REQ_REJECTIONS_NONE)
		return;
	if (!is_handled && JS_IsUndefined(unhandled)) {
		unhandled = JS_DupValue(c, promise);
		unhandled_reason = JS_DupValue(c, reason);
	} else if (is_handled && JS_VALUE_GET_PTR(promise) == JS_VALUE_GET_PTR(unhandled)) {
		forget_rejection();
	}
}

/* MICA_REQ_REJECTIONS_WARN: a rejection nobody handled once the jobs ran
 * goes to stderr, and the request goes on. */
static void warn_rejection(void)
{
	if (!(rejections & MICA_REQ_REJECTIONS_WARN) || JS_IsUndefined(unhandled))
		return;
	JSValue text = mica_format_exception(unhandled_reason);
	const char *s = JS_IsException(text) ? NULL : JS_ToCString(ctx, text);
	static const char head[] = "Uncaught (in promise) ";
	mica_console_write(2, head, sizeof(head) - 1);
	if (s)
		mica_console_write(2, s, strlen(s));
	mica_console_write(2, "\n", 1);
	JS_FreeCString(ctx, s);
	if (JS_IsException(text))
		JS_FreeValue(ctx, JS_GetException(ctx));
	else
		JS_FreeValue(ctx, text);
	forget_rejection();
}

JSValue mica_rejection_take(void)
{
	warn_rejection();
	if (JS_IsUndefined(unhandled))
		return JS_NULL;
	JSValue text = mica_format_exception(unhandled_reason);
	forget_rejection();
	return text;
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
static void run_module(JSValue m, struct reply *r);

static void do_load(const char *name, const char *src, size_t len, struct reply *r)
{
	/* Compile from a copy: imports reuse the request buffer. */
	mica_sources_add(name, src, len);
	const char *copy = mica_sources_last();
	do_load_module(name, copy ? copy : src, len, r);
	mica_sources_clear();
}

static void do_load_module(const char *name, const char *src, size_t len, struct reply *r)
{
	JSValue m =
	    JS_Eval(ctx, src, len, name,
		    JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY | JS_EVAL_FLAG_ASYNC_MODULE);
	if (JS_IsException(m)) {
		reply_exception(r, MICA_GS_SYNTAX, NULL);
		return;
	}
	run_module(m, r);
}

/* Links the compiled module m (consumed), evaluates it, running its
 * top-level await to completion, and keeps its namespace for handlers. */
static void run_module(JSValue m, struct reply *r)
{
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

/* Compiles a module (with top-level await, as do_load does) without running
 * it and replies with its bytecode. Imports are not fetched: they become
 * placeholders (modules.c) and are resolved when the bytecode is loaded. */
static void do_compile(const char *name, const char *src, size_t len, struct reply *r)
{
	mica_compiling = 1;
	JSValue m =
	    JS_Eval(ctx, src, len, name,
		    JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY | JS_EVAL_FLAG_ASYNC_MODULE);
	mica_compiling = 0;
	if (JS_IsException(m)) {
		reply_exception(r, MICA_GS_SYNTAX, NULL);
		return;
	}
	size_t n = 0;
	uint8_t *bc = JS_WriteObject(ctx, &n, m, JS_WRITE_OBJ_BYTECODE);
	JS_FreeValue(ctx, m);
	if (!bc) {
		reply_exception(r, MICA_GS_EXCEPTION, NULL);
		return;
	}
	if (n >= MICA_IN_SIZE - 2) { /* it could never be loaded again */
		js_free(ctx, bc);
		reply_set(r, MICA_GS_BAD_INPUT, NULL,
			  "compiled module too large (3 MiB of bytecode or more)", 53);
		return;
	}
	reply_set(r, MICA_GS_OK, NULL, (const char *)bc, n);
	js_free(ctx, bc);
	if (!r->text)
		reply_set(r, MICA_GS_OOM, NULL, "out of memory", 13);
}

/* Loads do_compile's bytecode (checked by the host, but not verifiable:
 * hostile bytecode can only harm this sandbox) and runs it as do_load does. */
static void do_load_bytecode(const char *name, const char *bc, size_t len, struct reply *r)
{
	JSValue m = JS_ReadObject(ctx, (const uint8_t *)bc, len, JS_READ_OBJ_BYTECODE);
	if (JS_IsException(m)) {
		reply_exception(r, MICA_GS_BAD_INPUT, "invalid bytecode: ");
		return;
	}
	if (JS_VALUE_GET_TAG(m) != JS_TAG_MODULE) {
		JS_FreeValue(ctx, m);
		reply_set(r, MICA_GS_BAD_INPUT, NULL, "invalid bytecode: not a module", 30);
		return;
	}
	JSAtom atom = JS_GetModuleName(ctx, JS_VALUE_GET_PTR(m));
	const char *mname = JS_AtomToCString(ctx, atom);
	JS_FreeAtom(ctx, atom);
	int same = mname && !strcmp(mname, name);
	JS_FreeCString(ctx, mname);
	if (!same) {
		JS_FreeValue(ctx, m);
		static const char msg[] = "invalid bytecode: its module name is not the file's";
		reply_set(r, MICA_GS_BAD_INPUT, NULL, msg, sizeof(msg) - 1);
		return;
	}
	/* The imports are fetched now, relative to the module's name. */
	if (JS_ResolveModule(ctx, m) < 0) {
		JS_FreeValue(ctx, m);
		reply_exception(r, MICA_GS_SYNTAX, NULL);
		return;
	}
	run_module(m, r);
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
	/* Its own properties only: toString or constructor, which every object
	 * inherits, are no global functions. */
	JSValue global = JS_GetGlobalObject(ctx);
	JSAtom atom = JS_NewAtom(ctx, name);
	int own = atom == JS_ATOM_NULL ? -1 : JS_GetOwnProperty(ctx, NULL, global, atom);
	fn = own < 0 ? JS_EXCEPTION : own ? JS_GetProperty(ctx, global, atom) : JS_UNDEFINED;
	JS_FreeAtom(ctx, atom);
	JS_FreeValue(ctx, global);
	return fn;
}

/* Consumes v. A result that is binary data (ArrayBuffer, typed array,
 * DataView) is reported as bytes, in place: r keeps v alive until the host
 * has read them at the next WAIT. 0 if v is not binary (v not consumed). */
static int reply_bytes(struct reply *r, JSValue v)
{
	const uint8_t *p;
	size_t len;
	int k = mica_bytes_of(v, &p, &len);
	if (k == 0)
		return 0;
	if (k < 0) {
		JS_FreeValue(ctx, v);
		reply_exception(r, MICA_GS_EXCEPTION, NULL);
		return 1;
	}
	if (len >= MICA_RESULT_MAX) {
		JS_FreeValue(ctx, v);
		char msg[128];
		int n = snprintf(msg, sizeof(msg),
				 "RangeError: binary result of %zu bytes is too large (the limit "
				 "is %llu)",
				 len, (unsigned long long)MICA_RESULT_MAX - 1);
		reply_set(r, MICA_GS_EXCEPTION, NULL, msg, (size_t)n);
		return 1;
	}
	r->status = MICA_GS_OK;
	r->kind = MICA_KIND_BYTES;
	r->text = (char *)p;
	r->len = len;
	r->borrowed = 1;
	r->keep = v;
	return 1;
}

static void do_call(const char *name, const char *event, size_t len, int bytes, struct reply *r)
{
	/* Bytes become a Uint8Array: one copy, since the request buffer is reused. */
	JSValue ev =
	    bytes ? mica_new_bytes(ctx, event, len) : JS_ParseJSON(ctx, event, len, "<event>");
	if (JS_IsException(ev) && bytes) {
		reply_exception(r, MICA_GS_EXCEPTION, NULL);
		return;
	}
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
		int n =
		    snprintf(msg, sizeof(msg),
			     "no handler named '%.200s': the module exports no such function and "
			     "there is no such global function",
			     name);
		reply_set(r, MICA_GS_BAD_INPUT, NULL, msg,
			  (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
		return;
	}
	JSValue res = check_rejections(settle(JS_Call(ctx, fn, JS_UNDEFINED, 1, &ev)));
	JS_FreeValue(ctx, fn);
	JS_FreeValue(ctx, ev);
	if (JS_IsException(res)) {
		reply_exception(r, MICA_GS_EXCEPTION, NULL);
		return;
	}
	if (reply_bytes(r, res))
		return;
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

static void init_js(const struct mica_boot_info *bi)
{
	rt = JS_NewRuntime2(&mica_js_malloc, NULL);
	if (!rt)
		mica_guest_exit(4, "out of memory creating the JS runtime");
	JS_SetMemoryLimit(rt, bi->js_heap_limit);
	JS_SetMaxStackSize(rt, bi->stack_size / 4 * 3);
	JS_SetModuleLoaderFunc(rt, mica_module_normalize, mica_module_load, NULL);
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
	mica_builtins_init(global);
	mica_timers_init(global);
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
	mica_hostfns_init(bi);
	init_js(bi);

	struct mica_hc_wait w = {.status = MICA_GS_READY};
	struct reply r = {0};
	for (;;) {
		mica_console_flush();
		w.result = (uint64_t)(uintptr_t)r.text;
		w.result_len = r.len;
		w.status = r.status;
		w.kind = r.kind;
		/* Small results go where both backends' hosts read them in place. */
		if (r.len && r.len <= MICA_INLINE_SIZE) {
			memcpy((void *)MICA_GPA_INLINE, r.text, r.len);
			w.result = MICA_GPA_INLINE;
		}
		mica_hypercall(MICA_HC_WAIT, &w, sizeof(w));

		reply_free(&r);
		mica_console_reset();
		reseed_if_renewed();
		forget_rejection();
		rejections = w.flags & (MICA_REQ_REJECTIONS_WARN | MICA_REQ_REJECTIONS_NONE);
		oom = 0;
		mica_dispatch_batching = 0;
		uint64_t room = w.request == MICA_GPA_INLINE ? MICA_INLINE_SIZE : MICA_IN_SIZE;
		if ((w.request != MICA_GPA_INLINE && w.request != MICA_GPA_IN) ||
		    w.name_len > room || w.data_len > room - w.name_len ||
		    room - w.name_len - w.data_len < 2) {
			reply_set(&r, MICA_GS_BAD_INPUT, NULL, "request too large", 17);
			continue;
		}
		const char *name = (const char *)(uintptr_t)w.request;
		const char *data = name + w.name_len + 1;
		drain_loop = w.op != MICA_OP_CALL;
		switch (w.op) {
		case MICA_OP_LOAD: do_load(name, data, w.data_len, &r); break;
		case MICA_OP_CALL:
			do_call(name, data, w.data_len, (w.flags & MICA_REQ_BYTES) != 0, &r);
			break;
		case MICA_OP_EVAL: do_eval(name, data, w.data_len, &r); break;
		case MICA_OP_COMPILE: do_compile(name, data, w.data_len, &r); break;
		case MICA_OP_LOAD_BYTECODE: do_load_bytecode(name, data, w.data_len, &r); break;
		default: reply_set(&r, MICA_GS_BAD_INPUT, NULL, "unknown request", 15);
		}
		mica_loop_reset(); /* what is still pending ends with its request */
	}
}

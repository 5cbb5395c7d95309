/* The runtime's JavaScript parts and their native helpers. */
#include <string.h>

#include "runtime.h"

extern const uint8_t mica_js_lang[], mica_js_console[], mica_js_web[], mica_js_crypto[],
    mica_js_fetch[];
extern const uint32_t mica_js_lang_size, mica_js_console_size, mica_js_web_size,
    mica_js_crypto_size, mica_js_fetch_size;

static JSValue inspect_fn; /* console.js's formatter for values */

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

static int eval_bytecode(JSContext *c, const uint8_t *code, uint32_t size)
{
	JSValue fn = JS_ReadObject(c, code, size, JS_READ_OBJ_BYTECODE);
	JSValue v = JS_IsException(fn) ? fn : JS_EvalFunction(c, fn);
	if (JS_IsException(v))
		return -1;
	JS_FreeValue(c, v);
	return 0;
}

/* For performance.now(): nanoseconds from the TSC, no exit. */
static JSValue js_hrtime(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)c, (void)this_val, (void)argc, (void)argv;
	return JS_NewFloat64(c, (double)mica_clock_wall_ns());
}

int mica_define_natives(JSContext *c, JSValueConst global, const char *name,
			const JSCFunctionListEntry *fns, int count)
{
	JSValue native = JS_NewObject(c);
	if (JS_IsException(native))
		return -1;
	JS_SetPropertyFunctionList(c, native, fns, count);
	/* defined, not set: an accessor user code put there first would
	 * otherwise be handed the natives, or give the script its own */
	return JS_DefinePropertyValueStr(c, global, name, native,
					 JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE | JS_PROP_THROW) <
		       0
		   ? -1
		   : 0;
}

/* web.js and crypto.js are evaluated on first use of one of their globals:
 * web.js alone added 1 ms from boot to ready, and most handlers use neither.
 * Until then each global is an accessor that loads its script. */
struct lazy_script {
	const char *const *names;
	int count;
	const uint8_t *code;
	const uint32_t *size;
	int (*prepare)(JSContext *c, JSValueConst global); /* hidden natives it takes */
	int loaded;
};

static const char *const web_globals[] = {
    "DOMException", "TextEncoder",     "TextDecoder",	  "atob",	    "btoa",
    "URL",	    "URLSearchParams", "structuredClone", "queueMicrotask", "performance"};
static const char *const crypto_globals[] = {"crypto", "Crypto", "SubtleCrypto", "CryptoKey"};
/* fetch.js: the Fetch API objects, the dispatcher of `mica serve`, and the
 * events, Blob and streams that bodies are made of */
static const char *const fetch_globals[] = {"Headers",
					    "Request",
					    "Response",
					    "FormData",
					    "reportError",
					    "__mica_serve_init",
					    "Event",
					    "CustomEvent",
					    "EventTarget",
					    "AbortController",
					    "AbortSignal",
					    "Blob",
					    "File",
					    "ReadableStream",
					    "ReadableStreamDefaultReader",
					    "ReadableStreamDefaultController",
					    "WritableStream",
					    "WritableStreamDefaultWriter",
					    "WritableStreamDefaultController",
					    "TransformStream",
					    "TransformStreamDefaultController",
					    "CountQueuingStrategy",
					    "ByteLengthQueuingStrategy",
					    "TextEncoderStream",
					    "TextDecoderStream"};

/* fetch.js takes them, for its byte strings and its dispatcher, and deletes them */
static int prepare_fetch(JSContext *c, JSValueConst global)
{
	if (mica_dispatch_prepare(c, global) < 0)
		return -1;
	return mica_bytes_prepare_fetch(c, global);
}

/* web.js takes them, for performance.now() and its natives, and deletes them */
static int prepare_web(JSContext *c, JSValueConst global)
{
	if (JS_DefinePropertyValueStr(c, global, "__mica_hrtime",
				      JS_NewCFunction(c, js_hrtime, "__mica_hrtime", 0),
				      JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE | JS_PROP_THROW) < 0)
		return -1;
	return mica_bytes_prepare_web(c, global);
}

#define COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))
static struct lazy_script lazy[] = {
    {web_globals, COUNT(web_globals), mica_js_web, &mica_js_web_size, prepare_web, 0},
    {crypto_globals, COUNT(crypto_globals), mica_js_crypto, &mica_js_crypto_size,
     mica_crypto_prepare, 0},
    {fetch_globals, COUNT(fetch_globals), mica_js_fetch, &mica_js_fetch_size, prepare_fetch, 0},
};
#define LAZY_SHIFT 8 /* magic = script << LAZY_SHIFT | name */

static int load_lazy(JSContext *c, struct lazy_script *l)
{
	if (l->loaded)
		return 0;
	l->loaded = 1;
	JSValue global = JS_GetGlobalObject(c);
	for (int i = 0; i < l->count; i++) {
		JSAtom a = JS_NewAtom(c, l->names[i]);
		JS_DeleteProperty(c, global, a, 0);
		JS_FreeAtom(c, a);
	}
	int r = l->prepare(c, global);
	JS_FreeValue(c, global);
	return r < 0 ? -1 : eval_bytecode(c, l->code, *l->size);
}

static JSValue js_lazy_get(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv,
			   int magic)
{
	(void)this_val, (void)argc, (void)argv;
	struct lazy_script *l = &lazy[magic >> LAZY_SHIFT];
	if (load_lazy(c, l) < 0)
		return JS_EXCEPTION;
	JSValue global = JS_GetGlobalObject(c);
	JSValue v = JS_GetPropertyStr(c, global, l->names[magic & ((1 << LAZY_SHIFT) - 1)]);
	JS_FreeValue(c, global);
	return v;
}

static JSValue js_lazy_set(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv,
			   int magic)
{
	(void)this_val;
	struct lazy_script *l = &lazy[magic >> LAZY_SHIFT];
	if (load_lazy(c, l) < 0)
		return JS_EXCEPTION;
	JSValue global = JS_GetGlobalObject(c);
	int r = JS_SetPropertyStr(c, global, l->names[magic & ((1 << LAZY_SHIFT) - 1)],
				  JS_DupValue(c, argc ? argv[0] : JS_UNDEFINED));
	JS_FreeValue(c, global);
	return r < 0 ? JS_EXCEPTION : JS_UNDEFINED;
}

static void define_lazy_globals(JSValueConst global)
{
	for (int s = 0; s < COUNT(lazy); s++) {
		for (int i = 0; i < lazy[s].count; i++) {
			const char *name = lazy[s].names[i];
			int magic = s << LAZY_SHIFT | i;
			JSAtom a = JS_NewAtom(ctx, name);
			JS_DefinePropertyGetSet(ctx, global, a,
						JS_NewCFunctionMagic(ctx, js_lazy_get, name, 0,
								     JS_CFUNC_generic_magic, magic),
						JS_NewCFunctionMagic(ctx, js_lazy_set, name, 1,
								     JS_CFUNC_generic_magic, magic),
						JS_PROP_CONFIGURABLE);
			JS_FreeAtom(ctx, a);
		}
	}
}

JSValue mica_inspect(JSValueConst v)
{
	return JS_Call(ctx, inspect_fn, JS_UNDEFINED, 1, &v);
}

void mica_builtins_init(JSValueConst global)
{
	JS_SetPropertyStr(ctx, global, "__mica_write",
			  JS_NewCFunction(ctx, js_write, "__mica_write", 2));
	if (eval_bytecode(ctx, mica_js_lang, mica_js_lang_size) < 0)
		mica_guest_exit(2, "the runtime's lang.js failed to evaluate");
	if (eval_bytecode(ctx, mica_js_console, mica_js_console_size) < 0)
		mica_guest_exit(2, "the runtime's console.js failed to evaluate");
	define_lazy_globals(global);
	/* self: the global object, as in workers and browsers */
	JS_DefinePropertyValueStr(ctx, global, "self", JS_DupValue(ctx, global),
				  JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE);
	error_ctor = JS_GetPropertyStr(ctx, global, "Error");
	uint8array_ctor = JS_GetPropertyStr(ctx, global, "Uint8Array");
	inspect_fn = JS_GetPropertyStr(ctx, global, "__mica_inspect");
	if (!JS_IsFunction(ctx, inspect_fn))
		mica_guest_exit(2, "console.js defines no __mica_inspect");
	JSAtom a = JS_NewAtom(ctx, "__mica_inspect");
	JS_DeleteProperty(ctx, global, a, 0);
	JS_FreeAtom(ctx, a);
}

/* The runtime's JavaScript parts and their native helpers. */
#include <string.h>

#include "runtime.h"

extern const uint8_t mica_js_console[], mica_js_web[];
extern const uint32_t mica_js_console_size, mica_js_web_size;

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

JSValue mica_inspect(JSValueConst v)
{
	return JS_Call(ctx, inspect_fn, JS_UNDEFINED, 1, &v);
}

void mica_builtins_init(JSValueConst global)
{
	JS_SetPropertyStr(ctx, global, "__mica_write", JS_NewCFunction(ctx, js_write, "__mica_write", 2));
	run_bytecode(mica_js_console, mica_js_console_size, "the runtime's console.js failed to evaluate");
	define_web_globals(global);
	mica_crypto_init(global);
	error_ctor = JS_GetPropertyStr(ctx, global, "Error");
	uint8array_ctor = JS_GetPropertyStr(ctx, global, "Uint8Array");
	inspect_fn = JS_GetPropertyStr(ctx, global, "__mica_inspect");
	if (!JS_IsFunction(ctx, inspect_fn))
		mica_guest_exit(2, "console.js defines no __mica_inspect");
	JSAtom a = JS_NewAtom(ctx, "__mica_inspect");
	JS_DeleteProperty(ctx, global, a, 0);
	JS_FreeAtom(ctx, a);
}

/*
 * Runs the unit tests of one of the guest's JavaScript parts (console.js by
 * default, or what TEST_JS and GLUE_JS name at build time) in native
 * QuickJS with the std module (like `qjs --std`).
 * With MICA_NATIVES, the natives web.js takes are defined first, from the
 * guest's own source.
 * Usage: test_console_js [TEST.js GLUE.js]
 */
#include <stdio.h>
#include <string.h>

#include "quickjs-libc.h"
#include "quickjs.h"

#ifdef MICA_NATIVES
/* The guest's natives for web.js (guest/bytes.c, compiled in), and the two
 * helpers of the guest's it uses, as the guest has them. */
int mica_bytes_prepare_web(JSContext *c, JSValueConst global);

JSValue mica_new_bytes(JSContext *c, const void *p, size_t len)
{
	JSValue global = JS_GetGlobalObject(c);
	JSValue ctor = JS_GetPropertyStr(c, global, "Uint8Array");
	JSValue ab = JS_NewArrayBufferCopy(c, p, len);
	JSValue u8 = JS_IsException(ab) ? ab : JS_CallConstructor(c, ctor, 1, &ab);
	JS_FreeValue(c, ab);
	JS_FreeValue(c, ctor);
	JS_FreeValue(c, global);
	return u8;
}

int mica_define_natives(JSContext *c, JSValueConst global, const char *name,
			const JSCFunctionListEntry *fns, int count)
{
	JSValue native = JS_NewObject(c);
	if (JS_IsException(native))
		return -1;
	JS_SetPropertyFunctionList(c, native, fns, count);
	return JS_DefinePropertyValueStr(c, global, name, native,
					 JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE | JS_PROP_THROW) <
		       0
		   ? -1
		   : 0;
}
#endif

static int eval(JSContext *ctx, const char *src, const char *name, int flags)
{
	JSValue v = JS_Eval(ctx, src, strlen(src), name, flags);
	if (JS_IsException(v)) {
		js_std_dump_error(ctx);
		return -1;
	}
	JS_FreeValue(ctx, v);
	return 0;
}

int main(int argc, char **argv)
{
#ifndef TEST_JS
#define TEST_JS "tests/js_unit/test_console.js"
#define GLUE_JS "guest/js/console.js"
#endif
	char *def[] = {argv[0], TEST_JS, GLUE_JS, NULL};
	if (argc < 3) {
		argv = def;
		argc = 3;
	}
	JSRuntime *rt = JS_NewRuntime();
	js_std_init_handlers(rt);
	JSContext *ctx = JS_NewContext(rt);
	JS_AddIntrinsicBigFloat(ctx);
	JS_AddIntrinsicBigDecimal(ctx);
	JS_AddIntrinsicOperators(ctx);
	JS_EnableBignumExt(ctx, 1);
	js_std_add_helpers(ctx, argc - 1, argv + 1);
	js_init_module_std(ctx, "std");
	js_init_module_os(ctx, "os");
	JS_SetModuleLoaderFunc(rt, NULL, js_module_loader, NULL);
	if (eval(ctx,
		 "import * as std from 'std'; import * as os from 'os'; globalThis.std = std; "
		 "globalThis.os = os;",
		 "<init>", JS_EVAL_TYPE_MODULE))
		return 2;
#ifdef MICA_NATIVES
	JSValue global = JS_GetGlobalObject(ctx);
	int natives = mica_bytes_prepare_web(ctx, global);
	JS_FreeValue(ctx, global);
	if (natives < 0)
		return 2;
#endif
	size_t len;
	uint8_t *src = js_load_file(ctx, &len, argv[1]);
	if (!src) {
		fprintf(stderr, "cannot read %s\n", argv[1]);
		printf("0 passed, 1 failed\n");
		return 2;
	}
	int rc = eval(ctx, (const char *)src, argv[1], JS_EVAL_TYPE_GLOBAL);
	js_free(ctx, src);
	js_std_loop(ctx);
	js_std_free_handlers(rt);
	JS_FreeContext(ctx);
	JS_FreeRuntime(rt);
	if (rc)
		printf("0 passed, 1 failed\n");
	return rc ? 1 : 0;
}

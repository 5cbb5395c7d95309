#include "native.h"

#include <stdlib.h>
#include <string.h>

#include "quickjs.h"
#include "stats.h"

struct native {
	JSRuntime *rt;
	JSContext *ctx;
	JSValue fn;
};

struct native *native_new(const char *src, const char *fn)
{
	struct native *n = calloc(1, sizeof(*n));
	if (!n)
		die("out of memory");
	n->rt = JS_NewRuntime();
	n->ctx = n->rt ? JS_NewContext(n->rt) : NULL;
	if (!n->ctx)
		die("native QuickJS: cannot create runtime");
	JSContext *ctx = n->ctx;
	JS_AddIntrinsicBigFloat(ctx);
	JS_AddIntrinsicBigDecimal(ctx);
	JS_AddIntrinsicOperators(ctx);
	JS_EnableBignumExt(ctx, 1);
	/* Loaded as the guest loads a module (guest/main.c do_load). */
	JSValue m =
	    JS_Eval(ctx, src, strlen(src), "native.js",
		    JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY | JS_EVAL_FLAG_ASYNC_MODULE);
	if (JS_IsException(m))
		die("native QuickJS: the module does not compile");
	JSModuleDef *md = JS_VALUE_GET_PTR(m);
	JSValue v = JS_EvalFunction(ctx, m);
	if (JS_IsException(v))
		die("native QuickJS: the module threw");
	JS_FreeValue(ctx, v);
	JSValue ns = JS_GetModuleNamespace(ctx, md);
	n->fn = JS_GetPropertyStr(ctx, ns, fn);
	JS_FreeValue(ctx, ns);
	if (!JS_IsFunction(ctx, n->fn))
		die("native QuickJS: the module exports no %s", fn);
	return n;
}

double native_call(struct native *n, int arg, int expect)
{
	JSValue a = JS_NewInt32(n->ctx, arg);
	int64_t t0 = now_ns();
	JSValue r = JS_Call(n->ctx, n->fn, JS_UNDEFINED, 1, &a);
	int64_t t1 = now_ns();
	int32_t got = 0;
	if (JS_IsException(r) || JS_ToInt32(n->ctx, &got, r) < 0 || got != expect)
		die("native call(%d) = %d, expected %d", arg, got, expect);
	JS_FreeValue(n->ctx, r);
	return (double)(t1 - t0);
}

void native_free(struct native *n)
{
	JS_FreeValue(n->ctx, n->fn);
	JS_FreeContext(n->ctx);
	JS_FreeRuntime(n->rt);
	free(n);
}

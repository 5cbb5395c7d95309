/*
 * The natives of `mica serve`'s dispatcher (guest/js/fetch.js takes
 * __mica_dispatch and deletes it): what it needs of the C side to run
 * several requests in one call (__mica_serve_batch), with no exit, each
 * ending as it would at the end of a call of its own.
 */
#include "runtime.h"

int mica_dispatch_batching;

/* The dispatcher's idle hook (onIdle), if idle_set; the resolve function of
 * the promise drained() gave, if drain_set. */
static JSValue idle_fn, drain_resolve;
static int idle_set, drain_set;

/* written(): console bytes this call has written so far. A request of a
 * batch that changed it logged, and the host must be told whose it was. */
static JSValue js_written(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc, (void)argv;
	return JS_NewFloat64(c, (double)mica_console_written());
}

/* now(): the guest's clock in nanoseconds: a batch starts no request past
 * its time budget. */
static JSValue js_now(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc, (void)argv;
	return JS_NewFloat64(c, (double)mica_clock_wall_ns());
}

/* begin(): a request of a batch starts: whether the heap limit was hit is
 * its own to say (error()). */
static JSValue js_begin(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)c, (void)this_val, (void)argc, (void)argv;
	oom = 0;
	mica_dispatch_batching = 1;
	return JS_UNDEFINED;
}

/* end(): a request of a batch has ended: what it left pending (timers, host
 * calls in flight) is dropped, as at the end of a call; returns the text of
 * a rejection it left unhandled in strict mode, else null (a warning is
 * written now). */
static JSValue js_end(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)c, (void)this_val, (void)argc, (void)argv;
	mica_loop_reset();
	return mica_rejection_take();
}

/* drained(): null if no job is left, else a promise resolved once none is
 * (what the request left running in microtasks has run, as at the end of a
 * call), before end(). */
static JSValue js_drained(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc, (void)argv;
	if (!JS_IsJobPending(rt))
		return JS_NULL;
	JSValue funcs[2];
	JSValue p = JS_NewPromiseCapability(c, funcs);
	if (JS_IsException(p))
		return p;
	if (drain_set)
		JS_FreeValue(c, drain_resolve);
	drain_resolve = funcs[0];
	drain_set = 1;
	JS_FreeValue(c, funcs[1]);
	return p;
}

int mica_dispatch_drained(void)
{
	if (!drain_set)
		return 0;
	drain_set = 0;
	JSValue r = JS_Call(ctx, drain_resolve, JS_UNDEFINED, 0, NULL);
	JS_FreeValue(ctx, drain_resolve);
	if (JS_IsException(r))
		JS_FreeValue(ctx, JS_GetException(ctx));
	JS_FreeValue(ctx, r);
	return 1;
}

/* error(e): the text a call would give for e uncaught, for the host to log
 * a batched request's exception as it logs any other; null once the heap
 * limit was hit in this request (the call must fail, as it would for the
 * request alone). */
static JSValue js_error(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)c, (void)this_val;
	if (oom)
		return JS_NULL;
	return mica_format_exception(argc ? argv[0] : JS_UNDEFINED);
}

/* onIdle(fn): fn is called whenever a request's event loop is about to wait
 * (the dispatcher hands the host the responses it holds first). */
static JSValue js_on_idle(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val;
	if (argc < 1 || !JS_IsFunction(c, argv[0]))
		return JS_ThrowTypeError(c, "onIdle: not a function");
	if (idle_set)
		JS_FreeValue(c, idle_fn);
	idle_fn = JS_DupValue(c, argv[0]);
	idle_set = 1;
	return JS_UNDEFINED;
}

void mica_dispatch_idle(void)
{
	if (!idle_set)
		return;
	JSValue r = JS_Call(ctx, idle_fn, JS_UNDEFINED, 0, NULL);
	if (JS_IsException(r)) /* what it held goes with the call's result */
		JS_FreeValue(ctx, JS_GetException(ctx));
	JS_FreeValue(ctx, r);
}

static const JSCFunctionListEntry dispatch_funcs[] = {
    JS_CFUNC_DEF("written", 0, js_written), JS_CFUNC_DEF("now", 0, js_now),
    JS_CFUNC_DEF("begin", 0, js_begin),	    JS_CFUNC_DEF("end", 0, js_end),
    JS_CFUNC_DEF("error", 1, js_error),	    JS_CFUNC_DEF("onIdle", 1, js_on_idle),
    JS_CFUNC_DEF("drained", 0, js_drained),
};

int mica_dispatch_prepare(JSContext *c, JSValueConst global)
{
	return mica_define_natives(c, global, "__mica_dispatch", dispatch_funcs,
				   sizeof(dispatch_funcs) / sizeof(dispatch_funcs[0]));
}

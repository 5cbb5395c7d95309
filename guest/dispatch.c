/*
 * The natives of `mica serve`'s dispatcher (guest/js/fetch.js takes
 * __mica_dispatch and deletes it): what it needs of the C side to run
 * several requests in one call (__mica_serve_batch), with no exit.
 */
#include "runtime.h"

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

/* error(e): the text a call would give for e uncaught, for the host to log
 * a batched request's exception as it logs any other; null once the heap
 * limit was hit (the call must fail, as it would for the request alone). */
static JSValue js_error(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)c, (void)this_val;
	if (oom)
		return JS_NULL;
	return mica_format_exception(argc ? argv[0] : JS_UNDEFINED);
}

static const JSCFunctionListEntry dispatch_funcs[] = {
    JS_CFUNC_DEF("written", 0, js_written),
    JS_CFUNC_DEF("now", 0, js_now),
    JS_CFUNC_DEF("error", 1, js_error),
};

int mica_dispatch_prepare(JSContext *c, JSValueConst global)
{
	return mica_define_natives(c, global, "__mica_dispatch", dispatch_funcs,
				   sizeof(dispatch_funcs) / sizeof(dispatch_funcs[0]));
}

/*
 * What the guest's source files share. The guest is one single-threaded
 * program, so its QuickJS runtime and context are program-wide.
 */
#ifndef MICA_GUEST_RUNTIME_H
#define MICA_GUEST_RUNTIME_H

#include "guest.h"
#include "quickjs.h"

extern JSRuntime *rt;
extern JSContext *ctx;

/* jsalloc.c: QuickJS's allocator over the arena, with the JS heap limit.
 * oom is set when the limit was hit (cleared by each request). */
extern const JSMallocFunctions mica_js_malloc;
extern int oom;

/* hostfn.c: the host functions, as `host:module` modules. */
void mica_hostfns_init(const struct mica_boot_info *bi);
JSModuleDef *mica_host_module(JSContext *c, const char *name);
/* The original Error constructor, captured before user code runs. */
extern JSValue error_ctor;
/* The original Uint8Array constructor, likewise. */
extern JSValue uint8array_ctor;
/* Binary data: 1 if v is an ArrayBuffer, typed array or DataView, with *p
 * and *len its bytes in place (no copy); 0 if it is none of those; -1 with
 * a TypeError pending if its buffer is detached. */
int mica_bytes_of(JSValueConst v, const uint8_t **p, size_t *len);
/* A new Uint8Array holding a copy of p[0..len), or len zero bytes if p is
 * NULL. */
JSValue mica_new_bytes(JSContext *c, const void *p, size_t len);

/* modules.c: module name resolution and loading. */
char *mica_module_normalize(JSContext *c, const char *base, const char *name, void *opaque);
JSModuleDef *mica_module_load(JSContext *c, const char *name, void *opaque);
/* Sources compiled during a load are kept for error messages until clear. */
void mica_sources_add(const char *name, const char *src, size_t len);
const char *mica_sources_last(void);
void mica_sources_clear(void);
/* Set while MICA_OP_COMPILE compiles: imports are then not fetched; each
 * resolves to an empty placeholder module (they are resolved again, for
 * real, when the bytecode is loaded). */
extern int mica_compiling;

/* builtins.c: the runtime's JavaScript parts (console.js now, web.js on
 * first use) and their native helpers. */
void mica_builtins_init(JSValueConst global);
/* console.js's formatter: how console.log prints v. */
JSValue mica_inspect(JSValueConst v);
/* main.c: the text of an uncaught e, "Name: message\n<stack>" for errors,
 * mica_inspect() for other values (no trailing newline). */
JSValue mica_format_exception(JSValueConst e);
/* Defines global[name], an object of the natives fns, for a lazy script to
 * take (and delete) before any user code runs. -1 with an exception. */
int mica_define_natives(JSContext *c, JSValueConst global, const char *name,
			const JSCFunctionListEntry *fns, int count);

/* bytes.c: define the natives web.js takes (__mica_web: UTF-8, base64)
 * and fetch.js
 * takes (__mica_latin1 {head, frame}), each before its script runs. */
int mica_bytes_prepare_web(JSContext *c, JSValueConst global);
int mica_bytes_prepare_fetch(JSContext *c, JSValueConst global);

/* dispatch.c: defines __mica_dispatch, the natives `mica serve`'s
 * dispatcher in fetch.js takes before its script runs. */
int mica_dispatch_prepare(JSContext *c, JSValueConst global);
/* Calls the dispatcher's idle hook, if it set one: the request's event loop
 * is about to wait for the host (a timer, a host call in flight). */
void mica_dispatch_idle(void);
/* Called when the job queue has run empty: 1 if the dispatcher was waiting
 * for that (drained()); its promise is resolved, and jobs are to run again. */
int mica_dispatch_drained(void);
/* 1 while a batch runs (from its first begin() to the end of the call):
 * a rejection no code handled is its dispatcher's to take (end()), not the
 * call's end. main.c clears it as each call starts. */
extern int mica_dispatch_batching;
/* main.c: at the end of a request that is not the end of a call (a batch):
 * what a call's end does with a rejection no code handled. Under
 * MICA_REQ_REJECTIONS_WARN it is written to stderr now and null returned;
 * in strict mode its text (as mica_format_exception gives it), forgotten;
 * null when there is none. */
JSValue mica_rejection_take(void);

/* crypto.c: defines the lazy globals of crypto.js (crypto, CryptoKey...). */
int mica_crypto_prepare(JSContext *c, JSValueConst global);

/* timers.c: the event loop (timers, async host calls) of a request. */
void mica_timers_init(JSValueConst global);
/* 1 while a timer is pending or an async host call is in flight. */
int mica_loop_pending(void);
/* One turn: the first due timer, or completions, or a sleep until one is
 * due. -1 with the exception pending when a timer's callback threw. */
int mica_loop_step(void);
/* Cancels every timer and forgets the calls in flight (end of a request). */
void mica_loop_reset(void);
/* Starts async host function fn with args of kind args_kind (enum
 * mica_kind); returns its promise. */
JSValue mica_async_start(JSContext *c, int fn, const char *args, size_t len, uint32_t args_kind);

#endif

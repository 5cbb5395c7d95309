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

/* modules.c: module name resolution and loading. */
char *mica_module_normalize(JSContext *c, const char *base, const char *name, void *opaque);
JSModuleDef *mica_module_load(JSContext *c, const char *name, void *opaque);
/* Sources compiled during a load are kept for error messages until clear. */
void mica_sources_add(const char *name, const char *src, size_t len);
const char *mica_sources_last(void);
void mica_sources_clear(void);

/* builtins.c: the runtime's JavaScript parts (console.js now, web.js on
 * first use) and their native helpers. */
void mica_builtins_init(JSValueConst global);
/* console.js's formatter: how console.log prints v. */
JSValue mica_inspect(JSValueConst v);

#endif

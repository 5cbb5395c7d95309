/* The native peer: the same QuickJS, built with the guest's flags, run
 * directly in this process. */
#ifndef MICA_BENCH_NATIVE_H
#define MICA_BENCH_NATIVE_H

struct native;

/* A runtime set up as the guest's (guest/main.c) with src loaded as a
 * module; fn is the export native_call() calls. */
struct native *native_new(const char *src, const char *fn);
/* One call fn(arg), timed around JS_Call; dies unless it returns expect. */
double native_call(struct native *n, int arg, int expect);
void native_free(struct native *n);

#endif

/*
 * mica serve: outbound fetch() of handlers (docs/serve.md, "Outbound
 * fetch"). One libcurl multi handle, driven by one thread for the whole
 * server; each handler's fetch() is an async host call completed by that
 * thread. Per incoming request a scope counts subrequests, holds large
 * bodies and cancels what is in flight when the request ends.
 */
#ifndef MICA_SERVER_FETCH_H
#define MICA_SERVER_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "mica.h"

struct serve_fetch;	  /* the engine: the multi handle and its thread */
struct serve_fetch_scope; /* one incoming request's subrequests */

/* 0 if s is an origin --allow-fetch takes (scheme://host[:port] with http or
 * https, or *); else -1 with the reason in why. */
int serve_fetch_origin_check(const char *s, char *why, size_t why_len);

/* Starts the engine with the allowed origins (checked already), the
 * subrequest limit per request and the response size limit. NULL with the
 * reason in why. */
struct serve_fetch *serve_fetch_new(const char *const *origins, int norigins,
				    unsigned max_subrequests, size_t max_response, char *why,
				    size_t why_len);
/* Cancels everything, stops the thread, frees the engine. NULL is ignored. */
void serve_fetch_free(struct serve_fetch *f);

/* A scope for one incoming request, whose deadline is deadline_ns
 * (serve_now_ns() clock). NULL when out of memory. */
struct serve_fetch_scope *serve_fetch_scope_new(struct serve_fetch *f, int64_t deadline_ns);
/* The request is over: transfers in flight are cancelled (their calls
 * failed, which is a no-op for the guest by then), held bodies freed. */
void serve_fetch_scope_end(struct serve_fetch_scope *s);

/* The async host function serve.fetch(frame) of scope s (NULL: no request).
 * Completes or fails call, now or later from the engine's thread. */
void serve_fetch_start(struct serve_fetch_scope *s, mica_async_call *call);
/* The sync host function serve.fetchBody([id, offset]): the next part of a
 * held response body. */
void serve_fetch_body(struct serve_fetch_scope *s, mica_hostcall *call);

#endif

/* mica serve: HTTP/1.1 on libuv and llhttp, answering from the workers. */
#ifndef MICA_SERVER_HTTP_H
#define MICA_SERVER_HTTP_H

#include "server.h"
#include "worker.h"

struct serve_http;

/* Binds every --listen address, and --admin's, (SO_REUSEADDR, SO_REUSEPORT)
 * and listens, before anything is loaded: a port that cannot be bound is
 * found first. NULL with the reason in why. */
struct serve_http *serve_http_bind(const struct serve_config *cfg, char *why, size_t why_len);

/* The address listener i is bound to, as "host:port" (port 0 resolved):
 * the --listen addresses in order, then --admin's. */
const char *serve_http_address(const struct serve_http *h, int i);

/* Starts serving: one event loop, on a thread of its own, for every
 * address; requests go to w, --admin's are answered on the loop. -1 with
 * the reason in why. */
int serve_http_start(struct serve_http *h, struct serve_workers *w, char *why, size_t why_len);

/* From now on requests go to w. Returns once the loop hands no more to
 * the workers before, which may then be retired (a reload). */
void serve_http_swap_workers(struct serve_http *h, struct serve_workers *w);

/* Stops accepting connections; idle ones are closed, the others after the
 * response to the request they are in. */
void serve_http_quiesce(struct serve_http *h);

/* Requests begun and not yet done (answered, or given up by the client). */
unsigned serve_http_inflight(const struct serve_http *h);

/* Closes every connection and frees h. The workers must be stopped first:
 * no request may be waiting for one. */
void serve_http_free(struct serve_http *h);

#endif

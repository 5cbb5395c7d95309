/* mica serve: HTTP/1.1 through libmicrohttpd, answering from the workers. */
#ifndef MICA_SERVER_HTTP_H
#define MICA_SERVER_HTTP_H

#include "server.h"
#include "worker.h"

struct serve_http;

/* Binds every --listen address (SO_REUSEADDR, SO_REUSEPORT) and listens,
 * before anything is loaded: a port that cannot be bound is found first.
 * NULL with the reason in why. */
struct serve_http *serve_http_bind(const struct serve_config *cfg, char *why, size_t why_len);

/* The address listener i is bound to, as "host:port" (port 0 resolved). */
const char *serve_http_address(const struct serve_http *h, int i);

/* Starts serving: one libmicrohttpd daemon (its own event thread) per
 * address; requests go to w. -1 with the reason in why. */
int serve_http_start(struct serve_http *h, struct serve_workers *w, char *why, size_t why_len);

/* Stops accepting connections; those open go on. */
void serve_http_quiesce(struct serve_http *h);

/* Requests begun and not yet done (answered, or given up by the client). */
unsigned serve_http_inflight(const struct serve_http *h);

/* Closes every connection and frees h. The workers must be stopped first:
 * no request may be waiting for one. */
void serve_http_free(struct serve_http *h);

#endif

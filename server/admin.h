/* mica serve --admin: /healthz and /metrics on an address of their own. */
#ifndef MICA_SERVER_ADMIN_H
#define MICA_SERVER_ADMIN_H

#include <stddef.h>

#include "metrics.h"

struct serve_admin;

/* Listens on spec ("HOST:PORT") and serves, on a thread of its own:
 *   GET /healthz  200 "ok" while *down is 0, else 503 (starting, stopping);
 *   GET /metrics  m in Prometheus' text format;
 * anything else 404 (405 for another method). NULL with the reason in why. */
struct serve_admin *serve_admin_start(const char *spec, const struct serve_metrics *m,
				      const int *down, char *why, size_t why_len);
/* The address it listens on, the port resolved. */
const char *serve_admin_address(const struct serve_admin *a);
void serve_admin_stop(struct serve_admin *a);

#endif

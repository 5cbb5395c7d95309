/* mica serve --admin: /healthz and /metrics, answered on the HTTP loop. */
#ifndef MICA_SERVER_ADMIN_H
#define MICA_SERVER_ADMIN_H

#include "server.h"

/* Sets r's response to an --admin request, at once (the HTTP loop serves
 * the --admin address apart from the handler's, so probes and scrapes are
 * answered whatever the sandboxes do):
 *   GET /healthz  200 "ok" while *cfg->down is 0, else 503 (starting, stopping);
 *   GET /metrics  cfg->metrics in Prometheus' text format;
 * anything else 404, another method than GET or HEAD 405. -1: out of memory. */
int serve_admin_answer(const struct serve_config *cfg, struct serve_request *r);

#endif

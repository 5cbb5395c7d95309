/* mica serve: the access log, one line per request. */
#ifndef MICA_SERVER_LOG_H
#define MICA_SERVER_LOG_H

#include "server.h"

/* Opens spec: "-" (stdout), "off" (nothing) or a file (appended to). -1
 * with the reason in why. */
int serve_log_open(const char *spec, char *why, size_t why_len);

/* Writes r's line: UTC time, request id, method, request-target, status,
 * body bytes sent, duration in milliseconds. Thread-safe. */
void serve_log_request(const struct serve_request *r);

void serve_log_close(void);

/* Writes what a guest printed to stderr, every line as "mica serve: [tag]
 * LINE", control characters but tabs shown as \xNN: a guest cannot forge
 * another request's lines or reach the terminal. Thread-safe. */
void serve_log_guest(const char *tag, const char *data, size_t len);

#endif

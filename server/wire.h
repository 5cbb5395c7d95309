/* mica serve: a response as bytes on the wire (HTTP/1.1). */
#ifndef MICA_SERVER_WIRE_H
#define MICA_SERVER_WIRE_H

#include <stddef.h>

#include "server.h"

/* The standard reason phrase of status ("Unknown" for one it does not know). */
const char *serve_wire_reason(int status);

/* r's response head, status line to the blank line, malloc'd into *head.
 * The reason phrase is r->status_text if set. An error response (r->error
 * set) first gets its body: "STATUS Reason: why (request ID)", with dev the
 * exception and its stack after it, in r->resp_body. A streamed body
 * (r->stream) is chunked, or for HTTP/1.0 ends with the connection (sets
 * r->close). Sets r->resp_bytes to the body bytes that follow the head
 * (none for HEAD, 1xx, 204 and 304; for a stream, its chunks count as they
 * are written). date is an IMF-fixdate. 0, or -1 when out of memory. */
int serve_wire_head(struct serve_request *r, int dev, const char *date, char **head,
		    size_t *head_len);

/* Writes the IMF-fixdate of now ("Sun, 06 Nov 1994 08:49:37 GMT") to buf. */
void serve_wire_date(char buf[32]);

#endif

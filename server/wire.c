/* mica serve: a response as bytes on the wire (HTTP/1.1). */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *serve_wire_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 203: return "Non-Authoritative Information";
	case 204: return "No Content";
	case 205: return "Reset Content";
	case 206: return "Partial Content";
	case 207: return "Multi-Status";
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 418: return "I'm a teapot";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Content";
	case 425: return "Too Early";
	case 426: return "Upgrade Required";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 451: return "Unavailable For Legal Reasons";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

void serve_wire_date(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int serve_header_name_ok(const unsigned char *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		      ((name[i] | 32) >= 'a' && (name[i] | 32) <= 'z') ||
		      strchr("!#$%&'*+-.^_`|~", name[i])) ||
		    !name[i])
			return 0;
	return len > 0;
}

int serve_header_value_ok(const unsigned char *value, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
			return 0;
	return 1;
}

/* Headers a handler may not set: the server frames the message. */
static int framing(const unsigned char *n, size_t len)
{
	static const char *const names[] = {"connection",
					    "keep-alive",
					    "transfer-encoding",
					    "content-length",
					    "upgrade",
					    "proxy-connection",
					    "te",
					    "trailer"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !strncasecmp((const char *)n, names[i], len))
			return 1;
	return 0;
}

/* The body of an error response, in place of any other. */
static int error_body(struct serve_request *r, int dev)
{
	const char *detail = dev && r->error_detail ? r->error_detail : NULL;
	size_t cap = 256 + strlen(r->error) + (detail ? strlen(detail) : 0);
	char *body = malloc(cap);
	if (!body)
		return -1;
	int n = snprintf(body, cap, "%d %s: %s (request %s)\n%s%s", r->status,
			 serve_wire_reason(r->status), r->error, r->idstr, detail ? detail : "",
			 detail ? "\n" : "");
	free(r->resp_body);
	r->resp_body = (unsigned char *)body;
	r->resp_body_len = (size_t)n;
	return 0;
}

/* An open_memstream would do, but its failure modes are less clear. */
struct out {
	char *p;
	size_t len, cap;
	int oom;
};

static void put(struct out *o, const void *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n > o->cap) {
		size_t cap = o->cap * 2 > o->len + n ? o->cap * 2 : o->len + n + 256;
		char *p = realloc(o->p, cap);
		if (!p) {
			o->oom = 1;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* 1 if v[0..n) is a decimal number of 1 to 18 digits. */
static int digits(const unsigned char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return n && n <= 18;
}

int serve_wire_head(struct serve_request *r, int dev, const char *date, char **head,
		    size_t *head_len)
{
	if (r->error && error_body(r, dev))
		return -1;
	int bodyless = r->status < 200 || r->status == 204 || r->status == 304;
	struct out o = {.cap = 256 + r->resp_head_len + 8 * r->resp_nheaders};
	if (!(o.p = malloc(o.cap)))
		return -1;
	char line[128];
	snprintf(line, sizeof(line), "HTTP/1.1 %d ", r->status);
	puts_(&o, line);
	puts_(&o, r->status_text && !r->error ? r->status_text : serve_wire_reason(r->status));
	puts_(&o, "\r\n");
	int has_date = 0;
	/* a HEAD answered without a body may say how long GET's would be */
	const unsigned char *head_cl = NULL;
	uint32_t head_cl_len = 0;
	const unsigned char *p = r->resp_head;
	for (uint32_t i = 0; !r->error && i < r->resp_nheaders; i++) {
		/* checked by the worker (host_respond): the count, that the
		 * lengths fit resp_head, and the bytes */
		uint32_t nl = serve_get_u32(p);
		const unsigned char *name = p + 4;
		p += 4 + nl;
		uint32_t vl = serve_get_u32(p);
		const unsigned char *value = p + 4;
		p += 4 + vl;
		if (nl == 14 && !strncasecmp((const char *)name, "content-length", 14) &&
		    digits(value, vl))
			head_cl = value, head_cl_len = vl;
		if (framing(name, nl))
			continue;
		has_date |= nl == 4 && !strncasecmp((const char *)name, "date", 4);
		put(&o, name, nl);
		put(&o, ": ", 2);
		put(&o, value, vl);
		put(&o, "\r\n", 2);
	}
	if (r->error) {
		puts_(&o, "Content-Type: text/plain; charset=utf-8\r\n");
		if (r->status == 503) {
			snprintf(line, sizeof(line), "Retry-After: %d\r\n",
				 r->retry_after ? r->retry_after : 1);
			puts_(&o, line);
		}
	}
	if (!has_date) {
		puts_(&o, "Date: ");
		puts_(&o, date);
		puts_(&o, "\r\n");
	}
	if (r->head_only && head_cl && !bodyless && (r->stream || !r->resp_body_len)) {
		puts_(&o, "Content-Length: ");
		put(&o, head_cl, head_cl_len);
		puts_(&o, "\r\n");
	} else if (r->stream && !r->error) {
		/* HTTP/1.0 has no chunks: the body ends with the connection */
		if (!bodyless && r->http_minor)
			puts_(&o, "Transfer-Encoding: chunked\r\n");
		else if (!bodyless)
			r->close = 1;
	} else if (!bodyless) {
		snprintf(line, sizeof(line), "Content-Length: %zu\r\n", r->resp_body_len);
		puts_(&o, line);
	}
	if (r->close)
		puts_(&o, "Connection: close\r\n");
	else if (r->http_minor == 0)
		puts_(&o, "Connection: keep-alive\r\n");
	put(&o, "\r\n", 2);
	if (o.oom) {
		free(o.p);
		return -1;
	}
	r->resp_bytes = bodyless || r->head_only || r->stream ? 0 : r->resp_body_len;
	*head = o.p;
	*head_len = o.len;
	return 0;
}

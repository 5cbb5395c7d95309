/*
 * mica serve: what the server's parts share. The contract of the command is
 * docs/serve.md; serve.c reads the options, worker.c runs the sandboxes,
 * http.c reads HTTP (libuv + llhttp) and wire.c writes it, admin.c answers
 * --admin, env.c reads --env-file, log.c writes the access log.
 */
#ifndef MICA_SERVER_H
#define MICA_SERVER_H

#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "metrics.h"
#include "mica.h"

enum serve_isolation { SERVE_RESET, SERVE_FRESH, SERVE_REUSE };

#define SERVE_MAX_LISTEN      16
#define SERVE_MAX_ALLOW_FETCH 64
/* A response's headers, as the guest gives them: at most this many, and
 * this many bytes of names and values together (more is a 500). */
#define SERVE_MAX_RESP_HEADERS 1000
#define SERVE_MAX_RESP_HEAD    (64u << 10)

/* A little-endian u32 of a frame. */
static inline uint32_t serve_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void serve_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* Makes room for need bytes in *buf (capacity *cap, doubled as needed).
 * 0, or -1 when out of memory (frame.c). */
int serve_frame_grow(unsigned char **buf, size_t *cap, size_t need);
/* Appends a field, u32 length then the n bytes at s, to the frame *buf of
 * *len bytes. 0, or -1 when out of memory or n is over 4 GiB. */
int serve_frame_field(unsigned char **buf, size_t *len, size_t *cap, const void *s, size_t n);

struct serve_config {
	const char *file;	       /* FILE.js or FILE.mbc */
	const char *admin;	       /* --admin HOST:PORT, or NULL */
	struct serve_metrics *metrics; /* counted by every thread (metrics.h) */
	const char *modules;	       /* --modules DIR, or NULL */
	const char *snapshot;	       /* --snapshot SNAP: FILE.js evaluated, cached */
	const char *listen[SERVE_MAX_LISTEN];
	int nlisten;
	unsigned workers;
	int pin;	/* --pin: each worker (and its sandbox) on one of cpus, in turn */
	cpu_set_t cpus; /* the CPUs this process may use (taskset, a cpuset) */
	enum serve_isolation isolation;
	uint32_t timeout_ms;	    /* per request, guest time and waitUntil included */
	uint32_t queue_ms;	    /* how long a request may wait for a sandbox: then 503 */
	unsigned queue_max;	    /* requests waiting at most; more: 503 */
	size_t memory_mb;	    /* guest memory per sandbox */
	size_t max_body;	    /* request body bytes: more is 413 */
	size_t max_header;	    /* request line and header bytes: more is 431 */
	size_t max_uri;		    /* request-target bytes: more is 414 */
	size_t max_response;	    /* response body bytes a handler may produce: more is 500 */
	unsigned idle_s;	    /* a connection silent this long is closed */
	uint32_t header_timeout_ms; /* a request line and headers must arrive in this time */
	uint32_t body_timeout_ms;   /* and then its body in this time: else 408 */
	const int *down;	    /* /healthz says 503 while *down (starting, stopping) */
	uint32_t grace_ms;	    /* SIGTERM: how long requests in flight may finish */
	const char *access_log;
	int dev; /* error bodies carry the JavaScript stack */
	/* outbound fetch(): --allow-fetch origins, --max-subrequests */
	const char *allow_fetch[SERVE_MAX_ALLOW_FETCH];
	int nallow_fetch;
	unsigned max_subrequests;
	int rejections; /* --unhandled-rejections: MICA_REJECTIONS_* */
	mica_backend backend;
	struct serve_env env;
};

/* One HTTP request, from its first line to its access-log line. The HTTP
 * side fills the request part and hands it to a worker, which fills the
 * response part and calls ready(). Two references: the HTTP side's (until
 * the connection is done with it) and the worker's (while it runs it). */
struct serve_request {
	uint64_t id;
	char idstr[20]; /* id as 16 hex digits: in logs and error bodies */
	int refs;	/* atomic */
	int64_t t_start_ns, t_queued_ns;

	/* request: method, url, then header names and values, as u32 length +
	 * bytes (the frame's fields), and the body */
	char method[32];
	char *target; /* the raw request-target, as received */
	unsigned char *fields;
	size_t fields_len, fields_cap;
	uint32_t nfields;
	unsigned char *body;
	size_t body_len, body_cap;
	size_t *buffered; /* the server's count of body bytes held, body_cap in it */

	/* response: set by the worker before ready() */
	int status;		     /* 0: none yet */
	char *status_text;	     /* the handler's statusText, or NULL: the standard one */
	struct serve_stream *stream; /* a body sent as it is made (stream.h), or NULL */
	int64_t deadline_ns;	     /* the handler's time is up (serve_now_ns) */
	unsigned char *resp_head;    /* the response frame's header part, owned */
	size_t resp_head_len;
	uint32_t resp_nheaders;
	unsigned char *resp_body; /* malloc'd */
	size_t resp_body_len, resp_body_want;
	const char *error;		 /* plain-text reason of an error status, static */
	char *error_detail;		 /* --dev: the exception and its stack, malloc'd */
	struct serve_fetch_scope *fetch; /* the handler's fetch() calls, while it runs */
	int retry_after;		 /* seconds, for 503 */
	int head_done;			 /* the response frame's head has arrived */
	int responded;			 /* ready() was called */

	/* owned by the HTTP side: ready() may be called on any thread (for a
	 * streamed body, at each part and at its end), the rest is touched on
	 * its event loop's thread only */
	void (*ready)(struct serve_request *r);
	void *http;		    /* for ready() */
	void *conn;		    /* the connection, NULL once it is gone */
	unsigned char http_minor;   /* HTTP/1.x */
	unsigned close : 1;	    /* the connection closes after the response */
	unsigned head_only : 1;	    /* HEAD: no body is sent */
	unsigned want_continue : 1; /* Expect: 100-continue, not answered yet */
	unsigned answered : 1;	    /* the response may be written */
	unsigned complete : 1;	    /* read whole, for a worker when there is room */
	unsigned head_sent : 1;	    /* a streamed response's head is written */
	unsigned done : 1;	    /* logged, the HTTP side's reference dropped */
	unsigned gone : 1;	    /* its connection closed while a worker had it */
	int waking;	   /* on the loop's list: under its lock, so not in the bits above */
	size_t resp_bytes; /* body bytes sent, for the log */
	struct serve_request *next;	  /* the workers' queue */
	int solo;			  /* the workers': run alone, its batch failed */
	struct serve_request *conn_next;  /* the connection's requests, in order */
	struct serve_request *ready_next; /* answered, for the loop to write */
};

/* A new request with one reference, or NULL when out of memory. */
struct serve_request *serve_request_new(void);
/* Adds a reference. */
void serve_request_ref(struct serve_request *r);
/* Drops a reference; the last frees r. */
void serve_request_unref(struct serve_request *r);
/* Appends a field (u32 length + bytes) to r's request frame. -1: no memory. */
int serve_request_field(struct serve_request *r, const char *s, size_t len);
/* Sets r's response to an error: status, a short reason for the body (static
 * text), and for 503 a Retry-After. Then calls ready(). Only once: a request
 * that already has its response is left alone. */
void serve_request_fail(struct serve_request *r, int status, const char *reason);

/* Monotonic clock in nanoseconds. */
int64_t serve_now_ns(void);

/* 1 if name[0..len) is a header name (an RFC 9110 token), or a header
 * value (visible characters, obs-text, spaces and tabs: no CR, LF or NUL),
 * as it may go on the wire (wire.c). */
int serve_header_name_ok(const unsigned char *name, size_t len);
int serve_header_value_ok(const unsigned char *value, size_t len);

/* A socket listening on spec, "HOST:PORT" (SO_REUSEADDR, SO_REUSEPORT; IPv6
 * only for an IPv6 host), its address with the port resolved in addr; -1
 * with the reason, naming option opt, in why (listen.c). */
int serve_listen(const char *opt, const char *spec, char *addr, size_t addr_len, char *why,
		 size_t why_len);

#endif

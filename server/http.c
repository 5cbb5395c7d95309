/*
 * mica serve: the HTTP side, on libuv (Debian's libuv1-dev) and llhttp (its
 * C source from Debian's node-llhttp, compiled in at build time).
 *
 * One event loop, on a thread of its own, holds every listener (--listen and
 * --admin) and connection; it never waits for a sandbox. llhttp parses each
 * request as its bytes arrive; once whole, the request is queued for a
 * worker, whose ready() hands it back through a libuv async handle, and
 * the loop writes the responses of a connection in the order its requests
 * came (pipelining), a streamed body (stream.h) as its parts come. A
 * connection with PIPELINE_MAX requests unanswered, or WRITE_MAX bytes not
 * yet taken by its client, is not read until it drains, and has at most
 * PIPELINE_RUN requests in workers.
 *
 * llhttp (strict mode) refuses what smuggling needs (Content-Length with
 * Transfer-Encoding, two Content-Lengths, a bad chunk size, bare LF) and
 * this file adds what llhttp leaves to its user: obs-fold, the limits on the
 * request-target (414), the head (431) and the body (413), the Host rule,
 * Expect, the time a request line and headers may take (--header-timeout)
 * and then its body (--body-timeout), both 408, and the idle time between
 * requests. A request that breaks a rule is answered, in its turn, and the
 * connection closed after it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <llhttp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "admin.h"
#include "http.h"
#include "log.h"
#include "stream.h"
#include "wire.h"

#define PIPELINE_MAX 16		/* requests of one connection unanswered at once */
#define PIPELINE_RUN 4		/* of which in workers or being written at once */
#define WRITE_MAX    (1u << 20) /* response bytes queued on one connection */
#define READ_SIZE    (64u << 10)
#define ADMIN_CONNS  64 /* connections to --admin at once */

struct serve_http;

struct listener {
	uv_tcp_t tcp;
	struct serve_http *h;
	int fd, admin, open;
	unsigned nconns;
	char addr[80];
};

struct conn {
	uv_tcp_t tcp; /* first: the handle's address is the connection's */
	uv_timer_t timer;
	struct serve_http *h;
	struct listener *l;
	struct conn *prev, *next; /* h->conns */
	llhttp_t parser;
	/* the request being read, and what its head has shown so far */
	struct serve_request *cur;
	size_t head_bytes, target_len, target_cap;
	unsigned char *name, *value; /* the header being read */
	size_t name_len, name_cap, value_len, value_cap;
	int hosts, content_length, transfer_encoding, expect;
	char *host;
	int in_body, trailers;
	size_t body_total; /* the body's Content-Length, or --max-body */
	/* where the bytes being parsed lie, and where the header value read so
	 * far ended: a value that goes on elsewhere was folded (obs-fold) */
	const char *feed_at, *feed_end, *value_end, *value_feed_end;
	char feed_last;	      /* the last byte before spaces and tabs of the read before */
	const char *body_end; /* where the last body bytes ended, in read body_feed */
	unsigned feeds, value_feed, body_feed;
	uint64_t deadline; /* loop time the request's head or body is due by */
	/* requests read, not yet written: head is the next to write */
	struct serve_request *head, *tail;
	unsigned queued, writing;
	unsigned submitted;	/* requests given to workers, not yet written */
	unsigned char *pending; /* bytes read past a pause, parsed on resume */
	size_t pending_len;
	uint64_t active; /* loop time of the last read or write */
	int paused, reading, stop_input, closing, handles;
	int shutting;	   /* the last response is queued: on_shutdown closes */
	size_t queue_seen; /* bytes queued to write when last looked at */
};

struct serve_http {
	const struct serve_config *cfg;
	struct serve_workers *workers;
	struct listener l[SERVE_MAX_LISTEN + 1];
	int n;
	uv_loop_t loop;
	uv_async_t wake; /* answered requests, quiesce, stop */
	pthread_t thread;
	int started, looping;
	pthread_mutex_t lock;
	struct serve_request *answered; /* by ready(), under lock */
	int quiesce, stop;		/* under lock */
	struct serve_workers *swap;	/* under lock: the workers to take on */
	pthread_cond_t swapped;
	int draining;
	struct conn *conns;
	unsigned nconns, max_conns, admin_conns;
	unsigned inflight; /* atomic: requests begun and not done */
	size_t buffered;   /* atomic: request body bytes held, all requests */
	char date[32];
	uint64_t date_at;
	llhttp_settings_t settings;
	char rbuf[READ_SIZE];
};

/* Request bodies all requests may hold at once: past it a request is a
 * 503 (a thousand slow uploads must not take the host's memory). */
static size_t body_budget(const struct serve_config *cfg)
{
	return cfg->max_body * 4 > (256u << 20) ? cfg->max_body * 4 : (256u << 20);
}

/* A byte of a token (RFC 9110 5.6.2). */
static int tchar(char b)
{
	return isalnum((unsigned char)b) || (b && strchr("!#$%&'*+-.^_`|~", b));
}

/* 1 if [at, end), within a read that starts at start, holds the rest of a
 * method that llhttp does not know but that is well formed: a token and the
 * space after it (RFC 9110 9.1: an unknown method is a 501, not a malformed
 * request). What llhttp took of it before at matched a method it knows. A
 * method cut by the end of this read is taken as malformed. body_end: where
 * a body ended in this read (NULL: none), before which no method begins. */
static int method_is_token(const char *at, const char *start, const char *end, const char *body_end)
{
	if (!at || at < start || at >= end)
		return 0;
	if (body_end && body_end >= start && body_end <= at)
		start = body_end;
	const char *p = at;
	while (p < end && tchar(*p))
		p++;
	if (p == end || *p != ' ')
		return 0;
	if (p > at)
		return 1;
	/* "GE ": llhttp stopped at the space, after a prefix of a method it
	 * knows (capitals and -), which begins the read, a line or where the
	 * body before it ended */
	const char *m = at;
	while (m > start && ((m[-1] >= 'A' && m[-1] <= 'Z') || m[-1] == '-'))
		m--;
	return m < at && (m == start || m[-1] == '\n');
}

static void conn_close(struct conn *c);
static void conn_flush(struct conn *c);
static void conn_feed(struct conn *c, const char *data, size_t len);

/* ---- requests done ------------------------------------------------------- */

/* r is done: written (or given up), and unless quiet logged and counted. */
static void request_done(struct serve_http *h, struct serve_request *r, int quiet)
{
	if (r->done)
		return;
	r->done = 1;
	if (!quiet) {
		serve_log_request(r);
		serve_metrics_request(h->cfg->metrics, r->status, serve_now_ns() - r->t_start_ns);
	}
	serve_request_unref(r);
	__atomic_sub_fetch(&h->inflight, 1, __ATOMIC_ACQ_REL);
}

/* Called by a worker (or the sweeper, or the loop itself) when r has its
 * response, and for a streamed body at each part and at its end. The list
 * holds a reference: r outlives its place on it. */
static void ready(struct serve_request *r)
{
	struct serve_http *h = r->http;
	pthread_mutex_lock(&h->lock);
	if (!r->waking) {
		r->waking = 1;
		serve_request_ref(r);
		r->ready_next = h->answered;
		h->answered = r;
	}
	pthread_mutex_unlock(&h->lock);
	uv_async_send(&h->wake);
}

/* A worker still has r: its ready() is to come. */
static int in_worker(struct serve_request *r)
{
	if (r->stream && !r->error)
		return serve_stream_state(r->stream) == SERVE_STREAM_OPEN;
	return r->ready && !r->answered;
}

/* ---- the connection's clock ---------------------------------------------- */

static void on_timer(uv_timer_t *t);

/* Arms the timer for what the connection waits for: a request's head or
 * body (its deadline), the client to take what is written, or the next
 * request (idle). None while it waits for a sandbox: the worker's time
 * limit bounds that. */
static void conn_arm(struct conn *c)
{
	if (c->closing)
		return;
	uint64_t due, idle = (uint64_t)c->h->cfg->idle_s * 1000;
	if (c->cur)
		due = c->deadline;
	else if (c->writing || !c->queued)
		due = c->active + idle;
	else {
		uv_timer_stop(&c->timer);
		return;
	}
	uint64_t now = uv_now(&c->h->loop);
	uv_timer_start(&c->timer, on_timer, due > now ? due - now : 0, 0);
}

/* ---- answering ----------------------------------------------------------- */

struct write {
	uv_write_t req;
	struct conn *c;
	struct serve_request *done; /* done once written, or NULL */
	struct serve_request *hold; /* a reference, for its stream: bytes of it */
	size_t bytes;		    /* written, for back-pressure */
	void *mem;		    /* freed once written */
};

static void on_write(uv_write_t *req, int status)
{
	struct write *w = (struct write *)req;
	struct conn *c = w->c;
	c->writing--;
	c->active = uv_now(&c->h->loop);
	/* done before the hold goes: a request that is both is still held
	 * while it is logged and its HTTP reference dropped */
	if (w->done) {
		if (status < 0)
			w->done->resp_bytes = 0; /* the client went away */
		request_done(c->h, w->done, c->l->admin);
	}
	if (w->hold) {
		serve_stream_written(w->hold->stream, w->bytes);
		serve_request_unref(w->hold);
	}
	free(w->mem);
	free(w);
	if (status < 0) {
		conn_close(c);
		return;
	}
	conn_flush(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;
	(void)status;
	free(req);
	conn_close(c);
}

/* Ends c once what is queued on it is written (and its client has taken
 * it: the timer bounds that). Nothing more is read or written. */
static void conn_end(struct conn *c)
{
	if (c->closing || c->shutting)
		return;
	c->stop_input = 1;
	if (c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = 0;
	}
	uv_shutdown_t *s = c->writing ? malloc(sizeof(*s)) : NULL;
	if (s) {
		s->data = c;
		if (!uv_shutdown(s, (uv_stream_t *)&c->tcp, on_shutdown)) {
			c->shutting = 1;
			conn_arm(c);
			return;
		}
		free(s);
	}
	conn_close(c);
}

/* Gives a worker the next requests read whole, in order, while the
 * connection has fewer than PIPELINE_RUN in workers and its client takes
 * what is written: a client that pipelines and does not read holds at
 * most PIPELINE_RUN responses. */
static void conn_submit(struct conn *c)
{
	for (struct serve_request *r = c->head; r; r = r->conn_next) {
		if (!r->complete || r->ready || r->answered)
			continue;
		if (c->submitted >= PIPELINE_RUN ||
		    uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > WRITE_MAX)
			return;
		c->submitted++;
		r->ready = ready;
		serve_workers_submit(c->h->workers, r);
	}
}

/* Queues n buffers on c; mem is freed and done is done once they are
 * written (or the connection fails); hold, if not NULL, is kept and told
 * its stream has bytes fewer to write. -1 (mem freed, done done, the
 * connection closing) when they cannot be. */
static int conn_write(struct conn *c, uv_buf_t *b, unsigned n, void *mem,
		      struct serve_request *done, struct serve_request *hold, size_t bytes)
{
	struct write *w = calloc(1, sizeof(*w));
	if (w) {
		*w = (struct write){.c = c, .done = done, .hold = hold, .bytes = bytes, .mem = mem};
		c->writing++;
		c->queue_seen = SIZE_MAX;
		if (!uv_write(&w->req, (uv_stream_t *)&c->tcp, b, n, on_write)) {
			if (hold)
				serve_request_ref(hold);
			return 0;
		}
		c->writing--;
		free(w);
	}
	free(mem);
	if (done) {
		done->resp_bytes = 0;
		request_done(c->h, done, c->l->admin);
	}
	conn_close(c);
	return -1;
}

/* Queues r's response head, and unless it is streamed its body: r (taken
 * off the connection's list by then) is done once they are written. -1:
 * the connection is closing. */
static int write_response(struct conn *c, struct serve_request *r)
{
	struct serve_http *h = c->h;
	uint64_t now = uv_now(&h->loop);
	if (now / 1000 != h->date_at) {
		h->date_at = now / 1000;
		serve_wire_date(h->date);
	}
	if (h->draining || c->stop_input)
		r->close = r->close || !c->head;
	int streamed = r->stream && !r->error;
	char *head;
	size_t head_len;
	if (serve_wire_head(r, h->cfg->dev, h->date, &head, &head_len)) {
		fprintf(stderr, "mica serve: [%s] out of memory for the response\n", r->idstr);
		r->resp_bytes = 0;
		if (!streamed) /* else conn_close finds it on the list */
			request_done(h, r, c->l->admin);
		conn_close(c);
		return -1;
	}
	uv_buf_t b[2] = {uv_buf_init(head, (unsigned)head_len),
			 uv_buf_init((char *)r->resp_body, (unsigned)r->resp_bytes)};
	return conn_write(c, b, streamed || !r->resp_bytes ? 1 : 2, head, streamed ? NULL : r, NULL,
			  0);
}

/* Writes the parts a streamed body has, chunked (for HTTP/1.0, as they
 * are). 0: more are to come; 1: the body is over (write_stream_end next);
 * -1: the connection is closing. */
static int write_stream(struct conn *c, struct serve_request *r)
{
	enum serve_stream_state state;
	struct serve_chunk *ch = serve_stream_take(r->stream, &state);
	int bodyless = r->head_only || r->status == 204 || r->status == 304;
	int chunked = r->http_minor && !bodyless;
	while (ch) {
		struct serve_chunk *next = ch->next;
		if (bodyless) {
			serve_stream_written(r->stream, ch->len);
			free(ch);
		} else {
			int n = snprintf(ch->line, sizeof(ch->line), "%zx\r\n", ch->len);
			uv_buf_t b[3] = {uv_buf_init(ch->line, (unsigned)n),
					 uv_buf_init((char *)ch->data, (unsigned)ch->len),
					 uv_buf_init("\r\n", 2)};
			r->resp_bytes += ch->len;
			if (conn_write(c, chunked ? b : b + 1, chunked ? 3 : 1, ch, NULL, r,
				       ch->len)) {
				for (ch = next; ch; ch = next) {
					next = ch->next;
					free(ch);
				}
				return -1;
			}
		}
		ch = next;
	}
	return state != SERVE_STREAM_OPEN;
}

/* The end of a streamed body (r taken off the list): the last chunk, or
 * when it was cut short (or for HTTP/1.0) none, and the connection closes
 * after it; r is done once it is written. -1: the connection is closing. */
static int write_stream_end(struct conn *c, struct serve_request *r)
{
	int bodyless = r->head_only || r->status == 204 || r->status == 304;
	int complete = serve_stream_state(r->stream) == SERVE_STREAM_COMPLETE;
	int chunked = r->http_minor && !bodyless;
	if (!complete || (!chunked && !bodyless) || ((c->h->draining || c->stop_input) && !c->head))
		r->close = 1;
	uv_buf_t last = uv_buf_init("0\r\n\r\n", chunked && complete ? 5 : 0);
	return conn_write(c, &last, 1, NULL, r, NULL, 0);
}

static void write_continue(struct conn *c)
{
	static char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
	uv_buf_t b = uv_buf_init(line, sizeof(line) - 1);
	conn_write(c, &b, 1, NULL, NULL, NULL, 0);
}

static void on_alloc(uv_handle_t *t, size_t hint, uv_buf_t *b);
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

/* Reads again once the connection has room: fewer than PIPELINE_MAX
 * requests unanswered, and its client taking what is written (WRITE_MAX).
 * 1 if it parsed bytes kept from a pause (there may be answers to write). */
static int conn_resume(struct conn *c)
{
	uv_stream_t *s = (uv_stream_t *)&c->tcp;
	if (c->closing || c->stop_input || c->queued >= PIPELINE_MAX ||
	    uv_stream_get_write_queue_size(s) > WRITE_MAX) {
		if (c->reading && !c->closing) {
			uv_read_stop(s);
			c->reading = 0;
		}
		return 0;
	}
	if (c->paused) {
		c->paused = 0;
		unsigned char *p = c->pending;
		size_t n = c->pending_len;
		c->pending = NULL;
		c->pending_len = 0;
		llhttp_resume(&c->parser);
		if (n) {
			conn_feed(c, (const char *)p, n);
			free(p);
			return 1;
		}
		free(p);
	}
	if (!c->reading)
		c->reading = !uv_read_start(s, on_alloc, on_read);
	return 0;
}

/* Writes what can be written, in order; closes the connection once the
 * response it closes after is out. A streamed response holds the
 * connection until its body is over. */
static void conn_flush(struct conn *c)
{
again:
	if (c->closing || c->shutting)
		return;
	while (c->head && c->head->answered) {
		struct serve_request *r = c->head;
		int streamed = r->stream && !r->error;
		if (streamed) {
			/* it stays first, holding the connection, until its end */
			if (!r->head_sent) {
				r->head_sent = 1;
				if (write_response(c, r))
					return;
			}
			int over = write_stream(c, r);
			if (over < 0)
				return;
			if (!over)
				break;
		}
		/* off the list before its last write: a write that fails finds
		 * it done, and conn_close does not */
		c->head = r->conn_next;
		if (!c->head)
			c->tail = NULL;
		c->queued--;
		c->submitted -= !!r->ready;
		r->conn = NULL;
		if (streamed ? write_stream_end(c, r) : write_response(c, r))
			return;
		if (r->close) {
			/* nothing after it is read; the close waits for the write */
			conn_end(c);
			return;
		}
	}
	conn_submit(c);
	if (c->closing)
		return;
	if (c->head && c->head->want_continue) {
		c->head->want_continue = 0;
		write_continue(c);
	}
	if (!c->head && !c->cur && (c->stop_input || c->h->draining)) {
		conn_end(c);
		return;
	}
	if (conn_resume(c))
		goto again;
	conn_arm(c);
}

/* Adds r to the requests c answers in turn. */
static void conn_enqueue(struct conn *c, struct serve_request *r)
{
	r->conn = c;
	if (c->tail)
		c->tail->conn_next = r;
	else
		c->head = r;
	c->tail = r;
	c->queued++;
}

/* Answers the request being read with an error and reads nothing more. */
static int refuse(struct conn *c, int status, const char *why)
{
	struct serve_request *r = c->cur;
	if (!r) {
		/* bytes that are no request: give them a request id of their own */
		if (!(r = serve_request_new())) {
			conn_close(c);
			return HPE_USER;
		}
		__atomic_add_fetch(&c->h->inflight, 1, __ATOMIC_ACQ_REL);
		strcpy(r->method, "-");
		conn_enqueue(c, r);
	} else if (!r->conn)
		conn_enqueue(c, r);
	c->cur = NULL;
	r->status = status;
	r->error = why;
	r->close = 1;
	r->want_continue = 0;
	r->answered = 1;
	c->stop_input = 1;
	if (c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = 0;
	}
	return HPE_USER;
}

/* ---- reading requests ---------------------------------------------------- */

static int grow_append(unsigned char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (serve_frame_grow(buf, cap, *len + n + 1))
		return -1;
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = 0;
	return 0;
}

/* Counts n more bytes of the request's head against --max-header. */
static int head_bytes(struct conn *c, size_t n)
{
	c->head_bytes += n;
	return c->head_bytes > c->h->cfg->max_header ? -1 : 0;
}

static int on_message_begin(llhttp_t *p)
{
	struct conn *c = p->data;
	struct serve_request *r = serve_request_new();
	if (!r) {
		conn_close(c);
		return HPE_USER;
	}
	__atomic_add_fetch(&c->h->inflight, 1, __ATOMIC_ACQ_REL);
	r->http = c->h;
	c->cur = r;
	c->head_bytes = c->target_len = c->target_cap = c->name_len = c->value_len = 0;
	c->hosts = c->content_length = c->transfer_encoding = c->expect = 0;
	c->in_body = c->trailers = 0;
	free(c->host);
	c->host = NULL;
	c->deadline = uv_now(&c->h->loop) + c->h->cfg->header_timeout_ms;
	conn_arm(c);
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	struct serve_request *r = c->cur;
	if (c->target_len + n > c->h->cfg->max_uri)
		return refuse(c, 414, "the request-target is too long");
	if (head_bytes(c, n))
		return refuse(c, 431, "the request's headers are too large");
	if (grow_append((unsigned char **)&r->target, &c->target_len, &c->target_cap, at, n))
		return refuse(c, 503, "out of memory");
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	if (head_bytes(c, n))
		return refuse(c, 431, "the request's headers are too large");
	if (grow_append(&c->name, &c->name_len, &c->name_cap, at, n))
		return refuse(c, 503, "out of memory");
	return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	/* llhttp joins a folded line to the value: refused, as RFC 9112 lets a
	 * server do, since proxies disagree on what it means. A value starts
	 * after its colon and spaces (not after a line break: a fold of an
	 * empty first line), and goes on right where its last part ended, or
	 * at the start of the next read if that part ended its read. */
	int folded;
	if (!n)
		return 0; /* llhttp's empty value: where the next line starts */
	if (!c->value_end) {
		const char *q = at;
		while (q > c->feed_at && (q[-1] == ' ' || q[-1] == '\t'))
			q--;
		folded = (q > c->feed_at ? q[-1] : c->feed_last) != ':';
	} else
		folded = !(c->value_feed == c->feeds
			       ? at == c->value_end
			       : at == c->feed_at && c->value_end == c->value_feed_end);
	if (folded)
		return refuse(c, 400, "malformed request: a folded header line (obs-fold)");
	c->value_end = at + n;
	c->value_feed = c->feeds;
	c->value_feed_end = c->feed_end;
	if (head_bytes(c, n))
		return refuse(c, 431, "the request's headers are too large");
	if (grow_append(&c->value, &c->value_len, &c->value_cap, at, n))
		return refuse(c, 503, "out of memory");
	return 0;
}

/* A header is whole (its value may be empty): noted, and given to the
 * handler. Trailers are read and dropped. */
static int on_header_value_complete(llhttp_t *p)
{
	struct conn *c = p->data;
	size_t nl = c->name_len, vl = c->value_len;
	/* the whitespace after a value is not part of it (RFC 9112 5) */
	while (vl && (c->value[vl - 1] == ' ' || c->value[vl - 1] == '\t'))
		c->value[--vl] = 0;
	const char *name = nl ? (const char *)c->name : "",
		   *value = vl ? (const char *)c->value : "";
	c->name_len = c->value_len = 0;
	c->value_end = NULL;
	if (head_bytes(c, 4)) /* ": " and CRLF */
		return refuse(c, 431, "the request's headers are too large");
	if (c->trailers)
		return 0;
	if (!strcasecmp(name, "host")) {
		c->hosts++;
		free(c->host);
		if (!(c->host = strndup(value, vl)))
			return refuse(c, 503, "out of memory");
	} else if (!strcasecmp(name, "expect"))
		c->expect = !strcasecmp(value, "100-continue") ? 1 : -1;
	else if (!strcasecmp(name, "transfer-encoding"))
		c->transfer_encoding += strcasecmp(value, "chunked") ? 2 : 1;
	if (serve_request_field(c->cur, name, nl) || serve_request_field(c->cur, value, vl))
		return refuse(c, 503, "out of memory");
	return 0;
}

/* The authority's host as WHATWG's URL parser reads it (guest/js/web.js
 * does the same in the guest): an IPv4 address may be one to four numbers,
 * each decimal, 0x hex or 0 octal. */
static int ipv4_number(const char *s, size_t n, uint64_t *v)
{
	unsigned radix = 10;
	size_t i = 0;
	if (!n)
		return -1;
	if (n >= 2 && s[0] == '0') {
		radix = s[1] == 'x' || s[1] == 'X' ? 16 : 8;
		i = radix == 16 ? 2 : 1;
	}
	uint64_t x = 0;
	for (; i < n; i++) {
		int d = isdigit((unsigned char)s[i])	? s[i] - '0'
			: isxdigit((unsigned char)s[i]) ? tolower((unsigned char)s[i]) - 'a' + 10
							: -1;
		if (d < 0 || (unsigned)d >= radix)
			return -1;
		x = x * radix + (unsigned)d;
		if (x > 0xffffffffu)
			x = 0x100000000u; /* too large, and stays so */
	}
	*v = x;
	return 0;
}

/* 1 if the host [s, s + n) ends in a number: then it must be an IPv4 address. */
static int ends_in_number(const char *s, size_t n)
{
	if (n > 1 && s[n - 1] == '.')
		n--;
	size_t from = n;
	while (from && s[from - 1] != '.')
		from--;
	size_t len = n - from, digits = 0;
	uint64_t v;
	while (digits < len && isdigit((unsigned char)s[from + digits]))
		digits++;
	return len && (digits == len || !ipv4_number(s + from, len, &v));
}

/* The IPv4 address [s, s + n) as a dotted quad in out, or -1. */
static int ipv4_text(const char *s, size_t n, char *out)
{
	uint64_t num[4];
	size_t count = 0;
	const char *p = s, *end = s + (n > 1 && s[n - 1] == '.' ? n - 1 : n);
	for (;;) {
		const char *dot = memchr(p, '.', (size_t)(end - p)), *e = dot ? dot : end;
		if (count == 4 || ipv4_number(p, (size_t)(e - p), &num[count++]))
			return -1;
		if (!dot)
			break;
		p = dot + 1;
	}
	size_t last = count - 1;
	uint64_t ip = num[last];
	if (ip >> (8 * (4 - last)))
		return -1;
	for (size_t i = 0; i < last; i++) {
		if (num[i] > 255)
			return -1;
		ip += num[i] << (8 * (3 - i));
	}
	sprintf(out, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16) & 255,
		(unsigned)(ip >> 8) & 255, (unsigned)ip & 255);
	return 0;
}

/* An IPv6 address as WHATWG serializes it: hex pieces, the first longest
 * run of two or more zero pieces compressed, in brackets. */
static size_t ipv6_text(const struct in6_addr *a, char *out)
{
	unsigned piece[8];
	int run = -1, best = 1;
	for (int i = 0; i < 8; i++)
		piece[i] = (unsigned)a->s6_addr[2 * i] << 8 | a->s6_addr[2 * i + 1];
	for (int i = 0, j; i < 8; i = j + (j == i)) {
		for (j = i; j < 8 && !piece[j]; j++)
			;
		if (j - i > best)
			run = i, best = j - i;
	}
	size_t k = (size_t)sprintf(out, "[");
	for (int i = 0; i < 8; i++) {
		if (i == run) {
			k += (size_t)sprintf(out + k, i ? ":" : "::");
			i += best - 1;
			continue;
		}
		k += (size_t)sprintf(out + k, "%x%s", piece[i], i < 7 ? ":" : "");
	}
	return k + (size_t)sprintf(out + k, "]");
}

/* The authority [s, s + n) as the handler's URL has it, in out (n + 1 +
 * INET6_ADDRSTRLEN bytes), as new URL() would serialize it: a reg-name
 * percent-decoded and lowercased, an IPv4 or [IPv6] address in its
 * canonical form, then a port but own_port (the scheme's). -1 for anything
 * a URL parser would refuse, so that new URL(request.url) never throws: a
 * Host like that is a 400 (RFC 9112 3.2). Non-ASCII names are refused. */
static int authority_normal(const char *s, size_t n, unsigned own_port, char *out)
{
	const char *end = s + n, *port;
	size_t k = 0;
	if (n && *s == '[') {
		const char *close = memchr(s, ']', n);
		char text[INET6_ADDRSTRLEN];
		struct in6_addr a6;
		size_t len = close ? (size_t)(close - s - 1) : 0;
		if (!len || len >= sizeof(text))
			return -1;
		memcpy(text, s + 1, len);
		text[len] = 0;
		if (inet_pton(AF_INET6, text, &a6) != 1)
			return -1;
		k = ipv6_text(&a6, out);
		port = close + 1;
		if (port < end && *port != ':')
			return -1;
	} else {
		port = memchr(s, ':', n);
		port = port ? port : end;
		for (const char *q = s; q < port; q++) {
			unsigned ch = (unsigned char)*q;
			if (ch == '%') { /* %XX: the byte it stands for, checked as one */
				if (port - q < 3 || !isxdigit((unsigned char)q[1]) ||
				    !isxdigit((unsigned char)q[2]))
					return -1;
				char hex[3] = {q[1], q[2], 0};
				ch = (unsigned)strtoul(hex, NULL, 16);
				q += 2;
			}
			if (!ch || (!isalnum((int)ch) && !strchr("-._~!$&'()*+,;=", (int)ch)))
				return -1;
			out[k++] = (char)tolower((int)ch);
		}
		out[k] = 0;
		if (!k || (k == 1 && out[0] == '.'))
			return -1;
		char ip[16];
		if (ends_in_number(out, k)) {
			if (ipv4_text(out, k, ip))
				return -1;
			k = (size_t)sprintf(out, "%s", ip);
		}
	}
	if (port < end) { /* digits, at most 65535; none after the colon is none */
		unsigned long number = 0;
		for (const char *q = port + 1; q < end; q++)
			if (!isdigit((unsigned char)*q) ||
			    (number = number * 10 + (unsigned)(*q - '0')) > 65535)
				return -1;
		if (port + 1 < end && number != own_port)
			k += (size_t)sprintf(out + k, ":%lu", number);
	}
	out[k] = 0;
	return 0;
}

/* The absolute URL the handler sees, from the request-target (origin-form,
 * absolute-form, or * for OPTIONS) and the authority (host, the Host header,
 * or else the listen address); NULL for a bad one (*oom 0) or out of memory
 * (*oom 1). */
static char *request_url(const char *target, const char *host_header, const char *listen,
			 int options, int *oom)
{
	const char *path = target, *scheme = "http",
		   *authority = host_header ? host_header : listen;
	size_t alen = strlen(authority);
	*oom = 0;
	if (strchr(target, '#'))
		return NULL; /* a fragment is never part of a request-target */
	if (!strncasecmp(target, "http://", 7) || !strncasecmp(target, "https://", 8)) {
		/* absolute-form: its authority wins over Host (RFC 9112 3.2.2), a
		 * Host that must still be one */
		char *check = host_header ? malloc(alen + 1 + INET6_ADDRSTRLEN) : NULL;
		int bad = check && authority_normal(host_header, alen, 80, check);
		free(check);
		if (bad || (host_header && !check)) {
			*oom = !bad;
			return NULL;
		}
		scheme = target[4] == ':' ? "http" : "https";
		authority = target + strlen(scheme) + 3;
		path = authority + strcspn(authority, "/?");
		alen = (size_t)(path - authority);
	} else if (!strcmp(target, "*") && options) {
		path = "";
	} else if (target[0] != '/') {
		return NULL;
	}
	char *host = malloc(alen + 1 + INET6_ADDRSTRLEN), *url = NULL;
	if (!host || memchr(authority, '@', alen) ||
	    authority_normal(authority, alen, scheme[4] ? 443 : 80, host)) {
		*oom = !host;
		free(host);
		return NULL;
	}
	if (asprintf(&url, "%s://%s%s%s", scheme, host, *path == '/' ? "" : "/", path) < 0) {
		url = NULL;
		*oom = 1;
	}
	free(host);
	return url;
}

/* Room for cap bytes of body, counted against what all requests may hold.
 * 0, or a refusal (503). */
static int body_reserve(struct conn *c, struct serve_request *r, size_t cap)
{
	struct serve_http *h = c->h;
	size_t more = cap - r->body_cap;
	if (__atomic_add_fetch(&h->buffered, more, __ATOMIC_RELAXED) > body_budget(h->cfg)) {
		__atomic_sub_fetch(&h->buffered, more, __ATOMIC_RELAXED);
		r->retry_after = 1;
		return refuse(c, 503, "the server is busy");
	}
	unsigned char *b = realloc(r->body, cap);
	if (!b) {
		__atomic_sub_fetch(&h->buffered, more, __ATOMIC_RELAXED);
		return refuse(c, 503, "out of memory");
	}
	r->body = b;
	r->body_cap = cap;
	r->buffered = &h->buffered;
	return 0;
}

/* The head is whole: the request's checks, then its frame (method, URL,
 * headers) for the worker. */
static int on_headers_complete(llhttp_t *p)
{
	struct conn *c = p->data;
	struct serve_request *r = c->cur;
	const struct serve_config *cfg = c->h->cfg;
	const char *method = llhttp_method_name((llhttp_method_t)p->method);
	snprintf(r->method, sizeof(r->method), "%s", method);
	r->http_minor = p->http_minor;
	r->head_only = p->method == HTTP_HEAD;
	r->close = !llhttp_should_keep_alive(p);
	conn_enqueue(c, r);
	c->trailers = 1;
	if (p->http_major != 1)
		return refuse(c, 505, "only HTTP/1.0 and HTTP/1.1 are served");
	if (c->transfer_encoding > 1)
		return refuse(c, 501, "only the chunked Transfer-Encoding is supported");
	if ((p->http_minor && !c->hosts) || c->hosts > 1)
		return refuse(c, 400, "malformed request: a missing or repeated Host");
	if (c->expect < 0)
		return refuse(c, 417, "only Expect: 100-continue is understood");
	if (p->method == HTTP_CONNECT || !r->target)
		return refuse(c, 400, "malformed request: bad request-target");
	if ((p->flags & F_CONTENT_LENGTH) && p->content_length > cfg->max_body)
		return refuse(c, 413, "the request body is too large");
	int oom;
	char *url = request_url(r->target, c->hosts ? c->host : NULL, c->l->addr,
				p->method == HTTP_OPTIONS, &oom);
	if (!url)
		return oom ? refuse(c, 503, "out of memory")
			   : refuse(c, 400, "malformed request: a bad Host or request-target");
	size_t n = strlen(url);
	/* the frame so far holds the headers: method and URL go first */
	unsigned char *headers = r->fields;
	size_t headers_len = r->fields_len;
	uint32_t nheaders = r->nfields;
	r->fields = NULL;
	r->fields_len = r->fields_cap = 0;
	r->nfields = 0;
	int bad = serve_request_field(r, r->method, strlen(r->method)) ||
		  serve_request_field(r, url, n) ||
		  serve_frame_grow(&r->fields, &r->fields_cap, r->fields_len + headers_len);
	free(url);
	if (!bad) {
		if (headers_len)
			memcpy(r->fields + r->fields_len, headers, headers_len);
		r->fields_len += headers_len;
		r->nfields += nheaders;
	}
	free(headers);
	if (bad)
		return refuse(c, 503, "out of memory");
	c->in_body = 1;
	c->deadline = uv_now(&c->h->loop) + cfg->body_timeout_ms;
	int body = (p->flags & F_CHUNKED) || p->content_length;
	/* room for the body is taken as it comes, up to its Content-Length:
	 * announcing one holds nothing */
	c->body_total = (p->flags & F_CONTENT_LENGTH) ? (size_t)p->content_length : cfg->max_body;
	if (!p->http_minor && (p->flags & F_CHUNKED))
		r->close = 1; /* RFC 9112 6.1 */
	if (c->expect > 0 && body && p->http_minor) {
		if (c->head == r)
			write_continue(c);
		else
			r->want_continue = 1;
	}
	conn_arm(c);
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t k)
{
	struct conn *c = p->data;
	struct serve_request *r = c->cur;
	size_t max = c->h->cfg->max_body, need = r->body_len + k;
	c->body_end = at + k;
	c->body_feed = c->feeds;
	r->want_continue = 0; /* the client sent its body without waiting */
	if (need > max)
		return refuse(c, 413, "the request body is too large");
	if (need > r->body_cap) {
		/* doubled as it comes, up to what is announced */
		size_t cap = r->body_cap ? r->body_cap : 16384;
		while (cap < need)
			cap *= 2;
		if (cap > c->body_total)
			cap = c->body_total > need ? c->body_total : need;
		int e = body_reserve(c, r, cap);
		if (e)
			return e;
	}
	memcpy(r->body + r->body_len, at, k);
	r->body_len = need;
	return 0;
}

/* The request is whole: to a worker (or answered here, for --admin). */
static int on_message_complete(llhttp_t *p)
{
	struct conn *c = p->data;
	struct serve_request *r = c->cur;
	c->active = uv_now(&c->h->loop);
	r->want_continue = 0;
	if (c->l->admin) {
		if (serve_admin_answer(c->h->cfg, r))
			return refuse(c, 503, "out of memory");
		r->answered = 1;
	} else
		r->complete = 1;
	/* no protocol is switched to (Upgrade, CONNECT): nothing after it is
	 * read, so llhttp never stops in its upgrade state; nor while draining */
	if (p->upgrade || c->h->draining)
		r->close = 1;
	c->cur = NULL;
	conn_submit(c);
	if (r->close) {
		c->stop_input = 1;
		return HPE_PAUSED;
	}
	return c->queued >= PIPELINE_MAX ? HPE_PAUSED : 0;
}

/* Parses bytes read (or kept from before a pause). */
static void conn_feed(struct conn *c, const char *data, size_t len)
{
	c->feeds++;
	c->feed_at = data;
	c->feed_end = data + len;
	enum llhttp_errno e = llhttp_execute(&c->parser, data, len);
	for (size_t i = len; i-- > 0;)
		if (data[i] != ' ' && data[i] != '\t') {
			c->feed_last = data[i];
			break;
		}
	if (e == HPE_OK || c->closing)
		return;
	if (e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE) {
		/* stopped after a request: keep the rest for later */
		const char *at = llhttp_get_error_pos(&c->parser);
		size_t rest = at && at >= data && at <= data + len ? (size_t)(data + len - at) : 0;
		if (e == HPE_PAUSED_UPGRADE) {
			c->stop_input = 1; /* no protocol is switched to */
			if (c->tail)
				c->tail->close = 1;
		}
		if (!c->stop_input && rest) {
			free(c->pending);
			c->pending = malloc(rest);
			if (!c->pending) {
				conn_close(c);
				return;
			}
			memcpy(c->pending, at, rest);
			c->pending_len = rest;
		}
		c->paused = !c->stop_input;
		if (c->reading) {
			uv_read_stop((uv_stream_t *)&c->tcp);
			c->reading = 0;
		}
		return;
	}
	if (e == HPE_PAUSED_H2_UPGRADE) /* an HTTP/2 client's preface */
		refuse(c, 505, "only HTTP/1.0 and HTTP/1.1 are served");
	else if (e == HPE_INVALID_METHOD && !c->stop_input &&
		 method_is_token(llhttp_get_error_pos(&c->parser), data, data + len,
				 c->body_feed == c->feeds ? c->body_end : NULL))
		refuse(c, 501, "the method is not implemented");
	else if (!c->stop_input) { /* else a callback refused it already */
		/* llhttp's reasons are static text, as r->error must be */
		const char *reason = llhttp_get_error_reason(&c->parser);
		refuse(c, 400, reason && *reason ? reason : "malformed request");
	}
}

static void on_alloc(uv_handle_t *t, size_t hint, uv_buf_t *b)
{
	struct conn *c = t->data;
	(void)hint;
	*b = uv_buf_init(c->h->rbuf, sizeof(c->h->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = s->data;
	if (n > 0) {
		c->active = uv_now(&c->h->loop);
		conn_feed(c, b->base, (size_t)n);
		if (!c->closing)
			conn_flush(c);
	} else if (n == UV_EOF) {
		/* the client sends no more: answer what it asked, then close */
		uv_read_stop(s);
		c->reading = 0;
		c->stop_input = 1;
		if (c->cur && !c->cur->conn) {
			/* half a request: dropped, not logged */
			request_done(c->h, c->cur, 1);
			c->cur = NULL;
		} else if (c->cur) {
			refuse(c, 400, "malformed request: the connection ended within it");
		}
		conn_flush(c);
	} else if (n < 0)
		conn_close(c);
}

/* ---- connections --------------------------------------------------------- */

static void on_closed(uv_handle_t *t)
{
	struct conn *c = t->data;
	if (--c->handles)
		return;
	free(c->name);
	free(c->value);
	free(c->host);
	free(c->pending);
	free(c);
}

/* Closes c: requests a worker still runs are given up (written nowhere when
 * they come back), the others done now. */
static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	struct serve_http *h = c->h;
	if (c->cur && !c->cur->conn)
		request_done(h, c->cur, 1); /* half read, not logged */
	c->cur = NULL;
	while (c->head) {
		struct serve_request *r = c->head;
		c->head = r->conn_next;
		r->conn = NULL;
		if (r->stream)
			serve_stream_abandon(r->stream); /* its pushes fail from now on */
		if (in_worker(r)) {
			r->gone = 1;
			continue; /* its ready() comes, and finds no connection */
		}
		if (!r->answered && !r->ready)
			request_done(h, r, 1); /* half read, not logged */
		else
			request_done(h, r, c->l->admin);
	}
	c->tail = NULL;
	c->queued = 0;
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->nconns--;
	c->l->nconns--;
	h->admin_conns -= c->l->admin;
	uv_close((uv_handle_t *)&c->tcp, on_closed);
	uv_close((uv_handle_t *)&c->timer, on_closed);
}

static void on_timer(uv_timer_t *t)
{
	struct conn *c = t->data;
	if (c->cur && uv_now(&c->h->loop) >= c->deadline) {
		refuse(c, 408,
		       c->in_body ? "the request body did not arrive in time"
				  : "the request's headers did not arrive in time");
		conn_flush(c);
	} else if (!c->cur) {
		/* idle, or its client does not read: a client that takes a
		 * large write slowly is still taking it */
		size_t q = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
		if (!c->writing || q >= c->queue_seen) {
			conn_close(c);
			return;
		}
		c->queue_seen = q;
		c->active = uv_now(&c->h->loop);
		conn_arm(c);
	} else
		conn_arm(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct listener *l = server->data;
	struct serve_http *h = l->h;
	if (status < 0)
		return;
	struct conn *c = calloc(1, sizeof(*c));
	if (!c || uv_tcp_init(&h->loop, &c->tcp)) {
		free(c);
		return;
	}
	c->h = h;
	c->l = l;
	c->tcp.data = c;
	c->handles = 1;
	/* --admin has connections of its own: a flood on the handler's
	 * addresses does not starve the probes */
	int full = l->admin ? l->nconns >= ADMIN_CONNS : h->nconns - h->admin_conns >= h->max_conns;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) || full || h->draining) {
		uv_close((uv_handle_t *)&c->tcp, on_closed);
		return;
	}
	uv_timer_init(&h->loop, &c->timer);
	c->timer.data = c;
	c->handles = 2;
	uv_tcp_nodelay(&c->tcp, 1);
	llhttp_init(&c->parser, HTTP_REQUEST, &h->settings);
	c->parser.data = c;
	c->next = h->conns;
	if (h->conns)
		h->conns->prev = c;
	h->conns = c;
	h->nconns++;
	l->nconns++;
	h->admin_conns += l->admin;
	c->active = uv_now(&h->loop);
	c->reading = !uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	conn_arm(c);
}

/* ---- the loop ------------------------------------------------------------ */

static void close_listeners(struct serve_http *h)
{
	for (int i = 0; i < h->n; i++)
		if (h->l[i].open) {
			h->l[i].open = 0;
			uv_close((uv_handle_t *)&h->l[i].tcp, NULL);
		}
}

static void on_wake(uv_async_t *a)
{
	struct serve_http *h = a->data;
	pthread_mutex_lock(&h->lock);
	struct serve_request *r = h->answered;
	h->answered = NULL;
	int quiesce = h->quiesce, stop = h->stop;
	if (h->swap) {
		h->workers = h->swap;
		h->swap = NULL;
		pthread_cond_broadcast(&h->swapped);
	}
	pthread_mutex_unlock(&h->lock);
	while (r) {
		/* Off the list under the lock before it is looked at: until
		 * then a ready() (a stream's next part) finds it waking; after,
		 * it goes on the next list, rewriting ready_next. */
		pthread_mutex_lock(&h->lock);
		struct serve_request *next = r->ready_next;
		r->waking = 0;
		pthread_mutex_unlock(&h->lock);
		struct conn *c = r->conn;
		r->answered = 1;
		if (c)
			conn_flush(c);
		else if (!r->gone)
			; /* written whole, its last write pending: that write ends it */
		else if (!in_worker(r))
			request_done(h, r, 0); /* its client went away */
		else if (r->stream)
			serve_stream_abandon(r->stream); /* gone before its head was out */
		serve_request_unref(r);			 /* the list's */
		r = next;
	}
	if ((quiesce || stop) && !h->draining) {
		/* no new connections; idle ones close now, busy ones after
		 * their response */
		h->draining = 1;
		close_listeners(h);
		for (struct conn *c = h->conns, *next; c; c = next) {
			next = c->next;
			/* a request being read may finish; then nothing more */
			if (!c->cur)
				c->stop_input = 1;
			if (!c->cur && !c->head)
				conn_end(c);
		}
	}
	if (stop) {
		while (h->conns)
			conn_close(h->conns);
		uv_close((uv_handle_t *)&h->wake, NULL);
	}
}

static void *loop_main(void *arg)
{
	struct serve_http *h = arg;
	pthread_setname_np(pthread_self(), "mica-http");
	uv_run(&h->loop, UV_RUN_DEFAULT);
	return NULL;
}

/* ---- the interface ------------------------------------------------------- */

struct serve_http *serve_http_bind(const struct serve_config *cfg, char *why, size_t why_len)
{
	struct serve_http *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	h->cfg = cfg;
	for (int i = 0; i < cfg->nlisten + !!cfg->admin; i++) {
		struct listener *l = &h->l[i];
		l->h = h;
		l->admin = i == cfg->nlisten;
		l->fd = serve_listen(l->admin ? "--admin" : "--listen",
				     l->admin ? cfg->admin : cfg->listen[i], l->addr,
				     sizeof(l->addr), why, why_len);
		if (l->fd < 0) {
			serve_http_free(h);
			return NULL;
		}
		h->n++;
	}
	return h;
}

const char *serve_http_address(const struct serve_http *h, int i)
{
	return h->l[i].addr;
}

int serve_http_start(struct serve_http *h, struct serve_workers *w, char *why, size_t why_len)
{
	const struct serve_config *cfg = h->cfg;
	h->workers = w;
	/* connections: what the descriptor limit leaves once the sandboxes
	 * (a few each) and the rest have theirs */
	struct rlimit nofile = {0};
	getrlimit(RLIMIT_NOFILE, &nofile);
	long room =
	    (long)nofile.rlim_cur - 64 - (cfg->admin ? ADMIN_CONNS : 0) - 8 * (long)cfg->workers;
	h->max_conns = room > 16 ? (unsigned)room : 16;
	llhttp_settings_init(&h->settings);
	h->settings.on_message_begin = on_message_begin;
	h->settings.on_url = on_url;
	h->settings.on_header_field = on_header_field;
	h->settings.on_header_value = on_header_value;
	h->settings.on_header_value_complete = on_header_value_complete;
	h->settings.on_headers_complete = on_headers_complete;
	h->settings.on_body = on_body;
	h->settings.on_message_complete = on_message_complete;
	int e = uv_loop_init(&h->loop);
	if (e) {
		snprintf(why, why_len, "cannot start the HTTP loop: %s", uv_strerror(e));
		return -1;
	}
	h->looping = 1;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->swapped, NULL);
	uv_async_init(&h->loop, &h->wake, on_wake);
	h->wake.data = h;
	for (int i = 0; i < h->n; i++) {
		struct listener *l = &h->l[i];
		uv_tcp_init(&h->loop, &l->tcp);
		l->tcp.data = l;
		l->open = 1;
		if ((e = uv_tcp_open(&l->tcp, l->fd)) ||
		    (e = uv_listen((uv_stream_t *)&l->tcp, 1024, on_connection))) {
			snprintf(why, why_len, "cannot serve on %s: %s", l->addr, uv_strerror(e));
			return -1;
		}
		l->fd = -1; /* the handle's now */
	}
	if ((e = pthread_create(&h->thread, NULL, loop_main, h))) {
		snprintf(why, why_len, "cannot start the HTTP thread: %s", strerror(e));
		return -1;
	}
	h->started = 1;
	return 0;
}

static void tell(struct serve_http *h, int *flag)
{
	pthread_mutex_lock(&h->lock);
	*flag = 1;
	pthread_mutex_unlock(&h->lock);
	uv_async_send(&h->wake);
}

void serve_http_swap_workers(struct serve_http *h, struct serve_workers *w)
{
	pthread_mutex_lock(&h->lock);
	h->swap = w;
	uv_async_send(&h->wake);
	while (h->swap)
		pthread_cond_wait(&h->swapped, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

void serve_http_quiesce(struct serve_http *h)
{
	if (h->started)
		tell(h, &h->quiesce);
}

unsigned serve_http_inflight(const struct serve_http *h)
{
	return __atomic_load_n(&h->inflight, __ATOMIC_ACQUIRE);
}

void serve_http_free(struct serve_http *h)
{
	if (!h)
		return;
	if (h->started) {
		tell(h, &h->stop);
		pthread_join(h->thread, NULL);
	} else if (h->looping) {
		/* set up, never run: the handles still need their close */
		close_listeners(h);
		uv_close((uv_handle_t *)&h->wake, NULL);
		uv_run(&h->loop, UV_RUN_DEFAULT);
	}
	if (h->looping) {
		uv_loop_close(&h->loop);
		pthread_mutex_destroy(&h->lock);
		pthread_cond_destroy(&h->swapped);
	}
	for (int i = 0; i < h->n; i++)
		if (h->l[i].fd >= 0)
			close(h->l[i].fd);
	free(h);
}

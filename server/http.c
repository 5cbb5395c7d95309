/*
 * mica serve: the HTTP side, on libmicrohttpd (Debian's libmicrohttpd-dev).
 *
 * Each --listen address is a daemon with its own event thread (epoll). A
 * request is read whole (headers checked, body bounded by --max-body), then
 * its connection is suspended and the request queued for a worker; the
 * worker resumes the connection when the response is ready, and the event
 * thread sends it. An event thread never waits for a sandbox.
 *
 * libmicrohttpd parses the protocol: keep-alive, pipelining, chunked bodies,
 * Expect: 100-continue, HEAD. What it does not check is checked here, on the
 * first call for a request (headers complete, body not read): header bytes
 * (431), request-target length (414), duplicate Content-Length or
 * Content-Length with Transfer-Encoding, a Transfer-Encoding other than
 * chunked, several Host headers or a bad Host (400), Content-Length over
 * --max-body (413).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "log.h"

enum { ST_NEW, ST_BODY, ST_RUNNING };

struct listener {
	struct serve_http *h;
	int fd;
	char addr[80];
	struct MHD_Daemon *d;
};

struct serve_http {
	const struct serve_config *cfg;
	struct serve_workers *workers;
	struct listener l[SERVE_MAX_LISTEN];
	int n;
	unsigned inflight; /* atomic */
	size_t buffered;   /* atomic: request body bytes held, for every request */
};

/* Request bodies all requests may hold at once: past it a request is a
 * 503 (a thousand slow uploads must not take the host's memory). */
static size_t body_budget(const struct serve_config *cfg)
{
	return cfg->max_body * 4 > (256u << 20) ? cfg->max_body * 4 : (256u << 20);
}

/* ---- binding ------------------------------------------------------------- */

static int bind_one(struct listener *l, const char *spec, char *why, size_t why_len)
{
	l->fd = serve_listen("--listen", spec, l->addr, sizeof(l->addr), why, why_len);
	return l->fd < 0 ? -1 : 0;
}

struct serve_http *serve_http_bind(const struct serve_config *cfg, char *why, size_t why_len)
{
	struct serve_http *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	h->cfg = cfg;
	for (int i = 0; i < cfg->nlisten; i++) {
		h->l[i].h = h;
		if (bind_one(&h->l[i], cfg->listen[i], why, why_len)) {
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

/* ---- answering ----------------------------------------------------------- */

static enum MHD_Result queue(struct MHD_Connection *c, struct serve_request *r,
			     struct MHD_Response *resp)
{
	if (!resp)
		return MHD_NO;
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* A plain-text error: "STATUS Reason: why (request ID)", and with --dev
 * the exception and its stack. */
static enum MHD_Result reply_error(struct serve_http *h, struct MHD_Connection *c,
				   struct serve_request *r, int status, const char *why)
{
	r->status = status;
	const char *phrase = MHD_get_reason_phrase_for((unsigned)status);
	const char *detail = h->cfg->dev && r->error_detail ? r->error_detail : NULL;
	size_t cap = 256 + strlen(why) + (detail ? strlen(detail) : 0);
	char *body = malloc(cap);
	if (!body)
		return MHD_NO;
	int n = snprintf(body, cap, "%d %s: %s (request %s)\n%s%s", status, phrase, why, r->idstr,
			 detail ? detail : "", detail ? "\n" : "");
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
	if (status == 503) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", r->retry_after ? r->retry_after : 1);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	r->resp_bytes = (size_t)n;
	return queue(c, r, resp);
}

/* Headers a handler may not set: the server frames the message. */
static int hop_by_hop(const char *n)
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
		if (!strcasecmp(n, names[i]))
			return 1;
	return 0;
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

/* The handler's Response. */
static enum MHD_Result reply(struct serve_http *h, struct MHD_Connection *c,
			     struct serve_request *r, const char *method)
{
	if (r->error)
		return reply_error(h, c, r, r->status, r->error);
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(r->resp_body_len, r->resp_body, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		return MHD_NO;
	r->resp_body = NULL; /* libmicrohttpd's now */
	const unsigned char *p = r->resp_head;
	for (uint32_t i = 0; i < r->resp_nheaders; i++) {
		/* checked by the worker (host_respond): the count, that the
		 * lengths fit resp_head, and the bytes */
		uint32_t nl = serve_get_u32(p);
		char *name = strndup((const char *)p + 4, nl);
		p += 4 + nl;
		uint32_t vl = serve_get_u32(p);
		char *value = strndup((const char *)p + 4, vl);
		p += 4 + vl;
		if (name && value && !hop_by_hop(name) &&
		    MHD_add_response_header(resp, name, value) != MHD_YES)
			fprintf(stderr, "mica serve: [%s] header '%s' dropped\n", r->idstr, name);
		free(name);
		free(value);
	}
	r->resp_bytes = strcmp(method, "HEAD") ? r->resp_body_len : 0;
	return queue(c, r, resp);
}

static void ready(struct serve_request *r)
{
	MHD_resume_connection(r->conn);
}

/* ---- reading requests ---------------------------------------------------- */

struct scan {
	size_t bytes;
	int content_length, transfer_encoding, te_chunked, hosts;
	const char *host;
	size_t host_len;
	unsigned long long length;
	int bad_length;
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t key_size, const char *value, size_t value_size)
{
	struct scan *s = cls;
	(void)kind;
	s->bytes += key_size + value_size + 4;
	if (!strcasecmp(key, "content-length")) {
		s->content_length++;
		char *end;
		errno = 0;
		s->length = strtoull(value, &end, 10);
		s->bad_length = errno || end == value || *end || value[0] == '-';
	} else if (!strcasecmp(key, "transfer-encoding")) {
		s->transfer_encoding++;
		s->te_chunked = !strcasecmp(value, "chunked");
	} else if (!strcasecmp(key, "host")) {
		s->hosts++;
		s->host = value;
		s->host_len = value_size;
	}
	return MHD_YES;
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
				  size_t key_size, const char *value, size_t value_size)
{
	struct serve_request *r = cls;
	(void)kind;
	if (serve_request_field(r, key, key_size) || serve_request_field(r, value, value_size))
		return MHD_NO;
	return MHD_YES;
}

/* A Host value: reg-name, IPv4 or [IPv6] characters, and a port. */
static int good_host(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    !strchr("-._~%!$&'()*+,;=:[]", c))
			return 0;
	}
	return 1;
}

/* The first call for a request: its headers are all there, its body is
 * not read yet. */
static enum MHD_Result begin(struct listener *l, struct MHD_Connection *c, struct serve_request *r,
			     const char *method, const char *version)
{
	struct serve_http *h = l->h;
	const struct serve_config *cfg = h->cfg;
	size_t mlen = strlen(method);
	if (mlen >= sizeof(r->method))
		return reply_error(h, c, r, 400, "malformed request: method too long");
	memcpy(r->method, method, mlen + 1);
	if (!r->target)
		return MHD_NO;
	size_t tlen = strlen(r->target);
	if (tlen > cfg->max_uri)
		return reply_error(h, c, r, 414, "the request-target is too long");
	struct scan s = {.bytes = mlen + tlen + strlen(version) + 4};
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, scan_header, &s);
	if (s.bytes > cfg->max_header)
		return reply_error(h, c, r, 431, "the request's headers are too large");
	if (s.content_length > 1)
		return reply_error(h, c, r, 400,
				   "malformed request: several Content-Length headers");
	if (s.content_length && s.transfer_encoding)
		return reply_error(h, c, r, 400,
				   "malformed request: both Content-Length and Transfer-Encoding");
	if (s.transfer_encoding && (s.transfer_encoding > 1 || !s.te_chunked))
		return reply_error(h, c, r, 400,
				   "malformed request: unsupported Transfer-Encoding");
	if (s.content_length && s.bad_length)
		return reply_error(h, c, r, 400, "malformed request: bad Content-Length");
	if (s.hosts > 1 || (s.hosts && !good_host(s.host, s.host_len)))
		return reply_error(h, c, r, 400, "malformed request: bad Host");
	if (s.content_length && s.length > cfg->max_body)
		return reply_error(h, c, r, 413, "the request body is too large");
	/* the absolute URL the handler sees */
	char *url = NULL;
	int n;
	if (r->target[0] == '/')
		n = asprintf(&url, "http://%.*s%s", (int)(s.hosts ? s.host_len : strlen(l->addr)),
			     s.hosts ? s.host : l->addr, r->target);
	else if (!strncasecmp(r->target, "http://", 7) || !strncasecmp(r->target, "https://", 8))
		n = asprintf(&url, "%s", r->target);
	else
		return reply_error(h, c, r, 400, "malformed request: bad request-target");
	if (n < 0)
		return MHD_NO;
	int bad = serve_request_field(r, r->method, mlen) || serve_request_field(r, url, (size_t)n);
	free(url);
	if (bad || MHD_get_connection_values_n(c, MHD_HEADER_KIND, add_header, r) < 0)
		return MHD_NO;
	r->state = ST_BODY;
	return MHD_YES; /* libmicrohttpd answers Expect: 100-continue now */
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls)
{
	struct listener *l = cls;
	struct serve_http *h = l->h;
	struct serve_request *r = *con_cls;
	(void)url;
	if (!r)
		return MHD_NO;
	switch (r->state) {
	case ST_NEW: return begin(l, c, r, method, version);
	case ST_BODY:
		if (*size) {
			/* a chunked body over the limit: read and dropped, then
			 * 413; far over it, the connection is closed */
			size_t k = *size;
			*size = 0;
			if (r->error || r->body_len + k > h->cfg->max_body) {
				if (!r->error)
					r->error = "the request body is too large";
				r->body_len += k;
				return r->body_len > 2 * h->cfg->max_body + (1u << 20) ? MHD_NO
										       : MHD_YES;
			}
			size_t need = r->body_len + k;
			if (need > r->body_cap) {
				size_t cap = r->body_cap ? r->body_cap : 4096;
				while (cap < need)
					cap *= 2;
				if (cap > h->cfg->max_body)
					cap = need > h->cfg->max_body ? need : h->cfg->max_body;
				size_t more = cap - r->body_cap;
				if (__atomic_add_fetch(&h->buffered, more, __ATOMIC_RELAXED) >
				    body_budget(h->cfg)) {
					__atomic_sub_fetch(&h->buffered, more, __ATOMIC_RELAXED);
					r->error = "the server is busy"; /* the rest is dropped */
					r->retry_after = 1;
					r->status = 503;
					r->body_len += k;
					return MHD_YES;
				}
				unsigned char *b = realloc(r->body, cap);
				if (!b) {
					__atomic_sub_fetch(&h->buffered, more, __ATOMIC_RELAXED);
					return MHD_NO;
				}
				r->body = b;
				r->body_cap = cap;
				r->buffered = &h->buffered;
			}
			memcpy(r->body + r->body_len, data, k);
			r->body_len = need;
			return MHD_YES;
		}
		if (r->error)
			return reply_error(h, c, r, r->status ? r->status : 413, r->error);
		r->state = ST_RUNNING;
		r->conn = c;
		r->ready = ready;
		MHD_suspend_connection(c);
		serve_workers_submit(h->workers, r);
		return MHD_YES;
	default: return reply(h, c, r, method);
	}
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct listener *l = cls;
	(void)c;
	struct serve_request *r = serve_request_new();
	if (!r)
		return NULL;
	r->target = strdup(uri);
	__atomic_add_fetch(&l->h->inflight, 1, __ATOMIC_ACQ_REL);
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct serve_request *r = *con_cls;
	(void)c;
	if (!r)
		return;
	*con_cls = NULL;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->status)
		r->resp_bytes = 0; /* the client went away, or the write failed */
	serve_log_request(r);
	serve_metrics_request(l->h->cfg->metrics, r->status, serve_now_ns() - r->t_start_ns);
	serve_request_unref(r);
	__atomic_sub_fetch(&l->h->inflight, 1, __ATOMIC_ACQ_REL);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	fprintf(stderr, "mica serve: http: %s\n", buf);
}

int serve_http_start(struct serve_http *h, struct serve_workers *w, char *why, size_t why_len)
{
	const struct serve_config *cfg = h->cfg;
	h->workers = w;
	/* room for the request line and headers, and the read buffer */
	size_t pool = cfg->max_header + (64u << 10);
	/* connections: what the descriptor limit leaves once the sandboxes
	 * (a few each) and the rest have theirs, shared by the listeners */
	struct rlimit nofile = {0};
	getrlimit(RLIMIT_NOFILE, &nofile);
	long room = (long)nofile.rlim_cur - 64 - 8 * (long)cfg->workers;
	unsigned conns = room / h->n > 16 ? (unsigned)(room / h->n) : 16;
	for (int i = 0; i < h->n; i++) {
		struct listener *l = &h->l[i];
		l->d = MHD_start_daemon(
		    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			MHD_USE_ERROR_LOG,
		    0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		    MHD_OPTION_LISTEN_SOCKET, l->fd, MHD_OPTION_URI_LOG_CALLBACK, on_uri, l,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_CONNECTION_LIMIT,
		    conns, MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, MHD_OPTION_CONNECTION_TIMEOUT,
		    cfg->idle_s, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
		if (!l->d) {
			snprintf(why, why_len, "cannot start the HTTP server on %s", l->addr);
			return -1;
		}
	}
	return 0;
}

void serve_http_quiesce(struct serve_http *h)
{
	for (int i = 0; i < h->n; i++)
		if (h->l[i].d) {
			int fd = MHD_quiesce_daemon(h->l[i].d);
			if (fd >= 0)
				close(fd);
			h->l[i].fd = -1;
		}
}

unsigned serve_http_inflight(const struct serve_http *h)
{
	return __atomic_load_n(&h->inflight, __ATOMIC_ACQUIRE);
}

void serve_http_free(struct serve_http *h)
{
	if (!h)
		return;
	for (int i = 0; i < h->n; i++) {
		if (h->l[i].d)
			MHD_stop_daemon(h->l[i].d);
		if (h->l[i].fd >= 0 && !h->l[i].d)
			close(h->l[i].fd);
	}
	free(h);
}

/*
 * mica serve: outbound fetch() (docs/serve.md, "Outbound fetch").
 *
 * The guest's fetch() sends one frame to the async host function
 * serve.fetch: u32 redirect mode (0 follow, 1 manual, 2 error), u32 field
 * count, u32 body length, the fields (u32 length + bytes: method, URL, then
 * header names and values), the body. The engine's thread runs it on one
 * libcurl multi handle and completes the call with: u32 status, u32 field
 * count, u32 body length, u32 bytes of it inline, u32 id of the held rest
 * (0: none), the fields (statusText, final URL, header names and values),
 * the inline body. The rest is read with serve.fetchBody([id, offset]).
 *
 * Policy: an origin must be listed by --allow-fetch (scheme, host and port),
 * or `*` given. Loopback, private, link-local and metadata addresses are
 * refused at connect time (the resolved address, so DNS rebinding cannot
 * get around it) unless the origin is listed exactly. curl follows no
 * redirects: each hop is checked again here.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "fetch.h"
#include "server.h"

#define INLINE_BODY (1u << 20) /* response bytes in the completion */
#define BODY_PART   (1u << 20) /* bytes per fetchBody() call */
#define MAX_HOPS    20

struct origin {
	char *scheme, *host;
	long port;
};

struct held {
	struct held *next;
	uint32_t id;
	unsigned char *buf;
	size_t len;
};

struct serve_fetch_scope {
	struct serve_fetch *f;
	int refs;   /* under f->lock: the request's and one per transfer */
	int closed; /* atomic: the request is over */
	unsigned count;
	int64_t deadline_ns;
	uint32_t next_id;
	struct held *held; /* under f->lock */
};

struct xfer {
	struct xfer *next;
	struct serve_fetch_scope *s;
	mica_async_call *call;
	CURL *easy;
	struct curl_slist *slist;
	char **hdrs; /* "name: value", from the guest's frame */
	size_t nhdrs;
	int drop_auth; /* a redirect left the first origin */
	int drop_body; /* a redirect turned it into a GET */
	char method[32];
	char *url;
	const unsigned char *body; /* in the call's arguments */
	size_t body_len;
	int mode, exact, hops, added;
	/* the response of this hop */
	char status_text[128];
	unsigned char *head; /* fields: names and values */
	size_t head_len, head_cap;
	uint32_t nhead;
	unsigned char *resp;
	size_t resp_len, resp_cap;
	char why[256]; /* why a callback refused or aborted, for the error */
	char err[CURL_ERROR_SIZE];
};

struct serve_fetch {
	pthread_mutex_t lock;
	pthread_t thread;
	int started, stop; /* stop: under lock */
	CURLM *multi;
	struct origin *origins;
	int norigins, any;
	unsigned max_sub;
	size_t max_resp;
	struct xfer *pending; /* under lock: started, not yet on the multi handle */
	int cancel;	      /* under lock: a scope was closed */
	struct xfer *active;  /* the thread's */
};

/* ---- origins ------------------------------------------------------------- */

static int parse_url(const char *s, char **scheme, char **host, long *port, int origin_only)
{
	CURLU *u = curl_url();
	char *sc = NULL, *h = NULL, *p = NULL, *path = NULL, *user = NULL, *q = NULL;
	int rc = -1;
	if (!u || curl_url_set(u, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME))
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &sc, 0) || curl_url_get(u, CURLUPART_HOST, &h, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT))
		goto out;
	if (origin_only) {
		curl_url_get(u, CURLUPART_PATH, &path, 0);
		curl_url_get(u, CURLUPART_USER, &user, 0);
		curl_url_get(u, CURLUPART_QUERY, &q, 0);
		if ((path && strcmp(path, "/")) || user || q)
			goto out;
	}
	if (strcmp(sc, "http") && strcmp(sc, "https"))
		goto out;
	for (char *c = h; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	*scheme = strdup(sc);
	*host = strdup(h);
	*port = strtol(p, NULL, 10);
	if (!*scheme || !*host) {
		free(*scheme);
		free(*host);
		goto out;
	}
	rc = 0;
out:
	curl_free(sc);
	curl_free(h);
	curl_free(p);
	curl_free(path);
	curl_free(user);
	curl_free(q);
	curl_url_cleanup(u);
	return rc;
}

int serve_fetch_origin_check(const char *s, char *why, size_t why_len)
{
	char *sc, *h;
	long port;
	if (!strcmp(s, "*"))
		return 0;
	if (!strstr(s, "://") || parse_url(s, &sc, &h, &port, 1)) {
		snprintf(why, why_len,
			 "--allow-fetch wants an origin (http[s]://host[:port]) or *, not '%s'", s);
		return -1;
	}
	free(sc);
	free(h);
	return 0;
}

/* 0 if url may be fetched, *exact set when its origin is listed; else -1
 * with the reason. */
static int policy(const struct serve_fetch *f, const char *url, int *exact, char *why,
		  size_t why_len)
{
	char *sc, *h;
	long port;
	*exact = 0;
	if (parse_url(url, &sc, &h, &port, 0)) {
		snprintf(why, why_len, "only http: and https: URLs can be fetched");
		return -1;
	}
	for (int i = 0; i < f->norigins; i++)
		if (!strcmp(sc, f->origins[i].scheme) && !strcmp(h, f->origins[i].host) &&
		    port == f->origins[i].port)
			*exact = 1;
	if (!*exact && !f->any)
		snprintf(why, why_len,
			 "the origin %s://%s:%ld is not allowed (mica serve --allow-fetch)", sc, h,
			 port);
	free(sc);
	free(h);
	return *exact || f->any ? 0 : -1;
}

/* Loopback, private, link-local, metadata and other non-public IPv4. */
static const char *private4(uint32_t a)
{
	if ((a >> 24) == 127)
		return "a loopback address";
	if ((a >> 24) == 10 || (a >> 20) == (172u << 4 | 1) || (a >> 16) == (192u << 8 | 168))
		return "a private address";
	if ((a >> 16) == (169u << 8 | 254))
		return "a link-local (metadata) address";
	if ((a >> 24) == 0)
		return "a 'this network' address";
	if ((a >> 22) == (100u << 2 | 1))
		return "a shared (carrier-grade NAT) address";
	if ((a >> 28) >= 14)
		return "a multicast or reserved address";
	return NULL;
}

static const char *private_addr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return private4(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family != AF_INET6)
		return "not an IP address";
	const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	static const unsigned char zero[10];
	if (!memcmp(b, zero, 10) && ((b[10] == 0xff && b[11] == 0xff) || (!b[10] && !b[11]))) {
		/* ::ffff:a.b.c.d and ::a.b.c.d: the IPv4 rules; :: and ::1 too */
		uint32_t a =
		    (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
		if (!b[10] && a == 1)
			return "a loopback address";
		return private4(a) ? private4(a) : b[10] ? NULL : "an unspecified address";
	}
	if ((b[0] & 0xfe) == 0xfc)
		return "a private (unique local) address";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "a link-local address";
	if (b[0] == 0xff)
		return "a multicast address";
	return NULL;
}

/* ---- transfers ----------------------------------------------------------- */

static curl_socket_t on_open(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct xfer *x = ud;
	(void)purpose;
	const char *bad = private_addr(&a->addr);
	if (bad && !x->exact) {
		char ip[INET6_ADDRSTRLEN] = "?";
		const void *p = a->addr.sa_family == AF_INET
				    ? (const void *)&((struct sockaddr_in *)&a->addr)->sin_addr
				    : (const void *)&((struct sockaddr_in6 *)&a->addr)->sin6_addr;
		inet_ntop(a->addr.sa_family, p, ip, sizeof(ip));
		snprintf(x->why, sizeof(x->why),
			 "%s is %s, %s: refused unless its origin is listed exactly "
			 "with --allow-fetch",
			 x->url, ip, bad);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n, k = len;
	while (k && (p[k - 1] == '\r' || p[k - 1] == '\n'))
		k--;
	if (k >= 5 && !memcmp(p, "HTTP/", 5)) {
		/* a new response (after a 1xx): forget the last one's headers */
		x->head_len = 0;
		x->nhead = 0;
		x->status_text[0] = 0;
		const char *sp = memchr(p, ' ', k);
		sp = sp ? memchr(sp + 1, ' ', k - (size_t)(sp + 1 - p)) : NULL;
		if (sp) {
			size_t t = k - (size_t)(sp + 1 - p);
			if (t >= sizeof(x->status_text))
				t = sizeof(x->status_text) - 1;
			if (serve_header_value_ok((const unsigned char *)sp + 1, t)) {
				memcpy(x->status_text, sp + 1, t);
				x->status_text[t] = 0;
			}
		}
		return len;
	}
	const char *colon = memchr(p, ':', k);
	if (!colon || !serve_header_name_ok((const unsigned char *)p, (size_t)(colon - p)))
		return len; /* a blank line, or no header: skipped */
	const char *v = colon + 1, *e = p + k;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (!serve_header_value_ok((const unsigned char *)v, (size_t)(e - v)))
		return len;
	if (x->nhead >= SERVE_MAX_RESP_HEADERS || x->head_len + k > SERVE_MAX_RESP_HEAD) {
		snprintf(x->why, sizeof(x->why), "the response headers of %s are over the limit",
			 x->url);
		return 0;
	}
	if (serve_frame_field(&x->head, &x->head_len, &x->head_cap, p, (size_t)(colon - p)) ||
	    serve_frame_field(&x->head, &x->head_len, &x->head_cap, v, (size_t)(e - v))) {
		snprintf(x->why, sizeof(x->why), "out of memory");
		return 0;
	}
	x->nhead++;
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	size_t max = x->s->f->max_resp;
	if (len > max - x->resp_len) {
		snprintf(x->why, sizeof(x->why),
			 "the response body of %s is over the limit (%zu bytes)", x->url, max);
		return 0;
	}
	if (serve_frame_grow(&x->resp, &x->resp_cap, x->resp_len + len)) {
		snprintf(x->why, sizeof(x->why), "out of memory");
		return 0;
	}
	memcpy(x->resp + x->resp_len, p, len);
	x->resp_len += len;
	return len;
}

/* Sets x->easy up for the hop to x->url. -1 with x->why. */
static int setup(struct xfer *x)
{
	int64_t left = (x->s->deadline_ns - serve_now_ns()) / 1000000;
	if (left <= 0) {
		snprintf(x->why, sizeof(x->why), "the request's time limit has passed");
		return -1;
	}
	if (!x->easy)
		x->easy = curl_easy_init();
	else
		curl_easy_reset(x->easy);
	curl_slist_free_all(x->slist);
	x->slist = NULL;
	x->head_len = x->resp_len = 0;
	x->nhead = 0;
	x->status_text[0] = 0;
	x->why[0] = x->err[0] = 0;
	CURL *e = x->easy;
	if (!e) {
		snprintf(x->why, sizeof(x->why), "out of memory");
		return -1;
	}
	/* no header of curl's own but Host, Accept and the framing: its
	 * Expect: 100-continue, and the form Content-Type it gives a body
	 * when the request has none (a body of bytes or a stream has none in
	 * the Fetch standard) */
	struct curl_slist *sl = curl_slist_append(NULL, "Expect:");
	int typed = 0;
	for (size_t i = 0; sl && i < x->nhdrs; i++) {
		if (x->drop_auth && !strncasecmp(x->hdrs[i], "authorization:", 14))
			continue;
		if (x->drop_body && !strncasecmp(x->hdrs[i], "content-", 8))
			continue;
		typed |= !strncasecmp(x->hdrs[i], "content-type", 12) &&
			 (x->hdrs[i][12] == ':' || x->hdrs[i][12] == ';');
		struct curl_slist *n = curl_slist_append(sl, x->hdrs[i]);
		if (!n) {
			curl_slist_free_all(sl);
			sl = NULL;
		}
		sl = n;
	}
	if (sl && !typed) {
		struct curl_slist *n = curl_slist_append(sl, "Content-Type:");
		if (!n)
			curl_slist_free_all(sl);
		sl = n;
	}
	if (!sl) {
		snprintf(x->why, sizeof(x->why), "out of memory");
		return -1;
	}
	x->slist = sl;
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROXY, ""); /* none, whatever the environment says */
	curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->s->f->max_resp);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->slist);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->err);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	if (!strcmp(x->method, "HEAD")) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcmp(x->method, "GET")) {
		size_t n = x->drop_body ? 0 : x->body_len;
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, n ? (const char *)x->body : "");
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
	}
	return 0;
}

static void xfer_free(struct serve_fetch *f, struct xfer *x);

/* The result frame of x, or -1 with x->why. */
static int finish(struct serve_fetch *f, struct xfer *x, long status)
{
	size_t inl = x->resp_len <= INLINE_BODY ? x->resp_len : INLINE_BODY;
	size_t st = strlen(x->status_text), ul = strlen(x->url);
	size_t n = 20 + 8 + st + ul + x->head_len + inl;
	unsigned char *out = malloc(n);
	if (!out) {
		snprintf(x->why, sizeof(x->why), "out of memory");
		return -1;
	}
	serve_put_u32(out, (uint32_t)status);
	serve_put_u32(out + 4, 2 + 2 * x->nhead);
	serve_put_u32(out + 8, (uint32_t)x->resp_len);
	serve_put_u32(out + 12, (uint32_t)inl);
	size_t at = 20;
	serve_put_u32(out + at, (uint32_t)st);
	memcpy(out + at + 4, x->status_text, st);
	at += 4 + st;
	serve_put_u32(out + at, (uint32_t)ul);
	memcpy(out + at + 4, x->url, ul);
	at += 4 + ul;
	memcpy(out + at, x->head, x->head_len);
	at += x->head_len;
	if (inl)
		memcpy(out + at, x->resp, inl);
	uint32_t id = 0;
	if (inl < x->resp_len) {
		/* the rest stays here until the guest reads it or the request ends */
		struct held *h = malloc(sizeof(*h));
		pthread_mutex_lock(&f->lock);
		if (h && !__atomic_load_n(&x->s->closed, __ATOMIC_ACQUIRE)) {
			h->id = id = ++x->s->next_id;
			h->buf = x->resp;
			h->len = x->resp_len;
			h->next = x->s->held;
			x->s->held = h;
			x->resp = NULL;
			x->resp_cap = 0;
			h = NULL;
		}
		pthread_mutex_unlock(&f->lock);
		free(h);
		if (!id) {
			free(out);
			snprintf(x->why, sizeof(x->why), "out of memory, or the request is over");
			return -1;
		}
	}
	serve_put_u32(out + 16, id);
	mica_async_complete_bytes(x->call, out, n);
	x->call = NULL;
	free(out);
	return 0;
}

static void fail_call(struct xfer *x, const char *msg)
{
	if (x->call)
		mica_async_fail(x->call, msg);
	x->call = NULL;
}

/* Adds x to the multi handle for its current hop; fails it otherwise. */
static void add(struct serve_fetch *f, struct xfer *x)
{
	if (setup(x) || curl_multi_add_handle(f->multi, x->easy)) {
		char msg[400];
		snprintf(msg, sizeof(msg), "fetch %s: %s", x->url, x->why[0] ? x->why : "failed");
		fail_call(x, msg);
		xfer_free(f, x);
		return;
	}
	x->added = 1;
	x->next = f->active;
	f->active = x;
}

static void unlink_active(struct serve_fetch *f, struct xfer *x)
{
	for (struct xfer **p = &f->active; *p; p = &(*p)->next)
		if (*p == x) {
			*p = x->next;
			break;
		}
	if (x->added)
		curl_multi_remove_handle(f->multi, x->easy);
	x->added = 0;
}

/* A hop ended: complete, fail, or go on with the redirect. */
static void done(struct serve_fetch *f, struct xfer *x, CURLcode res)
{
	char msg[600];
	unlink_active(f, x);
	if (__atomic_load_n(&x->s->closed, __ATOMIC_ACQUIRE)) {
		fail_call(x, "fetch: cancelled, the request is over");
		xfer_free(f, x);
		return;
	}
	long status = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (res != CURLE_OK) {
		const char *why =
		    x->why[0]			      ? x->why
		    : res == CURLE_OPERATION_TIMEDOUT ? "the request's time limit was reached"
		    : res == CURLE_FILESIZE_EXCEEDED  ? "the response body is over the limit"
		    : x->err[0]			      ? x->err
						      : curl_easy_strerror(res);
		snprintf(msg, sizeof(msg), "fetch %s: %s", x->url, why);
		fail_call(x, msg);
		xfer_free(f, x);
		return;
	}
	char *loc = NULL;
	curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &loc);
	int redirect =
	    (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) &&
	    loc && x->mode != 1;
	if (redirect) {
		int exact;
		char why[256];
		if (x->mode == 2)
			snprintf(msg, sizeof(msg),
				 "fetch %s: redirected to %s, and redirect is 'error'", x->url,
				 loc);
		else if (++x->hops > MAX_HOPS)
			snprintf(msg, sizeof(msg), "fetch %s: more than %d redirects", x->url,
				 MAX_HOPS);
		else if (policy(f, loc, &exact, why, sizeof(why)))
			snprintf(msg, sizeof(msg), "fetch: redirect %d from %s to %s refused: %s",
				 x->hops, x->url, loc, why);
		else {
			char *nu = strdup(loc);
			if (nu) {
				if (!exact || !x->exact)
					x->drop_auth = 1;
				if ((status == 303 && strcmp(x->method, "HEAD")) ||
				    ((status == 301 || status == 302) &&
				     !strcmp(x->method, "POST"))) {
					strcpy(x->method, "GET");
					x->drop_body = 1;
				}
				free(x->url);
				x->url = nu;
				x->exact = exact;
				add(f, x);
				return;
			}
			snprintf(msg, sizeof(msg), "fetch: out of memory");
		}
		fail_call(x, msg);
		xfer_free(f, x);
		return;
	}
	if (status < 200 || status > 599) {
		snprintf(msg, sizeof(msg), "fetch %s: the answer has status %ld", x->url, status);
		fail_call(x, msg);
	} else if (finish(f, x, status)) {
		snprintf(msg, sizeof(msg), "fetch %s: %s", x->url, x->why);
		fail_call(x, msg);
	}
	xfer_free(f, x);
}

static void scope_unref_locked(struct serve_fetch_scope *s)
{
	if (--s->refs)
		return;
	for (struct held *h = s->held, *n; h; h = n) {
		n = h->next;
		free(h->buf);
		free(h);
	}
	free(s);
}

static void xfer_free(struct serve_fetch *f, struct xfer *x)
{
	fail_call(x, "fetch: cancelled");
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->slist);
	for (size_t i = 0; i < x->nhdrs; i++)
		free(x->hdrs[i]);
	free(x->hdrs);
	free(x->url);
	free(x->head);
	free(x->resp);
	pthread_mutex_lock(&f->lock);
	scope_unref_locked(x->s);
	pthread_mutex_unlock(&f->lock);
	free(x);
}

static void *engine(void *arg)
{
	struct serve_fetch *f = arg;
	pthread_setname_np(pthread_self(), "mica-fetch");
	for (;;) {
		pthread_mutex_lock(&f->lock);
		int stop = f->stop, cancel = f->cancel;
		struct xfer *fresh = f->pending;
		f->pending = NULL;
		f->cancel = 0;
		pthread_mutex_unlock(&f->lock);
		while (fresh) {
			struct xfer *x = fresh;
			fresh = x->next;
			if (stop || __atomic_load_n(&x->s->closed, __ATOMIC_ACQUIRE))
				xfer_free(f, x);
			else
				add(f, x);
		}
		if (cancel || stop)
			for (struct xfer *x = f->active, *n; x; x = n) {
				n = x->next;
				if (stop || __atomic_load_n(&x->s->closed, __ATOMIC_ACQUIRE)) {
					unlink_active(f, x);
					xfer_free(f, x);
				}
			}
		if (stop)
			break;
		int running, left;
		curl_multi_perform(f->multi, &running);
		CURLMsg *m;
		while ((m = curl_multi_info_read(f->multi, &left)))
			if (m->msg == CURLMSG_DONE) {
				struct xfer *x;
				curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
				done(f, x, m->data.result);
			}
		curl_multi_poll(f->multi, NULL, 0, 1000, NULL);
	}
	return NULL;
}

struct serve_fetch *serve_fetch_new(const char *const *origins, int norigins,
				    unsigned max_subrequests, size_t max_response, char *why,
				    size_t why_len)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(why, why_len, "libcurl cannot start");
		return NULL;
	}
	struct serve_fetch *f = calloc(1, sizeof(*f));
	if (!f || !(f->origins = calloc((size_t)norigins + 1, sizeof(*f->origins)))) {
		free(f);
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	f->max_sub = max_subrequests;
	f->max_resp = max_response;
	for (int i = 0; i < norigins; i++) {
		struct origin *o = &f->origins[f->norigins];
		if (!strcmp(origins[i], "*"))
			f->any = 1;
		else if (!parse_url(origins[i], &o->scheme, &o->host, &o->port, 1))
			f->norigins++;
	}
	f->multi = curl_multi_init();
	int e = f->multi ? pthread_create(&f->thread, NULL, engine, f) : ENOMEM;
	if (e) {
		snprintf(why, why_len, "cannot start the fetch thread: %s", strerror(e));
		serve_fetch_free(f);
		return NULL;
	}
	f->started = 1;
	return f;
}

void serve_fetch_free(struct serve_fetch *f)
{
	if (!f)
		return;
	if (f->started) {
		pthread_mutex_lock(&f->lock);
		f->stop = 1;
		pthread_mutex_unlock(&f->lock);
		curl_multi_wakeup(f->multi);
		pthread_join(f->thread, NULL);
	}
	if (f->multi)
		curl_multi_cleanup(f->multi);
	for (int i = 0; i < f->norigins; i++) {
		free(f->origins[i].scheme);
		free(f->origins[i].host);
	}
	free(f->origins);
	pthread_mutex_destroy(&f->lock);
	free(f);
	curl_global_cleanup();
}

/* ---- scopes and the host functions --------------------------------------- */

struct serve_fetch_scope *serve_fetch_scope_new(struct serve_fetch *f, int64_t deadline_ns)
{
	struct serve_fetch_scope *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->f = f;
	s->refs = 1;
	s->deadline_ns = deadline_ns;
	return s;
}

void serve_fetch_scope_end(struct serve_fetch_scope *s)
{
	if (!s)
		return;
	struct serve_fetch *f = s->f;
	pthread_mutex_lock(&f->lock);
	__atomic_store_n(&s->closed, 1, __ATOMIC_RELEASE);
	for (struct held *h = s->held, *n; h; h = n) {
		n = h->next;
		free(h->buf);
		free(h);
	}
	s->held = NULL;
	int inflight = s->refs > 1;
	f->cancel |= inflight;
	scope_unref_locked(s);
	pthread_mutex_unlock(&f->lock);
	if (inflight)
		curl_multi_wakeup(f->multi);
}

void serve_fetch_start(struct serve_fetch_scope *s, mica_async_call *call)
{
	size_t len;
	const unsigned char *p = (const unsigned char *)mica_async_args(call, &len);
	if (!s) {
		mica_async_fail(call, "fetch() can be called only while a request is served");
		return;
	}
	struct serve_fetch *f = s->f;
	uint32_t mode, nf, blen;
	if (!mica_async_is_bytes(call) || len < 12 || (mode = serve_get_u32(p)) > 2 ||
	    (nf = serve_get_u32(p + 4)) < 2 || nf % 2 || nf > 2 + 2 * SERVE_MAX_RESP_HEADERS) {
		mica_async_fail(call, "serve.fetch: bad frame");
		return;
	}
	blen = serve_get_u32(p + 8);
	struct xfer *x = calloc(1, sizeof(*x));
	const unsigned char *fld[2 * SERVE_MAX_RESP_HEADERS + 2];
	uint32_t fl[2 * SERVE_MAX_RESP_HEADERS + 2];
	size_t at = 12;
	char msg[600];
	for (uint32_t i = 0; i < nf; i++) {
		if (len - at < 4 || len - at - 4 < serve_get_u32(p + at)) {
			free(x);
			mica_async_fail(call, "serve.fetch: truncated frame");
			return;
		}
		fl[i] = serve_get_u32(p + at);
		fld[i] = p + at + 4;
		at += 4 + fl[i];
	}
	if (len - at != blen || !x || fl[0] == 0 || fl[0] >= sizeof(x->method) ||
	    !serve_header_name_ok(fld[0], fl[0]) || memchr(fld[1], 0, fl[1])) {
		free(x);
		mica_async_fail(call, x ? "serve.fetch: bad frame" : "fetch: out of memory");
		return;
	}
	memcpy(x->method, fld[0], fl[0]);
	x->url = strndup((const char *)fld[1], fl[1]);
	x->hdrs = calloc(nf / 2, sizeof(*x->hdrs));
	x->body = p + at;
	x->body_len = blen;
	x->mode = (int)mode;
	x->call = call;
	x->s = s;
	if (!x->url || !x->hdrs) {
		free(x->url);
		free(x->hdrs);
		free(x);
		mica_async_fail(call, "fetch: out of memory");
		return;
	}
	static const char *const hop[] = {"host",
					  "connection",
					  "keep-alive",
					  "transfer-encoding",
					  "te",
					  "trailer",
					  "upgrade",
					  "content-length",
					  "expect",
					  "proxy-connection",
					  "proxy-authorization"};
	const char *refuse = NULL;
	char why[256];
	for (uint32_t i = 2; i < nf && !refuse; i += 2) {
		int skip = 0;
		for (size_t k = 0; k < sizeof(hop) / sizeof(*hop); k++)
			if (fl[i] == strlen(hop[k]) &&
			    !strncasecmp((const char *)fld[i], hop[k], fl[i]))
				skip = 1;
		if (!serve_header_name_ok(fld[i], fl[i]) ||
		    !serve_header_value_ok(fld[i + 1], fl[i + 1]))
			refuse = "a request header is not valid";
		else if (skip)
			continue;
		/* "name;" is how curl sends a header with an empty value */
		char *h = malloc(fl[i] + fl[i + 1] + 3);
		if (!h) {
			refuse = "out of memory";
			break;
		}
		if (fl[i + 1])
			sprintf(h, "%.*s: %.*s", (int)fl[i], fld[i], (int)fl[i + 1], fld[i + 1]);
		else
			sprintf(h, "%.*s;", (int)fl[i], fld[i]);
		x->hdrs[x->nhdrs++] = h;
	}
	if (!refuse && policy(f, x->url, &x->exact, why, sizeof(why)))
		refuse = why;
	if (!refuse && serve_now_ns() >= s->deadline_ns)
		refuse = "the request's time limit has passed";
	pthread_mutex_lock(&f->lock);
	if (!refuse && s->closed)
		refuse = "the request is over";
	if (!refuse && s->count >= f->max_sub) {
		snprintf(why, sizeof(why),
			 "more than %u subrequests in one request (mica serve --max-subrequests)",
			 f->max_sub);
		refuse = why;
	}
	if (!refuse) {
		s->count++;
		s->refs++;
		x->next = f->pending;
		f->pending = x;
	}
	pthread_mutex_unlock(&f->lock);
	if (refuse) {
		snprintf(msg, sizeof(msg), "fetch %s refused: %s", x->url, refuse);
		mica_async_fail(call, msg);
		for (size_t i = 0; i < x->nhdrs; i++)
			free(x->hdrs[i]);
		free(x->hdrs);
		free(x->url);
		free(x);
		return;
	}
	curl_multi_wakeup(f->multi);
}

void serve_fetch_body(struct serve_fetch_scope *s, mica_hostcall *call)
{
	size_t len;
	const char *a = mica_hostcall_args(call, &len);
	char buf[64];
	unsigned id;
	unsigned long long off;
	char end;
	if (!s || mica_hostcall_is_bytes(call) || len >= sizeof(buf)) {
		mica_hostcall_fail(call,
				   "serve.fetchBody: no request, or not fetchBody(id, offset)");
		return;
	}
	memcpy(buf, a, len);
	buf[len] = 0;
	if (sscanf(buf, "[%u,%llu%c", &id, &off, &end) != 3 || end != ']') {
		mica_hostcall_fail(call, "serve.fetchBody: not fetchBody(id, offset)");
		return;
	}
	struct serve_fetch *f = s->f;
	pthread_mutex_lock(&f->lock);
	struct held **p = &s->held;
	while (*p && (*p)->id != id)
		p = &(*p)->next;
	struct held *h = *p;
	if (!h || off > h->len) {
		pthread_mutex_unlock(&f->lock);
		mica_hostcall_fail(call, "serve.fetchBody: no such body, or a bad offset");
		return;
	}
	size_t k = h->len - off < BODY_PART ? h->len - off : BODY_PART;
	mica_hostcall_return_bytes(call, h->buf + off, k);
	if (off + k == h->len) {
		/* read whole: it is the guest's now */
		*p = h->next;
		free(h->buf);
		free(h);
	}
	pthread_mutex_unlock(&f->lock);
}

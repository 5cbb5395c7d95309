/*
 * mica serve: the sandboxes and the worker threads.
 *
 * The module is loaded once, in one sandbox; the guest's fetch.js checks
 * its default export and keeps env (__mica_serve_init); a snapshot is taken
 * then. Each worker thread owns a clone of that snapshot (reset, reuse) or
 * makes one per request (fresh), and runs a request as one
 * mica_sandbox_call_bytes("__mica_serve", frame). The Response comes back
 * through the host function serve.respond while the call is still running,
 * so that it is sent before ctx.waitUntil() work ends; the request body is
 * read through serve.body when the handler asks for more than came inline.
 * Under reuse, GET and HEAD requests queued together run several to a call
 * ("__mica_serve_batch", run_batch; docs/serve.md, Batches).
 */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../cli/entry.h"
#include "../cli/slurp.h"
#include "fetch.h"
#include "log.h"
#include "mica_abi.h"
#include "stream.h"
#include "worker.h"

#define INLINE_BODY (1u << 20) /* body bytes sent with the request frame */
#define BODY_PART   (1u << 20) /* body bytes per serve.body() call */

struct worker {
	struct serve_workers *w;
	pthread_t thread;
	int cpu;	  /* --pin: the CPU it and its sandbox run on; -1: anywhere */
	mica_sandbox *sb; /* set and cleared under w->lock: others interrupt it */
	int started;
};

struct serve_workers {
	const struct serve_config *cfg;
	mica_runtime *rt;
	mica_snapshot *snap;
	struct worker *workers;
	unsigned nworkers;
	struct serve_fetch *fetch; /* outbound fetch(): one libcurl thread */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct serve_request *head, *tail;
	unsigned queued, running; /* requests */
	unsigned active;	  /* workers running a request or a batch */
	int stopping;
	int draining;	      /* stopping, but what is queued runs first */
	int cancelled;	      /* what is queued, or comes back to the queue, gets 503 */
	int interrupted;      /* serve_workers_interrupt: so is every sandbox put in */
	pthread_cond_t sweep; /* CLOCK_MONOTONIC: the sweeper's naps */
	pthread_t sweeper;
	int sweeper_started;
};

/* Requests a reuse worker runs in one call at most (__mica_serve_batch),
 * and how long into the call the guest starts one (fetch.js's
 * BATCH_BUDGET_NS): a batch is for requests that take microseconds. */
#define BATCH_MAX	16
#define BATCH_BUDGET_MS 1
#define BATCH_FRAME_MAX (1u << 20) /* request frames' bytes per batch, at most */

/* A batch a worker thread runs: its requests, and the console output the
 * guest flushed that it has not yet said whose it is (host_owner). */
struct batch {
	struct serve_request *rs[BATCH_MAX];
	unsigned n;
	unsigned settled; /* rs[0..settled) are answered */
	unsigned cur;	  /* rs[cur] is current: it stays in the batch (batch_take) */
	struct worker *k;
	/* what the worker took off the queue (a reference each): NULL once
	 * handed back to it */
	struct serve_request *taken[BATCH_MAX];
	unsigned ntaken;
	unsigned char *log;
	size_t log_len, log_cap;
	int thrown; /* a request threw: under reuse, the sandbox is reset */
};

/* The request a worker thread is running (host functions run on the
 * thread that called into the sandbox), and its batch, if it runs one. */
static __thread struct serve_request *current;
static __thread struct batch *current_batch;

/* ---- requests ------------------------------------------------------------ */

int64_t serve_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct serve_request *serve_request_new(void)
{
	static uint64_t next_id;
	struct serve_request *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->refs = 1;
	r->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	snprintf(r->idstr, sizeof(r->idstr), "%016llx", (unsigned long long)r->id);
	r->t_start_ns = serve_now_ns();
	return r;
}

void serve_request_ref(struct serve_request *r)
{
	__atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);
}

void serve_request_unref(struct serve_request *r)
{
	if (!r || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL))
		return;
	free(r->target);
	free(r->fields);
	if (r->buffered)
		__atomic_sub_fetch(r->buffered, r->body_cap, __ATOMIC_RELAXED);
	free(r->body);
	free(r->resp_head);
	free(r->resp_body);
	free(r->status_text);
	serve_stream_free(r->stream);
	free(r->error_detail);
	free(r);
}

int serve_request_field(struct serve_request *r, const char *s, size_t len)
{
	if (serve_frame_field(&r->fields, &r->fields_len, &r->fields_cap, s, len))
		return -1;
	r->nfields++;
	return 0;
}

static void respond(struct serve_request *r)
{
	if (r->responded)
		return;
	r->responded = 1;
	r->ready(r);
}

void serve_request_fail(struct serve_request *r, int status, const char *reason)
{
	if (r->responded)
		return;
	free(r->resp_body);
	r->resp_body = NULL;
	r->resp_body_len = 0;
	r->resp_nheaders = 0;
	r->status = status;
	r->error = reason;
	r->retry_after = status == 503 ? 1 : 0;
	respond(r);
}

/* ---- host:serve ---------------------------------------------------------- */

/* The one argument of a host call that is an unsigned integer, "[n]": 0,
 * or -1 if it is not. */
static int arg_index(const mica_hostcall *call, unsigned long long *v)
{
	size_t len;
	const char *a = mica_hostcall_args(call, &len);
	char num[32];
	if (mica_hostcall_is_bytes(call) || len < 3 || len - 2 >= sizeof(num) || a[0] != '[' ||
	    a[len - 1] != ']' || a[1] < '0' || a[1] > '9')
		return -1;
	memcpy(num, a + 1, len - 2);
	num[len - 2] = 0;
	char *end;
	errno = 0;
	*v = strtoull(num, &end, 10);
	return *end || errno ? -1 : 0;
}

/* body(offset): the next part of the request body, from offset. */
static void host_body(mica_hostcall *call, void *ud)
{
	(void)ud;
	struct serve_request *r = current;
	unsigned long long off;
	if (!r || arg_index(call, &off)) {
		mica_hostcall_fail(call, "serve.body: no request, or not body(offset)");
		return;
	}
	if (off > r->body_len) {
		mica_hostcall_fail(call, "serve.body: bad offset");
		return;
	}
	size_t k = r->body_len - off < BODY_PART ? r->body_len - off : BODY_PART;
	mica_hostcall_return_bytes(call, r->body + off, k);
}

static void host_results(mica_hostcall *call, void *ud);

/* What b's guest logged and did not name the owner of yet, written as
 * tag's (a request id, or a range of them). */
static void batch_log_flush(struct batch *b, const char *tag)
{
	if (b->log_len)
		serve_log_guest(tag, (const char *)b->log, b->log_len);
	b->log_len = 0;
}

/* owner(i), in a batch: what the guest logged since the last owner() was
 * request i's, and its host calls are from now on (fetch.js's toHost). */
static void host_owner(mica_hostcall *call, void *ud)
{
	(void)ud;
	unsigned long long i;
	struct batch *b = current_batch;
	if (!b || arg_index(call, &i) || i >= b->n) {
		mica_hostcall_fail(call, "serve.owner: no batch, or not owner(index)");
		return;
	}
	current = b->rs[i];
	b->cur = (unsigned)i;
	batch_log_flush(b, current->idstr);
}

/* The parts of a streamed body: each goes to the HTTP loop as it comes; an
 * empty one ends the body. The handler waits here while the client has
 * SERVE_STREAM_MAX bytes to take (back-pressure), up to its deadline. NULL,
 * or what is wrong (the handler's exception). */
static const char *stream_part(const struct serve_config *cfg, struct serve_request *r,
			       const unsigned char *p, size_t len)
{
	if (serve_stream_state(r->stream) != SERVE_STREAM_OPEN)
		return "TypeError: the response body has already ended";
	if (!len) {
		serve_stream_end(r->stream, 1);
		r->ready(r);
		return NULL;
	}
	if (len > cfg->max_response - r->resp_body_len)
		return "RangeError: the response body is over the server's limit";
	r->resp_body_len += len;
	if (serve_stream_push(r->stream, p, len))
		return "TypeError: the client went away";
	r->ready(r);
	switch (serve_stream_wait(r->stream, r->deadline_ns)) {
	case -1: return "TypeError: the client went away";
	case -2: return "Error: time limit exceeded";
	}
	return NULL;
}

/* The head of a response frame: u32 status, u32 header count, u32 body
 * length (0xffffffff: sent as it is made, parts until an empty one), u32
 * statusText length, the statusText, the headers. Checked here for the wire
 * (wire.c sends them as they are). Its length in *at. */
static const char *take_head(const struct serve_config *cfg, struct serve_request *r,
			     const unsigned char *p, size_t len, size_t *at)
{
	if (len < 16 || serve_get_u32(p + 12) > 1024 || len - 16 < serve_get_u32(p + 12))
		return "serve.respond: short frame";
	uint32_t status = serve_get_u32(p), nh = serve_get_u32(p + 4), blen = serve_get_u32(p + 8),
		 tlen = serve_get_u32(p + 12);
	int streamed = blen == UINT32_MAX;
	if (!serve_header_value_ok(p + 16, tlen))
		return "TypeError: statusText holds a control character";
	if (nh > SERVE_MAX_RESP_HEADERS)
		return "RangeError: more than 1000 response headers";
	/* names then values: each a u32 length and its bytes */
	size_t first = 16 + tlen;
	*at = first;
	for (uint32_t i = 0; i < 2 * nh; i++) {
		if (len - *at < 4 || len - *at - 4 < serve_get_u32(p + *at))
			return "serve.respond: truncated headers";
		uint32_t n = serve_get_u32(p + *at);
		if (!(i % 2 ? serve_header_value_ok : serve_header_name_ok)(p + *at + 4, n))
			return i % 2 ? "TypeError: a header value holds a control character"
				     : "TypeError: a header name is not a token";
		*at += 4 + n;
	}
	if (*at - first > SERVE_MAX_RESP_HEAD)
		return "RangeError: the response headers are over 64 KiB";
	if (status < 200 || status > 599)
		return "serve.respond: bad status";
	if (!streamed && blen > cfg->max_response)
		return "RangeError: the response body is over the server's limit";
	r->resp_head = malloc(*at - first + 1);
	r->resp_body = streamed ? NULL : malloc(blen ? blen : 1);
	r->status_text = tlen ? strndup((const char *)p + 16, tlen) : NULL;
	r->stream = streamed ? serve_stream_new() : NULL;
	if (!r->resp_head || (!streamed && !r->resp_body) || (tlen && !r->status_text) ||
	    (streamed && !r->stream)) {
		free(r->resp_head);
		free(r->resp_body);
		free(r->status_text);
		serve_stream_free(r->stream);
		r->resp_head = r->resp_body = NULL;
		r->status_text = NULL;
		r->stream = NULL;
		return "serve.respond: out of memory";
	}
	memcpy(r->resp_head, p + first, *at - first);
	r->resp_head_len = *at - first;
	r->resp_nheaders = nh;
	r->resp_body_want = streamed ? 0 : blen;
	r->status = (int)status;
	r->head_done = 1;
	return NULL;
}

/* A frame of the response: its head and first part of the body, or a part
 * of the body after them (see take_head). NULL, or what is wrong. */
static const char *take_frame(const struct serve_config *cfg, struct serve_request *r,
			      const unsigned char *p, size_t len)
{
	if (r->stream)
		return stream_part(cfg, r, p, len);
	if (r->responded)
		return "serve.respond: the response has already been sent";
	if (!r->head_done) {
		size_t at;
		const char *bad = take_head(cfg, r, p, len, &at);
		if (bad)
			return bad;
		if (r->stream) {
			respond(r); /* the head goes out now */
			return NULL;
		}
		p += at;
		len -= at;
	}
	if (len > r->resp_body_want - r->resp_body_len)
		return "serve.respond: more body than announced";
	memcpy(r->resp_body + r->resp_body_len, p, len);
	r->resp_body_len += len;
	if (r->resp_body_len == r->resp_body_want)
		respond(r);
	return NULL;
}

/* respond(frame) once, then respond(part) until the body is all there. */
static void host_respond(mica_hostcall *call, void *ud)
{
	struct serve_request *r = current;
	size_t len;
	const unsigned char *p = (const unsigned char *)mica_hostcall_args(call, &len);
	if (!r || !mica_hostcall_is_bytes(call)) {
		mica_hostcall_fail(call, "serve.respond: no request, or not bytes");
		return;
	}
	/* in a batch, what was logged since owner() is r's, and goes first */
	if (current_batch)
		batch_log_flush(current_batch, r->idstr);
	const char *bad = take_frame(ud, r, p, len);
	if (bad)
		mica_hostcall_fail(call, bad);
}

/* fetch(frame): an outbound request (server/fetch.c), async. */
static void host_fetch(mica_async_call *call, void *ud)
{
	const struct serve_config *cfg = ud;
	struct serve_request *r = current;
	if (r)
		serve_metrics_count(cfg->metrics, SERVE_M_SUBREQUEST);
	serve_fetch_start(r ? r->fetch : NULL, call);
}

/* fetchBody([id, offset]): the rest of a large fetch() response. */
static void host_fetch_body(mica_hostcall *call, void *ud)
{
	(void)ud;
	serve_fetch_body(current ? current->fetch : NULL, call);
}

/* ---- loading ------------------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = mica_cli_slurp(f, MICA_IN_SIZE, len); /* a request's most */
	int e = errno;
	fclose(f);
	errno = e;
	return buf;
}

static void on_console_start(void *ud, int stream, const char *data, size_t len)
{
	(void)ud, (void)stream;
	serve_log_guest("load", data, len);
}

/* The first line of a guest message, for an exit reason. */
static void first_line(char *why, size_t why_len, const char *prefix, const char *msg)
{
	snprintf(why, why_len, "%s%.*s", prefix, (int)strcspn(msg, "\n"), msg);
}

/* The module's name: the name its bytecode was compiled under, its path in
 * --modules, or its path (dynamic import() finds it by that name, and a
 * name starting with '.' would be resolved as a relative one). */
static char *module_name(const struct serve_config *cfg, const char *src, size_t len, int bytecode,
			 char *why, size_t why_len)
{
	if (bytecode) {
		uint32_t n = len >= 64 ? serve_get_u32((const unsigned char *)src + 48) : 0;
		if (len < 64 || n == 0 || n > len - 64) {
			snprintf(why, why_len, "%s: not a bytecode file mica can read", cfg->file);
			return NULL;
		}
		if (src[64] == '.') {
			snprintf(why, why_len,
				 "%s was compiled as '%.*s': serve needs a name that does not "
				 "start with "
				 "'.' (compile it as %.*s, or with --modules)",
				 cfg->file, (int)n, src + 64, (int)n, src + 64);
			return NULL;
		}
		return strndup(src + 64, n);
	}
	if (cfg->modules) {
		char *name = mica_cli_entry_name(cfg->modules, cfg->file);
		if (name && name[0] != '.')
			return name;
		if (name)
			snprintf(why, why_len,
				 "'%s' is named '%s' inside the module root '%s': serve needs a "
				 "name that does not start with '.'",
				 cfg->file, name, cfg->modules);
		else
			snprintf(why, why_len, "'%s' is not inside the module root '%s'", cfg->file,
				 cfg->modules);
		free(name);
		return NULL;
	}
	const char *n = cfg->file;
	while (n[0] == '.' && n[1] == '/')
		n += 2;
	if (n[0] == '.') {
		const char *slash = strrchr(n, '/');
		n = slash ? slash + 1 : n;
	}
	return strdup(n[0] == '.' || !n[0] ? "worker.js" : n);
}

static mica_limits limits_of(const struct serve_config *cfg)
{
	mica_limits lim;
	mica_limits_default(&lim);
	lim.memory_bytes = cfg->memory_mb << 20;
	lim.timeout_ms = cfg->timeout_ms;
	lim.unhandled_rejections = cfg->rejections;
	return lim;
}

/* The frame of __mica_serve_init: count, then the module name and the env
 * keys and values, each as u32 length + UTF-8. */
static unsigned char *init_frame(const struct serve_config *cfg, const char *name, size_t *len)
{
	unsigned char *f = NULL;
	size_t cap = 0;
	*len = 4;
	int bad =
	    serve_frame_grow(&f, &cap, 4) || serve_frame_field(&f, len, &cap, name, strlen(name));
	for (size_t i = 0; !bad && i < cfg->env.n; i++)
		bad =
		    serve_frame_field(&f, len, &cap, cfg->env.keys[i], strlen(cfg->env.keys[i])) ||
		    serve_frame_field(&f, len, &cap, cfg->env.values[i], cfg->env.value_lens[i]);
	if (bad) {
		free(f);
		return NULL;
	}
	serve_put_u32(f, (uint32_t)(1 + 2 * cfg->env.n));
	return f;
}

static int later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* A file under dir changed after snap was made (by mtime; snap itself
 * excluded, when it is there): its path, to free; else NULL. Any file: an
 * import may name any; a symbolic link by its own time (ln -sf makes a new
 * one), what it names by the walk. */
static char *changed_under(const char *dir, const struct stat *snap)
{
	char *paths[] = {(char *)dir, NULL};
	FTS *f = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	if (!f)
		return strdup(dir);
	char *which = NULL;
	FTSENT *e;
	while (!which && (e = fts_read(f)))
		if ((e->fts_info == FTS_F || e->fts_info == FTS_SL || e->fts_info == FTS_SLNONE) &&
		    later(&e->fts_statp->st_mtim, &snap->st_mtim) &&
		    (e->fts_statp->st_ino != snap->st_ino || e->fts_statp->st_dev != snap->st_dev))
			which = strdup(e->fts_path);
	fts_close(f);
	return which;
}

/* 1 if SNAP no longer holds what FILE.js and its imports under --modules
 * would make, with the reason on stderr (or FILE.js is gone: loading it
 * says why). */
static int cache_stale(const struct serve_config *cfg, const struct stat *snap)
{
	struct stat file;
	if (stat(cfg->file, &file))
		return 1;
	char *which = NULL;
	if (later(&file.st_mtim, &snap->st_mtim))
		which = strdup(cfg->file);
	else if (cfg->modules)
		which = changed_under(cfg->modules, snap);
	if (which)
		fprintf(stderr, "mica serve: --snapshot %s is older than %s: making it again\n",
			cfg->snapshot, which);
	int stale = which != NULL;
	free(which);
	return stale;
}

/* --snapshot SNAP, a start-up cache: FILE.js evaluated (before env is
 * given, which is applied at every start). A sandbox from it while it is
 * newer than FILE.js and everything under --modules, loads and has
 * --memory; else NULL, and FILE.js is evaluated. */
static mica_sandbox *from_cache(struct serve_workers *w, mica_error *err)
{
	const struct serve_config *cfg = w->cfg;
	struct stat snap;
	if (stat(cfg->snapshot, &snap) || cache_stale(cfg, &snap))
		return NULL;
	mica_snapshot *from = mica_snapshot_load(w->rt, cfg->snapshot, err);
	mica_limits lim;
	if (from) {
		mica_snapshot_limits(from, &lim);
		if (lim.memory_bytes != cfg->memory_mb << 20) {
			fprintf(stderr,
				"mica serve: --snapshot %s has %zu MiB of guest memory, not "
				"--memory %zu: making it again\n",
				cfg->snapshot, lim.memory_bytes >> 20, cfg->memory_mb);
			mica_snapshot_free(from);
			return NULL;
		}
	}
	mica_sandbox *sb = from ? mica_sandbox_from_snapshot(w->rt, from, err) : NULL;
	mica_snapshot_free(from);
	if (!sb) {
		fprintf(stderr, "mica serve: --snapshot %s: %s: making it again\n", cfg->snapshot,
			err->message);
		return NULL;
	}
	/* the limits are the snapshot's, but these are per start */
	mica_sandbox_set_timeout(sb, cfg->timeout_ms);
	mica_sandbox_set_unhandled_rejections(sb, cfg->rejections);
	fprintf(stderr, "mica serve: %s from --snapshot %s\n", cfg->file, cfg->snapshot);
	return sb;
}

/* Writes SNAP, whole or not at all (a file beside it, renamed). A failure
 * is reported and the server goes on: it is only a cache. */
static void to_cache(const struct serve_config *cfg, mica_sandbox *sb)
{
	mica_error err;
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", cfg->snapshot, (int)getpid());
	const char *failed = NULL;
	mica_snapshot *snap = mica_snapshot_take(sb, &err);
	if (!snap || mica_snapshot_save(snap, tmp, &err))
		failed = err.message;
	else if (rename(tmp, cfg->snapshot))
		failed = strerror(errno);
	if (failed) {
		fprintf(stderr, "mica serve: --snapshot %s not written: %s\n", cfg->snapshot,
			failed);
		unlink(tmp);
	}
	mica_snapshot_free(snap);
}

static int load(struct serve_workers *w, int *code, char *why, size_t why_len)
{
	const struct serve_config *cfg = w->cfg;
	size_t len;
	char *src = read_all(cfg->file, &len);
	if (!src) {
		snprintf(why, why_len, "cannot read '%s': %s", cfg->file,
			 errno == EFBIG ? "larger than 3 MiB, the largest request"
					: strerror(errno));
		*code = MICA_ERR_INVALID;
		return -1;
	}
	int bytecode = len >= 8 && !memcmp(src, "MICABC\0\0", 8);
	char *name = module_name(cfg, src, len, bytecode, why, why_len);
	int modules_fd = -1;
	mica_sandbox *sb = NULL;
	mica_error err = {0};
	int rc = -1;
	*code = MICA_ERR_INVALID;
	if (!name)
		goto out;
	if (bytecode && mica_bytecode_check(w->rt, src, len, &err)) {
		snprintf(why, why_len, "%s: %s", cfg->file, err.message);
		goto out;
	}
	if (cfg->modules) {
		modules_fd = open(cfg->modules, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (modules_fd < 0) {
			snprintf(why, why_len, "cannot use '%s' as the module root: %s",
				 cfg->modules, strerror(errno));
			goto out;
		}
	}
	mica_limits lim = limits_of(cfg);
	int cached = 0;
	sb = cfg->snapshot ? from_cache(w, &err) : NULL;
	if (sb)
		cached = 1;
	else
		sb = mica_sandbox_new(w->rt, &lim, &err);
	if (!sb) {
		*code = err.code;
		first_line(why, why_len, "", err.message);
		goto out;
	}
	mica_sandbox_set_console(sb, on_console_start, NULL);
	if (modules_fd >= 0 && mica_sandbox_set_modules_fd(sb, modules_fd, &err)) {
		first_line(why, why_len, "", err.message);
		goto out;
	}
	/* fetch.js (and web.js, which it uses) first, before user code can
	 * change the built-ins they capture */
	char *res = NULL;
	size_t res_len;
	static const char preload[] = "void Response";
	if (mica_sandbox_eval(sb, "<mica serve>", preload, sizeof(preload) - 1, &res, &res_len,
			      &err)) {
		*code = err.code;
		first_line(why, why_len, "the runtime's fetch.js: ", err.message);
		goto out;
	}
	free(res);
	int lrc = cached     ? 0
		  : bytecode ? mica_sandbox_load_bytecode(sb, src, len, &err)
			     : mica_sandbox_load(sb, name, src, len, &err);
	if (lrc) {
		*code = err.code;
		snprintf(why, why_len, "%s: %s%s", cfg->file,
			 err.code == MICA_ERR_JS ? "Uncaught " : "", err.message);
		goto out;
	}
	if (cfg->snapshot && !cached)
		to_cache(cfg, sb);
	size_t flen;
	unsigned char *frame = init_frame(cfg, name, &flen);
	void *out = NULL;
	size_t out_len;
	lrc = frame ? mica_sandbox_call_bytes(sb, "__mica_serve_init", frame, flen, &out, &out_len,
					      NULL, &err)
		    : MICA_ERR_SYSTEM;
	free(frame);
	free(out);
	if (lrc) {
		/* the module is refused: no default export with fetch */
		*code = lrc == MICA_ERR_JS ? MICA_ERR_INVALID : lrc;
		first_line(why, why_len, "refused: ", err.message);
		goto out;
	}
	mica_sandbox_set_console(sb, NULL, NULL);
	w->snap = mica_snapshot_take(sb, &err);
	if (!w->snap) {
		*code = err.code;
		first_line(why, why_len, "snapshot: ", err.message);
		goto out;
	}
	rc = 0;
	*code = 0;
out:
	mica_sandbox_free(sb);
	if (modules_fd >= 0)
		close(modules_fd);
	free(name);
	free(src);
	return rc;
}

struct serve_workers *serve_workers_prepare(const struct serve_config *cfg, int *code, char *why,
					    size_t why_len)
{
	struct serve_workers *w = calloc(1, sizeof(*w));
	if (!w) {
		*code = MICA_ERR_SYSTEM;
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	w->cfg = cfg;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->sweep, &ca);
	pthread_condattr_destroy(&ca);
	mica_runtime_options ro = {.kvm_path = getenv("MICA_KVM_DEVICE"), .backend = cfg->backend};
	mica_error err = {0};
	w->rt = mica_runtime_new(&ro, &err);
	if (!w->rt) {
		*code = err.code;
		first_line(why, why_len, "", err.message);
		serve_workers_stop(w);
		return NULL;
	}
	if (mica_runtime_register(w->rt, "serve", "body", host_body, NULL) ||
	    mica_runtime_register(w->rt, "serve", "owner", host_owner, NULL) ||
	    mica_runtime_register(w->rt, "serve", "results", host_results, NULL) ||
	    mica_runtime_register(w->rt, "serve", "respond", host_respond, (void *)cfg) ||
	    mica_runtime_register(w->rt, "serve", "fetchBody", host_fetch_body, NULL) ||
	    mica_runtime_register_async(w->rt, "serve", "fetch", host_fetch, (void *)cfg)) {
		*code = MICA_ERR_SYSTEM;
		snprintf(why, why_len, "cannot register host:serve");
		serve_workers_stop(w);
		return NULL;
	}
	w->fetch = serve_fetch_new(cfg->allow_fetch, cfg->nallow_fetch, cfg->max_subrequests,
				   cfg->max_response, why, why_len);
	if (!w->fetch) {
		*code = MICA_ERR_SYSTEM;
		serve_workers_stop(w);
		return NULL;
	}
	if (load(w, code, why, why_len)) {
		serve_workers_stop(w);
		return NULL;
	}
	return w;
}

const char *serve_workers_backend(const struct serve_workers *w)
{
	return mica_backend_name(mica_runtime_backend(w->rt));
}

/* ---- running requests ---------------------------------------------------- */

static void on_console(void *ud, int stream, const char *data, size_t len)
{
	const struct serve_request *r = ud;
	(void)stream;
	serve_log_guest(r->idstr, data, len);
}

/* A batch's output waits until the guest says whose it is (host_owner). */
static void on_console_batch(void *ud, int stream, const char *data, size_t len)
{
	struct batch *b = ud;
	(void)stream;
	if (serve_frame_grow(&b->log, &b->log_cap, b->log_len + len)) {
		serve_log_guest(current->idstr, data, len);
		return;
	}
	memcpy(b->log + b->log_len, data, len);
	b->log_len += len;
}

/* The event of __mica_serve: body length, inline length, field count, the
 * fields, the inline body. Its length, then the frame written at f. */
static size_t request_frame_len(const struct serve_request *r)
{
	return 12 + r->fields_len + (r->body_len <= INLINE_BODY ? r->body_len : 0);
}

static void request_frame_put(const struct serve_request *r, unsigned char *f)
{
	size_t inl = r->body_len <= INLINE_BODY ? r->body_len : 0;
	serve_put_u32(f, (uint32_t)r->body_len);
	serve_put_u32(f + 4, (uint32_t)inl);
	serve_put_u32(f + 8, r->nfields);
	memcpy(f + 12, r->fields, r->fields_len);
	if (inl)
		memcpy(f + 12 + r->fields_len, r->body, inl);
}

/* k's sandbox becomes sb (NULL: none; one put in after
 * serve_workers_interrupt is interrupted too); returns the one it was.
 * k->sb is set only here, under the lock, so that an interrupt never
 * reaches a sandbox being made, reset or freed. */
static mica_sandbox *sandbox_swap(struct worker *k, mica_sandbox *sb)
{
	pthread_mutex_lock(&k->w->lock);
	mica_sandbox *old = k->sb;
	k->sb = sb;
	if (sb && k->w->interrupted)
		mica_sandbox_interrupt(sb);
	pthread_mutex_unlock(&k->w->lock);
	return old;
}

/* The sandbox for the next request, per the isolation mode. */
static mica_sandbox *sandbox_for(struct worker *k, mica_error *err)
{
	if (!k->sb)
		sandbox_swap(k, mica_sandbox_from_snapshot(k->w->rt, k->w->snap, err));
	return k->sb;
}

/* After a call: what the isolation mode keeps of its sandbox. A sandbox
 * that failed is reset in every mode: reuse too, since it may be dead, or
 * its built-ins changed so that the dispatcher fails for every request
 * after (Array.prototype.push = null, then a throw). */
static void after(struct worker *k, int rc)
{
	enum serve_isolation iso = k->w->cfg->isolation;
	if (!k->sb)
		return;
	if (iso == SERVE_FRESH) {
		mica_sandbox_free(sandbox_swap(k, NULL));
		return;
	}
	if (iso == SERVE_REUSE && rc == MICA_OK)
		return;
	mica_error err = {0};
	mica_sandbox *sb = sandbox_swap(k, NULL); /* out of reach while it is reset */
	serve_metrics_count(k->w->cfg->metrics, SERVE_M_RESET);
	if (mica_sandbox_reset(sb, &err)) {
		fprintf(stderr, "mica serve: a sandbox reset failed (%s): making a new one\n",
			err.message);
		mica_sandbox_free(sb);
		return;
	}
	sandbox_swap(k, sb);
}

/* 1 if r has waited past --queue-timeout (limit ns) at now. One to run
 * again after its batch failed had a sandbox in time: it does not expire. */
static int overdue(const struct serve_request *r, int64_t now, int64_t limit)
{
	return !r->solo && now - r->t_queued_ns > limit;
}

/* 1 (and r answered 503) if r waited past --queue-timeout. */
static int expired(const struct serve_config *cfg, struct serve_request *r)
{
	if (!overdue(r, serve_now_ns(), (int64_t)cfg->queue_ms * 1000000))
		return 0;
	serve_request_fail(r, 503, "no sandbox was free in time");
	return 1;
}

/* Before r runs, in a call of timeout_ms: its deadline, and the scope of
 * its fetch() calls. */
static void begin(struct worker *k, struct serve_request *r, uint32_t timeout_ms)
{
	r->deadline_ns = serve_now_ns() + (int64_t)timeout_ms * 1000000;
	r->fetch = serve_fetch_scope_new(k->w->fetch, r->deadline_ns);
}

/* After r ran: answers it from what it left, the call's rc and message msg,
 * or out (a response frame it returned). Logs and counts what failed.
 * Returns the rc its sandbox is judged by (a client gone mid-body is not
 * the sandbox's failure). */
static int settle(struct worker *k, struct serve_request *r, int rc, const char *msg,
		  const unsigned char *out, size_t out_len)
{
	const struct serve_config *cfg = k->w->cfg;
	serve_fetch_scope_end(r->fetch);
	r->fetch = NULL;
	/* a whole response in one frame, with no waitUntil work after it,
	 * comes back as the call's result: a host call fewer */
	const char *bad =
	    rc == MICA_OK && out_len && !r->responded ? take_frame(cfg, r, out, out_len) : NULL;
	if (!bad && rc == MICA_OK && out_len && !r->responded)
		bad = "serve.respond: an incomplete response";
	if (bad) {
		fprintf(stderr, "mica serve: [%s] the handler's response: %s\n", r->idstr, bad);
		serve_request_fail(r, 500, "uncaught exception");
		serve_metrics_count(cfg->metrics, SERVE_M_EXCEPTION);
	}
	int sent = r->responded;
	if (r->stream && serve_stream_state(r->stream) == SERVE_STREAM_OPEN) {
		/* the handler stopped before its body's end: the client sees the
		 * body cut short (no last chunk), never a complete one */
		serve_stream_end(r->stream, 0);
		r->ready(r);
		if (rc == MICA_ERR_JS && serve_stream_gone(r->stream)) {
			/* its respond() threw because the client went away */
			fprintf(stderr, "mica serve: [%s] the client went away during the body\n",
				r->idstr);
			rc = MICA_OK;
		} else
			fprintf(stderr, "mica serve: [%s] the response body was cut short\n",
				r->idstr);
	}
	if (rc != MICA_OK) {
		const char *when = sent ? " (after the response)" : "";
		switch (rc) {
		case MICA_ERR_JS:
			fprintf(stderr, "mica serve: [%s] uncaught exception%s:\n", r->idstr, when);
			serve_log_guest(r->idstr, msg, strlen(msg));
			if (cfg->dev && !sent)
				r->error_detail = strdup(msg);
			serve_request_fail(r, 500, "uncaught exception");
			serve_metrics_count(cfg->metrics, SERVE_M_EXCEPTION);
			break;
		case MICA_ERR_TIMEOUT:
			fprintf(stderr, "mica serve: [%s] time limit exceeded (%u ms)%s\n",
				r->idstr, cfg->timeout_ms, when);
			serve_request_fail(r, 504, "time limit exceeded");
			serve_metrics_count(cfg->metrics, SERVE_M_TIMEOUT);
			break;
		case MICA_ERR_MEMORY:
			fprintf(stderr, "mica serve: [%s] memory limit exceeded (%zu MiB)%s\n",
				r->idstr, cfg->memory_mb, when);
			serve_request_fail(r, 503, "memory limit exceeded");
			serve_metrics_count(cfg->metrics, SERVE_M_MEMORY);
			break;
		case MICA_ERR_INTERRUPTED: /* serve_workers_interrupt: a stop's grace is over */
			fprintf(stderr, "mica serve: [%s] stopped: the grace period is over%s\n",
				r->idstr, when);
			serve_request_fail(r, 503, "the server is stopping");
			break;
		default:
			fprintf(stderr, "mica serve: [%s] %s%s:\n", r->idstr, mica_code_name(rc),
				when);
			serve_log_guest(r->idstr, msg, strlen(msg));
			serve_request_fail(r, 500,
					   rc == MICA_ERR_FAULT ? "the sandbox faulted"
								: "internal error");
			if (rc == MICA_ERR_FAULT)
				serve_metrics_count(cfg->metrics, SERVE_M_FAULT);
		}
	} else if (!sent) {
		fprintf(stderr, "mica serve: [%s] the handler finished without a Response\n",
			r->idstr);
		serve_request_fail(r, 500, "no response");
	}
	return rc;
}

/* Runs r alone in a call of its own (__mica_serve). */
static void run(struct worker *k, struct serve_request *r)
{
	const struct serve_config *cfg = k->w->cfg;
	mica_error err = {0};
	mica_sandbox *sb = sandbox_for(k, &err);
	if (!sb) {
		fprintf(stderr, "mica serve: [%s] no sandbox: %s\n", r->idstr, err.message);
		serve_request_fail(r, 503, "no sandbox could be made");
		return;
	}
	size_t len = request_frame_len(r);
	unsigned char *frame = malloc(len);
	if (!frame) {
		serve_request_fail(r, 500, "out of memory");
		return;
	}
	request_frame_put(r, frame);
	mica_sandbox_set_console(sb, on_console, r);
	mica_sandbox_set_timeout(sb, cfg->timeout_ms);
	/* subrequests and a streamed body share the request's deadline, and
	 * end with its call */
	begin(k, r, cfg->timeout_ms);
	current = r;
	void *out = NULL;
	size_t out_len = 0;
	int bytes = 0;
	serve_metrics_busy(cfg->metrics, 1);
	int rc =
	    mica_sandbox_call_bytes(sb, "__mica_serve", frame, len, &out, &out_len, &bytes, &err);
	serve_metrics_busy(cfg->metrics, -1);
	current = NULL;
	free(frame);
	mica_sandbox_set_console(sb, NULL, NULL);
	rc = settle(k, r, rc, err.message, out, bytes ? out_len : 0);
	free(out);
	after(k, rc);
}

/* Sends rs[from..n) of b back to the head of the queue, in order, for
 * whichever worker is free first (not started, or to run again alone); 503
 * if the server is stopping. */
static void batch_release(struct batch *b, unsigned from)
{
	struct serve_workers *w = b->k->w;
	unsigned n = b->n - from;
	if (!n)
		return;
	for (unsigned i = from; i < b->n; i++) {
		serve_fetch_scope_end(b->rs[i]->fetch);
		b->rs[i]->fetch = NULL;
		for (unsigned j = 0; j < b->ntaken; j++)
			if (b->taken[j] == b->rs[i])
				b->taken[j] = NULL; /* its reference goes with it */
	}
	pthread_mutex_lock(&w->lock);
	w->running -= n;
	if ((w->stopping && !w->draining) || w->cancelled) {
		pthread_mutex_unlock(&w->lock);
		for (unsigned i = from; i < b->n; i++) {
			serve_request_fail(b->rs[i], 503, "the server is stopping");
			serve_request_unref(b->rs[i]);
		}
	} else {
		for (unsigned i = b->n; i-- > from;) {
			b->rs[i]->next = w->head;
			w->head = b->rs[i];
			if (!w->tail)
				w->tail = b->rs[i];
		}
		w->queued += n;
		for (unsigned i = 0; i < n; i++)
			pthread_cond_signal(&w->cond);
		pthread_cond_signal(&w->sweep); /* its head may be older now */
		pthread_mutex_unlock(&w->lock);
	}
	b->n = from;
}

/* Answers b's requests from a batch result (serveBatch in fetch.js): u32
 * first, u32 n, u32 end, then n times u32 kind, u32 length and its bytes.
 * first must be the first request not answered yet; the guest starts none
 * from end on, and those go back to the queue. The whole result is checked
 * before any request is answered. last: it is the call's own result, whose
 * last request owns what was logged since the last owner(); that goes out
 * before the responses (a client that has its answer finds its lines). 0,
 * or -1 if it is no such result. */
static int batch_take(struct batch *b, const unsigned char *p, size_t len, int last)
{
	if (len < 12 || serve_get_u32(p) != b->settled ||
	    serve_get_u32(p + 4) > b->n - b->settled ||
	    serve_get_u32(p + 8) < b->settled + serve_get_u32(p + 4) ||
	    serve_get_u32(p + 8) > b->n || serve_get_u32(p + 8) <= b->cur)
		return -1; /* rs[cur] may not go: host calls still reach it */
	unsigned n = serve_get_u32(p + 4), end = serve_get_u32(p + 8);
	size_t at = 12;
	for (unsigned i = 0; i < n; i++) {
		if (len - at < 8 || serve_get_u32(p + at) > 2 ||
		    len - at - 8 < serve_get_u32(p + at + 4))
			return -1;
		at += 8 + serve_get_u32(p + at + 4);
	}
	if (at != len)
		return -1;
	if (last && end && end == b->settled + n) /* else malformed: run_batch says so */
		batch_log_flush(b, b->rs[end - 1]->idstr);
	at = 12;
	for (unsigned i = 0; i < n; i++) {
		uint32_t kind = serve_get_u32(p + at), plen = serve_get_u32(p + at + 4);
		const unsigned char *part = p + at + 8;
		char *msg = kind == 2 ? strndup((const char *)part, plen) : NULL;
		serve_metrics_count(b->k->w->cfg->metrics, SERVE_M_BATCHED);
		b->thrown |= kind == 2;
		settle(b->k, b->rs[b->settled++], kind == 2 ? MICA_ERR_JS : MICA_OK,
		       msg ? msg : "(out of memory)", part, kind == 1 ? plen : 0);
		free(msg);
		at += 8 + plen;
	}
	batch_release(b, end);
	return 0;
}

/* results(frame), in a batch: requests that have ended, answered now rather
 * than when the call returns (the guest is about to wait). */
static void host_results(mica_hostcall *call, void *ud)
{
	(void)ud;
	size_t len;
	const unsigned char *p = (const unsigned char *)mica_hostcall_args(call, &len);
	if (!current_batch || !mica_hostcall_is_bytes(call) ||
	    batch_take(current_batch, p, len, 0) < 0)
		mica_hostcall_fail(call, "serve.results: no batch, or not a batch result");
}

/* Answers every request of b with status (the batch could not be run). */
static void batch_fail(struct batch *b, int status, const char *reason)
{
	for (unsigned i = 0; i < b->n; i++)
		serve_request_fail(b->rs[i], status, reason);
	b->n = 0;
}

/* Runs b's requests, GET or HEAD without a body, in one call
 * (__mica_serve_batch) of the worker's reused sandbox. Back to the head of
 * the queue go the ones the guest did not start (past its time budget, or
 * once one of them waits), and, when the call failed (a time or memory
 * limit, a fault: which request caused it is not known), those with no
 * response yet, marked to run alone; the one at fault fails then. */
static void run_batch(struct worker *k, struct batch *b)
{
	const struct serve_config *cfg = k->w->cfg;
	/* a request may start up to BATCH_BUDGET_MS into the call, and keeps
	 * its whole time limit */
	uint32_t timeout_ms = cfg->timeout_ms + BATCH_BUDGET_MS;
	mica_error err = {0};
	mica_sandbox *sb = sandbox_for(k, &err);
	if (!sb) {
		for (unsigned i = 0; i < b->n; i++)
			fprintf(stderr, "mica serve: [%s] no sandbox: %s\n", b->rs[i]->idstr,
				err.message);
		batch_fail(b, 503, "no sandbox could be made");
		return;
	}
	size_t len = 4;
	for (unsigned i = 0; i < b->n; i++)
		len += 4 + request_frame_len(b->rs[i]);
	unsigned char *frame = malloc(len);
	if (!frame) {
		batch_fail(b, 500, "out of memory");
		return;
	}
	serve_put_u32(frame, b->n);
	size_t at = 4;
	for (unsigned i = 0; i < b->n; i++) {
		size_t n = request_frame_len(b->rs[i]);
		serve_put_u32(frame + at, (uint32_t)n);
		request_frame_put(b->rs[i], frame + at + 4);
		at += 4 + n;
	}
	mica_sandbox_set_console(sb, on_console_batch, b);
	mica_sandbox_set_timeout(sb, timeout_ms);
	for (unsigned i = 0; i < b->n; i++)
		begin(k, b->rs[i], timeout_ms);
	b->settled = b->cur = 0;
	b->log_len = 0;
	b->thrown = 0;
	current_batch = b;
	current = b->rs[0];
	void *out = NULL;
	size_t out_len = 0;
	int bytes = 0;
	serve_metrics_busy(cfg->metrics, 1);
	int rc = mica_sandbox_call_bytes(sb, "__mica_serve_batch", frame, len, &out, &out_len,
					 &bytes, &err);
	serve_metrics_busy(cfg->metrics, -1);
	current_batch = NULL;
	current = NULL;
	free(frame);
	mica_sandbox_set_console(sb, NULL, NULL);
	int ok =
	    rc == MICA_OK && bytes && batch_take(b, out, out_len, 1) == 0 && b->settled == b->n;
	free(out);
	unsigned first = b->settled, left = 0;
	if (ok) {
		if (b->thrown)
			after(k, MICA_ERR_JS);
		return;
	}
	/* the requests not answered; at least the last one (b->n >= 1) */
	const char *from = b->rs[first < b->n ? first : b->n - 1]->idstr;
	int malformed = rc == MICA_OK;
	if (malformed) {
		fprintf(stderr, "mica serve: [%s] a batch's result is malformed\n", from);
		rc = MICA_ERR_FAULT; /* the sandbox is reset */
	} else
		fprintf(stderr,
			"mica serve: [%s] a batch of %u requests failed (%s): those without a "
			"response run again, one at a time\n",
			from, b->n - first, mica_code_name(rc));
	if (b->log_len) {
		/* whose it was is not known: one of these */
		char tag[2 * sizeof(b->rs[0]->idstr) + 2];
		snprintf(tag, sizeof(tag), "%s..%s", from, b->rs[b->n - 1]->idstr);
		batch_log_flush(b, tag);
	}
	/* The request at fault: the one part-way through its response, or the
	 * only one not answered (the guest ran it last; but a malformed result
	 * is no request's). The others that have a response are done; those
	 * without run again, alone. */
	int alone = !malformed && b->n - first == 1;
	for (unsigned i = first; i < b->n; i++) {
		struct serve_request *r = b->rs[i];
		int partway = (r->head_done && !r->responded) ||
			      (r->stream && serve_stream_state(r->stream) == SERVE_STREAM_OPEN);
		if (partway || alone || r->responded) {
			settle(k, r, partway || alone ? rc : MICA_OK, err.message, NULL, 0);
			continue;
		}
		r->solo = 1;
		serve_metrics_count(cfg->metrics, SERVE_M_RERUN);
		b->rs[first + left++] = r;
	}
	b->n = first + left;
	batch_release(b, first);
	after(k, rc);
}

/* 1 if r may be run in a batch: under reuse, a GET or HEAD without a body
 * (a request run again when its batch fails must be one a client could
 * retry itself) that is not to run alone (its batch failed). */
static int batchable(const struct serve_config *cfg, const struct serve_request *r)
{
	return cfg->isolation == SERVE_REUSE && !r->body_len && !r->solo &&
	       (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"));
}

static void *worker_main(void *arg)
{
	struct worker *k = arg;
	struct serve_workers *w = k->w;
	const struct serve_config *cfg = w->cfg;
	char name[16]; /* for ps and /proc: the kernel keeps 15 characters */
	snprintf(name, sizeof(name), "mica-worker-%u", (unsigned)(k - w->workers) % 1000);
	pthread_setname_np(pthread_self(), name);
	struct batch b = {.k = k};
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->head)
			break;
		/* a batch takes no more than its share of the queue, so that
		 * idle workers get theirs, and fits a call's request buffer */
		unsigned idle = w->nworkers - w->active;
		unsigned share = (w->queued + idle - 1) / idle;
		size_t bytes = 0;
		b.ntaken = 0;
		do {
			struct serve_request *r = w->head;
			w->head = r->next;
			if (!w->head)
				w->tail = NULL;
			b.taken[b.ntaken++] = r;
			bytes += 4 + request_frame_len(r);
		} while (b.ntaken < BATCH_MAX && b.ntaken < share && w->head &&
			 batchable(cfg, b.taken[0]) && batchable(cfg, w->head) &&
			 bytes + 4 + request_frame_len(w->head) <= BATCH_FRAME_MAX);
		w->queued -= b.ntaken;
		w->running += b.ntaken;
		w->active++;
		pthread_mutex_unlock(&w->lock);
		b.n = 0;
		for (unsigned i = 0; i < b.ntaken; i++)
			if (!expired(cfg, b.taken[i]))
				b.rs[b.n++] = b.taken[i];
		if (b.n > 1)
			run_batch(k, &b);
		else if (b.n)
			run(k, b.rs[0]);
		unsigned kept = 0; /* what run_batch did not send back */
		for (unsigned i = 0; i < b.ntaken; i++)
			if (b.taken[i]) {
				serve_request_unref(b.taken[i]);
				kept++;
			}
		pthread_mutex_lock(&w->lock);
		w->running -= kept;
		w->active--;
	}
	pthread_mutex_unlock(&w->lock);
	free(b.log);
	return NULL;
}

/* Answers 503 to the requests that have waited longer than --queue-timeout
 * as soon as they have, not when a worker gets to them. The queue is in
 * arrival order: the expired ones are at its head. */
static void *sweeper_main(void *arg)
{
	struct serve_workers *w = arg;
	pthread_setname_np(pthread_self(), "mica-sweeper");
	int64_t limit = (int64_t)w->cfg->queue_ms * 1000000;
	pthread_mutex_lock(&w->lock);
	/* a retiring pool's queue still times out */
	while (!w->stopping || (w->draining && w->head)) {
		/* until the head expires; with the queue empty, a queue_ms nap
		 * is soon enough for whatever comes next (no idle ticks, no
		 * signal per request). Stopping, the drain is polled. */
		int64_t now = serve_now_ns(), tick = 10000000; /* 10 ms */
		int64_t wake = w->head && !w->head->solo ? w->head->t_queued_ns + limit + 1
							 : now + (limit > tick ? limit : tick);
		if (w->stopping && wake > now + tick)
			wake = now + tick;
		struct timespec ts = {.tv_sec = wake / 1000000000, .tv_nsec = wake % 1000000000};
		pthread_cond_timedwait(&w->sweep, &w->lock, &ts);
		now = serve_now_ns();
		struct serve_request *expired = NULL, **end = &expired;
		while (w->head && overdue(w->head, now, limit)) {
			struct serve_request *r = w->head;
			w->head = r->next;
			if (!w->head)
				w->tail = NULL;
			w->queued--;
			r->next = NULL;
			*end = r;
			end = &r->next;
		}
		pthread_mutex_unlock(&w->lock);
		while (expired) {
			struct serve_request *next = expired->next;
			serve_request_fail(expired, 503, "no sandbox was free in time");
			serve_request_unref(expired);
			expired = next;
		}
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int serve_workers_start(struct serve_workers *w, char *why, size_t why_len)
{
	const struct serve_config *cfg = w->cfg;
	w->workers = calloc(cfg->workers, sizeof(*w->workers));
	if (!w->workers) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	w->nworkers = cfg->workers;
	int cpu = -1; /* --pin: each worker on the next of cfg->cpus (not empty then) */
	for (unsigned i = 0; i < cfg->workers; i++) {
		struct worker *k = &w->workers[i];
		k->w = w;
		if (cfg->pin)
			do
				cpu = (cpu + 1) % CPU_SETSIZE;
			while (!CPU_ISSET(cpu, &cfg->cpus));
		k->cpu = cfg->pin ? cpu : -1;
		mica_error err;
		/* a sandbox per worker before the first request: its start-up
		 * cost is not any request's */
		if (cfg->isolation != SERVE_FRESH && !sandbox_for(k, &err)) {
			first_line(why, why_len, "a worker's sandbox: ", err.message);
			return -1;
		}
		pthread_attr_t attr;
		int e = pthread_attr_init(&attr);
		if (!e && k->cpu >= 0) {
			cpu_set_t one;
			CPU_ZERO(&one);
			CPU_SET(k->cpu, &one);
			e = pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
		}
		if (!e)
			e = pthread_create(&k->thread, &attr, worker_main, k);
		pthread_attr_destroy(&attr);
		if (e) {
			snprintf(why, why_len, "cannot start a worker thread: %s", strerror(e));
			return -1;
		}
		k->started = 1;
	}
	int e = pthread_create(&w->sweeper, NULL, sweeper_main, w);
	if (e) {
		snprintf(why, why_len, "cannot start a thread: %s", strerror(e));
		return -1;
	}
	w->sweeper_started = 1;
	return 0;
}

void serve_workers_submit(struct serve_workers *w, struct serve_request *r)
{
	pthread_mutex_lock(&w->lock);
	int stopping = w->stopping || w->cancelled;
	if (stopping || w->queued >= w->cfg->queue_max) {
		pthread_mutex_unlock(&w->lock);
		serve_request_fail(
		    r, 503, stopping ? "the server is stopping" : "too many requests are waiting");
		return;
	}
	serve_request_ref(r);
	r->t_queued_ns = serve_now_ns();
	r->next = NULL;
	if (w->tail)
		w->tail->next = r;
	else
		w->head = r;
	w->tail = r;
	w->queued++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

unsigned serve_workers_busy(struct serve_workers *w)
{
	pthread_mutex_lock(&w->lock);
	unsigned n = w->queued + w->running;
	pthread_mutex_unlock(&w->lock);
	return n;
}

/* Stops w's threads (and joins them: only once); with drain the workers
 * run what is queued first, else it is answered 503. */
static void stop(struct serve_workers *w, int drain)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	w->draining = drain;
	struct serve_request *q = drain ? NULL : w->head;
	if (!drain) {
		w->head = w->tail = NULL;
		w->queued = 0;
	}
	pthread_cond_broadcast(&w->cond);
	pthread_cond_signal(&w->sweep);
	pthread_mutex_unlock(&w->lock);
	if (w->sweeper_started)
		pthread_join(w->sweeper, NULL);
	w->sweeper_started = 0;
	while (q) {
		struct serve_request *next = q->next;
		serve_request_fail(q, 503, "the server is stopping");
		serve_request_unref(q);
		q = next;
	}
	for (unsigned i = 0; i < w->nworkers; i++) {
		if (w->workers[i].started)
			pthread_join(w->workers[i].thread, NULL);
		w->workers[i].started = 0;
	}
}

void serve_workers_stop(struct serve_workers *w)
{
	if (!w)
		return;
	stop(w, 0);
	for (unsigned i = 0; i < w->nworkers; i++)
		mica_sandbox_free(w->workers[i].sb);
	free(w->workers);
	serve_fetch_free(w->fetch);
	mica_snapshot_free(w->snap);
	mica_runtime_free(w->rt);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	pthread_cond_destroy(&w->sweep);
	free(w);
}

void serve_workers_interrupt(struct serve_workers *w)
{
	pthread_mutex_lock(&w->lock);
	w->interrupted = 1;
	for (unsigned i = 0; i < w->nworkers; i++)
		if (w->workers[i].sb)
			mica_sandbox_interrupt(w->workers[i].sb);
	pthread_mutex_unlock(&w->lock);
}

void serve_workers_retire(struct serve_workers *w)
{
	stop(w, 1);
}

void serve_workers_cancel(struct serve_workers *w)
{
	pthread_mutex_lock(&w->lock);
	w->cancelled = 1;
	struct serve_request *q = w->head;
	w->head = w->tail = NULL;
	w->queued = 0;
	pthread_mutex_unlock(&w->lock);
	while (q) {
		struct serve_request *next = q->next;
		serve_request_fail(q, 503, "the server is stopping");
		serve_request_unref(q);
		q = next;
	}
}

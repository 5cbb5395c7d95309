/*
 * Async host functions: MICA_HC_ASYNC, MICA_HC_SLEEP and the mica_async API.
 *
 * Each sandbox has a completion queue (struct mica_async), made on its first
 * request. A call in flight holds a reference to the queue, not to the
 * sandbox, so it may be completed from any thread at any time: after its
 * request ended (the queue's generation moved on), or after the sandbox was
 * freed (the queue is closed), the completion is dropped. Completing wakes
 * the vCPU thread through an eventfd, which the SLEEP handler polls;
 * mica_sandbox_interrupt writes to it too.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "async.h"
#include "hostcall.h"
#include "hypercall.h"
#include "sys.h"

/* What a guest may keep the host holding for it (untrusted JS decides):
 * calls started and not yet delivered, their copied arguments and their
 * queued results; mica_abi.h says what the guest sees past it. */
#define ASYNC_MAX_CALLS MICA_ASYNC_MAX_CALLS
#define ASYNC_MAX_BYTES MICA_ASYNC_MAX_BYTES

/* Largest completion payload: it must fit MICA_GPA_IN with its header. */
#define COMPLETION_MAX (MICA_IN_SIZE - 2 * sizeof(struct mica_completion))

struct node {
	struct node *next;
	uint64_t id;
	uint32_t kind; /* enum mica_completion_kind */
	uint32_t len;
	char data[];
};

/* A queue's canary: set while it lives, cleared before it is freed, so that
 * a completion that reaches a freed queue (a broken reference count) is
 * refused in every build, not only under ASan (tests/api/test_async.c). */
#define QUEUE_LIVE 0x6d6963612d617371ull /* "mica-asq" */

struct mica_async {
	uint64_t canary;
	atomic_int refs; /* the sandbox's, plus one per call in flight */
	pthread_mutex_t lock;
	int efd;
	uint64_t gen; /* the current request */
	int closed;   /* the sandbox is gone */
	struct node *head, **tail;
	/* Calls started and not yet delivered or dropped; the bytes of the
	 * arguments of those not finished and of the results queued. */
	unsigned held_calls;
	uint64_t held_bytes;
};

struct mica_async_call {
	struct mica_async *q;
	uint64_t gen;
	uint64_t id;
	char *args;
	size_t args_len;
	uint32_t args_kind; /* enum mica_kind */
};

/* Wakes the vCPU thread if it sleeps in MICA_HC_SLEEP (or its next sleep). */
static void wake(struct mica_async *q)
{
	uint64_t one = 1;
	ssize_t r = write(q->efd, &one, sizeof(one));
	(void)r; /* a full counter already means "wake up" */
}

/* Under q->lock. */
static void drop_queue(struct mica_async *q)
{
	while (q->head) {
		struct node *n = q->head;
		q->head = n->next;
		q->held_calls--;
		q->held_bytes -= n->len;
		free(n);
	}
	q->tail = &q->head;
}

static void unref(struct mica_async *q)
{
	if (atomic_fetch_sub(&q->refs, 1) != 1)
		return;
	drop_queue(q);
	close(q->efd);
	pthread_mutex_destroy(&q->lock);
	q->canary = 0;
	free(q);
}

int mica_async_begin(mica_sandbox *sb, mica_error *err)
{
	struct mica_async *q = atomic_load(&sb->async);
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
		q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->efd < 0) {
			free(q);
			return mica_err_errno(err, MICA_ERR_SYSTEM, "eventfd");
		}
		pthread_mutex_init(&q->lock, NULL);
		q->canary = QUEUE_LIVE;
		atomic_init(&q->refs, 1);
		q->tail = &q->head;
		atomic_store(&sb->async, q);
	}
	pthread_mutex_lock(&q->lock);
	q->gen++;
	drop_queue(q);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

void mica_async_forget(mica_sandbox *sb)
{
	struct mica_async *q = atomic_load(&sb->async);
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->gen++;
	drop_queue(q);
	pthread_mutex_unlock(&q->lock);
}

void mica_async_detach(mica_sandbox *sb)
{
	struct mica_async *q = atomic_exchange(&sb->async, NULL);
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	drop_queue(q);
	pthread_mutex_unlock(&q->lock);
	unref(q);
}

void mica_async_wake(mica_sandbox *sb)
{
	struct mica_async *q = atomic_load(&sb->async);
	if (q)
		wake(q);
}

/* ---- the public API ------------------------------------------------------ */

int mica_runtime_register_async(mica_runtime *rt, const char *module, const char *name,
				mica_async_fn fn, void *userdata)
{
	if (!rt || !fn)
		return MICA_ERR_INVALID;
	int rc = mica_hostfn_add(rt, module, name, NULL, fn, userdata);
	return rc;
}

const char *mica_async_args(const mica_async_call *call, size_t *len)
{
	if (len)
		*len = call->args_len;
	return call->args;
}

int mica_async_is_bytes(const mica_async_call *call)
{
	return call->args_kind == MICA_KIND_BYTES;
}

static int finish(mica_async_call *c, const void *s, size_t len, uint32_t kind)
{
	static const char too_big[] = "host function result too large (3 MiB or more)";
	static const char over[] = "host function results waiting for the guest exceed 64 MiB";
	int rc = MICA_OK;
	if (len > COMPLETION_MAX) {
		s = too_big;
		len = sizeof(too_big) - 1;
		kind = MICA_COMPLETION_ERROR;
		rc = MICA_ERR_INVALID;
	}
	struct mica_async *q = c->q;
	if (q->canary != QUEUE_LIVE)
		return MICA_ERR_INVALID; /* never: the call holds a reference */
	struct node *n = malloc(sizeof(*n) + (len > sizeof(over) ? len : sizeof(over)));
	if (n) {
		n->next = NULL;
		n->id = c->id;
		n->kind = kind;
		n->len = (uint32_t)len;
		if (len)
			memcpy(n->data, s, len);
	} else {
		rc = MICA_ERR_SYSTEM;
	}
	pthread_mutex_lock(&q->lock);
	q->held_bytes -= c->args_len;
	int take = n && !q->closed && q->gen == c->gen;
	if (take && n->len > ASYNC_MAX_BYTES - q->held_bytes) {
		memcpy(n->data, over, sizeof(over) - 1);
		n->len = sizeof(over) - 1;
		n->kind = MICA_COMPLETION_ERROR;
		rc = MICA_ERR_INVALID;
	}
	if (take) {
		q->held_bytes += n->len;
		*q->tail = n;
		q->tail = &n->next;
	} else {
		q->held_calls--; /* dropped: it will never be delivered */
	}
	pthread_mutex_unlock(&q->lock);
	if (take) {
		wake(q);
	} else {
		free(n);
	}
	unref(q);
	free(c->args);
	free(c);
	return rc;
}

int mica_async_complete(mica_async_call *call, const char *json, size_t len)
{
	if (!call)
		return MICA_ERR_INVALID;
	return finish(call, json, json ? len : 0, MICA_COMPLETION_JSON);
}

int mica_async_complete_bytes(mica_async_call *call, const void *data, size_t len)
{
	if (!call)
		return MICA_ERR_INVALID;
	if (!data && len)
		return mica_async_fail(call, "host function returned no data");
	return finish(call, data, len, MICA_COMPLETION_BYTES);
}

int mica_async_fail(mica_async_call *call, const char *message)
{
	if (!call)
		return MICA_ERR_INVALID;
	if (!message)
		message = "host function failed";
	return finish(call, message, strlen(message), MICA_COMPLETION_ERROR);
}

/* ---- hypercalls ---------------------------------------------------------- */

int mica_hc_async(mica_sandbox *sb, uint64_t gpa, int64_t deadline, mica_error *err)
{
	(void)deadline;
	struct mica_hc_async req;
	if (!mica_guest_writable(sb, gpa, sizeof(req)) ||
	    mica_mem_read(&sb->mem, gpa, &req, sizeof(req)))
		return mica_abi_violation(sb, err, "async host call structure", gpa);
	if (!mica_mem_check(&sb->mem, req.args, req.args_len) || req.fn >= sb->nfns ||
	    req.args_kind > MICA_KIND_BYTES)
		return mica_abi_violation(sb, err, "async host call arguments", req.args);
	struct mica_async *q = atomic_load(&sb->async);
	if (!q)
		return mica_abi_violation(sb, err, "async host call before any request", gpa);
	/* the budget first: nothing is allocated for a call refused */
	pthread_mutex_lock(&q->lock);
	uint64_t gen = q->gen;
	int over =
	    q->held_calls >= ASYNC_MAX_CALLS || req.args_len > ASYNC_MAX_BYTES - q->held_bytes;
	if (!over) {
		q->held_calls++;
		q->held_bytes += req.args_len;
	}
	pthread_mutex_unlock(&q->lock);
	if (over) {
		req.refused = 1;
		if (mica_mem_write(&sb->mem, gpa, &req, sizeof(req)))
			return mica_abi_violation(sb, err, "async host call structure", gpa);
		return 0;
	}
	mica_async_call *c = calloc(1, sizeof(*c));
	char *copy = malloc(req.args_len ? req.args_len : 1);
	if (!c || !copy || mica_mem_read(&sb->mem, req.args, copy, req.args_len)) {
		free(c);
		free(copy);
		pthread_mutex_lock(&q->lock);
		q->held_calls--;
		q->held_bytes -= req.args_len;
		pthread_mutex_unlock(&q->lock);
		return mica_sandbox_kill(sb, MICA_ERR_SYSTEM, err,
					 "out of memory starting an async host call");
	}
	atomic_fetch_add(&q->refs, 1);
	c->q = q;
	c->gen = gen;
	c->id = req.id;
	c->args = copy;
	c->args_len = req.args_len;
	c->args_kind = req.args_kind;

	const struct mica_hostfn *f = &sb->fns[req.fn];
	if (f->afn) {
		f->afn(c, f->userdata);
		return 0;
	}
	/* A sync function (a snapshot's guest may think otherwise): call it now,
	 * its answer is the completion. */
	mica_hostcall hc = {.args = copy, .args_len = req.args_len, .args_kind = req.args_kind};
	f->fn(&hc, f->userdata);
	uint32_t kind =
	    hc.result_kind == MICA_KIND_BYTES ? MICA_COMPLETION_BYTES : MICA_COMPLETION_JSON;
	finish(c, hc.result, hc.result_len, hc.failed ? MICA_COMPLETION_ERROR : kind);
	free(hc.result);
	return 0;
}

/* Moves queued completions to MICA_GPA_IN, as many as fit. */
static int deliver(mica_sandbox *sb, struct mica_async *q, struct mica_hc_sleep *out)
{
	struct node *batch = NULL, **tail = &batch;
	uint64_t used = 0;
	uint32_t count = 0;
	pthread_mutex_lock(&q->lock);
	while (q->head) {
		struct node *n = q->head;
		uint64_t need = sizeof(struct mica_completion) + ((n->len + 8ull) & ~7ull);
		if (used + need > MICA_IN_SIZE)
			break;
		q->head = n->next;
		n->next = NULL;
		*tail = n;
		tail = &n->next;
		used += need;
		count++;
		q->held_calls--;
		q->held_bytes -= n->len;
	}
	if (!q->head)
		q->tail = &q->head;
	out->more = q->head != NULL;
	pthread_mutex_unlock(&q->lock);

	uint8_t *buf = NULL, *in = mica_mem_direct(&sb->mem, MICA_GPA_IN, used);
	if (!in)
		in = buf = malloc(used ? used : 1);
	uint64_t at = 0;
	while (batch) {
		struct node *n = batch;
		batch = n->next;
		if (in) {
			uint64_t need = sizeof(struct mica_completion) + ((n->len + 8ull) & ~7ull);
			struct mica_completion h = {.id = n->id, .kind = n->kind, .len = n->len};
			memcpy(in + at, &h, sizeof(h));
			memcpy(in + at + sizeof(h), n->data, n->len);
			/* the NUL JSON parsers want, and the padding */
			memset(in + at + sizeof(h) + n->len, 0, need - sizeof(h) - n->len);
			at += need;
		}
		free(n);
	}
	int rc = !in || (buf && mica_mem_write(&sb->mem, MICA_GPA_IN, buf, used));
	free(buf);
	out->count = count;
	out->len = used;
	return rc ? -1 : 0;
}

int mica_hc_sleep(mica_sandbox *sb, uint64_t gpa, int64_t deadline, mica_error *err)
{
	struct mica_hc_sleep req;
	if (!mica_guest_writable(sb, gpa, sizeof(req)) ||
	    mica_mem_read(&sb->mem, gpa, &req, sizeof(req)))
		return mica_abi_violation(sb, err, "sleep structure", gpa);
	req.count = req.more = 0;
	req.len = 0;
	struct mica_async *q = atomic_load(&sb->async);
	if (!q)
		return mica_abi_violation(sb, err, "sleep before any request", gpa);
	int64_t now = mica_now_ns();
	/* 0: no timer. Waits are capped at a day (the number is the guest's). */
	int64_t wake = 0;
	if (req.timeout_ns != UINT64_MAX)
		wake = now + (int64_t)(req.timeout_ns < 86400000000000ull ? req.timeout_ns
									  : 86400000000000ull);
	for (;;) {
		/* an interrupt or the deadline: the backend's run says which */
		if (atomic_load(&sb->interrupt) || (deadline && now >= deadline))
			break;
		pthread_mutex_lock(&q->lock);
		int have = q->head != NULL;
		pthread_mutex_unlock(&q->lock);
		if (have) {
			if (deliver(sb, q, &req))
				return mica_sandbox_kill(sb, MICA_ERR_SYSTEM, err,
							 "cannot deliver async completions");
			break;
		}
		if (wake && now >= wake)
			break;
		int64_t until = wake;
		if (deadline && (!until || deadline < until))
			until = deadline;
		struct pollfd pfd = {.fd = q->efd, .events = POLLIN};
		struct timespec ts;
		if (until) {
			int64_t d = until - now;
			ts.tv_sec = d / 1000000000;
			ts.tv_nsec = d % 1000000000;
		}
		/* MICA_SIGNAL (the deadline timer, a kick) ends it with EINTR */
		if (ppoll(&pfd, 1, until ? &ts : NULL, NULL) > 0) {
			uint64_t v;
			ssize_t r = read(q->efd, &v, sizeof(v));
			(void)r;
		}
		now = mica_now_ns();
	}
	if (mica_mem_write(&sb->mem, gpa, &req, sizeof(req)))
		return mica_abi_violation(sb, err, "sleep structure", gpa);
	return 0;
}

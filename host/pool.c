/*
 * Warm pool: `size` sandboxes made from one snapshot. A released sandbox is
 * dirty until a background thread resets it to the snapshot; acquire takes
 * a clean one, else resets a dirty one itself, else waits.
 *
 * Every slot is in one state, changed only under the mutex. A slot being
 * reset or recreated (RESETTING) belongs to whichever thread does it; the
 * mutex is not held across resets, creations or frees.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sandbox.h"

enum slot_state {
	SLOT_CLEAN,	/* reset (or new), ready to hand out */
	SLOT_OUT,	/* acquired and not yet released */
	SLOT_DIRTY,	/* released, waiting for a reset */
	SLOT_RESETTING, /* being reset or recreated, outside the mutex */
	SLOT_EMPTY,	/* its sandbox could not be reset or recreated; sb is NULL */
};

struct pool_slot {
	mica_sandbox *sb;
	enum slot_state state;
};

struct mica_pool {
	mica_runtime *rt;
	mica_snapshot *snap; /* the pool's own reference */
	unsigned size;
	struct pool_slot *slots;
	pthread_mutex_t lock;
	pthread_cond_t ready; /* a slot became CLEAN, DIRTY or EMPTY (CLOCK_MONOTONIC) */
	pthread_cond_t work;  /* a slot became DIRTY, or stop was set */
	int stop;
	pthread_t worker;
	int worker_started;
};

/* Resets sb, or replaces it with a new sandbox from the snapshot when the
 * reset fails. Returns the sandbox to keep, or NULL (err filled) when
 * neither worked; sb is freed unless returned. Called without the lock. */
static mica_sandbox *renew(mica_pool *p, mica_sandbox *sb, mica_error *err)
{
	if (sb) {
		if (mica_sandbox_reset(sb, err) == MICA_OK)
			return sb;
		mica_sandbox_free(sb);
	}
	return mica_sandbox_from_snapshot(p->rt, p->snap, err);
}

/* Stores the outcome of renew() in slot i. Called with the lock held. */
static void settle(mica_pool *p, unsigned i, mica_sandbox *sb, enum slot_state state)
{
	p->slots[i].sb = sb;
	p->slots[i].state = sb ? state : SLOT_EMPTY;
	pthread_cond_broadcast(&p->ready);
}

static void *worker_main(void *arg)
{
	mica_pool *p = arg;
	pthread_setname_np(pthread_self(), "mica-pool");
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		unsigned i;
		for (i = 0; i < p->size && p->slots[i].state != SLOT_DIRTY; i++)
			;
		if (i == p->size) {
			pthread_cond_wait(&p->work, &p->lock);
			continue;
		}
		mica_sandbox *sb = p->slots[i].sb;
		p->slots[i].state = SLOT_RESETTING;
		pthread_mutex_unlock(&p->lock);
		/* A failure leaves the slot EMPTY; the next acquire that finds no
		 * clean sandbox retries the creation and reports its error. */
		sb = renew(p, sb, NULL);
		pthread_mutex_lock(&p->lock);
		settle(p, i, sb, SLOT_CLEAN);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void pool_destroy(mica_pool *p)
{
	if (p->worker_started) {
		pthread_mutex_lock(&p->lock);
		p->stop = 1;
		pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->worker, NULL);
	}
	if (p->slots)
		for (unsigned i = 0; i < p->size; i++)
			if (p->slots[i].state != SLOT_OUT) /* those stay the caller's */
				mica_sandbox_free(p->slots[i].sb);
	free(p->slots);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->ready);
	pthread_mutex_destroy(&p->lock);
	mica_snapshot_free(p->snap);
	free(p);
}

mica_pool *mica_pool_new(mica_runtime *rt, mica_snapshot *snap, unsigned size, mica_error *err)
{
	if (!rt || !snap || size == 0) {
		mica_err(err, MICA_ERR_INVALID,
			 "a pool needs a runtime, a snapshot and a size of at least 1");
		return NULL;
	}
	mica_pool *p = calloc(1, sizeof(*p));
	if (!p) {
		mica_err(err, MICA_ERR_SYSTEM, "out of memory");
		return NULL;
	}
	p->rt = rt;
	p->size = size;
	p->snap = snap;
	atomic_fetch_add(&snap->refs, 1);

	pthread_condattr_t ca;
	int ok = pthread_mutex_init(&p->lock, NULL) == 0;
	if (ok && pthread_condattr_init(&ca) == 0) {
		ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
		     pthread_cond_init(&p->ready, &ca) == 0;
		pthread_condattr_destroy(&ca);
	} else {
		ok = 0;
	}
	ok = ok && pthread_cond_init(&p->work, NULL) == 0;
	if (!ok) { /* cannot fail on Linux, but pool_destroy would then be unsafe */
		mica_err(err, MICA_ERR_SYSTEM, "cannot initialise the pool's locks");
		mica_snapshot_free(p->snap);
		free(p);
		return NULL;
	}

	p->slots = calloc(size, sizeof(*p->slots));
	if (!p->slots) {
		mica_err(err, MICA_ERR_SYSTEM, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < size; i++) {
		p->slots[i].state = SLOT_EMPTY;
		p->slots[i].sb = mica_sandbox_from_snapshot(rt, snap, err);
		if (!p->slots[i].sb)
			goto fail;
		p->slots[i].state = SLOT_CLEAN;
	}
	/* The reset thread takes no signals: they are the application's. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(&p->worker, NULL, worker_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		errno = e;
		mica_err_errno(err, MICA_ERR_SYSTEM, "cannot start the pool's reset thread");
		goto fail;
	}
	p->worker_started = 1;
	return p;
fail:
	pool_destroy(p);
	return NULL;
}

static int find_slot(const mica_pool *p, enum slot_state state)
{
	for (unsigned i = 0; i < p->size; i++)
		if (p->slots[i].state == state)
			return (int)i;
	return -1;
}

mica_sandbox *mica_pool_acquire(mica_pool *p, uint32_t timeout_ms, mica_error *err)
{
	if (!p) {
		mica_err(err, MICA_ERR_INVALID, "no pool");
		return NULL;
	}
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	int timed_out = 0;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		int i = find_slot(p, SLOT_CLEAN);
		if (i >= 0) {
			p->slots[i].state = SLOT_OUT;
			mica_sandbox *sb = p->slots[i].sb;
			pthread_mutex_unlock(&p->lock);
			return sb;
		}
		/* None clean: reset a dirty one here rather than wait for the
		 * worker, else retry a slot whose sandbox was lost. */
		if ((i = find_slot(p, SLOT_DIRTY)) >= 0 || (i = find_slot(p, SLOT_EMPTY)) >= 0) {
			mica_sandbox *sb = p->slots[i].sb;
			p->slots[i].state = SLOT_RESETTING;
			pthread_mutex_unlock(&p->lock);
			sb = renew(p, sb, err);
			pthread_mutex_lock(&p->lock);
			settle(p, (unsigned)i, sb, SLOT_OUT);
			pthread_mutex_unlock(&p->lock);
			return sb; /* NULL: the creation's error is in err */
		}
		/* A sandbox being reset is not in use: wait for it even when
		 * timeout_ms is 0. */
		int resetting = find_slot(p, SLOT_RESETTING) >= 0;
		if (timed_out || (timeout_ms == 0 && !resetting))
			break;
		if (timeout_ms == 0)
			pthread_cond_wait(&p->ready, &p->lock);
		else if (pthread_cond_timedwait(&p->ready, &p->lock, &deadline) == ETIMEDOUT)
			timed_out = 1; /* look once more, then give up */
	}
	pthread_mutex_unlock(&p->lock);
	mica_err(err, MICA_ERR_TIMEOUT, "no sandbox of the pool became free within %u ms",
		 timeout_ms);
	return NULL;
}

void mica_pool_release(mica_pool *p, mica_sandbox *sb)
{
	if (!p || !sb)
		return;
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < p->size; i++) {
		if (p->slots[i].sb == sb && p->slots[i].state == SLOT_OUT) {
			/* The next user must not reach this one's callback or files. */
			mica_sandbox_forget_tenant(sb);
			p->slots[i].state = SLOT_DIRTY;
			pthread_cond_signal(&p->work);
			/* An acquirer waiting on all-busy can reset it itself. */
			pthread_cond_broadcast(&p->ready);
			break;
		}
	}
	/* Not one of ours, or not out: ignored. */
	pthread_mutex_unlock(&p->lock);
}

void mica_pool_free(mica_pool *p)
{
	if (p)
		pool_destroy(p);
}

/*
 * How operations on a sandbox run: on the calling thread, without the GIL
 * (other Python threads and sandboxes run meanwhile), one at a time per
 * sandbox (libmica wants a sandbox used by one thread at a time): the
 * others wait their turn.
 *
 * Ctrl-C. Python runs signal handlers in the main thread between
 * bytecodes, and libmica restarts the system calls a signal interrupts: a
 * guest call would see SIGINT only once done. So while the main thread runs
 * the guest, SIGINT's handler is ours: it stops the guest
 * (mica_sandbox_interrupt() is async-signal-safe) and chains to Python's,
 * whose KeyboardInterrupt is raised when the call returns. Only SIGINT:
 * other signals' handlers run when the call returns, as after any blocking
 * call. (A helper thread running the guest while the main thread polls for
 * signals would catch every signal, but the two cross-CPU wake-ups per
 * call cost more than the call on the process backend.)
 *
 * A host function that raises KeyboardInterrupt or SystemExit (not an
 * Exception) stops its guest the same way; the exception is raised again
 * when the call returns.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "pymica.h"

#define POLL_MS 50 /* how often the main thread, waiting for a sandbox, looks at signals */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed; /* a sandbox is free again */
static __thread struct pm_op *current;

/* The sandbox the main thread runs, for the SIGINT handler. */
static _Atomic(mica_sandbox *) main_sb;
static atomic_int in_handler, sigint_hits;
static struct sigaction python_sigint; /* what on_sigint chains to */

int pm_run_init(void)
{
	pthread_condattr_t a;
	if (pthread_condattr_init(&a) || pthread_condattr_setclock(&a, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&freed, &a))
		return -1;
	pthread_condattr_destroy(&a);
	return 0;
}

struct pm_op *pm_current(void)
{
	return current;
}

void pm_interrupt(pm_sandbox *self)
{
	pthread_mutex_lock(&lock);
	if (self->sb)
		mica_sandbox_interrupt(self->sb);
	pthread_mutex_unlock(&lock);
}

mica_sandbox *pm_detach(pm_sandbox *self)
{
	pthread_mutex_lock(&lock);
	mica_sandbox *sb = self->sb;
	self->sb = NULL;
	pthread_mutex_unlock(&lock);
	return sb;
}

static int fail(mica_error *err, mica_code code, const char *msg)
{
	err->code = code;
	snprintf(err->message, sizeof(err->message), "%s", msg);
	return code;
}

/* ---- SIGINT ----------------------------------------------------------------- */

static void on_sigint(int sig, siginfo_t *si, void *uc)
{
	atomic_fetch_add(&in_handler, 1);
	mica_sandbox *sb = atomic_load(&main_sb);
	if (sb) {
		mica_sandbox_interrupt(sb);
		atomic_fetch_add(&sigint_hits, 1);
	}
	atomic_fetch_sub(&in_handler, 1);
	if (python_sigint.sa_flags & SA_SIGINFO)
		python_sigint.sa_sigaction(sig, si, uc);
	else if (python_sigint.sa_handler != SIG_DFL && python_sigint.sa_handler != SIG_IGN)
		python_sigint.sa_handler(sig);
}

/* Puts on_sigint in front of SIGINT's handler, if there is one to chain to
 * (Python's, unless SIGINT is ignored or left to kill the process). It stays
 * (it is transparent) until Python sets another. 1 if it is in place. */
static int hook_sigint(void)
{
	struct sigaction cur;
	if (sigaction(SIGINT, NULL, &cur))
		return 0;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sigint)
		return 1;
	if (!(cur.sa_flags & SA_SIGINFO) &&
	    (cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN))
		return 0;
	python_sigint = cur;
	struct sigaction ours = cur;
	ours.sa_flags |= SA_SIGINFO;
	ours.sa_sigaction = on_sigint;
	return sigaction(SIGINT, &ours, NULL) == 0;
}

/* ---- running ---------------------------------------------------------------- */

/* Takes self for this thread; with the GIL released (*ts). 0 taken, 1 not
 * (op->rc says why), -1 with a Python exception (a signal handler raised
 * while the main thread waited). */
static int take(struct pm_op *op, int main, PyThreadState **ts)
{
	pm_sandbox *self = op->self;
	pthread_mutex_lock(&lock);
	while (self->busy && !pthread_equal(self->owner, pthread_self())) {
		if (!main) {
			pthread_cond_wait(&freed, &lock);
			continue;
		}
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += POLL_MS * 1000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&freed, &lock, &t) != ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&lock);
		PyEval_RestoreThread(*ts);
		int rc = PyErr_CheckSignals();
		*ts = PyEval_SaveThread();
		if (rc < 0)
			return -1;
		pthread_mutex_lock(&lock);
	}
	int rc = 1;
	if (self->busy) /* a host function of this very sandbox: it would wait for itself */
		op->rc =
		    fail(&op->err, MICA_ERR_INVALID,
			 "sandbox busy: a host function may not call back into its own sandbox");
	else if (!self->sb)
		op->rc = fail(&op->err, MICA_ERR_INVALID, "the sandbox is closed");
	else {
		self->busy = 1;
		self->owner = pthread_self();
		rc = 0;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

int pm_run(struct pm_op *op)
{
	pm_sandbox *self = op->self;
	op->rc = 0;
	op->exc_type = op->exc_value = op->exc_tb = NULL;
	memset(&op->err, 0, sizeof(op->err));
	op->out = NULL;
	op->out_len = 0;
	op->out_bytes = 0;
	int main = op->guest && pm_main_thread();

	PyThreadState *ts = PyEval_SaveThread();
	int rc = take(op, main, &ts);
	if (rc) {
		PyEval_RestoreThread(ts);
		return rc < 0 ? -1 : op->rc;
	}
	int stale = self->stale_interrupt, hooked = main && hook_sigint(), hits = 0;
	mica_sandbox *outer = NULL;
	if (hooked) {
		hits = atomic_load(&sigint_hits);
		outer = atomic_exchange(&main_sb, self->sb);
	}
	op->prev = current;
	current = op;
	op->rc = op->fn(op);
	/* The flag an earlier SIGINT left, sent as that call ended on its own:
	 * libmica stops the next operation before it starts, harmlessly, and
	 * this one runs again. */
	if (op->rc == MICA_ERR_INTERRUPTED && stale && !op->exc_type &&
	    strstr(op->err.message, "before the operation ran"))
		op->rc = op->fn(op);
	current = op->prev;
	int signalled = 0;
	if (hooked) {
		atomic_store(&main_sb, outer);
		while (atomic_load(&in_handler)) /* one that may still use self->sb */
			;
		signalled = atomic_load(&sigint_hits) != hits;
	}

	pthread_mutex_lock(&lock);
	self->busy = 0;
	if (op->guest) /* told to stop, it ended first: the flag stays for the next */
		self->stale_interrupt =
		    (signalled || op->exc_type) && op->rc != MICA_ERR_INTERRUPTED;
	pthread_cond_broadcast(&freed);
	pthread_mutex_unlock(&lock);
	PyEval_RestoreThread(ts);

	/* What stopped the guest wins over its Interrupted; and as after any
	 * blocking call, the main thread runs the handlers of signals that
	 * came meanwhile (a KeyboardInterrupt wins over the result). */
	if (op->exc_type)
		PyErr_Restore(op->exc_type, op->exc_value, op->exc_tb);
	else if (!main || PyErr_CheckSignals() == 0)
		return op->rc;
	free(op->out);
	op->out = NULL;
	return -1;
}

int pm_stop_for_exception(void)
{
	struct pm_op *op = current;
	if (!op || !PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_Exception))
		return 0;
	if (op->exc_type) /* the first one stopped it */
		PyErr_Clear();
	else
		PyErr_Fetch(&op->exc_type, &op->exc_value, &op->exc_tb);
	mica_sandbox_interrupt(op->self->sb);
	return 1;
}

/*
 * The Python binding of libmica: what its files share.
 *
 *   module.c   the module, its exception classes, JSON and asyncio helpers
 *   run.c      how operations run: one at a time per sandbox, without the
 *              GIL, stopped by Ctrl-C
 *   hostfn.c   the trampolines libmica calls: host functions, sync and
 *              async, and the console
 *   runtime.c  mica.Runtime
 *   sandbox.c  mica.Sandbox
 *   snapshot.c mica.Snapshot
 *
 * Built against the stable ABI of Python 3.11 (abi3): one binary serves
 * every later CPython.
 */
#ifndef PYMICA_H
#define PYMICA_H

#define Py_LIMITED_API 0x030b0000
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mica.h"

/* ---- objects -------------------------------------------------------------- */

/* A registered host function: libmica's userdata, kept for the runtime's
 * life (a registration cannot be undone). */
struct pm_hostfn {
	struct pm_hostfn *next;
	PyObject *fn;	/* NULL once the runtime was cleared by the GC */
	PyObject *loop; /* register_async(loop=): NULL for the default */
	char what[140]; /* "module.name", for messages */
};

typedef struct {
	PyObject ob_base;
	mica_runtime *rt;
	/* mica_runtime_register is not thread-safe against mica_sandbox_new:
	 * registrations write-lock, new sandboxes read-lock. */
	pthread_rwlock_t lock;
	struct pm_hostfn *fns;
	PyObject *console; /* default console of its sandboxes; NULL: logging */
} pm_runtime;

typedef struct {
	PyObject ob_base;
	mica_sandbox *sb; /* NULL once closed */
	pm_runtime *rt;
	PyObject *console; /* callable; NULL: the "mica" logger; Py_False: dropped */
	/* Under run.c's lock: one operation at a time, and by which thread. */
	int busy;
	pthread_t owner;
	int stale_interrupt; /* run.c interrupted a call that had ended anyway */
} pm_sandbox;

typedef struct {
	PyObject ob_base;
	mica_snapshot *snap;
	pm_runtime *rt;
} pm_snapshot;

extern PyTypeObject *pm_runtime_type, *pm_sandbox_type, *pm_snapshot_type;

/* ---- module.c ------------------------------------------------------------- */

extern PyObject *pm_error; /* mica.Error */

/* Raises the exception class of err->code with its message; returns NULL. */
PyObject *pm_raise(const mica_error *err);
PyObject *pm_raise_msg(mica_code code, const char *msg);

/* JSON text of v (a str, compact, UTF-8 as is), or NULL with an exception. */
PyObject *pm_dumps(PyObject *v);
/* The value of JSON text, or NULL with an exception. */
PyObject *pm_loads(const char *text, size_t len);
/* The text of the exception being raised, cleared, into buf. */
void pm_exception_text(char *buf, size_t len);
/* 1 if the calling thread is Python's main thread (where signals run). */
int pm_main_thread(void);
/* Logs console output to the "mica" logger (stream 2: warning). */
void pm_log_console(int stream, PyObject *text);
/* The module's own event loop, on a daemon thread, started on first use. */
PyObject *pm_default_loop(void);
/* asyncio.get_running_loop() (RuntimeError outside a coroutine) */
PyObject *pm_running_loop(void);
/* asyncio.iscoroutine(v), or -1 with an exception. */
int pm_iscoroutine(PyObject *v);
/* asyncio.run_coroutine_threadsafe(coro, loop) */
PyObject *pm_run_coroutine(PyObject *coro, PyObject *loop);

/* Reads a str (UTF-8) or a bytes-like object: view must be released with
 * PyBuffer_Release, unless it returns -1 (with an exception). */
int pm_text_or_bytes(PyObject *o, Py_buffer *view, const char *what);

/* ---- run.c ---------------------------------------------------------------- */

struct pm_op;
typedef int (*pm_op_fn)(struct pm_op *op);

/* One operation on a sandbox, run by pm_run(). */
struct pm_op {
	pm_sandbox *self;
	pm_op_fn fn; /* runs without the GIL; returns a mica_code, err filled */
	int guest;   /* 1: it runs the guest (can be long): Ctrl-C may stop it */
	mica_error err;
	int rc;
	PyObject *loop; /* the loop of acall(), for async host functions */
	/* inputs and outputs of fn */
	const char *name;
	const void *data;
	size_t len;
	int flag; /* call: data is bytes */
	void *out;
	size_t out_len;
	int out_bytes;
	/* what a host function raised that stopped the guest */
	PyObject *exc_type, *exc_value, *exc_tb;
	struct pm_op *prev; /* the op this thread ran before (a host function's) */
};

int pm_run_init(void);
/* Runs op on this thread, with the GIL held on entry and exit. Returns its
 * mica_code (the caller raises from op->err), or -1 with a Python
 * exception set (KeyboardInterrupt: the guest was stopped; op->out is then
 * freed). */
int pm_run(struct pm_op *op);
/* The operation this thread is running (for host functions), or NULL. */
struct pm_op *pm_current(void);
/* With the GIL and an exception set: if it is no Exception (a
 * KeyboardInterrupt, SystemExit), keeps it for pm_run to raise, stops the
 * guest and returns 1; else 0. */
int pm_stop_for_exception(void);
/* mica_sandbox_interrupt(), unless self is closed. Any thread, no GIL. */
void pm_interrupt(pm_sandbox *self);
/* Takes self's mica_sandbox away (NULL: closed) and returns it. */
mica_sandbox *pm_detach(pm_sandbox *self);

/* ---- hostfn.c ------------------------------------------------------------- */

void pm_hostfn_sync(mica_hostcall *call, void *userdata);
void pm_hostfn_async(mica_async_call *call, void *userdata);
/* userdata: the pm_sandbox */
void pm_console(void *userdata, int stream, const char *data, size_t len);
/* Installs self's console on its sandbox (again after a reset). */
void pm_console_install(pm_sandbox *self);

/* ---- sandbox.c, snapshot.c ------------------------------------------------ */

/* A new Sandbox object for sb (owned from now on), or NULL (sb freed). */
PyObject *pm_sandbox_wrap(pm_runtime *rt, mica_sandbox *sb, PyObject *console);
PyObject *pm_snapshot_wrap(pm_runtime *rt, mica_snapshot *snap);
/* Reads console= (None: the runtime's; False: dropped; else a callable). */
int pm_console_arg(PyObject *arg, PyObject **out);

#endif

/*
 * What libmica calls back, on the thread that runs the guest, which has
 * let the GIL go: host functions (sync and async) and the console. Each
 * takes the GIL for its Python code.
 */
#include <stdlib.h>
#include <string.h>

#include "pymica.h"

/* The arguments as a tuple: the JSON array's items, or one bytes object. */
static PyObject *arguments(const char *args, size_t len, int is_bytes)
{
	if (is_bytes)
		return Py_BuildValue("(y#)", args, (Py_ssize_t)len);
	PyObject *list = pm_loads(args, len);
	if (!list)
		return NULL;
	PyObject *t = PyList_Check(list) ? PyList_AsTuple(list) : NULL;
	if (!t && !PyErr_Occurred())
		PyErr_SetString(PyExc_TypeError, "the arguments are not a JSON array");
	Py_DECREF(list);
	return t;
}

/* What the result of a host function becomes: raw bytes for a bytes-like
 * object, else JSON (None: null). 0, or -1 with an exception. */
static int result(PyObject *r, PyObject **keep, const char **data, size_t *len, int *is_bytes,
		  Py_buffer *view)
{
	*keep = NULL;
	if (!PyUnicode_Check(r) && PyObject_CheckBuffer(r)) {
		if (PyObject_GetBuffer(r, view, PyBUF_SIMPLE) < 0)
			return -1;
		*data = view->buf;
		*len = (size_t)view->len;
		*is_bytes = 1;
		return 0;
	}
	PyObject *json = pm_dumps(r);
	Py_ssize_t n = 0;
	*data = json ? PyUnicode_AsUTF8AndSize(json, &n) : NULL;
	if (!*data) {
		Py_XDECREF(json);
		return -1;
	}
	*keep = json;
	*len = (size_t)n;
	*is_bytes = 0;
	return 0;
}

static void sync_answer(mica_hostcall *call, PyObject *r)
{
	PyObject *keep;
	const char *data;
	size_t len;
	int is_bytes;
	Py_buffer view;
	char msg[512];
	if (result(r, &keep, &data, &len, &is_bytes, &view) < 0) {
		if (pm_stop_for_exception()) {
			mica_hostcall_fail(call, "interrupted");
			return;
		}
		pm_exception_text(msg, sizeof(msg));
		mica_hostcall_fail(call, msg);
		return;
	}
	int rc = is_bytes ? mica_hostcall_return_bytes(call, data, len)
			  : mica_hostcall_return(call, data, len);
	if (rc) {
		snprintf(msg, sizeof(msg), "host function result too large: %zu bytes", len);
		mica_hostcall_fail(call, msg);
	}
	if (is_bytes)
		PyBuffer_Release(&view);
	Py_XDECREF(keep);
}

void pm_hostfn_sync(mica_hostcall *call, void *userdata)
{
	struct pm_hostfn *h = userdata;
	PyGILState_STATE g = PyGILState_Ensure();
	size_t len;
	const char *args = mica_hostcall_args(call, &len);
	PyObject *r = NULL, *t = NULL;
	if (!h->fn)
		PyErr_Format(PyExc_RuntimeError, "host function %s is gone", h->what);
	else if ((t = arguments(args, len, mica_hostcall_is_bytes(call))))
		r = PyObject_Call(h->fn, t, NULL);
	if (r) {
		sync_answer(call, r);
	} else if (pm_stop_for_exception()) {
		mica_hostcall_fail(call, "interrupted");
	} else {
		char msg[512];
		pm_exception_text(msg, sizeof(msg));
		mica_hostcall_fail(call, msg);
	}
	Py_XDECREF(t);
	Py_XDECREF(r);
	PyGILState_Release(g);
}

/* ---- async ---------------------------------------------------------------- */

static void async_answer(mica_async_call *call, PyObject *r)
{
	PyObject *keep;
	const char *data;
	size_t len;
	int is_bytes;
	Py_buffer view;
	if (result(r, &keep, &data, &len, &is_bytes, &view) < 0) {
		char msg[512];
		pm_exception_text(msg, sizeof(msg));
		mica_async_fail(call, msg);
		return;
	}
	/* too large: libmica fails the call itself */
	if (is_bytes)
		mica_async_complete_bytes(call, data, len);
	else
		mica_async_complete(call, data, len);
	if (is_bytes)
		PyBuffer_Release(&view);
	Py_XDECREF(keep);
}

/* stop: on the guest's thread, where a KeyboardInterrupt stops the guest
 * (not in a future's callback: CancelledError is no Exception either) */
static void async_fail_exception(mica_async_call *call, int stop)
{
	if (stop && pm_stop_for_exception()) {
		mica_async_fail(call, "interrupted");
		return;
	}
	char msg[512];
	pm_exception_text(msg, sizeof(msg));
	mica_async_fail(call, msg);
}

/* A call waiting for its future, in a capsule: whatever becomes of the
 * future, the call is completed exactly once (by the capsule's destructor
 * when the future dropped its callback without calling it). */
#define PENDING "mica.pending"
struct pending {
	mica_async_call *call;
};

static void pending_free(PyObject *capsule)
{
	struct pending *p = PyCapsule_GetPointer(capsule, PENDING);
	if (!p)
		return;
	if (p->call)
		mica_async_fail(p->call, "the host function's future was dropped");
	free(p);
}

static PyObject *done(PyObject *capsule, PyObject *future)
{
	struct pending *p = PyCapsule_GetPointer(capsule, PENDING);
	if (!p || !p->call)
		Py_RETURN_NONE;
	mica_async_call *call = p->call;
	p->call = NULL;
	PyObject *r = PyObject_CallMethod(future, "result", NULL);
	if (r)
		async_answer(call, r);
	else
		async_fail_exception(call, 0); /* CancelledError too */
	Py_XDECREF(r);
	Py_RETURN_NONE;
}

static PyMethodDef done_def = {"_mica_done", done, METH_O, NULL};

/* Schedules coro on loop; its end completes call. 0 (call answered for
 * from now on), or -1 with an exception (call untouched). */
static int schedule(mica_async_call *call, PyObject *coro, PyObject *loop)
{
	struct pending *p = malloc(sizeof(*p));
	if (!p) {
		PyErr_NoMemory();
		return -1;
	}
	p->call = NULL;
	PyObject *capsule = PyCapsule_New(p, PENDING, pending_free);
	if (!capsule) {
		free(p);
		return -1;
	}
	PyObject *cb = PyCFunction_NewEx(&done_def, capsule, NULL);
	Py_DECREF(capsule);
	PyObject *future = cb ? pm_run_coroutine(coro, loop) : NULL;
	if (!future) {
		Py_XDECREF(cb);
		return -1;
	}
	p->call = call;
	PyObject *r = PyObject_CallMethod(future, "add_done_callback", "O", cb);
	if (!r)
		PyErr_Clear(); /* dropping cb frees the capsule, which fails the call */
	Py_XDECREF(r);
	Py_DECREF(future);
	Py_DECREF(cb);
	return 0;
}

void pm_hostfn_async(mica_async_call *call, void *userdata)
{
	struct pm_hostfn *h = userdata;
	PyGILState_STATE g = PyGILState_Ensure();
	size_t len;
	const char *args = mica_async_args(call, &len);
	PyObject *r = NULL, *t = NULL;
	if (!h->fn)
		PyErr_Format(PyExc_RuntimeError, "host function %s is gone", h->what);
	else if ((t = arguments(args, len, mica_async_is_bytes(call))))
		r = PyObject_Call(h->fn, t, NULL);
	int coro = r ? pm_iscoroutine(r) : -1;
	if (coro == 1) {
		/* its loop: the one given at registration, acall()'s, or the module's */
		struct pm_op *op = pm_current();
		PyObject *loop = h->loop ? h->loop : op && op->loop ? op->loop : pm_default_loop();
		if (!loop || schedule(call, r, loop) < 0) {
			async_fail_exception(call, 1);
			PyObject *c = PyObject_CallMethod(r, "close", NULL); /* never awaited */
			Py_XDECREF(c);
			PyErr_Clear();
		}
	} else if (coro == 0) {
		async_answer(call, r); /* a plain function: its value at once */
	} else {
		async_fail_exception(call, 1);
	}
	Py_XDECREF(t);
	Py_XDECREF(r);
	PyGILState_Release(g);
}

/* ---- console -------------------------------------------------------------- */

void pm_console(void *userdata, int stream, const char *data, size_t len)
{
	pm_sandbox *self = userdata;
	PyGILState_STATE g = PyGILState_Ensure();
	/* a character cut between two writes comes out as U+FFFD */
	PyObject *text = PyUnicode_DecodeUTF8(data, (Py_ssize_t)len, "replace");
	if (!text) {
		PyErr_WriteUnraisable(NULL);
	} else if (!self->console) {
		pm_log_console(stream, text);
	} else {
		PyObject *r = PyObject_CallFunction(self->console, "iO", stream, text);
		if (!r && !pm_stop_for_exception())
			PyErr_WriteUnraisable(self->console);
		Py_XDECREF(r);
	}
	Py_XDECREF(text);
	PyGILState_Release(g);
}

void pm_console_install(pm_sandbox *self)
{
	if (self->console == Py_False)
		mica_sandbox_set_console(self->sb, NULL, NULL);
	else
		mica_sandbox_set_console(self->sb, pm_console, self);
}

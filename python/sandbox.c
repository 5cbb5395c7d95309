/* mica.Sandbox: one guest. Every operation goes through pm_run() (run.c). */
#include <stdlib.h>
#include <string.h>

#include "pymica.h"

PyObject *pm_sandbox_wrap(pm_runtime *rt, mica_sandbox *sb, PyObject *console)
{
	pm_sandbox *self = (pm_sandbox *)PyType_GenericAlloc(pm_sandbox_type, 0);
	if (!self) {
		PyThreadState *ts = PyEval_SaveThread();
		mica_sandbox_free(sb);
		PyEval_RestoreThread(ts);
		return NULL;
	}
	self->sb = sb;
	self->rt = (pm_runtime *)Py_NewRef((PyObject *)rt);
	if (console == Py_None)
		console = rt->console;
	self->console = console ? Py_NewRef(console) : NULL;
	pm_console_install(self);
	return (PyObject *)self;
}

static int sb_traverse(pm_sandbox *self, visitproc visit, void *arg)
{
	Py_VISIT(Py_TYPE((PyObject *)self));
	Py_VISIT(self->rt);
	Py_VISIT(self->console);
	return 0;
}

/* Not the runtime: it must outlive the guest, freed in sb_dealloc. */
static int sb_clear(pm_sandbox *self)
{
	Py_CLEAR(self->console);
	return 0;
}

static void sb_dealloc(pm_sandbox *self)
{
	PyTypeObject *type = Py_TYPE((PyObject *)self);
	PyObject_GC_UnTrack(self);
	if (self->sb) { /* nothing runs it: every operation holds a reference */
		PyThreadState *ts = PyEval_SaveThread();
		mica_sandbox_free(self->sb);
		PyEval_RestoreThread(ts);
	}
	sb_clear(self);
	Py_XDECREF((PyObject *)self->rt);
	freefunc tp_free = PyType_GetSlot(type, Py_tp_free);
	tp_free(self);
	Py_DECREF(type);
}

/* ---- operations (no GIL) -------------------------------------------------- */

static int op_load(struct pm_op *op)
{
	return mica_sandbox_load(op->self->sb, op->name, op->data, op->len, &op->err);
}

static int op_load_bytecode(struct pm_op *op)
{
	return mica_sandbox_load_bytecode(op->self->sb, op->data, op->len, &op->err);
}

static int op_compile(struct pm_op *op)
{
	return mica_sandbox_compile(op->self->sb, op->name, op->data, op->len, &op->out,
				    &op->out_len, &op->err);
}

static int op_call(struct pm_op *op)
{
	if (op->flag)
		return mica_sandbox_call_bytes(op->self->sb, op->name, op->data, op->len, &op->out,
					       &op->out_len, &op->out_bytes, &op->err);
	char *res = NULL;
	int rc = mica_sandbox_call(op->self->sb, op->name, op->data, op->len, &res, &op->out_len,
				   &op->err);
	op->out = res;
	op->out_bytes = !rc && mica_sandbox_result_is_bytes(op->self->sb);
	return rc;
}

static int op_eval(struct pm_op *op)
{
	char *res = NULL;
	int rc = mica_sandbox_eval(op->self->sb, op->name, op->data, op->len, &res, &op->out_len,
				   &op->err);
	op->out = res;
	return rc;
}

static int op_set_timeout(struct pm_op *op)
{
	mica_sandbox_set_timeout(op->self->sb, (uint32_t)op->len);
	return MICA_OK;
}

static int op_set_modules(struct pm_op *op)
{
	return mica_sandbox_set_modules(op->self->sb, op->name, &op->err);
}

static int op_snapshot(struct pm_op *op)
{
	op->out = mica_snapshot_take(op->self->sb, &op->err);
	return op->out ? MICA_OK : op->err.code;
}

static int op_reset(struct pm_op *op)
{
	int rc = mica_sandbox_reset(op->self->sb, &op->err);
	pm_console_install(op->self); /* the reset dropped it */
	op->self->stale_interrupt = 0;
	return rc;
}

static int op_close(struct pm_op *op)
{
	mica_sandbox_free(pm_detach(op->self));
	return MICA_OK;
}

/* Runs op; 0, or -1 with an exception. */
static int run(pm_sandbox *self, struct pm_op *op, pm_op_fn fn, int guest)
{
	op->self = self;
	op->fn = fn;
	op->guest = guest;
	int rc = pm_run(op);
	if (rc > 0) {
		free(op->out);
		op->out = NULL;
		pm_raise(&op->err);
		return -1;
	}
	return rc;
}

/* ---- methods -------------------------------------------------------------- */

static PyObject *sb_load(pm_sandbox *self, PyObject *args, PyObject *kw)
{
	static char *names[] = {"name", "source", NULL};
	const char *name;
	PyObject *source;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "sO:load", names, &name, &source))
		return NULL;
	Py_buffer v;
	if (pm_text_or_bytes(source, &v, "source") < 0)
		return NULL;
	struct pm_op op = {.name = name, .data = v.buf, .len = (size_t)v.len};
	int rc = run(self, &op, op_load, 1);
	PyBuffer_Release(&v);
	if (rc)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *sb_load_bytecode(pm_sandbox *self, PyObject *arg)
{
	Py_buffer v;
	if (PyObject_GetBuffer(arg, &v, PyBUF_SIMPLE) < 0)
		return NULL;
	struct pm_op op = {.data = v.buf, .len = (size_t)v.len};
	int rc = run(self, &op, op_load_bytecode, 1);
	PyBuffer_Release(&v);
	if (rc)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *sb_compile(pm_sandbox *self, PyObject *args, PyObject *kw)
{
	static char *names[] = {"name", "source", NULL};
	const char *name;
	PyObject *source;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "sO:compile", names, &name, &source))
		return NULL;
	Py_buffer v;
	if (pm_text_or_bytes(source, &v, "source") < 0)
		return NULL;
	struct pm_op op = {.name = name, .data = v.buf, .len = (size_t)v.len};
	int rc = run(self, &op, op_compile, 1);
	PyBuffer_Release(&v);
	if (rc)
		return NULL;
	PyObject *r = PyBytes_FromStringAndSize(op.out, (Py_ssize_t)op.out_len);
	free(op.out);
	return r;
}

static PyObject *call(pm_sandbox *self, const char *handler, PyObject *event, PyObject *loop)
{
	struct pm_op op = {.name = handler, .loop = loop};
	Py_buffer v = {0};
	PyObject *json = NULL;
	if (!PyUnicode_Check(event) && PyObject_CheckBuffer(event)) {
		if (PyObject_GetBuffer(event, &v, PyBUF_SIMPLE) < 0)
			return NULL;
		op.data = v.buf;
		op.len = (size_t)v.len;
		op.flag = 1;
	} else {
		Py_ssize_t n;
		if (!(json = pm_dumps(event)) || !(op.data = PyUnicode_AsUTF8AndSize(json, &n))) {
			Py_XDECREF(json);
			return NULL;
		}
		op.len = (size_t)n;
	}
	int rc = run(self, &op, op_call, 1);
	if (op.flag)
		PyBuffer_Release(&v);
	Py_XDECREF(json);
	if (rc)
		return NULL;
	PyObject *r = op.out_bytes ? PyBytes_FromStringAndSize(op.out, (Py_ssize_t)op.out_len)
				   : pm_loads(op.out, op.out_len);
	free(op.out);
	return r;
}

static PyObject *sb_call(pm_sandbox *self, PyObject *args, PyObject *kw)
{
	static char *names[] = {"handler", "event", NULL};
	const char *handler;
	PyObject *event = Py_None;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "s|O:call", names, &handler, &event))
		return NULL;
	return call(self, handler, event, NULL);
}

static PyObject *sb_call_in_loop(pm_sandbox *self, PyObject *args)
{
	const char *handler;
	PyObject *event, *loop;
	if (!PyArg_ParseTuple(args, "sOO:_call_in_loop", &handler, &event, &loop))
		return NULL;
	return call(self, handler, event, loop);
}

static PyObject *sb_acall(pm_sandbox *self, PyObject *args, PyObject *kw)
{
	static char *names[] = {"handler", "event", NULL};
	PyObject *handler, *event = Py_None;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "U|O:acall", names, &handler, &event))
		return NULL;
	PyObject *loop = pm_running_loop();
	if (!loop)
		return NULL;
	PyObject *fn = PyObject_GetAttrString((PyObject *)self, "_call_in_loop");
	PyObject *r = fn ? PyObject_CallMethod(loop, "run_in_executor", "OOOOO", Py_None, fn,
					       handler, event, loop)
			 : NULL;
	Py_XDECREF(fn);
	Py_DECREF(loop);
	return r;
}

static PyObject *sb_eval(pm_sandbox *self, PyObject *args, PyObject *kw)
{
	static char *names[] = {"code", "name", NULL};
	const char *name = "<eval>";
	PyObject *code;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|s:eval", names, &code, &name))
		return NULL;
	Py_buffer v;
	if (pm_text_or_bytes(code, &v, "code") < 0)
		return NULL;
	struct pm_op op = {.name = name, .data = v.buf, .len = (size_t)v.len};
	int rc = run(self, &op, op_eval, 1);
	PyBuffer_Release(&v);
	if (rc)
		return NULL;
	PyObject *r = PyUnicode_DecodeUTF8(op.out ? op.out : "", (Py_ssize_t)op.out_len, "replace");
	free(op.out);
	return r;
}

static PyObject *sb_set_timeout(pm_sandbox *self, PyObject *arg)
{
	unsigned long ms = PyLong_AsUnsignedLong(arg);
	if (PyErr_Occurred())
		return NULL;
	if (ms > UINT32_MAX)
		return PyErr_Format(PyExc_ValueError, "timeout_ms too large");
	struct pm_op op = {.len = ms};
	if (run(self, &op, op_set_timeout, 0))
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *sb_set_modules(pm_sandbox *self, PyObject *arg)
{
	PyObject *dir = NULL;
	if (arg != Py_None && !PyUnicode_FSConverter(arg, &dir))
		return NULL;
	struct pm_op op = {.name = dir ? PyBytes_AsString(dir) : NULL};
	int rc = run(self, &op, op_set_modules, 0);
	Py_XDECREF(dir);
	if (rc)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *sb_interrupt(pm_sandbox *self, PyObject *unused)
{
	(void)unused;
	pm_interrupt(self);
	Py_RETURN_NONE;
}

static PyObject *sb_snapshot(pm_sandbox *self, PyObject *unused)
{
	(void)unused;
	struct pm_op op = {0};
	if (run(self, &op, op_snapshot, 0))
		return NULL;
	return pm_snapshot_wrap(self->rt, op.out);
}

static PyObject *sb_reset(pm_sandbox *self, PyObject *unused)
{
	(void)unused;
	struct pm_op op = {0};
	if (run(self, &op, op_reset, 0))
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *sb_close(pm_sandbox *self, PyObject *unused)
{
	(void)unused;
	struct pm_op op = {0};
	if (run(self, &op, op_close, 0) && self->sb)
		return NULL;
	PyErr_Clear(); /* closed already */
	Py_RETURN_NONE;
}

static PyObject *sb_enter(pm_sandbox *self, PyObject *unused)
{
	(void)unused;
	return Py_NewRef((PyObject *)self);
}

static PyObject *sb_exit(pm_sandbox *self, PyObject *args)
{
	(void)args;
	PyObject *r = sb_close(self, NULL);
	if (!r)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_FALSE;
}

static PyObject *sb_closed(pm_sandbox *self, void *closure)
{
	(void)closure;
	return PyBool_FromLong(self->sb == NULL);
}

static PyObject *sb_runtime(pm_sandbox *self, void *closure)
{
	(void)closure;
	return Py_NewRef((PyObject *)self->rt);
}

#define METHOD(name, fn, flags, doc)                                                               \
	{                                                                                          \
		name, (PyCFunction)(void (*)(void))fn, flags, doc                                  \
	}
static PyMethodDef sb_methods[] = {
    METHOD("load", sb_load, METH_VARARGS | METH_KEYWORDS,
	   "load(name, source)\n--\n\n"
	   "Evaluates source (str or UTF-8 bytes) as the ES module `name`, top-level await\n"
	   "included. A syntax error or an unresolvable import raises InputError, a thrown\n"
	   "exception JSException."),
    METHOD("load_bytecode", sb_load_bytecode, METH_O,
	   "load_bytecode(data)\n--\n\n"
	   "Loads and evaluates a module compiled by compile(), as load() would."),
    METHOD("compile", sb_compile, METH_VARARGS | METH_KEYWORDS,
	   "compile(name, source)\n--\n\n"
	   "Compiles source as the ES module `name` without running it; returns the\n"
	   "bytecode file (bytes) for load_bytecode(). The module stays registered in\n"
	   "this sandbox: compile in a sandbox of its own."),
    METHOD("call", sb_call, METH_VARARGS | METH_KEYWORDS,
	   "call(handler, event=None)\n--\n\n"
	   "Calls the loaded module's export `handler` (else the global function) with\n"
	   "event, awaits a returned promise and returns the result. event and result\n"
	   "cross as JSON; a bytes-like event arrives as a Uint8Array, and a binary\n"
	   "result (ArrayBuffer, typed array, DataView) returns as bytes. Releases the\n"
	   "GIL while the guest runs; from the main thread, Ctrl-C stops the guest\n"
	   "(the sandbox is then dead until reset()) and raises KeyboardInterrupt."),
    METHOD("acall", sb_acall, METH_VARARGS | METH_KEYWORDS,
	   "acall(handler, event=None)\n--\n\n"
	   "call() for asyncio: returns a future of the running loop (await it), with the\n"
	   "call running in the loop's default executor. Async host functions without a\n"
	   "loop of their own run their coroutines on this loop. Cancelling the future\n"
	   "does not stop the guest: interrupt() does."),
    METHOD("_call_in_loop", sb_call_in_loop, METH_VARARGS, NULL),
    METHOD("eval", sb_eval, METH_VARARGS | METH_KEYWORDS,
	   "eval(code, name='<eval>')\n--\n\n"
	   "Evaluates a script; returns its completion value printed as console.log\n"
	   "prints it ('' for undefined)."),
    METHOD("set_timeout", sb_set_timeout, METH_O,
	   "set_timeout(ms)\n--\n\nThe wall-clock limit of the following operations (0: none)."),
    METHOD("set_modules", sb_set_modules, METH_O,
	   "set_modules(path)\n--\n\n"
	   "Lets modules import the files under the directory path (None revokes)."),
    METHOD("interrupt", sb_interrupt, METH_NOARGS,
	   "interrupt()\n--\n\n"
	   "Stops the running (or next) operation with Interrupted, from any thread. A\n"
	   "running guest is left dead (reset() revives a snapshot's sandbox)."),
    METHOD("snapshot", sb_snapshot, METH_NOARGS,
	   "snapshot()\n--\n\nCaptures the sandbox between operations: a Snapshot."),
    METHOD("reset", sb_reset, METH_NOARGS,
	   "reset()\n--\n\n"
	   "Returns a sandbox made from a snapshot to the snapshot (a dead one too); the\n"
	   "module root and set_timeout() are dropped, the console stays. InputError for\n"
	   "a sandbox not made from a snapshot."),
    METHOD("close", sb_close, METH_NOARGS,
	   "close()\n--\n\nFrees the guest now (waits for a running operation)."),
    METHOD("__enter__", sb_enter, METH_NOARGS, NULL),
    METHOD("__exit__", sb_exit, METH_VARARGS, NULL),
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef sb_getset[] = {
    {"closed", (getter)sb_closed, NULL, "True once close() freed the guest.", NULL},
    {"runtime", (getter)sb_runtime, NULL, "The Runtime.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot sb_slots[] = {
    {Py_tp_dealloc, sb_dealloc},
    {Py_tp_traverse, sb_traverse},
    {Py_tp_clear, sb_clear},
    {Py_tp_methods, sb_methods},
    {Py_tp_getset, sb_getset},
    {Py_tp_doc, "A sandbox: one guest with QuickJS inside. Made by Runtime.sandbox() or\n"
		"Snapshot.sandbox(); a context manager that closes it. Usable from any thread:\n"
		"operations on one sandbox run one at a time."},
    {0, NULL},
};

PyType_Spec pm_sandbox_spec = {
    .name = "mica.Sandbox",
    .basicsize = sizeof(pm_sandbox),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = sb_slots,
};

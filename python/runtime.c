/* mica.Runtime: the backend, the guest image and the host functions. */
#include <stdlib.h>
#include <string.h>

#include "pymica.h"

static PyObject *rt_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	static char *names[] = {"backend", "kvm_path", "spares", "console", "guest_image", NULL};
	const char *backend = "auto", *kvm_path = NULL;
	int spares = 0;
	PyObject *console = Py_None, *image = Py_None;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|s$ziOO:Runtime", names, &backend, &kvm_path,
					 &spares, &console, &image))
		return NULL;
	mica_runtime_options o = {.kvm_path = kvm_path, .spares = spares};
	if (!strcmp(backend, "auto"))
		o.backend = MICA_BACKEND_AUTO;
	else if (!strcmp(backend, "kvm"))
		o.backend = MICA_BACKEND_KVM;
	else if (!strcmp(backend, "process"))
		o.backend = MICA_BACKEND_PROCESS;
	else
		return PyErr_Format(PyExc_ValueError,
				    "backend must be 'auto', 'kvm' or 'process', not '%s'",
				    backend);
	if (console != Py_None && console != Py_False && !PyCallable_Check(console))
		return PyErr_Format(PyExc_TypeError, "console must be callable, None or False");
	Py_buffer view = {0};
	if (image != Py_None) {
		if (PyObject_GetBuffer(image, &view, PyBUF_SIMPLE) < 0)
			return NULL;
		o.guest_image = view.buf;
		o.guest_image_len = (size_t)view.len;
	}

	pm_runtime *self = (pm_runtime *)PyType_GenericAlloc(type, 0);
	if (!self) {
		if (view.obj)
			PyBuffer_Release(&view);
		return NULL;
	}
	pthread_rwlock_init(&self->lock, NULL);
	if (console != Py_None)
		self->console = Py_NewRef(console);
	mica_error err = {0};
	PyThreadState *ts = PyEval_SaveThread();
	self->rt = mica_runtime_new(&o, &err);
	PyEval_RestoreThread(ts);
	if (view.obj)
		PyBuffer_Release(&view);
	if (!self->rt) {
		Py_DECREF(self);
		return pm_raise(&err);
	}
	return (PyObject *)self;
}

static int rt_traverse(pm_runtime *self, visitproc visit, void *arg)
{
	Py_VISIT(Py_TYPE((PyObject *)self));
	Py_VISIT(self->console);
	for (struct pm_hostfn *h = self->fns; h; h = h->next) {
		Py_VISIT(h->fn);
		Py_VISIT(h->loop);
	}
	return 0;
}

/* Only the GC clears a runtime, when nothing can run its sandboxes. */
static int rt_clear(pm_runtime *self)
{
	Py_CLEAR(self->console);
	for (struct pm_hostfn *h = self->fns; h; h = h->next) {
		Py_CLEAR(h->fn);
		Py_CLEAR(h->loop);
	}
	return 0;
}

static void rt_dealloc(pm_runtime *self)
{
	PyTypeObject *type = Py_TYPE((PyObject *)self);
	PyObject_GC_UnTrack(self);
	rt_clear(self);
	if (self->rt) { /* its sandboxes and snapshots hold it: they are gone */
		PyThreadState *ts = PyEval_SaveThread();
		mica_runtime_free(self->rt);
		PyEval_RestoreThread(ts);
	}
	while (self->fns) {
		struct pm_hostfn *h = self->fns;
		self->fns = h->next;
		free(h);
	}
	pthread_rwlock_destroy(&self->lock);
	freefunc tp_free = PyType_GetSlot(type, Py_tp_free);
	tp_free(self);
	Py_DECREF(type);
}

static PyObject *do_register(pm_runtime *self, PyObject *args, PyObject *kw, int async)
{
	static char *names[] = {"module", "name", "fn", "loop", NULL};
	static char *sync_names[] = {"module", "name", "fn", NULL};
	const char *module, *name;
	PyObject *fn, *loop = Py_None;
	if (!PyArg_ParseTupleAndKeywords(args, kw, async ? "ssO|$O:register_async" : "ssO:register",
					 async ? names : sync_names, &module, &name, &fn, &loop))
		return NULL;
	if (!PyCallable_Check(fn))
		return PyErr_Format(PyExc_TypeError, "fn must be callable");
	struct pm_hostfn *h = calloc(1, sizeof(*h));
	if (!h)
		return PyErr_NoMemory();
	h->fn = Py_NewRef(fn);
	h->loop = loop == Py_None ? NULL : Py_NewRef(loop);
	snprintf(h->what, sizeof(h->what), "%s.%s", module, name);
	int rc;
	PyThreadState *ts = PyEval_SaveThread();
	pthread_rwlock_wrlock(&self->lock);
	rc = async ? mica_runtime_register_async(self->rt, module, name, pm_hostfn_async, h)
		   : mica_runtime_register(self->rt, module, name, pm_hostfn_sync, h);
	pthread_rwlock_unlock(&self->lock);
	PyEval_RestoreThread(ts);
	if (rc) {
		Py_DECREF(h->fn);
		Py_XDECREF(h->loop);
		free(h);
		char msg[256];
		snprintf(msg, sizeof(msg),
			 rc == MICA_ERR_INVALID ? "cannot register %s.%s: names are identifiers of "
						  "1..64 characters, registered once"
						: "cannot register %s.%s: out of memory",
			 module, name);
		return pm_raise_msg(rc, msg);
	}
	h->next = self->fns;
	self->fns = h;
	Py_RETURN_NONE;
}

static PyObject *rt_register(pm_runtime *self, PyObject *args, PyObject *kw)
{
	return do_register(self, args, kw, 0);
}

static PyObject *rt_register_async(pm_runtime *self, PyObject *args, PyObject *kw)
{
	return do_register(self, args, kw, 1);
}

int pm_console_arg(PyObject *arg, PyObject **out)
{
	if (arg != Py_None && arg != Py_False && !PyCallable_Check(arg)) {
		PyErr_SetString(PyExc_TypeError, "console must be callable, None or False");
		return -1;
	}
	*out = arg;
	return 0;
}

static PyObject *rt_sandbox(pm_runtime *self, PyObject *args, PyObject *kw)
{
	static char *names[] = {"memory_mb",
				"heap_mb",
				"stack_kb",
				"timeout_ms",
				"output_bytes",
				"deterministic",
				"unhandled_rejections",
				"console",
				"modules",
				NULL};
	mica_limits l;
	mica_limits_default(&l);
	Py_ssize_t memory_mb = (Py_ssize_t)(l.memory_bytes >> 20), heap_mb = 0,
		   stack_kb = (Py_ssize_t)(l.stack_bytes >> 10), timeout_ms = l.timeout_ms,
		   output = (Py_ssize_t)l.output_bytes;
	int deterministic = 0;
	const char *rejections = "strict";
	PyObject *console = Py_None, *modules = Py_None;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|$nnnnnpsOO:sandbox", names, &memory_mb,
					 &heap_mb, &stack_kb, &timeout_ms, &output, &deterministic,
					 &rejections, &console, &modules))
		return NULL;
	if (memory_mb < 0 || heap_mb < 0 || stack_kb < 0 || output < 0 || timeout_ms < 0 ||
	    timeout_ms > (Py_ssize_t)UINT32_MAX)
		return PyErr_Format(PyExc_ValueError, "limits must not be negative");
	l.memory_bytes = (size_t)memory_mb << 20;
	l.heap_bytes = (size_t)heap_mb << 20;
	l.stack_bytes = (size_t)stack_kb << 10;
	l.timeout_ms = (uint32_t)timeout_ms;
	l.output_bytes = (size_t)output;
	l.deterministic = deterministic;
	if (!strcmp(rejections, "strict"))
		l.unhandled_rejections = MICA_REJECTIONS_STRICT;
	else if (!strcmp(rejections, "warn"))
		l.unhandled_rejections = MICA_REJECTIONS_WARN;
	else if (!strcmp(rejections, "none"))
		l.unhandled_rejections = MICA_REJECTIONS_NONE;
	else
		return PyErr_Format(PyExc_ValueError,
				    "unhandled_rejections must be 'strict', 'warn' or 'none'");
	if (pm_console_arg(console, &console) < 0)
		return NULL;
	PyObject *dir = NULL;
	if (modules != Py_None && !PyUnicode_FSConverter(modules, &dir))
		return NULL;

	mica_error err = {0};
	mica_sandbox *sb;
	const char *root = dir ? PyBytes_AsString(dir) : NULL;
	PyThreadState *ts = PyEval_SaveThread();
	pthread_rwlock_rdlock(&self->lock);
	sb = mica_sandbox_new(self->rt, &l, &err);
	pthread_rwlock_unlock(&self->lock);
	if (sb && root && mica_sandbox_set_modules(sb, root, &err)) {
		mica_sandbox_free(sb);
		sb = NULL;
	}
	PyEval_RestoreThread(ts);
	Py_XDECREF(dir);
	if (!sb)
		return pm_raise(&err);
	return pm_sandbox_wrap(self, sb, console);
}

static PyObject *rt_snapshot_load(pm_runtime *self, PyObject *arg)
{
	PyObject *path;
	if (!PyUnicode_FSConverter(arg, &path))
		return NULL;
	mica_error err = {0};
	mica_snapshot *snap;
	const char *p = PyBytes_AsString(path);
	PyThreadState *ts = PyEval_SaveThread();
	snap = mica_snapshot_load(self->rt, p, &err);
	PyEval_RestoreThread(ts);
	Py_DECREF(path);
	if (!snap)
		return pm_raise(&err);
	return pm_snapshot_wrap(self, snap);
}

static PyObject *rt_bytecode_check(pm_runtime *self, PyObject *arg)
{
	Py_buffer view;
	if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
		return NULL;
	mica_error err = {0};
	int rc = mica_bytecode_check(self->rt, view.buf, (size_t)view.len, &err);
	PyBuffer_Release(&view);
	if (rc)
		return pm_raise(&err);
	Py_RETURN_NONE;
}

static PyObject *rt_describe(pm_runtime *self, PyObject *unused)
{
	(void)unused;
	char buf[4096];
	mica_runtime_describe(self->rt, buf, sizeof(buf));
	return PyUnicode_DecodeUTF8(buf, (Py_ssize_t)strlen(buf), "replace");
}

static PyObject *rt_backend(pm_runtime *self, void *closure)
{
	(void)closure;
	return PyUnicode_FromString(mica_backend_name(mica_runtime_backend(self->rt)));
}

static PyMethodDef rt_methods[] = {
    {"register", (PyCFunction)(void (*)(void))rt_register, METH_VARARGS | METH_KEYWORDS,
     "register(module, name, fn)\n--\n\n"
     "Makes fn visible to JavaScript as `import { name } from \"host:module\"`, in\n"
     "sandboxes created afterwards. fn receives the JavaScript arguments as Python\n"
     "values (through JSON), or one bytes object when JavaScript passes exactly one\n"
     "binary argument (ArrayBuffer, typed array, DataView). Its result goes back as\n"
     "JSON (None: null), or as a Uint8Array for a bytes-like result. An exception\n"
     "becomes a JavaScript Error with its message. fn runs on the thread that runs\n"
     "the guest (a helper thread for calls from the main thread), with the GIL."},
    {"register_async", (PyCFunction)(void (*)(void))rt_register_async, METH_VARARGS | METH_KEYWORDS,
     "register_async(module, name, fn, *, loop=None)\n--\n\n"
     "Like register(), for a function JavaScript receives a promise from. fn is\n"
     "called as for register(); when it returns a coroutine, the coroutine runs on\n"
     "`loop` if given, else on the running loop of the acall() that runs the guest,\n"
     "else on an event loop of the module's own (a daemon thread, 'mica-asyncio').\n"
     "Its value or exception settles the promise. Never give a loop whose thread\n"
     "waits in a synchronous call() of the same sandbox: it could not run the\n"
     "coroutine (the guest would wait until its timeout)."},
    {"sandbox", (PyCFunction)(void (*)(void))rt_sandbox, METH_VARARGS | METH_KEYWORDS,
     "sandbox(*, memory_mb=64, heap_mb=0, stack_kb=1024, timeout_ms=10000,\n"
     "        output_bytes=1048576, deterministic=False, unhandled_rejections='strict',\n"
     "        console=None, modules=None)\n--\n\n"
     "A new sandbox. heap_mb 0: what memory leaves; timeout_ms 0: none (per\n"
     "operation). console: a function(stream, text) (stream 1 stdout, 2 stderr),\n"
     "None for the runtime's (by default the 'mica' logger: info and warning),\n"
     "False to drop it. modules: a directory the guest may import files from."},
    {"snapshot_load", (PyCFunction)rt_snapshot_load, METH_O,
     "snapshot_load(path)\n--\n\nReads a snapshot file written by Snapshot.save()."},
    {"bytecode_check", (PyCFunction)rt_bytecode_check, METH_O,
     "bytecode_check(data)\n--\n\n"
     "Checks a bytecode file (Sandbox.compile()) without loading it; raises InputError."},
    {"describe", (PyCFunction)rt_describe, METH_NOARGS,
     "describe()\n--\n\nWhat the runtime isolates sandboxes with, one fact per line."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef rt_getset[] = {
    {"backend", (getter)rt_backend, NULL, "'kvm' or 'process': where sandboxes run.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot rt_slots[] = {
    {Py_tp_new, rt_new},
    {Py_tp_dealloc, rt_dealloc},
    {Py_tp_traverse, rt_traverse},
    {Py_tp_clear, rt_clear},
    {Py_tp_methods, rt_methods},
    {Py_tp_getset, rt_getset},
    {Py_tp_doc, "Runtime(backend='auto', *, kvm_path=None, spares=0, console=None, "
		"guest_image=None)\n--\n\n"
		"The backend ('auto': KVM when /dev/kvm opens, else process; 'kvm'; 'process'),\n"
		"the guest image (guest_image: another ELF image, for tests) and the host\n"
		"functions. spares: idle sandboxes (processes, or VMs) kept for snapshot\n"
		"clones (0: 16, negative: none). console: the default of its sandboxes. Raises Unavailable\n"
		"when the backend cannot be used here."},
    {0, NULL},
};

PyType_Spec pm_runtime_spec = {
    .name = "mica.Runtime",
    .basicsize = sizeof(pm_runtime),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = rt_slots,
};

/* The module: exception classes, JSON, logging and asyncio helpers. */
#include <string.h>

#include "pymica.h"

PyObject *pm_error;
static PyObject *code_exc[8]; /* by mica_code; [0] unused */

static PyObject *encode, *decode; /* bound methods of a JSONEncoder and a JSONDecoder */
static PyObject *logger;	  /* logging.getLogger("mica") */
static PyObject *asyncio;	  /* the module */
static PyObject *loop;		  /* pm_default_loop()'s, once started */
static unsigned long main_ident;  /* threading.main_thread().ident */

/* ---- errors --------------------------------------------------------------- */

static const struct {
	const char *name;
	mica_code code;
	const char *doc;
} classes[] = {
    {"JSException", MICA_ERR_JS,
     "An uncaught JavaScript exception. .stack holds its stack trace (the 'at ...' lines)."},
    {"InputError", MICA_ERR_INVALID,
     "A bad argument or input: JSON, a syntax error, an unknown handler, a bad file."},
    {"TimeLimit", MICA_ERR_TIMEOUT,
     "The wall-clock limit (timeout_ms) was reached; the sandbox is dead until reset()."},
    {"MemoryLimit", MICA_ERR_MEMORY, "The JavaScript heap limit was reached."},
    {"GuestFault", MICA_ERR_FAULT,
     "The guest faulted, died or broke the ABI; the sandbox is dead until reset()."},
    {"Unavailable", MICA_ERR_SYSTEM,
     "The backend cannot be used here, or the host is out of resources (MICA_ERR_SYSTEM)."},
    {"Interrupted", MICA_ERR_INTERRUPTED,
     "Sandbox.interrupt() (or a SIGINT whose handler did not raise) stopped the operation;\n"
     "a running guest is dead until reset()."},
};

PyObject *pm_raise_msg(mica_code code, const char *msg)
{
	PyObject *cls = code > 0 && code < 8 && code_exc[code] ? code_exc[code] : pm_error;
	PyObject *text = PyUnicode_DecodeUTF8(msg, (Py_ssize_t)strlen(msg), "replace");
	if (!text)
		return NULL;
	PyObject *exc = PyObject_CallFunctionObjArgs(cls, text, NULL);
	Py_DECREF(text);
	if (!exc)
		return NULL;
	if (code == MICA_ERR_JS) {
		/* QuickJS puts the frames after the message, one "    at" line each */
		const char *at = strstr(msg, "\n    at ");
		PyObject *stack =
		    PyUnicode_DecodeUTF8(at ? at + 1 : "", at ? strlen(at + 1) : 0, "replace");
		int rc = stack ? PyObject_SetAttrString(exc, "stack", stack) : -1;
		Py_XDECREF(stack);
		if (rc < 0) {
			Py_DECREF(exc);
			return NULL;
		}
	}
	PyErr_SetObject(cls, exc);
	Py_DECREF(exc);
	return NULL;
}

PyObject *pm_raise(const mica_error *err)
{
	return pm_raise_msg(err->code, err->message);
}

static int add_exceptions(PyObject *m)
{
	pm_error = PyErr_NewExceptionWithDoc(
	    "mica.Error", "Base class of mica's errors; .code is the mica_code.", NULL, NULL);
	if (!pm_error || PyModule_AddObjectRef(m, "Error", pm_error) < 0)
		return -1;
	PyObject *none = Py_None;
	if (PyObject_SetAttrString(pm_error, "code", none) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		char qual[64];
		snprintf(qual, sizeof(qual), "mica.%s", classes[i].name);
		PyObject *dict = Py_BuildValue("{s:i}", "code", (int)classes[i].code);
		if (!dict)
			return -1;
		if (classes[i].code == MICA_ERR_JS && PyDict_SetItemString(dict, "stack", none) < 0)
			return -1;
		PyObject *cls = PyErr_NewExceptionWithDoc(qual, classes[i].doc, pm_error, dict);
		Py_DECREF(dict);
		if (!cls || PyModule_AddObjectRef(m, classes[i].name, cls) < 0)
			return -1;
		code_exc[classes[i].code] = cls;
	}
	return 0;
}

/* ---- helpers -------------------------------------------------------------- */

static PyObject *attr_of(const char *module, const char *name)
{
	PyObject *m = PyImport_ImportModule(module);
	if (!m)
		return NULL;
	PyObject *a = PyObject_GetAttrString(m, name);
	Py_DECREF(m);
	return a;
}

PyObject *pm_dumps(PyObject *v)
{
	return PyObject_CallFunctionObjArgs(encode, v, NULL);
}

PyObject *pm_loads(const char *text, size_t len)
{
	PyObject *s = PyUnicode_DecodeUTF8(text, (Py_ssize_t)len, "replace");
	if (!s)
		return NULL;
	PyObject *v = PyObject_CallFunctionObjArgs(decode, s, NULL);
	Py_DECREF(s);
	return v;
}

void pm_exception_text(char *buf, size_t len)
{
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	PyObject *s = value ? PyObject_Str(value) : NULL;
	Py_ssize_t n = 0;
	const char *text = s ? PyUnicode_AsUTF8AndSize(s, &n) : NULL;
	if (!text || n == 0) { /* no message: the class's name says what */
		Py_XDECREF(s);
		PyErr_Clear();
		s = type ? PyObject_GetAttrString(type, "__name__") : NULL;
		text = s ? PyUnicode_AsUTF8AndSize(s, &n) : NULL;
	}
	snprintf(buf, len, "%s", text ? text : "exception in a host function");
	PyErr_Clear();
	Py_XDECREF(s);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
}

int pm_main_thread(void)
{
	return PyThread_get_thread_ident() == main_ident;
}

void pm_log_console(int stream, PyObject *text)
{
	/* one record per write, without the newline console.log ends it with */
	Py_ssize_t n = PyUnicode_GetLength(text);
	PyObject *line = NULL;
	if (n > 0 && PyUnicode_ReadChar(text, n - 1) == '\n')
		line = PyUnicode_Substring(text, 0, n - 1);
	PyObject *r =
	    PyObject_CallMethod(logger, stream == 2 ? "warning" : "info", "O", line ? line : text);
	if (!r)
		PyErr_WriteUnraisable(logger);
	Py_XDECREF(r);
	Py_XDECREF(line);
}

PyObject *pm_default_loop(void)
{
	if (loop)
		return loop;
	PyObject *l = PyObject_CallMethod(asyncio, "new_event_loop", NULL);
	if (!l)
		return NULL;
	if (loop) { /* another thread made one while this one ran Python code */
		PyObject *r = PyObject_CallMethod(l, "close", NULL);
		Py_XDECREF(r);
		PyErr_Clear();
		Py_DECREF(l);
		return loop;
	}
	loop = l; /* no Python code ran between the test and this */
	PyObject *cls = attr_of("threading", "Thread");
	PyObject *run = PyObject_GetAttrString(l, "run_forever");
	PyObject *kw = run ? Py_BuildValue("{s:O,s:s,s:O}", "target", run, "name", "mica-asyncio",
					   "daemon", Py_True)
			   : NULL;
	PyObject *empty = PyTuple_New(0);
	PyObject *t = cls && kw && empty ? PyObject_Call(cls, empty, kw) : NULL;
	PyObject *r = t ? PyObject_CallMethod(t, "start", NULL) : NULL;
	Py_XDECREF(cls);
	Py_XDECREF(run);
	Py_XDECREF(kw);
	Py_XDECREF(empty);
	Py_XDECREF(t);
	if (!r) {
		loop = NULL;
		Py_DECREF(l);
		return NULL;
	}
	Py_DECREF(r);
	return loop;
}

PyObject *pm_running_loop(void)
{
	return PyObject_CallMethod(asyncio, "get_running_loop", NULL);
}

int pm_iscoroutine(PyObject *v)
{
	PyObject *r = PyObject_CallMethod(asyncio, "iscoroutine", "O", v);
	if (!r)
		return -1;
	int yes = PyObject_IsTrue(r);
	Py_DECREF(r);
	return yes;
}

PyObject *pm_run_coroutine(PyObject *coro, PyObject *l)
{
	return PyObject_CallMethod(asyncio, "run_coroutine_threadsafe", "OO", coro, l);
}

int pm_text_or_bytes(PyObject *o, Py_buffer *view, const char *what)
{
	if (PyUnicode_Check(o)) {
		Py_ssize_t n;
		const char *s = PyUnicode_AsUTF8AndSize(o, &n);
		if (!s)
			return -1;
		return PyBuffer_FillInfo(view, o, (void *)s, n, 1, PyBUF_SIMPLE);
	}
	if (PyObject_CheckBuffer(o))
		return PyObject_GetBuffer(o, view, PyBUF_SIMPLE);
	PyErr_Format(PyExc_TypeError, "%s must be str or bytes-like", what);
	return -1;
}

/* ---- the module ----------------------------------------------------------- */

static int init_helpers(void)
{
	PyObject *cls = attr_of("json", "JSONEncoder");
	if (!cls)
		return -1;
	/* compact, UTF-8 as is, and no NaN (JSON.parse would refuse it) */
	PyObject *kw = Py_BuildValue("{s:O,s:(ss),s:O}", "ensure_ascii", Py_False, "separators",
				     ",", ":", "allow_nan", Py_False);
	PyObject *empty = PyTuple_New(0);
	PyObject *enc = kw && empty ? PyObject_Call(cls, empty, kw) : NULL;
	Py_DECREF(cls);
	Py_XDECREF(kw);
	Py_XDECREF(empty);
	if (!enc)
		return -1;
	encode = PyObject_GetAttrString(enc, "encode");
	Py_DECREF(enc);
	PyObject *dec = (cls = attr_of("json", "JSONDecoder")) ? PyObject_CallNoArgs(cls) : NULL;
	Py_XDECREF(cls);
	decode = dec ? PyObject_GetAttrString(dec, "decode") : NULL;
	Py_XDECREF(dec);

	PyObject *get = attr_of("logging", "getLogger");
	logger = get ? PyObject_CallFunction(get, "s", "mica") : NULL;
	Py_XDECREF(get);
	asyncio = PyImport_ImportModule("asyncio");

	PyObject *main_thread = attr_of("threading", "main_thread");
	PyObject *t = main_thread ? PyObject_CallNoArgs(main_thread) : NULL;
	PyObject *ident = t ? PyObject_GetAttrString(t, "ident") : NULL;
	if (ident)
		main_ident = PyLong_AsUnsignedLong(ident);
	Py_XDECREF(main_thread);
	Py_XDECREF(t);
	Py_XDECREF(ident);
	if (!encode || !decode || !logger || !asyncio || !ident || PyErr_Occurred())
		return -1;
	return 0;
}

static const char doc[] =
    "Run untrusted JavaScript (QuickJS) in sandboxes: KVM micro-VMs or confined processes.\n\n"
    "    rt = mica.Runtime(backend='auto')\n"
    "    rt.register('kv', 'get', lambda key: store.get(key))\n"
    "    with rt.sandbox(memory_mb=64, timeout_ms=1000) as sb:\n"
    "        sb.load('plugin.js', source)\n"
    "        sb.call('handler', {'x': 1})\n\n"
    "Values cross as JSON; bytes-like objects cross as raw bytes (Uint8Array in\n"
    "JavaScript). Errors are mica.Error subclasses, one per mica_code. See\n"
    "python/README.md.";

static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "mica",
    .m_doc = doc,
    .m_size = -1,
};

PyTypeObject *pm_runtime_type, *pm_sandbox_type, *pm_snapshot_type;
extern PyType_Spec pm_runtime_spec, pm_sandbox_spec, pm_snapshot_spec;

PyMODINIT_FUNC PyInit_mica(void)
{
	if (pm_run_init()) {
		PyErr_SetString(PyExc_OSError, "mica: cannot set up its threads");
		return NULL;
	}
	PyObject *m = PyModule_Create(&def);
	if (!m)
		return NULL;
	if (add_exceptions(m) < 0 || init_helpers() < 0)
		goto fail;
	struct {
		PyType_Spec *spec;
		PyTypeObject **type;
		const char *name;
	} types[] = {{&pm_runtime_spec, &pm_runtime_type, "Runtime"},
		     {&pm_sandbox_spec, &pm_sandbox_type, "Sandbox"},
		     {&pm_snapshot_spec, &pm_snapshot_type, "Snapshot"}};
	for (size_t i = 0; i < 3; i++) {
		*types[i].type = (PyTypeObject *)PyType_FromModuleAndSpec(m, types[i].spec, NULL);
		if (!*types[i].type ||
		    PyModule_AddObjectRef(m, types[i].name, (PyObject *)*types[i].type) < 0)
			goto fail;
	}
	if (PyModule_AddStringConstant(m, "__version__", MICA_VERSION) < 0)
		goto fail;
	return m;
fail:
	Py_DECREF(m);
	return NULL;
}

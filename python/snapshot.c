/* mica.Snapshot: a captured sandbox, to make sandboxes from and save. */
#include <string.h>

#include "pymica.h"

PyObject *pm_snapshot_wrap(pm_runtime *rt, mica_snapshot *snap)
{
	pm_snapshot *self = (pm_snapshot *)PyType_GenericAlloc(pm_snapshot_type, 0);
	if (!self) {
		mica_snapshot_free(snap);
		return NULL;
	}
	self->snap = snap;
	self->rt = (pm_runtime *)Py_NewRef((PyObject *)rt);
	return (PyObject *)self;
}

static int snap_traverse(pm_snapshot *self, visitproc visit, void *arg)
{
	Py_VISIT(Py_TYPE((PyObject *)self));
	Py_VISIT(self->rt);
	return 0;
}

static void snap_dealloc(pm_snapshot *self)
{
	PyTypeObject *type = Py_TYPE((PyObject *)self);
	PyObject_GC_UnTrack(self);
	mica_snapshot_free(self->snap); /* its sandboxes keep their own reference */
	Py_XDECREF((PyObject *)self->rt);
	freefunc tp_free = PyType_GetSlot(type, Py_tp_free);
	tp_free(self);
	Py_DECREF(type);
}

static PyObject *snap_sandbox(pm_snapshot *self, PyObject *args, PyObject *kw)
{
	static char *names[] = {"console", NULL};
	PyObject *console = Py_None;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|$O:sandbox", names, &console) ||
	    pm_console_arg(console, &console) < 0)
		return NULL;
	mica_error err = {0};
	PyThreadState *ts = PyEval_SaveThread();
	pthread_rwlock_rdlock(&self->rt->lock);
	mica_sandbox *sb = mica_sandbox_from_snapshot(self->rt->rt, self->snap, &err);
	pthread_rwlock_unlock(&self->rt->lock);
	PyEval_RestoreThread(ts);
	if (!sb)
		return pm_raise(&err);
	return pm_sandbox_wrap(self->rt, sb, console);
}

static PyObject *snap_save(pm_snapshot *self, PyObject *arg)
{
	PyObject *path;
	if (!PyUnicode_FSConverter(arg, &path))
		return NULL;
	const char *p = PyBytes_AsString(path);
	mica_error err = {0};
	PyThreadState *ts = PyEval_SaveThread();
	int rc = mica_snapshot_save(self->snap, p, &err);
	PyEval_RestoreThread(ts);
	Py_DECREF(path);
	if (rc)
		return pm_raise(&err);
	Py_RETURN_NONE;
}

static PyMethodDef snap_methods[] = {
    {"sandbox", (PyCFunction)(void (*)(void))snap_sandbox, METH_VARARGS | METH_KEYWORDS,
     "sandbox(*, console=None)\n--\n\n"
     "A new sandbox that resumes the snapshot (copy-on-write memory, fresh entropy\n"
     "and time), with the limits captured. reset() brings it back here."},
    {"save", (PyCFunction)snap_save, METH_O,
     "save(path)\n--\n\nWrites the snapshot to a file, for Runtime.snapshot_load()."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot snap_slots[] = {
    {Py_tp_dealloc, snap_dealloc},
    {Py_tp_traverse, snap_traverse},
    {Py_tp_methods, snap_methods},
    {Py_tp_doc, "A sandbox captured by Sandbox.snapshot() or read by Runtime.snapshot_load()."},
    {0, NULL},
};

PyType_Spec pm_snapshot_spec = {
    .name = "mica.Snapshot",
    .basicsize = sizeof(pm_snapshot),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = snap_slots,
};

/* Host functions: `import { f } from "host:module"` and the MICA_HC_HOSTCALL. */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

struct hostfn {
	const char *module;
	const char *name;
	int async; /* returns a promise (MICA_HC_ASYNC) */
};
static struct hostfn *hostfns;
static uint32_t hostfn_count;
JSValue error_ctor;

JSValue uint8array_ctor;

int mica_bytes_of(JSValueConst v, const uint8_t **p, size_t *len)
{
	uint8_t *b;
	int r = JS_GetBinaryBytes(ctx, v, &b, len);
	*p = b;
	return r;
}

JSValue mica_new_bytes(JSContext *c, const void *p, size_t len)
{
	JSValue ab = JS_NewArrayBufferCopy(c, p, len); /* zeroed when p is NULL */
	if (JS_IsException(ab))
		return ab;
	JSValue u8 = JS_CallConstructor(c, uint8array_ctor, 1, &ab);
	JS_FreeValue(c, ab);
	return u8;
}

/* The arguments of a host call: a single ArrayBuffer, typed array or
 * DataView travels as its bytes, in place (*json stays NULL); anything else
 * as the JSON text of the argument array (*json, to free with
 * JS_FreeCString). -1 with an exception pending. */
struct hostargs {
	const char *data;
	size_t len;
	uint32_t kind;
	const char *json;
};

static int host_args(JSContext *c, int argc, JSValueConst *argv, struct hostargs *a)
{
	memset(a, 0, sizeof(*a));
	if (argc == 1) {
		const uint8_t *p;
		int r = mica_bytes_of(argv[0], &p, &a->len);
		if (r < 0)
			return -1;
		if (r > 0) {
			a->data = (const char *)p;
			a->kind = MICA_KIND_BYTES;
			return 0;
		}
	}
	JSValue arr = JS_NewArray(c);
	if (JS_IsException(arr))
		return -1;
	for (int i = 0; i < argc; i++)
		JS_SetPropertyUint32(c, arr, (uint32_t)i, JS_DupValue(c, argv[i]));
	JSValue json = JS_JSONStringify(c, arr, JS_UNDEFINED, JS_UNDEFINED);
	JS_FreeValue(c, arr);
	if (JS_IsException(json))
		return -1;
	a->json = JS_ToCStringLen(c, &a->len, json);
	JS_FreeValue(c, json);
	if (!a->json)
		return -1;
	a->data = a->json;
	a->kind = MICA_KIND_JSON;
	return 0;
}

/* An async host function: the arguments go with MICA_HC_ASYNC, a promise
 * comes back (settled by timers.c when the completion arrives). */
static JSValue js_hostcall_async(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv,
				 int fn)
{
	(void)this_val;
	struct hostargs a;
	if (host_args(c, argc, argv, &a) < 0)
		return JS_EXCEPTION;
	JSValue p = mica_async_start(c, fn, a.data, a.len, a.kind);
	JS_FreeCString(c, a.json);
	return p;
}

static JSValue js_hostcall(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv,
			   int fn)
{
	(void)this_val;
	struct hostargs a;
	if (host_args(c, argc, argv, &a) < 0)
		return JS_EXCEPTION;
	struct mica_hc_hostcall hc = {.fn = (uint32_t)fn,
				      .args = (uint64_t)(uintptr_t)a.data,
				      .args_len = a.len,
				      .args_kind = a.kind};
	mica_console_flush(); /* keep output ordered around the host's side effects */
	mica_hypercall(MICA_HC_HOSTCALL, &hc, sizeof(hc));
	JS_FreeCString(c, a.json);

	const char *res = (const char *)MICA_GPA_IN;
	size_t rlen = hc.result_len < MICA_IN_SIZE ? hc.result_len : 0;
	if (hc.failed) {
		JSValue msg = JS_NewStringLen(c, res, rlen);
		JSValue err = JS_CallConstructor(c, error_ctor, 1, &msg);
		JS_FreeValue(c, msg);
		return JS_IsException(err) ? err : JS_Throw(c, err);
	}
	/* one copy, into the JS heap: the request buffer is reused */
	if (hc.result_kind == MICA_KIND_BYTES)
		return mica_new_bytes(c, res, rlen);
	if (rlen == 0)
		return JS_UNDEFINED;
	return JS_ParseJSON(c, res, rlen, "<host function result>");
}

static int host_module_init(JSContext *c, JSModuleDef *m)
{
	JSAtom atom = JS_GetModuleName(c, m);
	const char *mname = JS_AtomToCString(c, atom);
	JS_FreeAtom(c, atom);
	if (!mname)
		return -1;
	int ret = 0;
	for (uint32_t i = 0; i < hostfn_count && ret == 0; i++) {
		if (strcmp(hostfns[i].module, mname + 5) != 0)
			continue;
		JSValue f =
		    JS_NewCFunctionMagic(c, hostfns[i].async ? js_hostcall_async : js_hostcall,
					 hostfns[i].name, 0, JS_CFUNC_generic_magic, (int)i);
		ret = JS_SetModuleExport(c, m, hostfns[i].name, f);
	}
	JS_FreeCString(c, mname);
	return ret;
}

/* The module `host:NAME` exporting the functions registered under NAME. */
JSModuleDef *mica_host_module(JSContext *c, const char *name)
{
	JSModuleDef *m = NULL;
	for (uint32_t i = 0; i < hostfn_count; i++) {
		if (strcmp(hostfns[i].module, name + 5) != 0)
			continue;
		if (!m && !(m = JS_NewCModule(c, name, host_module_init)))
			return NULL;
		if (JS_AddModuleExport(c, m, hostfns[i].name) < 0)
			return NULL;
	}
	if (!m)
		JS_ThrowReferenceError(
		    c,
		    "could not load module '%s': the host registered no functions "
		    "in module '%s'",
		    name, name + 5);
	return m;
}

/* The table arrives in MICA_GPA_IN at boot: "module\0name\0" per function. */
void mica_hostfns_init(const struct mica_boot_info *bi)
{
	if (bi->hostfn_count == 0)
		return;
	if (bi->hostfn_table_len > MICA_IN_SIZE)
		mica_guest_exit(2, "host function table too large");
	char *tab = malloc(bi->hostfn_table_len);
	hostfns = calloc(bi->hostfn_count, sizeof(*hostfns));
	if (!tab || !hostfns)
		mica_guest_exit(2, "out of memory at boot");
	memcpy(tab, (const void *)MICA_GPA_IN, bi->hostfn_table_len);
	const char *p = tab, *end = tab + bi->hostfn_table_len;
	for (uint32_t i = 0; i < bi->hostfn_count; i++) {
		for (int k = 0; k < 2; k++) {
			const char *z = memchr(p, 0, (size_t)(end - p));
			if (!z)
				mica_guest_exit(2, "malformed host function table");
			if (k == 0)
				hostfns[i].module = p;
			else
				hostfns[i].name = p;
			p = z + 1;
		}
	}
	/* then one kind byte per function (1 = async) */
	for (uint32_t i = 0; i < bi->hostfn_count && p < end; i++)
		hostfns[i].async = *p++ == 1;
	hostfn_count = bi->hostfn_count;
}

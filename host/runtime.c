/* mica_runtime: KVM, the guest image and the host function registry. */
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

extern const uint8_t mica_guest_image[];
extern const uint8_t mica_guest_image_end[];

mica_runtime *mica_runtime_new(const mica_runtime_options *opts, mica_error *err)
{
	mica_runtime *rt = calloc(1, sizeof(*rt));
	if (!rt) {
		mica_err(err, MICA_ERR_SYSTEM, "out of memory");
		return NULL;
	}
	rt->kvm.fd = -1;
	const void *img = mica_guest_image;
	size_t len = (size_t)(mica_guest_image_end - mica_guest_image);
	if (opts && opts->guest_image) {
		rt->image_data = malloc(opts->guest_image_len ? opts->guest_image_len : 1);
		if (!rt->image_data) {
			mica_err(err, MICA_ERR_SYSTEM, "out of memory");
			goto fail;
		}
		memcpy(rt->image_data, opts->guest_image, opts->guest_image_len);
		img = rt->image_data;
		len = opts->guest_image_len;
	}
	if (mica_image_parse(&rt->image, img, len, err))
		goto fail;
	mica_sha256(img, len, rt->image_sha256);
	if (mica_kvm_open(&rt->kvm, opts && opts->kvm_path ? opts->kvm_path : "/dev/kvm", err))
		goto fail;
	return rt;
fail:
	mica_runtime_free(rt);
	return NULL;
}

void mica_runtime_free(mica_runtime *rt)
{
	if (!rt)
		return;
	if (rt->kvm.fd >= 0)
		mica_kvm_close(&rt->kvm);
	free(rt->image_data);
	free(rt->fns);
	free(rt);
}

int mica_hostfn_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > MICA_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
			 (i > 0 && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
		if (!ok)
			return 0;
	}
	return 1;
}

static int valid_name(const char *s)
{
	return s && mica_hostfn_name_ok(s, strlen(s));
}

int mica_runtime_register(mica_runtime *rt, const char *module, const char *name, mica_host_fn fn,
			  void *userdata)
{
	if (!fn)
		return MICA_ERR_INVALID;
	return mica_hostfn_add(rt, module, name, fn, NULL, userdata);
}

int mica_hostfn_add(mica_runtime *rt, const char *module, const char *name, mica_host_fn fn,
		    mica_async_fn afn, void *userdata)
{
	if (!rt || !valid_name(module) || !valid_name(name) || strchr(name, '-') ||
	    strchr(name, '.'))
		return MICA_ERR_INVALID;
	for (size_t i = 0; i < rt->nfns; i++)
		if (!strcmp(rt->fns[i].module, module) && !strcmp(rt->fns[i].name, name))
			return MICA_ERR_INVALID;
	struct mica_hostfn *fns = realloc(rt->fns, (rt->nfns + 1) * sizeof(*fns));
	if (!fns)
		return MICA_ERR_SYSTEM;
	rt->fns = fns;
	struct mica_hostfn *f = &fns[rt->nfns++];
	memset(f, 0, sizeof(*f));
	strcpy(f->module, module);
	strcpy(f->name, name);
	f->fn = fn;
	f->afn = afn;
	f->userdata = userdata;
	return MICA_OK;
}

int mica_hostfns_copy(struct mica_hostfn **dst, size_t *dst_n, const struct mica_hostfn *src, size_t n,
		      mica_error *err)
{
	*dst = NULL;
	*dst_n = 0;
	if (!n)
		return 0;
	*dst = malloc(n * sizeof(*src));
	if (!*dst)
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	memcpy(*dst, src, n * sizeof(*src));
	*dst_n = n;
	return 0;
}

const char *mica_hostcall_args(const mica_hostcall *call, size_t *len)
{
	if (len)
		*len = call->args_len;
	return call->args;
}

int mica_hostcall_is_bytes(const mica_hostcall *call)
{
	return call->args_kind == MICA_KIND_BYTES;
}

static int hostcall_answer(mica_hostcall *call, const void *s, size_t len, int failed, uint32_t kind)
{
	if (len >= MICA_IN_SIZE)
		return MICA_ERR_INVALID;
	if (call->out) { /* into the guest's request buffer: no copy of our own */
		if (len >= call->out_cap)
			return MICA_ERR_INVALID;
		if (len)
			memmove(call->out, s, len);
		call->out[len] = 0;
		if (len + 1 > call->out_max)
			call->out_max = len + 1;
		call->result_len = len;
		call->result_kind = kind;
		call->failed = failed;
		call->answered = 1;
		return MICA_OK;
	}
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return MICA_ERR_SYSTEM;
	if (len)
		memcpy(copy, s, len);
	free(call->result);
	call->result = copy;
	call->result_len = len;
	call->result_kind = kind;
	call->failed = failed;
	call->answered = 1;
	return MICA_OK;
}

int mica_hostcall_return(mica_hostcall *call, const char *json, size_t len)
{
	return hostcall_answer(call, json, json ? len : 0, 0, MICA_KIND_JSON);
}

int mica_hostcall_return_bytes(mica_hostcall *call, const void *data, size_t len)
{
	if (!data && len)
		return MICA_ERR_INVALID;
	return hostcall_answer(call, data, len, 0, MICA_KIND_BYTES);
}

int mica_hostcall_fail(mica_hostcall *call, const char *message)
{
	if (!message)
		message = "host function failed";
	return hostcall_answer(call, message, strlen(message), 1, MICA_KIND_JSON);
}

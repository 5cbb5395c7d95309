/* mica_runtime: the backend, the guest image and the host function registry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

extern const uint8_t mica_guest_image[];
extern const uint8_t mica_guest_image_end[];

const char *mica_backend_name(mica_backend backend)
{
	switch (backend) {
	case MICA_BACKEND_AUTO: return "auto";
	case MICA_BACKEND_KVM: return "kvm";
	case MICA_BACKEND_PROCESS: return "process";
	}
	return "unknown";
}

/* Opens backend b for rt; on failure err says why. */
static int open_backend(mica_runtime *rt, mica_backend b, const mica_runtime_options *opts,
			mica_error *err)
{
	const struct mica_backend_ops *ops = b == MICA_BACKEND_KVM ? &mica_kvm_ops : &mica_proc_ops;
	if (b == MICA_BACKEND_PROCESS && !rt->image.proc)
		return mica_err(
		    err, MICA_ERR_SYSTEM,
		    "process backend unavailable: the guest image has no process stubs");
	int rc = ops->open(opts, &rt->bk, err);
	if (rc)
		return rc;
	rt->ops = ops;
	rt->backend = b;
	return 0;
}

mica_runtime *mica_runtime_new(const mica_runtime_options *opts, mica_error *err)
{
	mica_backend want = opts ? opts->backend : MICA_BACKEND_AUTO;
	if (want != MICA_BACKEND_AUTO && want != MICA_BACKEND_KVM && want != MICA_BACKEND_PROCESS) {
		mica_err(err, MICA_ERR_INVALID, "unknown backend %d", (int)want);
		return NULL;
	}
	mica_runtime *rt = calloc(1, sizeof(*rt));
	if (!rt) {
		mica_err(err, MICA_ERR_SYSTEM, "out of memory");
		return NULL;
	}
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
	if (want != MICA_BACKEND_PROCESS) {
		mica_error kvm_err;
		if (open_backend(rt, MICA_BACKEND_KVM, opts, &kvm_err) == 0)
			return rt;
		if (want == MICA_BACKEND_KVM) { /* never a silent fallback */
			if (err)
				*err = kvm_err;
			goto fail;
		}
		snprintf(rt->kvm_why, sizeof(rt->kvm_why), "%.250s", kvm_err.message);
	}
	if (open_backend(rt, MICA_BACKEND_PROCESS, opts, err))
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
	if (rt->ops)
		rt->ops->close(rt->bk);
	free(rt->image_data);
	free(rt->fns);
	free(rt);
}

mica_backend mica_runtime_backend(const mica_runtime *rt)
{
	return rt->backend;
}

void mica_runtime_describe(const mica_runtime *rt, char *buf, size_t len)
{
	if (!len)
		return;
	buf[0] = 0;
	size_t n = 0;
	if (rt->kvm_why[0])
		n = (size_t)snprintf(buf, len, "kvm not used: %s\n", rt->kvm_why);
	if (n < len)
		rt->ops->describe(rt->bk, buf + n, len - n);
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

int mica_hostfns_copy(struct mica_hostfn **dst, size_t *dst_n, const struct mica_hostfn *src,
		      size_t n, mica_error *err)
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

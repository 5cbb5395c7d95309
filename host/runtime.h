/* mica_runtime: the backend, the guest image and the host function registry. */
#ifndef MICA_HOST_RUNTIME_H
#define MICA_HOST_RUNTIME_H

#include "backend.h"
#include "image.h"
#include "sha256.h"

#define MICA_NAME_MAX 64

struct mica_hostfn {
	char module[MICA_NAME_MAX + 1];
	char name[MICA_NAME_MAX + 1];
	mica_host_fn fn;   /* sync, or NULL */
	mica_async_fn afn; /* async (host/async.c), or NULL */
	void *userdata;
};

struct mica_runtime {
	const struct mica_backend_ops *ops;
	mica_backend backend;
	void *bk;	     /* the backend's state */
	char kvm_why[256];   /* AUTO chose the process backend: why not KVM */
	uint8_t *image_data; /* owned copy when not the built-in image */
	struct mica_image image;
	uint8_t image_sha256[MICA_SHA256_LEN]; /* names the image in snapshot and bytecode files */
	struct mica_hostfn *fns;
	size_t nfns;
};

/* Adds one function (exactly one of fn, afn) to the registry. */
int mica_hostfn_add(mica_runtime *rt, const char *module, const char *name, mica_host_fn fn,
		    mica_async_fn afn, void *userdata);

/* 1 if s[0..n) is a valid module or function name (1..64 identifier chars;
 * module names may also hold '-' and '.'). */
int mica_hostfn_name_ok(const char *s, size_t n);

/* Copies a host function table (n may be 0: *dst stays NULL). */
int mica_hostfns_copy(struct mica_hostfn **dst, size_t *dst_n, const struct mica_hostfn *src,
		      size_t n, mica_error *err);

#endif

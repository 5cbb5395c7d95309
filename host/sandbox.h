/* Internal state of the public objects in mica.h. */
#ifndef MICA_HOST_SANDBOX_H
#define MICA_HOST_SANDBOX_H

#include <stdatomic.h>

#include "boot.h"
#include "image.h"
#include "sha256.h"
#include "vm.h"

#define MICA_NAME_MAX 64

struct mica_hostfn {
	char module[MICA_NAME_MAX + 1];
	char name[MICA_NAME_MAX + 1];
	mica_host_fn fn;   /* sync, or NULL */
	mica_async_fn afn; /* async (host/hostcall.c), or NULL */
	void *userdata;
};

/* Adds one function (exactly one of fn, afn) to the registry. */
int mica_hostfn_add(mica_runtime *rt, const char *module, const char *name, mica_host_fn fn,
		    mica_async_fn afn, void *userdata);

/* 1 if s[0..n) is a valid module or function name (1..64 identifier chars;
 * module names may also hold '-' and '.'). */
int mica_hostfn_name_ok(const char *s, size_t n);

/* A zeroed sandbox of rt with no VM yet (fds -1), or NULL (err filled). */
mica_sandbox *mica_sandbox_alloc(mica_runtime *rt, mica_error *err);

/* Copies a host function table (n may be 0: *dst stays NULL). */
int mica_hostfns_copy(struct mica_hostfn **dst, size_t *dst_n, const struct mica_hostfn *src, size_t n,
		      mica_error *err);

struct mica_runtime {
	struct mica_kvm kvm;
	uint8_t *image_data; /* owned copy when not the built-in image */
	struct mica_image image;
	uint8_t image_sha256[MICA_SHA256_LEN]; /* names the image in snapshot files */
	struct mica_hostfn *fns;
	size_t nfns;
};

/* Guest memory (a memfd holding only the pages ever touched) and the parked
 * vCPU, shared read-only by every sandbox made from it. */
struct mica_snapshot {
	atomic_int refs; /* the owner's, plus one per sandbox made from it */
	int memfd;
	const uint8_t *ref; /* read-only shared view of memfd, for resets */
	uint64_t pages;     /* pages stored */
	mica_limits limits;
	struct mica_layout layout;
	struct mica_vm_state cpu;
	uint64_t wait_gpa;
	struct mica_hostfn *fns; /* the host functions the guest knows, in its order */
	size_t nfns;
	uint8_t image_sha256[MICA_SHA256_LEN]; /* the guest image it was made with */
};

struct mica_sandbox {
	mica_runtime *rt;
	mica_snapshot *snap; /* what reset returns to; NULL for booted sandboxes */
	struct mica_vm vm;
	struct mica_layout layout;
	mica_limits limits;
	struct mica_hostfn *fns; /* the registry as it was at creation */
	size_t nfns;
	mica_console_fn console;
	void *console_data;
	int module_root; /* directory fd user modules are read from, or -1 */
	uint64_t wait_gpa; /* the guest's parked MICA_HC_WAIT structure */
	uint64_t output;   /* console bytes in this operation */
	mica_code dead;    /* non-zero once the guest cannot be resumed */
	int result_bytes;  /* the last operation was a call that returned bytes */
	atomic_int interrupt;
	atomic_int runner; /* tid running the guest, 0 if none */
	struct mica_async *_Atomic async; /* completion queue (host/hostcall.c) */
};

/* Sends one request (op, name, data[0..len)) to the guest and runs it; on
 * MICA_OK *result (if wanted) is the guest's reply, malloc'd, with a NUL
 * after result_len bytes. Guest statuses map to codes as for load/call.
 * The reply is text (MICA_KIND_JSON); a guest that says bytes for anything
 * but a call breaks the protocol. */
int mica_sandbox_request(mica_sandbox *sb, uint32_t op, const char *name, const void *data, size_t len,
			 char **result, size_t *result_len, mica_error *err);

/* The rules mica_sandbox_new applies to limits (MICA_ERR_INVALID). */
int mica_limits_check(const mica_limits *limits, mica_error *err);

/* A snapshot (refs = 1) with an empty memfd of mem_size bytes, for
 * mica_snapshot_take and mica_snapshot_load to fill; then mica_snapshot_seal
 * maps its read-only view. */
mica_snapshot *mica_snapshot_alloc(uint64_t mem_size, mica_error *err);
int mica_snapshot_seal(mica_snapshot *s, mica_error *err);

struct mica_hostcall {
	const char *args;
	size_t args_len;
	uint32_t args_kind; /* enum mica_kind */
	/* Where the answer goes: straight into the guest's request buffer
	 * (out, out_cap bytes, room for a NUL included), else into result. */
	uint8_t *out;
	size_t out_cap;
	size_t out_max; /* most bytes ever written to out: all must be marked dirty */
	char *result; /* malloc'd, when out is NULL */
	size_t result_len;
	uint32_t result_kind; /* enum mica_kind */
	int failed;
	int answered;
};

#endif

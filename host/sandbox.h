/* mica_sandbox: one guest and the requests it serves. */
#ifndef MICA_HOST_SANDBOX_H
#define MICA_HOST_SANDBOX_H

#include <stdatomic.h>

#include "backend.h"
#include "boot.h"
#include "guestmem.h"
#include "runtime.h"
#include "snapshot.h"

/* What the guest reported at its last MICA_HC_WAIT. */
struct mica_reply {
	uint32_t status; /* enum mica_guest_status */
	uint32_t kind;	 /* enum mica_kind of text */
	char *text;	 /* malloc'd copy of the guest's result, NUL-terminated */
	size_t len;
};

struct mica_sandbox {
	mica_runtime *rt;
	mica_snapshot *snap;	  /* what reset returns to; NULL for booted sandboxes */
	void *bk;		  /* the backend's state */
	struct mica_guestmem mem; /* set up by the backend */
	struct mica_layout layout;
	mica_limits limits;
	struct mica_hostfn *fns; /* the registry as it was at creation */
	size_t nfns;
	mica_console_fn console;
	void *console_data;
	int module_root;       /* directory fd user modules are read from, or -1 */
	int module_root_owned; /* made by mica_sandbox_set_modules: closed with it */
	uint64_t wait_gpa;     /* the guest's parked MICA_HC_WAIT structure */
	/* The request the host put in the guest for the next run: bytes of
	 * MICA_GPA_INLINE and of MICA_GPA_IN (a reset must leave them). */
	uint64_t keep_inline, keep_in;
	uint64_t output;	 /* console bytes in this operation */
	struct mica_reply reply; /* filled by the WAIT that ends a run */
	mica_code dead;		 /* non-zero once the guest cannot be resumed */
	int result_bytes;	 /* the last operation was a call that returned bytes */
	atomic_int interrupt;
	atomic_int runner;		  /* tid running the guest, 0 if none */
	struct mica_async *_Atomic async; /* completion queue (host/async.c) */
};

/* A zeroed sandbox of rt with no guest yet, or NULL (err filled). */
mica_sandbox *mica_sandbox_alloc(mica_runtime *rt, mica_error *err);

/* The one way a sandbox's guest ends: marks it dead with code and forgets
 * its request's async calls. Returns code. */
int mica_sandbox_dies(mica_sandbox *sb, mica_code code);
/* mica_sandbox_dies, filling err with the message first. */
int mica_sandbox_kill(mica_sandbox *sb, mica_code code, mica_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sends one request (op, name, data[0..len)) to the guest and runs it; on
 * MICA_OK *result (if wanted) is the guest's reply, malloc'd, with a NUL
 * after result_len bytes. Guest statuses map to codes as for load/call.
 * The reply is text (MICA_KIND_JSON); a guest that says bytes for anything
 * but a call breaks the protocol. */
int mica_sandbox_request(mica_sandbox *sb, uint32_t op, const char *name, const void *data,
			 size_t len, char **result, size_t *result_len, mica_error *err);

/* Drops what the embedder gave the sandbox for its current tenant: the
 * module root and the console callback with its user data (a reset and a
 * pool release do). */
void mica_sandbox_forget_tenant(mica_sandbox *sb);

/* Renews the guest's entropy and clock base (host/boot.c) from the backend's clock. */
int mica_sandbox_refresh(mica_sandbox *sb, mica_error *err);

/* The rules mica_sandbox_new applies to limits (MICA_ERR_INVALID). */
int mica_limits_check(const mica_limits *limits, mica_error *err);

/* The host function table as the guest reads it at boot. */
char *mica_hostfn_table(const mica_sandbox *sb, uint32_t *len);

#endif

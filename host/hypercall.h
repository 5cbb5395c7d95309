/*
 * Running the guest and serving its hypercalls until it waits again. The
 * dispatch is one table (host/hypercall.c); each handler lives in the file
 * of its concern and is declared here.
 */
#ifndef MICA_HOST_HYPERCALL_H
#define MICA_HOST_HYPERCALL_H

#include "sandbox.h"

/* Resumes the guest and serves its hypercalls until its next MICA_HC_WAIT,
 * whose report ends up in sb->reply. Enforces the wall-clock limit and
 * interrupts. A fault, a broken ABI rule, a timeout or an interrupt kills
 * the sandbox (mica_sandbox_kill) and returns its code. */
int mica_hypercall_serve(mica_sandbox *sb, mica_error *err);

/* A handler: 0 to resume the guest, MICA_HC_DONE when the request ended
 * (the guest waits), else an error code (the handler killed the sandbox). */
#define MICA_HC_DONE (-1)
typedef int mica_hc_handler(mica_sandbox *sb, uint64_t gpa, int64_t deadline, mica_error *err);

mica_hc_handler mica_hc_wait;	  /* host/sandbox.c */
mica_hc_handler mica_hc_console;  /* host/console.c */
mica_hc_handler mica_hc_hostcall; /* host/hostcall.c */
mica_hc_handler mica_hc_exit;	  /* host/fault.c */
mica_hc_handler mica_hc_module;	  /* host/modules.c */
mica_hc_handler mica_hc_async;	  /* host/async.c */
mica_hc_handler mica_hc_sleep;	  /* host/async.c */

/* A CPU exception, reported as KVM and the process backend both do
 * (host/fault.c): kills the sandbox. */
int mica_fault_report(mica_sandbox *sb, const struct mica_fault *f, mica_error *err);

/* 1 if a structure the host writes back into lies where the guest itself
 * may write (heap, stack, writable image data, the window) and is 8-aligned. */
int mica_guest_writable(const mica_sandbox *sb, uint64_t gpa, uint64_t len);

/* A guest ABI violation: kills the sandbox with "guest ABI violation: what at gpa". */
int mica_abi_violation(mica_sandbox *sb, mica_error *err, const char *what, uint64_t gpa);

#endif

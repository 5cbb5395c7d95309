/* Async host calls and the guest's sleep: the completion queue of a sandbox. */
#ifndef MICA_HOST_HOSTCALL_H
#define MICA_HOST_HOSTCALL_H

#include "sandbox.h"

/* A request starts: makes the sandbox's queue if it has none, and drops
 * whatever earlier requests left (their calls' completions become no-ops). */
int mica_async_begin(mica_sandbox *sb, mica_error *err);
/* The sandbox is being freed: late completions become no-ops. */
void mica_async_detach(mica_sandbox *sb);
/* Wakes a sleeping guest (mica_sandbox_interrupt). Async-signal-safe. */
void mica_async_wake(mica_sandbox *sb);

/* Hypercall handlers. A timeout or an interrupt during a sleep returns 0:
 * mica_vm_run() then reports it. */
int mica_exit_async(mica_sandbox *sb, uint64_t gpa, mica_error *err);
int mica_exit_sleep(mica_sandbox *sb, uint64_t gpa, int64_t deadline, mica_error *err);

#endif

/* Async host calls and the guest's sleep: the completion queue of a sandbox. */
#ifndef MICA_HOST_ASYNC_H
#define MICA_HOST_ASYNC_H

#include "sandbox.h"

/* A request starts: makes the sandbox's queue if it has none, and drops
 * whatever earlier requests left (their calls' completions become no-ops). */
int mica_async_begin(mica_sandbox *sb, mica_error *err);
/* The request ended early (its guest was killed): its calls' completions
 * become no-ops. */
void mica_async_forget(mica_sandbox *sb);
/* The sandbox is being freed: late completions become no-ops. */
void mica_async_detach(mica_sandbox *sb);
/* Wakes a sleeping guest (mica_sandbox_interrupt). Async-signal-safe. */
void mica_async_wake(mica_sandbox *sb);

#endif

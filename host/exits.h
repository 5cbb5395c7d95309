/* Running the guest and serving its hypercalls until it waits again. */
#ifndef MICA_HOST_EXITS_H
#define MICA_HOST_EXITS_H

#include "sandbox.h"

struct mica_exit_result {
	uint32_t status; /* enum mica_guest_status */
	uint32_t kind;   /* enum mica_kind of text */
	char *text;      /* malloc'd copy of the guest's result, NUL-terminated */
	size_t len;
};

/* Resumes the guest and serves console and host-call hypercalls until its
 * next MICA_HC_WAIT. Enforces the wall-clock limit and interrupts. A
 * fault, a broken ABI rule, a timeout or an interrupt leaves the sandbox
 * dead (sb->dead) and returns its code. */
int mica_exits_run(mica_sandbox *sb, struct mica_exit_result *res, mica_error *err);

/* Ends the sandbox's guest for good: marks it dead with code and fills err.
 * Returns code. */
int mica_exits_fault(mica_sandbox *sb, mica_code code, mica_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Host pointer to a guest structure the host may write back into: it must
 * lie where the guest itself may write (heap, stack, writable image data)
 * and be 8-aligned. NULL otherwise. */
void *mica_guest_writable(mica_sandbox *sb, uint64_t gpa, uint64_t len);

#endif

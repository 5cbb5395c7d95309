/*
 * Guest-internal interfaces: hypercalls, console buffering, the clock.
 * The guest is one single-threaded program, so its state is file-static.
 */
#ifndef MICA_GUEST_H
#define MICA_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "../include/mica_abi.h"

#define MICA_INFO ((const struct mica_boot_info *)MICA_GPA_INFO)

/* process backend: store the call in the mailbox and park (guest/proc.S). */
void mica_proc_hypercall(unsigned nr, uint64_t gpa);

/* One exit to the host, which handles call `nr` with the structure arg[0..len)
 * (at most 64 bytes). The structure travels through the mailbox, which both
 * backends' hosts read in place; the host's answers come back in it. The
 * transport is the backend's: an `out` under KVM, a park in a process. */
static inline void mica_hypercall(unsigned nr, void *arg, size_t len)
{
	struct mica_mailbox *mb = (struct mica_mailbox *)MICA_GPA_MAILBOX;
	__builtin_memcpy(mb->call, arg, len);
	if (MICA_INFO->flags & MICA_BOOT_PROCESS)
		mica_proc_hypercall(nr, MICA_GPA_MAILBOX);
	else
		__asm__ volatile("outl %0, %w1"
				 :
				 : "a"((uint32_t)MICA_GPA_MAILBOX),
				   "Nd"((uint16_t)(MICA_PORT_BASE + nr))
				 : "memory");
	__builtin_memcpy(arg, mb->call, len);
}

/* Never returns: tells the host the guest cannot go on. */
_Noreturn void mica_guest_exit(int64_t code, const char *msg);

/* Buffers console output for `stream` (1 or 2); flushed when full, when the
 * stream changes and by mica_console_flush(). Stops forwarding once the
 * host's per-request output limit is exceeded (the host enforces it too). */
void mica_console_write(int stream, const char *data, size_t len);
void mica_console_flush(void);
/* Starts a new request: resets the per-request output count. */
void mica_console_reset(void);
/* Bytes written in this request so far (forwarded or buffered; what is
 * dropped past the limit is not counted). */
uint64_t mica_console_written(void);

/* Nanoseconds since the epoch, from the TSC and the host's base values. */
int64_t mica_clock_wall_ns(void);
/* Deterministic mode: the virtual clock, advanced one step per read. */
int64_t mica_vclock_tick(void);

#endif

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

/* One `out`: the host handles call `nr` with the structure at `arg`. */
static inline void mica_hypercall(unsigned nr, void *arg)
{
	__asm__ volatile("outl %0, %w1"
			 :
			 : "a"((uint32_t)(uintptr_t)arg), "Nd"((uint16_t)(MICA_PORT_BASE + nr))
			 : "memory");
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

/* Nanoseconds since the epoch, from the TSC and the host's base values. */
int64_t mica_clock_wall_ns(void);
/* Deterministic mode: the virtual clock, advanced one step per read. */
int64_t mica_vclock_tick(void);

#endif

/* The process backend's seccomp filter (docs/process-backend.md). */
#ifndef MICA_HOST_PROC_FILTER_H
#define MICA_HOST_PROC_FILTER_H

#include <linux/filter.h>

#include "mica_abi.h"

/* Builds the filter for an image's process stubs into out (max entries):
 * the park's read and write, the reset's ioctl and madvise, each only at
 * its stub's instruction with its arguments pinned; arch_prctl(SET_FS and
 * SET_GS); exit_group. rt_sigreturn, other architectures and x32 kill the
 * process; every other system call traps (SIGSYS) into the guest's own
 * dispatcher. Returns the count, or 0 if max is too small. */
unsigned mica_proc_filter(const struct mica_image_header *h, struct sock_filter *out, unsigned max);

#endif

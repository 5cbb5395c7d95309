/*
 * The floors each backend is measured against, in the same run: what any
 * sandbox of that kind must pay, without mica.
 */
#ifndef MICA_BENCH_FLOORS_H
#define MICA_BENCH_FLOORS_H

#include <stddef.h>

#include "stats.h"

/* Round trips between two processes over a pair of eventfds, the process
 * backend's transport: write one, the other side reads it and writes the
 * other, read that. n timed after a warm-up. */
void floor_eventfd_rtt(struct samples *s, int n);

/* fork() of a process of the size of a sandbox: mem bytes mapped privately,
 * resident of them touched. fork_only: the fork() call in the parent;
 * cycle: fork, the child's _exit and the parent's waitpid. */
void floor_fork(struct samples *fork_only, struct samples *cycle, size_t mem, size_t resident,
		int n);

/* The KVM floors, where path opens: 0, or -1 with why filled. */
struct kvm_floors {
	struct samples create, destroy; /* a bare VM in raw ioctls */
	struct samples exit;		/* KVM_RUN -> `out` -> KVM_RUN */
};
int floor_kvm(struct kvm_floors *f, const char *path, char *why, size_t len);

#endif

/*
 * A cgroup per process sandbox, where the machine lets us make one: a
 * memory limit and a limit of one process. cgroup v2 with its memory
 * controller, else v1's memory and pids hierarchies (these machines: v1).
 * Made under this process's own cgroup, reused from sandbox to sandbox.
 */
#ifndef MICA_HOST_PROC_CGROUP_H
#define MICA_HOST_PROC_CGROUP_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>

struct mica_cgroups {
	pthread_mutex_t lock;
	int version;	       /* 0: none (why says why), 1 or 2 */
	char dir[2][PATH_MAX]; /* the runtime's own: v1 memory, pids; v2 one */
	char why[256];
	/* Slots are made once and reused. A slot in use holds no descriptor
	 * (three each would cap live sandboxes at a third of RLIMIT_NOFILE);
	 * its files are opened again when it is next taken. After keep (a
	 * lockdown: nothing can be opened then) every slot keeps them open. */
	struct mica_cgroup_slot {
		int used;
		uint64_t limit; /* the memory limit it has */
		int procs[2];	/* cgroup.procs of each hierarchy, read-write, or -1 */
		int limit_fd;	/* memory.max or memory.limit_in_bytes, or -1 */
	} * slots;
	unsigned nslots;
	int keep; /* mica_cgroups_keep was called */
};

/* Finds the hierarchy and makes the runtime's directory and its first
 * slots. Never fails: with version 0, sandboxes run without a cgroup and
 * why says why. */
void mica_cgroups_open(struct mica_cgroups *cg);
/* Removes every directory made (their processes must be gone). */
void mica_cgroups_close(struct mica_cgroups *cg);

/* A cgroup for one sandbox with memory limit bytes: opens its
 * cgroup.procs files into fds (a child joins by writing "0") and returns
 * how many (1 or 2), with *slot to give back; 0 when the machine has none
 * (version 0); -1 with errno when there is one but this sandbox cannot
 * have it (never a sandbox without its limits, silently). */
int mica_cgroups_get(struct mica_cgroups *cg, uint64_t limit, int fds[2], int *slot);
void mica_cgroups_put(struct mica_cgroups *cg, int slot);
/* For a lockdown, while files can still be opened: every slot opens its
 * files and keeps them from now on, so that sandboxes are still made (in
 * the slots there are: no new one can be made). A slot that cannot is
 * never used again. */
void mica_cgroups_keep(struct mica_cgroups *cg);

#endif

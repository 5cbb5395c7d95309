/* The host's side of the process backend's zygote (host/proc/loader.c). */
#ifndef MICA_HOST_PROC_ZYGOTE_H
#define MICA_HOST_PROC_ZYGOTE_H

#include <pthread.h>
#include <sys/types.h>

#include "error.h"
#include "proc.h"

/* The host's nobody and nogroup (Debian's), which root's sandboxes are. */
#define MICA_ZY_NOBODY 65534u

struct mica_zygote {
	int sock;	  /* control socket */
	int pidfd;	  /* the zygote */
	unsigned ns;	  /* the CLONE_NEW* namespaces it got */
	unsigned refused; /* those the kernel refused */
	uint32_t kid_id;  /* the uid and gid each sandbox switches to, as the
			   * zygote's namespace numbers them (or MICA_ZY_SAME_ID) */
	pthread_mutex_t lock;
};

/* What a spawned child gave the host. */
struct mica_zy_child {
	uint32_t id; /* for mica_zygote_kill */
	pid_t pid;   /* as the host sees it */
	int mem;     /* its /proc/<pid>/mem, read-write */
};

/* Starts the zygote: a new user, pid, net, ipc, uts, mount and cgroup
 * namespace each where the kernel allows it (ns and refused say which). */
int mica_zygote_start(struct mica_zygote *z, mica_error *err);
/* Ends the zygote and with it every child; waits for it. */
void mica_zygote_stop(struct mica_zygote *z);

/* Forks a child: m with its descriptors (base, window, answer, notify, then
 * m->ncgroups cgroup.procs files), waits for its report. Thread-safe. */
int mica_zygote_spawn(struct mica_zygote *z, const struct mica_zy_spawn *m, const int *fds,
		      struct mica_zy_child *child, mica_error *err);
/* Hands the zygote the runtime's cgroup directories (n paths): it removes
 * them, and their sb0, sb1, ... slots, when it ends, after its children,
 * however the host ended. Best effort. */
void mica_zygote_own_cgroups(struct mica_zygote *z, const char *const *dirs, int n);

/* Kills the child with that id (SIGKILL). Thread-safe, never blocks long. */
void mica_zygote_kill(struct mica_zygote *z, uint32_t id);

/* "user pid net ..." for a set of CLONE_NEW* flags. */
void mica_zygote_ns_names(unsigned ns, char *buf, size_t len);

#endif

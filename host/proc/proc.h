/*
 * The process backend (docs/process-backend.md): one confined child process
 * per sandbox, forked from a zygote that the runtime starts once, in new
 * namespaces, from the loader program (host/proc/loader.c) built into
 * libmica.
 *
 * This header is the contract between the host side (backend.c, zygote.c)
 * and the loader, which is freestanding C: only fixed-size types here.
 */
#ifndef MICA_HOST_PROC_H
#define MICA_HOST_PROC_H

#include <linux/filter.h>
#include <stdint.h>

/* ---- host -> zygote, over its control socket (SOCK_SEQPACKET) ----------- */

enum { MICA_ZY_SPAWN = 1, MICA_ZY_KILL = 2, MICA_ZY_CGROUPS = 3 };

#define MICA_ZY_MAX_MAPS    512
#define MICA_ZY_MAX_FILTER  128
#define MICA_ZY_MAX_CGROUPS 2

/* One mapping of the guest's memory in the child. */
enum { MICA_ZY_SHARED = 0, MICA_ZY_FILE = 1, MICA_ZY_ANON = 2 };
struct mica_zy_map {
	uint64_t gpa, len;
	uint32_t prot; /* PROT_* */
	uint32_t kind; /* SHARED: the window memfd at gpa - MICA_GPA_WINDOW; FILE: the
			* base at gpa, copy-on-write; ANON: zeroes (where the base has
			* none: a page of a memfd's hole would be allocated on the
			* first fault, doubling what a write costs) */
};

/* Fork a child for a sandbox. With it, as SCM_RIGHTS in this order: the
 * base memory (memfd), the window (memfd), the answer and notify eventfds,
 * the child's end of a socketpair for the reports below, then ncgroups
 * cgroup.procs files to join. */
struct mica_zy_spawn {
	uint32_t op; /* MICA_ZY_SPAWN */
	uint32_t ncgroups;
	uint64_t mem_size;
	uint32_t nmaps;
	uint32_t ref; /* 1: also map the base read-only at MICA_PROC_REF_BASE */
	struct mica_zy_map map[MICA_ZY_MAX_MAPS];
	/* the guest image's process stubs (struct mica_image_header) */
	uint64_t enter, sigsys, fault, restorer;
	uint64_t rlimit_as;
	/* the ids the child takes before anything else (as its namespace
	 * numbers them), or MICA_ZY_SAME_ID to keep the zygote's */
	uint32_t uid, gid;
	uint32_t nfilter;
	uint32_t pad;
	struct sock_filter filter[MICA_ZY_MAX_FILTER];
};
#define MICA_ZY_SAME_ID 0xffffffffu

/* Kill a child (SIGKILL): the id its spawn reported. */
struct mica_zy_kill {
	uint32_t op; /* MICA_ZY_KILL */
	uint32_t id;
};

/* The runtime's cgroup directories, which the zygote removes when it ends,
 * after its children, however the host ended: name[i] under the directory
 * of the i-th descriptor passed. Their slots are sb0, sb1, ... */
#define MICA_ZY_NAME_MAX 64
struct mica_zy_cgroups {
	uint32_t op; /* MICA_ZY_CGROUPS */
	uint32_t n;
	char name[MICA_ZY_MAX_CGROUPS][MICA_ZY_NAME_MAX];
};

/* The most children one zygote holds at once (the id's low 16 bits). */
#define MICA_ZY_MAX_KIDS 65536

/* ---- the reports of a spawn, over its socketpair, in either order:
 * MICA_ZY_ID from the zygote (the child's id, for kills), MICA_ZY_READY
 * from the child before the guest runs: err 0 with /proc/self/mem as
 * SCM_RIGHTS (and, from the kernel, the child's credentials: its pid as the
 * host sees it), or errno and what failed. */
enum { MICA_ZY_ID = 1, MICA_ZY_READY = 2 };

struct mica_zy_report {
	uint32_t kind;
	uint32_t id;
	int32_t err;
	char why[116];
};

/* ---- what the host reads from a sandbox's notify eventfd ---------------
 * The counter sums: 1 per park (only the trusted stub can add it: the
 * filter pins the write), MICA_PROC_KICK per mica_sandbox_interrupt(), and
 * once, from the zygote, MICA_PROC_DEATH plus the wait status << 32. */
#define MICA_PROC_PARKS(v)  ((v)&0xffffu)
#define MICA_PROC_KICK	    (1ull << 16)
#define MICA_PROC_KICKS(v)  (((v) >> 16) & 0xffffu)
#define MICA_PROC_DEATH	    (1ull << 48)
#define MICA_PROC_STATUS(v) ((int)(((v) >> 32) & 0xffffu))

#endif

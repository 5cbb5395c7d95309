/*
 * The backend seam: everything the host core needs from a way of running
 * the guest image. host/kvm/ (a KVM micro-VM) and host/proc/ (a confined
 * child process) each provide one struct mica_backend_ops; nothing else in
 * the core knows either. See docs/architecture.md.
 *
 * A sandbox's life on a backend: create (memory), start (registers), then
 * run until each exit, with begin/end around each request; capture for a
 * snapshot, reset back to one, destroy.
 */
#ifndef MICA_HOST_BACKEND_H
#define MICA_HOST_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "mica_abi.h"

/* The guest's registers between requests, the same on every backend: what
 * a snapshot stores (docs/snapshot-format.md). The guest only ever parks at
 * CPL3, so this is user state: the general registers (x86 encoding order:
 * rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15), rip, rflags, the FS and
 * GS bases and the x87/SSE state in FXSAVE layout. */
struct mica_cpu {
	uint64_t gpr[16];
	uint64_t rip, rflags, fs_base, gs_base;
	uint8_t fxsave[512];
};
#define MICA_CPU_RSP_INDEX 4

/* A CPU exception in the guest, as both backends see it. */
struct mica_fault {
	uint64_t vector, error, rip, addr, rsp;
	int signal; /* process backend: the signal it arrived as; 0 on KVM */
	int kernel; /* process backend: the kernel sent the signal, no CPU exception */
};

/* Why run() returned 0. */
struct mica_exit {
	enum { MICA_EXIT_CALL, MICA_EXIT_FAULT } kind;
	uint32_t nr;  /* CALL: enum mica_hc */
	uint64_t arg; /* CALL: the guest address of its structure */
	struct mica_fault fault;
};

/* Where a snapshot's memory is, for reset. */
struct mica_snap_mem {
	int memfd;	    /* the snapshot's pages */
	const uint8_t *ref; /* a read-only host view of them */
	const struct mica_cpu *cpu;
};

struct mica_backend_ops {
	const char *name;
	/* Opens the backend for a runtime; *state is the backend's. */
	int (*open)(const mica_runtime_options *opts, void **state, mica_error *err);
	void (*close)(void *state);
	/* What the open backend isolates with, one fact per line (mica info). */
	void (*describe)(void *state, char *buf, size_t len);
	/* Memory for sb: mem_size bytes, a copy-on-write view of memfd (a
	 * snapshot, or a boot image), or zeroes when memfd is -1. Fills sb->mem
	 * so that the core can write the guest's initial pages. resettable:
	 * log what changes, for reset. */
	int (*create)(mica_sandbox *sb, int memfd, int resettable, mica_error *err);
	/* Loads the registers; the next run starts the guest from them. */
	int (*start)(mica_sandbox *sb, const struct mica_cpu *cpu, mica_error *err);
	void (*destroy)(mica_sandbox *sb);
	/* Around the runs of one request: arm the deadline (CLOCK_MONOTONIC ns,
	 * 0 = none) for the calling thread. */
	int (*begin)(mica_sandbox *sb, int64_t deadline, mica_error *err);
	void (*end)(mica_sandbox *sb);
	/* Resumes the guest until its next exit. 0 with *exit filled, or
	 * MICA_ERR_TIMEOUT, MICA_ERR_INTERRUPTED (sb->interrupt was set), or
	 * MICA_ERR_FAULT / MICA_ERR_SYSTEM with err saying what happened to the
	 * guest. Any error leaves the guest unable to run. */
	int (*run)(mica_sandbox *sb, int64_t deadline, struct mica_exit *exit, mica_error *err);
	/* Makes a run in progress on another thread return (to check
	 * sb->interrupt). Async-signal-safe. */
	void (*kick)(mica_sandbox *sb);
	/* The parked guest's memory into memfd (mem_size bytes, holes left for
	 * pages never touched; *pages = pages written) and its registers. */
	int (*capture)(mica_sandbox *sb, int memfd, uint64_t *pages, struct mica_cpu *cpu,
		       mica_error *err);
	/* Memory and registers back to snap, whatever state the guest is in
	 * (dead included). Only for sandboxes created resettable from it. */
	int (*reset)(mica_sandbox *sb, const struct mica_snap_mem *snap, mica_error *err);
	/* The guest clock's source: TSC frequency and current value. */
	int (*clock)(mica_sandbox *sb, uint64_t *tsc_khz, uint64_t *tsc, mica_error *err);
	/* Adds to a libseccomp filter (scmp_filter_ctx) the calls this backend
	 * makes while it serves sandboxes (mica_runtime_lockdown): 0 or
	 * -errno. */
	int (*lockdown)(void *state, void *seccomp_ctx);
};

extern const struct mica_backend_ops mica_kvm_ops;  /* host/kvm/backend.c */
extern const struct mica_backend_ops mica_proc_ops; /* host/proc/backend.c */

#endif

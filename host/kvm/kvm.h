/*
 * The KVM backend: one micro-VM per sandbox (one memory slot, one vCPU in
 * 64-bit mode, no devices), after Solo5's tenders/hvt and kvmtool. vm.c is
 * the KVM plumbing; backend.c turns it into struct mica_backend_ops.
 */
#ifndef MICA_HOST_KVM_H
#define MICA_HOST_KVM_H

#include <linux/kvm.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "backend.h"
#include "boot.h"

/* What a runtime keeps of /dev/kvm: shared by all its VMs. */
struct mica_kvm {
	int fd;
	size_t run_size;
	struct kvm_cpuid2 *cpuid; /* supported CPUID, VMX/SVM hidden */
	char path[256];
};

struct mica_vm {
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	uint64_t mem_size;
	timer_t timer; /* wall-clock limit; signals timer_tid */
	pid_t timer_tid;
	uint64_t timer_owner; /* the arming thread's token: tids are reused, tokens not */
	uint64_t *dirty;      /* KVM's dirty log, while logging */
	uint64_t *host_dirty; /* pages the host wrote itself: KVM does not see those */
	int dirty_manual;     /* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: we re-protect */
	uint64_t run_mask;    /* the signal mask KVM_RUN uses (KVM_SET_SIGNAL_MASK) */
	int run_mask_set;
	struct kvm_run *prev_run; /* the thread's previous vCPU while this one runs */
	uint64_t tsc_khz;	  /* cached: it does not change */
	int sync_regs;		  /* KVM_CAP_SYNC_REGS: registers go in with KVM_RUN */
	int sregs_built;	  /* sregs holds what mica_vm_load loads */
	struct kvm_sregs sregs;
};

/* The boot-time vCPU state that registers alone do not give: long mode,
 * CPL3, IOPL=3, the descriptor tables and the syscall MSRs. */
struct mica_vm_sys {
	uint64_t cr3;
	uint64_t gdt, gdt_limit, idt, idt_limit, tss, tss_limit;
	uint64_t lstar; /* syscall entry */
};

/* The system state of a guest laid out as l, running img. */
void mica_vm_sys_of(struct mica_vm_sys *sys, const struct mica_layout *l,
		    const struct mica_image *img);

/* Opens KVM at path, checks its API and reads the supported CPUID. Installs
 * the no-op MICA_SIGNAL handler (once per process). */
int mica_kvm_open(struct mica_kvm *kvm, const char *path, mica_error *err);
void mica_kvm_close(struct mica_kvm *kvm);

/* Creates the VM with mem_size bytes of memory and one vCPU: zeroes, or a
 * private copy-on-write mapping of fd (pages stay shared until the guest
 * writes them). With log, also the logs of which pages change: the guest's
 * writes (KVM's dirty log) and the host's own (host_dirty). On failure
 * everything is released (fds set to -1). */
int mica_vm_create(struct mica_vm *vm, const struct mica_kvm *kvm, uint64_t mem_size, int fd,
		   int log, mica_error *err);
void mica_vm_destroy(struct mica_vm *vm);

/* Loads cpu, with the system state in sys. The registers, system registers
 * and events go in with the next KVM_RUN where KVM can take them so
 * (KVM_CAP_SYNC_REGS); mica_vm_save and mica_vm_complete_io load them first. */
int mica_vm_load(struct mica_vm *vm, const struct mica_vm_sys *sys, const struct mica_cpu *cpu,
		 mica_error *err);
/* The registers of a guest parked at CPL3. */
int mica_vm_save(struct mica_vm *vm, struct mica_cpu *cpu, mica_error *err);

/* Completes a pending I/O exit (the guest's `out`) without running the
 * guest, so that the saved state is the state after it. */
int mica_vm_complete_io(struct mica_vm *vm, mica_error *err);

/* Copies back from ref (same layout as guest memory), or with ref NULL
 * reads back from fd, every page written since logging started or since
 * the last call, and clears the logs. The number of pages restored goes to
 * *pages. */
int mica_vm_dirty_restore(struct mica_vm *vm, const uint8_t *ref, int fd, uint64_t *pages,
			  mica_error *err);

/* The guest's TSC frequency and its current value, for the guest clock. */
int mica_vm_tsc(struct mica_vm *vm, uint64_t *khz, uint64_t *tsc, mica_error *err);

/* Arms the wall-clock limit for the calling thread: at deadline_ns
 * (CLOCK_MONOTONIC; 0 = none) a running mica_vm_run() returns. */
int mica_vm_arm(struct mica_vm *vm, int64_t deadline_ns, mica_error *err);
void mica_vm_disarm(struct mica_vm *vm);

/* Runs the vCPU until it exits to userspace: returns 0 with the exit in
 * vm->run, MICA_ERR_TIMEOUT when the armed deadline passed, or
 * MICA_ERR_INTERRUPTED when *interrupt became non-zero. */
int mica_vm_run(struct mica_vm *vm, int64_t deadline_ns, atomic_int *interrupt, mica_error *err);

/* Makes the thread's current or next mica_vm_run() return: for
 * mica_sandbox_interrupt(). Async-signal-safe. */
void mica_vm_kick(pid_t tid);

#endif

/*
 * One KVM micro-VM: a VM, one memory slot, one vCPU in 64-bit mode.
 * No knowledge of the guest's ABI lives here; see boot.h and sandbox.c.
 */
#ifndef MICA_HOST_VM_H
#define MICA_HOST_VM_H

#include <linux/kvm.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"
#include "mica_abi.h"

/* What a runtime keeps of /dev/kvm: shared by all its VMs. */
struct mica_kvm {
	int fd;
	size_t run_size;
	struct kvm_cpuid2 *cpuid; /* supported CPUID, VMX/SVM hidden */
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
	uint64_t run_mask; /* the signal mask KVM_RUN uses (KVM_SET_SIGNAL_MASK) */
	int run_mask_set;
	struct kvm_run *prev_run; /* the thread's previous vCPU while this one runs */
	uint64_t tsc_khz;     /* cached: it does not change */
};

/* Initial vCPU state: long mode, CPL3, IOPL=3 (see docs/architecture.md). */
struct mica_vm_cpu {
	uint64_t rip, rsp;
	uint64_t cr3;
	uint64_t gdt, gdt_limit, idt, idt_limit, tss, tss_limit;
	uint64_t lstar; /* syscall entry */
};

/* Host pointer to guest range [gpa, gpa + len), or NULL if any byte of it
 * lies outside guest memory. Every guest-supplied address goes through here. */
static inline void *mica_gpa_check(const struct mica_vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->mem_size || len > vm->mem_size - gpa)
		return NULL;
	return vm->mem + gpa;
}

/* Opens KVM at path, checks its API and reads the supported CPUID. Installs
 * the no-op MICA_SIGNAL handler (once per process). */
int mica_kvm_open(struct mica_kvm *kvm, const char *path, mica_error *err);
void mica_kvm_close(struct mica_kvm *kvm);

/* Creates the VM with mem_size bytes of zeroed memory and one vCPU. On
 * failure everything is released (fds set to -1). */
int mica_vm_create(struct mica_vm *vm, const struct mica_kvm *kvm, uint64_t mem_size,
		   mica_error *err);
/* The same with memory that is a private copy-on-write mapping of fd (a
 * snapshot's memfd: pages stay shared until the guest writes them), and
 * with logs of which pages change: the guest's writes (KVM's dirty log) and
 * the host's own (mica_vm_dirty_mark). */
int mica_vm_create_from(struct mica_vm *vm, const struct mica_kvm *kvm, uint64_t mem_size, int fd,
			mica_error *err);
void mica_vm_destroy(struct mica_vm *vm);

/* Everything a parked vCPU needs to resume elsewhere (no irqchip, no
 * devices: registers, FPU/SSE and the MSRs the guest uses). */
#define MICA_VM_NMSRS 7
struct mica_vm_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xsave xsave; /* x87, SSE and any extended state */
	struct kvm_msr_entry msrs[MICA_VM_NMSRS];
	struct kvm_debugregs debugregs; /* a CPL0 guest could leave breakpoints */
	struct kvm_xcrs xcrs;
	struct kvm_vcpu_events events;
};

/* Completes a pending I/O exit (the guest's `out`) without running the
 * guest, so that the saved state is the state after it. */
int mica_vm_complete_io(struct mica_vm *vm, mica_error *err);
int mica_vm_save(struct mica_vm *vm, struct mica_vm_state *st, mica_error *err);
int mica_vm_restore(struct mica_vm *vm, const struct mica_vm_state *st, mica_error *err);


/* Records that the host wrote [gpa, gpa + len); no-op when not logging. */
void mica_vm_dirty_mark(struct mica_vm *vm, uint64_t gpa, uint64_t len);
/* Copies back from ref (same layout as guest memory) every page written
 * since logging started or since the last call, and clears the logs. The
 * number of pages restored goes to *pages. */
int mica_vm_dirty_restore(struct mica_vm *vm, const uint8_t *ref, uint64_t *pages, mica_error *err);

/* Loads the initial register state. */
int mica_vm_init_cpu(struct mica_vm *vm, const struct mica_vm_cpu *cpu, mica_error *err);

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

/* The calling thread's id, cached per thread. */
pid_t mica_thread_id(void);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t mica_now_ns(void);

#endif

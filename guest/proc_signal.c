/*
 * The guest's side of the process backend that runs as ordinary guest code:
 * the handlers of SIGSYS (a system call the seccomp filter did not allow:
 * the same dispatcher as the KVM backend's `syscall` bounce serves it) and
 * of faults (the facts go to the mailbox, then the process exits with
 * MICA_PROC_EXIT_FAULT: it never parks, so that after a park only the stub
 * runs, whatever flags the guest set; a trap flag on the park's own
 * instructions ends here too).
 * The loader installs them; guest/proc.S holds their entry stubs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stddef.h>
#include <ucontext.h>

#include "guest.h"

long mica_syscall_dispatch(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
void mica_proc_sigsys(int sig, siginfo_t *si, void *uc);
void mica_proc_fault(int sig, siginfo_t *si, void *uc);

_Static_assert(offsetof(struct mica_mailbox, nr) == MICA_MB_NR &&
		   offsetof(struct mica_mailbox, arg) == MICA_MB_ARG &&
		   offsetof(struct mica_mailbox, go) == MICA_MB_GO &&
		   offsetof(struct mica_mailbox, sigrip) == MICA_MB_SIGRIP &&
		   offsetof(struct mica_mailbox, saved) == MICA_MB_SAVED &&
		   offsetof(struct mica_proc_saved, fxsave) == 128,
	       "mailbox offsets in mica_abi.h");
_Static_assert(offsetof(struct mica_proc_ctrl, mode) == MICA_CTRL_MODE &&
		   offsetof(struct mica_proc_ctrl, flags) == MICA_CTRL_FLAGS &&
		   offsetof(struct mica_proc_ctrl, cpu) == MICA_CTRL_CPU &&
		   offsetof(struct mica_proc_ctrl, xsave) == MICA_CTRL_XSAVE &&
		   offsetof(struct mica_proc_ctrl, user_ds) == MICA_CTRL_USER_DS &&
		   offsetof(struct mica_proc_cpu, gpr[4]) == MICA_CPU_RSP &&
		   offsetof(struct mica_proc_cpu, rip) == MICA_CPU_RIP &&
		   offsetof(struct mica_proc_cpu, rflags) == MICA_CPU_RFLAGS &&
		   offsetof(struct mica_proc_cpu, fs_base) == MICA_CPU_FS &&
		   offsetof(struct mica_proc_cpu, gs_base) == MICA_CPU_GS &&
		   sizeof(struct mica_proc_ctrl) <= MICA_CTRL_SIZE,
	       "control page offsets in mica_abi.h");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs) == 40 &&
		   offsetof(ucontext_t, uc_mcontext.fpregs) == 40 + 184 && REG_RAX == 13 &&
		   REG_RIP == 16 && REG_EFL == 17 && REG_RSP == 15,
	       "ucontext offsets in proc.S");

/* Both handlers act only on what the kernel raised (a SIGSYS of the
 * filter, a fault): one queued by a process of the same user (a sibling
 * sandbox that got past its filter, the host's other nobody processes)
 * returns, and proc.S resumes the guest with its registers as they were. */
void mica_proc_sigsys(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	if (si->si_code != 1 /* SYS_SECCOMP */)
		return;
	greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;
	g[REG_RAX] = mica_syscall_dispatch(si->si_syscall, g[REG_RDI], g[REG_RSI], g[REG_RDX],
					   g[REG_R10], g[REG_R8], g[REG_R9]);
}

void mica_proc_fault(int sig, siginfo_t *si, void *ucv)
{
	if (si->si_code <= 0) /* SI_USER, SI_QUEUE, SI_TKILL: not a fault */
		return;
	greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;
	struct mica_mailbox *mb = (struct mica_mailbox *)MICA_GPA_MAILBOX;
	mb->fault.signal = (uint64_t)sig;
	mb->fault.vector = (uint64_t)g[REG_TRAPNO];
	mb->fault.error = (uint64_t)g[REG_ERR];
	mb->fault.rip = (uint64_t)g[REG_RIP];
	mb->fault.addr = (uint64_t)(uintptr_t)si->si_addr;
	mb->fault.rsp = (uint64_t)g[REG_RSP];
	mb->fault.code = si->si_code;
	for (;;) /* exit_group: the filter allows it anywhere */
		__asm__ volatile("syscall"
				 :
				 : "a"(231), "D"(MICA_PROC_EXIT_FAULT)
				 : "rcx", "r11", "memory");
}

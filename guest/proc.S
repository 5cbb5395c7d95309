/*
 * The process backend's stubs (docs/process-backend.md). The guest runs as a
 * child process under a seccomp filter that allows the park's two system
 * calls (and the reset's two) only at the instructions below, which is what
 * lets the host trust a park: after the notify, the child runs this code and
 * nothing else until the host answers. None of it may depend on a register
 * or on memory the guest could have prepared, from the notify on; it reads
 * the host's control page (read-only to the guest) and writes only places
 * it clears again.
 *
 * x86-64 system call numbers are fixed by the kernel ABI.
 */
#include "../include/mica_abi.h"

#define SYS_READ 0
#define SYS_WRITE 1
#define SYS_MUNMAP 11
#define SYS_IOCTL 16
#define SYS_MADVISE 28
#define SYS_ARCH_PRCTL 158
#define SYS_EXIT_GROUP 231
#define SYS_SECCOMP 317
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define SECCOMP_SET_MODE_FILTER 1

#define MB(off) (MICA_GPA_MAILBOX + (off))
#define CTRL(off) (MICA_GPA_CTRL + (off))
#define CPU(off) CTRL(MICA_CTRL_CPU + (off))
#define SCRATCH_TOP (MICA_GPA_SCRATCH + MICA_SCRATCH_SIZE)

	.text

/*
 * void mica_proc_hypercall(unsigned nr, uint64_t gpa)
 * A WAIT first records what a snapshot taken now resumes from: the return
 * address and stack, the callee-saved registers, the thread pointer (musl's
 * is its own address) and the x87/SSE state.
 */
	.balign 16
	.globl mica_proc_hypercall
mica_proc_hypercall:
	mov %edi, MB(MICA_MB_NR)
	mov %rsi, MB(MICA_MB_ARG)
	test %edi, %edi			/* MICA_HC_WAIT */
	jnz mica_proc_park
	mov (%rsp), %rax
	mov %rax, MB(MICA_MB_SAVED + 0)
	lea 8(%rsp), %rax
	mov %rax, MB(MICA_MB_SAVED + 8)
	mov %rbx, MB(MICA_MB_SAVED + 16)
	mov %rbp, MB(MICA_MB_SAVED + 24)
	mov %r12, MB(MICA_MB_SAVED + 32)
	mov %r13, MB(MICA_MB_SAVED + 40)
	mov %r14, MB(MICA_MB_SAVED + 48)
	mov %r15, MB(MICA_MB_SAVED + 56)
	mov %fs:0, %rax
	mov %rax, MB(MICA_MB_SAVED + 64)
	fxsave64 MB(MICA_MB_SAVED + 128)
	/* fall through */

/*
 * The guest may have set PKRU so that memory is out of reach, the kernel's
 * copies included (EFAULT): the stub then opens it again before it reads
 * anything, with no memory access of its own. CPUID (slow: it leaves the
 * VM) only on that path. Keeps rbx; uses rax, rcx, rdx, r8.
 */
.macro PKRU_OPEN
	mov %rbx, %r8
	mov $7, %eax
	xor %ecx, %ecx
	cpuid
	mov %r8, %rbx
	test $0x10, %ecx		/* OSPKE */
	jz 9f
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	wrpkru
9:
.endm

/* The park: tell the host, wait for its answer, act on ctrl.mode. */
	.globl mica_proc_park
mica_proc_park:
	xor %r9d, %r9d
0:	mov $SYS_WRITE, %eax
	mov $MICA_PROC_FD_NOTIFY, %edi
	mov $CTRL(MICA_CTRL_ONE), %esi
	mov $8, %edx
	syscall
	.globl mica_proc_notify_ip
mica_proc_notify_ip:
	cmp $-14, %rax			/* EFAULT: the 1 it writes is out of reach */
	jne 1f
	test %r9d, %r9d			/* and was before: not PKRU, give up */
	jnz 8f
	inc %r9d
	PKRU_OPEN
	jmp 0b
1:	mov $SYS_READ, %eax
	mov $MICA_PROC_FD_GO, %edi
	mov $MB(MICA_MB_GO), %esi
	mov $8, %edx
	syscall
	.globl mica_proc_wait_ip
mica_proc_wait_ip:
	cmp $8, %rax
	je 2f
	cmp $-14, %rax			/* the answer was taken, not stored: PKRU */
	jne 1b
	PKRU_OPEN
2:	movq $0, MB(MICA_MB_GO)		/* read only to wait: leave no trace of it */
	cmpl $MICA_PROC_CONTINUE, CTRL(MICA_CTRL_MODE)
	jne mica_proc_restore
	ret
8:	mov $SYS_EXIT_GROUP, %eax
	mov $127, %edi
	syscall
	ud2

/*
 * RESTORE (and RESET, which first puts memory back; RESET_PARK puts memory
 * back and parks again, for a spare the host keeps): load every register
 * from ctrl. The segment registers, both bases and the full register file
 * (xrstor brings every component ctrl does not hold to its initial state:
 * AVX, AVX-512, PKRU) leave nothing of the guest's own.
 */
mica_proc_restore:
	cmpl $MICA_PROC_SCAN, CTRL(MICA_CTRL_MODE)
	je mica_proc_scan_path
	mov $SCRATCH_TOP, %rsp
	pushq $2			/* no AC, DF or TF of the guest's in the reset */
	popfq
	cmpl $MICA_PROC_RESTORE, CTRL(MICA_CTRL_MODE)
	je 2f
	call mica_proc_reset		/* RESET and RESET_PARK */
2:	xor %eax, %eax			/* the loader's enter block, the reset's stack and buffers */
	mov $MICA_GPA_SCRATCH, %edi
	mov $MICA_SCRATCH_SIZE, %ecx
	rep stosb
	cmpl $MICA_PROC_RESET_PARK, CTRL(MICA_CTRL_MODE)
	je mica_proc_park		/* a spare: the host answers RESTORE when it reuses it */
	xor %eax, %eax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov $SYS_ARCH_PRCTL, %eax
	mov $ARCH_SET_FS, %edi
	mov CPU(MICA_CPU_FS), %rsi
	syscall
	/* GS base 0 (what snapshots hold) without ARCH_SET_GS, which costs
	 * ~10 us under a hypervisor: a flat data selector loads base 0, and
	 * the null selector after it zeroes the base (Intel) or keeps that 0
	 * (AMD), as Linux's own context switch does it. */
	mov CPU(MICA_CPU_GS), %rsi
	mov CTRL(MICA_CTRL_USER_DS), %rax
	test %rsi, %rsi
	jnz 5f
	test %eax, %eax
	jz 5f
	mov %ax, %gs
	xor %eax, %eax
	mov %ax, %gs
	jmp 6f
5:	mov $SYS_ARCH_PRCTL, %eax
	mov $ARCH_SET_GS, %edi
	syscall
6:
	testl $MICA_PROC_XSAVE, CTRL(MICA_CTRL_FLAGS)
	jz 3f
	mov $-1, %eax
	mov $-1, %edx
	xrstor64 CTRL(MICA_CTRL_XSAVE)
	jmp 4f
3:	fxrstor64 CTRL(MICA_CTRL_XSAVE)
4:	mov $(SCRATCH_TOP - 64), %rsp
	pushq CPU(MICA_CPU_RFLAGS)
	popfq
	mov CPU(0), %rax
	mov CPU(8), %rcx
	mov CPU(16), %rdx
	mov CPU(24), %rbx
	mov CPU(40), %rbp
	mov CPU(48), %rsi
	mov CPU(56), %rdi
	mov CPU(64), %r8
	mov CPU(72), %r9
	mov CPU(80), %r10
	mov CPU(88), %r11
	mov CPU(96), %r12
	mov CPU(104), %r13
	mov CPU(112), %r14
	mov CPU(120), %r15
	mov CPU(MICA_CPU_RSP), %rsp
	jmp *CPU(MICA_CPU_RIP)

/*
 * SCAN: list the written pages for the host, park again, and on CONTINUE go
 * back to where the guest parked (its stack pointer kept at the scratch
 * area's top; a later round is already on the scratch stack).
 */
#define SCAN_SAVED_RSP (SCRATCH_TOP - 8)
mica_proc_scan_path:
	cmp $MICA_GPA_SCRATCH, %rsp
	jb 1f
	cmp $SCRATCH_TOP, %rsp
	jbe 2f
1:	mov %rsp, SCAN_SAVED_RSP
2:	mov $(SCRATCH_TOP - 64), %rsp
	pushq $2
	popfq
	call mica_proc_scan_pages
	call mica_proc_park		/* returns on CONTINUE */
	mov SCAN_SAVED_RSP, %rsp
	ret

/* The reset's own system calls (guest/proc_reset.c), pinned by the filter. */
	.globl mica_proc_scan
mica_proc_scan:				/* long (void *pm_scan_arg) */
	mov %rdi, %rdx
	mov $SYS_IOCTL, %eax
	mov $MICA_PROC_FD_PAGEMAP, %edi
	mov $0xc0606610, %esi		/* PAGEMAP_SCAN */
	syscall
	.globl mica_proc_scan_ip
mica_proc_scan_ip:
	ret

	.globl mica_proc_drop
mica_proc_drop:				/* long (uint64_t addr, uint64_t len) */
	mov $SYS_MADVISE, %eax
	mov $4, %edx			/* MADV_DONTNEED */
	syscall
	.globl mica_proc_drop_ip
mica_proc_drop_ip:
	ret

/*
 * The loader's last step, before the first guest instruction, on the
 * scratch stack (rdi = the enter block, mica_abi.h): unmap what is left of
 * the loader, install the filter, park as "ready". The host answers with
 * RESTORE. A failure exits: nothing runs unconfined.
 */
	.globl mica_proc_enter
mica_proc_enter:
	mov %rdi, %rbx
	mov (%rbx), %r12		/* count of ranges */
	lea 8(%rbx), %r13
5:	test %r12, %r12
	jz 6f
	mov $SYS_MUNMAP, %eax
	mov (%r13), %rdi
	mov 8(%r13), %rsi
	syscall
	add $16, %r13
	dec %r12
	jmp 5b
6:	mov $SYS_SECCOMP, %eax
	mov $SECCOMP_SET_MODE_FILTER, %edi
	xor %esi, %esi
	lea MICA_PROC_ENTER_PROG(%rbx), %rdx	/* struct sock_fprog */
	syscall
	test %rax, %rax
	jnz 7f
	jmp mica_proc_park
7:	mov $SYS_EXIT_GROUP, %eax
	mov $126, %edi
	syscall
	ud2

/*
 * SIGSYS (a system call the filter did not allow): run the guest's own
 * system call dispatcher on the ucontext, then return without rt_sigreturn
 * (which the filter kills: it would let the guest set its signal mask and
 * stack). SA_NODEFER left the mask alone; restore the x87/SSE state and
 * every register from the frame and jump back.
 */
	.globl mica_proc_sigsys_entry
mica_proc_sigsys_entry:			/* (int sig, siginfo_t *si, ucontext_t *uc) */
	mov %rdx, %rbx			/* callee-saved: uc survives the call */
	and $-16, %rsp
	call mica_proc_sigsys		/* writes the result into uc's rax */
	jmp proc_resume

/*
 * SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP: mica_proc_fault reports a fault
 * and exits; it returns only for a signal no fault raised (one queued by a
 * process of the same user), and then the guest goes on where it was.
 */
	.globl mica_proc_fault_entry
mica_proc_fault_entry:			/* (int sig, siginfo_t *si, ucontext_t *uc) */
	mov %rdx, %rbx
	and $-16, %rsp
	call mica_proc_fault

/* Back to the ucontext in %rbx, without rt_sigreturn. */
proc_resume:
	lea 40(%rbx), %rax		/* uc_mcontext.gregs */
	mov 184(%rax), %rcx		/* uc_mcontext.fpregs */
	test %rcx, %rcx
	jz 8f
	fxrstor64 (%rcx)
8:	mov 128(%rax), %rcx		/* REG_RIP */
	mov %rcx, MB(MICA_MB_SIGRIP)
	mov 120(%rax), %rcx		/* REG_RSP */
	lea -136(%rcx), %rsp		/* below the red zone: the frame's, dead now */
	mov 136(%rax), %rcx		/* REG_EFL */
	mov %rcx, (%rsp)
	mov 0(%rax), %r8
	mov 8(%rax), %r9
	mov 16(%rax), %r10
	mov 24(%rax), %r11
	mov 32(%rax), %r12
	mov 40(%rax), %r13
	mov 48(%rax), %r14
	mov 56(%rax), %r15
	mov 64(%rax), %rdi
	mov 72(%rax), %rsi
	mov 80(%rax), %rbp
	mov 88(%rax), %rbx
	mov 96(%rax), %rdx
	mov 112(%rax), %rcx
	mov 104(%rax), %rax		/* REG_RAX: the result */
	popfq
	lea 128(%rsp), %rsp
	jmp *MB(MICA_MB_SIGRIP)

/* sa_restorer: the handlers never return through it. */
	.globl mica_proc_restorer
mica_proc_restorer:
	ud2

/*
 * The guest's only CPL0 code: the `syscall` bounce and the exception stubs.
 * KVM on kvm_pvm runs CPL0 code through its instruction emulator, which has
 * no SSE: nothing here may touch x87/SSE state, and everything else
 * (musl, QuickJS, the runtime) runs at CPL3.
 */
#include "../include/mica_abi.h"

#define STUB_STRIDE 16
#define PORT_FAULT MICA_HC_FAULT_PORT

	.section .mica_header, "a"
	.balign 8
	.globl mica_image_header
mica_image_header:
	.quad MICA_IMAGE_MAGIC
	.long MICA_ABI_VERSION
	.long STUB_STRIDE
	.quad mica_syscall_entry
	.quad mica_fault_stubs
	/* guest/proc.S and guest/proc.c; 0 in images without them */
	.weak mica_proc_enter, mica_proc_sigsys_entry, mica_proc_fault_entry, mica_proc_restorer
	.weak mica_proc_notify_ip, mica_proc_wait_ip, mica_proc_scan_ip, mica_proc_drop_ip
	.quad mica_proc_enter
	.quad mica_proc_sigsys_entry
	.quad mica_proc_fault_entry
	.quad mica_proc_restorer
	.quad mica_proc_notify_ip
	.quad mica_proc_wait_ip
	.quad mica_proc_scan_ip
	.quad mica_proc_drop_ip

	.text

/*
 * CPL0, entered by `syscall` on the caller's stack (rcx = return rip,
 * r11 = rflags). Skip the red zone, save both, and iretq to the CPL3
 * dispatcher so the real work runs natively, SSE and all.
 */
	.balign 16
	.globl mica_syscall_entry
mica_syscall_entry:
	sub $128, %rsp
	push %rcx
	push %r11
	mov %rsp, %rcx
	pushq $MICA_SEL_UDATA
	push %rcx
	pushq $0x3002		/* IOPL=3, IF=0 */
	pushq $MICA_SEL_UCODE
	lea mica_syscall_user(%rip), %rcx
	push %rcx
	iretq

/*
 * CPL3. Stack: [rsp] = caller rflags, [rsp+8] = caller rip, then the red
 * zone. Call mica_syscall_dispatch(nr, a1..a6) preserving every register
 * the Linux syscall ABI preserves (all but rax, rcx, r11), XMM included.
 */
	.balign 16
mica_syscall_user:
	push %rbp
	mov %rsp, %rbp
	push %rdi
	push %rsi
	push %rdx
	push %r10
	push %r8
	push %r9
	sub $256, %rsp
	and $-16, %rsp
	movdqa %xmm0, 0(%rsp)
	movdqa %xmm1, 16(%rsp)
	movdqa %xmm2, 32(%rsp)
	movdqa %xmm3, 48(%rsp)
	movdqa %xmm4, 64(%rsp)
	movdqa %xmm5, 80(%rsp)
	movdqa %xmm6, 96(%rsp)
	movdqa %xmm7, 112(%rsp)
	movdqa %xmm8, 128(%rsp)
	movdqa %xmm9, 144(%rsp)
	movdqa %xmm10, 160(%rsp)
	movdqa %xmm11, 176(%rsp)
	movdqa %xmm12, 192(%rsp)
	movdqa %xmm13, 208(%rsp)
	movdqa %xmm14, 224(%rsp)
	movdqa %xmm15, 240(%rsp)
	sub $8, %rsp
	push %r9		/* a6 */
	mov %r8, %r9		/* a5 */
	mov %r10, %r8		/* a4 */
	mov %rdx, %rcx		/* a3 */
	mov %rsi, %rdx		/* a2 */
	mov %rdi, %rsi		/* a1 */
	mov %rax, %rdi		/* nr */
	cld
	call mica_syscall_dispatch
	add $16, %rsp
	movdqa 0(%rsp), %xmm0
	movdqa 16(%rsp), %xmm1
	movdqa 32(%rsp), %xmm2
	movdqa 48(%rsp), %xmm3
	movdqa 64(%rsp), %xmm4
	movdqa 80(%rsp), %xmm5
	movdqa 96(%rsp), %xmm6
	movdqa 112(%rsp), %xmm7
	movdqa 128(%rsp), %xmm8
	movdqa 144(%rsp), %xmm9
	movdqa 160(%rsp), %xmm10
	movdqa 176(%rsp), %xmm11
	movdqa 192(%rsp), %xmm12
	movdqa 208(%rsp), %xmm13
	movdqa 224(%rsp), %xmm14
	movdqa 240(%rsp), %xmm15
	lea -48(%rbp), %rsp
	pop %r9
	pop %r8
	pop %r10
	pop %rdx
	pop %rsi
	pop %rdi
	pop %rbp
	mov 8(%rsp), %rcx
	popfq
	lea 136(%rsp), %rsp	/* the rip slot and the red zone; flags untouched */
	jmp *%rcx

/*
 * CPL0 exception stubs on IST1, one per vector, STUB_STRIDE bytes apart.
 * Each reports vector, error code, rip, cr2 and rsp to the host with one
 * `out`; the host marks the sandbox faulted and never resumes it.
 */
.macro FAULT_STUB vec
	.balign STUB_STRIDE
.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	pushq $\vec		/* the CPU pushed an error code */
.else
	pushq $0
	pushq $\vec
.endif
	jmp mica_fault_common
.endm

	.balign STUB_STRIDE
	.globl mica_fault_stubs
mica_fault_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	FAULT_STUB \v
	.endr

mica_fault_common:
	mov 0(%rsp), %rdi	/* vector */
	mov 8(%rsp), %rsi	/* error code */
	mov 16(%rsp), %rdx	/* rip */
	mov 40(%rsp), %r8	/* rsp */
	mov %cr2, %rcx
	outb %al, $PORT_FAULT
1:	jmp 1b			/* the host never resumes a faulted guest */

/*
 * Hostile guests that misbehave at CPL0. They bring their own image header
 * (instead of guest/boot.S's), so the host points LSTAR and the IDT at the
 * code below. Each image is this file assembled with -DCASE_<name>.
 *
 * They enter CPL0 through #UD rather than `syscall`: exception delivery
 * reaches CPL0 on every hypervisor, while kvm_pvm runs the syscall target
 * at CPL3. The syscall entry leads to the same code all the same.
 */
#include "hostile.h"

#define STUB_STRIDE 16

	.section .mica_header, "a"
	.balign 8
	.quad MICA_IMAGE_MAGIC
	.long MICA_ABI_VERSION
	.long STUB_STRIDE
	.quad cpl0
	.quad stubs
	.fill 8, 8, 0	/* no process stubs: KVM only */

	.text
	.globl _start
_start:
#if defined(CASE_cpl0_mmio)
	/* Page tables of our own in .bss, identity-mapping 4 GiB with 2 MiB
	 * pages: far more than the VM's memory. */
	mov $pd, %edi
	mov $0x87, %eax			/* present, writable, user, 2 MiB */
	mov $2048, %ecx
1:	mov %rax, (%rdi)
	add $0x200000, %rax
	add $8, %rdi
	loop 1b
	mov $pdpt, %edi
	mov $(pd + 7), %eax
	mov $4, %ecx
2:	mov %rax, (%rdi)
	add $0x1000, %rax
	add $8, %rdi
	loop 2b
	movq $(pdpt + 7), pml4
#endif
	ud2			/* into cpl0 */
	HC_OUT(HC_EXIT, resumed_exit)
1:	jmp 1b

/* CPL0, from the #UD stub (or `syscall`). */
cpl0:
#if defined(CASE_triple_fault)
	lidt null_idt		/* no vectors at all: #UD -> #GP -> #DF -> shutdown */
	ud2
#elif defined(CASE_cpl0_hlt)
	hlt
#elif defined(CASE_cpl0_mmio)
	mov $pml4, %eax
	mov %rax, %cr3
	mov 0x80000000, %eax	/* guest physical 2 GiB: no memory there */
#elif !defined(CASE_cpl0_spin) /* which just spins */
#error "unknown case"
#endif
1:	jmp 1b

/* The exception stubs: #UD goes to cpl0, the others report to the host
 * with one `out`, as in boot.S. */
	.balign STUB_STRIDE
stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign STUB_STRIDE
.if \v == 6
	jmp cpl0
.else
.if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	pushq $\v		/* the CPU pushed an error code */
.else
	pushq $0
	pushq $\v
.endif
	jmp report
.endif
	.endr
	.balign STUB_STRIDE	/* the host wants 32 whole stubs in the code */

report:
	mov 0(%rsp), %rdi	/* vector */
	mov 8(%rsp), %rsi	/* error code */
	mov 16(%rsp), %rdx	/* rip */
	mov %cr2, %rcx
	outb %al, $MICA_HC_FAULT_PORT
1:	jmp 1b

	.section .rodata
null_idt:
	.word 0
	.quad 0

	.data
resumed_exit:
	EXIT_S RESUMED_CODE, resumed_msg, resumed_len
resumed_msg:
	.ascii RESUMED_MSG
	.set resumed_len, . - resumed_msg

#if defined(CASE_cpl0_mmio)
	.bss
	.balign 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
#endif

	.section .note.GNU-stack, "", @progbits

/*
 * The hypercall of the hostile images: void hostile_hc(unsigned nr, uint64_t
 * gpa), by the transport the boot info names (as guest/guest.h's
 * mica_hypercall, without the mailbox: these images place their structures
 * where they like).
 */
#include "hostile.h"

	.text
	.globl hostile_hc
hostile_hc:
	testl $MICA_BOOT_PROCESS, GPA_INFO + BI_FLAGS
	jnz 1f
	mov %esi, %eax
	lea MICA_PORT_BASE(%rdi), %edx
	outl %eax, %dx
	ret
	/* The stubs read the thread pointer (musl's is its own address at
	 * %fs:0): give these libc-less images one, once. */
1:	cmpq $0, fs_set
	jne mica_proc_hypercall
	movq $1, fs_set
	push %rdi
	push %rsi
	mov $158, %eax		/* arch_prctl(ARCH_SET_FS, &tls) */
	mov $0x1002, %edi
	mov $tls, %esi
	syscall
	pop %rsi
	pop %rdi
	jmp mica_proc_hypercall

	.data
	.balign 8
tls:	.quad tls
fs_set:	.quad 0

	.section .note.GNU-stack, "", @progbits

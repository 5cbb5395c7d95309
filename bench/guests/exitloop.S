/*
 * The smallest guest that still boots the real way: guest/boot.S supplies
 * the .mica_header and CPL0 stubs, and mica_boot_prepare() starts us at
 * CPL3 with IOPL=3. We only ever execute `outl`, so every KVM_RUN of the
 * benchmark is exactly one guest entry and one I/O exit: the floor under
 * any hypercall. The port is not a mica hypercall port, so the host never
 * mistakes this guest for the real one.
 */
#include "../../include/mica_abi.h"

#define BENCH_PORT 0xf0	/* bench.c: EXITLOOP_PORT */

	.text
	.globl _start
_start:
	xor %eax, %eax
1:	outl %eax, $BENCH_PORT	/* the same 4-byte `out` a mica hypercall uses */
	inc %eax		/* lets the host check that the loop advances */
	jmp 1b

/* boot.S's syscall bounce calls this; the loop never makes a syscall. */
	.globl mica_syscall_dispatch
mica_syscall_dispatch:
	mov $-38, %rax		/* -ENOSYS */
	ret

	.section .note.GNU-stack, "", @progbits

/*
 * Shared by the hostile guest images (cases.S, cpl0.S, proto.c) and by
 * tests/api/test_hostile.c, which checks the offsets below against
 * mica_abi.h. The images break the host <-> guest ABI on purpose.
 */
#ifndef MICA_HOSTILE_H
#define MICA_HOSTILE_H

#include "mica_abi.h"

/* enum mica_hc and enum mica_guest_status, for assembly */
#define HC_WAIT 0
#define HC_CONSOLE 1
#define HC_HOSTCALL 2
#define HC_EXIT 3
#define GS_READY 0
#define GS_OK 1

/* Layout constants without mica_abi.h's C suffixes, and struct
 * mica_boot_info offsets. */
#define GPA_BOOT 0x1000
#define GPA_INFO 0x10000
#define BI_FLAGS 12
#define BI_MEM_SIZE 16
#define BI_HEAP_START 24

/* Far outside any guest memory (at most 2 GiB), and canonical. */
#define WILD 0xffffffffff000000
/* A structure address past the end of guest memory but below 4 GiB, as
 * `outl` can only pass 32 bits. */
#define WILD32 0xfffff000

/* What a case does if the host resumes it when it should not have: exit
 * with a message the test's expectations never match. */
#define RESUMED_CODE 99
#define RESUMED_MSG "the host resumed the guest after an ABI violation"

#ifdef __ASSEMBLER__
/* One hypercall with the structure at addr, by the backend's transport
 * (tests/hostile/transport.S): `outl` to the call's port under KVM, a park
 * in guest/proc.S in a process. Clobbers what a call may. */
#define HC(n, addr) mov $(addr), %esi; mov $(n), %edi; call hostile_hc
/* The KVM transport alone: `outl %eax` to the call's port, eax = addr. */
#define HC_OUT(n, addr) mov $(addr), %eax; outl %eax, $(MICA_PORT_BASE + (n))

/* The hypercall structures of mica_abi.h. */
.macro WAIT_S status, result, len
	.balign 8
	.long \status, 0
	.quad \result, \len
	.long 0, 0
	.quad 0, 0
.endm
.macro CONSOLE_S stream, data, len
	.balign 8
	.long \stream, 0
	.quad \data, \len
.endm
.macro HOSTCALL_S fn, args, len
	.balign 8
	.long \fn, 0
	.quad \args, \len, 0
	.long 0, 0 /* args_kind, result_kind */
.endm
.macro EXIT_S code, msg, len
	.balign 8
	.quad \code, \msg, \len
.endm
#endif

#endif

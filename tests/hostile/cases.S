/*
 * Hostile guests that misbehave at boot, at CPL3, linked with the real
 * guest/boot.S (image header, syscall bounce, fault stubs). Each image is
 * this file assembled with -DCASE_<name>; tests/api/test_hostile.c holds
 * what the host must answer to each.
 */
#include "hostile.h"

	.text
	.globl _start, mica_syscall_dispatch

/* boot.S's syscall bounce calls this at CPL3. */
mica_syscall_dispatch:
	xor %eax, %eax
	ret

_start:
/* ---- MICA_HC_WAIT -------------------------------------------------------- */
#if defined(CASE_wait_struct_oob)
	HC(HC_WAIT, WILD32)
#elif defined(CASE_wait_result_wild)
	HC(HC_WAIT, w)
	.data
w:	WAIT_S GS_READY, WILD, 16
#elif defined(CASE_wait_result_huge)
	HC(HC_WAIT, w)
	.data
w:	WAIT_S GS_READY, 0x400000, 0x8000000000000000
#elif defined(CASE_wait_result_wrap) /* result + result_len wraps past 2^64 */
	HC(HC_WAIT, w)
	.data
w:	WAIT_S GS_READY, 0xfffffffffffff000, 0x2000
#elif defined(CASE_wait_result_cap) /* inside 64 MiB of memory, but 48 MiB */
	HC(HC_WAIT, w)
	.data
w:	WAIT_S GS_READY, 0x400000, 0x3000000
#elif defined(CASE_wait_not_ready) /* a valid WAIT, but "OK" instead of READY */
	HC(HC_WAIT, w)
	.data
w:	WAIT_S GS_OK, 0, 0

/* ---- MICA_HC_CONSOLE ----------------------------------------------------- */
#elif defined(CASE_console_struct_oob)
	HC(HC_CONSOLE, 0xfffffff0)
#elif defined(CASE_console_data_wild)
	HC(HC_CONSOLE, c)
	.data
c:	CONSOLE_S 1, WILD, 10
#elif defined(CASE_console_len_huge)
	HC(HC_CONSOLE, c)
	.data
c:	CONSOLE_S 1, 0x400000, 0x8000000000000000
#elif defined(CASE_console_stream_bad)
	HC(HC_CONSOLE, c)
	.data
c:	CONSOLE_S 3, 0x400000, 5
#elif defined(CASE_console_flood) /* 256 MiB of output, then READY */
	mov $256, %ebx
1:	HC(HC_CONSOLE, c)
	dec %ebx
	jnz 1b
	HC(HC_WAIT, w)
	.data
c:	CONSOLE_S 1, MICA_GPA_IN, 0x100000
w:	WAIT_S GS_READY, 0, 0
#elif defined(CASE_console_forever) /* exits to the host without end */
1:	HC(HC_CONSOLE, c)
	jmp 1b
	.data
c:	CONSOLE_S 1, 0x400000, 64

/* ---- MICA_HC_HOSTCALL (the test registers one function: index 0) --------- */
#elif defined(CASE_hostcall_struct_oob)
	HC(HC_HOSTCALL, 0xffffffe0)
#elif defined(CASE_hostcall_fn_range)
	HC(HC_HOSTCALL, h)
	.data
h:	HOSTCALL_S 1, args, 2
args:	.ascii "[]"
#elif defined(CASE_hostcall_args_wild)
	HC(HC_HOSTCALL, h)
	.data
h:	HOSTCALL_S 0, WILD, 32
#elif defined(CASE_hostcall_args_in)
	/* the answer would overwrite them while the callback reads them */
	HC(HC_HOSTCALL, h)
	.data
h:	HOSTCALL_S 0, MICA_GPA_IN + 16, 32

/* ---- MICA_HC_EXIT -------------------------------------------------------- */
#elif defined(CASE_exit_msg)
	HC(HC_EXIT, e)
	.data
e:	EXIT_S 7, msg, 3
msg:	.ascii "bye"
#elif defined(CASE_exit_msg_wild)
	HC(HC_EXIT, e)
	.data
e:	EXIT_S 7, WILD, 100
#elif defined(CASE_exit_struct_oob)
	HC(HC_EXIT, WILD32)

/* ---- I/O ports ----------------------------------------------------------- */
#elif defined(CASE_port_unknown)
	outl %eax, $0x80
#elif defined(CASE_port_in)
	inl $(MICA_PORT_BASE + HC_WAIT), %eax
#elif defined(CASE_port_outb)
	mov $w, %eax
	outb %al, $(MICA_PORT_BASE + HC_WAIT)
	.data
w:	WAIT_S GS_READY, 0, 0
#elif defined(CASE_port_rep_outsb)
	mov $(MICA_PORT_BASE + HC_CONSOLE), %dx
	mov $16, %ecx
	mov $GPA_INFO, %esi
	rep outsb
#elif defined(CASE_port_rep_outsl) /* one hypercall per element: the second is wild */
	mov $(MICA_PORT_BASE + HC_CONSOLE), %dx
	mov $2, %ecx
	mov $two, %esi
	rep outsl
	.data
two:	.long c, WILD32
c:	CONSOLE_S 1, 0x400000, 4
#elif defined(CASE_fault_port_spoof) /* CPL3 pretends to be a fault stub */
	mov $1234, %edi
	outb %al, $MICA_HC_FAULT_PORT

/* ---- memory protection --------------------------------------------------- */
#elif defined(CASE_write_text) /* W^X */
	movb $0xcc, _start(%rip)
#elif defined(CASE_exec_stack) /* NX */
	pushq $0xc3
	jmp *%rsp
#elif defined(CASE_exec_heap)
	mov GPA_INFO + BI_HEAP_START, %rax
	movb $0xc3, (%rax)
	jmp *%rax
#elif defined(CASE_read_null)
	mov 0, %rax
#elif defined(CASE_read_boot_page) /* GDT, TSS and IDT: supervisor only */
	mov GPA_BOOT, %rax
#elif defined(CASE_read_page_tables) /* at the top of memory, never mapped */
	mov GPA_INFO + BI_MEM_SIZE, %rax
	mov -8(%rax), %rax
#elif defined(CASE_write_boot_info) /* user read-only */
	movq $0, GPA_INFO
#elif defined(CASE_stack_overflow)
1:	push %rax
	jmp 1b
#elif defined(CASE_stack_noncanonical)
	movabs $0x8000000000000000, %rsp
	push %rax
#elif defined(CASE_load_noncanonical)
	movabs $0x8000000000000000, %rax
	mov (%rax), %rax
#elif defined(CASE_syscall_bad_rsp) /* boot.S's CPL0 entry pushes on rsp 0 */
	xor %esp, %esp
	syscall

/* ---- privileged and trapping instructions -------------------------------- */
#elif defined(CASE_hlt)
	hlt
#elif defined(CASE_cli_hlt) /* cli is legal at IOPL=3 (but not on kvm_pvm) */
	cli
	hlt
#elif defined(CASE_spin) /* IF is clear from boot: the host's timer needs no guest interrupt */
1:	jmp 1b
#elif defined(CASE_ud2)
	ud2
#elif defined(CASE_div0)
	xor %ecx, %ecx
	xor %edx, %edx
	mov $1, %eax
	div %ecx
#elif defined(CASE_int3) /* the IDT's gates are DPL0 */
	int3
#elif defined(CASE_int80) /* beyond the IDT's 32 vectors */
	int $0x80
#elif defined(CASE_wrmsr) /* try to move the syscall entry */
	mov $0xc0000082, %ecx
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
#elif defined(CASE_iret_to_cpl0)
	mov %rsp, %rax
	pushq $MICA_SEL_KDATA
	push %rax
	pushfq
	pushq $MICA_SEL_KCODE
	pushq $resumed
	iretq
#else
#error "unknown case"
#endif

	.text
resumed:
	HC(HC_EXIT, resumed_exit)
1:	jmp 1b

	.data
resumed_exit:
	EXIT_S RESUMED_CODE, resumed_msg, resumed_len
resumed_msg:
	.ascii RESUMED_MSG
	.set resumed_len, . - resumed_msg

	.section .note.GNU-stack, "", @progbits

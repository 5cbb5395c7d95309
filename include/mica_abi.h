/*
 * mica host <-> guest ABI. Shared, byte for byte, by host/ and guest/.
 *
 * The guest is hostile by assumption: every address and length the host
 * reads from a structure below goes through the host's one checked
 * accessor (host/guestmem.h) before the host touches guest memory.
 *
 * One guest image runs on two backends; boot info flag MICA_BOOT_PROCESS
 * tells the guest which one it is on, and so which transport a hypercall
 * takes:
 *   - KVM: the guest (CPL3, IOPL=3) executes `outl %eax, $port` with
 *     port = MICA_PORT_BASE + MICA_HC_* and eax = the guest physical
 *     address of the call's structure (memory is identity mapped and below
 *     4 GiB). The exception stubs (CPL0) use MICA_HC_FAULT and pass their
 *     data in registers, so that a corrupt guest stack cannot hide a fault.
 *   - process: the guest is a child process with the same memory at the
 *     same addresses. It stores the call in the mailbox (struct
 *     mica_mailbox) and parks in the image's trusted stub (guest/proc.S):
 *     one eventfd write tells the host, one eventfd read waits for its
 *     answer. The seccomp filter allows those two system calls only at
 *     the stub's two instructions, so the host's count of notifications is
 *     a count of parks: after one, the child runs nothing but the stub
 *     until the host answers (docs/process-backend.md).
 */
#ifndef MICA_ABI_H
#define MICA_ABI_H

#define MICA_ABI_VERSION 3

#define MICA_PORT_BASE	   0xe0
#define MICA_HC_FAULT_PORT (MICA_PORT_BASE + 4)

/* ---- memory layout (guest physical == guest virtual) --------------------- */

#define MICA_PAGE_SIZE 0x1000ULL
#define MICA_GPA_BOOT  0x1000ULL /* KVM: GDT, TSS, IDT: supervisor only */
#define MICA_GPA_IST   0x2000ULL /* KVM: exception stack, 2 pages, supervisor only */
#define MICA_IST_TOP   0x4000ULL

/* The window: small fixed areas at fixed addresses. No user page lies below
 * 64 KiB (Debian's vm.mmap_min_addr): the process backend maps the guest at
 * its own addresses. The process backend shares [MICA_GPA_WINDOW,
 * MICA_SHARED_END) with the host (one memfd per sandbox); everything from
 * MICA_SHARED_END on is the child's own copy-on-write memory. */
#define MICA_GPA_WINDOW	   0x10000ULL
#define MICA_GPA_INFO	   0x10000ULL /* struct mica_boot_info: user read-only */
#define MICA_GPA_MAILBOX   0x11000ULL /* struct mica_mailbox: user read-write */
#define MICA_GPA_INLINE	   0x12000ULL /* small requests and results: user read-write */
#define MICA_INLINE_SIZE   0x3000ULL
#define MICA_GPA_CTRL	   0x15000ULL /* process: struct mica_proc_ctrl, user read-only */
#define MICA_CTRL_SIZE	   0x2000ULL
#define MICA_GPA_CONSOLE   0x17000ULL /* the guest's console buffer: user read-write */
#define MICA_CONSOLE_SIZE  0x4000ULL
#define MICA_GPA_SCRATCH   0x1b000ULL /* process: the reset's stack and scan buffer */
#define MICA_SCRATCH_SIZE  0x4000ULL
#define MICA_SHARED_END	   0x1f000ULL
#define MICA_GPA_SIGSTACK  0x20000ULL /* process: the fault handlers' stack */
#define MICA_SIGSTACK_SIZE 0x10000ULL
#define MICA_GPA_IN	   0x100000ULL	/* host -> guest request buffer: user read-write */
#define MICA_IN_SIZE	   0x300000ULL	/* 3 MiB: largest request (source, event) */
#define MICA_GPA_IMAGE	   0x400000ULL	/* the guest ELF links here */
#define MICA_IMAGE_MAX	   0x4000000ULL /* and must end below this address */

/* process: where the child sees the snapshot it resets to, read-only */
#define MICA_PROC_REF_BASE 0x10000000000ULL

/* GDT selectors (KVM) */
#define MICA_SEL_KCODE 0x08
#define MICA_SEL_KDATA 0x10
#define MICA_SEL_UDATA 0x23
#define MICA_SEL_UCODE 0x2b
#define MICA_SEL_TSS   0x30

#define MICA_BOOT_MAGIC 0x6f6f622d6163696d /* "mica-boo" */

/* ---- the process transport -------------------------------------------------
 * The child's only file descriptors; what the trusted stub passes to them. */
#define MICA_PROC_FD_GO	     0 /* eventfd: the host's answer (read 8 bytes) */
#define MICA_PROC_FD_NOTIFY  1 /* eventfd: a park (write 8 bytes, the value 1) */
#define MICA_PROC_FD_PAGEMAP 2 /* /proc/self/pagemap, for the reset's scan */

/* struct mica_proc_ctrl.mode: what the stub does with the host's answer */
#define MICA_PROC_CONTINUE 0 /* return to the caller */
#define MICA_PROC_RESTORE  1 /* load the registers in ctrl (a new child) */
#define MICA_PROC_RESET	   2 /* put memory back to the snapshot, then RESTORE */
#define MICA_PROC_RESET_PARK                                                                       \
	3 /* put memory back to the snapshot, then park again                                      \
	     (a spare process, kept for the next clone) */
/* List the private pages the guest wrote in [scan_from, priv_hi) into the
 * scratch area (struct mica_proc_scan), then park again; CONTINUE returns
 * to where the guest parked. For snapshots, without the host opening the
 * child's pagemap. */
#define MICA_PROC_SCAN 4

/* What the loader hands proc_enter (rdi), in the scratch area: a count, up
 * to MICA_PROC_ENTER_RANGES (address, length) pairs to unmap, and at
 * MICA_PROC_ENTER_PROG the struct sock_fprog of the seccomp filter. */
#define MICA_PROC_ENTER_RANGES 64
#define MICA_PROC_ENTER_PROG   (8 + 16 * MICA_PROC_ENTER_RANGES)

/* struct mica_proc_ctrl.flags */
#define MICA_PROC_XSAVE 1u /* the CPU has XSAVE: xrstor resets every register file */

/* Offsets of the structures below, for guest/proc.S (checked in C). */
#define MICA_MB_NR	64  /* struct mica_mailbox.nr */
#define MICA_MB_ARG	72  /* .arg */
#define MICA_MB_GO	80  /* .go */
#define MICA_MB_SIGRIP	88  /* .sigrip */
#define MICA_MB_SAVED	256 /* .saved */
#define MICA_CTRL_ONE	0   /* struct mica_proc_ctrl.one */
#define MICA_CTRL_MODE	8   /* .mode */
#define MICA_CTRL_FLAGS 12  /* .flags */
#define MICA_CTRL_CPU	16  /* .cpu: struct mica_proc_cpu */
#define MICA_CTRL_USER_DS 304 /* .user_ds */
#define MICA_CTRL_XSAVE 512 /* .xsave, 64-aligned */
#define MICA_CPU_RSP	32  /* struct mica_proc_cpu.gpr[4] */
#define MICA_CPU_RIP	128 /* .rip */
#define MICA_CPU_RFLAGS 136 /* .rflags */
#define MICA_CPU_FS	144 /* .fs_base */
#define MICA_CPU_GS	152 /* .gs_base */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* ---- hypercalls ---------------------------------------------------------- */

enum mica_hc {
	MICA_HC_WAIT = 0,     /* report the last request's outcome, wait for the next */
	MICA_HC_CONSOLE = 1,  /* append console output */
	MICA_HC_HOSTCALL = 2, /* call a host function synchronously */
	MICA_HC_EXIT = 3,     /* the guest gives up: exit_group(), abort() */
	MICA_HC_FAULT = 4,    /* KVM: a CPL0 exception stub, the facts in registers */
	MICA_HC_MODULE = 5,   /* fetch a user module's source from the host's module root */
	MICA_HC_ASYNC = 6,    /* start an async host call (completion comes with a SLEEP) */
	MICA_HC_SLEEP = 7,    /* wait for a timer or async completions; returns the completions */
	MICA_HC_COUNT
};

/* MICA_HC_WAIT. Outcome of the previous request, then the next request. */
enum mica_guest_status {
	MICA_GS_READY = 0,     /* first WAIT after boot: runtime initialised */
	MICA_GS_OK = 1,	       /* result = JSON (CALL) or printable text (EVAL) */
	MICA_GS_EXCEPTION = 2, /* result = "Name: message\n<stack>" */
	MICA_GS_SYNTAX = 3,    /* code did not compile; result = message with file:line */
	MICA_GS_BAD_INPUT = 4, /* bad request: invalid event JSON, unknown handler */
	MICA_GS_OOM = 5,       /* JS heap limit reached */
};

enum mica_op {
	MICA_OP_LOAD = 1,    /* name = module file name, data = module source */
	MICA_OP_CALL = 2,    /* name = handler, data = event JSON (or bytes: MICA_REQ_BYTES) */
	MICA_OP_EVAL = 3,    /* name = file name, data = script source */
	MICA_OP_COMPILE = 4, /* name = module name, data = source; result = bytecode */
	MICA_OP_LOAD_BYTECODE = 5, /* name = module name, data = bytecode (MICA_OP_COMPILE's) */
};

/* What a payload is: JSON text (or, for other ops, their text) or raw bytes
 * (an ArrayBuffer, typed array or DataView on the JavaScript side, which
 * receives a Uint8Array). */
enum mica_kind {
	MICA_KIND_JSON = 0,
	MICA_KIND_BYTES = 1,
};

/* mica_hc_wait.flags, host -> guest */
#define MICA_REQ_BYTES 1u /* MICA_OP_CALL: data is raw bytes, the event a Uint8Array */
/* A promise rejection nobody handles: by default it fails the request (as
 * Node's and Deno's "strict"); WARN prints it to stderr, NONE ignores it. */
#define MICA_REQ_REJECTIONS_WARN 2u
#define MICA_REQ_REJECTIONS_NONE 4u

/* Largest result a WAIT may report (the host refuses more as an ABI violation). */
#define MICA_RESULT_MAX (MICA_IN_SIZE * 16)
/* Requests and results that fit go through MICA_GPA_INLINE, which both
 * hosts read and write in place; larger ones through MICA_GPA_IN (request)
 * or where the guest has them (result). */

/*
 * Where structures lie: anywhere in guest memory the guest itself may
 * write (the host checks), and the host writes its answers back into them.
 * The guest keeps its structures in the mailbox, which both hosts read in
 * place. Arguments a structure points to must not overlap MICA_GPA_IN,
 * where the host writes its answers (an ABI violation otherwise).
 */
struct mica_hc_wait {
	/* guest -> host */
	uint32_t status; /* enum mica_guest_status */
	uint32_t kind;	 /* enum mica_kind of the result; MICA_KIND_BYTES only for MICA_OP_CALL */
	uint64_t result; /* guest address of result bytes */
	uint64_t result_len; /* no terminating NUL */
	/* host -> guest: the request (bytes at `request`) */
	uint32_t op;	/* enum mica_op */
	uint32_t flags; /* MICA_REQ_* */
	uint64_t name_len;
	uint64_t data_len;
	uint64_t request; /* MICA_GPA_INLINE or MICA_GPA_IN: name, NUL, data, NUL */
};

/* MICA_HC_CONSOLE */
struct mica_hc_console {
	uint32_t stream; /* 1 = stdout, 2 = stderr */
	uint32_t reserved;
	uint64_t data;
	uint64_t len;
};

/* MICA_HC_HOSTCALL: the result (JSON, bytes, or an error message) is written
 * by the host to MICA_GPA_IN; the request in MICA_GPA_IN is consumed before.
 * The arguments must not overlap MICA_GPA_IN. */
struct mica_hc_hostcall {
	uint32_t fn;	 /* index into the host function table in boot info */
	uint32_t failed; /* host -> guest: 1 = result is an error message */
	uint64_t args;	 /* guest address of the JSON array of arguments, or of the bytes */
	uint64_t args_len;
	uint64_t result_len;  /* host -> guest */
	uint32_t args_kind;   /* guest -> host: enum mica_kind of args */
	uint32_t result_kind; /* host -> guest: enum mica_kind of the result (unless failed) */
};

/* MICA_HC_MODULE: the host writes the module's source (or, when failed, the
 * reason) NUL-terminated to MICA_GPA_IN. */
struct mica_hc_module {
	uint64_t name; /* normalized module name: a path relative to the root */
	uint64_t name_len;
	uint32_t failed; /* host -> guest */
	uint32_t reserved;
	uint64_t result_len; /* host -> guest */
};

/* MICA_HC_ASYNC: starts host function `fn` (registered async) and returns
 * at once. `id` is the guest's name for the call: the host hands it back
 * with the completion. The host bounds what it holds for a sandbox's calls
 * (started and not yet delivered: at most MICA_ASYNC_MAX_CALLS, with
 * MICA_ASYNC_MAX_BYTES of arguments and waiting results); past that it
 * refuses the call at once (`refused` = 1) and there is no completion. */
#define MICA_ASYNC_MAX_CALLS 4096
#define MICA_ASYNC_MAX_BYTES (64ull << 20)
struct mica_hc_async {
	uint32_t fn;
	uint32_t args_kind; /* enum mica_kind of args */
	uint64_t id;
	uint64_t args; /* guest address of the JSON array of arguments, or of the bytes */
	uint64_t args_len;
	uint32_t refused; /* host -> guest */
	uint32_t reserved;
};

/* MICA_HC_SLEEP: the host waits until timeout_ns have passed (UINT64_MAX:
 * no timer, 0: just collect) or an async call of this request completes,
 * then writes the completions that fit to MICA_GPA_IN, each a
 * struct mica_completion followed by its bytes and a NUL, padded to 8. */
struct mica_hc_sleep {
	uint64_t timeout_ns; /* guest -> host */
	uint32_t count;	     /* host -> guest: completions in MICA_GPA_IN */
	uint32_t more;	     /* host -> guest: 1 = more are queued */
	uint64_t len;	     /* host -> guest: bytes used in MICA_GPA_IN */
};

enum mica_completion_kind {
	MICA_COMPLETION_JSON = 0,  /* JSON (0 bytes: undefined) */
	MICA_COMPLETION_ERROR = 1, /* an error message: the promise rejects */
	MICA_COMPLETION_BYTES = 2, /* raw bytes: the promise resolves to a Uint8Array */
};

struct mica_completion {
	uint64_t id;
	uint32_t kind; /* enum mica_completion_kind */
	uint32_t len;
};

/* MICA_HC_EXIT */
struct mica_hc_exit {
	int64_t code;
	uint64_t msg;
	uint64_t msg_len;
};

/* ---- the mailbox (MICA_GPA_MAILBOX) -----------------------------------------
 * Guest-written, so never trusted: the host reads what it needs once. */

/* process: what the guest's fault handler reports with MICA_HC_FAULT, from
 * the kernel's signal frame (the same facts the KVM stubs pass). */
/* process: the exit code of a guest whose fault handler wrote the facts
 * to struct mica_mailbox.fault. A handler never parks: after a park the
 * child runs nothing but the stub, or dies. */
#define MICA_PROC_EXIT_FAULT 120

struct mica_proc_fault {
	uint64_t signal;
	uint64_t vector; /* trap number */
	uint64_t error;	 /* error code */
	uint64_t rip;
	uint64_t addr; /* faulting address (cr2) */
	uint64_t rsp;
	int64_t code; /* si_code: SI_KERNEL (0x80) when no CPU exception caused it */
};

/* process: the registers at a WAIT, which a snapshot resumes from: the
 * callee-saved ones, the return address and stack, the thread pointer, and
 * the x87/SSE state (FXSAVE layout). */
struct mica_proc_saved {
	uint64_t rip, rsp, rbx, rbp, r12, r13, r14, r15, fs_base;
	uint64_t pad[7];
	uint8_t fxsave[512]; /* 16-aligned */
};

struct mica_mailbox {
	uint8_t call[64]; /* the current call's structure */
	uint32_t nr;	  /* 64: process: the call (enum mica_hc) */
	uint32_t pad0;
	uint64_t arg;		      /* 72: process: its structure's address */
	uint64_t go;		      /* 80: process: the answer's read lands here */
	uint64_t sigrip;	      /* 88: process: the system call handler's way back */
	struct mica_proc_fault fault; /* 96 */
	uint64_t pad1[13];
	struct mica_proc_saved saved; /* 256 */
};

/* ---- process: the host's control page (MICA_GPA_CTRL, read-only for the
 * guest). What a RESTORE loads: the general registers in the order of the
 * x86 encoding (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15). */
struct mica_proc_cpu {
	uint64_t gpr[16];
	uint64_t rip, rflags, fs_base, gs_base;
};

/* The base's data: reset copies these ranges back from the snapshot and
 * zeroes the rest (mapped as zeroes, not from the base). */
#define MICA_PROC_MAX_EXTENTS  256
#define MICA_PROC_MAX_WRITABLE 32

struct mica_proc_ctrl {
	uint64_t one;		  /* 1: the value a park writes to MICA_PROC_FD_NOTIFY */
	uint32_t mode;		  /* MICA_PROC_CONTINUE, _RESTORE, _RESET or _RESET_PARK */
	uint32_t flags;		  /* MICA_PROC_* */
	struct mica_proc_cpu cpu; /* 16 */
	/* MICA_PROC_RESET: the guest's private memory [priv_lo, priv_hi) is put
	 * back to the snapshot: the pages written since (no longer the
	 * snapshot's) are copied back from MICA_PROC_REF_BASE where the
	 * snapshot has data (extent[]) and zeroed elsewhere, up to copy_max
	 * pages; past that they are dropped, so that the snapshot shows through
	 * again (and the next writes fault them in). Only the guest's writable
	 * ranges (writable[], sorted) are scanned: no other private page ever
	 * changes. Then the shared pages the guest may write are zeroed
	 * (mailbox, console, scratch). Either way the request the host has
	 * just put in the guest stays: keep_inline bytes of MICA_GPA_INLINE or
	 * keep_in of MICA_GPA_IN (the rest of their last page is zeroed). Last,
	 * the post_len bytes of post are written at post_gpa: the parked WAIT
	 * structure with the request (in the mailbox). */
	uint64_t priv_lo, priv_hi; /* 176 */
	uint64_t copy_max;
	uint64_t keep_inline, keep_in;
	uint64_t nextents;
	uint64_t post_gpa, post_len; /* 224 */
	uint8_t post[64];
	/* the kernel's flat user data selector (the host's %ss), or 0: with
	 * it, RESTORE gives GS base 0 without a system call (see proc.S) */
	uint64_t user_ds; /* 304 */
	uint64_t pad[25];
	uint8_t xsave[576]; /* 512: legacy area, XSAVE header (XSTATE_BV = x87|SSE) */
	uint64_t extent[MICA_PROC_MAX_EXTENTS][2]; /* 1088: sorted [start, end) */
	uint64_t nwritable;
	uint64_t writable[MICA_PROC_MAX_WRITABLE][2]; /* sorted [start, end) */
	uint64_t scan_from;			      /* MICA_PROC_SCAN */
};

/* MICA_PROC_SCAN's answer, at MICA_GPA_SCRATCH: PAGEMAP_SCAN's result
 * (regions, or -errno) and where its walk ended, then the regions. */
struct mica_proc_scan {
	int64_t count;
	uint64_t walk_end;
	struct {
		uint64_t start, end, categories;
	} region[];
};
#define MICA_PROC_SCAN_MAX ((MICA_SCRATCH_SIZE - MICA_PAGE_SIZE - 16) / 24)

#endif /* __ASSEMBLER__ */

/* struct mica_boot_info.flags, written by the host; the guest never writes it. */
#define MICA_BOOT_DETERMINISTIC 1 /* fixed seed, virtual clock (mica_limits.deterministic) */
#define MICA_BOOT_PROCESS	2 /* the process backend: hypercalls park in guest/proc.S */

#ifndef __ASSEMBLER__

struct mica_boot_info {
	uint64_t magic;
	uint32_t abi_version;
	uint32_t flags; /* MICA_BOOT_* */
	uint64_t mem_size;
	uint64_t heap_start; /* the allocator arena [heap_start, heap_end) */
	uint64_t heap_end;
	uint64_t stack_top;
	uint64_t stack_size;
	uint64_t js_heap_limit;
	uint64_t output_limit; /* console bytes per request the host will accept */
	/* wall clock = wall_base_ns + (rdtsc - tsc_base) * 1e6 / tsc_khz */
	uint64_t tsc_khz;
	uint64_t tsc_base;
	int64_t wall_base_ns;
	uint64_t random[4]; /* seed for Math.random and the guest's RNG */
	/* host function table, in MICA_GPA_IN at boot: "module\0name\0" x count,
	 * then one byte per function: 1 = async (MICA_HC_ASYNC), 0 = sync */
	uint32_t hostfn_count;
	uint32_t hostfn_table_len;
	/* Bumped by the host whenever the fields above the table (clock base,
	 * random seed) are renewed, e.g. after a snapshot restore; the guest
	 * reseeds its generators when it sees a new value. */
	uint64_t generation;
};

/* ---- guest image header -------------------------------------------------- */

#endif /* __ASSEMBLER__ */

#define MICA_IMAGE_MAGIC   0x6567616d692d6163 /* "ca-image" */
#define MICA_IMAGE_SECTION ".mica_header"
#define MICA_FAULT_VECTORS 32

#ifndef __ASSEMBLER__

/* In ELF section MICA_IMAGE_SECTION: where the host points LSTAR and the IDT
 * (KVM), and the process backend's entry points and trusted instructions
 * (0 in an image that cannot run as a process). */
struct mica_image_header {
	uint64_t magic;
	uint32_t abi_version;
	uint32_t fault_stub_stride; /* bytes between the stubs of two vectors */
	uint64_t syscall_entry;	    /* CPL0 `syscall` target */
	uint64_t fault_stubs;	    /* CPL0 entry of vector 0 */
	/* process backend */
	uint64_t proc_enter;	/* the loader's last step: unmap, seccomp, park */
	uint64_t proc_sigsys;	/* SIGSYS handler: the system call dispatcher */
	uint64_t proc_fault;	/* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP handler */
	uint64_t proc_restorer; /* sa_restorer: never used (handlers do not return that way) */
	/* the address after each trusted `syscall`, which the filter pins */
	uint64_t proc_notify_ip, proc_wait_ip, proc_scan_ip, proc_drop_ip;
};

#endif /* __ASSEMBLER__ */

#endif

/*
 * mica host <-> guest ABI. Shared, byte for byte, by host/ and guest/.
 *
 * The guest is hostile by assumption: every address and length the host
 * reads from a structure below goes through mica_gpa_check() (host/vm.h)
 * before the host touches guest memory.
 *
 * Hypercalls: the guest (CPL3, IOPL=3) executes `outl %eax, $port` with
 * port = MICA_PORT_BASE + MICA_HC_* and eax = the guest physical address of
 * the call's structure (guest memory is identity mapped and below 4 GiB).
 * The exception stubs (CPL0) use MICA_HC_FAULT and pass their data in
 * registers instead, so that a corrupt guest stack cannot hide a fault.
 */
#ifndef MICA_ABI_H
#define MICA_ABI_H


#define MICA_ABI_VERSION 2

#define MICA_PORT_BASE 0xe0
#define MICA_HC_FAULT_PORT (MICA_PORT_BASE + 4)

#ifndef __ASSEMBLER__
#include <stdint.h>

/* ---- hypercalls ---------------------------------------------------------- */

enum mica_hc {
	MICA_HC_WAIT = 0,     /* report the last request's outcome, wait for the next */
	MICA_HC_CONSOLE = 1,  /* append console output */
	MICA_HC_HOSTCALL = 2, /* call a host function synchronously */
	MICA_HC_EXIT = 3,     /* the guest gives up: exit_group(), abort() */
	MICA_HC_FAULT = 4,    /* CPL0 exception stub: rdi=vector rsi=error rdx=rip rcx=cr2 r8=rsp */
	MICA_HC_MODULE = 5,   /* fetch a user module's source from the host's module root */
	MICA_HC_ASYNC = 6,    /* start an async host call (completion comes with a SLEEP) */
	MICA_HC_SLEEP = 7,    /* wait for a timer or async completions; returns the completions */
	MICA_HC_COUNT
};

/* MICA_HC_WAIT. Outcome of the previous request, then the next request. */
enum mica_guest_status {
	MICA_GS_READY = 0,     /* first WAIT after boot: runtime initialised */
	MICA_GS_OK = 1,        /* result = JSON (CALL) or printable text (EVAL) */
	MICA_GS_EXCEPTION = 2, /* result = "Name: message\n<stack>" */
	MICA_GS_SYNTAX = 3,    /* code did not compile; result = message with file:line */
	MICA_GS_BAD_INPUT = 4, /* bad request: invalid event JSON, unknown handler */
	MICA_GS_OOM = 5,       /* JS heap limit reached */
};

enum mica_op {
	MICA_OP_LOAD = 1, /* name = module file name, data = module source */
	MICA_OP_CALL = 2, /* name = handler, data = event JSON (or bytes: MICA_REQ_BYTES) */
	MICA_OP_EVAL = 3, /* name = file name, data = script source */
	MICA_OP_COMPILE = 4,       /* name = module name, data = source; result = bytecode */
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

/* Largest result a WAIT may report (the host refuses more as an ABI violation). */
#define MICA_RESULT_MAX (MICA_IN_SIZE * 16)

struct mica_hc_wait {
	/* guest -> host */
	uint32_t status; /* enum mica_guest_status */
	uint32_t kind;   /* enum mica_kind of the result; MICA_KIND_BYTES only for MICA_OP_CALL */
	uint64_t result;     /* guest address of result bytes */
	uint64_t result_len; /* no terminating NUL */
	/* host -> guest: request bytes are in MICA_GPA_IN: name, then data */
	uint32_t op; /* enum mica_op */
	uint32_t flags; /* MICA_REQ_* */
	uint64_t name_len;
	uint64_t data_len;
};

/* MICA_HC_CONSOLE */
struct mica_hc_console {
	uint32_t stream; /* 1 = stdout, 2 = stderr */
	uint32_t reserved;
	uint64_t data;
	uint64_t len;
};

/* MICA_HC_HOSTCALL: the result (JSON, bytes, or an error message) is written
 * by the host to MICA_GPA_IN; the request in MICA_GPA_IN is consumed before. */
struct mica_hc_hostcall {
	uint32_t fn;     /* index into the host function table in boot info */
	uint32_t failed; /* host -> guest: 1 = result is an error message */
	uint64_t args;   /* guest address of the JSON array of arguments, or of the bytes */
	uint64_t args_len;
	uint64_t result_len; /* host -> guest */
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
 * with the completion. Nothing is written back. */
struct mica_hc_async {
	uint32_t fn;
	uint32_t args_kind; /* enum mica_kind of args */
	uint64_t id;
	uint64_t args; /* guest address of the JSON array of arguments, or of the bytes */
	uint64_t args_len;
};

/* MICA_HC_SLEEP: the host waits until timeout_ns have passed (UINT64_MAX:
 * no timer, 0: just collect) or an async call of this request completes,
 * then writes the completions that fit to MICA_GPA_IN, each a
 * struct mica_completion followed by its bytes and a NUL, padded to 8. */
struct mica_hc_sleep {
	uint64_t timeout_ns; /* guest -> host */
	uint32_t count;      /* host -> guest: completions in MICA_GPA_IN */
	uint32_t more;       /* host -> guest: 1 = more are queued */
	uint64_t len;        /* host -> guest: bytes used in MICA_GPA_IN */
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

#endif /* __ASSEMBLER__ */

/* ---- memory layout (guest physical == guest virtual) --------------------- */

#define MICA_PAGE_SIZE 0x1000ULL
#define MICA_GPA_BOOT 0x1000ULL     /* GDT, TSS, IDT: supervisor only */
#define MICA_GPA_IST 0x2000ULL      /* exception stack, 2 pages, supervisor only */
#define MICA_IST_TOP 0x4000ULL
#define MICA_GPA_INFO 0x4000ULL     /* struct mica_boot_info: user read-only */
#define MICA_GPA_IN 0x100000ULL     /* host -> guest request buffer */
#define MICA_IN_SIZE 0x300000ULL    /* 3 MiB: largest request (source, event) */
#define MICA_GPA_IMAGE 0x400000ULL  /* the guest ELF links here */
#define MICA_IMAGE_MAX 0x4000000ULL /* and must end below this address */

/* GDT selectors */
#define MICA_SEL_KCODE 0x08
#define MICA_SEL_KDATA 0x10
#define MICA_SEL_UDATA 0x23
#define MICA_SEL_UCODE 0x2b
#define MICA_SEL_TSS 0x30

#define MICA_BOOT_MAGIC 0x6f6f622d6163696d /* "mica-boo" */

#ifndef __ASSEMBLER__

/* Written by the host before boot; the guest never writes it. */
#define MICA_BOOT_DETERMINISTIC 1u /* fixed seed, virtual clock (mica_limits.deterministic) */

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

#define MICA_IMAGE_MAGIC 0x6567616d692d6163 /* "ca-image" */
#define MICA_IMAGE_SECTION ".mica_header"
#define MICA_FAULT_VECTORS 32

#ifndef __ASSEMBLER__

/* In ELF section MICA_IMAGE_SECTION: where the host points LSTAR and the IDT. */
struct mica_image_header {
	uint64_t magic;
	uint32_t abi_version;
	uint32_t fault_stub_stride; /* bytes between the stubs of two vectors */
	uint64_t syscall_entry;     /* CPL0 `syscall` target */
	uint64_t fault_stubs;       /* CPL0 entry of vector 0 */
};

#endif /* __ASSEMBLER__ */

#endif

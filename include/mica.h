/*
 * libmica: run untrusted JavaScript (QuickJS) in a sandbox, on one of two
 * backends that run the same guest image behind this one API:
 *
 *   - KVM (MICA_BACKEND_KVM): each sandbox is a KVM virtual machine with
 *     one vCPU, no devices and no guest kernel. Between tenants stands the
 *     hypervisor: the guest reaches the host only through mica's hypercalls.
 *   - process (MICA_BACKEND_PROCESS): each sandbox is a child process
 *     confined before its first instruction: a seccomp filter that lets
 *     through only the transport's few system calls (every other call is
 *     served by the guest's own emulation), no capabilities, no new
 *     privileges, its own user, pid, net, ipc, uts and mount namespaces
 *     where the kernel allows them, a cgroup memory and pid limit where one
 *     can be made, no file descriptors but the transport's. Between tenants
 *     stands the host kernel's seccomp-filtered surface: a smaller barrier
 *     than a hypervisor, but it works wherever Linux runs.
 *
 * A mica_runtime holds the backend, the guest image and the registered
 * host functions. A mica_sandbox is one guest with QuickJS inside. A
 * sandbox is used by one thread at a time; mica_sandbox_interrupt() may be
 * called from any thread. The library never exits, aborts or prints: every
 * fallible call returns a mica_code and fills an optional mica_error.
 *
 * Signals: on the KVM backend a call that runs the guest may be interrupted
 * by the real-time signal MICA_SIGNAL (SIGRTMIN + 7) sent to its own
 * thread; libmica installs a no-op handler for it in mica_runtime_new(). Do
 * not block or reuse it. The process backend uses no signal in the host.
 *
 * CPUs: a KVM vCPU runs on the thread that calls; a process sandbox's child
 * is given the CPU affinity of the thread that calls it (read again when
 * another thread calls), so that a caller pinned to a CPU and its guest
 * wake each other there, without cross-CPU wakeups.
 */
#ifndef MICA_H
#define MICA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MICA_VERSION "0.1.0"
#define MICA_SIGNAL  (SIGRTMIN + 7)

/* Outcome of a call. The values are also the CLI's exit codes. */
typedef enum mica_code {
	MICA_OK = 0,
	MICA_ERR_JS = 1,	  /* uncaught JavaScript exception */
	MICA_ERR_INVALID = 2,	  /* bad argument or input: JSON, syntax, handler name */
	MICA_ERR_TIMEOUT = 3,	  /* the wall-clock limit was reached */
	MICA_ERR_MEMORY = 4,	  /* the JS heap limit was reached */
	MICA_ERR_FAULT = 5,	  /* the guest faulted, died or broke the ABI; sandbox is dead */
	MICA_ERR_SYSTEM = 6,	  /* backend unavailable, host out of resources, internal */
	MICA_ERR_INTERRUPTED = 7, /* mica_sandbox_interrupt() */
} mica_code;

typedef struct mica_error {
	mica_code code;
	char message[1024];
} mica_error;

typedef struct mica_runtime mica_runtime;
typedef struct mica_sandbox mica_sandbox;
typedef struct mica_hostcall mica_hostcall;
typedef struct mica_snapshot mica_snapshot;

/* ---- runtime ------------------------------------------------------------- */

typedef enum mica_backend {
	MICA_BACKEND_AUTO = 0,	  /* KVM when kvm_path can be opened, else process */
	MICA_BACKEND_KVM = 1,	  /* KVM or nothing: never falls back */
	MICA_BACKEND_PROCESS = 2, /* a confined child process per sandbox */
} mica_backend;

typedef struct mica_runtime_options {
	/* Guest ELF image; NULL selects the image built into libmica (tests use
	 * this to run hostile guests). Copied by mica_runtime_new(). */
	const void *guest_image;
	size_t guest_image_len;
	const char *kvm_path; /* NULL or "": "/dev/kvm" */
	mica_backend backend; /* MICA_BACKEND_AUTO (0) by default */
	/* How many freed clones the runtime keeps (their VM, or their process)
	 * for the next clone of the same snapshot. A freed clone goes back to
	 * the snapshot as mica_sandbox_reset does (its pages restored, on the
	 * process backend through the trusted reset path) and waits; a clone
	 * made from it is then loaded with the snapshot's registers, without a
	 * new VM or process. So a fresh clone gets the isolation of a reset,
	 * not of a new VM or process. 0: 16; negative: none (every clone new). */
	int spares;
} mica_runtime_options;

/* Checks the guest image and opens the backend opts asks for (opts may be
 * NULL: AUTO). A backend that cannot be used here is MICA_ERR_SYSTEM with
 * the reason (e.g. "hypervisor unavailable: cannot open /dev/kvm: No such
 * file or directory"); AUTO falls back from KVM to process only. */
mica_runtime *mica_runtime_new(const mica_runtime_options *opts, mica_error *err);
/* The backend rt runs sandboxes on (never AUTO). */
mica_backend mica_runtime_backend(const mica_runtime *rt);
/* "auto", "kvm" or "process". */
const char *mica_backend_name(mica_backend backend);
/* What rt isolates sandboxes with, one fact per line ("seccomp: ...",
 * "namespaces: ..."; first "kvm not used: <why>" when AUTO fell back to the
 * process backend), NUL-terminated and cut to len bytes. */
void mica_runtime_describe(const mica_runtime *rt, char *buf, size_t len);
/* Frees the runtime. All its sandboxes must be freed first. */
void mica_runtime_free(mica_runtime *rt);

/* Confines the whole calling process, every thread, with a seccomp filter
 * (libseccomp) to what serving rt's sandboxes needs, for after set-up:
 * files read, sandboxes and pools made. It stays until the process ends.
 * Allowed: reading and writing descriptors already open, memory (no new
 * executable mappings), futexes, clocks, the signals and timers of
 * deadlines, exiting, and the backend's own calls (KVM: its ioctls; the
 * process backend: its zygote's socket, eventfds and memfds); with sb, its
 * module root beneath it (openat2 on that directory only). Refused,
 * among the rest: opening or creating files, sockets to anywhere, new
 * processes and threads, exec, ptrace. A refused call fails with EPERM, or
 * kills the process (SIGSYS) with MICA_LOCKDOWN_KILL. New sandboxes that
 * need the file system (the process backend's cgroups for a new process)
 * cannot be made after it: make them before, or use spares. */
#define MICA_LOCKDOWN_KILL 1u
int mica_runtime_lockdown(mica_runtime *rt, const mica_sandbox *sb, unsigned flags,
			  mica_error *err);

/* A host function. It reads its arguments with mica_hostcall_args() and
 * answers with mica_hostcall_return(), mica_hostcall_return_bytes() or
 * mica_hostcall_fail(); if it does none, JavaScript receives undefined. It runs on the calling
 * thread while the guest waits, and must not use or free its own sandbox (calls into it fail with
 * MICA_ERR_INVALID). */
typedef void (*mica_host_fn)(mica_hostcall *call, void *userdata);

/* Makes fn visible to JavaScript as `import { name } from "host:module"`.
 * Affects sandboxes created afterwards; not thread-safe against
 * mica_sandbox_new() on the same runtime. Returns MICA_ERR_INVALID for bad
 * or duplicate names (identifiers of 1..64 chars), MICA_ERR_SYSTEM when out
 * of memory. */
int mica_runtime_register(mica_runtime *rt, const char *module, const char *name, mica_host_fn fn,
			  void *userdata);

/* The arguments as a JSON array (not NUL-terminated; valid during the call).
 * Binary data: when JavaScript passes exactly one argument and it is an
 * ArrayBuffer, a typed array or a DataView, the arguments are instead the
 * raw bytes it views (no JSON, no base64; read in place in guest memory,
 * not copied) and mica_hostcall_is_bytes() says so. */
const char *mica_hostcall_args(const mica_hostcall *call, size_t *len);
/* 1 if mica_hostcall_args() holds the raw bytes of a binary argument, 0 if
 * it holds a JSON array. */
int mica_hostcall_is_bytes(const mica_hostcall *call);
/* The result as JSON text (len 0: undefined). Copied. MICA_ERR_INVALID if it
 * does not fit the guest's request buffer (3 MiB). */
int mica_hostcall_return(mica_hostcall *call, const char *json, size_t len);
/* The result as raw bytes: JavaScript receives a Uint8Array holding them
 * (len 0: an empty one). Copied (straight into the guest's request buffer;
 * the guest copies them once more into the JS heap). MICA_ERR_INVALID if
 * len is 3 MiB or more. */
int mica_hostcall_return_bytes(mica_hostcall *call, const void *data, size_t len);
/* Makes the JS call throw an Error with this message. */
int mica_hostcall_fail(mica_hostcall *call, const char *message);

/* ---- asynchronous host functions ------------------------------------------
 * An async host function returns a promise to JavaScript. Its callback runs
 * on the sandbox's thread when JavaScript calls it, and may return at once,
 * keeping `call` to finish later from any thread with exactly one of
 * mica_async_complete() or mica_async_fail(), which free `call`. Many calls
 * may be in flight; the guest runs its timers and microtasks meanwhile and
 * receives completions whenever it waits (one VM exit per wake-up).
 *
 * A completion counts only for the request (load, call, eval) that started
 * the call. One arriving after that request ended, after a reset, or after
 * the sandbox was freed is dropped: the functions still free `call` and
 * return MICA_OK, so completing late is always safe (a call holds a
 * reference to the sandbox's completion queue, not to the sandbox). A
 * snapshot never captures calls in flight. */
typedef struct mica_async_call mica_async_call;
typedef void (*mica_async_fn)(mica_async_call *call, void *userdata);

/* Like mica_runtime_register, for an async host function. */
int mica_runtime_register_async(mica_runtime *rt, const char *module, const char *name,
				mica_async_fn fn, void *userdata);
/* The arguments as a JSON array (not NUL-terminated), or the raw bytes of a
 * single binary argument (mica_async_is_bytes(), as for sync functions); a
 * copy, valid until the call is completed or failed. */
const char *mica_async_args(const mica_async_call *call, size_t *len);
/* 1 if mica_async_args() holds raw bytes, 0 if a JSON array. */
int mica_async_is_bytes(const mica_async_call *call);
/* Resolves the promise with JSON text (len 0: undefined); frees call. JSON
 * text of 3 MiB or more fails the call instead (MICA_ERR_INVALID). */
int mica_async_complete(mica_async_call *call, const char *json, size_t len);
/* Resolves the promise with a Uint8Array holding a copy of data[0..len);
 * frees call. 3 MiB or more fails the call instead (MICA_ERR_INVALID). */
int mica_async_complete_bytes(mica_async_call *call, const void *data, size_t len);
/* Rejects the promise with an Error with this message; frees call. */
int mica_async_fail(mica_async_call *call, const char *message);

/* ---- sandbox ------------------------------------------------------------- */

typedef struct mica_limits {
	size_t memory_bytes; /* guest memory: 64 MiB; 16 MiB .. 2 GiB */
	size_t heap_bytes;   /* JS heap limit: 0 = what memory leaves (about memory - 8 MiB) */
	size_t stack_bytes;  /* guest stack: 1 MiB; 64 KiB .. memory / 4 */
	uint32_t timeout_ms; /* wall clock per load/call/eval: 10000; 0 = none */
	size_t output_bytes; /* console bytes per load/call/eval: 1 MiB; then truncated */
	/* 1: replayable runs. Math.random has a fixed seed; Date.now() and
	 * performance.now() read a virtual clock that starts at
	 * 2024-01-01T00:00:00Z, advances 1 us per read and jumps to each timer's
	 * due time when the guest would wait for it (no real sleep). */
	int deterministic;
	/* A promise rejection that no code handles, as Node's
	 * --unhandled-rejections: MICA_REJECTIONS_STRICT (0, the default) fails
	 * the operation like an uncaught exception; _WARN writes "Uncaught (in
	 * promise) ..." to the console's stderr and goes on; _NONE ignores it.
	 * Sent with each request: mica_sandbox_set_unhandled_rejections()
	 * changes it; a snapshot file does not keep it (its clones get the
	 * default). */
	int unhandled_rejections;
} mica_limits;

enum { MICA_REJECTIONS_STRICT = 0, MICA_REJECTIONS_WARN = 1, MICA_REJECTIONS_NONE = 2 };

/* Fills in the defaults above. */
void mica_limits_default(mica_limits *limits);

/* Console output of the guest: stream 1 = stdout, 2 = stderr. */
typedef void (*mica_console_fn)(void *userdata, int stream, const char *data, size_t len);

/* Creates a guest (a micro-VM or a child process), boots it and initialises
 * QuickJS. limits may be NULL for the defaults. */
mica_sandbox *mica_sandbox_new(mica_runtime *rt, const mica_limits *limits, mica_error *err);
void mica_sandbox_free(mica_sandbox *sb);

/* Receives console output from now on; NULL discards it. */
void mica_sandbox_set_console(mica_sandbox *sb, mica_console_fn fn, void *userdata);
/* Grants read access to the module files under dir: `import "./x.js"` in a
 * module loads x.js relative to the importing module, whose name is its path
 * relative to dir. Nothing outside dir can be read (`..` escapes and
 * symlinks leading out are refused). NULL revokes. Without a root, only
 * host: modules can be imported. MICA_ERR_INVALID if dir cannot be opened. */
int mica_sandbox_set_modules(mica_sandbox *sb, const char *dir, mica_error *err);
/* The same with a directory the caller opened (O_PATH will do) and keeps
 * open while sb may use it: nothing is opened, so it works after
 * mica_runtime_lockdown(), whose filter allows openat2 on that very
 * descriptor. -1 drops the root. MICA_ERR_INVALID if it is no directory. */
int mica_sandbox_set_modules_fd(mica_sandbox *sb, int dirfd, mica_error *err);

/* Changes the wall-clock limit of the following operations (0 = none). */
void mica_sandbox_set_timeout(mica_sandbox *sb, uint32_t timeout_ms);

/* Changes what the following operations do with a promise rejection nobody
 * handles (MICA_REJECTIONS_*; mica_limits.unhandled_rejections). A reset
 * brings back the snapshot's. MICA_ERR_INVALID for another value. */
int mica_sandbox_set_unhandled_rejections(mica_sandbox *sb, int mode);

/* Evaluates source as an ES module named `name`, running its top-level
 * await to completion. Syntax errors and unresolvable imports give
 * MICA_ERR_INVALID, a thrown exception MICA_ERR_JS. */
int mica_sandbox_load(mica_sandbox *sb, const char *name, const char *source, size_t len,
		      mica_error *err);

/* Calls the loaded module's export `handler` (else the global function of
 * that name) with the parsed event, awaits a returned promise, and returns
 * JSON.stringify(result) ("null" for undefined) in *result, malloc'd and
 * NUL-terminated; free it with free().
 *
 * Binary results: when the result is an ArrayBuffer, a typed array or a
 * DataView, *result holds the raw bytes it views instead of JSON (still
 * malloc'd, with a NUL after *result_len bytes that is not part of them),
 * and mica_sandbox_result_is_bytes(sb) returns 1. A caller whose handlers
 * never return binary data need not look. */
int mica_sandbox_call(mica_sandbox *sb, const char *handler, const char *event_json, size_t len,
		      char **result, size_t *result_len, mica_error *err);

/* mica_sandbox_call with binary data for the event: the handler receives a
 * Uint8Array holding data[0..len) (len may be 0, data then NULL), copied
 * once into the JS heap (the guest's request buffer is reused by later
 * host calls, so the event cannot view it in place). The result is as for
 * mica_sandbox_call: the raw bytes of a binary result (the guest hands the
 * host a pointer to the array's own bytes, no copy in the guest), else
 * JSON; *is_bytes (may be NULL) says which. 3 MiB at most, handler name
 * included, as for every request. */
int mica_sandbox_call_bytes(mica_sandbox *sb, const char *handler, const void *data, size_t len,
			    void **result, size_t *result_len, int *is_bytes, mica_error *err);

/* 1 if the last operation on sb was a mica_sandbox_call or
 * mica_sandbox_call_bytes that succeeded with a binary result (raw bytes in
 * *result), 0 otherwise (JSON, another operation, a failure, a reset). */
int mica_sandbox_result_is_bytes(const mica_sandbox *sb);

/* Evaluates a script; *result is its completion value printed the way
 * console.log prints it, or "" for undefined. */
int mica_sandbox_eval(mica_sandbox *sb, const char *name, const char *code, size_t len,
		      char **result, size_t *result_len, mica_error *err);

/* ---- precompiled modules (format: docs/bytecode-format.md) --------------- */

/* Compiles source as the ES module `name` (with top-level await, as
 * mica_sandbox_load would) inside sb, without running any of it, and returns
 * in *file the whole bytecode file: header (this mica build's guest image
 * hash), name, QuickJS bytecode, checksum; malloc'd, free it with free().
 * Imports are not read: they are resolved, from the module root of the
 * sandbox that loads the file, when it is loaded. Syntax errors give
 * MICA_ERR_INVALID with file:line. Name and bytecode together must fit a
 * request (3 MiB), like the source. Nothing is evaluated, but the compiled
 * module stays registered in sb under `name`: compile in a sandbox of its own. */
int mica_sandbox_compile(mica_sandbox *sb, const char *name, const char *source, size_t len,
			 void **file, size_t *file_len, mica_error *err);

/* Checks a bytecode file image without loading it: magic, format version,
 * sizes, checksum, ABI version, guest image hash (bytecode of another mica
 * build is refused: QuickJS bytecode is build-specific and unverified).
 * MICA_ERR_INVALID with a message saying what is wrong. */
int mica_bytecode_check(const mica_runtime *rt, const void *file, size_t len, mica_error *err);

/* Checks file as mica_bytecode_check does, then loads the module in sb and
 * evaluates it exactly as mica_sandbox_load evaluates source (imports from
 * the module root, top-level await, the namespace for mica_sandbox_call).
 * A bad file is refused before anything reaches the guest. The checksum
 * catches corruption, not tampering: bytecode is as trusted as source, and
 * hostile bytecode can only harm the sandbox that loads it. */
int mica_sandbox_load_bytecode(mica_sandbox *sb, const void *file, size_t len, mica_error *err);

/* Stops the running (or next) operation of sb with MICA_ERR_INTERRUPTED.
 * A running operation leaves the sandbox dead (its guest was stopped
 * mid-way); an operation stopped before it started leaves it usable.
 * Safe from any thread and from signal handlers. */
void mica_sandbox_interrupt(mica_sandbox *sb);

/* ---- snapshots ----------------------------------------------------------- */

/* Captures sb between operations (typically right after mica_sandbox_load):
 * the guest memory it ever touched, in a memfd, and the parked vCPU. */
mica_snapshot *mica_snapshot_take(mica_sandbox *sb, mica_error *err);

/* Drops the caller's reference; sandboxes made from snap keep their own, so
 * this is safe while they live. NULL is ignored. */
void mica_snapshot_free(mica_snapshot *snap);

/* The limits snap was captured with, which every sandbox made from it has
 * (mica_sandbox_set_timeout aside): its memory size among them. */
void mica_snapshot_limits(const mica_snapshot *snap, mica_limits *limits);

/* A new sandbox that resumes snap: its memory maps the snapshot copy-on-write
 * (only pages it writes become its own) and it gets fresh entropy and the
 * current time. rt must have registered every host function snap uses. */
mica_sandbox *mica_sandbox_from_snapshot(mica_runtime *rt, mica_snapshot *snap, mica_error *err);

/* Returns a sandbox made from a snapshot to exactly what
 * mica_sandbox_from_snapshot() makes: the guest's memory and registers and
 * the limits as captured (a mica_sandbox_set_timeout() is undone), fresh
 * entropy and time. Everything given for the last tenant is dropped: the
 * console callback and its user data, the module root, async calls in
 * flight (their completions become no-ops). What stays: the runtime, the
 * host functions bound by name, the snapshot. Also revives a sandbox that
 * timed out, faulted or was interrupted. Fails with MICA_ERR_INVALID for
 * sandboxes that were not made from a snapshot. */
int mica_sandbox_reset(mica_sandbox *sb, mica_error *err);

/* Writes snap to path (format: docs/snapshot-format.md): magic, format and
 * ABI versions, the guest image's hash, the limits, the host functions it
 * uses, the vCPU state, the touched pages and a checksum. The file is
 * replaced whole (a new one, renamed over it; a symbolic link there is
 * replaced, not followed); a directory, device, FIFO or socket there is
 * MICA_ERR_INVALID. */
int mica_snapshot_save(const mica_snapshot *snap, const char *path, mica_error *err);

/* Writes the same bytes as mica_snapshot_save to fd, from where it is, in
 * one sequential pass (a pipe will do); neither syncs nor closes it. */
int mica_snapshot_write(const mica_snapshot *snap, int fd, mica_error *err);

/* Reads a snapshot file written by mica_snapshot_save for use with rt. A
 * truncated, corrupted or mismatched file (other format or ABI version,
 * other guest image) is refused with MICA_ERR_INVALID and a message that
 * says what is wrong; nothing of it is used. */
mica_snapshot *mica_snapshot_load(mica_runtime *rt, const char *path, mica_error *err);

/* ---- warm pool ----------------------------------------------------------- */

typedef struct mica_pool mica_pool;

/* Keeps `size` sandboxes made from snap ready (it takes its own reference
 * to snap; rt must outlive the pool). They are all made here: a failure
 * frees what was made and returns NULL. Thread-safe: any thread may
 * acquire and release; a background thread resets released sandboxes. */
mica_pool *mica_pool_new(mica_runtime *rt, mica_snapshot *snap, unsigned size, mica_error *err);

/* Hands out a ready sandbox, waiting up to timeout_ms (0 = do not wait) if
 * all are in use: MICA_ERR_TIMEOUT then (one being reset is not in use: it
 * is waited for). If none is ready but one awaits its reset, the caller
 * resets it. A sandbox whose reset fails is replaced by a new one from the
 * snapshot; if that fails too, acquire returns NULL with that error (and a
 * later acquire tries again). Give the sandbox back with mica_pool_release,
 * never mica_sandbox_free. */
mica_sandbox *mica_pool_acquire(mica_pool *pool, uint32_t timeout_ms, mica_error *err);

/* Returns sb to the pool, which resets it to the snapshot before handing it
 * out again; nothing of its last use survives, and its console callback and
 * module root are dropped at once (as mica_sandbox_reset does). sb may be dead (timed out, faulted,
 * interrupted). Releasing a sandbox that is not out of this pool does nothing. */
void mica_pool_release(mica_pool *pool, mica_sandbox *sb);

/* Frees the pool and its sandboxes; all should have been released, and no
 * acquire or release may run meanwhile. A sandbox still out is not freed:
 * it becomes the caller's, usable and reset-able as any snapshot clone, to
 * be freed with mica_sandbox_free (never released). NULL is ignored. */
void mica_pool_free(mica_pool *pool);

/* A short name for a code, e.g. "time limit exceeded". */
const char *mica_code_name(mica_code code);

#ifdef __cplusplus
}
#endif
#endif

/*
 * Hostile guests: whatever a guest image does, the host answers with a
 * clean error code and a message naming the problem, in bounded time,
 * and survives without leaking memory, descriptors or timers.
 *
 * The images are built from tests/hostile (see hostile.mk) into
 * build/hostile/NAME.elf, or $MICA_HOSTILE_DIR/NAME.elf. An expected
 * message (or, for MICA_OK, result) is a pattern for the whole text: '*'
 * matches any characters and '|' separates alternatives, for the few
 * outcomes that differ between hardware KVM and kvm_pvm.
 */
#include <dirent.h>
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "harness.h"
#include "hostile/hostile.h"
#include "mica.h"
#include "support.h"

/* hostile.h restates parts of the ABI for assembly. */
_Static_assert(GPA_BOOT == MICA_GPA_BOOT && GPA_INFO == MICA_GPA_INFO, "hostile.h layout");
_Static_assert(BI_MEM_SIZE == offsetof(struct mica_boot_info, mem_size), "hostile.h boot info");
_Static_assert(BI_HEAP_START == offsetof(struct mica_boot_info, heap_start), "hostile.h boot info");
_Static_assert(HC_WAIT == MICA_HC_WAIT && HC_CONSOLE == MICA_HC_CONSOLE &&
		   HC_HOSTCALL == MICA_HC_HOSTCALL && HC_EXIT == MICA_HC_EXIT,
	       "hostile.h hypercalls");
_Static_assert(GS_READY == MICA_GS_READY && GS_OK == MICA_GS_OK, "hostile.h statuses");

/* Shared machines stall a process for hundreds of milliseconds now and then
 * (CI once saw a 4 MiB console flood, 8 ms here, run past 300 ms), so only the
 * cases meant to time out get the short limit, and the bounds on elapsed time
 * leave a second for a stall. They still tell "at once" from "at the limit". */
#define TIMEOUT_MS   300   /* for the cases that are meant to time out */
#define LIMIT_MS     10000 /* for every other case: not what it tests */
#define FAST_MS	     3000  /* every other case must end well before LIMIT_MS */
#define LATE_MS	     1000  /* a timeout ends within this of TIMEOUT_MS */
#define OUTPUT_LIMIT (64 * 1024)

/* ---- helpers -------------------------------------------------------------- */

/* Does pattern [p, end) match all of s? */
static int glob(const char *p, const char *end, const char *s)
{
	for (; p < end && *p != '*'; p++, s++)
		if (*s != *p)
			return 0;
	if (p == end)
		return *s == 0;
	for (;; s++) {
		if (glob(p + 1, end, s))
			return 1;
		if (!*s)
			return 0;
	}
}

static int matches(const char *text, const char *pattern)
{
	for (;;) {
		const char *bar = strchr(pattern, '|');
		if (glob(pattern, bar ? bar : pattern + strlen(pattern), text))
			return 1;
		if (!bar)
			return 0;
		pattern = bar + 1;
	}
}

/* The one host function the hostile runtimes register ("test", "answer"):
 * index 0 in the guest's table. */
static int host_calls;
static void answer(mica_hostcall *call, void *userdata)
{
	(void)userdata;
	host_calls++;
	mica_hostcall_return(call, "42", 2);
}

static mica_runtime *hostile_runtime(const struct image *img)
{
	mica_error err = {0};
	mica_runtime *rt = image_runtime(img, &err);
	CHECK(rt, "mica_runtime_new: %s", err.message);
	if (rt)
		CHECK(mica_runtime_register(rt, "test", "answer", answer, NULL) == MICA_OK,
		      "register");
	return rt;
}

static void check_outcome(const char *what, int rc, const mica_error *err, int code,
			  const char *pattern)
{
	if (getenv("MICA_HOSTILE_VERBOSE"))
		printf("  %s: %d %s\n", what, rc, rc ? err->message : "");
	CHECK(rc == code, "%s: code %d, expected %d; message: %s", what, rc, code, err->message);
	if (rc)
		CHECK((int)err->code == rc, "%s: err.code %d != %d", what, err->code, rc);
	if (rc && pattern)
		CHECK(matches(err->message, pattern), "%s: message \"%s\" does not match \"%s\"",
		      what, err->message, pattern);
}

/* A wall-clock budget: timeouts end on time, everything else at once. */
static void check_time(const char *what, int code, int64_t ms)
{
	if (code == MICA_ERR_TIMEOUT)
		CHECK(ms >= TIMEOUT_MS - 10 && ms < TIMEOUT_MS + LATE_MS,
		      "%s: timed out after %lld ms", what, (long long)ms);
	else
		CHECK(ms < FAST_MS, "%s: took %lld ms", what, (long long)ms);
}

/* ---- guests that misbehave while booting ---------------------------------- */

#define PF(addr, code)                                                                             \
	"guest fault: vector 14 (page fault) at address " addr ", rip 0x*, error code " code
#define EXC(vec, code) "guest fault: vector " vec " at rip 0x*, error code " code
#define GP(code)       EXC("13 (general protection fault)", code)
#define ABI(what)      "guest ABI violation: " what
#define PORT(port, dir, size)                                                                      \
	"guest fault: unexpected I/O port " port " access (" dir ", " size " bytes)"
#define TIMED_OUT "time limit exceeded: the operation ran longer than 300 ms"
/* The process backend reports the signal a CPU exception arrived as. */
#define SIG(pattern, sig) pattern ", SIG" sig
#define OR		  "|"

/* X(image, expected code of mica_sandbox_new, message pattern) */
#define BOOT_CASES(X)                                                                              \
	X(wait_struct_oob, MICA_ERR_FAULT, ABI("wait structure at 0xfffff000"))                    \
	X(wait_result_wild, MICA_ERR_FAULT, ABI("result of 16 bytes at 0xffffffffff000000"))       \
	X(wait_result_huge, MICA_ERR_FAULT,                                                        \
	  ABI("result of 9223372036854775808 bytes at 0x400000"))                                  \
	X(wait_result_wrap, MICA_ERR_FAULT, ABI("result of 8192 bytes at 0xfffffffffffff000"))     \
	X(wait_result_cap, MICA_ERR_FAULT, ABI("result of 50331648 bytes at 0x400000"))            \
	X(wait_not_ready, MICA_ERR_FAULT, "guest did not become ready (status 1)")                 \
	X(console_struct_oob, MICA_ERR_FAULT, ABI("console structure at 0xfffffff0"))              \
	X(console_data_wild, MICA_ERR_FAULT,                                                       \
	  ABI("console write of 10 bytes at 0xffffffffff000000 to stream 1"))                      \
	X(console_len_huge, MICA_ERR_FAULT,                                                        \
	  ABI("console write of 9223372036854775808 bytes at 0x400000 to stream 1"))               \
	X(console_stream_bad, MICA_ERR_FAULT,                                                      \
	  ABI("console write of 5 bytes at 0x400000 to stream 3"))                                 \
	X(console_flood, MICA_OK, NULL)                                                            \
	X(console_forever, MICA_ERR_TIMEOUT, TIMED_OUT)                                            \
	X(hostcall_struct_oob, MICA_ERR_FAULT, ABI("host call structure at 0xffffffe0"))           \
	X(hostcall_fn_range, MICA_ERR_FAULT, ABI("host call 1 with 2 argument bytes at 0x*"))      \
	X(hostcall_args_wild, MICA_ERR_FAULT,                                                      \
	  ABI("host call 0 with 32 argument bytes at 0xffffffffff000000"))                         \
	X(hostcall_args_in, MICA_ERR_FAULT,                                                        \
	  ABI("host call 0 arguments at 0x100010 overlap the request buffer"))                     \
	X(exit_msg, MICA_ERR_FAULT, "guest exited with code 7: bye")                               \
	X(exit_msg_wild, MICA_ERR_FAULT, "guest exited with code 7: ")                             \
	X(exit_struct_oob, MICA_ERR_FAULT, "guest exited with code 0: ")                           \
	X(port_unknown, MICA_ERR_FAULT, PORT("0x80", "out", "4"))                                  \
	X(port_in, MICA_ERR_FAULT, PORT("0xe0", "in", "4"))                                        \
	X(port_outb, MICA_ERR_FAULT, PORT("0xe0", "out", "1"))                                     \
	X(port_rep_outsb, MICA_ERR_FAULT, PORT("0xe1", "out", "1"))                                \
	X(port_rep_outsl, MICA_ERR_FAULT, ABI("console structure at 0xfffff000"))                  \
	X(fault_port_spoof, MICA_ERR_FAULT, EXC("1234 (exception)", "0x*"))                        \
	X(write_text, MICA_ERR_FAULT, PF("0x401*", "0x7"))                                         \
	X(exec_stack, MICA_ERR_FAULT, PF("0x*", "0x15"))                                           \
	X(exec_heap, MICA_ERR_FAULT, PF("0x*", "0x15"))                                            \
	X(read_null, MICA_ERR_FAULT, PF("0x0", "0x4"))                                             \
	X(read_boot_page, MICA_ERR_FAULT, PF("0x1000", "0x5"))                                     \
	X(read_page_tables, MICA_ERR_FAULT, PF("0x3fffff8", "0x4"))                                \
	X(write_boot_info, MICA_ERR_FAULT, PF("0x10000", "0x7"))                                   \
	X(stack_overflow, MICA_ERR_FAULT,                                                          \
	  "guest fault: stack overflow (vector 14, page fault on the stack guard page at address " \
	  "0x*, rip 0x*)")                                                                         \
	X(stack_noncanonical, MICA_ERR_FAULT, EXC("12 (stack fault)", "0x0"))                      \
	X(load_noncanonical, MICA_ERR_FAULT, GP("0x0"))                                            \
	/* kvm_pvm reports the CPL0 write as a user access (0x6) */                                \
	X(syscall_bad_rsp, MICA_ERR_FAULT,                                                         \
	  PF("0xffffffffffffff78", "0x2") OR PF("0xffffffffffffff78", "0x6"))                      \
	X(hlt, MICA_ERR_FAULT, GP("0x0"))                                                          \
	X(cli_hlt, MICA_ERR_FAULT, GP("0x0"))                                                      \
	X(spin, MICA_ERR_TIMEOUT, TIMED_OUT)                                                       \
	X(ud2, MICA_ERR_FAULT, EXC("6 (invalid opcode)", "0x0"))                                   \
	X(div0, MICA_ERR_FAULT, EXC("0 (divide error)", "0x0"))                                    \
	/* DPL0 gates, 32 vectors; kvm_pvm delivers #BP and #UD instead */                         \
	X(int3, MICA_ERR_FAULT, GP("0x1a") OR EXC("3 (breakpoint)", "0x0"))                        \
	X(int80, MICA_ERR_FAULT, GP("0x402") OR EXC("6 (invalid opcode)", "0x0"))                  \
	X(wrmsr, MICA_ERR_FAULT, GP("0x0"))                                                        \
	X(iret_to_cpl0, MICA_ERR_FAULT, GP("0x8"))

/* Where the process backend says otherwise: the I/O port and privileged
 * instructions fault in a process (general protection), pages the KVM
 * guest has as supervisor-only are not there at all, and each fault names
 * its signal. X(image, pattern); the codes are the same. */
#define PROC_CASES(X)                                                                              \
	X(port_unknown, SIG(GP("0x0"), "SEGV"))                                                    \
	X(port_in, SIG(GP("0x0"), "SEGV"))                                                         \
	X(port_outb, SIG(GP("0x0"), "SEGV"))                                                       \
	X(port_rep_outsb, SIG(GP("0x0"), "SEGV"))                                                  \
	X(port_rep_outsl, SIG(GP("0x0"), "SEGV"))                                                  \
	X(fault_port_spoof, SIG(GP("0x0"), "SEGV"))                                                \
	X(write_text, SIG(PF("0x401*", "0x7"), "SEGV"))                                            \
	X(exec_stack, SIG(PF("0x*", "0x15"), "SEGV"))                                              \
	X(exec_heap, SIG(PF("0x*", "0x15"), "SEGV"))                                               \
	X(read_null, SIG(PF("0x0", "0x4"), "SEGV"))                                                \
	X(read_boot_page, SIG(PF("0x1000", "0x4"), "SEGV"))                                        \
	X(read_page_tables, SIG(PF("0x3fffff8", "0x4"), "SEGV"))                                   \
	/* a read-only page not mapped in yet (0x6) or mapped (0x7) */                             \
	X(write_boot_info, SIG(PF("0x10000", "0x6"), "SEGV") OR SIG(PF("0x10000", "0x7"), "SEGV")) \
	X(stack_overflow,                                                                          \
	  "guest fault: stack overflow (vector 14, page fault on the stack guard page at address " \
	  "0x*, rip 0x*, SIGSEGV)")                                                                \
	X(stack_noncanonical, SIG(EXC("12 (stack fault)", "0x0"), "BUS"))                          \
	X(load_noncanonical, SIG(GP("0x0"), "SEGV"))                                               \
	/* the kernel cannot deliver SIGSYS on a stack at 0 */                                     \
	X(syscall_bad_rsp,                                                                         \
	  "guest fault: the kernel sent SIGSEGV at rip 0x* with the stack at 0x0 "                 \
	  "(no CPU exception: a signal it could not deliver)")                                     \
	X(hlt, SIG(GP("0x0"), "SEGV"))                                                             \
	X(cli_hlt, SIG(GP("0x0"), "SEGV"))                                                         \
	X(ud2, SIG(EXC("6 (invalid opcode)", "0x0"), "ILL"))                                       \
	X(div0, SIG(EXC("0 (divide error)", "0x0"), "FPE"))                                        \
	X(int3, SIG(EXC("3 (breakpoint)", "0x0"), "TRAP"))                                         \
	/* a 32-bit system call (killed by the filter), or no IA-32 emulation */                   \
	X(int80, SIG(GP("0x402"), "SEGV") OR                                                       \
	  "guest fault: the guest process made a system call the sandbox forbids*")                \
	X(wrmsr, SIG(GP("0x0"), "SEGV"))                                                           \
	X(iret_to_cpl0, SIG(GP("0x8"), "SEGV"))                                                    \
	X(proto_ud2, SIG(EXC("6 (invalid opcode)", "0x0"), "ILL"))

/* Where KVM runs on QEMU's emulated CPU (make test-kvm-qemu sets
 * KVM_QEMU=1), the faults QEMU gets wrong: a non-canonical stack
 * access is #GP, not #SS, and the error code of a gate fault holds the
 * gate's byte offset in the 16-byte long-mode IDT, not vector * 8. */
#define EMU_CASES(X)                                                                               \
	X(stack_noncanonical, GP("0x0"))                                                           \
	X(int3, GP("0x32"))                                                                        \
	X(int80, GP("0x802"))

struct proc_case {
	const char *name, *pattern;
};
#define PROC_CASE(name, pattern) {#name, pattern},
static const struct proc_case proc_cases[] = {PROC_CASES(PROC_CASE)};
static const struct proc_case emu_cases[] = {EMU_CASES(PROC_CASE)};

/* The pattern for image name on the backend under test. */
static const char *pattern_for(const char *name, const char *kvm_pattern)
{
	int proc = harness_running_backend() == MICA_BACKEND_PROCESS;
	const char *emu = getenv("KVM_QEMU");
	const struct proc_case *c = proc ? proc_cases : emu && !strcmp(emu, "1") ? emu_cases : NULL;
	size_t n = proc ? sizeof(proc_cases) / sizeof(proc_cases[0])
			: sizeof(emu_cases) / sizeof(emu_cases[0]);
	for (size_t i = 0; c && i < n; i++)
		if (!strcmp(c[i].name, name))
			return c[i].pattern;
	return kvm_pattern;
}

/* Boots image NAME in a 64 MiB sandbox and checks mica_sandbox_new's outcome. */
static void expect_boot(const char *name, int code, const char *pattern)
{
	struct image img;
	if (!image_load(name, &img))
		return;
	pattern = pattern_for(name, pattern);
	mica_runtime *rt = hostile_runtime(&img);
	if (rt) {
		mica_limits lim;
		mica_limits_default(&lim);
		lim.timeout_ms = code == MICA_ERR_TIMEOUT ? TIMEOUT_MS : LIMIT_MS;
		mica_error err = {0};
		int calls = host_calls;
		int64_t t0 = now_ms();
		mica_sandbox *sb = mica_sandbox_new(rt, &lim, &err);
		check_time(name, code, now_ms() - t0);
		CHECK(!sb == (code != MICA_OK), "%s: sandbox %p, expected code %d", name,
		      (void *)sb, code);
		check_outcome(name, sb ? MICA_OK : err.code, &err, code, pattern);
		CHECK(host_calls == calls, "%s: a host function ran", name);
		mica_sandbox_free(sb);
	}
	mica_runtime_free(rt);
	free(img.data);
}

#define BOOT_TEST(name, code, pattern)                                                             \
	TEST(boot_##name)                                                                          \
	{                                                                                          \
		NEED_BACKEND();                                                                    \
		expect_boot(#name, code, pattern);                                                 \
	}
BOOT_CASES(BOOT_TEST)

/* These bring their own CPL0 code: a micro-VM has a CPL0, a process none. */
#define CPL0_CASES(X)                                                                              \
	X(triple_fault, MICA_ERR_FAULT, "guest fault: triple fault (the vCPU shut down)")          \
	X(cpl0_spin, MICA_ERR_TIMEOUT, TIMED_OUT)                                                  \
	X(cpl0_hlt, MICA_ERR_FAULT, "guest fault: the guest halted")                               \
	X(cpl0_mmio, MICA_ERR_FAULT, "guest fault: access to unbacked physical address 0x80000000")
#define CPL0_TEST(name, code, pattern)                                                             \
	TEST(boot_##name)                                                                          \
	{                                                                                          \
		NEED_BACKEND();                                                                    \
		if (harness_running_backend() == MICA_BACKEND_PROCESS)                             \
			SKIP("an image with its own CPL0 code runs on KVM only");                  \
		expect_boot(#name, code, pattern);                                                 \
	}
CPL0_CASES(CPL0_TEST)

/* ---- a guest that breaks the protocol after a good start ------------------ */

/* X(test, handler, event, expected code, pattern for the message or result).
 * After a fault or a timeout the sandbox must stay dead; after anything
 * else it must still answer. */
#define PROTO_CASES(X)                                                                             \
	X(echo, "echo", "[1]", MICA_OK, "[1]")                                                     \
	X(hostcall, "hostcall", "[1,2]", MICA_OK, "42")                                            \
	X(unknown_handler, "nope", "{}", MICA_ERR_INVALID, "no such handler")                      \
	X(hostcall_fn_range, "hostcall_fn", "1", MICA_ERR_FAULT,                                   \
	  ABI("host call 1 with 0 argument bytes at 0x*"))                                         \
	X(hostcall_fn_max, "hostcall_fn", "4294967295", MICA_ERR_FAULT,                            \
	  ABI("host call 4294967295 *"))                                                           \
	X(hostcall_args_wild, "hostcall_args_wild", "{}", MICA_ERR_FAULT,                          \
	  ABI("host call 0 with 16 argument bytes at 0xffffffffff000000"))                         \
	X(status_garbage, "status", "{}", MICA_ERR_FAULT,                                          \
	  "guest broke the protocol: status 3735928559")                                           \
	X(ready_again, "ready_again", "{}", MICA_ERR_FAULT, "guest broke the protocol: status 0")  \
	X(result_wild, "result_wild", "[1]", MICA_ERR_FAULT,                                       \
	  ABI("result of 3 bytes at 0xffffffffff000000"))                                          \
	X(result_huge, "result_huge", "[1]", MICA_ERR_FAULT,                                       \
	  ABI("result of 9223372036854775808 bytes at 0x12*"))                                     \
	X(wait_wild, "wait_wild", "{}", MICA_ERR_FAULT, ABI("wait structure at 0xfffff000"))       \
	X(bytes_echo, "bytes_echo", "[7]", MICA_OK, "[7]")                                         \
	X(bytes_wild, "bytes_wild", "[1]", MICA_ERR_FAULT,                                         \
	  ABI("result of 3 bytes at 0xffffffffff000000"))                                          \
	X(bytes_huge, "bytes_huge", "[1]", MICA_ERR_FAULT,                                         \
	  ABI("result of 9223372036854775808 bytes at 0x12*"))                                     \
	X(result_kind_bad, "kind_bad", "[1]", MICA_ERR_FAULT, ABI("result kind 7"))                \
	X(hostcall_bytes, "hostcall_bytes", "ab", MICA_OK, "42")                                   \
	X(hostcall_bytes_wild, "hostcall_bytes_wild", "{}", MICA_ERR_FAULT,                        \
	  ABI("host call 0 with 16 argument bytes at 0xffffffffff000000"))                         \
	X(hostcall_kind_bad, "hostcall_kind_bad", "{}", MICA_ERR_FAULT,                            \
	  ABI("host call 0 with argument kind 5"))                                                 \
	X(console_wild, "console_wild", "{}", MICA_ERR_FAULT,                                      \
	  ABI("console write of 1 bytes at 0xffffffffff000000 to stream 2"))                       \
	X(exit, "exit", "\"gave up\"", MICA_ERR_FAULT, "guest exited with code 3: \"gave up\"")    \
	X(ud2, "ud2", "{}", MICA_ERR_FAULT, EXC("6 (invalid opcode)", "0x0"))                      \
	/* the host wrote its answer there, into a read-only page (review) */                      \
	X(async_read_only, "async_at", "4196352", MICA_ERR_FAULT,                                  \
	  ABI("async host call structure at 0x400800"))                                            \
	X(spin, "spin", "{}", MICA_ERR_TIMEOUT, TIMED_OUT)

struct console {
	size_t out, err;
	char err_text[256];
};

static void on_console(void *userdata, int stream, const char *data, size_t len)
{
	struct console *c = userdata;
	if (stream == 1) {
		for (size_t i = 0; i < len; i++)
			CHECK(data[i] == 'x', "console byte %zu is 0x%02x", c->out + i,
			      (unsigned char)data[i]);
		c->out += len;
		return;
	}
	size_t room = sizeof(c->err_text) - 1 - c->err;
	memcpy(c->err_text + c->err, data, len < room ? len : room);
	c->err += len < room ? len : room;
}

/* A booted proto.elf sandbox with the console captured into *con and a time
 * limit of timeout_ms per call. */
static mica_sandbox *proto_sandbox(mica_runtime **rt, struct image *img, struct console *con,
				   unsigned timeout_ms)
{
	*rt = NULL;
	if (!image_load("proto", img))
		return NULL;
	*rt = hostile_runtime(img);
	if (!*rt)
		return NULL;
	mica_limits lim;
	mica_limits_default(&lim);
	lim.timeout_ms = timeout_ms;
	lim.output_bytes = OUTPUT_LIMIT;
	mica_error err = {0};
	mica_sandbox *sb = mica_sandbox_new(*rt, &lim, &err);
	CHECK(sb, "proto: mica_sandbox_new: %s", err.message);
	if (sb)
		mica_sandbox_set_console(sb, on_console, con);
	return sb;
}

/* Calls handler(event) on sb and checks the outcome. */
static void proto_call(mica_sandbox *sb, const char *handler, const char *event, int code,
		       const char *pattern)
{
	char *res = NULL;
	size_t len = 0;
	mica_error err = {0};
	int rc = mica_sandbox_call(sb, handler, event, strlen(event), &res, &len, &err);
	check_outcome(handler, rc, &err, code, pattern);
	if (rc == MICA_OK && pattern)
		CHECK(res && matches(res, pattern), "%s: result \"%s\" does not match \"%s\"",
		      handler, res ? res : "(null)", pattern);
	CHECK(rc == MICA_OK || (!res && !len), "%s: a result with an error", handler);
	free(res);
}

static void expect_proto(const char *handler, const char *event, int code, const char *pattern)
{
	struct image img = {0};
	struct console con = {0};
	mica_runtime *rt;
	mica_sandbox *sb =
	    proto_sandbox(&rt, &img, &con, code == MICA_ERR_TIMEOUT ? TIMEOUT_MS : LIMIT_MS);
	if (sb) {
		proto_call(sb, "echo", "[0]", MICA_OK, "[0]");
		int calls = host_calls;
		int64_t t0 = now_ms();
		proto_call(sb, handler, event, code, pattern);
		check_time(handler, code, now_ms() - t0);
		CHECK(host_calls == calls + (!strcmp(handler, "hostcall") ||
					     !strcmp(handler, "hostcall_bytes")),
		      "%s: host calls %d -> %d", handler, calls, host_calls);
		if (code == MICA_ERR_FAULT || code == MICA_ERR_TIMEOUT)
			proto_call(sb, "echo", "[0]", code,
				   "sandbox unusable: an earlier operation ended with: *");
		else
			proto_call(sb, "echo", "[0]", MICA_OK, "[0]");
	}
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
	free(img.data);
}

#define PROTO_TEST(name, handler, event, code, pattern)                                            \
	TEST(proto_##name)                                                                         \
	{                                                                                          \
		NEED_BACKEND();                                                                    \
		expect_proto(handler, event, code, pattern_for("proto_" #name, pattern));          \
	}
PROTO_CASES(PROTO_TEST)

/* Bytes answer calls only: an eval said to return bytes breaks the protocol. */
TEST(proto_bytes_for_eval)
{
	NEED_BACKEND();
	struct image img = {0};
	struct console con = {0};
	mica_runtime *rt;
	mica_sandbox *sb = proto_sandbox(&rt, &img, &con, LIMIT_MS);
	if (sb) {
		char *res = NULL;
		size_t len = 0;
		mica_error err = {0};
		int rc = mica_sandbox_eval(sb, "bytes_echo", "[1]", 3, &res, &len, &err);
		check_outcome("bytes_echo as eval", rc, &err, MICA_ERR_FAULT,
			      "guest broke the protocol: bytes for a request that is not a call");
		CHECK(!res, "no result");
		CHECK(!mica_sandbox_result_is_bytes(sb), "not bytes");
	}
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
	free(img.data);
}

/* The guest writes 4 MiB per call: each call delivers exactly the limit,
 * then one truncation note, and the next call starts afresh. */
TEST(proto_flood)
{
	NEED_BACKEND();
	struct image img = {0};
	struct console con = {0};
	mica_runtime *rt;
	mica_sandbox *sb = proto_sandbox(&rt, &img, &con, LIMIT_MS);
	for (int i = 0; sb && i < 2; i++) {
		con = (struct console){0};
		proto_call(sb, "flood", "{}", MICA_OK, "\"flooded\"");
		CHECK(con.out == OUTPUT_LIMIT, "call %d: %zu bytes of stdout, limit %d", i, con.out,
		      OUTPUT_LIMIT);
		CHECK(matches(con.err_text,
			      "*console output truncated: the limit is 65536 bytes per call*"),
		      "call %d: stderr \"%s\"", i, con.err_text);
	}
	if (sb)
		proto_call(sb, "echo", "[0]", MICA_OK, "[0]");
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
	free(img.data);
}

/* ---- malformed images ----------------------------------------------------- */

/* A copy of proto.elf to break. Its program headers are R, R+X, R, R+W
 * PT_LOADs and a PT_GNU_STACK. */
struct elf {
	uint8_t *d;
	size_t len;
};

static Elf64_Ehdr *ehdr(struct elf *e)
{
	return (Elf64_Ehdr *)e->d;
}

static Elf64_Phdr *phdr(struct elf *e, int i)
{
	return (Elf64_Phdr *)(e->d + ehdr(e)->e_phoff) + i;
}

static Elf64_Shdr *shdr(struct elf *e, int i)
{
	return (Elf64_Shdr *)(e->d + ehdr(e)->e_shoff) + i;
}

static Elf64_Shdr *section(struct elf *e, const char *name)
{
	const char *names = (const char *)e->d + shdr(e, ehdr(e)->e_shstrndx)->sh_offset;
	for (int i = 0; i < ehdr(e)->e_shnum; i++)
		if (!strcmp(names + shdr(e, i)->sh_name, name))
			return shdr(e, i);
	abort(); /* proto.elf has every section the mutations use */
}

static struct mica_image_header *mica_header(struct elf *e)
{
	return (struct mica_image_header *)(e->d + section(e, MICA_IMAGE_SECTION)->sh_offset);
}

#define SEG_RO	  0 /* proto.elf's program headers */
#define SEG_TEXT  1
#define SEG_DATA  3
#define SEG_STACK 4

static void too_many_segments(struct elf *e)
{
	/* A new table of 9 one-page PT_LOADs at the end of the file. */
	size_t off = (e->len + 7) & ~(size_t)7;
	uint8_t *d = realloc(e->d, off + 9 * sizeof(Elf64_Phdr));
	if (!d)
		abort();
	e->d = d;
	memset(d + e->len, 0, off + 9 * sizeof(Elf64_Phdr) - e->len);
	e->len = off + 9 * sizeof(Elf64_Phdr);
	ehdr(e)->e_phoff = off;
	ehdr(e)->e_phnum = 9;
	for (int i = 0; i < 9; i++)
		*phdr(e, i) = (Elf64_Phdr){.p_type = PT_LOAD,
					   .p_flags = PF_R,
					   .p_vaddr = MICA_GPA_IMAGE + (uint64_t)i * MICA_PAGE_SIZE,
					   .p_memsz = MICA_PAGE_SIZE};
}

#define BAD_SEGMENT(i)                                                                             \
	"guest image: segment " #i " outside the image area [0x400000, 0x4000000) or overlapping"

/* X(test, mutation of struct elf *e, message pattern) */
#define IMAGE_CASES(X)                                                                             \
	X(empty, e->len = 0, "guest image: too short for an ELF header")                           \
	X(truncated_ehdr, e->len = 40, "guest image: too short for an ELF header")                 \
	X(bad_magic, e->d[1] = 'X', "guest image: not a static x86-64 ELF executable")             \
	X(elf32, e->d[EI_CLASS] = ELFCLASS32, "guest image: not a static x86-64 ELF executable")   \
	X(big_endian, e->d[EI_DATA] = ELFDATA2MSB,                                                 \
	  "guest image: not a static x86-64 ELF executable")                                       \
	X(not_x86, ehdr(e)->e_machine = EM_AARCH64,                                                \
	  "guest image: not a static x86-64 ELF executable")                                       \
	X(shared_object, ehdr(e)->e_type = ET_DYN,                                                 \
	  "guest image: not a static x86-64 ELF executable")                                       \
	X(phoff_past_end, ehdr(e)->e_phoff = e->len, "guest image: bad program headers")           \
	X(phoff_wrap, ehdr(e)->e_phoff = ~0ull - 8, "guest image: bad program headers")            \
	X(huge_phnum, ehdr(e)->e_phnum = 0xffff, "guest image: bad program headers")               \
	X(phentsize, ehdr(e)->e_phentsize = 32, "guest image: bad program headers")                \
	X(truncated_phdrs, e->len = 64 + 2 * sizeof(Elf64_Phdr),                                   \
	  "guest image: bad program headers")                                                      \
	X(no_phdrs, ehdr(e)->e_phnum = 0, "guest image: nothing to load")                          \
	X(interp, phdr(e, SEG_STACK)->p_type = PT_INTERP,                                          \
	  "guest image: must be statically linked")                                                \
	X(dynamic, phdr(e, SEG_STACK)->p_type = PT_DYNAMIC,                                        \
	  "guest image: must be statically linked")                                                \
	X(segment_low, phdr(e, SEG_RO)->p_vaddr = 0x3ff000, BAD_SEGMENT(0))                        \
	X(segment_high, phdr(e, SEG_DATA)->p_vaddr = MICA_IMAGE_MAX - 0x800, BAD_SEGMENT(3))       \
	X(segment_wrap, phdr(e, SEG_DATA)->p_vaddr = 0xfffffffffffff000, BAD_SEGMENT(3))           \
	X(segment_huge, phdr(e, SEG_DATA)->p_memsz = 1ull << 62, BAD_SEGMENT(3))                   \
	X(overlap, phdr(e, 2)->p_vaddr = phdr(e, SEG_TEXT)->p_vaddr, BAD_SEGMENT(2))               \
	X(shared_page, phdr(e, 2)->p_vaddr = phdr(e, SEG_TEXT)->p_vaddr + 0xff0, BAD_SEGMENT(2))   \
	X(filesz_gt_memsz, phdr(e, SEG_TEXT)->p_filesz = phdr(e, SEG_TEXT)->p_memsz + 1,           \
	  BAD_SEGMENT(1))                                                                          \
	X(offset_past_end, phdr(e, SEG_TEXT)->p_offset = e->len, BAD_SEGMENT(1))                   \
	X(offset_wrap, phdr(e, SEG_TEXT)->p_offset = ~0ull - 4, BAD_SEGMENT(1))                    \
	X(wx_segment, phdr(e, SEG_TEXT)->p_flags |= PF_W,                                          \
	  "guest image: segment 1 is writable and executable")                                     \
	X(wx_data, phdr(e, SEG_DATA)->p_flags |= PF_X,                                             \
	  "guest image: segment 3 is writable and executable")                                     \
	X(too_many_segments, too_many_segments(e), "guest image: more than 8 segments")            \
	X(entry_outside, ehdr(e)->e_entry = MICA_GPA_IMAGE,                                        \
	  "guest image: entry point outside its code")                                             \
	X(entry_in_data, ehdr(e)->e_entry = phdr(e, SEG_DATA)->p_vaddr,                            \
	  "guest image: entry point outside its code")                                             \
	X(no_section_headers, (ehdr(e)->e_shoff = 0, ehdr(e)->e_shnum = 0),                        \
	  "guest image: bad section headers")                                                      \
	X(shoff_past_end, ehdr(e)->e_shoff = e->len, "guest image: bad section headers")           \
	X(shoff_wrap, ehdr(e)->e_shoff = ~0ull - 16, "guest image: bad section headers")           \
	X(huge_shnum, ehdr(e)->e_shnum = 0xffff, "guest image: bad section headers")               \
	X(shstrndx, ehdr(e)->e_shstrndx = ehdr(e)->e_shnum, "guest image: bad section headers")    \
	X(strtab_past_end, shdr(e, ehdr(e)->e_shstrndx)->sh_offset = e->len,                       \
	  "guest image: bad section name table")                                                   \
	X(no_header, section(e, MICA_IMAGE_SECTION)->sh_name++,                                    \
	  "guest image: no .mica_header section")                                                  \
	X(name_past_strtab, section(e, MICA_IMAGE_SECTION)->sh_name = 0xfffffff0,                  \
	  "guest image: no .mica_header section")                                                  \
	X(header_truncated, section(e, MICA_IMAGE_SECTION)->sh_size = 8,                           \
	  "guest image: truncated .mica_header")                                                   \
	X(header_past_end, section(e, MICA_IMAGE_SECTION)->sh_offset = e->len - 8,                 \
	  "guest image: truncated .mica_header")                                                   \
	X(header_magic, mica_header(e)->magic ^= 1, "guest image: bad header magic")               \
	X(abi_version, mica_header(e)->abi_version = MICA_ABI_VERSION + 1,                         \
	  "guest image: ABI version 4, host speaks 3")                                             \
	X(stubs_outside, mica_header(e)->fault_stubs = MICA_GPA_IMAGE,                             \
	  "guest image: entry stubs outside its code")                                             \
	X(stubs_past_text,                                                                         \
	  mica_header(e)->fault_stubs =                                                            \
	      phdr(e, SEG_TEXT)->p_vaddr + phdr(e, SEG_TEXT)->p_memsz - 16,                        \
	  "guest image: entry stubs outside its code")                                             \
	X(syscall_entry_outside, mica_header(e)->syscall_entry = MICA_GPA_IN,                      \
	  "guest image: entry stubs outside its code")                                             \
	X(stride_zero, mica_header(e)->fault_stub_stride = 0,                                      \
	  "guest image: entry stubs outside its code")                                             \
	X(stride_huge, mica_header(e)->fault_stub_stride = 0x10000,                                \
	  "guest image: entry stubs outside its code")

/* Mutates a copy of proto.elf and expects mica_runtime_new to refuse it. */
#define IMAGE_TEST(name, mutation, pattern)                                                        \
	TEST(image_##name)                                                                         \
	{                                                                                          \
		NEED_BACKEND();                                                                    \
		struct image img;                                                                  \
		if (!image_load("proto", &img))                                                    \
			return;                                                                    \
		struct elf elf = {img.data, img.len}, *e = &elf;                                   \
		mutation;                                                                          \
		img = (struct image){e->d, e->len};                                                \
		mica_error err = {0};                                                              \
		mica_runtime *rt = image_runtime(&img, &err);                                      \
		CHECK(!rt, "the image was accepted");                                              \
		check_outcome(#name, rt ? MICA_OK : err.code, &err, MICA_ERR_INVALID, pattern);    \
		mica_runtime_free(rt);                                                             \
		free(img.data);                                                                    \
	}
IMAGE_CASES(IMAGE_TEST)

/* The unmodified base image is accepted: the cases above fail for their
 * mutation alone. */
TEST(image_base_valid)
{
	NEED_BACKEND();
	struct image img;
	if (!image_load("proto", &img))
		return;
	mica_error err = {0};
	mica_runtime *rt = image_runtime(&img, &err);
	CHECK(rt, "%s", err.message);
	mica_runtime_free(rt);
	free(img.data);
}

/* An image that parses but leaves no room for the heap in 64 MiB: refused
 * when the sandbox is created, as the caller's input. */
TEST(image_too_big_for_memory)
{
	NEED_BACKEND();
	struct image img;
	if (!image_load("proto", &img))
		return;
	struct elf e = {img.data, img.len};
	phdr(&e, SEG_DATA)->p_memsz = 56 << 20;
	mica_runtime *rt = hostile_runtime(&img);
	if (rt) {
		mica_error err = {0};
		mica_sandbox *sb = mica_sandbox_new(rt, NULL, &err);
		CHECK(!sb, "the sandbox was created");
		check_outcome(
		    "too big", sb ? MICA_OK : err.code, &err, MICA_ERR_INVALID,
		    "guest memory of 64 MiB is too small for the 1024 KiB stack, the * KiB "
		    "image and a 4 MiB heap");
		mica_sandbox_free(sb);
	}
	mica_runtime_free(rt);
	free(img.data);
}

/* Random corruption of the headers (ELF, program, section, image header)
 * and of the size: refused as invalid, or accepted and then booting to
 * a clean outcome. Fixed seed: failures are reproducible. */
#define FUZZ_ROUNDS 2000
#define FUZZ_BOOTS  40

static uint64_t fuzz_state = 0x9e3779b97f4a7c15ull;
static uint64_t fuzz_next(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return fuzz_state;
}

static void fuzz(struct image base)
{
	struct elf b = {base.data, base.len};
	/* The bytes the parser reads: headers, program and section headers,
	 * the section name table and the image header. */
	struct {
		size_t off, len;
	} areas[] = {
	    {0, sizeof(Elf64_Ehdr) + ehdr(&b)->e_phnum * sizeof(Elf64_Phdr)},
	    {ehdr(&b)->e_shoff, ehdr(&b)->e_shnum * sizeof(Elf64_Shdr)},
	    {shdr(&b, ehdr(&b)->e_shstrndx)->sh_offset, shdr(&b, ehdr(&b)->e_shstrndx)->sh_size},
	    {section(&b, MICA_IMAGE_SECTION)->sh_offset, sizeof(struct mica_image_header)},
	};
	int accepted = 0, boots = 0, outcomes[8] = {0};
	for (int round = 0; round < FUZZ_ROUNDS && !harness_cur_failed; round++) {
		struct image img = {test_alloc(base.len), base.len};
		if (!img.data)
			break;
		memcpy(img.data, base.data, base.len);
		for (int n = 1 + (int)(fuzz_next() % 4); n > 0; n--) {
			size_t a = fuzz_next() % (sizeof(areas) / sizeof(areas[0]));
			size_t at = areas[a].off + fuzz_next() % areas[a].len;
			if (fuzz_next() % 2)
				img.data[at] ^= (uint8_t)(1u << (fuzz_next() % 8));
			else
				img.data[at] = (uint8_t)fuzz_next();
		}
		if (fuzz_next() % 16 == 0)
			img.len = fuzz_next() % base.len;
		mica_error err = {0};
		mica_runtime *rt = image_runtime(&img, &err);
		if (!rt) {
			CHECK(err.code == MICA_ERR_INVALID &&
				  matches(err.message, "guest image: *"),
			      "round %d: code %d: %s", round, err.code, err.message);
		} else if (accepted++, boots < FUZZ_BOOTS) {
			boots++;
			mica_limits lim;
			mica_limits_default(&lim);
			lim.timeout_ms = 100;
			mica_sandbox *sb = mica_sandbox_new(rt, &lim, &err);
			int rc = sb ? MICA_OK : err.code;
			CHECK(rc == MICA_OK || rc == MICA_ERR_FAULT || rc == MICA_ERR_TIMEOUT ||
				  rc == MICA_ERR_INVALID,
			      "round %d: boot: code %d: %s", round, rc, err.message);
			outcomes[rc & 7]++;
			mica_sandbox_free(sb);
		}
		mica_runtime_free(rt);
		free(img.data);
	}
	printf("  %d rounds, %d accepted, %d booted: %d ok, %d fault, %d timeout, %d invalid\n",
	       FUZZ_ROUNDS, accepted, boots, outcomes[MICA_OK], outcomes[MICA_ERR_FAULT],
	       outcomes[MICA_ERR_TIMEOUT], outcomes[MICA_ERR_INVALID]);
	free(base.data);
}

TEST(image_fuzz_proto)
{
	NEED_BACKEND();
	struct image img;
	if (image_load("proto", &img))
		fuzz(img);
}

/* The real guest (musl, QuickJS): many more sections and symbols. */
TEST(image_fuzz_guest)
{
	NEED_BACKEND();
	struct image img;
	if (file_load("build/guest/mica-guest.elf", &img))
		fuzz(img);
}

/* ---- nothing leaked ------------------------------------------------------- */

/* Entries in a /proc/self directory, or lines starting with prefix in a
 * /proc/self file. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* POSIX timers of this process, or -1 without /proc/self/timers. */
static int count_timers(void)
{
	FILE *f = fopen("/proc/self/timers", "r");
	if (!f)
		return -1;
	char line[256];
	int n = 0;
	while (f && fgets(line, sizeof(line), f))
		n += !strncmp(line, "ID:", 3);
	if (f)
		fclose(f);
	return n;
}

static int start_fds, start_timers;

TEST(no_leaked_fds_or_timers)
{
	CHECK(count_fds() == start_fds, "%d open descriptors, %d at the start", count_fds(),
	      start_fds);
	if (start_timers < 0)
		SKIP("no /proc/self/timers (a kernel without CONFIG_CHECKPOINT_RESTORE): timers "
		     "not counted");
	CHECK(count_timers() == start_timers, "%d POSIX timers, %d at the start", count_timers(),
	      start_timers);
}

int main(void)
{
	start_fds = count_fds();
	start_timers = count_timers();
#define RUN_BOOT(name, ...)  RUN(boot_##name);
#define RUN_PROTO(name, ...) RUN(proto_##name);
#define RUN_IMAGE(name, ...) RUN(image_##name);
	BOOT_CASES(RUN_BOOT)
	CPL0_CASES(RUN_BOOT)
	PROTO_CASES(RUN_PROTO)
	RUN(proto_bytes_for_eval);
	RUN(proto_flood);
	RUN(image_base_valid);
	IMAGE_CASES(RUN_IMAGE)
	RUN(image_too_big_for_memory);
	RUN(image_fuzz_proto);
	RUN(image_fuzz_guest);
	RUN(no_leaked_fds_or_timers);
	return harness_report();
}

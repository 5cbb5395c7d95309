/* How a guest ends badly: its CPU exceptions and MICA_HC_EXIT. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "hypercall.h"

static const char *vector_name(uint64_t v)
{
	static const char *const names[] = {"divide error",
					    "debug",
					    "NMI",
					    "breakpoint",
					    "overflow",
					    "bound range",
					    "invalid opcode",
					    "device not available",
					    "double fault",
					    "coprocessor overrun",
					    "invalid TSS",
					    "segment not present",
					    "stack fault",
					    "general protection fault",
					    "page fault",
					    "reserved",
					    "x87 error",
					    "alignment check",
					    "machine check",
					    "SIMD error"};
	return v < sizeof(names) / sizeof(names[0]) ? names[v] : "exception";
}

int mica_fault_report(mica_sandbox *sb, const struct mica_fault *f, mica_error *err)
{
	/* process backend: the signal the fault arrived as */
	char sig[32] = "";
	if (f->signal > 0 && f->signal < 65) {
		const char *abbrev = sigabbrev_np(f->signal);
		snprintf(sig, sizeof(sig), ", SIG%s", abbrev ? abbrev : "?");
	}
	if (f->kernel) /* e.g. a signal it could not deliver: no usable stack */
		return mica_sandbox_kill(
		    sb, MICA_ERR_FAULT, err,
		    "guest fault: the kernel sent SIG%s at rip 0x%llx with the stack at 0x%llx "
		    "(no CPU exception: a signal it could not deliver)",
		    f->signal > 0 && sigabbrev_np(f->signal) ? sigabbrev_np(f->signal) : "?",
		    (unsigned long long)f->rip, (unsigned long long)f->rsp);
	const struct mica_layout *l = &sb->layout;
	if (f->vector == 14 && f->addr >= l->stack_bottom - MICA_PAGE_SIZE &&
	    f->addr < l->stack_bottom)
		return mica_sandbox_kill(
		    sb, MICA_ERR_FAULT, err,
		    "guest fault: stack overflow (vector 14, page fault on the stack guard page "
		    "at address 0x%llx, rip 0x%llx%s)",
		    (unsigned long long)f->addr, (unsigned long long)f->rip, sig);
	if (f->vector == 14)
		return mica_sandbox_kill(
		    sb, MICA_ERR_FAULT, err,
		    "guest fault: vector 14 (page fault) at address 0x%llx, rip 0x%llx, error code "
		    "0x%llx%s",
		    (unsigned long long)f->addr, (unsigned long long)f->rip,
		    (unsigned long long)f->error, sig);
	return mica_sandbox_kill(sb, MICA_ERR_FAULT, err,
				 "guest fault: vector %llu (%s) at rip 0x%llx, error code 0x%llx%s",
				 (unsigned long long)f->vector, vector_name(f->vector),
				 (unsigned long long)f->rip, (unsigned long long)f->error, sig);
}

int mica_hc_exit(mica_sandbox *sb, uint64_t gpa, int64_t deadline, mica_error *err)
{
	(void)deadline;
	struct mica_hc_exit hc = {0};
	if (mica_mem_read(&sb->mem, gpa, &hc, sizeof(hc)))
		memset(&hc, 0, sizeof(hc));
	char msg[200], text[201] = "";
	size_t n = hc.msg_len > sizeof(msg) ? sizeof(msg) : hc.msg_len;
	if (mica_mem_read(&sb->mem, hc.msg, msg, n))
		n = 0;
	for (size_t i = 0; i < n; i++) /* guest text: no control characters */
		text[i] = msg[i] >= 0x20 && msg[i] < 0x7f ? msg[i] : '?';
	text[n] = 0;
	return mica_sandbox_kill(sb, MICA_ERR_FAULT, err, "guest exited with code %lld: %s",
				 (long long)hc.code, text);
}

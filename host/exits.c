#include <elf.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exits.h"
#include "hostcall.h"
#include "modules.h"

#define TRUNCATED_NOTE "\n[mica] console output truncated: the limit is %zu bytes per call\n"

static const char *vector_name(uint64_t v)
{
	static const char *const names[] = {
		"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
		"invalid opcode", "device not available", "double fault", "coprocessor overrun",
		"invalid TSS", "segment not present", "stack fault", "general protection fault",
		"page fault", "reserved", "x87 error", "alignment check", "machine check", "SIMD error"};
	return v < sizeof(names) / sizeof(names[0]) ? names[v] : "exception";
}

int mica_exits_fault(mica_sandbox *sb, mica_code code, mica_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb->dead = code;
	mica_err_v(err, code, fmt, ap);
	va_end(ap);
	return code;
}

static int on_fault(mica_sandbox *sb, mica_error *err)
{
	struct kvm_regs r;
	if (ioctl(sb->vm.vcpu_fd, KVM_GET_REGS, &r) < 0)
		return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest fault (registers unreadable)");
	uint64_t vec = r.rdi, cr2 = r.rcx;
	const struct mica_layout *l = &sb->layout;
	if (vec == 14 && cr2 >= l->stack_bottom - MICA_PAGE_SIZE && cr2 < l->stack_bottom)
		return mica_exits_fault(sb, MICA_ERR_FAULT, err,
			     "guest fault: stack overflow (vector 14, page fault on the stack guard page "
			     "at address 0x%llx, rip 0x%llx)",
			     (unsigned long long)cr2, (unsigned long long)r.rdx);
	if (vec == 14)
		return mica_exits_fault(sb, MICA_ERR_FAULT, err,
			     "guest fault: vector 14 (page fault) at address 0x%llx, rip 0x%llx, error code 0x%llx",
			     (unsigned long long)cr2, (unsigned long long)r.rdx, (unsigned long long)r.rsi);
	return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest fault: vector %llu (%s) at rip 0x%llx, error code 0x%llx",
		     (unsigned long long)vec, vector_name(vec), (unsigned long long)r.rdx,
		     (unsigned long long)r.rsi);
}

static int inside(uint64_t gpa, uint64_t len, uint64_t start, uint64_t end)
{
	return gpa >= start && gpa <= end && len <= end - gpa;
}

/* Structures the host writes back into must lie where the guest itself may
 * write (heap, stack, writable image data), so the host never becomes a way
 * around the guest's own page protections. */
void *mica_guest_writable(mica_sandbox *sb, uint64_t gpa, uint64_t len)
{
	const struct mica_layout *l = &sb->layout;
	if (gpa % 8) /* the host writes fields in place */
		return NULL;
	int ok = inside(gpa, len, l->heap_start, l->heap_end) ||
		 inside(gpa, len, l->stack_bottom, l->stack_top);
	const struct mica_image *img = &sb->rt->image;
	for (int i = 0; !ok && i < img->nsegs; i++)
		ok = (img->segs[i].flags & PF_W) &&
		     inside(gpa, len, img->segs[i].vaddr, img->segs[i].vaddr + img->segs[i].memsz);
	return ok ? mica_gpa_check(&sb->vm, gpa, len) : NULL;
}

static void console_out(mica_sandbox *sb, int stream, const char *p, size_t n)
{
	if (sb->console && n)
		sb->console(sb->console_data, stream, p, n);
}

static int on_console(mica_sandbox *sb, uint64_t gpa, mica_error *err)
{
	struct mica_hc_console hc;
	const void *p = mica_gpa_check(&sb->vm, gpa, sizeof(hc));
	if (!p)
		return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest ABI violation: console structure at 0x%llx",
			     (unsigned long long)gpa);
	memcpy(&hc, p, sizeof(hc));
	const char *data = mica_gpa_check(&sb->vm, hc.data, hc.len);
	if (!data || (hc.stream != 1 && hc.stream != 2))
		return mica_exits_fault(sb, MICA_ERR_FAULT, err,
			     "guest ABI violation: console write of %llu bytes at 0x%llx to stream %u",
			     (unsigned long long)hc.len, (unsigned long long)hc.data, hc.stream);
	size_t limit = sb->limits.output_bytes;
	if (sb->output > limit)
		return 0;
	size_t n = hc.len > limit - sb->output ? limit - sb->output : hc.len;
	console_out(sb, (int)hc.stream, data, n);
	sb->output += hc.len;
	if (sb->output > limit) {
		char note[128];
		int k = snprintf(note, sizeof(note), TRUNCATED_NOTE, limit);
		console_out(sb, 2, note, (size_t)k);
	}
	return 0;
}

/* Writes text (NUL-terminated) to the request buffer, for the guest to read. */
static void write_in(mica_sandbox *sb, const char *text, size_t len)
{
	uint8_t *in = sb->vm.mem + MICA_GPA_IN;
	memcpy(in, text, len);
	in[len] = 0;
	mica_vm_dirty_mark(&sb->vm, MICA_GPA_IN, len + 1);
}

static int on_hostcall(mica_sandbox *sb, uint64_t gpa, mica_error *err)
{
	struct mica_hc_hostcall *hc = mica_guest_writable(sb, gpa, sizeof(*hc));
	if (!hc)
		return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest ABI violation: host call structure at 0x%llx",
			     (unsigned long long)gpa);
	struct mica_hc_hostcall req;
	memcpy(&req, hc, sizeof(req));
	const char *args = mica_gpa_check(&sb->vm, req.args, req.args_len);
	if (!args || req.fn >= sb->nfns)
		return mica_exits_fault(sb, MICA_ERR_FAULT, err,
			     "guest ABI violation: host call %u with %llu argument bytes at 0x%llx", req.fn,
			     (unsigned long long)req.args_len, (unsigned long long)req.args);
	if (req.args_kind > MICA_KIND_BYTES)
		return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest ABI violation: host call %u with argument kind %u",
			     req.fn, req.args_kind);
	/* The callback reads the arguments in place (the vCPU is stopped) and
	 * answers straight into the request buffer: no copies of our own. */
	mica_hostcall call = {.args = args,
			      .args_len = req.args_len,
			      .args_kind = req.args_kind,
			      .out = sb->vm.mem + MICA_GPA_IN,
			      .out_cap = MICA_IN_SIZE};
	if (sb->fns[req.fn].fn)
		sb->fns[req.fn].fn(&call, sb->fns[req.fn].userdata);
	else /* registered async: only a guest of a mismatched snapshot asks */
		mica_hostcall_fail(&call, "this host function is async: the runtime registered it "
					  "with mica_runtime_register_async");
	if (!call.answered) /* undefined */
		write_in(sb, "", 0);
	/* every answer went to the guest's buffer: a callback may answer twice */
	mica_vm_dirty_mark(&sb->vm, MICA_GPA_IN, call.out_max);
	mica_vm_dirty_mark(&sb->vm, gpa, sizeof(*hc));
	req.failed = (uint32_t)call.failed;
	req.result_len = call.result_len;
	req.result_kind = call.failed ? MICA_KIND_JSON : call.result_kind;
	memcpy(hc, &req, sizeof(req));
	return 0;
}

static int on_module(mica_sandbox *sb, uint64_t gpa, mica_error *err)
{
	struct mica_hc_module *hc = mica_guest_writable(sb, gpa, sizeof(*hc));
	struct mica_hc_module req;
	if (hc)
		memcpy(&req, hc, sizeof(req));
	const char *name = hc ? mica_gpa_check(&sb->vm, req.name, req.name_len) : NULL;
	if (!name || req.name_len == 0 || req.name_len > 4096 || memchr(name, 0, req.name_len))
		return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest ABI violation: module request at 0x%llx",
			     (unsigned long long)gpa);
	char path[4097], why[256];
	memcpy(path, name, req.name_len);
	path[req.name_len] = 0;
	char *src;
	size_t len;
	if (mica_modules_read(sb->module_root, path, MICA_IN_SIZE - 1, &src, &len, why, sizeof(why)) == 0) {
		write_in(sb, src, len);
		free(src);
		req.failed = 0;
		req.result_len = len;
	} else {
		write_in(sb, why, strlen(why));
		req.failed = 1;
		req.result_len = strlen(why);
	}
	memcpy(hc, &req, sizeof(req));
	mica_vm_dirty_mark(&sb->vm, gpa, sizeof(req));
	return 0;
}

static int on_exit_call(mica_sandbox *sb, uint64_t gpa, mica_error *err)
{
	struct mica_hc_exit hc = {0};
	const void *p = mica_gpa_check(&sb->vm, gpa, sizeof(hc));
	if (p)
		memcpy(&hc, p, sizeof(hc));
	const char *msg = mica_gpa_check(&sb->vm, hc.msg, hc.msg_len);
	char text[201] = "";
	size_t n = msg ? (hc.msg_len > 200 ? 200 : hc.msg_len) : 0;
	for (size_t i = 0; i < n; i++) /* guest text: no control characters */
		text[i] = msg[i] >= 0x20 && msg[i] < 0x7f ? msg[i] : '?';
	text[n] = 0;
	return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest exited with code %lld: %s", (long long)hc.code, text);
}

/* The guest reports the last request's outcome and parks. */
static int on_wait(mica_sandbox *sb, uint64_t gpa, struct mica_exit_result *res, mica_error *err)
{
	struct mica_hc_wait w;
	const void *p = mica_guest_writable(sb, gpa, sizeof(w));
	if (!p)
		return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest ABI violation: wait structure at 0x%llx",
			     (unsigned long long)gpa);
	memcpy(&w, p, sizeof(w));
	const char *text = w.result_len ? mica_gpa_check(&sb->vm, w.result, w.result_len) : "";
	if (!text || w.result_len >= MICA_RESULT_MAX)
		return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest ABI violation: result of %llu bytes at 0x%llx",
			     (unsigned long long)w.result_len, (unsigned long long)w.result);
	if (w.kind > MICA_KIND_BYTES)
		return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest ABI violation: result kind %u", w.kind);
	res->text = malloc(w.result_len + 1);
	if (!res->text)
		return mica_exits_fault(sb, MICA_ERR_SYSTEM, err, "out of memory copying a %llu-byte result",
			     (unsigned long long)w.result_len);
	memcpy(res->text, text, w.result_len);
	res->text[w.result_len] = 0;
	res->len = w.result_len;
	res->status = w.status;
	res->kind = w.kind;
	sb->wait_gpa = gpa;
	return 0;
}

static int serve(mica_sandbox *sb, int64_t deadline, struct mica_exit_result *res, mica_error *err)
{
	struct kvm_run *run = sb->vm.run;
	for (;;) {
		int rc = mica_vm_run(&sb->vm, deadline, &sb->interrupt, err);
		if (rc == MICA_ERR_TIMEOUT)
			return mica_exits_fault(sb, rc, err, "time limit exceeded: the operation ran longer than %u ms",
				     sb->limits.timeout_ms);
		if (rc == MICA_ERR_INTERRUPTED) {
			atomic_store(&sb->interrupt, 0);
			return mica_exits_fault(sb, rc, err, "interrupted by the host");
		}
		if (rc) { /* mica_vm_run's message is in err already */
			sb->dead = rc;
			return rc;
		}

		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint16_t port = run->io.port;
			if (port == MICA_HC_FAULT_PORT)
				return on_fault(sb, err);
			if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 || run->io.count != 1 ||
			    port < MICA_PORT_BASE || port >= MICA_PORT_BASE + MICA_HC_COUNT)
				return mica_exits_fault(sb, MICA_ERR_FAULT, err,
					     "guest fault: unexpected I/O port 0x%x access (%s, %u bytes)", port,
					     run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.size);
			uint32_t gpa;
			memcpy(&gpa, (uint8_t *)run + run->io.data_offset, 4);
			switch (port - MICA_PORT_BASE) {
			case MICA_HC_WAIT:
				return on_wait(sb, gpa, res, err);
			case MICA_HC_CONSOLE:
				rc = on_console(sb, gpa, err);
				break;
			case MICA_HC_HOSTCALL:
				rc = on_hostcall(sb, gpa, err);
				break;
			case MICA_HC_MODULE:
				rc = on_module(sb, gpa, err);
				break;
			case MICA_HC_ASYNC:
				rc = mica_exit_async(sb, gpa, err);
				break;
			case MICA_HC_SLEEP:
				rc = mica_exit_sleep(sb, gpa, deadline, err);
				break;
			case MICA_HC_EXIT:
				return on_exit_call(sb, gpa, err);
			default: /* MICA_HC_FAULT came first */
				return on_fault(sb, err);
			}
			if (rc)
				return rc;
			break;
		}
		case KVM_EXIT_SHUTDOWN:
			return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest fault: triple fault (the vCPU shut down)");
		case KVM_EXIT_HLT:
			return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest fault: the guest halted");
		case KVM_EXIT_MMIO:
			return mica_exits_fault(sb, MICA_ERR_FAULT, err,
				     "guest fault: access to unbacked physical address 0x%llx",
				     (unsigned long long)run->mmio.phys_addr);
		case KVM_EXIT_INTERNAL_ERROR:
			return mica_exits_fault(sb, MICA_ERR_FAULT, err,
				     "guest fault: KVM could not emulate an instruction (internal error, "
				     "suberror %u)",
				     run->internal.suberror);
		case KVM_EXIT_FAIL_ENTRY:
			return mica_exits_fault(sb, MICA_ERR_SYSTEM, err, "KVM could not enter the guest (reason 0x%llx)",
				     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		default:
			return mica_exits_fault(sb, MICA_ERR_FAULT, err, "guest fault: unexpected VM exit %u",
				     run->exit_reason);
		}
	}
}

int mica_exits_run(mica_sandbox *sb, struct mica_exit_result *res, mica_error *err)
{
	memset(res, 0, sizeof(*res));
	sb->output = 0;
	/* Interrupted before the guest ran: the guest is still parked, so the
	 * sandbox stays usable. */
	if (atomic_exchange(&sb->interrupt, 0))
		return mica_err(err, MICA_ERR_INTERRUPTED, "interrupted by the host before the operation ran");
	int64_t deadline = sb->limits.timeout_ms ? mica_now_ns() + (int64_t)sb->limits.timeout_ms * 1000000 : 0;
	int rc = mica_async_begin(sb, err); /* a new request: earlier calls' completions are void */
	if (rc)
		return rc;
	rc = mica_vm_arm(&sb->vm, deadline, err);
	if (rc)
		return rc;
	atomic_store(&sb->runner, (int)mica_thread_id());
	rc = serve(sb, deadline, res, err);
	atomic_store(&sb->runner, 0);
	mica_vm_disarm(&sb->vm);
	return rc;
}

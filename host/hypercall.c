/* The hypercall dispatch: one table, and the loop that serves a request. */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "async.h"
#include "hypercall.h"
#include "sys.h"

static mica_hc_handler *const handlers[MICA_HC_COUNT] = {
    [MICA_HC_WAIT] = mica_hc_wait,	   [MICA_HC_CONSOLE] = mica_hc_console,
    [MICA_HC_HOSTCALL] = mica_hc_hostcall, [MICA_HC_EXIT] = mica_hc_exit,
    [MICA_HC_MODULE] = mica_hc_module,	   [MICA_HC_ASYNC] = mica_hc_async,
    [MICA_HC_SLEEP] = mica_hc_sleep,
    /* MICA_HC_FAULT arrives as struct mica_exit's fault: the backend reads it */
};

static int inside(uint64_t gpa, uint64_t len, uint64_t start, uint64_t end)
{
	return gpa >= start && gpa <= end && len <= end - gpa;
}

/* Structures the host writes back into must lie where the guest itself may
 * write, so the host never becomes a way around the guest's own page
 * protections. */
int mica_guest_writable(const mica_sandbox *sb, uint64_t gpa, uint64_t len)
{
	const struct mica_layout *l = &sb->layout;
	if (gpa % 8) /* the host writes fields in place */
		return 0;
	int ok = inside(gpa, len, l->heap_start, l->heap_end) ||
		 inside(gpa, len, l->stack_bottom, l->stack_top) ||
		 inside(gpa, len, MICA_GPA_MAILBOX, MICA_GPA_INLINE + MICA_INLINE_SIZE);
	const struct mica_image *img = &sb->rt->image;
	for (int i = 0; !ok && i < img->nsegs; i++)
		ok = (img->segs[i].flags & PF_W) &&
		     inside(gpa, len, img->segs[i].vaddr, img->segs[i].vaddr + img->segs[i].memsz);
	return ok && mica_mem_check(&sb->mem, gpa, len);
}

int mica_abi_violation(mica_sandbox *sb, mica_error *err, const char *what, uint64_t gpa)
{
	return mica_sandbox_kill(sb, MICA_ERR_FAULT, err, "guest ABI violation: %s at 0x%llx", what,
				 (unsigned long long)gpa);
}

static int serve(mica_sandbox *sb, int64_t deadline, mica_error *err)
{
	const struct mica_backend_ops *ops = sb->rt->ops;
	for (;;) {
		struct mica_exit ex;
		int rc = ops->run(sb, deadline, &ex, err);
		if (rc == MICA_ERR_TIMEOUT)
			return mica_sandbox_kill(
			    sb, rc, err, "time limit exceeded: the operation ran longer than %u ms",
			    sb->limits.timeout_ms);
		if (rc == MICA_ERR_INTERRUPTED) {
			atomic_store(&sb->interrupt, 0);
			return mica_sandbox_kill(sb, rc, err, "interrupted by the host");
		}
		if (rc) /* the backend's message is in err already */
			return mica_sandbox_dies(sb, (mica_code)rc);
		if (ex.kind == MICA_EXIT_FAULT)
			return mica_fault_report(sb, &ex.fault, err);
		mica_hc_handler *h = ex.nr < MICA_HC_COUNT ? handlers[ex.nr] : NULL;
		if (!h)
			return mica_sandbox_kill(sb, MICA_ERR_FAULT, err,
						 "guest ABI violation: unknown hypercall %u",
						 ex.nr);
		rc = h(sb, ex.arg, deadline, err);
		if (rc == MICA_HC_DONE)
			return MICA_OK;
		if (rc)
			return rc;
	}
}

int mica_hypercall_serve(mica_sandbox *sb, mica_error *err)
{
	free(sb->reply.text);
	memset(&sb->reply, 0, sizeof(sb->reply));
	sb->output = 0;
	/* Interrupted before the guest ran: the guest is still parked, so the
	 * sandbox stays usable. */
	if (atomic_exchange(&sb->interrupt, 0))
		return mica_err(err, MICA_ERR_INTERRUPTED,
				"interrupted by the host before the operation ran");
	int64_t deadline =
	    sb->limits.timeout_ms ? mica_now_ns() + (int64_t)sb->limits.timeout_ms * 1000000 : 0;
	int rc = mica_async_begin(sb, err); /* a new request: earlier calls' completions are void */
	if (rc)
		return rc;
	rc = sb->rt->ops->begin(sb, deadline, err);
	if (rc)
		return rc;
	atomic_store(&sb->runner, (int)mica_thread_id());
	rc = serve(sb, deadline, err);
	atomic_store(&sb->runner, 0);
	sb->rt->ops->end(sb);
	return rc;
}

/*
 * mica_runtime_lockdown: a seccomp allow-list (libseccomp) on the whole
 * calling process, for after its set-up. What stays is what serving
 * sandboxes needs: memory, time, the descriptors already open, the signals
 * and timers of deadlines, the backend's own calls (its ops->lockdown) and,
 * for one sandbox's module root, openat2 beneath that directory only. See
 * docs/security.md ("Seccomp on the host side").
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <seccomp.h>
#include <sys/mman.h>

#include "runtime.h"
#include "sandbox.h"

/* Calls any code of the process may make while it serves sandboxes. */
static const int always[] = {
    /* descriptors already open */
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(lseek),
    SCMP_SYS(close),
    SCMP_SYS(fstat),
    SCMP_SYS(fsync),
    SCMP_SYS(fdatasync),
    SCMP_SYS(ppoll),
    SCMP_SYS(poll),
    SCMP_SYS(dup),
    SCMP_SYS(fcntl),
    /* memory (malloc, snapshots) */
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(brk),
    SCMP_SYS(madvise),
    SCMP_SYS(mincore),
    SCMP_SYS(memfd_create),
    SCMP_SYS(ftruncate),
    SCMP_SYS(fallocate),
    SCMP_SYS(copy_file_range),
    SCMP_SYS(eventfd2),
    /* threads and time */
    SCMP_SYS(futex),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(sched_yield),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(getrandom),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    /* signals, deadline timers and the end */
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(tgkill),
    SCMP_SYS(timer_create),
    SCMP_SYS(timer_settime),
    SCMP_SYS(timer_gettime),
    SCMP_SYS(timer_delete),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(wait4),
    SCMP_SYS(waitid),
};

int mica_runtime_lockdown(mica_runtime *rt, const mica_sandbox *sb, unsigned flags, mica_error *err)
{
	if (!rt)
		return mica_err(err, MICA_ERR_INVALID, "mica_runtime_lockdown needs a runtime");
	scmp_filter_ctx ctx = seccomp_init((flags & MICA_LOCKDOWN_KILL) ? SCMP_ACT_KILL_PROCESS
									: SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return mica_err(err, MICA_ERR_SYSTEM, "cannot make a seccomp filter (libseccomp)");
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1); /* every thread */
	for (size_t i = 0; !rc && i < sizeof(always) / sizeof(always[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, always[i], 0);
	/* no new executable memory */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* fstat through newfstatat(fd, "", AT_EMPTY_PATH) only */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
				      SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH));
	/* the module root: openat2 beneath it (RESOLVE_BENEATH is in how, which
	 * the filter cannot read: the library always asks for it) */
	if (!rc && sb && sb->module_root >= 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat2), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sb->module_root));
	if (!rc && rt->ops->lockdown)
		rc = rt->ops->lockdown(rt->bk, ctx);
	if (rc) {
		seccomp_release(ctx);
		errno = -rc;
		return mica_err_errno(err, MICA_ERR_SYSTEM, "cannot build the seccomp filter");
	}
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc) {
		errno = -rc;
		return mica_err_errno(err, MICA_ERR_SYSTEM, "cannot install the seccomp filter");
	}
	return MICA_OK;
}

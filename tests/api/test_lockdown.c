/*
 * test_lockdown: mica_runtime_lockdown (include/mica.h). Each case runs in a
 * child process of its own, since a filter cannot be taken back: after the
 * lockdown the sandboxes still work (calls, a module import from the root,
 * a snapshot, a clone, a reset), and what the filter refuses fails with
 * EPERM, or kills the process with MICA_LOCKDOWN_KILL.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "mica.h"
#include "support.h"

/* Runs fn in a child; its exit status (or 128 + signal). */
static int in_child(int (*fn)(void))
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit(fn());
	int st = 0;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* 0 if the call answers want. */
static int answers(mica_sandbox *sb, const char *fn, const char *want)
{
	char *r = NULL;
	size_t len;
	mica_error err;
	int rc = mica_sandbox_call(sb, fn, "null", 4, &r, &len, &err);
	int ok = rc == MICA_OK && r && !strcmp(r, want);
	if (!ok)
		fprintf(stderr, "  %s: %d %s %s\n", fn, rc, r ? r : "", err.message);
	free(r);
	return ok ? 0 : 1;
}

/* made by the parent, which can remove it afterwards */
static struct tenant t;

static int works_after_lockdown(void)
{
	mica_error err;
	mica_runtime *rt = mica_runtime_new(harness_opts(), &err);
	mica_sandbox *sb = rt ? mica_sandbox_new(rt, NULL, &err) : NULL;
	int dir = open(t.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!sb || dir < 0 || mica_sandbox_set_modules_fd(sb, dir, &err))
		return 11;
	if (mica_runtime_lockdown(rt, sb, 0, &err)) {
		fprintf(stderr, "  lockdown: %s\n", err.message);
		return 12;
	}
	/* refused */
	errno = 0;
	if (open("/etc/hostname", O_RDONLY) >= 0 || errno != EPERM)
		return 13;
	if (socket(AF_INET, SOCK_STREAM, 0) >= 0 || errno != EPERM)
		return 14;
	if (fork() >= 0 || errno != EPERM)
		return 15;
	/* and the sandbox goes on: load, import from its root, snapshot,
	 * clone, reset */
	if (mica_sandbox_load(sb, "t.js", tenant_module, strlen(tenant_module), &err))
		return 16;
	if (answers(sb, "imp", "\"the tenant's file\""))
		return 17;
	mica_snapshot *snap = mica_snapshot_take(sb, &err);
	mica_sandbox *c = snap ? mica_sandbox_from_snapshot(rt, snap, &err) : NULL;
	if (!c) {
		fprintf(stderr, "  clone: %s\n", err.message);
		return 18;
	}
	if (mica_sandbox_set_modules_fd(c, dir, &err) || answers(c, "imp", "\"the tenant's file\""))
		return 19;
	if (mica_sandbox_reset(c, &err) || answers(c, "log", "1"))
		return 20;
	mica_sandbox_free(c);
	mica_snapshot_free(snap);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
	return 0;
}

TEST(sandboxes_work_after_lockdown)
{
	NEED_BACKEND();
	if (tenant_open(&t)) {
		CHECK(0, "tenant dir: %s", strerror(errno));
		return;
	}
	int st = in_child(works_after_lockdown);
	CHECK(st == 0, "the child ended with %d (see above)", st);
	tenant_close(&t);
}

/* Clones made and freed after the lockdown, each a new process (no
 * spares): more than the cgroup slots made before it, over and over. */
static int clones_after_lockdown(void)
{
	mica_error err;
	mica_runtime_options o = {.spares = -1};
	mica_runtime *rt = mica_runtime_new(harness_options(&o), &err);
	mica_sandbox *sb = rt ? mica_sandbox_new(rt, NULL, &err) : NULL;
	if (!sb || mica_sandbox_load(sb, "t.js", tenant_module, strlen(tenant_module), &err))
		return 10;
	mica_snapshot *snap = mica_snapshot_take(sb, &err);
	if (!snap || mica_runtime_lockdown(rt, sb, 0, &err))
		return 11;
	for (int i = 0; i < 8; i++) {
		mica_sandbox *c = mica_sandbox_from_snapshot(rt, snap, &err);
		if (!c) {
			fprintf(stderr, "  clone %d: %s\n", i, err.message);
			return 12;
		}
		int bad = answers(c, "log", "1");
		mica_sandbox_free(c);
		if (bad)
			return 13;
	}
	mica_snapshot_free(snap);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
	return 0;
}

TEST(clones_keep_coming_after_lockdown)
{
	NEED_BACKEND();
	int st = in_child(clones_after_lockdown);
	CHECK(st == 0, "the child ended with %d (see above)", st);
}

static int killed_by_a_refused_call(void)
{
	mica_error err;
	mica_runtime *rt = mica_runtime_new(harness_opts(), &err);
	mica_sandbox *sb = rt ? mica_sandbox_new(rt, NULL, &err) : NULL;
	if (!sb || mica_runtime_lockdown(rt, sb, MICA_LOCKDOWN_KILL, &err))
		return 10;
	if (answers(sb, "nothing", "x") == 0)
		return 11;
	open("/etc/hostname", O_RDONLY); /* dies here */
	return 12;
}

TEST(lockdown_kill_mode)
{
	NEED_BACKEND();
	int st = in_child(killed_by_a_refused_call);
	CHECK(st == 128 + SIGSYS, "the child ended with %d, want SIGSYS", st);
}

TEST(lockdown_needs_a_runtime)
{
	mica_error err;
	CHECK(mica_runtime_lockdown(NULL, NULL, 0, &err) == MICA_ERR_INVALID, "NULL runtime");
}

int main(void)
{
	RUN(lockdown_needs_a_runtime);
	RUN(sandboxes_work_after_lockdown);
	RUN(clones_keep_coming_after_lockdown);
	RUN(lockdown_kill_mode);
	return harness_report();
}

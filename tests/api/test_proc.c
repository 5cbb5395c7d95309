/*
 * The process backend's own promises (docs/process-backend.md), checked
 * from the outside as a user would: /proc of a live sandbox (seccomp, no
 * new privileges, no capabilities, its own namespaces, only the
 * transport's descriptors, no mapping of the host's), and a hostile guest
 * (tests/hostile/proto.c) making raw system calls, which must achieve
 * nothing: each traps into the guest's own dispatcher (-ENOSYS) or kills
 * the sandbox, the host lives on, and the next call or sandbox works.
 *
 * On the KVM backend there is no process to look at: every test skips.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "mica_abi.h"
#include "snapshot.h" /* host/: the snapshot's memfd */
#include "support.h"

#define ENOSYS_TEXT "-38"

/* The process backend, or a skip. */
#define NEED_PROCESS()                                                                             \
	do {                                                                                       \
		NEED_BACKEND();                                                                    \
		if (harness_running_backend() != MICA_BACKEND_PROCESS)                             \
			SKIP("the process backend's own test");                                    \
	} while (0)

/* ---- the processes of a runtime ------------------------------------------- */

/* The parent pid of pid, from /proc/pid/stat; 0 if it is gone. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')'); /* the name may hold anything */
	int ppid = 0;
	if (!p || sscanf(p + 2, "%*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

/* The children of pid (at most max), by scanning /proc. */
static int children_of(pid_t pid, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) && n < max) {
		pid_t p = (pid_t)atoi(e->d_name);
		if (p > 0 && parent_of(p) == pid)
			out[n++] = p;
	}
	if (d)
		closedir(d);
	return n;
}

/* The zygote of the one runtime this test has open, and its children. */
static pid_t zygote(void)
{
	pid_t z[8];
	int n = children_of(getpid(), z, 8);
	CHECK(n == 1, "%d children of the test, want the one zygote", n);
	return n == 1 ? z[0] : 0;
}

static int alive(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return access(path, F_OK) == 0 && parent_of(pid) != 0;
}

/* The value of "Key:" in /proc/pid/status, or "" */
static void status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	out[0] = 0;
	FILE *f = fopen(path, "r");
	size_t k = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, k) && line[k] == ':') {
			const char *v = line + k + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(out, len, "%.*s", (int)strcspn(v, "\n"), v);
		}
	if (f)
		fclose(f);
}

/* A fixture: a runtime on the process backend, one sandbox, its process. */
struct fx {
	mica_runtime *rt;
	mica_sandbox *sb;
	pid_t zygote, child;
	struct image img;
};

static void fx_close(struct fx *f)
{
	mica_sandbox_free(f->sb);
	mica_runtime_free(f->rt);
	free(f->img.data);
	memset(f, 0, sizeof(*f));
}

/* With image (NULL: the built-in guest). */
static int fx_open(struct fx *f, const char *image)
{
	memset(f, 0, sizeof(*f));
	mica_error err = {0};
	if (image) {
		if (!image_load(image, &f->img))
			return -1;
		f->rt = image_runtime(&f->img, &err);
	} else {
		f->rt = mica_runtime_new(harness_opts(), &err);
	}
	CHECK(f->rt, "runtime: %s", err.message);
	if (f->rt)
		f->sb = mica_sandbox_new(f->rt, NULL, &err);
	CHECK(f->sb, "sandbox: %s", err.message);
	if (f->sb && (f->zygote = zygote())) {
		pid_t kids[4];
		int n = children_of(f->zygote, kids, 4);
		CHECK(n == 1, "the zygote has %d children, want the one sandbox", n);
		f->child = n == 1 ? kids[0] : 0;
	}
	if (!f->child) {
		fx_close(f);
		return -1;
	}
	return 0;
}

/* ---- /proc of a live sandbox ---------------------------------------------- */

TEST(proc_status_confined)
{
	NEED_PROCESS();
	struct fx f;
	if (fx_open(&f, NULL))
		return;
	char v[128];
	status_field(f.child, "Seccomp", v, sizeof(v));
	CHECK(!strcmp(v, "2"), "Seccomp: %s, want 2 (filter)", v);
	status_field(f.child, "NoNewPrivs", v, sizeof(v));
	CHECK(!strcmp(v, "1"), "NoNewPrivs: %s", v);
	static const char *caps[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		status_field(f.child, caps[i], v, sizeof(v));
		CHECK(!strcmp(v, "0000000000000000"), "%s: %s, want none", caps[i], v);
	}
	/* the zygote keeps what its children need to become nobody, and what
	 * it needs to kill them then */
	status_field(f.zygote, "CapEff", v, sizeof(v));
	CHECK(!strcmp(v, "00000000000000e0"), "the zygote's CapEff: %s, want kill, setgid, setuid",
	      v);
	status_field(f.zygote, "CapBnd", v, sizeof(v));
	CHECK(!strcmp(v, "0000000000000000"), "the zygote's CapBnd: %s, want none", v);
	/* and it still answers */
	char *res = NULL;
	size_t len;
	mica_error err;
	CHECK(mica_sandbox_eval(f.sb, "x.js", "6 * 7", 5, &res, &len, &err) == MICA_OK &&
		  !strcmp(res, "42"),
	      "eval: %s", err.message);
	free(res);
	fx_close(&f);
}

/* Run as root (in the first user namespace), the sandboxes run as nobody,
 * so that one that got past its filter would own no file of the host's;
 * anyone else's run as themselves. The zygote stays the host's user (it
 * removes the runtime's cgroups). describe says which. */
TEST(proc_runs_as_nobody)
{
	NEED_PROCESS();
	struct fx f;
	if (fx_open(&f, NULL))
		return;
	char map[128] = "", facts[2048], want[64];
	FILE *m = fopen("/proc/self/uid_map", "r");
	int nobody = m && fgets(map, sizeof(map), m) && geteuid() == 0 &&
		     !strcmp(map, "         0          0 4294967295\n");
	if (m)
		fclose(m);
	mica_runtime_describe(f.rt, facts, sizeof(facts));
	unsigned id = nobody ? 65534 : (unsigned)geteuid(), gid = nobody ? 65534 : getegid();
	snprintf(want, sizeof(want), "identity: uid %u, gid %u ", id, gid);
	CHECK(strstr(facts, want), "describe: want '%s' in %s", want, facts);
	char v[128], w[128];
	snprintf(w, sizeof(w), "%u\t%u\t%u\t%u", id, id, id, id);
	status_field(f.child, "Uid", v, sizeof(v));
	CHECK(!strcmp(v, w), "sandbox Uid: %s, want %s", v, w);
	snprintf(w, sizeof(w), "%u\t%u\t%u\t%u", gid, gid, gid, gid);
	status_field(f.child, "Gid", v, sizeof(v));
	CHECK(!strcmp(v, w), "sandbox Gid: %s, want %s", v, w);
	status_field(f.child, "Groups", v, sizeof(v));
	CHECK(!nobody || !*v, "sandbox Groups: '%s', want none", v);
	snprintf(w, sizeof(w), "%u\t", (unsigned)geteuid());
	status_field(f.zygote, "Uid", v, sizeof(v));
	CHECK(!strncmp(v, w, strlen(w)), "zygote Uid: %s, want ours (%u)", v, geteuid());
	fx_close(&f);
}

/* Its namespaces differ from ours for every one the runtime says it got. */
TEST(proc_namespaces)
{
	NEED_PROCESS();
	struct fx f;
	if (fx_open(&f, NULL))
		return;
	char facts[2048];
	mica_runtime_describe(f.rt, facts, sizeof(facts));
	const char *line = strstr(facts, "namespaces: ");
	CHECK(line, "describe names no namespaces: %s", facts);
	static const struct {
		const char *name, *proc;
	} ns[] = {{"user", "user"}, {"pid", "pid"},   {"net", "net"},	   {"ipc", "ipc"},
		  {"uts", "uts"},   {"mount", "mnt"}, {"cgroup", "cgroup"}};
	int got = 0;
	for (size_t i = 0; line && i < sizeof(ns) / sizeof(ns[0]); i++) {
		char word[32];
		snprintf(word, sizeof(word), " %s", ns[i].name);
		const char *eol = strchr(line, '\n'), *refused = strstr(line, "(refused");
		const char *at = strstr(line + strlen("namespaces:"), word);
		int obtained = at && (!eol || at < eol) && (!refused || at < refused);
		char mine[PATH_MAX], theirs[PATH_MAX], path[64];
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i].proc);
		ssize_t a = readlink(path, mine, sizeof(mine) - 1);
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)f.child, ns[i].proc);
		ssize_t b = readlink(path, theirs, sizeof(theirs) - 1);
		CHECK(a > 0 && b > 0, "readlink ns/%s: %s", ns[i].proc, strerror(errno));
		if (a <= 0 || b <= 0)
			continue;
		mine[a] = theirs[b] = 0;
		if (obtained) {
			got++;
			CHECK(strcmp(mine, theirs), "%s namespace shared with the host: %s",
			      ns[i].name, mine);
		}
	}
	CHECK(got > 0 || strstr(facts, "namespaces: none"),
	      "no namespace obtained, and none said: %s", facts);
	fx_close(&f);
}

/* Descriptors: the transport's, and nothing else. */
TEST(proc_descriptors)
{
	NEED_PROCESS();
	struct fx f;
	if (fx_open(&f, NULL))
		return;
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)f.child);
	DIR *d = opendir(dir);
	CHECK(d, "opendir %s: %s", dir, strerror(errno));
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		char path[384], target[256];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ssize_t k = readlink(path, target, sizeof(target) - 1);
		target[k > 0 ? k : 0] = 0;
		n++;
		if (fd == MICA_PROC_FD_GO || fd == MICA_PROC_FD_NOTIFY)
			CHECK(!strcmp(target, "anon_inode:[eventfd]"), "fd %d is %s", fd, target);
		else if (fd == MICA_PROC_FD_PAGEMAP)
			CHECK(strstr(target, "/pagemap"), "fd %d is %s", fd, target);
		else
			CHECK(0, "fd %d (%s) open in the sandbox", fd, target);
	}
	if (d)
		closedir(d);
	CHECK(n == 3, "%d descriptors, want 3", n);
	char v[64];
	snprintf(dir, sizeof(dir), "/proc/%d/limits", (int)f.child);
	FILE *lf = fopen(dir, "r");
	char line[256];
	int core = 0, files = 0, procs = 0;
	while (lf && fgets(line, sizeof(line), lf)) {
		core |= !strncmp(line, "Max core file size", 18) && strstr(line, " 0 ");
		files |= !strncmp(line, "Max open files", 14) && strstr(line, " 3 ");
		procs |= !strncmp(line, "Max processes", 13) && strstr(line, " 0 ");
	}
	if (lf)
		fclose(lf);
	CHECK(core && files && procs, "rlimits: core %d, files %d, processes %d", core, files,
	      procs);
	status_field(f.child, "Threads", v, sizeof(v));
	CHECK(!strcmp(v, "1"), "Threads: %s", v);
	fx_close(&f);
}

/* Mappings: the guest's memory and its snapshot view, nothing of the loader
 * (no program of ours, no vDSO, no process stack). */
TEST(proc_mappings)
{
	NEED_PROCESS();
	struct fx f;
	if (fx_open(&f, NULL))
		return;
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)f.child);
	FILE *m = fopen(path, "r");
	CHECK(m, "%s: %s", path, strerror(errno));
	int n = 0;
	while (m && fgets(line, sizeof(line), m)) {
		unsigned long long lo, hi;
		if (sscanf(line, "%llx-%llx", &lo, &hi) != 2)
			continue;
		n++;
		int guest = lo >= MICA_GPA_WINDOW && hi <= 64ull << 20;
		int vsyscall = lo >= 0xffffffffff600000ull; /* cannot be unmapped */
		CHECK(guest || vsyscall, "a mapping outside the guest: %s", line);
		CHECK(!strstr(line, "[vdso]") && !strstr(line, "[stack]") &&
			  !strstr(line, "mica-loader"),
		      "left over: %s", line);
		CHECK(!strstr(line, "rwx"), "writable and executable: %s", line);
	}
	if (m)
		fclose(m);
	CHECK(n > 5, "%d mappings", n);
	fx_close(&f);
}

/* ---- raw system calls from a hostile guest -------------------------------- */

static char *call(mica_sandbox *sb, const char *fn, const char *event, mica_error *err)
{
	char *res = NULL;
	size_t len;
	memset(err, 0, sizeof(*err));
	if (mica_sandbox_call(sb, fn, event, strlen(event), &res, &len, err) != MICA_OK) {
		free(res);
		return NULL;
	}
	return res;
}

/* Each: a system call number and arguments that would do harm if the
 * kernel ran them ("nr a1 a2 ..."), refused with -ENOSYS by the guest's own
 * dispatcher. Addresses: 0x400000 is the image, 0x11000 the mailbox. */
static const struct {
	const char *what, *args;
} refused[] = {
    {"open", "2 4194304 0 0"},
    {"openat", "257 18446744073709551516 4194304 0 0"},
    {"socket", "41 2 1 0"},
    {"connect", "42 0 4194304 16"},
    {"execve", "59 4194304 0 0"},
    {"fork", "57"},
    {"vfork", "58"},
    {"clone", "56 17 0 0 0 0"},
    {"clone3", "435 4194304 88"},
    {"ptrace", "101 16 1 0 0"},
    {"kill of the zygote", "62 1 9"},
    {"kill of everyone", "62 18446744073709551615 9"},
    {"tgkill", "234 1 1 9"},
    {"process_vm_readv", "310 1 4194304 1 4194304 1 0"},
    {"mmap MAP_SHARED", "9 0 4096 3 33 18446744073709551615 0"},
    {"mmap PROT_EXEC", "9 0 4096 7 34 18446744073709551615 0"},
    {"mprotect PROT_EXEC", "10 4194304 4096 7"},
    {"munmap", "11 4194304 4096"},
    {"mremap", "25 4194304 4096 8192 1"},
    {"unshare", "272 268435456"},
    {"setns", "308 0 0"},
    {"mount", "165 4194304 4194304 4194304 0 0"},
    {"io_uring_setup", "425 8 4194304"},
    {"bpf", "321 0 4194304 72"},
    {"userfaultfd", "323 0"},
    {"perf_event_open", "298 4194304 0 18446744073709551615 18446744073709551615 0"},
    {"keyctl", "250 0 0 0 0 0"},
    {"ioctl TIOCSTI", "16 0 21522 4194304"},
    {"ioctl PAGEMAP_SCAN from the guest", "16 2 3227543056 4194304"},
    {"prctl PR_SET_SECCOMP", "157 22 2 4194304"},
    {"prctl PR_SET_DUMPABLE", "157 4 1"},
    {"seccomp to loosen the filter", "317 1 0 4194304"},
    {"futex on the mailbox", "202 69632 1 1 0 0 0"},
    {"futex anywhere", "202 4194304 0 0 0 0 0"},
    {"read the answer out of the stub", "0 0 69712 8"},
    {"write a park out of the stub", "1 1 86016 8"},
    {"madvise out of the stub", "28 4194304 4096 4"},
    {"close a transport descriptor", "3 0"},
    {"dup2 over one", "33 2 1"},
    {"arch_prctl ARCH_GET_FS", "158 4099 69632"},
    {"timer_create", "222 1 0 69632"},
    {"setitimer", "38 0 69632 0"},
    {"alarm", "37 1"},
    {"rseq", "334 69632 32 0 0"},
    {"set_robust_list", "273 69632 24"},
    {"getppid", "110"},
};

/* The sandbox answers -ENOSYS to each and goes on answering. */
TEST(proc_raw_syscalls_refused)
{
	NEED_PROCESS();
	struct fx f;
	if (fx_open(&f, "proto"))
		return;
	pid_t before[8];
	int kids = children_of(f.zygote, before, 8);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		mica_error err;
		char *res = call(f.sb, "sys", refused[i].args, &err);
		CHECK(res && !strcmp(res, ENOSYS_TEXT), "%s (%s): %s%s", refused[i].what,
		      refused[i].args, res ? "returned " : "", res ? res : err.message);
		free(res);
		res = call(f.sb, "echo", "[1]", &err);
		CHECK(res && !strcmp(res, "[1]"), "after %s: %s", refused[i].what,
		      res ? res : err.message);
		free(res);
	}
	pid_t after[8];
	CHECK(children_of(f.zygote, after, 8) == kids, "the zygote's children changed: %d", kids);
	CHECK(alive(f.child), "the sandbox died");
	fx_close(&f);
}

/* A fork bomb makes no process at all. */
TEST(proc_fork_bomb)
{
	NEED_PROCESS();
	struct fx f;
	if (fx_open(&f, "proto"))
		return;
	for (int i = 0; i < 200; i++) {
		mica_error err;
		char *res = call(f.sb, "sys", i % 2 ? "57" : "56 17 0 0 0 0", &err);
		int ok = res && !strcmp(res, ENOSYS_TEXT);
		free(res);
		CHECK(ok, "fork %d: %s", i, err.message);
		if (!ok)
			break;
	}
	pid_t kids[8];
	CHECK(children_of(f.zygote, kids, 8) == 1, "more than the one sandbox process");
	CHECK(children_of(f.child, kids, 8) == 0, "the sandbox has children");
	fx_close(&f);
}

/* What the filter kills for, not traps: the process dies with SIGSYS, the
 * call fails with a guest fault that says so, the next sandbox works. */
TEST(proc_killed_by_the_filter)
{
	NEED_PROCESS();
	static const struct {
		const char *what, *fn, *args, *pattern;
	} kills[] = {
	    /* rt_sigreturn would let the guest set its signal mask and stack */
	    {"rt_sigreturn", "sys", "15", "made a system call the sandbox forbids"},
	    /* the x32 ABI: another table of system calls */
	    {"an x32 system call", "sys", "1073741863", "made a system call the sandbox forbids"},
	    /* a 32-bit system call, or a #GP where the kernel has no IA-32 */
	    {"int 0x80", "int80", "0", ""},
	};
	for (size_t i = 0; i < sizeof(kills) / sizeof(kills[0]); i++) {
		struct fx f;
		if (fx_open(&f, "proto"))
			return;
		mica_error err;
		char *res = call(f.sb, kills[i].fn, kills[i].args, &err);
		CHECK(!res && err.code == MICA_ERR_FAULT, "%s: %s %s", kills[i].what,
		      res ? res : "code", err.message);
		CHECK(strstr(err.message, kills[i].pattern), "%s: %s", kills[i].what, err.message);
		free(res);
		int64_t t0 = now_ms();
		while (alive(f.child) && now_ms() - t0 < 2000)
			sleep_ms(5);
		CHECK(!alive(f.child), "%s: the sandbox process lives on", kills[i].what);
		mica_sandbox_free(f.sb);
		f.sb = mica_sandbox_new(f.rt, NULL, &err);
		CHECK(f.sb, "%s: a new sandbox: %s", kills[i].what, err.message);
		res = f.sb ? call(f.sb, "echo", "[9]", &err) : NULL;
		CHECK(res && !strcmp(res, "[9]"), "%s: the next sandbox: %s", kills[i].what,
		      err.message);
		free(res);
		fx_close(&f);
	}
}

/* exit_group is allowed: the guest ends itself, the host says so. */
TEST(proc_exit_group)
{
	NEED_PROCESS();
	struct fx f;
	if (fx_open(&f, "proto"))
		return;
	mica_error err;
	char *res = call(f.sb, "sys", "231 7", &err);
	CHECK(!res && err.code == MICA_ERR_FAULT && strstr(err.message, "guest exited with code 7"),
	      "%s", err.message);
	free(res);
	fx_close(&f);
}

/* The mailbox is the guest's to write, never to trust: a park with a call
 * number of its own, the reset's pinned calls with garbage. */
TEST(proc_mailbox_out_of_protocol)
{
	NEED_PROCESS();
	struct fx f;
	if (fx_open(&f, "proto"))
		return;
	mica_error err;
	char *res = call(f.sb, "scan", "0", &err); /* the pinned ioctl with a wild pointer */
	CHECK(res && atoi(res) < 0, "PAGEMAP_SCAN with garbage: %s", res ? res : err.message);
	free(res);
	res = call(f.sb, "echo", "[2]", &err);
	CHECK(res && !strcmp(res, "[2]"), "after the scan: %s", res ? res : err.message);
	free(res);
	res = call(f.sb, "forge", "99", &err);
	CHECK(!res && err.code == MICA_ERR_FAULT && strstr(err.message, "unknown hypercall 99"),
	      "forged: %s", err.message);
	free(res);
	fx_close(&f);
}

/* A guest that spins holds its time limit, no longer: killed within 100 ms
 * of the deadline, its process gone, and no zombie is left. */
TEST(proc_spin_is_killed_on_time)
{
	NEED_PROCESS();
	struct fx f;
	if (fx_open(&f, "proto"))
		return;
	mica_sandbox_set_timeout(f.sb, 200);
	mica_error err;
	int64_t t0 = now_ms();
	char *res = call(f.sb, "spin", "0", &err);
	int64_t dt = now_ms() - t0;
	CHECK(!res && err.code == MICA_ERR_TIMEOUT, "spin: %s", err.message);
	CHECK(dt >= 195 && dt < 300, "the call returned after %lld ms, the limit is 200",
	      (long long)dt);
	free(res);
	while (alive(f.child) && now_ms() - t0 < 2000)
		sleep_ms(5);
	CHECK(!alive(f.child), "the spinning process lives on");
	fx_close(&f);
	pid_t kids[4];
	CHECK(children_of(getpid(), kids, 4) == 0, "a process of ours is left: %d", (int)kids[0]);
}

/* ---- spare processes ------------------------------------------------------- */

/* A runtime on the process backend running the proto guest with spares
 * (mica_runtime_options.spares), a parked sandbox and its
 * snapshot. */
struct spares {
	mica_runtime *rt;
	mica_sandbox *base;
	mica_snapshot *snap;
	pid_t zygote, base_pid;
};

static int spares_open(struct spares *x, int spares)
{
	memset(x, 0, sizeof(*x));
	struct image img;
	if (!image_load("proto", &img))
		return -1;
	mica_runtime_options o = {
	    .guest_image = img.data, .guest_image_len = img.len, .spares = spares};
	mica_error err = {0};
	x->rt = mica_runtime_new(harness_options(&o), &err);
	free(img.data);
	CHECK(x->rt, "runtime: %s", err.message);
	x->base = x->rt ? mica_sandbox_new(x->rt, NULL, &err) : NULL;
	CHECK(!x->rt || x->base, "sandbox: %s", err.message);
	x->snap = x->base ? mica_snapshot_take(x->base, &err) : NULL;
	CHECK(!x->base || x->snap, "snapshot: %s", err.message);
	if (x->snap && (x->zygote = zygote()) && children_of(x->zygote, &x->base_pid, 1) == 1)
		return 0;
	CHECK(!x->snap, "no zygote with the one sandbox");
	return -1;
}

static void spares_close(struct spares *x)
{
	mica_snapshot_free(x->snap);
	mica_sandbox_free(x->base);
	mica_runtime_free(x->rt);
	pid_t kids[4];
	CHECK(children_of(getpid(), kids, 4) == 0, "a process of ours is left: %d", (int)kids[0]);
}

/* The zygote's children but the base sandbox's, after the ones that are
 * going have gone (up to 2 s). */
static int others(const struct spares *x, pid_t *out, int max, int want)
{
	int64_t t0 = now_ms();
	for (;;) {
		pid_t all[64];
		int n = children_of(x->zygote, all, 64), k = 0;
		for (int i = 0; i < n; i++)
			if (all[i] != x->base_pid && k < max)
				out[k++] = all[i];
		if (k == want || now_ms() - t0 > 2000)
			return k;
		sleep_ms(5);
	}
}

static mica_sandbox *clone_of(struct spares *x)
{
	mica_error err;
	mica_sandbox *sb = mica_sandbox_from_snapshot(x->rt, x->snap, &err);
	CHECK(sb, "clone: %s", err.message);
	return sb;
}

/* A freed clone's process serves the next clone of the snapshot, and
 * nothing the last tenant hid anywhere it could write is left for it. */
TEST(proc_spare_reused_clean)
{
	NEED_PROCESS();
	struct spares x;
	if (spares_open(&x, 0) == 0) {
		mica_sandbox *a = clone_of(&x);
		pid_t pa = 0, pb = 0;
		mica_error err;
		if (a) {
			CHECK(others(&x, &pa, 1, 1) == 1, "the clone has no process of its own");
			char *r = call(a, "stash", "4242", &err);
			CHECK(r && !strcmp(r, "4242"), "stash: %s", r ? r : err.message);
			free(r);
			mica_sandbox_free(a);
			CHECK(alive(pa), "the freed clone's process is not kept");
		}
		mica_sandbox *b = a ? clone_of(&x) : NULL;
		if (b) {
			CHECK(others(&x, &pb, 1, 1) == 1 && pb == pa,
			      "the next clone runs in %d, not the spare %d", (int)pb, (int)pa);
			char *r = call(b, "peek", "0", &err);
			CHECK(r && !strcmp(r, "[0,0,0,0,0,0,0,0,0,0]"), "peek: %s",
			      r ? r : err.message);
			free(r);
			r = call(b, "echo", "\"again\"", &err);
			CHECK(r && !strcmp(r, "\"again\""), "echo: %s", r ? r : err.message);
			free(r);
			mica_sandbox_free(b);
		}
	}
	spares_close(&x);
}

/* spares < 0: every clone is a new process, and a freed one goes. */
TEST(proc_spares_off)
{
	NEED_PROCESS();
	struct spares x;
	if (spares_open(&x, -1) == 0) {
		pid_t pa = 0, pb = 0;
		mica_sandbox *a = clone_of(&x);
		if (a) {
			others(&x, &pa, 1, 1);
			mica_sandbox_free(a);
			CHECK(others(&x, &pa, 1, 0) == 0, "the freed clone's process lives on");
		}
		mica_sandbox *b = a ? clone_of(&x) : NULL;
		if (b) {
			CHECK(others(&x, &pb, 1, 1) == 1 && pb != pa, "the clone reused process %d",
			      (int)pb);
			mica_sandbox_free(b);
		}
	}
	spares_close(&x);
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* A live clone holds its two eventfds and its /proc/PID/mem, no more: its
 * cgroup's files are closed once it is in (they took six, and capped live
 * clones at a sixth of RLIMIT_NOFILE). */
TEST(proc_clones_hold_three_descriptors)
{
	NEED_PROCESS();
	struct spares x;
	if (spares_open(&x, -1) == 0) {
		enum { N = 20 };
		mica_sandbox *sb[N] = {0};
		int before = open_fds();
		for (int i = 0; i < N; i++)
			sb[i] = clone_of(&x);
		int per = (open_fds() - before) / N;
		CHECK(per <= 3, "%d descriptors per live clone", per);
		for (int i = 0; i < N; i++)
			mica_sandbox_free(sb[i]);
	}
	spares_close(&x);
}

/* At most spares are kept; a clone that faulted is never one. */
TEST(proc_spares_bounded)
{
	NEED_PROCESS();
	struct spares x;
	if (spares_open(&x, 2) == 0) {
		mica_sandbox *sb[4];
		for (int i = 0; i < 4; i++)
			sb[i] = clone_of(&x);
		for (int i = 0; i < 4; i++)
			mica_sandbox_free(sb[i]);
		pid_t kept[8];
		CHECK(others(&x, kept, 8, 2) == 2, "%d spares kept, want 2",
		      others(&x, kept, 8, 2));
		mica_sandbox *a = clone_of(&x), *b = clone_of(&x);
		mica_error err;
		char *r = a ? call(a, "ud2", "0", &err) : NULL;
		CHECK(a && !r && err.code == MICA_ERR_FAULT, "ud2: %s", r ? r : err.message);
		free(r);
		mica_sandbox_free(a);
		mica_sandbox_free(b);
		CHECK(others(&x, kept, 8, 1) == 1,
		      "%d spares kept after a fault, want the healthy one", others(&x, kept, 8, 1));
	}
	spares_close(&x);
}

/* The snapshot view holds what the snapshot holds, no holes: a guest that
 * reads all of it faults at the first hole, and allocates nothing in the
 * snapshot (it could make the host keep, and its cgroup be charged, all of
 * guest memory by reading: review). */
TEST(proc_snapshot_view_has_no_holes)
{
	NEED_PROCESS();
	struct spares x;
	if (spares_open(&x, -1) == 0) {
		struct stat before, after;
		fstat(x.snap->memfd, &before);
		mica_sandbox *a = clone_of(&x);
		mica_error err;
		char *r = a ? call(a, "readref", "0", &err) : NULL;
		CHECK(a && !r && err.code == MICA_ERR_FAULT &&
			  strstr(err.message, "(page fault) at address 0x100"),
		      "readref: %s", r ? r : err.message);
		free(r);
		mica_sandbox_free(a);
		fstat(x.snap->memfd, &after);
		CHECK(after.st_blocks == before.st_blocks,
		      "the snapshot grew from %lld to %lld blocks", (long long)before.st_blocks,
		      (long long)after.st_blocks);
	}
	spares_close(&x);
}

/* A trap flag on the park's own write: the guest's code would run after the
 * notify if a signal handler parked. It exits instead, so the host never
 * takes a park that is not the stub's, and the next clone is clean. */
TEST(proc_trap_flag_on_the_park)
{
	NEED_PROCESS();
	struct spares x;
	if (spares_open(&x, 0) == 0) {
		for (int i = 0; i < 5; i++) {
			mica_sandbox *a = clone_of(&x);
			mica_error err;
			mica_sandbox_set_timeout(a, 2000);
			char *r = a ? call(a, "tf_notify", "0", &err) : NULL;
			/* the forged WAIT may be taken before the child dies */
			CHECK(a && (r || err.code == MICA_ERR_FAULT), "tf_notify: %s",
			      r ? r : err.message);
			free(r);
			r = a ? call(a, "echo", "1", &err) : NULL;
			CHECK(!r && err.code == MICA_ERR_FAULT, "after it: %s",
			      r ? r : err.message);
			free(r);
			mica_sandbox_free(a);
			mica_sandbox *b = clone_of(&x);
			r = b ? call(b, "peek", "0", &err) : NULL;
			CHECK(r && !strcmp(r, "[0,0,0,0,0,0,0,0,0,0]"), "the next clone: %s",
			      r ? r : err.message);
			free(r);
			mica_sandbox_free(b);
		}
	}
	spares_close(&x);
}

/* The directories of the runtime that sandbox pid is in, one for each of
 * its cgroups that mica made (v1: memory and pids, v2: one), assuming the
 * usual mounts under /sys/fs/cgroup. */
static int runtime_cgroups(pid_t pid, char (*dirs)[PATH_MAX], int max)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	FILE *f = fopen(path, "r");
	int n = 0;
	while (f && n < max && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *ctl = strchr(line, ':'), *dir = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!dir || !strstr(dir, "/mica-"))
			continue;
		*dir++ = 0;
		char *slot = strrchr(dir, '/');
		if (slot)
			*slot = 0; /* sbN's runtime */
		const char *h = ctl[1] ? ctl + 1 : "";
		if (strchr(h, ',') || !strncmp(h, "name=", 5))
			continue;
		snprintf(dirs[n++], PATH_MAX, "/sys/fs/cgroup%s%s%s", *h ? "/" : "", h, dir);
	}
	if (f)
		fclose(f);
	return n;
}

/* SIGKILL of the host: the zygote and every sandbox go with it, and the
 * runtime's cgroups. */
TEST(proc_host_killed)
{
	NEED_PROCESS();
	int p[2];
	if (pipe(p)) {
		CHECK(0, "pipe: %s", strerror(errno));
		return;
	}
	pid_t host = fork();
	if (host == 0) {
		close(p[0]);
		mica_error err;
		mica_runtime *rt = mica_runtime_new(harness_opts(), &err);
		mica_sandbox *a = rt ? mica_sandbox_new(rt, NULL, &err) : NULL;
		mica_sandbox *b = rt ? mica_sandbox_new(rt, NULL, &err) : NULL;
		char c = a && b ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	char c = 0;
	CHECK(read(p[0], &c, 1) == 1 && c == 'y', "the host process did not start its sandboxes");
	close(p[0]);
	pid_t z[4], kids[8];
	int nz = children_of(host, z, 4), nk = nz == 1 ? children_of(z[0], kids, 8) : 0;
	CHECK(nz == 1 && nk == 2, "%d zygotes, %d sandboxes", nz, nk);
	char dirs[4][PATH_MAX];
	int ndirs = nk ? runtime_cgroups(kids[0], dirs, 4) : 0;
	kill(host, SIGKILL);
	waitpid(host, NULL, 0);
	int64_t t0 = now_ms();
	int left = 1;
	while (left && now_ms() - t0 < 3000) {
		left = nz == 1 && alive(z[0]);
		for (int i = 0; i < nk; i++)
			left |= alive(kids[i]);
		if (left)
			sleep_ms(10);
	}
	CHECK(!left, "processes of a killed host live on");
	/* and the zygote removed the runtime's cgroups on its way out */
	for (int i = 0; i < ndirs; i++) {
		while (access(dirs[i], F_OK) == 0 && now_ms() - t0 < 3000)
			sleep_ms(10);
		CHECK(access(dirs[i], F_OK) != 0, "the runtime's cgroup %s is left", dirs[i]);
	}
}

/* Signals queued by a process of the sandbox's user (SI_QUEUE), not raised
 * by the kernel: a fake SIGSYS would make it run a call on its registers,
 * a fake SIGSEGV would end it as faulted. Both change nothing. */
TEST(proc_queued_signals_ignored)
{
	NEED_PROCESS();
	struct fx f;
	if (fx_open(&f, NULL))
		return;
	static const int sigs[] = {SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		si.si_signo = sigs[i];
		si.si_code = SI_QUEUE;
		si.si_pid = getpid();
		si.si_uid = getuid();
		CHECK(syscall(SYS_rt_sigqueueinfo, f.child, sigs[i], &si) == 0,
		      "rt_sigqueueinfo(%d): %s", sigs[i], strerror(errno));
		sleep_ms(20);
		char *res = NULL;
		size_t len;
		mica_error err;
		int rc = mica_sandbox_eval(f.sb, "x.js", "6 * 7", 5, &res, &len, &err);
		CHECK(rc == MICA_OK && res && !strcmp(res, "42"), "after a queued signal %d: %d %s",
		      sigs[i], rc, err.message);
		free(res);
	}
	fx_close(&f);
}

/* Runtimes started on several threads at once: each zygote waits for its
 * id maps while the others fork theirs, holding copies of its gate. */
static void *start_one(void *arg)
{
	mica_error err;
	mica_runtime *rt = mica_runtime_new(harness_opts(), &err);
	mica_sandbox *sb = rt ? mica_sandbox_new(rt, NULL, &err) : NULL;
	char *res = NULL;
	size_t len;
	*(int *)arg = sb &&
		      mica_sandbox_eval(sb, "x.js", "6 * 7", 5, &res, &len, &err) == MICA_OK &&
		      !strcmp(res, "42");
	free(res);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
	return NULL;
}

TEST(proc_runtimes_at_once)
{
	NEED_PROCESS();
	enum { N = 8 };
	pthread_t t[N];
	int ok[N] = {0}, started = 0;
	for (int i = 0; i < N; i++)
		started += !pthread_create(&t[i], NULL, start_one, &ok[i]);
	CHECK(started == N, "%d of %d threads", started, N);
	int good = 0;
	for (int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		good += ok[i];
	}
	CHECK(good == started, "%d of %d runtimes answered", good, started);
}

int main(void)
{
	alarm(300); /* a hang (a zygote waiting for ever) fails the suite */
	RUN(proc_status_confined);
	RUN(proc_runs_as_nobody);
	RUN(proc_namespaces);
	RUN(proc_descriptors);
	RUN(proc_mappings);
	RUN(proc_raw_syscalls_refused);
	RUN(proc_fork_bomb);
	RUN(proc_killed_by_the_filter);
	RUN(proc_exit_group);
	RUN(proc_mailbox_out_of_protocol);
	RUN(proc_spin_is_killed_on_time);
	RUN(proc_host_killed);
	RUN(proc_runtimes_at_once);
	RUN(proc_queued_signals_ignored);
	RUN(proc_spare_reused_clean);
	RUN(proc_spares_off);
	RUN(proc_spares_bounded);
	RUN(proc_clones_hold_three_descriptors);
	RUN(proc_snapshot_view_has_no_holes);
	RUN(proc_trap_flag_on_the_park);
	return harness_report();
}

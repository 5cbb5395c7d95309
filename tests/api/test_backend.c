/*
 * Choosing a backend (mica_runtime_options.backend) and what each says of
 * itself; snapshots across backends. The KVM device is MICA_KVM_DEVICE or
 * /dev/kvm; /nonexistent stands for a machine without KVM.
 */
#include <unistd.h>

#include "harness.h"
#include "support.h"

static const char counter[] = "let n = 0; export function tick() { return ++n; }";

/* 1 if backend b works here. */
static int usable(mica_backend b)
{
	mica_runtime_options o = {.backend = b, .kvm_path = getenv("MICA_KVM_DEVICE")};
	mica_error e;
	mica_runtime *rt = mica_runtime_new(&o, &e);
	mica_runtime_free(rt);
	return rt != NULL;
}

TEST(kvm_never_falls_back)
{
	mica_runtime_options o = {.backend = MICA_BACKEND_KVM, .kvm_path = "/nonexistent/kvm"};
	mica_error e = {0};
	mica_runtime *rt = mica_runtime_new(&o, &e);
	CHECK(!rt, "a KVM runtime without KVM");
	CHECK(e.code == MICA_ERR_SYSTEM, "code %d", e.code);
	CHECK(
	    !strcmp(
		e.message,
		"hypervisor unavailable: cannot open /nonexistent/kvm: No such file or directory"),
	    "message: %s", e.message);
	mica_runtime_free(rt);
}

TEST(auto_falls_back_to_process)
{
	if (!usable(MICA_BACKEND_PROCESS))
		SKIP("process backend unavailable here");
	mica_runtime_options o = {.kvm_path = "/nonexistent/kvm"};
	mica_error e = {0};
	mica_runtime *rt = mica_runtime_new(&o, &e);
	CHECK(rt && mica_runtime_backend(rt) == MICA_BACKEND_PROCESS, "auto without KVM: %s",
	      rt ? mica_backend_name(mica_runtime_backend(rt)) : e.message);
	char facts[1024];
	if (rt) {
		mica_runtime_describe(rt, facts, sizeof(facts));
		CHECK(strstr(facts, "seccomp: ") && strstr(facts, "namespaces: ") &&
			  strstr(facts, "cgroup: "),
		      "describe: %s", facts);
		mica_runtime_describe(rt, facts, 8); /* cut, terminated */
		CHECK(strlen(facts) == 7, "a cut description of %zu bytes", strlen(facts));
	}
	mica_runtime_free(rt);
}

TEST(auto_prefers_kvm)
{
	if (!usable(MICA_BACKEND_KVM))
		SKIP("KVM unavailable here");
	mica_runtime_options o = {.kvm_path = getenv("MICA_KVM_DEVICE")};
	mica_error e;
	mica_runtime *rt = mica_runtime_new(&o, &e);
	CHECK(rt && mica_runtime_backend(rt) == MICA_BACKEND_KVM, "auto with KVM: %s",
	      rt ? mica_backend_name(mica_runtime_backend(rt)) : e.message);
	mica_runtime_free(rt);
}

TEST(unknown_backend)
{
	mica_runtime_options o = {.backend = (mica_backend)7};
	mica_error e = {0};
	mica_runtime *rt = mica_runtime_new(&o, &e);
	CHECK(!rt && e.code == MICA_ERR_INVALID && strstr(e.message, "unknown backend 7"), "%d %s",
	      e.code, e.message);
	CHECK(!strcmp(mica_backend_name(MICA_BACKEND_AUTO), "auto") &&
		  !strcmp(mica_backend_name(MICA_BACKEND_KVM), "kvm") &&
		  !strcmp(mica_backend_name(MICA_BACKEND_PROCESS), "process") &&
		  !strcmp(mica_backend_name((mica_backend)7), "unknown"),
	      "names");
	mica_runtime_free(rt);
}

/* An image without the process backend's stubs runs on KVM only. */
TEST(image_without_process_stubs)
{
	struct image img;
	if (!image_load("triple_fault", &img))
		return;
	mica_runtime_options o = {
	    .guest_image = img.data, .guest_image_len = img.len, .backend = MICA_BACKEND_PROCESS};
	mica_error e = {0};
	mica_runtime *rt = mica_runtime_new(&o, &e);
	CHECK(!rt && e.code == MICA_ERR_SYSTEM && strstr(e.message, "no process stubs"), "%s",
	      e.message);
	mica_runtime_free(rt);
	free(img.data);
}

/* A snapshot file made on one backend runs on the other: the memory image
 * and the registers are the same for both. */
static void across(mica_backend from, mica_backend to)
{
	if (!usable(from) || !usable(to))
		SKIP("needs both backends (%s and %s) here", mica_backend_name(from),
		     mica_backend_name(to));
	char path[] = "/tmp/mica-across-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	close(fd);
	mica_runtime_options o = {.backend = from, .kvm_path = getenv("MICA_KVM_DEVICE")};
	mica_error e = {0};
	mica_runtime *a = mica_runtime_new(&o, &e);
	mica_sandbox *sb = a ? mica_sandbox_new(a, NULL, &e) : NULL;
	int rc = sb ? mica_sandbox_load(sb, "c.js", counter, strlen(counter), &e) : -1;
	CHECK_RESULT(sb, "tick", "null", "1");
	mica_snapshot *snap = rc == MICA_OK ? mica_snapshot_take(sb, &e) : NULL;
	CHECK(snap && mica_snapshot_save(snap, path, &e) == MICA_OK, "save on %s: %s",
	      mica_backend_name(from), e.message);
	mica_snapshot_free(snap);
	mica_sandbox_free(sb);
	mica_runtime_free(a);

	o.backend = to;
	mica_runtime *b = mica_runtime_new(&o, &e);
	mica_snapshot *loaded = b ? mica_snapshot_load(b, path, &e) : NULL;
	CHECK(loaded, "load on %s: %s", mica_backend_name(to), e.message);
	mica_sandbox *c = loaded ? mica_sandbox_from_snapshot(b, loaded, &e) : NULL;
	CHECK(c, "clone on %s: %s", mica_backend_name(to), e.message);
	if (c) {
		CHECK_RESULT(c, "tick", "null", "2"); /* the count went with it */
		CHECK_RESULT(c, "tick", "null", "3");
		CHECK(mica_sandbox_reset(c, &e) == MICA_OK, "reset: %s", e.message);
		CHECK_RESULT(c, "tick", "null", "2");
	}
	mica_sandbox_free(c);
	mica_snapshot_free(loaded);
	mica_runtime_free(b);
	unlink(path);
}

TEST(snapshot_kvm_to_process)
{
	across(MICA_BACKEND_KVM, MICA_BACKEND_PROCESS);
}

TEST(snapshot_process_to_kvm)
{
	across(MICA_BACKEND_PROCESS, MICA_BACKEND_KVM);
}

TEST(snapshot_same_backend_file)
{
	NEED_BACKEND();
	across(harness_running_backend(), harness_running_backend());
}

int main(void)
{
	RUN(kvm_never_falls_back);
	RUN(auto_falls_back_to_process);
	RUN(auto_prefers_kvm);
	RUN(unknown_backend);
	RUN(image_without_process_stubs);
	RUN(snapshot_kvm_to_process);
	RUN(snapshot_process_to_kvm);
	RUN(snapshot_same_backend_file);
	return harness_report();
}

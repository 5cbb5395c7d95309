/*
 * A small test harness: TEST(name) { ... CHECK(cond, fmt, ...) ... } and
 * main() { RUN(name); ...; return harness_report(); }. Ends with the line
 * "N passed, N failed, N skipped" and a non-zero exit when anything failed.
 *
 * Suites that run sandboxes run on the backend MICA_BACKEND names (kvm or
 * process; tests/run.sh runs them once per backend), with MICA_KVM_DEVICE
 * as the KVM device. A test that needs a backend starts with
 * NEED_BACKEND(): where the backend cannot be used here (no /dev/kvm), the
 * test is skipped, counted, and the reason printed.
 */
#ifndef MICA_TEST_HARNESS_H
#define MICA_TEST_HARNESS_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mica.h"

static int harness_passed, harness_failed, harness_skipped, harness_cur_failed, harness_cur_skipped;
static char harness_skip_why[256];

#define TEST(name) static void test_##name(void)

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			harness_cur_failed = 1;                                                    \
			fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

/* The backend MICA_BACKEND names (default: auto). */
static inline mica_backend harness_backend(void)
{
	const char *b = getenv("MICA_BACKEND");
	if (b && !strcmp(b, "kvm"))
		return MICA_BACKEND_KVM;
	if (b && !strcmp(b, "process"))
		return MICA_BACKEND_PROCESS;
	return MICA_BACKEND_AUTO;
}

/* opts for the backend under test (the other fields are left alone). */
static inline mica_runtime_options *harness_options(mica_runtime_options *opts)
{
	opts->backend = harness_backend();
	opts->kvm_path = getenv("MICA_KVM_DEVICE");
	return opts;
}

/* Options that select only the backend under test. */
static inline const mica_runtime_options *harness_opts(void)
{
	static mica_runtime_options opts;
	return harness_options(&opts);
}

/* 1 if the backend under test works here; else the reason in harness_skip_why. */
static inline int harness_backend_ok(void)
{
	static int known, ok;
	if (!known) {
		mica_error e;
		mica_runtime *rt = mica_runtime_new(harness_opts(), &e);
		ok = rt != NULL;
		if (!ok)
			snprintf(harness_skip_why, sizeof(harness_skip_why),
				 "%s unavailable: %.200s", mica_backend_name(harness_backend()),
				 e.message);
		mica_runtime_free(rt);
		known = 1;
	}
	return ok;
}

/* The backend the suite runs on (AUTO resolved), once harness_backend_ok(). */
static inline mica_backend harness_running_backend(void)
{
	static mica_backend b = MICA_BACKEND_AUTO;
	if (b == MICA_BACKEND_AUTO) {
		mica_error e;
		mica_runtime *rt = mica_runtime_new(harness_opts(), &e);
		b = rt ? mica_runtime_backend(rt) : harness_backend();
		mica_runtime_free(rt);
	}
	return b;
}

/* Skips the current test when the backend under test cannot be used here. */
#define NEED_BACKEND()                                                                             \
	do {                                                                                       \
		if (!harness_backend_ok()) {                                                       \
			harness_cur_skipped = 1;                                                   \
			return;                                                                    \
		}                                                                                  \
	} while (0)

/* Skips the current test, saying why. */
#define SKIP(...)                                                                                  \
	do {                                                                                       \
		snprintf(harness_skip_why, sizeof(harness_skip_why), __VA_ARGS__);                 \
		harness_cur_skipped = 1;                                                           \
		return;                                                                            \
	} while (0)

#define RUN(name)                                                                                  \
	do {                                                                                       \
		harness_cur_failed = harness_cur_skipped = 0;                                      \
		test_##name();                                                                     \
		if (harness_cur_skipped) {                                                         \
			harness_skipped++;                                                         \
			printf("skip - %s (%s)\n", #name, harness_skip_why);                       \
		} else if (harness_cur_failed) {                                                   \
			harness_failed++;                                                          \
			printf("FAIL - %s\n", #name);                                              \
		} else {                                                                           \
			harness_passed++;                                                          \
			printf("ok - %s\n", #name);                                                \
		}                                                                                  \
		fflush(stdout);                                                                    \
	} while (0)

static inline int harness_report(void)
{
	printf("%d passed, %d failed, %d skipped\n", harness_passed, harness_failed,
	       harness_skipped);
	return harness_failed ? 1 : 0;
}

#endif

/*
 * A small test harness: TEST(name) { ... CHECK(cond, fmt, ...) ... } and
 * main() { RUN(name); ...; return harness_report(); }. Ends with the line
 * "N passed, N failed, N skipped" and a non-zero exit when anything failed.
 *
 * Tests that need /dev/kvm fail when it cannot be opened, unless the
 * documented variable MICA_SKIP_KVM_TESTS=1 is set: then they are skipped.
 */
#ifndef MICA_TEST_HARNESS_H
#define MICA_TEST_HARNESS_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int harness_passed, harness_failed, harness_skipped, harness_cur_failed, harness_cur_skipped;

#define TEST(name) static void test_##name(void)

#define CHECK(cond, ...)                                                                          \
	do {                                                                                      \
		if (!(cond)) {                                                                    \
			harness_cur_failed = 1;                                                   \
			fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                             \
			fputc('\n', stderr);                                                      \
		}                                                                                 \
	} while (0)

/* Skips the current test when KVM is missing and MICA_SKIP_KVM_TESTS=1. */
#define NEED_KVM()                                                                                \
	do {                                                                                      \
		int fd_ = open("/dev/kvm", O_RDWR | O_CLOEXEC);                                  \
		if (fd_ >= 0) {                                                                   \
			close(fd_);                                                               \
		} else if (getenv("MICA_SKIP_KVM_TESTS") && !strcmp(getenv("MICA_SKIP_KVM_TESTS"), "1")) { \
			harness_cur_skipped = 1;                                                  \
			return;                                                                   \
		} else {                                                                          \
			CHECK(fd_ >= 0, "/dev/kvm cannot be opened (set MICA_SKIP_KVM_TESTS=1 to skip)"); \
			return;                                                                   \
		}                                                                                 \
	} while (0)

#define RUN(name)                                                                                 \
	do {                                                                                      \
		harness_cur_failed = harness_cur_skipped = 0;                                     \
		test_##name();                                                                    \
		if (harness_cur_skipped) {                                                        \
			harness_skipped++;                                                        \
			printf("skip - %s\n", #name);                                             \
		} else if (harness_cur_failed) {                                                  \
			harness_failed++;                                                         \
			printf("FAIL - %s\n", #name);                                             \
		} else {                                                                          \
			harness_passed++;                                                         \
			printf("ok - %s\n", #name);                                               \
		}                                                                                 \
		fflush(stdout);                                                                   \
	} while (0)

static inline int harness_report(void)
{
	printf("%d passed, %d failed, %d skipped\n", harness_passed, harness_failed, harness_skipped);
	return harness_failed ? 1 : 0;
}

#endif

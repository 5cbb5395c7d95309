/* Helpers the C suites share: clocks, sleeping, a later interrupt, calls. */
#ifndef MICA_TEST_SUPPORT_H
#define MICA_TEST_SUPPORT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "mica.h"

static inline int64_t clock_ms(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

static inline void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0)
		;
}

/* A thread that interrupts sb after delay_ms: pthread_create(.., kick_later, &k). */
struct kicker {
	mica_sandbox *sb;
	unsigned delay_ms;
};

static inline void *kick_later(void *arg)
{
	struct kicker *k = arg;
	sleep_ms(k->delay_ms);
	mica_sandbox_interrupt(k->sb);
	return NULL;
}

/* The result of sb's call fn(ev) (malloc'd), or NULL with err filled. */
static inline char *call_json(mica_sandbox *sb, const char *fn, const char *ev, mica_error *err)
{
	char *res = NULL;
	size_t len;
	if (mica_sandbox_call(sb, fn, ev, strlen(ev), &res, &len, err) != MICA_OK) {
		free(res);
		return NULL;
	}
	return res;
}

/* CHECKs that sb's call fn(ev) gives want. */
#define CHECK_RESULT(sb, fn, ev, want)                                                               \
	do {                                                                                       \
		mica_error e_ = {0};                                                               \
		char *r_ = call_json(sb, fn, ev, &e_);                                             \
		CHECK(r_ && !strcmp(r_, want), "%s(%s): got %s (%s), want %s", fn, ev,            \
		      r_ ? r_ : "error", e_.message, want);                                        \
		free(r_);                                                                          \
	} while (0)

#endif

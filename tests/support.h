/* Helpers the C suites share: clocks, sleeping, a later interrupt, calls. */
#ifndef MICA_TEST_SUPPORT_H
#define MICA_TEST_SUPPORT_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
#define CHECK_RESULT(sb, fn, ev, want)                                                             \
	do {                                                                                       \
		mica_error e_ = {0};                                                               \
		char *r_ = call_json(sb, fn, ev, &e_);                                             \
		CHECK(r_ && !strcmp(r_, want), "%s(%s): got %s (%s), want %s", fn, ev,             \
		      r_ ? r_ : "error", e_.message, want);                                        \
		free(r_);                                                                          \
	} while (0)

/* A guest image read from a file. */
/* Zeroed memory; running out is a failed check, never a silent pass. */
static inline void *test_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	CHECK(p, "out of memory (%zu bytes)", n);
	return p;
}

/* Starts a thread; a failure is a failed check, never a silent skip.
 * Returns 0 when it runs (join it). */
static inline int thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int rc = pthread_create(t, NULL, fn, arg);
	CHECK(rc == 0, "pthread_create: %s", strerror(rc));
	return rc;
}

/* ---- the setup most tests share: a runtime and a sandbox of it ---------- */

/* A runtime on the backend under test; NULL after a failed check. */
static inline mica_runtime *test_runtime(void)
{
	mica_error err = {0};
	mica_runtime *rt = mica_runtime_new(harness_opts(), &err);
	CHECK(rt, "mica_runtime_new: %s", err.message);
	return rt;
}

struct fixture {
	mica_runtime *rt;
	mica_sandbox *sb;
	mica_error err;
};

/* f->rt is rt (made on the backend under test when NULL; f owns it either
 * way) and f->sb a sandbox of it with lim (NULL: the defaults). 0, or -1
 * after a failed check with nothing left open. */
static inline int fixture_open(struct fixture *f, mica_runtime *rt, const mica_limits *lim)
{
	memset(f, 0, sizeof(*f));
	f->rt = rt ? rt : test_runtime();
	if (!f->rt)
		return -1;
	f->sb = mica_sandbox_new(f->rt, lim, &f->err);
	CHECK(f->sb, "mica_sandbox_new: %s", f->err.message);
	if (!f->sb) {
		mica_runtime_free(f->rt);
		f->rt = NULL;
		return -1;
	}
	return 0;
}

/* Frees what f still holds (a test that freed f->sb itself sets it NULL). */
static inline void fixture_close(struct fixture *f)
{
	mica_sandbox_free(f->sb);
	mica_runtime_free(f->rt);
	memset(f, 0, sizeof(*f));
}

/* Loads src as module name into f->sb: MICA_OK, or its code after a failed
 * check. */
static inline int fixture_load(struct fixture *f, const char *name, const char *src)
{
	int rc = mica_sandbox_load(f->sb, name, src, strlen(src), &f->err);
	CHECK(rc == MICA_OK, "load %s: %s %s", name, mica_code_name(rc), f->err.message);
	return rc;
}

/* Opens the fixture, or ends the test (skipped without a backend). rt is
 * evaluated only when there is one. */
#define FIXTURE_OPEN(f, rt, lim)                                                                   \
	do {                                                                                       \
		NEED_BACKEND();                                                                    \
		if (fixture_open(f, rt, lim))                                                      \
			return;                                                                    \
	} while (0)

/* ---- a tenant: what an embedder gives a sandbox for one user ------------- */

/* A module that reads a file of the tenant's and logs. */
static const char tenant_module[] =
    "export async function imp() { return (await import('./a.js')).v; }\n"
    "export function log() { console.log('tenant'); return 1; }\n";

struct tenant {
	char dir[64]; /* its module root, holding a.js */
	int lines;    /* console writes its callback saw */
};

static inline void tenant_console(void *ud, int stream, const char *data, size_t len)
{
	(void)stream, (void)data, (void)len;
	((struct tenant *)ud)->lines++;
}

/* Makes the tenant's module root; 0 or -1. */
static inline int tenant_open(struct tenant *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/mica-tenant-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	char path[96];
	snprintf(path, sizeof(path), "%s/a.js", t->dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("export const v = 'the tenant\\'s file';\n", f);
	return fclose(f);
}

static inline void tenant_close(struct tenant *t)
{
	char path[96];
	snprintf(path, sizeof(path), "%s/a.js", t->dir);
	unlink(path);
	rmdir(t->dir);
}

/* Gives sb the tenant's module root and console; MICA_OK or an error. */
static inline int tenant_give(mica_sandbox *sb, struct tenant *t)
{
	mica_sandbox_set_console(sb, tenant_console, t);
	return mica_sandbox_set_modules(sb, t->dir, NULL);
}

struct image {
	uint8_t *data;
	size_t len;
};

/* Reads a guest image; fails the test if it is missing. */
static inline int file_load(const char *path, struct image *img)
{
	img->data = NULL;
	img->len = 0;
	FILE *f = fopen(path, "rb");
	if (f && fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		img->data = n > 0 ? malloc((size_t)n) : NULL;
		rewind(f);
		if (img->data && fread(img->data, 1, (size_t)n, f) == (size_t)n)
			img->len = (size_t)n;
	}
	if (f)
		fclose(f);
	CHECK(img->len, "cannot read %s (make build/tests/test_hostile builds it)", path);
	if (!img->len) {
		free(img->data);
		img->data = NULL;
	}
	return img->len != 0;
}

/* Reads the hostile image NAME (tests/hostile): build/hostile/NAME.elf, or
 * $MICA_HOSTILE_DIR/NAME.elf. */
static inline int image_load(const char *name, struct image *img)
{
	const char *dir = getenv("MICA_HOSTILE_DIR") ? getenv("MICA_HOSTILE_DIR") : "build/hostile";
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.elf", dir, name);
	return file_load(path, img);
}

/* A runtime on the backend under test for a hostile image. */
static inline mica_runtime *image_runtime(const struct image *img, mica_error *err)
{
	mica_runtime_options o = {.guest_image = img->data, .guest_image_len = img->len};
	return mica_runtime_new(harness_options(&o), err);
}

#endif

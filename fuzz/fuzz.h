/*
 * What every fuzz target shares. A target (fuzz/fuzz_NAME.c) is built two
 * ways (fuzz/fuzz.mk):
 *   - with clang and libFuzzer (build/fuzz/fuzz_NAME): its entry point is
 *     LLVMFuzzerTestOneInput, run by `make fuzz`;
 *   - with the project's compiler, FUZZ_REPLAY defined, into
 *     $(BUILD)/tests/fuzz_replay: its entry point is fuzz_one_NAME, which
 *     fuzz/replay.c runs over every file of fuzz/corpus/NAME (`make test`).
 * A target sets itself up on its first input (one runtime per process) and
 * checks what it can with FUZZ_CHECK, which aborts: a crash to libFuzzer.
 */
#ifndef MICA_FUZZ_H
#define MICA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FUZZ_REPLAY
#define FUZZ_TARGET(name) int fuzz_one_##name(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name)                                                                          \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                              \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#endif

/* A broken invariant: say which, then abort (libFuzzer keeps the input). */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: %s:%d: check failed: %s: ", __FILE__, __LINE__,     \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The target cannot set itself up (no runtime, no temporary tree): a crash
 * too, so that neither `make fuzz` nor the replay passes silently. */
#define FUZZ_SETUP_FAILED(...)                                                                     \
	do {                                                                                       \
		fprintf(stderr, "fuzz: setup failed: ");                                           \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

/* MICA_FUZZ_DEBUG=1 in the environment: the targets say what they did, on
 * stderr (for looking at what a seed reaches; never under libFuzzer). */
static inline int fuzz_debug(void)
{
	static int on = -1;
	if (on < 0)
		on = getenv("MICA_FUZZ_DEBUG") != NULL;
	return on;
}
#define FUZZ_LOG(...)                                                                              \
	do {                                                                                       \
		if (fuzz_debug())                                                                  \
			fprintf(stderr, __VA_ARGS__);                                              \
	} while (0)

/* Little-endian fields of an input, 0 past its end. */
static inline uint64_t fuzz_get(const uint8_t *p, size_t avail, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && i < avail; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Reading an input front to back. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline uint64_t fuzz_take(struct fuzz_in *in, size_t n)
{
	uint64_t v = fuzz_get(in->p, in->left, n);
	size_t k = n < in->left ? n : in->left;
	in->p += k;
	in->left -= k;
	return v;
}

/* Up to n bytes of the input, in place; *got says how many. */
static inline const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t n, size_t *got)
{
	const uint8_t *p = in->p;
	*got = n < in->left ? n : in->left;
	in->p += *got;
	in->left -= *got;
	return p;
}

/* Calls check on data as it is, then, if it holds a header and a checksum,
 * on a copy with this build's guest image hash at offset 16 and a matching
 * SHA-256 at its end ("repaired"): mutations then reach the checks behind
 * the checksum instead of all failing it. sha256 is mica_sha256. */
static inline void fuzz_as_is_and_repaired(const uint8_t *data, size_t size, size_t min,
					   const uint8_t image_sha256[32],
					   void (*sha256)(const void *, size_t, uint8_t *),
					   void (*check)(const uint8_t *, size_t))
{
	check(data, size);
	if (size < min)
		return;
	uint8_t *fixed = (uint8_t *)malloc(size);
	if (!fixed)
		return;
	memcpy(fixed, data, size);
	memcpy(fixed + 16, image_sha256, 32);
	sha256(fixed, size - 32, fixed + size - 32);
	check(fixed, size);
	free(fixed);
}

#endif

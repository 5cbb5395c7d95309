/*
 * fuzz_bytecode: the bytecode-file check, mica_bytecode_check (host/bytecode.c).
 * Each input is checked twice: as it is, and "repaired" (this runtime's
 * guest image hash and a matching checksum written in), so that mutations
 * reach the checks behind the checksum instead of all failing it. What is
 * accepted must be exactly what docs/bytecode-format.md describes.
 */
#include <string.h>

#include "fuzz.h"
#include "le.h"
#include "runtime.h"

#define HDR 64
#define SUM 32

static mica_runtime *rt;

static void check_one(const uint8_t *data, size_t size)
{
	/* a copy of its own: ASan then sees reads past its end */
	uint8_t *f = malloc(size ? size : 1);
	if (!f)
		return;
	memcpy(f, data, size);
	mica_error err;
	int rc = mica_bytecode_check(rt, f, size, &err);
	FUZZ_CHECK(rc == MICA_OK || rc == MICA_ERR_INVALID, "rc %d", rc);
	FUZZ_LOG("bytecode: %s\n", rc ? err.message : "accepted");
	if (rc) {
		FUZZ_CHECK((int)err.code == rc && !strncmp(err.message, "bytecode file: ", 15),
			   "error '%s'", err.message);
	} else {
		FUZZ_CHECK(size >= HDR + SUM && !memcmp(f, "MICABC\0\0", 8),
			   "accepted a short file");
		uint32_t n = mica_get32(f + 48), b = mica_get32(f + 52);
		FUZZ_CHECK(n && b && (uint64_t)n + b + 2 <= MICA_IN_SIZE, "sizes %u %u", n, b);
		FUZZ_CHECK(size == HDR + (uint64_t)n + b + SUM, "size %zu for %u + %u", size, n, b);
		FUZZ_CHECK(mica_get32(f + 8) == 1 && mica_get32(f + 12) == MICA_ABI_VERSION &&
			       !memcmp(f + 16, rt->image_sha256, 32) && !mica_get64(f + 56),
			   "header");
		FUZZ_CHECK(!memchr(f + HDR, 0, n), "a NUL in the name");
		uint8_t sum[SUM];
		mica_sha256(f, size - SUM, sum);
		FUZZ_CHECK(!memcmp(sum, f + size - SUM, SUM), "checksum");
	}
	/* The same bytes with no error to fill. */
	FUZZ_CHECK(mica_bytecode_check(rt, f, size, NULL) == rc, "result differs without err");
	free(f);
}

FUZZ_TARGET(bytecode)
{
	if (!rt) {
		mica_error err;
		if (!(rt = mica_runtime_new(NULL, &err)))
			FUZZ_SETUP_FAILED("mica_runtime_new: %s", err.message);
	}
	fuzz_as_is_and_repaired(data, size, HDR + SUM, rt->image_sha256, mica_sha256, check_one);
	return 0;
}

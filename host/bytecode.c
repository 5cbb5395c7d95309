/*
 * Precompiled modules: mica_sandbox_compile, mica_bytecode_check and
 * mica_sandbox_load_bytecode. The file format is described byte by byte in
 * docs/bytecode-format.md; keep the two in step (tests/api/test_bytecode.c
 * checks the offsets).
 *
 * Compiling parses untrusted source, so it happens in the guest
 * (MICA_OP_COMPILE); so does loading (MICA_OP_LOAD_BYTECODE), because
 * QuickJS does not verify bytecode. The host only wraps the guest's bytes in
 * a header naming this build and a checksum, and checks both before it hands
 * a file's bytes to a guest.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "le.h"
#include "sandbox.h"

#define FORMAT_VERSION 1

/* The fixed header: field offsets. All integers little endian. */
enum {
	H_MAGIC = 0,	 /* "MICABC\0\0" */
	H_FORMAT = 8,	 /* u32 */
	H_ABI = 12,	 /* u32 MICA_ABI_VERSION */
	H_IMAGE = 16,	 /* SHA-256 of the guest image, 32 bytes */
	H_NAME_LEN = 48, /* u32 N: bytes of the module name */
	H_CODE_LEN = 52, /* u32 B: bytes of bytecode */
	H_RESERVED = 56, /* u64, 0 */
	HDR_SIZE = 64,
};
#define MAGIC	 "MICABC\0\0"
#define SUM_SIZE MICA_SHA256_LEN

/* Name and bytecode travel to the guest as one request: name, NUL, bytecode,
 * NUL. A file whose request would not fit is refused when made and read. */
#define FITS(n, b) ((uint64_t)(n) + (uint64_t)(b) + 2 <= MICA_IN_SIZE)

#define BAD(...) mica_err(err, MICA_ERR_INVALID, "bytecode file: " __VA_ARGS__)

/* Checks file[0..len) for rt; on success *name and *code point into it. */
static int check(const mica_runtime *rt, const uint8_t *f, size_t len, const uint8_t **name,
		 uint32_t *name_len, const uint8_t **code, uint32_t *code_len, mica_error *err)
{
	if (!rt || (!f && len))
		return mica_err(err, MICA_ERR_INVALID,
				"mica_bytecode_check needs a runtime and a file");
	if (!len)
		return BAD("empty");
	/* Magic and format first: another format may be laid out differently. */
	if (memcmp(f, MAGIC, len < 8 ? len : 8))
		return BAD("not a mica bytecode file (no MICABC magic)");
	if (len >= H_FORMAT + 4 && mica_get32(f + H_FORMAT) != FORMAT_VERSION)
		return BAD("format version %u, this mica reads %u", mica_get32(f + H_FORMAT),
			   FORMAT_VERSION);
	if (len < HDR_SIZE)
		return BAD("truncated (%zu bytes; the header alone has %u)", len, HDR_SIZE);
	uint32_t n = mica_get32(f + H_NAME_LEN), b = mica_get32(f + H_CODE_LEN);
	if (!n || !b || !FITS(n, b))
		return BAD(
		    "checksum mismatch (corrupted): impossible sizes in the header (name %u, "
		    "bytecode %u bytes)",
		    n, b);
	uint64_t want = HDR_SIZE + (uint64_t)n + b + SUM_SIZE;
	if (len < want)
		return BAD("truncated (%zu of %llu bytes)", len, (unsigned long long)want);
	if (len > want)
		return BAD("checksum mismatch (corrupted): %zu bytes, the header describes %llu",
			   len, (unsigned long long)want);
	uint8_t sum[SUM_SIZE];
	mica_sha256(f, len - SUM_SIZE, sum);
	if (memcmp(sum, f + len - SUM_SIZE, SUM_SIZE))
		return BAD("checksum mismatch (corrupted)");

	/* Intact: now what it says. */
	uint32_t abi = mica_get32(f + H_ABI);
	if (abi != MICA_ABI_VERSION)
		return BAD("made by another mica build (guest ABI version %u, this mica has %u)",
			   abi, MICA_ABI_VERSION);
	if (memcmp(f + H_IMAGE, rt->image_sha256, MICA_SHA256_LEN))
		return BAD("made by another mica build (guest image differs); compile it again");
	if (mica_get64(f + H_RESERVED))
		return BAD("corrupted (reserved field is %llu)",
			   (unsigned long long)mica_get64(f + H_RESERVED));
	if (memchr(f + HDR_SIZE, 0, n))
		return BAD("corrupted (the module name holds a NUL byte)");
	*name = f + HDR_SIZE;
	*name_len = n;
	*code = f + HDR_SIZE + n;
	*code_len = b;
	return MICA_OK;
}

int mica_bytecode_check(const mica_runtime *rt, const void *file, size_t len, mica_error *err)
{
	const uint8_t *name, *code;
	uint32_t name_len, code_len;
	return check(rt, file, len, &name, &name_len, &code, &code_len, err);
}

int mica_sandbox_compile(mica_sandbox *sb, const char *name, const char *source, size_t len,
			 void **file, size_t *file_len, mica_error *err)
{
	if (file)
		*file = NULL;
	if (file_len)
		*file_len = 0;
	if (!sb || !name || !*name || !source || !file || !file_len)
		return mica_err(
		    err, MICA_ERR_INVALID,
		    "mica_sandbox_compile needs a sandbox, a module name, the source and "
		    "where to put the file");
	char *bc = NULL;
	size_t bc_len = 0;
	int rc = mica_sandbox_request(sb, MICA_OP_COMPILE, name, source, len, &bc, &bc_len, err);
	if (rc)
		return rc;
	size_t n = strlen(name);
	if (!bc_len) {
		free(bc);
		sb->dead = MICA_ERR_FAULT;
		return mica_err(err, MICA_ERR_FAULT,
				"guest broke the protocol: compiled to no bytecode");
	}
	if (!FITS(n, bc_len)) {
		free(bc);
		return mica_err(
		    err, MICA_ERR_INVALID,
		    "%s: compiled module too large: %zu bytes of bytecode (with its name it "
		    "must fit a %llu-byte request)",
		    name, bc_len, (unsigned long long)MICA_IN_SIZE);
	}
	size_t total = HDR_SIZE + n + bc_len + SUM_SIZE;
	uint8_t *f = calloc(1, total);
	if (!f) {
		free(bc);
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	}
	memcpy(f + H_MAGIC, MAGIC, 8);
	mica_put32(f + H_FORMAT, FORMAT_VERSION);
	mica_put32(f + H_ABI, MICA_ABI_VERSION);
	memcpy(f + H_IMAGE, sb->rt->image_sha256, MICA_SHA256_LEN);
	mica_put32(f + H_NAME_LEN, (uint32_t)n);
	mica_put32(f + H_CODE_LEN, (uint32_t)bc_len);
	memcpy(f + HDR_SIZE, name, n);
	memcpy(f + HDR_SIZE + n, bc, bc_len);
	mica_sha256(f, total - SUM_SIZE, f + total - SUM_SIZE);
	free(bc);
	*file = f;
	*file_len = total;
	return MICA_OK;
}

int mica_sandbox_load_bytecode(mica_sandbox *sb, const void *file, size_t len, mica_error *err)
{
	if (!sb)
		return mica_err(err, MICA_ERR_INVALID,
				"mica_sandbox_load_bytecode needs a sandbox");
	const uint8_t *name, *code;
	uint32_t name_len, code_len;
	int rc = check(sb->rt, file, len, &name, &name_len, &code, &code_len, err);
	if (rc)
		return rc;
	char *cname = malloc(name_len + 1);
	if (!cname)
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	memcpy(cname, name, name_len);
	cname[name_len] = 0;
	rc =
	    mica_sandbox_request(sb, MICA_OP_LOAD_BYTECODE, cname, code, code_len, NULL, NULL, err);
	free(cname);
	return rc;
}

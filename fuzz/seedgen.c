/*
 * seedgen: writes seeds for the checked-in corpora (fuzz/make-corpus.sh).
 *
 *   seedgen hypercall DIR            the fuzz_hypercall seeds (format in
 *                                    fuzz/fuzz_hypercall.c), one per handler
 *                                    and a few sequences
 *   seedgen snapshot IN OUT N [fns]  a small, valid snapshot file from IN
 *                                    (one mica_snapshot_save made): its first
 *                                    N page records, the host functions
 *                                    fz.sync and fz.later if "fns", the sizes
 *                                    and the checksum made to match
 *   seedgen bytecode-nul IN OUT      IN with a NUL in its module name, the
 *                                    checksum made to match
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "mica_abi.h"
#include "sha256.h"

/* ---- hypercall seeds ----------------------------------------------------- */

enum { B_RAW = 0, B_MAILBOX = 1, B_INLINE = 2, B_HEAP = 3, B_CONSOLE = 7, B_INFO = 8 };
enum { T_WRITE = 0, T_CALL = 1, T_COMPLETE = 2, T_NEWREQ = 3 };

struct seed {
	uint8_t d[4096];
	size_t n;
};

static void put(struct seed *s, uint64_t v, size_t bytes)
{
	for (size_t i = 0; i < bytes && s->n < sizeof(s->d); i++)
		s->d[s->n++] = (uint8_t)(v >> (8 * i));
}

static void put_bytes(struct seed *s, const void *p, size_t len)
{
	for (size_t i = 0; i < len && s->n < sizeof(s->d); i++)
		s->d[s->n++] = ((const uint8_t *)p)[i];
}

static void begin(struct seed *s, unsigned flags)
{
	s->n = 0;
	put(s, flags, 1);
}

static void at(struct seed *s, unsigned base, int32_t off)
{
	put(s, base, 1);
	put(s, (uint32_t)off, 4);
}

static void wr(struct seed *s, unsigned base, int32_t off, const void *p, size_t len)
{
	put(s, T_WRITE, 1);
	at(s, base, off);
	put(s, len, 2);
	put_bytes(s, p, len);
}

static void wr_raw(struct seed *s, uint64_t gpa, const void *p, size_t len)
{
	put(s, T_WRITE, 1);
	put(s, B_RAW, 1);
	put(s, gpa, 8);
	put(s, len, 2);
	put_bytes(s, p, len);
}

static void hc(struct seed *s, unsigned nr, unsigned base, int32_t off, unsigned opts)
{
	put(s, T_CALL, 1);
	put(s, nr, 1);
	at(s, base, off);
	put(s, opts, 1);
}

static void complete_n(struct seed *s, unsigned slot, unsigned how, const void *p, size_t len)
{
	put(s, T_COMPLETE, 1);
	put(s, slot, 1);
	put(s, how, 1);
	put(s, len, 2);
	put_bytes(s, p, len);
}

static void complete(struct seed *s, unsigned slot, unsigned how, const char *text)
{
	complete_n(s, slot, how, text, strlen(text));
}

static int save(const struct seed *s, const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(s->d, 1, s->n, f) != s->n || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

/* A structure in the mailbox, its data in the inline area. */
#define MB     MICA_GPA_MAILBOX
#define INLINE MICA_GPA_INLINE

static void async_call(struct seed *s, uint32_t fn, uint64_t id, const char *args)
{
	struct mica_hc_async a = {.fn = fn, .id = id, .args = INLINE, .args_len = strlen(args)};
	wr(s, B_INLINE, 0, args, strlen(args));
	wr(s, B_MAILBOX, 0, &a, sizeof(a));
	hc(s, MICA_HC_ASYNC, B_MAILBOX, 0, 0);
}

static void sleep_call(struct seed *s, uint64_t timeout_ns, unsigned opts)
{
	struct mica_hc_sleep z = {.timeout_ns = timeout_ns};
	wr(s, B_MAILBOX, 0x100, &z, sizeof(z));
	hc(s, MICA_HC_SLEEP, B_MAILBOX, 0x100, opts);
}

static void hostcall(struct seed *s, uint32_t fn, const char *args, uint32_t kind)
{
	struct mica_hc_hostcall h = {
	    .fn = fn, .args = INLINE + 0x800, .args_len = strlen(args), .args_kind = kind};
	wr(s, B_INLINE, 0x800, args, strlen(args));
	wr(s, B_MAILBOX, 0, &h, sizeof(h));
	hc(s, MICA_HC_HOSTCALL, B_MAILBOX, 0, 0);
}

static int hypercall_seeds(const char *dir)
{
	struct seed s;
	int bad = 0;

	/* WAIT with a result */
	begin(&s, 0);
	wr(&s, B_INLINE, 0, "{\"ok\":true}", 11);
	struct mica_hc_wait w = {.status = MICA_GS_OK, .result = INLINE, .result_len = 11};
	wr(&s, B_MAILBOX, 0, &w, sizeof(w));
	hc(&s, MICA_HC_WAIT, B_MAILBOX, 0, 0);
	bad |= save(&s, dir, "wait");

	/* CONSOLE, to both streams, then past a 64-byte limit */
	begin(&s, 16);
	const char text[] = "hello from the console, a line long enough to be cut at 64 bytes\n";
	wr(&s, B_CONSOLE, 0, text, sizeof(text) - 1);
	struct mica_hc_console c = {.stream = 1, .data = MICA_GPA_CONSOLE, .len = 6};
	wr(&s, B_MAILBOX, 0, &c, sizeof(c));
	hc(&s, MICA_HC_CONSOLE, B_MAILBOX, 0, 0);
	c.stream = 2;
	c.len = sizeof(text) - 1;
	wr(&s, B_MAILBOX, 0, &c, sizeof(c));
	hc(&s, MICA_HC_CONSOLE, B_MAILBOX, 0, 0);
	bad |= save(&s, dir, "console");

	/* HOSTCALL: JSON, bytes, a failure; then the async function called sync */
	begin(&s, 0);
	hostcall(&s, 0, "([1,\"two\"])", MICA_KIND_JSON); /* '(' % 8 = 0: echoed */
	hostcall(&s, 0, "[1,\"two\"]", MICA_KIND_JSON);	  /* '[' % 8 = 3: fails */
	hostcall(&s, 0, "\x04", MICA_KIND_BYTES);	  /* no answer */
	hostcall(&s, 0, "\x06", MICA_KIND_BYTES);	  /* an answer too large */
	hostcall(&s, 0, "\x01\x02\x03", MICA_KIND_BYTES);
	hostcall(&s, 0, "\x02", MICA_KIND_BYTES);
	hostcall(&s, 1, "[]", MICA_KIND_JSON);
	bad |= save(&s, dir, "hostcall");

	/* the same through the slow accessors (the process backend's view): the
	 * structure on the heap, the arguments at 0x20000 (written with the raw
	 * address form), both outside the window */
	begin(&s, 1);
	hostcall(&s, 0, "\x05twice", MICA_KIND_BYTES);
	struct mica_hc_hostcall h = {.fn = 0, .args = MICA_GPA_SIGSTACK, .args_len = 4};
	wr_raw(&s, MICA_GPA_SIGSTACK, "[42]", 4);
	wr(&s, B_HEAP, 0, &h, sizeof(h));
	hc(&s, MICA_HC_HOSTCALL, B_HEAP, 0, 0);
	bad |= save(&s, dir, "hostcall-slow");

	/* EXIT with a message holding control characters */
	begin(&s, 0);
	wr(&s, B_INLINE, 0, "bye\x1b[2J\n", 8);
	struct mica_hc_exit x = {.code = 3, .msg = INLINE, .msg_len = 8};
	wr(&s, B_MAILBOX, 0, &x, sizeof(x));
	hc(&s, MICA_HC_EXIT, B_MAILBOX, 0, 0);
	bad |= save(&s, dir, "exit");

	/* MODULE: found, then refused (an escape) */
	begin(&s, 2);
	wr(&s, B_INLINE, 0, "m.js", 4);
	struct mica_hc_module m = {.name = INLINE, .name_len = 4};
	wr(&s, B_MAILBOX, 0, &m, sizeof(m));
	hc(&s, MICA_HC_MODULE, B_MAILBOX, 0, 0);
	wr(&s, B_INLINE, 0, "../m.js", 7);
	m.name_len = 7;
	wr(&s, B_MAILBOX, 0, &m, sizeof(m));
	hc(&s, MICA_HC_MODULE, B_MAILBOX, 0, 0);
	bad |= save(&s, dir, "module");

	/* ASYNC kept, completed, then SLEEP delivers; fz.now; a sync one */
	begin(&s, 0);
	async_call(&s, 1, 11, "[\"later\"]");
	async_call(&s, 2, 12, "\x01now");
	async_call(&s, 0, 13, "[0]");
	complete(&s, 0, 0, "{\"done\":1}");
	sleep_call(&s, 0, 1);
	bad |= save(&s, dir, "async");

	/* completions that do not all fit one SLEEP: "more" */
	begin(&s, 1);
	async_call(&s, 1, 21, "[]");
	async_call(&s, 1, 22, "[]");
	async_call(&s, 1, 23, "[]");
	complete_n(&s, 0, 6, "\x00\x60\xff", 3); /* 0x6000 x 64: 1.5 MiB */
	complete_n(&s, 1, 6, "\x00\x60\xff", 3); /* again: both do not fit */
	complete_n(&s, 2, 6, "\x00\xc0\xff", 3); /* 3 MiB: too large, an error */
	sleep_call(&s, UINT64_MAX, 1);
	sleep_call(&s, 0, 1);
	sleep_call(&s, 0, 0);
	bad |= save(&s, dir, "async-more");

	/* ASYNC before any request began (no queue) */
	begin(&s, 4);
	async_call(&s, 1, 31, "[]");
	bad |= save(&s, dir, "async-no-request");

	/* SLEEP interrupted, then a new request */
	begin(&s, 0);
	sleep_call(&s, 1000000, 2);
	put(&s, T_NEWREQ, 1);
	async_call(&s, 1, 32, "[]");
	bad |= save(&s, dir, "sleep");

	/* A CPU fault as the process backend reports it */
	begin(&s, 8);
	hc(&s, MICA_HC_FAULT, B_MAILBOX, 0, 0);
	const uint64_t f[5] = {14, 6, 0x401000, 0x1234, 0x7ff000};
	put_bytes(&s, f, sizeof(f));
	put(&s, 11, 4);
	put(&s, 0, 4);
	bad |= save(&s, dir, "fault");

	/* Structures where the guest may not write: the boot info, unaligned */
	begin(&s, 0);
	hc(&s, MICA_HC_SLEEP, B_INFO, 0, 0);
	bad |= save(&s, dir, "bad-struct");
	begin(&s, 0);
	hc(&s, MICA_HC_HOSTCALL, B_MAILBOX, 4, 0);
	bad |= save(&s, dir, "bad-align");
	return bad;
}

/* ---- snapshot and bytecode files ----------------------------------------- */

#define S_HDR	 176
#define S_CPU	 (20 * 8 + 512)
#define S_RECORD (8 + 4096)
#define S_SUM	 32

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int spit(const char *path, const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

static int small_snapshot(const char *in, const char *out, uint64_t keep, int fns)
{
	size_t len;
	uint8_t *f = slurp(in, &len);
	if (!f || len < S_HDR + S_CPU + S_SUM)
		return 1;
	uint32_t fns_size = mica_get32(f + 60);
	uint64_t npages = mica_get64(f + 64);
	if (keep > npages)
		keep = npages;
	static const uint8_t table[] = "\x02"
				       "fz"
				       "\x04"
				       "sync"
				       "\x02"
				       "fz"
				       "\x05"
				       "later";
	size_t tlen = fns ? sizeof(table) - 1 : fns_size;
	size_t olen = S_HDR + tlen + S_CPU + keep * S_RECORD + S_SUM;
	uint8_t *o = malloc(olen);
	if (!o)
		return 1;
	memcpy(o, f, S_HDR);
	memcpy(o + S_HDR, fns ? table : f + S_HDR, tlen);
	memcpy(o + S_HDR + tlen, f + S_HDR + fns_size, S_CPU + keep * S_RECORD);
	if (fns) {
		mica_put32(o + 56, 2);
		mica_put32(o + 60, (uint32_t)tlen);
	}
	mica_put64(o + 64, keep);
	mica_sha256(o, olen - S_SUM, o + olen - S_SUM);
	int rc = spit(out, o, olen);
	free(o);
	free(f);
	return rc;
}

static int bytecode_nul(const char *in, const char *out)
{
	size_t len;
	uint8_t *f = slurp(in, &len);
	if (!f || len < 64 + 32 + 1)
		return 1;
	f[64] = 0; /* the first byte of the module name */
	mica_sha256(f, len - 32, f + len - 32);
	int rc = spit(out, f, len);
	free(f);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "hypercall"))
		return hypercall_seeds(argv[2]);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "snapshot"))
		return small_snapshot(argv[2], argv[3], strtoull(argv[4], NULL, 10),
				      argc == 6 && !strcmp(argv[5], "fns"));
	if (argc == 4 && !strcmp(argv[1], "bytecode-nul"))
		return bytecode_nul(argv[2], argv[3]);
	fprintf(stderr, "usage: seedgen hypercall DIR | snapshot IN OUT N [fns] | "
			"bytecode-nul IN OUT\n");
	return 2;
}

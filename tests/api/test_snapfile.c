/*
 * test_snapfile: snapshot files (mica_snapshot_save / mica_snapshot_load)
 * and the SHA-256 behind them. The offsets below are those of
 * docs/snapshot-format.md: a change there must show up here.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

#include "harness.h"
#include "mica.h"
#include "sha256.h" /* host/: internal, linked from libmica.a */
#include "support.h"

#define MIB  ((size_t)1 << 20)
#define PAGE 4096u

/* docs/snapshot-format.md */
enum {
	H_MAGIC = 0,
	H_FORMAT = 8,
	H_ABI = 12,
	H_IMAGE = 16,
	H_MACHINE = 48,
	H_CPU_SIZE = 52,
	H_NFNS = 56,
	H_FNS_SIZE = 60,
	H_NPAGES = 64,
	H_MEMORY = 72,
	H_HEAP = 80,
	H_STACK = 88,
	H_OUTPUT = 96,
	H_TIMEOUT = 104,
	H_BACKEND = 108, /* 1 KVM, 2 process */
	H_LAYOUT = 112,	 /* mem_size heap_start heap_end stack_bottom stack_top pt_base pt_size */
	H_WAIT = 168,
	HDR = 176,
	RECORD = 8 + PAGE,
	SUM = 32,
};

static char tmpdir[64];

static char *tpath(const char *name)
{
	static char buf[4][256];
	static int k;
	char *p = buf[k++ & 3];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

/* ---- little helpers ------------------------------------------------------ */

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static int spit(const char *path, const uint8_t *b, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int rc = fwrite(b, 1, len, f) == len ? 0 : -1;
	return fclose(f) || rc ? -1 : 0;
}

static void hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* ---- SHA-256 ------------------------------------------------------------- */

static void digest(int hw, const void *data, size_t len, size_t chunk, char out[65])
{
	struct mica_sha256 c;
	uint8_t d[32];
	mica_sha256_init(&c);
	c.hw = hw;
	const uint8_t *p = data;
	while (len) {
		size_t k = chunk && chunk < len ? chunk : len;
		mica_sha256_update(&c, p, k);
		p += k;
		len -= k;
	}
	mica_sha256_final(&c, d);
	hex(d, out);
}

TEST(sha256_fips_vectors)
{
	/* FIPS 180-2, appendix B: one block, two blocks, a million 'a'. */
	static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *million = test_alloc(1000000);
	if (!million)
		return;
	memset(million, 'a', 1000000);
	struct {
		const char *data;
		size_t len;
		const char *want;
	} v[] = {
	    {"abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	    {two, sizeof(two) - 1,
	     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	    {million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
	    {"", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	};
	int paths = mica_sha256_hw() ? 2 : 1;
	for (int hw = 0; hw < paths; hw++)
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			size_t chunks[] = {0, 1, 3, 63, 64, 65, 1000};
			for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
				char got[65];
				digest(hw, v[i].data, v[i].len, chunks[c], got);
				CHECK(!strcmp(got, v[i].want),
				      "vector %zu, %s code, chunks of %zu: %s", i,
				      hw ? "SHA-extension" : "portable", chunks[c], got);
			}
		}
	uint8_t d[32];
	char got[65];
	mica_sha256("abc", 3, d);
	hex(d, got);
	CHECK(!strcmp(got, v[0].want), "one-shot: %s", got);
	free(million);
	if (paths == 1)
		printf("# no SHA extensions on this CPU: portable code only\n");
}

TEST(sha256_paths_agree)
{
	if (!mica_sha256_hw())
		SKIP("the CPU has no SHA extensions: only the portable path exists");
	uint8_t buf[4096];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)((x = x * 1103515245 + 12345) >> 16);
	for (size_t len = 0; len <= sizeof(buf); len += len < 200 ? 1 : 37) {
		char a[65], b[65];
		digest(0, buf, len, 0, a);
		digest(1, buf, len, 0, b);
		CHECK(!strcmp(a, b), "length %zu: portable %s, SHA-extension %s", len, a, b);
	}
}

/* ---- save and load ------------------------------------------------------- */

static const char counter_js[] =
    "let count = 0;\n"
    "const table = [];\n"
    "for (let i = 0; i < 50000; i++) table.push((i * 7919) % 1009);\n"
    "globalThis.total = table.reduce((a, b) => a + b, 0);\n"
    "const big = 'x'.repeat(300000);\n"
    "export function tick() { return ++count; }\n"
    "export function info() { return { count, total, len: table.length, big: big.length }; }\n"
    "export function rnd() { return Math.random(); }\n";

static void on_console(void *ud, int stream, const char *data, size_t len)
{
	(void)ud, (void)stream, (void)data, (void)len;
}

/* A sandbox booted with lim (NULL: defaults), src loaded, and its snapshot. */
static mica_snapshot *make_snapshot(mica_runtime *rt, const mica_limits *lim, const char *src)
{
	mica_error err = {0};
	mica_sandbox *sb = mica_sandbox_new(rt, lim, &err);
	CHECK(sb, "mica_sandbox_new: %s", err.message);
	if (!sb)
		return NULL;
	mica_sandbox_set_console(sb, on_console, NULL);
	int rc = mica_sandbox_load(sb, "app.js", src, strlen(src), &err);
	CHECK(rc == MICA_OK, "load: %s", err.message);
	mica_snapshot *s = rc ? NULL : mica_snapshot_take(sb, &err);
	CHECK(rc || s, "take: %s", err.message);
	mica_sandbox_free(sb);
	return s;
}

static mica_sandbox *clone_of(mica_runtime *rt, mica_snapshot *s)
{
	mica_error err = {0};
	mica_sandbox *sb = mica_sandbox_from_snapshot(rt, s, &err);
	CHECK(sb, "mica_sandbox_from_snapshot: %s", err.message);
	return sb;
}

TEST(round_trip)
{
	NEED_BACKEND();
	mica_runtime *rt = test_runtime();
	if (!rt)
		return;
	mica_error err = {0};
	mica_snapshot *a = make_snapshot(rt, NULL, counter_js), *b = NULL, *c = NULL;
	if (!a)
		goto out;
	const char *file = tpath("rt.msnap"), *file2 = tpath("rt2.msnap");
	CHECK(mica_snapshot_save(a, file, &err) == MICA_OK, "save: %s", err.message);
	struct stat st;
	CHECK(stat(file, &st) == 0 && st.st_size < (off_t)(16 * MIB), "file of %lld bytes",
	      (long long)st.st_size);
	b = mica_snapshot_load(rt, file, &err);
	CHECK(b, "load: %s", err.message);
	if (!b)
		goto out;
	/* The same post-load state from either snapshot, call after call. */
	mica_sandbox *sa = clone_of(rt, a), *sb = clone_of(rt, b);
	if (sa && sb) {
		char *ia = call_json(sa, "info", "null", &err),
		     *ib = call_json(sb, "info", "null", &err);
		CHECK(ia && ib && !strcmp(ia, ib), "info: in-memory %s, from file %s", ia, ib);
		CHECK(ib &&
			  !strcmp(ib,
				  "{\"count\":0,\"total\":25200592,\"len\":50000,\"big\":300000}"),
		      "info %s", ib);
		free(ia);
		free(ib);
		for (int i = 1; i <= 3; i++) {
			char want[8];
			snprintf(want, sizeof(want), "%d", i);
			CHECK_RESULT(sa, "tick", "null", want);
			CHECK_RESULT(sb, "tick", "null", want);
		}
		CHECK(mica_sandbox_reset(sb, &err) == MICA_OK, "reset: %s", err.message);
		CHECK_RESULT(sb, "tick", "null", "1");
	}
	mica_sandbox_free(sa);
	mica_sandbox_free(sb);
	/* Saving what was loaded writes the same bytes. */
	CHECK(mica_snapshot_save(b, file2, &err) == MICA_OK, "save again: %s", err.message);
	size_t l1 = 0, l2 = 0;
	uint8_t *f1 = slurp(file, &l1), *f2 = slurp(file2, &l2);
	CHECK(f1 && f2 && l1 == l2 && !memcmp(f1, f2, l1),
	      "re-saved file differs (%zu vs %zu bytes)", l1, l2);
	/* Overwriting an existing file replaces it. */
	CHECK(mica_snapshot_save(b, file, &err) == MICA_OK, "overwrite: %s", err.message);
	c = mica_snapshot_load(rt, file, &err);
	CHECK(c, "load the overwritten file: %s", err.message);
	free(f1);
	free(f2);
out:
	mica_snapshot_free(a);
	mica_snapshot_free(b);
	mica_snapshot_free(c);
	mica_runtime_free(rt);
}

TEST(loaded_snapshot_outlives_runtime_and_gives_fresh_entropy)
{
	NEED_BACKEND();
	mica_runtime *rt = test_runtime();
	if (!rt)
		return;
	mica_error err = {0};
	mica_snapshot *a = make_snapshot(rt, NULL, counter_js);
	CHECK(!a || mica_snapshot_save(a, tpath("ent.msnap"), &err) == MICA_OK, "save: %s",
	      err.message);
	mica_snapshot_free(a);
	mica_snapshot *b = mica_snapshot_load(rt, tpath("ent.msnap"), &err);
	CHECK(b, "load: %s", err.message);
	mica_runtime_free(rt);
	rt = test_runtime();
	if (b && rt) {
		mica_sandbox *x = clone_of(rt, b), *y = clone_of(rt, b);
		mica_snapshot_free(b); /* the sandboxes hold their own references */
		b = NULL;
		char *rx = x ? call_json(x, "rnd", "null", &err) : NULL,
		     *ry = y ? call_json(y, "rnd", "null", &err) : NULL;
		CHECK(rx && ry && strcmp(rx, ry), "two clones drew %s and %s", rx, ry);
		free(rx);
		free(ry);
		mica_sandbox_free(x);
		mica_sandbox_free(y);
	}
	mica_snapshot_free(b);
	mica_runtime_free(rt);
}

TEST(limits_round_trip)
{
	NEED_BACKEND();
	mica_runtime *rt = test_runtime();
	if (!rt)
		return;
	mica_error err = {0};
	mica_limits lim;
	mica_limits_default(&lim);
	lim.memory_bytes = 40 * MIB;
	lim.stack_bytes = 256 * 1024;
	lim.heap_bytes = 20 * MIB;
	lim.output_bytes = 12345;
	lim.timeout_ms = 4321;
	mica_snapshot *a = make_snapshot(rt, &lim, counter_js), *b = NULL;
	if (!a)
		goto out;
	CHECK(mica_snapshot_save(a, tpath("lim.msnap"), &err) == MICA_OK, "save: %s", err.message);
	size_t len = 0;
	uint8_t *f = slurp(tpath("lim.msnap"), &len);
	CHECK(f && len > HDR, "read back");
	if (f && len > HDR) {
		CHECK(!memcmp(f + H_MAGIC, "MICASNAP", 8), "magic");
		CHECK(get32(f + H_FORMAT) == 2, "format %u", get32(f + H_FORMAT));
		CHECK(get32(f + H_BACKEND) == (uint32_t)mica_runtime_backend(rt), "backend %u",
		      get32(f + H_BACKEND));
		CHECK(get32(f + H_CPU_SIZE) == 20 * 8 + 512, "register state of %u bytes",
		      get32(f + H_CPU_SIZE));
		CHECK(get64(f + H_MEMORY) == 40 * MIB, "memory %llu",
		      (unsigned long long)get64(f + H_MEMORY));
		CHECK(get64(f + H_STACK) == 256 * 1024, "stack");
		CHECK(get64(f + H_HEAP) == 20 * MIB, "heap");
		CHECK(get64(f + H_OUTPUT) == 12345, "output");
		CHECK(get32(f + H_TIMEOUT) == 4321, "timeout");
		CHECK(get64(f + H_LAYOUT) == 40 * MIB, "layout.mem_size");
		uint64_t np = get64(f + H_NPAGES);
		size_t want =
		    HDR + get32(f + H_FNS_SIZE) + get32(f + H_CPU_SIZE) + np * RECORD + SUM;
		CHECK(len == want, "%zu bytes, the header describes %zu", len, want);
		CHECK(np > 0 && np < 40 * MIB / PAGE, "%llu pages", (unsigned long long)np);
		/* Records are increasing and no stored page is all zero. */
		const uint8_t *rec = f + HDR + get32(f + H_FNS_SIZE) + get32(f + H_CPU_SIZE);
		int zero = 0, order = 1;
		for (uint64_t i = 0; i < np; i++) {
			const uint8_t *p = rec + i * RECORD + 8;
			int z = 1;
			for (unsigned k = 0; k < PAGE && z; k++)
				z = !p[k];
			zero += z;
			if (i && get64(rec + i * RECORD) <= get64(rec + (i - 1) * RECORD))
				order = 0;
		}
		CHECK(!zero && order, "%d zero pages, ordered %d", zero, order);
		uint8_t d[32];
		mica_sha256(f, len - SUM, d);
		CHECK(!memcmp(d, f + len - SUM, SUM), "trailing checksum");
	}
	free(f);
	b = mica_snapshot_load(rt, tpath("lim.msnap"), &err);
	CHECK(b, "load: %s", err.message);
	if (b) { /* what mica_snapshot_limits says of the file, and of the one taken */
		mica_limits got, taken;
		mica_snapshot_limits(b, &got);
		mica_snapshot_limits(a, &taken);
		CHECK(got.memory_bytes == 40 * MIB && got.stack_bytes == 256 * 1024 &&
			  got.heap_bytes == 20 * MIB && got.output_bytes == 12345 &&
			  got.timeout_ms == 4321 && taken.memory_bytes == got.memory_bytes &&
			  taken.heap_bytes == got.heap_bytes,
		      "mica_snapshot_limits: %zu MiB, stack %zu, heap %zu, output %zu, %u ms",
		      got.memory_bytes >> 20, got.stack_bytes, got.heap_bytes, got.output_bytes,
		      (unsigned)got.timeout_ms);
	}
	mica_sandbox *sb = b ? clone_of(rt, b) : NULL;
	if (sb) {
		CHECK_RESULT(sb, "tick", "null", "1");
		/* the 20 MiB heap limit came along: 30 MB of string is too much */
		char *r = NULL;
		size_t rl;
		static const char grow[] = "let s = 'y'.repeat(30 << 20); s.length";
		int rc = mica_sandbox_eval(sb, "grow.js", grow, strlen(grow), &r, &rl, &err);
		CHECK(rc == MICA_ERR_MEMORY, "30 MB under a 20 MiB heap: %d %s", rc,
		      r ? r : err.message);
		free(r);
	}
	mica_sandbox_free(sb);
out:
	mica_snapshot_free(a);
	mica_snapshot_free(b);
	mica_runtime_free(rt);
}

/* ---- host functions ------------------------------------------------------ */

/* Answers {"tag": userdata, "args": its arguments}. */
static void hf_tagged(mica_hostcall *hc, void *userdata)
{
	size_t len;
	const char *args = mica_hostcall_args(hc, &len);
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "{\"tag\":\"%s\",\"args\":%.*s}", (const char *)userdata,
			 (int)len, args);
	mica_hostcall_return(hc, buf, (size_t)n);
}

static void hf_count(mica_hostcall *hc, void *userdata)
{
	int *n = userdata;
	char buf[16];
	int k = snprintf(buf, sizeof(buf), "%d", ++*n);
	mica_hostcall_return(hc, buf, (size_t)k);
}

static const char host_js[] =
    "import { tagged } from 'host:text';\n"
    "import { count } from 'host:math';\n"
    "const atLoad = tagged('load').tag;\n"
    "count();\n"
    "export function use(ev) { return { atLoad, now: tagged(ev).tag, n: count() }; }\n";

TEST(hostfns_survive_a_file)
{
	NEED_BACKEND();
	mica_error err = {0};
	int n1 = 0, n2 = 100;
	mica_runtime *rt1 = test_runtime(), *rt2 = test_runtime(), *rt3 = test_runtime();
	mica_snapshot *a = NULL, *b = NULL, *c = NULL;
	if (!rt1 || !rt2 || !rt3)
		goto out;
	CHECK(mica_runtime_register(rt1, "text", "tagged", hf_tagged, "one") == MICA_OK,
	      "register");
	CHECK(mica_runtime_register(rt1, "math", "count", hf_count, &n1) == MICA_OK, "register");
	a = make_snapshot(rt1, NULL, host_js);
	CHECK(n1 == 1, "count at load: %d", n1);
	if (!a)
		goto out;
	CHECK(mica_snapshot_save(a, tpath("host.msnap"), &err) == MICA_OK, "save: %s", err.message);
	size_t len = 0;
	uint8_t *f = slurp(tpath("host.msnap"), &len);
	CHECK(f && get32(f + H_NFNS) == 2 && get32(f + H_FNS_SIZE) == 1 + 4 + 1 + 6 + 1 + 4 + 1 + 5,
	      "host function table: %u functions, %u bytes", f ? get32(f + H_NFNS) : 0,
	      f ? get32(f + H_FNS_SIZE) : 0);
	CHECK(f && !memcmp(f + HDR,
			   "\x04text\x06tagged\x04math\x05"
			   "count",
			   23),
	      "table bytes");
	free(f);

	/* Another runtime, registering the same names in another order with
	 * other callbacks' data: bound by name. */
	CHECK(mica_runtime_register(rt2, "math", "count", hf_count, &n2) == MICA_OK, "register");
	CHECK(mica_runtime_register(rt2, "text", "tagged", hf_tagged, "two") == MICA_OK,
	      "register");
	b = mica_snapshot_load(rt2, tpath("host.msnap"), &err);
	CHECK(b, "load: %s", err.message);
	mica_sandbox *sb = b ? clone_of(rt2, b) : NULL;
	if (sb)
		CHECK_RESULT(sb, "use", "\"x\"", "{\"atLoad\":\"one\",\"now\":\"two\",\"n\":101}");
	mica_sandbox_free(sb);
	CHECK(n1 == 1 && n2 == 101, "counts %d %d", n1, n2);

	/* A runtime without math.count loads the file but cannot run it. */
	CHECK(mica_runtime_register(rt3, "text", "tagged", hf_tagged, "three") == MICA_OK,
	      "register");
	c = mica_snapshot_load(rt3, tpath("host.msnap"), &err);
	CHECK(c, "load: %s", err.message);
	if (c) {
		memset(&err, 0, sizeof(err));
		mica_sandbox *bad = mica_sandbox_from_snapshot(rt3, c, &err);
		CHECK(!bad && err.code == MICA_ERR_INVALID && strstr(err.message, "math.count"),
		      "from_snapshot without math.count: %p %d %s", (void *)bad, err.code,
		      err.message);
		mica_sandbox_free(bad);
	}
out:
	mica_snapshot_free(a);
	mica_snapshot_free(b);
	mica_snapshot_free(c);
	mica_runtime_free(rt1);
	mica_runtime_free(rt2);
	mica_runtime_free(rt3);
}

/* ---- bad files ----------------------------------------------------------- */

struct good {
	uint8_t *data;
	size_t len;
	uint32_t fns_size, cpu_size;
	uint64_t npages;
	size_t rec; /* offset of the first page record */
};

/* Writes b (len bytes) to a file, optionally with its checksum recomputed,
 * loads it and checks the refusal: code and message fragment. */
static void expect_refusal(mica_runtime *rt, const char *what, const uint8_t *b, size_t len,
			   int resum, mica_code code, const char *fragment)
{
	uint8_t *copy = test_alloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, b, len);
	if (resum && len >= SUM)
		mica_sha256(copy, len - SUM, copy + len - SUM);
	const char *path = tpath("bad.msnap");
	CHECK(spit(path, copy, len) == 0, "write %s", path);
	free(copy);
	mica_error err = {0};
	mica_snapshot *s = mica_snapshot_load(rt, path, &err);
	if (getenv("MICA_TEST_VERBOSE"))
		printf("# %s: %s\n", what, err.message);
	CHECK(!s && err.code == code && strstr(err.message, fragment),
	      "%s: got %s, code %d, message '%s'; want code %d with '%s'", what,
	      s ? "a snapshot" : "NULL", err.code, err.message, code, fragment);
	CHECK(s || strstr(err.message, path), "%s: message does not name the file: %s", what,
	      err.message);
	mica_snapshot_free(s);
}

/* Loads b after a mutation at off (of w bytes, value v), checksum recomputed. */
static void mutate(mica_runtime *rt, const struct good *g, const char *what, size_t off, int w,
		   uint64_t v, const char *fragment)
{
	uint8_t *c = test_alloc(g->len);
	if (!c)
		return;
	memcpy(c, g->data, g->len);
	if (w == 4)
		put32(c + off, (uint32_t)v);
	else if (w == 8)
		put64(c + off, v);
	else
		c[off] ^= (uint8_t)v;
	expect_refusal(rt, what, c, g->len, 1, MICA_ERR_INVALID, fragment);
	free(c);
}

static int load_good(mica_runtime *rt, struct good *g, const char *name)
{
	memset(g, 0, sizeof(*g));
	g->data = slurp(tpath(name), &g->len);
	CHECK(g->data && g->len > HDR + SUM, "read %s", name);
	if (!g->data || g->len <= HDR + SUM)
		return -1;
	g->fns_size = get32(g->data + H_FNS_SIZE);
	g->cpu_size = get32(g->data + H_CPU_SIZE);
	g->npages = get64(g->data + H_NPAGES);
	g->rec = HDR + g->fns_size + g->cpu_size;
	/* the unmodified bytes, re-summed, load: the helpers do not break files */
	mica_error err = {0};
	mica_snapshot *s = mica_snapshot_load(rt, tpath(name), &err);
	CHECK(s, "the good file does not load: %s", err.message);
	mica_snapshot_free(s);
	return s ? 0 : -1;
}

TEST(refuses_bad_files)
{
	NEED_BACKEND();
	mica_error err = {0};
	int n = 0;
	mica_runtime *rt = test_runtime(), *rt_host = test_runtime();
	if (!rt || !rt_host)
		goto out0;
	mica_snapshot *a = make_snapshot(rt, NULL, counter_js);
	CHECK(!a || mica_snapshot_save(a, tpath("good.msnap"), &err) == MICA_OK, "save: %s",
	      err.message);
	mica_snapshot_free(a);
	CHECK(mica_runtime_register(rt_host, "text", "tagged", hf_tagged, "x") == MICA_OK,
	      "register");
	CHECK(mica_runtime_register(rt_host, "math", "count", hf_count, &n) == MICA_OK, "register");
	a = make_snapshot(rt_host, NULL, host_js);
	CHECK(!a || mica_snapshot_save(a, tpath("goodh.msnap"), &err) == MICA_OK, "save: %s",
	      err.message);
	mica_snapshot_free(a);
	struct good g, gh;
	if (load_good(rt, &g, "good.msnap"))
		goto out0;
	if (load_good(rt_host, &gh, "goodh.msnap"))
		goto out;
	const uint8_t *d = g.data;
	char what[64];

	expect_refusal(rt, "empty", d, 0, 0, MICA_ERR_INVALID, ": empty");

	/* Truncated at every header field boundary, around the table and the
	 * vCPU state, inside page records and the checksum. */
	size_t cuts[] = {1,
			 4,
			 7,
			 8,
			 11,
			 12,
			 15,
			 16,
			 47,
			 48,
			 52,
			 56,
			 60,
			 64,
			 72,
			 80,
			 88,
			 96,
			 104,
			 108,
			 112,
			 120,
			 160,
			 168,
			 175,
			 HDR,
			 HDR + 1,
			 g.rec - 1,
			 g.rec,
			 g.rec + 4,
			 g.rec + 8,
			 g.rec + 8 + 100,
			 g.rec + RECORD,
			 g.rec + RECORD * (g.npages / 2) + 2000,
			 g.len - SUM - 1,
			 g.len - SUM,
			 g.len - 16,
			 g.len - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		snprintf(what, sizeof(what), "truncated at %zu of %zu", cuts[i], g.len);
		expect_refusal(rt, what, d, cuts[i], 0, MICA_ERR_INVALID, ": truncated");
	}
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		snprintf(what, sizeof(what), "host file truncated at %zu",
			 cuts[i] < gh.len ? cuts[i] : gh.len - 1);
		expect_refusal(rt_host, what, gh.data, cuts[i] < gh.len ? cuts[i] : gh.len - 1, 0,
			       MICA_ERR_INVALID, ": truncated");
	}
	{
		uint8_t *longer = test_alloc(g.len + 100);
		if (longer) {
			memcpy(longer, d, g.len);
			expect_refusal(rt, "100 bytes appended", longer, g.len + 100, 1,
				       MICA_ERR_INVALID, "corrupted");
			free(longer);
		}
	}

	/* One flipped bit anywhere the sizes do not live: the checksum. */
	size_t flips[] = {
	    H_ABI,	     H_IMAGE + 5,   H_MACHINE, H_MEMORY + 2,
	    H_HEAP,	     H_STACK + 1,   H_OUTPUT,  H_TIMEOUT,
	    H_BACKEND + 3,   H_LAYOUT + 20, H_WAIT,    HDR + 3,
	    g.rec - 1,	     g.rec,	    g.rec + 8, g.rec + RECORD * (g.npages - 1) + 4000,
	    g.len - SUM - 1, g.len - SUM,   g.len - 1};
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++)
		for (int bit = 0; bit < 8; bit += 7) {
			uint8_t *c = test_alloc(g.len);
			if (!c)
				break;
			memcpy(c, d, g.len);
			c[flips[i]] ^= (uint8_t)(1u << bit);
			snprintf(what, sizeof(what), "bit %d flipped at %zu", bit, flips[i]);
			expect_refusal(rt, what, c, g.len, 0, MICA_ERR_INVALID,
				       "checksum mismatch (corrupted)");
			free(c);
		}
	for (size_t off = HDR; off < gh.rec; off += 97) {
		snprintf(what, sizeof(what), "host table byte %zu flipped", off);
		uint8_t *c = test_alloc(gh.len);
		if (!c)
			break;
		memcpy(c, gh.data, gh.len);
		c[off] ^= 0x20;
		expect_refusal(rt_host, what, c, gh.len, 0, MICA_ERR_INVALID, "checksum mismatch");
		free(c);
	}

	/* Each check on its own, the checksum made to match. */
	mutate(rt, &g, "magic", H_MAGIC, 1, 0x01, "not a mica snapshot");
	mutate(rt, &g, "format version", H_FORMAT, 4, 1, "format version 1, this mica reads 2");
	mutate(rt, &g, "ABI version", H_ABI, 4, 99,
	       "made by another mica build (guest ABI version 99");
	mutate(rt, &g, "image hash", H_IMAGE + 31, 1, 0x80,
	       "made by another mica build (guest image differs)");
	mutate(rt, &g, "machine", H_MACHINE, 4, 183, "made for another machine");
	mutate(rt, &g, "backend", H_BACKEND, 4, 3, "made by backend 3");
	mutate(rt, &g, "no backend", H_BACKEND, 4, 0, "made by backend 0");
	mutate(rt, &g, "memory too small", H_MEMORY, 8, 8 * MIB, "bad limits: guest memory");
	mutate(rt, &g, "memory not in pages", H_MEMORY, 8, 64 * MIB + 100,
	       "bad limits: guest memory");
	mutate(rt, &g, "stack too small", H_STACK, 8, 4096, "bad limits: stack");
	mutate(rt, &g, "heap too large", H_HEAP, 8, 63 * MIB, "bad limits: JS heap limit");
	mutate(rt, &g, "memory vs layout", H_MEMORY, 8, 128 * MIB, "memory layout does not match");
	mutate(rt, &g, "layout heap", H_LAYOUT + 8, 8, get64(d + H_LAYOUT + 8) + PAGE,
	       "memory layout");
	mutate(rt, &g, "layout page tables", H_LAYOUT + 40, 8, 0, "memory layout");
	mutate(rt, &g, "wait_gpa at the end", H_WAIT, 8, 64 * MIB - 8, "outside guest memory");
	mutate(rt, &g, "wait_gpa far out", H_WAIT, 8, UINT64_MAX - 4, "outside guest memory");
	mutate(rt, &g, "page beyond memory", g.rec + RECORD * (g.npages - 1), 8, 64 * MIB / PAGE,
	       "page 16384 of");
	mutate(rt, &g, "pages out of order", g.rec + RECORD, 8, get64(d + g.rec), "out of order");
	mutate(rt, &g, "page repeated", g.rec + RECORD * 2, 8, get64(d + g.rec + RECORD),
	       "out of order");
	mutate(rt, &g, "functions without a table", H_NFNS, 4, 1, "host functions in 0 bytes");
	mutate(rt_host, &gh, "function count", H_NFNS, 4, 1, "stray bytes");
	mutate(rt_host, &gh, "function count 3", H_NFNS, 4, 3, "bad entry 2");
	mutate(rt_host, &gh, "name length", HDR, 1, 0x04, "bad entry 0"); /* 4 -> 0 */
	mutate(rt_host, &gh, "name character", HDR + 1, 1, 0x80, "bad entry 0");
	mutate(rt_host, &gh, "name starts with a digit", HDR + 6, 1, 't' ^ '7', "bad entry 0");
	mutate(rt_host, &gh, "name too long", HDR + 5, 1, 6 ^ 200, "bad entry");
	/* sizes in the header that no file can have */
	mutate(rt, &g, "huge page count", H_NPAGES, 8, 1ull << 40, "corrupted");
	mutate(rt, &g, "huge table", H_FNS_SIZE, 4, 0xffffffffu, "corrupted");
	mutate(rt, &g, "huge register state", H_CPU_SIZE, 4, 1u << 30, "corrupted");
	mutate(rt, &g, "one page fewer", H_NPAGES, 8, g.npages - 1, "corrupted");
	mutate(rt, &g, "one page more", H_NPAGES, 8, g.npages + 1, "truncated");

	/* Not files at all. */
	memset(&err, 0, sizeof(err));
	CHECK(!mica_snapshot_load(rt, tpath("nonexistent.msnap"), &err) &&
		  err.code == MICA_ERR_SYSTEM && strstr(err.message, "cannot open") &&
		  strstr(err.message, "No such file"),
	      "nonexistent: %d %s", err.code, err.message);
	memset(&err, 0, sizeof(err));
	CHECK(!mica_snapshot_load(rt, tmpdir, &err) && err.code == MICA_ERR_INVALID &&
		  strstr(err.message, "not a regular file"),
	      "directory: %d %s", err.code, err.message);
	expect_refusal(rt, "text", (const uint8_t *)"hello, world\n", 13, 0, MICA_ERR_INVALID,
		       "not a mica snapshot");
	expect_refusal(rt, "short prefix of the magic", (const uint8_t *)"MIC", 3, 0,
		       MICA_ERR_INVALID, "truncated");

	free(gh.data);
out:
	free(g.data);
out0:
	mica_runtime_free(rt);
	mica_runtime_free(rt_host);
}

TEST(save_errors)
{
	NEED_BACKEND();
	mica_runtime *rt = test_runtime();
	if (!rt)
		return;
	mica_error err = {0};
	mica_snapshot *a = make_snapshot(rt, NULL, counter_js);
	if (a) {
		int rc = mica_snapshot_save(a, tpath("no/such/dir/x.msnap"), &err);
		CHECK(rc == MICA_ERR_SYSTEM && strstr(err.message, "cannot create") &&
			  strstr(err.message, "No such file"),
		      "save into a missing directory: %d %s", rc, err.message);
		/* a refused save (here: the target is a directory or a FIFO, which
		 * a rename would replace) leaves no temporary file and the rest
		 * alone */
		CHECK(mica_snapshot_save(a, tpath("keep.msnap"), &err) == MICA_OK, "save: %s",
		      err.message);
		CHECK(mkdir(tpath("dir.msnap"), 0700) == 0, "mkdir");
		rc = mica_snapshot_save(a, tpath("dir.msnap"), &err);
		CHECK(rc == MICA_ERR_INVALID && strstr(err.message, "not a regular file"),
		      "save over a directory: %d %s", rc, err.message);
		rmdir(tpath("dir.msnap"));
		CHECK(mkfifo(tpath("fifo.msnap"), 0600) == 0, "mkfifo");
		rc = mica_snapshot_save(a, tpath("fifo.msnap"), &err);
		struct stat st;
		CHECK(rc == MICA_ERR_INVALID && !lstat(tpath("fifo.msnap"), &st) &&
			  S_ISFIFO(st.st_mode),
		      "save over a FIFO: %d %s", rc, err.message);
		unlink(tpath("fifo.msnap"));
		/* a symbolic link is replaced, not followed: what it names is left */
		CHECK(symlink("keep.msnap", tpath("link.msnap")) == 0, "symlink");
		struct stat kept;
		CHECK(!stat(tpath("keep.msnap"), &kept), "stat");
		rc = mica_snapshot_save(a, tpath("link.msnap"), &err);
		CHECK(rc == MICA_OK && !lstat(tpath("link.msnap"), &st) && S_ISREG(st.st_mode) &&
			  !stat(tpath("keep.msnap"), &st) && st.st_ino == kept.st_ino &&
			  st.st_mtim.tv_nsec == kept.st_mtim.tv_nsec,
		      "save over a link: %d %s", rc, err.message);
		unlink(tpath("link.msnap"));
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q 'dir.msnap.'", tmpdir);
		CHECK(system(cmd) != 0, "a temporary file was left behind");
		mica_snapshot *b = mica_snapshot_load(rt, tpath("keep.msnap"), &err);
		CHECK(b, "the earlier file is intact: %s", err.message);
		mica_snapshot_free(b);
		rc = mica_snapshot_save(a, "", &err);
		CHECK(rc == MICA_ERR_INVALID, "empty path: %d", rc);
	}
	mica_snapshot_free(a);
	mica_runtime_free(rt);
}

/* A snapshot file holds the guest's whole memory: only its owner may read
 * it (it was 0644), the umask may only make it stricter, and no temporary
 * file is left behind. */
TEST(saved_files_are_private)
{
	NEED_BACKEND();
	mica_runtime *rt = test_runtime();
	if (!rt)
		return;
	mica_error err = {0};
	mica_snapshot *a = make_snapshot(rt, NULL, counter_js);
	static const struct {
		mode_t umask, want;
	} cases[] = {{022, 0600}, {0, 0600}, {0277, 0400}};
	for (size_t i = 0; a && i < sizeof(cases) / sizeof(cases[0]); i++) {
		mode_t old = umask(cases[i].umask);
		int rc = mica_snapshot_save(a, tpath("private.msnap"), &err);
		umask(old);
		struct stat st;
		CHECK(rc == MICA_OK && stat(tpath("private.msnap"), &st) == 0 &&
			  (st.st_mode & 07777) == cases[i].want,
		      "umask %03o: mode %03o, want %03o (%s)", (unsigned)cases[i].umask,
		      (unsigned)(st.st_mode & 07777), (unsigned)cases[i].want, err.message);
	}
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		CHECK(strncmp(e->d_name, "private.msnap.", 14) != 0, "left behind: %s", e->d_name);
	if (d)
		closedir(d);
	mica_snapshot_free(a);
	mica_runtime_free(rt);
}

static void rm_tmpdir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mica-snapfile-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(sha256_fips_vectors);
	RUN(sha256_paths_agree);
	RUN(round_trip);
	RUN(loaded_snapshot_outlives_runtime_and_gives_fresh_entropy);
	RUN(limits_round_trip);
	RUN(hostfns_survive_a_file);
	RUN(refuses_bad_files);
	RUN(save_errors);
	RUN(saved_files_are_private);
	rm_tmpdir();
	return harness_report();
}

/*
 * test_bytecode: precompiled modules (mica_sandbox_compile,
 * mica_bytecode_check, mica_sandbox_load_bytecode). The offsets below are
 * those of docs/bytecode-format.md: a change there must show up here.
 * Run from the repository root (tests/js/modules is the module root).
 */
#include <stdint.h>

#include "harness.h"
#include "mica.h"
#include "sha256.h" /* host/: internal, linked from libmica.a */
#include "support.h"

/* docs/bytecode-format.md */
enum {
	H_MAGIC = 0,
	H_FORMAT = 8,
	H_ABI = 12,
	H_IMAGE = 16,
	H_NAME_LEN = 48,
	H_CODE_LEN = 52,
	H_RESERVED = 56,
	HDR = 64,
	SUM = 32,
};

#define MODULE_ROOT "tests/js/modules"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void resum(uint8_t *f, size_t len)
{
	mica_sha256(f, len - SUM, f + len - SUM);
}

/* Console output, collected per sandbox. */
struct out {
	char buf[4096];
	size_t n;
};

static void on_console(void *ud, int stream, const char *data, size_t len)
{
	struct out *o = ud;
	(void)stream;
	if (!o)
		return;
	if (len > sizeof(o->buf) - 1 - o->n)
		len = sizeof(o->buf) - 1 - o->n;
	memcpy(o->buf + o->n, data, len);
	o->n += len;
	o->buf[o->n] = 0;
}

static mica_sandbox *sandbox(mica_runtime *rt, struct out *o)
{
	mica_error err = {0};
	mica_sandbox *sb = mica_sandbox_new(rt, NULL, &err);
	CHECK(sb, "mica_sandbox_new: %s", err.message);
	if (sb)
		mica_sandbox_set_console(sb, on_console, o);
	return sb;
}

/* Compiles src as `name` in a sandbox of its own; NULL (and a failed CHECK)
 * on error. */
static uint8_t *compile(mica_runtime *rt, const char *name, const char *src, size_t *len)
{
	mica_error err = {0};
	void *file = NULL;
	*len = 0;
	mica_sandbox *sb = sandbox(rt, NULL);
	if (!sb)
		return NULL;
	int rc = mica_sandbox_compile(sb, name, src, strlen(src), &file, len, &err);
	CHECK(rc == MICA_OK && file && *len > HDR + SUM, "compile %s: %d %s", name, rc,
	      err.message);
	mica_sandbox_free(sb);
	return file;
}

/* ---- same results as source ------------------------------------------------ */

static const char app_js[] =
    "let count = 0;\n"
    "const table = [];\n"
    "for (let i = 0; i < 1000; i++) table.push((i * 7919) % 1009);\n"
    "class Point { #x; constructor(x, y) { this.#x = x; this.y = y; } get x() { return this.#x; }\n"
    "  norm() { return Math.hypot(this.#x, this.y); } }\n"
    "function* gen(n) { for (let i = 0; i < n; i++) yield i * i; }\n"
    "const re = /(\\d+)-(\\w+)/u;\n"
    "const tpl = (s, ...v) => s.raw.join('|') + v.join(',');\n"
    "console.log('loaded', table.length);\n"
    "export function tick() { return ++count; }\n"
    "export function stats(e) {\n"
    "  const p = new Point(e.x, e.y);\n"
    "  return { sum: table.reduce((a, b) => a + b, 0), norm: p.norm(), x: p.x, sq: [...gen(5)],\n"
    "    m: re.exec(e.s).slice(1), big: (2n ** 70n).toString(), t: tpl`a${1}b${2}c`,\n"
    "    json: JSON.stringify({ k: [1, { z: null }] }), sorted: [3, 1, 2].sort(), str: `${e.s}!` "
    "};\n"
    "}\n"
    "export async function later(e) { await null; const r = await Promise.all([1, e].map(async v "
    "=> v)); "
    "return r; }\n"
    "export function fails() { return null.x; }\n"
    "globalThis.globalOne = () => 'global ok';\n";

TEST(same_results_as_source)
{
	NEED_BACKEND();
	mica_error err = {0};
	struct out os = {0}, ob = {0};
	mica_runtime *rt = test_runtime();
	mica_sandbox *src = rt ? sandbox(rt, &os) : NULL, *bc = rt ? sandbox(rt, &ob) : NULL;
	size_t len = 0;
	uint8_t *file = rt ? compile(rt, "app.js", app_js, &len) : NULL;
	if (!src || !bc || !file)
		goto out;
	CHECK(mica_sandbox_load(src, "app.js", app_js, strlen(app_js), &err) == MICA_OK, "load: %s",
	      err.message);
	CHECK(mica_sandbox_load_bytecode(bc, file, len, &err) == MICA_OK, "load_bytecode: %s",
	      err.message);
	CHECK(!strcmp(os.buf, "loaded 1000\n") && !strcmp(os.buf, ob.buf), "console: '%s' vs '%s'",
	      os.buf, ob.buf);
	const char *ev = "{\"x\":3,\"y\":4,\"s\":\"12-ab\"}";
	const char *fns[] = {"tick", "tick", "stats", "later", "globalOne"};
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		mica_error e1 = {0}, e2 = {0};
		char *a = call_json(src, fns[i], ev, &e1), *b = call_json(bc, fns[i], ev, &e2);
		CHECK(a && b && !strcmp(a, b), "%s: source %s (%s), bytecode %s (%s)", fns[i],
		      a ? a : "-", e1.message, b ? b : "-", e2.message);
		free(a);
		free(b);
	}
	CHECK_RESULT(bc, "tick", "null", "3");
	/* Exceptions: the same message, and the stack still names file:line
	 * (the bytecode keeps its debug information). */
	mica_error e1 = {0}, e2 = {0};
	char *a = call_json(src, "fails", "null", &e1), *b = call_json(bc, "fails", "null", &e2);
	CHECK(!a && !b && e1.code == MICA_ERR_JS && e2.code == MICA_ERR_JS &&
		  !strcmp(e1.message, e2.message) && strstr(e2.message, "app.js:18"),
	      "fails: '%s' vs '%s'", e1.message, e2.message);
	free(a);
	free(b);
	/* The same source compiles to the same file. */
	size_t len2 = 0;
	uint8_t *again = compile(rt, "app.js", app_js, &len2);
	CHECK(again && len2 == len && !memcmp(again, file, len),
	      "compiling twice gave different files");
	free(again);
out:
	free(file);
	mica_sandbox_free(src);
	mica_sandbox_free(bc);
	mica_runtime_free(rt);
}

/* ---- the file ------------------------------------------------------------ */

TEST(layout_matches_the_docs)
{
	NEED_BACKEND();
	mica_error err = {0};
	mica_runtime *rt = test_runtime();
	size_t len = 0;
	uint8_t *f = rt ? compile(rt, "dir/app.js", app_js, &len) : NULL;
	if (!f)
		goto out;
	CHECK(!memcmp(f + H_MAGIC, "MICABC\0\0", 8), "magic");
	CHECK(get32(f + H_FORMAT) == 1, "format %u", get32(f + H_FORMAT));
	CHECK(get32(f + H_ABI) >= 1, "ABI %u", get32(f + H_ABI));
	uint32_t n = get32(f + H_NAME_LEN), b = get32(f + H_CODE_LEN);
	CHECK(n == 10 && !memcmp(f + HDR, "dir/app.js", 10), "name %u", n);
	CHECK(len == HDR + n + b + SUM, "length %zu, header says %u + %u", len, n, b);
	for (int i = H_RESERVED; i < HDR; i++)
		CHECK(f[i] == 0, "reserved byte %d", i);
	uint8_t sum[32];
	mica_sha256(f, len - SUM, sum);
	CHECK(!memcmp(sum, f + len - SUM, SUM), "checksum");
	/* The image hash is the one snapshot files carry (docs/snapshot-format.md
	 * offset 16): the SHA-256 of this runtime's guest image. */
	mica_sandbox *sb = sandbox(rt, NULL);
	mica_snapshot *snap = sb ? mica_snapshot_take(sb, &err) : NULL;
	char path[] = "/tmp/mica-test-bc-XXXXXX";
	int fd = mkstemp(path);
	if (snap && fd >= 0 && mica_snapshot_save(snap, path, &err) == MICA_OK) {
		/* save renamed a new file over path: read it by name */
		uint8_t h[48];
		FILE *sf = fopen(path, "rb");
		CHECK(sf && fread(h, 1, sizeof(h), sf) == sizeof(h) &&
			  !memcmp(h + 16, f + H_IMAGE, 32) && get32(h + 12) == get32(f + H_ABI),
		      "image hash or ABI differ from the snapshot file's");
		if (sf)
			fclose(sf);
	} else {
		CHECK(0, "snapshot for the image hash: %s", err.message);
	}
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	mica_snapshot_free(snap);
	mica_sandbox_free(sb);
	CHECK(mica_bytecode_check(rt, f, len, &err) == MICA_OK, "check: %s", err.message);
out:
	free(f);
	mica_runtime_free(rt);
}

/* ---- top-level await, imports --------------------------------------------- */

TEST(top_level_await)
{
	NEED_BACKEND();
	mica_error err = {0};
	struct out o = {0};
	mica_runtime *rt = test_runtime();
	static const char tla_js[] = "export const answer = await new Promise(r => r(41)) + 1;\n"
				     "const ready = await (async () => 'ready')();\n"
				     "console.log(ready, answer);\n"
				     "export function get() { return { answer, ready }; }\n";
	static const char reject_js[] = "await null;\nthrow new Error('at load time');\n";
	size_t len = 0, rlen = 0;
	uint8_t *f = rt ? compile(rt, "tla.js", tla_js, &len) : NULL;
	uint8_t *rf = rt ? compile(rt, "reject.js", reject_js, &rlen) : NULL;
	mica_sandbox *sb = rt ? sandbox(rt, &o) : NULL;
	if (!f || !rf || !sb)
		goto out;
	CHECK(mica_sandbox_load_bytecode(sb, f, len, &err) == MICA_OK, "load: %s", err.message);
	CHECK(!strcmp(o.buf, "ready 42\n"), "console: %s", o.buf);
	CHECK_RESULT(sb, "get", "null", "{\"answer\":42,\"ready\":\"ready\"}");
	memset(&err, 0, sizeof(err));
	CHECK(mica_sandbox_load_bytecode(sb, rf, rlen, &err) == MICA_ERR_JS &&
		  strstr(err.message, "Error: at load time") && strstr(err.message, "reject.js:2"),
	      "rejected TLA: %d %s", err.code, err.message);
	/* and the sandbox goes on */
	CHECK_RESULT(sb, "get", "null", "{\"answer\":42,\"ready\":\"ready\"}");
out:
	free(f);
	free(rf);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
}

static void hf_twice(mica_hostcall *call, void *ud)
{
	(void)ud;
	size_t len;
	const char *args = mica_hostcall_args(call, &len);
	int v = atoi(args + 1);
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", 2 * v);
	mica_hostcall_return(call, buf, (size_t)n);
}

TEST(imports_resolve_when_loaded)
{
	NEED_BACKEND();
	mica_error err = {0};
	struct out o = {0};
	mica_runtime *rt = test_runtime();
	if (!rt)
		return;
	/* Compiling reads no module and needs no host function: neither the
	 * compiling sandbox nor its runtime has them. */
	static const char main_js[] =
	    "import { add } from \"../lib/math.js\";\n"
	    "import helper from \"./helper.js\";\n"
	    "import { twice } from \"host:calc\";\n"
	    "export function h(e) { return { sum: add(e.a, e.b), h: helper(), t: twice(e.a) }; }\n"
	    "export async function dyn() { const m = await import('../lib/math.js'); "
	    "return m.add(20, 22); }\n";
	size_t len = 0, blen = 0, mlen = 0;
	uint8_t *f = compile(rt, "app/main.js", main_js, &len);
	static const char missing_js[] =
	    "import { nothere } from './helper.js';\nexport const x = 1;\n";
	uint8_t *bf = compile(rt, "app/x.js", missing_js, &blen);
	static const char nofile_js[] = "import './nofile.js';\n";
	uint8_t *mf = compile(rt, "app/y.js", nofile_js, &mlen);
	mica_runtime *rt2 = test_runtime();
	mica_sandbox *sb = NULL, *bare = NULL;
	if (!f || !bf || !mf || !rt2)
		goto out;
	CHECK(mica_runtime_register(rt2, "calc", "twice", hf_twice, NULL) == MICA_OK, "register");
	sb = sandbox(rt2, &o);
	bare = sandbox(rt2, NULL);
	if (!sb || !bare)
		goto out;
	CHECK(mica_sandbox_set_modules(sb, MODULE_ROOT, &err) == MICA_OK, "set_modules: %s",
	      err.message);
	CHECK(mica_sandbox_load_bytecode(sb, f, len, &err) == MICA_OK, "load: %s", err.message);
	CHECK_RESULT(sb, "h", "{\"a\":2,\"b\":3}", "{\"sum\":5,\"h\":\"helped\",\"t\":4}");
	CHECK_RESULT(sb, "dyn", "null", "42");
	/* Resolution errors come when loading, as with source. */
	memset(&err, 0, sizeof(err));
	CHECK(mica_sandbox_load_bytecode(sb, bf, blen, &err) == MICA_ERR_INVALID &&
		  strstr(err.message, "nothere"),
	      "missing export: %d %s", err.code, err.message);
	memset(&err, 0, sizeof(err));
	CHECK(mica_sandbox_load_bytecode(sb, mf, mlen, &err) == MICA_ERR_INVALID &&
		  strstr(err.message, "could not load module './nofile.js'") &&
		  strstr(err.message, "app/y.js"),
	      "missing file: %d %s", err.code, err.message);
	memset(&err, 0, sizeof(err));
	CHECK(mica_sandbox_load_bytecode(bare, f, len, &err) == MICA_ERR_INVALID &&
		  strstr(err.message, "could not load module"),
	      "no module root: %d %s", err.code, err.message);
	/* A runtime without the host function: refused at load, not at compile. */
	mica_sandbox *nohost = sandbox(rt, NULL);
	if (nohost) {
		mica_sandbox_set_modules(nohost, MODULE_ROOT, NULL);
		memset(&err, 0, sizeof(err));
		CHECK(mica_sandbox_load_bytecode(nohost, f, len, &err) != MICA_OK,
		      "host:calc without twice loaded");
		mica_sandbox_free(nohost);
	}
out:
	free(f);
	free(bf);
	free(mf);
	mica_sandbox_free(sb);
	mica_sandbox_free(bare);
	mica_runtime_free(rt2);
	mica_runtime_free(rt);
}

/* A sandbox that compiled still loads real modules afterwards: the
 * placeholders that stood in for imports are not found by name. */
TEST(compiling_leaves_imports_alone)
{
	NEED_BACKEND();
	mica_error err = {0};
	mica_runtime *rt = test_runtime();
	mica_sandbox *sb = rt ? sandbox(rt, NULL) : NULL;
	if (!sb)
		goto out;
	static const char a_js[] =
	    "import helper from './helper.js';\nexport const v = helper();\n";
	void *file = NULL;
	size_t len = 0;
	CHECK(mica_sandbox_compile(sb, "app/a.js", a_js, strlen(a_js), &file, &len, &err) ==
		  MICA_OK,
	      "compile: %s", err.message);
	CHECK(mica_sandbox_set_modules(sb, MODULE_ROOT, &err) == MICA_OK, "set_modules: %s",
	      err.message);
	static const char b_js[] =
	    "import helper from './helper.js';\nexport function f() { return helper(); }\n";
	CHECK(mica_sandbox_load(sb, "app/b.js", b_js, strlen(b_js), &err) == MICA_OK, "load: %s",
	      err.message);
	CHECK_RESULT(sb, "f", "null", "\"helped\"");
	free(file);
out:
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
}

/* A snapshot of a sandbox loaded from bytecode works like any other. */
TEST(snapshot_after_bytecode)
{
	NEED_BACKEND();
	mica_error err = {0};
	mica_runtime *rt = test_runtime();
	size_t len = 0;
	uint8_t *f = rt ? compile(rt, "app.js", app_js, &len) : NULL;
	mica_sandbox *sb = f ? sandbox(rt, NULL) : NULL;
	if (!sb)
		goto out;
	CHECK(mica_sandbox_load_bytecode(sb, f, len, &err) == MICA_OK, "load: %s", err.message);
	mica_snapshot *snap = mica_snapshot_take(sb, &err);
	CHECK(snap, "take: %s", err.message);
	mica_sandbox *c = snap ? mica_sandbox_from_snapshot(rt, snap, &err) : NULL;
	if (c) {
		CHECK_RESULT(c, "tick", "null", "1");
		CHECK_RESULT(c, "tick", "null", "2");
		CHECK(mica_sandbox_reset(c, &err) == MICA_OK, "reset: %s", err.message);
		CHECK_RESULT(c, "tick", "null", "1");
		mica_sandbox_free(c);
	}
	mica_snapshot_free(snap);
out:
	free(f);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
}

/* ---- compile errors -------------------------------------------------------- */

TEST(syntax_error_at_compile)
{
	NEED_BACKEND();
	mica_error err = {0};
	mica_runtime *rt = test_runtime();
	mica_sandbox *sb = rt ? sandbox(rt, NULL) : NULL;
	if (!sb)
		goto out;
	static const char bad_js[] = "const a = 1;\nconst b = 2;\nconst c = (a + ;\n";
	void *file = (void *)1;
	size_t len = 99;
	int rc = mica_sandbox_compile(sb, "bad.js", bad_js, strlen(bad_js), &file, &len, &err);
	CHECK(rc == MICA_ERR_INVALID && err.code == MICA_ERR_INVALID &&
		  strstr(err.message, "SyntaxError") && strstr(err.message, "bad.js:3"),
	      "syntax error: %d %s", rc, err.message);
	CHECK(!file && !len, "a failed compile returned a file");
	/* import of a name that is not exported is no compile error (it is one
	 * when loaded), but a malformed import is */
	static const char badimp_js[] = "import { from './x.js';\n";
	memset(&err, 0, sizeof(err));
	CHECK(mica_sandbox_compile(sb, "imp.js", badimp_js, strlen(badimp_js), &file, &len, &err) ==
		      MICA_ERR_INVALID &&
		  strstr(err.message, "imp.js:1"),
	      "bad import: %s", err.message);
	/* the sandbox is still usable */
	static const char ok_js[] = "export const x = 1;\n";
	CHECK(mica_sandbox_compile(sb, "ok.js", ok_js, strlen(ok_js), &file, &len, &err) ==
		      MICA_OK &&
		  file,
	      "compile after an error: %s", err.message);
	free(file);
	/* arguments */
	CHECK(mica_sandbox_compile(sb, "", ok_js, 5, &file, &len, &err) == MICA_ERR_INVALID,
	      "empty name");
	CHECK(mica_sandbox_compile(sb, "x.js", NULL, 0, &file, &len, &err) == MICA_ERR_INVALID,
	      "NULL source");
	CHECK(mica_sandbox_compile(sb, "x.js", ok_js, 5, NULL, &len, &err) == MICA_ERR_INVALID,
	      "NULL file");
	char *huge = test_alloc(4u << 20);
	if (huge) {
		memset(huge, ' ', 4u << 20);
		CHECK(mica_sandbox_compile(sb, "x.js", huge, 4u << 20, &file, &len, &err) ==
			      MICA_ERR_INVALID &&
			  strstr(err.message, "too large"),
		      "4 MiB source: %s", err.message);
		free(huge);
	}
out:
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
}

/* ---- refused files ---------------------------------------------------------- */

/* CHECKs that f is refused by mica_bytecode_check with `want` in the
 * message. */
static void expect_refusal(mica_runtime *rt, const char *what, const uint8_t *f, size_t len,
			   const char *want)
{
	mica_error err = {0};
	int rc = mica_bytecode_check(rt, f, len, &err);
	CHECK(rc == MICA_ERR_INVALID && err.code == MICA_ERR_INVALID &&
		  strstr(err.message, "bytecode file: ") && strstr(err.message, want),
	      "%s: got %d '%s', want '%s'", what, rc, err.message, want);
}

/* A copy of good with `width` bytes at off set to v (little endian), the
 * checksum recomputed, so that only the check under test can object. */
static void mutate(mica_runtime *rt, mica_sandbox *sb, const uint8_t *good, size_t len,
		   const char *what, size_t off, int width, uint32_t v, const char *want)
{
	uint8_t *c = test_alloc(len);
	if (!c)
		return;
	memcpy(c, good, len);
	if (width == 4)
		put32(c + off, v);
	else
		c[off] = (uint8_t)v;
	resum(c, len);
	expect_refusal(rt, what, c, len, want);
	/* and load_bytecode refuses it the same way, before the guest sees it */
	mica_error err = {0};
	CHECK(mica_sandbox_load_bytecode(sb, c, len, &err) == MICA_ERR_INVALID &&
		  strstr(err.message, want),
	      "%s: load_bytecode said %d %s", what, err.code, err.message);
	free(c);
}

TEST(refuses_bad_files)
{
	NEED_BACKEND();
	mica_error err = {0};
	mica_runtime *rt = test_runtime();
	size_t len = 0;
	uint8_t *g = rt ? compile(rt, "app.js", app_js, &len) : NULL;
	mica_sandbox *sb = g ? sandbox(rt, NULL) : NULL;
	if (!sb)
		goto out;
	uint32_t n = get32(g + H_NAME_LEN);

	expect_refusal(rt, "empty", g, 0, ": empty");
	expect_refusal(rt, "text", (const uint8_t *)"export const x = 1;\n", 20,
		       "not a mica bytecode file");
	expect_refusal(rt, "short prefix of the magic", (const uint8_t *)"MIC", 3, "truncated");

	/* Truncated at every length. */
	int bad = 0;
	for (size_t cut = 1; cut < len; cut++) {
		memset(&err, 0, sizeof(err));
		if (mica_bytecode_check(rt, g, cut, &err) != MICA_ERR_INVALID ||
		    !strstr(err.message, "truncated")) {
			if (bad++ < 5)
				CHECK(0, "truncated at %zu of %zu: %s", cut, len, err.message);
		}
	}
	CHECK(!bad, "%d truncations not refused as truncated", bad);
	/* and through load_bytecode at a few of them */
	size_t cuts[] = {7, 8, 12, 47, 63, HDR, HDR + n, HDR + n + 1, len / 2, len - SUM, len - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		memset(&err, 0, sizeof(err));
		CHECK(mica_sandbox_load_bytecode(sb, g, cuts[i], &err) == MICA_ERR_INVALID &&
			  strstr(err.message, "truncated"),
		      "load truncated at %zu: %s", cuts[i], err.message);
	}
	{
		uint8_t *longer = test_alloc(len + 100);
		if (longer) {
			memcpy(longer, g, len);
			expect_refusal(rt, "100 bytes appended", longer, len + 100, "corrupted");
			free(longer);
		}
	}

	/* One flipped bit anywhere past the magic and format: sizes give
	 * truncated or corrupted, everything else the checksum. */
	bad = 0;
	uint8_t *c = test_alloc(len);
	for (size_t off = H_ABI; c && off < len; off++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(c, g, len);
			c[off] ^= (uint8_t)(1u << bit);
			memset(&err, 0, sizeof(err));
			int rc = mica_bytecode_check(rt, c, len, &err);
			int sizes = off >= H_NAME_LEN && off < H_RESERVED;
			int ok = rc == MICA_ERR_INVALID &&
				 (sizes ? strstr(err.message, "truncated") ||
					      strstr(err.message, "corrupted")
					: !!strstr(err.message, "checksum mismatch (corrupted)"));
			if (!ok && bad++ < 5)
				CHECK(0, "bit %d flipped at %zu: %d %s", bit, off, rc, err.message);
		}
	CHECK(!bad, "%d bit flips not refused as they should be", bad);
	if (c) {
		memcpy(c, g, len);
		c[len / 2] ^= 0x10;
		memset(&err, 0, sizeof(err));
		CHECK(mica_sandbox_load_bytecode(sb, c, len, &err) == MICA_ERR_INVALID &&
			  strstr(err.message, "checksum mismatch (corrupted)"),
		      "load of a flipped file: %s", err.message);
	}
	free(c);

	/* Each check on its own, the checksum made to match. */
	mutate(rt, sb, g, len, "magic", H_MAGIC, 1, 'X',
	       "not a mica bytecode file (no MICABC magic)");
	mutate(rt, sb, g, len, "magic padding", H_MAGIC + 7, 1, 1, "no MICABC magic");
	mutate(rt, sb, g, len, "format version", H_FORMAT, 4, 2,
	       "format version 2, this mica reads 1");
	mutate(rt, sb, g, len, "ABI version", H_ABI, 4, 99,
	       "made by another mica build (guest ABI version 99");
	mutate(rt, sb, g, len, "image hash", H_IMAGE + 31, 1, g[H_IMAGE + 31] ^ 0x80,
	       "made by another mica build (guest image differs)");
	mutate(rt, sb, g, len, "image hash first byte", H_IMAGE, 1, g[H_IMAGE] ^ 1,
	       "guest image differs");
	mutate(rt, sb, g, len, "reserved", H_RESERVED + 3, 1, 1,
	       "corrupted (reserved field is 16777216)");
	mutate(rt, sb, g, len, "NUL in the name", HDR + 1, 1, 0, "module name holds a NUL byte");
	mutate(rt, sb, g, len, "empty name", H_NAME_LEN, 4, 0, "impossible sizes");
	mutate(rt, sb, g, len, "no bytecode", H_CODE_LEN, 4, 0, "impossible sizes");
	mutate(rt, sb, g, len, "huge name", H_NAME_LEN, 4, 0xffffffffu, "impossible sizes");
	mutate(rt, sb, g, len, "bytecode beyond a request", H_CODE_LEN, 4, (3u << 20) - n - 1,
	       "impossible sizes");
	mutate(rt, sb, g, len, "name one byte longer", H_NAME_LEN, 4, n + 1, "truncated");
	mutate(rt, sb, g, len, "bytecode one byte shorter", H_CODE_LEN, 4,
	       get32(g + H_CODE_LEN) - 1, "corrupted");

	/* Nothing reached the guest: the sandbox loads the good file. */
	CHECK(mica_sandbox_load_bytecode(sb, g, len, &err) == MICA_OK,
	      "good file after refusals: %s", err.message);
	CHECK_RESULT(sb, "tick", "null", "1");
	CHECK(mica_bytecode_check(NULL, g, len, &err) == MICA_ERR_INVALID, "NULL runtime");
	CHECK(mica_bytecode_check(rt, NULL, 5, &err) == MICA_ERR_INVALID, "NULL file");
	CHECK(mica_sandbox_load_bytecode(NULL, g, len, &err) == MICA_ERR_INVALID, "NULL sandbox");
out:
	free(g);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
}

/* Bytecode with a valid checksum but altered content (what a tamperer
 * makes): QuickJS does not verify bytecode, so the guest may refuse it, run
 * it wrongly or fault, but only that sandbox is affected. The host stays
 * sound (ASan watches) and its other sandboxes keep working. */
TEST(tampered_bytecode_stays_in_its_sandbox)
{
	NEED_BACKEND();
	mica_error err = {0};
	mica_runtime *rt = test_runtime();
	size_t len = 0;
	uint8_t *g = rt ? compile(rt, "app.js", app_js, &len) : NULL;
	mica_sandbox *other = g ? sandbox(rt, NULL) : NULL;
	if (!other)
		goto out;
	CHECK(mica_sandbox_load_bytecode(other, g, len, &err) == MICA_OK, "load: %s", err.message);
	uint32_t n = get32(g + H_NAME_LEN), b = get32(g + H_CODE_LEN);
	uint8_t *c = test_alloc(len);
	int outcomes[8] = {0};
	for (int i = 0; c && i < 24; i++) {
		memcpy(c, g, len);
		/* spread over the bytecode: atoms, headers, instructions */
		size_t off = HDR + n + (size_t)i * b / 24 + 1;
		c[off] ^= (uint8_t)(0x5a + i);
		resum(c, len);
		mica_sandbox *sb = sandbox(rt, NULL);
		if (!sb)
			break;
		mica_sandbox_set_timeout(sb, 1000);
		memset(&err, 0, sizeof(err));
		int rc = mica_sandbox_load_bytecode(sb, c, len, &err);
		CHECK(rc >= MICA_OK && rc <= MICA_ERR_FAULT, "tampered at %zu: %d %s", off, rc,
		      err.message);
		if (rc >= 0 && rc < 8)
			outcomes[rc]++;
		mica_sandbox_free(sb);
	}
	free(c);
	/* A module name changed consistently in header and checksum, not in
	 * the bytecode: the guest refuses it. */
	c = test_alloc(len);
	if (c) {
		memcpy(c, g, len);
		c[HDR] = 'b'; /* "app.js" -> "bpp.js" */
		resum(c, len);
		memset(&err, 0, sizeof(err));
		CHECK(mica_sandbox_load_bytecode(other, c, len, &err) == MICA_ERR_INVALID &&
			  strstr(err.message, "module name"),
		      "renamed: %d %s", err.code, err.message);
		free(c);
	}
	CHECK_RESULT(other, "tick", "null", "1");
	printf("  tampered bytecode outcomes: ok %d, js %d, invalid %d, timeout %d, memory %d, "
	       "fault %d\n",
	       outcomes[0], outcomes[1], outcomes[2], outcomes[3], outcomes[4], outcomes[5]);
out:
	free(g);
	mica_sandbox_free(other);
	mica_runtime_free(rt);
}

int main(void)
{
	RUN(same_results_as_source);
	RUN(layout_matches_the_docs);
	RUN(top_level_await);
	RUN(imports_resolve_when_loaded);
	RUN(compiling_leaves_imports_alone);
	RUN(snapshot_after_bytecode);
	RUN(syntax_error_at_compile);
	RUN(refuses_bad_files);
	RUN(tampered_bytecode_stays_in_its_sandbox);
	return harness_report();
}

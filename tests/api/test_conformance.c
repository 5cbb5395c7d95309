/*
 * test_conformance: QuickJS's own tests (build/quickjs/tests, or the
 * directory in MICA_QJS_TESTS), each evaluated as a script in a fresh
 * sandbox. They throw on the first failed assertion.
 */
#include "harness.h"
#include "mica.h"

#define MIB ((size_t)1 << 20)

/* Reads a whole file into a NUL-terminated buffer. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
			*len = fread(buf, 1, (size_t)n, f);
			buf[*len] = 0;
		}
	}
	fclose(f);
	return buf;
}

/* Console output goes to our stderr, so that a failure shows its context. */
static void on_console(void *userdata, int stream, const char *data, size_t len)
{
	(void)userdata;
	(void)stream;
	fwrite(data, 1, len, stderr);
}

static void run_qjs_test(const char *file)
{
	NEED_BACKEND();
	const char *dir = getenv("MICA_QJS_TESTS");
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "build/quickjs/tests", file);
	size_t len = 0;
	char *src = read_file(path, &len);
	CHECK(src, "cannot read %s (set MICA_QJS_TESTS to QuickJS's tests directory)", path);
	if (!src)
		return;

	mica_error err = {0};
	mica_runtime *rt = mica_runtime_new(harness_opts(), &err);
	CHECK(rt, "mica_runtime_new: %s", err.message);
	mica_limits l;
	mica_limits_default(&l);
	l.memory_bytes = 64 * MIB;
	l.timeout_ms = 30000;
	mica_sandbox *sb = rt ? mica_sandbox_new(rt, &l, &err) : NULL;
	CHECK(!rt || sb, "mica_sandbox_new: %s", err.message);
	if (sb) {
		mica_sandbox_set_console(sb, on_console, NULL);
		char *res = NULL;
		size_t res_len = 0;
		int rc = mica_sandbox_eval(sb, path, src, len, &res, &res_len, &err);
		CHECK(rc == MICA_OK, "%s: %s (%d): %s", path, mica_code_name(rc), rc, err.message);
		free(res);
	}
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
	free(src);
}

#define QJS_TEST(name)                                                                             \
	TEST(name)                                                                                 \
	{                                                                                          \
		run_qjs_test(#name ".js");                                                         \
	}

QJS_TEST(test_closure)
QJS_TEST(test_language)
QJS_TEST(test_builtin)
QJS_TEST(test_loop)
QJS_TEST(test_bignum)
QJS_TEST(test_op_overloading)

int main(void)
{
	RUN(test_closure);
	RUN(test_language);
	RUN(test_builtin);
	RUN(test_loop);
	RUN(test_bignum);
	RUN(test_op_overloading);
	return harness_report();
}

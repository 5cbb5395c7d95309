/*
 * test_binary: binary data without JSON. Handler events as Uint8Array
 * (mica_sandbox_call_bytes), binary handler results as raw bytes, host
 * functions (sync and async) taking and returning bytes, and the size
 * limits. Every test boots real micro-VMs. (Hostile guests that claim bytes
 * at wild addresses are in test_hostile: proto_bytes_*.)
 */
#include <pthread.h>
#include <time.h>

#include "harness.h"
#include "mica.h"
#include "support.h"

#define MIB	(1024 * 1024)
#define IN_SIZE (3 * MIB) /* MICA_IN_SIZE: the largest request */

/* ---- host functions ------------------------------------------------------ */

/* bin.rev(x): the bytes of a binary argument reversed, as bytes; for any
 * other arguments the JSON string "json:" + their JSON. */
static void rev(mica_hostcall *call, void *userdata)
{
	(void)userdata;
	size_t len;
	const char *a = mica_hostcall_args(call, &len);
	if (!mica_hostcall_is_bytes(call)) {
		char buf[256];
		int n =
		    snprintf(buf, sizeof(buf), "\"json:%.*s\"", (int)(len < 200 ? len : 200), a);
		for (int i = 6; i < n - 1; i++) /* keep it a JSON string */
			if (buf[i] == '"')
				buf[i] = '\'';
		mica_hostcall_return(call, buf, (size_t)n);
		return;
	}
	unsigned char *out = malloc(len ? len : 1);
	if (!out) {
		mica_hostcall_fail(call, "oom");
		return;
	}
	for (size_t i = 0; i < len; i++)
		out[i] = (unsigned char)a[len - 1 - i];
	mica_hostcall_return_bytes(call, out, len);
	free(out);
}

/* bin.big(n): n zero bytes (the host's limits decide). */
static int big_rc;
static void big(mica_hostcall *call, void *userdata)
{
	(void)userdata;
	size_t len;
	const char *a = mica_hostcall_args(call, &len);
	size_t n = (size_t)strtoull(a + 1, NULL, 10);
	void *buf = calloc(1, n ? n : 1);
	big_rc = mica_hostcall_return_bytes(call, buf, n);
	free(buf);
}

/* bin.arev(x): rev, asynchronously, completed from another thread. */
static void *arev_thread(void *arg)
{
	mica_async_call *call = arg;
	struct timespec ts = {0, 5 * 1000 * 1000};
	nanosleep(&ts, NULL);
	size_t len;
	const char *a = mica_async_args(call, &len);
	if (!mica_async_is_bytes(call)) {
		mica_async_complete(call, "\"not bytes\"", 11);
		return NULL;
	}
	unsigned char *out = malloc(len ? len : 1);
	for (size_t i = 0; out && i < len; i++)
		out[i] = (unsigned char)a[len - 1 - i];
	if (out)
		mica_async_complete_bytes(call, out, len);
	else
		mica_async_fail(call, "oom");
	free(out);
	return NULL;
}

static void arev(mica_async_call *call, void *userdata)
{
	(void)userdata;
	pthread_t t;
	if (pthread_create(&t, NULL, arev_thread, call) == 0)
		pthread_detach(t);
	else
		mica_async_fail(call, "no thread");
}

/* bin.abig(n): n bytes asynchronously, at once. */
static int abig_rc;
static void abig(mica_async_call *call, void *userdata)
{
	(void)userdata;
	size_t len;
	const char *a = mica_async_args(call, &len);
	size_t n = (size_t)strtoull(a + 1, NULL, 10);
	void *buf = calloc(1, n ? n : 1);
	abig_rc = mica_async_complete_bytes(call, buf, n);
	free(buf);
}

static const char module_src[] =
    "import { rev, big, arev, abig } from 'host:bin';\n"
    "const u8 = (...b) => new Uint8Array(b);\n"
    "const hex = (x) => Array.from(x instanceof Uint8Array ? x : new Uint8Array(x), b => "
    "b.toString(16).padStart(2, '0')).join('');\n"
    "export function describe(ev) {\n"
    "  return { type: Object.prototype.toString.call(ev), isU8: ev instanceof Uint8Array,\n"
    "           len: ev.length, off: ev.byteOffset, hex: hex(ev) };\n"
    "}\n"
    "export const echo = (ev) => ev;\n"
    "export function u8arr() { return u8(1, 2, 3, 255); }\n"
    "export function abuf() { return u8(104, 105, 0, 10).buffer; }\n"
    "export function sub() { return u8(0, 1, 2, 3, 4, 5, 6).subarray(2, 5); }\n"
    "export function dview() { return new DataView(u8(9, 8, 7, 6, 5).buffer, 1, 3); }\n"
    "export function empty() { return new ArrayBuffer(0); }\n"
    "export function emptyView() { return u8(1, 2).subarray(2); }\n"
    "export function f32() { return new Float32Array([1]); }\n"
    "export async function later() { await null; return u8(7, 7); }\n"
    "export function json() { return { a: 1 }; }\n"
    "export function hostSync() {\n"
    "  const r = rev(u8(1, 2, 3));\n"
    "  return [r instanceof Uint8Array, hex(r), hex(rev(new DataView(u8(1, 2, 3, 4).buffer, 1, "
    "2))),\n"
    "          hex(rev(u8(5, 6).buffer)), hex(rev(u8(0, 1, 2, 3, 4).subarray(1, 4))),\n"
    "          hex(rev(new Uint16Array([0x0102]))), rev(new Uint8Array(0)).length,\n"
    "          rev(1, 2), rev([1, 2]), rev(u8(1), 2), rev({ a: 1 })];\n"
    "}\n"
    "export async function hostAsync() {\n"
    "  const [a, b, c, d] = await Promise.all([arev(u8(1, 2, 3)), arev(new DataView(u8(9, 8, "
    "7).buffer, 1)),\n"
    "                                   arev(new ArrayBuffer(0)), arev('text')]);\n"
    "  return [a instanceof Uint8Array, hex(a), hex(b), c instanceof Uint8Array && c.length, d];\n"
    "}\n"
    "export function bigSync(n) { return big(n).length; }\n"
    "export async function bigAsync(n) { try { return (await abig(n)).length } catch (e) { return "
    "'rejected: ' + e.message } }\n"
    "export function hostEcho(ev) { return rev(rev(ev)); }\n"
    "export function tooBig() { return new Uint8Array(48 * 1024 * 1024); }\n";

static mica_runtime *runtime(void)
{
	mica_runtime *rt = test_runtime();
	if (!rt)
		return NULL;
	CHECK(mica_runtime_register(rt, "bin", "rev", rev, NULL) == MICA_OK, "register rev");
	CHECK(mica_runtime_register(rt, "bin", "big", big, NULL) == MICA_OK, "register big");
	CHECK(mica_runtime_register_async(rt, "bin", "arev", arev, NULL) == MICA_OK,
	      "register arev");
	CHECK(mica_runtime_register_async(rt, "bin", "abig", abig, NULL) == MICA_OK,
	      "register abig");
	return rt;
}

/* A runtime and a sandbox with module_src loaded (memory in MiB, 0: default). */
static mica_sandbox *loaded(mica_runtime **rt, size_t memory_mib)
{
	*rt = runtime();
	if (!*rt)
		return NULL;
	mica_limits lim;
	mica_limits_default(&lim);
	if (memory_mib)
		lim.memory_bytes = memory_mib * MIB;
	mica_error err;
	mica_sandbox *sb = mica_sandbox_new(*rt, &lim, &err);
	CHECK(sb, "sandbox: %s", err.message);
	if (!sb)
		return NULL;
	int rc = mica_sandbox_load(sb, "bin.js", module_src, strlen(module_src), &err);
	CHECK(rc == MICA_OK, "load: %s", err.message);
	if (rc) {
		mica_sandbox_free(sb);
		return NULL;
	}
	return sb;
}

static void done(mica_sandbox *sb, mica_runtime *rt)
{
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
}

/* Calls handler with a JSON event and expects a result: JSON text (bytes
 * NULL) or raw bytes. */
static void expect_call(mica_sandbox *sb, const char *handler, const char *json, const void *bytes,
			size_t bytes_len, const char *want_json)
{
	char *res = NULL;
	size_t len = 0;
	mica_error err = {0};
	int rc = mica_sandbox_call(sb, handler, json, strlen(json), &res, &len, &err);
	CHECK(rc == MICA_OK, "%s: %d %s", handler, rc, err.message);
	if (rc == MICA_OK && want_json) {
		CHECK(!mica_sandbox_result_is_bytes(sb), "%s: JSON result said to be bytes",
		      handler);
		CHECK(len == strlen(want_json) && !memcmp(res, want_json, len),
		      "%s: result %s, want %s", handler, res, want_json);
	} else if (rc == MICA_OK) {
		CHECK(mica_sandbox_result_is_bytes(sb), "%s: bytes result not said to be bytes",
		      handler);
		CHECK(len == bytes_len && (!len || !memcmp(res, bytes, len)),
		      "%s: %zu bytes, want %zu", handler, len, bytes_len);
		CHECK(res && res[len] == 0, "%s: no NUL after the bytes", handler);
	}
	free(res);
}

/* Calls handler with a bytes event and expects a JSON result. */
static void expect_bytes_call(mica_sandbox *sb, const char *handler, const void *data, size_t len,
			      const char *want_json)
{
	void *res = NULL;
	size_t res_len = 0;
	int is_bytes = -1;
	mica_error err = {0};
	int rc = mica_sandbox_call_bytes(sb, handler, data, len, &res, &res_len, &is_bytes, &err);
	CHECK(rc == MICA_OK, "%s: %d %s", handler, rc, err.message);
	if (rc == MICA_OK) {
		CHECK(is_bytes == 0, "%s: is_bytes %d", handler, is_bytes);
		CHECK(res_len == strlen(want_json) && !memcmp(res, want_json, res_len),
		      "%s: result %s, want %s", handler, (char *)res, want_json);
	}
	free(res);
}

/* ---- tests --------------------------------------------------------------- */

TEST(event_bytes)
{
	NEED_BACKEND();
	mica_runtime *rt;
	mica_sandbox *sb = loaded(&rt, 0);
	if (sb) {
		const unsigned char ev[] = {0, 1, 0x7f, 0x80, 0xff, '"', '\\', 0};
		expect_bytes_call(
		    sb, "describe", ev, sizeof(ev),
		    "{\"type\":\"[object Uint8Array]\",\"isU8\":true,\"len\":8,\"off\":0,"
		    "\"hex\":\"00017f80ff225c00\"}");
		expect_bytes_call(sb, "describe", NULL, 0,
				  "{\"type\":\"[object "
				  "Uint8Array]\",\"isU8\":true,\"len\":0,\"off\":0,\"hex\":\"\"}");
		expect_bytes_call(sb, "describe", "", 0,
				  "{\"type\":\"[object "
				  "Uint8Array]\",\"isU8\":true,\"len\":0,\"off\":0,\"hex\":\"\"}");
		/* {bad is not parsed: it is bytes */
		expect_bytes_call(
		    sb, "describe", "{bad", 4,
		    "{\"type\":\"[object Uint8Array]\",\"isU8\":true,\"len\":4,\"off\":0,"
		    "\"hex\":\"7b626164\"}");
		/* bytes in, bytes out */
		void *res = NULL;
		size_t len = 0;
		int is_bytes = 0;
		mica_error err;
		int rc = mica_sandbox_call_bytes(sb, "echo", ev, sizeof(ev), &res, &len, &is_bytes,
						 &err);
		CHECK(rc == MICA_OK && is_bytes == 1 && len == sizeof(ev) && !memcmp(res, ev, len),
		      "echo: %d %s, is_bytes %d, %zu bytes", rc, err.message, is_bytes, len);
		CHECK(mica_sandbox_result_is_bytes(sb) == 1, "result_is_bytes after call_bytes");
		free(res);
		/* NULL outputs are allowed */
		rc = mica_sandbox_call_bytes(sb, "echo", ev, sizeof(ev), NULL, NULL, NULL, &err);
		CHECK(rc == MICA_OK, "echo without outputs: %s", err.message);
		rc = mica_sandbox_call_bytes(sb, "echo", NULL, 3, &res, &len, &is_bytes, &err);
		CHECK(rc == MICA_ERR_INVALID && !res && !is_bytes, "NULL data with a length: %d",
		      rc);
		rc = mica_sandbox_call_bytes(sb, "nope", "x", 1, &res, &len, &is_bytes, &err);
		CHECK(rc == MICA_ERR_INVALID && strstr(err.message, "no handler named 'nope'"),
		      "unknown: %s", err.message);
		CHECK(mica_sandbox_result_is_bytes(sb) == 0, "result_is_bytes after a failure");
	}
	done(sb, rt);
}

TEST(binary_results)
{
	NEED_BACKEND();
	mica_runtime *rt;
	mica_sandbox *sb = loaded(&rt, 0);
	if (sb) {
		expect_call(sb, "u8arr", "null", "\x01\x02\x03\xff", 4, NULL);
		expect_call(sb, "abuf", "null", "hi\0\n", 4, NULL);
		expect_call(sb, "sub", "null", "\x02\x03\x04", 3, NULL);
		expect_call(sb, "dview", "null", "\x08\x07\x06", 3, NULL);
		expect_call(sb, "empty", "null", "", 0, NULL);
		expect_call(sb, "emptyView", "null", "", 0, NULL);
		float one = 1;
		expect_call(sb, "f32", "null", &one, 4, NULL);
		expect_call(sb, "later", "null", "\x07\x07", 2, NULL);
		expect_call(sb, "json", "null", NULL, 0, "{\"a\":1}");
		/* a JSON event echoed stays JSON; an array is not binary data */
		expect_call(sb, "echo", "[1,2]", NULL, 0, "[1,2]");
		expect_call(sb, "u8arr", "null", "\x01\x02\x03\xff", 4, NULL);
		/* any other operation clears the flag */
		char *res = NULL;
		size_t len;
		mica_error err;
		CHECK(mica_sandbox_eval(sb, "e.js", "new Uint8Array(2)", 17, &res, &len, &err) ==
			  MICA_OK,
		      "eval: %s", err.message);
		CHECK(res && !strcmp(res, "Uint8Array(2) [ 0, 0 ]"), "eval prints, not bytes: %s",
		      res);
		CHECK(!mica_sandbox_result_is_bytes(sb), "result_is_bytes after eval");
		free(res);
	}
	done(sb, rt);
}

TEST(binary_results_from_snapshot_clones)
{
	NEED_BACKEND();
	mica_runtime *rt;
	mica_sandbox *sb = loaded(&rt, 0);
	mica_error err;
	mica_snapshot *snap = sb ? mica_snapshot_take(sb, &err) : NULL;
	CHECK(!sb || snap, "snapshot: %s", err.message);
	mica_sandbox *clone = snap ? mica_sandbox_from_snapshot(rt, snap, &err) : NULL;
	CHECK(!snap || clone, "clone: %s", err.message);
	if (clone) {
		expect_call(clone, "sub", "null", "\x02\x03\x04", 3, NULL);
		CHECK(mica_sandbox_reset(clone, &err) == MICA_OK, "reset: %s", err.message);
		CHECK(!mica_sandbox_result_is_bytes(clone), "reset clears the flag");
		expect_bytes_call(
		    clone, "describe", "ab", 2,
		    "{\"type\":\"[object Uint8Array]\",\"isU8\":true,\"len\":2,\"off\":0,"
		    "\"hex\":\"6162\"}");
	}
	mica_sandbox_free(clone);
	mica_snapshot_free(snap);
	done(sb, rt);
}

TEST(host_function_bytes)
{
	NEED_BACKEND();
	mica_runtime *rt;
	mica_sandbox *sb = loaded(&rt, 0);
	if (sb)
		expect_call(
		    sb, "hostSync", "null", NULL, 0,
		    "[true,\"030201\",\"0302\",\"0605\",\"030201\",\"0102\",0,"
		    "\"json:[1,2]\",\"json:[[1,2]]\",\"json:[{'0':1},2]\",\"json:[{'a':1}]\"]");
	/* bytes through a host function and back: reversed twice */
	const unsigned char ev[] = {1, 2, 3, 4, 5, 0, 255};
	void *res = NULL;
	size_t len = 0;
	int is_bytes = 0;
	mica_error err;
	int rc = sb ? mica_sandbox_call_bytes(sb, "hostEcho", ev, sizeof(ev), &res, &len, &is_bytes,
					      &err)
		    : -1;
	CHECK(!sb || (rc == MICA_OK && is_bytes && len == sizeof(ev) && !memcmp(res, ev, len)),
	      "hostEcho: %d, %zu bytes", rc, len);
	free(res);
	done(sb, rt);
}

TEST(async_host_function_bytes)
{
	NEED_BACKEND();
	mica_runtime *rt;
	mica_sandbox *sb = loaded(&rt, 0);
	if (sb)
		expect_call(sb, "hostAsync", "null", NULL, 0,
			    "[true,\"030201\",\"0708\",0,\"not bytes\"]");
	done(sb, rt);
}

TEST(large_payloads)
{
	NEED_BACKEND();
	mica_runtime *rt;
	mica_sandbox *sb = loaded(&rt, 128);
	if (!sb) {
		done(sb, rt);
		return;
	}
	/* the largest event: name, NUL, data, NUL fill the 3 MiB request buffer */
	size_t max = IN_SIZE - 2 - strlen("echo");
	unsigned char *ev = malloc(max + 1);
	CHECK(ev, "malloc");
	if (!ev) {
		done(sb, rt);
		return;
	}
	for (size_t i = 0; i <= max; i++)
		ev[i] = (unsigned char)(i * 7 + (i >> 12));
	void *res = NULL;
	size_t len = 0;
	int is_bytes = 0;
	mica_error err;
	int rc = mica_sandbox_call_bytes(sb, "echo", ev, max, &res, &len, &is_bytes, &err);
	CHECK(rc == MICA_OK && is_bytes && len == max && !memcmp(res, ev, max),
	      "largest event: %d %s, %zu bytes", rc, err.message, len);
	free(res);
	res = NULL;
	rc = mica_sandbox_call_bytes(sb, "echo", ev, max + 1, &res, &len, &is_bytes, &err);
	CHECK(rc == MICA_ERR_INVALID && strstr(err.message, "request too large") && !res,
	      "one byte more: %d %s", rc, err.message);
	/* the sandbox is still usable */
	rc = mica_sandbox_call_bytes(sb, "echo", ev, 100, &res, &len, &is_bytes, &err);
	CHECK(rc == MICA_OK && len == 100, "after a refusal: %d %s", rc, err.message);
	free(res);
	/* through a host function (reversed twice): arguments in place, result
	 * into the request buffer */
	size_t hmax = IN_SIZE - 2 - strlen("hostEcho");
	rc = mica_sandbox_call_bytes(sb, "hostEcho", ev, hmax, &res, &len, &is_bytes, &err);
	CHECK(rc == MICA_OK && is_bytes && len == hmax && !memcmp(res, ev, hmax),
	      "hostEcho 3 MiB: %d %s", rc, err.message);
	free(res);
	free(ev);

	/* host function results: below 3 MiB fine, 3 MiB refused (undefined) */
	char *out = NULL;
	char arg[32];
	snprintf(arg, sizeof(arg), "%d", IN_SIZE - 1);
	rc = mica_sandbox_call(sb, "bigSync", arg, strlen(arg), &out, &len, &err);
	CHECK(rc == MICA_OK && out && atoi(out) == IN_SIZE - 1 && big_rc == MICA_OK,
	      "big %s: %d %s %s", arg, rc, err.message, out);
	free(out);
	snprintf(arg, sizeof(arg), "%d", IN_SIZE);
	rc = mica_sandbox_call(sb, "bigSync", arg, strlen(arg), &out, &len, &err);
	CHECK(rc == MICA_ERR_JS && big_rc == MICA_ERR_INVALID && strstr(err.message, "TypeError"),
	      "big %s: %d %s (the host function returned undefined)", arg, rc, err.message);
	free(out);
	snprintf(arg, sizeof(arg), "%d", IN_SIZE - 64);
	rc = mica_sandbox_call(sb, "bigAsync", arg, strlen(arg), &out, &len, &err);
	CHECK(rc == MICA_OK && out && atoi(out) == IN_SIZE - 64 && abig_rc == MICA_OK,
	      "abig %s: %d %s %s", arg, rc, err.message, out);
	free(out);
	snprintf(arg, sizeof(arg), "%d", IN_SIZE);
	rc = mica_sandbox_call(sb, "bigAsync", arg, strlen(arg), &out, &len, &err);
	CHECK(rc == MICA_OK && out && strstr(out, "rejected: host function result too large") &&
		  abig_rc == MICA_ERR_INVALID,
	      "abig %s: %d %s %s", arg, rc, err.message, out);
	free(out);

	/* a binary result the host would refuse (48 MiB) fails in the guest */
	rc = mica_sandbox_call(sb, "tooBig", "null", 4, &out, &len, &err);
	CHECK(rc == MICA_ERR_JS && strstr(err.message, "too large"), "48 MiB result: %d %s", rc,
	      err.message);
	CHECK(!out, "no result");
	rc = mica_sandbox_call(sb, "u8arr", "null", 4, &out, &len, &err);
	CHECK(rc == MICA_OK && len == 4, "usable after: %d %s", rc, err.message);
	free(out);
	done(sb, rt);
}

int main(void)
{
	RUN(event_bytes);
	RUN(binary_results);
	RUN(binary_results_from_snapshot_clones);
	RUN(host_function_bytes);
	RUN(async_host_function_bytes);
	RUN(large_payloads);
	return harness_report();
}

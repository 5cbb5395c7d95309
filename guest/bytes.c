/* Strings to bytes and back, natively, for web.js and fetch.js: a request's
 * head arrives as bytes and its header names and values are strings of one
 * byte per character (latin1), a response's head goes back the same way,
 * and bodies are UTF-8. QuickJS's interpreter took 40-70 ns a byte to do
 * that in JavaScript: a fifth of a small request's time in the guest, and
 * most of a large text body's. */
#include <string.h>

#include "runtime.h"

/* The bytes v views (a typed array, DataView or ArrayBuffer), or NULL with
 * a TypeError pending. */
static uint8_t *bytes_of(JSContext *c, JSValueConst v, size_t *len)
{
	static uint8_t none; /* where an empty buffer has no memory */
	uint8_t *p;
	int k = JS_GetBinaryBytes(c, v, &p, len);
	if (k == 0)
		JS_ThrowTypeError(c, "not binary data");
	return k != 1 ? NULL : p ? p : &none;
}

/* A range [at, at + n) of a buffer of len bytes, from two JS numbers. */
static int range_of(JSContext *c, JSValueConst a, JSValueConst b, size_t len, size_t *at, size_t *n)
{
	int64_t x, y;
	if (JS_ToInt64(c, &x, a) < 0 || JS_ToInt64(c, &y, b) < 0)
		return -1;
	if (x < 0 || y < 0 || (uint64_t)x > len || (uint64_t)y > len - (uint64_t)x) {
		JS_ThrowRangeError(c, "out of the buffer's bounds");
		return -1;
	}
	*at = (size_t)x;
	*n = (size_t)y;
	return 0;
}

/* text(u8, at, n): the string of the n bytes at u8[at], one character each. */
static JSValue js_text(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	size_t len, at, n, wide = 0;
	const uint8_t *p = bytes_of(c, argv[0], &len);
	if (!p || range_of(c, argv[1], argv[2], len, &at, &n))
		return JS_EXCEPTION;
	p += at;
	for (size_t i = 0; i < n; i++)
		wide += p[i] >> 7;
	if (!wide) /* ASCII, the usual case: it is its own UTF-8 */
		return JS_NewStringLen(c, (const char *)p, n);
	/* JS_NewStringLen takes UTF-8: 0x80..0xFF become two bytes */
	char *u = js_malloc(c, n + wide);
	if (!u)
		return JS_EXCEPTION;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x80) {
			u[o++] = (char)p[i];
		} else {
			u[o++] = (char)(0xc0 | p[i] >> 6);
			u[o++] = (char)(0x80 | (p[i] & 0x3f));
		}
	}
	JSValue s = JS_NewStringLen(c, u, o);
	js_free(c, u);
	return s;
}

/* put(u8, at, s): writes s at u8[at], a byte per character (a TypeError if
 * one is above U+00FF); returns where it ended. */
static JSValue js_put(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	size_t len, n;
	int64_t at;
	uint8_t *p = bytes_of(c, argv[0], &len);
	if (!p || JS_ToInt64(c, &at, argv[1]) < 0)
		return JS_EXCEPTION;
	if (at < 0 || (uint64_t)at > len)
		return JS_ThrowRangeError(c, "out of the buffer's bounds");
	const char *s = JS_ToCStringLen(c, &n, argv[2]); /* UTF-8 */
	if (!s)
		return JS_EXCEPTION;
	JSValue r = JS_EXCEPTION;
	size_t o = (size_t)at;
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];
		if (b >= 0x80) { /* only C2 and C3 lead to U+0080..U+00FF */
			if ((b != 0xc2 && b != 0xc3) || i + 1 == n) {
				JS_ThrowTypeError(c, "a character above U+00FF in a byte string");
				goto out;
			}
			b = (unsigned char)((b & 0x03) << 6 | ((unsigned char)s[++i] & 0x3f));
		}
		if (o == len) {
			JS_ThrowRangeError(c, "out of the buffer's bounds");
			goto out;
		}
		p[o++] = b;
	}
	r = JS_NewInt64(c, (int64_t)o);
out:
	JS_FreeCString(c, s);
	return r;
}

/* utf8(s): s in UTF-8 (a Uint8Array), a lone surrogate as U+FFFD, as
 * TextEncoder.encode() has it. */
static JSValue js_utf8(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	size_t n;
	/* QuickJS writes a lone surrogate as its own three bytes (ED A0..BF
	 * xx), U+FFFD's length; s may be the string's own memory: fixed in a
	 * copy, when there is one (0xED only ever leads a sequence) */
	const char *s = JS_ToCStringLen(c, &n, argv[0]);
	if (!s)
		return JS_EXCEPTION;
	const char *lone = NULL;
	for (size_t i = 0; i + 2 < n && !lone; i++)
		if ((unsigned char)s[i] == 0xed && (unsigned char)s[i + 1] >= 0xa0)
			lone = s + i;
	JSValue r;
	if (!lone) {
		r = mica_new_bytes(c, s, n);
	} else {
		uint8_t *u = js_malloc(c, n);
		r = JS_EXCEPTION;
		if (u) {
			memcpy(u, s, n);
			for (size_t i = (size_t)(lone - s); i + 2 < n; i++)
				if (u[i] == 0xed && u[i + 1] >= 0xa0) {
					u[i] = 0xef, u[i + 1] = 0xbf, u[i + 2] = 0xbd;
					i += 2;
				}
			r = mica_new_bytes(c, u, n);
			js_free(c, u);
		}
	}
	JS_FreeCString(c, s);
	return r;
}

static const JSCFunctionListEntry latin1_funcs[] = {
    JS_CFUNC_DEF("text", 3, js_text),
    JS_CFUNC_DEF("put", 3, js_put),
};

int mica_bytes_prepare_web(JSContext *c, JSValueConst global)
{
	return JS_SetPropertyStr(c, global, "__mica_utf8",
				 JS_NewCFunction(c, js_utf8, "__mica_utf8", 1)) < 0
		   ? -1
		   : 0;
}

int mica_bytes_prepare_fetch(JSContext *c, JSValueConst global)
{
	return mica_define_natives(c, global, "__mica_latin1", latin1_funcs,
				   sizeof(latin1_funcs) / sizeof(latin1_funcs[0]));
}

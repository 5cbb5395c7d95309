/* Strings to bytes and back, natively, for web.js and fetch.js: a request's
 * head arrives as bytes and its header names and values are strings of one
 * byte per character (latin1), a response's head goes back the same way,
 * and bodies are UTF-8 (TextEncoder, TextDecoder); base64 (btoa, atob) and
 * the URL standard's percent-decoding and form encoding. QuickJS's
 * interpreter took 40-400 ns a byte to do that in JavaScript: a fifth of a
 * small request's time in the guest, and most of a large text body's. */
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

/* The string of the n bytes at p, one character each; lower: with A-Z and
 * U+00C0..U+00DE (but U+00D7) lowered, as toLowerCase() does in latin1. */
static JSValue latin1_string(JSContext *c, const uint8_t *p, size_t n, int lower)
{
	size_t wide = 0;
	int upper = 0;
	for (size_t i = 0; i < n; i++) {
		wide += p[i] >> 7;
		upper |= (p[i] >= 'A' && p[i] <= 'Z') || p[i] >= 0xc0;
	}
	if (!wide && !(lower && upper)) /* ASCII, the usual case: its own UTF-8 */
		return JS_NewStringLen(c, (const char *)p, n);
	/* JS_NewStringLen takes UTF-8: 0x80..0xFF become two bytes */
	char *u = js_malloc(c, n + wide);
	if (!u)
		return JS_EXCEPTION;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned b = p[i];
		if (lower && ((b >= 'A' && b <= 'Z') || (b >= 0xc0 && b <= 0xde && b != 0xd7)))
			b += 0x20;
		if (b < 0x80) {
			u[o++] = (char)b;
		} else {
			u[o++] = (char)(0xc0 | b >> 6);
			u[o++] = (char)(0x80 | (b & 0x3f));
		}
	}
	JSValue s = JS_NewStringLen(c, u, o);
	js_free(c, u);
	return s;
}

/* head(u8, at, count): count fields from u8[at], each a u32 (little
 * endian) length and that many bytes (a request's or a response's head:
 * two strings, then header names and values), as [first, second, pairs,
 * end]: pairs [[name lowered, value], ...] (a Headers' list; an odd last
 * field is dropped), end where the fields ended. A RangeError if they run
 * past the buffer. */
static JSValue js_head(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	size_t len;
	int64_t at64, count;
	const uint8_t *p = bytes_of(c, argv[0], &len);
	if (!p || JS_ToInt64(c, &at64, argv[1]) < 0 || JS_ToInt64(c, &count, argv[2]) < 0)
		return JS_EXCEPTION;
	if (at64 < 0 || (uint64_t)at64 > len || count < 0 || (uint64_t)count > len)
		return JS_ThrowRangeError(c, "out of the buffer's bounds");
	JSValue out = JS_NewArray(c), pairs = JS_NewArray(c), pair = JS_UNDEFINED;
	size_t at = (size_t)at64;
	if (JS_IsException(out) || JS_IsException(pairs))
		goto fail;
	for (int64_t k = 0; k < count; k++) {
		if (len - at < 4)
			goto bounds;
		size_t n = (size_t)p[at] | (size_t)p[at + 1] << 8 | (size_t)p[at + 2] << 16 |
			   (size_t)p[at + 3] << 24;
		at += 4;
		if (len - at < n)
			goto bounds;
		JSValue s = latin1_string(c, p + at, n, k >= 2 && !(k & 1));
		at += n;
		if (JS_IsException(s))
			goto fail;
		if (k < 2) {
			if (JS_DefinePropertyValueUint32(c, out, (uint32_t)k, s, JS_PROP_C_W_E) < 0)
				goto fail;
		} else if (!(k & 1)) {
			if (k + 1 == count) { /* a name without its value */
				JS_FreeValue(c, s);
				break;
			}
			pair = JS_NewArray(c);
			if (JS_IsException(pair)) {
				JS_FreeValue(c, s);
				goto fail;
			}
			if (JS_DefinePropertyValueUint32(c, pair, 0, s, JS_PROP_C_W_E) < 0)
				goto fail;
		} else {
			if (JS_DefinePropertyValueUint32(c, pair, 1, s, JS_PROP_C_W_E) < 0)
				goto fail;
			JSValue full = pair; /* a define takes its value, even failing */
			pair = JS_UNDEFINED;
			if (JS_DefinePropertyValueUint32(c, pairs, (uint32_t)(k / 2 - 1), full,
							 JS_PROP_C_W_E) < 0)
				goto fail;
		}
	}
	JSValue list = pairs;
	pairs = JS_UNDEFINED;
	if (JS_DefinePropertyValueUint32(c, out, 2, list, JS_PROP_C_W_E) < 0 ||
	    JS_DefinePropertyValueUint32(c, out, 3, JS_NewInt64(c, (int64_t)at), JS_PROP_C_W_E) < 0)
		goto fail;
	return out;
bounds:
	JS_ThrowRangeError(c, "out of the buffer's bounds");
fail:
	JS_FreeValue(c, pairs);
	JS_FreeValue(c, pair);
	JS_FreeValue(c, out);
	return JS_EXCEPTION;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Appends string v, a byte string (each character at most U+00FF, else a
 * TypeError), to *h as u32 length + a byte per character, growing *h;
 * -1 with an exception pending. */
static int head_put(JSContext *c, uint8_t **h, size_t *n, size_t *cap, JSValueConst v)
{
	size_t u;
	const char *s = JS_ToCStringLen(c, &u, v); /* UTF-8: as long as its bytes, or longer */
	if (!s)
		return -1;
	int r = -1;
	if (*cap - *n < 4 + u) {
		size_t want = (*n + 4 + u) * 2;
		uint8_t *g = js_realloc(c, *h, want);
		if (!g)
			goto out;
		*h = g;
		*cap = want;
	}
	size_t o = *n + 4;
	for (size_t i = 0; i < u; i++) {
		unsigned char b = (unsigned char)s[i];
		if (b >= 0x80) { /* only C2 and C3 lead to U+0080..U+00FF */
			if ((b != 0xc2 && b != 0xc3) || i + 1 == u) {
				JS_ThrowTypeError(c, "a character above U+00FF in a byte string");
				goto out;
			}
			b = (unsigned char)((b & 0x03) << 6 | ((unsigned char)s[++i] & 0x3f));
		}
		(*h)[o++] = b;
	}
	put_u32(*h + *n, (uint32_t)(o - *n - 4));
	*n = o;
	r = 0;
out:
	JS_FreeCString(c, s);
	return r;
}

/* frame(status, reason, list, body, first): the frame of a response's head
 * for respond() (fetch.js encodeResponse): u32 status, u32 header count
 * (list holds names and values, flat), u32 body length (0xffffffff: body
 * null, it is streamed), then the reason and each name and value as u32
 * length + bytes, then body's first `first` bytes. */
static JSValue js_frame(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	uint32_t status, count;
	int64_t first = 0;
	JSValue lv = JS_GetPropertyStr(c, argv[2], "length");
	int bad = JS_IsException(lv) || JS_ToUint32(c, &status, argv[0]) < 0 ||
		  JS_ToUint32(c, &count, lv) < 0 ||
		  (!JS_IsNull(argv[3]) && JS_ToInt64(c, &first, argv[4]) < 0);
	JS_FreeValue(c, lv);
	if (bad)
		return JS_EXCEPTION;
	size_t n = 12, cap = 256;
	uint8_t *h = js_malloc(c, cap);
	JSValue out = JS_EXCEPTION;
	if (!h || head_put(c, &h, &n, &cap, argv[1]) < 0)
		goto done;
	for (uint32_t i = 0; i < count; i++) {
		JSValue e = JS_GetPropertyUint32(c, argv[2], i);
		int r = JS_IsException(e) ? -1 : head_put(c, &h, &n, &cap, e);
		JS_FreeValue(c, e);
		if (r < 0)
			goto done;
	}
	size_t blen = 0;
	const uint8_t *body = NULL;
	if (!JS_IsNull(argv[3])) {
		if (!(body = bytes_of(c, argv[3], &blen)))
			goto done;
		if (first < 0 || (uint64_t)first > blen) {
			JS_ThrowRangeError(c, "out of the buffer's bounds");
			goto done;
		}
	}
	put_u32(h, status);
	put_u32(h + 4, count / 2);
	put_u32(h + 8, body ? (uint32_t)blen : 0xffffffffu);
	out = mica_new_bytes(c, NULL, n + (size_t)first);
	uint8_t *p = NULL;
	size_t plen;
	if (!JS_IsException(out) && JS_GetBinaryBytes(c, out, &p, &plen) != 1) {
		JS_FreeValue(c, out);
		out = JS_EXCEPTION;
	}
	if (p) {
		memcpy(p, h, n);
		if (first)
			memcpy(p + n, body, (size_t)first);
	}
done:
	js_free(c, h);
	return out;
}

/* QuickJS writes a lone surrogate as its own three bytes (ED A0..BF xx):
 * U+FFFD's length, and 0xED only ever leads a sequence. Each becomes U+FFFD
 * in u[0..n), as TextEncoder has it. */
static void fix_lone_surrogates(uint8_t *u, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++)
		if (u[i] == 0xed && u[i + 1] >= 0xa0) {
			u[i] = 0xef, u[i + 1] = 0xbf, u[i + 2] = 0xbd;
			i += 2;
		}
}

/* The UTF-8 of v as a string, in a copy (js_free it) of *len bytes, lone
 * surrogates as U+FFFD; NULL with an exception. */
static uint8_t *utf8_of(JSContext *c, JSValueConst v, size_t *len)
{
	const char *s = JS_ToCStringLen(c, len, v);
	if (!s)
		return NULL;
	uint8_t *u = js_malloc(c, *len + 1);
	if (u) {
		memcpy(u, s, *len);
		fix_lone_surrogates(u, *len);
	}
	JS_FreeCString(c, s);
	return u;
}

/* utf8encode(s): s in UTF-8, a Uint8Array. Straight from the C string into
 * the array, which is then fixed in place: a large body is in memory twice
 * at most, besides the string (the C string may be the string's own). */
static JSValue js_utf8_encode(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	size_t n;
	const char *s = JS_ToCStringLen(c, &n, argv[0]);
	if (!s)
		return JS_EXCEPTION;
	JSValue r = mica_new_bytes(c, s, n);
	JS_FreeCString(c, s);
	size_t len;
	uint8_t *p = JS_IsException(r) ? NULL : bytes_of(c, r, &len);
	if (p)
		fix_lone_surrogates(p, len);
	return r;
}

/* The Encoding standard's UTF-8 decoder over p[0..n), each maximal subpart
 * of an ill-formed sequence one U+FFFD (as EF BF BD): writes the UTF-8 to out
 * when out is not NULL (at most 3n bytes) and returns its length. *bad: 1 if
 * there was an error. *held: with stream, the bytes of a sequence the end cut
 * short (the caller puts them before the next chunk's); without, that
 * sequence is an error too. The output is valid UTF-8 without surrogates,
 * which JS_NewStringLen takes as it is. */
static size_t utf8_decode(const uint8_t *p, size_t n, uint8_t *out, int stream, int *bad,
			  size_t *held)
{
	size_t i = 0, o = 0, start = 0;
	unsigned need = 0, seen = 0, lo = 0x80, hi = 0xbf;
	*bad = 0;
	while (i < n) {
		unsigned b = p[i];
		if (need == 0) {
			start = i++;
			if (b < 0x80) {
				if (out)
					out[o] = (uint8_t)b;
				o++;
				continue;
			}
			if (b >= 0xc2 && b <= 0xdf) {
				need = 1;
			} else if (b >= 0xe0 && b <= 0xef) {
				lo = b == 0xe0 ? 0xa0 : 0x80;
				hi = b == 0xed ? 0x9f : 0xbf;
				need = 2;
			} else if (b >= 0xf0 && b <= 0xf4) {
				lo = b == 0xf0 ? 0x90 : 0x80;
				hi = b == 0xf4 ? 0x8f : 0xbf;
				need = 3;
			} else {
				goto error; /* the byte is consumed */
			}
			continue;
		}
		if (b < lo || b > hi)
			goto error; /* not consumed: read again after the U+FFFD */
		i++;
		lo = 0x80, hi = 0xbf;
		if (++seen < need)
			continue;
		if (out)
			memcpy(out + o, p + start, need + 1);
		o += need + 1;
		need = seen = 0;
		continue;
	error:
		*bad = 1;
		if (out)
			memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
		need = seen = 0;
		lo = 0x80, hi = 0xbf;
	}
	*held = 0;
	if (need && stream) {
		*held = n - start;
	} else if (need) {
		*bad = 1;
		if (out)
			memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
	}
	return o;
}

/* p[0..n) (UTF-8) as a string, as utf8_decode reads it; with stream, *held
 * as it says. fatal: a TypeError where a U+FFFD would go. */
static JSValue utf8_string(JSContext *c, const uint8_t *p, size_t n, int fatal, int stream,
			   size_t *held)
{
	int bad;
	size_t len = utf8_decode(p, n, NULL, stream, &bad, held);
	if (bad && fatal)
		return JS_ThrowTypeError(c, "The encoded data was not valid for encoding utf-8");
	if (!bad)
		return JS_NewStringLen(c, (const char *)p, len);
	uint8_t *u = js_malloc(c, len);
	if (!u)
		return JS_EXCEPTION;
	utf8_decode(p, n, u, stream, &bad, held);
	JSValue s = JS_NewStringLen(c, (const char *)u, len);
	js_free(c, u);
	return s;
}

/* utf8decode(bytes, fatal, stream): bytes (UTF-8) as a string, as
 * TextDecoder.decode() has it (a BOM is kept: that is the caller's). With
 * stream, [string, held]: the last held bytes began a sequence the end cut
 * short, and are not in the string. */
static JSValue js_utf8_decode(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	size_t n, held;
	const uint8_t *p = bytes_of(c, argv[0], &n);
	if (!p)
		return JS_EXCEPTION;
	int fatal = JS_ToBool(c, argv[1]), stream = JS_ToBool(c, argv[2]);
	JSValue s = utf8_string(c, p, n, fatal, stream, &held);
	if (!stream || JS_IsException(s))
		return s;
	JSValue pair = JS_NewArray(c);
	if (JS_IsException(pair)) {
		JS_FreeValue(c, s);
		return pair;
	}
	if (JS_DefinePropertyValueUint32(c, pair, 0, s, JS_PROP_C_W_E) < 0 ||
	    JS_DefinePropertyValueUint32(c, pair, 1, JS_NewInt64(c, (int64_t)held), JS_PROP_C_W_E) <
		0) {
		JS_FreeValue(c, pair);
		return JS_EXCEPTION;
	}
	return pair;
}

static int hex_value(unsigned ch)
{
	return ch >= '0' && ch <= '9'		      ? (int)(ch - '0')
	       : (ch | 32) >= 'a' && (ch | 32) <= 'f' ? (int)((ch | 32) - 'a') + 10
						      : -1;
}

/* pctdecode(s): the URL standard's percent-decode of s's UTF-8, then UTF-8
 * decoded without BOM, errors as U+FFFD (a %XX that is not is kept). */
static JSValue js_pct_decode(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	size_t n, held, o = 0;
	uint8_t *u = utf8_of(c, argv[0], &n);
	if (!u)
		return JS_EXCEPTION;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (u[i] == '%' && i + 2 < n && (h = hex_value(u[i + 1])) >= 0 &&
		    (l = hex_value(u[i + 2])) >= 0) {
			u[o++] = (uint8_t)(h << 4 | l);
			i += 2;
		} else {
			u[o++] = u[i];
		}
	}
	JSValue r = utf8_string(c, u, o, 0, 0, &held);
	js_free(c, u);
	return r;
}

/* formencode(s): the application/x-www-form-urlencoded byte serializer over
 * s's UTF-8: *-._ and alphanumerics as they are, a space as +, the rest
 * %XX. */
static JSValue js_form_encode(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	static const char hex[] = "0123456789ABCDEF";
	size_t n, o = 0;
	uint8_t *u = utf8_of(c, argv[0], &n);
	char *out = u ? js_malloc(c, n * 3 + 1) : NULL;
	if (!out) {
		js_free(c, u);
		return JS_EXCEPTION;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned b = u[i];
		if ((b >= '0' && b <= '9') || ((b | 32) >= 'a' && (b | 32) <= 'z') || b == '*' ||
		    b == '-' || b == '.' || b == '_') {
			out[o++] = (char)b;
		} else if (b == ' ') {
			out[o++] = '+';
		} else {
			out[o++] = '%';
			out[o++] = hex[b >> 4];
			out[o++] = hex[b & 15];
		}
	}
	JSValue r = JS_NewStringLen(c, out, o);
	js_free(c, out);
	js_free(c, u);
	return r;
}

static const char b64_codes[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* btoa(s): s's characters, each a byte (U+0000..U+00FF), in base64; null if
 * one is not (web.js throws the DOMException). */
static JSValue js_btoa(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	size_t n;
	const char *s = JS_ToCStringLen(c, &n, argv[0]); /* UTF-8 */
	if (!s)
		return JS_EXCEPTION;
	uint8_t *b = js_malloc(c, n + 1); /* the bytes: no more than the UTF-8 */
	char *out = NULL;
	JSValue r = JS_EXCEPTION;
	if (!b)
		goto done;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned u = (unsigned char)s[i];
		if (u >= 0x80) { /* U+0080..U+00FF are C2 xx and C3 xx; the rest is more */
			if ((u != 0xc2 && u != 0xc3) || i + 1 == n) {
				r = JS_NULL;
				goto done;
			}
			u = (u & 0x03) << 6 | ((unsigned char)s[++i] & 0x3f);
		}
		b[k++] = (uint8_t)u;
	}
	out = js_malloc(c, (k + 2) / 3 * 4 + 1);
	if (!out)
		goto done;
	size_t o = 0;
	for (size_t i = 0; i < k; i += 3) {
		unsigned x = (unsigned)b[i] << 16 | (i + 1 < k ? (unsigned)b[i + 1] << 8 : 0) |
			     (i + 2 < k ? b[i + 2] : 0);
		out[o++] = b64_codes[x >> 18];
		out[o++] = b64_codes[x >> 12 & 63];
		out[o++] = i + 1 < k ? b64_codes[x >> 6 & 63] : '=';
		out[o++] = i + 2 < k ? b64_codes[x & 63] : '=';
	}
	r = JS_NewStringLen(c, out, o);
done:
	js_free(c, out);
	js_free(c, b);
	JS_FreeCString(c, s);
	return r;
}

/* atob(s): HTML's forgiving-base64 decode of s, as a string of bytes (one
 * character each); null where it fails (web.js throws the DOMException). */
static JSValue js_atob(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	size_t n;
	const char *s = JS_ToCStringLen(c, &n, argv[0]);
	if (!s)
		return JS_EXCEPTION;
	uint8_t *out = js_malloc(c, n / 4 * 3 + 3);
	JSValue r = JS_EXCEPTION;
	if (!out)
		goto done;
	/* ASCII whitespace goes; then up to two '=' at the end, when the rest
	 * is a multiple of 4; then a length of 4k + 1, or anything but the 64
	 * codes, is a failure */
	size_t count = 0, pad = 0, o = 0;
	unsigned acc = 0, bits = 0;
	r = JS_NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned ch = (unsigned char)s[i];
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r')
			continue;
		count++;
		if (ch == '=') {
			pad++;
			continue;
		}
		int v = ch >= 'A' && ch <= 'Z'	 ? (int)(ch - 'A')
			: ch >= 'a' && ch <= 'z' ? (int)(ch - 'a') + 26
			: ch >= '0' && ch <= '9' ? (int)(ch - '0') + 52
			: ch == '+'		 ? 62
			: ch == '/'		 ? 63
						 : -1;
		if (v < 0 || pad)
			goto done;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if ((pad && (pad > 2 || count % 4)) || (count - pad) % 4 == 1)
		goto done;
	r = latin1_string(c, out, o, 0);
done:
	js_free(c, out);
	JS_FreeCString(c, s);
	return r;
}

static const JSCFunctionListEntry web_funcs[] = {
    JS_CFUNC_DEF("utf8encode", 1, js_utf8_encode),
    JS_CFUNC_DEF("utf8decode", 3, js_utf8_decode),
    JS_CFUNC_DEF("btoa", 1, js_btoa),
    JS_CFUNC_DEF("atob", 1, js_atob),
    JS_CFUNC_DEF("pctdecode", 1, js_pct_decode),
    JS_CFUNC_DEF("formencode", 1, js_form_encode),
};

static const JSCFunctionListEntry latin1_funcs[] = {
    JS_CFUNC_DEF("head", 3, js_head),
    JS_CFUNC_DEF("frame", 5, js_frame),
};

int mica_bytes_prepare_web(JSContext *c, JSValueConst global)
{
	return mica_define_natives(c, global, "__mica_web", web_funcs,
				   sizeof(web_funcs) / sizeof(web_funcs[0]));
}

int mica_bytes_prepare_fetch(JSContext *c, JSValueConst global)
{
	return mica_define_natives(c, global, "__mica_latin1", latin1_funcs,
				   sizeof(latin1_funcs) / sizeof(latin1_funcs[0]));
}

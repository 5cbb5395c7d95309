/*
 * fuzz_json: an event as the guest parses it (guest/main.c do_call):
 * JS_ParseJSON(ctx, event, len, "<event>") on a NUL-terminated copy, in a
 * context set up as the guest's (BigFloat, BigDecimal, operators, bignum
 * extensions, a heap limit and a stack limit), then JSON.stringify of the
 * value, as a handler that returns its event does. One runtime per process.
 *
 * The text JSON.stringify makes must parse again, to the same text but
 * for the digits of numbers: QuickJS 2021-03-27 does not read every
 * 17-digit-or-longer decimal as the nearest double ("44444444444444430000"
 * reads as 44444444444444434000, which V8 prints as the former), so
 * numbers may move by an ulp per round trip.
 */
#include <string.h>

#include "fuzz.h"
#include "quickjs.h"

static JSRuntime *qrt;
static JSContext *ctx;

static void setup(void)
{
	qrt = JS_NewRuntime();
	if (!qrt)
		FUZZ_SETUP_FAILED("JS_NewRuntime");
	JS_SetMemoryLimit(qrt, 64u << 20);
	JS_SetMaxStackSize(qrt, (1u << 20) / 4 * 3); /* as the guest, for a 1 MiB stack */
	ctx = JS_NewContext(qrt);
	if (!ctx)
		FUZZ_SETUP_FAILED("JS_NewContext");
	JS_AddIntrinsicBigFloat(ctx);
	JS_AddIntrinsicBigDecimal(ctx);
	JS_AddIntrinsicOperators(ctx);
	JS_EnableBignumExt(ctx, 1);
}

/* JSON.stringify(v) as a malloc'd string, or NULL (an exception, dropped). */
static char *stringify(JSValue v, size_t *len)
{
	JSValue s = JS_JSONStringify(ctx, v, JS_UNDEFINED, JS_UNDEFINED);
	if (JS_IsException(s)) {
		JS_FreeValue(ctx, JS_GetException(ctx));
		return NULL;
	}
	if (JS_IsUndefined(s))
		return NULL;
	const char *c = JS_ToCStringLen(ctx, len, s);
	char *copy = NULL;
	if (c && (copy = malloc(*len + 1)))
		memcpy(copy, c, *len + 1);
	JS_FreeCString(ctx, c);
	JS_FreeValue(ctx, s);
	return copy;
}

/* s with every run of number characters made one '#', in place; its new length. */
static size_t skeleton(char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int num = (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' ||
			  s[i] == 'E' || s[i] == '+' || s[i] == '-';
		if (num && k && s[k - 1] == '#')
			continue;
		s[k++] = num ? '#' : s[i];
	}
	return k;
}

/* The event as the guest parses it: NUL-terminated, as in its request buffer. */
static JSValue parse(const char *text, size_t len)
{
	char *buf = malloc(len + 1);
	if (!buf)
		return JS_EXCEPTION;
	memcpy(buf, text, len);
	buf[len] = 0;
	JSValue v = JS_ParseJSON(ctx, buf, len, "<event>");
	free(buf);
	return v;
}

FUZZ_TARGET(json)
{
	if (!ctx)
		setup();
	JSValue v = parse((const char *)data, size);
	if (JS_IsException(v)) {
		JSValue e = JS_GetException(ctx);
		FUZZ_CHECK(!JS_IsUndefined(e), "an exception without a value");
		JS_FreeValue(ctx, e);
		return 0;
	}
	size_t n1 = 0, n2 = 0;
	char *s1 = stringify(v, &n1);
	JS_FreeValue(ctx, v);
	if (!s1)
		return 0;
	JSValue w = parse(s1, n1);
	FUZZ_CHECK(!JS_IsException(w), "JSON.stringify made text that does not parse: %.200s", s1);
	char *s2 = stringify(w, &n2);
	JS_FreeValue(ctx, w);
	FUZZ_CHECK(s2, "JSON.stringify fails on what it made: %.200s", s1);
	if (n1 != n2 || memcmp(s1, s2, n1)) {
		char *a = malloc(n1 + 1), *b = malloc(n2 + 1);
		FUZZ_CHECK(a && b, "out of memory");
		memcpy(a, s1, n1 + 1);
		memcpy(b, s2, n2 + 1);
		size_t ka = skeleton(a, n1), kb = skeleton(b, n2);
		FUZZ_CHECK(ka == kb && !memcmp(a, b, ka), "round trip: %.200s, then %.200s", s1,
			   s2);
		free(a);
		free(b);
	}
	free(s1);
	free(s2);
	return 0;
}

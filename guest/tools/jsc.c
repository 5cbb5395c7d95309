/*
 * Build tool: compiles one of the runtime's JavaScript files to QuickJS
 * bytecode for embedding in the guest image, with native QuickJS built from
 * the same source and flags as the guest's (so the formats match).
 * Usage: mica-jsc IN.js OUT.jsbc NAME   (NAME shows in stack traces)
 */
#include <stdio.h>
#include <stdlib.h>

#include "quickjs.h"

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: mica-jsc IN.js OUT.jsbc NAME\n");
		return 2;
	}
	FILE *in = fopen(argv[1], "rb");
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	static char src[1 << 22];
	size_t len = fread(src, 1, sizeof(src) - 1, in);
	fclose(in);
	src[len] = 0;

	JSRuntime *rt = JS_NewRuntime();
	JSContext *ctx = JS_NewContext(rt);
	JSValue fn =
	    JS_Eval(ctx, src, len, argv[3], JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
	if (JS_IsException(fn)) {
		JSValue e = JS_GetException(ctx);
		const char *msg = JS_ToCString(ctx, e);
		fprintf(stderr, "%s: %s\n", argv[1], msg ? msg : "compile error");
		return 1;
	}
	size_t out_len;
	uint8_t *out = JS_WriteObject(ctx, &out_len, fn, JS_WRITE_OBJ_BYTECODE);
	FILE *f = out ? fopen(argv[2], "wb") : NULL;
	if (!f || fwrite(out, 1, out_len, f) != out_len || fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	js_free(ctx, out);
	JS_FreeValue(ctx, fn);
	JS_FreeContext(ctx);
	JS_FreeRuntime(rt);
	return 0;
}

/*
 * The C side of python/bench.py: the same calls, on the same guest code,
 * through the C API, timed around each API call. Prints one line per case:
 * "NAME MEDIAN_NS".
 *
 *   build/bench/python_call_c BACKEND CALLS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mica.h"

/* Kept the same as bench.py's. */
static const char source[] = "import { echo } from 'host:bench';\n"
			     "export function h(e) { return e; }\n"
			     "export function hf(e) { return echo(e); }\n"
			     "export function bin(u) { return u; }\n";

static void die(const char *what, const mica_error *err)
{
	fprintf(stderr, "python_call_c: %s: %s\n", what, err ? err->message : "failed");
	exit(1);
}

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* echo(x): returns x, as the Python host function does. */
static void echo(mica_hostcall *call, void *userdata)
{
	(void)userdata;
	size_t len;
	const char *args = mica_hostcall_args(call, &len);
	if (len >= 2) /* "[x]" -> "x" */
		mica_hostcall_return(call, args + 1, len - 2);
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static long long median(long long *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	return t[n / 2];
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s auto|kvm|process CALLS\n", argv[0]);
		return 2;
	}
	mica_runtime_options o = {0};
	o.backend = !strcmp(argv[1], "kvm")	  ? MICA_BACKEND_KVM
		    : !strcmp(argv[1], "process") ? MICA_BACKEND_PROCESS
						  : MICA_BACKEND_AUTO;
	int n = atoi(argv[2]);
	if (n < 1)
		n = 1;
	mica_error err = {0};
	mica_runtime *rt = mica_runtime_new(&o, &err);
	if (!rt)
		die("mica_runtime_new", &err);
	mica_runtime_register(rt, "bench", "echo", echo, NULL);
	mica_sandbox *sb = mica_sandbox_new(rt, NULL, &err);
	if (!sb || mica_sandbox_load(sb, "bench.js", source, strlen(source), &err))
		die("sandbox", &err);

	long long *t = malloc(sizeof(*t) * (size_t)n);
	static unsigned char data[64 << 10];
	const char *cases[] = {"h", "hf", "bin"};
	for (int c = 0; c < 3; c++) {
		for (int i = -n / 10; i < n; i++) { /* a tenth more, first, to warm up */
			char *res = NULL;
			void *out = NULL;
			size_t len;
			int is_bytes, rc;
			long long t0 = now_ns();
			if (c == 2)
				rc = mica_sandbox_call_bytes(sb, "bin", data, sizeof(data), &out,
							     &len, &is_bytes, &err);
			else
				rc = mica_sandbox_call(sb, cases[c], "{\"a\":1}", 7, &res, &len,
						       &err);
			long long t1 = now_ns();
			if (rc)
				die(cases[c], &err);
			free(res);
			free(out);
			if (i >= 0)
				t[i] = t1 - t0;
		}
		printf("%s %lld\n", cases[c], median(t, n));
	}
	free(t);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
	return 0;
}

/*
 * A host program for examples/plugin/plugin.js: binary data in and out of
 * a handler, and async host functions completed from a worker thread.
 *
 *   build/examples/plugin-host examples/plugin/plugin.js [IMAGE]
 *
 * IMAGE is any file (its bytes are the "pixels"); without it a 64x64
 * gradient is made up. The plugin thresholds the pixels, hashes the result
 * with crypto.subtle.digest and returns digest + pixels as raw bytes.
 *
 * The key-value store ("host:kv") is fake: get(key) answers JSON, put(bytes)
 * keeps raw bytes; both are async and completed by one worker thread, as a
 * real store's client would.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mica.h"

/* ---- the worker thread and its queue ------------------------------------- */

struct job {
	struct job *next;
	mica_async_call *call;
	int put; /* 1: put(bytes), 0: get(key) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct job *head, **tail = &head;
static int stopping;
static unsigned char stored[64]; /* what put() stored last */
static size_t stored_len;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (!head && !stopping)
			pthread_cond_wait(&cond, &lock);
		if (!head)
			break;
		struct job *j = head;
		head = j->next;
		if (!head)
			tail = &head;
		pthread_mutex_unlock(&lock);

		size_t len;
		const char *args = mica_async_args(j->call, &len);
		if (j->put) {
			if (!mica_async_is_bytes(j->call) || len > sizeof(stored)) {
				mica_async_fail(j->call,
						"put wants one Uint8Array of at most 64 bytes");
			} else {
				memcpy(stored, args, len);
				stored_len = len;
				char n[32];
				mica_async_complete(j->call, n,
						    (size_t)snprintf(n, sizeof(n), "%zu", len));
			}
		} else if (len == 13 && !memcmp(args, "[\"threshold\"]", 13)) {
			mica_async_complete(j->call, "128", 3);
		} else {
			mica_async_complete(j->call, "null", 4); /* no such key */
		}
		free(j);
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* The async host functions: queue the call and return at once. */
static void enqueue(mica_async_call *call, void *userdata)
{
	struct job *j = malloc(sizeof(*j));
	if (!j) {
		mica_async_fail(call, "out of memory");
		return;
	}
	j->next = NULL;
	j->call = call;
	j->put = userdata != NULL;
	pthread_mutex_lock(&lock);
	*tail = j;
	tail = &j->next;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

/* ---- the host ------------------------------------------------------------ */

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0, k;
	char *buf = malloc(cap);
	while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static void console(void *userdata, int stream, const char *data, size_t len)
{
	(void)userdata;
	fwrite(data, 1, len, stream == 2 ? stderr : stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s plugin.js [IMAGE]\n", argv[0]);
		return 2;
	}
	size_t src_len, img_len = 64 * 64;
	char *src = read_all(argv[1], &src_len);
	unsigned char *img =
	    argc == 3 ? (unsigned char *)read_all(argv[2], &img_len) : malloc(img_len);
	if (!src || !img) {
		fprintf(stderr, "cannot read %s\n", !src ? argv[1] : argv[2]);
		return 2;
	}
	if (argc == 2)
		for (size_t i = 0; i < img_len; i++) /* a diagonal gradient */
			img[i] = (unsigned char)((i % 64 + i / 64) * 2);

	pthread_t tid;
	pthread_create(&tid, NULL, worker, NULL);
	mica_error err = {0};
	int rc = 1;
	mica_sandbox *sb = NULL;
	void *out = NULL;
	size_t out_len = 0;
	mica_runtime *rt = mica_runtime_new(NULL, &err);
	if (!rt)
		goto done;
	mica_runtime_register_async(rt, "kv", "get", enqueue, NULL);
	mica_runtime_register_async(rt, "kv", "put", enqueue, (void *)1);
	if (!(sb = mica_sandbox_new(rt, NULL, &err)))
		goto done;
	mica_sandbox_set_console(sb, console, NULL);
	if (mica_sandbox_load(sb, "plugin.js", src, src_len, &err))
		goto done;
	int is_bytes = 0;
	if (mica_sandbox_call_bytes(sb, "process", img, img_len, &out, &out_len, &is_bytes, &err))
		goto done;
	if (!is_bytes || out_len != 32 + img_len) {
		fprintf(stderr, "the plugin returned %zu bytes of %s\n", out_len,
			is_bytes ? "binary data" : "JSON");
		goto done;
	}
	const unsigned char *o = out;
	size_t white = 0;
	for (size_t i = 32; i < out_len; i++)
		white += o[i] == 255;
	printf("host: %zu bytes in, %zu bytes out, %zu pixels white\n", img_len, out_len, white);
	printf("host: sha-256 ");
	for (int i = 0; i < 32; i++)
		printf("%02x", o[i]);
	int same = stored_len == 32 && !memcmp(stored, o, 32);
	printf("\nhost: the digest put() stored matches the result: %s\n", same ? "yes" : "no");
	rc = same ? 0 : 1;
done:
	if (rc && err.code)
		fprintf(stderr, "%s: %s\n", mica_code_name(err.code), err.message);
	free(out);
	mica_sandbox_free(sb); /* late completions after this are dropped, harmlessly */
	mica_runtime_free(rt);
	pthread_mutex_lock(&lock);
	stopping = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(tid, NULL);
	free(src);
	free(img);
	return rc;
}

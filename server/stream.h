/* mica serve: a response body sent as the handler makes it (a
 * ReadableStream), from the worker that runs the handler to the HTTP loop
 * that writes it chunked. Bounded: the worker waits while SERVE_STREAM_MAX
 * bytes are not yet written (back-pressure reaches the handler's pulls). */
#ifndef MICA_SERVER_STREAM_H
#define MICA_SERVER_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define SERVE_STREAM_MAX (256u << 10)

struct serve_stream;

/* One part, as pushed, with room for the loop's chunk-size line (which
 * must live as long as the write). */
struct serve_chunk {
	struct serve_chunk *next;
	size_t len;
	char line[24];
	unsigned char data[];
};

enum serve_stream_state { SERVE_STREAM_OPEN, SERVE_STREAM_COMPLETE, SERVE_STREAM_CUT };

/* A new stream, or NULL when out of memory. */
struct serve_stream *serve_stream_new(void);
/* Frees s and the parts not taken. */
void serve_stream_free(struct serve_stream *s);

/* Worker: appends a copy of n bytes. 0; -1 when the client is gone or out
 * of memory. */
int serve_stream_push(struct serve_stream *s, const void *p, size_t n);
/* Worker: waits until fewer than SERVE_STREAM_MAX bytes are unwritten, or
 * the client is gone (-1), or deadline_ns (serve_now_ns) passes (-2). */
int serve_stream_wait(struct serve_stream *s, int64_t deadline_ns);
/* Worker: no more parts: the body is whole (complete), or cut short. Only
 * the first call counts. */
void serve_stream_end(struct serve_stream *s, int complete);

/* Loop: the parts pushed so far, in order (the caller frees each), and the
 * state once they are written. */
struct serve_chunk *serve_stream_take(struct serve_stream *s, enum serve_stream_state *state);
/* Loop: n bytes of it are written, so the worker may push more. */
void serve_stream_written(struct serve_stream *s, size_t n);
/* Loop: nobody will read it; pushes and waits fail from now on. */
void serve_stream_abandon(struct serve_stream *s);
/* 1 once the loop has abandoned s (its client is gone). */
int serve_stream_gone(struct serve_stream *s);
/* The state (the worker may still be pushing while OPEN). */
enum serve_stream_state serve_stream_state(struct serve_stream *s);

#endif

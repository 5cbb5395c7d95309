/* QuickJS allocates from the arena through these, under the JS heap limit. */
#include "arena.h"
#include "runtime.h"

int oom;

/* Once the limit is hit, QuickJS still needs memory to build and throw
 * the error; its double-failure paths are fragile, so those allocations
 * may use a little headroom. The request still ends as out of memory. */
#define OOM_HEADROOM (256u << 10)

static size_t heap_limit(const JSMallocState *s)
{
	return oom ? s->malloc_limit + OOM_HEADROOM : s->malloc_limit;
}

static void *qjs_malloc(JSMallocState *s, size_t size)
{
	void *p = NULL;
	if (s->malloc_size + size <= heap_limit(s))
		p = mica_arena_alloc(size);
	if (!p) {
		oom = 1;
		return NULL;
	}
	s->malloc_count++;
	s->malloc_size += mica_arena_usable_size(p);
	return p;
}

static void qjs_free(JSMallocState *s, void *p)
{
	if (!p)
		return;
	s->malloc_count--;
	s->malloc_size -= mica_arena_usable_size(p);
	mica_arena_free(p);
}

static void *qjs_realloc(JSMallocState *s, void *p, size_t size)
{
	if (!p)
		return size ? qjs_malloc(s, size) : NULL;
	if (size == 0) {
		qjs_free(s, p);
		return NULL;
	}
	size_t old = mica_arena_usable_size(p);
	void *q = NULL;
	if (s->malloc_size - old + size <= heap_limit(s))
		q = mica_arena_realloc(p, size);
	if (!q) {
		oom = 1;
		return NULL;
	}
	s->malloc_size = s->malloc_size - old + mica_arena_usable_size(q);
	return q;
}

static size_t qjs_usable_size(const void *p)
{
	return mica_arena_usable_size(p);
}

const JSMallocFunctions mica_js_malloc = {qjs_malloc, qjs_free, qjs_realloc, qjs_usable_size};

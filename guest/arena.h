/* arena.h - general-purpose allocator over one fixed memory region.
 *
 * The guest is single-threaded and has no OS, so the arena never calls
 * brk/mmap: all memory comes from the region given to mica_arena_init().
 * It backs QuickJS (JS_NewRuntime2) and, with MICA_ARENA_REPLACE_MALLOC,
 * replaces musl's malloc family. Not thread-safe; one arena per process.
 */
#ifndef MICA_ARENA_H
#define MICA_ARENA_H

#include <stddef.h>

/* Take ownership of [base, base+size). base should be 16-aligned (it is
 * rounded up otherwise). May be called again to discard everything and start
 * over. A region too small to hold one block gives an arena where every
 * allocation fails. */
void mica_arena_init(void *base, size_t size);

/* Allocate n bytes, 16-byte aligned. Returns NULL when no free block is large
 * enough. n == 0 returns a unique minimal block (free it as usual). */
void *mica_arena_alloc(size_t n);

/* Allocate n bytes aligned to align, which must be a power of two (4096 is
 * the intended maximum, for mmap emulation, but larger powers work too).
 * Returns NULL on a bad align or exhaustion. Free with mica_arena_free. */
void *mica_arena_alloc_aligned(size_t align, size_t n);

/* Release a block from this arena. NULL is a no-op. Pointers outside the
 * region and (most) double frees are detected cheaply and ignored. */
void mica_arena_free(void *p);

/* Resize p to n bytes, keeping the first min(old, n) bytes. Shrinks in place
 * and grows in place when the following block is free and large enough;
 * otherwise moves. p == NULL acts as alloc(n); n == 0 shrinks to a minimal
 * block (p stays valid). On failure returns NULL and p is left intact. */
void *mica_arena_realloc(void *p, size_t n);

/* Bytes usable at p (>= the size requested); 0 for NULL. */
size_t mica_arena_usable_size(const void *p);

/* Bytes currently handed out, including per-block headers: use it for the JS
 * heap limit and stats. 0 right after init. */
size_t mica_arena_used(void);

/* Highest value mica_arena_used() has reached since init. */
size_t mica_arena_peak(void);

#endif /* MICA_ARENA_H */

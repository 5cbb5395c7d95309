/* arena.c - TLSF-style allocator over one fixed region (see arena.h).
 *
 * Blocks are laid out back to back with boundary tags, and free blocks sit in
 * segregated lists indexed by a two-level (log2, then 16 linear steps) size
 * class with bitmaps, so alloc and free are O(1) apart from the lists'
 * pointer updates. Free blocks are merged with their neighbours at once, so
 * two free blocks are never adjacent. No syscalls, no libc beyond memcpy and
 * memset.
 */
#include "arena.h"

#include <stdint.h>
#include <string.h>

/* A block's address b is 16-aligned and its payload starts at b + 16.
 * prev_size is the previous block's footer and only means something while
 * that block is free; while it is in use those 8 bytes are the tail of its
 * payload. So a block of `size` bytes gives size - 8 usable bytes. */
typedef struct blk {
	size_t prev_size;
	size_t size;	       /* multiple of 16 | flag bits */
	struct blk *next_free; /* only while free */
	struct blk *prev_free;
} blk;

#define F_FREE	    ((size_t)1)
#define F_PREV_FREE ((size_t)2)
#define F_MASK	    ((size_t)15)
#define HDR	    16u /* block address to payload */
#define OVERHEAD    8u	/* the size word; prev_size overlaps the previous block */
#define MIN_BLOCK   32u /* header + the two list links */

/* Below 256 bytes every 16-byte size has its own list (fl 0). Above, fl is
 * log2(size) - 7 and sl the next 4 bits, so a list spans 1/16 of a power of 2. */
#define SL_LOG2	 4
#define SL_COUNT (1u << SL_LOG2)
#define FL_SHIFT 8
#define FL_COUNT (sizeof(size_t) * 8 - FL_SHIFT + 1)

static struct {
	char *lo, *hi; /* first block; end sentinel (size 0, in use) */
	size_t used, peak;
	unsigned long long fl_map; /* bit fl: sl_map[fl] != 0 */
	uint32_t sl_map[FL_COUNT]; /* bit sl: heads[fl][sl] != NULL */
	blk *heads[FL_COUNT][SL_COUNT];
} A;

static inline size_t bsize(const blk *b)
{
	return b->size & ~F_MASK;
}
static inline blk *at(void *p, size_t off)
{
	return (blk *)((char *)p + off);
}
static inline int log2z(size_t x)
{
	return 63 - __builtin_clzll((unsigned long long)x);
}

static void mapping(size_t s, unsigned *fl, unsigned *sl)
{
	if (s < ((size_t)1 << FL_SHIFT)) {
		*fl = 0;
		*sl = (unsigned)(s >> 4);
	} else {
		int f = log2z(s);
		*fl = (unsigned)(f - FL_SHIFT + 1);
		*sl = (unsigned)(s >> (f - SL_LOG2)) ^ SL_COUNT;
	}
}

static void list_insert(blk *b)
{
	unsigned fl, sl;
	mapping(bsize(b), &fl, &sl);
	b->prev_free = NULL;
	b->next_free = A.heads[fl][sl];
	if (b->next_free)
		b->next_free->prev_free = b;
	A.heads[fl][sl] = b;
	A.sl_map[fl] |= 1u << sl;
	A.fl_map |= 1ull << fl;
}

static void list_remove(blk *b)
{
	unsigned fl, sl;
	mapping(bsize(b), &fl, &sl);
	if (b->next_free)
		b->next_free->prev_free = b->prev_free;
	if (b->prev_free) {
		b->prev_free->next_free = b->next_free;
	} else if (!(A.heads[fl][sl] = b->next_free)) {
		A.sl_map[fl] &= ~(1u << sl);
		if (!A.sl_map[fl])
			A.fl_map &= ~(1ull << fl);
	}
}

/* Find a free block of at least bs bytes. The request is rounded up to the
 * next list boundary so that any block in the chosen list fits (no list walk
 * on the fast path). */
static blk *find_free(size_t bs)
{
	unsigned fl, sl;
	size_t r =
	    bs >= ((size_t)1 << FL_SHIFT) ? bs + ((size_t)1 << (log2z(bs) - SL_LOG2)) - 1 : bs;
	mapping(r, &fl, &sl);
	if (fl < FL_COUNT) {
		uint32_t sm = A.sl_map[fl] & (~0u << sl);
		if (!sm) {
			unsigned long long fm = fl + 1 < 64 ? A.fl_map & (~0ull << (fl + 1)) : 0;
			if (fm) {
				fl = (unsigned)__builtin_ctzll(fm);
				sm = A.sl_map[fl];
			}
		}
		if (sm)
			return A.heads[fl][__builtin_ctz(sm)];
	}
	/* Nearly full: the request's own list may still hold a block that fits. */
	mapping(bs, &fl, &sl);
	for (blk *b = A.heads[fl][sl]; b; b = b->next_free)
		if (bsize(b) >= bs)
			return b;
	return NULL;
}

/* Turn b (on no list, in use, flags valid) into a free block, merging it with
 * free neighbours. Callers have already taken it out of A.used. */
static void release(blk *b)
{
	size_t sz = bsize(b);
	if (b->size & F_PREV_FREE) {
		blk *p = (blk *)((char *)b - b->prev_size);
		b->size |= F_FREE; /* stale header: makes a double free visible */
		list_remove(p);
		sz += bsize(p);
		b = p;
	}
	blk *n = at(b, sz);
	if (n->size & F_FREE) {
		list_remove(n);
		sz += bsize(n);
		n = at(b, sz);
	}
	b->size = sz | F_FREE; /* prev is in use: neighbours never both free */
	n->prev_size = sz;
	n->size |= F_PREV_FREE;
	list_insert(b);
}

/* Shrink in-use block b to bs bytes, freeing the tail if it can form a block. */
static void trim(blk *b, size_t bs)
{
	size_t sz = bsize(b);
	if (sz - bs < MIN_BLOCK)
		return;
	blk *r = at(b, bs);
	r->size = sz - bs; /* no flags: r's prev (b) is in use */
	b->size = bs | (b->size & F_MASK);
	A.used -= sz - bs;
	release(r);
}

/* Take free block b off its list and mark it in use. */
static void take(blk *b)
{
	list_remove(b);
	b->size &= ~F_FREE;
	at(b, bsize(b))->size &= ~F_PREV_FREE;
	A.used += bsize(b);
}

static void *done(blk *b)
{
	if (A.used > A.peak)
		A.peak = A.used;
	return (char *)b + HDR;
}

/* Block size for an n-byte request; the caller has bounded n by the arena's
 * capacity so this cannot overflow. */
static size_t block_size(size_t n)
{
	size_t bs = (n + OVERHEAD + 15) & ~(size_t)15;
	return bs < MIN_BLOCK ? MIN_BLOCK : bs;
}

void mica_arena_init(void *base, size_t size)
{
	memset(&A, 0, sizeof A);
	uintptr_t lo = ((uintptr_t)base + 15) & ~(uintptr_t)15;
	uintptr_t end = (uintptr_t)base + size;
	if (!base || end < lo || end - lo < MIN_BLOCK + 2 * HDR)
		return;				     /* unusable: every allocation will fail */
	uintptr_t hi = (end & ~(uintptr_t)15) - HDR; /* sentinel needs 16 bytes */
	A.lo = (char *)lo;
	A.hi = (char *)hi;
	blk *s = (blk *)hi, *b = (blk *)lo;
	s->size = 0;
	b->size = hi - lo;
	release(b);
}

void *mica_arena_alloc(size_t n)
{
	if (n > (size_t)(A.hi - A.lo))
		return NULL;
	size_t bs = block_size(n);
	blk *b = find_free(bs);
	if (!b)
		return NULL;
	take(b);
	trim(b, bs);
	return done(b);
}

void *mica_arena_alloc_aligned(size_t align, size_t n)
{
	if (!align || (align & (align - 1)))
		return NULL;
	if (align <= 16)
		return mica_arena_alloc(n);
	size_t cap = (size_t)(A.hi - A.lo);
	if (n > cap || align > cap)
		return NULL;
	/* Over-allocate so an aligned payload exists with either no gap in front
	 * or a gap of at least MIN_BLOCK, which goes back to the free lists. */
	size_t bs = block_size(n);
	blk *b = find_free(bs + align + MIN_BLOCK);
	if (!b)
		return NULL;
	take(b);
	uintptr_t p = (uintptr_t)b + HDR;
	uintptr_t q = (p + align - 1) & ~(uintptr_t)(align - 1);
	if (q != p && q - p < MIN_BLOCK)
		q += align;
	if (q != p) {
		size_t gap = q - p;
		blk *nb = (blk *)(q - HDR);
		nb->size = bsize(b) - gap; /* release(b) below sets F_PREV_FREE */
		b->size = gap;		   /* b came off a free list: its prev is in use */
		A.used -= gap;
		release(b);
		b = nb;
	}
	trim(b, bs);
	return done(b);
}

void mica_arena_free(void *p)
{
	if (!p)
		return;
	blk *b = (blk *)((char *)p - HDR);
	if ((char *)b < A.lo || (char *)b >= A.hi || ((uintptr_t)p & 15) || (b->size & F_FREE))
		return; /* foreign pointer or double free */
	A.used -= bsize(b);
	release(b);
}

void *mica_arena_realloc(void *p, size_t n)
{
	if (!p)
		return mica_arena_alloc(n);
	if (n > (size_t)(A.hi - A.lo))
		return NULL;
	blk *b = (blk *)((char *)p - HDR);
	size_t bs = block_size(n), sz = bsize(b);
	if (bs > sz) {
		blk *nx = at(b, sz);
		if ((nx->size & F_FREE) && sz + bsize(nx) >= bs) {
			take(nx); /* absorb the free neighbour in place */
			b->size += bsize(nx);
		} else {
			void *q = mica_arena_alloc(n);
			if (!q)
				return NULL;
			memcpy(q, p, sz - OVERHEAD);
			mica_arena_free(p);
			return q;
		}
	}
	trim(b, bs);
	return done(b);
}

size_t mica_arena_usable_size(const void *p)
{
	return p ? bsize((const blk *)((const char *)p - HDR)) - OVERHEAD : 0;
}

size_t mica_arena_used(void)
{
	return A.used;
}
size_t mica_arena_peak(void)
{
	return A.peak;
}

#ifdef MICA_ARENA_REPLACE_MALLOC
/* Replace musl's malloc family. In a static link the linker then never pulls
 * musl's own malloc objects for these symbols. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

static void *nomem(void *p)
{
	if (!p)
		errno = ENOMEM;
	return p;
}

void *malloc(size_t n)
{
	return nomem(mica_arena_alloc(n));
}
void free(void *p)
{
	mica_arena_free(p);
}
void *realloc(void *p, size_t n)
{
	return nomem(mica_arena_realloc(p, n));
}
size_t malloc_usable_size(void *p)
{
	return mica_arena_usable_size(p);
}

void *calloc(size_t m, size_t n)
{
	if (n && m > SIZE_MAX / n)
		return nomem(NULL);
	void *p = mica_arena_alloc(m * n);
	if (p)
		memset(p, 0, m * n); /* recycled blocks are dirty */
	return nomem(p);
}

void *aligned_alloc(size_t align, size_t n)
{
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	return nomem(mica_arena_alloc_aligned(align, n));
}

void *memalign(size_t align, size_t n)
{
	return aligned_alloc(align, n);
}

int posix_memalign(void **res, size_t align, size_t n)
{
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	void *p = mica_arena_alloc_aligned(align, n);
	if (!p)
		return ENOMEM;
	*res = p;
	return 0;
}
#endif /* MICA_ARENA_REPLACE_MALLOC */

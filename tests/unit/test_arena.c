/* test_arena.c - native unit + stress test for guest/arena.c.
 *
 * Build: gcc -std=gnu11 -O2 -Iguest tests/unit/test_arena.c guest/arena.c
 *        (also with -fsanitize=address,undefined)
 * Usage: test_arena [stress_ops] [seed]
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARENA_SIZE ((size_t)64 << 20)

static int passed, failed;
static unsigned char *region;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (cond)                                                                          \
			passed++;                                                                  \
		else {                                                                             \
			failed++;                                                                  \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
		}                                                                                  \
	} while (0)

/* Like CHECK but only counted once per call site when it fails, so the stress
 * loop does not inflate the pass count by millions. */
#define EXPECT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failed++;                                                                  \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
			return 0;                                                                  \
		}                                                                                  \
	} while (0)

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
	uint64_t x = rng_state; /* xorshift64* */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1Dull;
}
static size_t rnd_range(size_t lo, size_t hi)
{
	return lo + (size_t)(rnd() % (hi - lo + 1));
}

static int in_region(const void *p, size_t n)
{
	const unsigned char *c = p;
	return c >= region && c + n <= region + ARENA_SIZE;
}

/* Position-dependent pattern (so shifted or mixed-up copies are caught). Byte
 * i is byte i%8 of word i/8 (little-endian), so any prefix of a filled block
 * verifies against the same seed. */
#define PAT(seed, w) ((seed) ^ ((uint64_t)(w)*0x9E3779B97F4A7C15ull))
static unsigned char pat_byte(uint64_t seed, size_t i)
{
	return (unsigned char)(PAT(seed, i / 8) >> (8 * (i % 8)));
}

static void fill(void *p, size_t n, uint64_t seed)
{
	uint64_t *w = p;
	size_t nw = n / 8;
	for (size_t i = 0; i < nw; i++)
		w[i] = PAT(seed, i);
	for (size_t i = nw * 8; i < n; i++)
		((unsigned char *)p)[i] = pat_byte(seed, i);
}

static int verify(const void *p, size_t n, uint64_t seed)
{
	const uint64_t *w = p;
	size_t nw = n / 8;
	uint64_t bad = 0;
	for (size_t i = 0; i < nw; i++)
		bad |= w[i] ^ PAT(seed, i);
	for (size_t i = nw * 8; i < n; i++)
		bad |= ((const unsigned char *)p)[i] ^ pat_byte(seed, i);
	return bad == 0;
}

static void test_basic(void)
{
	mica_arena_init(region, ARENA_SIZE);
	size_t base = mica_arena_used();
	CHECK(base == 0);
	CHECK(mica_arena_usable_size(NULL) == 0);
	mica_arena_free(NULL);

	void *a = mica_arena_alloc(0), *b = mica_arena_alloc(0);
	CHECK(a && b && a != b);
	CHECK(((uintptr_t)a & 15) == 0 && ((uintptr_t)b & 15) == 0);
	mica_arena_free(a);
	mica_arena_free(b);

	for (size_t n = 1; n <= 5000; n += (n < 300 ? 1 : 37)) {
		unsigned char *p = mica_arena_alloc(n);
		int ok = p && ((uintptr_t)p & 15) == 0 && in_region(p, n) &&
			 mica_arena_usable_size(p) >= n;
		if (ok) {
			memset(p, 0xAB, mica_arena_usable_size(p));
			mica_arena_free(p);
		}
		if (!ok) {
			CHECK(ok);
			break;
		}
	}
	CHECK(mica_arena_used() == base);

	/* Impossible sizes fail cleanly. */
	CHECK(mica_arena_alloc(SIZE_MAX) == NULL);
	CHECK(mica_arena_alloc(SIZE_MAX - 8) == NULL);
	CHECK(mica_arena_alloc(ARENA_SIZE) == NULL);
	CHECK(mica_arena_alloc_aligned(4096, SIZE_MAX - 100) == NULL);

	/* Alignment: every power of two up to 4096 (and a larger one). */
	for (size_t al = 1; al <= 65536; al <<= 1) {
		void *ps[8];
		for (int i = 0; i < 8; i++) {
			ps[i] = mica_arena_alloc_aligned(al, (size_t)i * 100 + 1);
			CHECK(ps[i] && ((uintptr_t)ps[i] & (al - 1)) == 0 &&
			      ((uintptr_t)ps[i] & 15) == 0);
			if (ps[i])
				memset(ps[i], i, (size_t)i * 100 + 1);
		}
		for (int i = 0; i < 8; i++)
			mica_arena_free(ps[i]);
	}
	CHECK(mica_arena_alloc_aligned(0, 10) == NULL);
	CHECK(mica_arena_alloc_aligned(3, 10) == NULL);
	CHECK(mica_arena_alloc_aligned(4096 + 16, 10) == NULL);
	CHECK(mica_arena_used() == base);

	/* Realloc: NULL acts as alloc, shrink stays, grow into a free neighbour stays. */
	unsigned char *p = mica_arena_realloc(NULL, 100);
	CHECK(p != NULL);
	fill(p, 100, 42);
	unsigned char *q = mica_arena_alloc(1000); /* neighbour to free later */
	unsigned char *guard =
	    mica_arena_alloc(16); /* keeps q's block from merging with the tail */
	CHECK(q && guard);
	mica_arena_free(q);
	unsigned char *p2 = mica_arena_realloc(p, 900);
	CHECK(p2 == p);
	CHECK(verify(p2, 100, 42));
	fill(p2, 900, 7);
	p2 = mica_arena_realloc(p2, 50);
	CHECK(p2 == p && verify(p2, 50, 7));
	p2 = mica_arena_realloc(p2, 0);
	CHECK(p2 == p);
	/* Forced move: guard sits right after. */
	unsigned char *r = mica_arena_alloc(64);
	fill(r, 64, 99);
	unsigned char *r2 = mica_arena_realloc(r, 200000);
	CHECK(r2 != NULL && verify(r2, 64, 99) && mica_arena_usable_size(r2) >= 200000);
	/* Failing realloc keeps the block. */
	CHECK(mica_arena_realloc(r2, SIZE_MAX) == NULL);
	CHECK(mica_arena_realloc(r2, ARENA_SIZE) == NULL);
	CHECK(verify(r2, 64, 99));
	mica_arena_free(r2);
	mica_arena_free(p2);
	mica_arena_free(guard);
	CHECK(mica_arena_used() == base);
	CHECK(mica_arena_peak() >= 200000);

	/* Double free and foreign pointers are ignored. */
	void *d = mica_arena_alloc(48), *e = mica_arena_alloc(48);
	mica_arena_free(d);
	mica_arena_free(d);
	mica_arena_free(e);
	mica_arena_free(d); /* header now stale inside a merged block */
	int local;
	mica_arena_free(&local);
	CHECK(mica_arena_used() == base);

	/* Degenerate regions: nothing can be allocated, nothing crashes. */
	mica_arena_init(region, 40);
	CHECK(mica_arena_alloc(1) == NULL && mica_arena_used() == 0);
	mica_arena_init(NULL, 0);
	CHECK(mica_arena_alloc(0) == NULL && mica_arena_alloc_aligned(64, 1) == NULL);
	mica_arena_init(region, 64);
	void *tiny = mica_arena_alloc(8);
	CHECK(tiny != NULL && mica_arena_alloc(8) == NULL);
	mica_arena_free(tiny);
	CHECK(mica_arena_used() == 0);
}

static void shuffle(void **v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(rnd() % i);
		void *t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* Largest single block obtainable right now (binary search on size). */
static size_t largest_block(void)
{
	size_t lo = 0, hi = ARENA_SIZE;
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		void *p = mica_arena_alloc(mid);
		if (p) {
			mica_arena_free(p);
			lo = mid;
		} else
			hi = mid - 1;
	}
	return lo;
}

static void test_exhaustion(void)
{
	mica_arena_init(region, ARENA_SIZE);
	size_t whole = largest_block();
	CHECK(whole > ARENA_SIZE - 256);

	/* 1 MiB blocks until NULL, free one, allocate again. */
	static void *big[128];
	size_t nb = 0;
	while (nb < 128 && (big[nb] = mica_arena_alloc((size_t)1 << 20)))
		nb++;
	CHECK(nb >= 60 && nb < 64);
	CHECK(mica_arena_alloc((size_t)1 << 20) == NULL);
	mica_arena_free(big[nb / 2]);
	big[nb / 2] = mica_arena_alloc((size_t)1 << 20);
	CHECK(big[nb / 2] != NULL);
	shuffle(big, nb);
	for (size_t i = 0; i < nb; i++)
		mica_arena_free(big[i]);
	CHECK(mica_arena_used() == 0);

	/* Tiny blocks until NULL, then free in random order: everything must
	 * coalesce back into one block. */
	size_t cap = ARENA_SIZE / 32 + 16, n = 0;
	void **v = malloc(cap * sizeof *v);
	while (n < cap && (v[n] = mica_arena_alloc(rnd_range(1, 24))))
		n++;
	CHECK(n > ARENA_SIZE / 40 && n < cap);
	CHECK(mica_arena_alloc(1) == NULL && mica_arena_alloc_aligned(4096, 1) == NULL);
	mica_arena_free(v[n / 3]);
	v[n / 3] = mica_arena_alloc(10);
	CHECK(v[n / 3] != NULL);
	shuffle(v, n);
	for (size_t i = 0; i < n; i++)
		mica_arena_free(v[i]);
	free(v);
	CHECK(mica_arena_used() == 0);
	CHECK(largest_block() == whole);
	CHECK(mica_arena_peak() > ARENA_SIZE - 1024);
}

typedef struct {
	unsigned char *p;
	size_t n;
	uint64_t seed;
} slot;

static int by_addr(const void *a, const void *b)
{
	const slot *x = a, *y = b;
	return x->p < y->p ? -1 : x->p > y->p;
}

/* All live blocks disjoint, inside the region, and used() plausible. */
static int check_live(slot *s, size_t ns, slot *tmp)
{
	size_t k = 0, usable = 0;
	for (size_t i = 0; i < ns; i++)
		if (s[i].p)
			tmp[k++] = s[i];
	qsort(tmp, k, sizeof *tmp, by_addr);
	for (size_t i = 0; i < k; i++) {
		size_t u = mica_arena_usable_size(tmp[i].p);
		usable += u;
		EXPECT(u >= tmp[i].n && in_region(tmp[i].p, u));
		EXPECT(i + 1 == k || tmp[i].p + u <= tmp[i + 1].p);
	}
	EXPECT(mica_arena_used() >= usable && mica_arena_used() <= usable + 32 * k);
	EXPECT(mica_arena_peak() >= mica_arena_used());
	return 1;
}

static size_t stress_size(void)
{
	uint64_t r = rnd() % 10000;
	if (r < 2) /* 0.02%: 1..8 MiB */
		return rnd_range((size_t)1 << 20, (size_t)8 << 20);
	if (r < 7000) /* 70%: small objects */
		return rnd_range(1, 256);
	size_t k = (size_t)1 << rnd_range(8, 15); /* 30%: log-uniform 256 B..64 KiB */
	return k + (size_t)(rnd() % k);
}

static void test_stress(long ops)
{
	enum { NSLOTS = 8192 };
	static slot s[NSLOTS], tmp[NSLOTS];
	size_t ooms = 0, oom_used = SIZE_MAX, allocs = 0, frees = 0, reallocs = 0, in_place = 0,
	       aligned = 0;
	int ok = 1;
	mica_arena_init(region, ARENA_SIZE);
	memset(s, 0, sizeof s);

	clock_t t0 = clock();
	for (long op = 0; op < ops && ok; op++) {
		slot *x = &s[rnd() % NSLOTS];
		uint64_t r = rnd() % 100;
		if (!x->p) {
			size_t n = stress_size(), al = 16;
			if (r < 10)
				al = (size_t)1 << rnd_range(5, 12);
			unsigned char *p =
			    al > 16 ? mica_arena_alloc_aligned(al, n) : mica_arena_alloc(n);
			if (al > 16)
				aligned++;
			if (!p) {
				ooms++;
				if (mica_arena_used() < oom_used)
					oom_used = mica_arena_used();
				continue;
			}
			if (((uintptr_t)p & (al - 1)) || !in_region(p, n) ||
			    mica_arena_usable_size(p) < n) {
				CHECK(!"bad block from alloc");
				ok = 0;
				break;
			}
			x->p = p;
			x->n = n;
			x->seed = rnd();
			fill(p, n, x->seed);
			allocs++;
		} else if (r < 55) {
			if (!verify(x->p, x->n, x->seed)) {
				CHECK(!"corrupted block at free");
				ok = 0;
				break;
			}
			mica_arena_free(x->p);
			x->p = NULL;
			frees++;
		} else {
			size_t n =
			    r < 80 ? stress_size() : x->n / 2 + 1 + (size_t)(rnd() % (x->n + 64));
			if (!verify(x->p, x->n, x->seed)) {
				CHECK(!"corrupted block at realloc");
				ok = 0;
				break;
			}
			unsigned char *p = mica_arena_realloc(x->p, n);
			if (!p) { /* must leave the old block intact */
				ooms++;
				if (mica_arena_used() < oom_used)
					oom_used = mica_arena_used();
				if (!verify(x->p, x->n, x->seed)) {
					CHECK(!"failed realloc damaged block");
					ok = 0;
				}
				continue;
			}
			size_t keep = n < x->n ? n : x->n;
			if (((uintptr_t)p & 15) || !in_region(p, n) ||
			    mica_arena_usable_size(p) < n || !verify(p, keep, x->seed)) {
				CHECK(!"bad realloc result");
				ok = 0;
				break;
			}
			in_place += p == x->p;
			x->p = p;
			x->n = n;
			x->seed = rnd();
			fill(p, n, x->seed);
			reallocs++;
		}
		if ((op & 0xFFFF) == 0 && !check_live(s, NSLOTS, tmp))
			ok = 0;
	}
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	size_t live = 0;
	for (size_t i = 0; i < NSLOTS; i++)
		live += s[i].p != NULL;
	CHECK(ok);
	CHECK(check_live(s, NSLOTS, tmp));
	printf("stress: %ld ops in %.2fs (%.0f ops/s incl. pattern fill/verify); "
	       "allocs %zu (aligned %zu) frees %zu reallocs %zu (in place %zu) ooms %zu; "
	       "lowest used at an oom %zu KiB; live %zu, used %zu KiB, peak %zu KiB\n",
	       ops, secs, secs > 0 ? ops / secs : 0.0, allocs, aligned, frees, reallocs, in_place,
	       ooms, ooms ? oom_used >> 10 : 0, live, mica_arena_used() >> 10,
	       mica_arena_peak() >> 10);

	/* Free everything (verifying), and the arena must be whole again. */
	for (size_t i = 0; i < NSLOTS; i++) {
		if (!s[i].p)
			continue;
		if (!verify(s[i].p, s[i].n, s[i].seed)) {
			CHECK(!"corrupted block at final free");
			break;
		}
		mica_arena_free(s[i].p);
		s[i].p = NULL;
	}
	CHECK(mica_arena_used() == 0);
	CHECK(largest_block() > ARENA_SIZE - 256);

	/* Pure allocator speed, no pattern work: small-object churn. */
	enum { NP = 4096 };
	static void *pool[NP];
	long fast_ops = ops * 5;
	t0 = clock();
	for (long i = 0; i < fast_ops; i++) {
		size_t k = (size_t)(rnd() % NP);
		if (pool[k]) {
			mica_arena_free(pool[k]);
			pool[k] = NULL;
		} else
			pool[k] = mica_arena_alloc((size_t)(rnd() & 511) + 1);
	}
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	for (size_t k = 0; k < NP; k++) {
		mica_arena_free(pool[k]);
		pool[k] = NULL;
	}
	CHECK(mica_arena_used() == 0);
	printf("churn: %ld alloc/free ops in %.2fs (%.0f ops/s)\n", fast_ops, secs,
	       secs > 0 ? fast_ops / secs : 0.0);
}

int main(int argc, char **argv)
{
	long ops = argc > 1 ? atol(argv[1]) : 2000000;
	if (argc > 2)
		rng_state = strtoull(argv[2], NULL, 0) << 1 | 1;
	region = aligned_alloc(4096, ARENA_SIZE);
	if (!region) {
		fprintf(stderr, "no memory for the region\n");
		return 2;
	}
	test_basic();
	test_exhaustion();
	test_stress(ops);
	free(region);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}

/*
 * The process backend's reset, on the guest's side (docs/process-backend.md).
 *
 * Reached only from the park in guest/proc.S when the host answered
 * MICA_PROC_RESET, on the scratch stack: the guest is parked for good and
 * runs again only in the snapshot's registers once this returns. So this
 * reads nothing the guest could have prepared but the kernel's answers and
 * the host's control page, and calls no library code (no thread pointer:
 * the guest chose it). Compiled with -fno-stack-protector for that reason.
 */
#include <stddef.h>
#include <stdint.h>

#include "../include/mica_abi.h"

/* Linux UAPI (<linux/fs.h>, 6.7): PAGEMAP_SCAN. */
#define PAGE_IS_FILE	(1u << 2)
#define PAGE_IS_PRESENT (1u << 3)
#define PAGE_IS_SWAPPED (1u << 4)
#define PAGE_IS_PFNZERO (1u << 5)

struct page_region {
	uint64_t start, end, categories;
};

struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};

void mica_proc_reset(void);
long mica_proc_scan(struct pm_scan_arg *arg);	  /* proc.S: the pinned ioctl */
long mica_proc_drop(uint64_t addr, uint64_t len); /* proc.S: the pinned madvise */

#define CTRL ((const volatile struct mica_proc_ctrl *)MICA_GPA_CTRL)
/* The scan's output: the scratch area below the page this runs on. */
#define VEC	((struct page_region *)MICA_GPA_SCRATCH)
#define VEC_LEN ((MICA_SCRATCH_SIZE - MICA_PAGE_SIZE) / sizeof(struct page_region))

static void copy(uint64_t dst, uint64_t src, uint64_t n)
{
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static void zero(uint64_t dst, uint64_t n)
{
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(0) : "memory");
}

/* Puts [s, e) back as the snapshot has it: a copy where it has data, zeroes
 * where it has none. */
static void refill(uint64_t s, uint64_t e)
{
	uint64_t n =
	    CTRL->nextents < MICA_PROC_MAX_EXTENTS ? CTRL->nextents : MICA_PROC_MAX_EXTENTS;
	for (uint64_t i = 0; i < n && s < e; i++) {
		uint64_t lo = CTRL->extent[i][0], hi = CTRL->extent[i][1];
		if (hi <= s)
			continue;
		if (lo >= e)
			break;
		if (lo > s) {
			zero(s, lo - s);
			s = lo;
		}
		uint64_t end = hi < e ? hi : e;
		copy(s, MICA_PROC_REF_BASE + s, end - s);
		s = end;
	}
	if (s < e)
		zero(s, e - s);
}

/* Puts [s, e) back to the snapshot: refilled within the budget of pages,
 * dropped past it. */
static void put_back(uint64_t s, uint64_t e, uint64_t *budget)
{
	if (s >= e)
		return;
	uint64_t pages = (e - s) / MICA_PAGE_SIZE;
	if (pages <= *budget) {
		refill(s, e);
		*budget -= pages;
	} else {
		mica_proc_drop(s, e - s);
	}
}

/* The pages the guest wrote in [lo, hi), one of its writable ranges (anonymous
 * now, no longer the snapshot's file pages or the zero page), go back to the
 * snapshot by put_back, but for the pages of MICA_GPA_IN in [keep_lo, keep_hi)
 * that hold the host's next request. */
static void restore_writable(uint64_t lo, uint64_t hi, uint64_t keep_lo, uint64_t keep_hi,
			     uint64_t *budget)
{
	while (lo < hi) {
		struct pm_scan_arg a = {
		    .size = sizeof(a),
		    .start = lo,
		    .end = hi,
		    .vec = (uint64_t)(uintptr_t)VEC,
		    .vec_len = VEC_LEN,
		    .category_inverted = PAGE_IS_FILE | PAGE_IS_PFNZERO,
		    .category_mask = PAGE_IS_FILE | PAGE_IS_PFNZERO,
		    .category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		    .return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		};
		long n = mica_proc_scan(&a);
		if (n < 0) { /* no PAGEMAP_SCAN (Linux < 6.7): the whole range, dropped */
			n = 1;
			VEC[0] = (struct page_region){.start = lo, .end = hi};
			a.walk_end = hi;
			*budget = 0;
		}
		for (long i = 0; i < n; i++) {
			uint64_t s = VEC[i].start, e = VEC[i].end;
			if (s < lo || e > hi || s >= e)
				continue; /* not what was asked: never the case */
			put_back(s, e < keep_lo ? e : keep_lo, budget);
			put_back(s > keep_hi ? s : keep_hi, e, budget);
		}
		if (a.walk_end <= lo || a.walk_end > hi)
			break;
		lo = a.walk_end;
	}
}

/* The guest's private memory [priv_lo, priv_hi) back to the snapshot: only
 * its writable ranges are scanned, since no other page of it ever changes
 * (the guest cannot change its mappings, and the host writes only there).
 * Refilled in place, which keeps the pages mapped, up to copy_max pages;
 * dropped past that, so the next writes fault them in again. */
static void restore_private(void)
{
	uint64_t lo = CTRL->priv_lo, hi = CTRL->priv_hi, budget = CTRL->copy_max;
	uint64_t keep_lo = MICA_GPA_IN,
		 keep_in = CTRL->keep_in < MICA_IN_SIZE ? CTRL->keep_in : MICA_IN_SIZE;
	uint64_t keep_hi = MICA_GPA_IN + ((keep_in + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1));
	uint64_t n =
	    CTRL->nwritable < MICA_PROC_MAX_WRITABLE ? CTRL->nwritable : MICA_PROC_MAX_WRITABLE;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t s = CTRL->writable[i][0] > lo ? CTRL->writable[i][0] : lo;
		uint64_t e = CTRL->writable[i][1] < hi ? CTRL->writable[i][1] : hi;
		if (s < e)
			restore_writable(s, e, keep_lo, keep_hi, &budget);
	}
	zero(MICA_GPA_IN + keep_in, keep_hi - (MICA_GPA_IN + keep_in));
}

/* MICA_PROC_SCAN: one PAGEMAP_SCAN of the pages the guest wrote, for the
 * host's snapshot, into the scratch area below this stack. */
void mica_proc_scan_pages(void);
void mica_proc_scan_pages(void)
{
	struct mica_proc_scan *out = (struct mica_proc_scan *)MICA_GPA_SCRATCH;
	struct pm_scan_arg a = {
	    .size = sizeof(a),
	    .start = CTRL->scan_from,
	    .end = CTRL->priv_hi,
	    .vec = (uint64_t)(uintptr_t)out->region,
	    .vec_len = MICA_PROC_SCAN_MAX,
	    .category_inverted = PAGE_IS_FILE | PAGE_IS_PFNZERO,
	    .category_mask = PAGE_IS_FILE | PAGE_IS_PFNZERO,
	    .category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
	    .return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
	};
	out->count = a.start < a.end ? mica_proc_scan(&a) : 0;
	out->walk_end = a.start < a.end ? a.walk_end : a.end;
}

void mica_proc_reset(void)
{
	restore_private();
	/* The shared pages the guest writes, but for the host's new request. */
	uint64_t keep = CTRL->keep_inline < MICA_INLINE_SIZE ? CTRL->keep_inline : MICA_INLINE_SIZE;
	/* the whole mailbox: post puts the WAIT structure back */
	zero(MICA_GPA_MAILBOX, MICA_PAGE_SIZE);
	zero(MICA_GPA_INLINE + keep, MICA_INLINE_SIZE - keep);
	zero(MICA_GPA_CONSOLE, MICA_CONSOLE_SIZE);
	uint64_t n = CTRL->post_len < sizeof(CTRL->post) ? CTRL->post_len : sizeof(CTRL->post);
	copy(CTRL->post_gpa, (uint64_t)(uintptr_t)CTRL->post, n);
}

/*
 * Guest memory as the host sees it: the only way the host reads or writes
 * it. Every guest address and length goes through mica_mem_check() first
 * (the guest is hostile: addresses come from it), and every write is
 * logged for reset when the sandbox logs (mica_sandbox_reset copies those
 * pages back: a write that escaped the log would leak into the next
 * request).
 *
 * A backend sets the part it can reach in place (direct) and how to reach
 * the rest (slow): KVM reaches all of it in place; the process backend only
 * the shared window, the rest through the child's /proc/<pid>/mem.
 */
#ifndef MICA_HOST_GUESTMEM_H
#define MICA_HOST_GUESTMEM_H

#include <stddef.h>
#include <stdint.h>

struct mica_guestmem {
	uint64_t size;		       /* guest memory: [0, size) */
	uint8_t *direct;	       /* host address of guest address direct_lo */
	uint64_t direct_lo, direct_hi; /* what is reachable in place */
	/* The rest: 0 on success, -1 if the range cannot be reached. */
	int (*slow_read)(void *ctx, uint64_t gpa, void *dst, size_t len);
	int (*slow_write)(void *ctx, uint64_t gpa, const void *src, size_t len);
	void *slow_ctx;
	uint64_t *dirty; /* one bit per page the host wrote; NULL: not logged */
};

/* 1 if [gpa, gpa + len) lies inside guest memory (overflow-safe). */
int mica_mem_check(const struct mica_guestmem *m, uint64_t gpa, uint64_t len);

/* Copies guest bytes out; -1 if the range is outside guest memory or cannot
 * be read. */
int mica_mem_read(const struct mica_guestmem *m, uint64_t gpa, void *dst, size_t len);

/* Copies bytes into the guest and logs the pages; -1 as for read. */
int mica_mem_write(struct mica_guestmem *m, uint64_t gpa, const void *src, size_t len);

/* Zeroes guest bytes (logged), with mica_mem_write's checks. */
int mica_mem_zero(struct mica_guestmem *m, uint64_t gpa, size_t len);

/* The host address of [gpa, gpa + len) when it can be reached in place,
 * its pages logged as written (the caller is about to); NULL otherwise. */
void *mica_mem_direct(struct mica_guestmem *m, uint64_t gpa, size_t len);

/* Guest bytes to read: in place when reachable, else copied into *copy
 * (malloc'd, the caller frees it; NULL when in place). NULL when the range
 * is outside guest memory, unreadable, or the copy cannot be allocated. */
const void *mica_mem_view(const struct mica_guestmem *m, uint64_t gpa, size_t len, void **copy);

/* Logs [gpa, gpa + len) as written by the host (a write the log cannot see). */
void mica_mem_dirty(struct mica_guestmem *m, uint64_t gpa, uint64_t len);

/* Words of a dirty log for size bytes of memory. */
size_t mica_mem_dirty_words(uint64_t size);

#endif

/*
 * What sandboxes cost in memory, the same way for both backends: this
 * process's private pages, its descendants' (the process backend's
 * children), and the host's shared memory and kernel memory (KVM's per-VM
 * state and a child's page tables, task and file structures live there).
 */
#ifndef MICA_BENCH_MEMORY_H
#define MICA_BENCH_MEMORY_H

struct mem {
	long self_priv; /* KiB: this process, smaps_rollup Private_* */
	long self_rss;
	long kids_priv; /* KiB: every descendant, smaps_rollup Private_* */
	long kids_rss;
	long kids;   /* how many descendants */
	long shmem;  /* KiB: the host's Shmem (memfd pages) */
	long kernel; /* KiB: the host's Slab + KernelStack + PageTables + SecPageTables */
	long avail;  /* KiB: the host's MemAvailable */
};

struct mem mem_now(void);
/* KiB per sandbox of "kernel + private" between a and b for n sandboxes:
 * private (self and descendants) + Shmem + kernel memory. */
double mem_per(const struct mem *a, const struct mem *b, long n);
/* A "Key:   123 kB" line of a /proc file, in KiB; 0 if absent. */
long proc_kb(const char *path, const char *key);
long count_fds(void);
long count_maps(void);

#endif

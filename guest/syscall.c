/*
 * The sandbox's whole system-call surface. musl's `syscall` instructions
 * land here through the CPL0 bounce in boot.S; nothing reaches the host
 * kernel. Anything not listed returns -ENOSYS.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>

#include "arena.h"
#include "guest.h"

#define ARCH_SET_FS 0x1002

long mica_syscall_dispatch(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

int64_t mica_clock_wall_ns(void)
{
	const struct mica_boot_info *bi = MICA_INFO;
	if (bi->flags & MICA_BOOT_DETERMINISTIC)
		return mica_vclock_tick();
	if (bi->tsc_khz == 0)
		return bi->wall_base_ns;
	uint64_t d = rdtsc() - bi->tsc_base;
	return bi->wall_base_ns + (int64_t)((unsigned __int128)d * 1000000u / bi->tsc_khz);
}

static long sys_clock_gettime(long clk, struct timespec *ts)
{
	int64_t ns = mica_clock_wall_ns();
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_REALTIME_COARSE &&
	    clk != CLOCK_MONOTONIC_COARSE && clk != CLOCK_MONOTONIC_RAW && clk != CLOCK_BOOTTIME)
		return -EINVAL;
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
	return 0;
}

static long sys_write(long fd, const void *buf, size_t len)
{
	if (fd != 1 && fd != 2)
		return -EBADF;
	mica_console_write((int)fd, buf, len);
	return (long)len;
}

static long sys_mmap(long addr, size_t len, long prot, long flags, long fd)
{
	(void)prot;
	if (addr || fd != -1 || !(flags & MAP_ANONYMOUS) || (flags & MAP_FIXED))
		return -ENOSYS;
	void *p = mica_arena_alloc_aligned(MICA_PAGE_SIZE, len);
	if (!p)
		return -ENOMEM;
	memset(p, 0, len);
	return (long)p;
}

long mica_syscall_dispatch(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	(void)a6;
	switch (nr) {
	case SYS_write: return sys_write(a1, (const void *)a2, (size_t)a3);
	case SYS_writev: {
		const struct iovec *iov = (const struct iovec *)a2;
		long total = 0;
		for (long i = 0; i < a3; i++) {
			long r = sys_write(a1, iov[i].iov_base, iov[i].iov_len);
			if (r < 0)
				return r;
			total += r;
		}
		return total;
	}
	case SYS_brk: return -ENOMEM; /* malloc is the arena (arena.c); nothing needs brk */
	case SYS_mmap: return sys_mmap(a1, (size_t)a2, a3, a4, a5);
	case SYS_munmap: mica_arena_free((void *)a1); return 0;
	case SYS_mremap: return -ENOMEM;
	case SYS_madvise: return 0;
	case SYS_clock_gettime: return sys_clock_gettime(a1, (struct timespec *)a2);
	case SYS_gettimeofday: {
		struct timeval *tv = (struct timeval *)a1;
		if (tv) {
			int64_t ns = mica_clock_wall_ns();
			tv->tv_sec = ns / 1000000000;
			tv->tv_usec = (ns % 1000000000) / 1000;
		}
		return 0;
	}
	case SYS_arch_prctl:
		if (a1 != ARCH_SET_FS)
			return -EINVAL;
		__asm__ volatile("wrfsbase %0" : : "r"(a2) : "memory");
		return 0;
	case SYS_set_tid_address: return 1;
	case SYS_rt_sigprocmask:
	case SYS_rt_sigaction: return 0;
	case SYS_ioctl: return -ENOTTY;
	case SYS_getpid:
	case SYS_gettid: return 1;
	case SYS_tkill:
	case SYS_tgkill: mica_guest_exit(134, "guest runtime aborted");
	case SYS_exit:
	case SYS_exit_group: mica_guest_exit(a1, "guest runtime exited");
	default: return -ENOSYS;
	}
}

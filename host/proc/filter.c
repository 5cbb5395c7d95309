#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "filter.h"

#define PAGEMAP_SCAN  0xc0606610u /* _IOWR('f', 16, struct pm_scan_arg), Linux 6.7 */
#define MADV_DONTNEED 4
#define ARCH_SET_GS   0x1001
#define ARCH_SET_FS   0x1002

#define NR     offsetof(struct seccomp_data, nr)
#define ARCH   offsetof(struct seccomp_data, arch)
#define IP     offsetof(struct seccomp_data, instruction_pointer)
#define ARG(i) (offsetof(struct seccomp_data, args) + 8 * (i))

struct emit {
	struct sock_filter *f;
	unsigned n, max;
	unsigned fails[16]; /* jumps to patch to the current block's failure */
	unsigned nfails;
};

static unsigned op(struct emit *e, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (e->n < e->max)
		e->f[e->n] = (struct sock_filter){.code = code, .jt = jt, .jf = jf, .k = k};
	return e->n++;
}

/* The 64-bit field at off must equal v, else the block fails. */
static void require(struct emit *e, uint32_t off, uint64_t v)
{
	op(e, BPF_LD | BPF_W | BPF_ABS, 0, 0, off);
	e->fails[e->nfails++] = op(e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (uint32_t)v);
	op(e, BPF_LD | BPF_W | BPF_ABS, 0, 0, off + 4);
	e->fails[e->nfails++] = op(e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (uint32_t)(v >> 32));
}

/* Starts the block of system call nr; returns the jump that skips it. */
static unsigned block(struct emit *e, uint32_t nr)
{
	op(e, BPF_LD | BPF_W | BPF_ABS, 0, 0, NR);
	e->nfails = 0;
	return op(e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, nr);
}

/* Ends a block: allowed if every requirement held, else trapped. */
static void end(struct emit *e, unsigned skip)
{
	op(e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
	unsigned fail = op(e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRAP);
	for (unsigned i = 0; i < e->nfails; i++)
		if (e->fails[i] < e->max)
			e->f[e->fails[i]].jf = (uint8_t)(fail - e->fails[i] - 1);
	if (skip < e->max)
		e->f[skip].jf = (uint8_t)(e->n - skip - 1);
}

unsigned mica_proc_filter(const struct mica_image_header *h, struct sock_filter *out, unsigned max)
{
	struct emit e = {.f = out, .max = max};
	/* Only x86-64 system calls; the x32 ones and int 0x80 kill. */
	op(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARCH);
	op(&e, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
	op(&e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	op(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, NR);
	op(&e, BPF_JMP | BPF_JSET | BPF_K, 0, 1, 0x40000000);
	op(&e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	/* rt_sigreturn would let the guest set its own signal mask and stack,
	 * state a reset could not see: the handlers return without it. */
	op(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, SYS_rt_sigreturn);
	op(&e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	op(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, SYS_exit_group);
	op(&e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);

	unsigned skip = block(&e, SYS_read); /* the park's wait for the host */
	require(&e, IP, h->proc_wait_ip);
	require(&e, ARG(0), MICA_PROC_FD_GO);
	require(&e, ARG(1), MICA_GPA_MAILBOX + MICA_MB_GO);
	require(&e, ARG(2), 8);
	end(&e, skip);

	skip = block(&e, SYS_write); /* the park's notification */
	require(&e, IP, h->proc_notify_ip);
	require(&e, ARG(0), MICA_PROC_FD_NOTIFY);
	require(&e, ARG(1), MICA_GPA_CTRL + MICA_CTRL_ONE);
	require(&e, ARG(2), 8);
	end(&e, skip);

	skip = block(&e, SYS_ioctl); /* the reset's scan */
	require(&e, IP, h->proc_scan_ip);
	require(&e, ARG(0), MICA_PROC_FD_PAGEMAP);
	require(&e, ARG(1), PAGEMAP_SCAN);
	end(&e, skip);

	skip = block(&e, SYS_madvise); /* the reset's drop */
	require(&e, IP, h->proc_drop_ip);
	require(&e, ARG(2), MADV_DONTNEED);
	end(&e, skip);

	/* arch_prctl: setting its own FS and GS bases (musl's thread pointer;
	 * the reset puts both back) */
	skip = block(&e, SYS_arch_prctl);
	op(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG(0) + 4);
	e.fails[e.nfails++] = op(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0);
	op(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG(0));
	op(&e, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, ARCH_SET_FS);
	e.fails[e.nfails++] = op(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, ARCH_SET_GS);
	end(&e, skip);

	op(&e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRAP);
	return e.n <= max ? e.n : 0;
}

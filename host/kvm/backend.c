/* The KVM backend: struct mica_backend_ops over host/kvm/vm.c. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <seccomp.h>

#include "kvm.h"
#include "sandbox.h"

#define PAGE MICA_PAGE_SIZE

/* Spares kept when mica_runtime_options.spares is 0. */
#define SPARES_DEFAULT 16

/* A sandbox's VM. A clone's keeps its snapshot's memfd: it goes back to
 * the snapshot through it when it is a spare. */
struct kvm_sb {
	struct mica_vm vm;
	int memfd; /* a dup of the snapshot's, or -1 */
	dev_t dev; /* the memfd's identity: a spare's key */
	ino_t ino;
};

/* The device, and the VMs of freed clones, each kept for the next clone of
 * the same snapshot (oldest first): a new VM costs a KVM_CREATE_VM, a
 * vCPU, a memory slot and then a fault for every page it touches. */
struct kvm_state {
	struct mica_kvm kvm;
	pthread_mutex_t lock;
	struct kvm_sb **spare;
	int nspare, spare_max;
};

static int kvm_open(const mica_runtime_options *opts, void **state, mica_error *err)
{
	struct kvm_state *k = calloc(1, sizeof(*k));
	if (!k)
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	int spares = opts ? opts->spares : 0;
	k->spare_max = spares < 0 ? 0 : spares ? spares : SPARES_DEFAULT;
	k->spare = calloc((size_t)k->spare_max + 1, sizeof(*k->spare));
	if (!k->spare) {
		free(k);
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	}
	const char *path = opts && opts->kvm_path && *opts->kvm_path ? opts->kvm_path : "/dev/kvm";
	int rc = mica_kvm_open(&k->kvm, path, err);
	if (rc) {
		free(k->spare);
		free(k);
		return rc;
	}
	pthread_mutex_init(&k->lock, NULL);
	*state = k;
	return 0;
}

static void release(struct kvm_sb *v)
{
	mica_vm_destroy(&v->vm);
	if (v->memfd >= 0)
		close(v->memfd);
	free(v);
}

static void kvm_close(void *state)
{
	struct kvm_state *k = state;
	for (int i = 0; i < k->nspare; i++)
		release(k->spare[i]);
	pthread_mutex_destroy(&k->lock);
	mica_kvm_close(&k->kvm);
	free(k->spare);
	free(k);
}

static void kvm_describe(void *state, char *buf, size_t len)
{
	const struct kvm_state *k = state;
	snprintf(
	    buf, len,
	    "hypervisor: KVM (%s): one micro-VM per sandbox, one vCPU, no devices, no guest "
	    "kernel\n"
	    "guest: ring 3; its system calls never leave the VM\n"
	    "spares: %d VMs of freed clones kept for clones of the same snapshot, reset before "
	    "reuse\n",
	    k->kvm.path, k->spare_max);
}

static struct mica_vm *vm_of(const mica_sandbox *sb)
{
	return &((struct kvm_sb *)sb->bk)->vm;
}

static void attach(mica_sandbox *sb, struct kvm_sb *v)
{
	sb->bk = v;
	sb->mem = (struct mica_guestmem){.size = v->vm.mem_size,
					 .direct = v->vm.mem,
					 .direct_lo = 0,
					 .direct_hi = v->vm.mem_size,
					 .dirty = v->vm.host_dirty};
}

/* The newest spare of memfd's snapshot, its memory put back to the
 * snapshot (as mica_sandbox_reset does; start() loads the registers), or
 * NULL. */
static struct kvm_sb *take_spare(struct kvm_state *k, int memfd, uint64_t mem_size)
{
	struct stat st;
	if (!k->spare_max || fstat(memfd, &st) < 0)
		return NULL;
	struct kvm_sb *v = NULL;
	pthread_mutex_lock(&k->lock);
	for (int i = k->nspare - 1; i >= 0 && !v; i--)
		if (k->spare[i]->dev == st.st_dev && k->spare[i]->ino == st.st_ino &&
		    k->spare[i]->vm.mem_size == mem_size) {
			v = k->spare[i];
			memmove(k->spare + i, k->spare + i + 1,
				(size_t)(k->nspare - i - 1) * sizeof(*k->spare));
			k->nspare--;
		}
	pthread_mutex_unlock(&k->lock);
	uint64_t pages;
	mica_error ignored;
	if (v && mica_vm_dirty_restore(&v->vm, NULL, v->memfd, &pages, &ignored)) {
		release(v);
		return NULL;
	}
	return v;
}

static int kvm_create(mica_sandbox *sb, int memfd, int resettable, mica_error *err)
{
	struct kvm_state *k = sb->rt->bk;
	struct kvm_sb *v =
	    memfd >= 0 && resettable ? take_spare(k, memfd, sb->limits.memory_bytes) : NULL;
	if (v) {
		attach(sb, v);
		return 0;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	v->memfd = -1;
	int rc = mica_vm_create(&v->vm, &k->kvm, sb->limits.memory_bytes, memfd, resettable, err);
	if (rc) {
		free(v);
		return rc;
	}
	/* a clone: what makes it a spare later (a failure only makes it none) */
	struct stat st;
	if (memfd >= 0 && resettable && k->spare_max &&
	    (v->memfd = fcntl(memfd, F_DUPFD_CLOEXEC, 3)) >= 0 && fstat(v->memfd, &st) == 0) {
		v->dev = st.st_dev;
		v->ino = st.st_ino;
	}
	attach(sb, v);
	return 0;
}

/* A clone's VM becomes a spare; the oldest goes when there are too many. */
static void kvm_destroy(mica_sandbox *sb)
{
	struct kvm_state *k = sb->rt->bk;
	struct kvm_sb *v = sb->bk, *evicted = NULL;
	sb->bk = NULL;
	memset(&sb->mem, 0, sizeof(sb->mem));
	if (v->memfd < 0 || !v->ino) {
		release(v);
		return;
	}
	pthread_mutex_lock(&k->lock);
	if (k->nspare == k->spare_max) {
		evicted = k->spare[0];
		memmove(k->spare, k->spare + 1, (size_t)--k->nspare * sizeof(*k->spare));
	}
	k->spare[k->nspare++] = v;
	pthread_mutex_unlock(&k->lock);
	if (evicted)
		release(evicted);
}

static int kvm_start(mica_sandbox *sb, const struct mica_cpu *cpu, mica_error *err)
{
	struct mica_vm_sys sys;
	mica_vm_sys_of(&sys, &sb->layout, &sb->rt->image);
	return mica_vm_load(vm_of(sb), &sys, cpu, err);
}

static int kvm_begin(mica_sandbox *sb, int64_t deadline, mica_error *err)
{
	return mica_vm_arm(vm_of(sb), deadline, err);
}

static void kvm_end(mica_sandbox *sb)
{
	mica_vm_disarm(vm_of(sb));
}

static void kvm_kick(mica_sandbox *sb)
{
	int tid = atomic_load(&sb->runner);
	if (tid)
		mica_vm_kick(tid);
}

static int kvm_run(mica_sandbox *sb, int64_t deadline, struct mica_exit *ex, mica_error *err)
{
	struct mica_vm *vm = vm_of(sb);
	int rc = mica_vm_run(vm, deadline, &sb->interrupt, err);
	if (rc)
		return rc;
	struct kvm_run *run = vm->run;
	memset(ex, 0, sizeof(*ex));
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint16_t port = run->io.port;
		if (port ==
		    MICA_HC_FAULT_PORT) { /* a CPL0 exception stub: the facts in registers */
			struct kvm_regs r;
			if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0)
				return mica_err(err, MICA_ERR_FAULT,
						"guest fault (registers unreadable)");
			ex->kind = MICA_EXIT_FAULT;
			ex->fault = (struct mica_fault){.vector = r.rdi,
							.error = r.rsi,
							.rip = r.rdx,
							.addr = r.rcx,
							.rsp = r.r8};
			return 0;
		}
		if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
		    run->io.count != 1 || port < MICA_PORT_BASE ||
		    port >= MICA_PORT_BASE + MICA_HC_COUNT)
			return mica_err(
			    err, MICA_ERR_FAULT,
			    "guest fault: unexpected I/O port 0x%x access (%s, %u bytes)", port,
			    run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.size);
		uint32_t gpa;
		memcpy(&gpa, (uint8_t *)run + run->io.data_offset, 4);
		ex->kind = MICA_EXIT_CALL;
		ex->nr = (uint32_t)(port - MICA_PORT_BASE);
		ex->arg = gpa;
		return 0;
	}
	case KVM_EXIT_SHUTDOWN:
		return mica_err(err, MICA_ERR_FAULT,
				"guest fault: triple fault (the vCPU shut down)");
	case KVM_EXIT_HLT: return mica_err(err, MICA_ERR_FAULT, "guest fault: the guest halted");
	case KVM_EXIT_MMIO:
		return mica_err(err, MICA_ERR_FAULT,
				"guest fault: access to unbacked physical address 0x%llx",
				(unsigned long long)run->mmio.phys_addr);
	case KVM_EXIT_INTERNAL_ERROR:
		return mica_err(err, MICA_ERR_FAULT,
				"guest fault: KVM could not emulate an instruction (internal "
				"error, suberror %u)",
				run->internal.suberror);
	case KVM_EXIT_FAIL_ENTRY:
		return mica_err(err, MICA_ERR_SYSTEM,
				"KVM could not enter the guest (reason 0x%llx)",
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	default:
		return mica_err(err, MICA_ERR_FAULT, "guest fault: unexpected VM exit %u",
				run->exit_reason);
	}
}

/* Marks in vec the pages swapped out, which mincore() calls not resident;
 * best effort (no pagemap, no swap: nothing to add). */
static void add_swapped(const struct mica_vm *vm, unsigned char *vec, uint64_t n)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	uint64_t entries[512];
	for (uint64_t i = 0; i < n; i += 512) {
		uint64_t k = n - i < 512 ? n - i : 512;
		off_t off = (off_t)(((uintptr_t)vm->mem / PAGE + i) * 8);
		if (pread(fd, entries, k * 8, off) != (ssize_t)(k * 8))
			break;
		for (uint64_t j = 0; j < k; j++)
			if (entries[j] & (1ull << 62)) /* swapped */
				vec[i + j] |= 1;
	}
	close(fd);
}

/* Copies the pages the guest ever touched (resident or swapped out) into
 * fd; untouched pages stay holes and read as zeroes. */
static int copy_touched(const struct mica_vm *vm, int fd, uint64_t *pages, mica_error *err)
{
	uint64_t n = vm->mem_size / PAGE;
	unsigned char *vec = malloc(n);
	if (!vec)
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	int rc = 0;
	if (mincore(vm->mem, vm->mem_size, vec) < 0) {
		rc = mica_err_errno(err, MICA_ERR_SYSTEM, "mincore");
		goto out;
	}
	add_swapped(vm, vec, n);
	*pages = 0;
	for (uint64_t i = 0; i < n;) {
		if (!(vec[i] & 1)) {
			i++;
			continue;
		}
		uint64_t j = i;
		while (j < n && (vec[j] & 1))
			j++;
		size_t len = (j - i) * PAGE;
		if (pwrite(fd, vm->mem + i * PAGE, len, (off_t)(i * PAGE)) != (ssize_t)len) {
			rc = mica_err_errno(err, MICA_ERR_SYSTEM, "cannot write snapshot memory");
			goto out;
		}
		*pages += j - i;
		i = j;
	}
out:
	free(vec);
	return rc;
}

static int kvm_capture(mica_sandbox *sb, int memfd, uint64_t *pages, struct mica_cpu *cpu,
		       mica_error *err)
{
	struct mica_vm *vm = vm_of(sb);
	/* Parked in MICA_HC_WAIT: KVM finishes the `out` on the next KVM_RUN,
	 * so finish it now and save the state past it. */
	if (copy_touched(vm, memfd, pages, err) || mica_vm_complete_io(vm, err) ||
	    mica_vm_save(vm, cpu, err))
		return err ? err->code : MICA_ERR_SYSTEM;
	return 0;
}

static int kvm_reset(mica_sandbox *sb, const struct mica_snap_mem *snap, mica_error *err)
{
	uint64_t pages;
	int rc = mica_vm_dirty_restore(vm_of(sb), snap->ref, -1, &pages, err);
	return rc ? rc : kvm_start(sb, snap->cpu, err);
}

static int kvm_clock(mica_sandbox *sb, uint64_t *tsc_khz, uint64_t *tsc, mica_error *err)
{
	return mica_vm_tsc(vm_of(sb), tsc_khz, tsc, err);
}

/* KVM's ioctls only (type KVMIO), on whatever descriptor: the process's
 * own KVM, VM and vCPU descriptors are the only ones that answer them. */
static int kvm_lockdown(void *state, void *ctx)
{
	(void)state;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, (scmp_datum_t)KVMIO << 8));
}

const struct mica_backend_ops mica_kvm_ops = {
    .name = "kvm",
    .open = kvm_open,
    .close = kvm_close,
    .describe = kvm_describe,
    .create = kvm_create,
    .start = kvm_start,
    .destroy = kvm_destroy,
    .begin = kvm_begin,
    .end = kvm_end,
    .run = kvm_run,
    .kick = kvm_kick,
    .capture = kvm_capture,
    .reset = kvm_reset,
    .clock = kvm_clock,
    .lockdown = kvm_lockdown,
};

/* KVM plumbing, after Solo5's tenders/hvt and kvmtool. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm.h"
#include "sys.h"

#define MSR_IA32_TSC	   0x10
#define MSR_STAR	   0xc0000081
#define MSR_LSTAR	   0xc0000082
#define MSR_CSTAR	   0xc0000083
#define MSR_SFMASK	   0xc0000084
#define MSR_FS_BASE	   0xc0000100
#define MSR_GS_BASE	   0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

#define CR0_PE	       0x1ull
#define CR0_MP	       0x2ull
#define CR0_ET	       0x10ull
#define CR0_NE	       0x20ull
#define CR0_WP	       0x10000ull
#define CR0_PG	       0x80000000ull
#define CR4_PAE	       0x20ull
#define CR4_OSFXSR     0x200ull
#define CR4_OSXMMEXCPT 0x400ull
#define CR4_FSGSBASE   0x10000ull
#define EFER_SCE       0x1ull
#define EFER_LME       0x100ull
#define EFER_LMA       0x400ull
#define EFER_NXE       0x800ull

/* The vCPU the current thread is running, for the signal handler. */
static __thread struct kvm_run *volatile tls_run;

static void on_signal(int sig)
{
	(void)sig;
	struct kvm_run *run = tls_run;
	if (run)
		run->immediate_exit = 1;
}

static pthread_once_t signal_once = PTHREAD_ONCE_INIT;

static void install_signal(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* Host functions and console callbacks run on this thread too: their
	 * system calls restart rather than fail with EINTR. KVM_RUN never does. */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(MICA_SIGNAL, &sa, NULL);
}

int mica_kvm_open(struct mica_kvm *kvm, const char *path, mica_error *err)
{
	memset(kvm, 0, sizeof(*kvm));
	kvm->fd = open(path, O_RDWR | O_CLOEXEC);
	if (kvm->fd < 0)
		return mica_err_errno(err, MICA_ERR_SYSTEM,
				      "hypervisor unavailable: cannot open %s", path);
	snprintf(kvm->path, sizeof(kvm->path), "%s", path);
	int ver = ioctl(kvm->fd, KVM_GET_API_VERSION, 0);
	if (ver < 0) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "hypervisor unavailable: %s is no KVM device",
			       path);
		goto fail;
	}
	if (ver != KVM_API_VERSION) {
		mica_err(err, MICA_ERR_SYSTEM, "hypervisor unavailable: %s has KVM API %d, need %d",
			 path, ver, KVM_API_VERSION);
		goto fail;
	}
	if (ioctl(kvm->fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		mica_err(err, MICA_ERR_SYSTEM,
			 "hypervisor unavailable: KVM lacks KVM_CAP_IMMEDIATE_EXIT");
		goto fail;
	}
	int sz = ioctl(kvm->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run)) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "KVM_GET_VCPU_MMAP_SIZE");
		goto fail;
	}
	kvm->run_size = (size_t)sz;

	for (unsigned n = 64;; n *= 2) {
		kvm->cpuid = calloc(1, sizeof(*kvm->cpuid) + n * sizeof(kvm->cpuid->entries[0]));
		if (!kvm->cpuid) {
			mica_err(err, MICA_ERR_SYSTEM, "out of memory");
			goto fail;
		}
		kvm->cpuid->nent = n;
		if (ioctl(kvm->fd, KVM_GET_SUPPORTED_CPUID, kvm->cpuid) == 0)
			break;
		free(kvm->cpuid);
		kvm->cpuid = NULL;
		if (errno != E2BIG || n >= 4096) {
			mica_err_errno(err, MICA_ERR_SYSTEM, "KVM_GET_SUPPORTED_CPUID");
			goto fail;
		}
	}
	/* Hide nested virtualisation from the guest. */
	for (uint32_t i = 0; i < kvm->cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &kvm->cpuid->entries[i];
		if (e->function == 1)
			e->ecx &= ~(1u << 5); /* VMX */
		if (e->function == 0x80000001)
			e->ecx &= ~(1u << 2); /* SVM */
	}
	pthread_once(&signal_once, install_signal);
	return 0;
fail:
	mica_kvm_close(kvm);
	return err ? err->code : MICA_ERR_SYSTEM;
}

void mica_kvm_close(struct mica_kvm *kvm)
{
	if (kvm->fd >= 0)
		close(kvm->fd);
	free(kvm->cpuid);
	memset(kvm, 0, sizeof(*kvm));
	kvm->fd = -1;
}

/* What mica_vm_load hands to the next KVM_RUN rather than to ioctls. */
#define MICA_SYNC_REGS (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS)

static int sync_now(struct mica_vm *vm, mica_error *err);

/* Pages a reset may keep copying back before the log is re-protected. */
#define MICA_DIRTY_KEEP_MAX 512

static size_t dirty_words(const struct mica_vm *vm)
{
	return (vm->mem_size / MICA_PAGE_SIZE + 63) / 64;
}

/* The memory slot; with log, also the logs resets copy back by. */
static int set_memory(struct mica_vm *vm, int log, mica_error *err)
{
	uint32_t flags = 0;
	if (log) {
		vm->dirty = calloc(dirty_words(vm), 8);
		vm->host_dirty = calloc(dirty_words(vm), 8);
		if (!vm->dirty || !vm->host_dirty)
			return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
		/* With manual protection, pages the guest keeps writing stay
		 * writable between resets (and are copied back every time)
		 * instead of faulting again after each reset: the calls after a
		 * reset ran 2.5x slower. */
		struct kvm_enable_cap cap = {.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
					     .args = {KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE}};
		vm->dirty_manual = ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) == 0;
		flags = KVM_MEM_LOG_DIRTY_PAGES;
	}
	struct kvm_userspace_memory_region region = {.slot = 0,
						     .flags = flags,
						     .guest_phys_addr = 0,
						     .memory_size = vm->mem_size,
						     .userspace_addr = (uintptr_t)vm->mem};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return mica_err_errno(err, MICA_ERR_SYSTEM, "KVM_SET_USER_MEMORY_REGION");
	return 0;
}

int mica_vm_create(struct mica_vm *vm, const struct mica_kvm *kvm, uint64_t mem_size, int fd,
		   int log, mica_error *err)
{
	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = vm->vcpu_fd = -1;
	vm->mem = MAP_FAILED;
	vm->run = MAP_FAILED;

	vm->vm_fd = ioctl(kvm->fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "KVM_CREATE_VM");
		goto fail;
	}
	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_NORESERVE | (fd < 0 ? MAP_ANONYMOUS : 0), fd, 0);
	if (vm->mem == MAP_FAILED) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "cannot map %llu bytes of guest memory",
			       (unsigned long long)mem_size);
		goto fail;
	}
	vm->mem_size = mem_size;
	if (set_memory(vm, log, err))
		goto fail;
	/* Needed by VMX hosts without unrestricted guest; harmless elsewhere. */
	if (ioctl(kvm->fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0)
		(void)ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "KVM_CREATE_VCPU");
		goto fail;
	}
	vm->run = mmap(NULL, kvm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "cannot map the vCPU run area");
		goto fail;
	}
	vm->run_size = kvm->run_size;
	vm->sync_regs = (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) &
			 MICA_SYNC_REGS) == MICA_SYNC_REGS;
	if (ioctl(vm->vcpu_fd, KVM_SET_CPUID2, kvm->cpuid) < 0) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "KVM_SET_CPUID2");
		goto fail;
	}
	return 0;
fail:
	mica_vm_destroy(vm);
	return err ? err->code : MICA_ERR_SYSTEM;
}

void mica_vm_destroy(struct mica_vm *vm)
{
	if (vm->timer_tid)
		timer_delete(vm->timer);
	free(vm->dirty);
	free(vm->host_dirty);
	if (vm->run && vm->run != MAP_FAILED)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->mem && vm->mem != MAP_FAILED)
		munmap(vm->mem, vm->mem_size);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = vm->vcpu_fd = -1;
}

static void set_segment(struct kvm_segment *s, uint16_t sel, int code)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = code ? 11 : 3;
	s->present = 1;
	s->dpl = sel & 3;
	s->db = !code;
	s->s = 1;
	s->l = code;
	s->g = 1;
}

/* rflags bits a CPL3 guest owns (CF, PF, AF, ZF, SF, TF, DF, OF, AC, ID);
 * the rest is ours: IOPL=3 (hypercalls are `out` from CPL3), IF clear. */
#define RFLAGS_USER 0x254dd5ull
#define RFLAGS_KVM  0x3002ull

/* FXSAVE image -> KVM's XSAVE area: the legacy region, and an XSAVE header
 * that says x87 and SSE are there (every other component: initial state). */
static void xsave_from(struct kvm_xsave *x, const uint8_t fxsave[512])
{
	memset(x, 0, sizeof(*x));
	memcpy(x->region, fxsave, 512);
	x->region[512 / 4] = 3; /* XSTATE_BV: x87 | SSE */
}

void mica_vm_sys_of(struct mica_vm_sys *sys, const struct mica_layout *l,
		    const struct mica_image *img)
{
	*sys = (struct mica_vm_sys){
	    .cr3 = l->pt_base,
	    .gdt = MICA_BOOT_GDT,
	    .gdt_limit = MICA_BOOT_GDT_LIMIT,
	    .idt = MICA_BOOT_IDT,
	    .idt_limit = MICA_BOOT_IDT_LIMIT,
	    .tss = MICA_BOOT_TSS,
	    .tss_limit = MICA_BOOT_TSS_LIMIT,
	    .lstar = img->hdr.syscall_entry,
	};
}

int mica_vm_load(struct mica_vm *vm, const struct mica_vm_sys *sys, const struct mica_cpu *cpu,
		 mica_error *err)
{
	/* The system registers are the same at every load but for FS and GS:
	 * built once (on KVM's defaults for the rest, such as the APIC base),
	 * then reused, so that what a guest changed of them (CR8, say) is put
	 * back too. */
	struct kvm_sregs sregs = vm->sregs;
	if (!vm->sregs_built && ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return mica_err_errno(err, MICA_ERR_SYSTEM, "KVM_GET_SREGS");
	set_segment(&sregs.cs, MICA_SEL_UCODE, 1);
	set_segment(&sregs.ds, MICA_SEL_UDATA, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.fs.base = cpu->fs_base;
	sregs.gs.base = cpu->gs_base;
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.base = sys->tss;
	sregs.tr.limit = (uint32_t)sys->tss_limit;
	sregs.tr.selector = MICA_SEL_TSS;
	sregs.tr.type = 11; /* busy 64-bit TSS */
	sregs.tr.present = 1;
	memset(&sregs.ldt, 0, sizeof(sregs.ldt));
	sregs.ldt.type = 2;
	sregs.ldt.present = 1;
	sregs.ldt.limit = 0xffff;
	sregs.gdt.base = sys->gdt;
	sregs.gdt.limit = (uint16_t)sys->gdt_limit;
	sregs.idt.base = sys->idt;
	sregs.idt.limit = (uint16_t)sys->idt_limit;
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr2 = 0;
	sregs.cr3 = sys->cr3;
	sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_FSGSBASE;
	sregs.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	memset(sregs.interrupt_bitmap, 0, sizeof(sregs.interrupt_bitmap));
	vm->sregs = sregs;
	vm->sregs_built = 1;

	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[4];
	} msrs;
	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = 4;
	msrs.e[0].index = MSR_STAR;
	msrs.e[0].data = ((uint64_t)MICA_SEL_KCODE << 32) | ((uint64_t)0x1b << 48);
	msrs.e[1].index = MSR_LSTAR;
	msrs.e[1].data = sys->lstar;
	msrs.e[2].index = MSR_SFMASK;
	msrs.e[2].data = 0x40700; /* IF, TF, DF, AC */
	msrs.e[3].index = MSR_KERNEL_GS_BASE;

	struct kvm_xsave xsave;
	xsave_from(&xsave, cpu->fxsave);
	struct kvm_debugregs dbg;
	memset(&dbg, 0, sizeof(dbg));
	dbg.dr6 = 0xffff0ff0;
	dbg.dr7 = 0x400;
	struct kvm_vcpu_events ev;
	memset(&ev, 0, sizeof(ev));

	struct kvm_regs regs;
	memset(&regs, 0, sizeof(regs));
	const uint64_t *g = cpu->gpr;
	regs.rax = g[0], regs.rcx = g[1], regs.rdx = g[2], regs.rbx = g[3];
	regs.rsp = g[4], regs.rbp = g[5], regs.rsi = g[6], regs.rdi = g[7];
	regs.r8 = g[8], regs.r9 = g[9], regs.r10 = g[10], regs.r11 = g[11];
	regs.r12 = g[12], regs.r13 = g[13], regs.r14 = g[14], regs.r15 = g[15];
	regs.rip = cpu->rip;
	regs.rflags = (cpu->rflags & RFLAGS_USER) | RFLAGS_KVM;

	if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &msrs) != 4 ||
	    ioctl(vm->vcpu_fd, KVM_SET_XSAVE, &xsave) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_SET_DEBUGREGS, &dbg) < 0)
		return mica_err_errno(err, MICA_ERR_SYSTEM, "cannot load the vCPU state");
	/* The rest goes in with the next KVM_RUN (KVM_CAP_SYNC_REGS): an ioctl
	 * on a vCPU cost ~7 us on a nested host, a third of a reset. */
	vm->run->s.regs.regs = regs;
	vm->run->s.regs.sregs = sregs;
	vm->run->s.regs.events = ev;
	vm->run->kvm_dirty_regs = MICA_SYNC_REGS;
	return vm->sync_regs ? 0 : sync_now(vm, err);
}

/* Loads now, by ioctl, what mica_vm_load left for the next KVM_RUN: where
 * KVM cannot take it that way, and before the state is read back. */
static int sync_now(struct mica_vm *vm, mica_error *err)
{
	struct kvm_run *run = vm->run;
	if (!run->kvm_dirty_regs)
		return 0;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &run->s.regs.sregs) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_SET_VCPU_EVENTS, &run->s.regs.events) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_SET_REGS, &run->s.regs.regs) < 0)
		return mica_err_errno(err, MICA_ERR_SYSTEM, "cannot load the vCPU state");
	run->kvm_dirty_regs = 0;
	return 0;
}

int mica_vm_complete_io(struct mica_vm *vm, mica_error *err)
{
	int rc = sync_now(vm, err);
	if (rc)
		return rc;
	vm->run->immediate_exit = 1;
	int r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
	int e = errno;
	vm->run->immediate_exit = 0;
	if (r == 0 || e != EINTR) {
		errno = e;
		return mica_err_errno(err, MICA_ERR_SYSTEM,
				      "cannot complete the guest's pending exit");
	}
	return 0;
}

int mica_vm_save(struct mica_vm *vm, struct mica_cpu *cpu, mica_error *err)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xsave xsave;
	int rc = sync_now(vm, err);
	if (rc)
		return rc;
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_GET_XSAVE, &xsave) < 0)
		return mica_err_errno(err, MICA_ERR_SYSTEM, "cannot read the vCPU state");
	memset(cpu, 0, sizeof(*cpu));
	uint64_t *g = cpu->gpr;
	g[0] = regs.rax, g[1] = regs.rcx, g[2] = regs.rdx, g[3] = regs.rbx;
	g[4] = regs.rsp, g[5] = regs.rbp, g[6] = regs.rsi, g[7] = regs.rdi;
	g[8] = regs.r8, g[9] = regs.r9, g[10] = regs.r10, g[11] = regs.r11;
	g[12] = regs.r12, g[13] = regs.r13, g[14] = regs.r14, g[15] = regs.r15;
	cpu->rip = regs.rip;
	cpu->rflags = regs.rflags & RFLAGS_USER;
	cpu->fs_base = sregs.fs.base;
	cpu->gs_base = sregs.gs.base;
	memcpy(cpu->fxsave, xsave.region, sizeof(cpu->fxsave));
	return 0;
}

int mica_vm_dirty_restore(struct mica_vm *vm, const uint8_t *ref, int fd, uint64_t *pages,
			  mica_error *err)
{
	struct kvm_dirty_log log = {.slot = 0, .dirty_bitmap = vm->dirty};
	if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
		return mica_err_errno(err, MICA_ERR_SYSTEM, "KVM_GET_DIRTY_LOG");
	uint64_t n = 0, guest_pages = 0;
	for (size_t w = 0; w < dirty_words(vm); w++) {
		uint64_t bits = vm->dirty[w] | vm->host_dirty[w];
		guest_pages += (uint64_t)__builtin_popcountll(vm->dirty[w]);
		vm->host_dirty[w] = 0;
		while (bits) {
			uint64_t off = (w * 64 + (uint64_t)__builtin_ctzll(bits)) * MICA_PAGE_SIZE;
			if (ref)
				memcpy(vm->mem + off, ref + off, MICA_PAGE_SIZE);
			else if (pread(fd, vm->mem + off, MICA_PAGE_SIZE, (off_t)off) !=
				 MICA_PAGE_SIZE)
				return mica_err_errno(err, MICA_ERR_SYSTEM,
						      "cannot read the snapshot back");
			bits &= bits - 1;
			n++;
		}
	}
	*pages = n;
	/* Manual mode keeps the log (it only grows): once copying it back costs
	 * more than re-faulting would, start over. */
	if (vm->dirty_manual && guest_pages > MICA_DIRTY_KEEP_MAX) {
		struct kvm_clear_dirty_log clear = {.slot = 0,
						    .num_pages =
							(uint32_t)(vm->mem_size / MICA_PAGE_SIZE),
						    .first_page = 0,
						    .dirty_bitmap = vm->dirty};
		if (ioctl(vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &clear) < 0)
			return mica_err_errno(err, MICA_ERR_SYSTEM, "KVM_CLEAR_DIRTY_LOG");
	}
	return 0;
}

int mica_vm_tsc(struct mica_vm *vm, uint64_t *khz, uint64_t *tsc, mica_error *err)
{
	if (!vm->tsc_khz) {
		int k = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
		vm->tsc_khz = k > 0 ? (uint64_t)k : 0;
	}
	*khz = vm->tsc_khz;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;
	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = MSR_IA32_TSC;
	if (ioctl(vm->vcpu_fd, KVM_GET_MSRS, &m) != 1)
		return mica_err_errno(err, MICA_ERR_SYSTEM, "KVM_GET_MSRS(TSC)");
	*tsc = m.e.data;
	return 0;
}

/* A number no other thread of this process ever gets. A timer signals the
 * thread it was made for, not whoever has its tid: once that thread exits
 * it signals nobody, even when a new thread reuses the tid. */
static uint64_t thread_token(void)
{
	static atomic_uint_least64_t last;
	static __thread uint64_t token;
	if (!token)
		token = atomic_fetch_add(&last, 1) + 1;
	return token;
}

/* Inside KVM_RUN the thread's signal mask is the calling thread's current
 * one with MICA_SIGNAL unblocked: what the application blocks stays blocked
 * (a pending blocked signal would otherwise end KVM_RUN over and over). */
static int set_run_mask(struct mica_vm *vm, mica_error *err)
{
	sigset_t set;
	pthread_sigmask(SIG_SETMASK, NULL, &set);
	sigdelset(&set, MICA_SIGNAL);
	uint64_t bits;
	memcpy(&bits, &set, 8);
	if (vm->run_mask_set && bits == vm->run_mask)
		return 0;
	struct {
		struct kvm_signal_mask hdr;
		uint64_t bits;
	} mask = {.hdr.len = 8, .bits = bits};
	if (ioctl(vm->vcpu_fd, KVM_SET_SIGNAL_MASK, &mask) < 0)
		return mica_err_errno(err, MICA_ERR_SYSTEM, "KVM_SET_SIGNAL_MASK");
	vm->run_mask = bits;
	vm->run_mask_set = 1;
	return 0;
}

int mica_vm_arm(struct mica_vm *vm, int64_t deadline_ns, mica_error *err)
{
	int rc = set_run_mask(vm, err);
	if (rc)
		return rc;
	if (deadline_ns == 0)
		goto armed;
	pid_t tid = mica_thread_id();
	uint64_t me = thread_token();
	if (vm->timer_owner != me) {
		if (vm->timer_tid)
			timer_delete(vm->timer);
		vm->timer_tid = 0;
		struct sigevent sev;
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = MICA_SIGNAL;
		sev._sigev_un._tid = tid;
		if (timer_create(CLOCK_MONOTONIC, &sev, &vm->timer) < 0)
			return mica_err_errno(err, MICA_ERR_SYSTEM, "timer_create");
		vm->timer_tid = tid;
		vm->timer_owner = me;
	}
	/* Repeats after the deadline: the first signal may be spent on another
	 * sandbox that a host function runs on this thread. */
	struct itimerspec its = {
	    .it_value = {.tv_sec = deadline_ns / 1000000000, .tv_nsec = deadline_ns % 1000000000},
	    .it_interval = {.tv_nsec = 10000000}};
	if (timer_settime(vm->timer, TIMER_ABSTIME, &its, NULL) < 0)
		return mica_err_errno(err, MICA_ERR_SYSTEM, "timer_settime");
armed:
	/* Last, so that a failure leaves no pointer behind; nested sandboxes
	 * (run from a host function) hand the slot back in disarm. */
	vm->prev_run = tls_run;
	tls_run = vm->run;
	return 0;
}

void mica_vm_disarm(struct mica_vm *vm)
{
	if (vm->timer_tid) {
		struct itimerspec its;
		memset(&its, 0, sizeof(its));
		timer_settime(vm->timer, 0, &its, NULL);
	}
	tls_run = vm->prev_run;
	vm->prev_run = NULL;
	vm->run->immediate_exit = 0;
}

int mica_vm_run(struct mica_vm *vm, int64_t deadline_ns, atomic_int *interrupt, mica_error *err)
{
	for (;;) {
		if (atomic_load(interrupt))
			return mica_err(err, MICA_ERR_INTERRUPTED, "interrupted by the host");
		if (deadline_ns && mica_now_ns() >= deadline_ns)
			return mica_err(err, MICA_ERR_TIMEOUT, "time limit exceeded");
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) == 0)
			return 0;
		if (errno != EINTR && errno != EAGAIN)
			return mica_err_errno(err, MICA_ERR_SYSTEM, "KVM_RUN");
		vm->run->immediate_exit = 0;
		/* the deadline, an interrupt or a stray signal: the loop decides */
	}
}

void mica_vm_kick(pid_t tid)
{
	syscall(SYS_tgkill, getpid(), tid, MICA_SIGNAL);
}

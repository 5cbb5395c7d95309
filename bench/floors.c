#include "floors.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "image.h"
#include "kvm.h"

#define MIB	      (1ull << 20)
#define VM_MEM	      (64 * MIB)
#define EXITLOOP_PORT 0xf0 /* bench/guests/exitloop.S: BENCH_PORT */

/* The exit-loop guest, linked in so the binary runs from any directory. */
__asm__(".section .rodata\n"
	".balign 16\n"
	".globl exitloop_image, exitloop_image_end\n"
	".hidden exitloop_image, exitloop_image_end\n"
	"exitloop_image:\n"
	".incbin \"" BENCH_EXITLOOP_ELF "\"\n"
	"exitloop_image_end:\n"
	".previous\n");
extern const uint8_t exitloop_image[], exitloop_image_end[];

static void efd_write(int fd, uint64_t v)
{
	if (write(fd, &v, 8) != 8)
		die("eventfd write: %s", strerror(errno));
}

static uint64_t efd_read(int fd)
{
	uint64_t v;
	while (read(fd, &v, 8) != 8)
		if (errno != EINTR)
			die("eventfd read: %s", strerror(errno));
	return v;
}

void floor_eventfd_rtt(struct samples *s, int n)
{
	int go = eventfd(0, EFD_CLOEXEC), back = eventfd(0, EFD_CLOEXEC);
	if (go < 0 || back < 0)
		die("eventfd: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		while (efd_read(go) == 1)
			efd_write(back, 1);
		_exit(0);
	}
	for (int i = 0; i < n + n / 10; i++) {
		int64_t t0 = now_ns();
		efd_write(go, 1);
		efd_read(back);
		if (i >= n / 10)
			add(s, (double)(now_ns() - t0));
	}
	efd_write(go, 2);
	waitpid(pid, NULL, 0);
	close(go);
	close(back);
}

/* Runs in a child of its own, so that what is forked has only the size
 * asked for (not the bench's); the times come back in shared memory. */
void floor_fork(struct samples *fork_only, struct samples *cycle, size_t mem, size_t resident,
		int n)
{
	size_t bytes = (size_t)n * 2 * sizeof(double);
	double *t = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	pid_t helper = fork();
	if (helper < 0)
		die("fork: %s", strerror(errno));
	if (helper == 0) {
		uint8_t *m = mmap(NULL, mem, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			_exit(1);
		for (size_t off = 0; off < resident && off < mem; off += 4096)
			m[off] = 1;
		for (int i = 0; i < n + 10; i++) {
			int64_t t0 = now_ns();
			pid_t c = fork();
			if (c == 0)
				_exit(0);
			int64_t t1 = now_ns();
			if (c < 0 || waitpid(c, NULL, 0) != c)
				_exit(1);
			if (i >= 10) {
				t[2 * (i - 10)] = (double)(t1 - t0);
				t[2 * (i - 10) + 1] = (double)(now_ns() - t0);
			}
		}
		_exit(0);
	}
	int st;
	if (waitpid(helper, &st, 0) != helper || !WIFEXITED(st) || WEXITSTATUS(st))
		die("the fork helper failed");
	for (int i = 0; i < n; i++) {
		add(fork_only, t[2 * i]);
		add(cycle, t[2 * i + 1]);
	}
	munmap(t, bytes);
}

/* The least a micro-VM needs, in raw ioctls: VM, one 64 MiB slot, one vCPU
 * and its kvm_run mapping; memory never touched. Teardown is timed apart:
 * closing the last fd destroys the VM. */
static void raw_vm_cycle(int kvm_fd, size_t run_size, struct samples *create,
			 struct samples *destroy)
{
	int64_t t0 = now_ns();
	int vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	void *mem = mmap(NULL, VM_MEM, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap guest memory: %s", strerror(errno));
	struct kvm_userspace_memory_region region = {.slot = 0,
						     .guest_phys_addr = 0,
						     .memory_size = VM_MEM,
						     .userspace_addr = (uintptr_t)mem};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU: %s", strerror(errno));
	void *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
	int64_t t1 = now_ns();
	munmap(run, run_size);
	close(vcpu);
	munmap(mem, VM_MEM);
	close(vm);
	int64_t t2 = now_ns();
	if (create) {
		add(create, (double)(t1 - t0));
		add(destroy, (double)(t2 - t1));
	}
}

/* The exit-loop guest, booted as a sandbox boots minus QuickJS. */
static void boot_exitloop(const struct mica_kvm *kvm, struct mica_vm *vm)
{
	mica_error err;
	struct mica_image img;
	struct mica_layout layout;
	struct mica_boot_params bp = {
	    .mem_size = VM_MEM, .stack_size = 1 * MIB, .output_limit = MIB};
	struct mica_cpu cpu;
	struct mica_vm_sys sys;
	check(mica_image_parse(&img, exitloop_image, (size_t)(exitloop_image_end - exitloop_image),
			       &err),
	      &err, "exit-loop image");
	check(mica_layout_compute(&layout, &img, &bp, &err), &err, "exit-loop layout");
	check(mica_vm_create(vm, kvm, VM_MEM, -1, 0, &err), &err, "exit-loop VM");
	check(mica_boot_image(vm->mem, &layout, &img, &bp, &cpu, &err), &err, "exit-loop boot");
	mica_vm_sys_of(&sys, &layout, &img);
	check(mica_vm_load(vm, &sys, &cpu, &err), &err, "exit-loop registers");
}

/* One KVM_RUN that must come back as the loop's next `out`. */
static void exitloop_step(struct mica_vm *vm, uint32_t *expect)
{
	while (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0)
		if (errno != EINTR && errno != EAGAIN)
			die("KVM_RUN: %s", strerror(errno));
	struct kvm_run *run = vm->run;
	uint32_t v;
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != EXITLOOP_PORT)
		die("exit-loop guest: unexpected exit %u (port 0x%x)", run->exit_reason,
		    run->exit_reason == KVM_EXIT_IO ? run->io.port : 0);
	memcpy(&v, (uint8_t *)run + run->io.data_offset, 4);
	if (v != *expect)
		die("exit-loop guest: counter %u, expected %u", v, *expect);
	(*expect)++;
}

int floor_kvm(struct kvm_floors *f, const char *path, char *why, size_t len)
{
	struct mica_kvm kvm;
	mica_error err;
	if (mica_kvm_open(&kvm, path, &err)) {
		snprintf(why, len, "%s", err.message);
		return -1;
	}
	for (int i = 0; i < 10 + 150; i++)
		raw_vm_cycle(kvm.fd, kvm.run_size, i >= 10 ? &f->create : NULL,
			     i >= 10 ? &f->destroy : NULL);
	/* The first KVM_RUNs enter the guest for the first time: warm-up. */
	struct mica_vm vm;
	uint32_t expect = 0;
	boot_exitloop(&kvm, &vm);
	for (int i = 0; i < 20000 + 200000; i++) {
		int64_t t0 = now_ns();
		exitloop_step(&vm, &expect);
		if (i >= 20000)
			add(&f->exit, (double)(now_ns() - t0));
	}
	mica_vm_destroy(&vm);
	mica_kvm_close(&kvm);
	return 0;
}

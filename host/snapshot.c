/* Snapshots: capture a parked sandbox, clone it copy-on-write, reset to it. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sandbox.h"

#define PAGE MICA_PAGE_SIZE

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
 * the snapshot's memfd; untouched pages stay holes and read as zeroes. */
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

mica_snapshot *mica_snapshot_alloc(uint64_t mem_size, mica_error *err)
{
	mica_snapshot *s = calloc(1, sizeof(*s));
	if (!s) {
		mica_err(err, MICA_ERR_SYSTEM, "out of memory");
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->limits.memory_bytes = mem_size;
	s->memfd = memfd_create("mica-snapshot", MFD_CLOEXEC);
	if (s->memfd < 0) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "memfd_create");
		goto fail;
	}
	if (ftruncate(s->memfd, (off_t)mem_size) < 0) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "cannot size the snapshot memfd");
		goto fail;
	}
	return s;
fail:
	mica_snapshot_free(s);
	return NULL;
}

int mica_snapshot_seal(mica_snapshot *s, mica_error *err)
{
	s->ref = mmap(NULL, s->limits.memory_bytes, PROT_READ, MAP_SHARED | MAP_NORESERVE, s->memfd, 0);
	if (s->ref == MAP_FAILED) {
		s->ref = NULL;
		return mica_err_errno(err, MICA_ERR_SYSTEM, "cannot map the snapshot");
	}
	return 0;
}

mica_snapshot *mica_snapshot_take(mica_sandbox *sb, mica_error *err)
{
	if (atomic_load(&sb->runner) || sb->dead) {
		mica_err(err, MICA_ERR_INVALID, "only an idle, healthy sandbox can be snapshotted");
		return NULL;
	}
	mica_snapshot *s = mica_snapshot_alloc(sb->vm.mem_size, err);
	if (!s)
		return NULL;
	if (copy_touched(&sb->vm, s->memfd, &s->pages, err) || mica_snapshot_seal(s, err))
		goto fail;
	/* Parked in MICA_HC_WAIT: KVM finishes the `out` on the next KVM_RUN,
	 * so finish it now and save the state past it. */
	if (mica_vm_complete_io(&sb->vm, err) || mica_vm_save(&sb->vm, &s->cpu, err))
		goto fail;
	s->limits = sb->limits;
	s->limits.memory_bytes = sb->vm.mem_size;
	s->layout = sb->layout;
	s->wait_gpa = sb->wait_gpa;
	memcpy(s->image_sha256, sb->rt->image_sha256, sizeof(s->image_sha256));
	if (mica_hostfns_copy(&s->fns, &s->nfns, sb->fns, sb->nfns, err))
		goto fail;
	return s;
fail:
	mica_snapshot_free(s);
	return NULL;
}

void mica_snapshot_free(mica_snapshot *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	if (s->ref)
		munmap((void *)s->ref, s->limits.memory_bytes);
	if (s->memfd >= 0)
		close(s->memfd);
	free(s->fns);
	free(s);
}

/* The snapshot's host functions, bound to rt's callbacks by name. */
static int bind_hostfns(mica_sandbox *sb, const mica_runtime *rt, const mica_snapshot *s,
			mica_error *err)
{
	if (!s->nfns)
		return 0;
	sb->fns = malloc(s->nfns * sizeof(*sb->fns));
	if (!sb->fns)
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	for (size_t i = 0; i < s->nfns; i++) {
		const struct mica_hostfn *f = NULL;
		for (size_t j = 0; j < rt->nfns && !f; j++)
			if (!strcmp(rt->fns[j].module, s->fns[i].module) && !strcmp(rt->fns[j].name, s->fns[i].name))
				f = &rt->fns[j];
		if (!f)
			return mica_err(err, MICA_ERR_INVALID,
					"the snapshot uses host function %s.%s, which this runtime has not "
					"registered",
					s->fns[i].module, s->fns[i].name);
		sb->fns[i] = *f;
	}
	sb->nfns = s->nfns;
	return 0;
}

/* Points sb's VM at the snapshot's memory and vCPU, with fresh entropy. A
 * new VM maps the snapshot copy-on-write; a used one copies back just the
 * pages written since (KVM's dirty log plus the host's own writes), which
 * keeps every other page mapped and is cheaper than re-mapping (measured:
 * re-mapping made the next call fault its pages in again, ~0.5 ms). */
static int resume_snapshot(mica_sandbox *sb, int fresh, mica_error *err)
{
	mica_snapshot *s = sb->snap;
	uint64_t pages;
	int rc = fresh ? 0 : mica_vm_dirty_restore(&sb->vm, s->ref, &pages, err);
	if (!rc)
		rc = mica_vm_restore(&sb->vm, &s->cpu, err);
	if (!rc)
		rc = mica_boot_refresh(&sb->vm, err);
	if (rc)
		return rc;
	sb->limits = s->limits;
	sb->wait_gpa = s->wait_gpa;
	sb->dead = MICA_OK;
	atomic_store(&sb->interrupt, 0);
	return 0;
}

mica_sandbox *mica_sandbox_from_snapshot(mica_runtime *rt, mica_snapshot *s, mica_error *err)
{
	mica_sandbox *sb = mica_sandbox_alloc(rt, err);
	if (!sb)
		return NULL;
	sb->layout = s->layout;
	sb->snap = s;
	atomic_fetch_add(&s->refs, 1);
	if (memcmp(s->image_sha256, rt->image_sha256, sizeof(s->image_sha256)) != 0) {
		mica_err(err, MICA_ERR_INVALID, "the snapshot was made with another guest image");
		mica_sandbox_free(sb);
		return NULL;
	}
	if (bind_hostfns(sb, rt, s, err) || mica_vm_create_from(&sb->vm, &rt->kvm, s->limits.memory_bytes, s->memfd, err) ||
	    resume_snapshot(sb, 1, err)) {
		mica_sandbox_free(sb);
		return NULL;
	}
	return sb;
}

int mica_sandbox_reset(mica_sandbox *sb, mica_error *err)
{
	if (!sb->snap)
		return mica_err(err, MICA_ERR_INVALID, "sandbox was not made from a snapshot");
	if (atomic_load(&sb->runner))
		return mica_err(err, MICA_ERR_INVALID, "sandbox busy");
	sb->result_bytes = 0;
	int rc = resume_snapshot(sb, 0, err);
	if (rc)
		sb->dead = rc;
	return rc;
}

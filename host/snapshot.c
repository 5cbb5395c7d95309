/* Snapshots: capture a parked sandbox, clone it copy-on-write, reset to it. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sandbox.h"
#include "snapshot.h"

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
	s->ref =
	    mmap(NULL, s->limits.memory_bytes, PROT_READ, MAP_SHARED | MAP_NORESERVE, s->memfd, 0);
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
	mica_snapshot *s = mica_snapshot_alloc(sb->limits.memory_bytes, err);
	if (!s)
		return NULL;
	if (sb->rt->ops->capture(sb, s->memfd, &s->pages, &s->cpu, err) ||
	    mica_snapshot_seal(s, err))
		goto fail;
	s->limits = sb->limits;
	s->layout = sb->layout;
	s->wait_gpa = sb->wait_gpa;
	s->made_by = sb->rt->backend;
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

void mica_snapshot_limits(const mica_snapshot *snap, mica_limits *limits)
{
	*limits = snap->limits;
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
			if (!strcmp(rt->fns[j].module, s->fns[i].module) &&
			    !strcmp(rt->fns[j].name, s->fns[i].name))
				f = &rt->fns[j];
		if (!f)
			return mica_err(
			    err, MICA_ERR_INVALID,
			    "the snapshot uses host function %s.%s, which this runtime has not "
			    "registered",
			    s->fns[i].module, s->fns[i].name);
		sb->fns[i] = *f;
	}
	sb->nfns = s->nfns;
	return 0;
}

/* The guest must know which transport to use: its boot info says so. */
static int set_transport(mica_sandbox *sb, mica_error *err)
{
	struct mica_boot_info bi;
	if (mica_mem_read(&sb->mem, MICA_GPA_INFO, &bi, sizeof(bi)))
		return mica_err(err, MICA_ERR_SYSTEM, "cannot read the guest's boot info");
	uint32_t want = (bi.flags & ~MICA_BOOT_PROCESS) |
			(sb->rt->backend == MICA_BACKEND_PROCESS ? MICA_BOOT_PROCESS : 0);
	if (want == bi.flags)
		return 0;
	bi.flags = want;
	return mica_mem_write(&sb->mem, MICA_GPA_INFO, &bi, sizeof(bi))
		   ? mica_err(err, MICA_ERR_SYSTEM, "cannot write the guest's boot info")
		   : 0;
}

/* After the backend put memory and registers back: the snapshot's limits,
 * fresh entropy and time, and a guest that can run again. */
static int resumed(mica_sandbox *sb, mica_error *err)
{
	int rc = set_transport(sb, err);
	if (!rc)
		rc = mica_sandbox_refresh(sb, err);
	if (rc)
		return rc;
	sb->limits = sb->snap->limits;
	sb->wait_gpa = sb->snap->wait_gpa;
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
	sb->limits = s->limits;
	sb->snap = s;
	atomic_fetch_add(&s->refs, 1);
	if (memcmp(s->image_sha256, rt->image_sha256, sizeof(s->image_sha256)) != 0) {
		mica_err(err, MICA_ERR_INVALID, "the snapshot was made with another guest image");
		goto fail;
	}
	if (bind_hostfns(sb, rt, s, err) || rt->ops->create(sb, s->memfd, 1, err) ||
	    resumed(sb, err) || rt->ops->start(sb, &s->cpu, err))
		goto fail;
	return sb;
fail:
	mica_sandbox_free(sb);
	return NULL;
}

int mica_sandbox_reset(mica_sandbox *sb, mica_error *err)
{
	if (!sb->snap)
		return mica_err(err, MICA_ERR_INVALID, "sandbox was not made from a snapshot");
	if (atomic_load(&sb->runner))
		return mica_err(err, MICA_ERR_INVALID, "sandbox busy");
	sb->result_bytes = 0;
	mica_sandbox_forget_tenant(sb);
	const struct mica_snap_mem sm = {
	    .memfd = sb->snap->memfd, .ref = sb->snap->ref, .cpu = &sb->snap->cpu};
	int rc = sb->rt->ops->reset(sb, &sm, err);
	if (!rc)
		rc = resumed(sb, err);
	if (rc)
		mica_sandbox_dies(sb, (mica_code)rc);
	return rc;
}

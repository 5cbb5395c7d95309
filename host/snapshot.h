/* mica_snapshot: a parked guest, for clones, resets and files. */
#ifndef MICA_HOST_SNAPSHOT_H
#define MICA_HOST_SNAPSHOT_H

#include <stdatomic.h>

#include "backend.h"
#include "boot.h"
#include "runtime.h"

/* Guest memory (a memfd holding only the pages ever touched) and the parked
 * registers, shared read-only by every sandbox made from it. */
struct mica_snapshot {
	atomic_int refs; /* the owner's, plus one per sandbox made from it */
	int memfd;
	const uint8_t *ref; /* read-only shared view of memfd, for resets */
	uint64_t pages;	    /* pages stored */
	mica_limits limits;
	struct mica_layout layout;
	struct mica_cpu cpu;
	uint64_t wait_gpa;
	mica_backend made_by;	 /* the backend of the sandbox it was taken from */
	struct mica_hostfn *fns; /* the host functions the guest knows, in its order */
	size_t nfns;
	uint8_t image_sha256[MICA_SHA256_LEN]; /* the guest image it was made with */
};

/* A snapshot (refs = 1) with an empty memfd of mem_size bytes, for
 * mica_snapshot_take and mica_snapshot_load to fill; then mica_snapshot_seal
 * maps its read-only view. */
mica_snapshot *mica_snapshot_alloc(uint64_t mem_size, mica_error *err);
int mica_snapshot_seal(mica_snapshot *s, mica_error *err);

#endif

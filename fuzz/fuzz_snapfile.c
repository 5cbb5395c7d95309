/*
 * fuzz_snapfile: the snapshot-file loader, mica_snapshot_load
 * (host/snapfile.c), through its public path: each input is written to a
 * memfd and loaded by name (/proc/self/fd/N), so no disk is touched.
 *
 * Each input is loaded twice: as it is, and "repaired" (this runtime's
 * guest image hash and a matching checksum written in), so that mutations
 * reach the checks behind the checksum instead of all failing it. A file
 * that loads must hold what docs/snapshot-format.md allows (limits, layout,
 * wait structure, host function names, page records), its pages must be
 * in the snapshot, and a save and a load again must give the same snapshot.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "le.h"
#include "sandbox.h"
#include "snapshot.h"

#define HDR	 176
#define SUM	 32
#define PAGE	 MICA_PAGE_SIZE
#define RECORD	 (8 + PAGE)
#define CPU_SIZE (20 * 8 + 512)

static mica_runtime *rt;
static int fd = -1;
static char path[64], saved[128];

static void setup(void)
{
	mica_error err;
	if (!(rt = mica_runtime_new(NULL, &err)))
		FUZZ_SETUP_FAILED("mica_runtime_new: %s", err.message);
	fd = memfd_create("fuzz-snapfile", MFD_CLOEXEC);
	if (fd < 0)
		FUZZ_SETUP_FAILED("memfd_create");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* round trips: a file system where fsync costs nothing */
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(saved, sizeof(saved), "%s/mica-fuzz-snapfile-%d.msnap", dir, (int)getpid());
}

static int write_input(const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) < 0)
		return -1;
	for (size_t done = 0; done < size;) {
		ssize_t k = pwrite(fd, data + done, size - done, (off_t)done);
		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

static void same_snapshot(const mica_snapshot *a, const mica_snapshot *b, const uint8_t *rec,
			  uint64_t npages)
{
	FUZZ_CHECK(!memcmp(&a->limits, &b->limits, sizeof(a->limits)), "limits differ");
	FUZZ_CHECK(!memcmp(&a->layout, &b->layout, sizeof(a->layout)), "layout differs");
	FUZZ_CHECK(!memcmp(&a->cpu, &b->cpu, sizeof(a->cpu)), "registers differ");
	FUZZ_CHECK(a->wait_gpa == b->wait_gpa && a->made_by == b->made_by, "wait or backend");
	FUZZ_CHECK(a->nfns == b->nfns, "host functions");
	for (size_t i = 0; i < a->nfns; i++)
		FUZZ_CHECK(!strcmp(a->fns[i].module, b->fns[i].module) &&
			       !strcmp(a->fns[i].name, b->fns[i].name),
			   "host function %zu", i);
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t pg = mica_get64(rec + i * RECORD);
		FUZZ_CHECK(!memcmp(a->ref + pg * PAGE, b->ref + pg * PAGE, PAGE), "page %llu",
			   (unsigned long long)pg);
	}
}

/* A snapshot the loader built from f[0..size): what it may hold. */
static void check_loaded(mica_snapshot *s, const uint8_t *f, size_t size)
{
	FUZZ_CHECK(size >= HDR + CPU_SIZE + SUM && !memcmp(f, "MICASNAP", 8), "accepted %zu bytes",
		   size);
	mica_error err;
	FUZZ_CHECK(mica_limits_check(&s->limits, &err) == 0, "limits: %s", err.message);
	struct mica_boot_params bp = {.mem_size = s->limits.memory_bytes,
				      .stack_size = s->limits.stack_bytes,
				      .js_heap_limit = s->limits.heap_bytes,
				      .output_limit = s->limits.output_bytes};
	struct mica_layout want;
	FUZZ_CHECK(mica_layout_compute(&want, &rt->image, &bp, &err) == 0 &&
		       !memcmp(&want, &s->layout, sizeof(want)),
		   "layout");
	FUZZ_CHECK(s->wait_gpa >= PAGE && s->wait_gpa <= s->limits.memory_bytes &&
		       sizeof(struct mica_hc_wait) <= s->limits.memory_bytes - s->wait_gpa,
		   "wait structure at 0x%llx", (unsigned long long)s->wait_gpa);
	FUZZ_CHECK(s->made_by == MICA_BACKEND_KVM || s->made_by == MICA_BACKEND_PROCESS,
		   "backend %d", (int)s->made_by);
	for (size_t i = 0; i < s->nfns; i++)
		FUZZ_CHECK(mica_hostfn_name_ok(s->fns[i].module, strlen(s->fns[i].module)) &&
			       mica_hostfn_name_ok(s->fns[i].name, strlen(s->fns[i].name)),
			   "host function %zu", i);
	uint32_t fns_size = mica_get32(f + 60);
	uint64_t npages = mica_get64(f + 64);
	FUZZ_CHECK(s->pages == npages && npages <= s->limits.memory_bytes / PAGE, "%llu pages",
		   (unsigned long long)npages);
	FUZZ_CHECK(size == HDR + (uint64_t)fns_size + CPU_SIZE + npages * RECORD + SUM, "size %zu",
		   size);
	const uint8_t *rec = f + HDR + fns_size + CPU_SIZE;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t pg = mica_get64(rec + i * RECORD);
		FUZZ_CHECK(pg < s->limits.memory_bytes / PAGE, "page %llu", (unsigned long long)pg);
		FUZZ_CHECK(!i || pg > mica_get64(rec + (i - 1) * RECORD), "records out of order");
		FUZZ_CHECK(!memcmp(s->ref + pg * PAGE, rec + i * RECORD + 8, PAGE),
			   "page %llu differs from its record", (unsigned long long)pg);
	}

	/* Saved and loaded again: the same snapshot. */
	if (mica_snapshot_save(s, saved, &err) == 0) {
		mica_snapshot *t = mica_snapshot_load(rt, saved, &err);
		FUZZ_CHECK(t, "a saved snapshot does not load: %s", err.message);
		same_snapshot(s, t, rec, npages);
		mica_snapshot_free(t);
		unlink(saved);
	}
}

static void load_one(const uint8_t *data, size_t size)
{
	/* the bytes as loaded, to compare with */
	uint8_t *f = malloc(size ? size : 1);
	if (!f || write_input(data, size)) {
		free(f);
		return;
	}
	memcpy(f, data, size);
	mica_error err;
	mica_snapshot *s = mica_snapshot_load(rt, path, &err);
	FUZZ_LOG("snapfile: %s\n", s ? "loaded" : err.message);
	if (!s) {
		/* a bad file is INVALID with the file's name; SYSTEM only for the
		 * host's own trouble (memory) */
		FUZZ_CHECK(err.code == MICA_ERR_INVALID || err.code == MICA_ERR_SYSTEM, "code %d",
			   err.code);
		if (err.code == MICA_ERR_INVALID)
			FUZZ_CHECK(!strncmp(err.message, "snapshot file ", 14) &&
				       strstr(err.message, path),
				   "error '%s'", err.message);
	} else {
		check_loaded(s, f, size);
		mica_snapshot_free(s);
	}
	free(f);
}

FUZZ_TARGET(snapfile)
{
	if (!rt)
		setup();
	fuzz_as_is_and_repaired(data, size, HDR + SUM, rt->image_sha256, mica_sha256, load_one);
	return 0;
}

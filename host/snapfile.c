/*
 * Snapshot files: mica_snapshot_save and mica_snapshot_load. The format is
 * described byte by byte in docs/snapshot-format.md; keep the two in step
 * (tests/api/test_snapfile.c checks the offsets).
 *
 * A file is input: load reads it whole, checks every byte of it (size,
 * checksum, versions, guest image, limits, layout, host functions, page
 * indexes) and only then builds a snapshot from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "le.h"
#include "sandbox.h"
#include "snapshot.h"

#define PAGE	       MICA_PAGE_SIZE
#define FORMAT_VERSION 2
#define MACHINE_X86_64 62 /* ELF e_machine */

/* The fixed header: field offsets. All integers little endian. */
enum {
	H_MAGIC = 0,	 /* "MICASNAP" */
	H_FORMAT = 8,	 /* u32 */
	H_ABI = 12,	 /* u32 MICA_ABI_VERSION */
	H_IMAGE = 16,	 /* SHA-256 of the guest image, 32 bytes */
	H_MACHINE = 48,	 /* u32 */
	H_CPU_SIZE = 52, /* u32 bytes of register state (CPU_SIZE) */
	H_NFNS = 56,	 /* u32 host functions */
	H_FNS_SIZE = 60, /* u32 bytes of the host function table */
	H_NPAGES = 64,	 /* u64 page records */
	H_MEMORY = 72,	 /* u64 limits.memory_bytes */
	H_HEAP = 80,	 /* u64 limits.heap_bytes */
	H_STACK = 88,	 /* u64 limits.stack_bytes */
	H_OUTPUT = 96,	 /* u64 limits.output_bytes */
	H_TIMEOUT = 104, /* u32 limits.timeout_ms */
	H_BACKEND = 108, /* u32 the backend that made it: 1 KVM, 2 process */
	H_LAYOUT = 112,	 /* 7 x u64: struct mica_layout in field order */
	H_WAIT = 168,	 /* u64 wait_gpa */
	HDR_SIZE = 176,
};
/* The registers (struct mica_cpu): 20 u64 (gpr[16], rip, rflags, fs_base,
 * gs_base), then the 512-byte FXSAVE image. */
#define CPU_SIZE    (20 * 8 + 512)
#define MAGIC	    "MICASNAP"
#define RECORD_SIZE (8 + PAGE)
#define SUM_SIZE    MICA_SHA256_LEN

/* What a valid file cannot exceed: bounds checked before any arithmetic. */
#define MAX_PAGES    ((2048ull << 20) / PAGE)
#define MAX_FNS_SIZE MICA_IN_SIZE
#define MAX_CPU_SIZE 65536u

static void layout_put(uint8_t *p, const struct mica_layout *l)
{
	const uint64_t f[7] = {l->mem_size,  l->heap_start, l->heap_end, l->stack_bottom,
			       l->stack_top, l->pt_base,    l->pt_size};
	for (int i = 0; i < 7; i++)
		mica_put64(p + 8 * i, f[i]);
}

static void layout_get(const uint8_t *p, struct mica_layout *l)
{
	uint64_t *f[7] = {&l->mem_size,	 &l->heap_start, &l->heap_end, &l->stack_bottom,
			  &l->stack_top, &l->pt_base,	 &l->pt_size};
	for (int i = 0; i < 7; i++)
		*f[i] = mica_get64(p + 8 * i);
}

static void cpu_put(uint8_t *p, const struct mica_cpu *c)
{
	const uint64_t f[4] = {c->rip, c->rflags, c->fs_base, c->gs_base};
	for (int i = 0; i < 16; i++)
		mica_put64(p + 8 * i, c->gpr[i]);
	for (int i = 0; i < 4; i++)
		mica_put64(p + 128 + 8 * i, f[i]);
	memcpy(p + 160, c->fxsave, sizeof(c->fxsave));
}

static void cpu_get(const uint8_t *p, struct mica_cpu *c)
{
	uint64_t *f[4] = {&c->rip, &c->rflags, &c->fs_base, &c->gs_base};
	for (int i = 0; i < 16; i++)
		c->gpr[i] = mica_get64(p + 8 * i);
	for (int i = 0; i < 4; i++)
		*f[i] = mica_get64(p + 128 + 8 * i);
	memcpy(c->fxsave, p + 160, sizeof(c->fxsave));
}

/* ---- save ---------------------------------------------------------------- */

struct writer {
	int fd;
	struct mica_sha256 sha;
	uint8_t buf[1 << 16];
	size_t n;
};

static int w_flush(struct writer *w)
{
	for (size_t done = 0; done < w->n;) {
		ssize_t k = write(w->fd, w->buf + done, w->n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)k;
	}
	w->n = 0;
	return 0;
}

/* Appends bytes, adding them to the checksum when hashed. */
static int w_put(struct writer *w, const void *data, size_t len, int hashed)
{
	const uint8_t *p = data;
	if (hashed)
		mica_sha256_update(&w->sha, p, len);
	while (len) {
		if (w->n == sizeof(w->buf) && w_flush(w))
			return -1;
		size_t k = sizeof(w->buf) - w->n < len ? sizeof(w->buf) - w->n : len;
		memcpy(w->buf + w->n, p, k);
		w->n += k;
		p += k;
		len -= k;
	}
	return 0;
}

static int page_is_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)p;
	for (size_t i = 0; i < PAGE / 8; i++)
		if (q[i])
			return 0;
	return 1;
}

/* The pages the snapshot stores (its memfd's data, not its holes) that are
 * not all zero, in increasing order. */
static int stored_pages(const mica_snapshot *s, uint64_t **out, uint64_t *count, mica_error *err)
{
	off_t size = (off_t)s->limits.memory_bytes;
	uint64_t *idx = malloc((size_t)(s->limits.memory_bytes / PAGE) * sizeof(*idx));
	if (!idx)
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	uint64_t n = 0;
	for (off_t pos = 0; pos < size;) {
		off_t data = lseek(s->memfd, pos, SEEK_DATA), hole;
		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0) { /* no SEEK_DATA: look at everything */
			data = pos;
			hole = size;
		} else {
			hole = lseek(s->memfd, data, SEEK_HOLE);
			if (hole < 0 || hole > size)
				hole = size;
		}
		for (uint64_t pg = (uint64_t)data / PAGE; pg < ((uint64_t)hole + PAGE - 1) / PAGE;
		     pg++)
			if (!page_is_zero(s->ref + pg * PAGE))
				idx[n++] = pg;
		pos = hole > data ? hole : data + (off_t)PAGE;
	}
	*out = idx;
	*count = n;
	return 0;
}

static size_t fns_table(const mica_snapshot *s, uint8_t *t)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nfns; i++) {
		const char *str[2] = {s->fns[i].module, s->fns[i].name};
		for (int k = 0; k < 2; k++) {
			size_t len = strlen(str[k]);
			if (t) {
				t[n] = (uint8_t)len;
				memcpy(t + n + 1, str[k], len);
			}
			n += 1 + len;
		}
	}
	return n;
}

static void header(const mica_snapshot *s, uint64_t npages, size_t fns_size, uint8_t *h)
{
	memset(h, 0, HDR_SIZE);
	memcpy(h + H_MAGIC, MAGIC, 8);
	mica_put32(h + H_FORMAT, FORMAT_VERSION);
	mica_put32(h + H_ABI, MICA_ABI_VERSION);
	memcpy(h + H_IMAGE, s->image_sha256, MICA_SHA256_LEN);
	mica_put32(h + H_MACHINE, MACHINE_X86_64);
	mica_put32(h + H_CPU_SIZE, CPU_SIZE);
	mica_put32(h + H_NFNS, (uint32_t)s->nfns);
	mica_put32(h + H_FNS_SIZE, (uint32_t)fns_size);
	mica_put64(h + H_NPAGES, npages);
	mica_put64(h + H_MEMORY, s->limits.memory_bytes);
	mica_put64(h + H_HEAP, s->limits.heap_bytes);
	mica_put64(h + H_STACK, s->limits.stack_bytes);
	mica_put64(h + H_OUTPUT, s->limits.output_bytes);
	mica_put32(h + H_TIMEOUT, s->limits.timeout_ms);
	mica_put32(h + H_BACKEND, (uint32_t)s->made_by);
	layout_put(h + H_LAYOUT, &s->layout);
	mica_put64(h + H_WAIT, s->wait_gpa);
}

static int write_body(struct writer *w, const mica_snapshot *s, const uint64_t *idx,
		      uint64_t npages)
{
	size_t fns_size = fns_table(s, NULL);
	uint8_t h[HDR_SIZE], *t = malloc(fns_size ? fns_size : 1);
	if (!t) {
		errno = ENOMEM;
		return -1;
	}
	fns_table(s, t);
	header(s, npages, fns_size, h);
	uint8_t cpu[CPU_SIZE];
	cpu_put(cpu, &s->cpu);
	int rc =
	    w_put(w, h, sizeof(h), 1) || w_put(w, t, fns_size, 1) || w_put(w, cpu, sizeof(cpu), 1);
	free(t);
	for (uint64_t i = 0; i < npages && !rc; i++) {
		uint8_t rec[8];
		mica_put64(rec, idx[i]);
		rc = w_put(w, rec, 8, 1) || w_put(w, s->ref + idx[i] * PAGE, PAGE, 1);
	}
	if (rc)
		return -1;
	uint8_t sum[SUM_SIZE];
	mica_sha256_final(&w->sha, sum);
	if (w_put(w, sum, sizeof(sum), 0) || w_flush(w))
		return -1;
	return 0;
}

/* Makes the rename durable; best effort (some file systems refuse). */
static void sync_dir(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int mica_snapshot_write(const mica_snapshot *s, int fd, mica_error *err)
{
	if (!s || fd < 0)
		return mica_err(err, MICA_ERR_INVALID,
				"mica_snapshot_write needs a snapshot and a descriptor");
	uint64_t *idx = NULL, npages = 0;
	int rc = stored_pages(s, &idx, &npages, err);
	if (rc)
		return rc;
	struct writer *w = malloc(sizeof(*w));
	if (!w) {
		free(idx);
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	}
	w->fd = fd;
	w->n = 0;
	mica_sha256_init(&w->sha);
	if (write_body(w, s, idx, npages))
		rc = mica_err_errno(err, MICA_ERR_SYSTEM, "cannot write the snapshot");
	free(w);
	free(idx);
	return rc;
}

/* MICA_OK if path may be saved to: nothing there, a file, or a symbolic
 * link, which the rename replaces, never follows (a link planted in a
 * shared directory cannot aim the save elsewhere). A directory, device,
 * FIFO or socket would be replaced: refused. */
static int save_target(const char *path, mica_error *err)
{
	struct stat st;
	if (lstat(path, &st))
		return errno == ENOENT
			   ? MICA_OK
			   : mica_err_errno(err, MICA_ERR_SYSTEM, "snapshot file %s", path);
	if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
		return MICA_OK;
	return mica_err(err, MICA_ERR_INVALID,
			"snapshot file %s: it is not a regular file (a directory, device, FIFO "
			"or socket)",
			path);
}

int mica_snapshot_save(const mica_snapshot *s, const char *path, mica_error *err)
{
	if (!s || !path || !*path)
		return mica_err(err, MICA_ERR_INVALID,
				"mica_snapshot_save needs a snapshot and a path");
	int rc = save_target(path, err);
	if (rc)
		return rc;
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 8);
	if (!tmp)
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".XXXXXX", 8);
	/* A temporary name of its own: concurrent saves never share one. Mode
	 * 0600 (less the umask): the file holds all of the guest's memory,
	 * secrets included. */
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = mica_err_errno(err, MICA_ERR_SYSTEM, "snapshot file %s: cannot create %s",
				    path, tmp);
		goto out;
	}
	mica_error e;
	if (mica_snapshot_write(s, fd, &e)) {
		rc = e.code == MICA_ERR_SYSTEM
			 ? mica_err(err, MICA_ERR_SYSTEM, "snapshot file %s: cannot write %s: %s",
				    path, tmp, e.message)
			 : mica_err(err, e.code, "%s", e.message);
		close(fd);
		unlink(tmp);
		goto out;
	}
	int bad = fsync(fd) < 0;
	if (close(fd) < 0 || bad) {
		rc = mica_err_errno(err, MICA_ERR_SYSTEM, "snapshot file %s: cannot write %s", path,
				    tmp);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path)) {
		rc = mica_err_errno(err, MICA_ERR_SYSTEM,
				    "snapshot file %s: cannot rename %s to it", path, tmp);
		unlink(tmp);
		goto out;
	}
	sync_dir(path);
out:
	free(tmp);
	return rc;
}

/* ---- load ---------------------------------------------------------------- */

#define BAD(...) mica_err(err, MICA_ERR_INVALID, "snapshot file %s: " __VA_ARGS__)

static int read_all(int fd, uint8_t *buf, size_t len, size_t *got)
{
	size_t n = 0;
	while (n < len) {
		ssize_t k = pread(fd, buf + n, len - n, (off_t)n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*got = n;
	return 0;
}

/* The host function table: module and name of each, callbacks unbound. */
static int parse_fns(const char *path, const uint8_t *t, size_t size, uint32_t count,
		     struct mica_hostfn **out, mica_error *err)
{
	*out = NULL;
	if (!count)
		return size ? BAD("corrupted (host function table of %zu bytes for 0 functions)",
				  path, size)
			    : 0;
	if (count > size / 4)
		return BAD("corrupted (%u host functions in %zu bytes)", path, count, size);
	struct mica_hostfn *fns = calloc(count, sizeof(*fns));
	if (!fns)
		return mica_err(err, MICA_ERR_SYSTEM, "out of memory");
	size_t pos = 0;
	for (uint32_t i = 0; i < count; i++) {
		char *dst[2] = {fns[i].module, fns[i].name};
		for (int k = 0; k < 2; k++) {
			size_t len = pos < size ? t[pos] : 0;
			if (pos >= size || len > size - pos - 1 ||
			    !mica_hostfn_name_ok((const char *)t + pos + 1, len)) {
				free(fns);
				return BAD("corrupted (bad entry %u in the host function table)",
					   path, i);
			}
			memcpy(dst[k], t + pos + 1, len);
			dst[k][len] = 0;
			pos += 1 + len;
		}
	}
	if (pos != size) {
		free(fns);
		return BAD("corrupted (%zu stray bytes after the host function table)", path,
			   size - pos);
	}
	*out = fns;
	return 0;
}

/* Checks the header's meaning (the checksum has matched): versions, image,
 * limits, layout, wait_gpa. Fills the limits and the layout. */
static int check_header(const mica_runtime *rt, const char *path, const uint8_t *h,
			mica_limits *lim, struct mica_layout *lay, mica_error *err)
{
	uint32_t abi = mica_get32(h + H_ABI);
	if (abi != MICA_ABI_VERSION)
		return BAD("made by another mica build (guest ABI version %u, this mica has %u)",
			   path, abi, MICA_ABI_VERSION);
	if (memcmp(h + H_IMAGE, rt->image_sha256, MICA_SHA256_LEN))
		return BAD("made by another mica build (guest image differs)", path);
	if (mica_get32(h + H_MACHINE) != MACHINE_X86_64 || mica_get32(h + H_CPU_SIZE) != CPU_SIZE)
		return BAD(
		    "made for another machine (machine %u with %u bytes of register state; this is "
		    "x86-64 with %u)",
		    path, mica_get32(h + H_MACHINE), mica_get32(h + H_CPU_SIZE), CPU_SIZE);
	uint32_t backend = mica_get32(h + H_BACKEND);
	if (backend != MICA_BACKEND_KVM && backend != MICA_BACKEND_PROCESS)
		return BAD("corrupted (made by backend %u)", path, backend);

	uint64_t mem = mica_get64(h + H_MEMORY), heap = mica_get64(h + H_HEAP),
		 stack = mica_get64(h + H_STACK), out = mica_get64(h + H_OUTPUT);
	_Static_assert(sizeof(size_t) == 8, "limits are 64-bit in the file");
	memset(lim, 0, sizeof(*lim));
	lim->memory_bytes = (size_t)mem;
	lim->heap_bytes = (size_t)heap;
	lim->stack_bytes = (size_t)stack;
	lim->output_bytes = (size_t)out;
	lim->timeout_ms = mica_get32(h + H_TIMEOUT);
	mica_error e;
	if (mica_limits_check(lim, &e))
		return BAD("bad limits: %s", path, e.message);

	/* The layout is a function of the limits and the image: recompute it. */
	struct mica_boot_params bp = {
	    .mem_size = mem, .stack_size = stack, .js_heap_limit = heap, .output_limit = out};
	struct mica_layout want;
	if (mica_layout_compute(&want, &rt->image, &bp, &e))
		return BAD("bad limits: %s", path, e.message);
	layout_get(h + H_LAYOUT, lay);
	if (memcmp(&want, lay, sizeof(want)))
		return BAD("corrupted (memory layout does not match its limits)", path);

	uint64_t wait = mica_get64(h + H_WAIT);
	if (wait < PAGE || wait > mem || sizeof(struct mica_hc_wait) > mem - wait)
		return BAD("corrupted (wait structure at 0x%llx, outside guest memory)", path,
			   (unsigned long long)wait);
	return 0;
}

/* Copies the page records into the memfd, coalescing runs of consecutive
 * pages into one pwritev. */
static int write_pages(int fd, const uint8_t *rec, uint64_t n, mica_error *err)
{
	enum { MAXV = 256 };
	struct iovec v[MAXV];
	for (uint64_t i = 0; i < n;) {
		uint64_t first = mica_get64(rec + i * RECORD_SIZE);
		int k = 0;
		while (i < n && k < MAXV &&
		       mica_get64(rec + i * RECORD_SIZE) == first + (uint64_t)k) {
			v[k].iov_base = (void *)(rec + i * RECORD_SIZE + 8);
			v[k].iov_len = PAGE;
			k++;
			i++;
		}
		size_t len = (size_t)k * PAGE;
		ssize_t w = pwritev(fd, v, k, (off_t)(first * PAGE));
		if (w != (ssize_t)len) {
			if (w >= 0)
				errno = EIO;
			return mica_err_errno(err, MICA_ERR_SYSTEM, "cannot write snapshot memory");
		}
	}
	return 0;
}

mica_snapshot *mica_snapshot_load(mica_runtime *rt, const char *path, mica_error *err)
{
	if (!rt || !path) {
		mica_err(err, MICA_ERR_INVALID, "mica_snapshot_load needs a runtime and a path");
		return NULL;
	}
	mica_snapshot *s = NULL;
	uint8_t *buf = NULL;
	struct mica_hostfn *fns = NULL;
	/* O_NONBLOCK: a FIFO must not hang the open; it fails S_ISREG below. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "snapshot file %s: cannot open", path);
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "snapshot file %s: cannot stat", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		BAD("not a regular file", path);
		goto fail;
	}
	uint64_t size = (uint64_t)st.st_size;
	if (size == 0) {
		BAD("empty", path);
		goto fail;
	}

	/* What the header says the size must be; magic and format first, since
	 * another format may be laid out differently. */
	uint8_t h[HDR_SIZE];
	size_t got;
	if (read_all(fd, h, size < HDR_SIZE ? (size_t)size : HDR_SIZE, &got) < 0) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "snapshot file %s: cannot read", path);
		goto fail;
	}
	if (memcmp(h, MAGIC, got < 8 ? got : 8)) {
		BAD("not a mica snapshot (no MICASNAP magic)", path);
		goto fail;
	}
	if (got >= H_FORMAT + 4 && mica_get32(h + H_FORMAT) != FORMAT_VERSION) {
		BAD("format version %u, this mica reads %u", path, mica_get32(h + H_FORMAT),
		    FORMAT_VERSION);
		goto fail;
	}
	if (got < HDR_SIZE) {
		BAD("truncated (%zu bytes; the header alone has %u)", path, got, HDR_SIZE);
		goto fail;
	}
	uint32_t cpu_size = mica_get32(h + H_CPU_SIZE), fns_size = mica_get32(h + H_FNS_SIZE);
	uint64_t npages = mica_get64(h + H_NPAGES);
	if (cpu_size > MAX_CPU_SIZE || fns_size > MAX_FNS_SIZE || npages > MAX_PAGES) {
		BAD("checksum mismatch (corrupted): impossible sizes in the header", path);
		goto fail;
	}
	uint64_t want = HDR_SIZE + (uint64_t)fns_size + cpu_size + npages * RECORD_SIZE + SUM_SIZE;
	if (size < want) {
		BAD("truncated (%llu of %llu bytes)", path, (unsigned long long)size,
		    (unsigned long long)want);
		goto fail;
	}
	if (size > want) {
		/* Longer than described: say corrupted, whether or not the sum holds. */
		BAD("checksum mismatch (corrupted): %llu bytes, the header describes %llu", path,
		    (unsigned long long)size, (unsigned long long)want);
		goto fail;
	}

	/* The whole file, checked against its checksum before anything else. */
	buf = malloc((size_t)size);
	if (!buf) {
		mica_err(err, MICA_ERR_SYSTEM, "out of memory for snapshot file %s (%llu bytes)",
			 path, (unsigned long long)size);
		goto fail;
	}
	if (read_all(fd, buf, (size_t)size, &got) < 0) {
		mica_err_errno(err, MICA_ERR_SYSTEM, "snapshot file %s: cannot read", path);
		goto fail;
	}
	if (got != size) {
		BAD("truncated while being read (%zu of %llu bytes)", path, got,
		    (unsigned long long)size);
		goto fail;
	}
	uint8_t sum[SUM_SIZE];
	mica_sha256(buf, (size_t)size - SUM_SIZE, sum);
	if (memcmp(sum, buf + size - SUM_SIZE, SUM_SIZE) || memcmp(buf, h, HDR_SIZE)) {
		BAD("checksum mismatch (corrupted)", path);
		goto fail;
	}

	/* Intact: now what it says. */
	mica_limits lim;
	struct mica_layout lay;
	if (check_header(rt, path, buf, &lim, &lay, err))
		goto fail;
	uint32_t nfns = mica_get32(buf + H_NFNS);
	if (parse_fns(path, buf + HDR_SIZE, fns_size, nfns, &fns, err))
		goto fail;
	const uint8_t *cpu = buf + HDR_SIZE + fns_size, *rec = cpu + cpu_size;
	uint64_t mem_pages = lim.memory_bytes / PAGE;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t pg = mica_get64(rec + i * RECORD_SIZE);
		if (pg >= mem_pages) {
			BAD("corrupted (page %llu of a %llu-page memory)", path,
			    (unsigned long long)pg, (unsigned long long)mem_pages);
			goto fail;
		}
		if (i && pg <= mica_get64(rec + (i - 1) * RECORD_SIZE)) {
			BAD("corrupted (page records out of order at record %llu)", path,
			    (unsigned long long)i);
			goto fail;
		}
	}

	s = mica_snapshot_alloc(lim.memory_bytes, err);
	if (!s || write_pages(s->memfd, rec, npages, err) || mica_snapshot_seal(s, err))
		goto fail;
	s->pages = npages;
	s->limits = lim;
	s->layout = lay;
	cpu_get(cpu, &s->cpu);
	s->made_by = (mica_backend)mica_get32(buf + H_BACKEND);
	s->wait_gpa = mica_get64(buf + H_WAIT);
	s->fns = fns;
	s->nfns = nfns;
	memcpy(s->image_sha256, rt->image_sha256, MICA_SHA256_LEN);
	free(buf);
	close(fd);
	return s;
fail:
	mica_snapshot_free(s);
	free(fns);
	free(buf);
	close(fd);
	return NULL;
}

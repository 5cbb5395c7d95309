/*
 * fuzz_image: the guest-image check, mica_image_parse (host/image.c), on
 * any bytes. What it accepts must be loadable as it promises: segments in
 * order inside [MICA_GPA_IMAGE, MICA_IMAGE_MAX), in the file, no W+X, entry
 * and stubs in code; then the memory layout and the boot image are built
 * from it, as mica_sandbox_new does, into a 16 MiB buffer (ASan checks
 * every write stays inside).
 */
#include <elf.h>
#include <string.h>

#include "boot.h"
#include "fuzz.h"
#include "image.h"

#define MEM (16ull << 20)

static uint8_t *mem;

static int in_exec(const struct mica_image *img, uint64_t a, uint64_t n)
{
	for (int i = 0; i < img->nsegs; i++) {
		const struct mica_image_seg *s = &img->segs[i];
		if ((s->flags & PF_X) && a >= s->vaddr && a - s->vaddr <= s->memsz &&
		    n <= s->memsz - (a - s->vaddr))
			return 1;
	}
	return 0;
}

static void check_image(const struct mica_image *img, size_t len)
{
	FUZZ_CHECK(img->nsegs > 0 && img->nsegs <= MICA_IMAGE_MAX_SEGS, "%d segments", img->nsegs);
	uint64_t prev_end = MICA_GPA_IMAGE;
	for (int i = 0; i < img->nsegs; i++) {
		const struct mica_image_seg *s = &img->segs[i];
		FUZZ_CHECK(s->memsz > 0 && s->filesz <= s->memsz, "segment %d sizes", i);
		FUZZ_CHECK(s->offset <= len && s->filesz <= len - s->offset,
			   "segment %d outside the file", i);
		FUZZ_CHECK((s->vaddr & ~(MICA_PAGE_SIZE - 1)) >= prev_end,
			   "segment %d overlaps the previous one or lies below the image area", i);
		FUZZ_CHECK(s->vaddr < MICA_IMAGE_MAX && s->memsz <= MICA_IMAGE_MAX - s->vaddr,
			   "segment %d beyond the image area", i);
		FUZZ_CHECK(!((s->flags & PF_W) && (s->flags & PF_X)), "segment %d is W+X", i);
		prev_end = (s->vaddr + s->memsz + MICA_PAGE_SIZE - 1) & ~(MICA_PAGE_SIZE - 1);
	}
	FUZZ_CHECK(img->end == prev_end && img->end <= MICA_IMAGE_MAX, "end 0x%llx",
		   (unsigned long long)img->end);
	FUZZ_CHECK(in_exec(img, img->entry, 1), "entry 0x%llx outside code",
		   (unsigned long long)img->entry);
	FUZZ_CHECK(img->hdr.magic == MICA_IMAGE_MAGIC && img->hdr.abi_version == MICA_ABI_VERSION,
		   "header");
	FUZZ_CHECK(in_exec(img, img->hdr.syscall_entry, 1), "syscall entry outside code");
	FUZZ_CHECK(img->hdr.fault_stub_stride > 0 &&
		       in_exec(img, img->hdr.fault_stubs,
			       (uint64_t)img->hdr.fault_stub_stride * MICA_FAULT_VECTORS),
		   "fault stubs outside code");
	if (img->proc) {
		const uint64_t p[] = {img->hdr.proc_enter,     img->hdr.proc_sigsys,
				      img->hdr.proc_fault,     img->hdr.proc_restorer,
				      img->hdr.proc_notify_ip, img->hdr.proc_wait_ip,
				      img->hdr.proc_scan_ip,   img->hdr.proc_drop_ip};
		for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
			FUZZ_CHECK(in_exec(img, p[i], 1), "process stub %zu outside code", i);
	}
}

FUZZ_TARGET(image)
{
	if (!mem && !(mem = malloc(MEM)))
		FUZZ_SETUP_FAILED("no memory for the guest");
	/* a copy of its own: ASan then sees reads past the input's end */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct mica_image img;
	mica_error err;
	int rc = mica_image_parse(&img, copy, size, &err);
	FUZZ_CHECK(rc == 0 || rc == MICA_ERR_INVALID, "rc %d", rc);
	FUZZ_LOG("image: %s\n", rc ? err.message : "accepted");
	if (rc) {
		FUZZ_CHECK((int)err.code == rc && !strncmp(err.message, "guest image: ", 13),
			   "error '%s'", err.message);
		free(copy);
		return 0;
	}
	check_image(&img, size);

	/* What mica_sandbox_new does with it, in 16 MiB of memory. */
	struct mica_boot_params bp = {.mem_size = MEM, .stack_size = 1ull << 20, .output_limit = 1};
	struct mica_layout l;
	if (mica_layout_compute(&l, &img, &bp, &err) == 0) {
		FUZZ_CHECK(l.heap_start >= img.end && l.heap_start < l.heap_end &&
			       l.heap_end < l.stack_bottom && l.stack_top <= l.pt_base &&
			       l.pt_base + l.pt_size == MEM,
			   "layout");
		struct mica_region r[MICA_MAX_REGIONS];
		int n = mica_layout_regions(&l, &img, r);
		FUZZ_CHECK(n > 0 && n <= MICA_MAX_REGIONS, "%d regions", n);
		for (int i = 0; i < n; i++)
			FUZZ_CHECK(r[i].gpa < MEM && r[i].len <= MEM - r[i].gpa, "region %d", i);
		struct mica_cpu cpu;
		FUZZ_CHECK(mica_boot_image(mem, &l, &img, &bp, &cpu, &err) == 0, "boot image");
		FUZZ_CHECK(cpu.rip == img.entry, "rip");
	}
	free(copy);
	return 0;
}

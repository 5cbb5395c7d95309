/* The guest image: a static x86-64 ELF, checked before anything is loaded. */
#ifndef MICA_HOST_IMAGE_H
#define MICA_HOST_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "mica_abi.h"

#define MICA_IMAGE_MAX_SEGS 8

struct mica_image_seg {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags; /* PF_R | PF_W | PF_X */
};

struct mica_image {
	const uint8_t *data; /* not owned */
	size_t len;
	uint64_t entry;
	uint64_t phdr_vaddr; /* for AT_PHDR */
	uint16_t phnum;
	uint64_t end; /* page-aligned end of the highest segment */
	int nsegs;
	struct mica_image_seg segs[MICA_IMAGE_MAX_SEGS];
	struct mica_image_header hdr;
	int proc; /* 1: the header names the process backend's stubs, all in its code */
};

/* Checks that data is a loadable mica guest: ELF64 x86-64 ET_EXEC, PT_LOAD
 * segments inside [MICA_GPA_IMAGE, MICA_IMAGE_MAX) without W+X or shared
 * pages, entry and stubs in executable segments, a valid image header. */
int mica_image_parse(struct mica_image *img, const void *data, size_t len, mica_error *err);

/* Copies the segments into guest memory (which is zeroed, so bss is too). */
void mica_image_load(const struct mica_image *img, uint8_t *mem);

#endif

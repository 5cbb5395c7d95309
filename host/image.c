#include <elf.h>
#include <string.h>

#include "image.h"

#define PAGE MICA_PAGE_SIZE

static int in_file(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

/* 1 if [a, a+n) lies inside an executable segment. */
static int in_exec(const struct mica_image *img, uint64_t a, uint64_t n)
{
	for (int i = 0; i < img->nsegs; i++) {
		const struct mica_image_seg *s = &img->segs[i];
		if ((s->flags & PF_X) && a >= s->vaddr && n <= s->memsz &&
		    a - s->vaddr <= s->memsz - n)
			return 1;
	}
	return 0;
}

static int find_header(struct mica_image *img, const Elf64_Ehdr *eh, mica_error *err)
{
	const uint8_t *d = img->data;
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shstrndx >= eh->e_shnum ||
	    !in_file(img->len, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
		return mica_err(err, MICA_ERR_INVALID, "guest image: bad section headers");
	Elf64_Shdr strtab;
	memcpy(&strtab, d + eh->e_shoff + (uint64_t)eh->e_shstrndx * sizeof(Elf64_Shdr),
	       sizeof(strtab));
	if (!in_file(img->len, strtab.sh_offset, strtab.sh_size))
		return mica_err(err, MICA_ERR_INVALID, "guest image: bad section name table");
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr sh;
		memcpy(&sh, d + eh->e_shoff + (uint64_t)i * sizeof(Elf64_Shdr), sizeof(sh));
		size_t nlen = sizeof(MICA_IMAGE_SECTION);
		if (sh.sh_name >= strtab.sh_size || strtab.sh_size - sh.sh_name < nlen ||
		    memcmp(d + strtab.sh_offset + sh.sh_name, MICA_IMAGE_SECTION, nlen) != 0)
			continue;
		if (sh.sh_size < sizeof(img->hdr) ||
		    !in_file(img->len, sh.sh_offset, sizeof(img->hdr)))
			return mica_err(err, MICA_ERR_INVALID, "guest image: truncated %s",
					MICA_IMAGE_SECTION);
		memcpy(&img->hdr, d + sh.sh_offset, sizeof(img->hdr));
		const struct mica_image_header *h = &img->hdr;
		if (h->magic != MICA_IMAGE_MAGIC)
			return mica_err(err, MICA_ERR_INVALID, "guest image: bad header magic");
		if (h->abi_version != MICA_ABI_VERSION)
			return mica_err(err, MICA_ERR_INVALID,
					"guest image: ABI version %u, host speaks %u",
					h->abi_version, MICA_ABI_VERSION);
		if (h->fault_stub_stride == 0 || h->fault_stub_stride > 256 ||
		    !in_exec(img, h->syscall_entry, 1) ||
		    !in_exec(img, h->fault_stubs,
			     (uint64_t)h->fault_stub_stride * MICA_FAULT_VECTORS))
			return mica_err(err, MICA_ERR_INVALID,
					"guest image: entry stubs outside its code");
		/* The process backend's stubs: all or none (then it runs on KVM only). */
		const uint64_t proc[] = {h->proc_enter,	   h->proc_sigsys,    h->proc_fault,
					 h->proc_restorer, h->proc_notify_ip, h->proc_wait_ip,
					 h->proc_scan_ip,  h->proc_drop_ip};
		int named = 0, inside = 0;
		for (size_t k = 0; k < sizeof(proc) / sizeof(proc[0]); k++) {
			named += proc[k] != 0;
			inside += in_exec(img, proc[k], 1);
		}
		if (named && inside != (int)(sizeof(proc) / sizeof(proc[0])))
			return mica_err(err, MICA_ERR_INVALID,
					"guest image: process stubs outside its code");
		img->proc = named != 0;
		return 0;
	}
	return mica_err(err, MICA_ERR_INVALID, "guest image: no %s section", MICA_IMAGE_SECTION);
}

int mica_image_parse(struct mica_image *img, const void *data, size_t len, mica_error *err)
{
	memset(img, 0, sizeof(*img));
	img->data = data;
	img->len = len;
	Elf64_Ehdr eh;
	if (len < sizeof(eh))
		return mica_err(err, MICA_ERR_INVALID, "guest image: too short for an ELF header");
	memcpy(&eh, data, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC)
		return mica_err(err, MICA_ERR_INVALID,
				"guest image: not a static x86-64 ELF executable");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(len, eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr)))
		return mica_err(err, MICA_ERR_INVALID, "guest image: bad program headers");

	const uint8_t *d = data;
	uint64_t prev_end = MICA_GPA_IMAGE;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, d + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
			return mica_err(err, MICA_ERR_INVALID,
					"guest image: must be statically linked");
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (img->nsegs == MICA_IMAGE_MAX_SEGS)
			return mica_err(err, MICA_ERR_INVALID, "guest image: more than %d segments",
					MICA_IMAGE_MAX_SEGS);
		if ((ph.p_flags & PF_W) && (ph.p_flags & PF_X))
			return mica_err(err, MICA_ERR_INVALID,
					"guest image: segment %u is writable and executable", i);
		/* Segments must be in order and own their pages, so every page gets one
		 * set of permissions. */
		uint64_t start = ph.p_vaddr & ~(PAGE - 1);
		if (ph.p_filesz > ph.p_memsz || !in_file(len, ph.p_offset, ph.p_filesz) ||
		    start < prev_end || ph.p_memsz > MICA_IMAGE_MAX ||
		    ph.p_vaddr > MICA_IMAGE_MAX - ph.p_memsz)
			return mica_err(err, MICA_ERR_INVALID,
					"guest image: segment %u outside the image area "
					"[0x%llx, 0x%llx) or overlapping",
					i, (unsigned long long)MICA_GPA_IMAGE,
					(unsigned long long)MICA_IMAGE_MAX);
		prev_end = (ph.p_vaddr + ph.p_memsz + PAGE - 1) & ~(PAGE - 1);
		if (ph.p_offset <= eh.e_phoff && eh.e_phoff - ph.p_offset < ph.p_filesz)
			img->phdr_vaddr = ph.p_vaddr + (eh.e_phoff - ph.p_offset);
		img->segs[img->nsegs++] = (struct mica_image_seg){.vaddr = ph.p_vaddr,
								  .memsz = ph.p_memsz,
								  .offset = ph.p_offset,
								  .filesz = ph.p_filesz,
								  .flags = ph.p_flags};
		img->end = prev_end;
	}
	if (img->nsegs == 0)
		return mica_err(err, MICA_ERR_INVALID, "guest image: nothing to load");
	if (!in_exec(img, eh.e_entry, 1))
		return mica_err(err, MICA_ERR_INVALID, "guest image: entry point outside its code");
	img->entry = eh.e_entry;
	img->phnum = eh.e_phnum;
	return find_header(img, &eh, err);
}

void mica_image_load(const struct mica_image *img, uint8_t *mem)
{
	for (int i = 0; i < img->nsegs; i++) {
		const struct mica_image_seg *s = &img->segs[i];
		memcpy(mem + s->vaddr, img->data + s->offset, s->filesz);
	}
}

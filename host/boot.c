#include <elf.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "boot.h"

#define PAGE	 MICA_PAGE_SIZE
#define PTE_P	 0x1ull
#define PTE_W	 0x2ull
#define PTE_U	 0x4ull
#define PTE_NX	 (1ull << 63)
#define TSS_IOPB 104

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint64_t pt_pages(uint64_t mem)
{
	uint64_t pts = align_up(mem, 2ull << 20) >> 21;
	uint64_t pds = align_up(mem, 1ull << 30) >> 30;
	return 2 + pds + pts; /* PML4, PDPT, PDs, PTs */
}

int mica_layout_compute(struct mica_layout *l, const struct mica_image *img,
			const struct mica_boot_params *p, mica_error *err)
{
	memset(l, 0, sizeof(*l));
	l->mem_size = p->mem_size;
	l->pt_size = pt_pages(p->mem_size) * PAGE;
	l->pt_base = p->mem_size - l->pt_size;
	l->stack_top = l->pt_base;
	l->stack_bottom = l->stack_top - p->stack_size;
	l->heap_start = align_up(img->end, PAGE) + PAGE;
	l->heap_end = l->stack_bottom - PAGE; /* guard page */
	if (l->stack_bottom < img->end || l->heap_end < l->heap_start + MICA_MIN_HEAP)
		return mica_err(err, MICA_ERR_INVALID,
				"guest memory of %llu MiB is too small for the %llu KiB stack, the "
				"%llu KiB image and a %llu MiB heap",
				(unsigned long long)(p->mem_size >> 20),
				(unsigned long long)(p->stack_size >> 10),
				(unsigned long long)(img->end >> 10),
				(unsigned long long)(MICA_MIN_HEAP >> 20));
	uint64_t arena = l->heap_end - l->heap_start;
	if (p->js_heap_limit && p->js_heap_limit > arena - MICA_HEAP_RESERVE)
		return mica_err(
		    err, MICA_ERR_INVALID,
		    "JS heap limit of %llu bytes exceeds the %llu bytes guest memory leaves",
		    (unsigned long long)p->js_heap_limit,
		    (unsigned long long)(arena - MICA_HEAP_RESERVE));
	return 0;
}

int mica_layout_regions(const struct mica_layout *l, const struct mica_image *img,
			struct mica_region r[MICA_MAX_REGIONS])
{
	const uint32_t R = MICA_REGION_R, W = MICA_REGION_W, S = MICA_REGION_SHARED,
		       P = MICA_REGION_PROC;
	int n = 0;
#define ADD(a, b, f) r[n++] = (struct mica_region){.gpa = (a), .len = (b) - (a), .flags = (f)}
	ADD(MICA_GPA_INFO, MICA_GPA_INFO + PAGE, R | S);
	ADD(MICA_GPA_MAILBOX, MICA_GPA_INLINE + MICA_INLINE_SIZE, R | W | S);
	ADD(MICA_GPA_CTRL, MICA_GPA_CTRL + MICA_CTRL_SIZE, R | S | P);
	ADD(MICA_GPA_CONSOLE, MICA_GPA_CONSOLE + MICA_CONSOLE_SIZE, R | W | S);
	ADD(MICA_GPA_SCRATCH, MICA_GPA_SCRATCH + MICA_SCRATCH_SIZE, R | W | S | P);
	ADD(MICA_GPA_SIGSTACK, MICA_GPA_SIGSTACK + MICA_SIGSTACK_SIZE, R | W | P);
	ADD(MICA_GPA_IN, MICA_GPA_IN + MICA_IN_SIZE, R | W);
	for (int i = 0; i < img->nsegs; i++) {
		const struct mica_image_seg *s = &img->segs[i];
		uint32_t f =
		    R | ((s->flags & PF_W) ? W : 0) | ((s->flags & PF_X) ? MICA_REGION_X : 0);
		ADD(s->vaddr & ~(PAGE - 1), align_up(s->vaddr + s->memsz, PAGE), f);
	}
	ADD(l->heap_start, l->heap_end, R | W);
	ADD(l->stack_bottom, l->stack_top, R | W);
#undef ADD
	return n;
}

/* Identity-maps [start, end) with flags; the tables are laid out linearly. */
static void map_range(uint8_t *mem, const struct mica_layout *l, uint64_t start, uint64_t end,
		      uint64_t flags)
{
	uint64_t *pt =
	    (uint64_t *)(mem + l->pt_base + (2 + (align_up(l->mem_size, 1ull << 30) >> 30)) * PAGE);
	for (uint64_t a = start & ~(PAGE - 1); a < end; a += PAGE)
		pt[a / PAGE] = a | flags;
}

static void build_page_tables(uint8_t *mem, const struct mica_layout *l,
			      const struct mica_image *img)
{
	uint64_t npd = align_up(l->mem_size, 1ull << 30) >> 30;
	uint64_t npt = align_up(l->mem_size, 2ull << 20) >> 21;
	uint64_t pml4 = l->pt_base, pdpt = pml4 + PAGE, pd = pdpt + PAGE, pt = pd + npd * PAGE;
	uint64_t dir = PTE_P | PTE_W | PTE_U; /* the leaves decide */
	((uint64_t *)(mem + pml4))[0] = pdpt | dir;
	for (uint64_t i = 0; i < npd; i++)
		((uint64_t *)(mem + pdpt))[i] = (pd + i * PAGE) | dir;
	for (uint64_t i = 0; i < npt; i++)
		((uint64_t *)(mem + pd))[i] = (pt + i * PAGE) | dir;

	map_range(mem, l, MICA_GPA_BOOT, MICA_IST_TOP, PTE_P | PTE_W | PTE_NX); /* supervisor */
	struct mica_region r[MICA_MAX_REGIONS];
	int n = mica_layout_regions(l, img, r);
	for (int i = 0; i < n; i++) {
		if (r[i].flags & MICA_REGION_PROC)
			continue;
		uint64_t f = PTE_P | PTE_U;
		if (r[i].flags & MICA_REGION_W)
			f |= PTE_W;
		if (!(r[i].flags & MICA_REGION_X))
			f |= PTE_NX;
		map_range(mem, l, r[i].gpa, r[i].gpa + r[i].len, f);
	}
}

static void build_descriptors(uint8_t *mem, const struct mica_image *img)
{
	uint64_t *gdt = (uint64_t *)(mem + MICA_BOOT_GDT);
	gdt[0] = 0;
	gdt[1] = 0x00209a0000000000ull; /* 0x08 kernel code, L */
	gdt[2] = 0x00cf92000000ffffull; /* 0x10 kernel data */
	gdt[3] = 0;
	gdt[4] = 0x00cff2000000ffffull; /* 0x20 user data, DPL3 */
	gdt[5] = 0x0020fa0000000000ull; /* 0x28 user code, DPL3, L */
	uint64_t base = MICA_BOOT_TSS, limit = MICA_BOOT_TSS_LIMIT;
	gdt[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x9ull << 40) | (1ull << 47) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[7] = base >> 32;

	/* 64-bit TSS: RSP0 and IST1 both point at the exception stack. */
	uint8_t *tss = mem + MICA_BOOT_TSS;
	uint64_t ist = MICA_IST_TOP;
	memcpy(tss + 4, &ist, 8);
	memcpy(tss + 36, &ist, 8);
	/* An all-clear I/O bitmap for ports 0..255 (and the 0xff end byte):
	 * some hypervisors (kvm_pvm) check it even at IOPL=3. */
	uint16_t iopb = TSS_IOPB;
	memcpy(tss + 102, &iopb, 2);
	tss[TSS_IOPB + 32] = 0xff;

	uint64_t *idt = (uint64_t *)(mem + MICA_BOOT_IDT);
	for (int v = 0; v < MICA_FAULT_VECTORS; v++) {
		uint64_t off = img->hdr.fault_stubs + (uint64_t)v * img->hdr.fault_stub_stride;
		idt[2 * v] = (off & 0xffff) | ((uint64_t)MICA_SEL_KCODE << 16) |
			     (1ull << 32) /* IST1 */ | (0xeull << 40) /* interrupt gate */ |
			     (1ull << 47) | (((off >> 16) & 0xffff) << 48);
		idt[2 * v + 1] = off >> 32;
	}
}

/* musl's _start wants argc, argv, envp and an auxiliary vector. */
static uint64_t build_stack(uint8_t *mem, const struct mica_layout *l, const struct mica_image *img)
{
	uint64_t top = l->stack_top;
	uint64_t rnd = top - 16, name = top - 32;
	if (getrandom(mem + rnd, 16, 0) != 16)
		memset(mem + rnd, 0x5a, 16); /* only the stack protector canary */
	memcpy(mem + name, "mica", 5);
	uint64_t v[] = {1,	   name,
			0,	   0,
			AT_PHDR,   img->phdr_vaddr,
			AT_PHENT,  sizeof(Elf64_Phdr),
			AT_PHNUM,  img->phnum,
			AT_PAGESZ, PAGE,
			AT_ENTRY,  img->entry,
			AT_UID,	   0,
			AT_EUID,   0,
			AT_GID,	   0,
			AT_EGID,   0,
			AT_SECURE, 0,
			AT_RANDOM, rnd,
			AT_NULL,   0};
	uint64_t sp = (name - sizeof(v)) & ~15ull;
	memcpy(mem + sp, v, sizeof(v));
	return sp;
}

int mica_boot_refresh(struct mica_guestmem *mem, uint64_t tsc_khz, uint64_t tsc, mica_error *err)
{
	struct mica_boot_info bi;
	if (mica_mem_read(mem, MICA_GPA_INFO, &bi, sizeof(bi)))
		return mica_err(err, MICA_ERR_SYSTEM, "cannot read the guest's boot info");
	if (bi.flags & MICA_BOOT_DETERMINISTIC) {
		/* replayable: the same seed every time (the clock is virtual) */
		static const uint64_t seed[4] = {0x6d6963612d646574, 0x65726d696e697374,
						 0x69632d7365656431, 0x9e3779b97f4a7c15};
		memcpy(bi.random, seed, sizeof(seed));
	} else if (getrandom(bi.random, sizeof(bi.random), 0) != sizeof(bi.random)) {
		return mica_err_errno(err, MICA_ERR_SYSTEM, "getrandom");
	}
	bi.tsc_khz = tsc_khz;
	bi.tsc_base = tsc;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	bi.wall_base_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	bi.generation++;
	if (mica_mem_write(mem, MICA_GPA_INFO, &bi, sizeof(bi)))
		return mica_err(err, MICA_ERR_SYSTEM, "cannot write the guest's boot info");
	return 0;
}

int mica_boot_image(uint8_t *mem, const struct mica_layout *l, const struct mica_image *img,
		    const struct mica_boot_params *p, struct mica_cpu *cpu, mica_error *err)
{
	(void)err;
	build_page_tables(mem, l, img);
	build_descriptors(mem, img);
	mica_image_load(img, mem);
	if (p->hostfn_table_len)
		memcpy(mem + MICA_GPA_IN, p->hostfn_table, p->hostfn_table_len);

	struct mica_boot_info *bi = (struct mica_boot_info *)(mem + MICA_GPA_INFO);
	bi->magic = MICA_BOOT_MAGIC;
	bi->abi_version = MICA_ABI_VERSION;
	bi->mem_size = l->mem_size;
	bi->heap_start = l->heap_start;
	bi->heap_end = l->heap_end;
	bi->stack_top = l->stack_top;
	bi->stack_size = l->stack_top - l->stack_bottom;
	bi->js_heap_limit =
	    p->js_heap_limit ? p->js_heap_limit : l->heap_end - l->heap_start - MICA_HEAP_RESERVE;
	bi->output_limit = p->output_limit;
	bi->hostfn_count = p->hostfn_count;
	bi->hostfn_table_len = p->hostfn_table_len;
	bi->flags = p->flags;

	memset(cpu, 0, sizeof(*cpu));
	cpu->rip = img->entry;
	cpu->gpr[MICA_CPU_RSP_INDEX] = build_stack(mem, l, img);
	cpu->rflags = 0x2;
	/* FXSAVE image of the reset state: FCW 0x37f, MXCSR 0x1f80 */
	cpu->fxsave[0] = 0x7f;
	cpu->fxsave[1] = 0x03;
	uint32_t mxcsr = 0x1f80;
	memcpy(cpu->fxsave + 24, &mxcsr, 4);
	return 0;
}

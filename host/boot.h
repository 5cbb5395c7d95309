/*
 * The guest's memory as the ABI lays it out (docs/architecture.md): where
 * everything goes, which ranges the guest may touch and how, and the
 * initial image: page tables, GDT/IDT/TSS (used by the KVM backend, ignored
 * by the process backend), boot info, the ELF and musl's process stack.
 */
#ifndef MICA_HOST_BOOT_H
#define MICA_HOST_BOOT_H

#include <stdint.h>

#include "backend.h"
#include "guestmem.h"
#include "image.h"

struct mica_layout {
	uint64_t mem_size;
	uint64_t heap_start, heap_end;
	uint64_t stack_bottom, stack_top; /* a guard page lies under stack_bottom */
	uint64_t pt_base, pt_size;	  /* page tables at the top, not mapped */
};

struct mica_boot_params {
	uint64_t mem_size, stack_size;
	uint64_t js_heap_limit; /* 0: heap minus a reserve */
	uint64_t output_limit;
	const char *hostfn_table; /* "module\0name\0" x count, copied to MICA_GPA_IN */
	uint32_t hostfn_table_len, hostfn_count;
	uint32_t flags; /* MICA_BOOT_* */
};

/* Smallest heap arena we boot with. */
#define MICA_MIN_HEAP (4ull << 20)
/* Arena bytes kept back from the JS heap for the runtime's own replies. */
#define MICA_HEAP_RESERVE (1ull << 20)

/* The KVM backend's descriptor tables, in the boot page. */
#define MICA_BOOT_GDT	    MICA_GPA_BOOT
#define MICA_BOOT_GDT_LIMIT (8 * 8 - 1)
#define MICA_BOOT_TSS	    (MICA_GPA_BOOT + 0x80)
#define MICA_BOOT_TSS_LIMIT (104 + 32) /* an I/O bitmap for ports 0..255, then its end byte */
#define MICA_BOOT_IDT	    (MICA_GPA_BOOT + 0x200)
#define MICA_BOOT_IDT_LIMIT (MICA_FAULT_VECTORS * 16 - 1)

/* Computes where everything goes; MICA_ERR_INVALID if it does not fit. */
int mica_layout_compute(struct mica_layout *l, const struct mica_image *img,
			const struct mica_boot_params *p, mica_error *err);

/* A range the guest may touch. */
#define MICA_REGION_R	   1u
#define MICA_REGION_W	   2u
#define MICA_REGION_X	   4u
#define MICA_REGION_SHARED 8u  /* inside [MICA_GPA_WINDOW, MICA_SHARED_END) */
#define MICA_REGION_PROC   16u /* used by the process backend only */
struct mica_region {
	uint64_t gpa, len;
	uint32_t flags; /* MICA_REGION_* */
};
#define MICA_MAX_REGIONS (12 + MICA_IMAGE_MAX_SEGS)

/* The ranges the guest may touch, in address order; returns their count.
 * Everything else is unmapped (KVM: supervisor or not present). */
int mica_layout_regions(const struct mica_layout *l, const struct mica_image *img,
			struct mica_region r[MICA_MAX_REGIONS]);

/* Writes the initial guest memory (mem: all of it, zeroed) and the
 * registers the guest starts with. */
int mica_boot_image(uint8_t *mem, const struct mica_layout *l, const struct mica_image *img,
		    const struct mica_boot_params *p, struct mica_cpu *cpu, mica_error *err);

/* Renews the guest's clock base and random seed in its boot info and bumps
 * the generation, so that clones of one snapshot never share a stream.
 * tsc_khz and tsc come from the backend. */
int mica_boot_refresh(struct mica_guestmem *mem, uint64_t tsc_khz, uint64_t tsc, mica_error *err);

#endif

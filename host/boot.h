/*
 * The guest's initial memory: page tables, GDT/IDT/TSS, boot info, the
 * image and musl's process stack. See docs/architecture.md for the map.
 */
#ifndef MICA_HOST_BOOT_H
#define MICA_HOST_BOOT_H

#include <stdint.h>

#include "image.h"
#include "vm.h"

struct mica_layout {
	uint64_t mem_size;
	uint64_t heap_start, heap_end;
	uint64_t stack_bottom, stack_top; /* a guard page lies under stack_bottom */
	uint64_t pt_base, pt_size;        /* page tables at the top, not mapped */
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

/* Computes where everything goes; MICA_ERR_INVALID if it does not fit. */
int mica_layout_compute(struct mica_layout *l, const struct mica_image *img,
			const struct mica_boot_params *p, mica_error *err);

/* Renews the guest's clock base and random seed in its boot info and bumps
 * the generation, so that clones of one snapshot never share a stream. */
int mica_boot_refresh(struct mica_vm *vm, mica_error *err);

/* Writes the initial guest memory and loads the vCPU state. */
int mica_boot_prepare(struct mica_vm *vm, const struct mica_layout *l, const struct mica_image *img,
		      const struct mica_boot_params *p, mica_error *err);

#endif

#include <stdlib.h>
#include <string.h>

#include "guestmem.h"
#include "mica_abi.h"

int mica_mem_check(const struct mica_guestmem *m, uint64_t gpa, uint64_t len)
{
	return gpa <= m->size && len <= m->size - gpa;
}

static int in_direct(const struct mica_guestmem *m, uint64_t gpa, uint64_t len)
{
	return m->direct && gpa >= m->direct_lo && gpa <= m->direct_hi && len <= m->direct_hi - gpa;
}

size_t mica_mem_dirty_words(uint64_t size)
{
	return (size_t)((size / MICA_PAGE_SIZE + 63) / 64);
}

void mica_mem_dirty(struct mica_guestmem *m, uint64_t gpa, uint64_t len)
{
	if (!m->dirty || len == 0 || !mica_mem_check(m, gpa, len))
		return;
	for (uint64_t p = gpa / MICA_PAGE_SIZE; p <= (gpa + len - 1) / MICA_PAGE_SIZE; p++)
		m->dirty[p / 64] |= 1ull << (p % 64);
}

int mica_mem_read(const struct mica_guestmem *m, uint64_t gpa, void *dst, size_t len)
{
	if (!mica_mem_check(m, gpa, len))
		return -1;
	if (len == 0)
		return 0;
	if (in_direct(m, gpa, len)) {
		memcpy(dst, m->direct + (gpa - m->direct_lo), len);
		return 0;
	}
	return m->slow_read ? m->slow_read(m->slow_ctx, gpa, dst, len) : -1;
}

int mica_mem_write(struct mica_guestmem *m, uint64_t gpa, const void *src, size_t len)
{
	if (!mica_mem_check(m, gpa, len))
		return -1;
	if (len == 0)
		return 0;
	mica_mem_dirty(m, gpa, len);
	if (in_direct(m, gpa, len)) {
		memcpy(m->direct + (gpa - m->direct_lo), src, len);
		return 0;
	}
	return m->slow_write ? m->slow_write(m->slow_ctx, gpa, src, len) : -1;
}

int mica_mem_zero(struct mica_guestmem *m, uint64_t gpa, size_t len)
{
	if (!mica_mem_check(m, gpa, len))
		return -1;
	void *p = mica_mem_direct(m, gpa, len);
	if (p) {
		memset(p, 0, len);
		return 0;
	}
	void *z = calloc(1, len ? len : 1);
	int rc = z ? mica_mem_write(m, gpa, z, len) : -1;
	free(z);
	return rc;
}

void *mica_mem_direct(struct mica_guestmem *m, uint64_t gpa, size_t len)
{
	if (!mica_mem_check(m, gpa, len) || !in_direct(m, gpa, len))
		return NULL;
	mica_mem_dirty(m, gpa, len);
	return m->direct + (gpa - m->direct_lo);
}

const void *mica_mem_view(const struct mica_guestmem *m, uint64_t gpa, size_t len, void **copy)
{
	*copy = NULL;
	if (!mica_mem_check(m, gpa, len))
		return NULL;
	if (in_direct(m, gpa, len))
		return m->direct + (gpa - m->direct_lo);
	void *c = malloc(len ? len : 1);
	if (!c || mica_mem_read(m, gpa, c, len)) {
		free(c);
		return NULL;
	}
	*copy = c;
	return c;
}

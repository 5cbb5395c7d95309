/* SHA-256 (FIPS 180-4) for snapshot files: portable C, and the x86 SHA
 * extensions when the CPU has them (the same digests, several times faster). */
#ifndef MICA_HOST_SHA256_H
#define MICA_HOST_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define MICA_SHA256_LEN 32

struct mica_sha256 {
	uint32_t h[8];
	uint64_t bytes; /* message length so far */
	uint8_t buf[64];
	size_t n; /* bytes in buf */
	int hw;	  /* use the SHA extensions; set by init, tests may clear it */
};

void mica_sha256_init(struct mica_sha256 *c);
void mica_sha256_update(struct mica_sha256 *c, const void *data, size_t len);
void mica_sha256_final(struct mica_sha256 *c, uint8_t out[MICA_SHA256_LEN]);

/* One-shot digest of data. */
void mica_sha256(const void *data, size_t len, uint8_t out[MICA_SHA256_LEN]);

/* Whether this CPU has the SHA extensions (and init will use them). */
int mica_sha256_hw(void);

#endif

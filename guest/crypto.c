/*
 * The native half of the Web Crypto subset (guest/js/crypto.js):
 *  - a CSPRNG: ChaCha20 (RFC 8439 block function) with fast key erasure,
 *    keyed from the host's boot-info seed and rekeyed whenever the host
 *    renews it (boot info `generation`: snapshot clones and resets), so two
 *    sandboxes never share a stream and a restored sandbox never replays
 *    bytes it produced before the snapshot;
 *  - SHA-1, SHA-256, SHA-384, SHA-512 (FIPS 180-4) and HMAC (RFC 2104);
 *  - crypto.js's lazy loading: `crypto`, `Crypto`, `SubtleCrypto` and
 *    `CryptoKey` are accessors until first use, which evaluates crypto.js
 *    (as builtins.c does for web.js).
 * No system calls: the seed is in boot info, the rest is computation.
 */
#include <string.h>

#include "runtime.h"

/* Erases secrets in a way the compiler cannot drop as a dead store. */
static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;
	while (n--)
		*v++ = 0;
}

static uint32_t load32_be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t load64_be(const uint8_t *p)
{
	return (uint64_t)load32_be(p) << 32 | load32_be(p + 4);
}

static void store32_be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
	p[3] = (uint8_t)v;
}

static void store64_be(uint8_t *p, uint64_t v)
{
	store32_be(p, (uint32_t)(v >> 32));
	store32_be(p + 4, (uint32_t)v);
}

static uint32_t rol32(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static uint32_t ror32(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static uint64_t ror64(uint64_t x, int n)
{
	return x >> n | x << (64 - n);
}

/* ---- SHA-1, SHA-2 (FIPS 180-4) ------------------------------------------- */

struct hash_ctx {
	const struct hash_alg *alg;
	union {
		uint32_t w32[8]; /* SHA-1 (5 words), SHA-256 */
		uint64_t w64[8]; /* SHA-384, SHA-512 */
	} h;
	uint8_t block[128];
	size_t fill;	/* bytes in block */
	uint64_t total; /* bytes hashed so far */
};

struct hash_alg {
	int id;		     /* the bits the JS side names it by: 1 for SHA-1 */
	size_t block_size;   /* 64 or 128 */
	size_t digest_size;  /* bytes of output */
	size_t length_bytes; /* size of the message length field: 8 or 16 */
	int words64;	     /* state words are 64-bit */
	void (*compress)(struct hash_ctx *hc, const uint8_t *block);
	uint64_t iv[8];
};

static void sha1_compress(struct hash_ctx *hc, const uint8_t *p)
{
	uint32_t w[80], *h = hc->h.w32;
	for (int i = 0; i < 16; i++)
		w[i] = load32_be(p + 4 * i);
	for (int i = 16; i < 80; i++)
		w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		uint32_t t = rol32(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol32(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static void sha256_compress(struct hash_ctx *hc, const uint8_t *p)
{
	uint32_t w[64], s[8], *h = hc->h.w32;
	for (int i = 0; i < 16; i++)
		w[i] = load32_be(p + 4 * i);
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(s, h, sizeof(s));
	for (int i = 0; i < 64; i++) {
		uint32_t S1 = ror32(s[4], 6) ^ ror32(s[4], 11) ^ ror32(s[4], 25);
		uint32_t ch = (s[4] & s[5]) ^ (~s[4] & s[6]);
		uint32_t t1 = s[7] + S1 + ch + K256[i] + w[i];
		uint32_t S0 = ror32(s[0], 2) ^ ror32(s[0], 13) ^ ror32(s[0], 22);
		uint32_t maj = (s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]);
		memmove(s + 1, s, 7 * sizeof(s[0]));
		s[4] += t1;
		s[0] = t1 + S0 + maj;
	}
	for (int i = 0; i < 8; i++)
		h[i] += s[i];
}

static const uint64_t K512[80] = {
    0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
    0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
    0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
    0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
    0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
    0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
    0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
    0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
    0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
    0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
    0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
    0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
    0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
    0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817};

static void sha512_compress(struct hash_ctx *hc, const uint8_t *p)
{
	uint64_t w[80], s[8], *h = hc->h.w64;
	for (int i = 0; i < 16; i++)
		w[i] = load64_be(p + 8 * i);
	for (int i = 16; i < 80; i++) {
		uint64_t s0 = ror64(w[i - 15], 1) ^ ror64(w[i - 15], 8) ^ (w[i - 15] >> 7);
		uint64_t s1 = ror64(w[i - 2], 19) ^ ror64(w[i - 2], 61) ^ (w[i - 2] >> 6);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(s, h, sizeof(s));
	for (int i = 0; i < 80; i++) {
		uint64_t S1 = ror64(s[4], 14) ^ ror64(s[4], 18) ^ ror64(s[4], 41);
		uint64_t ch = (s[4] & s[5]) ^ (~s[4] & s[6]);
		uint64_t t1 = s[7] + S1 + ch + K512[i] + w[i];
		uint64_t S0 = ror64(s[0], 28) ^ ror64(s[0], 34) ^ ror64(s[0], 39);
		uint64_t maj = (s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]);
		memmove(s + 1, s, 7 * sizeof(s[0]));
		s[4] += t1;
		s[0] = t1 + S0 + maj;
	}
	for (int i = 0; i < 8; i++)
		h[i] += s[i];
}

static const struct hash_alg hash_algs[] = {
    {1, 64, 20, 8, 0, sha1_compress, {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0}},
    {256,
     64,
     32,
     8,
     0,
     sha256_compress,
     {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
      0x5be0cd19}},
    {384,
     128,
     48,
     16,
     1,
     sha512_compress,
     {0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17, 0x152fecd8f70e5939,
      0x67332667ffc00b31, 0x8eb44a8768581511, 0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4}},
    {512,
     128,
     64,
     16,
     1,
     sha512_compress,
     {0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
      0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179}},
};

static const struct hash_alg *hash_find(int id)
{
	for (size_t i = 0; i < sizeof(hash_algs) / sizeof(hash_algs[0]); i++)
		if (hash_algs[i].id == id)
			return &hash_algs[i];
	return NULL;
}

static void hash_init(struct hash_ctx *hc, const struct hash_alg *alg)
{
	memset(hc, 0, sizeof(*hc));
	hc->alg = alg;
	for (int i = 0; i < 8; i++) {
		if (alg->words64)
			hc->h.w64[i] = alg->iv[i];
		else
			hc->h.w32[i] = (uint32_t)alg->iv[i];
	}
}

static void hash_update(struct hash_ctx *hc, const uint8_t *p, size_t n)
{
	size_t bs = hc->alg->block_size;
	hc->total += n;
	if (hc->fill) {
		size_t k = bs - hc->fill < n ? bs - hc->fill : n;
		memcpy(hc->block + hc->fill, p, k);
		hc->fill += k, p += k, n -= k;
		if (hc->fill < bs)
			return;
		hc->alg->compress(hc, hc->block);
		hc->fill = 0;
	}
	for (; n >= bs; p += bs, n -= bs)
		hc->alg->compress(hc, p);
	memcpy(hc->block, p, n);
	hc->fill = n;
}

/* Pads, writes the digest (alg->digest_size bytes) to out, wipes hc. */
static void hash_final(struct hash_ctx *hc, uint8_t *out)
{
	const struct hash_alg *alg = hc->alg;
	size_t bs = alg->block_size;
	uint64_t bits = hc->total * 8; /* messages here are far below 2^61 bytes */
	hc->block[hc->fill++] = 0x80;
	if (hc->fill > bs - alg->length_bytes) {
		memset(hc->block + hc->fill, 0, bs - hc->fill);
		alg->compress(hc, hc->block);
		hc->fill = 0;
	}
	memset(hc->block + hc->fill, 0, bs - hc->fill);
	store64_be(hc->block + bs - 8, bits);
	alg->compress(hc, hc->block);
	uint8_t full[64];
	for (int i = 0; i < 8; i++) {
		if (alg->words64)
			store64_be(full + 8 * i, hc->h.w64[i]);
		else
			store32_be(full + 4 * i, hc->h.w32[i]);
	}
	memcpy(out, full, alg->digest_size);
	wipe(full, sizeof(full));
	wipe(hc, sizeof(*hc));
}

/* HMAC (RFC 2104) of msg under key; out gets alg->digest_size bytes. */
static void hmac(const struct hash_alg *alg, const uint8_t *key, size_t key_len, const uint8_t *msg,
		 size_t msg_len, uint8_t *out)
{
	uint8_t k0[128] = {0}, pad[128], inner[64];
	struct hash_ctx hc;
	size_t bs = alg->block_size;
	if (key_len > bs) {
		hash_init(&hc, alg);
		hash_update(&hc, key, key_len);
		hash_final(&hc, k0);
	} else {
		memcpy(k0, key, key_len);
	}
	for (size_t i = 0; i < bs; i++)
		pad[i] = k0[i] ^ 0x36;
	hash_init(&hc, alg);
	hash_update(&hc, pad, bs);
	hash_update(&hc, msg, msg_len);
	hash_final(&hc, inner);
	for (size_t i = 0; i < bs; i++)
		pad[i] = k0[i] ^ 0x5c;
	hash_init(&hc, alg);
	hash_update(&hc, pad, bs);
	hash_update(&hc, inner, alg->digest_size);
	hash_final(&hc, out);
	wipe(k0, sizeof(k0));
	wipe(pad, sizeof(pad));
	wipe(inner, sizeof(inner));
}

/* ---- CSPRNG: ChaCha20 with fast key erasure -------------------------------- */

#define QR(a, b, c, d)                                                                             \
	(a += b, d = rol32(d ^ a, 16), c += d, b = rol32(b ^ c, 12), a += b, d = rol32(d ^ a, 8),  \
	 c += d, b = rol32(b ^ c, 7))

/* RFC 8439, 2.3: one 64-byte block of key stream. */
static void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
			   uint8_t out[64])
{
	uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
	memcpy(in + 4, key, 32);
	in[12] = counter;
	memcpy(in + 13, nonce, 12);
	uint32_t x[16];
	memcpy(x, in, sizeof(x));
	for (int i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]), QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]), QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]), QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]), QR(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++) {
		uint32_t v = x[i] + in[i];
		out[4 * i] = (uint8_t)v, out[4 * i + 1] = (uint8_t)(v >> 8);
		out[4 * i + 2] = (uint8_t)(v >> 16), out[4 * i + 3] = (uint8_t)(v >> 24);
	}
	wipe(x, sizeof(x));
	wipe(in, sizeof(in));
}

#define RNG_BLOCKS 8

/* Each refill makes RNG_BLOCKS blocks under the current key: the first 32
 * bytes become the next key (the old one is gone), the rest is output,
 * erased as it is handed out. The state in a snapshot thus cannot
 * reproduce anything handed out before it. */
static struct {
	uint32_t key[8];
	uint8_t buf[64 * RNG_BLOCKS];
	size_t pos; /* next unused byte of buf */
	uint64_t generation;
	int seeded;
} rng;

static void rng_refill(void)
{
	static const uint32_t nonce[3];
	for (uint32_t i = 0; i < RNG_BLOCKS; i++)
		chacha20_block(rng.key, i, nonce, rng.buf + 64 * i);
	memcpy(rng.key, rng.buf, 32);
	wipe(rng.buf, 32);
	rng.pos = 32;
}

/* Keys the generator from the host's seed when it is new: at first use and
 * after every snapshot restore or reset (the host renews the seed and bumps
 * the generation). The key is SHA-256 of a label, the seed and the
 * generation: Math.random's outputs (which reveal random[0]) do not give it
 * away, and the host's deterministic mode (a fixed seed) stays
 * reproducible. */
static void rng_check_seed(void)
{
	const struct mica_boot_info *bi = MICA_INFO;
	uint64_t gen = bi->generation;
	if (rng.seeded && gen == rng.generation)
		return;
	struct {
		char label[16];
		uint64_t random[4], generation;
	} seed;
	memset(&seed, 0, sizeof(seed));
	memcpy(seed.label, "mica csprng v1", 14);
	memcpy(seed.random, (const void *)bi->random, sizeof(seed.random));
	seed.generation = gen;
	uint8_t key[32];
	struct hash_ctx hc;
	hash_init(&hc, hash_find(256));
	hash_update(&hc, (const uint8_t *)&seed, sizeof(seed));
	hash_final(&hc, key);
	for (int i = 0; i < 8; i++)
		rng.key[i] = load32_be(key + 4 * i);
	wipe(key, sizeof(key));
	wipe(&seed, sizeof(seed));
	wipe(rng.buf, sizeof(rng.buf));
	rng.pos = sizeof(rng.buf); /* nothing of the old stream is used */
	rng.generation = gen;
	rng.seeded = 1;
}

static void rng_bytes(uint8_t *out, size_t n)
{
	rng_check_seed();
	while (n) {
		if (rng.pos == sizeof(rng.buf))
			rng_refill();
		size_t k = sizeof(rng.buf) - rng.pos < n ? sizeof(rng.buf) - rng.pos : n;
		memcpy(out, rng.buf + rng.pos, k);
		wipe(rng.buf + rng.pos, k);
		rng.pos += k, out += k, n -= k;
	}
}

/* ---- native functions for crypto.js ---------------------------------------- */

/* The bytes a typed array views (any element type). */
static uint8_t *view_bytes(JSContext *c, JSValueConst v, size_t *len)
{
	size_t off, n, size;
	JSValue buf = JS_GetTypedArrayBuffer(c, v, &off, &n, NULL);
	if (JS_IsException(buf))
		return NULL;
	uint8_t *p = JS_GetArrayBuffer(c, &size, buf);
	JS_FreeValue(c, buf);
	if (!p)
		return NULL;
	if (off > size || n > size - off) {
		JS_ThrowRangeError(c, "typed array out of its buffer's bounds");
		return NULL;
	}
	*len = n;
	return p + off;
}

static const struct hash_alg *arg_hash(JSContext *c, JSValueConst v)
{
	int32_t id;
	if (JS_ToInt32(c, &id, v) < 0)
		return NULL;
	const struct hash_alg *alg = hash_find(id);
	if (!alg)
		JS_ThrowRangeError(c, "unknown hash %d", (int)id);
	return alg;
}

/* random(typedArray): fills its bytes. */
static JSValue js_random(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	size_t n;
	uint8_t *p = view_bytes(c, argv[0], &n);
	if (!p)
		return JS_EXCEPTION;
	rng_bytes(p, n);
	return JS_UNDEFINED;
}

/* digest(id, u8): ArrayBuffer of the hash of the bytes. */
static JSValue js_digest(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	const struct hash_alg *alg = arg_hash(c, argv[0]);
	size_t n;
	uint8_t *p = alg ? view_bytes(c, argv[1], &n) : NULL;
	if (!p)
		return JS_EXCEPTION;
	struct hash_ctx hc;
	uint8_t out[64];
	hash_init(&hc, alg);
	hash_update(&hc, p, n);
	hash_final(&hc, out);
	return JS_NewArrayBufferCopy(c, out, alg->digest_size);
}

/* hmac(id, key u8, data u8): ArrayBuffer of the MAC. */
static JSValue js_hmac(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	const struct hash_alg *alg = arg_hash(c, argv[0]);
	size_t klen, mlen;
	uint8_t *k = alg ? view_bytes(c, argv[1], &klen) : NULL;
	uint8_t *m = k ? view_bytes(c, argv[2], &mlen) : NULL;
	if (!m)
		return JS_EXCEPTION;
	uint8_t out[64];
	hmac(alg, k, klen, m, mlen, out);
	JSValue r = JS_NewArrayBufferCopy(c, out, alg->digest_size);
	wipe(out, sizeof(out));
	return r;
}

/* equal(a u8, b u8): whether the bytes are equal, in time that depends on
 * the lengths only. */
static JSValue js_equal(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
	(void)this_val, (void)argc;
	size_t alen, blen;
	uint8_t *a = view_bytes(c, argv[0], &alen);
	uint8_t *b = a ? view_bytes(c, argv[1], &blen) : NULL;
	if (!b)
		return JS_EXCEPTION;
	if (alen != blen)
		return JS_FALSE;
	uint8_t d = 0;
	for (size_t i = 0; i < alen; i++)
		d |= a[i] ^ b[i];
	return JS_NewBool(c, d == 0);
}

static const JSCFunctionListEntry native_funcs[] = {
    JS_CFUNC_DEF("random", 1, js_random),
    JS_CFUNC_DEF("digest", 2, js_digest),
    JS_CFUNC_DEF("hmac", 3, js_hmac),
    JS_CFUNC_DEF("equal", 2, js_equal),
};

/* crypto.js's native half, as a hidden global it captures and deletes. */
int mica_crypto_prepare(JSContext *c, JSValueConst global)
{
	return mica_define_natives(c, global, "__mica_crypto", native_funcs,
				   sizeof(native_funcs) / sizeof(native_funcs[0]));
}

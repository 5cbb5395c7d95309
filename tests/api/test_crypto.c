/*
 * test_crypto: the Web Crypto subset (guest/crypto.c, guest/js/crypto.js)
 * in real micro-VMs: digests (FIPS 180-4 examples), HMAC (RFC 4231),
 * importKey/exportKey/generateKey/sign/verify and their errors,
 * getRandomValues and randomUUID, and fresh random streams for every clone
 * and reset of a snapshot.
 */
#include "harness.h"
#include "mica.h"

static mica_runtime *rt;

/* Helpers every sandbox gets before a test's code runs. */
static const char prelude[] =
    "globalThis.te = (s) => new TextEncoder().encode(s);\n"
    "globalThis.hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "
    "'0')).join('');\n"
    "globalThis.unhex = (s) => new Uint8Array(s.match(/../g).map((x) => parseInt(x, 16)));\n"
    /* how a promise settles: its value, or the name of its rejection */
    "globalThis.outcome = (p) => p.then((v) => 'ok ' + v, (e) => e.name);\n"
    /* what a function throws */
    "globalThis.thrown = (f) => { try { f(); return 'no error'; } catch (e) { return e.name; } "
    "};\n";

static int runtime_open(void)
{
	if (rt)
		return 0;
	mica_error err;
	rt = mica_runtime_new(harness_opts(), &err);
	CHECK(rt, "mica_runtime_new: %s", err.message);
	return rt ? 0 : -1;
}

/* Evaluates code; the printed result (malloc'd), or NULL after a failed check. */
static char *eval(mica_sandbox *sb, const char *code)
{
	char *r = NULL;
	size_t n;
	mica_error err;
	int rc = mica_sandbox_eval(sb, "test.js", code, strlen(code), &r, &n, &err);
	CHECK(rc == MICA_OK && r, "eval of\n%s\n  failed: %d %s", code, rc, err.message);
	if (rc != MICA_OK) {
		free(r);
		return NULL;
	}
	return r;
}

/* A new sandbox with the prelude evaluated; NULL after a failed check. */
static mica_sandbox *sandbox(void)
{
	if (runtime_open())
		return NULL;
	mica_error err;
	mica_sandbox *sb = mica_sandbox_new(rt, NULL, &err);
	CHECK(sb, "mica_sandbox_new: %s", err.message);
	if (sb)
		free(eval(sb, prelude));
	return sb;
}

#define CHECK_EVAL(sb, code, want)                                                                 \
	do {                                                                                       \
		char *r_ = eval(sb, code);                                                         \
		CHECK(r_ && !strcmp(r_, want), "%s\n  gave '%s', want '%s'", code,                 \
		      r_ ? r_ : "(failed)", want);                                                 \
		free(r_);                                                                          \
	} while (0)

#define OPEN(sb)                                                                                   \
	NEED_BACKEND();                                                                            \
	mica_sandbox *sb = sandbox();                                                              \
	if (!sb)                                                                                   \
	return

/* FIPS 180-4 example messages (as JS expressions) and their digests. */
static const struct {
	const char *msg;
	const char *sha1, *sha256, *sha384, *sha512;
} digest_vectors[] = {
    {
	"\"\"",
	"da39a3ee5e6b4b0d3255bfef95601890afd80709",
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da"
	"274edebfe76f65fbd51ad2f14898b95b",
	"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
	"47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    },
    {
	"\"abc\"",
	"a9993e364706816aba3e25717850c26c9cd0d89d",
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
	"8086072ba1e7cc2358baeca134c825a7",
	"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    },
    {
	"\"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq\"",
	"84983e441c3bd26ebaae4aa1f95129e5e54670f1",
	"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	"3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6"
	"b0455a8520bc4e6f5fe95b1fe3c8452b",
	"204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
	"96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445",
    },
    {
	"\"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
	"lmnopqrsmnopqrstnopqrstu\"",
	"a49b2446a02c645bf419f995b67091253a04a259",
	"cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
	"09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712"
	"fcc7c71a557e2db966c3e9fa91746039",
	"8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
	"501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
    },
    {
	"\"a\".repeat(1000000)",
	"34aa973cd4c4daa4f61eeb2bdbad27316534016f",
	"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	"9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b"
	"07b8b3dc38ecc4ebae97ddd87f3d8985",
	"e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
	"de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
    },
};

/* RFC 4231 test cases 1-7 (key and data as JS expressions). Case 5 is
 * truncated to 128 bits in the RFC: only that prefix is compared. */
static const struct {
	const char *key, *data;
	const char *sha256, *sha384, *sha512;
} hmac_vectors[] = {
    {
	"new Uint8Array(20).fill(0x0b)",
	"te('Hi There')",
	"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	"afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
	"faea9ea9076ede7f4af152e8b2fa9cb6",
	"87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	"daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
    },
    {
	"te('Jefe')",
	"te('what do ya want for nothing?')",
	"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	"af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
	"8e2240ca5e69e2c78b3239ecfab21649",
	"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	"9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    },
    {
	"new Uint8Array(20).fill(0xaa)",
	"new Uint8Array(50).fill(0xdd)",
	"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
	"88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
	"2a5ab39dc13814b94e3ab6e101a34f27",
	"fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
	"bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
    },
    {
	"Uint8Array.from({ length: 25 }, (_, i) => i + 1)",
	"new Uint8Array(50).fill(0xcd)",
	"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
	"3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
	"6801dd23c4a7d679ccf8a386c674cffb",
	"b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
	"a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
    },
    {
	"new Uint8Array(20).fill(0x0c)",
	"te('Test With Truncation')",
	"a3b6167473100ee06e0c796c2955552b",
	"3abf34c3503b2a23a46efc619baef897",
	"415fad6271580a531d4179bc891d87a6",
    },
    {
	"new Uint8Array(131).fill(0xaa)",
	"te('Test Using Larger Than Block-Size Key - Hash Key First')",
	"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	"4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
	"0c2ef6ab4030fe8296248df163f44952",
	"80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	"6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
    },
    {
	"new Uint8Array(131).fill(0xaa)",
	"te('This is a test using a larger than block-size key and a larger than block-size '"
	"+ 'data. The key needs to be hashed before being used by the HMAC algorithm.')",
	"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
	"6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
	"a678cc31e799176d3860e6110c46523e",
	"e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
	"b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
    },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- digests --------------------------------------------------------------- */

TEST(digest_fips_vectors)
{
	OPEN(sb);
	static const char *const algs[] = {"SHA-1", "SHA-256", "SHA-384", "SHA-512"};
	for (size_t i = 0; i < N(digest_vectors); i++) {
		const char *want[] = {digest_vectors[i].sha1, digest_vectors[i].sha256,
				      digest_vectors[i].sha384, digest_vectors[i].sha512};
		for (size_t a = 0; a < N(algs); a++) {
			char code[512];
			snprintf(code, sizeof(code), "crypto.subtle.digest('%s', te(%s)).then(hex)",
				 algs[a], digest_vectors[i].msg);
			CHECK_EVAL(sb, code, want[a]);
		}
	}
	mica_sandbox_free(sb);
}

/* Algorithm names and BufferSource forms (a view's offset and length are
 * honoured), and message lengths around the padding limits (55, 56, 63, 64,
 * 111, 112, 127, 128 bytes; digests from Python's hashlib). */
TEST(digest_forms)
{
	OPEN(sb);
	const char *abc256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	CHECK_EVAL(sb, "crypto.subtle.digest({ name: 'sha-256' }, te('abc')).then(hex)", abc256);
	CHECK_EVAL(sb, "crypto.subtle.digest('Sha-256', te('abc').buffer).then(hex)", abc256);
	CHECK_EVAL(
	    sb, "crypto.subtle.digest('SHA-256', new DataView(te('xabcx').buffer, 1, 3)).then(hex)",
	    abc256);
	CHECK_EVAL(sb, "crypto.subtle.digest('SHA-256', te('xxabcxx').subarray(2, 5)).then(hex)",
		   abc256);
	CHECK_EVAL(
	    sb,
	    "crypto.subtle.digest('SHA-256', new Uint16Array(te('abcd').buffer).subarray(0, 1))"
	    ".then(hex)",
	    "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603"); /* "ab" */
	CHECK_EVAL(sb,
		   "crypto.subtle.digest('SHA-512', new ArrayBuffer(0))"
		   ".then((b) => Object.prototype.toString.call(b) + ' ' + b.byteLength)",
		   "[object ArrayBuffer] 64");
	CHECK_EVAL(sb, "crypto.subtle.digest('SHA-1', te('')) instanceof Promise", "true");
	CHECK_EVAL(
	    sb,
	    "(async () => { const r = []; for (const n of [55, 56, 63, 64, 111, 112, 127, 128]) {"
	    " r.push(hex(await crypto.subtle.digest('SHA-256', new "
	    "Uint8Array(n).fill(0x61))).slice(0, 8));"
	    " r.push(hex(await crypto.subtle.digest('SHA-512', new "
	    "Uint8Array(n).fill(0x61))).slice(0, 8)); }"
	    " return r.join(); })()",
	    "9f4390f8,b0220c77,b35439a4,962b64aa,7d3e74a0,c1b0f5c6,ffe054fe,01d35c10,"
	    "6374f732,fa9121c7,f5435300,c01d080e,c57e9278,82861396,6836cf13,b73d1929");
	mica_sandbox_free(sb);
}

TEST(digest_errors)
{
	OPEN(sb);
	CHECK_EVAL(sb, "outcome(crypto.subtle.digest('MD5', te('')))", "NotSupportedError");
	CHECK_EVAL(sb, "outcome(crypto.subtle.digest({ name: 'HMAC' }, te('')))",
		   "NotSupportedError");
	CHECK_EVAL(sb, "outcome(crypto.subtle.digest('SHA-256 ', te('')))", "NotSupportedError");
	CHECK_EVAL(sb, "outcome(crypto.subtle.digest('\\u017fha-1', te('')))", "NotSupportedError");
	CHECK_EVAL(sb, "outcome(crypto.subtle.digest('SHA-256', 'abc'))", "TypeError");
	CHECK_EVAL(sb, "outcome(crypto.subtle.digest('SHA-256', [1, 2]))", "TypeError");
	CHECK_EVAL(sb, "outcome(crypto.subtle.digest('SHA-256'))", "TypeError");
	CHECK_EVAL(sb, "outcome(crypto.subtle.digest({}, te('')))", "TypeError");
	CHECK_EVAL(sb, "outcome(crypto.subtle.digest.call({}, 'SHA-256', te('')))", "TypeError");
	CHECK_EVAL(
	    sb,
	    "crypto.subtle.digest('MD5', te('')).catch((e) => e instanceof DOMException && e.code)",
	    "9");
	mica_sandbox_free(sb);
}

/* ---- HMAC ------------------------------------------------------------------ */

TEST(hmac_rfc4231)
{
	OPEN(sb);
	static const char *const hashes[] = {"SHA-256", "SHA-384", "SHA-512"};
	for (size_t i = 0; i < N(hmac_vectors); i++) {
		const char *want[] = {hmac_vectors[i].sha256, hmac_vectors[i].sha384,
				      hmac_vectors[i].sha512};
		for (size_t h = 0; h < N(hashes); h++) {
			char code[1024];
			snprintf(code, sizeof(code),
				 "crypto.subtle.importKey('raw', %s, { name: 'HMAC', hash: '%s' }, "
				 "false, ['sign'])"
				 ".then((k) => crypto.subtle.sign('HMAC', k, %s)).then((s) => "
				 "hex(s).slice(0, %zu))",
				 hmac_vectors[i].key, hashes[h], hmac_vectors[i].data,
				 strlen(want[h]));
			CHECK_EVAL(sb, code, want[h]);
		}
	}
	/* HMAC-SHA-1 (RFC 2202 has no such message; this one is well known) */
	CHECK_EVAL(sb,
		   "crypto.subtle.importKey('raw', te('key'), { name: 'HMAC', hash: { name: "
		   "'sha-1' } }, false, ['sign'])"
		   ".then((k) => crypto.subtle.sign('HMAC', k, te('The quick brown fox jumps over "
		   "the lazy dog')))"
		   ".then(hex)",
		   "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9");
	mica_sandbox_free(sb);
}

TEST(hmac_verify)
{
	OPEN(sb);
	CHECK_EVAL(
	    sb,
	    "(async () => {\n"
	    "  const k = await crypto.subtle.importKey('raw', te('key'), { name: 'HMAC', hash: "
	    "'SHA-512' },\n"
	    "                                          false, ['sign', 'verify']);\n"
	    "  const sig = await crypto.subtle.sign({ name: 'hmac' }, k, te('msg'));\n"
	    "  const bad = new Uint8Array(sig).slice(); bad[63] ^= 1;\n"
	    "  const v = (s, d) => crypto.subtle.verify('HMAC', k, s, te(d));\n"
	    "  return [await v(sig, 'msg'), await v(new DataView(sig), 'msg'), await v(bad, "
	    "'msg'),\n"
	    "          await v(sig, 'msh'), await v(new Uint8Array(sig).slice(0, 32), 'msg'),\n"
	    "          await v(new Uint8Array(0), 'msg'), sig.byteLength].join();\n"
	    "})()",
	    "true,true,false,false,false,false,64");
	mica_sandbox_free(sb);
}

TEST(hmac_key_object)
{
	OPEN(sb);
	CHECK_EVAL(sb,
		   "(async () => {\n"
		   "  const k = await crypto.subtle.importKey('raw', new Uint8Array(20), { name: "
		   "'hmac', hash: 'sha-256' },\n"
		   "                                          true, ['verify', 'sign', 'sign']);\n"
		   "  return [k instanceof CryptoKey, String(k), k.type, k.extractable, "
		   "JSON.stringify(k.algorithm),\n"
		   "          JSON.stringify(k.usages), k.algorithm === k.algorithm, "
		   "Reflect.ownKeys(k).length,\n"
		   "          JSON.stringify(k), typeof __mica_crypto].join(' ');\n"
		   "})()",
		   "true [object CryptoKey] secret true "
		   "{\"name\":\"HMAC\",\"hash\":{\"name\":\"SHA-256\"},\"length\":160} "
		   "[\"sign\",\"verify\"] true 0 {} undefined");
	/* the attributes cannot be redirected at the key material */
	CHECK_EVAL(sb,
		   "thrown(() => Object.getOwnPropertyDescriptor(CryptoKey.prototype, "
		   "'type').get.call({}))",
		   "TypeError");
	CHECK_EVAL(sb, "thrown(() => new CryptoKey())", "TypeError");
	CHECK_EVAL(sb, "thrown(() => new SubtleCrypto())", "TypeError");
	CHECK_EVAL(sb, "thrown(() => new Crypto())", "TypeError");
	/* length: within the last byte of the data */
	CHECK_EVAL(sb,
		   "crypto.subtle.importKey('raw', new Uint8Array(20), { name: 'HMAC', hash: "
		   "'SHA-1', length: 155 },"
		   " false, ['sign']).then((k) => k.algorithm.length)",
		   "155");
	CHECK_EVAL(sb,
		   "outcome(crypto.subtle.importKey('raw', new Uint8Array(20), { name: 'HMAC', "
		   "hash: 'SHA-1',"
		   " length: 152 }, false, ['sign']))",
		   "DataError");
	CHECK_EVAL(sb,
		   "outcome(crypto.subtle.importKey('raw', new Uint8Array(20), { name: 'HMAC', "
		   "hash: 'SHA-1',"
		   " length: 161 }, false, ['sign']))",
		   "DataError");
	mica_sandbox_free(sb);
}

TEST(hmac_export_and_jwk)
{
	OPEN(sb);
	CHECK_EVAL(
	    sb,
	    "(async () => {\n"
	    "  const raw = unhex('000102030405060708090a0b0c0d0e0f10111213');\n"
	    "  const alg = { name: 'HMAC', hash: 'SHA-256' };\n"
	    "  const k = await crypto.subtle.importKey('raw', raw, alg, true, ['sign', "
	    "'verify']);\n"
	    "  raw[0] = 0xff; /* the key holds a copy */\n"
	    "  const out = await crypto.subtle.exportKey('raw', k);\n"
	    "  const jwk = await crypto.subtle.exportKey('jwk', k);\n"
	    "  const k2 = await crypto.subtle.importKey('jwk', jwk, alg, false, ['verify']);\n"
	    "  const sig = await crypto.subtle.sign('HMAC', k, te('x'));\n"
	    "  return [hex(out), JSON.stringify(jwk), await crypto.subtle.verify('HMAC', k2, sig, "
	    "te('x'))].join(' ');\n"
	    "})()",
	    "000102030405060708090a0b0c0d0e0f10111213 "
	    "{\"kty\":\"oct\",\"k\":\"AAECAwQFBgcICQoLDA0ODxAREhM\",\"alg\":\"HS256\",\"key_ops\":["
	    "\"sign\",\"verify\"],"
	    "\"ext\":true} true");
	static const char *const bad_jwk[] = {
	    "{ kty: 'oct', k: 'AAEC', alg: 'HS512' }",
	    "{ kty: 'RSA', k: 'AAEC' }",
	    "{ kty: 'oct' }",
	    "{ kty: 'oct', k: 'AA*C' }",
	    "{ kty: 'oct', k: 'AAEC', ext: false }",
	    "{ kty: 'oct', k: 'AAEC', key_ops: ['verify'] }",
	    "{ kty: 'oct', k: 'AAEC', use: 'enc' }",
	    "{ kty: 'oct', k: '' }",
	};
	for (size_t i = 0; i < N(bad_jwk); i++) {
		char code[512];
		snprintf(code, sizeof(code),
			 "outcome(crypto.subtle.importKey('jwk', %s, { name: 'HMAC', hash: "
			 "'SHA-256' }, true, ['sign']))",
			 bad_jwk[i]);
		CHECK_EVAL(sb, code, "DataError");
	}
	CHECK_EVAL(sb,
		   "outcome(crypto.subtle.importKey('raw', te('k'), { name: 'HMAC', hash: "
		   "'SHA-256' }, false, ['sign'])"
		   ".then((k) => crypto.subtle.exportKey('raw', k)))",
		   "InvalidAccessError");
	CHECK_EVAL(sb,
		   "outcome(crypto.subtle.importKey('raw', te('k'), { name: 'HMAC', hash: "
		   "'SHA-256' }, true, ['sign'])"
		   ".then((k) => crypto.subtle.exportKey('spki', k)))",
		   "NotSupportedError");
	CHECK_EVAL(sb, "outcome(crypto.subtle.exportKey('raw', {}))", "TypeError");
	mica_sandbox_free(sb);
}

TEST(hmac_generate_key)
{
	OPEN(sb);
	CHECK_EVAL(
	    sb,
	    "(async () => {\n"
	    "  const g = (alg) => crypto.subtle.generateKey(alg, true, ['sign', 'verify']);\n"
	    "  const a = await g({ name: 'HMAC', hash: 'SHA-384' }), b = await g({ name: 'HMAC', "
	    "hash: 'SHA-384' });\n"
	    "  const ra = new Uint8Array(await crypto.subtle.exportKey('raw', a));\n"
	    "  const rb = new Uint8Array(await crypto.subtle.exportKey('raw', b));\n"
	    "  const c = await g({ name: 'HMAC', hash: 'SHA-256', length: 100 });\n"
	    "  const rc = new Uint8Array(await crypto.subtle.exportKey('raw', c));\n"
	    "  const sig = await crypto.subtle.sign('HMAC', a, te('m'));\n"
	    "  return [a.algorithm.length, ra.length, hex(ra) !== hex(rb), c.algorithm.length, "
	    "rc.length,\n"
	    "          rc[12] & 15, await crypto.subtle.verify('HMAC', a, sig, te('m')),\n"
	    "          await crypto.subtle.verify('HMAC', b, sig, te('m'))].join();\n"
	    "})()",
	    "1024,128,true,100,13,0,true,false");
	CHECK_EVAL(sb,
		   "outcome(crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256', length: 0 "
		   "}, true, ['sign']))",
		   "OperationError");
	CHECK_EVAL(
	    sb, "outcome(crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, []))",
	    "SyntaxError");
	CHECK_EVAL(sb,
		   "outcome(crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, "
		   "['encrypt']))",
		   "NotSupportedError");
	mica_sandbox_free(sb);
}

TEST(hmac_errors)
{
	OPEN(sb);
	static const struct {
		const char *args, *want;
	} imports[] = {
	    {"'spki', te('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']",
	     "NotSupportedError"},
	    {"'foo', te('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']", "TypeError"},
	    {"'raw', te('k'), { name: 'HMAC' }, false, ['sign']", "TypeError"},
	    {"'raw', te('k'), 'HMAC', false, ['sign']", "TypeError"},
	    {"'raw', te('k'), { name: 'HMAC', hash: 'MD5' }, false, ['sign']", "NotSupportedError"},
	    {"'raw', te('k'), { name: 'HMAC', hash: 'SHA-256', length: -1 }, false, ['sign']",
	     "TypeError"},
	    {"'raw', te('k'), { name: 'AES-GCM' }, false, ['encrypt']", "NotSupportedError"},
	    {"'raw', te('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['encrypt']",
	     "SyntaxError"},
	    {"'raw', te('k'), { name: 'HMAC', hash: 'SHA-256' }, false, []", "SyntaxError"},
	    {"'raw', te('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['bogus']", "TypeError"},
	    {"'raw', te('k'), { name: 'HMAC', hash: 'SHA-256' }, false, 'sign'", "TypeError"},
	    {"'raw', new Uint8Array(0), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']",
	     "DataError"},
	    {"'raw', 'key', { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']", "TypeError"},
	    {"'raw', { kty: 'oct', k: 'AAEC' }, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']",
	     "TypeError"},
	    {"'jwk', te('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']", "TypeError"},
	    {"'raw', te('k'), { name: 'HMAC', hash: 'SHA-256' }, false", "TypeError"},
	};
	for (size_t i = 0; i < N(imports); i++) {
		char code[512];
		snprintf(code, sizeof(code), "outcome(crypto.subtle.importKey(%s))",
			 imports[i].args);
		CHECK_EVAL(sb, code, imports[i].want);
	}
	CHECK_EVAL(
	    sb,
	    "(async () => {\n"
	    "  const imp = (u) => crypto.subtle.importKey('raw', te('k'), { name: 'HMAC', hash: "
	    "'SHA-256' }, false, u);\n"
	    "  const s = await imp(['sign']), v = await imp(['verify']);\n"
	    "  return [await outcome(crypto.subtle.sign('HMAC', v, te('m'))),\n"
	    "          await outcome(crypto.subtle.verify('HMAC', s, new Uint8Array(32), "
	    "te('m'))),\n"
	    "          await outcome(crypto.subtle.sign('SHA-256', s, te('m'))),\n"
	    "          await outcome(crypto.subtle.sign('HMAC', {}, te('m'))),\n"
	    "          await outcome(crypto.subtle.sign('HMAC', s, 'm')),\n"
	    "          await outcome(crypto.subtle.sign('HMAC', s)),\n"
	    "          await outcome(crypto.subtle.verify('HMAC', v, 'sig', te('m'))),\n"
	    "          await outcome(crypto.subtle.encrypt({ name: 'AES-GCM' }, s, te('m'))),\n"
	    "          await outcome(crypto.subtle.deriveBits({ name: 'HKDF' }, s, 256)),\n"
	    "  ].join();\n"
	    "})()",
	    "InvalidAccessError,InvalidAccessError,NotSupportedError,TypeError,TypeError,TypeError,"
	    "TypeError,"
	    "NotSupportedError,NotSupportedError");
	mica_sandbox_free(sb);
}

/* ---- random values --------------------------------------------------------- */

TEST(get_random_values)
{
	OPEN(sb);
	CHECK_EVAL(sb,
		   "const a = new Uint8Array(64); [crypto.getRandomValues(a) === a, a.some((x) => "
		   "x !== 0)].join()",
		   "true,true");
	CHECK_EVAL(sb,
		   "hex(crypto.getRandomValues(new Uint8Array(32))) !== "
		   "hex(crypto.getRandomValues(new Uint8Array(32)))",
		   "true");
	/* 64 KiB: every byte value shows up, the mean is about 127.5 */
	CHECK_EVAL(
	    sb,
	    "(() => { const a = crypto.getRandomValues(new Uint8Array(65536)); let sum = 0;\n"
	    "  for (const x of a) sum += x; const mean = sum / a.length;\n"
	    "  return new Set(a).size + ' ' + (mean > 126 && mean < 129); })()",
	    "256 true");
	CHECK_EVAL(
	    sb,
	    "[Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, "
	    "Uint32Array,\n"
	    " BigInt64Array, BigUint64Array].map((T) => thrown(() => crypto.getRandomValues(new "
	    "T(4)))).join()",
	    "no error,no error,no error,no error,no error,no error,no error,no error,no error");
	CHECK_EVAL(sb,
		   "const b = new Uint8Array(16); crypto.getRandomValues(b.subarray(4, 12));\n"
		   "[b.slice(0, 4).every((x) => x === 0), b.slice(12).every((x) => x === 0),\n"
		   " b.slice(4, 12).some((x) => x !== 0)].join()",
		   "true,true,true");
	CHECK_EVAL(sb, "crypto.getRandomValues(new Uint32Array(16384)).length", "16384");
	CHECK_EVAL(sb, "thrown(() => crypto.getRandomValues(new Uint8Array(65537)))",
		   "QuotaExceededError");
	CHECK_EVAL(sb,
		   "try { crypto.getRandomValues(new BigUint64Array(8193)) } catch (e) { [e "
		   "instanceof DOMException, e.code] }",
		   "[ true, 22 ]");
	CHECK_EVAL(sb, "thrown(() => crypto.getRandomValues(new Float32Array(4)))",
		   "TypeMismatchError");
	CHECK_EVAL(sb, "thrown(() => crypto.getRandomValues(new Float64Array(4)))",
		   "TypeMismatchError");
	CHECK_EVAL(sb, "thrown(() => crypto.getRandomValues(new DataView(new ArrayBuffer(4))))",
		   "TypeMismatchError");
	CHECK_EVAL(sb, "thrown(() => crypto.getRandomValues([1, 2]))", "TypeError");
	CHECK_EVAL(sb, "thrown(() => crypto.getRandomValues(new ArrayBuffer(4)))", "TypeError");
	CHECK_EVAL(sb, "thrown(() => crypto.getRandomValues())", "TypeError");
	CHECK_EVAL(sb, "thrown(() => crypto.getRandomValues.call({}, new Uint8Array(4)))",
		   "TypeError");
	mica_sandbox_free(sb);
}

TEST(random_uuid)
{
	OPEN(sb);
	CHECK_EVAL(sb,
		   "(() => { const re = "
		   "/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;\n"
		   "  const seen = new Set();\n"
		   "  for (let i = 0; i < 1000; i++) { const u = crypto.randomUUID(); if "
		   "(!re.test(u)) return u; seen.add(u); }\n"
		   "  return seen.size; })()",
		   "1000");
	CHECK_EVAL(sb, "thrown(() => crypto.randomUUID.call({}))", "TypeError");
	mica_sandbox_free(sb);
}

/* The globals appear on first use, as data properties; assigning one first
 * works too, and the others are still there. */
TEST(lazy_globals)
{
	OPEN(sb);
	CHECK_EVAL(sb, "Object.keys(globalThis).includes('crypto')", "false");
	CHECK_EVAL(sb,
		   "globalThis.crypto = 1; [crypto, typeof CryptoKey, typeof SubtleCrypto].join()",
		   "1,function,function");
	CHECK_EVAL(sb,
		   "const d = Object.getOwnPropertyDescriptor(globalThis, 'Crypto'); [d.writable, "
		   "d.enumerable,"
		   " d.configurable, 'value' in d].join()",
		   "true,false,true,true");
	mica_sandbox_free(sb);
	mica_sandbox *sb2 = sandbox();
	if (!sb2)
		return;
	CHECK_EVAL(sb2,
		   "[typeof crypto, String(crypto), String(crypto.subtle), crypto.subtle === "
		   "crypto.subtle].join()",
		   "object,[object Crypto],[object SubtleCrypto],true");
	mica_sandbox_free(sb2);
}

/* ---- fresh streams for clones and resets ----------------------------------- */

static char *call(mica_sandbox *sb, const char *handler)
{
	char *r = NULL;
	size_t n;
	mica_error err;
	int rc = mica_sandbox_call(sb, handler, "null", 4, &r, &n, &err);
	CHECK(rc == MICA_OK && r, "call %s: %d %s", handler, rc, err.message);
	if (rc != MICA_OK) {
		free(r);
		return NULL;
	}
	return r;
}

static void check_streams(const char *module)
{
	mica_error err;
	if (runtime_open())
		return;
	mica_sandbox *base = mica_sandbox_new(rt, NULL, &err), *a = NULL, *b = NULL;
	mica_snapshot *snap = NULL;
	char *out[8] = {0};
	size_t nout = 0;
	CHECK(base, "mica_sandbox_new: %s", err.message);
	if (!base)
		return;
	int rc = mica_sandbox_load(base, "m.js", module, strlen(module), &err);
	CHECK(rc == MICA_OK, "load: %d %s", rc, err.message);
	if (rc)
		goto out;
	snap = mica_snapshot_take(base, &err);
	CHECK(snap, "mica_snapshot_take: %s", err.message);
	if (!snap)
		goto out;
	a = mica_sandbox_from_snapshot(rt, snap, &err);
	CHECK(a, "clone: %s", err.message);
	b = mica_sandbox_from_snapshot(rt, snap, &err);
	CHECK(b, "clone: %s", err.message);
	if (!a || !b)
		goto out;
	out[nout++] = call(base, "rand");
	out[nout++] = call(a, "rand");
	out[nout++] = call(b, "rand");
	for (int i = 0; i < 2; i++) {
		rc = mica_sandbox_reset(a, &err);
		CHECK(rc == MICA_OK, "reset: %d %s", rc, err.message);
		out[nout++] = call(a, "rand");
	}
	rc = mica_sandbox_reset(b, &err);
	CHECK(rc == MICA_OK, "reset: %d %s", rc, err.message);
	out[nout++] = call(b, "rand");
	for (size_t i = 0; i < nout; i++) {
		CHECK(out[i] && strlen(out[i]) > 100, "stream %zu: '%s'", i,
		      out[i] ? out[i] : "(failed)");
		for (size_t j = 0; j < i; j++) {
			/* no 8 hex digits (32 bits) of any output show up in another */
			if (!out[i] || !out[j])
				continue;
			CHECK(strcmp(out[i], out[j]) != 0, "streams %zu and %zu are equal: %s", j,
			      i, out[i]);
			char piece[9];
			memcpy(piece, out[i] + 1, 8);
			piece[8] = 0;
			CHECK(!strstr(out[j], piece), "streams %zu and %zu share %s", j, i, piece);
		}
	}
out:
	for (size_t i = 0; i < nout; i++)
		free(out[i]);
	mica_sandbox_free(a);
	mica_sandbox_free(b);
	mica_snapshot_free(snap);
	mica_sandbox_free(base);
}

#define RAND_EXPORT                                                                                \
	"const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');\n"        \
	"export function rand() {\n"                                                               \
	"  return hex(crypto.getRandomValues(new Uint8Array(32))) + ' ' + crypto.randomUUID() + "  \
	"' ' +\n"                                                                                  \
	"    hex(more());\n"                                                                       \
	"}\n"

/* The generator ran (and buffered output) before the snapshot. */
TEST(clones_and_resets_used_before_snapshot)
{
	NEED_BACKEND();
	check_streams(
	    "const early = crypto.getRandomValues(new Uint8Array(16));\n"
	    "const more = () => crypto.getRandomValues(new Uint8Array(16));\n" RAND_EXPORT);
}

/* crypto.js was not even loaded when the snapshot was taken. */
TEST(clones_and_resets_lazy)
{
	NEED_BACKEND();
	check_streams(
	    "const more = () => crypto.getRandomValues(new Uint8Array(16));\n" RAND_EXPORT);
}

int main(void)
{
	RUN(digest_fips_vectors);
	RUN(digest_forms);
	RUN(digest_errors);
	RUN(hmac_rfc4231);
	RUN(hmac_verify);
	RUN(hmac_key_object);
	RUN(hmac_export_and_jwk);
	RUN(hmac_generate_key);
	RUN(hmac_errors);
	RUN(get_random_values);
	RUN(random_uuid);
	RUN(lazy_globals);
	RUN(clones_and_resets_used_before_snapshot);
	RUN(clones_and_resets_lazy);
	mica_runtime_free(rt);
	return harness_report();
}

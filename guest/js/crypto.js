/*
 * mica guest Web Crypto subset, for QuickJS 2021-03-27 (ES2020 + BigInt).
 *
 * Evaluated as a plain script on first use of one of its globals (see
 * guest/crypto.c), which it defines as non-enumerable, writable,
 * configurable properties of the global object:
 *   crypto, Crypto, SubtleCrypto, CryptoKey.
 * Contract with the C side: the native global `__mica_crypto` is captured
 * and deleted. It has random(typedArray) (fills it from the guest's
 * ChaCha20 CSPRNG), digest(id, u8) and hmac(id, keyU8, dataU8) (return an
 * ArrayBuffer; id is 1, 256, 384 or 512 for SHA-1, SHA-256, SHA-384,
 * SHA-512) and equal(u8, u8) (constant-time comparison).
 * DOMException comes from web.js (the global, read once here).
 *
 * Spec followed: W3C Web Cryptography API (crypto.getRandomValues,
 * crypto.randomUUID, SubtleCrypto digest, and HMAC: importKey, exportKey,
 * generateKey, sign, verify), with WebIDL argument conversions. Promise-
 * returning methods report every error as a rejected promise. Key material
 * lives in a closure-private WeakMap, never in a property.
 * Known gaps are listed at the end of this file.
 */
(function () {
  'use strict';
  // @prelude

  const native = G.__mica_crypto;
  delete G.__mica_crypto;
  const DOMException = G.DOMException;

  const NumberIsFinite = Number.isFinite;
  const MathTrunc = Math.trunc;
  const PromiseCtor = Promise;
  const WeakMapCtor = WeakMap;
  const WeakMapGet = uncurry(WeakMap.prototype.get);
  const WeakMapSet = uncurry(WeakMap.prototype.set);
  const nativeRandom = native.random;
  const nativeDigest = native.digest;
  const nativeHmac = native.hmac;
  const nativeEqual = native.equal;

  // WebIDL helpers of this file (the shared ones are in the prelude)
  const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function';
  const illegal = () => new TypeError('Illegal invocation');
  const domError = (msg, name) => new DOMException(msg, name);
  function asciiLower(s) {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      out += c >= 0x41 && c <= 0x5A ? StringFromCharCode(c + 32) : s[i];
    }
    return out;
  }

  // BufferSource -> Uint8Array over the same memory (no copy).
  function bytesOf(v, what) {
    const u8 = viewBytes(v, null);
    if (u8 === null) throw new TypeError(`${what} is not of type '(ArrayBuffer or ArrayBufferView)'`);
    return u8;
  }
  const isBufferSource = (v) => ArrayBufferIsView(v) || isBrand(ArrayBufferByteLength, v);
  // "get a copy of the bytes held by the buffer source"
  const copyOf = (v, what) => new Uint8ArrayCtor(bytesOf(v, what));
  const bufferOf = (u8) => TypedArrayBuffer(new Uint8ArrayCtor(u8)); // a fresh ArrayBuffer with a copy

  // WebIDL enumerations
  function enumValue(v, values, type) {
    const s = toStr(v);
    for (let i = 0; i < values.length; i++) if (values[i] === s) return s;
    throw new TypeError(`The provided value '${s}' is not a valid enum value of type ${type}.`);
  }
  const KEY_FORMATS = ['raw', 'spki', 'pkcs8', 'jwk'];
  const KEY_USAGES = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'];

  // sequence<KeyUsage> -> the usages, once each, in the order of KEY_USAGES.
  function toUsages(v) {
    if (!isObject(v) || typeof v[SymbolIterator] !== 'function') {
      throw new TypeError("keyUsages is not of type 'sequence<KeyUsage>'");
    }
    const seen = [];
    for (const u of v) seen[seen.length] = enumValue(u, KEY_USAGES, 'KeyUsage');
    const out = [];
    for (let i = 0; i < KEY_USAGES.length; i++) {
      for (let j = 0; j < seen.length; j++) {
        if (seen[j] === KEY_USAGES[i]) { out[out.length] = KEY_USAGES[i]; break; }
      }
    }
    return out;
  }
  const hasUsage = (usages, u) => { for (let i = 0; i < usages.length; i++) if (usages[i] === u) return true; return false; };

  // [EnforceRange] unsigned long
  function enforceRangeU32(v, what) {
    const x = +v;
    if (!NumberIsFinite(x)) throw new TypeError(`${what} is not a finite number`);
    const t = MathTrunc(x);
    if (t < 0 || t > 4294967295) throw new TypeError(`${what} is outside the range [0, 4294967295]`);
    return t;
  }

  // ---------------------------------------------------------------------------
  // Algorithm normalization (Web Crypto 18.4)
  // ---------------------------------------------------------------------------
  // id: what the C side calls it; block: the block size in bits (HMAC's default key length).
  const HASHES = {
    __proto__: null,
    'SHA-1': { id: 1, block: 512, jwk: 'HS1' },
    'SHA-256': { id: 256, block: 512, jwk: 'HS256' },
    'SHA-384': { id: 384, block: 1024, jwk: 'HS384' },
    'SHA-512': { id: 512, block: 1024, jwk: 'HS512' },
  };
  // The registered algorithms of each operation, by lowercased name.
  const DIGESTS = { __proto__: null, 'sha-1': 'SHA-1', 'sha-256': 'SHA-256', 'sha-384': 'SHA-384', 'sha-512': 'SHA-512' };
  const HMAC_ONLY = { __proto__: null, hmac: 'HMAC' };
  const OPS = {
    __proto__: null, digest: DIGESTS, importKey: HMAC_ONLY, generateKey: HMAC_ONLY, sign: HMAC_ONLY, verify: HMAC_ONLY,
  };

  // -> { name } plus the operation's parameters (for HMAC import and
  // generate: hash as a normalized algorithm, length or undefined).
  function normalize(alg, op) {
    let name;
    if (isObject(alg)) {
      const n = alg.name;
      if (n === undefined) throw new TypeError("Algorithm: required member 'name' is undefined.");
      name = toStr(n);
    } else {
      name = toStr(alg);
      alg = {};
    }
    const table = OPS[op];
    const canonical = table === undefined ? undefined : table[asciiLower(name)];
    if (canonical === undefined) throw domError(`Unrecognized algorithm name '${name}' for ${op}`, 'NotSupportedError');
    if (op !== 'importKey' && op !== 'generateKey') return { name: canonical };
    // HmacImportParams, HmacKeyGenParams
    const hash = alg.hash;
    const length = alg.length;
    if (hash === undefined) throw new TypeError(`${canonical}: required member 'hash' is undefined.`);
    return {
      name: canonical,
      hash: normalize(hash, 'digest'),
      length: length === undefined ? undefined : enforceRangeU32(length, `${canonical}: length`),
    };
  }

  // ---------------------------------------------------------------------------
  // CryptoKey
  // ---------------------------------------------------------------------------
  // Internal slots of every key: type, extractable, name, hash (a HASHES
  // name), length (bits), usages, handle (the key bytes), and the cached
  // algorithm and usages objects that the attributes return.
  const slots = new WeakMapCtor();
  const TOKEN = {};

  class CryptoKey {
    constructor(token) {
      if (token !== TOKEN) throw new TypeError('Illegal constructor');
    }
    get type() { return slotsOf(this).type; }
    get extractable() { return slotsOf(this).extractable; }
    get algorithm() { return slotsOf(this).algorithmObject; }
    get usages() { return slotsOf(this).usagesObject; }
  }
  idl(CryptoKey, 'CryptoKey');

  function slotsOf(key) {
    const s = isObject(key) ? WeakMapGet(slots, key) : undefined;
    if (s === undefined) throw illegal();
    return s;
  }
  function keyArg(key, what) {
    const s = isObject(key) ? WeakMapGet(slots, key) : undefined;
    if (s === undefined) throw new TypeError(`${what}: parameter 'key' is not of type 'CryptoKey'.`);
    return s;
  }

  function newHmacKey(hash, length, handle, extractable, usages) {
    const key = new CryptoKey(TOKEN);
    WeakMapSet(slots, key, {
      type: 'secret', extractable, name: 'HMAC', hash, length, usages, handle,
      algorithmObject: { name: 'HMAC', hash: { name: hash }, length },
      usagesObject: [...usages],
    });
    return key;
  }

  // ---------------------------------------------------------------------------
  // HMAC (Web Crypto 29): import, generate, export, sign, verify
  // ---------------------------------------------------------------------------
  const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  function base64url(bytes) {
    let s = '';
    let i = 0;
    for (; i + 2 < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      s += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63] + B64URL[n & 63];
    }
    if (i + 1 === bytes.length) {
      const n = bytes[i] << 16;
      s += B64URL[n >> 18] + B64URL[(n >> 12) & 63];
    } else if (i + 2 === bytes.length) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
      s += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63];
    }
    return s;
  }
  // base64url without padding -> bytes, or undefined if s is not that.
  function fromBase64url(s) {
    if (s.length % 4 === 1) return undefined;
    const out = new Uint8ArrayCtor((s.length * 3) >> 2);
    let acc = 0;
    let bits = 0;
    let o = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const v = c >= 65 && c <= 90 ? c - 65 : c >= 97 && c <= 122 ? c - 71 : c >= 48 && c <= 57 ? c + 4 :
        c === 45 ? 62 : c === 95 ? 63 : -1;
      if (v < 0) return undefined;
      acc = ((acc << 6) | v) & 0xFFFFFF;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[o++] = (acc >> bits) & 0xFF;
      }
    }
    return out;
  }

  function hmacImport(format, keyData, alg, extractable, usages) {
    for (let i = 0; i < usages.length; i++) {
      if (usages[i] !== 'sign' && usages[i] !== 'verify') {
        throw domError(`Cannot create a key using the specified key usage '${usages[i]}'.`, 'SyntaxError');
      }
    }
    const hash = alg.hash.name;
    let data;
    if (format === 'raw') {
      data = keyData;
    } else if (format === 'jwk') {
      const jwk = keyData;
      if (jwk.kty !== 'oct') throw domError("The JWK 'kty' member was not 'oct'", 'DataError');
      if (jwk.k === undefined) throw domError("The JWK 'k' member is missing", 'DataError');
      data = fromBase64url(jwk.k);
      if (data === undefined) throw domError("The JWK 'k' member is not valid base64url", 'DataError');
      if (jwk.alg !== undefined && jwk.alg !== HASHES[hash].jwk) {
        throw domError(`The JWK 'alg' member was not '${HASHES[hash].jwk}'`, 'DataError');
      }
      if (usages.length && jwk.use !== undefined && jwk.use !== 'sig') {
        throw domError("The JWK 'use' member was not 'sig'", 'DataError');
      }
      if (jwk.key_ops !== undefined) {
        const ops = jwk.key_ops;
        for (let i = 0; i < ops.length; i++) {
          for (let j = 0; j < i; j++) if (ops[i] === ops[j]) throw domError("The JWK 'key_ops' member has duplicates", 'DataError');
        }
        for (let i = 0; i < usages.length; i++) {
          if (!hasUsage(ops, usages[i])) throw domError(`The JWK 'key_ops' member does not include '${usages[i]}'`, 'DataError');
        }
      }
      if (jwk.ext === false && extractable) throw domError("The JWK 'ext' member was false but the key is extractable", 'DataError');
    } else {
      throw domError(`Unsupported import key format for HMAC: '${format}'`, 'NotSupportedError');
    }
    let length = data.length * 8;
    if (length === 0) throw domError('HMAC key data must not be empty', 'DataError');
    if (alg.length !== undefined) {
      if (alg.length > length || alg.length <= length - 8) {
        throw domError(`The key length ${alg.length} does not match the key data (${length} bits)`, 'DataError');
      }
      length = alg.length;
    }
    return newHmacKey(hash, length, data, extractable, usages);
  }

  function hmacGenerate(alg, extractable, usages) {
    for (let i = 0; i < usages.length; i++) {
      if (usages[i] !== 'sign' && usages[i] !== 'verify') {
        throw domError(`Cannot create a key using the specified key usage '${usages[i]}'.`, 'SyntaxError');
      }
    }
    const hash = alg.hash.name;
    let length = HASHES[hash].block;
    if (alg.length !== undefined) {
      if (alg.length === 0) throw domError('HMAC key length must not be zero', 'OperationError');
      length = alg.length;
    }
    const data = new Uint8ArrayCtor((length + 7) >> 3);
    nativeRandom(data);
    if (length & 7) data[data.length - 1] &= (0xFF << (8 - (length & 7))) & 0xFF;
    return newHmacKey(hash, length, data, extractable, usages);
  }

  function hmacExport(format, s) {
    if (format === 'raw') return bufferOf(s.handle);
    if (format === 'jwk') {
      return { kty: 'oct', k: base64url(s.handle), alg: HASHES[s.hash].jwk, key_ops: [...s.usages], ext: s.extractable };
    }
    throw domError(`Unsupported export key format for HMAC: '${format}'`, 'NotSupportedError');
  }

  // The JsonWebKey dictionary members HMAC uses, converted.
  function toJwk(v) {
    if (v !== undefined && v !== null && !isObject(v)) throw new TypeError("keyData is not of type 'JsonWebKey'");
    const jwk = {};
    if (v === undefined || v === null) return jwk;
    for (const m of ['alg', 'k', 'kty', 'use']) {
      const x = v[m];
      if (x !== undefined) jwk[m] = toStr(x);
    }
    const ext = v.ext;
    if (ext !== undefined) jwk.ext = !!ext;
    const ops = v.key_ops;
    if (ops !== undefined) {
      if (!isObject(ops) || typeof ops[SymbolIterator] !== 'function') throw new TypeError("JsonWebKey: 'key_ops' is not a sequence");
      const list = [];
      for (const op of ops) list[list.length] = toStr(op);
      jwk.key_ops = list;
    }
    return jwk;
  }

  // Every error becomes a rejection (WebIDL: operations returning promises).
  const promise = (work) => new PromiseCtor((resolve) => resolve(work()));

  // ---------------------------------------------------------------------------
  // SubtleCrypto
  // ---------------------------------------------------------------------------
  class SubtleCrypto {
    constructor(token) {
      if (token !== TOKEN) throw new TypeError('Illegal constructor');
    }
    digest(algorithm, data) {
      return promise(() => {
        if (this !== subtle) throw illegal();
        needArgs(arguments, 2, "Failed to execute 'digest' on 'SubtleCrypto'");
        const bytes = bytesOf(data, 'data');
        const alg = normalize(algorithm, 'digest');
        return nativeDigest(HASHES[alg.name].id, bytes);
      });
    }
    importKey(format, keyData, algorithm, extractable, keyUsages) {
      return promise(() => {
        if (this !== subtle) throw illegal();
        needArgs(arguments, 5, "Failed to execute 'importKey' on 'SubtleCrypto'");
        format = enumValue(format, KEY_FORMATS, 'KeyFormat');
        const jwk = !isBufferSource(keyData);
        if (jwk) keyData = toJwk(keyData);
        extractable = !!extractable;
        const usages = toUsages(keyUsages);
        if (format === 'jwk') {
          if (!jwk) throw new TypeError("keyData is not of type 'JsonWebKey'");
        } else {
          if (jwk) throw new TypeError("keyData is not of type '(ArrayBuffer or ArrayBufferView)'");
          keyData = copyOf(keyData, 'keyData');
        }
        const alg = normalize(algorithm, 'importKey');
        const key = hmacImport(format, keyData, alg, extractable, usages);
        if (usages.length === 0) throw domError('Usages cannot be empty when creating a key.', 'SyntaxError');
        return key;
      });
    }
    exportKey(format, key) {
      return promise(() => {
        if (this !== subtle) throw illegal();
        needArgs(arguments, 2, "Failed to execute 'exportKey' on 'SubtleCrypto'");
        format = enumValue(format, KEY_FORMATS, 'KeyFormat');
        const s = keyArg(key, "Failed to execute 'exportKey' on 'SubtleCrypto'");
        if (!s.extractable) throw domError('key is not extractable', 'InvalidAccessError');
        return hmacExport(format, s);
      });
    }
    generateKey(algorithm, extractable, keyUsages) {
      return promise(() => {
        if (this !== subtle) throw illegal();
        needArgs(arguments, 3, "Failed to execute 'generateKey' on 'SubtleCrypto'");
        extractable = !!extractable;
        const usages = toUsages(keyUsages);
        const alg = normalize(algorithm, 'generateKey');
        const key = hmacGenerate(alg, extractable, usages);
        if (usages.length === 0) throw domError('Usages cannot be empty when creating a key.', 'SyntaxError');
        return key;
      });
    }
    sign(algorithm, key, data) {
      return promise(() => {
        if (this !== subtle) throw illegal();
        needArgs(arguments, 3, "Failed to execute 'sign' on 'SubtleCrypto'");
        const s = keyArg(key, "Failed to execute 'sign' on 'SubtleCrypto'");
        const bytes = bytesOf(data, 'data');
        const alg = normalize(algorithm, 'sign');
        if (alg.name !== s.name) throw domError('key.algorithm does not match that of operation', 'InvalidAccessError');
        if (!hasUsage(s.usages, 'sign')) throw domError('key.usages does not permit this operation', 'InvalidAccessError');
        return nativeHmac(HASHES[s.hash].id, s.handle, bytes);
      });
    }
    verify(algorithm, key, signature, data) {
      return promise(() => {
        if (this !== subtle) throw illegal();
        needArgs(arguments, 4, "Failed to execute 'verify' on 'SubtleCrypto'");
        const s = keyArg(key, "Failed to execute 'verify' on 'SubtleCrypto'");
        const sig = bytesOf(signature, 'signature');
        const bytes = bytesOf(data, 'data');
        const alg = normalize(algorithm, 'verify');
        if (alg.name !== s.name) throw domError('key.algorithm does not match that of operation', 'InvalidAccessError');
        if (!hasUsage(s.usages, 'verify')) throw domError('key.usages does not permit this operation', 'InvalidAccessError');
        const mac = new Uint8ArrayCtor(nativeHmac(HASHES[s.hash].id, s.handle, bytes));
        return nativeEqual(mac, sig);
      });
    }
    // Operations no supported algorithm has: they check their arguments
    // and reject with NotSupportedError.
    encrypt(algorithm, key, data) { return unsupported(this, arguments, 3, 'encrypt'); }
    decrypt(algorithm, key, data) { return unsupported(this, arguments, 3, 'decrypt'); }
    deriveBits(algorithm, baseKey, length) { return unsupported(this, arguments, 2, 'deriveBits'); }
    deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) { return unsupported(this, arguments, 5, 'deriveKey'); }
    wrapKey(format, key, wrappingKey, wrapAlgorithm) { return unsupported(this, arguments, 4, 'wrapKey'); }
    unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
      return unsupported(this, arguments, 7, 'unwrapKey');
    }
  }
  function unsupported(self, args, n, what) {
    return promise(() => {
      if (self !== subtle) throw illegal();
      needArgs(args, n, `Failed to execute '${what}' on 'SubtleCrypto'`);
      throw domError(`${what}: no algorithm supports it in this runtime`, 'NotSupportedError');
    });
  }
  idl(SubtleCrypto, 'SubtleCrypto');

  // ---------------------------------------------------------------------------
  // Crypto
  // ---------------------------------------------------------------------------
  const INTEGER_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
    'Uint32Array', 'BigInt64Array', 'BigUint64Array'];
  const HEX = '0123456789abcdef';

  class Crypto {
    constructor(token) {
      if (token !== TOKEN) throw new TypeError('Illegal constructor');
    }
    get subtle() {
      if (this !== crypto) throw illegal();
      return subtle;
    }
    getRandomValues(array) {
      if (this !== crypto) throw illegal();
      needArgs(arguments, 1, "Failed to execute 'getRandomValues' on 'Crypto'");
      if (!ArrayBufferIsView(array)) {
        throw new TypeError("Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not of type 'ArrayBufferView'.");
      }
      const tag = TypedArrayTag(array);
      let integer = false;
      for (let i = 0; i < INTEGER_ARRAYS.length; i++) if (INTEGER_ARRAYS[i] === tag) integer = true;
      if (!integer) {
        throw domError(`The provided ArrayBufferView is of type '${tag === undefined ? 'DataView' : tag}', which is not an integer array type.`,
          'TypeMismatchError');
      }
      const n = TypedArrayByteLength(array);
      if (n > 65536) {
        throw domError(`The ArrayBufferView's byte length (${n}) exceeds the number of bytes of entropy available via this API (65536).`,
          'QuotaExceededError');
      }
      nativeRandom(array);
      return array;
    }
    randomUUID() {
      if (this !== crypto) throw illegal();
      const b = new Uint8ArrayCtor(16);
      nativeRandom(b);
      b[6] = (b[6] & 0x0F) | 0x40; // version 4
      b[8] = (b[8] & 0x3F) | 0x80; // variant 10
      let s = '';
      for (let i = 0; i < 16; i++) {
        if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
        s += HEX[b[i] >> 4] + HEX[b[i] & 15];
      }
      return s;
    }
  }
  idl(Crypto, 'Crypto');

  const subtle = new SubtleCrypto(TOKEN);
  const crypto = new Crypto(TOKEN);

  const globals = { crypto, Crypto, SubtleCrypto, CryptoKey };
  for (const name of ObjectKeys(globals)) {
    ObjectDefineProperty(G, name, { value: globals[name], writable: true, enumerable: false, configurable: true });
  }

  /*
   * Known gaps vs the spec:
   *  - Algorithms: SHA-1/256/384/512 digests and HMAC only. No AES, RSA,
   *    ECDSA/ECDH, Ed25519/X25519, HKDF, PBKDF2: their operations (and
   *    encrypt, decrypt, deriveBits, deriveKey, wrapKey, unwrapKey) reject
   *    with NotSupportedError.
   *  - Promises settle as soon as the microtasks run (the work is done
   *    synchronously, not "in parallel"); large inputs block the caller.
   *  - The key formats are "raw" and "jwk"; CryptoKey objects cannot be
   *    passed to structuredClone.
   *  - DOMException is the global as found when this file first runs.
   */
})();

/*
 * mica guest Web platform APIs, for QuickJS 2021-03-27 (ES2020 + BigInt).
 *
 * Evaluated as a plain script at guest start-up, before any user code, like
 * console.js (and independent of it). Defines, as non-enumerable, writable,
 * configurable properties of the global object:
 *   DOMException, TextEncoder, TextDecoder, atob, btoa, URL, URLSearchParams,
 *   structuredClone, queueMicrotask, performance.
 * Contract with the C side: if the native global `__mica_hrtime()` (a
 * monotonic clock, nanoseconds as a Number) exists, it is captured for
 * `performance` and deleted; otherwise Date.now() is used. The native global
 * `__mica_web` (guest/bytes.c: UTF-8 and base64) is required: taken for
 * TextEncoder, TextDecoder, URLs, btoa and atob, and deleted.
 *
 * Specs followed: WHATWG Encoding (UTF-8 only), HTML (forgiving-base64,
 * structured clone, microtasks), WHATWG URL (the 2025 text, as implemented by
 * its reference implementation whatwg-url 17), High Resolution Time, WebIDL.
 * Known gaps are listed at the end of this file.
 *
 * Brand checks and internal state use private fields and captured built-ins,
 * but String/Array prototype methods are called directly (for speed): user
 * code that replaces them can break these APIs, in its own sandbox only.
 */
(function () {
  'use strict';
  // @prelude

  const ObjectSetPrototypeOf = Object.setPrototypeOf;
  const ObjectCreate = Object.create;
  const ObjectAssign = Object.assign;
  const ObjectPrototype = Object.prototype;
  const ObjectPrototypeToString = uncurry(ObjectPrototype.toString);
  const ObjectPrototypeHasOwnProperty = uncurry(ObjectPrototype.hasOwnProperty);
  const ReflectApply = Reflect.apply;
  const ArrayIsArray = Array.isArray;
  const MathFloor = Math.floor;
  const DateNow = Date.now;
  const SharedArrayBufferByteLength = typeof SharedArrayBuffer === 'function' ?
    getter(SharedArrayBuffer.prototype, 'byteLength') : null;
  const TypedArrayLength = getter(TypedArrayPrototype, 'length');
  const MapPrototypeGet = uncurry(Map.prototype.get);
  const MapPrototypeSet = uncurry(Map.prototype.set);
  const MapPrototypeHas = uncurry(Map.prototype.has);
  const MapPrototypeForEach = uncurry(Map.prototype.forEach);
  const MapSize = getter(Map.prototype, 'size');
  const SetPrototypeAdd = uncurry(Set.prototype.add);
  const SetPrototypeForEach = uncurry(Set.prototype.forEach);
  const SetSize = getter(Set.prototype, 'size');
  const DateGetTime = uncurry(Date.prototype.getTime);
  const RegExpSource = getter(RegExp.prototype, 'source');
  const BooleanValueOf = uncurry(Boolean.prototype.valueOf);
  const NumberValueOf = uncurry(Number.prototype.valueOf);
  const StringValueOf = uncurry(String.prototype.valueOf);
  const BigIntValueOf = uncurry(BigInt.prototype.valueOf);
  const PromisePrototypeThen = uncurry(Promise.prototype.then);
  const IteratorPrototype = ObjectGetPrototypeOf(ObjectGetPrototypeOf([][SymbolIterator]()));

  // WebIDL dictionary argument: undefined/null -> {}, objects as they are, else TypeError.
  function dict(v, what) {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' && typeof v !== 'function') throw new TypeError(`${what}: options must be an object`);
    return v;
  }
  const isAsciiWhitespace = (c) => c === 0x09 || c === 0x0A || c === 0x0C || c === 0x0D || c === 0x20;
  const isAlpha = (c) => (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A);
  const isDigit = (c) => c >= 0x30 && c <= 0x39;
  const hexValue = (c) => (isDigit(c) ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1);
  const lowerChar = (c) => StringFromCharCode(c >= 0x41 && c <= 0x5A ? c + 32 : c);

  // ---------------------------------------------------------------------------
  // DOMException (WebIDL)
  // ---------------------------------------------------------------------------
  // Legacy codes: the index + 1 is the code, the constants are NAME_ERR.
  const DOMEX_CODES = ('INDEX_SIZE:IndexSizeError DOMSTRING_SIZE: HIERARCHY_REQUEST:HierarchyRequestError ' +
    'WRONG_DOCUMENT:WrongDocumentError INVALID_CHARACTER:InvalidCharacterError NO_DATA_ALLOWED: ' +
    'NO_MODIFICATION_ALLOWED:NoModificationAllowedError NOT_FOUND:NotFoundError NOT_SUPPORTED:NotSupportedError ' +
    'INUSE_ATTRIBUTE:InUseAttributeError INVALID_STATE:InvalidStateError SYNTAX:SyntaxError ' +
    'INVALID_MODIFICATION:InvalidModificationError NAMESPACE:NamespaceError INVALID_ACCESS:InvalidAccessError ' +
    'VALIDATION: TYPE_MISMATCH:TypeMismatchError SECURITY:SecurityError NETWORK:NetworkError ABORT:AbortError ' +
    'URL_MISMATCH:URLMismatchError QUOTA_EXCEEDED:QuotaExceededError TIMEOUT:TimeoutError ' +
    'INVALID_NODE_TYPE:InvalidNodeTypeError DATA_CLONE:DataCloneError').split(' ').map((s) => s.split(':'));

  class DOMException extends Error {
    #name;
    #message;
    constructor(message = '', name = 'Error') {
      super();
      this.#message = toStr(message);
      this.#name = toStr(name);
    }
    get name() { return this.#name; }
    get message() { return this.#message; }
    get code() {
      for (let i = 0; i < DOMEX_CODES.length; i++) if (DOMEX_CODES[i][1] === this.#name) return i + 1;
      return 0;
    }
  }
  idl(DOMException, 'DOMException');
  for (let i = 0; i < DOMEX_CODES.length; i++) {
    const desc = { value: i + 1, writable: false, enumerable: true, configurable: false };
    ObjectDefineProperty(DOMException, `${DOMEX_CODES[i][0]}_ERR`, desc);
    ObjectDefineProperty(DOMException.prototype, `${DOMEX_CODES[i][0]}_ERR`, desc);
  }
  const DOMExceptionName = getter(DOMException.prototype, 'name');

  // ---------------------------------------------------------------------------
  // Encoding: UTF-8
  // ---------------------------------------------------------------------------
  // Writes the UTF-8 bytes of code point c at out[o]; returns the new offset.
  function putUtf8(out, o, c) {
    if (c < 0x80) {
      out[o++] = c;
    } else if (c < 0x800) {
      out[o++] = 0xC0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3F);
    } else if (c < 0x10000) {
      out[o++] = 0xE0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 0x3F);
      out[o++] = 0x80 | (c & 0x3F);
    } else {
      out[o++] = 0xF0 | (c >> 18);
      out[o++] = 0x80 | ((c >> 12) & 0x3F);
      out[o++] = 0x80 | ((c >> 6) & 0x3F);
      out[o++] = 0x80 | (c & 0x3F);
    }
    return o;
  }
  // The code point at s[i] (a lone surrogate reads as U+FFFD).
  function scalarAt(s, i) {
    const c = s.charCodeAt(i);
    if ((c & 0xF800) !== 0xD800) return c;
    const d = s.charCodeAt(i + 1);
    return c <= 0xDBFF && (d & 0xFC00) === 0xDC00 ? 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00) : 0xFFFD;
  }
  // UTF-8 both ways and base64, natively (bytes.c; the interpreter took
  // 40-400 ns a byte): utf8encode(s) -> Uint8Array, lone surrogates as
  // U+FFFD; utf8decode(bytes, fatal, stream) -> string, or with stream
  // [string, held] (the last held bytes began a sequence the chunk cut
  // short); btoa(s), atob(s) -> string, or null where HTML's throw;
  // pctdecode(s): percent-decoded, then UTF-8 decoded; formencode(s): the
  // urlencoded serializer's bytes.
  const natives = G.__mica_web;
  try { delete G.__mica_web; } catch {}
  const utf8Encode = natives.utf8encode;
  const utf8DecodeNative = natives.utf8decode;
  const btoaNative = natives.btoa, atobNative = natives.atob;
  const pctDecodeString = natives.pctdecode, formEncode = natives.formencode;

  const isArrayBuffer = (v) => isBrand(ArrayBufferByteLength, v);
  const isSharedArrayBuffer = (v) => SharedArrayBufferByteLength !== null && isBrand(SharedArrayBufferByteLength, v);
  // BufferSource (shared ones too) -> Uint8Array over the same memory.
  function bytesOf(v, what) {
    const u8 = viewBytes(v, isSharedArrayBuffer);
    if (u8 === null) throw new TypeError(`${what}: the argument must be an ArrayBuffer or an ArrayBufferView`);
    return u8;
  }

  class TextEncoder {
    #brand = 0;
    get encoding() { this.#brand; return 'utf-8'; }
    encode(input = '') {
      this.#brand;
      return utf8Encode(toStr(input));
    }
    encodeInto(source, destination) {
      this.#brand;
      needArgs(arguments, 2, 'TextEncoder.encodeInto');
      source = toStr(source);
      if (!ArrayBufferIsView(destination) || TypedArrayTag(destination) !== 'Uint8Array') {
        throw new TypeError('TextEncoder.encodeInto: the destination must be a Uint8Array');
      }
      const cap = TypedArrayLength(destination);
      let read = 0;
      let written = 0;
      while (read < source.length) {
        const c = scalarAt(source, read);
        const len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (written + len > cap) break;
        written = putUtf8(destination, written, c);
        read += c > 0xFFFF ? 2 : 1;
      }
      return { read, written };
    }
  }
  idl(TextEncoder, 'TextEncoder');

  const UTF8_LABELS = ['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8'];
  function normalizeLabel(s) {
    let a = 0;
    let b = s.length;
    while (a < b && isAsciiWhitespace(s.charCodeAt(a))) a++;
    while (b > a && isAsciiWhitespace(s.charCodeAt(b - 1))) b--;
    let out = '';
    for (let i = a; i < b; i++) out += lowerChar(s.charCodeAt(i));
    return out;
  }

  class TextDecoder {
    #fatal;
    #ignoreBOM;
    #held = null; // the bytes of a sequence the last chunk cut short
    #doNotFlush = false;
    #bomSeen = false;
    constructor(label = 'utf-8', options = undefined) {
      label = toStr(label);
      const o = dict(options, 'TextDecoder');
      this.#fatal = !!o.fatal;
      this.#ignoreBOM = !!o.ignoreBOM;
      if (!UTF8_LABELS.includes(normalizeLabel(label))) throw new RangeError(`The "${label}" encoding is not supported`);
    }
    get encoding() { this.#fatal; return 'utf-8'; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input = undefined, options = undefined) {
      let bytes = input === undefined ? new Uint8Array(0) : bytesOf(input, 'TextDecoder.decode');
      const stream = !!dict(options, 'TextDecoder.decode').stream;
      if (!this.#doNotFlush) {
        this.#held = null;
        this.#bomSeen = false;
      }
      this.#doNotFlush = stream;
      const held = this.#held;
      this.#held = null; // also after a fatal error: the decoder starts over
      if (held !== null) {
        const joined = new Uint8Array(held.length + bytes.length);
        joined.set(held);
        joined.set(bytes, held.length);
        bytes = joined;
      }
      let s;
      if (stream) {
        const [t, rest] = utf8DecodeNative(bytes, this.#fatal, true);
        if (rest > 0) this.#held = bytes.slice(bytes.length - rest);
        s = t;
      } else {
        s = utf8DecodeNative(bytes, this.#fatal, false);
      }
      if (!this.#ignoreBOM && !this.#bomSeen && s.length > 0) {
        this.#bomSeen = true;
        if (s.charCodeAt(0) === 0xFEFF) s = s.slice(1);
      }
      return s;
    }
  }
  idl(TextDecoder, 'TextDecoder');

  // ---------------------------------------------------------------------------
  // Base64 (HTML: btoa, and atob with the forgiving-base64 decode)
  // ---------------------------------------------------------------------------
  const invalidCharacter = (msg) => new DOMException(msg, 'InvalidCharacterError');

  function btoa(data) {
    needArgs(arguments, 1, 'btoa');
    const r = btoaNative(toStr(data));
    if (r === null) throw invalidCharacter('Invalid character');
    return r;
  }

  function atob(data) {
    needArgs(arguments, 1, 'atob');
    const r = atobNative(toStr(data));
    if (r === null) throw invalidCharacter('The string to be decoded is not correctly encoded.');
    return r;
  }

  // ---------------------------------------------------------------------------
  // URL Standard
  // ---------------------------------------------------------------------------
  const EOF = -1;
  const SPECIAL = { __proto__: null, ftp: 21, file: null, http: 80, https: 443, ws: 80, wss: 443 };
  const isSpecialScheme = (s) => s in SPECIAL;

  // Percent-encode sets, each also holding the C0 control set (< 0x20, > 0x7E),
  // and the ASCII code points that end a run of plain ones in some states.
  const PE_C0 = 0;
  const PE_FRAGMENT = 1;
  const PE_QUERY = 2;
  const PE_SPECIAL_QUERY = 4;
  const PE_PATH = 8;
  const PE_USERINFO = 16;
  const END_PATH = 32;
  const END_AUTHORITY = 64;
  const END_HOST = 128;
  const URL_TABLE = new Uint8Array(128);
  const addToSet = (mask, chars) => {
    for (let i = 0; i < chars.length; i++) URL_TABLE[chars.charCodeAt(i)] |= mask;
  };
  addToSet(PE_FRAGMENT, ' "<>`');
  addToSet(PE_QUERY | PE_SPECIAL_QUERY | PE_PATH | PE_USERINFO, ' "#<>');
  addToSet(PE_SPECIAL_QUERY, "'");
  addToSet(PE_PATH | PE_USERINFO, '?^`{}');
  addToSet(PE_USERINFO, '/:;=@[\\]|');
  addToSet(END_PATH, '/\\?#');
  addToSet(END_AUTHORITY, '@/\\?#');
  addToSet(END_HOST, ':[]/\\?#');
  // The end of the run of printable ASCII code points of s from p, outside `mask`.
  function plainRun(s, p, mask) {
    for (; p < s.length; p++) {
      const c = s.charCodeAt(p);
      if (c <= 0x20 || c >= 0x7F || (URL_TABLE[c] & mask)) break;
    }
    return p;
  }
  const HEX_BYTE = [];
  for (let i = 0; i < 256; i++) HEX_BYTE[i] = `%${i < 16 ? '0' : ''}${i.toString(16).toUpperCase()}`;

  // UTF-8 percent-encode one code point.
  function pctEncode(c, set) {
    if (c >= 0x20 && c < 0x7F) return (URL_TABLE[c] & set) ? HEX_BYTE[c] : StringFromCharCode(c);
    if (c < 0x80) return HEX_BYTE[c];
    const b = [];
    const n = putUtf8(b, 0, c);
    let out = '';
    for (let i = 0; i < n; i++) out += HEX_BYTE[b[i]];
    return out;
  }
  function pctEncodeString(s, set) {
    let out = '';
    for (const ch of s) out += pctEncode(ch.codePointAt(0), set);
    return out;
  }
  // --- hosts: each parser returns the serialized host, or null for failure ---
  // Bit 1: forbidden host code point; bit 2: forbidden domain code point.
  const HOST_TABLE = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if ('\0\t\n\r #/:<>?@[\\]^|'.indexOf(StringFromCharCode(c)) >= 0) HOST_TABLE[c] = 3;
    else if (c < 0x20 || c === 0x25 || c === 0x7F) HOST_TABLE[c] = 2;
  }
  const isForbiddenHost = (c) => c < 0x80 && (HOST_TABLE[c] & 1) !== 0;
  const isForbiddenDomain = (c) => c < 0x80 && HOST_TABLE[c] !== 0;

  function parseHost(input, isOpaque) {
    if (input[0] === '[') return input[input.length - 1] === ']' ? parseIPv6(input.slice(1, -1)) : null;
    if (isOpaque) {
      for (let i = 0; i < input.length; i++) if (isForbiddenHost(input.charCodeAt(i))) return null;
      return pctEncodeString(input, PE_C0);
    }
    const ascii = domainToASCII(input.indexOf('%') < 0 ? input : pctDecodeString(input));
    if (ascii === null || ascii === '') return null;
    for (let i = 0; i < ascii.length; i++) if (isForbiddenDomain(ascii.charCodeAt(i))) return null;
    return endsInNumber(ascii) ? parseIPv4(ascii) : ascii;
  }

  // Domain to ASCII. ASCII domains are lowercased, as the spec does. Other
  // domains get an approximation of UTS #46 without its tables: NFKC and
  // lowercase, some ignored code points removed, ideographic full stops as
  // dots, some disallowed code points and labels rejected, then Punycode for
  // the non-ASCII labels.
  const NON_ASCII = /[^\0-\x7F]/;
  // A leading combining mark; unassigned, private use or noncharacter code points.
  const DISALLOWED_IN_LABEL = /^\p{M}|[\p{Cn}\p{Co}\p{Cs}]/u;
  function domainToASCII(domain) {
    let i = 0;
    while (i < domain.length && domain.charCodeAt(i) < 0x80) i++;
    if (i === domain.length) return domain.toLowerCase();
    let mapped = '';
    for (const ch of domain.normalize('NFKC').toLowerCase()) {
      const c = ch.codePointAt(0);
      if (c === 0xAD || c === 0x34F || (c >= 0x180B && c <= 0x180F) || c === 0x200B || c === 0x2060 ||
          c === 0xFEFF || (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF)) continue;
      if ((c >= 0x80 && c <= 0x9F) || c === 0x200C || c === 0x200D || c === 0x2028 || c === 0x2029 ||
          c === 0xFFFD) return null;
      mapped += c === 0x3002 ? '.' : ch;
    }
    const labels = mapped.normalize('NFC').split('.');
    for (let j = 0; j < labels.length; j++) {
      if (!NON_ASCII.test(labels[j])) continue;
      if (DISALLOWED_IN_LABEL.test(labels[j])) return null;
      labels[j] = `xn--${punycodeEncode(toCodePoints(labels[j]))}`;
    }
    return labels.join('.');
  }

  function toCodePoints(s) {
    const out = [];
    for (let i = 0; i < s.length; i++) {
      const c = s.codePointAt(i);
      out[out.length] = c;
      if (c > 0xFFFF) i++;
    }
    return out;
  }
  // RFC 3492 Punycode encoding of one label (an array of code points).
  function punycodeEncode(cps) {
    const digit = (d) => StringFromCharCode(d < 26 ? 0x61 + d : 0x16 + d);
    let out = '';
    for (const c of cps) if (c < 0x80) out += StringFromCharCode(c);
    const basic = out.length;
    if (basic > 0) out += '-';
    let n = 0x80;
    let delta = 0;
    let bias = 72;
    for (let h = basic; h < cps.length; delta++, n++) {
      let m = 0x7FFFFFFF;
      for (const c of cps) if (c >= n && c < m) m = c;
      delta += (m - n) * (h + 1);
      n = m;
      for (const c of cps) {
        if (c < n) delta++;
        if (c !== n) continue;
        let q = delta;
        for (let k = 36; ; k += 36) {
          const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
          if (q < t) break;
          out += digit(t + ((q - t) % (36 - t)));
          q = MathFloor((q - t) / (36 - t));
        }
        out += digit(q);
        // adapt the bias
        delta = h === basic ? MathFloor(delta / 700) : delta >> 1;
        delta += MathFloor(delta / (h + 1));
        let k = 0;
        for (; delta > 455; k += 36) delta = MathFloor(delta / 35);
        bias = k + MathFloor((36 * delta) / (delta + 38));
        delta = 0;
        h++;
      }
    }
    return out;
  }

  // IPv4 number: decimal, 0x hexadecimal or 0 octal; null for failure.
  function parseIPv4Number(s) {
    if (s === '') return null;
    let radix = 10;
    let i = 0;
    if (s.length >= 2 && s[0] === '0') {
      radix = s[1] === 'x' || s[1] === 'X' ? 16 : 8;
      i = radix === 16 ? 2 : 1;
    }
    let n = 0;
    for (; i < s.length; i++) {
      const d = hexValue(s.charCodeAt(i));
      if (d < 0 || d >= radix) return null;
      n = n * radix + d;
    }
    return n;
  }
  function endsInNumber(s) {
    const last = s.charCodeAt(s.length - (s[s.length - 1] === '.' ? 2 : 1));
    if (!(hexValue(last) >= 0 || last === 0x78 || last === 0x58)) return false; // quick exit
    const parts = s.split('.');
    if (parts[parts.length - 1] === '') {
      if (parts.length === 1) return false;
      parts.pop();
    }
    const lastPart = parts[parts.length - 1];
    let i = 0;
    while (i < lastPart.length && isDigit(lastPart.charCodeAt(i))) i++;
    return (lastPart !== '' && i === lastPart.length) || parseIPv4Number(lastPart) !== null;
  }
  function parseIPv4(s) {
    const parts = s.split('.');
    if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
    if (parts.length > 4) return null;
    const nums = parts.map(parseIPv4Number);
    const last = nums.length - 1;
    for (let i = 0; i <= last; i++) if (nums[i] === null || (i < last && nums[i] > 255)) return null;
    if (nums[last] >= 256 ** (4 - last)) return null;
    let ip = nums[last];
    for (let i = 0; i < last; i++) ip += nums[i] * 256 ** (3 - i);
    return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
  }
  // IPv6: parsed into 8 pieces, returned serialized in brackets.
  function parseIPv6(s) {
    const a = [0, 0, 0, 0, 0, 0, 0, 0];
    const at = (i) => (i < s.length ? s.charCodeAt(i) : EOF);
    let piece = 0;
    let compress = null;
    let p = 0;
    if (at(p) === 0x3A) {
      if (at(p + 1) !== 0x3A) return null;
      p += 2;
      compress = ++piece;
    }
    while (at(p) !== EOF) {
      if (piece === 8) return null;
      if (at(p) === 0x3A) {
        if (compress !== null) return null;
        p++;
        compress = ++piece;
        continue;
      }
      let value = 0;
      let length = 0;
      for (; length < 4 && hexValue(at(p)) >= 0; length++) value = value * 16 + hexValue(at(p++));
      if (at(p) === 0x2E) { // embedded IPv4
        if (length === 0 || piece > 6) return null;
        p -= length;
        let numbersSeen = 0;
        for (; at(p) !== EOF; numbersSeen++) {
          if (numbersSeen > 0) {
            if (at(p) !== 0x2E || numbersSeen >= 4) return null;
            p++;
          }
          if (!isDigit(at(p))) return null;
          let v4 = null;
          for (; isDigit(at(p)); p++) {
            if (v4 === 0) return null; // leading zero
            v4 = (v4 === null ? 0 : v4 * 10) + at(p) - 0x30;
            if (v4 > 255) return null;
          }
          a[piece] = a[piece] * 0x100 + v4;
          if (numbersSeen === 1 || numbersSeen === 3) piece++;
        }
        if (numbersSeen !== 4) return null;
        break;
      }
      if (at(p) === 0x3A) {
        if (at(++p) === EOF) return null;
      } else if (at(p) !== EOF) {
        return null;
      }
      a[piece++] = value;
    }
    if (compress !== null) {
      for (let swaps = piece - compress, i = 7; i !== 0 && swaps > 0; i--, swaps--) {
        const t = a[i];
        a[i] = a[compress + swaps - 1];
        a[compress + swaps - 1] = t;
      }
    } else if (piece !== 8) {
      return null;
    }
    // Serialize: the first longest run (> 1) of zero pieces becomes '::'.
    let best = -1;
    let bestLen = 1;
    for (let i = 0, j; i < 8; i = j + 1) {
      for (j = i; j < 8 && a[j] === 0;) j++;
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
    }
    let out = '[';
    for (let i = 0; i < 8; i++) {
      if (i === best) {
        out += i === 0 ? '::' : ':';
        i += bestLen - 1;
      } else {
        out += a[i].toString(16) + (i < 7 ? ':' : '');
      }
    }
    return `${out}]`;
  }

  // --- the basic URL parser ---
  const [SCHEME_START, SCHEME, NO_SCHEME, SPECIAL_RELATIVE_OR_AUTHORITY, PATH_OR_AUTHORITY, RELATIVE,
    RELATIVE_SLASH, SPECIAL_AUTHORITY_SLASHES, SPECIAL_AUTHORITY_IGNORE_SLASHES, AUTHORITY, HOST, HOSTNAME,
    PORT, FILE, FILE_SLASH, FILE_HOST, PATH_START, PATH, OPAQUE_PATH, QUERY, FRAGMENT] =
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];

  // A URL record: `path` is an array of segments, or a string (an opaque
  // path); `host` is null or the serialized host.
  const newRecord = () => ({
    scheme: '', username: '', password: '', host: null, port: null, path: [], query: null, fragment: null,
  });
  const hasOpaquePath = (url) => typeof url.path === 'string';
  const hasCredentials = (url) => url.username !== '' || url.password !== '';
  const cannotHaveCredentialsOrPort = (url) => url.host === null || url.host === '' || url.scheme === 'file';
  const isDriveLetter = (s) => s.length === 2 && isAlpha(s.charCodeAt(0)) && (s[1] === ':' || s[1] === '|');
  const isNormalizedDriveLetter = (s) => typeof s === 'string' && isDriveLetter(s) && s[1] === ':';
  function startsWithDriveLetter(s, p) {
    const rest = s.length - p;
    if (rest < 2 || !isAlpha(s.charCodeAt(p)) || (s[p + 1] !== ':' && s[p + 1] !== '|')) return false;
    const c = s.charCodeAt(p + 2);
    return rest === 2 || c === 0x2F || c === 0x5C || c === 0x3F || c === 0x23;
  }
  function shortenPath(url) {
    if (url.scheme === 'file' && url.path.length === 1 && isNormalizedDriveLetter(url.path[0])) return;
    url.path.pop();
  }
  const isSingleDot = (s) => s === '.' || (s.length === 3 && s.toLowerCase() === '%2e');
  function isDoubleDot(s) {
    if (s === '..') return true;
    const l = s.length === 4 || s.length === 6 ? s.toLowerCase() : '';
    return l === '.%2e' || l === '%2e.' || l === '%2e%2e';
  }
  function copyAuthority(url, base) {
    url.username = base.username;
    url.password = base.password;
    url.host = base.host;
    url.port = base.port;
  }

  // Returns the URL record, or null for failure. Given `url` and `override`
  // (a state), url is modified in place (for the setters).
  function basicParse(input, base, url, override) {
    if (!url) {
      url = newRecord();
      // strip leading and trailing C0 controls and spaces
      let a = 0;
      let b = input.length;
      while (a < b && input.charCodeAt(a) <= 0x20) a++;
      while (b > a && input.charCodeAt(b - 1) <= 0x20) b--;
      input = input.slice(a, b);
    }
    // remove ASCII tabs and newlines
    let start = 0;
    let rest = '';
    for (let i = 0; i < input.length; i++) {
      const c = input.charCodeAt(i);
      if (c === 0x09 || c === 0x0A || c === 0x0D) {
        rest += input.slice(start, i);
        start = i + 1;
      }
    }
    if (start > 0) input = rest + input.slice(start);
    // The input (a USVString) is read by code units; surrogate pairs are
    // joined where code points matter, when percent-encoding.
    const len = input.length;
    let p = 0;
    const cpAt = (i) => {
      const cp = input.codePointAt(i);
      if (cp > 0xFFFF) p++;
      return cp;
    };
    let state = override || SCHEME_START;
    let special = isSpecialScheme(url.scheme);
    let buffer = '';
    let atSignSeen = false;
    let insideBrackets = false;
    let passwordTokenSeen = false;
    // EOF, '/', '?', '#', or '\' in special URLs: the end of an authority or a path segment.
    const endsPart = (c) => c === EOF || c === 0x2F || c === 0x3F || c === 0x23 || (special && c === 0x5C);
    for (; ; p++) {
      const c = p < len ? input.charCodeAt(p) : EOF;
      switch (state) {
        case SCHEME_START:
          if (isAlpha(c)) {
            buffer += lowerChar(c);
            state = SCHEME;
          } else if (override) {
            return null;
          } else {
            state = NO_SCHEME;
            p--;
          }
          break;
        case SCHEME:
          if (isAlpha(c) || isDigit(c) || c === 0x2B || c === 0x2D || c === 0x2E) {
            buffer += lowerChar(c);
          } else if (c === 0x3A) {
            if (override && (special !== isSpecialScheme(buffer) || (url.scheme === 'file' && url.host === '') ||
                ((hasCredentials(url) || url.port !== null) && buffer === 'file'))) return url;
            url.scheme = buffer;
            special = isSpecialScheme(buffer);
            if (override) {
              if (url.port === SPECIAL[url.scheme]) url.port = null;
              return url;
            }
            buffer = '';
            if (url.scheme === 'file') {
              state = FILE;
            } else if (special) {
              state = base && base.scheme === url.scheme ? SPECIAL_RELATIVE_OR_AUTHORITY : SPECIAL_AUTHORITY_SLASHES;
            } else if (input.charCodeAt(p + 1) === 0x2F) {
              state = PATH_OR_AUTHORITY;
              p++;
            } else {
              url.path = '';
              state = OPAQUE_PATH;
            }
          } else if (override) {
            return null;
          } else { // no scheme after all: start over
            buffer = '';
            state = NO_SCHEME;
            p = -1;
          }
          break;
        case NO_SCHEME:
          if (!base || (hasOpaquePath(base) && c !== 0x23)) return null;
          if (hasOpaquePath(base)) {
            url.scheme = base.scheme;
            url.path = base.path;
            url.query = base.query;
            url.fragment = '';
            state = FRAGMENT;
          } else {
            state = base.scheme === 'file' ? FILE : RELATIVE;
            p--;
          }
          break;
        case SPECIAL_RELATIVE_OR_AUTHORITY:
        case SPECIAL_AUTHORITY_SLASHES:
          if (c === 0x2F && input.charCodeAt(p + 1) === 0x2F) {
            state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
            p++;
          } else {
            state = state === SPECIAL_AUTHORITY_SLASHES ? SPECIAL_AUTHORITY_IGNORE_SLASHES : RELATIVE;
            p--;
          }
          break;
        case PATH_OR_AUTHORITY:
          if (c === 0x2F) {
            state = AUTHORITY;
          } else {
            state = PATH;
            p--;
          }
          break;
        case RELATIVE:
          url.scheme = base.scheme;
          special = isSpecialScheme(url.scheme);
          if (c === 0x2F || (special && c === 0x5C)) {
            state = RELATIVE_SLASH;
            break;
          }
          copyAuthority(url, base);
          url.path = base.path.slice();
          url.query = base.query;
          if (c === 0x3F) {
            url.query = '';
            state = QUERY;
          } else if (c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          } else if (c !== EOF) {
            url.query = null;
            url.path.pop();
            state = PATH;
            p--;
          }
          break;
        case RELATIVE_SLASH:
          if (special && (c === 0x2F || c === 0x5C)) {
            state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
          } else if (c === 0x2F) {
            state = AUTHORITY;
          } else {
            copyAuthority(url, base);
            state = PATH;
            p--;
          }
          break;
        case SPECIAL_AUTHORITY_IGNORE_SLASHES:
          if (c !== 0x2F && c !== 0x5C) {
            state = AUTHORITY;
            p--;
          }
          break;
        case AUTHORITY: {
          const end = plainRun(input, p, END_AUTHORITY);
          if (end > p) {
            buffer += input.slice(p, end);
            p = end - 1;
          } else if (c === 0x40) {
            if (atSignSeen) buffer = `%40${buffer}`;
            atSignSeen = true;
            for (const ch of buffer) {
              const cp = ch.codePointAt(0);
              if (cp === 0x3A && !passwordTokenSeen) passwordTokenSeen = true;
              else if (passwordTokenSeen) url.password += pctEncode(cp, PE_USERINFO);
              else url.username += pctEncode(cp, PE_USERINFO);
            }
            buffer = '';
          } else if (endsPart(c)) {
            if (atSignSeen && buffer === '') return null;
            p -= buffer.length + 1; // the host is parsed again, from the buffer's start
            buffer = '';
            state = HOST;
          } else {
            buffer += input[p];
          }
          break;
        }
        case HOST:
        case HOSTNAME: {
          const end = override && url.scheme === 'file' ? p : plainRun(input, p, END_HOST);
          if (end > p) {
            buffer += input.slice(p, end);
            p = end - 1;
          } else if (override && url.scheme === 'file') {
            p--;
            state = FILE_HOST;
          } else if (c === 0x3A && !insideBrackets) {
            if (buffer === '' || override === HOSTNAME) return null;
            const host = parseHost(buffer, !special);
            if (host === null) return null;
            url.host = host;
            buffer = '';
            state = PORT;
          } else if (endsPart(c)) {
            p--;
            if (special && buffer === '') return null;
            if (override && buffer === '' && (hasCredentials(url) || url.port !== null)) return null;
            const host = parseHost(buffer, !special);
            if (host === null) return null;
            url.host = host;
            buffer = '';
            state = PATH_START;
            if (override) return url;
          } else {
            if (c === 0x5B) insideBrackets = true;
            else if (c === 0x5D) insideBrackets = false;
            buffer += input[p];
          }
          break;
        }
        case PORT:
          if (isDigit(c)) {
            buffer += StringFromCharCode(c);
          } else if (endsPart(c) || override) {
            if (buffer !== '') {
              let port = 0;
              for (let i = 0; i < buffer.length && port <= 65535; i++) port = port * 10 + buffer.charCodeAt(i) - 0x30;
              if (port > 65535) return null;
              url.port = port === SPECIAL[url.scheme] ? null : port;
              buffer = '';
              if (override) return url;
            }
            if (override) return null;
            state = PATH_START;
            p--;
          } else {
            return null;
          }
          break;
        case FILE:
          url.scheme = 'file';
          special = true;
          url.host = '';
          if (c === 0x2F || c === 0x5C) {
            state = FILE_SLASH;
          } else if (base && base.scheme === 'file') {
            url.host = base.host;
            url.path = base.path.slice();
            url.query = base.query;
            if (c === 0x3F) {
              url.query = '';
              state = QUERY;
            } else if (c === 0x23) {
              url.fragment = '';
              state = FRAGMENT;
            } else if (c !== EOF) {
              url.query = null;
              if (startsWithDriveLetter(input, p)) url.path = [];
              else shortenPath(url);
              state = PATH;
              p--;
            }
          } else {
            state = PATH;
            p--;
          }
          break;
        case FILE_SLASH:
          if (c === 0x2F || c === 0x5C) {
            state = FILE_HOST;
          } else {
            if (base && base.scheme === 'file') {
              if (!startsWithDriveLetter(input, p) && isNormalizedDriveLetter(base.path[0])) url.path.push(base.path[0]);
              url.host = base.host;
            }
            state = PATH;
            p--;
          }
          break;
        case FILE_HOST:
          if (c === EOF || c === 0x2F || c === 0x5C || c === 0x3F || c === 0x23) {
            p--;
            if (!override && isDriveLetter(buffer)) {
              state = PATH; // the buffer becomes the first path segment
            } else if (buffer === '') {
              url.host = '';
              if (override) return url;
              state = PATH_START;
            } else {
              const host = parseHost(buffer, !special);
              if (host === null) return null;
              url.host = host === 'localhost' ? '' : host;
              if (override) return url;
              buffer = '';
              state = PATH_START;
            }
          } else {
            buffer += input[p];
          }
          break;
        case PATH_START:
          if (special) {
            state = PATH;
            if (c !== 0x2F && c !== 0x5C) p--;
          } else if (!override && c === 0x3F) {
            url.query = '';
            state = QUERY;
          } else if (!override && c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          } else if (c !== EOF) {
            state = PATH;
            if (c !== 0x2F) p--;
          } else if (override && url.host === null) {
            url.path.push('');
          }
          break;
        case PATH: {
          const end = plainRun(input, p, PE_PATH | END_PATH);
          if (end > p) {
            buffer += input.slice(p, end);
            p = end - 1;
          } else if (c === EOF || c === 0x2F || (special && c === 0x5C) || (!override && (c === 0x3F || c === 0x23))) {
            const slash = c === 0x2F || (special && c === 0x5C);
            if (isDoubleDot(buffer)) {
              shortenPath(url);
              if (!slash) url.path.push('');
            } else if (isSingleDot(buffer)) {
              if (!slash) url.path.push('');
            } else {
              if (url.scheme === 'file' && url.path.length === 0 && isDriveLetter(buffer)) buffer = `${buffer[0]}:`;
              url.path.push(buffer);
            }
            buffer = '';
            if (c === 0x3F) {
              url.query = '';
              state = QUERY;
            } else if (c === 0x23) {
              url.fragment = '';
              state = FRAGMENT;
            }
          } else {
            buffer += pctEncode(cpAt(p), PE_PATH);
          }
          break;
        }
        case OPAQUE_PATH: {
          const end = plainRun(input, p, END_PATH);
          if (end > p) {
            url.path += input.slice(p, end);
            p = end - 1;
          } else if (c === 0x3F) {
            url.query = '';
            state = QUERY;
          } else if (c === 0x23) {
            url.fragment = '';
            state = FRAGMENT;
          } else if (c === 0x20) {
            url.path += input.charCodeAt(p + 1) === 0x3F || input.charCodeAt(p + 1) === 0x23 ? '%20' : ' ';
          } else if (c !== EOF) {
            url.path += pctEncode(cpAt(p), PE_C0);
          }
          break;
        }
        case QUERY: { // (UTF-8 only: code points can be encoded one at a time)
          const set = special ? PE_SPECIAL_QUERY : PE_QUERY;
          const end = plainRun(input, p, set);
          if (end > p) {
            url.query += input.slice(p, end);
            p = end - 1;
          } else if (c === 0x23 && !override) {
            url.fragment = '';
            state = FRAGMENT;
          } else if (c !== EOF) {
            url.query += pctEncode(cpAt(p), set);
          }
          break;
        }
        case FRAGMENT: {
          const end = plainRun(input, p, PE_FRAGMENT);
          if (end > p) {
            url.fragment += input.slice(p, end);
            p = end - 1;
          } else if (c !== EOF) {
            url.fragment += pctEncode(cpAt(p), PE_FRAGMENT);
          }
          break;
        }
      }
      if (p >= len) return url;
    }
  }

  function serializePath(url) {
    if (hasOpaquePath(url)) return url.path;
    let out = '';
    for (let i = 0; i < url.path.length; i++) out += `/${url.path[i]}`;
    return out;
  }
  function serializeURL(url) {
    let out = `${url.scheme}:`;
    if (url.host !== null) {
      out += '//';
      if (hasCredentials(url)) out += `${url.username}${url.password !== '' ? `:${url.password}` : ''}@`;
      out += url.port === null ? url.host : `${url.host}:${url.port}`;
    } else if (!hasOpaquePath(url) && url.path.length > 1 && url.path[0] === '') {
      out += '/.';
    }
    out += serializePath(url);
    if (url.query !== null) out += `?${url.query}`;
    if (url.fragment !== null) out += `#${url.fragment}`;
    return out;
  }
  function serializeOrigin(url) {
    switch (url.scheme) {
      case 'blob': {
        const inner = basicParse(serializePath(url), null);
        return inner && (inner.scheme === 'http' || inner.scheme === 'https') ? serializeOrigin(inner) : 'null';
      }
      case 'ftp': case 'http': case 'https': case 'ws': case 'wss':
        return `${url.scheme}://${url.host}${url.port === null ? '' : `:${url.port}`}`;
      default:
        return 'null'; // an opaque origin (file: URLs too, as in browsers)
    }
  }

  // --- application/x-www-form-urlencoded ---
  function formDecode(s) {
    if (s.indexOf('+') >= 0) s = s.split('+').join(' ');
    return s.indexOf('%') < 0 ? s : pctDecodeString(s);
  }
  function formParse(s) {
    const list = [];
    for (let start = 0; start <= s.length;) {
      let end = s.indexOf('&', start);
      if (end < 0) end = s.length;
      if (end > start) {
        const eq = s.indexOf('=', start);
        const hasEq = eq >= 0 && eq < end;
        list[list.length] = [formDecode(s.slice(start, hasEq ? eq : end)), hasEq ? formDecode(s.slice(eq + 1, end)) : ''];
      }
      start = end + 1;
    }
    return list;
  }
  function formSerialize(list) {
    const parts = []; // joined once: += copies the whole string each time here
    for (let i = 0; i < list.length; i++) parts[i] = `${formEncode(list[i][0])}=${formEncode(list[i][1])}`;
    return parts.join('&');
  }

  // Internal access between URL and URLSearchParams, set up in the class body.
  let paramsList;
  let paramsSetList;
  let paramsLink;

  class URLSearchParams {
    #list = [];
    #url = null; // the URL record of the URL this is the query object of
    static #internals = (
      paramsList = (p) => p.#list,
      paramsSetList = (p, list) => { p.#list = list; },
      paramsLink = (p, url) => { p.#url = url; });

    constructor(init = '') {
      if (init === null || (typeof init !== 'object' && typeof init !== 'function')) {
        const s = toUSV(init);
        this.#list = formParse(s[0] === '?' ? s.slice(1) : s);
        return;
      }
      const method = init[SymbolIterator];
      if (method === undefined || method === null) { // record<USVString, USVString>
        for (const key of ReflectOwnKeys(init)) {
          const d = ObjectGetOwnPropertyDescriptor(init, key);
          if (d !== undefined && d.enumerable) this.#list.push([toUSV(key), toUSV(init[key])]);
        }
        return;
      }
      if (typeof method !== 'function') throw new TypeError('URLSearchParams: @@iterator is not callable');
      for (const pair of { [SymbolIterator]: () => ReflectApply(method, init, []) }) {
        if (pair === null || (typeof pair !== 'object' && typeof pair !== 'function') || typeof pair[SymbolIterator] !== 'function') {
          throw new TypeError('URLSearchParams: each pair must be an iterable');
        }
        const nv = [];
        for (const x of pair) nv.push(x);
        if (nv.length !== 2) throw new TypeError('URLSearchParams: each pair must have exactly two items');
        this.#list.push([toUSV(nv[0]), toUSV(nv[1])]);
      }
    }
    #update() {
      if (this.#url === null) return;
      const q = formSerialize(this.#list);
      this.#url.query = q === '' ? null : q;
    }
    get size() { return this.#list.length; }
    append(name, value) {
      needArgs(arguments, 2, 'URLSearchParams.append');
      this.#list.push([toUSV(name), toUSV(value)]);
      this.#update();
    }
    delete(name, value = undefined) {
      needArgs(arguments, 1, 'URLSearchParams.delete');
      name = toUSV(name);
      if (value !== undefined) value = toUSV(value);
      const list = this.#list;
      let j = 0;
      for (let i = 0; i < list.length; i++) {
        if (list[i][0] !== name || (value !== undefined && list[i][1] !== value)) list[j++] = list[i];
      }
      list.length = j;
      this.#update();
    }
    get(name) {
      needArgs(arguments, 1, 'URLSearchParams.get');
      name = toUSV(name);
      for (const [n, v] of this.#list) if (n === name) return v;
      return null;
    }
    getAll(name) {
      needArgs(arguments, 1, 'URLSearchParams.getAll');
      name = toUSV(name);
      const out = [];
      for (const [n, v] of this.#list) if (n === name) out.push(v);
      return out;
    }
    has(name, value = undefined) {
      needArgs(arguments, 1, 'URLSearchParams.has');
      name = toUSV(name);
      if (value !== undefined) value = toUSV(value);
      for (const [n, v] of this.#list) if (n === name && (value === undefined || v === value)) return true;
      return false;
    }
    set(name, value) {
      needArgs(arguments, 2, 'URLSearchParams.set');
      name = toUSV(name);
      value = toUSV(value);
      const list = this.#list;
      let j = 0;
      let found = false;
      for (let i = 0; i < list.length; i++) {
        if (list[i][0] !== name) {
          list[j++] = list[i];
        } else if (!found) {
          found = true;
          list[i][1] = value;
          list[j++] = list[i];
        }
      }
      list.length = j;
      if (!found) list.push([name, value]);
      this.#update();
    }
    sort() { // stable, by the code units of the names
      const list = this.#list;
      const keyed = list.map((pair, i) => [pair, i]);
      keyed.sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]));
      for (let i = 0; i < keyed.length; i++) list[i] = keyed[i][0];
      this.#update();
    }
    forEach(callback, thisArg = undefined) {
      needArgs(arguments, 1, 'URLSearchParams.forEach');
      if (typeof callback !== 'function') throw new TypeError('URLSearchParams.forEach: the callback is not a function');
      for (let i = 0; i < this.#list.length; i++) {
        const pair = this.#list[i];
        ReflectApply(callback, thisArg, [pair[1], pair[0], this]);
      }
    }
    keys() { this.#list; return new ParamsIterator(this, 0); }
    values() { this.#list; return new ParamsIterator(this, 1); }
    entries() { this.#list; return new ParamsIterator(this, 2); }
    toString() { return formSerialize(this.#list); }
  }
  idl(URLSearchParams, 'URLSearchParams');
  ObjectDefineProperty(URLSearchParams.prototype, SymbolIterator, {
    value: URLSearchParams.prototype.entries, writable: true, enumerable: false, configurable: true,
  });

  // WebIDL pair iterator, live over the list.
  class ParamsIterator {
    #params;
    #kind;
    #index = 0;
    constructor(params, kind) {
      this.#params = params;
      this.#kind = kind;
    }
    next() {
      const list = paramsList(this.#params);
      if (this.#index >= list.length) return { value: undefined, done: true };
      const [name, value] = list[this.#index++];
      return { value: this.#kind === 0 ? name : this.#kind === 1 ? value : [name, value], done: false };
    }
  }
  idl(ParamsIterator, 'URLSearchParams Iterator');
  ObjectSetPrototypeOf(ParamsIterator.prototype, IteratorPrototype);
  delete ParamsIterator.prototype.constructor;

  class URL {
    #url;
    #query;
    constructor(url, base = undefined) {
      needArgs(arguments, 1, 'URL');
      url = toUSV(url);
      let parsedBase = null;
      if (base !== undefined) {
        base = toUSV(base);
        parsedBase = basicParse(base, null);
        if (parsedBase === null) throw new TypeError(`Invalid base URL: ${base}`);
      }
      const parsed = basicParse(url, parsedBase);
      if (parsed === null) throw new TypeError(`Invalid URL: ${url}`);
      this.#url = parsed;
      this.#query = new URLSearchParams();
      paramsSetList(this.#query, parsed.query === null ? [] : formParse(parsed.query));
      paramsLink(this.#query, parsed);
    }
    get href() { return serializeURL(this.#url); }
    set href(value) {
      value = toUSV(value);
      const parsed = basicParse(value, null);
      if (parsed === null) throw new TypeError(`Invalid URL: ${value}`);
      ObjectAssign(this.#url, parsed); // the same record: the query object points to it
      paramsSetList(this.#query, parsed.query === null ? [] : formParse(parsed.query));
    }
    get origin() { return serializeOrigin(this.#url); }
    get protocol() { return `${this.#url.scheme}:`; }
    set protocol(value) { basicParse(`${toUSV(value)}:`, null, this.#url, SCHEME_START); }
    get username() { return this.#url.username; }
    set username(value) {
      value = toUSV(value);
      if (!cannotHaveCredentialsOrPort(this.#url)) this.#url.username = pctEncodeString(value, PE_USERINFO);
    }
    get password() { return this.#url.password; }
    set password(value) {
      value = toUSV(value);
      if (!cannotHaveCredentialsOrPort(this.#url)) this.#url.password = pctEncodeString(value, PE_USERINFO);
    }
    get host() {
      const url = this.#url;
      if (url.host === null) return '';
      return url.port === null ? url.host : `${url.host}:${url.port}`;
    }
    set host(value) {
      value = toUSV(value);
      if (!hasOpaquePath(this.#url)) basicParse(value, null, this.#url, HOST);
    }
    get hostname() { return this.#url.host === null ? '' : this.#url.host; }
    set hostname(value) {
      value = toUSV(value);
      if (!hasOpaquePath(this.#url)) basicParse(value, null, this.#url, HOSTNAME);
    }
    get port() { return this.#url.port === null ? '' : `${this.#url.port}`; }
    set port(value) {
      value = toUSV(value);
      if (cannotHaveCredentialsOrPort(this.#url)) return;
      if (value === '') this.#url.port = null;
      else basicParse(value, null, this.#url, PORT);
    }
    get pathname() { return serializePath(this.#url); }
    set pathname(value) {
      value = toUSV(value);
      if (hasOpaquePath(this.#url)) return;
      this.#url.path = [];
      basicParse(value, null, this.#url, PATH_START);
    }
    get search() {
      const q = this.#url.query;
      return q === null || q === '' ? '' : `?${q}`;
    }
    set search(value) {
      value = toUSV(value);
      const url = this.#url;
      if (value === '') {
        url.query = null;
        paramsSetList(this.#query, []);
        return;
      }
      const input = value[0] === '?' ? value.slice(1) : value;
      url.query = '';
      basicParse(input, null, url, QUERY);
      paramsSetList(this.#query, formParse(input));
    }
    get searchParams() { return this.#query; }
    get hash() {
      const f = this.#url.fragment;
      return f === null || f === '' ? '' : `#${f}`;
    }
    set hash(value) {
      value = toUSV(value);
      const url = this.#url;
      if (value === '') {
        url.fragment = null;
        return;
      }
      url.fragment = '';
      basicParse(value[0] === '#' ? value.slice(1) : value, null, url, FRAGMENT);
    }
    toJSON() { return serializeURL(this.#url); }
    toString() { return serializeURL(this.#url); }
  }
  idl(URL, 'URL');

  // ---------------------------------------------------------------------------
  // structuredClone (HTML structured serialize + deserialize, in one pass)
  // ---------------------------------------------------------------------------
  const TYPED_ARRAYS = {
    __proto__: null, Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
    Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  };
  const ERRORS = { __proto__: null, Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  // Objects with internal state that cannot be cloned, by @@toStringTag.
  const UNCLONEABLE = ['Arguments', 'Symbol', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Promise',
    'Generator', 'AsyncGenerator', 'SharedArrayBuffer', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'Performance',
    // fetch.js's (Blob and File are serializable in browsers and node, not here yet)
    'Headers', 'Request', 'Response', 'FormData', 'Event', 'EventTarget', 'AbortController', 'AbortSignal', 'Blob', 'File',
    'ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamDefaultController', 'WritableStream',
    'WritableStreamDefaultWriter', 'WritableStreamDefaultController', 'TransformStream', 'TransformStreamDefaultController',
    'CountQueuingStrategy', 'ByteLengthQueuingStrategy', 'TextEncoderStream', 'TextDecoderStream'];
  const cloneError = (what) => new DOMException(`${what} could not be cloned.`, 'DataCloneError');

  function structuredClone(value, options = undefined) {
    needArgs(arguments, 1, 'structuredClone');
    dict(options, 'structuredClone'); // options.transfer is ignored: nothing is transferred
    return clone(value, new Map());
  }

  function clone(v, memory) {
    const type = typeof v;
    if (type !== 'object' && type !== 'function') {
      if (type === 'symbol') throw cloneError('Symbol()');
      return v;
    }
    if (v === null) return v;
    if (MapPrototypeHas(memory, v)) return MapPrototypeGet(memory, v);
    if (type === 'function') throw cloneError('function');
    let out;
    if (ArrayIsArray(v)) {
      out = new Array(v.length);
      MapPrototypeSet(memory, v, out);
      for (const key of ObjectKeys(v)) {
        if (!ObjectPrototypeHasOwnProperty(v, key)) continue;
        const item = clone(v[key], memory);
        if (key === '__proto__') ObjectDefineProperty(out, key, { value: item, writable: true, enumerable: true, configurable: true });
        else out[key] = item;
      }
      return out;
    }
    if (ArrayBufferIsView(v)) { // views of the same buffer share the cloned buffer
      const kind = TypedArrayTag(v);
      out = kind === undefined ?
        new DataView(clone(DataViewBuffer(v), memory), DataViewByteOffset(v), DataViewByteLength(v)) :
        new TYPED_ARRAYS[kind](clone(TypedArrayBuffer(v), memory), TypedArrayByteOffset(v), TypedArrayLength(v));
      MapPrototypeSet(memory, v, out);
      return out;
    }
    // The tag selects the kind, then a brand check confirms it: an ordinary
    // object with a spoofed @@toStringTag is cloned as a plain object.
    const tag = ObjectPrototypeToString(v).slice(8, -1);
    switch (tag) {
      case 'Object':
        break;
      case 'Boolean':
        if (isBrand(BooleanValueOf, v)) out = new Boolean(BooleanValueOf(v));
        break;
      case 'Number':
        if (isBrand(NumberValueOf, v)) out = new Number(NumberValueOf(v));
        break;
      case 'String':
        if (isBrand(StringValueOf, v)) out = new String(StringValueOf(v));
        break;
      case 'BigInt':
        if (isBrand(BigIntValueOf, v)) out = Object(BigIntValueOf(v));
        break;
      case 'Date':
        if (isBrand(DateGetTime, v)) out = new Date(DateGetTime(v));
        break;
      case 'RegExp':
        if (isBrand(RegExpSource, v)) out = new RegExp(v); // source and flags; lastIndex is 0
        break;
      case 'ArrayBuffer':
        if (isArrayBuffer(v)) {
          out = new ArrayBuffer(ArrayBufferByteLength(v));
          new Uint8Array(out).set(new Uint8Array(v));
        }
        break;
      case 'Map':
        if (isBrand(MapSize, v)) {
          out = new Map();
          MapPrototypeSet(memory, v, out);
          const entries = [];
          MapPrototypeForEach(v, (val, key) => { entries.push(key, val); });
          for (let i = 0; i < entries.length; i += 2) MapPrototypeSet(out, clone(entries[i], memory), clone(entries[i + 1], memory));
          return out;
        }
        break;
      case 'Set':
        if (isBrand(SetSize, v)) {
          out = new Set();
          MapPrototypeSet(memory, v, out);
          const items = [];
          SetPrototypeForEach(v, (val) => { items.push(val); });
          for (let i = 0; i < items.length; i++) SetPrototypeAdd(out, clone(items[i], memory));
          return out;
        }
        break;
      case 'Error': { // (the tag of an object with [[ErrorData]])
        const name = v.name;
        const ctor = typeof name === 'string' && name in ERRORS ? ERRORS[name] : Error;
        const md = ObjectGetOwnPropertyDescriptor(v, 'message');
        out = md !== undefined && 'value' in md ? new ctor(toStr(md.value)) : new ctor();
        const sd = ObjectGetOwnPropertyDescriptor(v, 'stack');
        if (sd !== undefined && typeof sd.value === 'string') {
          ObjectDefineProperty(out, 'stack', { value: sd.value, writable: true, enumerable: false, configurable: true });
        }
        break;
      }
      case 'DOMException':
        if (isBrand(DOMExceptionName, v)) out = new DOMException(v.message, v.name);
        break;
      default:
        if (UNCLONEABLE.includes(tag) || tag.endsWith(' Iterator')) throw cloneError(`#<${tag}>`);
    }
    if (out !== undefined) {
      MapPrototypeSet(memory, v, out);
      return out;
    }
    // An ordinary object: its own enumerable string-keyed properties become
    // data properties of a plain object (no setters run, prototype not kept).
    out = ObjectCreate(null);
    MapPrototypeSet(memory, v, out);
    for (const key of ObjectKeys(v)) {
      if (ObjectPrototypeHasOwnProperty(v, key)) out[key] = clone(v[key], memory);
    }
    ObjectSetPrototypeOf(out, ObjectPrototype);
    return out;
  }

  // ---------------------------------------------------------------------------
  // queueMicrotask (HTML)
  // ---------------------------------------------------------------------------
  const resolvedPromise = Promise.resolve();
  function queueMicrotask(callback) {
    needArgs(arguments, 1, 'queueMicrotask');
    if (typeof callback !== 'function') throw new TypeError('queueMicrotask: the callback is not a function');
    // A callback that throws rejects this job's promise: that is reported as
    // an unhandled rejection, and the other jobs still run.
    PromisePrototypeThen(resolvedPromise, () => { callback(); });
  }

  // ---------------------------------------------------------------------------
  // performance (High Resolution Time): now(), timeOrigin, toJSON()
  // ---------------------------------------------------------------------------
  let nativeHrtime;
  if (ObjectPrototypeHasOwnProperty(G, '__mica_hrtime')) {
    nativeHrtime = G.__mica_hrtime;
    try { delete G.__mica_hrtime; } catch {}
  }
  const clock = typeof nativeHrtime === 'function' ? () => nativeHrtime() / 1e6 : DateNow;
  const clockOrigin = clock();
  const timeOrigin = DateNow();
  let lastNow = 0;

  class Performance {
    #brand = 0;
    now() {
      this.#brand;
      const t = clock() - clockOrigin;
      if (t > lastNow) lastNow = t; // monotonic, even if the clock steps back
      return lastNow;
    }
    get timeOrigin() { this.#brand; return timeOrigin; }
    toJSON() { this.#brand; return { timeOrigin }; }
  }
  idl(Performance, 'Performance');
  const performance = new Performance();
  delete Performance.prototype.constructor;

  // ---------------------------------------------------------------------------
  const globals = {
    DOMException, TextEncoder, TextDecoder, atob, btoa, URL, URLSearchParams, structuredClone, queueMicrotask, performance,
  };
  for (const name of ObjectKeys(globals)) {
    ObjectDefineProperty(G, name, { value: globals[name], writable: true, enumerable: false, configurable: true });
  }

  /*
   * Known gaps vs the specs:
   *  - TextDecoder: UTF-8 only (other labels throw RangeError); after a fatal
   *    error in streaming mode, the rest of that chunk is dropped.
   *  - URL domain to ASCII: no UTS #46 tables. ASCII hosts are lowercased (as
   *    the spec does); non-ASCII hosts get NFKC + toLowerCase, a few ignored
   *    and disallowed code points, unassigned/private-use code points and a
   *    leading combining mark rejected, then Punycode. Not done: the full
   *    mapping and disallowed tables (Unicode 13 here), CheckBidi (so some
   *    Hebrew/Arabic hosts that must fail are accepted), CheckJoiners
   *    (ZWJ/ZWNJ are always rejected), validation of "xn--" labels in
   *    non-ASCII hosts, full case folding (final sigma...).
   *  - URL: no URL.canParse/URL.parse, no blob URL store, no validation
   *    errors; the origin of file: URLs is "null".
   *  - structuredClone: `transfer` is ignored (nothing is detached);
   *    SharedArrayBuffer, WeakMap/WeakSet, Promise, generators, iterators,
   *    arguments, symbols, functions and mica's platform objects (Blob and
   *    File too) throw DataCloneError (V8 shares a SharedArrayBuffer); a built-in object whose
   *    @@toStringTag was deleted or replaced may be cloned as a plain object;
   *    the `cause` of errors is not kept (name, message and stack are).
   *  - performance: no marks, measures or observers (not an EventTarget).
   */
})();

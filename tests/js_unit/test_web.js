/*
 * Unit tests for guest/js/web.js (mica guest Web platform APIs).
 *
 * Run in native QuickJS 2021-03-27 (make build/tests/test_console_js):
 *   build/tests/test_console_js tests/js_unit/test_web.js guest/js/web.js
 *
 * Prints failures, then "N passed, M failed"; exits with status 1 on failure.
 *
 * The URL tables were generated with whatwg-url 17 (the URL Standard's
 * reference implementation) and checked against node v20; the few rows where
 * node 20 (which predates those spec changes) differs are marked "node 20:".
 * Other expectations follow the specs, cross-checked with node v20.
 */
'use strict';

const webPath = scriptArgs[1];
if (!webPath) {
  std.err.puts('usage: test_console_js test_web.js PATH/TO/web.js\n');
  std.exit(2);
}

// ---- load web.js the way the guest does -------------------------------------
const namesBefore = Object.getOwnPropertyNames(globalThis);
const symbolsBefore = Object.getOwnPropertySymbols(globalThis).length;
let fakeNs = 5e9; // the native monotonic clock, in nanoseconds
globalThis.__mica_hrtime = () => fakeNs;
const dateBeforeLoad = Date.now();
const natives = globalThis.__mica_web; // the guest's (bytes.c): web.js takes it
std.loadScript(webPath);
const namesAfter = Object.getOwnPropertyNames(globalThis);

let passed = 0;
let failed = 0;
function report(name, ok, actual, expected) {
  if (ok) {
    passed++;
    return;
  }
  failed++;
  std.out.puts(`FAIL ${name}\n  expected: ${JSON.stringify(expected)}\n  actual:   ${JSON.stringify(actual)}\n`);
}
function eq(name, actual, expected) {
  report(name, Object.is(actual, expected), actual, expected);
}
// The constructor name and DOMException name of what fn() throws, or 'no throw'.
function thrown(fn) {
  try {
    fn();
    return 'no throw';
  } catch (e) {
    return e instanceof DOMException ? `DOMException ${e.name}` : e.constructor.name;
  }
}
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
const esc = (s) => String(JSON.stringify(s)).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

// ---- global hygiene ---------------------------------------------------------
{
  const added = namesAfter.filter((n) => !namesBefore.includes(n)).sort();
  eq('exactly the Web API globals are added', added.join(','),
    'DOMException,TextDecoder,TextEncoder,URL,URLSearchParams,atob,btoa,performance,queueMicrotask,structuredClone');
  eq('__mica_hrtime deleted', Object.prototype.hasOwnProperty.call(globalThis, '__mica_hrtime'), false);
  eq('no symbols added to the global', Object.getOwnPropertySymbols(globalThis).length, symbolsBefore);
  for (const name of added) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    eq(`${name}: writable, configurable, not enumerable`, `${d.writable},${d.configurable},${d.enumerable}`, 'true,true,false');
  }
  eq('URL.length', URL.length, 1);
  eq('URLSearchParams.length', URLSearchParams.length, 0);
  eq('TextDecoder.length', TextDecoder.length, 0);
  eq('structuredClone.length', structuredClone.length, 1);
  eq('URL without new', thrown(() => URL('http://a/')), 'TypeError');
  eq('toStringTag URL', Object.prototype.toString.call(new URL('http://a/')), '[object URL]');
  eq('toStringTag URLSearchParams', Object.prototype.toString.call(new URLSearchParams()), '[object URLSearchParams]');
  eq('toStringTag TextEncoder', Object.prototype.toString.call(new TextEncoder()), '[object TextEncoder]');
  eq('toStringTag TextDecoder', Object.prototype.toString.call(new TextDecoder()), '[object TextDecoder]');
  eq('toStringTag performance', Object.prototype.toString.call(performance), '[object Performance]');
  eq('attributes are enumerable (WebIDL)', Object.keys(URL.prototype).join(','),
    'href,origin,protocol,username,password,host,hostname,port,pathname,search,searchParams,hash,toJSON,toString');
  eq('brand check on getters', thrown(() => Object.getOwnPropertyDescriptor(URL.prototype, 'href').get.call({})), 'TypeError');
  eq('brand check on methods', thrown(() => URLSearchParams.prototype.get.call({}, 'a')), 'TypeError');
  eq('brand check TextDecoder.decode', thrown(() => TextDecoder.prototype.decode.call({})), 'TypeError');
}

// ---- DOMException -----------------------------------------------------------
{
  const e = new DOMException('not here', 'NotFoundError');
  eq('DOMException name', e.name, 'NotFoundError');
  eq('DOMException message', e.message, 'not here');
  eq('DOMException code', e.code, 8);
  eq('DOMException is an Error', e instanceof Error, true);
  eq('DOMException toString', String(e), 'NotFoundError: not here');
  eq('DOMException has a stack', typeof e.stack, 'string');
  const d = new DOMException();
  eq('DOMException defaults', `${d.name}|${d.message}|${d.code}`, 'Error||0');
  eq('DOMException unknown name code', new DOMException('x', 'FooError').code, 0);
  eq('DataCloneError code', new DOMException('x', 'DataCloneError').code, 25);
  eq('DOMException.DATA_CLONE_ERR', DOMException.DATA_CLONE_ERR, 25);
  eq('DOMException.prototype.INVALID_CHARACTER_ERR', DOMException.prototype.INVALID_CHARACTER_ERR, 5);
  eq('DOMException.VALIDATION_ERR', DOMException.VALIDATION_ERR, 16);
  eq('DOMException toStringTag', Object.prototype.toString.call(e), '[object DOMException]');
}

// ---- TextEncoder ------------------------------------------------------------
{
  const enc = new TextEncoder();
  eq('encoding', enc.encoding, 'utf-8');
  const vectors = [
    ['', ''], ['abc', '61 62 63'], ['\u0000\u007f', '00 7f'], ['\u0080', 'c2 80'], ['\u07ff', 'df bf'], ['\u0800', 'e0 a0 80'],
    ['\u20ac', 'e2 82 ac'], ['\uffff', 'ef bf bf'], ['\ud83d\ude00', 'f0 9f 98 80'], ['\u{10ffff}', 'f4 8f bf bf'],
    ['\ud800', 'ef bf bd'], ['\udc00', 'ef bf bd'], ['a\ud800b', '61 ef bf bd 62'], ['\udc00\ud800', 'ef bf bd ef bf bd'],
    ['\ud800\ud800\udc00', 'ef bf bd f0 90 80 80'], ['\ud83d', 'ef bf bd'],
  ];
  for (const [s, h] of vectors) eq(`encode ${esc(s)}`, hex(enc.encode(s)), h);
  eq('encode() is empty', enc.encode().length, 0);
  eq('encode(undefined) is empty', enc.encode(undefined).length, 0);
  eq('encode(null)', hex(enc.encode(null)), '6e 75 6c 6c');
  eq('encode returns a Uint8Array', enc.encode('x') instanceof Uint8Array, true);
  const into = (s, n) => {
    const buf = new Uint8Array(n);
    const r = enc.encodeInto(s, buf);
    return `${r.read}/${r.written} ${hex(buf)}`;
  };
  eq('encodeInto fits', into('ab', 3), '2/2 61 62 00');
  eq('encodeInto truncates', into('abc', 2), '2/2 61 62');
  eq('encodeInto never splits a character', into('a\u20ac', 3), '1/1 61 00 00');
  eq('encodeInto surrogate pair counts 2', into('a\ud83d\ude00', 5), '3/5 61 f0 9f 98 80');
  eq('encodeInto pair that does not fit', into('\ud83d\ude00', 3), '0/0 00 00 00');
  eq('encodeInto lone surrogate', into('\ud800x', 4), '2/4 ef bf bd 78');
  const big = new Uint8Array(6);
  eq('encodeInto a subarray', JSON.stringify(enc.encodeInto('\u00e9', big.subarray(2))) + hex(big), '{"read":1,"written":2}00 00 c3 a9 00 00');
  eq('encodeInto wants a Uint8Array', thrown(() => enc.encodeInto('a', new Uint16Array(2))), 'TypeError');
  eq('encodeInto needs 2 arguments', thrown(() => enc.encodeInto('a')), 'TypeError');
}

// ---- TextDecoder ------------------------------------------------------------
{
  const dec = (bytes, options) => new TextDecoder('utf-8', options).decode(new Uint8Array(bytes));
  const F = '\ufffd';
  const vectors = [
    // [name, bytes, expected]
    ['ascii', [0x61, 0x62, 0x00, 0x7f], 'ab\u0000\u007f'],
    ['2, 3 and 4 bytes', [0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], '\u00e9\u20ac\ud83d\ude00'],
    ['boundaries', [0xc2, 0x80, 0xdf, 0xbf, 0xe0, 0xa0, 0x80, 0xed, 0x9f, 0xbf, 0xee, 0x80, 0x80, 0xef, 0xbf, 0xbf, 0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf],
      '\u0080\u07ff\u0800\ud7ff\ue000\uffff\ud800\udc00\udbff\udfff'],
    ['overlong 2 bytes C0 80', [0xc0, 0x80], F + F],
    ['overlong 2 bytes C1 BF', [0xc1, 0xbf], F + F],
    ['overlong 3 bytes E0 80 80', [0xe0, 0x80, 0x80], F + F + F],
    ['overlong 3 bytes E0 9F BF', [0xe0, 0x9f, 0xbf], F + F + F],
    ['overlong 4 bytes F0 80 80 80', [0xf0, 0x80, 0x80, 0x80], F + F + F + F],
    ['overlong 4 bytes F0 8F BF BF', [0xf0, 0x8f, 0xbf, 0xbf], F + F + F + F],
    ['overlong slash C0 AF', [0xc0, 0xaf], F + F],
    ['surrogate ED A0 80', [0xed, 0xa0, 0x80], F + F + F],
    ['surrogate ED BF BF', [0xed, 0xbf, 0xbf], F + F + F],
    ['surrogate pair in UTF-8 (CESU)', [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80], F + F + F + F + F + F],
    ['above U+10FFFF: F4 90 80 80', [0xf4, 0x90, 0x80, 0x80], F + F + F + F],
    ['F5 80 80 80', [0xf5, 0x80, 0x80, 0x80], F + F + F + F],
    ['F8..FF', [0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff], F.repeat(8)],
    ['5-byte form F8 88 80 80 80', [0xf8, 0x88, 0x80, 0x80, 0x80], F.repeat(5)],
    ['lone continuation bytes', [0x80, 0xbf, 0x41], F + F + 'A'],
    ['truncated 2-byte at end', [0x41, 0xc3], 'A' + F],
    ['truncated 3-byte at end', [0xe2, 0x82], F],
    ['truncated 4-byte at end', [0xf0, 0x9f, 0x98], F],
    ['truncated 3-byte then ASCII', [0xe2, 0x82, 0x41], F + 'A'],
    ['truncated 4-byte then ASCII', [0xf0, 0x9f, 0x41, 0x42], F + 'AB'],
    ['truncated then valid', [0xf0, 0x9f, 0x98, 0xe2, 0x82, 0xac], F + '\u20ac'],
    ['lead byte then lead byte', [0xc3, 0xc3, 0xa9], F + '\u00e9'],
    ['E0 then bad second byte', [0xe0, 0x41], F + 'A'],
    ['ED then 80 (valid range start)', [0xed, 0x80, 0x80], '\ud000'],
    ['Kuhn 3.3.x: all truncated sequences', [0xc0, 0xe0, 0x80, 0xf0, 0x80, 0x80, 0xdf, 0xef, 0xbf, 0xf4, 0x8f, 0xbf],
      F + F + F + F + F + F + F + F + F],
    ['BOM removed', [0xef, 0xbb, 0xbf, 0x41], 'A'],
    ['only the first BOM removed', [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], '\ufeff'],
    ['BOM not at the start kept', [0x41, 0xef, 0xbb, 0xbf], 'A\ufeff'],
  ];
  for (const [name, bytes, expected] of vectors) eq(`decode ${name}`, esc(dec(bytes)), esc(expected));
  eq('ignoreBOM keeps the BOM', esc(dec([0xef, 0xbb, 0xbf, 0x41], { ignoreBOM: true })), esc('\ufeffA'));
  for (const [name, bytes, expected] of vectors) {
    const ok = expected.indexOf(F) < 0;
    eq(`fatal ${name}`, thrown(() => dec(bytes, { fatal: true })), ok ? 'no throw' : 'TypeError');
  }

  // streaming
  const stream = (chunks, options) => {
    const d = new TextDecoder('utf-8', options);
    let s = '';
    for (const c of chunks) s += d.decode(new Uint8Array(c), { stream: true });
    return s + d.decode();
  };
  eq('stream: euro byte by byte', stream([[0xe2], [0x82], [0xac]]), '\u20ac');
  eq('stream: emoji split 1+3', stream([[0xf0], [0x9f, 0x98, 0x80]]), '\ud83d\ude00');
  eq('stream: emoji split 3+1', stream([[0x41, 0xf0, 0x9f, 0x98], [0x80, 0x42]]), 'A\ud83d\ude00B');
  eq('stream: empty chunks', stream([[], [0xc3], [], [0xa9], []]), '\u00e9');
  eq('stream: truncated at the end', esc(stream([[0xe2, 0x82]])), esc(F));
  eq('stream: invalid across chunks', esc(stream([[0xe2], [0x41]])), esc(F + 'A'));
  eq('stream: bad continuation across chunks', esc(stream([[0xf0, 0x90], [0xc0]])), esc(F + F));
  eq('stream: BOM split across chunks', stream([[0xef], [0xbb], [0xbf, 0x41]]), 'A');
  eq('stream: BOM after empty output', stream([[], [0xef, 0xbb, 0xbf], [0x41]]), 'A');
  eq('stream: fatal truncated at the end', thrown(() => stream([[0xe2]], { fatal: true })), 'TypeError');
  // every vector split in two at each byte, and byte by byte, as it is whole
  for (const [name, bytes, expected] of vectors) {
    if (expected.charCodeAt(0) === 0xfeff || bytes[0] === 0xef) continue; // BOMs: above
    let same = stream(bytes.map((b) => [b])) === expected;
    for (let k = 0; k <= bytes.length; k++) same = same && stream([bytes.slice(0, k), bytes.slice(k)]) === expected;
    eq(`stream: ${name} split anywhere`, same, true);
  }
  {
    const d = new TextDecoder('utf-8', { fatal: true });
    const parts = [d.decode(new Uint8Array([0x61, 0xe2]), { stream: true })];
    parts.push(thrown(() => d.decode(new Uint8Array([0x82, 0x41]), { stream: true })));
    parts.push(d.decode(new Uint8Array([0x62])));
    eq('stream: fatal error, then the decoder starts over', parts.join('|'), 'a|TypeError|b');
    const held = new Uint8Array([0x41, 0xe2, 0x82]);
    const d2 = new TextDecoder();
    const a = d2.decode(held, { stream: true });
    held.fill(0x5a); // the held bytes were copied
    eq('stream: the held bytes are a copy', a + d2.decode(new Uint8Array([0xac])), 'A\u20ac');
  }
  {
    const d = new TextDecoder();
    const parts = [d.decode(new Uint8Array([0xe2]), { stream: true }), d.decode(), d.decode(new Uint8Array([0x82]))];
    eq('a non-stream call flushes and resets', esc(parts.join('|')), esc(`|${F}|${F}`));
    const d2 = new TextDecoder();
    const bom = [d2.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), d2.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x62]))];
    eq('the BOM is removed again after a reset', bom.join('|'), 'a|b');
  }

  // labels and options
  for (const label of ['utf-8', 'utf8', 'UTF-8', ' utf-8\n', '\tUnicode-1-1-UTF-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8']) {
    eq(`label ${esc(label)}`, new TextDecoder(label).encoding, 'utf-8');
  }
  for (const label of ['latin1', 'utf-16le', 'utf-8x', '', 'utf\u00a08', 'u\u0130f-8']) {
    eq(`label ${esc(label)} throws RangeError`, thrown(() => new TextDecoder(label)), 'RangeError');
  }
  const td = new TextDecoder('utf8', { fatal: 1, ignoreBOM: 'yes' });
  eq('fatal attribute', td.fatal, true);
  eq('ignoreBOM attribute', td.ignoreBOM, true);
  eq('default attributes', `${new TextDecoder().fatal},${new TextDecoder().ignoreBOM}`, 'false,false');
  eq('options must be an object', thrown(() => new TextDecoder('utf-8', 1)), 'TypeError');
  eq('decode options must be an object', thrown(() => new TextDecoder().decode(new Uint8Array(1), 'x')), 'TypeError');

  // inputs
  const euro = new Uint8Array([0x20, 0xe2, 0x82, 0xac, 0x20]);
  const d = new TextDecoder();
  eq('decode()', d.decode(), '');
  eq('decode(undefined)', d.decode(undefined), '');
  eq('decode ArrayBuffer', d.decode(euro.buffer), ' \u20ac ');
  eq('decode subarray', d.decode(euro.subarray(1, 4)), '\u20ac');
  eq('decode DataView', d.decode(new DataView(euro.buffer, 1, 3)), '\u20ac');
  eq('decode Uint16Array', d.decode(new Uint16Array([0x6968, 0x2121])), 'hi!!');
  eq('decode Int8Array', d.decode(new Int8Array([-61, -87])), '\u00e9');
  eq('decode Float64Array bytes', d.decode(new Float64Array([0]).subarray(0, 0)), '');
  eq('decode SharedArrayBuffer', typeof SharedArrayBuffer === 'function' ? d.decode(new SharedArrayBuffer(2)) : '\0\0', '\0\0');
  eq('decode a string throws', thrown(() => d.decode('abc')), 'TypeError');
  eq('decode an array throws', thrown(() => d.decode([0x41])), 'TypeError');
  eq('decode null throws', thrown(() => d.decode(null)), 'TypeError');

  // large inputs (chunked string building) round trip
  let text = '';
  for (let i = 0; i < 20000; i++) text += `x\u00e9\u20ac\ud83d\ude00${i % 10}`;
  const bytes = new TextEncoder().encode(text);
  eq('large round trip', new TextDecoder().decode(bytes) === text, true);
  const ascii = 'abcdefghij'.repeat(30000);
  eq('large ASCII round trip', new TextDecoder().decode(new TextEncoder().encode(ascii)) === ascii, true);
}

// ---- atob / btoa ------------------------------------------------------------
{
  const rfc4648 = [['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy']];
  for (const [plain, coded] of rfc4648) {
    eq(`btoa ${esc(plain)}`, btoa(plain), coded);
    eq(`atob ${esc(coded)}`, atob(coded), plain);
  }
  eq('btoa latin-1', btoa('\u00ff\u00fe\u0000'), '//4A');
  eq('btoa null', btoa(null), 'bnVsbA==');
  eq('btoa code unit > 0xFF', thrown(() => btoa('\u0100')), 'DOMException InvalidCharacterError');
  eq('btoa emoji', thrown(() => btoa('\ud83d\ude00')), 'DOMException InvalidCharacterError');
  eq('btoa lone surrogate', thrown(() => btoa('ab\udc00')), 'DOMException InvalidCharacterError');
  eq('btoa U+0080 and U+00BF', btoa('\u0080\u00bf'), 'gL8=');
  eq('btoa late U+0100', thrown(() => btoa('x'.repeat(10000) + '\u0100')), 'DOMException InvalidCharacterError');
  eq('btoa needs an argument', thrown(() => btoa()), 'TypeError');
  const atobCases = [
    // [input, expected output or null for InvalidCharacterError]
    [' Zm9v YmFy ', 'foobar'], ['\tZg==\n', 'f'], ['Z g = =', 'f'], ['\fZm8=\r', 'fo'], ['Zg', 'f'], ['Zm8', 'fo'],
    ['Zh==', 'f'], ['Zm9=', 'fo'], ['Zg=', null], ['Zg===', null], ['Z===', null], ['====', null], ['Z', null],
    ['Zm9vY', null], ['=Zg=', null], ['Zg==Zg==', null], ['Z=g=', null], ['Zm9v\u00e9', null], ['Zg\u000b==', null],
    ['-_==', null], ['Zg==\u00a0', null], ['Zg\u0000==', null], ['Zm9v\ud800', null], ['++//', '\u00fb\u00ef\u00ff'], ['AAAA', '\u0000\u0000\u0000'],
    [null, '\u009e\u00e9e'], [undefined, null], ['', ''], ['   ', ''],
  ];
  for (const [input, expected] of atobCases) {
    let actual;
    try {
      actual = atob(input);
    } catch (e) {
      actual = e instanceof DOMException && e.name === 'InvalidCharacterError' && e.code === 5 ? null : `threw ${e}`;
    }
    eq(`atob ${esc(input)}`, actual === null ? null : esc(actual), expected === null ? null : esc(expected));
  }
  eq('atob needs an argument', thrown(() => atob()), 'TypeError');
  let all = '';
  for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
  eq('all bytes round trip', atob(btoa(all)) === all, true);
  eq('all bytes encoded', btoa(all).slice(0, 24), 'AAECAwQFBgcICQoLDA0ODxAR');
  const large = all.repeat(2000);
  eq('large round trip', atob(btoa(large)) === large, true);
}

// ---- URL parsing ------------------------------------------------------------
// [input, base (null: none), expected href (null: TypeError)]
const URL_CASES = [
  ["https:example.org", null, "https://example.org/"],
  ["https://////example.com///", null, "https://example.com///"],
  ["https://example.com/././foo", null, "https://example.com/foo"],
  ["hello:world", "https://example.com/", "hello:world"],
  ["https:example.org", "https://example.com/", "https://example.com/example.org"],
  ["\\example\\..\\demo/.\\", "https://example.com/", "https://example.com/demo/"],
  ["example", "https://example.com/demo", "https://example.com/example"],
  ["file:///C|/demo", null, "file:///C:/demo"],
  ["..", "file:///C:/demo", "file:///C:/"],
  ["file://loc%61lhost/", null, "file:///"],
  ["https://user:password@example.org/", null, "https://user:password@example.org/"],
  ["https://example.org/foo bar", null, "https://example.org/foo%20bar"],
  ["https://EXAMPLE.com/../x", null, "https://example.com/x"],
  ["https://ex ample.org/", null, null],
  ["example", null, null],
  ["https://example.com:demo", null, null],
  ["http://[www.example.com]/", null, null],
  ["https://example.org//", null, "https://example.org//"],
  ["https://example.com/[]?[]#[]", null, "https://example.com/[]?[]#[]"],
  ["https://example/%?%#%", null, "https://example/%?%#%"],
  ["https://example/%25?%25#%25", null, "https://example/%25?%25#%25"],
  ["g:h", "http://a/b/c/d;p?q", "g:h"],
  ["g", "http://a/b/c/d;p?q", "http://a/b/c/g"],
  ["./g", "http://a/b/c/d;p?q", "http://a/b/c/g"],
  ["g/", "http://a/b/c/d;p?q", "http://a/b/c/g/"],
  ["/g", "http://a/b/c/d;p?q", "http://a/g"],
  ["//g", "http://a/b/c/d;p?q", "http://g/"],
  ["?y", "http://a/b/c/d;p?q", "http://a/b/c/d;p?y"],
  ["g?y", "http://a/b/c/d;p?q", "http://a/b/c/g?y"],
  ["#s", "http://a/b/c/d;p?q", "http://a/b/c/d;p?q#s"],
  ["g#s", "http://a/b/c/d;p?q", "http://a/b/c/g#s"],
  ["g?y#s", "http://a/b/c/d;p?q", "http://a/b/c/g?y#s"],
  [";x", "http://a/b/c/d;p?q", "http://a/b/c/;x"],
  ["g;x", "http://a/b/c/d;p?q", "http://a/b/c/g;x"],
  ["g;x?y#s", "http://a/b/c/d;p?q", "http://a/b/c/g;x?y#s"],
  ["", "http://a/b/c/d;p?q", "http://a/b/c/d;p?q"],
  [".", "http://a/b/c/d;p?q", "http://a/b/c/"],
  ["./", "http://a/b/c/d;p?q", "http://a/b/c/"],
  ["..", "http://a/b/c/d;p?q", "http://a/b/"],
  ["../", "http://a/b/c/d;p?q", "http://a/b/"],
  ["../g", "http://a/b/c/d;p?q", "http://a/b/g"],
  ["../..", "http://a/b/c/d;p?q", "http://a/"],
  ["../../", "http://a/b/c/d;p?q", "http://a/"],
  ["../../g", "http://a/b/c/d;p?q", "http://a/g"],
  ["../../../g", "http://a/b/c/d;p?q", "http://a/g"],
  ["../../../../g", "http://a/b/c/d;p?q", "http://a/g"],
  ["/./g", "http://a/b/c/d;p?q", "http://a/g"],
  ["/../g", "http://a/b/c/d;p?q", "http://a/g"],
  ["g.", "http://a/b/c/d;p?q", "http://a/b/c/g."],
  [".g", "http://a/b/c/d;p?q", "http://a/b/c/.g"],
  ["g..", "http://a/b/c/d;p?q", "http://a/b/c/g.."],
  ["..g", "http://a/b/c/d;p?q", "http://a/b/c/..g"],
  ["./../g", "http://a/b/c/d;p?q", "http://a/b/g"],
  ["./g/.", "http://a/b/c/d;p?q", "http://a/b/c/g/"],
  ["g/./h", "http://a/b/c/d;p?q", "http://a/b/c/g/h"],
  ["g/../h", "http://a/b/c/d;p?q", "http://a/b/c/h"],
  ["g;x=1/./y", "http://a/b/c/d;p?q", "http://a/b/c/g;x=1/y"],
  ["g;x=1/../y", "http://a/b/c/d;p?q", "http://a/b/c/y"],
  ["g?y/./x", "http://a/b/c/d;p?q", "http://a/b/c/g?y/./x"],
  ["g?y/../x", "http://a/b/c/d;p?q", "http://a/b/c/g?y/../x"],
  ["g#s/./x", "http://a/b/c/d;p?q", "http://a/b/c/g#s/./x"],
  ["g#s/../x", "http://a/b/c/d;p?q", "http://a/b/c/g#s/../x"],
  ["http:g", "http://a/b/c/d;p?q", "http://a/b/c/g"],
  ["http://example\t.\norg", "http://example.org/foo/bar", "http://example.org/"],
  ["http://user:pass@foo:21/bar;par?b#c", "http://example.org/foo/bar", "http://user:pass@foo:21/bar;par?b#c"],
  ["https://test:@test", null, "https://test@test/"],
  ["https://:@test", null, "https://test/"],
  ["non-special://test:@test/x", null, "non-special://test@test/x"],
  ["http:foo.com", "http://example.org/foo/bar", "http://example.org/foo/foo.com"],
  ["\t   :foo.com   \n", "http://example.org/foo/bar", "http://example.org/foo/:foo.com"],
  [" foo.com  ", "http://example.org/foo/bar", "http://example.org/foo/foo.com"],
  ["a:\t foo.com", "http://example.org/foo/bar", "a: foo.com"],
  ["http://f:21/ b ? d # e ", "http://example.org/foo/bar", "http://f:21/%20b%20?%20d%20#%20e"],
  ["lolscheme:x x#x x", null, "lolscheme:x x#x%20x"],
  ["http://f:/c", "http://example.org/foo/bar", "http://f/c"],
  ["http://f:00000000000000/c", null, "http://f:0/c"],
  ["http://f:00000000000000000000080/c", null, "http://f/c"],
  ["http://f:b/c", null, null],
  ["http://f: /c", null, null],
  ["http://f:\n/c", null, "http://f/c"],
  ["http://f:999999/c", null, null],
  ["non-special://f:999999/c", null, null],
  ["http://f: 21 / b ? d # e ", null, null],
  ["", "http://example.org/foo/bar", "http://example.org/foo/bar"],
  ["  \t", "http://example.org/foo/bar", "http://example.org/foo/bar"],
  [":foo.com/", "http://example.org/foo/bar", "http://example.org/foo/:foo.com/"],
  [":", "http://example.org/foo/bar", "http://example.org/foo/:"],
  ["#", "http://example.org/foo/bar", "http://example.org/foo/bar#"],
  ["#/", "http://example.org/foo/bar", "http://example.org/foo/bar#/"],
  ["#\\", "http://example.org/foo/bar", "http://example.org/foo/bar#\\"],
  ["?", "http://example.org/foo/bar", "http://example.org/foo/bar?"],
  ["\\x", "http://example.org/foo/bar", "http://example.org/x"],
  ["\\\\x\\hello", "http://example.org/foo/bar", "http://x/hello"],
  ["::", "http://example.org/foo/bar", "http://example.org/foo/::"],
  ["foo://", "http://example.org/foo/bar", "foo://"],
  ["http::@c:29", "http://example.org/foo/bar", "http://example.org/foo/:@c:29"],
  ["http://&a:foo(b]c@d:2/", null, "http://&a:foo(b%5Dc@d:2/"],
  ["http://::@c@d:2", null, "http://:%3A%40c@d:2/"],
  ["http://foo.com:b@d/", null, "http://foo.com:b@d/"],
  ["http://foo.com/\\@", null, "http://foo.com//@"],
  ["http:\\\\foo.com\\", null, "http://foo.com/"],
  ["http:\\\\a\\b:c\\d@foo.com\\", null, "http://a/b:c/d@foo.com/"],
  ["foo:/", null, "foo:/"],
  ["foo:/bar.com/", null, "foo:/bar.com/"],
  ["foo://///////", null, "foo://///////"],
  ["foo://///////bar.com/", null, "foo://///////bar.com/"],
  ["foo:////://///", null, "foo:////://///"],
  ["c:/foo", "http://example.org/foo/bar", "c:/foo"],
  ["//foo/bar", "http://example.org/foo/bar", "http://foo/bar"],
  ["http://foo/path;a??e#f#g", null, "http://foo/path;a??e#f#g"],
  ["http://foo/abcd?efgh?ijkl", null, "http://foo/abcd?efgh?ijkl"],
  ["http://foo/abcd#foo?bar", null, "http://foo/abcd#foo?bar"],
  ["[61:24:74]:98", "http://example.org/foo/bar", "http://example.org/foo/[61:24:74]:98"],
  ["http:[61:27]/:foo", "http://example.org/foo/bar", "http://example.org/foo/[61:27]/:foo"],
  ["http://[1::2]:3:4", null, null],
  ["http://2001::1", null, null],
  ["http://2001::1]", null, null],
  ["http://2001::1]:80", null, null],
  ["http://[2001::1]", null, "http://[2001::1]/"],
  ["http://[::127.0.0.1]", null, "http://[::7f00:1]/"],
  ["http://[0:0:0:0:0:0:13.1.68.3]", null, "http://[::d01:4403]/"],
  ["http://[2001::1]:80", null, "http://[2001::1]/"],
  ["http:/example.com/", "http://example.org/foo/bar", "http://example.org/example.com/"],
  ["ftp:/example.com/", "http://example.org/foo/bar", "ftp://example.com/"],
  ["madeupscheme:/example.com/", "http://example.org/foo/bar", "madeupscheme:/example.com/"],
  ["file:/example.com/", "http://example.org/foo/bar", "file:///example.com/"],
  ["ftps:/example.com/", "http://example.org/foo/bar", "ftps:/example.com/"],
  ["ws:/example.com/", "http://example.org/foo/bar", "ws://example.com/"],
  ["data:/example.com/", "http://example.org/foo/bar", "data:/example.com/"],
  ["javascript:/example.com/", "http://example.org/foo/bar", "javascript:/example.com/"],
  ["mailto:/example.com/", "http://example.org/foo/bar", "mailto:/example.com/"],
  ["http:example.com/", "http://example.org/foo/bar", "http://example.org/foo/example.com/"],
  ["ftp:example.com/", "http://example.org/foo/bar", "ftp://example.com/"],
  ["madeupscheme:example.com/", "http://example.org/foo/bar", "madeupscheme:example.com/"],
  ["/a/b/c", "http://example.org/foo/bar", "http://example.org/a/b/c"],
  ["/a/ /c", "http://example.org/foo/bar", "http://example.org/a/%20/c"],
  ["/a%2fc", "http://example.org/foo/bar", "http://example.org/a%2fc"],
  ["/a/%2f/c", "http://example.org/foo/bar", "http://example.org/a/%2f/c"],
  ["#β", "http://example.org/foo/bar", "http://example.org/foo/bar#%CE%B2"],
  ["data:text/html,test#test", "http://example.org/foo/bar", "data:text/html,test#test"],
  ["tel:1234567890", "http://example.org/foo/bar", "tel:1234567890"],
  ["ssh://example.com/foo/bar.git", "http://example.org/", "ssh://example.com/foo/bar.git"],
  ["file:c:\\foo\\bar.html", "file:///tmp/mock/path", "file:///c:/foo/bar.html"],
  ["  File:c|////foo\\bar.html", "file:///tmp/mock/path", "file:///c:////foo/bar.html"],
  ["C|/foo/bar", "file:///tmp/mock/path", "file:///C:/foo/bar"],
  ["/C|\\foo\\bar", "file:///tmp/mock/path", "file:///C:/foo/bar"],
  ["//C|/foo/bar", "file:///tmp/mock/path", "file:///C:/foo/bar"],
  ["//server/file", "file:///tmp/mock/path", "file://server/file"],
  ["\\\\server\\file", "file:///tmp/mock/path", "file://server/file"],
  ["/\\server/file", "file:///tmp/mock/path", "file://server/file"],
  ["file:///foo/bar.txt", "file:///tmp/mock/path", "file:///foo/bar.txt"],
  ["file:///home/me", "file:///tmp/mock/path", "file:///home/me"],
  ["//", "file:///tmp/mock/path", "file:///"],
  ["///", "file:///tmp/mock/path", "file:///"],
  ["///test", "file:///tmp/mock/path", "file:///test"],
  ["file://test", "file:///tmp/mock/path", "file://test/"],
  ["file://localhost", "file:///tmp/mock/path", "file:///"],
  ["file://localhost/", "file:///tmp/mock/path", "file:///"],
  ["file://localhost/test", "file:///tmp/mock/path", "file:///test"],
  ["test", "file:///tmp/mock/path", "file:///tmp/mock/test"],
  ["file:test", "file:///tmp/mock/path", "file:///tmp/mock/test"],
  ["file:///w|m", null, "file:///w|m"],
  ["file:///w||m", null, "file:///w||m"],
  ["file:///w|/m", null, "file:///w:/m"],
  ["file:C|/m/", null, "file:///C:/m/"],
  ["file:C||/m/", null, "file:///C||/m/"],
  ["file:..", "http://www.example.com/test", "file:///"],
  ["file://example.net/C:/", null, "file://example.net/C:/"],
  ["file://1.2.3.4/C:/", null, "file://1.2.3.4/C:/"],
  ["file://[1::8]/C:/", null, "file://[1::8]/C:/"],
  ["file:/C|/", null, "file:///C:/"],
  ["file://C|/", null, "file:///C:/"],
  ["/c:/foo/bar", "file:///c:/baz/qux", "file:///c:/foo/bar"],
  ["/c|/foo/bar", "file:///c:/baz/qux", "file:///c:/foo/bar"],
  ["file:\\c:\\foo\\bar", "file:///c:/baz/qux", "file:///c:/foo/bar"],
  ["/c:/foo/bar", "file://host/path", "file://host/c:/foo/bar"],
  ["file://LOCALHOST/x", null, "file:///x"],
  ["file://ExAmPlE.CoM/x", null, "file://example.com/x"],
  ["file://%41/x", null, "file://a/x"],
  ["..", "file://host/C:/", "file://host/C:/"],
  ["file:?q=v", null, "file:///?q=v"],
  ["file:#frag", null, "file:///#frag"],
  ["file:///C:/../..", null, "file:///C:/"],
  ["file://host/..", "file:///", "file://host/"],
  ["file:..", "file:///C:/a", "file:///C:/"],
  ["http://example.com/foo/../bar", null, "http://example.com/bar"],
  ["http://example.com/foo/%2e%2E/bar", null, "http://example.com/bar"],
  ["http://example.com/foo/%2e/bar", null, "http://example.com/foo/bar"],
  ["http://example.com/foo/.%2e/bar", null, "http://example.com/bar"],
  ["http://example.com/foo/%2e./bar", null, "http://example.com/bar"],
  ["http://example.com/foo/%2e%2", null, "http://example.com/foo/%2e%2"],
  ["http://example.com/foo/..bar", null, "http://example.com/foo/..bar"],
  ["http://example.com/foo/bar/..", null, "http://example.com/foo/"],
  ["http://example.com/foo/bar/.", null, "http://example.com/foo/bar/"],
  ["http://example.com////../..", null, "http://example.com//"],
  ["http://example.com/foo\\bar\\..\\baz", null, "http://example.com/foo/baz"],
  ["sc://h/a\\b/../c", null, "sc://h/c"],
  ["sc:/a/../../b", null, "sc:/b"],
  ["sc:/.//p", null, "sc:/.//p"],
  ["sc:/..//p", null, "sc:/.//p"],
  ["web+demo:/.//not-a-host/", null, "web+demo:/.//not-a-host/"],
  ["web+demo:/..//not-a-host/", null, "web+demo:/.//not-a-host/"],
  ["http://example.com/foo%", null, "http://example.com/foo%"],
  ["http://example.com/%zz%66%a.html", null, "http://example.com/%zz%66%a.html"],
  ["http://example.com/foo%41%7a", null, "http://example.com/foo%41%7a"],
  ["http://example.com/foo\u0091%91", null, "http://example.com/foo%C2%91%91"],
  ["http://example.com/foo%00%51", null, "http://example.com/foo%00%51"],
  ["http://example.com/(%28:%3A%29)", null, "http://example.com/(%28:%3A%29)"],
  ["http://example.com/%3A%3a%3C%3c", null, "http://example.com/%3A%3a%3C%3c"],
  ["http://example.com/foo\tbar", null, "http://example.com/foobar"],
  ["http://example.com\\\\foo\\\\bar", null, "http://example.com//foo//bar"],
  ["http://example.com/%7Ffp3>*<e'x", null, "http://example.com/%7Ffp3%3E*%3Ce'x"],
  ["http://example.com/@asdf%40", null, "http://example.com/@asdf%40"],
  ["http://example.com/你好你好", null, "http://example.com/%E4%BD%A0%E5%A5%BD%E4%BD%A0%E5%A5%BD"],
  ["http://example.com/\u2025/foo", null, "http://example.com/%E2%80%A5/foo"],
  ["http://example.com/\ufeff/foo", null, "http://example.com/%EF%BB%BF/foo"],
  ["http://example.com/\u202e/foo/\u202d/bar", null, "http://example.com/%E2%80%AE/foo/%E2%80%AD/bar"],
  ["http://www.google.com/foo?bar=baz#", null, "http://www.google.com/foo?bar=baz#"],
  ["http://www.google.com/foo?bar=baz# \u00bb", null, "http://www.google.com/foo?bar=baz#%20%C2%BB"],
  ["data:test# \u00bb", null, "data:test#%20%C2%BB"],
  ["http://www.google.com", null, "http://www.google.com/"],
  ["http://192.0x00A80001", null, "http://192.168.0.1/"],
  ["http://www/foo%2Ehtml", null, "http://www/foo%2Ehtml"],
  ["http://user:pass@/", null, null],
  ["http://%25DOMAIN:foobar@foodomain.com/", null, "http://%25DOMAIN:foobar@foodomain.com/"],
  ["http:\\\\www.google.com\\foo", null, "http://www.google.com/foo"],
  ["http://foo:80/", null, "http://foo/"],
  ["http://foo:81/", null, "http://foo:81/"],
  ["httpa://foo:80/", null, "httpa://foo:80/"],
  ["http://foo:-80/", null, null],
  ["https://foo:443/", null, "https://foo/"],
  ["https://foo:80/", null, "https://foo:80/"],
  ["ftp://foo:21/", null, "ftp://foo/"],
  ["ftp://foo:80/", null, "ftp://foo:80/"],
  ["gopher://foo:70/", null, "gopher://foo:70/"],
  ["ws://foo:80/", null, "ws://foo/"],
  ["ws://foo:81/", null, "ws://foo:81/"],
  ["ws://foo:443/", null, "ws://foo:443/"],
  ["wss://foo:443/", null, "wss://foo/"],
  ["wss://foo:80/", null, "wss://foo:80/"],
  ["http://example.com/?a=b c&d=é'\"<>`#f g", null, "http://example.com/?a=b%20c&d=%C3%A9%27%22%3C%3E`#f%20g"],
  ["sc://h/?a=b c&d=é'\"<>`#f g", null, "sc://h/?a=b%20c&d=%C3%A9'%22%3C%3E`#f%20g"],
  ["http://h/#a b`<>\"é\u0000", null, "http://h/#a%20b%60%3C%3E%22%C3%A9"],
  ["http://h/?\ud83d\ude00#\ud83d\ude00", null, "http://h/?%F0%9F%98%80#%F0%9F%98%80"],
  ["http://h/\ud800x", null, "http://h/%EF%BF%BDx"],
  ["http://h/p?q\u0000\u001f\u007f", null, "http://h/p?q%00%1F%7F"],
  ["http://h/{}|^`", null, "http://h/%7B%7D|%5E%60"], // node 20: ^ not encoded in paths
  ["http://0x7f.0.0.1/", null, "http://127.0.0.1/"],
  ["http://0177.0.0.1/", null, "http://127.0.0.1/"],
  ["http://127.1/", null, "http://127.0.0.1/"],
  ["http://127.0.1/", null, "http://127.0.0.1/"],
  ["http://2130706433/", null, "http://127.0.0.1/"],
  ["http://0x7f000001/", null, "http://127.0.0.1/"],
  ["http://017700000001/", null, "http://127.0.0.1/"],
  ["http://4294967295/", null, "http://255.255.255.255/"],
  ["http://4294967296/", null, null],
  ["http://256.0.0.1/", null, null],
  ["http://1.2.3.256/", null, null],
  ["http://1.2.65536/", null, null],
  ["http://1.2.65535/", null, "http://1.2.255.255/"],
  ["http://1.2.3.4./", null, "http://1.2.3.4/"],
  ["http://1.2.3.4../", null, "http://1.2.3.4../"],
  ["http://1.2.3.4.5/", null, null],
  ["http://0x/", null, "http://0.0.0.0/"],
  ["http://0x.0x.0/", null, "http://0.0.0.0/"],
  ["http://00x/", null, "http://00x/"],
  ["http://09/", null, null],
  ["http://0x1g/", null, "http://0x1g/"],
  ["http://foo.09/", null, null],
  ["http://foo.0x4/", null, null],
  ["http://foo.1.2/", null, null],
  ["http://1.2.foo/", null, "http://1.2.foo/"],
  ["http://%30%78%63%30%2e%30%32%35%30.01/", null, "http://192.168.0.1/"],
  ["http://10.0.0.0x/", null, "http://10.0.0.0/"],
  ["http://\uff11.\uff12.\uff13.\uff14/", null, "http://1.2.3.4/"],
  ["sc://1.2.3.4/", null, "sc://1.2.3.4/"],
  ["sc://0x7f.1/", null, "sc://0x7f.1/"],
  ["http://[1:0::]", null, "http://[1::]/"],
  ["http://[0:0:0:0:0:0:0:1]/", null, "http://[::1]/"],
  ["http://[0:1:0:0:1:0:0:0]/", null, "http://[0:1:0:0:1::]/"],
  ["http://[1:0:0:2:0:0:0:3]/", null, "http://[1:0:0:2::3]/"],
  ["http://[1:0:0:2::3:0]/", null, "http://[1::2:0:0:3:0]/"],
  ["http://[::ffff:192.168.0.1]/", null, "http://[::ffff:c0a8:1]/"],
  ["http://[::1.2.3.4x]/", null, null],
  ["http://[::1.2.3.]/", null, null],
  ["http://[::1.2.]/", null, null],
  ["http://[::1.]/", null, null],
  ["http://[::1.2.3.4.5]/", null, null],
  ["http://[::01.2.3.4]/", null, null],
  ["http://[::256.2.3.4]/", null, null],
  ["http://[1:2:3:4:5:6:7:1.2.3.4]/", null, null],
  ["http://[1:2:3:4:5:6:1.2.3.4]/", null, "http://[1:2:3:4:5:6:102:304]/"],
  ["http://[0::0::0]/", null, null],
  ["http://[0:.0]/", null, null],
  ["http://[0:0:]/", null, null],
  ["http://[0:1:2:3:4:5:6:7.0.0.0.1]/", null, null],
  ["http://[::1:2:3:4:5:6:7:8]/", null, null],
  ["http://[1:2:3:4:5:6:7:8:9]/", null, null],
  ["http://[:1]/", null, null],
  ["http://[1:]/", null, null],
  ["http://[12345::]/", null, null],
  ["http://[ABCD::EF]/", null, "http://[abcd::ef]/"],
  ["http://[::]/", null, "http://[::]/"],
  ["http://[::1]:8080/", null, "http://[::1]:8080/"],
  ["http://[::1]x/", null, null],
  ["http://[::1", null, null],
  ["sc://[::1]/", null, "sc://[::1]/"],
  ["sc://[:1]/", null, null],
  ["http://ExAmPlE.CoM/", null, "http://example.com/"],
  ["http://example.com./", null, "http://example.com./"],
  ["http://a..b/", null, "http://a..b/"],
  ["http://a b/", null, null],
  ["http://a<b/", null, null],
  ["http://a>b/", null, null],
  ["http://a^b/", null, null],
  ["http://a|b/", null, null],
  ["http://a%b/", null, null],
  ["http://a%41b/", null, "http://aab/"],
  ["http://a%2fb/", null, null],
  ["http://a%00b/", null, null],
  ["http://a\u007fb/", null, null],
  ["http://%/", null, null],
  ["http://%25/", null, null],
  ["http://%zz/", null, null],
  ["http://\u0000/", null, null],
  ["sc://a b/", null, null],
  ["sc://a%b/", null, "sc://a%b/"],
  ["sc://a<b/", null, null],
  ["sc://é/", null, "sc://%C3%A9/"],
  ["sc://ExAmPlE/", null, "sc://ExAmPlE/"],
  ["sc://a^b/", null, null],
  ["http://münchen.de/", null, "http://xn--mnchen-3ya.de/"],
  ["http://MÜNCHEN.de/", null, "http://xn--mnchen-3ya.de/"],
  ["http://faß.ExAmPlE/", null, "http://xn--fa-hia.example/"],
  ["http://日本語.jp/", null, "http://xn--wgv71a119e.jp/"],
  ["http://пример.рф/", null, "http://xn--e1afmkfd.xn--p1ai/"],
  ["http://xn--mnchen-3ya.de/", null, "http://xn--mnchen-3ya.de/"],
  ["http://\uff27\uff2f.com/", null, "http://go.com/"],
  ["http://a\u3002b/", null, "http://a.b/"],
  ["http://a\u00adb/", null, "http://ab/"],
  ["http://a\u200bb/", null, "http://ab/"],
  ["http://%C3%A9.com/", null, "http://xn--9ca.com/"],
  ["http://\u2163.com/", null, "http://iv.com/"],
  ["http://\ud83d\ude00.com/", null, "http://xn--e28h.com/"],
  ["http://a\u00a0b/", null, null],
  ["http://\ufffd/", null, null],
  ["http://%ef%bf%bd/", null, null],
  ["http://\u0301a/", null, null],
  ["http://a\u0301/", null, "http://xn--1ca/"],
  ["http://\u0378/", null, null],
  ["http://\ue000/", null, null],
  ["http://\ufdd0/", null, null],
  ["http://a\u200db/", null, null],
  ["http://xn--/", null, "http://xn--/"], // node 20: failure (ASCII hosts are not Punycode-checked now)
  ["http://XN--MNCHEN-3YA.de/", null, "http://xn--mnchen-3ya.de/"],
  ["http://example.com:65535/", null, "http://example.com:65535/"],
  ["http://example.com:65536/", null, null],
  ["http://example.com:+80/", null, null],
  ["http://example.com: 80/", null, null],
  ["mailto:x", null, "mailto:x"],
  ["mailto:user@example.com?subject=hi there#frag", null, "mailto:user@example.com?subject=hi%20there#frag"],
  ["javascript:alert(1)", null, "javascript:alert(1)"],
  ["data:text/plain,a b", null, "data:text/plain,a b"],
  ["sc:a b", null, "sc:a b"],
  ["sc:a b ?q", null, "sc:a b%20?q"], // node 20: "sc:a b ?q"
  ["sc:a b #f", null, "sc:a b%20#f"], // node 20: "sc:a b #f"
  ["sc:\u0000\u007fé", null, "sc:%00%7F%C3%A9"],
  ["about:blank", null, "about:blank"],
  ["blob:https://example.com/uuid", null, "blob:https://example.com/uuid"],
  ["urn:isbn:0451450523", null, "urn:isbn:0451450523"],
  ["sc://u:p@h:8/p?q#f", null, "sc://u:p@h:8/p?q#f"],
  ["sc://h", null, "sc://h"],
  ["sc://", null, "sc://"],
  ["sc:///", null, "sc:///"],
  ["sc:////x", null, "sc:////x"],
  ["sc://h/a/./b/../c", null, "sc://h/a/c"],
  ["#x", "sc:opaque", "sc:opaque#x"],
  ["x", "sc:opaque", null],
  ["?x", "sc:opaque", null],
  ["", "sc:opaque", null],
  ["x", "sc://h/a/b", "sc://h/a/x"],
  ["/x", "sc://h/a/b", "sc://h/x"],
  ["//x/y", "sc://h/a/b", "sc://x/y"],
  ["x", "sc:/a/b", "sc:/a/x"],
  ["\\x", "sc://h/a/", "sc://h/a/\\x"],
  ["1x:y", null, null],
  ["a+b.c-d:e", null, "a+b.c-d:e"],
  ["a_b:c", null, null],
  ["HTTP://X", null, "http://x/"],
  ["http:", null, null],
  ["http:/", null, null],
  ["http://", null, null],
  ["http:///", null, null],
  ["http://@/", null, null],
  ["http://a@/", null, null],
  ["http://:@/", null, null],
  ["http://user@/www.example.com", null, null],
  ["http://a:b@c:d", null, null],
  ["http:/:@/www.example.com", null, null],
  ["https://@@@example", null, "https://%40%40@example/"],
  ["http://`{}:`{}@h/`{}?`{}", null, "http://%60%7B%7D:%60%7B%7D@h/%60%7B%7D?`{}"],
];
{
  for (const [input, base, expected] of URL_CASES) {
    let actual;
    try {
      actual = (base === null ? new URL(input) : new URL(input, base)).href;
    } catch (e) {
      actual = e instanceof TypeError ? null : `threw ${e}`;
    }
    eq(`URL ${esc(input)}${base === null ? '' : ` against ${esc(base)}`}`, actual, expected);
  }
  const parts = (u) => [u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin].join('|');
  eq('components', parts(new URL('https://us%20er:p@ss@EXAMPLE.com:8443/a/b?q=1#f')),
    'https:|us%20er|p%40ss|example.com:8443|example.com|8443|/a/b|?q=1|#f|https://example.com:8443');
  eq('components, default port', parts(new URL('ws://h:80/')), 'ws:|||h|h||/|||ws://h');
  eq('components, IPv6', parts(new URL('http://[::1]:81')), 'http:|||[::1]:81|[::1]|81|/|||http://[::1]:81');
  eq('components, empty query and fragment', parts(new URL('http://h/?#')), 'http:|||h|h||/|||http://h');
  eq('components, opaque path', parts(new URL('mailto:a@b?x#y')), 'mailto:||||||a@b|?x|#y|null');
  eq('components, file', parts(new URL('file:///C:/x')), 'file:||||||/C:/x|||null');
  eq('components, no host', parts(new URL('sc:/a')), 'sc:||||||/a|||null');
  eq('origin of blob:https', new URL('blob:https://a.com:8/uuid').origin, 'https://a.com:8');
  eq('origin of blob:ftp', new URL('blob:ftp://a.com/x').origin, 'null');
  eq('origin of blob:bad', new URL('blob:bad').origin, 'null');
  eq('origin of ftp', new URL('ftp://x:21/').origin, 'ftp://x');
  const u = new URL('http://h/p?q');
  eq('toString', String(u), 'http://h/p?q');
  eq('toJSON', JSON.stringify({ u }), '{"u":"http://h/p?q"}');
  eq('URL() needs an argument', thrown(() => new URL()), 'TypeError');
  eq('invalid base', thrown(() => new URL('x', 'not a url')), 'TypeError');
  eq('relative without base', thrown(() => new URL('/x')), 'TypeError');
  eq('base as URL object', new URL('y', new URL('http://h/a/b')).href, 'http://h/a/y');
  eq('input as object with toString', new URL({ toString: () => 'http://o/' }).href, 'http://o/');
  eq('symbol input', thrown(() => new URL(Symbol('x'))), 'TypeError');
  eq('error message', (() => { try { new URL('http://['); } catch (e) { return e.message; } })(), 'Invalid URL: http://[');
}

// ---- URL setters ------------------------------------------------------------
// [URL, attribute, new value, expected href]
const SETTER_CASES = [
  ["http://u:p@example.com:8080/a/b?x=1#f", 'protocol', "https", "https://u:p@example.com:8080/a/b?x=1#f"],
  ["http://u:p@example.com:8080/a/b?x=1#f", 'protocol', "HTTPS:", "https://u:p@example.com:8080/a/b?x=1#f"],
  ["http://u:p@example.com:8080/a/b?x=1#f", 'protocol', "ws:x", "ws://u:p@example.com:8080/a/b?x=1#f"],
  ["http://u:p@example.com:8080/a/b?x=1#f", 'protocol', "ftp://", "ftp://u:p@example.com:8080/a/b?x=1#f"],
  ["http://u:p@example.com:8080/a/b?x=1#f", 'protocol', "file", "http://u:p@example.com:8080/a/b?x=1#f"],
  ["http://u:p@example.com:8080/a/b?x=1#f", 'protocol', "sc", "http://u:p@example.com:8080/a/b?x=1#f"],
  ["http://u:p@example.com:8080/a/b?x=1#f", 'protocol', "1x", "http://u:p@example.com:8080/a/b?x=1#f"],
  ["http://u:p@example.com:8080/a/b?x=1#f", 'protocol', "a+b", "http://u:p@example.com:8080/a/b?x=1#f"],
  ["http://u:p@example.com:8080/a/b?x=1#f", 'protocol', " http", "http://u:p@example.com:8080/a/b?x=1#f"],
  ["sc://h:9/p?q#f", 'protocol', "http", "sc://h:9/p?q#f"],
  ["sc://h:9/p?q#f", 'protocol', "other", "other://h:9/p?q#f"],
  ["sc://h:9/p?q#f", 'protocol', "file", "sc://h:9/p?q#f"],
  ["file:///C:/a", 'protocol', "http", "file:///C:/a"],
  ["file:///C:/a", 'protocol', "sc", "file:///C:/a"],
  ["http://example.com:21/", 'protocol', "ftp", "ftp://example.com/"],
  ["http://example.com/", 'username', "me", "http://me@example.com/"],
  ["http://example.com/", 'username', "a b@c:d", "http://a%20b%40c%3Ad@example.com/"],
  ["http://example.com/", 'username', "é", "http://%C3%A9@example.com/"],
  ["http://example.com/", 'username', "%41", "http://%41@example.com/"],
  ["http://example.com/", 'username', ":/?#[]@", "http://%3A%2F%3F%23%5B%5D%40@example.com/"],
  ["http://example.com/", 'username', "", "http://example.com/"],
  ["http://u@example.com/", 'password', "pw", "http://u:pw@example.com/"],
  ["http://u@example.com/", 'password', "a:b", "http://u:a%3Ab@example.com/"],
  ["http://u@example.com/", 'password', "é/", "http://u:%C3%A9%2F@example.com/"],
  ["http://u@example.com/", 'password', "", "http://u@example.com/"],
  ["file:///x", 'username', "me", "file:///x"],
  ["sc:opaque", 'password', "x", "sc:opaque"],
  ["http://[::1]/", 'username', "u", "http://u@[::1]/"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "x.com", "http://u:p@x.com:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "x.com:99", "http://u:p@x.com:99/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "x.com:", "http://u:p@x.com:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "x.com:abc", "http://u:p@x.com:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "X.COM:80", "http://u:p@x.com/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "[::2]:3", "http://u:p@[::2]:3/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "[::2", "http://u:p@example.com:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "a b", "http://u:p@example.com:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "a/b", "http://u:p@a:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "a?b", "http://u:p@a:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "a#b", "http://u:p@a:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "a\\b", "http://u:p@a:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "münchen.de", "http://u:p@xn--mnchen-3ya.de:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "1.2.3", "http://u:p@1.2.0.3:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', ":8", "http://u:p@example.com:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "h:65536", "http://u:p@h:8080/a?x#f"],
  ["http://u:p@example.com:8080/a?x#f", 'host', "", "http://u:p@example.com:8080/a?x#f"],
  ["sc://h:9/p", 'host', "", "sc://h:9/p"],
  ["sc://h:9/p", 'host', "x", "sc://x:9/p"],
  ["sc://h:9/p", 'host', "a b", "sc://h:9/p"],
  ["sc://h:9/p", 'host', "é:1", "sc://%C3%A9:1/p"],
  ["sc://h", 'host', "", "sc://"],
  ["sc:opaque", 'host', "x", "sc:opaque"],
  ["file://h/x", 'host', "localhost", "file:///x"],
  ["file://h/x", 'host', "y:1", "file://h/x"],
  ["file://h/x", 'host', "", "file:///x"],
  ["http://example.com:8080/", 'hostname', "x.com", "http://x.com:8080/"],
  ["http://example.com:8080/", 'hostname', "x.com:99", "http://example.com:8080/"],
  ["http://example.com:8080/", 'hostname', "[::2]", "http://[::2]:8080/"],
  ["http://example.com:8080/", 'hostname', "a/b/c", "http://a:8080/"],
  ["http://example.com:8080/", 'hostname', "EXAMPLE", "http://example:8080/"],
  ["http://example.com:8080/", 'hostname', "0x10", "http://0.0.0.16:8080/"],
  ["http://example.com:8080/", 'hostname', "%zz", "http://example.com:8080/"],
  ["http://example.com:8080/", 'hostname', "", "http://example.com:8080/"],
  ["http://example.com/", 'port', "0", "http://example.com:0/"],
  ["http://example.com/", 'port', "80", "http://example.com/"],
  ["http://example.com/", 'port', "8080", "http://example.com:8080/"],
  ["http://example.com/", 'port', "8080abc", "http://example.com:8080/"],
  ["http://example.com/", 'port', "abc", "http://example.com/"],
  ["http://example.com/", 'port', "65535", "http://example.com:65535/"],
  ["http://example.com/", 'port', "65536", "http://example.com/"],
  ["http://example.com/", 'port', " 1", "http://example.com/"],
  ["http://example.com/", 'port', "", "http://example.com/"],
  ["http://example.com/", 'port', "99999999999999", "http://example.com/"],
  ["https://example.com:8080/", 'port', "443", "https://example.com/"],
  ["https://example.com:8080/", 'port', "", "https://example.com/"],
  ["ftp://h/", 'port', "21", "ftp://h/"],
  ["ftp://h/", 'port', "22", "ftp://h:22/"],
  ["sc://h/", 'port', "80", "sc://h:80/"],
  ["sc://h/", 'port', "1a", "sc://h:1/"],
  ["file:///x", 'port', "1", "file:///x"],
  ["http://example.com/a/b?q#f", 'pathname', "", "http://example.com/?q#f"],
  ["http://example.com/a/b?q#f", 'pathname', "/", "http://example.com/?q#f"],
  ["http://example.com/a/b?q#f", 'pathname', "x/y", "http://example.com/x/y?q#f"],
  ["http://example.com/a/b?q#f", 'pathname', "/a/../b", "http://example.com/b?q#f"],
  ["http://example.com/a/b?q#f", 'pathname', "\\x\\y", "http://example.com/x/y?q#f"],
  ["http://example.com/a/b?q#f", 'pathname', " a ", "http://example.com/%20a%20?q#f"],
  ["http://example.com/a/b?q#f", 'pathname', "?#", "http://example.com/%3F%23?q#f"],
  ["http://example.com/a/b?q#f", 'pathname', "é", "http://example.com/%C3%A9?q#f"],
  ["http://example.com/a/b?q#f", 'pathname', "%2e%2e", "http://example.com/?q#f"],
  ["http://example.com/a/b?q#f", 'pathname', "//x", "http://example.com//x?q#f"],
  ["sc://h/a", 'pathname', "", "sc://h"],
  ["sc://h/a", 'pathname', "x", "sc://h/x"],
  ["sc://h/a", 'pathname', "\\x", "sc://h/\\x"],
  ["sc://h/a", 'pathname', "/./", "sc://h/"],
  ["sc:opaque", 'pathname', "x", "sc:opaque"],
  ["file:///C:/a", 'pathname', "/..", "file:///"],
  ["file:///C:/a", 'pathname', "D|/x", "file:///D:/x"],
  ["sc:", 'pathname', "/x", "sc:"],
  ["sc:", 'pathname', "//x", "sc:"],
  ["http://example.com/p?x=1#f", 'search', "", "http://example.com/p#f"],
  ["http://example.com/p?x=1#f", 'search', "?", "http://example.com/p?#f"],
  ["http://example.com/p?x=1#f", 'search', "a=b", "http://example.com/p?a=b#f"],
  ["http://example.com/p?x=1#f", 'search', "?a=b c", "http://example.com/p?a=b%20c#f"],
  ["http://example.com/p?x=1#f", 'search', "??", "http://example.com/p??#f"],
  ["http://example.com/p?x=1#f", 'search', "#", "http://example.com/p?%23#f"],
  ["http://example.com/p?x=1#f", 'search', "'", "http://example.com/p?%27#f"],
  ["http://example.com/p?x=1#f", 'search', "é", "http://example.com/p?%C3%A9#f"],
  ["sc://h/p?x#f", 'search', "'", "sc://h/p?'#f"],
  ["sc://h/p?x#f", 'search', "a b", "sc://h/p?a%20b#f"],
  ["sc:a b #f", 'hash', "", "sc:a b%20"], // node 20: "sc:a b"
  ["sc:a b ?q", 'search', "", "sc:a b%20"], // node 20: "sc:a b"
  ["http://example.com/p#f", 'hash', "", "http://example.com/p"],
  ["http://example.com/p#f", 'hash', "#", "http://example.com/p#"],
  ["http://example.com/p#f", 'hash', "x", "http://example.com/p#x"],
  ["http://example.com/p#f", 'hash', "#x y", "http://example.com/p#x%20y"],
  ["http://example.com/p#f", 'hash', "##", "http://example.com/p##"],
  ["http://example.com/p#f", 'hash', "é", "http://example.com/p#%C3%A9"],
  ["http://example.com/p#f", 'hash', "`", "http://example.com/p#%60"],
  ["http://example.com/", 'href', "http://new/", "http://new/"],
  ["http://example.com/", 'href', "sc:x", "sc:x"],
  ["http://example.com/", 'href', "/relative", null],
  ["http://example.com/", 'href', "", null],
];
{
  for (const [href, attr, value, expected] of SETTER_CASES) {
    const u = new URL(href);
    let actual;
    try {
      u[attr] = value;
      actual = u.href;
    } catch (e) {
      actual = e instanceof TypeError ? null : `threw ${e}`;
    }
    eq(`${esc(href)}.${attr} = ${esc(value)}`, actual, expected);
  }
  const u = new URL('http://h/');
  u.port = 8080;
  eq('port set from a number', u.port, '8080');
  u.hash = '#';
  eq('hash "#" gives an empty fragment', `${u.hash}|${u.href}`, '|http://h:8080/#');
  u.search = '?';
  eq('search "?" gives an empty query', `${u.search}|${u.href}`, '|http://h:8080/?#');
}

// ---- URL.searchParams, URLSearchParams ----------------------------------------
{
  const u = new URL('http://h/p?a=1&b=2#f');
  const sp = u.searchParams;
  eq('searchParams is the same object', u.searchParams, sp);
  eq('searchParams reflects the query', sp.get('b'), '2');
  sp.append('c', 'x y');
  eq('append updates the URL', u.href, 'http://h/p?a=1&b=2&c=x+y#f');
  sp.delete('a');
  eq('delete updates the URL', u.search, '?b=2&c=x+y');
  u.search = '?z=%41&z=2';
  eq('search setter updates the params', JSON.stringify(sp.getAll('z')), '["A","2"]');
  u.href = 'http://other/?k=v';
  eq('href setter updates the params', `${sp.get('k')}|${sp.size}|${u.searchParams === sp}`, 'v|1|true');
  sp.delete('k');
  eq('no params: no query', u.href, 'http://other/');
  u.search = 'q=1';
  sp.sort();
  eq('sort keeps the link', u.href, 'http://other/?q=1');
  u.search = '';
  eq('empty search empties the params', sp.size, 0);
  const o = new URL('sc:opaque ?x');
  o.searchParams.delete('x');
  eq('deleting the last param of an opaque URL', o.href, 'sc:opaque%20');
  const e = new URL('http://h/?a=b%20c+d&e');
  eq('query parse is not reserialized until modified', e.search, '?a=b%20c+d&e');
  e.searchParams.set('x', '1');
  eq('modified query is reserialized', e.search, '?a=b+c+d&e=&x=1');
}
{
  const list = (p) => JSON.stringify([...p]);
  const parseCases = [
    ['a=1&b=2&a=3', '[["a","1"],["b","2"],["a","3"]]'], ['?a=1', '[["a","1"]]'], ['??a=1', '[["?a","1"]]'],
    ['a+b=c+d', '[["a b","c d"]]'], ['a%2Bb=%2b', '[["a+b","+"]]'], ['%zz=%', '[["%zz","%"]]'],
    ['%e2%82%ac=%F0%9F%98%80', '[["\u20ac","\ud83d\ude00"]]'], ['%e2%82=%ff', '[["\ufffd","\ufffd"]]'],
    ['a=b=c', '[["a","b=c"]]'], ['&&a&&', '[["a",""]]'], ['=x', '[["","x"]]'], ['x=', '[["x",""]]'], ['=', '[["",""]]'],
    ['\u00e9=\ud83d\ude00', '[["\u00e9","\ud83d\ude00"]]'], ['a\ud800=1', '[["a\ufffd","1"]]'], ['', '[]'],
  ];
  for (const [init, expected] of parseCases) eq(`URLSearchParams(${esc(init)})`, esc(list(new URLSearchParams(init))), esc(expected));
  eq('from a record', list(new URLSearchParams({ a: 1, b: 'x y' })), '[["a","1"],["b","x y"]]');
  eq('from a sequence', list(new URLSearchParams([['a', 1], new Set(['b', 'c'])])), '[["a","1"],["b","c"]]');
  eq('from a Map', list(new URLSearchParams(new Map([['k', 'v']]))), '[["k","v"]]');
  eq('from URLSearchParams', list(new URLSearchParams(new URLSearchParams('x=1&y=2'))), '[["x","1"],["y","2"]]');
  eq('from an object with toString... is a record', list(new URLSearchParams({ toString: () => 'q=1' })).slice(0, 13), '[["toString",');
  eq('from null', list(new URLSearchParams(null)), '[["null",""]]');
  eq('from undefined', list(new URLSearchParams(undefined)), '[]');
  eq('pair with 1 item', thrown(() => new URLSearchParams([['a']])), 'TypeError');
  eq('pair with 3 items', thrown(() => new URLSearchParams([['a', 'b', 'c']])), 'TypeError');
  eq('pair not iterable', thrown(() => new URLSearchParams([1])), 'TypeError');
  eq('record with a symbol key', thrown(() => new URLSearchParams({ [Symbol('s')]: 1 })), 'TypeError');

  const p = new URLSearchParams();
  p.append('a b', 'é~!*()\'_-.');
  p.append('&=+%', '\u0000\u007f/?#');
  p.append('\ud83d\ude00', '\ud800');
  eq('serializer', p.toString(), 'a+b=%C3%A9%7E%21*%28%29%27_-.&%26%3D%2B%25=%00%7F%2F%3F%23&%F0%9F%98%80=%EF%BF%BD');
  eq('serializer round trip', list(new URLSearchParams(p.toString())), list(p));

  const q = new URLSearchParams('a=1&b=2&a=3&c=4&a=5');
  eq('get first', q.get('a'), '1');
  eq('get missing', q.get('z'), null);
  eq('getAll', JSON.stringify(q.getAll('a')), '["1","3","5"]');
  eq('has', `${q.has('b')},${q.has('z')},${q.has('a', '3')},${q.has('a', '4')}`, 'true,false,true,false');
  eq('size', q.size, 5);
  q.delete('a', '3');
  eq('delete with value', q.toString(), 'a=1&b=2&c=4&a=5');
  q.set('a', 'x');
  eq('set replaces the first, removes the others', q.toString(), 'a=x&b=2&c=4');
  q.set('d', 'y');
  eq('set appends when missing', q.toString(), 'a=x&b=2&c=4&d=y');
  q.delete('b');
  eq('delete', q.toString(), 'a=x&c=4&d=y');
  const s = new URLSearchParams('z=1&b=2&\ud83d\ude00=3&a=4&b=1&\uffff=5&\u00e9=6&a=0&=7');
  s.sort();
  eq('sort: stable, by code units', esc(s.toString()), esc('=7&a=4&a=0&b=2&b=1&z=1&%C3%A9=6&%F0%9F%98%80=3&%EF%BF%BF=5'));
  const seen = [];
  const r = new URLSearchParams('a=1&b=2&c=3');
  r.forEach(function (value, name, obj) {
    seen.push(`${name}=${value}`, this === r, obj === r);
    if (name === 'a') obj.delete('b');
  }, r);
  eq('forEach (live, thisArg, arguments)', seen.join(','), 'a=1,true,true,c=3,true,true');
  eq('forEach needs a function', thrown(() => r.forEach(1)), 'TypeError');
  const it = new URLSearchParams('a=1&b=2&c=3');
  const keys = [];
  for (const [k] of it) {
    keys.push(k);
    if (k === 'a') it.delete('a');
  }
  eq('iteration is live', keys.join(), 'a,c');
  eq('keys', [...new URLSearchParams('a=1&b=2').keys()].join(), 'a,b');
  eq('values', [...new URLSearchParams('a=1&b=2').values()].join(), '1,2');
  eq('entries', JSON.stringify([...new URLSearchParams('a=1').entries()]), '[["a","1"]]');
  eq('@@iterator is entries', URLSearchParams.prototype[Symbol.iterator], URLSearchParams.prototype.entries);
  const iter = new URLSearchParams('a=1').keys();
  eq('iterator toStringTag', Object.prototype.toString.call(iter), '[object URLSearchParams Iterator]');
  eq('iterator is iterable', iter[Symbol.iterator](), iter);
  eq('iterator next', JSON.stringify([iter.next(), iter.next()]), '[{"value":"a","done":false},{"done":true}]');
  eq('iterator next brand check', thrown(() => iter.next.call({})), 'TypeError');
  eq('append needs 2 arguments', thrown(() => new URLSearchParams().append('a')), 'TypeError');
  eq('get needs 1 argument', thrown(() => new URLSearchParams().get()), 'TypeError');
  eq('values are USVStrings', new URLSearchParams([['a', 5]]).get('a'), '5');
}

// ---- structuredClone --------------------------------------------------------
{
  const sc = structuredClone;
  for (const v of [undefined, null, true, false, 0, -0, 1.5, NaN, Infinity, '', 'str', 10n, -(2n ** 70n)]) {
    eq(`primitive ${typeof v} ${String(v)}`, sc(v), v);
  }
  eq('symbol', thrown(() => sc(Symbol('s'))), 'DOMException DataCloneError');
  eq('DataCloneError code', (() => { try { sc(() => 1); } catch (e) { return e.code; } })(), 25);
  const wrappers = [new Boolean(false), new Number(-0), new String('s'), Object(5n)];
  for (const w of wrappers) {
    const c = sc(w);
    eq(`wrapper ${Object.prototype.toString.call(w)}`, `${typeof c}|${Object.prototype.toString.call(c)}|${c !== w}|${Object.is(c.valueOf(), w.valueOf())}`,
      `object|${Object.prototype.toString.call(w)}|true|true`);
  }
  const date = new Date(1234567890123);
  eq('Date', `${sc(date) !== date}|${sc(date).getTime()}|${sc(date) instanceof Date}`, 'true|1234567890123|true');
  eq('invalid Date', Number.isNaN(sc(new Date(NaN)).getTime()), true);
  const re = /a+b/giu;
  re.lastIndex = 3;
  const cre = sc(re);
  eq('RegExp', `${cre !== re}|${cre.source}|${cre.flags}|${cre.lastIndex}|${cre instanceof RegExp}`, 'true|a+b|giu|0|true');

  const buf = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer;
  const cbuf = sc(buf);
  new Uint8Array(buf)[0] = 99;
  eq('ArrayBuffer is copied', `${cbuf instanceof ArrayBuffer}|${cbuf !== buf}|${hex(new Uint8Array(cbuf))}`, 'true|true|01 02 03 04 05 06 07 08');
  const u8 = new Uint8Array(buf, 2, 4);
  const u16 = new Uint16Array(buf, 2, 2);
  const dv = new DataView(buf, 1, 3);
  const c = sc({ u8, u16, dv, buf });
  eq('typed array kind, offset, length', `${c.u8 instanceof Uint8Array}|${c.u8.byteOffset}|${c.u8.length}|${c.u8.buffer.byteLength}`, 'true|2|4|8');
  eq('views of one buffer share the clone', `${c.u8.buffer === c.u16.buffer}|${c.dv.buffer === c.buf}|${c.buf !== buf}`, 'true|true|true');
  eq('DataView', `${c.dv instanceof DataView}|${c.dv.byteOffset}|${c.dv.byteLength}`, 'true|1|3');
  c.u8[0] = 0xAA;
  eq('cloned views alias each other', hex(new Uint8Array(c.buf)), '63 02 aa 04 05 06 07 08');
  eq('Float64Array', sc(new Float64Array([1.5, -0]))[0], 1.5);
  eq('BigInt64Array', sc(new BigInt64Array([-5n]))[0], -5n);
  eq('Uint8ClampedArray', Object.prototype.toString.call(sc(new Uint8ClampedArray(2))), '[object Uint8ClampedArray]');

  const key = { k: 1 };
  const m = new Map([[key, 'v'], ['self', null]]);
  m.set('self', m);
  const cm = sc(m);
  eq('Map', `${cm instanceof Map}|${cm !== m}|${cm.size}|${cm.get('self') === cm}`, 'true|true|2|true');
  eq('Map object keys are cloned', [...cm.keys()][0].k, 1);
  const set = new Set([1, 'a', key]);
  set.add(set);
  const cs = sc(set);
  eq('Set', `${cs instanceof Set}|${cs.size}|${cs.has(cs)}|${cs.has(1)}`, 'true|4|true|true');

  const err = new TypeError('bad thing');
  const cerr = sc(err);
  eq('TypeError', `${cerr instanceof TypeError}|${cerr.name}|${cerr.message}|${cerr !== err}|${cerr.stack === err.stack}`, 'true|TypeError|bad thing|true|true');
  const custom = new RangeError('r');
  custom.name = 'MyError';
  eq('unknown error name becomes Error', `${sc(custom).constructor === Error}|${sc(custom).name}`, 'true|Error');
  eq('error without message', Object.prototype.hasOwnProperty.call(sc(new Error()), 'message'), false);
  eq('error extra properties are dropped', sc(Object.assign(new Error('x'), { code: 1 })).code, undefined);
  for (const E of [EvalError, RangeError, ReferenceError, SyntaxError, URIError]) eq(`${E.name} kept`, sc(new E('m')) instanceof E, true);
  const dex = sc(new DOMException('m', 'AbortError'));
  eq('DOMException', `${dex instanceof DOMException}|${dex.name}|${dex.message}|${dex.code}`, 'true|AbortError|m|20');

  class Point {
    constructor() { this.x = 1; }
    get y() { return 2; }
  }
  const cp = sc(new Point());
  eq('class instance becomes a plain object', `${Object.getPrototypeOf(cp) === Object.prototype}|${JSON.stringify(cp)}`, 'true|{"x":1}');
  const withGetter = { get g() { return 'got'; } };
  eq('getters are read', JSON.stringify(Object.getOwnPropertyDescriptor(sc(withGetter), 'g')), '{"value":"got","writable":true,"enumerable":true,"configurable":true}');
  const hidden = Object.defineProperty({ a: 1 }, 'h', { value: 2, enumerable: false });
  hidden[Symbol('s')] = 3;
  eq('non-enumerable and symbol keys are dropped', JSON.stringify(Reflect.ownKeys(sc(hidden)).map(String)), '["a"]');
  const proto = sc(JSON.parse('{"__proto__": {"x": 1}}'));
  eq('own __proto__ key stays a property', `${Object.getPrototypeOf(proto) === Object.prototype}|${proto.__proto__.x}|${Object.keys(proto)}`, 'true|1|__proto__');
  const holes = [1, , 3]; // eslint-disable-line no-sparse-arrays
  holes.extra = 'e';
  const ch = sc(holes);
  eq('array holes and extra properties', `${Array.isArray(ch)}|${ch.length}|${1 in ch}|${ch[2]}|${ch.extra}`, 'true|3|false|3|e');
  eq('array length', sc(new Array(5)).length, 5);
  const shared = { s: 1 };
  const cyc = { a: shared, b: shared, list: [shared] };
  cyc.self = cyc;
  cyc.list.push(cyc.list);
  const cc = sc(cyc);
  eq('shared references stay shared', `${cc.a === cc.b}|${cc.a === cc.list[0]}|${cc.a !== shared}`, 'true|true|true');
  eq('cycles', `${cc.self === cc}|${cc.list[1] === cc.list}`, 'true|true');

  eq('function', thrown(() => sc(function f() {})), 'DOMException DataCloneError');
  eq('nested function', thrown(() => sc({ a: [1, { f() {} }] })), 'DOMException DataCloneError');
  eq('WeakMap', thrown(() => sc(new WeakMap())), 'DOMException DataCloneError');
  eq('WeakSet', thrown(() => sc(new WeakSet())), 'DOMException DataCloneError');
  eq('Promise', thrown(() => sc(Promise.resolve())), 'DOMException DataCloneError');
  eq('generator', thrown(() => sc((function* g() {})())), 'DOMException DataCloneError');
  eq('Map iterator', thrown(() => sc(new Map().keys())), 'DOMException DataCloneError');
  eq('Symbol object', thrown(() => sc(Object(Symbol('s')))), 'DOMException DataCloneError');
  eq('URL', thrown(() => sc(new URL('http://a/'))), 'DOMException DataCloneError');
  eq('spoofed toStringTag is a plain object', JSON.stringify(sc({ [Symbol.toStringTag]: 'Date', a: 1 })), '{"a":1}');
  eq('no argument', thrown(() => sc()), 'TypeError');
  eq('options must be an object', thrown(() => sc(1, 5)), 'TypeError');
  eq('transfer is accepted (and ignored)', sc(buf, { transfer: [] }).byteLength, 8);
}

// ---- performance ------------------------------------------------------------
{
  eq('now() starts at 0', performance.now(), 0);
  fakeNs += 1.5e6;
  eq('now() in ms from the native clock', performance.now(), 1.5);
  fakeNs -= 1e6;
  eq('now() is monotonic', performance.now(), 1.5);
  fakeNs += 2.25e6;
  eq('now() has sub-ms resolution', performance.now(), 2.75);
  const origin = performance.timeOrigin;
  eq('timeOrigin is the load time', origin >= dateBeforeLoad && origin <= Date.now(), true);
  eq('toJSON', JSON.stringify(performance), `{"timeOrigin":${origin}}`);
  eq('now brand check', thrown(() => performance.now.call({})), 'TypeError');
}

// ---- speed ------------------------------------------------------------------
{
  const t0 = Date.now();
  for (let i = 0; i < 5000; i++) new URL(`https://user@example.com:8080/a/b/../c/${i}?q=${i}#f`).href;
  const t1 = Date.now();
  const big = new TextEncoder().encode('h\u00e9llo w\u00f6rld \u20ac '.repeat(50000));
  const text = new TextDecoder().decode(big);
  const t2 = Date.now();
  btoa(atob(btoa(text.slice(0, 100000).replace(/[^\x00-\xff]/g, '?'))));
  const t3 = Date.now();
  std.out.puts(`timing: 5000 URLs ${t1 - t0} ms; ${big.length} bytes encoded+decoded ${t2 - t1} ms; 100 kB base64 x3 ${t3 - t2} ms\n`);
  report('URL parsing is not slow (< 2 s for 5000)', t1 - t0 < 2000, t1 - t0, '< 2000');
}

// ---- queueMicrotask (last: its checks run in jobs) ----------------------------
{
  eq('queueMicrotask needs a function', thrown(() => queueMicrotask(1)), 'TypeError');
  eq('queueMicrotask needs an argument', thrown(() => queueMicrotask()), 'TypeError');
  const log = [];
  Promise.resolve().then(() => log.push('p1'));
  queueMicrotask(function () {
    log.push(`q1:${this === undefined}:${arguments.length}`);
  });
  queueMicrotask(() => {
    throw new Error('boom');
  });
  queueMicrotask(() => log.push('q2'));
  Promise.resolve().then(() => log.push('p2'));
  eq('the callbacks are not run synchronously', log.length, 0);
  // Runs after the jobs above (a few ticks later).
  Promise.resolve().then(() => 0).then(() => 0).then(() => {
    try {
      eq('order, and an exception does not stop the queue', log.join(','), 'p1,q1:true:0,q2,p2');
      // Last: loading web.js without __mica_hrtime falls back to Date.now().
      globalThis.__mica_web = natives;
      std.loadScript(webPath);
      const a = performance.now();
      eq('Date.now() fallback', typeof a === 'number' && a >= 0 && performance.now() >= a, true);
    } catch (e) {
      report('final checks', false, `threw ${e}`, 'no exception');
    }
    std.out.puts(`${passed} passed, ${failed} failed\n`);
    std.exit(failed === 0 ? 0 : 1);
  });
}

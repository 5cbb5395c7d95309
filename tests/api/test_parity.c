/*
 * test_parity: Date, Math, number formatting, regexps, JSON and strings
 * give the same results in a sandbox (QuickJS on musl, in the guest) as in
 * QuickJS built natively with the same flags and intrinsics, in-process.
 * Each expression is evaluated on both sides as a script whose value is
 * String(JSON.stringify(EXPR)) (or "threw <error>"); the strings must match.
 * The guest has no TZ: it runs in UTC, and so does the native side.
 */
#include <math.h>
#include <stdint.h>
#include <time.h>

#include "harness.h"
#include "mica.h"
#include "quickjs.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Evaluated first on both sides: n(...) lists numbers as strings, keeping
 * -0, NaN and Infinity, which JSON would turn into 0 and null. */
static const char prelude[] =
    "function n(...xs) { return xs.map((x) => Object.is(x, -0) ? '-0' : String(x)); }\n"
    "function series(f, k) { return n(...Array.from({ length: 64 }, (_, i) => f((i - 32) * k))); "
    "}\n";

#define WRAP                                                                                       \
	"(function () { try { return String(JSON.stringify(%s)); }\n"                              \
	"catch (e) { return 'threw ' + e; } })()"

/* Expressions that must throw on both sides say so: others must not. */
#define THROWS "/* throws */"

static const char *const date_exprs[] = {
    "new Date(0).toISOString()",
    "new Date(1e12).toString()",
    "new Date(1e12).toUTCString()",
    "new Date(1e12).toDateString()",
    "new Date(1e12).toTimeString()",
    "new Date(1e12).toLocaleString()",
    "[new Date(1e12).toLocaleDateString(), new Date(1e12).toLocaleTimeString()]",
    "new Date(1e12).toJSON()",
    "[new Date(1e12).getTimezoneOffset(), new Date(2020, 6, 1).getTimezoneOffset()]",
    "[new Date(-1e12).toISOString(), new Date(-62198755200001).toISOString()]",
    "[new Date(8.64e15).toISOString(), new Date(-8.64e15).toUTCString()]",
    "n(new Date(8.64e15 + 1).getTime(), new Date(NaN).getDay())",
    "String(new Date(NaN))",
    "new Date(NaN).toISOString() " THROWS,
    "n(Date.parse('2020-02-29T12:34:56.789Z'), Date.parse('2020-02-29T12:34:56'), "
    "Date.parse('2020-02-29'), Date.parse('2020-02'), Date.parse('2020'))",
    "n(Date.parse('Sat, 29 Feb 2020 12:00:00 GMT'), Date.parse('Feb 29 2020 12:00:00 GMT+0130'), "
    "Date.parse('2020-02-29T12:00:00+05:45'), Date.parse('2020-02-29T12:00:00.123456Z'))",
    "n(Date.parse('2020/02/29 10:00'), Date.parse('29 February 2020'), "
    "Date.parse('Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)'))",
    "n(Date.parse('not a date'), Date.parse(''), Date.parse('2020-13-01'), "
    "Date.parse('2020-02-30T25:00:00Z'))",
    "n(Date.parse('+275760-09-13T00:00:00.000Z'), Date.parse('+275760-09-13T00:00:00.001Z'), "
    "Date.parse('-000001-01-01T00:00:00Z'), Date.parse('-271821-04-20T00:00:00Z'))",
    "n(Date.UTC(2020, 1, 29, 23, 59, 59, 999), Date.UTC(99, 0), Date.UTC(2020, 12, 32), "
    "Date.UTC(2020), Date.UTC(), Date.UTC(1e10))",
    "(() => { const d = new Date(0); d.setFullYear(2024, 1, 29); d.setHours(25, 61, 61, 1001);"
    " return d.toISOString(); })()",
    "(() => { const d = new Date(Date.UTC(2021, 0, 31)); d.setUTCMonth(1); return d.toISOString(); "
    "})()",
    "(() => { const d = new Date(1e12); return n(d.setMilliseconds(-1), d.setSeconds(60), "
    "d.setMinutes(-1), d.setDate(0), d.setMonth(-13), d.setTime(NaN), d.setFullYear(2000)); })()",
    "(() => { const d = new Date(1e12); return n(d.setUTCDate(31), d.setUTCHours(48), "
    "d.setUTCFullYear(-5), d.setYear(99), d.getYear()); })()",
    "n(new Date(2020, 0, 1).getTime(), new Date(2020, 5, 15, 12).getDay(), "
    "new Date(2019, 13, 45).getTime(), new Date(99, 0).getFullYear(), new Date(2020, 1, 29, "
    "24).getDate())",
    "(() => { const d = new Date(1234567890123); return n(d.getFullYear(), d.getMonth(), "
    "d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds(), d.getDay(), "
    "d.getUTCDay(), d.valueOf()); })()",
    "[String(new Date(2020, 0)), new Date('2020-06-15T12:00:00Z').toString(), "
    "Object.prototype.toString.call(new Date(0))]",
    "[new Date(0) - new Date(1), +new Date('1970-01-01T00:00:00.001Z'), new Date(0) + 1]",
    "[new Date(1e12)[Symbol.toPrimitive]('number'), new Date(1e12)[Symbol.toPrimitive]('default')]",
    "new Date(2020, 0, 1, 0, 0, 0, 0.9).getTime()",
};

/* Results the standard defines exactly: special values, integers, IEEE
 * operations (sqrt, fround, rounding) and the constants. */
static const char *const math_exprs[] = {
    "n(Math.sin(-0), Math.tan(-0), Math.sin(Infinity), Math.cos(NaN), Math.atan(-0), Math.exp(-0), "
    "Math.expm1(-0), Math.exp(-Infinity), Math.exp(Infinity))",
    "n(Math.log(0), Math.log(-0), Math.log(-1), Math.log(1), Math.log1p(-1), Math.log1p(-0), "
    "Math.log10(1000), Math.log2(8), Math.log2(2 ** -1074), Math.log(Infinity))",
    "n(2 ** -1074, 2 ** -1075, Math.pow(NaN, 0), Math.pow(1, Infinity), (-0) ** -1, (-0) ** -2, "
    "(-0) ** 3, 10 ** 308 * 10, Math.pow(10, 22), Math.pow(-2, 1023), Math.pow(2, 1024), "
    "Math.pow(0.5, -1074), Math.pow(-Infinity, -3), Math.pow(-1, 0.5), Math.pow(-8, 1 / 3))",
    "n(Math.atan2(0, -0), Math.atan2(-0, -0), Math.atan2(-0, 0), Math.atan2(0, 0), "
    "Math.atan2(1, -Infinity), Math.atan2(-1, Infinity), Math.atan2(NaN, 1))",
    "n(Math.hypot(3, 4), Math.hypot(NaN, Infinity), Math.hypot(), Math.hypot(-0), "
    "Math.hypot(-0, -0), Math.hypot(1e308, 1e308) > 1e308, Math.hypot(-3))",
    "n(Math.cbrt(-0), Math.cbrt(Infinity), Math.cbrt(-8), Math.cbrt(1e-300), Math.sqrt(2), "
    "Math.sqrt(-0), Math.sqrt(-1), Math.sqrt(Number.MAX_VALUE), Math.sqrt(5e-324))",
    "n(Math.fround(5.5), Math.fround(5.05), Math.fround(2 ** 128), Math.fround(1e-46), "
    "Math.fround(-0), Math.fround(3.4028235677973366e38), Math.fround(1.401298464324817e-45))",
    "n(Math.clz32(0), Math.clz32(1), Math.clz32(-1), Math.clz32(0.5), Math.clz32(2 ** 32), "
    "Math.clz32(NaN), Math.clz32(2 ** 31))",
    "n(Math.imul(0xffffffff, 5), Math.imul(2 ** 31, 2), Math.imul(-7, 3.9), "
    "Math.imul(0x7fffffff, 0x7fffffff), Math.imul(NaN, 1))",
    "n(Math.round(-0.5), Math.round(2.5), Math.round(-2.5), Math.round(0.49999999999999994), "
    "Math.round(-0.4), Math.round(2 ** 52 + 0.5), Math.round(-(2 ** 53)))",
    "n(Math.floor(-0.5), Math.ceil(-0.5), Math.trunc(-0.9), Math.sign(-0), Math.sign(-3), "
    "Math.floor(-0), Math.ceil(0.2))",
    "n(Math.max(), Math.min(), Math.max(-0, 0), Math.min(0, -0), Math.max(NaN, 1), "
    "Math.min(1, '0'), Math.max(...[1, 5, 3]))",
    "n(Math.tanh(20), Math.tanh(-0), Math.tanh(Infinity), Math.atanh(1), Math.asinh(-0), "
    "Math.acosh(1), Math.acosh(0.5), Math.sinh(-Infinity))",
    "n(Math.asin(2), Math.asin(-0), Math.acos(1), Math.acos(1.0000001), Math.atan(Infinity) * 2 "
    "=== Math.PI)",
    "n(Math.E, Math.PI, Math.LN2, Math.LN10, Math.LOG2E, Math.LOG10E, Math.SQRT2, Math.SQRT1_2)",
    "n(Math.abs(-0), Math.abs(-Infinity), Math.abs(-(2 ** 53)), Math.abs('-1'), Math.abs(null))",
    "series((x) => x * x / 3 + x, 0.1)",
};

/* Transcendental functions on awkward inputs: these come from the C
 * library (musl in the guest, glibc natively), which round differently in
 * the last place; they must agree within MAX_ULPS. */
static const char *const libm_exprs[] = {
    "n(Math.sin(1e22), Math.cos(1e22), Math.tan(1e22), Math.sin(1e300), Math.cos(2 ** 60), "
    "Math.sin(Math.PI), Math.cos(Math.PI / 2), Math.tan(Math.PI / 4), Math.tan(Math.PI / 2))",
    "n(Math.exp(1), Math.exp(-745.2), Math.exp(-745.1), Math.exp(709.78), Math.exp(709.79), "
    "Math.expm1(1e-10), Math.log(10), Math.log1p(1e-20), Math.log10(2), Math.log2(3), "
    "Math.log(Number.MIN_VALUE))",
    "n(Math.pow(2, 0.5), Math.pow(10, -5), Math.pow(10, 23), 0.1 ** 2, 1.1 ** 1000, "
    "Math.atan2(1e-310, 1e300), Math.atan(1), Math.hypot(1e200, 1e200), Math.hypot(1e-200, "
    "1e-200), "
    "Math.hypot(1, 2, 3, 4))",
    "n(Math.cbrt(27), Math.cbrt(2), Math.cbrt(-1e-300), Math.sinh(1), Math.cosh(1), Math.asinh(1), "
    "Math.acosh(2), Math.atanh(0.5), Math.sinh(710), Math.cosh(-710), Math.asin(1), Math.acos(-1), "
    "Math.acos(0.5))",
    "series(Math.sin, 1.7)",
    "series(Math.cos, 12.3)",
    "series(Math.tan, 0.049)",
    "series(Math.exp, 22.3)",
    "series((x) => Math.log(Math.abs(x) * 1e5 + 0.5), 1)",
    "series((x) => Math.pow(1.0001 + Math.abs(x), x * 7), 1)",
    "series((x) => Math.atan2(x, 1 - x * 3.3), 0.37)",
    "series((x) => Math.cbrt(x * 1e-3 + 1e-9), 7.77)",
    "series((x) => Math.hypot(x, x * 0.3, 1e-5), 1e150)",
    "series((x) => Math.sinh(x) + Math.asinh(x) + Math.atan(x), 0.71)",
    "series((x) => Math.expm1(x) + Math.log1p(Math.abs(x)), 0.003)",
    "series((x) => Math.cosh(x / 9) - Math.tanh(x) + Math.acos(x / 40), 1.1)",
};

static const char *const number_exprs[] = {
    "n((255).toString(2), (255).toString(16), (-255).toString(36), (0.5).toString(2), "
    "(0.1).toString(3), (1e21).toString(36), Math.PI.toString(16), (-0).toString(2))",
    "n((2 ** 53).toString(36), (0.000001).toString(7), (1e-7).toString(16), "
    "(123.456).toString(36), "
    "(Number.MAX_VALUE).toString(36).length, (5e-324).toString(2).length)",
    "[(1.005).toFixed(2), (1.45).toFixed(1), (-1.5).toFixed(0), (1e21).toFixed(2), "
    "(0.000001).toFixed(7), (123.456).toFixed(10), (0).toFixed(100), (-0).toFixed(2), "
    "(2.5).toFixed(0)]",
    "[(0.5).toFixed(0), (1.5).toFixed(0), (8.345).toFixed(2), (1e20).toFixed(5), "
    "(999.995).toFixed(2)]",
    "(1).toFixed(101) " THROWS,
    "[(123.456).toPrecision(4), (0.00001).toPrecision(1), (1e21).toPrecision(3), "
    "(123456).toPrecision(2), (-0).toPrecision(3), (5e-324).toPrecision(100), "
    "(1.45).toPrecision(2)]",
    "[(123456).toExponential(2), (0).toExponential(), (1.5e-7).toExponential(20), "
    "(-1e21).toExponential(), (5e-324).toExponential(), (1.25).toExponential(1), "
    "(NaN).toExponential(2)]",
    "n(1e21, 1e-7, 123e-20, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, 2 ** 53 + 1, -1e-7, "
    "100, 1e20 * 10, 4.35, 0.000001, 1 / 3, 2 / 3, 0.1 * 3, 1e16 + 1)",
    "[String(-0), `${-0}`, JSON.stringify(-0), JSON.stringify([NaN, Infinity, -Infinity]), "
    "(-0).toLocaleString()]",
    "n(parseFloat('1e1000'), parseFloat('.5e-1'), parseFloat('-.0'), Number('0x1F'), "
    "Number('0b101'), Number('0o17'), Number(''), Number(' 12 '), Number('1_000'), Number('-0'))",
    "n(parseInt('0x1f'), parseInt('123', 5), parseInt('z', 36), parseInt('  -12abc'), "
    "parseInt('1e21'), parseInt(1e21), parseInt('9007199254740993'), Number('Infinity'), "
    "Number('infinity'), Number('9007199254740993'))",
    "n(Number('0.1e-1000'), Number('4.9406564584124654e-324'), Number('2.4703282292062327e-324'), "
    "Number('2.4703282292062328e-324'), Number('1.7976931348623158e308'), "
    "Number('1.7976931348623159e308'))",
    "n(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, Number.EPSILON, Number.MIN_VALUE, "
    "Number.MAX_VALUE)",
    "[(1234567.891).toLocaleString(), (0.000001234).toLocaleString(), (1e21).toLocaleString()]",
    "n(0.1 + 0.7, 1.1 * 1.1, 123456789 * 987654321, 2 ** 31 | 0, -1 >>> 0, 7 % -3, -7 % 3, "
    "5.5 % 2.25, 2 ** 64 % 3)",
    "Array.from({ length: 40 }, (_, i) => (Math.PI * 10 ** (i - 20)).toString()).join()",
    "Array.from({ length: 30 }, (_, i) => (1 / 7 * 10 ** (i - 10)).toFixed(i % 12)).join()",
    "Array.from({ length: 30 }, (_, i) => (Math.E ** (i - 15)).toPrecision(i % 21 + 1)).join()",
    "Array.from({ length: 30 }, (_, i) => (Math.SQRT2 ** (i * 11 - 170)).toExponential(i % "
    "15)).join()",
    "[new Float32Array([0.1])[0], new Float64Array(new Uint8Array([1, 0, 0, 0, 0, 0, 240, "
    "127]).buffer)[0]]"
    ".map(String)",
};

static const char *const bigint_exprs[] = {
    "[(2n ** 200n).toString(), (-(2n ** 64n)).toString(16), (255n).toString(2), "
    "(-1234567890123456789012345678901234567890n).toString(36)]",
    "(123456789012345678901234567890n * 987654321098765432109876543210n).toString()",
    "[-7n / 2n, -7n % 2n, 7n / -2n, 2n ** 100n / 3n, (2n ** 100n) % 1000007n, -(2n ** 63n) >> 3n, "
    "1n << 70n, ~0n, 5n & -3n, 5n | -3n, 5n ^ -3n].map(String)",
    "[BigInt.asUintN(64, -1n), BigInt.asIntN(8, 255n), BigInt.asIntN(64, 2n ** 63n), "
    "BigInt.asUintN(0, 5n)].map(String)",
    "[BigInt('0x' + 'f'.repeat(40)).toString(36), BigInt(' -1011 ').toString(), "
    "BigInt(Number.MAX_SAFE_INTEGER) + 2n, BigInt(1e21), BigInt(-0)].map(String)",
    "n(Number(2n ** 64n), Number(2n ** 1024n), Number(-(2n ** 53n) - 1n), parseFloat('12n'), "
    "Number(123n))",
    "[typeof 1n, 10n > 9, 10n == 10, 10n === 10, 1n < 1.5, 2n ** 64n > Infinity, [3n, 1, "
    "2n].sort().join()]",
    "BigInt(1.5) " THROWS,
    "1n + 1 " THROWS,
    "[(1.5l).toString(), BigFloat.sqrt(2l).toString(), (0.1l + 0.2l).toString(), "
    "(1l / 3l).toString(), BigFloat.PI.toString()]",
    "[(0.1m + 0.2m).toString(), (123.456m).toFixed(1), (2m ** 10m).toString(), "
    "(1.5m).toPrecision(3), "
    "BigDecimal.div(1m, 3m, { roundingMode: 'half-even', maximumSignificantDigits: 20 "
    "}).toString()]",
    "1m / 3m " THROWS,
    "[typeof 1l, typeof 1m, 3n / 2n === 1n, String(BigFloat.parseFloat('1e1000')), "
    "String(BigFloatEnv.prec)]",
};

static const char *const regexp_exprs[] = {
    "'😀a\\u{10400}'.match(/./gu)",
    "'😀a'.match(/./g).map((s) => s.charCodeAt(0))",
    "/\\p{L}+/u.exec('héllo wörld')[0]",
    "[/[\\p{Script=Greek}]+/u.exec('abc αβγ def')[0], /\\p{Lu}/u.test('É'), /\\P{L}/u.test('é')]",
    "/(?<year>\\d{4})-(?<month>\\d{2})/.exec('on 2020-02-29').groups",
    "'2020-02-29'.replace(/(?<y>\\d+)-(?<m>\\d+)-(?<d>\\d+)/, '$<d>/$<m>/$<y>')",
    "'a-b c-d'.replace(/(?<l>\\w)-(?<r>\\w)/g, (...a) => a[a.length - 1].r + a[a.length - 1].l)",
    "['price: $42, 13'.match(/(?<=\\$)\\d+/)[0], 'price: $42, 13'.match(/(?<!\\$)\\b\\d+/)[0], "
    "'abcabc'.replace(/(?<=(a)b)c/g, '[$1]')]",
    "(() => { const r = /foo/y; r.lastIndex = 3; return [r.test('barfoo'), r.lastIndex, "
    "r.test('barfoo'), r.lastIndex]; })()",
    "'aaba'.replace(/a/y, 'x').replace(/a/gy, 'y')",
    "[/\\u212a/i.test('k'), /\\u212a/iu.test('k'), /ſ/iu.test('S'), /ſ/i.test('S'), "
    "/[a-z]/i.test('K'), /\\w/iu.test('ſ'), /ΣΑΣ/iu.test('σας')]",
    "['ΣΑΣ'.toLowerCase(), 'ß'.toUpperCase(), 'İ'.toLowerCase().length, 'ǅ'.toLowerCase(), "
    "'ﬀ'.toUpperCase(), 'ΌΣΟΣ Σ'.toLowerCase()]",
    "['a1b2c3'.split(/\\d/), 'abc'.split(''), 'a,b,,c'.split(',', 2), '😀😁'.split(/(?:)/u), "
    "'a1b'.split(/(\\d)/), ''.split(/x/)]",
    "[...'a1b22c333'.matchAll(/\\d+/g)].map((m) => [m[0], m.index])",
    "[...'x1y2'.matchAll(/(?<l>[a-z])(?<d>\\d)/g)].map((m) => m.groups)",
    "'abc'.matchAll(/b/) " THROWS,
    "/(a)|b/.exec('b')",
    "['abc'.replace(/b/g, \"$&$&$`$'$$\"), 'aaa'.replace(/a*?/g, '-'), 'abc'.replace('b', '$`')]",
    "[/^.$/su.test('\\n'), /^.$/u.test('\\n'), /a/gimsuy.flags, String(/a\\/b[/]/g), "
    "new RegExp('/', 'g').source, RegExp('').source]",
    "[/(?<a>.)\\k<a>/.test('aa'), /(.)\\1/i.test('aA'), /\\bfoo\\b/.test('a foo.'), "
    "/[^]/.test('\\n'), /\\cJ/.test('\\n')]",
    "new RegExp('[') " THROWS,
    "new RegExp('(?<a>x)(?<a>y)') " THROWS,
    "new RegExp('\\\\p{Nope}', 'u') " THROWS,
    "[/x{2,3}?/.exec('xxxx')[0], /(?:ab)+?c/.exec('ababc')[0], "
    "/(a+)+b/.test('aaaaaaaaaaaaaaaaaaaac'), "
    "/^(?:\\s*\\w+\\s*,?)*$/.test('a, b, c')]",
    "(() => { const r = /a/g; const out = []; let m; while ((m = r.exec('banana')) !== null) "
    "out.push(m.index, r.lastIndex); return out; })()",
    "'The Quick Brown'.replace(/\\b(\\w)(\\w*)/g, (m, a, b) => b + a + 'ay')",
    "[RegExp.prototype.flags, Object.keys(/(?<z>a)/.exec('a')), /a/[Symbol.replace]('aXa', 'b')]",
};

static const char *const json_exprs[] = {
    "JSON.parse(JSON.stringify({ a: [1, 2.5, -0, 1e300, '\\u2028', '\\ud800'], b: null, "
    "c: { d: true } }))",
    "JSON.stringify({ b: 1, a: [undefined, function () {}, Symbol()], c: undefined, "
    "d: new Date(0) }, null, 2)",
    "JSON.stringify('\\u0000\\u001f\\ud834\\udd1e\\ud834\\u2028\"\\\\/')",
    "n(...JSON.parse('[1e400, -0, 0.1, -1e-400, 123456789012345678901234567890]'))",
    "JSON.parse('{\"__proto__\": 1, \"a\": {\"b\": [\"\\\\u00e9\"]}}')",
    "[JSON.stringify({ toJSON() { return 'x'; } }), JSON.stringify([new Map(), new Set([1])]), "
    "JSON.stringify({ a: 1, b: 2, c: { a: 3, d: 4 } }, ['a', 'c']), "
    "JSON.stringify([1, [2]], null, '--')]",
    "JSON.parse('[1, {\"a\": 2}]', (k, v) => typeof v === 'number' ? v * 10 : v)",
    "JSON.parse('{\"a\": 1,}') " THROWS,
    "JSON.parse(' [1 , 2 ]\\t\\n ')",
    "JSON.stringify({ [Symbol()]: 1, 2: 'two', 1: 'one', b: 'b', a: 'a' })",
    "(() => { const o = {}; o.self = o; return JSON.stringify(o); })() " THROWS,
    "JSON.stringify(1n) " THROWS,
};

static const char *const string_exprs[] = {
    "['\\u0041\\u030a'.normalize('NFC'), '\\u00c5'.normalize('NFD'), '\\ufb01'.normalize('NFKC'), "
    "'\\u1e9b\\u0323'.normalize('NFKD'), '\\u1e9b\\u0323'.normalize()].map(escape)",
    "'a'.normalize('nope') " THROWS,
    "['a'.localeCompare('b'), 'b'.localeCompare('a'), 'a'.localeCompare('a'), "
    "'a'.localeCompare('B'), "
    "'é'.localeCompare('f'), 'ä'.localeCompare('a\\u0308'), 'a'.localeCompare('A'), "
    "''.localeCompare('a')]",
    "['b', 'a', 'B', 'é', 'e', 'Z', 'ä'].sort((x, y) => x.localeCompare(y))",
    "['I'.toLocaleLowerCase('tr'), 'i'.toLocaleUpperCase(), 'x'.padStart(5, 'ab'), "
    "'  x \\u00a0\\ufeff'.trim(), '\\u{1F600}'.codePointAt(0), "
    "String.fromCodePoint(0x1F600).length]",
    "[encodeURIComponent('é ?&/😀'), decodeURI('%E2%82%AC%20'), escape('ä+/'), unescape('%u20AC')]",
    "decodeURIComponent('%E0%A4%A') " THROWS,
    "['abc'.substr(-2, 1), 'abcdef'.slice(-3, -1), 'a-b-c'.replaceAll('-', '+'), "
    "'x'.repeat(3), 'Abc'.startsWith('b', 1), String.raw`a\\n${1}`]",
};

static const char *const env_exprs[] = {
    "[typeof Intl, typeof globalThis.Intl, typeof Intl === 'undefined' ? 'none' : Intl]",
    "Intl.DateTimeFormat() " THROWS,
    "[typeof BigInt, typeof BigFloat, typeof BigDecimal, typeof Operators, typeof WeakRef, "
    "typeof SharedArrayBuffer, typeof Atomics, typeof print, typeof require]",
    "Object.getOwnPropertyNames(Math).sort()",
    /* at, hasOwn and the other later methods are mica's own (guest/js/lang.js,
     * tests/js/lang.js): the engine's are the same on both sides */
    "[typeof String.prototype.replaceAll, typeof Promise.any, typeof AggregateError, "
    "typeof Array.prototype.flat, typeof Object.fromEntries]",
};

/* ---- the two sides --------------------------------------------------------- */

static JSRuntime *native_rt;
static JSContext *native_ctx;
static mica_runtime *mica_rt;
static mica_sandbox *mica_sb;

/* Evaluates code natively; returns malloc'd text, "native exception: ..." on failure. */
static char *native_eval(const char *code)
{
	JSValue v = JS_Eval(native_ctx, code, strlen(code), "<parity>", JS_EVAL_TYPE_GLOBAL);
	const char *prefix = "";
	if (JS_IsException(v)) {
		prefix = "native exception: ";
		v = JS_GetException(native_ctx);
	}
	const char *s = JS_ToCString(native_ctx, v);
	JS_FreeValue(native_ctx, v);
	char *out = NULL;
	if (asprintf(&out, "%s%s", prefix, s ? s : "(unprintable)") < 0)
		out = NULL;
	JS_FreeCString(native_ctx, s);
	return out;
}

/* Evaluates code in the sandbox; returns malloc'd text, "mica error: ..." on failure. */
static char *mica_eval(const char *code)
{
	char *res = NULL;
	size_t len;
	mica_error err = {0};
	int rc = mica_sandbox_eval(mica_sb, "<parity>", code, strlen(code), &res, &len, &err);
	if (rc == MICA_OK)
		return res;
	free(res);
	char *out = NULL;
	if (asprintf(&out, "mica error: %s: %s", mica_code_name(rc), err.message) < 0)
		out = NULL;
	return out;
}

static int native_open(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	native_rt = JS_NewRuntime();
	native_ctx = native_rt ? JS_NewContext(native_rt) : NULL;
	if (!native_ctx)
		return -1;
	JS_AddIntrinsicBigFloat(native_ctx);
	JS_AddIntrinsicBigDecimal(native_ctx);
	JS_AddIntrinsicOperators(native_ctx);
	JS_EnableBignumExt(native_ctx, 1);
	char *r = native_eval(prelude);
	int bad = !r || strstr(r, "native exception");
	free(r);
	return bad ? -1 : 0;
}

static void native_close(void)
{
	if (native_ctx)
		JS_FreeContext(native_ctx);
	if (native_rt)
		JS_FreeRuntime(native_rt);
}

/* The sandbox is booted by the first test that needs it. */
static int mica_open(void)
{
	if (mica_sb)
		return 0;
	mica_error err = {0};
	if (!mica_rt)
		mica_rt = mica_runtime_new(harness_opts(), &err);
	CHECK(mica_rt, "mica_runtime_new: %s", err.message);
	if (!mica_rt)
		return -1;
	mica_sb = mica_sandbox_new(mica_rt, NULL, &err);
	CHECK(mica_sb, "mica_sandbox_new: %s", err.message);
	if (!mica_sb)
		return -1;
	char *r = mica_eval(prelude);
	CHECK(r && !strncmp(r, "", 1), "prelude: %s", r ? r : "(null)");
	free(r);
	return 0;
}

static void mica_close(void)
{
	mica_sandbox_free(mica_sb);
	mica_runtime_free(mica_rt);
}

/* How far libm results may be apart, in units in the last place. */
#define MAX_ULPS 2

static int libm_diffs, libm_max_ulps; /* values that differ, and by how much */

/* The double's position on the number line, so that neighbours differ by 1. */
static int64_t ordered(double d)
{
	int64_t i;
	memcpy(&i, &d, sizeof(i));
	return i < 0 ? INT64_MIN - i : i;
}

/* Compares two JSON arrays of number strings (as n() makes them) value by
 * value; returns -1 when they differ in shape or by more than MAX_ULPS. */
static int compare_ulps(const char *a, const char *b)
{
	for (;;) {
		a = strchr(a, '"');
		b = strchr(b, '"');
		if (!a || !b)
			return a == b ? 0 : -1;
		char *ea, *eb;
		double x = strtod(a + 1, &ea), y = strtod(b + 1, &eb);
		if (*ea != '"' || *eb != '"')
			return -1;
		if (ea - a != eb - b || memcmp(a, b, (size_t)(ea - a))) {
			if (x != x || y != y || isinf(x) || isinf(y))
				return -1;
			int64_t d = ordered(x) - ordered(y);
			d = d < 0 ? -d : d;
			if (d > MAX_ULPS)
				return -1;
			libm_diffs++;
			libm_max_ulps = d > libm_max_ulps ? (int)d : libm_max_ulps;
		}
		a = ea + 1;
		b = eb + 1;
	}
}

static void check_parity(const char *const *exprs, size_t count, int ulps)
{
	CHECK(native_ctx, "no native QuickJS context");
	if (!native_ctx || mica_open())
		return;
	for (size_t i = 0; i < count; i++) {
		char *code = NULL;
		if (asprintf(&code, WRAP, exprs[i]) < 0) {
			CHECK(0, "out of memory");
			return;
		}
		char *want = native_eval(code), *got = mica_eval(code);
		int same = want && got && !strcmp(want, got);
		if (!same && ulps && want && got)
			same = compare_ulps(want, got) >= 0;
		CHECK(same, "%s\n    native: %s\n    mica:   %s", exprs[i], want ? want : "(null)",
		      got ? got : "(null)");
		int threw = want && !strncmp(want, "threw ", 6);
		CHECK(threw == (strstr(exprs[i], THROWS) != NULL), "%s\n    %s", exprs[i],
		      threw ? "throws unexpectedly" : "was expected to throw");
		free(want);
		free(got);
		free(code);
	}
}

#define PARITY_TEST(name)                                                                          \
	TEST(name)                                                                                 \
	{                                                                                          \
		NEED_BACKEND();                                                                    \
		check_parity(name##_exprs, COUNT(name##_exprs), 0);                                \
	}

PARITY_TEST(date)
PARITY_TEST(math)
PARITY_TEST(number)

TEST(libm)
{
	NEED_BACKEND();
	check_parity(libm_exprs, COUNT(libm_exprs), 1);
}

PARITY_TEST(bigint)
PARITY_TEST(regexp)
PARITY_TEST(json)
PARITY_TEST(string)
PARITY_TEST(env)

TEST(date_now)
{
	NEED_BACKEND();
	if (!native_ctx || mica_open())
		return;
	for (int i = 0; i < 3; i++) {
		char *want = native_eval("Date.now()"), *got = mica_eval("Date.now()");
		long long a = want ? atoll(want) : 0, b = got ? atoll(got) : 0;
		CHECK(a > 0 && b > 0 && llabs(a - b) < 1000, "native %s, mica %s",
		      want ? want : "(null)", got ? got : "(null)");
		free(want);
		free(got);
	}
}

int main(void)
{
	int native_ok = native_open() == 0;
	if (!native_ok)
		fprintf(stderr, "cannot set up native QuickJS\n");
	RUN(date);
	RUN(math);
	RUN(libm);
	RUN(number);
	RUN(bigint);
	RUN(regexp);
	RUN(json);
	RUN(string);
	RUN(env);
	RUN(date_now);
	mica_close();
	native_close();
	size_t total = COUNT(date_exprs) + COUNT(math_exprs) + COUNT(libm_exprs) +
		       COUNT(number_exprs) + COUNT(bigint_exprs) + COUNT(regexp_exprs) +
		       COUNT(json_exprs) + COUNT(string_exprs) + COUNT(env_exprs);
	printf("%zu expressions compared; %d libm values differ, by at most %d ulp\n", total,
	       libm_diffs, libm_max_ulps);
	return harness_report();
}

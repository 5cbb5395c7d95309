/*
 * Unit tests for guest/js/console.js (mica guest console / inspector).
 *
 * Run with a native QuickJS 2021-03-27 build:
 *   qjs --std tests/js_unit/test_console.js guest/js/console.js
 *
 * Prints failures, then "N passed, M failed"; exits with status 1 on failure.
 *
 * The CASES table was generated once with node v20 (util.inspect,
 * util.format, console.Console); its expected strings are node's output.
 * The tests after it cover behaviour specific to QuickJS/mica (errors,
 * promises, proxies, global hygiene, ...).
 */
'use strict';

/* eslint-disable no-eval */
const consolePath = scriptArgs[1];
if (!consolePath) {
  std.err.puts('usage: qjs --std test_console.js PATH/TO/console.js\n');
  std.exit(2);
}

// ---- load console.js the way the guest does --------------------------------
let sink = null; // [stream, string] pairs of the current capture
const nativeWriteCalls = [];
const namesBefore = Object.getOwnPropertyNames(globalThis);
const symbolsBefore = Object.getOwnPropertySymbols(globalThis).length;
globalThis.__mica_write = function (stream, str) {
  // (no Array.prototype.push: some tests patch built-ins)
  if (sink) sink[sink.length] = [stream, str];
  else nativeWriteCalls[nativeWriteCalls.length] = [stream, str];
};
std.loadScript(consolePath);
const namesAfter = Object.getOwnPropertyNames(globalThis);
const inspectDesc = Object.getOwnPropertyDescriptor(globalThis, '__mica_inspect');
const inspect = globalThis.__mica_inspect;

function capture(fn) {
  const saved = sink;
  sink = [];
  try {
    fn();
    return sink;
  } finally {
    sink = saved;
  }
}
// Output of one console call on stdout, without the final newline.
function logOut(fn) {
  const out = capture(fn);
  return out.map(([s, str]) => (s === 1 ? '' : `<${s}>`) + str.replace(/\n$/, '')).join('\u2028');
}

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
  report(name, actual === expected, actual, expected);
}
function match(name, actual, re) {
  report(name, typeof actual === 'string' && re.test(actual), actual, String(re));
}
function noThrow(name, fn) {
  try {
    const r = fn();
    report(name, true);
    return r;
  } catch (e) {
    report(name, false, `threw ${e}`, 'no exception');
    return undefined;
  }
}
const geval = (0, eval);

// ---- global hygiene ---------------------------------------------------------
{
  const added = namesAfter.filter((n) => !namesBefore.includes(n)).sort();
  eq('only __mica_inspect is added (console pre-exists in qjs)', added.join(','), '__mica_inspect');
  eq('__mica_write deleted', Object.prototype.hasOwnProperty.call(globalThis, '__mica_write'), false);
  eq('no symbols added to global', Object.getOwnPropertySymbols(globalThis).length, symbolsBefore);
  eq('__mica_inspect is a function', typeof inspect, 'function');
  eq('__mica_inspect configurable', inspectDesc.configurable, true);
  eq('__mica_inspect deletable', delete globalThis.__mica_inspect, true);
  eq('__mica_inspect gone', typeof globalThis.__mica_inspect, 'undefined');
  const cdesc = Object.getOwnPropertyDescriptor(globalThis, 'console');
  eq('console writable', cdesc.writable, true);
  eq('console configurable', cdesc.configurable, true);
  eq('console not enumerable', cdesc.enumerable, false);
  eq('nothing written at load', nativeWriteCalls.length, 0);
  const methods = ['log', 'info', 'debug', 'error', 'warn', 'trace', 'assert', 'dir', 'dirxml',
    'table', 'time', 'timeEnd', 'timeLog', 'count', 'countReset', 'group', 'groupCollapsed',
    'groupEnd', 'clear'];
  for (const m of methods) eq(`console.${m} is a function`, typeof console[m], 'function');
  eq('console.log.name', console.log.name, 'log');
  eq('Object.prototype.toString(console)', Object.prototype.toString.call(console), '[object console]');
}

// ---- node-generated cases ---------------------------------------------------
const CASES = [
  ["i","1","1"],
  ["i","-0","-0"],
  ["i","0","0"],
  ["i","NaN","NaN"],
  ["i","-Infinity","-Infinity"],
  ["i","1e21","1e+21"],
  ["i","0.1","0.1"],
  ["i","123n","123n"],
  ["i","-5n","-5n"],
  ["i","true","true"],
  ["i","undefined","undefined"],
  ["i","null","null"],
  ["i","Symbol('s')","Symbol(s)"],
  ["i","Symbol()","Symbol()"],
  ["i","Symbol.iterator","Symbol(Symbol.iterator)"],
  ["i","'abc'","'abc'"],
  ["i","\"it's\"","\"it's\""],
  ["i","'say \"hi\" it\\'s'","`say \"hi\" it's`"],
  ["i","'a `b` \"c\" \\'d\\''","'a `b` \"c\" \\'d\\''"],
  ["i","'tab\\there\\nnl \\\\ bs \\x00 \\x7f \\x9f \\u00e9'","'tab\\there\\nnl \\\\ bs \\x00 \\x7F \\x9F é'"],
  ["i","'\\ud800 lone'","'\\ud800 lone'"],
  ["i","'ok \\ud83d\\ude00 pair'","'ok 😀 pair'"],
  ["i","''","''"],
  ["i","'x'.repeat(100)","'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'"],
  ["i","'line one that is fairly long\\nline two that is also quite long\\nline three is here too\\n'","'line one that is fairly long\\n' +\n  'line two that is also quite long\\n' +\n  'line three is here too\\n'"],
  ["i","['aaaaaaaaaaaaaaaaaaaaaaa\\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\\nccc\\n']","[\n  'aaaaaaaaaaaaaaaaaaaaaaa\\n' +\n    'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\\n' +\n    'ccc\\n'\n]"],
  ["i","'y'.repeat(10050)","'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy'... 50 more characters"],
  ["i","[]","[]"],
  ["i","[1, 2, 3]","[ 1, 2, 3 ]"],
  ["i","['a', 'b']","[ 'a', 'b' ]"],
  ["i","[[1, [2, [3, [4]]]]]","[ [ 1, [ 2, [Array] ] ] ]"],
  ["i","[1, , 3]","[ 1, <1 empty item>, 3 ]"],
  ["i","[, , 1, , , ]","[ <2 empty items>, 1, <2 empty items> ]"],
  ["i","new Array(5)","[ <5 empty items> ]"],
  ["i","(() => { const a = [1, 2]; a.foo = 'bar'; return a; })()","[ 1, 2, foo: 'bar' ]"],
  ["i","Array.from({ length: 26 }, (_, i) => i)","[\n   0,  1,  2,  3,  4,  5,  6,  7,\n   8,  9, 10, 11, 12, 13, 14, 15,\n  16, 17, 18, 19, 20, 21, 22, 23,\n  24, 25\n]"],
  ["i","Array.from({ length: 101 }, (_, i) => i)","[\n   0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11,\n  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,\n  24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n  36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,\n  48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,\n  60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,\n  72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83,\n  84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,\n  96, 97, 98, 99,\n  ... 1 more item\n]"],
  ["i","Array.from({ length: 102 }, (_, i) => 'item' + i)","[\n  'item0',  'item1',  'item2',  'item3',  'item4',  'item5',\n  'item6',  'item7',  'item8',  'item9',  'item10', 'item11',\n  'item12', 'item13', 'item14', 'item15', 'item16', 'item17',\n  'item18', 'item19', 'item20', 'item21', 'item22', 'item23',\n  'item24', 'item25', 'item26', 'item27', 'item28', 'item29',\n  'item30', 'item31', 'item32', 'item33', 'item34', 'item35',\n  'item36', 'item37', 'item38', 'item39', 'item40', 'item41',\n  'item42', 'item43', 'item44', 'item45', 'item46', 'item47',\n  'item48', 'item49', 'item50', 'item51', 'item52', 'item53',\n  'item54', 'item55', 'item56', 'item57', 'item58', 'item59',\n  'item60', 'item61', 'item62', 'item63', 'item64', 'item65',\n  'item66', 'item67', 'item68', 'item69', 'item70', 'item71',\n  'item72', 'item73', 'item74', 'item75', 'item76', 'item77',\n  'item78', 'item79', 'item80', 'item81', 'item82', 'item83',\n  'item84', 'item85', 'item86', 'item87', 'item88', 'item89',\n  'item90', 'item91', 'item92', 'item93', 'item94', 'item95',\n  'item96', 'item97', 'item98', 'item99',\n  ... 2 more items\n]"],
  ["i","Array.from({ length: 30 }, (_, i) => 'x'.repeat(i % 7))","[\n  '',       'x',      'xx',     'xxx',\n  'xxxx',   'xxxxx',  'xxxxxx', '',\n  'x',      'xx',     'xxx',    'xxxx',\n  'xxxxx',  'xxxxxx', '',       'x',\n  'xx',     'xxx',    'xxxx',   'xxxxx',\n  'xxxxxx', '',       'x',      'xx',\n  'xxx',    'xxxx',   'xxxxx',  'xxxxxx',\n  '',       'x'\n]"],
  ["i","Array.from({ length: 8 }, (_, i) => ({ a: i }))","[\n  { a: 0 }, { a: 1 },\n  { a: 2 }, { a: 3 },\n  { a: 4 }, { a: 5 },\n  { a: 6 }, { a: 7 }\n]"],
  ["i","[1, 'two', 3n, null, undefined, true]","[ 1, 'two', 3n, null, undefined, true ]"],
  ["i","Array.from({ length: 10 }, (_, i) => i * 1000)","[\n     0, 1000, 2000,\n  3000, 4000, 5000,\n  6000, 7000, 8000,\n  9000\n]"],
  ["i","[-1, 100, -10000, 5, 6, 7, 8]","[\n      -1, 100,\n  -10000,   5,\n       6,   7,\n       8\n]"],
  ["i","(() => { const a = []; a[200] = 1; return a; })()","[ <200 empty items>, 1 ]"],
  ["i","(() => { const a = new Array(150).fill(0); return a; })()","[\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0,\n  ... 50 more items\n]"],
  ["i","(() => { const a = new Array(2e5).fill(7); a.extra = 1; return a; })()","[\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7,                     7, 7,\n  7, ... 199900 more items,\n  extra: 1\n]"],
  ["i","{}","{}"],
  ["i","{ a: 1 }","{ a: 1 }"],
  ["i","{ a: 1, 'b-c': 2, $d: 3, _e: 4, '1x': 5, 10: 6, 'é': 7 }","{ '10': 6, a: 1, 'b-c': 2, '$d': 3, _e: 4, '1x': 5, 'é': 7 }"],
  ["i","{ a: { b: { c: { d: {} } } } }","{ a: { b: { c: [Object] } } }"],
  ["i","{ a: { b: { c: {} } } }","{ a: { b: { c: {} } } }"],
  ["i","{ a: { b: { c: [] } } }","{ a: { b: { c: [] } } }"],
  ["i","{ a: [{ b: [{ c: 1 }] }] }","{ a: [ { b: [Array] } ] }"],
  ["i","{ [Symbol('k')]: 1, [Symbol()]: 2, regular: 3 }","{ regular: 3, [Symbol(k)]: 1, [Symbol()]: 2 }"],
  ["i","{ __proto__: null, a: 1 }","[Object: null prototype] { a: 1 }"],
  ["i","Object.create(null)","[Object: null prototype] {}"],
  ["i","Object.create(Object.create(null))","Object <[Object: null prototype] {}> {}"],
  ["i","{ ['__proto__']: 1 }","{ ['__proto__']: 1 }"],
  ["i","{ longPropertyNameNumberOne: 'some string value', longPropertyNameNumberTwo: 'another value here' }","{\n  longPropertyNameNumberOne: 'some string value',\n  longPropertyNameNumberTwo: 'another value here'\n}"],
  ["i","{ a: 'x'.repeat(60), b: 1 }","{\n  a: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',\n  b: 1\n}"],
  ["i","{ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11, l: 12, m: 13, n: 14, o: 15, p: 16, q: 17, r: 18, s: 19, t: 20, u: 21, v: 22, w: 23, x: 24 }","{\n  a: 1,\n  b: 2,\n  c: 3,\n  d: 4,\n  e: 5,\n  f: 6,\n  g: 7,\n  h: 8,\n  i: 9,\n  j: 10,\n  k: 11,\n  l: 12,\n  m: 13,\n  n: 14,\n  o: 15,\n  p: 16,\n  q: 17,\n  r: 18,\n  s: 19,\n  t: 20,\n  u: 21,\n  v: 22,\n  w: 23,\n  x: 24\n}"],
  ["i","{ x: { y: { z: 1 } }, w: 2 }","{ x: { y: { z: 1 } }, w: 2 }"],
  ["i","{ outer: { middle: { inner: 'deep' } }, list: [1, 2, 3], name: 'test object', flag: true }","{\n  outer: { middle: { inner: 'deep' } },\n  list: [ 1, 2, 3 ],\n  name: 'test object',\n  flag: true\n}"],
  ["i","Object.defineProperty({}, 'g', { get() { throw new Error('no'); }, enumerable: true })","{ g: [Getter] }"],
  ["i","Object.defineProperty({}, 'gs', { get() { return 1; }, set(v) {}, enumerable: true })","{ gs: [Getter/Setter] }"],
  ["i","Object.defineProperty({}, 's', { set(v) {}, enumerable: true })","{ s: [Setter] }"],
  ["i","Object.defineProperty({ v: 1 }, 'hidden', { value: 2, enumerable: false })","{ v: 1 }"],
  ["i","{ f() {}, g: function () {}, h: () => {}, i: async () => {}, j: function* gen() {}, k: async function* ag() {} }","{\n  f: [Function: f],\n  g: [Function: g],\n  h: [Function: h],\n  i: [AsyncFunction: i],\n  j: [GeneratorFunction: gen],\n  k: [AsyncGeneratorFunction: ag]\n}"],
  ["i","{ u: undefined, n: null, nan: NaN }","{ u: undefined, n: null, nan: NaN }"],
  ["i","{ 'a\\nb': 1, \"it's\": 2 }","{ 'a\\nb': 1, \"it's\": 2 }"],
  ["i","(() => { const o = { a: 1 }; o.self = o; return o; })()","<ref *1> { a: 1, self: [Circular *1] }"],
  ["i","(() => { const o = { a: [] }; o.a.push(o); return o; })()","<ref *1> { a: [ [Circular *1] ] }"],
  ["i","(() => { const a = {}; const b = { a }; a.b = b; return [a, b]; })()","[\n  <ref *1> { b: { a: [Circular *1] } },\n  <ref *2> { a: <ref *1> { b: [Circular *2] } }\n]"],
  ["i","(() => { const o = {}; const p = {}; o.p = p; p.o = o; o.q = { p }; p.self = p; return o; })()","<ref *1> {\n  p: <ref *2> { o: [Circular *1], self: [Circular *2] },\n  q: { p: <ref *2> { o: [Circular *1], self: [Circular *2] } }\n}"],
  ["i","(() => { const m = new Map(); m.set('m', m); return m; })()","<ref *1> Map(1) { 'm' => [Circular *1] }"],
  ["i","function foo() {}","[Function: foo]"],
  ["i","function () {}","[Function (anonymous)]"],
  ["i","() => {}","[Function (anonymous)]"],
  ["i","async function af() {}","[AsyncFunction: af]"],
  ["i","function* gf() {}","[GeneratorFunction: gf]"],
  ["i","async function* agf() {}","[AsyncGeneratorFunction: agf]"],
  ["i","class A {}","[class A]"],
  ["i","class {}","[class (anonymous)]"],
  ["i","(() => { class A {} class B extends A {} return B; })()","[class B extends A]"],
  ["i","(() => { function f() {} f.prop = 1; return f; })()","[Function: f] { prop: 1 }"],
  ["i","(() => { class A { static x = 1 } return A; })()","[class A] { x: 1 }"],
  ["i","Math.max","[Function: max]"],
  ["i","Object","[Function: Object]"],
  ["i","Object.setPrototypeOf(function nf() {}, null)","[Function (null prototype): nf]"],
  ["i","(() => { class Foo { constructor() { this.x = 1; } } return new Foo(); })()","Foo { x: 1 }"],
  ["i","(() => { class Foo {} return new Foo(); })()","Foo {}"],
  ["i","(() => { class Foo { get y() { return 1; } } return new Foo(); })()","Foo {}"],
  ["i","(() => { class Foo { constructor() { this.a = { b: { c: { d: 1 } } }; } } return new Foo(); })()","Foo { a: { b: { c: [Object] } } }"],
  ["i","(() => { class Foo { constructor() { this[Symbol.toStringTag] = 'own'; } } return new Foo(); })()","Foo { [Symbol(Symbol.toStringTag)]: 'own' }"],
  ["i","(() => { class Foo {} Foo.prototype[Symbol.toStringTag] = 'Bar'; return new Foo(); })()","Foo [Bar] {}"],
  ["i","{ [Symbol.toStringTag]: 'X', a: 1 }","{ a: 1, [Symbol(Symbol.toStringTag)]: 'X' }"],
  ["i","(() => { function Old() { this.v = 1; } return new Old(); })()","Old { v: 1 }"],
  ["i","(() => { class M extends Map {} return new M([[1, 2]]); })()","M(1) [Map] { 1 => 2 }"],
  ["i","(() => { class A extends Array {} return A.from([1, 2]); })()","A(2) [ 1, 2 ]"],
  ["i","(() => { class A extends Array {} return new A(); })()","A(0) []"],
  ["i","new Map()","Map(0) {}"],
  ["i","new Map([['a', 1], ['b', 2]])","Map(2) { 'a' => 1, 'b' => 2 }"],
  ["i","new Map([[{ a: 1 }, [1, 2]]])","Map(1) { { a: 1 } => [ 1, 2 ] }"],
  ["i","new Set()","Set(0) {}"],
  ["i","new Set([1, 'a', [2]])","Set(3) { 1, 'a', [ 2 ] }"],
  ["i","new Set(Array.from({ length: 105 }, (_, i) => i))","Set(105) {\n  0,\n  1,\n  2,\n  3,\n  4,\n  5,\n  6,\n  7,\n  8,\n  9,\n  10,\n  11,\n  12,\n  13,\n  14,\n  15,\n  16,\n  17,\n  18,\n  19,\n  20,\n  21,\n  22,\n  23,\n  24,\n  25,\n  26,\n  27,\n  28,\n  29,\n  30,\n  31,\n  32,\n  33,\n  34,\n  35,\n  36,\n  37,\n  38,\n  39,\n  40,\n  41,\n  42,\n  43,\n  44,\n  45,\n  46,\n  47,\n  48,\n  49,\n  50,\n  51,\n  52,\n  53,\n  54,\n  55,\n  56,\n  57,\n  58,\n  59,\n  60,\n  61,\n  62,\n  63,\n  64,\n  65,\n  66,\n  67,\n  68,\n  69,\n  70,\n  71,\n  72,\n  73,\n  74,\n  75,\n  76,\n  77,\n  78,\n  79,\n  80,\n  81,\n  82,\n  83,\n  84,\n  85,\n  86,\n  87,\n  88,\n  89,\n  90,\n  91,\n  92,\n  93,\n  94,\n  95,\n  96,\n  97,\n  98,\n  99,\n  ... 5 more items\n}"],
  ["i","(() => { const m = new Map([[1, 2]]); m.extra = true; return m; })()","Map(1) { 1 => 2, extra: true }"],
  ["i","new WeakMap()","WeakMap { <items unknown> }"],
  ["i","new WeakSet()","WeakSet { <items unknown> }"],
  ["i","{ m: new Map([['k', { deep: { deeper: 1 } }]]) }","{ m: Map(1) { 'k' => { deep: [Object] } } }"],
  ["i","new Date(0)","1970-01-01T00:00:00.000Z"],
  ["i","new Date(NaN)","Invalid Date"],
  ["i","/ab+c/gi","/ab+c/gi"],
  ["i","/[/]\\//","/[/]\\//"],
  ["i","new RegExp('')","/(?:)/"],
  ["i","(() => { const r = /x/; r.prop = 1; return r; })()","/x/ { prop: 1 }"],
  ["i","(() => { const d = new Date(86400000); d.prop = 1; return d; })()","1970-01-02T00:00:00.000Z { prop: 1 }"],
  ["i","(() => { class D extends Date {} return new D(0); })()","D 1970-01-01T00:00:00.000Z"],
  ["i","new Number(3)","[Number: 3]"],
  ["i","new Number(-0)","[Number: -0]"],
  ["i","new String('abc')","[String: 'abc']"],
  ["i","new Boolean(false)","[Boolean: false]"],
  ["i","Object(Symbol('bx'))","[Symbol: Symbol(bx)]"],
  ["i","Object(5n)","[BigInt: 5n]"],
  ["i","(() => { const s = new String('ab'); s.extra = 1; return s; })()","[String: 'ab'] { extra: 1 }"],
  ["i","new Uint8Array([1, 2, 3])","Uint8Array(3) [ 1, 2, 3 ]"],
  ["i","new Uint8Array(0)","Uint8Array(0) []"],
  ["i","new Float64Array([0.5, -0, NaN])","Float64Array(3) [ 0.5, -0, NaN ]"],
  ["i","new BigInt64Array([1n, -2n])","BigInt64Array(2) [ 1n, -2n ]"],
  ["i","new Int16Array(120)","Int16Array(120) [\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0,\n  ... 20 more items\n]"],
  ["i","new Uint8Array(new ArrayBuffer(200))","Uint8Array(200) [\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,\n  0, 0, 0, 0,\n  ... 100 more items\n]"],
  ["i","new ArrayBuffer(4)","ArrayBuffer { [Uint8Contents]: <00 00 00 00>, byteLength: 4 }"],
  ["i","new Uint8Array([1, 2, 255, 16]).buffer","ArrayBuffer { [Uint8Contents]: <01 02 ff 10>, byteLength: 4 }"],
  ["i","new ArrayBuffer(0)","ArrayBuffer { [Uint8Contents]: <>, byteLength: 0 }"],
  ["i","new ArrayBuffer(120)","ArrayBuffer {\n  [Uint8Contents]: <00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ... 20 more bytes>,\n  byteLength: 120\n}"],
  ["i","new DataView(new ArrayBuffer(2))","DataView {\n  byteLength: 2,\n  byteOffset: 0,\n  buffer: ArrayBuffer { [Uint8Contents]: <00 00>, byteLength: 2 }\n}"],
  ["i","{ buf: new ArrayBuffer(3), ta: new Uint8Array(2) }","{\n  buf: ArrayBuffer { [Uint8Contents]: <00 00 00>, byteLength: 3 },\n  ta: Uint8Array(2) [ 0, 0 ]\n}"],
  ["i","(function () { return arguments; })(1, 'a')","[Arguments] { '0': 1, '1': 'a' }"],
  ["i","[new Error('inner').message]","[ 'inner' ]"],
  ["i","JSON","Object [JSON] {}"],
  ["i","Math","Object [Math] {}"],
  ["i","[[[[[1]]]]]","[ [ [ [Array] ] ] ]"],
  ["i","{ a: [[[[1]]]] }","{ a: [ [ [Array] ] ] }"],
  ["i","[{ a: 1, b: { c: 2 } }, { a: 3, b: { c: 4 } }]","[ { a: 1, b: { c: 2 } }, { a: 3, b: { c: 4 } } ]"],
  ["i","{ arr: Array.from({ length: 10 }, (_, i) => ({ id: i })) }","{\n  arr: [\n    { id: 0 }, { id: 1 },\n    { id: 2 }, { id: 3 },\n    { id: 4 }, { id: 5 },\n    { id: 6 }, { id: 7 },\n    { id: 8 }, { id: 9 }\n  ]\n}"],
  ["i","[Symbol('a'), Symbol.for('b')]","[ Symbol(a), Symbol(b) ]"],
  ["i","{ [Symbol('it\\'s \\n')]: 1 }","{ [Symbol(it\\'s \\n)]: 1 }"],
  ["i","Object.defineProperty([1], 'x', { value: 1, enumerable: false })","[ 1 ]"],
  ["f","['hello']","hello"],
  ["f","['a', 'b', 1]","a b 1"],
  ["f","[]",""],
  ["f","[1, 'x', { a: 1 }]","1 x { a: 1 }"],
  ["f","['%s', 'str']","str"],
  ["f","['%s', 42]","42"],
  ["f","['%s', -0]","-0"],
  ["f","['%s', 5n]","5n"],
  ["f","['%s', null]","null"],
  ["f","['%s', undefined]","undefined"],
  ["f","['%s', Symbol('q')]","Symbol(q)"],
  ["f","['%s', { a: { b: { c: 1 } } }]","{ a: [Object] }"],
  ["f","['%s', [1, [2, [3]]]]","[ 1, [Array] ]"],
  ["f","['%s', { toString() { return 'custom'; } }]","custom"],
  ["f","['%s', (() => { class X { toString() { return 'X!'; } } return new X(); })()]","X!"],
  ["f","['%s', new Date(0)]","1970-01-01T00:00:00.000Z"],
  ["f","['%s', function f() {}]","function f() {}"],
  ["f","['%d', 42]","42"],
  ["f","['%d', '42.5']","42.5"],
  ["f","['%d', 5n]","5n"],
  ["f","['%d', {}]","NaN"],
  ["f","['%d', Symbol()]","NaN"],
  ["f","['%d', -0]","-0"],
  ["f","['%i', 42.9]","42"],
  ["f","['%i', '-7.2abc']","-7"],
  ["f","['%i', 9n]","9n"],
  ["f","['%i', Symbol()]","NaN"],
  ["f","['%f', '3.25xyz']","3.25"],
  ["f","['%f', Symbol()]","NaN"],
  ["f","['%f', 'abc']","NaN"],
  ["f","['%j', { a: [1, 'b'] }]","{\"a\":[1,\"b\"]}"],
  ["f","['%j', (() => { const o = {}; o.o = o; return o; })()]","[Circular]"],
  ["f","['%j', undefined]","undefined"],
  ["f","['%o', [1, 2]]","[ 1, 2, [length]: 2 ]"],
  ["f","['%o', { a: 1 }]","{ a: 1 }"],
  ["f","['%O', { a: { b: { c: { d: 1 } } } }]","{ a: { b: { c: [Object] } } }"],
  ["f","['%o', { a: { b: { c: { d: { e: { f: 1 } } } } } }]","{\n  a: {\n    b: { c: { d: { e: [Object] } } }\n  }\n}"],
  ["f","['%c styled %s', 'color: red', 'x']"," styled x"],
  ["f","['100%% sure %s', 'yes']","100% sure yes"],
  ["f","['%%']","%%"],
  ["f","['%% %s']","%% %s"],
  ["f","['%s %s', 'one']","one %s"],
  ["f","['%s', 'a', 'b', { c: 1 }]","a b { c: 1 }"],
  ["f","['%x %s', 'y']","%x y"],
  ["f","['trailing %']","trailing %"],
  ["f","['trailing %', 1]","trailing % 1"],
  ["f","['no specifiers', { a: 1 }, [2]]","no specifiers { a: 1 } [ 2 ]"],
  ["f","[{ a: 1 }, '%s', 'x']","{ a: 1 } %s x"],
  ["f","['%s:%s', 'a', 'b']","a:b"],
  ["f","['a\\nb', 'c']","a\nb c"],
  ["f","[1, 2n, -0, null, undefined, Symbol('z')]","1 2n -0 null undefined Symbol(z)"],
  ["f","['%s', 'it\\'s']","it's"],
  ["f","['x', 'it\\'s']","x it's"],
  ["f","[['it\\'s']]","[ \"it's\" ]"],
  ["f","['%s', new Error('fmt').message]","fmt"],
  ["d","[{ a: { b: { c: { d: 1 } } } }, { depth: 0 }]","{ a: [Object] }"],
  ["d","[{ a: { b: { c: { d: 1 } } } }, { depth: null }]","{\n  a: { b: { c: { d: 1 } } }\n}"],
  ["d","[[1, 2, 3, 4, 5], { maxArrayLength: 2 }]","[ 1, 2, ... 3 more items ]"],
  ["d","['long string here', { maxStringLength: 4 }]","'long'... 12 more characters"],
  ["d","[{ b: 1, a: 2, c: 3 }, { sorted: true }]","{ a: 2, b: 1, c: 3 }"],
  ["d","[{ a: 1, b: { c: 2 } }, { compact: false }]","{\n  a: 1,\n  b: {\n    c: 2\n  }\n}"],
  ["d","[{ a: 1, b: { c: 2 } }, { breakLength: 10 }]","{\n  a: 1,\n  b: {\n    c: 2\n  }\n}"],
  ["d","[1234567.891, { numericSeparator: true }]","1_234_567.891"],
  ["d","[{ a: 1, b: { c: 2 } }, { compact: true }]","{ a: 1, b: { c: 2 } }"],
  ["d","[Object.defineProperty({}, 'g', { get() { return { x: 1 }; }, enumerable: true }), { getters: true }]","{ g: [Getter] { x: 1 } }"],
  ["d","[[1, 2], { showHidden: true }]","[ 1, 2, [length]: 2 ]"],
  ["d","[{ [Symbol.for('nodejs.util.inspect.custom')]() { return 'CUSTOM'; } }, {}]","{\n  [Symbol(nodejs.util.inspect.custom)]: [Function: [nodejs.util.inspect.custom]]\n}"],
  ["i","{ [Symbol.for('nodejs.util.inspect.custom')]() { return 'CUSTOM'; } }","CUSTOM"],
  ["i","{ a: { [Symbol.for('nodejs.util.inspect.custom')](depth, opts, insp) { return insp({ depth, x: [1, 2] }, opts); } } }","{ a: { depth: 1, x: [ 1, 2 ] } }"],
  ["i","{ a: { [Symbol.for('nodejs.util.inspect.custom')]() { return { replaced: true }; } } }","{ a: { replaced: true } }"],
  ["i","{ a: { [Symbol.for('nodejs.util.inspect.custom')]() { return 'multi\\nline'; } } }","{\n  a: multi\n  line\n}"],
  ["c","c.log('plain'); c.info('info'); c.debug('debug'); c.error('err'); c.warn('warn');",[[1,"plain\n"],[1,"info\n"],[1,"debug\n"],[2,"err\n"],[2,"warn\n"]]],
  ["c","c.log(); c.log(''); c.log('a\\nb');",[[1,"\n"],[1,"\n"],[1,"a\nb\n"]]],
  ["c","c.group('G1'); c.log('in 1'); c.group(); c.log('in 2\\nsecond line'); c.error({ a: 1 }); c.groupEnd(); c.log('back 1'); c.groupEnd(); c.groupEnd(); c.log('out');",[[1,"G1\n"],[1,"  in 1\n"],[1,"    in 2\n    second line\n"],[2,"    { a: 1 }\n"],[1,"  back 1\n"],[1,"out\n"]]],
  ["c","c.groupCollapsed('GC', 1); c.warn('w'); c.groupEnd(); c.log('x');",[[1,"GC 1\n"],[2,"  w\n"],[1,"x\n"]]],
  ["c","c.count(); c.count(); c.count('a'); c.count('default'); c.countReset(); c.count(); c.count(1); c.count('1');",[[1,"default: 1\n"],[1,"default: 2\n"],[1,"a: 1\n"],[1,"default: 3\n"],[1,"default: 1\n"],[1,"1: 1\n"],[1,"1: 2\n"]]],
  ["c","c.assert(true, 'no'); c.assert(1); c.assert(false); c.assert(0, 'msg %s', 'sub', { o: 1 }); c.assert(null, { obj: 1 }); c.assert(false, 42);",[[2,"Assertion failed\n"],[2,"Assertion failed: msg sub { o: 1 }\n"],[2,"Assertion failed: [object Object]\n"],[2,"Assertion failed: 42\n"]]],
  ["c","c.dir({ a: { b: { c: { d: 1 } } } }); c.dir('str'); c.dir({ a: 1 }, { depth: 0 });",[[1,"{ a: { b: { c: [Object] } } }\n"],[1,"'str'\n"],[1,"{ a: 1 }\n"]]],
  ["c","c.dirxml('x', 1);",[[1,"x 1\n"]]],
  ["c","c.table([{ a: 1, b: 'x' }, { a: 2, c: true }]);",[[1,"┌─────────┬───┬─────┬──────┐\n│ (index) │ a │ b   │ c    │\n├─────────┼───┼─────┼──────┤\n│ 0       │ 1 │ 'x' │      │\n│ 1       │ 2 │     │ true │\n└─────────┴───┴─────┴──────┘\n"]]],
  ["c","c.table([[1, 2], [3, 4, 5]]);",[[1,"┌─────────┬───┬───┬───┐\n│ (index) │ 0 │ 1 │ 2 │\n├─────────┼───┼───┼───┤\n│ 0       │ 1 │ 2 │   │\n│ 1       │ 3 │ 4 │ 5 │\n└─────────┴───┴───┴───┘\n"]]],
  ["c","c.table({ r1: { c1: 1 }, r2: { c2: 'two' } });",[[1,"┌─────────┬────┬───────┐\n│ (index) │ c1 │ c2    │\n├─────────┼────┼───────┤\n│ r1      │ 1  │       │\n│ r2      │    │ 'two' │\n└─────────┴────┴───────┘\n"]]],
  ["c","c.table([1, 'a', { b: 1 }]);",[[1,"┌─────────┬───┬────────┐\n│ (index) │ b │ Values │\n├─────────┼───┼────────┤\n│ 0       │   │ 1      │\n│ 1       │   │ 'a'    │\n│ 2       │ 1 │        │\n└─────────┴───┴────────┘\n"]]],
  ["c","c.table(new Map([['k1', { v: 1 }], ['k2', 2]]));",[[1,"┌───────────────────┬──────┬──────────┐\n│ (iteration index) │ Key  │ Values   │\n├───────────────────┼──────┼──────────┤\n│ 0                 │ 'k1' │ { v: 1 } │\n│ 1                 │ 'k2' │ 2        │\n└───────────────────┴──────┴──────────┘\n"]]],
  ["c","c.table(new Set(['s1', 's2']));",[[1,"┌───────────────────┬────────┐\n│ (iteration index) │ Values │\n├───────────────────┼────────┤\n│ 0                 │ 's1'   │\n│ 1                 │ 's2'   │\n└───────────────────┴────────┘\n"]]],
  ["c","c.table([{ a: 1, b: 2 }, { a: 3, b: 4 }], ['a']);",[[1,"┌─────────┬───┐\n│ (index) │ a │\n├─────────┼───┤\n│ 0       │ 1 │\n│ 1       │ 3 │\n└─────────┴───┘\n"]]],
  ["c","c.table('not tabular'); c.table(null); c.table(5);",[[1,"not tabular\n"],[1,"null\n"],[1,"5\n"]]],
  ["c","c.table([{ name: '日本語', v: 1 }, { name: 'x', v: { deep: { x: 1 }, a: 1, b: 2 } }]);",[[1,"┌─────────┬──────────┬──────────┐\n│ (index) │ name     │ v        │\n├─────────┼──────────┼──────────┤\n│ 0       │ '日本語' │ 1        │\n│ 1       │ 'x'      │ [Object] │\n└─────────┴──────────┴──────────┘\n"]]],
  ["c","c.table([{ arr: [1, 2, 3, 4, 5], o: { p: 1 } }]);",[[1,"┌─────────┬───────────────────────────────┬──────────┐\n│ (index) │ arr                           │ o        │\n├─────────┼───────────────────────────────┼──────────┤\n│ 0       │ [ 1, 2, 3, ... 2 more items ] │ { p: 1 } │\n└─────────┴───────────────────────────────┴──────────┘\n"]]],
  ["c","c.table([]);",[[1,"┌─────────┐\n│ (index) │\n├─────────┤\n└─────────┘\n"]]],
];

for (const [kind, code, expected] of CASES) {
  const name = `${kind}: ${code}`;
  try {
    if (kind === 'i') {
      eq(name, inspect(geval(`(${code})`)), expected);
    } else if (kind === 'f') {
      const args = geval(`(${code})`);
      const out = capture(() => console.log(...args));
      eq(name, JSON.stringify(out), JSON.stringify([[1, `${expected}\n`]]));
    } else if (kind === 'd') {
      const [v, o] = geval(`(${code})`);
      const out = capture(() => console.dir(v, o));
      eq(name, JSON.stringify(out), JSON.stringify([[1, `${expected}\n`]]));
    } else if (kind === 'c') {
      const out = capture(() => new Function('c', code)(console));
      eq(name, JSON.stringify(out), JSON.stringify(expected));
    }
  } catch (e) {
    report(name, false, `threw ${e}\n${e && e.stack}`, expected);
  }
}

// ---- fast path / stream routing ---------------------------------------------
eq('log string exact bytes', JSON.stringify(capture(() => console.log('plain'))), '[[1,"plain\\n"]]');
eq('error goes to stderr', JSON.stringify(capture(() => console.error('e', 1))), '[[2,"e 1\\n"]]');
eq('one write per call', capture(() => console.log('a\nb', { x: 1 }, [1])).length, 1);
eq('log detached from console', logOut(() => { const { log } = console; log('detached'); }), 'detached');

// ---- errors (QuickJS stacks: "    at f (file:line)") -------------------------
{
  function thrower() { throw new Error('boom'); }
  let err;
  try { thrower(); } catch (e) { err = e; }
  match('error: header + frames', inspect(err), /^Error: boom\n    at thrower \(.*\)\n    at /);
  match('error: console.log', logOut(() => console.log(err)), /^Error: boom\n    at thrower/);
  match('error: nested is indented', inspect({ e: err }), /^\{\n  e: Error: boom\n      at thrower [^\n]*\n      at [^\n]*\n\}$/);
  match('error: in array', inspect([err]), /^\[\n  Error: boom\n      at thrower/);
  const withProps = new Error('x');
  withProps.code = 'E_CODE';
  withProps.info = { n: 1 };
  match('error: extra props', inspect(withProps), /^Error: x\n    at [^\n]*\(.*\) \{\n  code: 'E_CODE',\n  info: \{ n: 1 \}\n\}$/);
  match('error: TypeError from engine', inspect((() => { try { null.x; } catch (e) { return e; } })()),
    /^TypeError: [^\n]+\n    at /);
  class MyError extends Error {}
  match('error: subclass without name', inspect(new MyError('m')), /^MyError: m\n    at /);
  class NamedError extends Error { constructor(m) { super(m); this.name = 'NamedError'; } }
  match('error: subclass with own name', inspect(new NamedError('n')), /^NamedError: n\n    at [^{]*$/);
  class OtherName extends Error { constructor(m) { super(m); this.name = 'Custom'; } }
  // (node prints the same: the own `name` is part of the header)
  match('error: name differs from class', inspect(new OtherName('o')), /^Custom: o\n    at [^{]*$/);
  const noStack = new Error('nostack');
  noStack.stack = undefined;
  eq('error: no stack -> brackets', inspect(noStack), '[Error: nostack]');
  const customStack = new Error('cs');
  customStack.stack = 'Custom stack text';
  eq('error: custom stack string', inspect(customStack), '[Custom stack text]');
  const emptyMsg = new Error();
  match('error: empty message', inspect(emptyMsg), /^Error\n    at /);
  const agg = new AggregateError([new Error('a1')], 'agg');
  match('error: AggregateError errors', inspect(agg), /^AggregateError: agg\n    at [^]*\[errors\]: \[\n    Error: a1\n        at /);
  const withCause = new Error('outer');
  withCause.cause = new Error('inner');
  match('error: cause', inspect(withCause), /^Error: outer\n    at [^]*\{\n  cause: Error: inner\n      at /);
  const nullProto = Object.setPrototypeOf(new Error('np'), null);
  match('error: null prototype', inspect(nullProto), /^\[Error: null prototype\]: np\n    at <eval> \([^)\n]*\)$/);
  eq('error: %s uses stack', logOut(() => console.log('%s', noStack)), '[Error: nostack]');
  const throwingName = new Error('tn');
  Object.defineProperty(throwingName, 'name', { get() { throw new Error('getter'); } });
  match('error: throwing name getter ignored', noThrow('error: throwing name getter', () => inspect(throwingName)), /^Error: tn/);
  match('error: message only (name empty)', inspect(Object.assign(new Error('only'), { name: '' })), /^only\n    at /);
}

// ---- console.trace ----------------------------------------------------------
{
  function traced() { console.trace('where %s', 'here', { a: 1 }); }
  const out = capture(traced);
  eq('trace: one write', out.length, 1);
  eq('trace: stderr', out[0][0], 2);
  match('trace: header and frames', out[0][1], /^Trace: where here \{ a: 1 \}\n    at traced \([^\n]*\n(    at [^\n]*\n)*$/);
  const bare = capture(() => console.trace());
  match('trace: no args', bare[0][1], /^Trace\n    at /);
}

// ---- promises, proxies, things QuickJS cannot introspect --------------------
{
  eq('promise', inspect(Promise.resolve(1)), 'Promise {}');
  eq('pending promise', inspect(new Promise(() => {})), 'Promise {}');
  eq('promise with props', inspect(Object.assign(Promise.resolve(), { a: 1 })), 'Promise { a: 1 }');
  eq('promise in object', inspect({ p: Promise.reject(new Error('r')).catch(() => {}) }), '{ p: Promise {} }');
  eq('map iterator', inspect(new Map([[1, 2]]).keys()), 'Object [Map Iterator] {}');
  eq('generator object', inspect((function* () {})()), 'Object [Generator] {}');
  eq('proxy of object', inspect(new Proxy({ a: 1 }, {})), '{ a: 1 }');
  eq('proxy of array', inspect(new Proxy([1, 2], {})), '[ 1, 2 ]');
  const trapThrows = new Proxy({}, {
    ownKeys() { throw new Error('ownKeys trap'); },
    getOwnPropertyDescriptor() { throw new Error('gopd trap'); },
    getPrototypeOf() { throw new Error('proto trap'); },
    get() { throw new Error('get trap'); },
    has() { throw new Error('has trap'); },
  });
  match('throwing proxy', noThrow('throwing proxy no throw', () => inspect(trapThrows)), /^<Inspection threw \((ownKeys|gopd|proto|get|has) trap\)>$/);
  match('throwing proxy nested', noThrow('throwing proxy nested no throw', () => inspect({ p: trapThrows, ok: 1 })),
    /^\{ p: <Inspection threw \([^)]*\)>, ok: 1 \}$/);
  noThrow('throwing proxy in console.log', () => capture(() => console.log(trapThrows, '%s %d %i %f %j %o %O', trapThrows, trapThrows, trapThrows, trapThrows, trapThrows, trapThrows, trapThrows)));
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  noThrow('revoked proxy', () => inspect(proxy));
  noThrow('revoked proxy log', () => capture(() => console.log(proxy, '%s', proxy)));
  const getterCalls = [];
  const obj = { get a() { getterCalls.push('a'); return 1; } };
  eq('getters are not invoked', inspect(obj) + getterCalls.length, '{ a: [Getter] }0');
  const cls = new (class { get [Symbol.toStringTag]() { getterCalls.push('tag'); return 'T'; } })();
  inspect(cls);
  eq('toStringTag getter not invoked', getterCalls.length, 0);
  noThrow('custom inspect throwing', () => inspect({ [Symbol.for('nodejs.util.inspect.custom')]() { throw new Error('ci'); } }));
  eq('custom inspect throwing text', inspect({ [Symbol.for('nodejs.util.inspect.custom')]() { throw new Error('ci'); } }), '<Inspection threw (ci)>');
}

// ---- format with hostile arguments ------------------------------------------
{
  const badToString = { toString() { throw new Error('ts'); } };
  eq('%s throwing toString', logOut(() => console.log('%s', badToString)), '{ toString: [Function: toString] }');
  eq('%d throwing valueOf', logOut(() => console.log('%d', { valueOf() { throw new Error('vo'); } })), 'NaN');
  eq('%i throwing toString', logOut(() => console.log('%i', badToString)), 'NaN');
  eq('%f throwing toString', logOut(() => console.log('%f', badToString)), 'NaN');
  eq('%j throwing toJSON', logOut(() => console.log('%j', { toJSON() { throw new Error('tj'); } })), '{ toJSON: [Function: toJSON] }');
  eq('%j bigint', logOut(() => console.log('%j', 1n)), '1n');
  eq('assert with symbol', logOut(() => console.assert(false, Symbol('s'))), '<2>Assertion failed: Symbol(s)');
  eq('count with symbol label', logOut(() => console.count(Symbol('lbl'))), 'Symbol(lbl): 1');
  noThrow('log with many kinds', () => capture(() => console.log(undefined, null, 1n, Symbol(), () => {}, new Date(), /x/, new Map(), new Set(), new WeakMap(), new Int8Array(2), new DataView(new ArrayBuffer(1)))));
}

// ---- robustness against user monkey-patching --------------------------------
{
  const saved = {
    join: Array.prototype.join, push: Array.prototype.push, slice: String.prototype.slice,
    repeat: String.prototype.repeat, keys: Object.keys, includes: Array.prototype.includes,
    map: Map.prototype.get, toString: Object.prototype.toString, call: Function.prototype.call,
    apply: Function.prototype.apply, bind: Function.prototype.bind, gopd: Object.getOwnPropertyDescriptor,
  };
  const boom = () => { throw new Error('patched'); };
  Array.prototype.join = boom;
  Array.prototype.push = boom;
  String.prototype.slice = boom;
  String.prototype.repeat = boom;
  Array.prototype.includes = boom;
  Map.prototype.get = boom;
  Object.prototype.toString = boom;
  Function.prototype.call = boom;
  Function.prototype.apply = boom;
  Function.prototype.bind = boom;
  Object.keys = boom;
  Object.getOwnPropertyDescriptor = boom;
  let out;
  try {
    out = capture(() => console.log('%s|%d', 'x', 5, { a: [1, 2, { b: new Map([[1, 'x']]) }], s: 'str' }));
  } catch (e) {
    out = `threw ${e}`;
  } finally {
    Array.prototype.join = saved.join;
    Array.prototype.push = saved.push;
    String.prototype.slice = saved.slice;
    String.prototype.repeat = saved.repeat;
    Array.prototype.includes = saved.includes;
    Map.prototype.get = saved.map;
    Object.prototype.toString = saved.toString;
    Function.prototype.call = saved.call;
    Function.prototype.apply = saved.apply;
    Function.prototype.bind = saved.bind;
    Object.keys = saved.keys;
    Object.getOwnPropertyDescriptor = saved.gopd;
  }
  eq('works after built-ins are patched', JSON.stringify(out),
    JSON.stringify([[1, "x|5 { a: [ 1, 2, { b: [Map] } ], s: 'str' }\n"]]));
  const savedGlobals = { Error: globalThis.Error, Map: globalThis.Map, Date: globalThis.Date };
  globalThis.Error = boom;
  globalThis.Map = boom;
  globalThis.Date = boom;
  let tr;
  try {
    tr = capture(() => { console.trace('t'); console.count('patched'); console.time('p'); console.timeEnd('p'); });
  } catch (e) {
    tr = `threw ${e}`;
  } finally {
    Object.assign(globalThis, savedGlobals);
  }
  match('trace/count/time after globals are patched', JSON.stringify(tr), /^\[\[2,"Trace: t\\n    at .*\],\[1,"patched: 1\\n"\],\[1,"p: \d+ms\\n"\]\]$/);
}

// ---- time -------------------------------------------------------------------
{
  const out = capture(() => {
    console.time();
    console.time();
    console.timeLog(undefined, 'extra', { a: 1 });
    console.timeEnd();
    console.timeEnd();
    console.time('lbl');
    console.timeEnd('lbl');
    console.countReset('never');
  });
  eq('time: call count', out.length, 6);
  eq('time: duplicate warns', JSON.stringify(out[0]), JSON.stringify([2, "Warning: Label 'default' already exists for console.time()\n"]));
  match('time: timeLog', out[1][1], /^default: \d+(\.\d+)?ms extra \{ a: 1 \}\n$/);
  match('time: timeEnd', out[2][1], /^default: \d+(\.\d+)?ms\n$/);
  eq('time: missing label warns', JSON.stringify(out[3]), JSON.stringify([2, "Warning: No such label 'default' for console.timeEnd()\n"]));
  match('time: labelled', out[4][1], /^lbl: \d+(\.\d+)?ms\n$/);
  eq('countReset missing warns', JSON.stringify(out[5]), JSON.stringify([2, "Warning: Count for 'never' does not exist\n"]));
}

// ---- misc -------------------------------------------------------------------
{
  eq('inspect string is quoted (eval result)', inspect('abc'), "'abc'");
  eq('inspect undefined', inspect(undefined), 'undefined');
  eq('table invalid properties throws like node', (() => { try { console.table([], 'x'); return 'no'; } catch (e) { return e.constructor.name; } })(), 'TypeError');
  eq('clear is a no-op', JSON.stringify(capture(() => console.clear())), '[]');
  eq('toStringTag getter is not called (node calls it: Foo [Tagged] {})',
    inspect(new (class Foo { get [Symbol.toStringTag]() { return 'Tagged'; } })()), 'Foo {}');
  const deepChain = {};
  let p = deepChain;
  for (let i = 0; i < 5000; i++) { p.n = {}; p = p.n; }
  eq('deep nesting stops at depth 2', inspect(deepChain), '{ n: { n: { n: [Object] } } }');
}

// ---- the common case grows linearly ------------------------------------------
// Not a speed test (machines differ, and this may run emulated): 10 times the
// logs must cost about 10 times as much, not 100 (quadratic buffering).
{
  const logs = (n, v) => { // output counted, not kept: keeping 100k strings costs GC time
    const saved = sink;
    let lines = 0;
    sink = new Proxy({}, { get: (t, k) => (k === 'length' ? lines : undefined), set: () => ++lines > 0 });
    const t0 = Date.now();
    try {
      for (let i = 0; i < n; i++) console.log(v);
    } finally {
      sink = saved;
    }
    const t = Date.now() - t0;
    if (lines !== n) throw new Error(`${n} logs wrote ${lines} lines`);
    return t;
  };
  const obj = { a: 1, b: 'two', c: [1, 2, 3], d: { e: null } };
  logs(1000, 'warm up');
  const small = logs(10000, 'hello world'), big = logs(100000, 'hello world');
  const objs = logs(10000, obj);
  std.out.puts(`timing: 10000 x log(string): ${small} ms; 100000: ${big} ms; 10000 x log(object): ${objs} ms\n`);
  report('log(string) grows linearly (100k within 25x of 10k)', big <= 25 * Math.max(small, 5), big,
    `<= ${25 * Math.max(small, 5)}`);
}

std.out.puts(`${passed} passed, ${failed} failed\n`);
std.exit(failed === 0 ? 0 : 1);

// ES2022-ES2024 library methods the guest adds to QuickJS 2021-03-27
// (guest/js/lang.js, and Error's cause in the QuickJS patch). lang.out is
// what node 20 prints for this file down to the groupBy cases (node 20 has
// no groupBy); those follow the spec (node 22 has them).
const show = (v) => typeof v === 'bigint' ? `${v}n` : Array.isArray(v) ? `[${v.map(show)}]`
  : ArrayBuffer.isView(v) ? `${v.constructor.name}[${Array.from(v, show)}]` : typeof v === 'string' ? JSON.stringify(v) : String(v);
const t = (name, f) => {
  let r;
  try { r = show(f()); } catch (e) { r = `throws ${e.constructor.name}`; }
  console.log(`${name}: ${r}`);
};
const sparse = [1, , 3];
const like = { length: 3, 0: 'a', 1: 'b', 2: 'c' };
t('at', () => [[1, 2, 3].at(0), [1, 2, 3].at(-1), [1, 2, 3].at(3), [1, 2, 3].at(-4), [1, 2, 3].at(NaN), [1, 2, 3].at('1'), [1, 2, 3].at(1.7), [1, 2, 3].at(-Infinity)]);
t('at on array-like and holes', () => [Array.prototype.at.call(like, -1), sparse.at(1)]);
t('at on null', () => Array.prototype.at.call(null, 0));
t('String at', () => ['abc'.at(-1), 'abc'.at(5), '\ud83d\ude00'.at(0) === '\ud83d', String.prototype.at.call(12, 1)]);
t('String at on undefined', () => String.prototype.at.call(undefined, 0));
t('TypedArray at', () => [new Uint8Array([1, 2]).at(-1), new BigInt64Array([5n]).at(0), new Float64Array(0).at(0)]);
t('TypedArray at on an array', () => Uint8Array.prototype.at.call([1], 0));
t('findLast', () => [[1, 2, 3, 4].findLast((x) => x % 2), [1, 2].findLast((x) => x > 5), [1, 2, 3].findLastIndex((x) => x < 3), [].findLastIndex(() => true)]);
t('findLast visits holes, right to left, with thisArg', () => { const seen = []; sparse.findLast(function (v, i, o) { seen.push(`${i}:${v}:${this.k}:${o === sparse}`); }, { k: 'T' }); return seen; });
t('findLast needs a function', () => [1].findLast(5));
t('TypedArray findLast', () => [new Int16Array([-1, 2, -3]).findLast((x) => x < 0), new Int16Array([1]).findLastIndex((x) => x > 1)]);
t('toReversed', () => { const a = [1, 2, 3]; const b = a.toReversed(); return [b, a, sparse.toReversed().hasOwnProperty(1), Array.prototype.toReversed.call(like)]; });
t('toSorted', () => { const a = [3, 1, 10, 2]; return [a.toSorted(), a.toSorted((x, y) => x - y), a, [, 2, undefined, 1].toSorted()]; });
t('toSorted with a non-function', () => [1].toSorted(null));
t('toSpliced', () => { const a = [1, 2, 3, 4]; return [a.toSpliced(1, 2), a.toSpliced(1, 0, 'x', 'y'), a.toSpliced(-1), a.toSpliced(), a.toSpliced(2), a.toSpliced(-10, 1), a.toSpliced(1, -5, 'z'), a]; });
t('with', () => { const a = [1, 2, 3]; return [a.with(0, 9), a.with(-1, 8), a, sparse.with(0, 0)]; });
t('with out of range', () => [1].with(1, 0));
t('TypedArray toReversed, toSorted, with', () => { const u = new Uint8Array([3, 1, 2]); return [u.toReversed(), u.toSorted(), u.toSorted((a, b) => b - a), u.with(-1, 300), u, new BigUint64Array([1n, 2n]).with(0, -1n), new Float32Array([1.5]).with(0, '2.5')]; });
t('TypedArray with a Number for a BigInt', () => new BigInt64Array(1).with(0, 1));
t('TypedArray with out of range', () => new Uint8Array(1).with(1, 0));
t('Object.hasOwn', () => [Object.hasOwn({ a: 1 }, 'a'), Object.hasOwn({ a: 1 }, 'toString'), Object.hasOwn([1], 0), Object.hasOwn('ab', 'length'), Object.hasOwn({ [Symbol.iterator]: 1 }, Symbol.iterator)]);
t('Object.hasOwn of null', () => Object.hasOwn(null, 'a'));
t('isWellFormed', () => ['ab'.isWellFormed(), '\ud800'.isWellFormed(), 'a\udc00b'.isWellFormed(), '\ud83d\ude00'.isWellFormed(), ''.isWellFormed()]);
t('toWellFormed', () => ['a\ud800b\udc00'.toWellFormed() === 'a\ufffdb\ufffd', '\ud83d\ude00x'.toWellFormed() === '\ud83d\ude00x', 'plain'.toWellFormed()]);
t('Error cause', () => { const e = new Error('m', { cause: 0 }); return [e.cause, Object.getOwnPropertyDescriptor(e, 'cause').enumerable, 'cause' in new Error('m'), 'cause' in new Error('m', {}), new RangeError('r', { cause: 'c' }).cause, new AggregateError([], 'a', { cause: 1 }).cause]; });
t('Error cause from a getter', () => new Error('m', { get cause() { return 'got'; } }).cause);
t('the methods: lengths, names, not enumerable', () => [[].at.length, [].toSpliced.length, [].with.length, Object.hasOwn.length, [].findLast.name, Object.keys(Array.prototype).length, Object.getOwnPropertyDescriptor(Array.prototype, 'at').enumerable]);
t('the methods are not constructors', () => new [].at());
// node 22 has these; node 20 does not (its output differs from here down)
t('Object.groupBy', () => { const g = Object.groupBy([1, 2, 3, 4, 5], (x) => (x % 2 ? 'odd' : 'even')); return [Object.getPrototypeOf(g) === null, Object.keys(g), g.odd, g.even]; });
t('Map.groupBy', () => { const m = Map.groupBy([-0, 0, 1, NaN, NaN], (x) => x); return [m.size, Object.is([...m.keys()][0], 0), m.get(0).length, m.get(NaN).length]; });
t('groupBy of a string, with the index', () => Object.entries(Object.groupBy('abca', (c, i) => `${c}${i > 1}`)).map(([k, v]) => `${k}=${v.join('')}`));
t('groupBy of null', () => Object.groupBy(null, (x) => x));
t('groupBy closes the iterator when the callback throws', () => {
  let closed = false;
  const it = { [Symbol.iterator]() { return { next: () => ({ value: 1, done: false }), return() { closed = true; return {}; } }; } };
  try { Map.groupBy(it, () => { throw new Error('x'); }); } catch {}
  return closed;
});

/*
 * mica guest: ECMAScript library methods newer than QuickJS 2021-03-27
 * (ES2022 to ES2024), as the specification has them.
 *
 * Evaluated as a plain script at guest start-up, before console.js and any
 * user code. Defines, as writable, configurable, non-enumerable methods:
 *   Array.prototype: at, findLast, findLastIndex, toReversed, toSorted,
 *     toSpliced, with;
 *   %TypedArray%.prototype: at, findLast, findLastIndex, toReversed,
 *     toSorted, with;
 *   String.prototype: at, isWellFormed, toWellFormed;
 *   Object.hasOwn, Object.groupBy, Map.groupBy.
 * Error's `cause` option is in the QuickJS patch. Syntax cannot be added
 * this way: class static blocks, `#x in obj`, RegExp's /v flag stay
 * SyntaxErrors. Methods QuickJS already has are left as they are.
 */
(function () {
  'use strict';
  const ObjectDefineProperty = Object.defineProperty;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ObjectCreate = Object.create;
  const ReflectApply = Reflect.apply;
  const hasOwnProperty = Object.prototype.hasOwnProperty;
  const ArraySort = Array.prototype.sort;
  const MapCtor = Map;
  const MapGet = Map.prototype.get, MapSet = Map.prototype.set;
  const TypedArray = ObjectGetPrototypeOf(Int8Array);
  const TypedArrayLength = ObjectGetOwnPropertyDescriptor(TypedArray.prototype, 'length').get;
  const TypedArrayName = ObjectGetOwnPropertyDescriptor(TypedArray.prototype, Symbol.toStringTag).get;
  const TypedArraySort = TypedArray.prototype.sort;
  const MAX_LENGTH = 2 ** 53 - 1;

  const isCallable = (f) => typeof f === 'function';
  function toObject(v, what) {
    if (v === undefined || v === null) throw new TypeError(`${what} called on null or undefined`);
    return Object(v);
  }
  function toIntegerOrInfinity(v) {
    const n = +v;
    if (n !== n || n === 0) return 0;
    return n === Infinity || n === -Infinity ? n : n < 0 ? -Math.floor(-n) : Math.floor(n);
  }
  function lengthOf(o) {
    const n = toIntegerOrInfinity(o.length);
    return n <= 0 ? 0 : n > MAX_LENGTH ? MAX_LENGTH : n;
  }
  // the index a relative index names in [0, len), or -1 (for at and with)
  function relative(index, len) {
    const rel = toIntegerOrInfinity(index);
    const k = rel >= 0 ? rel : len + rel;
    return k >= 0 && k < len ? k : -1;
  }
  // ValidateTypedArray: its length, or a TypeError for anything else
  const typedLength = (o) => ReflectApply(TypedArrayLength, o, []);
  // TypedArrayCreateSameType: the intrinsic constructor of o's kind
  const TYPED = ObjectCreate(null);
  for (const C of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float32Array, Float64Array, BigInt64Array, BigUint64Array]) TYPED[C.name] = C;
  const typedOfKind = (o, len) => new TYPED[ReflectApply(TypedArrayName, o, [])](len);
  // ToString of a this that RequireObjectCoercible lets through
  function thisString(v, what) {
    if (v === undefined || v === null) throw new TypeError(`${what} called on null or undefined`);
    return `${v}`;
  }
  function needCallable(f, what) {
    if (!isCallable(f)) throw new TypeError(`${what}: ${typeof f === 'object' ? 'the argument' : String(f)} is not a function`);
  }
  function needArrayLength(len) {
    if (len > 2 ** 32 - 1) throw new RangeError('Invalid array length');
  }
  function define(target, methods) {
    for (const name of Object.getOwnPropertyNames(methods)) {
      if (hasOwnProperty.call(target, name)) continue;
      ObjectDefineProperty(target, name, { value: methods[name], writable: true, enumerable: false, configurable: true });
    }
  }

  define(Array.prototype, {
    at(index) {
      const o = toObject(this, 'Array.prototype.at');
      const k = relative(index, lengthOf(o));
      return k < 0 ? undefined : o[k];
    },
    findLast(predicate) {
      const o = toObject(this, 'Array.prototype.findLast');
      const len = lengthOf(o);
      needCallable(predicate, 'Array.prototype.findLast');
      for (let k = len - 1; k >= 0; k--) {
        const v = o[k];
        if (ReflectApply(predicate, arguments[1], [v, k, o])) return v;
      }
      return undefined;
    },
    findLastIndex(predicate) {
      const o = toObject(this, 'Array.prototype.findLastIndex');
      const len = lengthOf(o);
      needCallable(predicate, 'Array.prototype.findLastIndex');
      for (let k = len - 1; k >= 0; k--) if (ReflectApply(predicate, arguments[1], [o[k], k, o])) return k;
      return -1;
    },
    toReversed() {
      const o = toObject(this, 'Array.prototype.toReversed');
      const len = lengthOf(o);
      needArrayLength(len);
      const a = new Array(len);
      for (let k = 0; k < len; k++) a[k] = o[len - 1 - k];
      return a;
    },
    toSorted(comparefn) {
      if (comparefn !== undefined && !isCallable(comparefn)) throw new TypeError('Array.prototype.toSorted: the comparison function must be a function or undefined');
      const o = toObject(this, 'Array.prototype.toSorted');
      const len = lengthOf(o);
      needArrayLength(len);
      const a = new Array(len);
      for (let k = 0; k < len; k++) a[k] = o[k];
      return ReflectApply(ArraySort, a, [comparefn]);
    },
    toSpliced(start, skipCount) {
      const o = toObject(this, 'Array.prototype.toSpliced');
      const len = lengthOf(o);
      const rel = toIntegerOrInfinity(start);
      const actualStart = rel === -Infinity ? 0 : rel < 0 ? Math.max(len + rel, 0) : Math.min(rel, len);
      const insert = arguments.length > 2 ? arguments.length - 2 : 0;
      const skip = arguments.length === 0 ? 0 : arguments.length === 1 ? len - actualStart
        : Math.min(Math.max(toIntegerOrInfinity(skipCount), 0), len - actualStart);
      const newLen = len + insert - skip;
      if (newLen > MAX_LENGTH) throw new TypeError('Array.prototype.toSpliced: the result is too long');
      needArrayLength(newLen);
      const a = new Array(newLen);
      let i = 0;
      for (let r = 0; r < actualStart; r++) a[i++] = o[r];
      for (let e = 2; e < arguments.length; e++) a[i++] = arguments[e];
      for (let r = actualStart + skip; r < len; r++) a[i++] = o[r];
      return a;
    },
    with(index, value) {
      const o = toObject(this, 'Array.prototype.with');
      const len = lengthOf(o);
      const k = relative(index, len);
      if (k < 0) throw new RangeError('Array.prototype.with: the index is out of range');
      needArrayLength(len);
      const a = new Array(len);
      for (let i = 0; i < len; i++) a[i] = i === k ? value : o[i];
      return a;
    },
  });

  define(TypedArray.prototype, {
    at(index) {
      const k = relative(index, typedLength(this));
      return k < 0 ? undefined : this[k];
    },
    findLast(predicate) {
      const len = typedLength(this);
      needCallable(predicate, '%TypedArray%.prototype.findLast');
      for (let k = len - 1; k >= 0; k--) {
        const v = this[k];
        if (ReflectApply(predicate, arguments[1], [v, k, this])) return v;
      }
      return undefined;
    },
    findLastIndex(predicate) {
      const len = typedLength(this);
      needCallable(predicate, '%TypedArray%.prototype.findLastIndex');
      for (let k = len - 1; k >= 0; k--) if (ReflectApply(predicate, arguments[1], [this[k], k, this])) return k;
      return -1;
    },
    toReversed() {
      const len = typedLength(this);
      const a = typedOfKind(this, len);
      for (let k = 0; k < len; k++) a[k] = this[len - 1 - k];
      return a;
    },
    toSorted(comparefn) {
      if (comparefn !== undefined && !isCallable(comparefn)) throw new TypeError('%TypedArray%.prototype.toSorted: the comparison function must be a function or undefined');
      const len = typedLength(this);
      const a = typedOfKind(this, len);
      for (let k = 0; k < len; k++) a[k] = this[k];
      return ReflectApply(TypedArraySort, a, [comparefn]);
    },
    with(index, value) {
      const len = typedLength(this);
      const rel = toIntegerOrInfinity(index);
      const k = rel >= 0 ? rel : len + rel;
      // ToBigInt or ToNumber, once, before the index is checked (as the spec orders it)
      let v;
      if (ReflectApply(TypedArrayName, this, []).startsWith('Big')) {
        const t = new BigInt64Array(1);
        t[0] = value;
        v = t[0];
      } else {
        v = +value;
      }
      if (!(k >= 0 && k < typedLength(this))) throw new RangeError('%TypedArray%.prototype.with: the index is out of range');
      const a = typedOfKind(this, len);
      for (let i = 0; i < len; i++) a[i] = i === k ? v : this[i];
      return a;
    },
  });

  define(String.prototype, {
    at(index) {
      const s = thisString(this, 'String.prototype.at');
      const k = relative(index, s.length);
      return k < 0 ? undefined : s[k];
    },
    isWellFormed() {
      const s = thisString(this, 'String.prototype.isWellFormed');
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xFC00) === 0xDC00) i++;
        else if ((c & 0xF800) === 0xD800) return false;
      }
      return true;
    },
    toWellFormed() {
      const s = thisString(this, 'String.prototype.toWellFormed');
      let out = null; // parts, once a lone surrogate is found
      let from = 0;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xFC00) === 0xDC00) {
          i++;
        } else if ((c & 0xF800) === 0xD800) {
          if (out === null) out = [];
          out.push(s.slice(from, i), '\uFFFD');
          from = i + 1;
        }
      }
      return out === null ? s : (out.push(s.slice(from)), out.join(''));
    },
  });

  // GroupBy: the groups in the order their keys first come, each key once
  function groupBy(items, callback, what, keyOf) {
    if (items === undefined || items === null) throw new TypeError(`${what}: the items are null or undefined`);
    needCallable(callback, what);
    const groups = new MapCtor();
    let k = 0;
    for (const v of items) {
      const key = keyOf(callback(v, k++));
      const g = ReflectApply(MapGet, groups, [key]);
      if (g === undefined) ReflectApply(MapSet, groups, [key, [v]]);
      else g.push(v);
    }
    return groups;
  }
  const propertyKey = (v) => (typeof v === 'symbol' ? v : String(v));
  define(Object, {
    hasOwn(o, p) {
      return ReflectApply(hasOwnProperty, toObject(o, 'Object.hasOwn'), [p]);
    },
    groupBy(items, callback) {
      const out = ObjectCreate(null);
      for (const [key, g] of groupBy(items, callback, 'Object.groupBy', propertyKey)) {
        ObjectDefineProperty(out, key, { value: g, writable: true, enumerable: true, configurable: true });
      }
      return out;
    },
  });
  define(Map, {
    groupBy(items, callback) {
      return groupBy(items, callback, 'Map.groupBy', (key) => (key === 0 ? 0 : key));
    },
  });
})();
